/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: entry stubs of the KML IDT.
 *
 * While a KML task is current, its own code runs at CPL 0 and the CPU
 * loads kml_idt (arch/x86/kernel/kml.c) instead of the normal IDT.  An
 * event at the same privilege level does not switch stacks on x86-64: the
 * CPU would push its frame onto the interrupted stack, which for KML code
 * is the user stack (red zone, possibly unmapped).  So every gate of
 * kml_idt that has no IST of its own sends the CPU to IST_INDEX_KML, a
 * per-CPU stack in the cpu entry area, and lands in one of these stubs,
 * which makes the frame look exactly like the one the normal entry code
 * expects and then jumps to the normal handler:
 *
 *  - interrupted KML code (CPL 0, RIP or RSP in the lower half): rewrite
 *    the frame's CS/SS to __USER_CS/__USER_DS and clear EFLAGS.AC in place.
 *    The normal entry then sees a user-mode frame, swaps GS, switches CR3
 *    and moves pt_regs to the thread stack (error_entry -> sync_regs), as
 *    for ring 3.  pt_regs stay honest for user space: ptrace, signals,
 *    perf and core dumps see an ordinary 64-bit process.
 *
 *  - interrupted kernel code: copy the frame to (RSP & ~15) - frame size
 *    on the interrupted stack, exactly where the CPU would have pushed it
 *    without IST, switch to it and continue there.
 *
 * NMI, #DB and #MC have IST stacks of their own; kml_idt points them at
 * short prologues that do only the rewrite (they never copy).  Those
 * prologues treat only a lower-half RIP as KML code: an NMI may land in
 * the SYSCALL entry before the stack switch, where RSP is the user's but
 * GS and the code are the kernel's.
 *
 * Each stub ends in a 5-byte JMP whose target is patched at boot
 * (kml_idt_setup) to the handler of the same vector in the normal IDT, so
 * no indirect branch and no data load is needed here; the stubs are in
 * .entry.text, which PTI maps in the user page tables.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/segment.h>
#include <asm/processor-flags.h>
#include <asm/unwind_hints.h>
#include <asm/nospec-branch.h>
#include <asm/irq_vectors.h>
#include <asm/trapnr.h>
#include <asm/asm-offsets.h>
#include <asm/percpu.h>
#include <asm/smap.h>
#include "calling.h"

	.section .entry.text, "ax"

/* Offsets in the hardware frame, above an error code if there is one. */
#define KML_RIP		0
#define KML_CS		8
#define KML_FLAGS	16
#define KML_RSP		24
#define KML_SS		32

/* Vectors for which the CPU pushes an error code. */
#define KML_HAS_ERR(v)	((v) == X86_TRAP_DF || (v) == X86_TRAP_TS ||	\
			 (v) == X86_TRAP_NP || (v) == X86_TRAP_SS ||	\
			 (v) == X86_TRAP_GP || (v) == X86_TRAP_PF ||	\
			 (v) == X86_TRAP_AC || (v) == X86_TRAP_CP ||	\
			 (v) == X86_TRAP_VC || (v) == 30)

/*
 * The patchable tail of a stub.  Assumes: the hardware frame (plus error
 * code) at RSP, every register as the interrupted context left it.
 */
.macro KML_JMP_PATCHED label
\label:
	.byte	0xe9
	.long	.Lkml_unpatched - (. + 4)
.endm

/*
 * Make the hardware frame at \off(%rsp) of interrupted KML code the
 * user-mode frame the normal entry expects.  AC is set by the KML exit for
 * SMAP; it is not the task's state.
 */
.macro KML_FRAME_TO_USER off
	movq	$__USER_CS, \off+KML_CS(%rsp)
	movq	$__USER_DS, \off+KML_SS(%rsp)
	andl	$~X86_EFLAGS_AC, \off+KML_FLAGS(%rsp)
.endm

/*
 * Stub for a gate without IST.  Entered from kml_idt on the KML IST with
 * interrupts off (all Linux gates are interrupt gates) and the frame (plus
 * the error code, for the vectors that have one) at RSP; GS, CR3 and every
 * register are still the interrupted context's.
 */
.macro KML_IDT_STUB vector
	.if KML_HAS_ERR(\vector)
	.Lkml_err = 8
	.else
	.Lkml_err = 0
	.endif
	.pushsection .init.rodata, "a"
	.quad	.Lkml_entry_\@, .Lkml_jmp_\@
	.popsection
.Lkml_entry_\@:
	UNWIND_HINT_IRET_ENTRY offset=.Lkml_err
	ENDBR
	/* A CPL 3 frame is already what the normal entry expects. */
	cmpw	$__KERNEL_CS, .Lkml_err+KML_CS(%rsp)
	jne	.Lkml_jmp_\@
	/* CPL 0: KML code if RIP or RSP is in the lower (user) half. */
	btq	$63, .Lkml_err+KML_RIP(%rsp)
	jnc	.Lkml_user_\@
	btq	$63, .Lkml_err+KML_RSP(%rsp)
	jc	.Lkml_kernel_\@
.Lkml_user_\@:
	KML_FRAME_TO_USER .Lkml_err
	KML_JMP_PATCHED .Lkml_jmp_\@

.Lkml_kernel_\@:
	/*
	 * Kernel code was interrupted.  With two scratch registers saved on
	 * the IST, copy the frame (error code, RIP, CS, EFLAGS, RSP, SS) to
	 * where the CPU would have put it: 16-byte aligned below the
	 * interrupted RSP.  Interrupts are off; the interrupted stack below
	 * its RSP is free (the kernel has no red zone).
	 */
	pushq	%rax
	pushq	%rcx
	movq	16+.Lkml_err+KML_RSP(%rsp), %rax
	andq	$~15, %rax
	subq	$.Lkml_err+40, %rax
	.Lkml_off = 0
	.rept	5 + .Lkml_err / 8
	movq	16+.Lkml_off(%rsp), %rcx
	movq	%rcx, .Lkml_off(%rax)
	.Lkml_off = .Lkml_off + 8
	.endr
	/* Saved RAX goes just below the new frame, then switch stacks. */
	movq	8(%rsp), %rcx
	movq	%rcx, -8(%rax)
	movq	(%rsp), %rcx
	leaq	-8(%rax), %rsp
	UNWIND_HINT_IRET_REGS offset=.Lkml_err+8
	popq	%rax
	jmp	.Lkml_jmp_\@
.endm

/*
 * Prologue for the gates that keep their own IST (NMI, #DB, #MC): the
 * frame is on that IST, no error code.  Only the rewrite; the normal entry
 * decides everything else from CS, as for ring 3.
 */
.macro KML_IST_STUB vector
	.pushsection .init.rodata, "a"
	.quad	\vector, .Lkml_entry_\@, .Lkml_jmp_\@
	.popsection
.Lkml_entry_\@:
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	/*
	 * Taken on the final "jmp *%rcx" of kml_syscall_return, in the STI
	 * shadow (an NMI may be): that JMP only moves RCX, the task's return
	 * address, into RIP.  Do it here, so the event is taken from KML code
	 * with interrupts on, as it would have been one instruction later;
	 * otherwise its IRET would re-enable interrupts at a kernel RIP on
	 * the user stack.
	 */
	cmpq	$kml_syscall_return_jmp, KML_RIP(%rsp)
	jne	.Lkml_classify_\@
	movq	%rcx, KML_RIP(%rsp)
.Lkml_classify_\@:
	cmpw	$__KERNEL_CS, KML_CS(%rsp)
	jne	.Lkml_jmp_\@
	btq	$63, KML_RIP(%rsp)
	jnc	.Lkml_user_\@
	/*
	 * The first instructions of kml_direct_entry run as the task did
	 * (its IF and TF, its stack): an event there, e.g. the single step
	 * of a debugger, belongs to the task.
	 */
	cmpq	$kml_direct_entry, KML_RIP(%rsp)
	jb	.Lkml_jmp_\@
	cmpq	$kml_direct_entry_masked, KML_RIP(%rsp)
	jae	.Lkml_jmp_\@
.Lkml_user_\@:
	KML_FRAME_TO_USER 0
	KML_JMP_PATCHED .Lkml_jmp_\@
.endm

	.pushsection .init.rodata, "a"
	.balign 8
SYM_DATA_START(kml_idt_stub_table)
	.popsection

	.balign 16
SYM_CODE_START(kml_idt_stubs)
	/* Every JMP points here until kml_idt_setup() patches it. */
	UNWIND_HINT_IRET_REGS
	ANNOTATE_NOENDBR
.Lkml_unpatched:
	ud2

	vector = 0
	.rept	NR_VECTORS
	KML_IDT_STUB vector
	vector = vector + 1
	.endr

	.pushsection .init.rodata, "a"
SYM_DATA_END(kml_idt_stub_table)
SYM_DATA_START(kml_ist_stub_table)
	.popsection
	KML_IST_STUB X86_TRAP_DB
	KML_IST_STUB X86_TRAP_NMI
	KML_IST_STUB X86_TRAP_MC
	.pushsection .init.rodata, "a"
SYM_DATA_END(kml_ist_stub_table)
	.popsection
SYM_CODE_END(kml_idt_stubs)

/*
 * The return from a system call to a KML task: the IRET-free counterpart of
 * the SYSRET path, which jumps here after do_syscall_64() has checked the
 * state SYSRET needs (RCX == RIP, R11 == EFLAGS, user selectors, a
 * lower-half RIP, no TF/RF).  The task's IF must be on too (the path ends
 * in "sti; jmp"); else it takes the IRET exit.
 *
 * Assumes: pt_regs of the task at RSP, interrupts off, kernel GS and CR3.
 * Leaves: every register the task's, EFLAGS the task's with AC set (SMAP,
 * see kml.c), RSP the task's, user GS, the kernel CR3 (under PTI a KML
 * task runs on its kernel page tables, see kml.c), interrupts on from the
 * JMP.
 * "sti" holds interrupts off for one more instruction (the STI shadow), so
 * no interrupt sees the kernel RIP of the JMP with the user's RSP and GS;
 * an NMI may, and the IST prologues above move it past the JMP.
 *
 * Skipped compared with SYSRET (the task runs at CPL 0 and can read kernel
 * memory anyway, so these protect nothing from it): STACKLEAK erasing and
 * CLEAR_CPU_BUFFERS (VERW); under PTI, the trampoline stack and the switch
 * to the user CR3.  Kept: IBRS_EXIT.
 */
SYM_CODE_START(kml_syscall_return)
	UNWIND_HINT_REGS
	ANNOTATE_NOENDBR
	testl	$X86_EFLAGS_IF, EFLAGS(%rsp)
	jz	swapgs_restore_regs_and_return_to_usermode
	IBRS_EXIT
	POP_REGS pop_rdi=0
	UNWIND_HINT_END_OF_STACK

	/*
	 * The stack is now user RDI, orig_ax, RIP, CS, EFLAGS, RSP, SS, and
	 * RCX = RIP.  The task's EFLAGS with IF off until the sti below, and
	 * AC so that SMAP lets CPL 0 touch the task's pages.
	 */
	btrq	$X86_EFLAGS_IF_BIT, 4*8(%rsp)
	orq	$X86_EFLAGS_AC, 4*8(%rsp)
	popq	%rdi
	addq	$3*8, %rsp		/* orig_ax, RIP (in RCX), CS */
	popfq
	popq	%rsp
	swapgs
	sti
SYM_INNER_LABEL(kml_syscall_return_jmp, SYM_L_GLOBAL)
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx
	int3

SYM_CODE_END(kml_syscall_return)

/*
 * kml_direct_entry - the direct-call system call entry of KML tasks, whose
 * address they find in AT_SYSINFO (asm/elf.h).  Instead of "syscall", KML
 * code may "call" it with the same register convention: RAX the number,
 * RDI RSI RDX R10 R8 R9 the arguments, the result in RAX, RCX and R11
 * clobbered.  The call must be a two-byte "call *%rbx" (or *%rbp): a
 * restarted system call backs RIP up by two bytes, the length of
 * "syscall", and finds the call again with RBX unchanged.  The caller must
 * step over its red zone first (the call pushes into it); see
 * elfnote/kml_syscall.h.
 *
 * Assumes: CPL 0 (KML code), the task's GS, stack (the return address on
 * top), EFLAGS (AC set, IF normally on) and CR3.
 * Does what the SYSCALL instruction would: RCX = return address, R11 =
 * EFLAGS, IF/TF/DF/AC cleared, then goes on at entry_SYSCALL_64, which
 * neither knows nor cares that CS already is the kernel's.  Its exit takes
 * kml_syscall_return (or the IRET path), so every system call and every
 * piece of exit work behaves exactly as after "syscall".
 *
 * Until the popfq the task's IF and TF are still on: an interrupt there
 * sees CPL 0 with a user RSP and is the task's (the ordinary KML stubs),
 * as is a #DB/NMI/#MC (the IST prologues test this range); the IRET exit
 * accepts the kernel RIP because the frame carries AC.  After it, the
 * state is that of the SYSCALL gap.
 */
SYM_CODE_START(kml_direct_entry)
	UNWIND_HINT_END_OF_STACK
	ENDBR
	pushfq
	/* IF, TF, DF off as SYSCALL's mask does; AC kept for the pops below. */
	pushq	$(X86_EFLAGS_FIXED | X86_EFLAGS_AC)
	popfq
SYM_INNER_LABEL(kml_direct_entry_masked, SYM_L_GLOBAL)
	popq	%r11			/* the task's EFLAGS */
	popq	%rcx			/* its return address */
	ASM_CLAC
	jmp	entry_SYSCALL_64
SYM_CODE_END(kml_direct_entry)
