// SPDX-License-Identifier: GPL-2.0
/*
 * kml_bash_test - Debian's own /bin/bash, given a note and stamped on the
 * host (kml-stamp --add-note --key), used as a person would at a terminal.
 *
 * Each test starts the stamped bash interactively on a pseudo-terminal
 * (forkpty), waits for its prompt, types lines and reads what comes back
 * until the next prompt, each step with a timeout, like a small "expect".
 * The prompt is PS1='[kml-$((6*7))]> ': it shows as "[kml-42]> ", a text
 * the echo of a typed line never contains.
 *
 * Run as root in the guest; KML_BASH names the shell (default
 * /kml/bash-stamped), KML_DIR the test directory (default /kml).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define PROMPT		"[kml-42]> "
#define STEP_MS		20000	/* any one step: TCG is slow, a hang is not */

struct term {
	int fd;
	pid_t pid;
	size_t len;		/* bytes of output in buf */
	char buf[1 << 16];
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Appends what the terminal says to t->buf, without carriage returns and
 * without terminal control sequences (ESC [ ... final byte: readline's
 * bracketed-paste switches).
 */
static void absorb(struct term *t, const char *in, ssize_t n)
{
	static int esc;	/* 1 after ESC, 2 inside "ESC [" */
	ssize_t i;

	for (i = 0; i < n && t->len < sizeof(t->buf) - 1; i++) {
		unsigned char c = in[i];

		if (esc == 1) {
			esc = c == '[' ? 2 : 0;
			continue;
		}
		if (esc == 2) {
			if (c >= 0x40 && c <= 0x7e)
				esc = 0;
			continue;
		}
		if (c == 0x1b) {
			esc = 1;
			continue;
		}
		if (c == '\r')
			continue;
		t->buf[t->len++] = c;
	}
	t->buf[t->len] = 0;
}

/* Reads until @needle appears at or after @from; its offset, or -1. */
static long wait_for(struct term *t, const char *needle, size_t from, int ms)
{
	long deadline = now_ms() + ms;
	char chunk[4096];

	for (;;) {
		char *hit = from <= t->len ? strstr(t->buf + from, needle) : NULL;
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;

		if (hit)
			return hit - t->buf;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		n = read(t->fd, chunk, sizeof(chunk));
		if (n <= 0)
			return -1;	/* EIO: the shell is gone */
		absorb(t, chunk, n);
	}
}

static int start_bash(struct term *t)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 200 };

	memset(t, 0, sizeof(*t));
	t->pid = forkpty(&t->fd, NULL, NULL, &ws);
	if (t->pid < 0) {
		snprintf(t->buf, sizeof(t->buf), "(forkpty: %s; is devpts mounted?)",
			 strerror(errno));
		return -1;
	}
	if (t->pid == 0) {
		const char *bash = env_or("KML_BASH", "/kml/bash-stamped");

		clearenv();
		setenv("PS1", "[kml-$((6*7))]> ", 1);
		setenv("TERM", "dumb", 1);
		setenv("HOME", "/root", 1);
		setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
		execl(bash, "bash", "--norc", "--noprofile", "-i", (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", bash, strerror(errno));
		_exit(127);
	}
	return wait_for(t, PROMPT, 0, STEP_MS) < 0 ? -1 : 0;
}

/*
 * Types @line and returns (malloc'd) what the shell printed between the
 * echo of the line and the next prompt, or NULL after STEP_MS.
 */
static char *type_line(struct term *t, const char *line)
{
	size_t mark = t->len;
	long eol, p;

	if (write(t->fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    write(t->fd, "\n", 1) != 1)
		return NULL;
	eol = wait_for(t, "\n", mark, STEP_MS);
	if (eol < 0)
		return NULL;
	p = wait_for(t, PROMPT, eol + 1, STEP_MS);
	if (p < 0)
		return NULL;
	return strndup(t->buf + eol + 1, p - (eol + 1));
}

/* The "Name:\tvalue" line of /proc/PID/status, or "" (static buffer). */
static const char *status_of(pid_t pid, const char *name)
{
	static char val[128];
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;

	val[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return val;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			snprintf(val, sizeof(val), "%s", line + n + 1 + strspn(line + n + 1, " \t"));
			val[strcspn(val, "\n")] = 0;
			break;
		}
	}
	fclose(f);
	return val;
}

static void stop_bash(struct term *t)
{
	int st;

	if (t->pid > 0 && waitpid(t->pid, &st, WNOHANG) == 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &st, 0);
	}
	if (t->fd > 0)
		close(t->fd);
	t->pid = 0;
}

FIXTURE(bash) {
	struct term t;
};

FIXTURE_SETUP(bash)
{
	if (start_bash(&self->t)) {
		TH_LOG("no prompt from %s within %d ms; it said: %s",
		       env_or("KML_BASH", "/kml/bash-stamped"), STEP_MS, self->t.buf);
		ASSERT_TRUE(0);
	}
}

FIXTURE_TEARDOWN(bash)
{
	stop_bash(&self->t);
}

/* The prompt came (the fixture waited for it) from a ring-0 shell. */
TEST_F(bash, prompt_comes_from_a_ring0_shell)
{
	char path[64], exe[256];
	ssize_t n;

	EXPECT_STREQ("1", status_of(self->t.pid, "Kml"));
	snprintf(path, sizeof(path), "/proc/%d/exe", self->t.pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	ASSERT_GT(n, 0);
	exe[n] = 0;
	EXPECT_STREQ(env_or("KML_BASH", "/kml/bash-stamped"), exe);
}

TEST_F(bash, grep_kml_in_its_own_status_says_1)
{
	char *out = type_line(&self->t, "grep '^Kml:' /proc/$$/status");

	ASSERT_NE(NULL, out);
	EXPECT_STREQ("Kml:\t1\n", out);
	free(out);
}

TEST_F(bash, pipeline)
{
	char *out = type_line(&self->t, "echo hi | tr a-z A-Z");

	ASSERT_NE(NULL, out);
	EXPECT_STREQ("HI\n", out);
	free(out);
}

/* A background job, its job-control line, and wait with its status. */
TEST_F(bash, background_job_and_wait)
{
	char *out = type_line(&self->t, "(sleep 1; exit 7) & wait $!; echo bg=$?");

	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "[1] "));
	EXPECT_NE(NULL, strstr(out, "bg=7\n"));
	free(out);
	out = type_line(&self->t, "jobs; echo jobs-done");
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("jobs-done\n", out);	/* nothing left running */
	free(out);
}

/*
 * The ring-0 shell itself loops (a builtin loop: no system call at all),
 * Ctrl-C on the terminal interrupts it, the prompt comes back and the
 * shell is still in ring 0.
 */
TEST_F(bash, ctrl_c_stops_a_loop_of_the_shell_itself)
{
	const char *loop = "for ((;;)); do :; done\n";
	size_t mark = self->t.len;
	long p;
	char *out;
	int i, running = 0;

	ASSERT_EQ((ssize_t)strlen(loop), write(self->t.fd, loop, strlen(loop)));
	/* Looping: the shell itself is runnable, in ring 0, for a while. */
	for (i = 0; i < 20; i++) {
		usleep(100 * 1000);
		running += !strncmp(status_of(self->t.pid, "State"), "R", 1) &&
			   !strcmp(status_of(self->t.pid, "Kml"), "1");
	}
	EXPECT_GE(running, 15) {
		TH_LOG("the shell was running in ring 0 in %d of 20 samples", running);
	}
	EXPECT_EQ(-1, wait_for(&self->t, PROMPT, mark, 10));	/* no prompt yet */
	ASSERT_EQ(1, write(self->t.fd, "\003", 1));
	p = wait_for(&self->t, PROMPT, mark, STEP_MS);
	ASSERT_GE(p, 0) {
		TH_LOG("no prompt after Ctrl-C; the terminal says: %s", self->t.buf + mark);
	}
	out = type_line(&self->t, "echo status=$?; grep '^Kml:' /proc/$$/status");
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("status=130\nKml:\t1\n", out);
	free(out);
}

/* What it starts is judged by its own stamp. */
TEST_F(bash, unstamped_child_ring3_stamped_child_ring0)
{
	char cmd[256], *out;
	const char *dir = env_or("KML_DIR", "/kml");

	snprintf(cmd, sizeof(cmd), "%s/hello-static.unstamped", dir);
	out = type_line(&self->t, cmd);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("hello: running in ring 3, Kml: 0\n", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "%s/hello-static", dir);
	out = type_line(&self->t, cmd);
	ASSERT_NE(NULL, out);
	EXPECT_STREQ("hello: running in ring 0, Kml: 1\n", out);
	free(out);
}

TEST_F(bash, exit_3_gives_3)
{
	const char *line = "exit 3\n";
	long deadline = now_ms() + STEP_MS;
	int st = 0;
	pid_t r;

	ASSERT_EQ((ssize_t)strlen(line), write(self->t.fd, line, strlen(line)));
	while ((r = waitpid(self->t.pid, &st, WNOHANG)) == 0 && now_ms() < deadline) {
		struct pollfd p = { .fd = self->t.fd, .events = POLLIN };
		char chunk[512];

		/* keep the terminal drained so the shell can finish */
		if (poll(&p, 1, 100) > 0 && read(self->t.fd, chunk, sizeof(chunk)) <= 0)
			usleep(10 * 1000);
	}
	ASSERT_EQ(self->t.pid, r);
	self->t.pid = 0;
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(3, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
