// SPDX-License-Identifier: GPL-2.0
/*
 * kml_privileged_test - stamps made with kml-stamp --allow-privileged.
 *
 * kml-stamp refuses to sign code that holds privileged instructions unless
 * told --allow-privileged; then the signed statement carries
 * KML_STAMP_F_PRIVILEGED.  The kernel must say so in its log each time such
 * a program starts in ring 0, and kernel.kml.privileged=0 must run it in
 * ring 3 (logged) while ordinary stamps keep ring 0.
 *
 * Programs (made by selftests/mkcases.sh in /kml, or KML_DIR):
 *   privinsn       kml_privinsn.c, stamped with --allow-privileged
 *   hello-static   an ordinary stamp (the control)
 * Both print "... running in ring R, Kml: K".  Run as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define KNOB	"/proc/sys/kernel/kml/privileged"
#define LOGMSG	"stamp allows privileged instructions"

static const char *prog(const char *name)
{
	static char buf[256];
	const char *dir = getenv("KML_DIR");

	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "/kml", name);
	return buf;
}

/* Writes @val to the knob; 0 or the errno. */
static int knob_write(const char *val)
{
	int fd = open(KNOB, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int knob_read(void)
{
	char buf[16] = "";
	int fd = open(KNOB, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* Runs @path; its "Kml:" value, or -2 if it did not run and say it. */
static int run_kml(const char *path)
{
	char cmd[300], out[256] = "";
	const char *k;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		return -2;
	if (!fgets(out, sizeof(out), p))
		out[0] = 0;
	st = pclose(p);
	k = strstr(out, "Kml: ");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !k)
		return -2;
	return atoi(k + 5);
}

/* /dev/kmsg at its end: only records written after this are read. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* How many new records hold both @a and @b.  Closes @fd. */
static int kmsg_count(int fd, const char *a, const char *b)
{
	char rec[2048];
	ssize_t r;
	int n = 0;

	if (fd < 0)
		return -1;
	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0 ||
	       (r < 0 && errno == EPIPE)) {
		if (r <= 0)
			continue;
		rec[r] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			n++;
	}
	close(fd);
	return n;
}

/*
 * The knob as it was when the program started: each set-up puts it back
 * if a test killed by its timeout (which gets no tear-down) left it
 * changed, and so does the harness's process at exit.
 */
static int knob_at_start = -1;
static pid_t harness_pid;

static void knob_put_back(void)
{
	char v[16];

	if (knob_at_start >= 0 && knob_read() != knob_at_start) {
		snprintf(v, sizeof(v), "%d", knob_at_start);
		knob_write(v);
	}
}

static void knob_put_back_at_exit(void)
{
	if (getpid() == harness_pid)
		knob_put_back();
}

static void __attribute__((constructor)) knob_remember(void)
{
	harness_pid = getpid();
	knob_at_start = knob_read();
	atexit(knob_put_back_at_exit);
}

FIXTURE(knob) {
	int saved;
};

FIXTURE_SETUP(knob)
{
	ASSERT_EQ(0, (int)geteuid()) TH_LOG("must run as root");
	if (knob_read() != knob_at_start)
		TH_LOG("kernel.kml.privileged left at %d by an earlier test: put back", knob_read());
	knob_put_back();
	self->saved = knob_at_start;
	ASSERT_EQ(1, self->saved) TH_LOG("kernel.kml.privileged defaults to 1");
}

/* In the parent: it runs after a failed ASSERT too (selftests/README.md). */
FIXTURE_TEARDOWN_PARENT(knob)
{
	char v[4];

	snprintf(v, sizeof(v), "%d", self->saved);
	knob_write(v);
}

/* Default: ring 0, and one log line naming the program. */
TEST_F(knob, allowed_and_logged)
{
	int fd = kmsg_open();

	EXPECT_EQ(1, run_kml(prog("privinsn")));
	EXPECT_EQ(1, kmsg_count(fd, LOGMSG, prog("privinsn")));
}

/* An ordinary stamp: ring 0 and no such line. */
TEST_F(knob, ordinary_stamp_not_logged)
{
	int fd = kmsg_open();

	EXPECT_EQ(1, run_kml(prog("hello-static")));
	EXPECT_EQ(0, kmsg_count(fd, LOGMSG, prog("hello-static")));
}

/* kernel.kml.privileged=0: ring 3 with a demotion line; others unchanged. */
TEST_F(knob, zero_runs_in_ring3)
{
	int fd;

	ASSERT_EQ(0, knob_write("0"));
	EXPECT_EQ(0, knob_read());
	fd = kmsg_open();
	EXPECT_EQ(0, run_kml(prog("privinsn")));
	EXPECT_EQ(1, kmsg_count(fd, "running in ring 3: kernel.kml.privileged=0",
				prog("privinsn")));
	EXPECT_EQ(1, run_kml(prog("hello-static")));
	/* Back to 1: the same file runs in ring 0 again (no stale cache). */
	ASSERT_EQ(0, knob_write("1"));
	EXPECT_EQ(1, run_kml(prog("privinsn")));
}

/* Only 0 and 1; writing needs CAP_SYS_ADMIN, like every KML knob. */
TEST_F(knob, bad_values_and_unprivileged_writes)
{
	pid_t pid;
	int st;

	EXPECT_EQ(EINVAL, knob_write("2"));
	EXPECT_EQ(EINVAL, knob_write("-1"));
	EXPECT_EQ(1, knob_read());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int err;

		if (setgid(1000) || setuid(1000))
			_exit(99);
		err = knob_write("0");
		_exit(err == EACCES || err == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(1, knob_read());
}

TEST_HARNESS_MAIN
