// SPDX-License-Identifier: GPL-2.0
/*
 * kml_observe_test - kmlsnoop and kmltop (tools/) on a KML kernel with its
 * tracepoints and BTF: what they print is what the kernel decided.
 *
 * kmlsnoop -j runs in the background while this driver execs
 *   hello-static               stamped              -> ring0, no reason
 *   hello-static.unstamped     note, no stamp       -> ring3, "not stamped"
 *   bad-modified               forged stamp         -> refused (EPERM), "signature does not match"
 *   hello-static on a nosuid tmpfs (the same stamped file, copied)
 *                                                   -> ring3, "nosuid"
 * and must print exactly those four lines, each with the exec'ing child's
 * pid, this process as its parent, this program's comm (the event fires
 * before the new program replaces the old one) and the path.  Then -r, -p,
 * the text format (a newline in a path cannot make a second line) and
 * SIGTERM.
 *
 * kmltop -j -p PID on kml_bench --loop syscall N: the stamped loop is >= 99 %
 * fast path; its unstamped copy (ring 3) is no KML process at all; with the
 * raw_syscalls tracepoint enabled (which sets syscall work on every task)
 * the stamped loop is >= 99 % full path, the reason syscall_work with the
 * syscall_tracepoint bit; a KML process that ends between two reports is
 * in the next one with its final counts; the text format.  The loops run
 * only while kmltop is attached (it is started first, the loop is gone
 * before it detaches).
 *
 * Programs in /kml (or KML_DIR): kmlsnoop, kmltop and the test programs
 * of selftests/mkcases.sh.  Run as root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define NOSUID_DIR	"/tmp/kml-observe-nosuid"
#define TRACEFS		"/sys/kernel/tracing"
#define SYS_ENTER	TRACEFS "/events/raw_syscalls/sys_enter/enable"
#define LOOP_CALLS	"100000000"	/* killed long before it ends */

static const char *prog(const char *name)
{
	static char buf[4][256];
	static int i;
	const char *dir = getenv("KML_DIR");

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir ? dir : "/kml", name);
	return buf[i];
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A tool running in the background, its stdout and stderr in pipes. */
struct tool {
	pid_t pid;
	int out, err;
	char obuf[65536], ebuf[8192];
	size_t olen, elen;
};

static int tool_start(struct tool *t, char *const argv[])
{
	int o[2], e[2];

	memset(t, 0, sizeof(*t));
	if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		return -1;
	fflush(stdout);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	t->out = o[0];
	t->err = e[0];
	return 0;
}

/* Reads what is there on both pipes until @until is true or @secs pass. */
static void tool_read(struct tool *t, double secs,
		      int (*until)(struct tool *t))
{
	double end = now() + secs;
	struct pollfd p[2];
	ssize_t r;
	int n;

	while ((!until || !until(t)) && (t->out >= 0 || t->err >= 0)) {
		double left = end - now();

		if (left <= 0)
			break;
		p[0].fd = t->out;
		p[1].fd = t->err;
		p[0].events = p[1].events = POLLIN;
		n = poll(p, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p[0].revents) {
			r = read(t->out, t->obuf + t->olen, sizeof(t->obuf) - 1 - t->olen);
			if (r <= 0) {
				close(t->out);
				t->out = -1;
			} else {
				t->olen += r;
			}
			t->obuf[t->olen] = 0;
		}
		if (p[1].revents) {
			r = read(t->err, t->ebuf + t->elen, sizeof(t->ebuf) - 1 - t->elen);
			if (r <= 0) {
				close(t->err);
				t->err = -1;
			} else {
				t->elen += r;
			}
			t->ebuf[t->elen] = 0;
		}
	}
}

static int tool_ready(struct tool *t)
{
	return strstr(t->ebuf, ": tracing ") != NULL || t->err < 0;
}

/*
 * Sends @sig (0: none, wait for it to end), reads the rest of its output
 * and reaps it within @secs; its wait status, or -1 if it did not end.
 */
static int tool_stop(struct tool *t, int sig, double secs)
{
	double end = now() + secs;
	int st;

	if (sig)
		kill(t->pid, sig);
	tool_read(t, secs, NULL);
	while (now() < end) {
		if (waitpid(t->pid, &st, WNOHANG) == t->pid)
			goto done;
		usleep(20000);
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &st, 0);
	st = -1;
done:
	if (t->out >= 0)
		close(t->out);
	if (t->err >= 0)
		close(t->err);
	t->out = t->err = -1;
	return st;
}

/* Runs @path (argv[0] = path) and reaps it; its pid, and the exec's errno. */
static pid_t run(const char *path, int *exec_errno)
{
	char *argv[] = { (char *)path, NULL };
	int ep[2], e = 0, st;
	pid_t pid;

	*exec_errno = -1;
	if (pipe2(ep, O_CLOEXEC))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(path, argv);
		e = errno;
		(void)!write(ep[1], &e, sizeof(e));
		_exit(127);
	}
	close(ep[1]);
	if (pid > 0 && read(ep[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(ep[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	*exec_errno = e;
	return pid;
}

/* Line @n (0-based) of @buf into @line; 0, or -1 if there is none. */
static int nth_line(const char *buf, int n, char *line, size_t len)
{
	const char *s = buf, *nl;

	while (n-- > 0) {
		s = strchr(s, '\n');
		if (!s)
			return -1;
		s++;
	}
	nl = strchr(s, '\n');
	if (!nl || (size_t)(nl - s) >= len)
		return -1;
	memcpy(line, s, nl - s);
	line[nl - s] = 0;
	return 0;
}

static int count_lines(const char *buf)
{
	int n = 0;

	for (; *buf; buf++)
		n += *buf == '\n';
	return n;
}

/* The string value of "key" in a JSON line (\", \\, \u00XX decoded). */
static int json_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *s;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	s = strstr(line, pat);
	if (!s)
		return -1;
	for (s += strlen(pat); *s && *s != '"' && n + 1 < len; s++) {
		if (*s == '\\' && s[1] == 'u') {
			out[n++] = (char)strtol((char[]){ s[4], s[5], 0 }, NULL, 16);
			s += 5;
		} else if (*s == '\\') {
			out[n++] = *++s;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
	return *s == '"' ? 0 : -1;
}

/* The value of "key" as a number (true 1, false 0, null -1); -2 if absent. */
static double json_num(const char *line, const char *key)
{
	char pat[64];
	const char *s;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	s = strstr(line, pat);
	if (!s)
		return -2;
	s += strlen(pat);
	if (!strncmp(s, "true", 4))
		return 1;
	if (!strncmp(s, "false", 5))
		return 0;
	if (!strncmp(s, "null", 4))
		return -1;
	return strtod(s, NULL);
}

static void self_comm(char *comm, size_t len)
{
	FILE *f = fopen("/proc/self/comm", "r");

	comm[0] = 0;
	if (f) {
		if (fgets(comm, len, f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) < 0)
		err = -1;
	close(fd);
	return err;
}

/*
 * A child held at a gate (a pipe) until the tool under test, started on
 * its pid, says it is tracing; then it execs @path (stdout to /dev/null
 * if @quiet).  Returns its pid or -1; *@gate is the gate's write end:
 * gate_open() lets the child go, closing the gate unopened makes it exit
 * 126 without exec'ing.
 */
static pid_t gated_child(const char *path, char *const argv[], bool quiet, int *gate)
{
	int fds[2];
	pid_t pid;
	char go;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &go, 1) != 1)
			_exit(126);
		if (quiet)
			dup2(open("/dev/null", O_WRONLY), 1);
		execv(path, argv);
		_exit(127);
	}
	close(fds[0]);
	*gate = fds[1];
	return pid;
}

static int gate_open(int gate)
{
	int ret = write(gate, "g", 1) == 1 ? 0 : -1;

	close(gate);
	return ret;
}

static void stop_loop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* The "Kml:" value of @pid, -1 if none. */
static int kml_of(pid_t pid)
{
	char path[64], line[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Kml: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Waits until @pid runs kml_bench (exec'd); 0 if its Kml: is then @want. */
static int wait_kml(pid_t pid, int want)
{
	double end = now() + 10;
	char path[64], comm[32];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	while (now() < end) {
		f = fopen(path, "r");
		comm[0] = 0;
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = 0;
			fclose(f);
		}
		/*
		 * "kml_bench" or "kml_bench.unsta": exec has set the new comm;
		 * the KML state follows a moment later.
		 */
		if (!strncmp(comm, "kml_bench", 9)) {
			usleep(100000);
			return kml_of(pid) == want ? 0 : -1;
		}
		usleep(10000);
	}
	return -1;
}

FIXTURE(observe) {
	char comm[32];
	bool mounted, traced;
};

FIXTURE_SETUP(observe)
{
	ASSERT_EQ(0, (int)geteuid()) TH_LOG("must run as root");
	self_comm(self->comm, sizeof(self->comm));
	self->mounted = self->traced = false;
	/*
	 * What a test killed by its timeout (no tear-down then) may have left:
	 * the sys_enter event on, the nosuid tmpfs mounted.  (Errors ignored:
	 * normally there is nothing to undo.)
	 */
	if (access(SYS_ENTER, W_OK) == 0)
		write_file(SYS_ENTER, "0");
	unlink(NOSUID_DIR "/hello-static");
	umount(NOSUID_DIR);
	rmdir(NOSUID_DIR);
}

/* In the parent: it runs after a failed ASSERT too (selftests/README.md). */
FIXTURE_TEARDOWN_PARENT(observe)
{
	if (self->traced)
		write_file(SYS_ENTER, "0");
	if (self->mounted) {
		unlink(NOSUID_DIR "/hello-static");
		umount(NOSUID_DIR);
		rmdir(NOSUID_DIR);
	}
}

/* One kmlsnoop -j line checked against what this driver did. */
static void check_event(struct __test_metadata *_metadata, const char *line,
			pid_t pid, const char *comm, const char *path,
			const char *verdict, const char *reason, bool digest)
{
	char s[4096];

	EXPECT_EQ(pid, (pid_t)json_num(line, "pid")) TH_LOG("%s", line);
	EXPECT_EQ(getpid(), (pid_t)json_num(line, "ppid")) TH_LOG("%s", line);
	ASSERT_EQ(0, json_str(line, "comm", s, sizeof(s))) TH_LOG("%s", line);
	EXPECT_STREQ(comm, s);
	ASSERT_EQ(0, json_str(line, "path", s, sizeof(s))) TH_LOG("%s", line);
	EXPECT_STREQ(path, s);
	ASSERT_EQ(0, json_str(line, "verdict", s, sizeof(s))) TH_LOG("%s", line);
	EXPECT_STREQ(verdict, s);
	ASSERT_EQ(0, json_str(line, "reason", s, sizeof(s))) TH_LOG("%s", line);
	if (reason) {
		EXPECT_NE(NULL, strstr(s, reason)) TH_LOG("reason '%s', want '%s'", s, reason);
	} else {
		EXPECT_STREQ("", s);
	}
	/* the digest: computed only for a stamp that was verified */
	EXPECT_EQ(digest, json_num(line, "digest") != -1) TH_LOG("%s", line);
}

/* The four kinds of exec, exactly four lines, each right. */
TEST_F_TIMEOUT(observe, snoop_four_execs, 120)
{
	char *argv[] = { (char *)prog("kmlsnoop"), "-j", NULL };
	const char *demoted = NOSUID_DIR "/hello-static";
	pid_t pid[4];
	char line[8192];
	struct tool t;
	int e, st, i;

	ASSERT_EQ(0, mkdir(NOSUID_DIR, 0755) && errno != EEXIST ? -1 : 0);
	ASSERT_EQ(0, mount("tmpfs", NOSUID_DIR, "tmpfs", MS_NOSUID, "size=8m"));
	self->mounted = true;
	ASSERT_EQ(0, copy_file(prog("hello-static"), demoted));

	ASSERT_EQ(0, tool_start(&t, argv));
	tool_read(&t, 60, tool_ready);
	ASSERT_NE(NULL, strstr(t.ebuf, ": tracing ")) TH_LOG("kmlsnoop did not start: %s", t.ebuf);

	pid[0] = run(prog("hello-static"), &e);
	EXPECT_EQ(0, e);
	pid[1] = run(prog("hello-static.unstamped"), &e);
	EXPECT_EQ(0, e);
	pid[2] = run(prog("bad-modified"), &e);
	EXPECT_EQ(EPERM, e);
	pid[3] = run(demoted, &e);
	EXPECT_EQ(0, e);

	st = tool_stop(&t, SIGINT, 30);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmlsnoop status %#x: %s", st, t.ebuf);
	ASSERT_EQ(4, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, nth_line(t.obuf, i, line, sizeof(line)));
	nth_line(t.obuf, 0, line, sizeof(line));
	check_event(_metadata, line, pid[0], self->comm, prog("hello-static"),
		    "ring0", NULL, true);
	nth_line(t.obuf, 1, line, sizeof(line));
	check_event(_metadata, line, pid[1], self->comm, prog("hello-static.unstamped"),
		    "ring3", "not stamped", false);
	nth_line(t.obuf, 2, line, sizeof(line));
	check_event(_metadata, line, pid[2], self->comm, prog("bad-modified"),
		    "refused", "signature does not match", true);
	nth_line(t.obuf, 3, line, sizeof(line));
	check_event(_metadata, line, pid[3], self->comm, demoted,
		    "ring3", "nosuid", false);
}

/* -r: the refusal only; SIGTERM ends it as cleanly as SIGINT. */
TEST_F_TIMEOUT(observe, snoop_refused_only, 120)
{
	char *argv[] = { (char *)prog("kmlsnoop"), "-j", "-r", NULL };
	char line[8192];
	struct tool t;
	pid_t pid;
	int e, st;

	ASSERT_EQ(0, tool_start(&t, argv));
	tool_read(&t, 60, tool_ready);
	ASSERT_NE(NULL, strstr(t.ebuf, ": tracing ")) TH_LOG("kmlsnoop did not start: %s", t.ebuf);
	run(prog("hello-static"), &e);
	run(prog("hello-static.unstamped"), &e);
	pid = run(prog("bad-modified"), &e);
	EXPECT_EQ(EPERM, e);
	st = tool_stop(&t, SIGTERM, 30);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmlsnoop status %#x: %s", st, t.ebuf);
	ASSERT_EQ(1, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	nth_line(t.obuf, 0, line, sizeof(line));
	check_event(_metadata, line, pid, self->comm, prog("bad-modified"),
		    "refused", "signature does not match", true);
}

/* -p PID: only that process's exec, not this driver's own. */
TEST_F_TIMEOUT(observe, snoop_pid, 120)
{
	char pidarg[16], line[8192];
	char *argv[] = { (char *)prog("kmlsnoop"), "-j", "-p", pidarg, NULL };
	char *hello[] = { "hello", NULL };
	struct tool t;
	int gate, e, st;
	pid_t child;

	child = gated_child(prog("hello-static.unstamped"), hello, true, &gate);
	ASSERT_LE(0, child);
	snprintf(pidarg, sizeof(pidarg), "%d", child);
	ASSERT_EQ(0, tool_start(&t, argv));
	tool_read(&t, 60, tool_ready);
	ASSERT_NE(NULL, strstr(t.ebuf, ": tracing ")) TH_LOG("kmlsnoop did not start: %s", t.ebuf);
	run(prog("hello-static"), &e);		/* another process: not shown */
	ASSERT_EQ(0, gate_open(gate));
	waitpid(child, &st, 0);
	run(prog("bad-modified"), &e);		/* neither */
	st = tool_stop(&t, SIGINT, 30);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(1, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	nth_line(t.obuf, 0, line, sizeof(line));
	check_event(_metadata, line, child, self->comm, prog("hello-static.unstamped"),
		    "ring3", "not stamped", false);
}

/* Text: a header and one line per exec; a newline in the path is escaped. */
TEST_F_TIMEOUT(observe, snoop_text, 120)
{
	char *argv[] = { (char *)prog("kmlsnoop"), NULL };
	const char *link = "/tmp/kml-observe\nring0 fake";
	char line[8192];
	struct tool t;
	int e, st;

	unlink(link);
	ASSERT_EQ(0, symlink(prog("hello-static"), link));
	ASSERT_EQ(0, tool_start(&t, argv));
	tool_read(&t, 60, tool_ready);
	ASSERT_NE(NULL, strstr(t.ebuf, ": tracing ")) TH_LOG("kmlsnoop did not start: %s", t.ebuf);
	run(link, &e);
	EXPECT_EQ(0, e);
	st = tool_stop(&t, SIGINT, 30);
	unlink(link);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(2, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	nth_line(t.obuf, 0, line, sizeof(line));
	EXPECT_EQ(0, strncmp(line, "TIME ", 5)) TH_LOG("header: %s", line);
	nth_line(t.obuf, 1, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " ring0 ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "/tmp/kml-observe\\x0aring0 fake")) TH_LOG("%s", line);
}

static int want_lines;

static int have_lines(struct tool *t)
{
	return count_lines(t->obuf) >= want_lines || t->out < 0;
}

/*
 * kmltop ARGS -p PID, where PID becomes "@bench --loop syscall" only once
 * kmltop is attached, and is killed and reaped once kmltop has printed
 * @nlines lines (0: after 2.5 s); kmltop then reports its end and exits by
 * itself.  So kernel text is patched (attach, detach: static keys) only
 * while no ring-0 code runs: see "Known kernel crash" in
 * selftests/README.md.  The loop's pid in *@loop, 0 in *@kml if it ran in
 * ring 3, 1 in ring 0, -1 if it did not start; kmltop's wait status.
 */
static int top_on_loop(struct tool *t, const char *bench, const char *const *args,
		       int nlines, pid_t *loop, int *kml)
{
	char *loop_argv[] = { (char *)bench, "--loop", "syscall", LOOP_CALLS, NULL };
	char pidarg[16];
	char *argv[16];
	int gate, n = 0, st;

	*kml = -1;
	*loop = gated_child(bench, loop_argv, false, &gate);
	if (*loop < 0)
		return -1;
	snprintf(pidarg, sizeof(pidarg), "%d", *loop);
	argv[n++] = (char *)prog("kmltop");
	while (*args && n < 12)
		argv[n++] = (char *)*args++;
	argv[n++] = "-p";
	argv[n++] = pidarg;
	argv[n] = NULL;
	if (tool_start(t, argv))
		goto kill;
	tool_read(t, 60, tool_ready);
	if (!strstr(t->ebuf, ": tracing "))
		goto kill;
	if (gate_open(gate))
		goto killed;
	if (!wait_kml(*loop, 1))
		*kml = 1;
	else if (kml_of(*loop) == 0)
		*kml = 0;
	want_lines = nlines;
	tool_read(t, nlines ? 60 : 2.5, nlines ? have_lines : NULL);
kill:
	close(gate);
killed:
	stop_loop(*loop);
	st = tool_stop(t, 0, 30);
	return st;
}

/* A stamped getppid loop: a KML process, >= 99 % of its calls fast. */
TEST_F_TIMEOUT(observe, top_fast_loop, 180)
{
	static const char *const args[] = { "-j", "-i", "1", "-n", "10", NULL };
	char line[8192], s[64];
	struct tool t;
	int st, i, kml;
	pid_t loop;

	st = top_on_loop(&t, prog("kml_bench"), args, 2, &loop, &kml);
	EXPECT_EQ(1, kml) TH_LOG("the stamped loop is not in ring 0");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmltop status %#x: %s", st, t.ebuf);
	/* two reports while it ran, the last one after its end */
	ASSERT_LE(2, count_lines(t.obuf)) TH_LOG("output:\n%s\nstderr:\n%s", t.obuf, t.ebuf);
	for (i = 0; i < 2; i++) {
		nth_line(t.obuf, i, line, sizeof(line));
		TH_LOG("%s", line);
		EXPECT_EQ(loop, (pid_t)json_num(line, "pid"));
		ASSERT_EQ(0, json_str(line, "comm", s, sizeof(s)));
		EXPECT_STREQ("kml_bench", s);
		EXPECT_EQ(1, json_num(line, "ring0"));
		EXPECT_EQ(0, json_num(line, "exited"));
		EXPECT_LT(1000, json_num(line, "calls")) TH_LOG("%s", line);
		EXPECT_LE(99.0, json_num(line, "fast_pct")) TH_LOG("%s", line);
	}
	EXPECT_GE(3, count_lines(t.obuf));
	if (count_lines(t.obuf) == 3) {
		nth_line(t.obuf, 2, line, sizeof(line));
		EXPECT_EQ(1, json_num(line, "exited")) TH_LOG("%s", line);
	}
}

/* The unstamped copy runs in ring 3: not a KML process, no line. */
TEST_F_TIMEOUT(observe, top_control, 180)
{
	static const char *const args[] = { "-j", "-i", "1", "-n", "10", NULL };
	struct tool t;
	int st, kml;
	pid_t loop;

	st = top_on_loop(&t, prog("kml_bench.unstamped"), args, 0, &loop, &kml);
	EXPECT_EQ(0, kml) TH_LOG("the unstamped loop did not run in ring 3");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmltop status %#x: %s", st, t.ebuf);
	EXPECT_EQ(0, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
}

/*
 * With the raw_syscalls tracepoint on, every task has syscall work: the
 * stamped loop's calls take the full path, and kmltop says why.
 */
TEST_F_TIMEOUT(observe, top_traced_loop, 180)
{
	static const char *const args[] = { "-j", "-i", "1", "-n", "10", NULL };
	char line[8192], s[64];
	struct tool t;
	int st, i, kml;
	pid_t loop;

	if (access(TRACEFS "/events", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	ASSERT_EQ(0, write_file(SYS_ENTER, "1")) TH_LOG("cannot enable %s", SYS_ENTER);
	self->traced = true;
	st = top_on_loop(&t, prog("kml_bench"), args, 2, &loop, &kml);
	write_file(SYS_ENTER, "0");
	self->traced = false;
	EXPECT_EQ(1, kml);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmltop status %#x: %s", st, t.ebuf);
	ASSERT_LE(2, count_lines(t.obuf)) TH_LOG("output:\n%s\nstderr:\n%s", t.obuf, t.ebuf);
	for (i = 0; i < 2; i++) {
		nth_line(t.obuf, i, line, sizeof(line));
		TH_LOG("%s", line);
		EXPECT_EQ(loop, (pid_t)json_num(line, "pid"));
		EXPECT_LT(1000, json_num(line, "calls"));
		EXPECT_GE(1.0, json_num(line, "fast_pct"));
		/* the first reason is the most frequent one */
		ASSERT_EQ(0, json_str(line, "why", s, sizeof(s))) TH_LOG("%s", line);
		EXPECT_STREQ("syscall_work", s);
		EXPECT_NE(NULL, strstr(line, "\"work\":[\"syscall_tracepoint\"")) TH_LOG("%s", line);
		EXPECT_LE(0.99 * json_num(line, "full"), json_num(line, "count"));
	}
}

/*
 * A KML process that ends between two reports still counts: its final
 * counts (from the exit hook), marked exited, in the report after its end.
 */
TEST_F_TIMEOUT(observe, top_exited, 180)
{
	char pidarg[16], line[8192];
	char *argv[] = { (char *)prog("kmltop"), "-j", "-p", pidarg, "-i", "1", "-n", "5", NULL };
	char *loop_argv[] = { "kml_bench", "--loop", "syscall", "200000", NULL };
	struct tool t;
	int gate, st;
	pid_t child;

	child = gated_child(prog("kml_bench"), loop_argv, false, &gate);
	ASSERT_LE(0, child);
	snprintf(pidarg, sizeof(pidarg), "%d", child);
	ASSERT_EQ(0, tool_start(&t, argv));
	tool_read(&t, 60, tool_ready);
	ASSERT_NE(NULL, strstr(t.ebuf, ": tracing ")) TH_LOG("kmltop did not start: %s", t.ebuf);
	ASSERT_EQ(0, gate_open(gate));
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* it ends by itself once the process is gone */
	st = tool_stop(&t, 0, 30);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("kmltop status %#x: %s", st, t.ebuf);
	EXPECT_NE(NULL, strstr(t.ebuf, "has exited")) TH_LOG("%s", t.ebuf);
	/* the report after its end, the only one that shows it */
	ASSERT_EQ(1, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	nth_line(t.obuf, 0, line, sizeof(line));
	TH_LOG("%s", line);
	EXPECT_EQ(child, (pid_t)json_num(line, "pid"));
	EXPECT_EQ(1, json_num(line, "exited"));
	EXPECT_EQ(0, json_num(line, "ring0"));
	/* 200000 getppid and the few calls of its start and exit */
	EXPECT_LE(200000, json_num(line, "calls"));
	EXPECT_GE(200100, json_num(line, "calls"));
	EXPECT_LE(99.0, json_num(line, "fast_pct"));
}

/* The text format: a title, the header and the loop's line. */
TEST_F_TIMEOUT(observe, top_text, 180)
{
	static const char *const args[] = { "-i", "0.5", "-n", "10", NULL };
	char line[8192], want[64];
	double calls, fast, full, pct;
	int st, kml, pid, thr;
	struct tool t;
	pid_t loop;

	/* "", "TIME  1 KML process, 0.50 s", the header, the process */
	st = top_on_loop(&t, prog("kml_bench"), args, 4, &loop, &kml);
	EXPECT_EQ(1, kml);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	TH_LOG("output:\n%s", t.obuf);
	ASSERT_LE(4, count_lines(t.obuf)) TH_LOG("output:\n%s", t.obuf);
	nth_line(t.obuf, 1, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, "1 KML process,")) TH_LOG("%s", line);
	nth_line(t.obuf, 2, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, "FAST%")) TH_LOG("%s", line);
	nth_line(t.obuf, 3, line, sizeof(line));
	snprintf(want, sizeof(want), "%7d kml_bench ", loop);
	EXPECT_EQ(0, strncmp(line, want, strlen(want))) TH_LOG("%s", line);
	/* PID COMM THR CALLS/s FAST/s FULL/s FAST%: the loop is fast */
	ASSERT_EQ(7, sscanf(line, "%d %63s %d %lf %lf %lf %lf", &pid, want, &thr,
			    &calls, &fast, &full, &pct)) TH_LOG("%s", line);
	EXPECT_LT(1000, calls);
	EXPECT_LE(0.99 * calls, fast);
	EXPECT_LE(99.0, pct);
}

/* Bad options: exit 2 and one line, before anything is loaded. */
TEST(bad_options)
{
	static const char *const cases[][4] = {
		{ "kmlsnoop", "-p", "0", NULL },
		{ "kmlsnoop", "-p", "12x", NULL },
		{ "kmlsnoop", "stray", NULL, NULL },
		{ "kmltop", "-i", "0", NULL },
		{ "kmltop", "-i", "1e3", NULL },
		{ "kmltop", "-n", "-1", NULL },
		{ "kmltop", "-p", "", NULL },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[5] = { (char *)prog(cases[i][0]) };
		struct tool t;
		int st, j;

		for (j = 1; j < 4 && cases[i][j]; j++)
			argv[j] = (char *)cases[i][j];
		argv[j] = NULL;
		ASSERT_EQ(0, tool_start(&t, argv));
		st = tool_stop(&t, 0, 30);
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2)
			TH_LOG("%s %s: status %#x", cases[i][0], cases[i][1], st);
		EXPECT_EQ(1, count_lines(t.ebuf)) TH_LOG("%s", t.ebuf);
		EXPECT_EQ(0, (int)t.olen);
	}
}

TEST_HARNESS_MAIN
