// SPDX-License-Identifier: GPL-2.0
/*
 * kml_exec_test - guest-side TAP tests of stamp recognition (binfmt_kml).
 *
 * Usage: kml_exec_test DIR
 *   DIR holds the programs and the broken stamps made on the host by
 *   selftests/mkcases.sh; DIR/cases lists one case per line:
 *
 *     run     NAME KML       NAME runs, exits 0 and prints "Kml: KML", and
 *                            its "Kml:" seen from outside (below) is KML
 *     deny    NAME REASON... exec of NAME fails with EPERM and the kernel
 *                            logs "refusing exec of ...NAME...: REASON"
 *     notours NAME           damage that makes NAME "not a KML program" to
 *                            the note walker (broken ELF headers, a PT_NOTE
 *                            past the end of the file, a note it cannot
 *                            parse, a reserved note): binfmt_kml leaves it
 *                            to binfmt_elf, which either refuses it with
 *                            an errno of its own (ENOEXEC, EIO, ...: any
 *                            but EPERM) or runs it as an ordinary ring-3
 *                            program, which may exit or die by a signal.
 *                            Never EPERM, never "Kml: 1" on its output or
 *                            in its status, no "refusing exec" log line.
 *                            The TAP line says which of the two happened.
 *     probe   NAME ARGS...   NAME (the kml-probe helper) runs with ARGS and
 *                            must print "probe: ok"
 *
 * NAME is relative to DIR and may name a subdirectory (corpus/magic).
 * "Kml:" from outside: the exited child is left a zombie (waitid WNOWAIT)
 * while its /proc/PID/status is read, so a program that prints nothing
 * (the fuzz corpus's tiny one) is judged as well as one that does.
 *
 * Output is TAP through the kernel's kselftest.h (the plan, one ksft_test_
 * result per case, the totals; exit status 0 only if every planned case
 * ran and passed); the host runner counts it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "kml_spawn.h"
#include "kml_status.h"

/*
 * Runs argv; collects stdout (and stderr) into out, returns wait status.
 * *kml (if not NULL) is the "Kml:" of the exited process, read from its
 * /proc/PID/status while it is a zombie; -1 when unreadable.
 */
static int run_kml(char *const argv[], char *out, size_t outsz,
		   int *exec_errno, int *kml)
{
	char st[64];
	siginfo_t si;
	int status = -1;
	pid_t pid = kml_spawn(argv[0], argv, environ, NULL, NULL, out, outsz,
			      exec_errno);

	if (kml)
		*kml = -1;
	if (pid < 0)
		return -1;
	if (kml && waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0) {
		snprintf(st, sizeof(st), "/proc/%d/status", (int)pid);
		*kml = kml_status_of(st);
	}
	waitpid(pid, &status, 0);
	return status;
}

static int run(char *const argv[], char *out, size_t outsz, int *exec_errno)
{
	return run_kml(argv, out, outsz, exec_errno, NULL);
}

/* Opens /dev/kmsg positioned at its end, so we see only new records. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Is there a new record containing both needles? */
static int kmsg_find(int fd, const char *a, const char *b)
{
	char rec[2048];
	ssize_t r;
	int found = 0;

	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		if (r <= 0)
			continue;	/* EPIPE: records were overwritten */
		rec[r] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			found = 1;
	}
	return found;
}

static void case_run(const char *dir, const char *name, int want)
{
	char path[512], out[4096], expect[32];
	char *argv[] = { path, NULL };
	int st, e, kml;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(expect, sizeof(expect), "Kml: %d", want);
	st = run_kml(argv, out, sizeof(out), &e, &kml);
	if (e)
		ksft_print_msg("exec %s: %s\n", name, strerror(e));
	else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) || !strstr(out, expect))
		ksft_print_msg("%s: status %#x, output: %s", name, st, out);
	else if (kml != want)
		ksft_print_msg("%s: its /proc/PID/status said Kml: %d\n", name, kml);
	ksft_test_result(!e && WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, expect) &&
	    kml == want, "%s runs with %s\n", name, expect);
}

static void case_deny(const char *dir, const char *name, const char *reason)
{
	char path[512], out[4096];
	char *argv[] = { path, NULL };
	int st, e, logged, fd = kmsg_open();

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st = run(argv, out, sizeof(out), &e);
	logged = fd >= 0 && kmsg_find(fd, name, reason);
	if (fd >= 0)
		close(fd);
	if (e != EPERM)
		ksft_print_msg("%s: exec errno %d (%s), status %#x, output: %s\n", name,
		       e, e ? strerror(e) : "ran", st, out);
	if (!logged)
		ksft_print_msg("%s: no kernel log line with \"%s\"\n", name, reason);
	ksft_test_result(e == EPERM && logged, "%s refused with EPERM: %s\n", name, reason);
}

static void case_notours(const char *dir, const char *name)
{
	char path[512], out[4096], how[128];
	char *argv[] = { path, NULL };
	int st, e, kml, logged, ok, fd = kmsg_open();

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st = run_kml(argv, out, sizeof(out), &e, &kml);
	logged = fd >= 0 && kmsg_find(fd, name, "invalid stamp");
	if (fd >= 0)
		close(fd);
	if (e) {
		ok = e != EPERM;
		snprintf(how, sizeof(how), "exec fails with %s (%s)",
			 strerrorname_np(e) ? strerrorname_np(e) : "?", strerror(e));
	} else {
		ok = kml == 0 && !strstr(out, "Kml: 1");
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "runs in ring 3, Kml: %d, killed by signal %d",
				 kml, WTERMSIG(st));
		else
			snprintf(how, sizeof(how), "runs in ring 3, Kml: %d, exit %d",
				 kml, WEXITSTATUS(st));
	}
	if (!ok)
		ksft_print_msg("%s: errno %d, status %#x, Kml: %d, output: %s\n", name,
		       e, st, kml, out);
	if (logged)
		ksft_print_msg("%s: the kernel logged a refusal (\"invalid stamp\")\n", name);
	ksft_test_result(ok && !logged, "%s not a KML program: %s\n", name, how);
}

static void case_probe(const char *dir, char **words, int nwords)
{
	char path[512], out[4096], label[256] = "";
	char *argv[16];
	int i, st, e;

	snprintf(path, sizeof(path), "%s/%s", dir, words[0]);
	argv[0] = path;
	for (i = 1; i < nwords && i < 15; i++) {
		argv[i] = words[i];
		strncat(label, " ", sizeof(label) - strlen(label) - 1);
		strncat(label, words[i], sizeof(label) - strlen(label) - 1);
	}
	argv[i] = NULL;
	st = run(argv, out, sizeof(out), &e);
	if (e || !strstr(out, "probe: ok"))
		ksft_print_msg("%s%s: errno %d status %#x output: %s\n", words[0],
		       label, e, st, out);
	ksft_test_result(!e && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	    strstr(out, "probe: ok"), "%s%s\n", words[0], label);
}

int main(int argc, char **argv)
{
	char path[512], line[512], *w[16];
	int planned = 0, nw;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	ksft_print_header();
	snprintf(path, sizeof(path), "%s/cases", argv[1]);
	f = fopen(path, "r");
	if (!f)
		ksft_exit_fail_msg("cannot open %s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && line[0] != '\n')
			planned++;
	rewind(f);
	ksft_set_plan(planned);
	while (fgets(line, sizeof(line), f)) {
		char *save, *tok, *rest;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		nw = 0;
		for (tok = strtok_r(line, " \t", &save); tok && nw < 16;
		     tok = strtok_r(NULL, " \t", &save))
			w[nw++] = tok;
		if (nw >= 3 && !strcmp(w[0], "run")) {
			case_run(argv[1], w[1], atoi(w[2]));
		} else if (nw >= 3 && !strcmp(w[0], "deny")) {
			/* the reason is the rest of the line, spaces kept */
			rest = w[2];
			for (int i = 3; i < nw; i++)
				w[i][-1] = ' ';
			case_deny(argv[1], w[1], rest);
		} else if (nw == 2 && !strcmp(w[0], "notours")) {
			case_notours(argv[1], w[1]);
		} else if (nw >= 2 && !strcmp(w[0], "probe")) {
			case_probe(argv[1], w + 1, nw - 1);
		} else {
			ksft_test_result_fail("malformed case line: %s\n", w[0]);
		}
	}
	fclose(f);
	/* non-zero unless every planned case ran and passed */
	ksft_finished();
}
