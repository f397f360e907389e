// SPDX-License-Identifier: GPL-2.0
/*
 * kml_boundary_test - what a ring-0 process sees at the edges of the
 * ordinary user ABI: flags it may set, frames sigreturn may load, software
 * interrupts it may raise.  Built once; run stamped (ring 0) and unstamped
 * (ring 3, the control).  Every test expects what ring 3 gets, unless it
 * says otherwise (SECURITY.md, "What a ring-0 program can still do").
 * The kernel console must stay clean (check.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <asm/ldt.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kml_status.h"

#define X86_EFLAGS_TF	0x100UL
#define X86_EFLAGS_IF	0x200UL
#define X86_EFLAGS_NT	0x4000UL
#define X86_EFLAGS_AC	0x40000UL

/* An unmapped kernel-half address (the hole below the direct map). */
#define KERNEL_HOLE	0xffff800000001000UL

static unsigned long get_flags(void)
{
	unsigned long f;

	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static void set_flags(unsigned long f)
{
	asm volatile("pushq %0; popfq" : : "r"(f) : "memory", "cc");
}

/* Run @fn in a child; its wait status. */
static int in_child(void (*fn)(void))
{
	int st;
	pid_t c = fork();

	if (c == 0) {
		fn();
		_exit(0);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		return -1;
	return st;
}

/* ---- EFLAGS --------------------------------------------------------- */

/*
 * A constructed flags value clears AC, which KML code runs with (SMAP):
 * the next read and write of the task's own memory must still work.
 */
TEST(ac_cleared_then_read_and_write)
{
	volatile unsigned long word = 0x1234, got;
	unsigned long old = get_flags();

	asm volatile("pushq $0x202; popfq\n\t"
		     "movq %1, %0\n\t"
		     : "=r"(got) : "m"(word) : "memory", "cc");
	set_flags(0x202);
	word = 0x5678;
	set_flags(old);
	EXPECT_EQ(0x1234, got);
	EXPECT_EQ(0x5678, word);
}

/* NT and AC set around a system call come back as they were. */
TEST(nt_and_ac_around_syscall)
{
	unsigned long old = get_flags(), mid;

	set_flags(old | X86_EFLAGS_NT);
	syscall(SYS_getppid);
	mid = get_flags();
	set_flags(old);
	EXPECT_TRUE(mid & X86_EFLAGS_NT) TH_LOG("EFLAGS %#lx", mid);

	set_flags(old | X86_EFLAGS_AC);
	syscall(SYS_getppid);
	mid = get_flags();
	set_flags(old);
	EXPECT_TRUE(mid & X86_EFLAGS_AC) TH_LOG("EFLAGS %#lx", mid);
}

static volatile unsigned long traps, kernel_traps;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	traps++;
	if ((long)uc->uc_mcontext.gregs[REG_RIP] < 0)
		kernel_traps++;
	if (traps > 10000)
		uc->uc_mcontext.gregs[REG_EFL] &= ~X86_EFLAGS_TF;
}

/* TF set around a system call: SIGTRAPs at the program's own addresses. */
TEST(tf_around_syscall)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	long r;

	ASSERT_EQ(0, sigaction(SIGTRAP, &sa, NULL));
	traps = kernel_traps = 0;
	set_flags(get_flags() | X86_EFLAGS_TF);
	r = syscall(SYS_getppid);
	set_flags(get_flags() & ~X86_EFLAGS_TF);
	EXPECT_EQ(getppid(), r);
	EXPECT_LT(0, traps);
	EXPECT_EQ(0, kernel_traps);
}

/* ---- frames that sigreturn loads ---------------------------------------- */

static unsigned long want_rip, want_rsp;

static void set_frame(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	uc->uc_mcontext.gregs[REG_RIP] = want_rip;
	if (want_rsp)
		uc->uc_mcontext.gregs[REG_RSP] = want_rsp;
}

static void sigreturn_to(void)
{
	struct sigaction sa = { .sa_sigaction = set_frame, .sa_flags = SA_SIGINFO };

	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	_exit(0);	/* not reached */
}

/* RIP and RSP in the kernel half: SIGSEGV, not a CPU stuck in the kernel. */
TEST(sigreturn_kernel_half_rip_and_rsp)
{
	int st;

	want_rip = KERNEL_HOLE;
	want_rsp = KERNEL_HOLE + 0x100;
	st = in_child(sigreturn_to);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) TH_LOG("status %#x", st);
}

/* A kernel-half RIP with an ordinary stack: SIGSEGV as well. */
TEST(sigreturn_kernel_half_rip)
{
	int st;

	want_rip = 0xffffffff81000000UL;
	want_rsp = 0;
	st = in_child(sigreturn_to);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) TH_LOG("status %#x", st);
}

/* A kernel-half RSP with an ordinary RIP: SIGSEGV at the first push. */
static void push_on_rsp(void)
{
	for (;;)
		asm volatile("pushq $0; popq %%rax" ::: "rax", "memory");
}

TEST(sigreturn_kernel_half_rsp)
{
	int st;

	want_rip = (unsigned long)push_on_rsp;
	want_rsp = KERNEL_HOLE;
	st = in_child(sigreturn_to);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) TH_LOG("status %#x", st);
}

/* A jump to an unmapped kernel address after loading a kernel-half RSP. */
static void jump_to_kernel(void)
{
	asm volatile("movq %0, %%rsp\n\t"
		     "jmp *%0" : : "r"(KERNEL_HOLE));
}

TEST(jump_to_kernel_half_with_kernel_rsp)
{
	int st = in_child(jump_to_kernel);

	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) TH_LOG("status %#x", st);
}

/*
 * Segment selectors in a sigreturn frame.  A ring-0 process reads the
 * kernel's from %cs and %ss (0x10, 0x18); put back by sigreturn they name
 * its own segments.  With a stack pointer it cannot run on at CPL 0 (not
 * canonical) it returns in ring 3: there those must be the user segments,
 * and the int3 it then executes must be the SIGTRAP ring 3 gets.
 */
asm(".pushsection .text\n"
    ".balign 16\n"
    "kml_ss_int3:\n\t"
    "movl %ss, %ecx\n\t"
    "int3\n"
    ".popsection");
extern char kml_ss_int3[];

static unsigned short frame_cs, frame_ss;
static gregset_t saved_gregs;
static volatile long trap_sig, trap_cs, trap_ss, trap_cx, trap_no, trap_err;

static void *csgsfs(ucontext_t *uc)
{
	return &uc->uc_mcontext.gregs[REG_CSGSFS];
}

static void load_selectors(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned short *sel = csgsfs(uc);

	memcpy(saved_gregs, uc->uc_mcontext.gregs, sizeof(saved_gregs));
	sel[0] = frame_cs;
	sel[3] = frame_ss;
	uc->uc_mcontext.gregs[REG_RIP] = (unsigned long)kml_ss_int3;
	uc->uc_mcontext.gregs[REG_RSP] = 0x8badf00d5aadc0deUL;
}

static void back_from_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned short *sel = csgsfs(uc);

	trap_sig = sig;
	trap_cs = sel[0];
	trap_ss = sel[3];
	trap_cx = uc->uc_mcontext.gregs[REG_RCX];
	trap_no = uc->uc_mcontext.gregs[REG_TRAPNO];
	trap_err = uc->uc_mcontext.gregs[REG_ERR];
	memcpy(uc->uc_mcontext.gregs, saved_gregs, sizeof(saved_gregs));
}

/*
 * SIGUSR1's handler LOAD rewrites the frame it returns to; SIGTRAP, SIGSEGV,
 * SIGBUS come back through back_from_trap on the alternate stack.
 */
static void sigreturn_with(struct __test_metadata *_metadata,
			   void (*load)(int, siginfo_t *, void *))
{
	stack_t st = { .ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ };
	struct sigaction sa = { .sa_sigaction = load, .sa_flags = SA_SIGINFO };

	ASSERT_NE(NULL, st.ss_sp);
	ASSERT_EQ(0, sigaltstack(&st, NULL));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sa.sa_sigaction = back_from_trap;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	ASSERT_EQ(0, sigaction(SIGTRAP, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	trap_sig = 0;
	raise(SIGUSR1);
	signal(SIGTRAP, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	st.ss_flags = SS_DISABLE;
	sigaltstack(&st, NULL);
}

TEST(sigreturn_own_selectors_bad_stack)
{
	asm volatile("movw %%cs, %0" : "=r"(frame_cs));
	asm volatile("movw %%ss, %0" : "=r"(frame_ss));
	sigreturn_with(_metadata, load_selectors);
	EXPECT_EQ(SIGTRAP, trap_sig) TH_LOG("cs %#x ss %#x: signal %ld", frame_cs, frame_ss, trap_sig);
	EXPECT_EQ(0x33, trap_cs);
	EXPECT_EQ(0x2b, trap_ss);
	EXPECT_EQ(0x2b, trap_cx & 0xffff);	/* %ss as the int3 trampoline read it */
}

/*
 * A stack segment from the LDT, one that does not exist: the IRET that
 * returns to it leaves from the espfix64 stack and faults there.  Ring 3
 * gets #GP(0) (the kernel's double-fault fixup); so must a ring-0 process
 * - which returns in ring 3 here - and the kernel must not notice more.
 */
TEST(sigreturn_ldt_stack_segment_faults)
{
	struct user_desc desc = {	/* a flat 32-bit data segment, entry 0 */
		.limit = 0xfffff, .seg_32bit = 1, .limit_in_pages = 1,
	};

	ASSERT_EQ(0, syscall(SYS_modify_ldt, 1, &desc, sizeof(desc)));
	frame_cs = 0x33;
	frame_ss = (8 << 3) | 4 | 3;	/* LDT entry 8: past the one there is */
	sigreturn_with(_metadata, load_selectors);
	EXPECT_EQ(SIGSEGV, trap_sig) TH_LOG("signal %ld", trap_sig);
	EXPECT_EQ(13, trap_no);
	EXPECT_EQ(0, trap_err);
}

/*
 * A sigreturn to the 32-bit user code segment (0x23): ring 3 runs the
 * 32-bit code there; so must a ring-0 process (it returns in ring 3 for
 * that frame), not carry on in 64-bit mode at CPL 0.  The code is an
 * int3: SIGTRAP, with CS 0x23 in the frame, in both.
 */
static unsigned long compat_ip;

static void load_compat(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned short *sel = csgsfs(uc);

	memcpy(saved_gregs, uc->uc_mcontext.gregs, sizeof(saved_gregs));
	sel[0] = 0x23;
	sel[3] = 0x2b;
	uc->uc_mcontext.gregs[REG_RIP] = compat_ip;
}

TEST(sigreturn_to_32bit_code_segment)
{
	unsigned char *p = mmap((void *)0x20000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0xcc;			/* int3, the same in 32-bit mode */
	compat_ip = (unsigned long)p;
	sigreturn_with(_metadata, load_compat);
	EXPECT_EQ(SIGTRAP, trap_sig) TH_LOG("signal %ld", trap_sig);
	EXPECT_EQ(3, trap_no);
	EXPECT_EQ(0x23, trap_cs);
	munmap(p, 4096);
}

/* ---- software interrupts ------------------------------------------------ */

static sigjmp_buf jb;
static volatile long seen_trapno, seen_err, seen_rip, seen_sig;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	seen_sig = sig;
	seen_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	seen_err = uc->uc_mcontext.gregs[REG_ERR];
	seen_rip = uc->uc_mcontext.gregs[REG_RIP];
	siglongjmp(jb, 1);
}

/* "int $n" at a known address; the signal it raised. */
#define INT_AT(n)							\
	static void int_##n(unsigned long *at)				\
	{								\
		asm volatile("leaq 1f(%%rip), %%rax\n\t"		\
			     "movq %%rax, (%0)\n\t"			\
			     "1: int $" #n : : "r"(at) : "rax", "memory"); \
	}

INT_AT(7) INT_AT(8) INT_AT(9) INT_AT(10) INT_AT(11) INT_AT(12)
INT_AT(13) INT_AT(14) INT_AT(15) INT_AT(17) INT_AT(18) INT_AT(20)
INT_AT(21) INT_AT(25) INT_AT(31)

struct swint { int n; void (*fn)(unsigned long *at); };

static const struct swint swints[] = {
	{ 7, int_7 }, { 8, int_8 }, { 9, int_9 }, { 10, int_10 }, { 11, int_11 },
	{ 12, int_12 }, { 13, int_13 }, { 14, int_14 }, { 15, int_15 },
	{ 17, int_17 }, { 18, int_18 }, { 20, int_20 }, { 21, int_21 },
	{ 25, int_25 }, { 31, int_31 },
};

/*
 * A software interrupt on a gate of privilege 0: ring 3 takes #GP with
 * error code (vector * 8 + 2) at the int instruction, hence SIGSEGV; a
 * ring-0 process must see exactly that too (not a handler that expects a
 * hardware event, and not a kernel oops).
 */
TEST(software_interrupts_are_gp)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	unsigned long at;
	unsigned int i;

	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	for (i = 0; i < sizeof(swints) / sizeof(swints[0]); i++) {
		seen_sig = 0;
		at = 0;
		if (!sigsetjmp(jb, 1))
			swints[i].fn(&at);
		EXPECT_EQ(SIGSEGV, seen_sig) TH_LOG("int $%d: signal %ld", swints[i].n, seen_sig);
		EXPECT_EQ(13, seen_trapno) TH_LOG("int $%d: trap %ld", swints[i].n, seen_trapno);
		/*
		 * (vector << 3) | 2, as hardware has it; QEMU's TCG says
		 * (vector << 4) | 2 in long mode, which the ring-3 control
		 * sees there.
		 */
		EXPECT_TRUE(seen_err == swints[i].n * 8 + 2 ||
			    (kml_ring() == 3 && seen_err == swints[i].n * 16 + 2))
			TH_LOG("int $%d: error code %#lx", swints[i].n, seen_err);
		EXPECT_EQ(at, seen_rip) TH_LOG("int $%d: RIP %#lx, the int is at %#lx",
					       swints[i].n, seen_rip, at);
	}
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
}

/*
 * A far return to the 32-bit kernel code segment: ring 3 gets SIGSEGV at
 * once; a ring-0 process runs on in 32-bit mode until its next interrupt,
 * after which it runs 64-bit again at the same place.  Either way the task
 * ends (here: a 32-bit endless loop, killed) and the machine is unharmed.
 */
static void lret_to_0x08(void)
{
	/* "jmp ." in 32-bit mode: EB FE, on a page below 4 GiB. */
	unsigned char *p = mmap((void *)0x10000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		_exit(3);
	p[0] = 0xeb;
	p[1] = 0xfe;
	asm volatile("pushq $0x08\n\t"
		     "pushq %0\n\t"
		     "lretq" : : "r"((unsigned long)p) : "memory");
	_exit(4);
}

TEST(far_return_to_kernel32_segment)
{
	int st;
	pid_t c;

	/*
	 * Ring 3 gets #GP from the CPU.  QEMU's TCG instead reads the return
	 * frame with a supervisor access, which SMAP faults and the kernel
	 * oopses on (an emulation bug): the ring-3 control does not try it.
	 */
	if (kml_ring() == 3)
		SKIP(return, "ring 3: the CPU's #GP (not tried: TCG emulates it wrongly)");
	c = fork();
	if (c == 0)
		lret_to_0x08();
	ASSERT_LT(0, c);
	usleep(500000);
	kill(c, SIGKILL);
	ASSERT_EQ(c, waitpid(c, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st)) TH_LOG("status %#x", st);
}

TEST_HARNESS_MAIN
