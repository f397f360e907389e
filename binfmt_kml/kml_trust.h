/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_trust.h - the KML trust policy (fs/kml_trust.c): who may start
 * ring-0 processes, which keys count, and the per-inode cache of verified
 * stamps; and the few hooks that generic code calls into KML (the VFS:
 * kml_stamp_forget() whenever a file is opened for writing; ptrace and
 * /proc: the arch hooks at the end).
 */
#ifndef _LINUX_KML_TRUST_H
#define _LINUX_KML_TRUST_H

#include <linux/jump_label.h>
#include <linux/types.h>

struct inode;
struct key;
struct linux_binprm;
struct mm_struct;
struct seq_file;
struct task_struct;

#ifdef CONFIG_KML

bool kml_trust_enabled(void);
const char *kml_trust_off_reason(void);
const char *kml_trust_demote_reason(const struct linux_binprm *bprm,
				    u32 stamp_flags);
struct key *kml_trust_keyring(void);

bool kml_stamp_cache_lookup(struct inode *inode, u8 *digest);
void kml_stamp_cache_insert(struct inode *inode, const u8 *digest);

DECLARE_STATIC_KEY_FALSE(kml_stamp_cache_used);
void __kml_stamp_forget(struct inode *inode);

/*
 * Called by do_dentry_open() once write access to a regular file has been
 * granted: whatever is written from now on was not covered by a stamp
 * check, so a cached verdict for this inode must go.  Free (a patched-out
 * branch) until the first stamp has been cached.
 */
static inline void kml_stamp_forget(struct inode *inode)
{
	if (static_branch_unlikely(&kml_stamp_cache_used))
		__kml_stamp_forget(inode);
}

/*
 * Arch hooks (arch/x86/kernel/kml.c).  kml_mark_mm() marks the new mm of
 * an exec that was granted ring 0, before exec makes it visible to anyone
 * else; kml_task_protected() is true for a task whose code runs, or is
 * about to run, at CPL 0 (its thread flag, or its mm's mark).  Attach-mode
 * ptrace access to such a task needs CAP_SYS_PTRACE in the initial user
 * namespace (kernel/ptrace.c).
 */
void kml_mark_mm(struct mm_struct *mm);
bool kml_task_protected(struct task_struct *t);

/*
 * /proc/PID/status (fs/proc/array.c): "Kml:" 1 when the task runs its code
 * in ring 0, else 0; and "KmlSyscalls:", its system calls since exec and
 * how many of them took the full path.
 */
void kml_task_status(struct seq_file *m, struct task_struct *t);

#else

static inline void kml_stamp_forget(struct inode *inode) { }

static inline bool kml_task_protected(struct task_struct *t)
{
	return false;
}

static inline void kml_task_status(struct seq_file *m, struct task_struct *t) { }

#endif /* CONFIG_KML */

#endif /* _LINUX_KML_TRUST_H */
