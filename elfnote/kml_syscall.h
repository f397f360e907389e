/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kml_syscall.h - the KML direct system call entry, for stamped programs.
 *
 * A program running in ring 0 on a KML kernel finds in its auxiliary
 * vector (AT_SYSINFO, 32) the address of kml_direct_entry, a kernel entry
 * point it may *call* instead of executing "syscall".  Everything else is
 * the same: the numbers, the arguments, the result, signals, restarts,
 * ptrace, seccomp.  This header wraps it:
 *
 *   #include "kml_syscall.h"
 *   long pid = kml_syscall0(SYS_getppid);
 *   long n = kml_syscall3(SYS_write, 1, (long)"hi\n", 3);
 *
 * When the entry is not there - an unstamped copy, a program demoted to
 * ring 3 by the policy, a kernel without KML - the same calls execute
 * "syscall" instead; kml_direct_available() says which one is used.
 *
 * The calling sequence matters, and is why this is inline assembly:
 *  - the call pushes its return address below RSP, where the compiler may
 *    keep data (the 128-byte red zone of a leaf function): step over it;
 *  - the call must be the two-byte "call *%rbx": a system call that is
 *    restarted after a signal resumes two bytes before the return address
 *    (the length of "syscall"), which must be this call, and RBX still
 *    holds the entry;
 *  - like a function call (and unlike "syscall"), the entry may clobber
 *    RCX, R11, the argument registers RDI RSI RDX R10 R8 R9 and the
 *    arithmetic flags: its fast return does not restore what the C
 *    calling convention lets a callee change.  RBX, RBP, R12-R15 and RSP
 *    are kept.  The asm below says so to the compiler.
 *
 * Header-only, no dependencies beyond <sys/auxv.h>; C99 or later, GCC or
 * Clang, x86-64.
 */
#ifndef KML_SYSCALL_H
#define KML_SYSCALL_H

#include <sys/auxv.h>

#define KML_AT_SYSINFO	32

/* The entry's address, or 0.  Looked up once per translation unit. */
static inline unsigned long kml_direct_entry(void)
{
	static unsigned long entry = 1;	/* 1: not looked up yet */

	if (entry == 1)
		entry = getauxval(KML_AT_SYSINFO);
	return entry;
}

static inline int kml_direct_available(void)
{
	return kml_direct_entry() != 0;
}

static inline long kml_syscall6(long nr, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	/*
	 * First the look-up: it may call getauxval(), which is free to
	 * clobber R10, R8 and R9, so the register variables below must be
	 * set after it (GCC keeps them in their registers only from the
	 * assignment to the asm, not across a call).
	 */
	unsigned long entry = kml_direct_entry();
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret = nr;

	if (entry) {
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
				 "call *%%rbx\n\t"
				 "lea 128(%%rsp), %%rsp"
				 : "+a"(ret), "+D"(a1), "+S"(a2), "+d"(a3),
				   "+r"(r10), "+r"(r8), "+r"(r9)
				 : "b"(entry)
				 : "rcx", "r11", "memory", "cc");
	} else {
		__asm__ volatile("syscall"
				 : "+a"(ret), "+D"(a1), "+S"(a2), "+d"(a3),
				   "+r"(r10), "+r"(r8), "+r"(r9)
				 :
				 : "rcx", "r11", "memory", "cc");
	}
	return ret;	/* -errno on failure, as the raw system call */
}

#define kml_syscall0(n)			kml_syscall6(n, 0, 0, 0, 0, 0, 0)
#define kml_syscall1(n, a)		kml_syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define kml_syscall2(n, a, b)		kml_syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define kml_syscall3(n, a, b, c)	kml_syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define kml_syscall4(n, a, b, c, d)	kml_syscall6(n, (long)(a), (long)(b), (long)(c), \
						     (long)(d), 0, 0)
#define kml_syscall5(n, a, b, c, d, e)	kml_syscall6(n, (long)(a), (long)(b), (long)(c), \
						     (long)(d), (long)(e), 0)

#endif /* KML_SYSCALL_H */
