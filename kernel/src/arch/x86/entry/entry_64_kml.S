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
 *    the frame's CS/SS to __USER_CS/__USER_DS in place.
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
 * GS and the code are the kernel's.  When they interrupted kernel code
 * that runs on the KML IST, they run their handler with the normal IDT
 * (KML_IST_REDIRECT below: a fault of that handler must not reuse the
 * KML IST).  #DF keeps its handler too; its prologue only catches a
 * software "int $8".
 *
 * KML code runs at CPL 0, so it can also execute "int $N" for gates that
 * ring 3 cannot use (DPL 0), and reach handlers that expect a hardware
 * event.  What can be told apart cheaply becomes the #GP ring 3 would have
 * taken (kml_int_to_gp): software interrupts on vectors whose hardware
 * frame has an error code, "int $8", and every vector that no hardware
 * event reaches on this kernel (kml_idt_setup()).  SECURITY.md lists what
 * remains.
 *
 * Each stub ends in a 5-byte JMP whose target is patched at boot
 * (kml_idt_setup) to the handler of the same vector in the normal IDT, so
 * no indirect branch and no data load is needed here; the stubs are in
 * .entry.text, which PTI maps in the user page tables.
 */
#include <linux/errno.h>
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
#include <asm/pgtable_64_types.h>
#include <asm/smap.h>
#include <asm/kml.h>
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
 * user-mode frame the normal entry expects.  EFLAGS are the task's as they
 * are: SMAP is off while a KML task is current (kml.c).
 */
.macro KML_FRAME_TO_USER off
	movq	$__USER_CS, \off+KML_CS(%rsp)
	movq	$__USER_DS, \off+KML_SS(%rsp)
.endm

/*
 * ZF set if GS holds the kernel's per-CPU base for this CPU (kernel code
 * is running), clear if it holds something else (a task's).  Clobbers RAX,
 * RCX, RDX.  With FSGSBASE the task could have any base: compare with this
 * CPU's (as paranoid_entry does); without it, only the kernel's is
 * negative.
 */
.macro KML_GS_IS_KERNEL
	ALTERNATIVE "jmp .Lkml_gs_msr_\@", "", X86_FEATURE_FSGSBASE
	rdgsbase %rax
	GET_PERCPU_BASE %rdx
	cmpq	%rax, %rdx
	jmp	.Lkml_gs_done_\@
.Lkml_gs_msr_\@:
	movl	$MSR_GS_BASE, %ecx
	rdmsr
	shrl	$31, %edx
	cmpl	$1, %edx
.Lkml_gs_done_\@:
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
	.quad	.Lkml_entry_\@, .Lkml_jmp_\@, .Lkml_swint_\@
	.popsection
.Lkml_entry_\@:
	UNWIND_HINT_IRET_ENTRY offset=.Lkml_err
	ENDBR
	.if KML_HAS_ERR(\vector)
	/*
	 * KML code may execute "int $vector" (the gate's DPL 0 stops only
	 * ring 3), and a software interrupt pushes no error code: the word
	 * where it should be is then a RIP.  Error codes are below 64 KiB,
	 * code is not (mmap_min_addr).
	 */
	cmpq	$0x10000, (%rsp)
	jae	.Lkml_swint_\@
	.endif
	/* A CPL 3 frame is already what the normal entry expects. */
	testb	$3, .Lkml_err+KML_CS(%rsp)
	jnz	.Lkml_jmp_\@
	/*
	 * CPL 0 (any selector: KML code may load another one): KML code if
	 * RIP or RSP is in the lower (user) half ...
	 */
	btq	$63, .Lkml_err+KML_RIP(%rsp)
	jnc	.Lkml_user_\@
	btq	$63, .Lkml_err+KML_RSP(%rsp)
	jnc	.Lkml_user_\@
	/*
	 * ... and with both in the upper half, kernel code - or KML code that
	 * jumped there with a kernel RSP.  Kernel code runs with the kernel's
	 * GS base, which the task cannot set without privileged instructions
	 * of its own - except for a few instructions of the entry code, which
	 * swap GS around a selector load or a return to user mode that may
	 * fault (asm_load_gs_index, IRET, SYSRET): those are all in
	 * .entry.text.
	 */
	cmpq	$__entry_text_start, .Lkml_err+KML_RIP(%rsp)
	jb	.Lkml_gs_\@
	cmpq	$__entry_text_end, .Lkml_err+KML_RIP(%rsp)
	jb	.Lkml_kernel_\@
.Lkml_gs_\@:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	KML_GS_IS_KERNEL
	popq	%rdx
	popq	%rcx
	popq	%rax
	je	.Lkml_kernel_\@
.Lkml_user_\@:
	KML_FRAME_TO_USER .Lkml_err
	.if \vector == X86_TRAP_GP
SYM_INNER_LABEL(kml_gp_handler_jmp, SYM_L_LOCAL)
	.endif
	KML_JMP_PATCHED .Lkml_jmp_\@

	/*
	 * A software "int $vector" of KML code, on a gate whose DPL is 0: what
	 * ring 3 gets for it is #GP(vector * 8 + 2) at the int instruction,
	 * hence SIGSEGV.  Also the gate of every vector that no hardware event
	 * reaches on this kernel (kml_idt_setup()).  No error code on the
	 * stack.
	 */
.Lkml_swint_\@:
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	pushq	$((\vector << 3) | 2)
	jmp	kml_int_to_gp

.Lkml_kernel_\@:
#ifdef CONFIG_X86_ESPFIX64
	.if KML_HAS_ERR(\vector)
	/*
	 * An IRET to a 16-bit (LDT) stack segment leaves from the espfix64
	 * stack, which is read-only at that address.  Its fault (#GP, #NP,
	 * #SS) is the only kernel event on such a stack: the CPU, unable to
	 * push this frame there, would have raised #DF - which
	 * exc_double_fault() recognizes and turns into the task's #GP, as
	 * for any task.  Do that: error code 0, as #DF has, and the frame,
	 * on the KML IST, to the #DF handler (paranoid: it finds GS itself).
	 */
	pushq	%rax
	movq	8+.Lkml_err+KML_RSP(%rsp), %rax
	sarq	$39, %rax		/* P4D_SHIFT, in 4- and 5-level paging */
	cmpq	$ESPFIX_PGD_ENTRY, %rax
	popq	%rax
	jne	.Lkml_copy_\@
	movq	$0, (%rsp)
	jmp	asm_exc_double_fault
.Lkml_copy_\@:
	.endif
#endif
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
 * The IST re-entrancy guard of the NMI, #DB and #MC prologues, for an
 * event that interrupted kernel code.
 *
 * While kml_idt is loaded, every fault (#PF, #GP, #BP, ...) goes to the
 * top of this CPU's KML IST.  Code runs there with a live frame for a few
 * dozen instructions: a stub, and for KML code the normal entry up to
 * sync_regs (error_entry), or the #DF handler for an espfix64 IRET fault.
 * An NMI, #DB or #MC that lands there and whose handler faults (perf
 * reading a user call chain with copy_from_user_nmi(), a nofault read, a
 * breakpoint) would push that fault's frame over the live one.  So when
 * the interrupted RSP is on this CPU's KML IST, the handler runs with the
 * normal IDT, whose fault gates have no IST: a nested fault is pushed on
 * the NMI/#DB/#MC stack, as on a kernel without KML.  The interrupted RIP
 * goes to RSP - 8 of the interrupted stack (free: the kernel has no red
 * zone), the frame returns to kml_ist_return one word lower, which loads
 * kml_idt again and returns with "ret".
 *
 * The range tested is this CPU's #DB IST up to its KML IST (#DB, #MC,
 * the unmapped #VC places, KML): an NMI may also land in the #DB or #MC
 * prologue before its lidt, when that one interrupted the KML IST; any
 * other code on those two stacks has nothing below its RSP either.  The
 * NMI stack is not in the range, so the nested-NMI logic of asm_exc_nmi
 * (its "NMI executing" word lies just below the frame) never sees a frame
 * of ours, and nothing below its frame is written but the word the stock
 * entry uses for RDX.  A redirected frame has a kernel RIP and RSP, like
 * the one it replaces, so the normal entry takes the same path.
 *
 * Nothing here reads GS or per-CPU data, and under PTI CR3 may still be
 * the user's (the KML IST also carries the entry of a KML task from
 * ring 3): this CPU's stacks are found from RSP, which the CPU loaded from
 * the TSS (\ist's top, a page boundary, minus the 5-word frame; the
 * kernel never moves these IST entries), and the IDT descriptor is built
 * on the interrupted stack.  All of it is in the cpu entry area, mapped in
 * every page table.
 *
 * kml_switch_cpu() cannot run between the redirect and kml_ist_return:
 * the interrupted code runs with interrupts off on an IST stack and does
 * not schedule, and an NMI/#DB/#MC handler does not switch tasks.
 *
 * Assumes: the frame at RSP on \ist's stack (no error code), a kernel RIP
 * and CS, kml_idt loaded, interrupts off; every register and the flags
 * the interrupted context's (the flags are saved in the frame and need
 * not be kept).  Leaves: every register as it found them; if redirected,
 * the normal IDT loaded, the frame's RIP kml_ist_return and its RSP one
 * word lower, this CPU's count for \count incremented.
 */
#define KML_ESTACKS_FROM(ist)	(8 + 5 * 8 - KML_ESTACK_TOP(ist))
.macro KML_IST_REDIRECT ist count
	pushq	%rax
	/* RAX = interrupted RSP - the bottom of this CPU's #DB IST */
	leaq	KML_ESTACKS_FROM(\ist) + KML_ESTACK_BOT(KML_ESTACK_DB)(%rsp), %rax
	negq	%rax
	addq	8+KML_RSP(%rsp), %rax
	cmpq	$(KML_ESTACK_TOP(KML_ESTACK_KML) - KML_ESTACK_BOT(KML_ESTACK_DB)), %rax
	jae	.Lkml_redirect_done_\@

	incq	KML_ESTACKS_FROM(\ist) + KML_ESTACK_BOT(KML_ESTACK_KML) + 8 * \count(%rsp)
	/*
	 * The interrupted stack below its RSP: RIP for kml_ist_return at
	 * -8, RCX saved at -16 while it carries RIP, the IDT descriptor at
	 * -26.
	 */
	movq	8+KML_RSP(%rsp), %rax
	movq	%rcx, -16(%rax)
	movq	8+KML_RIP(%rsp), %rcx
	movq	%rcx, -8(%rax)
	movq	-16(%rax), %rcx
	subq	$8, 8+KML_RSP(%rsp)
	movq	$kml_ist_return, 8+KML_RIP(%rsp)
	movw	$KML_IDT_LIMIT, -26(%rax)
	movl	$KML_IDT_NORMAL_LO, -24(%rax)
	movl	$KML_IDT_NORMAL_HI, -20(%rax)
	lidt	-26(%rax)
.Lkml_redirect_done_\@:
	popq	%rax
.endm

/*
 * Prologue for the gates that keep their own IST (NMI, #DB, #MC): the
 * frame is on that IST, no error code.  Only the rewrite; the normal entry
 * decides everything else from CS, as for ring 3.  Interrupted kernel
 * code: the re-entrancy guard above.
 */
.macro KML_IST_STUB vector
	.pushsection .init.rodata, "a"
	.quad	\vector, .Lkml_entry_\@, .Lkml_jmp_\@
	.popsection
.Lkml_entry_\@:
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	/*
	 * Taken on the final "jmp *%rcx" of a return from a system call
	 * (kml_syscall_return and the two fast returns), in the STI shadow
	 * (an NMI may be): that JMP only moves RCX, the task's return
	 * address, into RIP.  Do it here, so the event is taken from KML code
	 * with interrupts on, as it would have been one instruction later;
	 * otherwise its IRET would re-enable interrupts at a kernel RIP on
	 * the user stack.
	 */
	cmpq	$kml_syscall_return_jmp, KML_RIP(%rsp)
	je	.Lkml_at_jmp_\@
	cmpq	$kml_fast_return_jmp, KML_RIP(%rsp)
	je	.Lkml_at_jmp_\@
	cmpq	$kml_direct_return_jmp, KML_RIP(%rsp)
	jne	.Lkml_classify_\@
.Lkml_at_jmp_\@:
	movq	%rcx, KML_RIP(%rsp)
.Lkml_classify_\@:
	cmpw	$__KERNEL_CS, KML_CS(%rsp)
	jne	.Lkml_jmp_\@
	btq	$63, KML_RIP(%rsp)
	jnc	.Lkml_user_\@
	/*
	 * The first instructions of kml_direct_entry run as the task did
	 * (its IF and TF, its stack), up to and including the popfq that
	 * masks them: an event there - the single step that popfq itself
	 * still takes, say - belongs to the task.  Its RIP is
	 * kml_direct_entry_masked at most.
	 */
	cmpq	$kml_direct_entry, KML_RIP(%rsp)
	jb	.Lkml_kernel_\@
	cmpq	$kml_direct_entry_masked, KML_RIP(%rsp)
	jbe	.Lkml_user_\@
.Lkml_kernel_\@:
	.if \vector == X86_TRAP_NMI
	KML_IST_REDIRECT KML_ESTACK_NMI, KML_IST_COUNT_NMI
	.elseif \vector == X86_TRAP_DB
	KML_IST_REDIRECT KML_ESTACK_DB, KML_IST_COUNT_DB
	.else
	KML_IST_REDIRECT KML_ESTACK_MCE, KML_IST_COUNT_MC
	.endif
	jmp	.Lkml_jmp_\@
.Lkml_user_\@:
	KML_FRAME_TO_USER 0
	KML_JMP_PATCHED .Lkml_jmp_\@
.endm

/*
 * #DF keeps its IST and its handler.  A real double fault pushes an error
 * code of 0; a software "int $8" of KML code pushes none, and the word in
 * its place is a RIP: that one is made into ring 3's #GP.
 */
.macro KML_DF_STUB
	.pushsection .init.rodata, "a"
	.quad	X86_TRAP_DF, .Lkml_entry_\@, .Lkml_jmp_\@
	.popsection
.Lkml_entry_\@:
	UNWIND_HINT_IRET_ENTRY offset=8
	ENDBR
	cmpq	$0, (%rsp)
	je	.Lkml_jmp_\@
	UNWIND_HINT_IRET_ENTRY
	pushq	$((X86_TRAP_DF << 3) | 2)
	jmp	kml_int_to_gp
	UNWIND_HINT_IRET_ENTRY offset=8
	KML_JMP_PATCHED .Lkml_jmp_\@
.endm

	.pushsection .init.rodata, "a"
	.balign 8
SYM_DATA_START(kml_idt_stub_table)
	.popsection

	.balign 16
SYM_CODE_START(kml_idt_stubs)
	/*
	 * A software interrupt of KML code, made into the #GP ring 3 would
	 * have taken: error code (vector * 8 + 2) on the stack, RIP back at
	 * the two-byte "int $N".  A CPL 3 task cannot get here (the gates
	 * that lead here have DPL 0) and the kernel does not execute "int".
	 */
SYM_INNER_LABEL(kml_int_to_gp, SYM_L_LOCAL)
	UNWIND_HINT_IRET_ENTRY offset=8
	subq	$2, 8+KML_RIP(%rsp)
	KML_FRAME_TO_USER 8
	jmp	kml_gp_handler_jmp

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
	KML_DF_STUB
	.pushsection .init.rodata, "a"
SYM_DATA_END(kml_ist_stub_table)
	.popsection
SYM_CODE_END(kml_idt_stubs)

/*
 * kml_ist_return - where an NMI, #DB or #MC that KML_IST_REDIRECT ran with
 * the normal IDT returns to: its IRET restored every register, the flags,
 * CR3 and GS of the interrupted context and its RSP one word lower, where
 * the interrupted RIP is.  Load kml_idt again and return there with "ret",
 * which changes nothing else (the interrupted code may be anywhere in a
 * stub or the entry code: no flag, register, GS access or return thunk).
 *
 * Assumes: CPL 0, interrupts off (as everywhere on the stacks that are
 * redirected), the normal IDT, RSP on this CPU's KML, #DB or #MC IST with
 * the interrupted RIP at (%rsp) and free space below; CR3 and GS may be
 * the user's, so the descriptor is built on this stack (cpu entry area).
 * An NMI before the lidt takes the normal IDT's gate, the stock entry, and
 * its faults are pushed on the NMI stack; one after it is redirected again
 * (RSP is still in the range) and comes back here with RIP = the ret.
 */
SYM_CODE_START(kml_ist_return)
	/*
	 * The word at RSP is where an event struck, not a return address:
	 * "signal" tells the ORC unwinder to look up that RIP itself, not
	 * RIP - 1 as after a call.
	 */
	UNWIND_HINT type=UNWIND_HINT_TYPE_CALL sp_reg=ORC_REG_SP sp_offset=8 signal=1
	ANNOTATE_NOENDBR
	movw	$KML_IDT_LIMIT, -10(%rsp)
	movl	$KML_IDT_KML_LO, -8(%rsp)
	movl	$KML_IDT_KML_HI, -4(%rsp)
	lidt	-10(%rsp)
	ANNOTATE_UNRET_SAFE
	ret
	int3
SYM_INNER_LABEL(kml_ist_return_end, SYM_L_GLOBAL)
SYM_CODE_END(kml_ist_return)

/*
 * ---- System calls of KML tasks ------------------------------------------
 *
 * While a KML task is current, MSR_LSTAR holds entry_SYSCALL_64_kml
 * (kml_switch_cpu()): the SYSCALL instruction of KML code comes here, and
 * entry_SYSCALL_64, which every other task uses, has no KML code in it.
 * kml_direct_entry, the direct-call entry, joins after doing what SYSCALL
 * does.  The steps, and the state each assumes, are listed in
 * kernel/README.md ("Fast path"); the decisions (which work flags force
 * the full path, which system calls rewrite pt_regs) are made in C, in
 * asm/kml.h and kml.c, and reach this file as constants (asm-offsets).
 *
 * Left out compared with entry_SYSCALL_64 + do_syscall_64, for KML tasks
 * only, because they protect the kernel from user code and KML code runs
 * at CPL 0 already (it can read and write all of the kernel, and any
 * branch-predictor or buffer state it meets was made since the last entry
 * from ring 3, which applied them): register clearing, IBRS_ENTER/EXIT,
 * UNTRAIN_RET and entry IBPB, CLEAR_BRANCH_HISTORY, kernel stack offset
 * randomisation, array_index_nospec() on the number, STACKLEAK erasing,
 * CLEAR_CPU_BUFFERS (VERW), the CR3 switch (KML tasks run on the kernel
 * page tables), SYSRET/IRET.  Kept: SWAPGS, the kernel stack, a whole
 * pt_regs, retpolines on the dispatch (other tasks could have trained the
 * indirect branch), and all of the entry/exit work whenever a flag says so.
 */

/*
 * The shared body.  \direct: entered from kml_direct_entry (whose return
 * need not restore the argument registers or the arithmetic flags, see
 * elfnote/kml_syscall.h) rather than from SYSCALL.
 *
 * Assumes: CPL 0, interrupts off, TF/DF/AC/NT clear (SYSCALL's mask),
 * the task's GS and RSP, the kernel CR3 (a KML task never runs on its user
 * page tables, see kml.c); RCX = return address, R11 = the task's EFLAGS,
 * RAX = the number, RDI RSI RDX R10 R8 R9 = the arguments.
 */
/*
 * instrumentation_begin()/_end() (linux/instrumentation.h) for assembly:
 * on kernels that validate noinstr code (CONFIG_NOINSTR_VALIDATION) a NOP
 * that objtool counts as the start or the end of a region of entry code
 * from which calls into instrumentable code are allowed; nothing otherwise.
 */
.macro KML_INSTR_BEGIN
#ifdef CONFIG_NOINSTR_VALIDATION
.L_kml_instr_begin_\@ :
	nop
	.pushsection .discard.instr_begin
	.long	.L_kml_instr_begin_\@ - .
	.popsection
#endif
.endm

.macro KML_INSTR_END
#ifdef CONFIG_NOINSTR_VALIDATION
.L_kml_instr_end_\@ :
	nop
	.pushsection .discard.instr_end
	.long	.L_kml_instr_end_\@ - .
	.popsection
#endif
.endm

.macro KML_SYSCALL_BODY direct
	swapgs
	/* tss.sp2 is scratch space, as in entry_SYSCALL_64 */
	movq	%rsp, PER_CPU_VAR(cpu_tss_rw + TSS_sp2)
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rsp

	/* The same pt_regs as entry_SYSCALL_64's, not cleared. */
	pushq	$__USER_DS				/* pt_regs->ss */
	pushq	PER_CPU_VAR(cpu_tss_rw + TSS_sp2)	/* pt_regs->sp */
	pushq	%r11					/* pt_regs->flags */
	pushq	$__USER_CS				/* pt_regs->cs */
	pushq	%rcx					/* pt_regs->ip */
	pushq	%rax					/* pt_regs->orig_ax */
	PUSH_REGS rax=$-ENOSYS
	/* Leaves: pt_regs at RSP, whole; every register still the task's. */

	/*
	 * The task's EFLAGS must be what the fast return rebuilds: IF on,
	 * TF off (a single step goes through the full path, as with
	 * SYSRET); for the direct call also NT, DF and AC off, which its
	 * return does not restore.  R11 is saved, free from here.
	 */
	xorl	$KML_FAST_FLAGS, %r11d
	.if \direct
	testl	$KML_FAST_FLAGS_MASK_DIRECT, %r11d
	.else
	testl	$KML_FAST_FLAGS_MASK, %r11d
	.endif
	jnz	.Lkml_slow_flags_\@

	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %r11
	incq	TASK_kml_syscalls(%r11)
	testq	$KML_ASM_SLOW_SYSCALL_WORK, TASK_syscall_work(%r11)
	jnz	.Lkml_slow_entry_\@
	/* Out of range (also -1, the x32 bit, upper bits set): full path. */
	cmpq	$KML_NR_syscalls, %rax
	jae	.Lkml_slow_entry_\@

#ifdef KML_FAST_HOOKS
	/* This config tracks context or IRQ state: kml.c does the entry half. */
	movq	%rsp, %rdi
	call	kml_fast_enter
	movq	ORIG_RAX(%rsp), %rax
#else
	sti
#endif
	movq	kml_syscall_table(, %rax, 8), %r11
	movq	%rsp, %rdi
	/*
	 * Assumes: interrupts on, pt_regs at RDI (the handler reads its
	 * arguments there, as from x64_sys_call()).
	 * Leaves: RAX the result; RBX RBP R12-R15 the task's (callee-saved);
	 * pt_regs as pushed, but for the few system calls that rewrite them,
	 * whose kml_syscall_table entries set TIF_KML_FULLEXIT.
	 * The handler is ordinary, instrumentable kernel code, called where
	 * do_syscall_64() has its instrumentation_begin().
	 */
	KML_INSTR_BEGIN
	CALL_NOSPEC r11
	KML_INSTR_END

#ifdef KML_FAST_HOOKS
	movq	%rax, RAX(%rsp)
	movq	%rsp, %rdi
	call	kml_fast_exit		/* returns with interrupts off */
	testb	%al, %al
	jz	.Lkml_slow_exit_stored_\@
	movq	RAX(%rsp), %rax
#else
	/* Any exit work pending, with interrupts off so none comes later? */
	cli
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %r11
	testq	$KML_ASM_SLOW_EXIT_WORK, TASK_flags(%r11)
	jnz	.Lkml_slow_exit_\@
#endif

	/*
	 * The fast return.  Assumes: interrupts off, kernel GS, pt_regs at
	 * RSP as the entry pushed them, RAX the result.
	 */
	.if \direct
	/*
	 * Leaves: RCX = return address, R11 and the argument registers
	 * clobbered (elfnote/kml_syscall.h), IF on (the entry saw it on,
	 * and the other flags it tested off), the task's RSP and GS; RBX
	 * RBP R12-R15 were never touched.
	 */
	movq	RIP(%rsp), %rcx
	UNWIND_HINT_END_OF_STACK
	movq	RSP(%rsp), %rsp
	swapgs
	.else
	/*
	 * Leaves: every register as SYSRET would (RCX = RIP, R11 =
	 * EFLAGS), EFLAGS the task's (IF held off until the sti below),
	 * the task's RSP and GS.
	 */
	movq	RDI(%rsp), %rdi
	movq	RSI(%rsp), %rsi
	movq	RDX(%rsp), %rdx
	movq	R10(%rsp), %r10
	movq	R8(%rsp), %r8
	movq	R9(%rsp), %r9
	movq	RCX(%rsp), %rcx
	movq	R11(%rsp), %r11
	addq	$EFLAGS, %rsp
	UNWIND_HINT_END_OF_STACK
	btrq	$X86_EFLAGS_IF_BIT, (%rsp)
	popfq
	popq	%rsp
	swapgs
	.endif
	/*
	 * "sti" holds interrupts off for one more instruction: no interrupt
	 * sees the kernel RIP of the JMP with the task's RSP and GS.  An NMI
	 * may (the IST prologues move it past the JMP: RCX is the target).
	 */
	sti
	.if \direct
SYM_INNER_LABEL(kml_direct_return_jmp, SYM_L_GLOBAL)
	.else
SYM_INNER_LABEL(kml_fast_return_jmp, SYM_L_GLOBAL)
	.endif
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx
	int3

.Lkml_slow_flags_\@:
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %r11
	incq	TASK_kml_syscalls(%r11)
	movl	$1, %edx		/* why: its EFLAGS */
	jmp	.Lkml_slow_\@
.Lkml_slow_entry_\@:
	xorl	%edx, %edx		/* why: work or number (C tells) */
.Lkml_slow_\@:
	/*
	 * The full path: everything entry_SYSCALL_64 would do after its
	 * mitigations (kml_syscall_entry_slow() is do_syscall_64() and a
	 * tracepoint).  Assumes: interrupts off, pt_regs at RSP, R11 =
	 * current.  Returns whether SYSRET would be fine.
	 */
	incq	TASK_kml_slow_syscalls(%r11)
	UNWIND_HINT_REGS
	movq	%rsp, %rdi
	movslq	%eax, %rsi
	call	kml_syscall_entry_slow
	jmp	.Lkml_full_return_\@

#ifndef KML_FAST_HOOKS
.Lkml_slow_exit_\@:
	movq	%rax, RAX(%rsp)
#endif
.Lkml_slow_exit_stored_\@:
	/* Exit work pending: the generic exit.  Interrupts off. */
	movq	%rsp, %rdi
	call	kml_syscall_exit_slow

.Lkml_full_return_\@:
	/*
	 * AL: SYSRET's conditions hold.  The task may have exec'd a program
	 * that is not stamped (kml_cpu_active is then clear): the IRET exit
	 * decides between ring 3 and 0 itself.
	 */
	testb	%al, %al
	jz	swapgs_restore_regs_and_return_to_usermode
	testb	$1, PER_CPU_VAR(kml_cpu_active)
	jz	swapgs_restore_regs_and_return_to_usermode
	jmp	kml_syscall_return
.endm

/*
 * entry_SYSCALL_64_kml - MSR_LSTAR while a KML task is current.
 */
SYM_CODE_START(entry_SYSCALL_64_kml)
	UNWIND_HINT_ENTRY
	ENDBR
	/*
	 * No UNTRAIN_RET: only CPL 0 code has run since the last entry from
	 * ring 3, which untrained (kernel/README.md, "What is skipped").  This
	 * tells objtool's entry validation so (a NOP on kernels that validate).
	 */
	VALIDATE_UNRET_END
	KML_SYSCALL_BODY direct=0
SYM_CODE_END(entry_SYSCALL_64_kml)

/*
 * kml_direct_entry - the direct-call system call entry of KML tasks, whose
 * address they find in AT_SYSINFO (asm/elf.h).  Instead of "syscall", KML
 * code may "call" it: RAX the number, RDI RSI RDX R10 R8 R9 the arguments,
 * the result in RAX; RCX, R11, the argument registers and the arithmetic
 * flags may be clobbered, as by a function call.  The call must be a
 * two-byte "call *%rbx" (or *%rbp): a restarted system call backs RIP up
 * by two bytes, the length of "syscall", and finds the call again with RBX
 * unchanged.  The caller must step over its red zone first (the call
 * pushes into it); see elfnote/kml_syscall.h.
 *
 * Assumes: CPL 0 (KML code), the task's GS, stack (the return address on
 * top), EFLAGS and CR3.
 * Does what the SYSCALL instruction would - RCX = return address, R11 =
 * EFLAGS, IF/TF/DF/AC/NT cleared - and goes on like entry_SYSCALL_64_kml,
 * so every system call, restart, signal, tracer and seccomp filter behaves
 * exactly as after "syscall".
 *
 * Up to and including the popfq the task's IF and TF are still on: an
 * interrupt there sees CPL 0 with a user RSP and is the task's (the
 * ordinary KML stubs), as is a #DB/NMI/#MC (the IST prologues test the
 * range up to kml_direct_entry_masked).  A single step there is the task
 * stepping into its system call: traps.c resumes it silently, and the step
 * is reported when the call returns, as for SYSCALL (which masks TF
 * itself); the saved EFLAGS keep TF, which sends the call down the full
 * path.
 */
SYM_CODE_START(kml_direct_entry)
	UNWIND_HINT_END_OF_STACK
	ENDBR
	popq	%rcx			/* the return address */
	pushfq
	popq	%r11			/* the task's EFLAGS */
	pushq	$X86_EFLAGS_FIXED	/* SYSCALL's mask: IF TF DF AC NT off */
	popfq
SYM_INNER_LABEL(kml_direct_entry_masked, SYM_L_GLOBAL)
	KML_SYSCALL_BODY direct=1
SYM_CODE_END(kml_direct_entry)

/*
 * The return from a system call to a KML task when SYSRET's conditions
 * hold (do_syscall_64(), kml_syscall_exit_slow(): RCX == RIP, R11 ==
 * EFLAGS, user selectors, a lower-half RIP, no TF/RF); the task's IF must
 * be on too (the path ends in "sti; jmp"), else it takes the IRET exit.
 *
 * Assumes: pt_regs of the task at RSP, interrupts off, kernel GS and CR3.
 * Leaves: every register the task's, EFLAGS the task's, RSP the task's,
 * user GS, the kernel CR3 (a KML task runs on its kernel page tables, see
 * kml.c), interrupts on from the JMP.
 *
 * Skipped compared with SYSRET, for the reasons above: STACKLEAK erasing,
 * CLEAR_CPU_BUFFERS (VERW), IBRS_EXIT (a KML task runs with the kernel's
 * SPEC_CTRL), the trampoline stack and the user CR3.
 */
SYM_CODE_START(kml_syscall_return)
	UNWIND_HINT_REGS
	ANNOTATE_NOENDBR
	testl	$X86_EFLAGS_IF, EFLAGS(%rsp)
	jz	swapgs_restore_regs_and_return_to_usermode
	POP_REGS pop_rdi=0
	UNWIND_HINT_END_OF_STACK

	/*
	 * The stack is now user RDI, orig_ax, RIP, CS, EFLAGS, RSP, SS, and
	 * RCX = RIP.  The task's EFLAGS with IF off until the sti below.
	 */
	btrq	$X86_EFLAGS_IF_BIT, 4*8(%rsp)
	popq	%rdi
	addq	$3*8, %rsp		/* orig_ax, RIP (in RCX), CS */
	popfq
	popq	%rsp
	swapgs
	/*
	 * "sti" holds interrupts off for one more instruction (the STI
	 * shadow), so no interrupt sees the kernel RIP of the JMP with the
	 * user's RSP and GS; an NMI may, and the IST prologues above move it
	 * past the JMP.
	 */
	sti
SYM_INNER_LABEL(kml_syscall_return_jmp, SYM_L_GLOBAL)
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx
	int3

SYM_CODE_END(kml_syscall_return)
