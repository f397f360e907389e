/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_trust.h - the KML trust policy (fs/kml_trust.c): who may start
 * ring-0 processes, which keys count, and the per-inode cache of verified
 * stamps.  binfmt_kml is the only caller, except for kml_stamp_forget(),
 * which the VFS calls whenever a file is opened for writing.
 */
#ifndef _LINUX_KML_TRUST_H
#define _LINUX_KML_TRUST_H

#include <linux/jump_label.h>
#include <linux/types.h>

struct inode;
struct key;
struct linux_binprm;

#ifdef CONFIG_KML

bool kml_trust_enabled(void);
const char *kml_trust_demote_reason(const struct linux_binprm *bprm);
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

#else

static inline void kml_stamp_forget(struct inode *inode) { }

#endif /* CONFIG_KML */

#endif /* _LINUX_KML_TRUST_H */
