// SPDX-License-Identifier: GPL-2.0
/*
 * kml_trust.c - the KML trust policy.
 *
 * A valid stamp makes a program as powerful as a setuid-root binary.  This
 * file holds what decides whether that power is actually handed out:
 *
 *   kernel.kml.allow    0 off, 1 root only (default), 2 root and members of
 *                       kernel.kml.group, 3 everyone;
 *   kernel.kml.group    the group for allow=2 (-1: none, the default);
 *   kernel.kml.keyring  0 builtin trusted keys only (default), 1 builtin
 *                       and secondary trusted keys;
 *   kernel.kml.cache    1 cache verified stamps per inode (default), 0 off;
 *                       any write flushes the cache;
 *   kernel.kml.privileged  1 stamps made with kml-stamp --allow-privileged
 *                       run in ring 0, logged (default); 0 they run in
 *                       ring 3;
 *   kml=off             on the kernel command line: allow is 0 and stays 0.
 *
 * Writing any of them needs CAP_SYS_ADMIN (a root process that dropped it,
 * e.g. in a container, must not turn ring 0 on); out-of-range values are
 * refused with EINVAL by the sysctl helpers.
 *
 * Where the kernel would ignore a setuid bit, it ignores the stamp too:
 * nosuid mounts, no_new_privs, a tracer without CAP_SYS_PTRACE, a fs_struct
 * shared with another process - and where a restriction the process asked
 * for would not hold at CPL 0 (PR_SET_TSC).  The program then runs in
 * ring 3 and one (rate-limited) log line says why.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/init.h>
#include <linux/iversion.h>
#include <linux/kml_note.h>
#include <linux/kml_trust.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/sysctl.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <linux/verification.h>
#include <asm/kml.h>		/* arch_kml_ring3_reason() */

#define CREATE_TRACE_POINTS
#include <trace/events/kml.h>

/* kernel.kml.allow */
enum kml_allow {
	KML_ALLOW_OFF = 0,	/* stamps are not looked at: everything ring 3 */
	KML_ALLOW_ROOT = 1,	/* effective uid 0 (the default) */
	KML_ALLOW_GROUP = 2,	/* root, or a member of kernel.kml.group */
	KML_ALLOW_ALL = 3,	/* everyone */
};

static int kml_allow = KML_ALLOW_ROOT;
static kgid_t kml_group = INVALID_GID;
static int kml_keyring;
static int kml_cache_on = 1;
static int kml_privileged = 1;
/* kml=off: allow is 0 for the whole boot, whatever is written later. */
static bool kml_cmdline_off;

/* Documented in Documentation/admin-guide/kernel-parameters.txt. */
static int __init kml_setup(char *str)
{
	if (str && !strcmp(str, "off")) {
		kml_cmdline_off = true;
		kml_allow = KML_ALLOW_OFF;
	} else if (!str || strcmp(str, "on")) {
		pr_warn("kml=%s not understood (use kml=off or kml=on)\n",
			str ?: "");
		return -EINVAL;
	}
	return 0;
}
early_param("kml", kml_setup);

bool kml_trust_enabled(void)
{
	return READ_ONCE(kml_allow) != KML_ALLOW_OFF;
}

/* Why no stamp is looked at, or NULL if KML is on. */
const char *kml_trust_off_reason(void)
{
	if (kml_cmdline_off)
		return "kml=off on the kernel command line";
	if (READ_ONCE(kml_allow) == KML_ALLOW_OFF)
		return "kernel.kml.allow=0 (KML off)";
	return NULL;
}

/* NULL: the builtin trusted keys (verify_pkcs7_signature()'s default). */
struct key *kml_trust_keyring(void)
{
	return READ_ONCE(kml_keyring) ? VERIFY_USE_SECONDARY_KEYRING : NULL;
}

/*
 * Why a program with a valid stamp must run in ring 3, or NULL if it may
 * run in ring 0.  The credentials are those of the caller of execve(): a
 * setuid bit on the stamped file itself is applied later and does not
 * count (the conservative reading).
 */
const char *kml_trust_demote_reason(const struct linux_binprm *bprm,
				    u32 stamp_flags)
{
	bool root = uid_eq(current_euid(), GLOBAL_ROOT_UID);
	const char *why;

	switch (READ_ONCE(kml_allow)) {
	case KML_ALLOW_ROOT:
		if (!root)
			return "kernel.kml.allow=1 (root only) and the caller is not root";
		break;
	case KML_ALLOW_GROUP:
		if (!root && !in_egroup_p(READ_ONCE(kml_group)))
			return "kernel.kml.allow=2 and the caller is not in kernel.kml.group";
		break;
	case KML_ALLOW_ALL:
		break;
	default:
		return "kernel.kml.allow=0 (KML off)";
	}
	/* The checks bprm_fill_uid() and commoncap make for setuid. */
	if (!mnt_may_suid(bprm->file->f_path.mnt))
		return "file is on a nosuid mount (or one from another user namespace)";
	if (bprm->unsafe & LSM_UNSAFE_NO_NEW_PRIVS)
		return "the process has no_new_privs";
	if ((bprm->unsafe & LSM_UNSAFE_PTRACE) &&
	    !ptracer_capable(current, &init_user_ns))
		return "traced by a process without CAP_SYS_PTRACE";
	if (bprm->unsafe & LSM_UNSAFE_SHARE)
		return "fs_struct shared with another process (CLONE_FS)";
	why = arch_kml_ring3_reason();
	if (why)
		return why;
	if ((stamp_flags & KML_STAMP_F_PRIVILEGED) && !READ_ONCE(kml_privileged))
		return "kernel.kml.privileged=0 and the stamp allows privileged instructions";
	return NULL;
}

/* ---- the cache of verified stamps --------------------------------------- */

/*
 * Direct-mapped, indexed by the inode's address.  An entry vouches for one
 * inode in one state: every field below must still match, and any open of
 * the inode for writing removes the entry first (kml_stamp_forget()), so
 * writes through a descriptor or a shared mapping - which do not always
 * change the timestamps, e.g. tmpfs mmap writes - are covered too.  The
 * digest is kept so that the blacklist is still consulted on every exec.
 */
#define KML_CACHE_BITS	7

struct kml_cache_ent {
	struct inode *inode;		/* NULL: empty */
	unsigned int epoch;		/* kml_cache_epoch when inserted */
	dev_t dev;
	unsigned long ino;
	u32 gen;
	loff_t size;
	struct timespec64 ctime;
	struct timespec64 mtime;
	u64 iversion;
	u8 digest[KML_DIGEST_SIZE];
};

static struct kml_cache_ent kml_cache[1 << KML_CACHE_BITS];
static DEFINE_SPINLOCK(kml_cache_lock);
/* Bumped to invalidate every entry at once (keyring or cache knob change). */
static unsigned int kml_cache_epoch = 1;
static atomic_long_t kml_cache_hits, kml_cache_misses;

DEFINE_STATIC_KEY_FALSE(kml_stamp_cache_used);

static void kml_cache_key(struct inode *inode, struct kml_cache_ent *k)
{
	k->inode = inode;
	k->dev = inode->i_sb->s_dev;
	k->ino = inode->i_ino;
	k->gen = inode->i_generation;
	k->size = i_size_read(inode);
	k->ctime = inode_get_ctime(inode);
	k->mtime = inode_get_mtime(inode);
	/* Marks the version as seen, so that the next change bumps it. */
	k->iversion = IS_I_VERSION(inode) ? inode_query_iversion(inode) : 0;
}

static bool kml_cache_match(const struct kml_cache_ent *e,
			    const struct kml_cache_ent *k)
{
	return e->inode == k->inode && e->epoch == kml_cache_epoch &&
	       e->dev == k->dev && e->ino == k->ino && e->gen == k->gen &&
	       e->size == k->size && e->iversion == k->iversion &&
	       timespec64_equal(&e->ctime, &k->ctime) &&
	       timespec64_equal(&e->mtime, &k->mtime);
}

/* True and the stamped digest in @digest if @inode's stamp was verified. */
bool kml_stamp_cache_lookup(struct inode *inode, u8 *digest)
{
	struct kml_cache_ent k, *e = &kml_cache[hash_ptr(inode, KML_CACHE_BITS)];
	bool hit = false;

	if (!READ_ONCE(kml_cache_on))
		goto out;
	kml_cache_key(inode, &k);
	spin_lock(&kml_cache_lock);
	if (kml_cache_match(e, &k)) {
		memcpy(digest, e->digest, KML_DIGEST_SIZE);
		hit = true;
	}
	spin_unlock(&kml_cache_lock);
out:
	atomic_long_inc(hit ? &kml_cache_hits : &kml_cache_misses);
	return hit;
}

/*
 * Called after a full verification succeeded, while exec still denies
 * writers (so nobody can be modifying the file right now).
 */
void kml_stamp_cache_insert(struct inode *inode, const u8 *digest)
{
	struct kml_cache_ent k, *e = &kml_cache[hash_ptr(inode, KML_CACHE_BITS)];
	struct timespec64 now;

	if (!READ_ONCE(kml_cache_on))
		return;
	kml_cache_key(inode, &k);
	/*
	 * A file changed within the current clock tick could change again
	 * in the same tick without its ctime moving; only a file whose last
	 * change is strictly in the past gets an entry.  (Setting the clock
	 * back needs CAP_SYS_TIME; a writer must also open the file, which
	 * drops the entry anyway.)
	 */
	ktime_get_coarse_real_ts64(&now);
	if (timespec64_compare(&k.ctime, &now) >= 0)
		return;
	memcpy(k.digest, digest, KML_DIGEST_SIZE);
	if (!static_key_enabled(&kml_stamp_cache_used))
		static_branch_enable(&kml_stamp_cache_used);

	spin_lock(&kml_cache_lock);
	k.epoch = kml_cache_epoch;
	k.inode = NULL;
	*e = k;
	/* Published last: kml_stamp_forget() peeks at it without the lock. */
	WRITE_ONCE(e->inode, inode);
	spin_unlock(&kml_cache_lock);
}

void __kml_stamp_forget(struct inode *inode)
{
	struct kml_cache_ent *e = &kml_cache[hash_ptr(inode, KML_CACHE_BITS)];

	/*
	 * No lock for the common miss.  An entry for @inode cannot be in the
	 * middle of being inserted: insertion happens during an exec of the
	 * inode, which holds off writers, and we only get here after
	 * get_write_access() succeeded (a fully ordered atomic).
	 */
	if (READ_ONCE(e->inode) != inode)
		return;
	spin_lock(&kml_cache_lock);
	if (e->inode == inode)
		WRITE_ONCE(e->inode, NULL);
	spin_unlock(&kml_cache_lock);
}
EXPORT_SYMBOL_GPL(__kml_stamp_forget);

static void kml_cache_flush(void)
{
	spin_lock(&kml_cache_lock);
	if (++kml_cache_epoch == 0)
		kml_cache_epoch = 1;
	spin_unlock(&kml_cache_lock);
}

static int kml_cache_show(struct seq_file *m, void *v)
{
	unsigned int i, n = 0;

	spin_lock(&kml_cache_lock);
	for (i = 0; i < ARRAY_SIZE(kml_cache); i++)
		n += kml_cache[i].inode && kml_cache[i].epoch == kml_cache_epoch;
	spin_unlock(&kml_cache_lock);
	seq_printf(m, "entries %u hits %lu misses %lu\n", n,
		   atomic_long_read(&kml_cache_hits),
		   atomic_long_read(&kml_cache_misses));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kml_cache);

/* ---- sysctls ------------------------------------------------------------- */

/*
 * proc_dointvec_minmax() on a copy of @table pointing at @val, with the
 * CAP_SYS_ADMIN check every KML knob needs on write.
 */
static int kml_dointvec(const struct ctl_table *table, int write, void *buf,
			size_t *lenp, loff_t *ppos, int *val)
{
	struct ctl_table t = *table;

	if (write && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	t.data = val;
	t.maxlen = sizeof(*val);
	return proc_dointvec_minmax(&t, write, buf, lenp, ppos);
}

static int kml_allow_handler(const struct ctl_table *table, int write,
			     void *buf, size_t *lenp, loff_t *ppos)
{
	int val = READ_ONCE(kml_allow);
	int err = kml_dointvec(table, write, buf, lenp, ppos, &val);

	if (err || !write)
		return err;
	if (kml_cmdline_off && val != KML_ALLOW_OFF)
		return -EPERM;	/* kml=off is for the whole boot */
	if (val != kml_allow)
		pr_notice("kernel.kml.allow: %d -> %d (pid %d)\n", kml_allow,
			  val, task_pid_nr(current));
	WRITE_ONCE(kml_allow, val);
	return 0;
}

static int kml_group_handler(const struct ctl_table *table, int write,
			     void *buf, size_t *lenp, loff_t *ppos)
{
	kgid_t gid = READ_ONCE(kml_group);
	int val = gid_valid(gid) ? from_kgid_munged(current_user_ns(), gid) : -1;
	int err = kml_dointvec(table, write, buf, lenp, ppos, &val);

	if (err || !write)
		return err;
	/* -1 is "no group"; any other value must map to a real group. */
	gid = val < 0 ? INVALID_GID : make_kgid(current_user_ns(), val);
	if (val >= 0 && !gid_valid(gid))
		return -EINVAL;
	WRITE_ONCE(kml_group, gid);
	return 0;
}

/*
 * kernel.kml.keyring and kernel.kml.cache (table->data): any write flushes
 * the cache - a verdict reached with other keys no longer stands, and
 * "write the cache knob" is also the way to flush it by hand.
 */
static int kml_flush_handler(const struct ctl_table *table, int write,
			     void *buf, size_t *lenp, loff_t *ppos)
{
	int *knob = table->data;
	int val = READ_ONCE(*knob);
	int err = kml_dointvec(table, write, buf, lenp, ppos, &val);

	if (err || !write)
		return err;
	WRITE_ONCE(*knob, val);
	kml_cache_flush();
	return 0;
}

static int kml_privileged_handler(const struct ctl_table *table, int write,
				  void *buf, size_t *lenp, loff_t *ppos)
{
	int val = READ_ONCE(kml_privileged);
	int err = kml_dointvec(table, write, buf, lenp, ppos, &val);

	if (err || !write)
		return err;
	WRITE_ONCE(kml_privileged, val);
	return 0;
}

static struct ctl_table kml_sysctls[] = {
	{
		.procname	= "allow",
		.mode		= 0644,
		.proc_handler	= kml_allow_handler,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_THREE,
	},
	{
		.procname	= "group",
		.mode		= 0644,
		.proc_handler	= kml_group_handler,
		.extra1		= SYSCTL_NEG_ONE,
		.extra2		= SYSCTL_INT_MAX,
	},
	{
		.procname	= "keyring",
		.data		= &kml_keyring,
		.mode		= 0644,
		.proc_handler	= kml_flush_handler,
		.extra1		= SYSCTL_ZERO,
		/* 1 (builtin + secondary) only where that keyring exists */
		.extra2		= IS_ENABLED(CONFIG_SECONDARY_TRUSTED_KEYRING) ?
				  SYSCTL_ONE : SYSCTL_ZERO,
	},
	{
		.procname	= "cache",
		.data		= &kml_cache_on,
		.mode		= 0644,
		.proc_handler	= kml_flush_handler,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		/* read at every exec (the flags are too): no flush needed */
		.procname	= "privileged",
		.mode		= 0644,
		.proc_handler	= kml_privileged_handler,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
};

static int __init kml_trust_init(void)
{
	struct dentry *dir;

	register_sysctl_init("kernel/kml", kml_sysctls);

	/* arch/x86/kernel/kml.c made the directory (earlier in link order). */
	dir = debugfs_lookup("kml", NULL);
	debugfs_create_file("stamp_cache", 0444,
			    dir ?: debugfs_create_dir("kml", NULL), NULL,
			    &kml_cache_fops);
	dput(dir);	/* the lookup's reference, if any */

	if (kml_cmdline_off)
		pr_info("off (kml=off on the kernel command line): stamped programs run in ring 3\n");
	if (!IS_ENABLED(CONFIG_SYSTEM_BLACKLIST_KEYRING))
		pr_warn("no CONFIG_SYSTEM_BLACKLIST_KEYRING: stamps cannot be revoked\n");
	return 0;
}
late_initcall(kml_trust_init);
