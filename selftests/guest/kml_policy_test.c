// SPDX-License-Identifier: GPL-2.0
/*
 * kml_policy_test - guest-side TAP tests of the KML trust policy: who gets
 * ring 0, what a ring-0 program is protected from, and the knobs.
 *
 * Usage: kml_policy_test   (as root, unstamped: it is the driver; the
 *                           programs it runs are in /kml, see mkcases.sh)
 *
 *   secure     a stamped program runs with AT_SECURE 1 and is not dumpable
 *              (fs.suid_dumpable 0); the unstamped copy is ordinary
 *   preload    LD_PRELOAD / LD_AUDIT are ignored by a stamped dynamic
 *              program, honoured by the unstamped copy
 *   ptrace     a ring-0 program of uid 1000 cannot be attached to, nor its
 *              /proc/PID/mem opened, by another uid-1000 process; root can;
 *              the unstamped control can be
 *   nosuid     stamped program on a nosuid mount: ring 3, logged
 *   nnp        with no_new_privs: ring 3, logged
 *   notsc      after PR_SET_TSC(PR_TSC_SIGSEGV): ring 3, logged
 *   traced     traced by a tracer without CAP_SYS_PTRACE: ring 3, logged;
 *              a root tracer does not demote
 *   sysctl     kernel.kml.{allow,group,keyring,cache}: defaults, who gets
 *              ring 0 under each allow level, EINVAL for bad values, EPERM
 *              without CAP_SYS_ADMIN
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
 * Every sysctl it changes is restored, also when the watchdog alarm fires.
 * Output is kselftest-style TAP, the plan at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
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

#include "kml_spawn.h"
#include "kml_status.h"
#include "kml_tap.h"

#define KDIR		"/kml"
#define PROBE		KDIR "/kml-probe"
#define SYSCTL		"/proc/sys/kernel/kml/"
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

/* Write, and say so in the TAP stream if it does not work. */
static int set_sysctl(const char *name, const char *val)
{
	char path[128];
	int e;

	snprintf(path, sizeof(path), SYSCTL "%s", name);
	e = write_str(path, val);
	if (e)
		printf("# cannot set kernel.kml.%s to %s: %s\n", name, val, strerror(e));
	return e;
}

static long get_sysctl(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSCTL "%s", name);
	return read_long(path);
}

/*
 * The values found at start, as "N\n" strings: restore_sysctls() uses only
 * open/write/close, so that the SIGALRM handler can call it.
 */
static struct {
	const char *path;
	char val[32];
	int have;
} saved[] = {
	{ .path = SYSCTL "allow" }, { .path = SYSCTL "group" },
	{ .path = SYSCTL "keyring" }, { .path = SYSCTL "cache" },
	{ .path = "/proc/sys/fs/suid_dumpable" },
};

static void save_sysctls(void)
{
	for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		if (read_str(saved[i].path, saved[i].val, sizeof(saved[i].val) - 1))
			continue;
		strcat(saved[i].val, "\n");
		saved[i].have = 1;
	}
}

static void restore_sysctls(void)
{
	for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		int fd;

		if (!saved[i].have)
			continue;
		fd = open(saved[i].path, O_WRONLY);
		if (fd >= 0) {
			(void)!write(fd, saved[i].val, strlen(saved[i].val));
			close(fd);
		}
	}
}

static void watchdog(int sig)
{
	static const char msg[] = "not ok - kml_policy_test: watchdog, a test hung\n";

	(void)sig;
	restore_sysctls();
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(1);
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

/* Prints OUT as TAP comment lines. */
static void show_output(const char *label, const char *out)
{
	const char *p = out, *nl;

	if (!*out)
		printf("#   %s: (no output)\n", label);
	while (*p) {
		nl = strchr(p, '\n');
		printf("#   %s: %.*s\n", label, (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

/* Runs the kml-probe at PATH with CHECKS as W: did it say "probe: ok"? */
static int probe(const struct who *w, const char *path, const char *checks)
{
	char out[2048];
	int st, e, ok;

	st = run(w, path, checks, out, sizeof(out), &e);
	ok = !e && exited_ok(st) && strstr(out, "probe: ok");
	if (!ok) {
		printf("# %s %s as uid %d: exec %s, status %#x\n", path, checks,
		       (int)w->uid, e ? strerror(e) : "ok", st);
		show_output("output", out);
	}
	return ok;
}

/*
 * A stamped probe that must run, demoted: ring 3 (Kml: 0) as an ordinary
 * program (AT_SECURE 0, dumpable), and one log line with REASON.
 */
static int probe_demoted(const struct who *w, const char *path, const char *reason)
{
	int fd = kmsg_open(), ok, logged;

	ok = probe(w, path, "status 0 secure 0 dumpable 1");
	logged = kmsg_demoted(fd, reason, path);
	if (!logged)
		printf("# no kernel log line with \"ring 3\" and \"%s\"\n", reason);
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

static int copy_file(const char *from, const char *to)
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
		printf("# copying %s to %s failed\n", from, to);
	return ok;
}

/* ---- the stamp cache statistics --------------------------------------- */

struct cstats {
	long entries, hits, misses;
};

static int cache_stats(struct cstats *s)
{
	char buf[256];

	if (read_str(STAMP_CACHE, buf, sizeof(buf)) ||
	    sscanf(buf, "entries %ld hits %ld misses %ld", &s->entries,
		   &s->hits, &s->misses) != 3) {
		printf("# cannot read %s: \"%s\"\n", STAMP_CACHE, buf);
		s->entries = s->hits = s->misses = -1;
		return -1;
	}
	return 0;
}

/* Hits and misses since A as expected (MISSES < 0: any number)? */
static int cache_delta(const struct cstats *a, long hits, long misses, const char *what)
{
	struct cstats b;

	if (a->hits < 0 || cache_stats(&b))
		return 0;
	if (b.hits - a->hits == hits && (misses < 0 || b.misses - a->misses == misses))
		return 1;
	printf("# %s: hits +%ld misses +%ld, want +%ld +%ld (entries %ld)\n", what,
	       b.hits - a->hits, b.misses - a->misses, hits, misses, b.entries);
	return 0;
}

/* Runs a stamped hello at PATH: exit 0 and "Kml: WANT"? */
static int hello(const char *path, int want)
{
	char out[1024], expect[16];
	int st, e;

	snprintf(expect, sizeof(expect), "Kml: %d", want);
	st = run(&root, path, NULL, out, sizeof(out), &e);
	if (!e && exited_ok(st) && strstr(out, expect))
		return 1;
	printf("# %s: exec %s, status %#x, want \"%s\"\n", path,
	       e ? strerror(e) : "ok", st, expect);
	show_output("output", out);
	return 0;
}

/* ---- a. AT_SECURE, not dumpable -------------------------------------- */

static void test_secure(void)
{
	if (read_long("/proc/sys/fs/suid_dumpable") != 0)
		write_str("/proc/sys/fs/suid_dumpable", "0\n");
	tap(probe(&root, PROBE, "status 1 secure 1 dumpable 0"),
	    "secure: stamped kml-probe runs in ring 0 with AT_SECURE 1, not dumpable (suid_dumpable 0)");
	tap(probe(&root, PROBE ".unstamped", "status 0 secure 0 dumpable 1"),
	    "secure: unstamped kml-probe runs with AT_SECURE 0, dumpable");
}

/* ---- b. LD_PRELOAD, LD_AUDIT ------------------------------------------ */

static void test_preload(void)
{
	static const char *const vars[] = { "LD_PRELOAD", "LD_AUDIT" };
	char env0[128], out[2048];
	char *envp[] = { env0, NULL };
	struct who w = root;
	int st, e, ok;

	w.envp = envp;
	for (int i = 0; i < 2; i++) {
		snprintf(env0, sizeof(env0), "%s=" KDIR "/kml-preload.so", vars[i]);
		/* the control first: the object works when it is honoured */
		st = run(&w, KDIR "/hello-dyn.unstamped", NULL, out, sizeof(out), &e);
		ok = !e && exited_ok(st) && strstr(out, "Kml: 0") &&
		     strstr(out, "KML-PRELOADED");
		if (!ok)
			show_output("hello-dyn.unstamped", out);
		tap(ok, "preload: %s loads kml-preload.so into the unstamped hello-dyn (control)",
		    vars[i]);
		st = run(&w, KDIR "/hello-dyn", NULL, out, sizeof(out), &e);
		ok = !e && exited_ok(st) && strstr(out, "Kml: 1") &&
		     !strstr(out, "KML-PRELOADED");
		if (!ok)
			show_output("hello-dyn", out);
		tap(ok, "preload: %s is ignored by the stamped hello-dyn (Kml: 1, AT_SECURE)",
		    vars[i]);
	}
}

/* ---- c. not dumpable: ptrace and /proc/PID/mem ------------------------ */

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

static void test_ptrace(void)
{
	struct user_regs_struct regs;
	struct attach_result r;
	int got, st, ok, fd;
	char path[64];
	pid_t pid;

	if (set_sysctl("allow", "3\n"))
		printf("# (the uid-1000 program will not get ring 0)\n");

	pid = spawn(&user, KDIR "/spin");
	ok = pid > 0 && wait_exec(pid, "spin", 1);
	tap(ok && kml_of(pid) == 1,
	    "ptrace: stamped spin started by uid 1000 runs in ring 0 (allow 3; Kml: %d)",
	    pid > 0 ? kml_of(pid) : -1);
	got = ok && attach_as_user(pid, &r);
	tap(got && r.attach == -1 && r.attach_errno == EPERM,
	    "ptrace: another uid-1000 process cannot PTRACE_ATTACH to it: EPERM (got %s)",
	    !got ? "nothing" : r.attach == 0 ? "attached" : strerror(r.attach_errno));
	tap(got && r.mem == -1 && (r.mem_errno == EACCES || r.mem_errno == EPERM),
	    "ptrace: nor open its /proc/PID/mem O_RDWR: EACCES or EPERM (got %s)",
	    !got ? "nothing" : r.mem == 0 ? "opened" : strerror(r.mem_errno));

	/* root has CAP_SYS_PTRACE */
	ok = pid > 0 && ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0 &&
	     waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st) &&
	     ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0;
	if (ok)
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	tap(ok && fd >= 0, "ptrace: root attaches to it (cs %#llx) and opens its mem (%s)",
	    ok ? regs.cs : 0ULL, fd >= 0 ? "ok" : strerror(errno));
	if (fd >= 0)
		close(fd);
	kill_wait(pid);

	/* The control: an ordinary program of the same user. */
	pid = spawn(&user, KDIR "/spin.unstamped");
	ok = pid > 0 && wait_exec(pid, "spin.unstamped", 0);
	got = ok && attach_as_user(pid, &r);
	tap(got && r.attach == 0 && r.mem == 0,
	    "ptrace: control: uid 1000 attaches to, and opens the mem of, an unstamped uid-1000 spin (attach %s, mem %s)",
	    !got ? "-" : r.attach ? strerror(r.attach_errno) : "ok",
	    !got ? "-" : r.mem ? strerror(r.mem_errno) : "ok");
	kill_wait(pid);
	set_sysctl("allow", "1\n");
}

/* ---- d. nosuid mounts ------------------------------------------------- */

static void test_nosuid(void)
{
	static const struct {
		const char *dir;
		unsigned long flags;
	} m[] = { { "/tmp/kml-mnt-a", 0 }, { "/tmp/kml-mnt-b", MS_NOSUID } };
	int mounted[2] = { 0, 0 }, fd, ok, logged;

	for (int i = 0; i < 2; i++) {
		char path[128];

		mkdir(m[i].dir, 0755);
		mounted[i] = !mount("tmpfs", m[i].dir, "tmpfs", m[i].flags, "mode=0755");
		if (!mounted[i])
			printf("# mount tmpfs on %s: %s\n", m[i].dir, strerror(errno));
		snprintf(path, sizeof(path), "%s/kml-probe", m[i].dir);
		copy_file(PROBE, path);
	}
	sleep_ms(FRESH_MS);
	tap(mounted[0] && probe(&root, "/tmp/kml-mnt-a/kml-probe", "status 1 secure 1"),
	    "nosuid: the stamped probe copied to a tmpfs mounted without nosuid runs in ring 0");
	fd = kmsg_open();
	ok = mounted[1] && probe(&root, "/tmp/kml-mnt-b/kml-probe",
				  "status 0 secure 0 dumpable 1");
	logged = kmsg_demoted(fd, "nosuid", "/tmp/kml-mnt-b/kml-probe");
	if (!logged)
		printf("# no kernel log line with \"ring 3\" and \"nosuid\"\n");
	tap(ok && logged,
	    "nosuid: the same copy on a nosuid tmpfs runs in ring 3 as an ordinary program; logged \"nosuid\"");
	for (int i = 0; i < 2; i++) {
		if (mounted[i])
			umount2(m[i].dir, MNT_DETACH);
		rmdir(m[i].dir);
	}
}

/* ---- e. no_new_privs -------------------------------------------------- */

static void test_nnp(void)
{
	struct who w = root;

	w.nnp = 1;
	tap(probe_demoted(&w, PROBE, "no_new_privs"),
	    "nnp: with PR_SET_NO_NEW_PRIVS the stamped probe runs in ring 3; logged \"no_new_privs\"");
}

/*
 * PR_SET_TSC survives exec but cannot make RDTSC fault at CPL 0: a process
 * that asked for it keeps it by running the stamped program in ring 3.
 */
static void test_notsc(void)
{
	struct who w = root;

	w.notsc = 1;
	tap(probe_demoted(&w, PROBE, "PR_SET_TSC"),
	    "notsc: after PR_SET_TSC(PR_TSC_SIGSEGV) the stamped probe runs in ring 3; logged \"PR_SET_TSC\"");
}

/* ---- f. traced --------------------------------------------------------- */

/*
 * A tracer running as W forks a child that does PTRACE_TRACEME and execs
 * the stamped probe with CHECKS; the tracer continues it through the exec
 * SIGTRAP.  Did the probe say ok?
 */
static int traced_probe(const struct who *w, const char *checks)
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
		printf("# traced probe %s, tracer uid %d: tracer status %#x (2: no exec stop)\n",
		       checks, (int)w->uid, st);
		show_output("output", out);
	}
	return ok;
}

static void test_traced(void)
{
	int fd, ok, logged;

	set_sysctl("allow", "3\n");
	fd = kmsg_open();
	ok = traced_probe(&user, "status 0 secure 0 dumpable 1");
	logged = kmsg_demoted(fd, "traced", PROBE);
	if (!logged)
		printf("# no kernel log line with \"ring 3\" and \"traced\"\n");
	tap(ok && logged,
	    "traced: exec'd under PTRACE_TRACEME by a uid-1000 tracer, uid-1000 stamped probe runs in ring 3; logged \"traced\"");
	set_sysctl("allow", "1\n");
	tap(traced_probe(&root, "status 1 secure 1"),
	    "traced: under a root tracer (CAP_SYS_PTRACE) the stamped probe keeps ring 0");
}

/* ---- g. the sysctls ----------------------------------------------------- */

static void test_defaults(void)
{
	long allow = get_sysctl("allow"), group = get_sysctl("group");
	long keyring = get_sysctl("keyring"), cache = get_sysctl("cache");

	tap(allow == 1 && group == -1 && keyring == 0 && cache == 1,
	    "sysctl: defaults allow 1, group -1, keyring 0, cache 1 (got %ld %ld %ld %ld)",
	    allow, group, keyring, cache);
}

/* Each of VALS written to kernel.kml.NAME fails with EINVAL; value kept. */
static void test_einval(const char *name, const char *const *vals, int nvals)
{
	long before = get_sysctl(name);
	char list[128] = "";
	int ok = before != LONG_MIN;

	for (int i = 0; i < nvals; i++) {
		char path[128], v[32];
		int e;

		snprintf(path, sizeof(path), SYSCTL "%s", name);
		snprintf(v, sizeof(v), "%s\n", vals[i]);
		e = write_str(path, v);
		if (e != EINVAL) {
			printf("# kernel.kml.%s = \"%s\": %s, want EINVAL\n", name,
			       vals[i], e ? strerror(e) : "accepted");
			ok = 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
			 i ? ", " : "", vals[i]);
	}
	if (get_sysctl(name) != before) {
		printf("# kernel.kml.%s changed from %ld to %ld\n", name, before,
		       get_sysctl(name));
		ok = 0;
		if (before != LONG_MIN) {
			char v[32];

			snprintf(v, sizeof(v), "%ld\n", before);
			set_sysctl(name, v);
		}
	}
	tap(ok, "sysctl: kernel.kml.%s rejects %s with EINVAL and keeps %ld", name, list,
	    before);
}

/* In a child without CAP_SYS_ADMIN (capset) or as uid 1000: write each. */
static void test_eperm(int as_user)
{
	static const char *const names[] = { "allow", "group", "keyring", "cache" };
	static const char *const vals[] = { "3\n", "1000\n", "1\n", "0\n" };
	int errs[4] = { 0 }, pfd[2], ok = 1;
	long before[4];
	pid_t pid;

	for (int i = 0; i < 4; i++)
		before[i] = get_sysctl(names[i]);
	if (pipe(pfd))
		return;
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
	if (pid < 0 || read(pfd[0], errs, sizeof(errs)) != sizeof(errs)) {
		printf("# the child could not drop its privileges\n");
		ok = 0;
	}
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (int i = 0; ok && i < 4; i++) {
		/* uid 1000 may already fail at open(): mode 0644 */
		int want = errs[i] == EPERM || (as_user && errs[i] == EACCES);

		if (!want || get_sysctl(names[i]) != before[i]) {
			printf("# kernel.kml.%s = %.*s %s: %s, value %ld (was %ld)\n", names[i],
			       (int)strlen(vals[i]) - 1, vals[i],
			       as_user ? "as uid 1000" : "without CAP_SYS_ADMIN",
			       errs[i] ? strerror(errs[i]) : "accepted", get_sysctl(names[i]),
			       before[i]);
			ok = 0;
		}
	}
	if (!ok)
		restore_sysctls();
	if (as_user)
		tap(ok, "sysctl: uid 1000 cannot write allow, group, keyring, cache (EACCES or EPERM)");
	else
		tap(ok, "sysctl: root without CAP_SYS_ADMIN cannot write allow, group, keyring, cache: EPERM");
}

static void test_sysctl(void)
{
	static const char *const bad_allow[] = { "4", "-1", "abc", "1x", "99999999999" };
	static const char *const bad_keyring[] = { "2", "-1", "abc" };
	static const char *const bad_group[] = { "abc", "1x" };
	struct who supp = user;
	int ok;

	/* allow 1: root only */
	tap(probe_demoted(&user, PROBE, "kernel.kml.allow"),
	    "sysctl: allow 1 (root only): uid 1000 runs the stamped probe in ring 3; logged \"kernel.kml.allow\"");

	/*
	 * The policy is asked before the stamp is verified: a caller it
	 * sends to ring 3 never makes the kernel hash the file or parse its
	 * PKCS#7, so a forged stamp (bad-modified: its signature does not
	 * match) runs for uid 1000 as an ordinary program, while root, who
	 * could get ring 0, is refused.
	 */
	{
		char out[512];
		int st, e, fd = kmsg_open();

		st = run(&user, "/kml/bad-modified", NULL, out, sizeof(out), &e);
		ok = !e && exited_ok(st) && strstr(out, "running in ring 3, Kml: 0") &&
		     kmsg_find(fd, "stamp not checked", "kernel.kml.allow", "/kml/bad-modified");
		if (!ok)
			show_output("uid 1000", out);
		tap(ok, "sysctl: allow 1: uid 1000 runs a forged stamp in ring 3, unverified (\"stamp not checked\" logged)");
		st = run(&root, "/kml/bad-modified", NULL, out, sizeof(out), &e);
		tap(e == EPERM, "sysctl: allow 1: root, who could get ring 0, is refused the same file with EPERM (got %s)",
		    e ? strerror(e) : "no error");
	}

	/* allow 2: root and the members of kernel.kml.group */
	set_sysctl("allow", "2\n");
	set_sysctl("group", "1000\n");
	tap(get_sysctl("group") == 1000, "sysctl: group reads back as 1000 (got %ld)",
	    get_sysctl("group"));
	tap(probe(&user, PROBE, "status 1 secure 1 dumpable 0"),
	    "sysctl: allow 2, group 1000: uid 1000 / gid 1000 gets ring 0");
	tap(probe(&root, PROBE, "status 1"), "sysctl: allow 2, group 1000: root gets ring 0");
	set_sysctl("group", "2000\n");
	tap(probe_demoted(&user, PROBE, "kernel.kml.allow"),
	    "sysctl: allow 2, group 2000: uid 1000 / gid 1000 runs in ring 3; logged \"kernel.kml.allow\"");
	supp.ngroups = 1;
	supp.groups[0] = OTHER_GID;
	tap(probe(&supp, PROBE, "status 1"),
	    "sysctl: allow 2, group 2000: uid 1000 with supplementary group 2000 gets ring 0");
	set_sysctl("group", "-1\n");
	tap(get_sysctl("group") == -1, "sysctl: group -1 (none) is accepted and reads back -1");

	/* allow 3: everyone */
	set_sysctl("allow", "3\n");
	tap(probe(&user, PROBE, "status 1"), "sysctl: allow 3: uid 1000 gets ring 0");

	/* allow 0: nobody (stamps are not even looked at: no log line) */
	set_sysctl("allow", "0\n");
	tap(probe(&root, PROBE, "status 0 secure 0 dumpable 1"),
	    "sysctl: allow 0: even root runs the stamped probe in ring 3, as an ordinary program");
	set_sysctl("allow", "1\n");
	tap(get_sysctl("allow") == 1 && probe(&root, PROBE, "status 1"),
	    "sysctl: allow back to 1: root gets ring 0 again");

	test_einval("allow", bad_allow, 5);
	test_einval("keyring", bad_keyring, 3);
	test_einval("group", bad_group, 2);
	test_eperm(0);
	test_eperm(1);

	/* keyring 1: builtin and secondary keys; ours is builtin */
	ok = !set_sysctl("keyring", "1\n") && get_sysctl("keyring") == 1;
	tap(ok && probe(&root, PROBE, "status 1"),
	    "sysctl: keyring 1 (builtin + secondary): the stamped probe still gets ring 0");
	set_sysctl("keyring", "0\n");
}

/* ---- h. the stamp cache ------------------------------------------------- */

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

static void test_cache(void)
{
	static const char *const copy = "/tmp/kml-cache-hello";
	struct cstats s, t;
	struct stat sb = { 0 };
	char out[1024];
	int fd, ok, st, e;

	if (cache_stats(&s)) {
		tap(0, "cache: %s is readable", STAMP_CACHE);
		return;
	}
	ok = copy_file(KDIR "/hello-static", copy) && !stat(copy, &sb);
	sleep_ms(FRESH_MS);

	cache_stats(&s);
	ok = ok && hello(copy, 1);
	tap(ok && cache_delta(&s, 0, 1, "first exec"),
	    "cache: first exec of a fresh copy of hello-static: Kml: 1, a miss (full check)");
	cache_stats(&s);
	ok = hello(copy, 1);
	tap(ok && cache_delta(&s, 1, 0, "second exec"), "cache: second exec: a hit");

	fd = open(copy, O_WRONLY);
	if (fd >= 0)
		close(fd);
	cache_stats(&s);
	ok = fd >= 0 && hello(copy, 1);
	tap(ok && cache_delta(&s, 0, 1, "after open for writing"),
	    "cache: an open for writing (nothing written) drops the entry: the next exec is a miss");
	cache_stats(&s);
	ok = hello(copy, 1);
	tap(ok && cache_delta(&s, 1, 0, "exec after the miss"),
	    "cache: that miss cached the file again: the next exec is a hit");

	cache_stats(&s);
	ok = flip_byte(copy, sb.st_size / 2);
	st = run(&root, copy, NULL, out, sizeof(out), &e);
	if (e != EPERM)
		printf("# modified copy: exec %s, status %#x\n", e ? strerror(e) : "worked", st);
	tap(ok && e == EPERM && cache_delta(&s, 0, -1, "modified copy"),
	    "cache: one byte changed in the middle: exec fails with EPERM, not a hit");
	cache_stats(&s);
	st = run(&root, copy, NULL, out, sizeof(out), &e);
	tap(e == EPERM && cache_delta(&s, 0, -1, "modified copy again"),
	    "cache: and again: EPERM, not a hit (a refused file is never cached)");
	ok = flip_byte(copy, sb.st_size / 2);
	sleep_ms(FRESH_MS);
	cache_stats(&s);
	ok = ok && hello(copy, 1);
	tap(ok && cache_delta(&s, 0, 1, "byte restored"),
	    "cache: the byte put back: valid again, Kml: 1 (a miss)");
	unlink(copy);

	/* cache 0: every exec is a full check; any write flushes */
	ok = !set_sysctl("cache", "0\n");
	ok = ok && !cache_stats(&t) && t.entries == 0;
	cache_stats(&s);
	ok = ok && hello(KDIR "/hello-static", 1) && hello(KDIR "/hello-static", 1);
	tap(ok && cache_delta(&s, 0, 2, "cache 0"),
	    "cache: cache 0 empties the cache (entries %ld) and two execs are two misses",
	    t.entries);
	ok = !set_sysctl("cache", "1\n") && hello(KDIR "/hello-static", 1);
	ok = ok && hello(KDIR "/hello-static", 1);
	ok = ok && !cache_stats(&t);
	ok = ok && !set_sysctl("cache", "1\n") && !cache_stats(&s);
	tap(ok && t.entries >= 1 && s.entries == 0,
	    "cache: cache 1 caches again (entries %ld); writing 1 once more flushes (entries %ld)",
	    t.entries, s.entries);
}

/* ---- i. exec time of a 2 MB program, cold and warm ---------------------- */

/* fork + exec + wait of PATH, in ns; *ok cleared unless it exits 0. */
static long long timed_exec(const char *path, int *ok)
{
	long long t0 = now_ns();
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !exited_ok(st))
		*ok = 0;
	return now_ns() - t0;
}

static void test_timing(void)
{
	static const char *const big = KDIR "/big";
	long long cold, warm = 0, plain = 0;
	struct cstats s;
	struct stat sb = { 0 };
	int ok = 1, n = 20, cold_ok, warm_ok;

	if (stat(big, &sb))
		printf("# %s: %s\n", big, strerror(errno));
	else if (sb.st_size < (2 << 20))
		printf("# %s: only %lld bytes\n", big, (long long)sb.st_size);
	cold_ok = !set_sysctl("cache", "1\n") && !cache_stats(&s) && s.entries == 0;
	cold = timed_exec(big, &ok);
	cold_ok = cold_ok && cache_delta(&s, 0, 1, "cold exec");
	cache_stats(&s);
	for (int i = 0; i < n; i++)
		warm += timed_exec(big, &ok);
	warm_ok = cache_delta(&s, n, 0, "warm execs");
	for (int i = 0; i < n; i++)
		plain += timed_exec(KDIR "/big.unstamped", &ok);
	printf("# exec %lld MB: stamped cold %lld us, stamped warm %lld us, unstamped %lld us\n",
	       (long long)sb.st_size >> 20, cold / 1000, warm / n / 1000, plain / n / 1000);
	tap(ok && cold_ok && warm_ok && sb.st_size >= (2 << 20),
	    "timing: %lld-byte stamped program: cold exec a miss, %d warm execs all hits, %d unstamped; all exit 0",
	    (long long)sb.st_size, n, n);
}

/* ---- j. a running stamped program is not writable ----------------------- */

static void test_etxtbsy(void)
{
	pid_t pid = spawn(&root, KDIR "/spin");
	int running = pid > 0 && wait_exec(pid, "spin", 1);
	int kml = running ? kml_of(pid) : -1;
	int fd = open(KDIR "/spin", O_WRONLY), e = errno;

	if (fd >= 0)
		close(fd);
	kill_wait(pid);
	tap(running && kml == 1 && fd < 0 && e == ETXTBSY,
	    "etxtbsy: while the stamped spin runs (Kml: %d), open(O_WRONLY) fails with ETXTBSY (got %s)",
	    kml, fd >= 0 ? "opened" : strerror(e));
}

/* ---- k. revocation through the .blacklist keyring ----------------------- */

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

static long blacklist_keyring(void)
{
	return system_keyring(".blacklist:");
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

static void test_revoke(void)
{
#define REVOKED KDIR "/revoked"
	static const char *const prog = REVOKED;
	char desc[160], forged[160], sig[4096], out[1024];
	ssize_t dlen, slen;
	long kr, key;
	int ok, st, e, fd, logged;
	struct cstats s;

	dlen = read_file(REVOKED ".desc", desc, sizeof(desc) - 1);
	slen = read_file(REVOKED ".p7s", sig, sizeof(sig));
	desc[dlen > 0 ? dlen : 0] = 0;
	kr = blacklist_keyring();
	if (dlen <= 4 || slen <= 0 || kr < 0)
		printf("# revocation set-up: desc %zd bytes, signature %zd bytes, .blacklist keyring %ld\n",
		       dlen, slen, kr);

	ok = hello(prog, 1);
	cache_stats(&s);
	ok = ok && hello(prog, 1);
	tap(ok && cache_delta(&s, 1, 0, "revoked, second exec"),
	    "revoke: before revocation %s runs with Kml: 1, and is cached (the second exec a hit)",
	    prog);

	/* a signature over another description is refused */
	snprintf(forged, sizeof(forged), "%s", desc);
	if (dlen > 4)
		forged[4] = forged[4] == '0' ? '1' : '0';
	/* (kr -1 would name the thread keyring: never pass it) */
	key = kr > 0 ? syscall(SYS_add_key, "blacklist", forged, sig,
			       (size_t)(slen > 0 ? slen : 0), kr) : 0;
	e = errno;
	tap(kr > 0 && key < 0,
	    "revoke: add_key of a blacklist entry whose signature is for another hash fails (%s)",
	    kr <= 0 ? "no keyring" : key < 0 ? strerror(e) : "added");

	errno = ENOENT;
	key = kr > 0 ? syscall(SYS_add_key, "blacklist", desc, sig,
			       (size_t)(slen > 0 ? slen : 0), kr) : -1;
	e = errno;
	tap(key > 0, "revoke: root adds the signed \"%.16s...\" to the .blacklist keyring (%s)",
	    desc, key > 0 ? "ok" : strerror(e));

	fd = kmsg_open();
	st = run(&root, prog, NULL, out, sizeof(out), &e);
	logged = kmsg_find(fd, prog, "revoked", NULL);
	if (e != EPERM)
		printf("# %s after revocation: exec %s, status %#x\n", prog,
		       e ? strerror(e) : "worked", st);
	if (!logged)
		printf("# no kernel log line about %s with \"revoked\"\n", prog);
	tap(e == EPERM && logged,
	    "revoke: the revoked (and cached) program is refused with EPERM; logged \"revoked\"");
	tap(hello(KDIR "/hello-static", 1),
	    "revoke: hello-static (same code, another hash) still runs with Kml: 1");
}

/* ---- l. kernel.kml.keyring: the secondary trusted keyring ------------- */

static void test_secondary(void)
{
#define SECPROG KDIR "/secondary-signed"
	char der[4096], out[1024];
	ssize_t len;
	long kr, key;
	int e, st, fd, logged;

	kr = system_keyring(".secondary_trusted_keys");
	/* Signed by a key that is in neither keyring yet: refused. */
	fd = kmsg_open();
	st = run(&root, SECPROG, NULL, out, sizeof(out), &e);
	logged = kmsg_find(fd, SECPROG, "not in the trusted keyring", NULL);
	tap(e == EPERM && logged,
	    "keyring: a program signed by an unknown key is refused (EPERM, \"not in the trusted keyring\"; got %s)",
	    e ? strerror(e) : "ran");

	/* The secondary keyring takes only keys a builtin key vouches for. */
	len = read_file(KDIR "/untrusted.der", der, sizeof(der));
	errno = 0;
	key = kr > 0 && len > 0 ?
		syscall(SYS_add_key, "asymmetric", NULL, der, (size_t)len, kr) : 0;
	e = errno;
	tap(kr > 0 && key < 0,
	    "keyring: a self-signed certificate is refused by .secondary_trusted_keys (%s)",
	    kr <= 0 ? "no keyring" : key < 0 ? strerror(e) : "added");
	len = read_file(KDIR "/secondary.der", der, sizeof(der));
	errno = 0;
	key = kr > 0 && len > 0 ?
		syscall(SYS_add_key, "asymmetric", NULL, der, (size_t)len, kr) : -1;
	e = errno;
	tap(key > 0, "keyring: a certificate signed by the builtin key joins .secondary_trusted_keys (%s)",
	    key > 0 ? "ok" : strerror(e));

	/* keyring=0: the builtin keys only, so still refused. */
	st = run(&root, SECPROG, NULL, out, sizeof(out), &e);
	tap(e == EPERM, "keyring: with kernel.kml.keyring=0 the secondary key does not count (%s)",
	    e ? strerror(e) : "ran");
	tap(set_sysctl("keyring", "1") == 0 && hello(SECPROG, 1),
	    "keyring: with kernel.kml.keyring=1 the program runs with Kml: 1");
	/* Back to 0: the cached verdict must not outlive the knob. */
	st = set_sysctl("keyring", "0");
	if (!st)
		run(&root, SECPROG, NULL, out, sizeof(out), &e);
	tap(!st && e == EPERM,
	    "keyring: back to kernel.kml.keyring=0 it is refused again, cache or not (%s)",
	    e ? strerror(e) : "ran");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (getuid() != 0 || kml_status() != 0) {
		printf("1..0 # SKIP must run as root, unstamped (uid %d, Kml: %d)\n",
		       (int)getuid(), kml_status());
		return 1;
	}
	save_sysctls();
	signal(SIGALRM, watchdog);
	alarm(300);

	test_defaults();
	test_secure();
	test_preload();
	test_ptrace();
	test_nosuid();
	test_nnp();
	test_notsc();
	test_traced();
	test_sysctl();
	test_cache();
	test_timing();
	test_etxtbsy();
	test_secondary();
	test_revoke();	/* last: a revocation lasts until reboot */

	restore_sysctls();
	alarm(0);
	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}
