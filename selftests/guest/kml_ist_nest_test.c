// SPDX-License-Identifier: GPL-2.0
/*
 * kml_ist_nest_test - an NMI that interrupts the KML entry stubs may take a
 * fault (the ist-nest suite).
 *
 * While a KML task is current, every fault goes to the top of the CPU's
 * KML IST, where the stubs (and the entry code behind them, up to
 * sync_regs) run with a live frame for a few dozen instructions.  An NMI
 * that lands there and whose handler faults - perf reading a user call
 * chain does - must not push that fault's frame over the live one: the NMI
 * prologue runs such a handler with the normal IDT (entry_64_kml.S,
 * KML_IST_REDIRECT), and it returns through kml_ist_return.
 *
 * Each test (stamped, as root, on a kernel with CONFIG_KML_SELFTEST) has a
 * child on CPU 1 enter the stubs all the time while this process, on CPU 0,
 * writes "1 SECONDS" to /sys/kernel/debug/kml/nmi_storm: the kernel sends
 * CPU 1 NMIs as fast as they are taken, each handled by a fixed-up page
 * fault.  The storm's counts say how many NMIs interrupted code on the KML
 * IST ("window"): there must be some, each must have run its handler with
 * the normal IDT - sent there by the prologue, which counts it in
 * /sys/kernel/debug/kml/ist, or through the normal IDT's own gate because
 * it came in kml_ist_return before that put kml_idt back - no NMI may be
 * lost, and the child must end with everything it checked intact.
 *
 *  - ring0: the child runs in ring 0 and takes page faults on memory it
 *    discards and touches again, and an int3 per round (SIGTRAP handler);
 *  - ring3: the child, a KML task, runs 32-bit code in ring 3 (what a
 *    sigreturn to a 32-bit code segment does to a KML task), an int3 loop
 *    whose SIGTRAP handler runs in ring 0: the stubs' entry from ring 3,
 *    which under PTI starts on the user page tables.
 *
 * A kernel without the guard crashes in the first seconds of a storm (the
 * console shows it; check.sh fails the boot).  KML_IST_SECONDS sets each
 * storm's length (default 8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kml_status.h"

#define STORM		"/sys/kernel/debug/kml/nmi_storm"
#define IST		"/sys/kernel/debug/kml/ist"
#define LONGEST		"/sys/kernel/debug/x86/nmi_longest_ns"
#define TARGET_CPU	1
#define PAGES		64
#define USER32_CS	0x23	/* __USER32_CS */
#define USER_CS		0x33	/* __USER_CS: what a KML task's frames say */
#define STACK32		(64 * 1024)

struct storm {
	unsigned long sent, handled, lost, faults, kml, window, normal_idt,
		      redirected, trampoline;
};

/* What the child reports through its pipe when it is told to stop. */
struct work {
	unsigned long rounds, faults, traps, bad;
};

static volatile sig_atomic_t stop;
static struct work w;
static int report_fd;
static unsigned char *code32;

static void on_usr1(int sig)
{
	stop = 1;
}

static void report(void)
{
	_exit(write(report_fd, &w, sizeof(w)) == sizeof(w) ? 0 : 5);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The child's common start: pinned to TARGET_CPU, in ring 0, told apart. */
static void child_start(int ready)
{
	signal(SIGUSR1, on_usr1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* the test gave up */
	if (pin(TARGET_CPU) || sched_getcpu() != TARGET_CPU || kml_ring() != 0)
		_exit(2);
	if (write(ready, "r", 1) != 1)
		_exit(3);
}

static void on_trap0(int sig)
{
	w.traps++;
}

/*
 * ring0: each round throws its pages away and faults them back twice (a
 * read maps the zero page, a write gets a new page), checking every value,
 * then executes an int3.
 */
static void work_ring0(int ready)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *buf;
	int i;

	signal(SIGTRAP, on_trap0);
	buf = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		_exit(4);
	child_start(ready);
	while (!stop) {
		if (madvise(buf, PAGES * pg, MADV_DONTNEED))
			_exit(4);
		for (i = 0; i < PAGES; i++)
			w.bad += ((volatile unsigned char *)buf)[i * pg] != 0;
		for (i = 0; i < PAGES; i++)
			buf[i * pg + i] = (unsigned char)(w.rounds + i);
		for (i = 0; i < PAGES; i++)
			w.bad += ((volatile unsigned char *)buf)[i * pg + i] !=
				 (unsigned char)(w.rounds + i);
		w.faults += 2 * PAGES;
		__asm__ volatile("int3" ::: "memory");
		w.rounds++;
	}
	w.bad += w.traps != w.rounds;
	report();
}

/*
 * ring3: the first SIGTRAP (raised in ring 0) sends the task to the 32-bit
 * loop "int3; jmp .-1" at code32, in ring 3; every later one is that int3,
 * and must say so: 32-bit code segment, RIP just after the int3.  Each
 * runs this handler in ring 0 and returns to the loop.
 */
static void on_trap3(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	unsigned int cs = g[REG_CSGSFS] & 0xffff;

	if (kml_ring() != 0)
		w.bad++;
	if (cs == USER_CS && !w.rounds) {
		g[REG_RIP] = (uintptr_t)code32;
		g[REG_RSP] = (uintptr_t)code32 + STACK32;
		g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | USER32_CS;
		w.rounds++;
		return;
	}
	w.traps++;
	if (cs != USER32_CS || g[REG_RIP] != (uintptr_t)code32 + 1)
		w.bad++;
	if (stop)
		report();
}

static void work_ring3(int ready)
{
	static const unsigned char loop[] = { 0xcc, 0xeb, 0xfd };
	struct sigaction sa = { .sa_sigaction = on_trap3, .sa_flags = SA_SIGINFO };

	/* The code, and the stack for the signal frames, below 4 GiB. */
	code32 = mmap(NULL, STACK32, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (code32 == MAP_FAILED || sigaction(SIGTRAP, &sa, NULL))
		_exit(4);
	memcpy(code32, loop, sizeof(loop));
	child_start(ready);
	raise(SIGTRAP);
	_exit(6);	/* never returns here: report() ends it */
}

/* CPU's "nmi" count in /sys/kernel/debug/kml/ist; -1 if absent. */
static long ist_nmis(int cpu)
{
	char line[128];
	long n = -1, v;
	int c;
	FILE *f = fopen(IST, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu %d nmi %ld", &c, &v) == 2 && c == cpu)
			n = v;
	fclose(f);
	return n;
}

/* Write VAL to nmi_longest_ns; the old value (malloc'd), NULL if none. */
static char *set_longest(const char *val)
{
	char old[32];
	ssize_t n;
	int fd = open(LONGEST, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, old, sizeof(old) - 1);
	close(fd);
	/* (a debugfs attribute cannot be written at an offset: reopen) */
	fd = open(LONGEST, O_WRONLY);
	if (n <= 0 || fd < 0)
		return NULL;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		close(fd);
		return NULL;
	}
	close(fd);
	old[n] = '\0';
	return strdup(old);
}

static int read_storm(struct storm *s)
{
	char line[256];
	int n, fd = open(STORM, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	return sscanf(line, "sent %lu handled %lu lost %lu faults %lu kml %lu window %lu normal_idt %lu redirected %lu trampoline %lu",
		      &s->sent, &s->handled, &s->lost, &s->faults, &s->kml,
		      &s->window, &s->normal_idt, &s->redirected,
		      &s->trampoline) == 9 ? 0 : -1;
}

/*
 * Start the child running @fn on TARGET_CPU, storm it from CPU 0, stop it
 * and check everything.
 */
static void storm_test(struct __test_metadata *_metadata,
		       void (*fn)(int ready))
{
	int ready[2], res[2], st, fd, seconds = 8;
	char cmd[32], c, *longest;
	long before, after;
	struct storm s;
	struct work got;
	ssize_t n;
	pid_t child;

	if (getenv("KML_IST_SECONDS"))
		seconds = atoi(getenv("KML_IST_SECONDS"));
	ASSERT_EQ(1, kml_status()) TH_LOG("run the stamped copy");
	ASSERT_LE(2, sysconf(_SC_NPROCESSORS_ONLN)) TH_LOG("needs 2 CPUs");
	ASSERT_EQ(0, access(STORM, W_OK))
		TH_LOG("%s: %s (a kernel with CONFIG_KML_SELFTEST, as root)",
		       STORM, strerror(errno));
	before = ist_nmis(TARGET_CPU);
	ASSERT_LE(0, before) TH_LOG("no cpu %d line in %s", TARGET_CPU, IST);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(res));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(ready[0]);
		close(res[0]);
		report_fd = res[1];
		fn(ready[1]);
	}
	close(ready[1]);
	close(res[1]);
	ASSERT_EQ(0, pin(0));
	ASSERT_EQ(1, read(ready[0], &c, 1))
		TH_LOG("the child did not start in ring 0 on CPU %d", TARGET_CPU);

	/*
	 * Under emulation a handler often takes more than the 1 ms after
	 * which the kernel logs "NMI handler took too long": not this test's
	 * business.
	 */
	longest = set_longest("1000000000");
	snprintf(cmd, sizeof(cmd), "%d %d", TARGET_CPU, seconds);
	fd = open(STORM, O_WRONLY);
	ASSERT_LE(0, fd);
	n = write(fd, cmd, strlen(cmd));
	EXPECT_EQ((ssize_t)strlen(cmd), n) TH_LOG("write %s: %s", STORM, strerror(errno));
	close(fd);
	if (longest)
		free(set_longest(longest));
	free(longest);

	kill(child, SIGUSR1);
	ASSERT_EQ(sizeof(got), read(res[0], &got, sizeof(got)))
		TH_LOG("no report from the child");
	ASSERT_EQ(child, waitpid(child, &st, 0));
	after = ist_nmis(TARGET_CPU);
	ASSERT_EQ(0, read_storm(&s));

	TH_LOG("storm %d s: sent %lu handled %lu lost %lu faults %lu kml %lu window %lu normal_idt %lu redirected %lu trampoline %lu; ist nmi +%ld",
	       seconds, s.sent, s.handled, s.lost, s.faults, s.kml, s.window,
	       s.normal_idt, s.redirected, s.trampoline, after - before);
	TH_LOG("child: %lu rounds, %lu page faults, %lu int3, %lu bad",
	       got.rounds, got.faults, got.traps, got.bad);

	/* The child went on as it should and found nothing wrong. */
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("child status %#x", st);
	EXPECT_LT(0, got.traps);
	EXPECT_EQ(0, got.bad);
	/* Every NMI handled, each with its fixed-up fault. */
	EXPECT_LT(0, s.sent);
	EXPECT_EQ(0, s.lost);
	EXPECT_EQ(s.sent, s.handled);
	EXPECT_EQ(s.handled, s.faults);
	EXPECT_LT(0, s.kml) TH_LOG("CPU %d was never in KML state", TARGET_CPU);
	/*
	 * The window was hit, and every NMI there ran with the normal IDT:
	 * sent there by the prologue (each one counted in the ist file), or
	 * through the normal IDT's own gate because it came in
	 * kml_ist_return before that put kml_idt back.
	 */
	EXPECT_LT(0, s.window) TH_LOG("no NMI landed on the KML IST: nothing was tested");
	EXPECT_LT(0, s.redirected);
	EXPECT_EQ(s.window, s.normal_idt);
	EXPECT_EQ(s.window, s.redirected + s.trampoline);
	EXPECT_EQ((long)s.redirected, after - before);
}

TEST(ring0)
{
	storm_test(_metadata, work_ring0);
}

TEST(ring3)
{
	storm_test(_metadata, work_ring3);
}

TEST_HARNESS_MAIN
