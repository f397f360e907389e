// SPDX-License-Identifier: GPL-2.0
/*
 * kml_time - time one run of a whole program, for make bench.
 *
 *   kml_time LABEL OPERATION COUNT PROGRAM [ARG...]
 *
 * Runs PROGRAM once (its output goes to /dev/null) and prints
 *
 *   bench,LABEL,OPERATION,NS_PER_OP,COUNT
 *
 * the format of kml_bench, where NS_PER_OP is the CLOCK_MONOTONIC time from
 * before fork() to after the program was reaped (exec, dynamic loading and
 * exit included), divided by COUNT, the number of operations the program
 * was told to do.  Under QEMU -icount shift=0 that clock counts guest
 * instructions.  If PROGRAM cannot run or does not exit with status 0:
 * "bench,LABEL,OPERATION,error,0" and exit status 1.
 *
 * kml_time itself is not stamped: it only forks, waits and reads the clock.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	double t0, t1;
	char *end;
	long count;
	pid_t pid;
	int st;

	if (argc < 5) {
		fprintf(stderr, "usage: kml_time LABEL OPERATION COUNT PROGRAM [ARG...]\n");
		return 2;
	}
	count = strtol(argv[3], &end, 10);
	if (*end || count <= 0) {
		fprintf(stderr, "kml_time: COUNT must be a positive number, not '%s'\n", argv[3]);
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0 && !getenv("KML_TIME_VERBOSE")) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[4], argv + 4);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		printf("bench,%s,%s,error,0\n", argv[1], argv[2]);
		return 1;
	}
	t1 = now_ns();
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("bench,%s,%s,error,0\n", argv[1], argv[2]);
		fprintf(stderr, "kml_time: %s: %s %d\n", argv[4],
			WIFEXITED(st) ? "exit status" : "killed by signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return 1;
	}
	printf("bench,%s,%s,%.1f,%ld\n", argv[1], argv[2], (t1 - t0) / count, count);
	return 0;
}
