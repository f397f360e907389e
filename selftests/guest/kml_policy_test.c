// SPDX-License-Identifier: GPL-2.0
/*
 * kml_policy_test - the KML trust policy, from the guest: who gets ring 0,
 * what a ring-0 program is protected from, and the knobs.
 *
 * Usage: kml_policy_test   (as root, unstamped: it is the driver; the
 *                           programs it runs are in /kml, see mkcases.sh)
 *
 * On the kernel's kselftest_harness.h: one test per check, each in a child
 * of its own with a timeout; the harness prints the plan first.  Fixtures
 * (one per concern), in the order they run:
 *
 *   global     sysctl_defaults: kernel.kml.{allow,group,keyring,cache}
 *              are 1, -1, 0, 1 (before any test changed them)
 *   secure     a stamped program runs with AT_SECURE 1 and is not dumpable
 *              (fs.suid_dumpable 0); the unstamped copy is ordinary
 *   preload    LD_PRELOAD / LD_AUDIT (the two variants) are ignored by a
 *              stamped dynamic program, honoured by the unstamped copy
 *   ptrace     a ring-0 program of uid 1000 cannot be attached to, nor its
 *              /proc/PID/mem opened, by another uid-1000 process; root can;
 *              the unstamped control can be
 *   nosuid     stamped program on a nosuid mount: ring 3, logged
 *   demote     with no_new_privs, or after PR_SET_TSC(PR_TSC_SIGSEGV):
 *              ring 3, logged
 *   traced     traced by a tracer without CAP_SYS_PTRACE: ring 3, logged;
 *              a root tracer does not demote
 *   sysctl     who gets ring 0 under each kernel.kml.allow level and
 *              kernel.kml.group, a forged stamp under allow 1, EINVAL for
 *              bad values, EPERM without CAP_SYS_ADMIN, keyring 1
 *   cache      /sys/kernel/debug/kml/stamp_cache: miss, hit, a writer drops
 *              the entry, a changed file never hits, cache=0
 *   timing     exec of a 2 MB stamped program, cache cold and warm (printed,
 *              not judged), and the unstamped copy
 *   etxtbsy    a running stamped program cannot be opened for writing
 *   keyring    kernel.kml.keyring: a key that the builtin key signed, added
 *              to .secondary_trusted_keys (a self-signed one is refused
 *              there), counts with keyring=1 and not with 0, cache or not
 *   revoke     a stamp whose hash root adds to the .blacklist keyring (a
 *              signed "bin:<hash>" key) is refused, even when cached
 *
 * Each test starts from the machine as the program found it: the fixture's
 * set-up puts back every knob that differs from the values read when the
 * program started (a test killed by its timeout skips its tear-down), and
 * sets fs.suid_dumpable 0; the tear-down (FIXTURE_TEARDOWN_PARENT, see
 * POLICY_FIXTURE) puts back what the test changed, also after a failed
 * ASSERT, stops what it left running and unmounts what it mounted.  A test that builds on earlier steps of a sequence (the stamp
 * cache, kernel.kml.group after allow 2, ...) replays them first without
 * checking them: the test of each step checks it.  A knob write that a
 * test needs only as its setting is logged if it fails, not asserted: what
 * the test checks then fails, or holds anyway.
 *
 * Two things cannot be undone before a reboot: a key added to
 * .secondary_trusted_keys and a revocation.  The keyring and revoke tests
 * therefore rely on the order in which the harness runs them (the order of
 * this file), and revoke comes last: nothing after it may need the revoked
 * file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kml_spawn.h"
#include "kml_status.h"

#define KDIR		"/kml"
#define PROBE		KDIR "/kml-probe"
#define SYSCTL		"/proc/sys/kernel/kml/"
#define SUID_DUMPABLE	"/proc/sys/fs/suid_dumpable"
#define STAMP_CACHE	"/sys/kernel/debug/kml/stamp_cache"
#define USER_ID		1000	/* uid and gid of the unprivileged user */
#define OTHER_GID	2000
#define FRESH_MS	40	/* a new file's ctime must be in the past */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- sysctl files ---------------------------------------------------- */

/* PATH's contents without the trailing newline; 0 or an errno. */
static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), e;
	ssize_t n;

	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return e;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* PATH as a number; LONG_MIN if unreadable or not a number. */
static long read_long(const char *path)
{
	char buf[64], *end;
	long v;

	if (read_str(path, buf, sizeof(buf)))
		return LONG_MIN;
	errno = 0;
	v = strtol(buf, &end, 10);
	return (errno || end == buf || *end) ? LONG_MIN : v;
}

/* One write(2) of VAL at offset 0: 0, or the errno (EMSGSIZE: short write). */
static int write_str(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd = open(path, O_WRONLY), e;
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, val, len);
	e = n < 0 ? errno : (size_t)n != len ? EMSGSIZE : 0;
	close(fd);
	return e;
}

/*
 * Writes kernel.kml.NAME; 0 or the errno, logged.  A test that only needs
 * the value as its setting goes on when the write fails (as a test that
 * checks the write does not): what it checks then fails, or holds anyway.
 */
static int set_sysctl(struct __test_metadata *_metadata, const char *name, const char *val)
{
	char path[128];
	int e;

	snprintf(path, sizeof(path), SYSCTL "%s", name);
	e = write_str(path, val);
	if (e)
		TH_LOG("cannot set kernel.kml.%s to %.*s: %s", name,
		       (int)strcspn(val, "\n"), val, strerror(e));
	return e;
}

static long get_sysctl(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSCTL "%s", name);
	return read_long(path);
}

/*
 * The values found when the program started (read by a constructor, in
 * the harness's own process, before the first test).
 */
static struct {
	const char *path;
	char val[32];
	int have;
} saved[] = {
	{ .path = SYSCTL "allow" }, { .path = SYSCTL "group" },
	{ .path = SYSCTL "keyring" }, { .path = SYSCTL "cache" },
	{ .path = SUID_DUMPABLE },
};
static pid_t main_pid;

static void __attribute__((constructor)) save_sysctls(void)
{
	main_pid = getpid();
	for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++)
		saved[i].have = !read_str(saved[i].path, saved[i].val,
					  sizeof(saved[i].val));
}

/*
 * Puts back each saved value that is not the current one.  Only those:
 * any write of kernel.kml.cache (and of the other knobs) empties the
 * stamp cache, which the revoke tests need to keep across tests.
 */
static void restore_sysctls(void)
{
	char cur[32];

	for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		if (!saved[i].have)
			continue;
		if (!read_str(saved[i].path, cur, sizeof(cur)) &&
		    !strcmp(cur, saved[i].val))
			continue;
		write_str(saved[i].path, saved[i].val);
	}
}

/* And once more when the harness exits, after a test it had to kill. */
static void __attribute__((destructor)) restore_at_exit(void)
{
	if (getpid() == main_pid)
		restore_sysctls();
}

/* ---- the kernel log -------------------------------------------------- */

/* /dev/kmsg positioned at its end, so that we see only new records. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Is there a new record that contains A, and B outside of every place
 * where A or PATH occurs (so that B may be part of a file name)?  Closes fd.
 */
static int kmsg_find(int fd, const char *a, const char *b, const char *path)
{
	char rec[2048], *p;
	ssize_t r;
	int found = 0;

	if (fd < 0)
		return 0;
	while ((r = read(fd, rec, sizeof(rec) - 1)) > 0 || (r < 0 && errno == EPIPE)) {
		if (r <= 0)
			continue;	/* EPIPE: records were overwritten */
		rec[r] = 0;
		if (!strstr(rec, a))
			continue;
		while ((p = strstr(rec, a)))
			memset(p, '_', strlen(a));
		while (path && (p = strstr(rec, path)))
			memset(p, '_', strlen(path));
		if (strstr(rec, b))
			found = 1;
	}
	close(fd);
	return found;
}

/* A demotion of PATH: "kml: ... running in ring 3: REASON". */
static int kmsg_demoted(int fd, const char *reason, const char *path)
{
	return kmsg_find(fd, "ring 3", reason, path);
}

/* ---- running programs ------------------------------------------------ */

/* Who runs the program: root by default. */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;		/* supplementary groups (setgroups) */
	gid_t groups[2];
	int nnp;		/* PR_SET_NO_NEW_PRIVS before exec */
	int notsc;		/* PR_SET_TSC(PR_TSC_SIGSEGV) before exec */
	char **envp;		/* NULL: an empty environment */
};

static const struct who root = { 0 };
static const struct who user = { .uid = USER_ID, .gid = USER_ID };

/* In a child: become W.  0, or -1 with errno. */
static int become(const struct who *w)
{
	if (w->notsc && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0))
		return -1;
	if (w->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (w->uid || w->gid)
		if (setgroups(w->ngroups, w->groups) || setgid(w->gid) ||
		    setuid(w->uid))
			return -1;
	return 0;
}

/* "a b c" -> argv (the words point into BUF, which is changed). */
static void split(const char *path, char *buf, char **argv, int max)
{
	char *save, *tok;
	int n = 0;

	argv[n++] = (char *)path;
	for (tok = strtok_r(buf, " ", &save); tok && n < max - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
}

/* kml_spawn()'s prepare: become W, or say why not. */
static int become_or_say(const void *arg)
{
	const struct who *w = arg;

	if (!become(w))
		return 0;
	printf("cannot become uid %d gid %d: %s\n", (int)w->uid, (int)w->gid,
	       strerror(errno));
	return -1;
}

/*
 * Runs PATH ARGS as W; collects stdout and stderr into OUT; returns the
 * wait status and the exec's errno in *exec_errno (0: the exec worked).
 * A child that cannot become W prints why and exits 125.
 */
static int run(const struct who *w, const char *path, const char *args,
	       char *out, size_t outsz, int *exec_errno)
{
	static char *const no_env[] = { NULL };
	char abuf[256], *argv[16];
	int status = -1;
	pid_t pid;

	snprintf(abuf, sizeof(abuf), "%s", args ? args : "");
	split(path, abuf, argv, 16);
	pid = kml_spawn(path, argv, w->envp ? w->envp : no_env, become_or_say, w,
			out, outsz, exec_errno);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

static int exited_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Logs OUT, a line at a time. */
static void show_output(struct __test_metadata *_metadata, const char *label, const char *out)
{
	const char *p = out, *nl;

	if (!*out)
		TH_LOG("  %s: (no output)", label);
	while (*p) {
		nl = strchr(p, '\n');
		TH_LOG("  %s: %.*s", label, (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

/* Runs the kml-probe at PATH with CHECKS as W: did it say "probe: ok"? */
static int probe(struct __test_metadata *_metadata, const struct who *w,
		 const char *path, const char *checks)
{
	char out[2048];
	int st, e, ok;

	st = run(w, path, checks, out, sizeof(out), &e);
	ok = !e && exited_ok(st) && strstr(out, "probe: ok");
	if (!ok) {
		TH_LOG("%s %s as uid %d: exec %s, status %#x", path, checks,
		       (int)w->uid, e ? strerror(e) : "ok", st);
		show_output(_metadata, "output", out);
	}
	return ok;
}

/*
 * A stamped probe that must run, demoted: ring 3 (Kml: 0) as an ordinary
 * program (AT_SECURE 0, dumpable), and one log line with REASON.
 */
static int probe_demoted(struct __test_metadata *_metadata, const struct who *w,
			 const char *path, const char *reason)
{
	int fd = kmsg_open(), ok, logged;

	ok = probe(_metadata, w, path, "status 0 secure 0 dumpable 1");
	logged = kmsg_demoted(fd, reason, path);
	if (!logged)
		TH_LOG("no kernel log line with \"ring 3\" and \"%s\"", reason);
	return ok && logged;
}

/* Starts PATH (no arguments) as W in the background. */
static pid_t spawn(const struct who *w, const char *path)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		if (!become(w))
			execl(path, path, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int kml_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return kml_status_of(path);
}

/*
 * Waits (up to 5 s) until PID's comm is COMM and its Kml: is KML, i.e. its
 * exec is done: the comm changes before the KML state is set.  Returns
 * whether the comm changed; the caller checks Kml: itself.
 */
static int wait_exec(pid_t pid, const char *comm, int kml)
{
	char path[64], buf[64];
	int seen = 0;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 500; i++) {
		seen = !read_str(path, buf, sizeof(buf)) && !strcmp(buf, comm);
		if (seen && kml_of(pid) == kml)
			break;
		sleep_ms(10);
	}
	return seen;
}

static void kill_wait(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Stops the background program *PID, if any (also from a tear-down). */
static void stop_bg(pid_t *pid)
{
	kill_wait(*pid);
	*pid = 0;
}

/*
 * Starts PATH as W in the background into *PID (the fixture's: the test
 * stops it, and the tear-down if the test did not get that far) and waits
 * until it has exec'd as COMM: asserted.
 */
static void start_bg(struct __test_metadata *_metadata, pid_t *pid,
		     const struct who *w, const char *path, const char *comm, int kml)
{
	*pid = spawn(w, path);
	ASSERT_LT(0, *pid);
	ASSERT_TRUE(wait_exec(*pid, comm, kml))
		TH_LOG("%s did not exec within 5 s", path);
}

static int copy_file(struct __test_metadata *_metadata, const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out, ok = 1;
	ssize_t n;

	if (in < 0)
		return 0;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0) {
		close(in);
		return 0;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			ok = 0;
	if (n < 0 || fchmod(out, 0755))
		ok = 0;
	close(in);
	if (close(out))
		ok = 0;
	if (!ok)
		TH_LOG("copying %s to %s failed", from, to);
	return ok;
}

/* ---- the stamp cache statistics --------------------------------------- */

struct cstats {
	long entries, hits, misses;
};

static int cache_stats(struct __test_metadata *_metadata, struct cstats *s)
{
	char buf[256] = "";

	if (read_str(STAMP_CACHE, buf, sizeof(buf)) ||
	    sscanf(buf, "entries %ld hits %ld misses %ld", &s->entries,
		   &s->hits, &s->misses) != 3) {
		TH_LOG("cannot read %s: \"%s\"", STAMP_CACHE, buf);
		s->entries = s->hits = s->misses = -1;
		return -1;
	}
	return 0;
}

/* Hits and misses since A as expected (MISSES < 0: any number)? */
static int cache_delta(struct __test_metadata *_metadata, const struct cstats *a,
		       long hits, long misses, const char *what)
{
	struct cstats b;

	if (a->hits < 0 || cache_stats(_metadata, &b))
		return 0;
	if (b.hits - a->hits == hits && (misses < 0 || b.misses - a->misses == misses))
		return 1;
	TH_LOG("%s: hits +%ld misses +%ld, want +%ld +%ld (entries %ld)", what,
	       b.hits - a->hits, b.misses - a->misses, hits, misses, b.entries);
	return 0;
}

/* Runs a stamped hello at PATH: exit 0 and "Kml: WANT"? */
static int hello(struct __test_metadata *_metadata, const char *path, int want)
{
	char out[1024], expect[16];
	int st, e;

	snprintf(expect, sizeof(expect), "Kml: %d", want);
	st = run(&root, path, NULL, out, sizeof(out), &e);
	if (!e && exited_ok(st) && strstr(out, expect))
		return 1;
	TH_LOG("%s: exec %s, status %#x, want \"%s\"", path,
	       e ? strerror(e) : "ok", st, expect);
	show_output(_metadata, "output", out);
	return 0;
}

/* ---- the fixtures' common part ---------------------------------------- */

/*
 * The machine as the program found it (see the top of this file), and
 * fs.suid_dumpable 0: a stamped program must then not be dumpable.
 */
static void policy_setup(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, (int)getuid()) TH_LOG("must run as root");
	ASSERT_EQ(0, kml_status()) TH_LOG("must run unstamped (Kml: %d)", kml_status());
	restore_sysctls();
	if (read_long(SUID_DUMPABLE) != 0 && write_str(SUID_DUMPABLE, "0\n"))
		TH_LOG("cannot set fs.suid_dumpable to 0");
}

/*
 * Every tear-down is a FIXTURE_TEARDOWN_PARENT.  After an ASSERT's longjmp,
 * this kselftest_harness.h (6.12) runs a FIXTURE_TEARDOWN in the test's
 * process only if its local "child" reads 0, a variable set between setjmp
 * and longjmp, so indeterminate then: compiled with -O2 (as here) it reads
 * as it was before the fork, and the tear-down is skipped.  The parent's
 * kind runs exactly once either way, after a failed ASSERT too (self is
 * then shared between the two processes).
 *
 * A fixture whose tests change nothing but sysctls, and may start one
 * program in the background (self->bg).
 */
#define POLICY_FIXTURE(name)					\
	FIXTURE(name) {						\
		pid_t bg;					\
	};							\
	FIXTURE_SETUP(name)					\
	{							\
		self->bg = 0;					\
		policy_setup(_metadata);			\
	}							\
	FIXTURE_TEARDOWN_PARENT(name)				\
	{							\
		stop_bg(&self->bg);				\
		restore_sysctls();				\
	}

/* ---- the defaults, before any test changed them ----------------------- */

TEST(sysctl_defaults)
{
	long allow = get_sysctl("allow"), group = get_sysctl("group");
	long keyring = get_sysctl("keyring"), cache = get_sysctl("cache");

	EXPECT_TRUE(allow == 1 && group == -1 && keyring == 0 && cache == 1)
		TH_LOG("allow %ld group %ld keyring %ld cache %ld, want 1 -1 0 1",
		       allow, group, keyring, cache);
}

/* ---- AT_SECURE, not dumpable ------------------------------------------ */

POLICY_FIXTURE(secure)

/* The stamped kml-probe: ring 0, AT_SECURE 1, not dumpable (suid_dumpable 0). */
TEST_F(secure, stamped_ring0_at_secure_not_dumpable)
{
	EXPECT_TRUE(probe(_metadata, &root, PROBE, "status 1 secure 1 dumpable 0"));
}

/* The unstamped kml-probe: AT_SECURE 0, dumpable. */
TEST_F(secure, unstamped_ordinary)
{
	EXPECT_TRUE(probe(_metadata, &root, PROBE ".unstamped",
			  "status 0 secure 0 dumpable 1"));
}

/* ---- LD_PRELOAD, LD_AUDIT ---------------------------------------------- */

FIXTURE(preload) {
	char env0[128];
	char *envp[2];
	struct who w;
};

FIXTURE_VARIANT(preload) {
	const char *var;
};

FIXTURE_VARIANT_ADD(preload, ld_preload) {
	.var = "LD_PRELOAD",
};

FIXTURE_VARIANT_ADD(preload, ld_audit) {
	.var = "LD_AUDIT",
};

/* As root, with only VAR=/kml/kml-preload.so in the environment. */
FIXTURE_SETUP(preload)
{
	policy_setup(_metadata);
	snprintf(self->env0, sizeof(self->env0), "%s=" KDIR "/kml-preload.so",
		 variant->var);
	self->envp[0] = self->env0;
	self->envp[1] = NULL;
	self->w = root;
	self->w.envp = self->envp;
}

FIXTURE_TEARDOWN_PARENT(preload)
{
	restore_sysctls();
}

/* The control: the object works when it is honoured (unstamped hello-dyn). */
TEST_F(preload, honoured_by_unstamped)
{
	char out[2048];
	int st, e;

	st = run(&self->w, KDIR "/hello-dyn.unstamped", NULL, out, sizeof(out), &e);
	EXPECT_TRUE(!e && exited_ok(st) && strstr(out, "Kml: 0") &&
		    strstr(out, "KML-PRELOADED"))
		show_output(_metadata, "hello-dyn.unstamped", out);
}

/* The stamped hello-dyn ignores it: Kml: 1, AT_SECURE. */
TEST_F(preload, ignored_by_stamped)
{
	char out[2048];
	int st, e;

	st = run(&self->w, KDIR "/hello-dyn", NULL, out, sizeof(out), &e);
	EXPECT_TRUE(!e && exited_ok(st) && strstr(out, "Kml: 1") &&
		    !strstr(out, "KML-PRELOADED"))
		show_output(_metadata, "hello-dyn", out);
}

/* ---- not dumpable: ptrace and /proc/PID/mem ---------------------------- */

struct attach_result {
	int attach, attach_errno, mem, mem_errno;
};

/* From a fresh uid-1000 process: PTRACE_ATTACH to PID, open its mem. */
static int attach_as_user(pid_t pid, struct attach_result *res)
{
	char path[64];
	int pfd[2], st, got;
	pid_t c;

	memset(res, 0, sizeof(*res));
	if (pipe(pfd))
		return 0;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		struct attach_result r = { 0 };
		int fd;

		close(pfd[0]);
		if (become(&user))
			_exit(125);
		r.attach = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
		r.attach_errno = errno;
		if (r.attach == 0) {
			waitpid(pid, &st, __WALL);
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		}
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		fd = open(path, O_RDWR);
		r.mem = fd < 0 ? -1 : 0;
		r.mem_errno = errno;
		if (fd >= 0)
			close(fd);
		(void)!write(pfd[1], &r, sizeof(r));
		_exit(0);
	}
	close(pfd[1]);
	got = c > 0 && read(pfd[0], res, sizeof(*res)) == sizeof(*res);
	close(pfd[0]);
	if (c > 0)
		waitpid(c, NULL, 0);
	return got;
}

FIXTURE(ptrace) {
	pid_t bg;		/* the spin attached to */
};

/* allow 3: the uid-1000 spin gets ring 0. */
FIXTURE_SETUP(ptrace)
{
	self->bg = 0;
	policy_setup(_metadata);
	if (set_sysctl(_metadata, "allow", "3\n"))
		TH_LOG("(the uid-1000 program will not get ring 0)");
}

FIXTURE_TEARDOWN_PARENT(ptrace)
{
	stop_bg(&self->bg);
	restore_sysctls();
}

/* The stamped spin started by uid 1000 runs in ring 0 (allow 3). */
TEST_F(ptrace, stamped_spin_of_uid1000_in_ring0)
{
	start_bg(_metadata, &self->bg, &user, KDIR "/spin", "spin", 1);
	EXPECT_EQ(1, kml_of(self->bg));
	stop_bg(&self->bg);
}

/* Another uid-1000 process cannot PTRACE_ATTACH to it: EPERM. */
TEST_F(ptrace, uid1000_cannot_attach)
{
	struct attach_result r;

	start_bg(_metadata, &self->bg, &user, KDIR "/spin", "spin", 1);
	ASSERT_TRUE(attach_as_user(self->bg, &r));
	stop_bg(&self->bg);
	EXPECT_TRUE(r.attach == -1 && r.attach_errno == EPERM)
		TH_LOG("got %s", r.attach == 0 ? "attached" : strerror(r.attach_errno));
}

/* Nor open its /proc/PID/mem O_RDWR: EACCES or EPERM. */
TEST_F(ptrace, uid1000_cannot_open_mem)
{
	struct attach_result r;

	start_bg(_metadata, &self->bg, &user, KDIR "/spin", "spin", 1);
	ASSERT_TRUE(attach_as_user(self->bg, &r));
	stop_bg(&self->bg);
	EXPECT_TRUE(r.mem == -1 && (r.mem_errno == EACCES || r.mem_errno == EPERM))
		TH_LOG("got %s", r.mem == 0 ? "opened" : strerror(r.mem_errno));
}

/* Root has CAP_SYS_PTRACE: it attaches to it and opens its mem. */
TEST_F(ptrace, root_attaches_and_opens_mem)
{
	struct user_regs_struct regs;
	char path[64];
	int st, ok, fd, e;
	pid_t pid;

	start_bg(_metadata, &self->bg, &user, KDIR "/spin", "spin", 1);
	pid = self->bg;
	ok = ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0 &&
	     waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st) &&
	     ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0;
	if (ok)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	e = errno;
	if (fd >= 0)
		close(fd);
	stop_bg(&self->bg);
	EXPECT_TRUE(ok) TH_LOG("root cannot attach (and read the registers)");
	EXPECT_LE(0, fd) TH_LOG("root cannot open its mem: %s", strerror(e));
	if (ok)
		TH_LOG("attached: cs %#llx", regs.cs);
}

/* The control: uid 1000 attaches to, and opens the mem of, its unstamped spin. */
TEST_F(ptrace, control_uid1000_attaches_to_unstamped)
{
	struct attach_result r;

	start_bg(_metadata, &self->bg, &user, KDIR "/spin.unstamped",
		 "spin.unstamped", 0);
	ASSERT_TRUE(attach_as_user(self->bg, &r));
	stop_bg(&self->bg);
	EXPECT_TRUE(r.attach == 0 && r.mem == 0)
		TH_LOG("attach %s, mem %s",
		       r.attach ? strerror(r.attach_errno) : "ok",
		       r.mem ? strerror(r.mem_errno) : "ok");
}

/* ---- nosuid mounts ------------------------------------------------------ */

static const struct {
	const char *dir;
	unsigned long flags;
} mnt[] = { { "/tmp/kml-mnt-a", 0 }, { "/tmp/kml-mnt-b", MS_NOSUID } };

FIXTURE(nosuid) {
	int mounted[2];
};

static void nosuid_unmount(int *mounted)
{
	for (int i = 0; i < 2; i++) {
		if (mounted[i])
			umount2(mnt[i].dir, MNT_DETACH);
		rmdir(mnt[i].dir);
	}
}

/*
 * Two tmpfs, one of them nosuid, each with a copy of the stamped probe
 * (each test asserts that its own mount is there).
 */
FIXTURE_SETUP(nosuid)
{
	int left[2] = { 1, 1 };

	self->mounted[0] = self->mounted[1] = 0;
	policy_setup(_metadata);
	nosuid_unmount(left);	/* what a test killed by its timeout left */
	for (int i = 0; i < 2; i++) {
		char path[128];

		mkdir(mnt[i].dir, 0755);
		self->mounted[i] = !mount("tmpfs", mnt[i].dir, "tmpfs", mnt[i].flags,
					  "mode=0755");
		if (!self->mounted[i])
			TH_LOG("mount tmpfs on %s: %s", mnt[i].dir, strerror(errno));
		snprintf(path, sizeof(path), "%s/kml-probe", mnt[i].dir);
		copy_file(_metadata, PROBE, path);
	}
	sleep_ms(FRESH_MS);
}

FIXTURE_TEARDOWN_PARENT(nosuid)
{
	nosuid_unmount(self->mounted);
	restore_sysctls();
}

/* On a tmpfs mounted without nosuid, the copy runs in ring 0. */
TEST_F(nosuid, plain_mount_ring0)
{
	ASSERT_TRUE(self->mounted[0]);
	EXPECT_TRUE(probe(_metadata, &root, "/tmp/kml-mnt-a/kml-probe", "status 1 secure 1"));
}

/* The same copy on a nosuid tmpfs: ring 3, an ordinary program; logged "nosuid". */
TEST_F(nosuid, nosuid_mount_ring3_logged)
{
	ASSERT_TRUE(self->mounted[1]);
	EXPECT_TRUE(probe_demoted(_metadata, &root, "/tmp/kml-mnt-b/kml-probe", "nosuid"));
}

/* ---- no_new_privs, PR_SET_TSC ------------------------------------------ */

POLICY_FIXTURE(demote)

/* With PR_SET_NO_NEW_PRIVS the stamped probe runs in ring 3; logged. */
TEST_F(demote, no_new_privs)
{
	struct who w = root;

	w.nnp = 1;
	EXPECT_TRUE(probe_demoted(_metadata, &w, PROBE, "no_new_privs"));
}

/*
 * PR_SET_TSC survives exec but cannot make RDTSC fault at CPL 0: a process
 * that asked for it keeps it by running the stamped program in ring 3.
 */
TEST_F(demote, pr_set_tsc)
{
	struct who w = root;

	w.notsc = 1;
	EXPECT_TRUE(probe_demoted(_metadata, &w, PROBE, "PR_SET_TSC"));
}

/* ---- traced -------------------------------------------------------------- */

/*
 * A tracer running as W forks a child that does PTRACE_TRACEME and execs
 * the stamped probe with CHECKS; the tracer continues it through the exec
 * SIGTRAP.  Did the probe say ok?
 */
static int traced_probe(struct __test_metadata *_metadata, const struct who *w,
			const char *checks)
{
	char abuf[128], *argv[16], out[2048];
	int pfd[2], st, ok;
	size_t n = 0;
	ssize_t r;
	pid_t tracer;

	snprintf(abuf, sizeof(abuf), "%s", checks);
	split(PROBE, abuf, argv, 16);
	if (pipe(pfd))
		return 0;
	fflush(stdout);
	tracer = fork();
	if (tracer == 0) {
		int traps = 0;
		pid_t c;

		close(pfd[0]);
		if (become(w))
			_exit(125);
		c = fork();
		if (c == 0) {
			static char *const no_env[] = { NULL };

			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
				_exit(126);
			execve(PROBE, argv, no_env);
			_exit(127);
		}
		close(pfd[1]);
		for (;;) {
			if (waitpid(c, &st, 0) != c)
				_exit(4);
			if (!WIFSTOPPED(st))
				break;
			if (WSTOPSIG(st) == SIGTRAP) {
				traps++;
				ptrace(PTRACE_CONT, c, NULL, NULL);
			} else {
				ptrace(PTRACE_CONT, c, NULL, WSTOPSIG(st));
			}
		}
		_exit(!traps ? 2 : exited_ok(st) ? 0 : 1);
	}
	close(pfd[1]);
	while (tracer > 0 && n + 1 < sizeof(out) &&
	       (r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(pfd[0]);
	st = -1;
	if (tracer > 0)
		waitpid(tracer, &st, 0);
	ok = exited_ok(st) && strstr(out, "probe: ok");
	if (!ok) {
		TH_LOG("traced probe %s, tracer uid %d: tracer status %#x (2: no exec stop)",
		       checks, (int)w->uid, st);
		show_output(_metadata, "output", out);
	}
	return ok;
}

POLICY_FIXTURE(traced)

/*
 * Exec'd under PTRACE_TRACEME by a uid-1000 tracer (allow 3, so that
 * uid 1000 could have ring 0): the stamped probe runs in ring 3; logged.
 */
TEST_F(traced, uid1000_tracer_demotes)
{
	int fd, ok, logged;

	set_sysctl(_metadata, "allow", "3\n");
	fd = kmsg_open();
	ok = traced_probe(_metadata, &user, "status 0 secure 0 dumpable 1");
	logged = kmsg_demoted(fd, "traced", PROBE);
	EXPECT_TRUE(ok);
	EXPECT_TRUE(logged) TH_LOG("no kernel log line with \"ring 3\" and \"traced\"");
}

/* Under a root tracer (CAP_SYS_PTRACE) the stamped probe keeps ring 0. */
TEST_F(traced, root_tracer_keeps_ring0)
{
	EXPECT_TRUE(traced_probe(_metadata, &root, "status 1 secure 1"));
}

/* ---- the sysctls ----------------------------------------------------- */

/* Each of VALS written to kernel.kml.NAME fails with EINVAL; value kept. */
static void check_einval(struct __test_metadata *_metadata, const char *name,
			 const char *const *vals, int nvals)
{
	long before = get_sysctl(name);

	ASSERT_NE(LONG_MIN, before) TH_LOG("cannot read kernel.kml.%s", name);
	for (int i = 0; i < nvals; i++) {
		char path[128], v[32];
		int e;

		snprintf(path, sizeof(path), SYSCTL "%s", name);
		snprintf(v, sizeof(v), "%s\n", vals[i]);
		e = write_str(path, v);
		EXPECT_EQ(EINVAL, e)
			TH_LOG("kernel.kml.%s = \"%s\": %s, want EINVAL", name,
			       vals[i], e ? strerror(e) : "accepted");
	}
	EXPECT_EQ(before, get_sysctl(name))
		TH_LOG("kernel.kml.%s changed from %ld", name, before);
}

/* In a child without CAP_SYS_ADMIN (capset) or as uid 1000: write each. */
static void check_eperm(struct __test_metadata *_metadata, int as_user)
{
	static const char *const names[] = { "allow", "group", "keyring", "cache" };
	static const char *const vals[] = { "3\n", "1000\n", "1\n", "0\n" };
	int errs[4] = { 0 }, pfd[2], got;
	long before[4];
	pid_t pid;

	for (int i = 0; i < 4; i++)
		before[i] = get_sysctl(names[i]);
	ASSERT_EQ(0, pipe(pfd));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		int e[4];

		close(pfd[0]);
		if (as_user) {
			if (become(&user))
				_exit(125);
		} else {
			if (syscall(SYS_capget, &h, d))
				_exit(124);
			d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
			d[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
			d[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
			if (syscall(SYS_capset, &h, d))
				_exit(123);
		}
		for (int i = 0; i < 4; i++) {
			char path[128];

			snprintf(path, sizeof(path), SYSCTL "%s", names[i]);
			e[i] = write_str(path, vals[i]);
		}
		(void)!write(pfd[1], e, sizeof(e));
		_exit(0);
	}
	close(pfd[1]);
	got = pid > 0 && read(pfd[0], errs, sizeof(errs)) == sizeof(errs);
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	ASSERT_TRUE(got) TH_LOG("the child could not drop its privileges");
	for (int i = 0; i < 4; i++) {
		/* uid 1000 may already fail at open(): mode 0644 */
		int want = errs[i] == EPERM || (as_user && errs[i] == EACCES);

		EXPECT_TRUE(want && get_sysctl(names[i]) == before[i])
			TH_LOG("kernel.kml.%s = %.*s %s: %s, value %ld (was %ld)", names[i],
			       (int)strlen(vals[i]) - 1, vals[i],
			       as_user ? "as uid 1000" : "without CAP_SYS_ADMIN",
			       errs[i] ? strerror(errs[i]) : "accepted", get_sysctl(names[i]),
			       before[i]);
	}
}

/* allow 2, and kernel.kml.group GROUP. */
static void set_allow2(struct __test_metadata *_metadata, const char *group)
{
	set_sysctl(_metadata, "allow", "2\n");
	set_sysctl(_metadata, "group", group);
}

POLICY_FIXTURE(sysctl)

/* allow 1 (root only, the default): uid 1000 runs the probe in ring 3; logged. */
TEST_F(sysctl, allow1_uid1000_ring3_logged)
{
	EXPECT_TRUE(probe_demoted(_metadata, &user, PROBE, "kernel.kml.allow"));
}

/*
 * The policy is asked before the stamp is verified: a caller it
 * sends to ring 3 never makes the kernel hash the file or parse its
 * PKCS#7, so a forged stamp (bad-modified: its signature does not
 * match) runs for uid 1000 as an ordinary program, while root, who
 * could get ring 0, is refused.
 */
TEST_F(sysctl, allow1_uid1000_runs_forged_stamp_unverified)
{
	char out[512];
	int st, e, fd = kmsg_open(), ok;

	st = run(&user, KDIR "/bad-modified", NULL, out, sizeof(out), &e);
	ok = !e && exited_ok(st) && strstr(out, "running in ring 3, Kml: 0");
	if (!ok)
		show_output(_metadata, "uid 1000", out);
	EXPECT_TRUE(ok);
	EXPECT_TRUE(kmsg_find(fd, "stamp not checked", "kernel.kml.allow",
			      KDIR "/bad-modified"))
		TH_LOG("no \"stamp not checked\" log line naming kernel.kml.allow");
}

TEST_F(sysctl, allow1_root_refused_forged_stamp)
{
	char out[512];
	int e;

	run(&root, KDIR "/bad-modified", NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e) TH_LOG("got %s", e ? strerror(e) : "no error");
}

/* allow 2: root and the members of kernel.kml.group. */
TEST_F(sysctl, group_reads_back)
{
	set_allow2(_metadata, "1000\n");
	EXPECT_EQ(1000, get_sysctl("group"));
}

TEST_F(sysctl, allow2_group1000_uid1000_ring0)
{
	set_allow2(_metadata, "1000\n");
	EXPECT_TRUE(probe(_metadata, &user, PROBE, "status 1 secure 1 dumpable 0"));
}

TEST_F(sysctl, allow2_group1000_root_ring0)
{
	set_allow2(_metadata, "1000\n");
	EXPECT_TRUE(probe(_metadata, &root, PROBE, "status 1"));
}

/* uid 1000 / gid 1000 is not in group 2000: ring 3; logged. */
TEST_F(sysctl, allow2_group2000_uid1000_ring3_logged)
{
	set_allow2(_metadata, "2000\n");
	EXPECT_TRUE(probe_demoted(_metadata, &user, PROBE, "kernel.kml.allow"));
}

/* A supplementary group counts. */
TEST_F(sysctl, allow2_group2000_supplementary_ring0)
{
	struct who supp = user;

	set_allow2(_metadata, "2000\n");
	supp.ngroups = 1;
	supp.groups[0] = OTHER_GID;
	EXPECT_TRUE(probe(_metadata, &supp, PROBE, "status 1"));
}

/* Group -1 (none), written over 2000: accepted, reads back -1. */
TEST_F(sysctl, group_none_accepted)
{
	set_allow2(_metadata, "2000\n");
	set_sysctl(_metadata, "group", "-1\n");
	EXPECT_EQ(-1, get_sysctl("group"));
}

/* allow 3: everyone. */
TEST_F(sysctl, allow3_uid1000_ring0)
{
	set_sysctl(_metadata, "allow", "3\n");
	EXPECT_TRUE(probe(_metadata, &user, PROBE, "status 1"));
}

/*
 * allow 0: nobody (stamps are not even looked at: no log line); even root
 * runs the stamped probe in ring 3, as an ordinary program.
 */
TEST_F(sysctl, allow0_root_ring3)
{
	set_sysctl(_metadata, "allow", "0\n");
	EXPECT_TRUE(probe(_metadata, &root, PROBE, "status 0 secure 0 dumpable 1"));
}

/* allow from 0 back to 1: root gets ring 0 again. */
TEST_F(sysctl, allow_back_to_1_root_ring0)
{
	set_sysctl(_metadata, "allow", "0\n");
	set_sysctl(_metadata, "allow", "1\n");
	EXPECT_EQ(1, get_sysctl("allow"));
	EXPECT_TRUE(probe(_metadata, &root, PROBE, "status 1"));
}

TEST_F(sysctl, allow_rejects_bad_values)
{
	static const char *const bad[] = { "4", "-1", "abc", "1x", "99999999999" };

	check_einval(_metadata, "allow", bad, 5);
}

TEST_F(sysctl, keyring_rejects_bad_values)
{
	static const char *const bad[] = { "2", "-1", "abc" };

	check_einval(_metadata, "keyring", bad, 3);
}

TEST_F(sysctl, group_rejects_bad_values)
{
	static const char *const bad[] = { "abc", "1x" };

	check_einval(_metadata, "group", bad, 2);
}

/* Root without CAP_SYS_ADMIN cannot write allow, group, keyring, cache: EPERM. */
TEST_F(sysctl, no_cap_sys_admin_eperm)
{
	check_eperm(_metadata, 0);
}

/* Nor can uid 1000 (EACCES or EPERM). */
TEST_F(sysctl, uid1000_cannot_write)
{
	check_eperm(_metadata, 1);
}

/* keyring 1 (builtin + secondary keys; ours is builtin): still ring 0. */
TEST_F(sysctl, keyring1_still_ring0)
{
	EXPECT_EQ(0, set_sysctl(_metadata, "keyring", "1\n"));
	EXPECT_EQ(1, get_sysctl("keyring"));
	EXPECT_TRUE(probe(_metadata, &root, PROBE, "status 1"));
}

/* ---- the stamp cache ------------------------------------------------- */

static int flip_byte(const char *path, off_t off)
{
	unsigned char b;
	int fd = open(path, O_RDWR), ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, &b, 1, off) == 1;
	b ^= 0xff;
	ok = ok && pwrite(fd, &b, 1, off) == 1;
	return !close(fd) && ok;
}

#define CACHE_COPY	"/tmp/kml-cache-hello"

FIXTURE(cache) {
	struct stat sb;
};

/* A fresh copy of hello-static, not yet cached. */
FIXTURE_SETUP(cache)
{
	struct cstats s;

	policy_setup(_metadata);
	ASSERT_EQ(0, cache_stats(_metadata, &s));
	ASSERT_TRUE(copy_file(_metadata, KDIR "/hello-static", CACHE_COPY));
	ASSERT_EQ(0, stat(CACHE_COPY, &self->sb));
	sleep_ms(FRESH_MS);
}

FIXTURE_TEARDOWN_PARENT(cache)
{
	unlink(CACHE_COPY);
	restore_sysctls();
}

/*
 * The sequence the tests below follow: exec, exec, open for writing and
 * exec, exec, change a byte and exec, exec, put it back and exec.  Each
 * test replays the steps before its own and checks its own.  A replayed
 * step is not checked (the test of that step does it; a failure is
 * logged): what a test checks is what it checked in that sequence.
 */

/* Two execs of the copy: it is then in the cache. */
static void cache_copy_cached(struct __test_metadata *_metadata)
{
	hello(_metadata, CACHE_COPY, 1);
	hello(_metadata, CACHE_COPY, 1);
}

/* An open for writing, nothing written. */
static int open_for_writing(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		TH_LOG("open %s for writing: %s", path, strerror(errno));
	else
		close(fd);
	return fd >= 0;
}

/* The copy, cached, then one byte in its middle changed and EXECS execs refused. */
static void cache_copy_changed(struct __test_metadata *_metadata,
			       const struct stat *sb, int execs)
{
	char out[1024];
	int e;

	cache_copy_cached(_metadata);
	if (!flip_byte(CACHE_COPY, sb->st_size / 2))
		TH_LOG("cannot change a byte of %s", CACHE_COPY);
	while (execs--)
		run(&root, CACHE_COPY, NULL, out, sizeof(out), &e);
}

/* The first exec of a fresh copy of hello-static: Kml: 1, a miss (full check). */
TEST_F(cache, first_exec_misses)
{
	struct cstats s;

	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, CACHE_COPY, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, 1, "first exec"));
}

/* The second exec: a hit. */
TEST_F(cache, second_exec_hits)
{
	struct cstats s;

	hello(_metadata, CACHE_COPY, 1);
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, CACHE_COPY, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 1, 0, "second exec"));
}

/* An open for writing (nothing written) drops the entry: the next exec is a miss. */
TEST_F(cache, open_for_writing_drops_entry)
{
	struct cstats s;

	cache_copy_cached(_metadata);
	ASSERT_TRUE(open_for_writing(_metadata, CACHE_COPY));
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, CACHE_COPY, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, 1, "after open for writing"));
}

/* That miss cached the file again: the next exec is a hit. */
TEST_F(cache, miss_caches_again)
{
	struct cstats s;

	cache_copy_cached(_metadata);
	open_for_writing(_metadata, CACHE_COPY);
	hello(_metadata, CACHE_COPY, 1);
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, CACHE_COPY, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 1, 0, "exec after the miss"));
}

/* One byte changed in the middle: exec fails with EPERM, not a hit. */
TEST_F(cache, changed_byte_refused)
{
	char out[1024];
	struct cstats s;
	int st, e;

	cache_copy_cached(_metadata);
	cache_stats(_metadata, &s);
	ASSERT_TRUE(flip_byte(CACHE_COPY, self->sb.st_size / 2));
	st = run(&root, CACHE_COPY, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e)
		TH_LOG("modified copy: exec %s, status %#x", e ? strerror(e) : "worked", st);
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, -1, "modified copy"));
}

/* And again: EPERM, not a hit (a refused file is never cached). */
TEST_F(cache, changed_byte_refused_again)
{
	char out[1024];
	struct cstats s;
	int e;

	cache_copy_changed(_metadata, &self->sb, 1);
	cache_stats(_metadata, &s);
	run(&root, CACHE_COPY, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e);
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, -1, "modified copy again"));
}

/* The byte put back: valid again, Kml: 1 (a miss). */
TEST_F(cache, byte_put_back_valid_again)
{
	struct cstats s;

	cache_copy_changed(_metadata, &self->sb, 2);
	ASSERT_TRUE(flip_byte(CACHE_COPY, self->sb.st_size / 2));
	sleep_ms(FRESH_MS);
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, CACHE_COPY, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, 1, "byte restored"));
}

/*
 * cache 0: every exec is a full check; any write flushes.  Writing 0
 * empties the cache (hello-static is put in it first, so that there is
 * something to empty) and two execs are two misses.
 */
TEST_F(cache, cache0_empties_and_misses)
{
	struct cstats s, t;

	hello(_metadata, KDIR "/hello-static", 1);
	EXPECT_EQ(0, set_sysctl(_metadata, "cache", "0\n"));
	ASSERT_EQ(0, cache_stats(_metadata, &t));
	EXPECT_EQ(0, t.entries);
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, KDIR "/hello-static", 1));
	EXPECT_TRUE(hello(_metadata, KDIR "/hello-static", 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 0, 2, "cache 0"));
}

/* From cache 0, cache 1 caches again; writing 1 once more flushes. */
TEST_F(cache, cache1_caches_again_write_flushes)
{
	struct cstats s, t;

	set_sysctl(_metadata, "cache", "0\n");
	EXPECT_EQ(0, set_sysctl(_metadata, "cache", "1\n"));
	EXPECT_TRUE(hello(_metadata, KDIR "/hello-static", 1));
	EXPECT_TRUE(hello(_metadata, KDIR "/hello-static", 1));
	ASSERT_EQ(0, cache_stats(_metadata, &t));
	EXPECT_LE(1, t.entries);
	EXPECT_EQ(0, set_sysctl(_metadata, "cache", "1\n"));
	ASSERT_EQ(0, cache_stats(_metadata, &s));
	EXPECT_EQ(0, s.entries);
}

/* ---- exec time of a 2 MB program, cold and warm ---------------------- */

/* fork + exec + wait of PATH, in ns; *ok cleared unless it exits 0. */
static long long timed_exec(const char *path, int *ok)
{
	long long t0 = now_ns();
	int st = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !exited_ok(st))
		*ok = 0;
	return now_ns() - t0;
}

POLICY_FIXTURE(timing)

/*
 * The stamped big (> 2 MB): a cold exec is a miss, 20 warm execs are all
 * hits, and 20 of the unstamped copy; all exit 0.  The times are printed,
 * not judged.
 */
TEST_F_TIMEOUT(timing, exec_2mb_cold_warm_unstamped, 120)
{
	static const char *const big = KDIR "/big";
	long long cold, warm = 0, plain = 0;
	struct cstats s;
	struct stat sb = { 0 };
	int ok = 1, n = 20, cold_ok, warm_ok;

	if (stat(big, &sb))
		TH_LOG("%s: %s", big, strerror(errno));
	/* writing cache 1 empties the cache: the next exec is cold */
	cold_ok = !set_sysctl(_metadata, "cache", "1\n") && !cache_stats(_metadata, &s) &&
		  s.entries == 0;
	cold = timed_exec(big, &ok);
	cold_ok = cold_ok && cache_delta(_metadata, &s, 0, 1, "cold exec");
	cache_stats(_metadata, &s);
	for (int i = 0; i < n; i++)
		warm += timed_exec(big, &ok);
	warm_ok = cache_delta(_metadata, &s, n, 0, "warm execs");
	for (int i = 0; i < n; i++)
		plain += timed_exec(KDIR "/big.unstamped", &ok);
	ksft_print_msg("exec %lld MB: stamped cold %lld us, stamped warm %lld us, unstamped %lld us\n",
		       (long long)sb.st_size >> 20, cold / 1000, warm / n / 1000,
		       plain / n / 1000);
	EXPECT_LE(2 << 20, sb.st_size) TH_LOG("%s: only %lld bytes", big,
					      (long long)sb.st_size);
	EXPECT_TRUE(cold_ok) TH_LOG("the cold exec was not a miss of an empty cache");
	EXPECT_TRUE(warm_ok);
	EXPECT_TRUE(ok) TH_LOG("an exec did not exit 0");
}

/* ---- a running stamped program is not writable ----------------------- */

POLICY_FIXTURE(etxtbsy)

/* While the stamped spin runs (Kml: 1), open(O_WRONLY) fails with ETXTBSY. */
TEST_F(etxtbsy, running_stamped_not_writable)
{
	int kml, fd, e;

	start_bg(_metadata, &self->bg, &root, KDIR "/spin", "spin", 1);
	kml = kml_of(self->bg);
	fd = open(KDIR "/spin", O_WRONLY);
	e = errno;
	if (fd >= 0)
		close(fd);
	stop_bg(&self->bg);
	EXPECT_EQ(1, kml);
	EXPECT_TRUE(fd < 0 && e == ETXTBSY)
		TH_LOG("got %s", fd >= 0 ? "opened" : strerror(e));
}

/* ---- kernel.kml.keyring: the secondary trusted keyring ------------- */

/* The serial of the system keyring called @name, from /proc/keys, or -1. */
static long system_keyring(const char *name)
{
	char line[512];
	long id = -1;
	unsigned int serial;
	FILE *f = fopen("/proc/keys", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " keyring ") && strstr(line, name) &&
		    sscanf(line, "%x", &serial) == 1)
			id = serial;
	fclose(f);
	return id;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

#define SECPROG KDIR "/secondary-signed"

/*
 * Adds the DER certificate in FILE (asserted readable) to keyring KR (> 0,
 * asserted: -1 would name the thread keyring): the key, or -1 and *E.
 */
static long add_cert(struct __test_metadata *_metadata, const char *file,
		     long kr, int *e)
{
	char der[4096];
	ssize_t len = read_file(file, der, sizeof(der));
	long key;

	ASSERT_LT(0, kr) TH_LOG("no .secondary_trusted_keys");
	ASSERT_LT(0, len) TH_LOG("cannot read %s", file);
	errno = 0;
	key = syscall(SYS_add_key, "asymmetric", NULL, der, (size_t)len, kr);
	*e = errno;
	return key;
}

/*
 * The certificate a test adds to .secondary_trusted_keys stays there until
 * reboot: the tests after builtin_signed_cert_joins build on it.
 */
POLICY_FIXTURE(keyring)

/* Signed by a key that is in neither keyring yet: refused. */
TEST_F(keyring, unknown_key_refused)
{
	char out[1024];
	int e, fd = kmsg_open();

	run(&root, SECPROG, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e) TH_LOG("got %s", e ? strerror(e) : "ran");
	EXPECT_TRUE(kmsg_find(fd, SECPROG, "not in the trusted keyring", NULL))
		TH_LOG("no log line \"not in the trusted keyring\"");
}

/* The secondary keyring takes only keys a builtin key vouches for. */
TEST_F(keyring, self_signed_cert_refused)
{
	long kr = system_keyring(".secondary_trusted_keys"), key;
	int e;

	key = add_cert(_metadata, KDIR "/untrusted.der", kr, &e);
	EXPECT_GT(0, key) TH_LOG("added");
	if (key < 0)
		TH_LOG("refused: %s", strerror(e));
}

TEST_F(keyring, builtin_signed_cert_joins)
{
	long kr = system_keyring(".secondary_trusted_keys"), key;
	int e;

	key = add_cert(_metadata, KDIR "/secondary.der", kr, &e);
	EXPECT_LT(0, key) TH_LOG("%s", strerror(e));
}

/* keyring=0: the builtin keys only, so still refused. */
TEST_F(keyring, keyring0_secondary_ignored)
{
	char out[1024];
	int e;

	run(&root, SECPROG, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e) TH_LOG("got %s", e ? strerror(e) : "ran");
}

TEST_F(keyring, keyring1_runs)
{
	EXPECT_EQ(0, set_sysctl(_metadata, "keyring", "1"));
	EXPECT_TRUE(hello(_metadata, SECPROG, 1));
}

/* Back to 0 (after a run with 1): the cached verdict must not outlive the knob. */
TEST_F(keyring, keyring0_again_refused_cache_or_not)
{
	char out[1024];
	int e;

	set_sysctl(_metadata, "keyring", "1");
	hello(_metadata, SECPROG, 1);
	EXPECT_EQ(0, set_sysctl(_metadata, "keyring", "0"));
	run(&root, SECPROG, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e) TH_LOG("got %s", e ? strerror(e) : "ran");
}

/* ---- revocation through the .blacklist keyring ----------------------- */

#define REVOKED KDIR "/revoked"

FIXTURE(revoke) {
	char desc[160], sig[4096];
	ssize_t dlen, slen;
	long kr;
};

/* What mkcases.sh made: "bin:<hash>" of revoked, and its signature. */
FIXTURE_SETUP(revoke)
{
	policy_setup(_metadata);
	self->dlen = read_file(REVOKED ".desc", self->desc, sizeof(self->desc) - 1);
	self->slen = read_file(REVOKED ".p7s", self->sig, sizeof(self->sig));
	self->desc[self->dlen > 0 ? self->dlen : 0] = 0;
	self->kr = system_keyring(".blacklist:");
	if (self->dlen <= 4 || self->slen <= 0 || self->kr < 0)
		TH_LOG("revocation set-up: desc %zd bytes, signature %zd bytes, .blacklist keyring %ld",
		       self->dlen, self->slen, self->kr);
}

FIXTURE_TEARDOWN_PARENT(revoke)
{
	restore_sysctls();
}

/* add_key() of DESC with the signature to .blacklist: the key, or -1 and *E. */
static long add_blacklist(FIXTURE_DATA(revoke) *self, const char *desc, int *e)
{
	long key;

	errno = 0;
	key = syscall(SYS_add_key, "blacklist", desc, self->sig,
		      (size_t)(self->slen > 0 ? self->slen : 0), self->kr);
	*e = errno;
	return key;
}

/*
 * The revocation cannot be undone: these tests run in this order, each on
 * what the one before left (the cached file, the key added).
 */

/* Before revocation revoked runs with Kml: 1, and is cached (the second exec a hit). */
TEST_F(revoke, runs_and_cached_before)
{
	struct cstats s;

	EXPECT_TRUE(hello(_metadata, REVOKED, 1));
	cache_stats(_metadata, &s);
	EXPECT_TRUE(hello(_metadata, REVOKED, 1));
	EXPECT_TRUE(cache_delta(_metadata, &s, 1, 0, "revoked, second exec"));
}

/* add_key of a blacklist entry whose signature is for another hash fails. */
TEST_F(revoke, signature_for_other_hash_refused)
{
	char forged[160];
	long key;
	int e;

	/* (kr -1 would name the thread keyring: never pass it) */
	ASSERT_LT(0, self->kr) TH_LOG("no .blacklist keyring");
	snprintf(forged, sizeof(forged), "%s", self->desc);
	if (self->dlen > 4)
		forged[4] = forged[4] == '0' ? '1' : '0';
	key = add_blacklist(self, forged, &e);
	EXPECT_GT(0, key) TH_LOG("added");
	if (key < 0)
		TH_LOG("refused: %s", strerror(e));
}

/* Root adds the signed "bin:<hash>" to the .blacklist keyring. */
TEST_F(revoke, root_adds_signed_hash)
{
	long key;
	int e;

	ASSERT_LT(0, self->kr) TH_LOG("no .blacklist keyring");
	key = add_blacklist(self, self->desc, &e);
	EXPECT_LT(0, key) TH_LOG("%.16s...: %s", self->desc, strerror(e));
	if (key > 0)
		TH_LOG("added \"%.16s...\"", self->desc);
}

/* The revoked (and cached) program is refused with EPERM; logged "revoked". */
TEST_F(revoke, revoked_program_refused)
{
	char out[1024];
	int st, e, fd = kmsg_open();

	st = run(&root, REVOKED, NULL, out, sizeof(out), &e);
	EXPECT_EQ(EPERM, e)
		TH_LOG("%s after revocation: exec %s, status %#x", REVOKED,
		       e ? strerror(e) : "worked", st);
	EXPECT_TRUE(kmsg_find(fd, REVOKED, "revoked", NULL))
		TH_LOG("no kernel log line about %s with \"revoked\"", REVOKED);
}

/* hello-static (same code, another hash) still runs with Kml: 1. */
TEST_F(revoke, other_hash_still_runs)
{
	EXPECT_TRUE(hello(_metadata, KDIR "/hello-static", 1));
}

TEST_HARNESS_MAIN
