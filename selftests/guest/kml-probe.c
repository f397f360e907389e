// SPDX-License-Identifier: GPL-2.0
/*
 * kml-probe - checks the KML state of itself and of what it forks or execs.
 * Prints "probe: ok" (exit 0) when the check holds, "probe: FAIL ..." else.
 *
 * "Kml: WANT" also means "ring 0" for WANT 1 and "ring 3" otherwise: the
 * probe reads the privilege level of its own code from %cs.
 *
 *   kml-probe status WANT            my own Kml: is WANT
 *   kml-probe secure WANT            getauxval(AT_SECURE) is WANT
 *   kml-probe dumpable WANT          prctl(PR_GET_DUMPABLE) is WANT
 *   (status, secure and dumpable combine: "status 1 secure 1 dumpable 0"
 *   checks all three in one exec)
 *   kml-probe fork WANT              a forked child sees Kml: WANT
 *   kml-probe exec PATH ARGS...      exec PATH ARGS (which must say ok)
 *   kml-probe dfl PATH ARGS...       exec PATH with SIGINT at its default
 *                                    (a shell's "cmd &" ignores SIGINT)
 *   kml-probe execfail PATH WANT     exec of PATH fails with EPERM, and
 *                                    afterwards my Kml: is still WANT
 *   kml-probe drop UID DUMPABLE      become UID (all ids, no supplementary
 *                                    groups) as a daemon does, then, unless
 *                                    DUMPABLE is -1, prctl(PR_SET_DUMPABLE,
 *                                    DUMPABLE); print "ready ADDR RING DUMP"
 *                                    (the address of a word others may try
 *                                    to change, the ring it now runs in, its
 *                                    dumpable flag) and wait to be killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kml_status.h"

/* Kml: 1 must mean ring 0 now; anything else, ring 3. */
static int kml_state(void)
{
	int kml = kml_status();

	if (kml_ring() != (kml == 1 ? 0 : 3))
		return -2;	/* status and ring disagree */
	return kml;
}

static int verdict(int ok, const char *what, int got, int want)
{
	if (ok) {
		printf("probe: ok\n");
		return 0;
	}
	printf("probe: FAIL %s: got %d, want %d\n", what, got, want);
	return 1;
}

static int is_check(const char *what)
{
	return !strcmp(what, "status") || !strcmp(what, "secure") ||
	       !strcmp(what, "dumpable");
}

/* What one of the checks finds about this process. */
static int check_value(const char *what)
{
	if (!strcmp(what, "status"))
		return kml_state();
	if (!strcmp(what, "secure"))
		return (int)getauxval(AT_SECURE);
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/* The word "drop" offers to ptrace and /proc/PID/mem (kml_ptrace_test). */
static volatile unsigned long target_word = 0x4b4d4c;

static int drop(uid_t uid, int dumpable)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid)) {
		printf("probe: FAIL drop to uid %u: %s\n", uid, strerror(errno));
		return 1;
	}
	if (dumpable >= 0 && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0)) {
		printf("probe: FAIL PR_SET_DUMPABLE %d: %s\n", dumpable,
		       strerror(errno));
		return 1;
	}
	printf("ready %p %d %d\n", (void *)&target_word, kml_ring(),
	       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int want, got, st, i;
	pid_t pid;

	/* status|secure|dumpable WANT, repeated: every pair must hold */
	if (argc >= 3 && argc % 2 == 1 && is_check(argv[1])) {
		for (i = 1; i + 1 < argc; i += 2) {
			if (!is_check(argv[i]))
				break;
			want = atoi(argv[i + 1]);
			got = check_value(argv[i]);
			if (got != want)
				return verdict(0, strcmp(argv[i], "status") ? argv[i] :
					       "status (-2: ring disagrees)", got, want);
		}
		if (i + 1 >= argc)
			return verdict(1, "", 0, 0);
	}
	if (argc >= 3 && !strcmp(argv[1], "fork")) {
		want = atoi(argv[2]);
		pid = fork();
		if (pid == 0)
			_exit(kml_state() == want ? 0 : 1);
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return verdict(0, "fork", -1, want);
		return verdict(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			       "child status", !WEXITSTATUS(st) ? want : -1,
			       want);
	}
	if (argc >= 3 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		printf("probe: FAIL exec %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "dfl")) {
		signal(SIGINT, SIG_DFL);
		execv(argv[2], argv + 2);
		printf("probe: FAIL exec %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "execfail")) {
		char *args[] = { argv[2], NULL };

		want = atoi(argv[3]);
		execv(argv[2], args);
		if (errno != EPERM)
			return verdict(0, "exec errno", errno, EPERM);
		got = kml_state();
		return verdict(got == want, "status after failed exec", got,
			       want);
	}
	if (argc == 4 && !strcmp(argv[1], "drop"))
		return drop(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of kml-probe.c\n");
	return 2;
}
