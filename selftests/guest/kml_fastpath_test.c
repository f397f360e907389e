// SPDX-License-Identifier: GPL-2.0
/*
 * kml_fastpath_test - the fast system-call path of ring-0 processes: taken
 * when nothing is pending, left whenever something is, and never visible
 * to the program except as speed.
 *
 * Built once, run stamped (ring 0) and unstamped (ring 3, the control):
 * every test checks the same behaviour in both; the counters of the path
 * taken ("KmlSyscalls: TOTAL FULL" in /proc/PID/status) are checked in
 * ring 0 only (a ring-3 process has none: 0 0).
 *
 * Covered (kernel/README.md, "Fast path"): a plain loop is >= 99 % fast,
 * through SYSCALL and the direct call; a signal arriving mid-loop (handler
 * runs; an SA_RESTART read is restarted); PTRACE_SYSCALL attached mid-loop
 * sees the calls and the loop is fast again after the detach; a seccomp
 * filter the program installs on itself (SECCOMP_RET_ERRNO); the
 * raw_syscalls tracepoint sees the calls; rseq's cpu_id stays current
 * across migrations; ymm and x87 state survive system calls that block
 * while another process uses them; getrusage()/times() account user and
 * system time; a single step over the direct call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kml_status.h"
#include "kml_syscall.h"

#define LOOP	100000

struct counts {
	unsigned long total, full;
};

/* "KmlSyscalls: TOTAL FULL" of @pid (0: this thread); 0 0 if absent. */
static struct counts kml_counts(pid_t pid)
{
	struct counts c = { 0, 0 };
	char path[64], line[256];
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/status");
	f = fopen(path, "r");
	if (!f)
		return c;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "KmlSyscalls: %lu %lu", &c.total, &c.full) == 2)
			break;
	fclose(f);
	return c;
}

static int ring0(void)
{
	return kml_ring() == 0;
}

/* Calls between two reads of the counters, minus the read itself. */
static struct counts delta(struct counts a, struct counts b)
{
	struct counts d = { b.total - a.total, b.full - a.full };

	return d;
}

TEST(plain_loop_is_fast)
{
	struct counts a, b, d;
	long i, bad = 0;
	pid_t pp = getppid();

	a = kml_counts(0);
	for (i = 0; i < LOOP; i++)
		bad += syscall(SYS_getppid) != pp;
	b = kml_counts(0);
	d = delta(a, b);
	EXPECT_EQ(0, bad);
	if (!ring0()) {
		EXPECT_EQ(0, b.total) TH_LOG("ring 3 has no KML counts");
		return;
	}
	/* The loop's calls, and the few the counter reading makes. */
	EXPECT_LE(LOOP, d.total);
	EXPECT_GE(LOOP + 20, d.total);
	EXPECT_GE(d.total / 100, d.full)
		TH_LOG("%lu of %lu calls took the full path", d.full, d.total);
	TH_LOG("getppid loop: %lu calls, %lu full path", d.total, d.full);
}

TEST(direct_loop_is_fast)
{
	struct counts a, b, d;
	long i, bad = 0;
	pid_t pp = getppid();

	if (!kml_direct_available())
		SKIP(return, "no direct-call entry (ring 3)");
	a = kml_counts(0);
	for (i = 0; i < LOOP; i++)
		bad += kml_syscall0(SYS_getppid) != pp;
	b = kml_counts(0);
	d = delta(a, b);
	EXPECT_EQ(0, bad);
	EXPECT_LE(LOOP, d.total);
	EXPECT_GE(d.total / 100, d.full)
		TH_LOG("%lu of %lu direct calls took the full path", d.full, d.total);
}

/* Results, errors and arguments through the fast path, both entries. */
TEST(results_and_errors)
{
	char buf[8];
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(6, syscall(SYS_write, p[1], "abcdef", 6));
	EXPECT_EQ(6, syscall(SYS_read, p[0], buf, 6));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	EXPECT_EQ(-1, syscall(SYS_close, -1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, syscall(100000));
	EXPECT_EQ(ENOSYS, errno);
	if (kml_direct_available()) {
		EXPECT_EQ(3, kml_syscall3(SYS_write, p[1], "xyz", 3));
		EXPECT_EQ(3, kml_syscall3(SYS_read, p[0], buf, 3));
		EXPECT_EQ(0, memcmp(buf, "xyz", 3));
		EXPECT_EQ(-EBADF, kml_syscall1(SYS_close, -1));
		EXPECT_EQ(-ENOSYS, kml_syscall0(100000));
	}
	close(p[0]);
	close(p[1]);
}

/*
 * The wrappers of kml_syscall.h with four to six arguments (R10, R8, R9),
 * at -O2: through the direct entry when there is one, else through their
 * "syscall" fallback (the unstamped copy).  pread64 reads at an offset
 * (R10), mremap moves a mapping (R10 the flags, R8 unused but passed),
 * mmap maps a memfd at a page offset (R10 flags, R8 fd, R9 offset).
 */
TEST(four_to_six_arguments)
{
	/*
	 * Constant arguments, as a caller writes them: the compiler may load
	 * them into R10, R8 and R9 early, which is what went wrong once (the
	 * register variables set before the auxv look-up's call).
	 */
	char buf[4] = { 0 };
	char *p, *q;
	int fd;

	fd = memfd_create("kml-args", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 8192));
	ASSERT_EQ(3, pwrite(fd, "R10", 3, 4096));
	EXPECT_EQ(3, kml_syscall4(SYS_pread64, fd, buf, 3, 4096));
	EXPECT_EQ(0, memcmp(buf, "R10", 3));

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'm';
	q = (char *)kml_syscall5(SYS_mremap, p, 4096, 8192, MREMAP_MAYMOVE, 0);
	ASSERT_FALSE((unsigned long)q > -4096UL) TH_LOG("mremap: %ld", (long)q);
	EXPECT_EQ('m', q[0]);
	munmap(q, 8192);

	q = (char *)kml_syscall6(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	ASSERT_FALSE((unsigned long)q > -4096UL) TH_LOG("mmap: %ld", (long)q);
	EXPECT_EQ(0, memcmp(q, "R10", 3));
	munmap(q, 4096);
	close(fd);
}

/* Registers and flags across a system call, as the SYSCALL ABI has them. */
TEST(registers_preserved)
{
	unsigned long in[6] = { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666 };
	unsigned long out[6], rbx = 0x7777, r12 = 0x8888, flags_in, flags_out;
	register unsigned long r10 asm("r10") = in[3];
	register unsigned long r8 asm("r8") = in[4];
	register unsigned long r9 asm("r9") = in[5];
	unsigned long rax = SYS_getppid, rdi = in[0], rsi = in[1], rdx = in[2];

	/* CF and the sign flag set before, and restored after. */
	asm volatile("stc\n\t"
		     "pushfq\n\t"
		     "popq %[fi]\n\t"
		     "syscall\n\t"
		     "pushfq\n\t"
		     "popq %[fo]"
		     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10),
		       "+r"(r8), "+r"(r9), "+b"(rbx), [fi] "=&r"(flags_in),
		       [fo] "=&r"(flags_out)
		     : : "rcx", "r11", "memory", "cc");
	asm volatile("" : "+r"(r12));
	out[0] = rdi; out[1] = rsi; out[2] = rdx;
	out[3] = r10; out[4] = r8; out[5] = r9;
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(0x7777, rbx);
	EXPECT_EQ(0x8888, r12);
	EXPECT_EQ((long)getppid(), (long)rax);
	EXPECT_EQ(flags_in & 0xcd5, flags_out & 0xcd5)
		TH_LOG("EFLAGS before %#lx after %#lx", flags_in, flags_out);
}

/* ---- leaving the fast path: signals ------------------------------------ */

static volatile sig_atomic_t sigs;

static void on_signal(int sig)
{
	sigs++;
}

/* A timer signal arrives while the loop runs: the handler runs each time. */
TEST(signal_mid_loop)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	struct counts a, b;
	long i;

	sigs = 0;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	a = kml_counts(0);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (i = 0; i < 20 * LOOP && sigs < 20; i++)
		syscall(SYS_getppid);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	b = kml_counts(0);
	EXPECT_LE(20, sigs) TH_LOG("%d signals in %ld calls", (int)sigs, i);
	if (ring0())
		EXPECT_LE(1, b.full - a.full) TH_LOG("a signal takes the full path");
	signal(SIGALRM, SIG_DFL);
}

/* A blocked read, interrupted by a signal with SA_RESTART, is restarted. */
TEST(sa_restart_read)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	char c = 0;
	int p[2];
	pid_t w;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigs = 0;
	w = fork();
	if (w == 0) {
		usleep(100000);
		kill(getppid(), SIGUSR1);
		usleep(100000);
		if (write(p[1], "R", 1) != 1)
			_exit(1);
		_exit(0);
	}
	EXPECT_EQ(1, syscall(SYS_read, p[0], &c, 1));
	EXPECT_EQ('R', c);
	EXPECT_EQ(1, sigs);
	if (kml_direct_available()) {
		sigs = 0;
		waitpid(w, NULL, 0);
		w = fork();
		if (w == 0) {
			usleep(100000);
			kill(getppid(), SIGUSR1);
			usleep(100000);
			if (write(p[1], "D", 1) != 1)
				_exit(1);
			_exit(0);
		}
		EXPECT_EQ(1, kml_syscall3(SYS_read, p[0], &c, 1));
		EXPECT_EQ('D', c);
		EXPECT_EQ(1, sigs);
	}
	waitpid(w, NULL, 0);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- leaving the fast path: a tracer ----------------------------------- */

static void spin_getppid(void)
{
	for (;;)
		syscall(SYS_getppid);
}

/*
 * PTRACE_SYSCALL attached to a looping process sees its getppid calls;
 * after the detach the loop is fast again.
 */
TEST(ptrace_syscall_mid_loop)
{
	struct user_regs_struct r;
	struct counts a, b;
	int st, i, seen = 0;
	pid_t c = fork();

	if (c == 0)
		spin_getppid();
	ASSERT_LT(0, c);
	usleep(50000);
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, c, NULL, NULL));
	ASSERT_EQ(c, waitpid(c, &st, 0));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, c, NULL, NULL));
		ASSERT_EQ(c, waitpid(c, &st, 0));
		ASSERT_TRUE(WIFSTOPPED(st));
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, c, NULL, &r));
		seen += r.orig_rax == SYS_getppid;
	}
	EXPECT_LE(18, seen) TH_LOG("%d of 20 syscall stops at getppid", seen);
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, c, NULL, NULL));
	a = kml_counts(c);
	usleep(200000);
	b = kml_counts(c);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	if (ring0()) {
		EXPECT_LE(1000, b.total - a.total);
		EXPECT_GE((b.total - a.total) / 100, b.full - a.full)
			TH_LOG("after the detach: %lu of %lu calls full path",
			       b.full - a.full, b.total - a.total);
	}
}

/* ---- leaving the fast path: seccomp ------------------------------------- */

TEST(seccomp_errno)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),	/* nr */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 77),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	struct counts a, b;

	/* The filter stays with this (forked) test process only. */
	ASSERT_EQ(0, syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		TH_LOG("seccomp: %s", strerror(errno));
	a = kml_counts(0);
	EXPECT_EQ(-1, syscall(SYS_getppid));
	EXPECT_EQ(77, errno);
	if (kml_direct_available())
		EXPECT_EQ(-77, kml_syscall0(SYS_getppid));
	EXPECT_EQ(getpid(), syscall(SYS_getpid));
	b = kml_counts(0);
	if (ring0())
		EXPECT_EQ(b.total - a.total, b.full - a.full)
			TH_LOG("with a filter every call takes the full path");
}

/* ---- the raw_syscalls tracepoint sees the calls ------------------------ */

static const char *tracefs(void)
{
	static const char *dirs[] = { "/sys/kernel/tracing",
				      "/sys/kernel/debug/tracing" };
	char p[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/raw_syscalls", dirs[i]);
		if (!access(p, F_OK))
			return dirs[i];
	}
	mount("tracefs", dirs[0], "tracefs", 0, NULL);
	snprintf(p, sizeof(p), "%s/events/raw_syscalls", dirs[0]);
	return access(p, F_OK) ? NULL : dirs[0];
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char p[256];
	int fd, ok;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

TEST(raw_syscalls_tracepoint)
{
	const char *t = tracefs();
	char filter[64], line[512];
	int i, seen = 0;
	FILE *f;

	ASSERT_NE(NULL, t) TH_LOG("no tracefs with raw_syscalls events");
	snprintf(filter, sizeof(filter), "common_pid == %d && id == %d",
		 getpid(), SYS_getppid);
	ASSERT_EQ(0, write_file(t, "trace", ""));
	ASSERT_EQ(0, write_file(t, "events/raw_syscalls/sys_enter/filter", filter));
	ASSERT_EQ(0, write_file(t, "events/raw_syscalls/sys_enter/enable", "1"));
	for (i = 0; i < 50; i++)
		syscall(SYS_getppid);
	if (kml_direct_available())
		for (i = 0; i < 50; i++)
			kml_syscall0(SYS_getppid);
	write_file(t, "events/raw_syscalls/sys_enter/enable", "0");
	write_file(t, "events/raw_syscalls/sys_enter/filter", "0");
	snprintf(line, sizeof(line), "%s/trace", t);
	f = fopen(line, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		seen += strstr(line, "sys_enter") != NULL;
	fclose(f);
	EXPECT_EQ(kml_direct_available() ? 100 : 50, seen);
}

/* ---- rseq: cpu_id current across migrations ----------------------------- */

/* glibc (2.35 and later) registers rseq for every thread. */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

TEST(rseq_cpu_id)
{
	volatile uint32_t *cpu_id;
	unsigned int cpu, mig, bad = 0;
	cpu_set_t set;

	if (!&__rseq_size || !__rseq_size)
		SKIP(return, "glibc did not register rseq");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: nothing to migrate to");
	/* struct rseq: cpu_id_start (u32), cpu_id (u32), ... */
	cpu_id = (uint32_t *)((char *)__builtin_thread_pointer() + __rseq_offset + 4);
	for (mig = 0; mig < 200; mig++) {
		CPU_ZERO(&set);
		CPU_SET(mig & 1, &set);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
		syscall(SYS_getppid);
		if (syscall(SYS_getcpu, &cpu, NULL, NULL) || *cpu_id != cpu ||
		    cpu != (mig & 1))
			bad++;
	}
	EXPECT_EQ(0, bad) TH_LOG("rseq cpu_id stale after %u of 200 migrations", bad);
}

/* ---- ymm and x87 state across blocking system calls -------------------- */

/* Hold ymm0..ymm3 and an x87 value across a blocking read of one byte. */
static int fpu_across_read(int fd, unsigned long seed)
{
	unsigned long in[16], out[16];
	double x = (double)seed + 0.25, y = 0;
	char c;
	long n;
	int i;

	for (i = 0; i < 16; i++)
		in[i] = seed * 0x9e3779b97f4a7c15UL + i;
	asm volatile("vmovdqu 0(%[in]), %%ymm0\n\t"
		     "vmovdqu 32(%[in]), %%ymm1\n\t"
		     "vmovdqu 64(%[in]), %%ymm2\n\t"
		     "vmovdqu 96(%[in]), %%ymm3\n\t"
		     "fldl %[x]\n\t"
		     "syscall\n\t"
		     "fstpl %[y]\n\t"
		     "vmovdqu %%ymm0, 0(%[out])\n\t"
		     "vmovdqu %%ymm1, 32(%[out])\n\t"
		     "vmovdqu %%ymm2, 64(%[out])\n\t"
		     "vmovdqu %%ymm3, 96(%[out])"
		     : "=a"(n), [y] "=m"(y)
		     : "a"((long)SYS_read), "D"((long)fd), "S"(&c), "d"(1L),
		       [in] "r"(in), [out] "r"(out), [x] "m"(x)
		     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3");
	return n == 1 && !memcmp(in, out, sizeof(in)) && x == y;
}

/* The other process: the same registers, other values, all the time. */
static void fpu_noise(int fd, unsigned long seed)
{
	for (;;) {
		fpu_across_read(fd, seed);
	}
}

TEST(fpu_state_across_blocking_syscalls)
{
	int p[2], q[2], i, good = 0;
	pid_t noise;
	cpu_set_t set;

	if (!__builtin_cpu_supports("avx"))
		SKIP(return, "no AVX");
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	noise = fork();
	if (noise == 0) {
		/* Pinned to the same CPU, blocks on q, which the loop feeds. */
		fpu_noise(q[0], 77);
	}
	for (i = 0; i < 200; i++) {
		/* Wake the noise process, which then runs until it blocks. */
		if (write(q[1], "n", 1) != 1 || write(p[1], "x", 1) != 1)
			break;
		good += fpu_across_read(p[0], i + 1);
	}
	kill(noise, SIGKILL);
	waitpid(noise, NULL, 0);
	EXPECT_EQ(200, good);
}

/* ---- accounting --------------------------------------------------------- */

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

TEST(rusage_and_times)
{
	struct rusage ru0, ru1;
	struct tms t0, t1;
	struct timespec a, b;
	double wall, cpu;
	long hz = sysconf(_SC_CLK_TCK);

	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &ru0));
	times(&t0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		int i;

		for (i = 0; i < 1000; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec < 1000000000L);
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &ru1));
	times(&t1);
	wall = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	cpu = tv(ru1.ru_utime) - tv(ru0.ru_utime) + tv(ru1.ru_stime) - tv(ru0.ru_stime);
	/* Busy for a second of wall time: most of it accounted to us. */
	EXPECT_LE(0.5 * wall, cpu) TH_LOG("%.3f s CPU in %.3f s", cpu, wall);
	EXPECT_GE(1.1 * wall, cpu);
	EXPECT_LE(tv(ru0.ru_stime), tv(ru1.ru_stime));
	/* times() says the same, in clock ticks. */
	EXPECT_LE(0.5 * wall * hz,
		  (double)(t1.tms_utime - t0.tms_utime + t1.tms_stime - t0.tms_stime));
}

/* ---- single-stepping over the direct call ------------------------------- */

/*
 * A debugger single-stepping a program across a direct call stops only at
 * the program's own instructions (the entry's instructions complete with
 * the call, as SYSCALL's do), and the program runs to its end; nothing on
 * the kernel console (check.sh).
 */
TEST(single_step_over_direct_call)
{
	struct user_regs_struct r;
	int st, steps = 0, kernel_stops = 0;
	pid_t c;

	if (!kml_direct_available())
		SKIP(return, "no direct-call entry (ring 3)");
	c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(kml_syscall0(SYS_getppid) == getppid() ? 0 : 1);
	}
	ASSERT_EQ(c, waitpid(c, &st, 0));
	for (;;) {
		ASSERT_EQ(0, ptrace(PTRACE_SINGLESTEP, c, NULL, NULL));
		ASSERT_EQ(c, waitpid(c, &st, 0));
		if (!WIFSTOPPED(st))
			break;
		ASSERT_EQ(0, ptrace(PTRACE_GETREGS, c, NULL, &r));
		kernel_stops += (long)r.rip < 0;
		ASSERT_GT(200000, ++steps);
	}
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, kernel_stops);
	TH_LOG("%d steps", steps);
}

/* The program sets TF itself around a direct call: SIGTRAPs, no oops. */
static volatile unsigned long traps, kernel_traps;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	traps++;
	if ((long)uc->uc_mcontext.gregs[REG_RIP] < 0)
		kernel_traps++;
	if (traps > 100000)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100UL;
}

TEST(self_trap_flag_over_direct_call)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	long r;

	if (!kml_direct_available())
		SKIP(return, "no direct-call entry (ring 3)");
	ASSERT_EQ(0, sigaction(SIGTRAP, &sa, NULL));
	traps = kernel_traps = 0;
	asm volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	r = kml_syscall0(SYS_getppid);
	asm volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
	EXPECT_EQ(getppid(), r);
	EXPECT_LT(0, traps);
	EXPECT_EQ(0, kernel_traps);
}

TEST_HARNESS_MAIN
