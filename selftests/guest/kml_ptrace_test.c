// SPDX-License-Identifier: GPL-2.0
/*
 * kml_ptrace_test - who may change (or read) the memory and registers of a
 * ring-0 process that dropped root.
 *
 * A stamped program started by root that becomes uid 1000 keeps running at
 * CPL 0.  If uid 1000 could then attach to it, or write its memory, that
 * user would run code at CPL 0: the kernel.  So every access that goes
 * through ptrace_may_access() in attach mode - PTRACE_ATTACH/SEIZE,
 * /proc/PID/mem (read or write), process_vm_readv/writev - needs
 * CAP_SYS_PTRACE in the initial user namespace when the target is a KML
 * task, whatever its uid, its dumpable flag or fs.suid_dumpable.
 *
 * The target is kml-probe in "drop" mode (stamped, or its unstamped copy as
 * the control): it becomes uid 1000, optionally calls
 * prctl(PR_SET_DUMPABLE, 1), and offers a word to change.  Each variant
 * sets fs.suid_dumpable first (0 with the prctl, 1 and 2 without); each
 * test tries one access path as uid 1000 or as root, in a child process.
 *
 * Expected: root always succeeds; uid 1000 succeeds on the unstamped
 * control exactly when it is dumpable (SUID_DUMP_USER), as on any kernel,
 * and never on the stamped target.
 *
 * Run as root, from /kml (the guest's test directory) or with KML_DIR set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define UNPRIV_UID	1000
#define NEW_WORD	0x6f776e6564UL	/* what a successful write leaves */

static const char *kml_dir(void)
{
	const char *d = getenv("KML_DIR");

	return d ? d : "/kml";
}

static int write_sysctl(const char *path, int val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%d\n", val) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/*
 * fs.suid_dumpable when the program started: each set-up sets it for its
 * variant and each tear-down writes 0; a test killed by its timeout gets no
 * tear-down, so the harness's process puts the start value back at exit.
 */
static int dumpable_at_start = -1;
static pid_t harness_pid;

static void dumpable_put_back_at_exit(void)
{
	if (getpid() == harness_pid && dumpable_at_start >= 0)
		write_sysctl("/proc/sys/fs/suid_dumpable", dumpable_at_start);
}

static void __attribute__((constructor)) dumpable_remember(void)
{
	FILE *f = fopen("/proc/sys/fs/suid_dumpable", "r");

	harness_pid = getpid();
	if (f) {
		if (fscanf(f, "%d", &dumpable_at_start) != 1)
			dumpable_at_start = -1;
		fclose(f);
	}
	atexit(dumpable_put_back_at_exit);
}

/* The ways into another process's memory or registers. */
enum access {
	ATTACH, SEIZE, MEM_READ, MEM_WRITE, VM_READV, VM_WRITEV,
};

static int ptrace_write(pid_t pid, unsigned long addr, int seize)
{
	int st;

	if (seize) {
		if (ptrace(PTRACE_SEIZE, pid, NULL, NULL))
			return errno;
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
			return errno;
	} else if (ptrace(PTRACE_ATTACH, pid, NULL, NULL)) {
		return errno;
	}
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		return EPROTO;
	if (ptrace(PTRACE_POKEDATA, pid, (void *)addr, (void *)NEW_WORD))
		return errno;
	return ptrace(PTRACE_DETACH, pid, NULL, NULL) ? errno : 0;
}

static int mem_access(pid_t pid, unsigned long addr, int write)
{
	unsigned long w = NEW_WORD;
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return errno;
	n = write ? pwrite(fd, &w, sizeof(w), addr) :
		    pread(fd, &w, sizeof(w), addr);
	close(fd);
	return n == sizeof(w) ? 0 : (n < 0 ? errno : EIO);
}

static int vm_access(pid_t pid, unsigned long addr, int write)
{
	unsigned long w = NEW_WORD;
	struct iovec local = { &w, sizeof(w) };
	struct iovec remote = { (void *)addr, sizeof(w) };
	ssize_t n;

	n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0) :
		    process_vm_readv(pid, &local, 1, &remote, 1, 0);
	return n == sizeof(w) ? 0 : (n < 0 ? errno : EIO);
}

/*
 * Try @how on @pid as @uid (0: root) in a child, so that the credentials
 * of this process stay root.  0 on success, else the errno.
 */
static int try_access(enum access how, pid_t pid, unsigned long addr, uid_t uid)
{
	pid_t c = fork();
	int st, err = EINVAL;

	if (c < 0)
		return errno;
	if (c == 0) {
		if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			    setresuid(uid, uid, uid)))
			_exit(EPROTO);
		switch (how) {
		case ATTACH:	err = ptrace_write(pid, addr, 0); break;
		case SEIZE:	err = ptrace_write(pid, addr, 1); break;
		case MEM_READ:	err = mem_access(pid, addr, 0); break;
		case MEM_WRITE:	err = mem_access(pid, addr, 1); break;
		case VM_READV:	err = vm_access(pid, addr, 0); break;
		case VM_WRITEV:	err = vm_access(pid, addr, 1); break;
		}
		_exit(err);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return EPROTO;
	return WEXITSTATUS(st);
}

/* The word at @addr in @pid, read as root. */
static unsigned long peek(pid_t pid, unsigned long addr)
{
	unsigned long w = 0;
	struct iovec local = { &w, sizeof(w) };
	struct iovec remote = { (void *)addr, sizeof(w) };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != sizeof(w))
		return 0;
	return w;
}

FIXTURE(dropped) {
	pid_t pid;
	unsigned long addr;
	int ring;
	int dumpable;
};

FIXTURE_VARIANT(dropped) {
	int stamped;		/* the stamped kml-probe, or its unstamped copy */
	int suid_dumpable;	/* fs.suid_dumpable while it drops root */
	int set_dumpable;	/* prctl(PR_SET_DUMPABLE) after the drop; -1 none */
};

FIXTURE_VARIANT_ADD(dropped, stamped_prctl_dumpable) { 1, 0, 1 };
FIXTURE_VARIANT_ADD(dropped, stamped_suid_dumpable_1) { 1, 1, -1 };
FIXTURE_VARIANT_ADD(dropped, stamped_suid_dumpable_2) { 1, 2, -1 };
FIXTURE_VARIANT_ADD(dropped, unstamped_prctl_dumpable) { 0, 0, 1 };
FIXTURE_VARIANT_ADD(dropped, unstamped_suid_dumpable_1) { 0, 1, -1 };
FIXTURE_VARIANT_ADD(dropped, unstamped_suid_dumpable_2) { 0, 2, -1 };

FIXTURE_SETUP(dropped)
{
	char prog[256], uid[16], dump[16], line[128];
	int p[2];
	pid_t pid;
	FILE *f;

	ASSERT_EQ(0, (int)geteuid()) TH_LOG("must run as root");
	ASSERT_EQ(0, write_sysctl("/proc/sys/fs/suid_dumpable",
				  variant->suid_dumpable));
	snprintf(prog, sizeof(prog), "%s/kml-probe%s", kml_dir(),
		 variant->stamped ? "" : ".unstamped");
	snprintf(uid, sizeof(uid), "%d", UNPRIV_UID);
	snprintf(dump, sizeof(dump), "%d", variant->set_dumpable);
	ASSERT_EQ(0, pipe(p));
	/* self is shared with the child (tear-down in the parent): set in the parent only */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(prog, prog, "drop", uid, dump, (char *)NULL);
		printf("exec %s: %s\n", prog, strerror(errno));
		_exit(1);
	}
	self->pid = pid;
	close(p[1]);
	f = fdopen(p[0], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_EQ(3, sscanf(line, "ready %lx %d %d", &self->addr, &self->ring,
			    &self->dumpable)) TH_LOG("target said: %s", line);
}

/* In the parent: it runs after a failed ASSERT too (selftests/README.md). */
FIXTURE_TEARDOWN_PARENT(dropped)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	write_sysctl("/proc/sys/fs/suid_dumpable", 0);
}

/*
 * The target after the drop: the stamped one still runs in ring 0 (a
 * credential change does not demote, see SECURITY.md), the control in
 * ring 3; its dumpable flag is what the variant made it.
 */
TEST_F(dropped, target_state)
{
	int want = variant->set_dumpable >= 0 ? variant->set_dumpable :
					       variant->suid_dumpable;

	EXPECT_EQ(variant->stamped ? 0 : 3, self->ring);
	EXPECT_EQ(want, self->dumpable);
}

/*
 * Run @how as @uid; check the verdict, and for a write that was let
 * through, that the target's word really changed.
 */
static void check(struct __test_metadata *_metadata,
		  FIXTURE_DATA(dropped) *self,
		  const FIXTURE_VARIANT(dropped) *variant,
		  enum access how, uid_t uid)
{
	int allowed = uid == 0 ||
		      (!variant->stamped && self->dumpable == 1);
	int err = try_access(how, self->pid, self->addr, uid);
	int writes = how == ATTACH || how == SEIZE || how == MEM_WRITE ||
		     how == VM_WRITEV;

	if (allowed) {
		EXPECT_EQ(0, err) TH_LOG("refused: %s", strerror(err));
		if (!err && writes)
			EXPECT_EQ(NEW_WORD, peek(self->pid, self->addr));
	} else {
		EXPECT_TRUE(err == EPERM || err == EACCES)
			TH_LOG("uid %d was let through (err %d: %s)", uid, err,
			       strerror(err));
		EXPECT_NE(NEW_WORD, peek(self->pid, self->addr));
	}
}

TEST_F(dropped, uid1000_attach)	{ check(_metadata, self, variant, ATTACH, UNPRIV_UID); }
TEST_F(dropped, uid1000_seize)	{ check(_metadata, self, variant, SEIZE, UNPRIV_UID); }
TEST_F(dropped, uid1000_mem_read)	{ check(_metadata, self, variant, MEM_READ, UNPRIV_UID); }
TEST_F(dropped, uid1000_mem_write)	{ check(_metadata, self, variant, MEM_WRITE, UNPRIV_UID); }
TEST_F(dropped, uid1000_vm_readv)	{ check(_metadata, self, variant, VM_READV, UNPRIV_UID); }
TEST_F(dropped, uid1000_vm_writev)	{ check(_metadata, self, variant, VM_WRITEV, UNPRIV_UID); }
TEST_F(dropped, root_attach)		{ check(_metadata, self, variant, ATTACH, 0); }
TEST_F(dropped, root_seize)		{ check(_metadata, self, variant, SEIZE, 0); }
TEST_F(dropped, root_mem_read)		{ check(_metadata, self, variant, MEM_READ, 0); }
TEST_F(dropped, root_mem_write)	{ check(_metadata, self, variant, MEM_WRITE, 0); }
TEST_F(dropped, root_vm_readv)		{ check(_metadata, self, variant, VM_READV, 0); }
TEST_F(dropped, root_vm_writev)	{ check(_metadata, self, variant, VM_WRITEV, 0); }

TEST_HARNESS_MAIN
