// SPDX-License-Identifier: GPL-2.0
/*
 * kml_ring0_test - a ring-0 process behaves exactly like an ordinary one.
 *
 *   kml_ring0_test RING [SECONDS] [HARNESS-OPTIONS]
 *   kml_ring0_test stress RING SECONDS PARTNER [HARNESS-OPTIONS]
 *   kml_ring0_test page RING [HARNESS-OPTIONS]
 *                                  (needs swap: touches more than
 *                                   MemAvailable, reads it back)
 *   kml_ring0_test churn | pong | sysspin | coredump  (started by the tests)
 *
 * RING is the privilege level this copy must find itself at: 0 for the
 * stamped copies, 3 for the unstamped control built from the same source.
 * It comes from the command line only, never from what the program sees:
 * a stamped copy that the kernel ran in ring 3 must fail.  Every test runs
 * in both; only the ones about privilege expect a different outcome, and
 * the few that only mean something at CPL 0 (CR3, CR4, EFLAGS.AC, the
 * direct-call entry under single-step) are skipped at RING 3.  SECONDS
 * (default 3) scales the long tests (red zone, stress) and their timeouts.
 * KML_ONLY_SPIN=1 in the environment runs only the ring, spin and red-zone
 * tests (the one-CPU boot).
 *
 * On the kernel's kselftest_harness.h: each test runs in a process of its
 * own under a timeout, the harness prints the TAP and its plan.  The
 * modes are fixture filters (main() below); HARNESS-OPTIONS are the
 * harness's own: -l lists the tests, -T NAME leaves one out, and in the
 * RING [SECONDS] mode -t NAME runs only that one.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/auxv.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kml_status.h"
#include "kml_syscall.h"

/* Set by main() from the command line before the harness runs. */
static int want_ring;
static int seconds = 3;
static const char *partner;		/* stress: the other copy */
static char spin_prog[256];		/* /kml/spin, or its unstamped copy */

/* A fixture that only groups the tests of one concern. */
#define GROUP(name)				\
	FIXTURE(name) {};			\
	FIXTURE_SETUP(name) {}			\
	FIXTURE_TEARDOWN(name) {}

/* Tests meaningful at CPL 0 only: skipped in the ring-3 control. */
#define RING0_ONLY() do {						\
	if (want_ring != 0)						\
		SKIP(return, "ring 0 only (RING is %d)", want_ring);	\
} while (0)

/*
 * For main(), by the names the harness gives its objects, so that a
 * renamed fixture or test is a compile error rather than a filter that
 * silently matches nothing: the harness options that pick one test
 * (ONLY), that pick ("-f") or drop ("-F") a whole fixture (FIXTURE_OPT),
 * and the timeout of a test whose length comes from SECONDS.
 */
#define ONLY(fixture, test) do {					\
	(void)_##fixture##_##test##_object;				\
	hargv[hargc++] = "-r";						\
	hargv[hargc++] = #fixture "." #test;				\
} while (0)
#define FIXTURE_OPT(opt, fixture) do {					\
	(void)&_##fixture##_fixture_object;				\
	hargv[hargc++] = opt;						\
	hargv[hargc++] = #fixture;					\
} while (0)
#define SET_TIMEOUT(fixture, test, secs) \
	(_##fixture##_##test##_object->timeout = (secs))

/* Run fn in a child; return its wait status. */
static int in_child(void (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static const char *describe(int st)
{
	static char buf[64];

	if (st == -1)
		return "fork/wait failed";
	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(st));
	else
		snprintf(buf, sizeof(buf), "status %#x", st);
	return buf;
}

static int exited(int st, int code)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static int killed_by(int st, int sig)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int online_cpus(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	return ncpu > 8 ? 8 : ncpu;
}

/* ---- 1. privilege ---------------------------------------------------- */

/*
 * The privileged instructions are executed on purpose (the program is
 * stamped with --allow-privileged), each in a function of its own:
 * selftests/host/test-kml-scan.sh expects exactly these, by name.
 */
static __attribute__((noinline)) void read_cr0(void)
{
	unsigned long cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	_exit((cr0 & 1) ? 42 : 1);	/* PE is set in any protected mode */
}

static __attribute__((noinline)) void cli_sti(void)
{
	__asm__ volatile("cli; nop; sti" ::: "memory");
	_exit(42);
}

static __attribute__((noinline)) unsigned long read_cr3(void)
{
	unsigned long cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return cr3;
}

static __attribute__((noinline)) unsigned long read_cr4(void)
{
	unsigned long cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return cr4;
}

GROUP(privilege)

TEST_F(privilege, cs_ring)
{
	EXPECT_EQ(want_ring, kml_ring())
		TH_LOG("ring: %%cs says ring %d (want %d)", kml_ring(), want_ring);
}

TEST_F(privilege, proc_status_kml)
{
	EXPECT_EQ(want_ring == 0, kml_status())
		TH_LOG("ring: /proc/self/status Kml: %d", kml_status());
}

TEST_F(privilege, mov_cr0)
{
	int st = in_child(read_cr0);

	if (want_ring == 0) {
		EXPECT_TRUE(exited(st, 42))
			TH_LOG("privileged: mov %%cr0 works in ring 0 (%s)", describe(st));
	} else {
		EXPECT_TRUE(killed_by(st, SIGSEGV))
			TH_LOG("privileged: mov %%cr0 gets SIGSEGV in ring 3 (%s)", describe(st));
	}
}

TEST_F(privilege, cli_sti)
{
	int st = in_child(cli_sti);

	if (want_ring == 0) {
		EXPECT_TRUE(exited(st, 42))
			TH_LOG("privileged: cli; sti works in ring 0 (%s)", describe(st));
	} else {
		EXPECT_TRUE(killed_by(st, SIGSEGV))
			TH_LOG("privileged: cli gets SIGSEGV in ring 3 (%s)", describe(st));
	}
}

/*
 * Restrictions that only exist above CPL 0 are refused in ring 0 rather
 * than silently not applied: PR_SET_TSC (CR4.TSD) and CPUID faulting.
 */
GROUP(prctl)

TEST_F(prctl, set_tsc_sigsegv)
{
	int r, e;

	errno = 0;
	r = prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
	e = errno;
	if (r == 0)
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	EXPECT_TRUE(want_ring == 0 ? r == -1 && e == EINVAL : r == 0)
		TH_LOG("prctl: PR_SET_TSC(PR_TSC_SIGSEGV) %s in ring %d (%s)",
		       want_ring ? "works" : "is refused with EINVAL", want_ring,
		       r ? strerror(e) : "ok");
}

TEST_F(prctl, arch_set_cpuid_0)
{
	int r, e;

	errno = 0;
	r = syscall(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 0);
	e = errno;
	if (r == 0)
		syscall(SYS_arch_prctl, 0x1012, 1);
	EXPECT_TRUE(want_ring == 0 ? r == -1 && e == ENODEV : r == 0 || e == ENODEV)
		TH_LOG("prctl: ARCH_SET_CPUID(0) %s in ring %d (%s)",
		       want_ring ? "works where the CPU can fault CPUID" :
		       "is refused with ENODEV", want_ring, r ? strerror(e) : "ok");
}

/* ---- 2. faults become signals ------------------------------------------ */

static void null_write(void)
{
	*(volatile int *)0 = 1;
	_exit(0);
}

GROUP(segv)

/* *(int *)0 = 1 kills with SIGSEGV */
TEST_F_SIGNAL(segv, null_write, SIGSEGV)
{
	null_write();
}

/* An unmapped kernel-half address: a ring-0 load faults too. */
TEST_F_SIGNAL(segv, kernel_half_load, SIGSEGV)
{
	(void)*(volatile long *)0xffff8ff000000000UL;
}

/* A call to address 0x10 kills with SIGSEGV. */
TEST_F_SIGNAL(segv, wild_call, SIGSEGV)
{
	((void (*)(void))0x10)();
}

static sigjmp_buf jb;
static volatile sig_atomic_t got_sig;
static volatile void *got_addr;

static void catcher(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static char altstack[65536];

static int catch(int sig, void (*fn)(void))
{
	struct sigaction sa = { .sa_sigaction = catcher,
				.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER };
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		fn();
	ret = got_sig;
	signal(sig, SIG_DFL);
	return ret;
}

static void do_ud2(void) { __asm__ volatile("ud2"); }
static void do_int3(void) { __asm__ volatile("int3"); }
/* In asm: the compiler may turn a C division by zero into anything. */
static void do_div0(void)
{
	__asm__ volatile("xor %%ecx, %%ecx; mov $1, %%eax; cltd; idivl %%ecx"
			 ::: "eax", "ecx", "edx");
}

static char busfile[] = "/tmp/kml-sigbus-XXXXXX";
static void do_sigbus(void)
{
	int fd = mkstemp(busfile);
	char *p;

	unlink(busfile);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		p[4096] = 1;	/* past the end of an empty file */
}

static int depth_sink;
static int depth_limit = 1 << 30;	/* never reached: the stack ends first */
static void do_recurse(int n)
{
	volatile char pad[4096];

	pad[0] = (char)n;
	depth_sink += pad[0];
	if (n < depth_limit)
		do_recurse(n + 1);
	pad[1] = 0;
}

static void do_overflow(void)
{
	struct rlimit rl = { 8 << 20, 8 << 20 };

	setrlimit(RLIMIT_STACK, &rl);
	do_recurse(0);
}

/* Every exception test runs with the alternate signal stack installed. */
FIXTURE(exception) {
	int altstack_ret, altstack_errno;
};

FIXTURE_SETUP(exception)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	self->altstack_ret = sigaltstack(&ss, NULL);
	self->altstack_errno = errno;
}

FIXTURE_TEARDOWN(exception) {}

TEST_F(exception, sigaltstack_installed)
{
	EXPECT_EQ(0, self->altstack_ret)
		TH_LOG("sigaltstack: %s", strerror(self->altstack_errno));
}

TEST_F(exception, ud2_sigill)
{
	EXPECT_EQ(SIGILL, catch(SIGILL, do_ud2))
		TH_LOG("exception: ud2 -> SIGILL, handler longjmps out");
}

TEST_F(exception, divide_by_zero_sigfpe)
{
	EXPECT_EQ(SIGFPE, catch(SIGFPE, do_div0))
		TH_LOG("exception: divide by zero -> SIGFPE");
}

TEST_F(exception, int3_sigtrap)
{
	EXPECT_EQ(SIGTRAP, catch(SIGTRAP, do_int3))
		TH_LOG("exception: int3 -> SIGTRAP");
}

TEST_F(exception, past_eof_sigbus)
{
	EXPECT_EQ(SIGBUS, catch(SIGBUS, do_sigbus))
		TH_LOG("exception: access past EOF of a mapping -> SIGBUS");
}

TEST_F(exception, stack_overflow_on_altstack)
{
	EXPECT_EQ(SIGSEGV, catch(SIGSEGV, do_overflow))
		TH_LOG("exception: stack overflow -> SIGSEGV on the alternate stack");
}

/* The five handlers above, one after the other, then the ring. */
TEST_F(exception, same_ring_after_five_handlers)
{
	catch(SIGILL, do_ud2);
	catch(SIGFPE, do_div0);
	catch(SIGTRAP, do_int3);
	catch(SIGBUS, do_sigbus);
	catch(SIGSEGV, do_overflow);
	EXPECT_EQ(want_ring, kml_ring())
		TH_LOG("exception: still in ring %d after five handlers", want_ring);
}

/* ---- 3. system calls ------------------------------------------------- */

static __thread int tls_value = 7;
static int futex_word;

static void *thread_fn(void *arg)
{
	long n = (long)arg;

	tls_value = (int)n;		/* TLS through FS: each thread its own */
	__atomic_store_n(&futex_word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	return (void *)(long)(tls_value * 10 + kml_ring());
}

static void *exit_group_fn(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 7);
	return NULL;
}

static void threads_exit_group(void)
{
	pthread_t t;

	pthread_create(&t, NULL, exit_group_fn, NULL);
	pause();
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { handled = sig; }
static void on_alarm(int sig) { handled = sig; }

GROUP(syscall)

TEST_F(syscall, fork_same_ring)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(kml_ring() == want_ring ? 3 : 4);
	EXPECT_TRUE(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 3))
		TH_LOG("fork: child runs in the same ring, wait reaps it (%s)", describe(st));
}

TEST_F(syscall, vfork)
{
	int st = -1;
	pid_t pid = vfork();

	if (pid == 0)
		_exit(5);
	EXPECT_TRUE(pid > 0 && waitpid(pid, &st, 0) == pid && exited(st, 5))
		TH_LOG("vfork (%s)", describe(st));
}

TEST_F(syscall, pipe_to_child)
{
	char buf[16] = "";
	int p[2], ok;
	pid_t pid;

	ok = pipe(p) == 0;
	pid = fork();
	if (pid == 0) {
		write(p[1], "ring0-pipe", 10);
		_exit(0);
	}
	ok = ok && read(p[0], buf, 10) == 10 && !memcmp(buf, "ring0-pipe", 10);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	EXPECT_TRUE(ok) TH_LOG("pipe between parent and child");
}

TEST_F(syscall, clone_thread_tls_futex)
{
	pthread_t t;
	void *ret = NULL;
	int ok;

	futex_word = 0;
	ok = pthread_create(&t, NULL, thread_fn, (void *)5L) == 0;
	while (ok && !__atomic_load_n(&futex_word, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	ok = ok && pthread_join(t, &ret) == 0;
	EXPECT_TRUE(ok && (long)ret == 50 + want_ring && tls_value == 7)
		TH_LOG("clone thread: own TLS (%ld), futex wake, join", (long)ret);
}

TEST_F(syscall, exit_group_from_thread)
{
	int st = in_child(threads_exit_group);

	EXPECT_TRUE(exited(st, 7)) TH_LOG("exit_group from a thread (%s)", describe(st));
}

/* Three pages, filled; the middle one made read-only. */
static char *three_pages(void)
{
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	memset(m, 0x5a, 3 * 4096);
	if (mprotect(m + 4096, 4096, PROT_READ) || m[4096] != 0x5a) {
		munmap(m, 3 * 4096);
		return NULL;
	}
	return m;
}

TEST_F(syscall, mmap_touch_mprotect)
{
	EXPECT_NE(NULL, three_pages()) TH_LOG("mmap + touch + mprotect");
}

/* A write to the now read-only page must fault. */
TEST_F(syscall, mprotect_write_faults_at_address)
{
	struct sigaction sa = { .sa_sigaction = catcher, .sa_flags = SA_SIGINFO };
	char *m = three_pages();

	ASSERT_NE(NULL, m) TH_LOG("mprotect: (no mapping)");
	got_sig = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	if (!sigsetjmp(jb, 1))
		m[4096] = 1;
	signal(SIGSEGV, SIG_DFL);
	EXPECT_TRUE(got_sig == SIGSEGV && got_addr == m + 4096)
		TH_LOG("mprotect: write to a read-only page -> SIGSEGV at that address (signal %d at %p, page %p)",
		       (int)got_sig, got_addr, m + 4096);
}

TEST_F(syscall, munmap)
{
	char *m = three_pages();

	ASSERT_NE(NULL, m) TH_LOG("munmap: (no mapping)");
	EXPECT_EQ(0, munmap(m, 3 * 4096)) TH_LOG("munmap");
}

TEST_F(syscall, signal_handler_sigreturn)
{
	signal(SIGUSR1, on_usr1);
	handled = 0;
	raise(SIGUSR1);
	EXPECT_TRUE(handled == SIGUSR1 && kml_ring() == want_ring)
		TH_LOG("signal handler runs and sigreturn comes back in ring %d", want_ring);
}

TEST_F(syscall, setitimer_interrupts_busy_loop)
{
	struct itimerval it = { .it_value = { 0, 50000 } };

	signal(SIGALRM, on_alarm);
	handled = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	while (!handled)
		;	/* spin in user code until the timer signal */
	EXPECT_EQ(SIGALRM, handled) TH_LOG("setitimer: SIGALRM interrupts a busy loop");
}

TEST_F(syscall, proc_self_maps_stack)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int ok = 0;

	if (f) {
		char line[512];

		while (fgets(line, sizeof(line), f))
			if (strstr(line, "[stack]"))
				ok = 1;
		fclose(f);
	}
	EXPECT_TRUE(ok) TH_LOG("/proc/self/maps lists [stack]");
}

/* ---- 4. the direct-call entry (AT_SYSINFO, elfnote/kml_syscall.h) ----- */

static volatile sig_atomic_t direct_sigs;

static void direct_handler(int sig)
{
	(void)sig;
	direct_sigs++;
}

/* A direct nanosleep that SIGSTOP/SIGCONT interrupt: restart_syscall. */
static void direct_sleeper(void)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	raise(SIGSTOP);		/* the parent is ready */
	_exit(kml_syscall2(SYS_nanosleep, &ts, NULL) == 0 &&
	      kml_ring() == want_ring ? 0 : 1);
}

GROUP(direct)

TEST_F(direct, at_sysinfo)
{
	unsigned long entry = getauxval(KML_AT_SYSINFO);

	EXPECT_TRUE((entry != 0) == (want_ring == 0) && (!entry || entry >= (1UL << 63)))
		TH_LOG("direct: AT_SYSINFO %s (%#lx)", want_ring ? "absent in ring 3" :
		       "is a kernel address in ring 0", entry);
}

TEST_F(direct, getppid)
{
	long n = kml_syscall0(SYS_getppid);

	EXPECT_EQ(getppid(), n) TH_LOG("direct: getppid %ld == getppid() %d", n, getppid());
}

TEST_F(direct, close_ebadf)
{
	EXPECT_EQ(-EBADF, kml_syscall1(SYS_close, -1)) TH_LOG("direct: close(-1) returns -EBADF");
}

TEST_F(direct, write_to_pipe)
{
	char buf[16] = "";
	int p[2], ok;
	long n;

	ok = !pipe(p);
	n = ok ? kml_syscall3(SYS_write, p[1], "direct", 6) : -1;
	ok = ok && n == 6 && read(p[0], buf, sizeof(buf)) == 6 && !memcmp(buf, "direct", 6);
	EXPECT_TRUE(ok) TH_LOG("direct: write(2) to a pipe, read back (%ld)", n);
}

/* A signal raised by the call itself is delivered on its return. */
TEST_F(direct, kill_self_handler_on_return)
{
	struct sigaction sa = { .sa_handler = direct_handler, .sa_flags = SA_RESTART };
	long n;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	direct_sigs = 0;
	n = kml_syscall2(SYS_kill, getpid(), SIGUSR2);
	EXPECT_TRUE(n == 0 && direct_sigs == 1)
		TH_LOG("direct: kill(self) - handler ran on the return (%d)", (int)direct_sigs);
}

/* SA_RESTART: a blocked direct read, interrupted, is restarted. */
TEST_F(direct, read_restarted_after_sigalrm)
{
	struct sigaction sa = { .sa_handler = direct_handler, .sa_flags = SA_RESTART };
	struct itimerval it = { .it_value = { 0, 50 * 1000 } };
	char buf[4] = "";
	int p[2], st;
	long n;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	direct_sigs = 0;
	pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		_exit(write(p[1], "R", 1) == 1 ? 0 : 1);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	n = kml_syscall3(SYS_read, p[0], buf, 1);
	waitpid(pid, &st, 0);
	EXPECT_TRUE(n == 1 && buf[0] == 'R' && direct_sigs == 1)
		TH_LOG("direct: read interrupted by SIGALRM (SA_RESTART) restarts, gets its byte (n %ld, %d signal)",
		       n, (int)direct_sigs);
	close(p[0]);
	close(p[1]);
}

/* No handler: SIGSTOP/SIGCONT restart a direct nanosleep. */
TEST_F(direct, nanosleep_stopped_continued_restarts)
{
	int st = -1, ok;
	pid_t pid = fork();

	if (pid == 0)
		direct_sleeper();
	ok = waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st);
	kill(pid, SIGCONT);
	usleep(50 * 1000);
	kill(pid, SIGSTOP);
	usleep(20 * 1000);
	kill(pid, SIGCONT);
	ok = ok && waitpid(pid, &st, 0) == pid && exited(st, 0);
	EXPECT_TRUE(ok)
		TH_LOG("direct: nanosleep stopped and continued is restarted, returns 0 (%s)",
		       describe(st));
}

/*
 * Single-step through a direct call: every stop is at an instruction of
 * the program (the entry's own instructions complete with the call, as
 * SYSCALL's do), and it runs to its end.
 */
TEST_F_TIMEOUT(direct, single_step_across_call, 120)
{
	unsigned long entry = getauxval(KML_AT_SYSINFO);
	struct user_regs_struct r;
	int st = -1, ok, steps = 0, seen_entry = 0;
	pid_t pid;

	RING0_ONLY();
	ASSERT_NE(0, entry) TH_LOG("direct: no AT_SYSINFO in ring 0");
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(kml_syscall0(SYS_getppid) == getppid() ? 0 : 1);
	}
	ok = waitpid(pid, &st, 0) == pid && WIFSTOPPED(st);
	while (ok && steps < 200000) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &st, 0) != pid)
			ok = 0;
		else if (!WIFSTOPPED(st))
			break;	/* exited */
		else if (ptrace(PTRACE_GETREGS, pid, NULL, &r))
			ok = 0;
		else if ((long)r.rip < 0)
			seen_entry++;
		steps++;
	}
	ok = ok && exited(st, 0);
	EXPECT_TRUE(ok && !seen_entry)
		TH_LOG("direct: single-stepped across the call, %d steps, %d stops in the kernel half (%s)",
		       steps, seen_entry, describe(st));
	if (!ok && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* ---- 5. bad return state --------------------------------------------- */

/* sigreturn to a non-canonical RIP: the IRET faults; the task, not the
 * kernel, must get the SIGSEGV. */
static void bad_rip_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] = 0x0000800000000000UL;
}

GROUP(iret)

TEST_F_SIGNAL(iret, sigreturn_to_noncanonical_rip, SIGSEGV)
{
	struct sigaction sa = { .sa_sigaction = bad_rip_handler, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
}

/* ---- 6. ptrace ------------------------------------------------------- */

/*
 * Each test: a tracee that stops itself, then is run with PTRACE_SYSCALL
 * to its getppid entry stop (the setup); the tests go on from there.
 */
FIXTURE(ptrace) {
	pid_t pid;
	int ok, stops;
	struct user_regs_struct r;
};

FIXTURE_SETUP(ptrace)
{
	pid_t pid;
	int st;

	memset(&self->r, 0, sizeof(self->r));
	/* self is shared with the child (tear-down in the parent): set in the parent only */
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		syscall(SYS_getppid);
		for (volatile int i = 0; i < 100; i++)
			;
		_exit(kml_ring() == want_ring ? 0 : 1);
	}
	self->pid = pid;
	ASSERT_LT(0, self->pid);
	self->ok = waitpid(self->pid, &st, 0) == self->pid && WIFSTOPPED(st);
	/* PTRACE_SYSCALL until the getppid entry stop. */
	while (self->ok && self->stops < 50) {
		if (ptrace(PTRACE_SYSCALL, self->pid, NULL, NULL) ||
		    waitpid(self->pid, &st, 0) != self->pid || !WIFSTOPPED(st)) {
			self->ok = 0;
			break;
		}
		self->stops++;
		if (ptrace(PTRACE_GETREGS, self->pid, NULL, &self->r)) {
			self->ok = 0;
			break;
		}
		if (self->r.orig_rax == SYS_getppid)
			break;
	}
}

/* In the parent: it runs after a failed ASSERT too (selftests/README.md). */
FIXTURE_TEARDOWN_PARENT(ptrace)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
}

/* Leave the syscall, then single-step 20 instructions; the steps made. */
static int step20(FIXTURE_DATA(ptrace) *self, unsigned long *rip0)
{
	int st, steps = 0;

	if (!self->ok || ptrace(PTRACE_SYSCALL, self->pid, NULL, NULL) ||
	    waitpid(self->pid, &st, 0) != self->pid ||
	    ptrace(PTRACE_GETREGS, self->pid, NULL, &self->r))
		return -1;
	*rip0 = self->r.rip;
	while (steps < 20) {
		if (ptrace(PTRACE_SINGLESTEP, self->pid, NULL, NULL) ||
		    waitpid(self->pid, &st, 0) != self->pid ||
		    !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
		    ptrace(PTRACE_GETREGS, self->pid, NULL, &self->r))
			return -1;
		steps++;
	}
	return steps;
}

TEST_F(ptrace, syscall_stops_at_getppid)
{
	EXPECT_TRUE(self->ok && self->r.orig_rax == SYS_getppid)
		TH_LOG("ptrace: PTRACE_SYSCALL stops at getppid (%d stops, orig_rax %lld)",
		       self->stops, self->r.orig_rax);
}

TEST_F(ptrace, getregs_ordinary_64bit)
{
	EXPECT_TRUE(self->ok && self->r.cs == 0x33 && self->r.ss == 0x2b &&
		    self->r.rip < (1UL << 47))
		TH_LOG("ptrace: GETREGS shows an ordinary 64-bit process (cs %#llx ss %#llx rip %#llx)",
		       self->r.cs, self->r.ss, self->r.rip);
}

TEST_F(ptrace, twenty_single_steps)
{
	unsigned long rip0 = 0;
	int steps = step20(self, &rip0);

	EXPECT_TRUE(steps == 20 && self->r.rip != rip0 && self->r.cs == 0x33)
		TH_LOG("ptrace: 20 single steps, each a SIGTRAP stop, rip moved (%d steps, %#llx)",
		       steps, self->r.rip);
}

TEST_F(ptrace, tracee_continues_exits_normally)
{
	unsigned long rip0;
	int st = -1;

	step20(self, &rip0);
	ptrace(PTRACE_CONT, self->pid, NULL, NULL);
	EXPECT_TRUE(waitpid(self->pid, &st, 0) == self->pid && exited(st, 0))
		TH_LOG("ptrace: tracee continues and exits normally in ring %d (%s)", want_ring,
		       describe(st));
	self->pid = 0;
}

/* ---- 7. core dumps ----------------------------------------------------- */

/*
 * "kml_ring0_test coredump": segfault with no core size limit.  Run by a
 * fresh exec, because a process's dumpability is fixed at exec: a stamped
 * program in ring 0 is dumpable only as fs.suid_dumpable says at exec time.
 */
static void dump_core(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_CORE, &rl);
	null_write();
}

/* Find NT_PRSTATUS in an ELF core file; return its registers or NULL. */
static const struct user_regs_struct *core_regs(const char *buf, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)buf;
	int i;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_type != ET_CORE || eh->e_machine != EM_X86_64 ||
	    eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len)
		return NULL;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(buf + eh->e_phoff) + i;
		size_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

		if (ph->p_type != PT_NOTE || end > len)
			continue;
		while (off + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *nh = (const void *)(buf + off);
			size_t desc = off + sizeof(*nh) + ((nh->n_namesz + 3) & ~3UL);

			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_PRSTATUS &&
			    nh->n_descsz >= sizeof(struct elf_prstatus))
				return (const void *)&((const struct elf_prstatus *)
						       (buf + desc))->pr_reg;
			off = desc + ((nh->n_descsz + 3) & ~3UL);
		}
	}
	return NULL;
}

static int write_proc(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fputs(val, f) < 0) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

/*
 * fs.suid_dumpable and kernel.core_pattern as they were when the harness
 * started (main()): the coredump fixture sets both, its tear-down and an
 * atexit handler put them back, and its set-up repairs what a test killed
 * by its timeout (no tear-down then) left behind.
 */
static char dumpable_at_start[16] = "0\n", pattern_at_start[256];
static pid_t harness_pid;

static void read_proc(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
}

static void coredump_restore(void)
{
	write_proc("/proc/sys/fs/suid_dumpable", dumpable_at_start);
	if (pattern_at_start[0])
		write_proc("/proc/sys/kernel/core_pattern", pattern_at_start);
}

/* atexit: only the harness's own process, not a test's */
static void coredump_restore_at_exit(void)
{
	if (getpid() == harness_pid)
		coredump_restore();
}

static char corebuf[8 << 20];

/*
 * Runs a fresh exec of this program that segfaults; its core file is read
 * into corebuf.  Returns the core's length (-1: none), the wait status in
 * *st.
 */
static ssize_t exec_and_dump(int *st)
{
	char path[64];
	ssize_t len = -1;
	int fd;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/proc/self/exe", "kml_ring0_test", "coredump", (char *)NULL);
		_exit(127);
	}
	*st = -1;
	if (pid > 0)
		waitpid(pid, st, 0);
	snprintf(path, sizeof(path), "/tmp/kml-core.%d", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		len = read(fd, corebuf, sizeof(corebuf));
		close(fd);
		unlink(path);
	}
	return len;
}

/* Cores to /tmp/kml-core.PID, fs.suid_dumpable 0; restored afterwards. */
FIXTURE(coredump) {
};

FIXTURE_SETUP(coredump)
{
	ASSERT_FALSE(write_proc("/proc/sys/kernel/core_pattern", "/tmp/kml-core.%p") ||
		     write_proc("/proc/sys/fs/suid_dumpable", "0"))
		TH_LOG("coredump: cannot set core_pattern and suid_dumpable");
}

/* In the parent: it runs after a failed ASSERT too (selftests/README.md). */
FIXTURE_TEARDOWN_PARENT(coredump)
{
	coredump_restore();
}

/* A ring-0 program is not dumpable (as if set-uid); a ring-3 one is. */
TEST_F_TIMEOUT(coredump, suid_dumpable_0, 120)
{
	int st;
	ssize_t len = exec_and_dump(&st);

	if (want_ring == 0) {
		EXPECT_TRUE(killed_by(st, SIGSEGV) && !WCOREDUMP(st) && len < 0)
			TH_LOG("coredump: at suid_dumpable 0 a ring-0 SIGSEGV leaves no core (%s, core %zd bytes)",
			       describe(st), len);
	} else {
		EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WCOREDUMP(st) && len > 0)
			TH_LOG("coredump: at suid_dumpable 0 a ring-3 SIGSEGV dumps core (%s, %zd bytes)",
			       describe(st), len);
	}
}

/* suid_dumpable 2: dumped, root-owned, to an absolute core_pattern */
TEST_F_TIMEOUT(coredump, suid_dumpable_2, 120)
{
	const struct user_regs_struct *r;
	ssize_t len;
	int st;

	ASSERT_EQ(0, write_proc("/proc/sys/fs/suid_dumpable", "2"));
	len = exec_and_dump(&st);
	r = len > 0 ? core_regs(corebuf, (size_t)len) : NULL;
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WCOREDUMP(st) && r && r->cs == 0x33 &&
		    r->ss == 0x2b && r->rip > 0 && r->rip < (1UL << 47))
		TH_LOG("coredump: at suid_dumpable 2, SIGSEGV dumps a well-formed ELF core, NT_PRSTATUS cs %#llx ss %#llx (%s, %zd bytes)",
		       r ? r->cs : 0ULL, r ? r->ss : 0ULL, describe(st), len);
}

/* ---- 8. FPU under preemption ------------------------------------------ */

/* Fill xmm0-15 (and ymm upper halves with AVX), spin, compare. */
static int fpu_survives(long iters)
{
	unsigned char in[16 * 32] __attribute__((aligned(32)));
	unsigned char out[16 * 32] __attribute__((aligned(32)));
	int avx = __builtin_cpu_supports("avx");
	int i;

	for (i = 0; i < (int)sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + getpid());
	memset(out, 0, sizeof(out));
	if (avx) {
		__asm__ volatile(
#define L(n) "vmovdqa " #n "*32(%[in]), %%ymm" #n "\n"
			L(0) L(1) L(2) L(3) L(4) L(5) L(6) L(7)
			L(8) L(9) L(10) L(11) L(12) L(13) L(14) L(15)
#undef L
			"1: dec %[n]\n jnz 1b\n"
#define S(n) "vmovdqa %%ymm" #n ", " #n "*32(%[out])\n"
			S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7)
			S(8) S(9) S(10) S(11) S(12) S(13) S(14) S(15)
#undef S
			"vzeroupper\n"
			: [n] "+r"(iters)
			: [in] "r"(in), [out] "r"(out)
			: "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			  "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
			  "xmm12", "xmm13", "xmm14", "xmm15");
		return memcmp(in, out, sizeof(in)) == 0;
	}
	__asm__ volatile(
#define L(n) "movdqa " #n "*32(%[in]), %%xmm" #n "\n"
		L(0) L(1) L(2) L(3) L(4) L(5) L(6) L(7)
		L(8) L(9) L(10) L(11) L(12) L(13) L(14) L(15)
#undef L
		"1: dec %[n]\n jnz 1b\n"
#define S(n) "movdqa %%xmm" #n ", " #n "*32(%[out])\n"
		S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7)
		S(8) S(9) S(10) S(11) S(12) S(13) S(14) S(15)
#undef S
		: [n] "+r"(iters)
		: [in] "r"(in), [out] "r"(out)
		: "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
		  "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
		  "xmm12", "xmm13", "xmm14", "xmm15");
	for (i = 0; i < 16; i++)
		if (memcmp(in + i * 32, out + i * 32, 16))
			return 0;
	return 1;
}

GROUP(fpu)

/* Two processes on one CPU preempt each other while holding registers. */
TEST_F_TIMEOUT(fpu, registers_survive_preemption, 120)
{
	pid_t a, b;
	int sa = -1, sb = -1;

	a = fork();
	if (a == 0) {
		pin(0);
		_exit(fpu_survives(300000000L / 4) ? 0 : 1);
	}
	b = fork();
	if (b == 0) {
		pin(0);
		_exit(fpu_survives(300000000L / 4) ? 0 : 1);
	}
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	EXPECT_TRUE(exited(sa, 0) && exited(sb, 0))
		TH_LOG("fpu: %s registers survive preemption by another process on the same CPU (wait status %#x, %#x)",
		       __builtin_cpu_supports("avx") ? "ymm0-15" : "xmm0-15", sa, sb);
}

/* ---- 9. Ctrl-C stops an infinite loop --------------------------------- */

/* One SPIN (ARG) per CPU; this process must keep running meanwhile. */
static void spin_loops(struct __test_metadata *_metadata,
		       const char *spin, const char *arg, const char *what)
{
	int ncpu = online_cpus(), i, st, ok = 1;
	pid_t pids[8];
	struct timespec t0, t1;
	long ticks = 0;

	for (i = 0; i < ncpu; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			execl(spin, spin, arg, (char *)NULL);
			_exit(127);
		}
	}
	/* We must keep running while they spin: count 10 ms sleeps. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct timespec d = { 0, 10000000 };

		nanosleep(&d, NULL);
		ticks++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while ((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec < 1000000000L);
	for (i = 0; i < ncpu; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/status", pids[i]);
		if (kml_status_of(path) != (want_ring == 0))
			ok = 0;
		kill(pids[i], SIGINT);
	}
	for (i = 0; i < ncpu; i++)
		if (waitpid(pids[i], &st, 0) != pids[i] || !killed_by(st, SIGINT))
			ok = 0;
	EXPECT_TRUE(ok && ticks >= 20)
		TH_LOG("spin: %d %s loops (Kml: %d) on %d CPUs; this process still slept %ld times in 1 s; SIGINT ends them",
		       ncpu, what, want_ring == 0, ncpu, ticks);
	TH_LOG("spin: %d %s loops, this process slept %ld times in 1 s", ncpu, what, ticks);
}

GROUP(spin)

TEST_F(spin, for_loop_per_cpu)
{
	spin_loops(_metadata, spin_prog, NULL, "for(;;)");
}

/* Signals and preemption arrive on the return from system calls. */
TEST_F(spin, getppid_loop_per_cpu)
{
	spin_loops(_metadata, "/proc/self/exe", "sysspin", "getppid()");
}

/* ---- 10. red zone under interrupts ------------------------------------- */

/*
 * Keeps 16 canaries in the 128-byte red zone below RSP and checks them
 * continuously for the given number of iterations.  An interrupt whose
 * frame landed on this stack would overwrite them.  Returns the number of
 * corrupted reads.
 */
static long redzone_loop(long iters)
{
	long bad = 0;

	__asm__ volatile(
		"	mov $0x5a5a5a5a5a5a5a5a, %%rax\n"
		"	xor %%rdx, %%rdx\n"
		"	mov $-128, %%rcx\n"
		"1:	mov %%rax, (%%rsp,%%rcx)\n"
		"	add $8, %%rcx\n"
		"	jnz 1b\n"
		"2:	mov $-128, %%rcx\n"
		"3:	cmp %%rax, (%%rsp,%%rcx)\n"
		"	je 4f\n"
		"	inc %%rdx\n"
		"	mov %%rax, (%%rsp,%%rcx)\n"
		"4:	add $8, %%rcx\n"
		"	jnz 3b\n"
		"	dec %[iters]\n"
		"	jnz 2b\n"
		"	mov %%rdx, %[bad]\n"
		: [bad] "=r"(bad), [iters] "+r"(iters)
		: : "rax", "rcx", "rdx", "memory", "cc");
	return bad;
}

static long interrupts_total(void)
{
	char line[4096];
	long total = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* CPU header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');
		long v;
		int n;

		if (!p)
			continue;
		p++;
		while (sscanf(p, " %ld%n", &v, &n) == 1) {
			total += v;
			p += n;
		}
	}
	fclose(f);
	return total;
}

/*
 * A process per CPU runs the canary loop; the parent makes TLB IPIs.  It
 * runs for SECONDS and then on (up to 4 x SECONDS) until at least 1000
 * interrupts have arrived, so a slow (debug) kernel is not judged on time.
 * (Its timeout, from SECONDS: main().)
 */
GROUP(redzone)

TEST_F(redzone, canaries_under_interrupts)
{
	int ncpu = online_cpus(), i, bad = 0, ok = 1, st;
	long before = interrupts_total(), after = before;
	pid_t pids[8];
	struct timespec t0, now;
	volatile int *stop_flag;
	int p[2];

	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_FALSE(stop_flag == MAP_FAILED || pipe(p)) TH_LOG("red zone: setup");
	*stop_flag = 0;
	for (i = 0; i < ncpu; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			long b = 0;

			pin(i);
			while (!*stop_flag)
				b += redzone_loop(2000000);
			write(p[1], &b, sizeof(b));
			_exit(0);
		}
	}
	/* Meanwhile: page faults, mprotect and munmap of our own mm, and
	 * yields, so that the scheduler and the interrupt paths stay busy. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *m = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		long secs;

		if (m != MAP_FAILED) {
			memset(m, 1, 65536);
			mprotect(m, 65536, PROT_READ);
			munmap(m, 65536);
		}
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = now.tv_sec - t0.tv_sec;
		if (secs >= seconds) {
			after = interrupts_total();
			if (after - before >= 1000 || secs >= 4 * seconds)
				break;
		}
	}
	*stop_flag = 1;
	for (i = 0; i < ncpu; i++) {
		long b = -1;

		if (read(p[0], &b, sizeof(b)) != sizeof(b) || b != 0)
			bad++;
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st))
			ok = 0;
	}
	close(p[0]);
	close(p[1]);
	EXPECT_TRUE(ok && bad == 0 && after - before >= 1000)
		TH_LOG("red zone: canaries below RSP on %d CPUs, %d runs corrupted, %lds, %ld interrupts",
		       ncpu, bad, (long)(now.tv_sec - t0.tv_sec), after - before);
	TH_LOG("red zone: %d CPUs, %d runs corrupted, %lds, %ld interrupts",
	       ncpu, bad, (long)(now.tv_sec - t0.tv_sec), after - before);
}

/* ---- 11. CPU state seen by normal tasks ------------------------------- */

static int read_kml_cpu(int cpu, char *out, size_t len)
{
	FILE *f;

	pin(cpu);
	f = fopen("/sys/kernel/debug/kml/cpu", "r");
	if (!f)
		return -1;
	if (!fgets(out, (int)len, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static unsigned long kml_flags(void)
{
	unsigned long f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/*
 * /sys/kernel/debug/kml/cpu read on each CPU: one variant per CPU, up to
 * 8; main() drops the variants of CPUs this machine does not have.
 */
FIXTURE(cpu_state) {};
FIXTURE_VARIANT(cpu_state) {
	int cpu;
};
FIXTURE_VARIANT_ADD(cpu_state, cpu0) { .cpu = 0 };
FIXTURE_VARIANT_ADD(cpu_state, cpu1) { .cpu = 1 };
FIXTURE_VARIANT_ADD(cpu_state, cpu2) { .cpu = 2 };
FIXTURE_VARIANT_ADD(cpu_state, cpu3) { .cpu = 3 };
FIXTURE_VARIANT_ADD(cpu_state, cpu4) { .cpu = 4 };
FIXTURE_VARIANT_ADD(cpu_state, cpu5) { .cpu = 5 };
FIXTURE_VARIANT_ADD(cpu_state, cpu6) { .cpu = 6 };
FIXTURE_VARIANT_ADD(cpu_state, cpu7) { .cpu = 7 };
FIXTURE_SETUP(cpu_state) {}
FIXTURE_TEARDOWN(cpu_state) {}

TEST_F(cpu_state, debugfs_kml_cpu)
{
	char line[128], want[128];
	int i = variant->cpu;

	ASSERT_EQ(0, read_kml_cpu(i, line, sizeof(line)))
		TH_LOG("cpu state: /sys/kernel/debug/kml/cpu readable");
	if (want_ring == 0)
		snprintf(want, sizeof(want), "cpu %d kml 1 smep 0 smap 0 idt kml", i);
	else
		snprintf(want, sizeof(want), "cpu %d kml 0 smep 1 smap 1 idt normal", i);
	EXPECT_STREQ(want, line)
		TH_LOG("cpu state: a %s task on CPU %d sees \"%s\"",
		       want_ring ? "normal" : "KML", i, line);
}

GROUP(cpu_regs)

TEST_F(cpu_regs, cr4_smap_smep_off)
{
	unsigned long cr4;

	RING0_ONLY();
	cr4 = read_cr4();
	EXPECT_TRUE(!(cr4 & (1UL << 21)) && !(cr4 & (1UL << 20)))
		TH_LOG("cpu state: CR4 read in ring 0 has SMAP and SMEP off (%#lx)", cr4);
}

/* ... so the task's flags are its own: AC as exec left it. */
TEST_F(cpu_regs, eflags_ac_clear)
{
	RING0_ONLY();
	EXPECT_FALSE(kml_flags() & (1UL << 18))
		TH_LOG("cpu state: EFLAGS.AC clear in ring 0 (%#lx)", kml_flags());
}

/* ---- 12. page tables under PTI --------------------------------------- */

/*
 * Under PTI a KML task runs on its mm's kernel PGD (kml.c), whose user half
 * PTI must leave executable -- also for PGD slots (512 GiB each) filled in
 * after exec and in a fork child, whose PGD fork fills.  Were one poisoned
 * with NX, the call below would fault for ever (the page is present): the
 * child's time limit turns that into a failure.
 */
static int pti_enabled(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int on = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " pti"))
			on = 1;
	if (f)
		fclose(f);
	return on;
}

/* "mov $ret, %eax; ret" on a fresh RWX page in PGD slot "slot". */
static int call_in_slot(int slot, int ret)
{
	void *want = (void *)((unsigned long)slot << 39);
	unsigned char *p = mmap(want, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	int (*fn)(void) = (int (*)(void))p;

	if (p != want)
		return -1;
	p[0] = 0xb8;
	memcpy(p + 1, &ret, 4);
	p[5] = 0xc3;
	return fn();
}

/*
 * Run fn in a child and wait at most 10 s: a child whose page tables are
 * wrong may fault (SIGSEGV) or, a present page faulting for ever, not get
 * as far as an alarm of its own.
 */
static const char *in_child_limited(void (*fn)(void), int *ok)
{
	pid_t pid = fork();
	int i, st;

	*ok = 0;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0)
		return "fork failed";
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			*ok = exited(st, 0);
			return describe(st);
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return "hung, killed after 10 s";
}

/* Slot 40 is new in this process, made after exec (and after fork). */
static void slot_new(void)
{
	if (call_in_slot(40, 40) != 40)
		_exit(1);
}

/* Slot 41 came with fork (the parent mapped it); slot 42 is new. */
static void slot_inherited(void)
{
	if (((int (*)(void))(41UL << 39))() != 41 || call_in_slot(42, 42) != 42)
		_exit(1);
}

GROUP(page_tables)

TEST_F(page_tables, kml_task_on_kernel_pgd)
{
	unsigned long cr3;

	RING0_ONLY();
	cr3 = read_cr3();
	EXPECT_FALSE(cr3 & (1UL << 12))
		TH_LOG("page tables: the KML task runs on its kernel PGD (pti %s, CR3 %#lx)",
		       pti_enabled() ? "on" : "off", cr3);
}

TEST_F(page_tables, slot_mapped_after_exec)
{
	int ok;
	const char *how = in_child_limited(slot_new, &ok);

	EXPECT_TRUE(ok)
		TH_LOG("page tables: code in a PGD slot mapped after exec runs (pti %s, %s)",
		       pti_enabled() ? "on" : "off", how);
}

TEST_F(page_tables, slot_inherited_and_new)
{
	const char *how;
	unsigned char *p;
	int ok;

	p = mmap((void *)(41UL << 39), 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)(41UL << 39), p) TH_LOG("page tables: mmap failed");
	memcpy(p, "\xb8\x29\x00\x00\x00\xc3", 6);	/* mov $41, %eax; ret */
	how = in_child_limited(slot_inherited, &ok);
	munmap(p, 4096);
	EXPECT_TRUE(ok)
		TH_LOG("page tables: ... in a slot a fork child inherited, and a new one (pti %s, %s)",
		       pti_enabled() ? "on" : "off", how);
}

/* ---- shared runs ------------------------------------------------------ */

/*
 * The paging and stress runs each give more than one verdict from one
 * long run.  The first test that needs the run makes it and leaves its
 * outcome here (a shared page that main() maps before the harness forks);
 * a later test reads it.  A test run on its own (-t NAME) makes the run
 * itself.
 */
struct paging_run {
	int done;
	int mmap_errno;
	long pages, avail, swapped, bad;
};

struct stress_run {
	int done;
	int workers_ok, lost;
	long pings;
	char workers[4][64];	/* each worker's wait status */
};

static struct {
	struct paging_run paging;
	struct stress_run stress;
} *shared;

/* ---- 13. paging (kml_ring0_test page) ------------------------------- */

static long meminfo(const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;	/* kB */
}

/* More than the guest has available, each page tagged, read back. */
static const struct paging_run *paging_run(void)
{
	struct paging_run *r = &shared->paging;
	long swap0 = meminfo("SwapFree"), i, bad = 0;
	unsigned long *m;

	if (r->done)
		return r;
	r->avail = meminfo("MemAvailable");
	r->pages = (r->avail + 64 * 1024) / 4;
	m = mmap(NULL, r->pages * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		r->mmap_errno = errno;
		r->done = 1;
		return r;
	}
	for (i = 0; i < r->pages; i++)
		m[i * 512] = 0x6b6d6c00000000UL ^ (unsigned long)i;
	r->swapped = swap0 - meminfo("SwapFree");
	for (i = 0; i < r->pages; i++)
		if (m[i * 512] != (0x6b6d6c00000000UL ^ (unsigned long)i))
			bad++;
	munmap(m, r->pages * 4096);
	r->bad = bad;
	r->done = 1;
	return r;
}

GROUP(paging)

TEST_F(paging, running_in_ring)
{
	EXPECT_EQ(want_ring, kml_ring()) TH_LOG("paging: running in ring %d", want_ring);
}

TEST_F_TIMEOUT(paging, pages_went_to_swap, 600)
{
	const struct paging_run *r = paging_run();

	ASSERT_EQ(0, r->mmap_errno)
		TH_LOG("paging: mmap %ld MB: %s", r->pages / 256, strerror(r->mmap_errno));
	EXPECT_LT(32 * 1024, r->swapped)
		TH_LOG("paging: touched %ld MB with %ld MB available; %ld MB went to swap",
		       r->pages / 256, r->avail / 1024, r->swapped / 1024);
	TH_LOG("paging: touched %ld MB with %ld MB available; %ld MB went to swap",
	       r->pages / 256, r->avail / 1024, r->swapped / 1024);
}

TEST_F_TIMEOUT(paging, every_page_read_back_intact, 600)
{
	const struct paging_run *r = paging_run();

	ASSERT_EQ(0, r->mmap_errno) TH_LOG("paging: (no mapping)");
	EXPECT_EQ(0, r->bad) TH_LOG("paging: every page read back intact (%ld bad)", r->bad);
}

/* ---- 14. stress (kml_ring0_test stress) ----------------------------- */

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

/* fork + fault + reap, mmap + touch + munmap, null syscalls: until SIGTERM */
static long churn(void)
{
	long rounds = 0;

	signal(SIGTERM, on_term);
	while (!stop) {
		int st, i;
		pid_t pid = fork();
		char *m;

		if (pid == 0)
			null_write();
		if (pid > 0)
			waitpid(pid, &st, 0);
		if (pid < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV)
			_exit(3);
		m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(4);
		for (i = 0; i < (1 << 20); i += 4096)
			m[i] = (char)i;
		munmap(m, 1 << 20);
		for (i = 0; i < 1000; i++)
			syscall(SYS_getppid);
		rounds++;
	}
	return rounds;
}

/* The partner of the ping-pong: answer every SIGUSR1 with a SIGUSR2. */
static int pong(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (sigwait(&set, &sig))
			return 5;
		if (sig == SIGTERM)
			return 0;
		kill(getppid(), SIGUSR2);
	}
}

/*
 * For SECONDS: two churn workers in this ring, one in the other (PARTNER,
 * the other copy of this program), and a signal ping-pong with PARTNER in
 * which every signal must arrive (sigtimedwait; a lost one is a timeout).
 */
static const struct stress_run *stress_run(void)
{
	struct stress_run *r = &shared->stress;
	pid_t w[4], pp;
	int i, st, lost = 0;
	long pings = 0;
	sigset_t set;
	struct timespec end, now, to = { 5, 0 };

	if (r->done)
		return r;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 3; i++) {
		w[i] = fork();
		if (w[i] == 0) {
			if (i == 2) {
				execl(partner, partner, "churn", (char *)NULL);
				_exit(127);
			}
			churn();
			_exit(0);
		}
	}
	pp = fork();
	if (pp == 0) {
		execl(partner, partner, "pong", (char *)NULL);
		_exit(127);
	}
	w[3] = pp;
	usleep(100000);	/* let the partner block SIGUSR1 */
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	do {
		kill(pp, SIGUSR1);
		if (sigtimedwait(&set, NULL, &to) != SIGUSR2) {
			lost++;
			break;
		}
		pings++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec);
	for (i = 0; i < 4; i++)
		if (w[i] > 0)
			kill(w[i], SIGTERM);
	r->workers_ok = 1;
	for (i = 0; i < 4; i++) {
		st = -1;
		if (waitpid(w[i], &st, 0) != w[i] || !exited(st, 0))
			r->workers_ok = 0;
		snprintf(r->workers[i], sizeof(r->workers[i]), "%s", describe(st));
	}
	r->pings = pings;
	r->lost = lost;
	r->done = 1;
	return r;
}

GROUP(stress)

TEST_F(stress, running_in_ring)
{
	EXPECT_EQ(want_ring, kml_ring()) TH_LOG("stress: running in ring %d", want_ring);
}

/* (Its timeout and the next one's, from SECONDS: main().) */
TEST_F(stress, workers_ended_cleanly)
{
	const struct stress_run *r = stress_run();
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(r->workers[i], "exit 0"))
			TH_LOG("stress: worker %d: %s", i, r->workers[i]);
	EXPECT_TRUE(r->workers_ok)
		TH_LOG("stress: 3 fork/fault/mmap/syscall workers (2 in ring %d, 1 in ring %d) ran %ds and ended cleanly",
		       want_ring, 3 - want_ring, seconds);
}

TEST_F(stress, signal_ping_pong_none_lost)
{
	const struct stress_run *r = stress_run();

	EXPECT_TRUE(!r->lost && r->pings > 100)
		TH_LOG("stress: %ld signal round trips with a ring-%d partner, none lost",
		       r->pings, 3 - want_ring);
	TH_LOG("stress: %ld signal round trips with a ring-%d partner, %d lost",
	       r->pings, 3 - want_ring, r->lost);
}

/* ---- main ------------------------------------------------------------ */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s RING [SECONDS] [HARNESS-OPTIONS]\n"
		"       %s stress RING SECONDS PARTNER [HARNESS-OPTIONS]\n"
		"       %s page RING [HARNESS-OPTIONS]\n",
		prog, prog, prog);
	exit(2);
}

static int is_number(const char *s)
{
	return s && *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * The helper modes run here.  The test modes become harness options
 * (harness options match in order, the first match decides): the
 * cpu_state variants of CPUs this machine does not have dropped, then
 * whatever harness options follow the mode's arguments, then the mode's
 * fixture filter:
 *   RING [SECONDS]   everything but the paging and stress fixtures
 *                    (KML_ONLY_SPIN=1: the ring, spin and red-zone tests)
 *   page RING        the paging fixture
 *   stress ...       the stress fixture
 */
int main(int argc, char **argv)
{
	static char *hargv[64], cpuv[8][16];
	enum { MAIN, ONLY_SPIN, PAGE, STRESS } mode;
	int hargc = 0, rest, i;
	const char *dir;

	if (argc == 2 && !strcmp(argv[1], "churn")) {
		churn();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "pong"))
		return pong();
	if (argc == 2 && !strcmp(argv[1], "coredump")) {
		dump_core();
		return 1;	/* not reached */
	}
	if (argc == 2 && !strcmp(argv[1], "sysspin"))
		for (;;)
			syscall(SYS_getppid);

	if (argc >= 3 && !strcmp(argv[1], "page")) {
		if (!is_number(argv[2]))
			usage(argv[0]);
		mode = PAGE;
		want_ring = atoi(argv[2]);
		rest = 3;
	} else if (argc >= 5 && !strcmp(argv[1], "stress")) {
		if (!is_number(argv[2]) || !is_number(argv[3]))
			usage(argv[0]);
		mode = STRESS;
		want_ring = atoi(argv[2]);
		seconds = atoi(argv[3]);
		partner = argv[4];
		rest = 5;
	} else {
		if (argc < 2 || !is_number(argv[1]))
			usage(argv[0]);
		mode = getenv("KML_ONLY_SPIN") ? ONLY_SPIN : MAIN;
		want_ring = atoi(argv[1]);
		rest = 2;
		if (argc > 2 && is_number(argv[2]))
			seconds = atoi(argv[rest++]);
	}
	if (want_ring != 0 && want_ring != 3)
		usage(argv[0]);
	if (argc - rest > 40) {
		fprintf(stderr, "%s: too many harness options\n", argv[0]);
		return 2;
	}

	hargv[hargc++] = argv[0];
	for (i = online_cpus(); i < 8; i++) {
		snprintf(cpuv[i], sizeof(cpuv[i]), "cpu%d", i);
		hargv[hargc++] = "-V";
		hargv[hargc++] = cpuv[i];
	}
	for (i = rest; i < argc; i++)
		hargv[hargc++] = argv[i];
	switch (mode) {
	case MAIN:
		FIXTURE_OPT("-F", paging);
		FIXTURE_OPT("-F", stress);
		break;
	case ONLY_SPIN:
		ONLY(privilege, cs_ring);
		ONLY(spin, for_loop_per_cpu);
		ONLY(redzone, canaries_under_interrupts);
		break;
	case PAGE:
		FIXTURE_OPT("-f", paging);
		break;
	case STRESS:
		FIXTURE_OPT("-f", stress);
		break;
	}
	hargv[hargc] = NULL;

	harness_pid = getpid();
	read_proc("/proc/sys/fs/suid_dumpable", dumpable_at_start, sizeof(dumpable_at_start));
	read_proc("/proc/sys/kernel/core_pattern", pattern_at_start, sizeof(pattern_at_start));
	atexit(coredump_restore_at_exit);

	dir = getenv("KML_SPIN") ? getenv("KML_SPIN") : "/kml/spin";
	snprintf(spin_prog, sizeof(spin_prog), "%s%s", dir, want_ring ? ".unstamped" : "");
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* The red zone runs up to 4 x SECONDS; the stress run SECONDS, then
	 * its workers' ends (a lost signal: a 5 s wait). */
	SET_TIMEOUT(redzone, canaries_under_interrupts, 4 * seconds + 60);
	SET_TIMEOUT(stress, workers_ended_cleanly, seconds + 120);
	SET_TIMEOUT(stress, signal_ping_pong_none_lost, seconds + 120);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_harness_run(hargc, hargv);
}
