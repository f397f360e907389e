// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: run the code of a task whose executable carries a
 * verified KML stamp (TIF_KML, set by exec from binfmt_kml's verdict) at
 * CPL 0, in its own address space, as an otherwise ordinary process.
 *
 * The CPU state that goes with "a KML task is current on this CPU" is
 * switched here, with interrupts off, whenever it changes (context switch,
 * exec):
 *
 *  - kml_idt is loaded: the same gates as the normal IDT, but every gate
 *    without an IST sends the CPU to IST_INDEX_KML and a stub in
 *    entry_64_kml.S, so that no event ever pushes a frame onto the user
 *    stack of code running at CPL 0;
 *  - CR4.SMEP is cleared, or the CPU would refuse to fetch the task's own
 *    (user) pages at CPL 0; and CR4.SMAP, or every access of the task's
 *    code to its own memory would need EFLAGS.AC set - a flag the task
 *    sees and may change (pushfq, popfq), so it could not stay the
 *    task's.  The kernel runs without SMAP only while a KML task is
 *    current, which can read and write all of it anyway;
 *  - MSR_LSTAR points at entry_SYSCALL_64_kml, the fast system-call path
 *    of KML tasks (entry_64_kml.S), so that the SYSCALL entry of every
 *    other task carries no KML code at all;
 *  - kml_cpu_active is set, which the IRET exit reads to return to CPL 0.
 *
 * Normal user tasks always run with the normal IDT, SMEP, SMAP, MSR_LSTAR
 * and the ring 3 return, and pay one per-CPU load and a flag test per
 * context switch, once a KML task has run at all.
 * Kernel threads, idle above all, keep whatever state the CPU has: they
 * never return to user mode, the KML stubs handle interrupted kernel code,
 * and a KML task that blocks and comes back on an otherwise idle CPU then
 * costs no CR4 write and no LIDT.  (CR4 writes serialise the CPU, and under
 * QEMU TCG a CR4.SMEP change flushes the whole software TLB.)  While a
 * kernel thread runs in KML state SMEP and SMAP are off; the page tables it
 * runs on are the lazily kept ones of the last user task, a KML task's.
 */
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/entry-common.h>
#include <linux/kml_trust.h>
#include <linux/init.h>
#include <asm/sections.h>
#include <linux/printk.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/set_memory.h>
#include <linux/string.h>
#include <linux/thread_info.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/kml.h>
#include <asm/msr.h>
#include <linux/pgtable.h>
#include <asm/proto.h>
#include <asm/syscall.h>
#include <asm/text-patching.h>
#include <asm/tlbflush.h>
#include <asm/unistd.h>
#include <trace/events/kml.h>

DEFINE_PER_CPU(u8, kml_cpu_active);
DEFINE_STATIC_KEY_FALSE(kml_used);

/* Shared by all CPUs like idt_table; its read-only alias is in the CEA. */
static gate_desc kml_idt[IDT_ENTRIES] __page_aligned_bss;

static struct desc_ptr kml_idt_descr __ro_after_init = {
	.size		= IDT_ENTRIES * sizeof(gate_desc) - 1,
	.address	= CPU_ENTRY_AREA_KML_IDT,
};

/*
 * False until kml_idt_setup() succeeded: without a complete KML IDT no
 * task may run at CPL 0 (exec then leaves stamped programs in ring 3, and
 * the boot log says why).
 */
static bool kml_ready __ro_after_init;

/* ---- the system calls of KML tasks (entry_64_kml.S) ---------------------- */

/*
 * What the fast path calls, by system call number: sys_call_table, except
 * for the system calls that rewrite their caller's pt_regs.  The fast
 * return reloads only the registers a C function may clobber and trusts
 * the rest of pt_regs to be as the entry pushed them; these go through
 * wrappers that ask for the full exit instead (TIF_KML_FULLEXIT, in
 * KML_SLOW_EXIT_WORK).  A direct table call rather than x64_sys_call()'s
 * compare tree: see kernel/README.md, "Fast path", for the measurement.
 */
sys_call_ptr_t kml_syscall_table[NR_syscalls] __ro_after_init;

#define KML_FULLEXIT_SYSCALL(name)					\
static long kml_##name(const struct pt_regs *regs)			\
{									\
	long ret = __x64_sys_##name(regs);				\
									\
	set_thread_flag(TIF_KML_FULLEXIT);				\
	return ret;							\
}

KML_FULLEXIT_SYSCALL(rt_sigreturn)	/* the whole frame, from the signal stack */
KML_FULLEXIT_SYSCALL(execve)		/* the new program's registers */
KML_FULLEXIT_SYSCALL(execveat)		/* the same */
#ifdef CONFIG_UPROBES
KML_FULLEXIT_SYSCALL(uretprobe)		/* the probed function's return state */
#endif

static void __init kml_syscall_setup(void)
{
	memcpy(kml_syscall_table, sys_call_table, sizeof(kml_syscall_table));
	kml_syscall_table[__NR_rt_sigreturn] = kml_rt_sigreturn;
	kml_syscall_table[__NR_execve] = kml_execve;
	kml_syscall_table[__NR_execveat] = kml_execveat;
#ifdef CONFIG_UPROBES
	kml_syscall_table[__NR_uretprobe] = kml_uretprobe;
#endif
}

/* The checks do_syscall_64() makes before it lets SYSRET return, and one more. */
static __always_inline bool kml_sysret_ok(struct pt_regs *regs)
{
	return regs->cx == regs->ip && regs->r11 == regs->flags &&
	       regs->cs == __USER_CS && regs->ss == __USER_DS &&
	       regs->ip < TASK_SIZE_MAX &&
	       !(regs->flags & (X86_EFLAGS_RF | X86_EFLAGS_TF)) &&
	       /* ... and, at CPL 0, a stack of the task's (see the IRET exit) */
	       regs->sp < TASK_SIZE_MAX;
}

/*
 * The fast path's checks at entry sent this call down the full path, as
 * from entry_SYSCALL_64 after its mitigations: do_syscall_64().  First the
 * kml_syscall_full event, if someone listens - and RCU watches: on a CPU
 * where user context tracking is on (nohz_full), not until
 * do_syscall_64() says so, so there such calls are counted but not traced.
 */
__visible noinstr bool kml_syscall_entry_slow(struct pt_regs *regs, int nr,
					      bool eflags)
{
	unsigned long work = READ_ONCE(current_thread_info()->syscall_work);

	if (trace_kml_syscall_full_enabled()) {
		/* rcu_is_watching() is instrumentable code too */
		instrumentation_begin();
		if (rcu_is_watching()) {
			if (eflags)
				trace_kml_syscall_full(nr, KML_FULL_EFLAGS,
						       regs->flags);
			else if (work & KML_SLOW_SYSCALL_WORK)
				trace_kml_syscall_full(nr, KML_FULL_WORK, work);
			else
				trace_kml_syscall_full(nr, KML_FULL_NR,
						       regs->orig_ax);
		}
		instrumentation_end();
	}
	return do_syscall_64(regs, nr);
}

/*
 * The fast path found exit work pending, or pt_regs rewritten: leave the
 * way do_syscall_64() does, through syscall_exit_to_user_mode().  Called
 * with interrupts off and the result in regs->ax; returns with them off,
 * and whether kml_syscall_return may be used (else the IRET exit).
 */
__visible noinstr bool kml_syscall_exit_slow(struct pt_regs *regs)
{
	struct thread_info *ti = current_thread_info();

	instrumentation_begin();
	trace_kml_syscall_full(regs->orig_ax, KML_FULL_EXIT,
			       READ_ONCE(ti->flags));
	/* Not after an exec, which started the counts again. */
	if (ti->kml_syscalls)
		ti->kml_slow_syscalls++;
	clear_thread_flag(TIF_KML_FULLEXIT);
	local_irq_enable();
	instrumentation_end();

	syscall_exit_to_user_mode(regs);
	return kml_sysret_ok(regs);
}

#ifdef KML_FAST_HOOKS
/*
 * A kernel that tracks context or IRQ state (asm/kml.h): the entry half
 * of the fast path, as syscall_enter_from_user_mode() has it without the
 * work, which the fast path has ruled out.
 */
__visible noinstr void kml_fast_enter(struct pt_regs *regs)
{
	enter_from_user_mode(regs);
	instrumentation_begin();
	local_irq_enable();
	instrumentation_end();
}

/*
 * ... and the exit half, as syscall_exit_to_user_mode() has it: false,
 * interrupts off, when work is pending (the caller goes on with
 * kml_syscall_exit_slow()); true with the task back in user mode for
 * context tracking and lockdep.
 */
__visible noinstr bool kml_fast_exit(struct pt_regs *regs)
{
	instrumentation_begin();
	rseq_syscall(regs);
	local_irq_disable_exit_to_user();
	/* As exit_to_user_mode_prepare(): before the last flags check */
	tick_nohz_user_enter_prepare();
	if (read_thread_flags() & KML_SLOW_EXIT_WORK) {
		instrumentation_end();
		return false;
	}
	kmap_assert_nomap();
	lockdep_assert_irqs_disabled();
	lockdep_sys_exit();
	instrumentation_end();
	exit_to_user_mode();
	return true;
}
#endif

/* Point a stub's tail JMP at the normal handler of its vector. */
static bool __init kml_patch_jmp(unsigned long jmp, unsigned long target)
{
	long rel = target - (jmp + JMP32_INSN_SIZE);
	s32 rel32 = rel;

	if (WARN_ON_ONCE(*(u8 *)jmp != JMP32_INSN_OPCODE || rel32 != rel))
		return false;
	/* Kernel text is still writable: this runs from init_IRQ(). */
	text_poke_early((void *)(jmp + 1), &rel32, sizeof(rel32));
	return true;
}

static void __init kml_gate_set_offset(gate_desc *g, unsigned long addr)
{
	g->offset_low = (u16)addr;
	g->offset_middle = (u16)(addr >> 16);
	g->offset_high = (u32)(addr >> 32);
}

/*
 * A vector that no hardware event reaches on this kernel, so that only a
 * software "int $v" can use its gate - which ring 3 cannot (DPL 0) and KML
 * code can.  Its KML gate makes that the #GP ring 3 would have taken
 * instead of running a handler that expects something else:
 *  - a gate that still points at an early-boot handler, freed with the
 *    init text (the reserved exception vectors; #MC without X86_MCE);
 *  - the coprocessor segment overrun and the spurious-exception vector,
 *    which no processor since the 486 raises.
 */
static bool __init kml_vector_never_raised(unsigned int v, unsigned long target)
{
	return is_kernel_inittext(target) || v == X86_TRAP_OLD_MF ||
	       v == X86_TRAP_SPURIOUS;
}

/*
 * entry_64_kml.S finds this CPU's IST stacks at fixed offsets from its own
 * RSP, and counts in the lowest words of the KML IST (asm/kml.h).
 */
#define KML_ESTACK_OFFS(st)						\
	offsetof(struct cea_exception_stacks, st##_stack)

static void __init kml_check_layout(void)
{
	BUILD_BUG_ON(ESTACK_NMI != KML_ESTACK_NMI || ESTACK_DB != KML_ESTACK_DB ||
		     ESTACK_MCE != KML_ESTACK_MCE || ESTACK_KML != KML_ESTACK_KML);
	BUILD_BUG_ON(KML_ESTACK_OFFS(NMI) != KML_ESTACK_BOT(KML_ESTACK_NMI) ||
		     KML_ESTACK_OFFS(DB) != KML_ESTACK_BOT(KML_ESTACK_DB) ||
		     KML_ESTACK_OFFS(MCE) != KML_ESTACK_BOT(KML_ESTACK_MCE) ||
		     KML_ESTACK_OFFS(KML) != KML_ESTACK_BOT(KML_ESTACK_KML));
	BUILD_BUG_ON(CEA_ESTACK_SIZE(NMI) != EXCEPTION_STKSZ ||
		     CEA_ESTACK_SIZE(DB) != EXCEPTION_STKSZ ||
		     CEA_ESTACK_SIZE(MCE) != EXCEPTION_STKSZ ||
		     CEA_ESTACK_SIZE(KML) != EXCEPTION_STKSZ);
	BUILD_BUG_ON(KML_IST_COUNTS * sizeof(long) > 64);
	BUILD_BUG_ON(sizeof(kml_idt) - 1 != KML_IDT_LIMIT);
	BUILD_BUG_ON(CPU_ENTRY_AREA_RO_IDT != KML_IDT_NORMAL);
	BUILD_BUG_ON(CPU_ENTRY_AREA_KML_IDT != KML_IDT_KML);
}

/*
 * Build kml_idt from the finished normal IDT (called at the end of
 * idt_setup_apic_and_irq_gates(), after which the normal IDT is read-only).
 */
void __init kml_idt_setup(const gate_desc *idt)
{
	DECLARE_BITMAP(swint, IDT_ENTRIES);
	struct desc_ptr normal;
	unsigned int v, i;

	kml_check_layout();
	bitmap_zero(swint, IDT_ENTRIES);

	memcpy(kml_idt, idt, sizeof(kml_idt));

	for (v = 0; v < IDT_ENTRIES; v++) {
		gate_desc *g = &kml_idt[v];
		const struct kml_stub *stub = &kml_idt_stub_table[v];

		/* Absent gates stay absent; IST gates are handled below. */
		if (!idt[v].bits.p || idt[v].bits.ist)
			continue;
		if (!kml_patch_jmp(stub->jmp, gate_offset(&idt[v])))
			goto fail;
		if (kml_vector_never_raised(v, gate_offset(&idt[v]))) {
			__set_bit(v, swint);
			kml_gate_set_offset(g, stub->swint);
		} else {
			kml_gate_set_offset(g, stub->entry);
		}
		g->bits.ist = IST_INDEX_KML + 1;
	}
	pr_info("kml: vectors no hardware event reaches (int $N from KML code: SIGSEGV): %*pbl\n",
		IDT_ENTRIES, swint);

	/*
	 * NMI, #DB, #MC keep their IST and get a rewrite-only prologue, #DF
	 * one for "int $8" - where the normal gate has an IST: without
	 * CONFIG_X86_MCE, #MC has only its early gate, handled above.
	 */
	for (i = 0; i < ARRAY_SIZE(kml_ist_stub_table); i++) {
		const struct kml_ist_stub *s = &kml_ist_stub_table[i];

		if (!idt[s->vector].bits.p || !idt[s->vector].bits.ist)
			continue;
		if (!kml_patch_jmp(s->jmp, gate_offset(&idt[s->vector])))
			goto fail;
		kml_gate_set_offset(&kml_idt[s->vector], s->entry);
	}
	/* #VC (if present) keeps its gate unchanged. */

	/*
	 * The IST prologues load the normal IDT from constants
	 * (KML_IST_REDIRECT): it must be what idt.c has just loaded.
	 */
	store_idt(&normal);
	if (normal.address != CPU_ENTRY_AREA_RO_IDT ||
	    normal.size != KML_IDT_LIMIT) {
		pr_err("kml: the normal IDT is not at its cpu entry area alias\n");
		goto fail;
	}

	kml_syscall_setup();

	/*
	 * Like the normal IDT: loaded through a fixed read-only alias in the
	 * cpu entry area, which PTI maps in the user page tables too (the
	 * CPU reads the IDT while the user CR3 is live).
	 */
	cea_set_pte((void *)CPU_ENTRY_AREA_KML_IDT, __pa_symbol(kml_idt),
		    PAGE_KERNEL_RO);
	set_memory_ro((unsigned long)kml_idt, 1);
	kml_ready = true;
	return;
fail:
	pr_err("kml: cannot build the KML IDT: stamped programs will run in ring 3\n");
}

/*
 * The CR4 bits a KML task runs without: SMEP and SMAP, where the CPU has
 * them (cpu_feature_enabled() is false for both after nosmep/nosmap).
 */
static unsigned long kml_cr4_off(void)
{
	return (cpu_feature_enabled(X86_FEATURE_SMEP) ? X86_CR4_SMEP : 0) |
	       (cpu_feature_enabled(X86_FEATURE_SMAP) ? X86_CR4_SMAP : 0);
}

/*
 * Make this CPU's state match "current is (not) a KML task".  Interrupts
 * are off: the entry code reads kml_cpu_active, and an interrupt between
 * the steps would see a mixed state.  Order: SMEP and SMAP may be off only
 * while kml_cpu_active is set (CR4 pinning allows exactly that).  Never
 * called while an NMI/#DB/#MC prologue has the normal IDT loaded for its
 * handler (KML_IST_REDIRECT in entry_64_kml.S): that code and the code it
 * interrupted run with interrupts off and do not switch tasks.
 */
void kml_switch_cpu(bool on)
{
	lockdep_assert_irqs_disabled();

	if (this_cpu_read(kml_cpu_active) == on)
		return;
	/*
	 * Never switched on for a kernel thread: they carry no TIF_KML
	 * (copy_thread), and kml_context_switch() leaves their state alone.
	 */
	if (on && WARN_ON_ONCE(current->flags & PF_KTHREAD))
		return;
	if (on) {
		this_cpu_write(kml_cpu_active, 1);
		if (kml_cr4_off())
			cr4_clear_bits_irqsoff(kml_cr4_off());
		load_idt(&kml_idt_descr);
	} else {
		load_current_idt();
		if (kml_cr4_off())
			cr4_set_bits_irqsoff(kml_cr4_off());
		this_cpu_write(kml_cpu_active, 0);
	}
	/* After kml_cpu_active: kml_lstar() reads it. */
	wrmsrl(MSR_LSTAR, kml_lstar());
}

/*
 * __switch_to(), after "current" became @next, when this CPU is in KML
 * state or @next is a KML task.  Interrupts are off.
 */
void kml_context_switch(struct task_struct *next)
{
	/* Lazy: a kernel thread runs in whatever state the CPU is in. */
	if (next->flags & PF_KTHREAD)
		return;
	kml_switch_cpu(test_tsk_thread_flag(next, TIF_KML));
}

/*
 * A CPU going offline must not keep the KML state a kernel thread left it
 * in: when it comes back, its IDT and CR4 are the normal ones, and the
 * per-CPU flag has to say so.  Runs on that CPU after the scheduler stopped
 * putting user tasks on it.
 */
static int kml_cpu_offline(unsigned int cpu)
{
	local_irq_disable();
	kml_switch_cpu(false);
	local_irq_enable();
	return 0;
}

static int __init kml_hotplug_init(void)
{
	int ret;

	if (!kml_ready)
		return 0;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "x86/kml:online",
					NULL, kml_cpu_offline);
	return ret < 0 ? ret : 0;
}
late_initcall(kml_hotplug_init);

#ifdef CONFIG_MITIGATION_PAGE_TABLE_ISOLATION
/*
 * PTI gives each mm a kernel and a user PGD, and makes the user half of the
 * kernel one NX (__pti_set_user_pgtbl()), so that a return to user mode that
 * forgot to switch CR3 faults at once.  KML code runs at CPL 0 and may use
 * the kernel PGD instead: its exits keep the kernel CR3 (entry_64.S,
 * entry_64_kml.S) and its entries find it already loaded (calling.h), so a
 * KML system call or interrupt writes CR3 not at all -- under PTI the CR3
 * writes and the TLB refills after them are most of a system call's cost.
 * The price is that code of a KML mm may be executed from the kernel page
 * tables, which is the point of KML; no other mm is affected.
 *
 * MM_CONTEXT_KML marks such an mm.  kml_mark_mm() sets it when binfmt_kml
 * grants ring 0 to an exec, before exec installs the mm, and fork copies
 * it with the rest of mm->context (a KML parent's child is a KML task).
 */
static bool kml_pti_used __read_mostly;

/*
 * Called by PTI for each present user entry it writes into the user half
 * of a kernel PGD.  Every PGD that gets such entries after boot is an
 * mm's, from pgd_alloc(), which records the mm in its page (EFI, the
 * identity maps and the real-mode trampoline write theirs without
 * _PAGE_USER, with _PAGE_NOPTISHADOW or directly, at boot); nothing is
 * looked up before the first KML exec.
 */
bool kml_pti_exempt(pgd_t *pgdp)
{
	struct mm_struct *mm;

	if (!READ_ONCE(kml_pti_used))
		return false;
	mm = pgd_page_get_mm(virt_to_page(pgdp));
	return mm && test_bit(MM_CONTEXT_KML, &mm->context.flags);
}

/*
 * The new (marked) mm of a task about to become a KML task: take the NX
 * PTI put on the user half of its kernel PGD back off (exec has mapped the
 * stack and the ELF images already, maybe before kml_pti_used was set).
 * Under page_table_lock, which every PGD population takes: an entry
 * written concurrently either sees kml_pti_used or is fixed here.  Then
 * the TLB is flushed:
 * the kernel has touched some of the new pages already (padzero() clears
 * the end of the data segment), and a translation cached with NX would
 * make the first instruction fetch from such a page fault -- for a
 * present page, the fault handler calls that an access error: SIGSEGV.
 */
static void kml_pti_mark_mm(struct mm_struct *mm)
{
	pgd_t *pgd = mm->pgd;
	int i;

	if (!boot_cpu_has(X86_FEATURE_PTI) || !(__supported_pte_mask & _PAGE_NX))
		return;
	WRITE_ONCE(kml_pti_used, true);
	spin_lock(&mm->page_table_lock);
	for (i = 0; pgdp_maps_userspace(pgd + i); i++) {
		pgdval_t v = pgd_val(pgd[i]);

		if ((v & (_PAGE_USER | _PAGE_PRESENT | _PAGE_NX)) ==
		    (_PAGE_USER | _PAGE_PRESENT | _PAGE_NX))
			WRITE_ONCE(pgd[i], native_make_pgd(v & ~_PAGE_NX));
	}
	spin_unlock(&mm->page_table_lock);
	flush_tlb_mm(mm);
}
#else
static inline void kml_pti_mark_mm(struct mm_struct *mm) { }
#endif

/*
 * binfmt_kml granted ring 0 to an exec whose new mm is @mm, not yet
 * installed.  The mark is what kml_task_protected() looks at until the
 * thread flag is set (and for as long as the mm lives: fork copies it with
 * mm->context), and under PTI it also stops the NX poisoning of the mm's
 * kernel PGD (kml_pti_mark_mm() fixes the entries made before).  An exec
 * that fails before its point of no return frees @mm with the mark.
 */
void kml_mark_mm(struct mm_struct *mm)
{
	set_bit(MM_CONTEXT_KML, &mm->context.flags);
}

/*
 * The task's code runs at CPL 0 (its thread flag), or will once its exec
 * is through (its mm).  Called by __ptrace_may_access() under task_lock(),
 * which keeps task->mm stable.
 */
bool kml_task_protected(struct task_struct *t)
{
	return test_tsk_thread_flag(t, TIF_KML) ||
	       (t->mm && test_bit(MM_CONTEXT_KML, &t->mm->context.flags));
}

void kml_task_status(struct seq_file *m, struct task_struct *t)
{
	struct thread_info *ti = task_thread_info(t);

	seq_put_decimal_ull(m, "Kml:\t", test_tsk_thread_flag(t, TIF_KML));
	seq_put_decimal_ull(m, "\nKmlSyscalls:\t", READ_ONCE(ti->kml_syscalls));
	seq_put_decimal_ull(m, " ", READ_ONCE(ti->kml_slow_syscalls));
	seq_putc(m, '\n');
}

/* exec: the new executable decides, after the point of no return. */
void kml_set_current(bool on)
{
	struct thread_info *ti = current_thread_info();
	unsigned long flags;

	on = on && kml_ready;
	/* The counts are the program's (/proc/PID/status). */
	ti->kml_syscalls = 0;
	ti->kml_slow_syscalls = 0;
	if (on) {
		/* From now on the hooks on every task's paths are live. */
		if (!static_key_enabled(&kml_used))
			static_branch_enable(&kml_used);
		kml_pti_mark_mm(current->mm);
	}
	local_irq_save(flags);
	update_thread_flag(TIF_KML, on);
	kml_switch_cpu(on);
	local_irq_restore(flags);
}

#ifdef CONFIG_DEBUG_FS
/*
 * /sys/kernel/debug/kml/cpu: the KML state of the CPU the reader runs on,
 * read from the hardware.  A normal task must always see SMEP and SMAP on
 * and the normal IDT; a KML task sees them off and the KML IDT.
 */
static int kml_cpu_show(struct seq_file *m, void *v)
{
	struct desc_ptr idt;
	unsigned long cr4;
	int cpu;
	u8 active;

	preempt_disable();
	cpu = smp_processor_id();
	cr4 = native_read_cr4();
	store_idt(&idt);
	active = this_cpu_read(kml_cpu_active);
	preempt_enable();

	seq_printf(m, "cpu %d kml %u smep %d smap %d idt %s\n", cpu, active,
		   !!(cr4 & X86_CR4_SMEP), !!(cr4 & X86_CR4_SMAP),
		   idt.address == CPU_ENTRY_AREA_KML_IDT ? "kml" :
		   idt.address == CPU_ENTRY_AREA_RO_IDT ? "normal" : "other");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kml_cpu);

/*
 * /sys/kernel/debug/kml/ist: per CPU, how many NMIs, #DBs and #MCs ran
 * their handler with the normal IDT because they interrupted code on that
 * CPU's KML (or #DB, #MC) IST (entry_64_kml.S, KML_IST_REDIRECT).  The
 * counts live in the lowest words of each CPU's KML IST, which the
 * prologues reach without GS or per-CPU data.
 */
static int kml_ist_show(struct seq_file *m, void *v)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const unsigned long *n = (const unsigned long *)
			CEA_ESTACK_BOT(per_cpu(cea_exception_stacks, cpu), KML);

		seq_printf(m, "cpu %d nmi %lu db %lu mc %lu\n", cpu,
			   READ_ONCE(n[KML_IST_COUNT_NMI]),
			   READ_ONCE(n[KML_IST_COUNT_DB]),
			   READ_ONCE(n[KML_IST_COUNT_MC]));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kml_ist);

static int __init kml_debugfs_init(void)
{
	struct dentry *dir;

	if (!kml_ready)
		return 0;
	dir = debugfs_create_dir("kml", NULL);

	debugfs_create_file("cpu", 0444, dir, NULL, &kml_cpu_fops);
	debugfs_create_file("ist", 0444, dir, NULL, &kml_ist_fops);
	return 0;
}
late_initcall(kml_debugfs_init);
#endif
