// SPDX-License-Identifier: GPL-2.0
/*
 * kml_ring0_test - a ring-0 process behaves exactly like an ordinary one.
 *
 *   kml_ring0_test RING [SECONDS]
 *   kml_ring0_test stress RING SECONDS PARTNER
 *   kml_ring0_test page RING               (needs swap: touches more than
 *                                           MemAvailable, reads it back)
 *   kml_ring0_test churn | pong | sysspin | coredump  (started by the tests)
 *
 * RING is the privilege level this copy must find itself at: 0 for the
 * stamped copies, 3 for the unstamped control built from the same source.
 * Every test runs in both; only the ones about privilege expect a
 * different outcome.  SECONDS scales the long tests (red zone, stress).
 * Prints kselftest TAP.
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

#include "kml_status.h"
#include "kml_syscall.h"
#include "kml_tap.h"

static int want_ring;
static int seconds = 3;

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

/* ---- 1. privilege ---------------------------------------------------- */

static void read_cr0(void)
{
	unsigned long cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	_exit((cr0 & 1) ? 42 : 1);	/* PE is set in any protected mode */
}

static void cli_sti(void)
{
	__asm__ volatile("cli; nop; sti" ::: "memory");
	_exit(42);
}

static void test_privilege(void)
{
	int st;

	tap(kml_ring() == want_ring, "ring: %%cs says ring %d (want %d)", kml_ring(), want_ring);
	tap(kml_status() == (want_ring == 0), "ring: /proc/self/status Kml: %d",
	       kml_status());
	st = in_child(read_cr0);
	if (want_ring == 0)
		tap(WIFEXITED(st) && WEXITSTATUS(st) == 42,
		       "privileged: mov %%cr0 works in ring 0 (%s)", describe(st));
	else
		tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		       "privileged: mov %%cr0 gets SIGSEGV in ring 3 (%s)", describe(st));
	st = in_child(cli_sti);
	if (want_ring == 0)
		tap(WIFEXITED(st) && WEXITSTATUS(st) == 42,
		       "privileged: cli; sti works in ring 0 (%s)", describe(st));
	else
		tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		       "privileged: cli gets SIGSEGV in ring 3 (%s)", describe(st));
}

/* ---- 2. faults become signals ------------------------------------------ */

static void null_write(void)
{
	*(volatile int *)0 = 1;
	_exit(0);
}

static void kernel_read(void)
{
	/* An unmapped kernel-half address: a ring-0 load faults too. */
	(void)*(volatile long *)0xffff8ff000000000UL;
	_exit(0);
}

static void wild_jump(void)
{
	((void (*)(void))0x10)();
	_exit(0);
}

/*
 * Restrictions that only exist above CPL 0 are refused in ring 0 rather
 * than silently not applied: PR_SET_TSC (CR4.TSD) and CPUID faulting.
 */
static void test_prctl_modes(void)
{
	int r, e;

	errno = 0;
	r = prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
	e = errno;
	if (r == 0)
		prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0);
	tap(want_ring == 0 ? r == -1 && e == EINVAL : r == 0,
	       "prctl: PR_SET_TSC(PR_TSC_SIGSEGV) %s in ring %d (%s)",
	       want_ring ? "works" : "is refused with EINVAL", want_ring,
	       r ? strerror(e) : "ok");
	errno = 0;
	r = syscall(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 0);
	e = errno;
	if (r == 0)
		syscall(SYS_arch_prctl, 0x1012, 1);
	tap(want_ring == 0 ? r == -1 && e == ENODEV : r == 0 || e == ENODEV,
	       "prctl: ARCH_SET_CPUID(0) %s in ring %d (%s)",
	       want_ring ? "works where the CPU can fault CPUID" :
	       "is refused with ENODEV", want_ring, r ? strerror(e) : "ok");
}

static void test_segv(void)
{
	int st = in_child(null_write);

	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "segv: *(int *)0 = 1 kills with SIGSEGV (%s)", describe(st));
	st = in_child(kernel_read);
	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "segv: load from an unmapped kernel address kills with SIGSEGV (%s)",
	       describe(st));
	st = in_child(wild_jump);
	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "segv: call to address 0x10 kills with SIGSEGV (%s)", describe(st));
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

static void test_exceptions(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	tap(sigaltstack(&ss, NULL) == 0, "sigaltstack: installed");
	tap(catch(SIGILL, do_ud2) == SIGILL, "exception: ud2 -> SIGILL, handler longjmps out");
	tap(catch(SIGFPE, do_div0) == SIGFPE, "exception: divide by zero -> SIGFPE");
	tap(catch(SIGTRAP, do_int3) == SIGTRAP, "exception: int3 -> SIGTRAP");
	tap(catch(SIGBUS, do_sigbus) == SIGBUS, "exception: access past EOF of a mapping -> SIGBUS");
	tap(catch(SIGSEGV, do_overflow) == SIGSEGV,
	       "exception: stack overflow -> SIGSEGV on the alternate stack");
	tap(kml_ring() == want_ring, "exception: still in ring %d after five handlers", want_ring);
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

static void test_syscalls(void)
{
	int p[2], st, ok;
	pid_t pid;
	char buf[16] = "";
	void *ret;
	pthread_t t;
	char *m;
	FILE *f;

	pid = fork();
	if (pid == 0)
		_exit(kml_ring() == want_ring ? 3 : 4);
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3;
	tap(ok, "fork: child runs in the same ring, wait reaps it");

	pid = vfork();
	if (pid == 0)
		_exit(5);
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5;
	tap(ok, "vfork");

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
	tap(ok, "pipe between parent and child");

	futex_word = 0;
	ok = pthread_create(&t, NULL, thread_fn, (void *)5L) == 0;
	while (ok && !__atomic_load_n(&futex_word, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	ok = ok && pthread_join(t, &ret) == 0;
	tap(ok && (long)ret == 50 + want_ring && tls_value == 7,
	       "clone thread: own TLS (%ld), futex wake, join", (long)ret);

	st = in_child(threads_exit_group);
	tap(WIFEXITED(st) && WEXITSTATUS(st) == 7, "exit_group from a thread (%s)",
	       describe(st));

	m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = m != MAP_FAILED;
	if (ok) {
		memset(m, 0x5a, 3 * 4096);
		ok = mprotect(m + 4096, 4096, PROT_READ) == 0 && m[4096] == 0x5a;
	}
	tap(ok, "mmap + touch + mprotect");
	if (m != MAP_FAILED) {
		/* a write to the now read-only page must fault */
		got_sig = 0;
		{
			struct sigaction sa = { .sa_sigaction = catcher, .sa_flags = SA_SIGINFO };

			sigemptyset(&sa.sa_mask);
			sigaction(SIGSEGV, &sa, NULL);
			if (!sigsetjmp(jb, 1))
				m[4096] = 1;
			signal(SIGSEGV, SIG_DFL);
		}
		tap(got_sig == SIGSEGV && got_addr == m + 4096,
		       "mprotect: write to a read-only page -> SIGSEGV at that address");
		tap(munmap(m, 3 * 4096) == 0, "munmap");
	} else {
		tap(0, "mprotect: (no mapping)");
		tap(0, "munmap: (no mapping)");
	}

	signal(SIGUSR1, on_usr1);
	handled = 0;
	raise(SIGUSR1);
	tap(handled == SIGUSR1 && kml_ring() == want_ring,
	       "signal handler runs and sigreturn comes back in ring %d", want_ring);

	signal(SIGALRM, on_alarm);
	handled = 0;
	{
		struct itimerval it = { .it_value = { 0, 50000 } };

		setitimer(ITIMER_REAL, &it, NULL);
		while (!handled)
			;	/* spin in user code until the timer signal */
	}
	tap(handled == SIGALRM, "setitimer: SIGALRM interrupts a busy loop");

	f = fopen("/proc/self/maps", "r");
	ok = 0;
	if (f) {
		char line[512];

		while (fgets(line, sizeof(line), f))
			if (strstr(line, "[stack]"))
				ok = 1;
		fclose(f);
	}
	tap(ok, "/proc/self/maps lists [stack]");
}

/* ---- 6c. the direct-call entry (AT_SYSINFO, elfnote/kml_syscall.h) ---- */

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

static void test_direct(void)
{
	struct sigaction sa = { .sa_handler = direct_handler, .sa_flags = SA_RESTART };
	struct itimerval it = { .it_value = { 0, 50 * 1000 } };
	struct user_regs_struct r;
	unsigned long entry = getauxval(KML_AT_SYSINFO);
	char buf[16] = "";
	int p[2], st, ok, steps = 0, seen_entry = 0;
	long n;
	pid_t pid;

	tap((entry != 0) == (want_ring == 0) && (!entry || entry >= (1UL << 63)),
	       "direct: AT_SYSINFO %s (%#lx)", want_ring ? "absent in ring 3" :
	       "is a kernel address in ring 0", entry);
	n = kml_syscall0(SYS_getppid);
	tap(n == getppid(), "direct: getppid %ld == getppid() %d", n, getppid());
	tap(kml_syscall1(SYS_close, -1) == -EBADF, "direct: close(-1) returns -EBADF");
	ok = !pipe(p);
	n = ok ? kml_syscall3(SYS_write, p[1], "direct", 6) : -1;
	ok = ok && n == 6 && read(p[0], buf, sizeof(buf)) == 6 && !memcmp(buf, "direct", 6);
	tap(ok, "direct: write(2) to a pipe, read back");

	/* A signal raised by the call itself is delivered on its return. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	direct_sigs = 0;
	n = kml_syscall2(SYS_kill, getpid(), SIGUSR2);
	tap(n == 0 && direct_sigs == 1, "direct: kill(self) - handler ran on the return (%d)",
	       (int)direct_sigs);

	/* SA_RESTART: a blocked direct read, interrupted, is restarted. */
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
	tap(n == 1 && buf[0] == 'R' && direct_sigs == 1,
	       "direct: read interrupted by SIGALRM (SA_RESTART) restarts, gets its byte (n %ld, %d signal)",
	       n, (int)direct_sigs);
	close(p[0]);
	close(p[1]);

	/* No handler: SIGSTOP/SIGCONT restart a direct nanosleep. */
	pid = fork();
	if (pid == 0)
		direct_sleeper();
	ok = waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st);
	kill(pid, SIGCONT);
	usleep(50 * 1000);
	kill(pid, SIGSTOP);
	usleep(20 * 1000);
	kill(pid, SIGCONT);
	ok = ok && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	tap(ok, "direct: nanosleep stopped and continued is restarted, returns 0 (%s)",
	       describe(st));

	/* Single-step through a direct call: every stop is at an instruction
	 * of the program (the entry's own instructions complete with the
	 * call, as SYSCALL's do), and it runs to its end. */
	if (!entry)
		return;
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
	ok = ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	tap(ok && !seen_entry,
	    "direct: single-stepped across the call, %d steps, %d stops in the kernel half (%s)",
	    steps, seen_entry, describe(st));
}

/* ---- 4. red zone and FPU under interrupts ----------------------------- */

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

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A process per CPU runs the canary loop; the parent makes TLB IPIs.  It
 * runs for SECONDS and then on (up to 4 x SECONDS) until at least 1000
 * interrupts have arrived, so a slow (debug) kernel is not judged on time.
 */
static void test_redzone(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), i, bad = 0, ok = 1, st;
	long before = interrupts_total(), after = before;
	pid_t pids[8];
	struct timespec t0, now;
	volatile int *stop_flag;
	int p[2];

	if (ncpu > 8)
		ncpu = 8;
	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stop_flag == MAP_FAILED || pipe(p)) {
		tap(0, "red zone: setup");
		return;
	}
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
	tap(ok && bad == 0 && after - before >= 1000,
	       "red zone: canaries below RSP on %d CPUs, %d runs corrupted, %lds, %ld interrupts",
	       ncpu, bad, (long)(now.tv_sec - t0.tv_sec), after - before);
}

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

/* Two processes on one CPU preempt each other while holding registers. */
static void test_fpu(void)
{
	pid_t a, b;
	int sa, sb;

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
	tap(WIFEXITED(sa) && !WEXITSTATUS(sa) && WIFEXITED(sb) && !WEXITSTATUS(sb),
	       "fpu: %s registers survive preemption by another process on the same CPU",
	       __builtin_cpu_supports("avx") ? "ymm0-15" : "xmm0-15");
}

/* ---- 5. Ctrl-C stops an infinite loop --------------------------------- */

static void test_spin(const char *spin, const char *arg, const char *what)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), i, st, ok = 1;
	pid_t pids[8];
	struct timespec t0, t1;
	long ticks = 0;

	if (ncpu > 8)
		ncpu = 8;
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
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFSIGNALED(st) ||
		    WTERMSIG(st) != SIGINT)
			ok = 0;
	tap(ok && ticks >= 20,
	       "spin: %d %s loops (Kml: %d) on %d CPUs; this process still slept %ld times in 1 s; SIGINT ends them",
	       ncpu, what, want_ring == 0, ncpu, ticks);
}

/* ---- 6. ptrace ------------------------------------------------------- */

static void test_ptrace(void)
{
	struct user_regs_struct r;
	int st, ok, stops = 0, steps = 0;
	unsigned long rip0;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		syscall(SYS_getppid);
		for (volatile int i = 0; i < 100; i++)
			;
		_exit(kml_ring() == want_ring ? 0 : 1);
	}
	ok = waitpid(pid, &st, 0) == pid && WIFSTOPPED(st);
	/* PTRACE_SYSCALL until the getppid entry stop. */
	while (ok && stops < 50) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) || waitpid(pid, &st, 0) != pid ||
		    !WIFSTOPPED(st)) {
			ok = 0;
			break;
		}
		stops++;
		if (ptrace(PTRACE_GETREGS, pid, NULL, &r)) {
			ok = 0;
			break;
		}
		if (r.orig_rax == SYS_getppid)
			break;
	}
	tap(ok && r.orig_rax == SYS_getppid, "ptrace: PTRACE_SYSCALL stops at getppid");
	tap(ok && r.cs == 0x33 && r.ss == 0x2b && r.rip < (1UL << 47),
	       "ptrace: GETREGS shows an ordinary 64-bit process (cs %#llx ss %#llx rip %#llx)",
	       r.cs, r.ss, r.rip);
	/* Leave the syscall, then single-step a few instructions. */
	ok = ok && !ptrace(PTRACE_SYSCALL, pid, NULL, NULL) && waitpid(pid, &st, 0) == pid;
	ok = ok && !ptrace(PTRACE_GETREGS, pid, NULL, &r);
	rip0 = r.rip;
	while (ok && steps < 20) {
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &st, 0) != pid ||
		    !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP ||
		    ptrace(PTRACE_GETREGS, pid, NULL, &r)) {
			ok = 0;
			break;
		}
		steps++;
	}
	tap(ok && steps == 20 && r.rip != rip0 && r.cs == 0x33,
	       "ptrace: 20 single steps, each a SIGTRAP stop, rip moved (%#llx)", r.rip);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	tap(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "ptrace: tracee continues and exits normally in ring %d (%s)", want_ring,
	       describe(st));
}

/* ---- 7. bad return state --------------------------------------------- */

/* sigreturn to a non-canonical RIP: the IRET faults; the task, not the
 * kernel, must get the SIGSEGV. */
static void bad_rip_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] = 0x0000800000000000UL;
}

static void bad_iret(void)
{
	struct sigaction sa = { .sa_sigaction = bad_rip_handler, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	_exit(0);
}

static void test_bad_iret(void)
{
	int st = in_child(bad_iret);

	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	       "sigreturn to a non-canonical RIP -> SIGSEGV (%s)", describe(st));
}

/* ---- 7b. core dumps ---------------------------------------------------- */

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
 * Runs a fresh exec of this program that segfaults; its core file is read
 * into buf.  Returns the core's length (-1: none), the wait status in *st.
 */
static ssize_t exec_and_dump(char *buf, size_t size, int *st)
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
		len = read(fd, buf, size);
		close(fd);
		unlink(path);
	}
	return len;
}

static void test_coredump(void)
{
	static char buf[8 << 20];
	const struct user_regs_struct *r;
	char saved[16] = "0\n";
	ssize_t len;
	FILE *f;
	int st;

	f = fopen("/proc/sys/fs/suid_dumpable", "r");
	if (f) {
		if (!fgets(saved, sizeof(saved), f))
			strcpy(saved, "0\n");
		fclose(f);
	}
	if (write_proc("/proc/sys/kernel/core_pattern", "/tmp/kml-core.%p") ||
	    write_proc("/proc/sys/fs/suid_dumpable", "0")) {
		tap(0, "coredump: cannot set core_pattern and suid_dumpable");
		return;
	}
	/* A ring-0 program is not dumpable (as if set-uid); a ring-3 one is. */
	len = exec_and_dump(buf, sizeof(buf), &st);
	if (want_ring == 0)
		tap(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV &&
		       !WCOREDUMP(st) && len < 0,
		       "coredump: at suid_dumpable 0 a ring-0 SIGSEGV leaves no core (%s, core %zd bytes)",
		       describe(st), len);
	else
		tap(st != -1 && WIFSIGNALED(st) && WCOREDUMP(st) && len > 0,
		       "coredump: at suid_dumpable 0 a ring-3 SIGSEGV dumps core (%s, %zd bytes)",
		       describe(st), len);

	/* suid_dumpable 2: dumped, root-owned, to an absolute core_pattern */
	write_proc("/proc/sys/fs/suid_dumpable", "2");
	len = exec_and_dump(buf, sizeof(buf), &st);
	write_proc("/proc/sys/fs/suid_dumpable", saved);
	r = len > 0 ? core_regs(buf, (size_t)len) : NULL;
	tap(st != -1 && WIFSIGNALED(st) && WCOREDUMP(st) && r && r->cs == 0x33 &&
	       r->ss == 0x2b && r->rip > 0 && r->rip < (1UL << 47),
	       "coredump: at suid_dumpable 2, SIGSEGV dumps a well-formed ELF core, NT_PRSTATUS cs %#llx ss %#llx (%s, %zd bytes)",
	       r ? r->cs : 0ULL, r ? r->ss : 0ULL, describe(st), len);
}

/* ---- 8. CPU state seen by normal tasks -------------------------------- */

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

static void test_cpu_state(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), i;
	char line[128], want[128];

	for (i = 0; i < ncpu && i < 8; i++) {
		if (read_kml_cpu(i, line, sizeof(line))) {
			tap(0, "cpu state: /sys/kernel/debug/kml/cpu readable");
			return;
		}
		if (want_ring == 0)
			snprintf(want, sizeof(want), "cpu %d kml 1 smep 0 smap 0 idt kml", i);
		else
			snprintf(want, sizeof(want), "cpu %d kml 0 smep 1 smap 1 idt normal", i);
		tap(!strcmp(line, want), "cpu state: a %s task on CPU %d sees \"%s\"",
		       want_ring ? "normal" : "KML", i, line);
	}
	if (want_ring == 0) {
		unsigned long cr4;

		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		tap(!(cr4 & (1UL << 21)) && !(cr4 & (1UL << 20)),
		       "cpu state: CR4 read in ring 0 has SMAP and SMEP off (%#lx)", cr4);
		/* ... so the task's flags are its own: AC as exec left it. */
		tap(!(kml_flags() & (1UL << 18)), "cpu state: EFLAGS.AC clear in ring 0 (%#lx)",
		    kml_flags());
	}
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		for (i = 0; i < ncpu; i++)
			CPU_SET(i, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

/* ---- 9b. page tables under PTI --------------------------------------- */

/*
 * Under PTI a KML task runs on its mm's kernel PGD (kml.c), whose user half
 * PTI must leave executable -- also for PGD slots (512 GiB each) filled in
 * after exec and in a fork child, whose PGD fork fills.  Were one poisoned
 * with NX, the call below would fault for ever (the page is present): the
 * alarm turns that into a failure.
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
			*ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
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

static void test_page_tables(void)
{
	int pti = pti_enabled(), ok;
	const char *how;
	unsigned char *p;

	if (want_ring == 0) {
		unsigned long cr3;

		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		tap(!(cr3 & (1UL << 12)),
		    "page tables: the KML task runs on its kernel PGD (pti %s, CR3 %#lx)",
		    pti ? "on" : "off", cr3);
	}
	how = in_child_limited(slot_new, &ok);
	tap(ok, "page tables: code in a PGD slot mapped after exec runs (pti %s, %s)",
	    pti ? "on" : "off", how);

	p = mmap((void *)(41UL << 39), 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == (void *)(41UL << 39)) {
		memcpy(p, "\xb8\x29\x00\x00\x00\xc3", 6);	/* mov $41, %eax; ret */
		how = in_child_limited(slot_inherited, &ok);
		munmap(p, 4096);
	} else {
		how = "mmap failed";
		ok = 0;
	}
	tap(ok, "page tables: ... in a slot a fork child inherited, and a new one (%s)", how);
}

/* ---- 10. paging ------------------------------------------------------ */

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
static int paging(void)
{
	long avail = meminfo("MemAvailable"), swap0 = meminfo("SwapFree");
	long pages = (avail + 64 * 1024) / 4, i, bad = 0, swapped;
	unsigned long *m;

	printf("TAP version 13\n1..3\n");
	tap(kml_ring() == want_ring, "paging: running in ring %d", want_ring);
	m = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		tap(0, "paging: mmap %ld MB: %s", pages / 256, strerror(errno));
		tap(0, "paging: (no mapping)");
		return 1;
	}
	for (i = 0; i < pages; i++)
		m[i * 512] = 0x6b6d6c00000000UL ^ (unsigned long)i;
	swapped = swap0 - meminfo("SwapFree");
	for (i = 0; i < pages; i++)
		if (m[i * 512] != (0x6b6d6c00000000UL ^ (unsigned long)i))
			bad++;
	tap(swapped > 32 * 1024, "paging: touched %ld MB with %ld MB available; %ld MB went to swap",
	       pages / 256, avail / 1024, swapped / 1024);
	tap(bad == 0, "paging: every page read back intact (%ld bad)", bad);
	return nfail ? 1 : 0;
}

/* ---- 9. stress ------------------------------------------------------- */

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
static int stress(const char *partner)
{
	pid_t w[4], pp;
	int i, st, ok = 1, lost = 0;
	long pings = 0;
	sigset_t set;
	struct timespec end, now, to = { 5, 0 };

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
		kill(w[i], SIGTERM);
	for (i = 0; i < 4; i++) {
		if (waitpid(w[i], &st, 0) != w[i] || !WIFEXITED(st) || WEXITSTATUS(st)) {
			ok = 0;
			printf("# worker %d: %s\n", i, describe(st));
		}
	}
	tap(ok, "stress: 3 fork/fault/mmap/syscall workers (2 in ring %d, 1 in ring %d) ran %ds and ended cleanly",
	       want_ring, 3 - want_ring, seconds);
	tap(!lost && pings > 100,
	       "stress: %ld signal round trips with a ring-%d partner, none lost",
	       pings, 3 - want_ring);
	return nfail ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *dir;
	char spin[256];

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
	if (argc == 3 && !strcmp(argv[1], "page")) {
		want_ring = atoi(argv[2]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		return paging();
	}
	if (argc == 5 && !strcmp(argv[1], "stress")) {
		want_ring = atoi(argv[2]);
		seconds = atoi(argv[3]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		printf("TAP version 13\n1..3\n");
		tap(kml_ring() == want_ring, "stress: running in ring %d", want_ring);
		return stress(argv[4]);
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s RING [SECONDS] | stress RING SECONDS PARTNER\n",
			argv[0]);
		return 2;
	}
	want_ring = atoi(argv[1]);
	if (argc > 2)
		seconds = atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	dir = getenv("KML_SPIN") ? getenv("KML_SPIN") : "/kml/spin";
	snprintf(spin, sizeof(spin), "%s%s", dir, want_ring ? ".unstamped" : "");

	printf("TAP version 13\n");
	if (getenv("KML_ONLY_SPIN")) {
		printf("1..3\n");
		tap(kml_ring() == want_ring, "ring: %%cs says ring %d (want %d)", kml_ring(), want_ring);
		test_spin(spin, NULL, "for(;;)");
		test_redzone();
		return nfail ? 1 : 0;
	}
	printf("# kml_ring0_test: ring %d, %d s per long test\n", want_ring, seconds);
	test_privilege();
	test_prctl_modes();
	test_segv();
	test_exceptions();
	test_syscalls();
	test_direct();
	test_bad_iret();
	test_ptrace();
	test_coredump();
	test_fpu();
	test_spin(spin, NULL, "for(;;)");
	/* Signals and preemption arrive on the return from system calls. */
	test_spin("/proc/self/exe", "sysspin", "getppid()");
	test_redzone();
	test_cpu_state();
	test_page_tables();
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
