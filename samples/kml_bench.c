// SPDX-License-Identifier: GPL-2.0
/*
 * kml_bench - system-call micro-benchmarks and one syscall-heavy workload.
 *
 *   kml_bench [--quick] LABEL
 *   kml_bench --loop syscall|direct N
 *
 * Prints one CSV line per operation:
 *
 *   bench,LABEL,OPERATION,NS_PER_OP,ITERATIONS
 *
 * and, in ring 0, one per operation with the system calls it made and how
 * many of them took the full path rather than the fast one ("KmlSyscalls:"
 * in /proc/self/status; make check asserts on these, never on times):
 *
 *   path,LABEL,OPERATION,CALLS,FULL
 *
 * --loop makes N getppid calls through "syscall" or the direct-call entry
 * (where there is none, "syscall"): the workload tools/kml-census traces.
 *
 * Build it once, stamp one copy, and run both copies in the same boot:
 * the ratio of the two columns is what KML buys.  Times are CLOCK_MONOTONIC
 * (under QEMU -icount shift=0 that clock counts guest instructions, 1 ns
 * each).  --quick runs each operation briefly (make check's smoke test: it
 * checks that everything runs, not how fast).  Exit status 1 if any
 * operation failed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kml_syscall.h"

static const char *label;
static int quick;
static int failed;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* "KmlSyscalls: CALLS FULL" of this thread; 0 0 outside ring 0. */
static void kml_counts(unsigned long *calls, unsigned long *full)
{
	char line[256];
	FILE *f = fopen("/proc/thread-self/status", "r");

	*calls = *full = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "KmlSyscalls: %lu %lu", calls, full) == 2)
			break;
	fclose(f);
}

/* op() runs one operation and returns 0, or -1 on failure. */
static void bench(const char *name, long iters, int (*op)(void))
{
	unsigned long c0, f0, c1, f1;
	double t0, t1;
	long i;

	if (quick)
		iters = iters / 100 + 1;
	if (op()) {		/* warm up, and fail early */
		printf("bench,%s,%s,error,0\n", label, name);
		failed = 1;
		return;
	}
	kml_counts(&c0, &f0);
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		if (op()) {
			printf("bench,%s,%s,error,%ld\n", label, name, i);
			failed = 1;
			return;
		}
	t1 = now_ns();
	kml_counts(&c1, &f1);
	printf("bench,%s,%s,%.1f,%ld\n", label, name, (t1 - t0) / iters, iters);
	if (c1)
		printf("path,%s,%s,%lu,%lu\n", label, name, c1 - c0, f1 - f0);
	fflush(stdout);
}

static int fd_zero, fd_null;

static int op_getppid(void)
{
	return syscall(SYS_getppid) > 0 ? 0 : -1;
}

/*
 * The direct-call entry (elfnote/kml_syscall.h): a call instead of
 * "syscall" in the stamped copy; the unstamped copy has no entry and
 * executes a bare "syscall" (no glibc wrapper) - the fair comparison.
 */
static int op_getppid_direct(void)
{
	return kml_syscall0(SYS_getppid) > 0 ? 0 : -1;
}

static int op_read(void)
{
	char c;

	return read(fd_zero, &c, 1) == 1 ? 0 : -1;
}

static int op_write(void)
{
	return write(fd_null, "x", 1) == 1 ? 0 : -1;
}

static int op_clock_gettime(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC, &ts);
}

static int op_open_close(void)
{
	int fd = open("/dev/null", O_RDONLY);

	return fd >= 0 && close(fd) == 0 ? 0 : -1;
}

static int op_mmap_munmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	p[0] = 1;
	return munmap(p, 4096);
}

static int op_fork_wait(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid > 0 && waitpid(pid, &st, 0) == pid && st == 0 ? 0 : -1;
}

/* Pipe ping-pong: one byte there and back between two processes. */
static int ping[2], pong[2];
static pid_t partner;

static int pingpong_start(void)
{
	if (pipe(ping) || pipe(pong))
		return -1;
	partner = fork();
	if (partner == 0) {
		char c;

		/* Only the ends it uses: EOF on ping must reach it. */
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	return partner > 0 ? 0 : -1;
}

static int op_pingpong(void)
{
	char c = 'k';

	if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
		return -1;
	return 0;
}

static void pingpong_stop(void)
{
	close(ping[1]);
	waitpid(partner, NULL, 0);
	close(pong[0]);
}

/*
 * The workload: copy 64 KiB one byte at a time through a pipe to a child
 * that writes it, one byte at a time, to a file on tmpfs (the shape of a
 * naive filter).  Reported per byte.
 */
static int workload_bytes = 1 << 16;

static int op_workload(void)
{
	int p[2], st, fd, i;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		fd = open("/tmp/kml-bench.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(1);
		while (read(p[0], &c, 1) == 1)
			if (write(fd, &c, 1) != 1)
				_exit(1);
		_exit(close(fd) ? 1 : 0);
	}
	close(p[0]);
	for (i = 0; i < workload_bytes; i++) {
		c = (char)i;
		if (write(p[1], &c, 1) != 1)
			break;
	}
	close(p[1]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0 || i != workload_bytes)
		return -1;
	unlink("/tmp/kml-bench.out");
	return 0;
}

int main(int argc, char **argv)
{
	double t0, t1;

	if (argc == 4 && !strcmp(argv[1], "--loop")) {
		long n = atol(argv[3]);
		int direct = !strcmp(argv[2], "direct");

		while (n-- > 0)
			if (direct ? op_getppid_direct() : op_getppid())
				return 1;
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--quick")) {
		quick = 1;
		argc--;
		argv++;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: kml_bench [--quick] LABEL\n");
		return 2;
	}
	label = argv[1];
	fd_zero = open("/dev/zero", O_RDONLY);
	fd_null = open("/dev/null", O_WRONLY);
	if (fd_zero < 0 || fd_null < 0) {
		perror("kml_bench: /dev/zero, /dev/null");
		return 1;
	}
	bench("getppid", 200000, op_getppid);
	bench("getppid-direct-call", 200000, op_getppid_direct);
	bench("read-1B-/dev/zero", 200000, op_read);
	bench("write-1B-/dev/null", 200000, op_write);
	bench("clock_gettime-vdso", 200000, op_clock_gettime);
	bench("open+close", 50000, op_open_close);
	bench("mmap+munmap-4K", 20000, op_mmap_munmap);
	if (pingpong_start() == 0) {
		bench("pipe-pingpong", 20000, op_pingpong);
		pingpong_stop();
	} else {
		printf("bench,%s,pipe-pingpong,error,0\n", label);
		failed = 1;
	}
	bench("fork+wait", 500, op_fork_wait);

	if (quick)
		workload_bytes = 1 << 12;
	t0 = now_ns();
	if (op_workload()) {
		printf("bench,%s,workload-pipe-copy-per-byte,error,0\n", label);
		failed = 1;
	} else {
		t1 = now_ns();
		printf("bench,%s,workload-pipe-copy-per-byte,%.1f,%d\n", label,
		       (t1 - t0) / workload_bytes, workload_bytes);
	}
	return failed;
}
