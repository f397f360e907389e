/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: a task whose executable carries a verified KML stamp
 * (TIF_KML) runs its own code at CPL 0.  See arch/x86/kernel/kml.c.
 */
#ifndef _ASM_X86_KML_H
#define _ASM_X86_KML_H

#ifndef __ASSEMBLY__
#include <linux/percpu.h>
#include <asm/desc_defs.h>
#include <asm/pgtable_types.h>
#include <asm/processor-flags.h>
#include <asm/ptrace.h>
#include <asm/segment.h>

#ifdef CONFIG_KML
/*
 * 1 while the task current on this CPU is a KML task: the KML IDT is
 * loaded, CR4.SMEP is clear and the IRET exit returns to CPL 0.  Read by
 * the entry code, so it changes only with interrupts off.
 */
DECLARE_PER_CPU(u8, kml_cpu_active);

static __always_inline bool kml_cpu_is_active(void)
{
	return raw_cpu_read(kml_cpu_active);
}

/* The stubs' table, written by entry_64_kml.S into .init.rodata. */
struct kml_stub {
	unsigned long	entry;		/* the stub's first instruction */
	unsigned long	jmp;		/* its patchable 5-byte JMP */
};

struct kml_ist_stub {
	unsigned long	vector;
	unsigned long	entry;
	unsigned long	jmp;
};

extern const struct kml_stub kml_idt_stub_table[256];
extern const struct kml_ist_stub kml_ist_stub_table[3];

struct task_struct;

void kml_idt_setup(const gate_desc *idt);
void kml_switch_cpu(bool on);
void kml_context_switch(struct task_struct *next);
void kml_set_current(bool on);
#ifdef CONFIG_MITIGATION_PAGE_TABLE_ISOLATION
bool kml_pti_exempt(pgd_t *pgdp);
#endif

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
		regs->flags &= ~X86_EFLAGS_AC;
	}
}
#else
static __always_inline bool kml_cpu_is_active(void)
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
