/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: a task whose executable carries a verified KML stamp
 * (TIF_KML) runs its own code at CPL 0.  See arch/x86/kernel/kml.c.
 */
#ifndef _ASM_X86_KML_H
#define _ASM_X86_KML_H

#include <linux/const.h>
#include <asm/page_types.h>
#include <asm/processor-flags.h>

/*
 * The fast system-call path (entry_64_kml.S) returns with popfq of the
 * saved EFLAGS and "sti" (SYSCALL) or with "sti" alone (direct call), so
 * it is taken only when the task's EFLAGS at entry are what that rebuilds:
 */
#define KML_FAST_FLAGS		X86_EFLAGS_IF		/* sti at the end */
#define KML_FAST_FLAGS_MASK	(KML_FAST_FLAGS |				\
				 X86_EFLAGS_TF)		/* a single step: IRET */
#define KML_FAST_FLAGS_MASK_DIRECT (KML_FAST_FLAGS_MASK |			\
				 X86_EFLAGS_NT |	/* not restored */	\
				 X86_EFLAGS_DF |	/* not restored */	\
				 X86_EFLAGS_AC)		/* not restored */

/*
 * The fast path leaves out enter_from_user_mode() and exit_to_user_mode(),
 * which compile to nothing unless the kernel tracks context (nohz_full,
 * user context tracking) or IRQ state (lockdep), or checks entry state or
 * rseq: with any of these, the fast path calls kml_fast_enter() and
 * kml_fast_exit() (kml.c) for them.
 */
#if defined(CONFIG_CONTEXT_TRACKING_USER) || defined(CONFIG_TRACE_IRQFLAGS) || \
	defined(CONFIG_LOCKDEP) || defined(CONFIG_DEBUG_ENTRY) ||		\
	defined(CONFIG_DEBUG_RSEQ) || defined(CONFIG_KMSAN) ||			\
	defined(CONFIG_X86_DEBUG_FPU) || defined(CONFIG_NO_HZ_FULL)
#define KML_FAST_HOOKS 1
#endif

/*
 * Where the IST stacks lie in struct cea_exception_stacks
 * (asm/cpu_entry_area.h), for the NMI, #DB and #MC prologues of
 * entry_64_kml.S, which find this CPU's stacks from their own RSP rather
 * than from GS or per-CPU data.  Stack N in ESTACK_* order (DF 0, NMI 1,
 * DB 2, MCE 3, VC 4, VC2 5, KML 6) comes after N + 1 guard pages and N
 * stacks of EXCEPTION_STKSZ (the #VC ones always have their place in the
 * mapping).  kml.c checks these against the struct at build time.
 */
#define KML_ESTACK_NMI		1
#define KML_ESTACK_DB		2
#define KML_ESTACK_MCE		3
#define KML_ESTACK_KML		6
#define KML_ESTACK_TOP(n)	(((n) + 1) * (PAGE_SIZE + EXCEPTION_STKSZ))
#define KML_ESTACK_BOT(n)	(KML_ESTACK_TOP(n) - EXCEPTION_STKSZ)

/*
 * The lowest words of each CPU's KML IST count the NMIs, #DBs and #MCs
 * whose handler ran with the normal IDT because they interrupted code on
 * the KML (or #DB or #MC) IST: /sys/kernel/debug/kml/ist.  The stubs use
 * a few hundred bytes at the top of that stack.
 */
#define KML_IST_COUNT_NMI	0
#define KML_IST_COUNT_DB	1
#define KML_IST_COUNT_MC	2
#define KML_IST_COUNTS		3

/*
 * The IDT limit, and the halves of the two IDT addresses as the prologues
 * and kml_ist_return write them into a descriptor for lidt: the read-only
 * aliases in the cpu entry area, CPU_ENTRY_AREA_RO_IDT and
 * CPU_ENTRY_AREA_KML_IDT (pgtable_areas.h), which assembly cannot spell
 * with 4-level paging (P4D_SHIFT is C only there).  kml.c checks that
 * they are equal, and kml_idt_setup() that the normal IDT is loaded from
 * there.
 */
#define KML_CEA_BASE		(_AC(-4, UL) << 39)
#define KML_IDT_LIMIT		(IDT_ENTRIES * 16 - 1)
#define KML_IDT_NORMAL		KML_CEA_BASE
#define KML_IDT_KML		(KML_CEA_BASE + PAGE_SIZE)
#define KML_IDT_NORMAL_LO	(KML_IDT_NORMAL & 0xffffffff)
#define KML_IDT_NORMAL_HI	(KML_IDT_NORMAL >> 32)
#define KML_IDT_KML_LO		(KML_IDT_KML & 0xffffffff)
#define KML_IDT_KML_HI		(KML_IDT_KML >> 32)

#if defined(__ASSEMBLY__) && defined(CONFIG_KML)
/*
 * KML_USED_JUMP target: a 5-byte NOP that the static key kml_used (kml.c)
 * turns into "jmp target" at the first KML exec.  The KML tests on paths
 * that every task takes (the IRET exit, the PTI CR3 switch) sit behind it,
 * so that until a KML task has run they cost a NOP.  The same
 * __jump_table entry as arch_static_branch() makes (a false key).
 */
.macro KML_USED_JUMP target
.L_kml_used_\@ :
	.byte	0x0f, 0x1f, 0x44, 0x00, 0x00
	.pushsection __jump_table, "aw"
	.balign	8
	.long	.L_kml_used_\@ - .
	.long	\target - .
	.quad	kml_used - .
	.popsection
.endm
#endif

#ifndef __ASSEMBLY__
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <asm/debugreg.h>
#include <asm/desc_defs.h>
#include <asm/pgtable_types.h>
#include <asm/proto.h>
#include <asm/processor-flags.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include <asm/trap_pf.h>

#ifdef CONFIG_KML
/*
 * 1 while the task current on this CPU is a KML task: the KML IDT and
 * MSR_LSTAR are loaded, CR4.SMEP and SMAP are clear and the IRET exit
 * returns to CPL 0.  Read by the entry code, so it changes only with
 * interrupts off.
 */
DECLARE_PER_CPU(u8, kml_cpu_active);

/* Enabled at the first KML exec; off, the KML hooks cost nothing. */
DECLARE_STATIC_KEY_FALSE(kml_used);

static __always_inline bool kml_in_use(void)
{
	return static_branch_unlikely(&kml_used);
}

static __always_inline bool kml_cpu_is_active(void)
{
	return raw_cpu_read(kml_cpu_active);
}

/* The stubs' table, written by entry_64_kml.S into .init.rodata. */
struct kml_stub {
	unsigned long	entry;		/* the stub's first instruction */
	unsigned long	jmp;		/* its patchable 5-byte JMP */
	unsigned long	swint;		/* software "int $vector": ring 3's #GP */
};

struct kml_ist_stub {
	unsigned long	vector;
	unsigned long	entry;
	unsigned long	jmp;
};

extern const struct kml_stub kml_idt_stub_table[256];
extern const struct kml_ist_stub kml_ist_stub_table[4];

struct task_struct;

/*
 * Work that sends a KML system call down the full path
 * (do_syscall_64()) when set at its entry ...
 */
#define KML_SLOW_SYSCALL_WORK						\
	(SYSCALL_WORK_ENTER |	/* seccomp, ptrace, audit, tracepoints, SUD */	\
	 SYSCALL_WORK_EXIT)	/* the same, and a ptrace single step */

/*
 * ... and what sends it through the generic exit
 * (syscall_exit_to_user_mode()) when set at its end, interrupts off:
 */
#define KML_SLOW_EXIT_WORK						\
	(EXIT_TO_USER_MODE_WORK |	/* signals, restarts, resched,	*/	\
					/* notify-resume (task_work,	*/	\
					/* rseq), uprobes, livepatch	*/	\
	 _TIF_NEED_FPU_LOAD |		/* FPU registers to reload */		\
	 _TIF_IO_BITMAP |		/* the I/O bitmap to update */		\
	 _TIF_USER_RETURN_NOTIFY |	/* user-return notifiers */		\
	 _TIF_KML_FULLEXIT)		/* pt_regs rewritten (kml.c) */

/*
 * Constants for entry_64_kml.S, emitted by arch/x86/kernel/asm-offsets.c
 * (which includes linux/entry-common.h for the masks).
 */
#define KML_ASM_OFFSETS()						\
do {									\
	OFFSET(TASK_flags, task_struct, thread_info.flags);		\
	OFFSET(TASK_syscall_work, task_struct, thread_info.syscall_work); \
	OFFSET(TASK_kml_syscalls, task_struct, thread_info.kml_syscalls); \
	OFFSET(TASK_kml_slow_syscalls, task_struct,			\
	       thread_info.kml_slow_syscalls);				\
	DEFINE(KML_ASM_SLOW_SYSCALL_WORK, KML_SLOW_SYSCALL_WORK);	\
	DEFINE(KML_ASM_SLOW_EXIT_WORK, KML_SLOW_EXIT_WORK);		\
	DEFINE(KML_NR_syscalls, NR_syscalls);				\
} while (0)

extern char entry_SYSCALL_64_kml[];
extern char kml_direct_entry[], kml_direct_entry_masked[];
extern char kml_ist_return[], kml_ist_return_end[];

/*
 * Why the exec'ing task cannot be given CPL 0 on this architecture, or
 * NULL; the trust policy (fs/kml_trust.c) asks after its own checks.
 * PR_SET_TSC survives exec, but CR4.TSD makes RDTSC fault only above
 * CPL 0: whoever asked for it gets it by staying in ring 3.
 */
static inline const char *arch_kml_ring3_reason(void)
{
	if (test_thread_flag(TIF_NOTSC))
		return "PR_SET_TSC made RDTSC fault, which it cannot at CPL 0";
	return NULL;
}

/*
 * A single step (#DB, DR_STEP alone) of a KML task at an instruction of
 * kml_direct_entry up to its popfq, which masks TF: the task stepping into
 * its system call.  exc_debug_user() lets it go on silently; the step
 * completes when the system call returns, as for SYSCALL, which masks TF
 * itself (entry_64_kml.S).
 */
static __always_inline bool kml_direct_entry_step(struct pt_regs *regs,
						  unsigned long dr6)
{
	return kml_cpu_is_active() && (dr6 & DR_STEP) &&
	       !(dr6 & DR_TRAP_BITS) &&
	       regs->ip >= (unsigned long)kml_direct_entry &&
	       regs->ip <= (unsigned long)kml_direct_entry_masked;
}

/* The MSR_LSTAR this CPU's state calls for (also after a resume). */
static __always_inline unsigned long kml_lstar(void)
{
	return kml_cpu_is_active() ? (unsigned long)entry_SYSCALL_64_kml :
				     (unsigned long)entry_SYSCALL_64;
}

/*
 * The system calls that rewrite their caller's pt_regs, which the fast
 * path calls through wrappers (kml.c).
 */
long __x64_sys_rt_sigreturn(const struct pt_regs *regs);
long __x64_sys_execve(const struct pt_regs *regs);
long __x64_sys_execveat(const struct pt_regs *regs);
long __x64_sys_uretprobe(const struct pt_regs *regs);

/* Called by entry_64_kml.S */
bool kml_syscall_entry_slow(struct pt_regs *regs, int nr, bool eflags);
bool kml_syscall_exit_slow(struct pt_regs *regs);
void kml_fast_enter(struct pt_regs *regs);
bool kml_fast_exit(struct pt_regs *regs);

void kml_idt_setup(const gate_desc *idt);
void kml_switch_cpu(bool on);
void kml_context_switch(struct task_struct *next);
void kml_set_current(bool on);
#ifdef CONFIG_MITIGATION_PAGE_TABLE_ISOLATION
bool kml_pti_exempt(pgd_t *pgdp);
#endif

/*
 * A page fault of a KML task's own code (its pt_regs say user mode; the
 * CPU ran it at CPL 0 and left X86_PF_USER clear): make the error code say
 * what pt_regs say, so that it is handled as the task's fault.  (SMAP is
 * off while a KML task is current, so no fault of its comes from AC.)
 * Returns true when nothing is left to do; never, so far.
 */
static __always_inline bool kml_fixup_fault(struct pt_regs *regs,
					    unsigned long *error_code,
					    unsigned long address)
{
	if (kml_cpu_is_active() && user_mode(regs))
		*error_code |= X86_PF_USER;
	return false;
}

/*
 * An IRET to a KML task faulted: the frame it was given carries the
 * kernel selectors the KML exit put there.  Make it the user-mode frame
 * pt_regs hold everywhere else, so the fault is the task's (a signal).
 */
static __always_inline void kml_fixup_bad_iret(struct pt_regs *regs)
{
	if (kml_cpu_is_active() && regs->cs == __KERNEL_CS) {
		regs->cs = __USER_CS;
		regs->ss = __USER_DS;
	}
}
#else
static __always_inline bool kml_cpu_is_active(void)
{
	return false;
}

static __always_inline bool kml_in_use(void)
{
	return false;
}

static __always_inline unsigned long kml_lstar(void)
{
	return (unsigned long)entry_SYSCALL_64;
}

static __always_inline bool kml_direct_entry_step(struct pt_regs *regs,
						  unsigned long dr6)
{
	return false;
}

static __always_inline bool kml_fixup_fault(struct pt_regs *regs,
					    unsigned long *error_code,
					    unsigned long address)
{
	return false;
}

static inline void kml_idt_setup(const gate_desc *idt) { }
static inline void kml_switch_cpu(bool on) { }
static inline void kml_context_switch(struct task_struct *next) { }
static inline void kml_set_current(bool on) { }
static inline void kml_fixup_bad_iret(struct pt_regs *regs) { }

static inline bool kml_pti_exempt(pgd_t *pgdp)
{
	return false;
}
#endif /* CONFIG_KML */
#endif /* !__ASSEMBLY__ */
#endif /* _ASM_X86_KML_H */
