// SPDX-License-Identifier: GPL-2.0
/*
 * binfmt_kml.c - recognise and verify the KML stamp of an executable.
 *
 * This handler loads nothing itself.  It sits at the head of the binfmt
 * list, looks for the KML stamp note (see include/linux/kml_note.h) and
 * decides:
 *
 *   no KML note, or only the zeroed reservation  -> -ENOEXEC: not ours,
 *        binfmt_elf runs the file as an ordinary process;
 *   a valid stamp signed by a trusted key         -> bprm->kml = 1, then
 *        -ENOEXEC so that binfmt_elf loads it; the arch code turns the
 *        mark into TIF_KML after the point of no return;
 *   a KML note that is present but not valid      -> -EPERM, and one
 *        rate-limited log line naming the file and the reason;
 *   a valid stamp whose hash is in the .blacklist keyring -> -EPERM too.
 *
 * Every exec of a file with a KML note emits the kml_exec tracepoint
 * (include/trace/events/kml.h) with the verdict and the reason.
 *
 * A stamp only asks for ring 0: the trust policy (kml_trust.c) is asked
 * first, and may run the program in ring 3 (kernel.kml.allow, nosuid,
 * no_new_privs, an unprivileged tracer, kernel.kml.privileged), with one
 * log line saying why - without verifying the stamp, so that only callers
 * who could get ring 0 make the kernel hash the file and parse PKCS#7.
 * A stamp made with kml-stamp --allow-privileged (its signed flags say
 * so) gets one log line each time it starts in ring 0.  A program that
 * does get ring 0 is treated like a setuid-root one: AT_SECURE, so ld.so
 * ignores LD_PRELOAD and friends, and non-dumpable (suid_dumpable); and
 * only CAP_SYS_PTRACE in the initial user namespace may attach to it or
 * open its memory, even after it drops root or becomes dumpable.  With
 * kernel.kml.allow=0 this handler steps aside entirely.
 *
 * The file cannot change underneath us: exec has already denied write
 * access to it (ETXTBSY for writers) before any binfmt handler runs.
 */
#define pr_fmt(fmt) "kml: " fmt

#include <linux/binfmts.h>
#include <linux/elf.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/ratelimit.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/verification.h>
#include <crypto/hash.h>
#include <linux/kml_note.h>
#include <linux/kml_notewalk.h>
#include <linux/kml_trust.h>
#include <keys/system_keyring.h>
#include <trace/events/kml.h>

/* Bytes of the file head cached per exec: ELF header, phdrs and notes. */
#define KML_WINDOW	PAGE_SIZE
/* Read size while hashing the whole file. */
#define KML_HASH_CHUNK	(16 * 1024)

struct kml_file {
	struct file *file;
	u8 *win;		/* KML_WINDOW bytes */
	u64 win_off;
	u32 win_len;
};

/*
 * Dozens of refusals in a row are normal (a test corpus, a broken deploy);
 * show them all, but never let a loop of bad execs flood the log.
 */
static DEFINE_RATELIMIT_STATE(kml_log_rs, 5 * HZ, 100);
static DEFINE_RATELIMIT_STATE(kml_demote_rs, 5 * HZ, 100);
static DEFINE_RATELIMIT_STATE(kml_priv_rs, 5 * HZ, 100);

/* struct kml_reader callback: serves small reads from a one-page window. */
static int kml_read(void *ctx, u64 off, void *buf, u32 len)
{
	struct kml_file *kf = ctx;
	loff_t pos = off;
	ssize_t n;

	if (off >= kf->win_off && off - kf->win_off <= kf->win_len &&
	    len <= kf->win_len - (off - kf->win_off)) {
		memcpy(buf, kf->win + (off - kf->win_off), len);
		return 0;
	}
	if (len > KML_WINDOW) {
		n = kernel_read(kf->file, buf, len, &pos);
		return n == len ? 0 : (n < 0 ? n : -EIO);
	}
	n = kernel_read(kf->file, kf->win, KML_WINDOW, &pos);
	if (n < 0)
		return n;
	kf->win_off = off;
	kf->win_len = n;
	if (n < len)
		return -EIO;	/* shorter than i_size said */
	memcpy(buf, kf->win, len);
	return 0;
}

/* SHA-256 of the whole file, the descriptor's bytes read as zero. */
static int kml_hash_file(struct file *file, u64 size, u64 desc_off,
			 u8 *digest)
{
	struct crypto_shash *tfm;
	struct shash_desc *desc;
	u64 pos = 0;
	u8 *buf;
	int err;

	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = -ENOMEM;
	desc = kzalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	buf = kmalloc(KML_HASH_CHUNK, GFP_KERNEL);
	if (!desc || !buf)
		goto out;
	desc->tfm = tfm;
	err = crypto_shash_init(desc);

	while (!err && pos < size) {
		u32 len = min_t(u64, KML_HASH_CHUNK, size - pos);
		loff_t rpos = pos;
		ssize_t n = kernel_read(file, buf, len, &rpos);

		if (n != len) {
			err = n < 0 ? n : -EIO;
			break;
		}
		/* Zero the part of this chunk that overlaps the descriptor. */
		if (desc_off < pos + len && desc_off + KML_DESC_SIZE > pos) {
			u64 from = max(desc_off, pos);
			u64 to = min(desc_off + KML_DESC_SIZE, pos + len);

			memset(buf + (from - pos), 0, to - from);
		}
		err = crypto_shash_update(desc, buf, len);
		pos += len;
		/* A big binary must not hold up a kill or the scheduler. */
		if (fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
	if (!err)
		err = crypto_shash_final(desc, digest);
out:
	kfree(buf);
	kfree_sensitive(desc);
	crypto_free_shash(tfm);
	return err;
}

static const char *kml_verify_reason(int err)
{
	switch (err) {
	case -ENOKEY:
		return "signed by a key that is not in the trusted keyring";
	case -EKEYREJECTED:
		return "signature does not match (file modified after stamping?)";
	case -EBADMSG:
		return "signature is not a well-formed PKCS#7 message";
	case -ENOPKG:
		return "signature uses an unsupported algorithm";
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return "signing key revoked or expired";
	default:
		return "signature check failed";
	}
}

/* What the stamp check found, for the decision and the kml_exec event. */
struct kml_stamp {
	struct kml_note_info ni;
	struct kml_stamp_desc *desc;
	u64 size;
	u32 flags;			/* signed flags, KML_STAMP_F_* */
	u8 digest[KML_DIGEST_SIZE];
	bool have_digest;
	bool cached;
};

/* One kml_exec event (a patched-out branch unless someone listens). */
static void kml_trace(struct linux_binprm *bprm, enum kml_verdict verdict,
		      const char *why, const struct kml_stamp *st)
{
	trace_kml_exec(bprm->filename, verdict, why,
		       st && st->have_digest ? st->digest : NULL,
		       st ? st->cached : 0, st ? st->flags : 0);
}

/* A stamp that is present but not valid: log, trace, EPERM. */
static int kml_refuse(struct linux_binprm *bprm, const char *why, int err,
		      const struct kml_stamp *st)
{
	/* The path comes from user space: escape what is not printable. */
	if (__ratelimit(&kml_log_rs))
		pr_warn("refusing exec of %*pE (pid %d): invalid stamp: %s (%d)\n",
			(int)strlen(bprm->filename), bprm->filename,
			task_pid_nr(current), why, err);
	kml_trace(bprm, KML_VERDICT_REFUSED, why, st);
	return -EPERM;
}

/*
 * Find the stamp: the KML note and its descriptor, nothing more (no hash,
 * no signature).  Returns 1 if a stamp is there (st->desc, st->flags: not
 * yet verified), 0 for a zeroed reservation, -ENOEXEC for "not ours",
 * -EPERM (after logging, if @judge) for a malformed note, or another
 * error.  Without @judge (KML is off) a malformed note is "not ours".
 */
static int kml_find_stamp(struct linux_binprm *bprm, struct kml_file *kf,
			  struct kml_stamp *st, bool judge)
{
	struct kml_reader rd = {
		.read = kml_read,
		.ctx = kf,
		.size = i_size_read(file_inode(bprm->file)),
	};
	const char *why;
	int ret;

	st->size = rd.size;
	ret = kml_find_note(&rd, &st->ni, &why);
	if (ret == -EBADMSG)
		return judge ? kml_refuse(bprm, why, ret, NULL) : -ENOEXEC;
	if (ret <= 0)
		return ret;

	st->desc = kmalloc(sizeof(*st->desc), GFP_KERNEL);
	if (!st->desc)
		return -ENOMEM;
	ret = kml_read(kf, st->ni.desc_off, st->desc, sizeof(*st->desc));
	if (ret)
		return ret;
	ret = kml_check_desc(st->desc, &why);
	if (ret == -EBADMSG)
		return judge ? kml_refuse(bprm, why, ret, NULL) : -ENOEXEC;
	if (ret < 0)
		return ret;
	if (ret)
		st->flags = kml_stamp_flags(st->desc);
	return ret;	/* 0: reserved but not stamped */
}

/*
 * Verify the stamp @st found: the file's hash (or the verdict cached for
 * the unchanged inode), the blacklist, the PKCS#7 signature over the
 * signed statement (which includes the flags).  0 if valid, else -EPERM
 * (logged) or another error.
 */
static int kml_verify_stamp(struct linux_binprm *bprm, struct kml_stamp *st)
{
	struct inode *inode = file_inode(bprm->file);
	struct kml_stamp_desc *d = st->desc;
	struct kml_signed_data sd;
	u32 sdlen;
	int ret;

	/* Verified before, and the inode unchanged since: skip the work. */
	st->cached = kml_stamp_cache_lookup(inode, st->digest);
	if (!st->cached) {
		ret = kml_hash_file(bprm->file, st->size, st->ni.desc_off,
				    st->digest);
		if (ret)
			return ret;
	}
	st->have_digest = true;
	/* Revocation: checked on every exec, cached or not. */
	if (is_binary_blacklisted(st->digest, KML_DIGEST_SIZE))
		return kml_refuse(bprm, "revoked: the file's hash is in the .blacklist keyring",
				  -EKEYREVOKED, st);
	if (st->cached)
		return 0;	/* the flags are signed; the file is unchanged */
	sdlen = kml_signed_data_init(&sd, le16_to_cpu(d->version), st->flags,
				     st->size, st->ni.desc_off, st->digest);
	/* NULL (the default): the builtin trusted keys only. */
	ret = verify_pkcs7_signature(&sd, sdlen, d->sig, le32_to_cpu(d->sig_len),
				     kml_trust_keyring(),
				     VERIFYING_UNSPECIFIED_SIGNATURE, NULL, NULL);
	if (ret)
		return kml_refuse(bprm, kml_verify_reason(ret), ret, st);
	kml_stamp_cache_insert(inode, st->digest);
	return 0;
}

/* A stamp the policy lets run in ring 0 only after it is verified. */
static void kml_grant(struct linux_binprm *bprm, const struct kml_stamp *st)
{
	bprm->kml = 1;
	if ((st->flags & KML_STAMP_F_PRIVILEGED) && __ratelimit(&kml_priv_rs))
		pr_notice("%*pE (pid %d): ring 0, stamp allows privileged instructions (kml-stamp --allow-privileged)\n",
			  (int)strlen(bprm->filename), bprm->filename,
			  task_pid_nr(current));
	/*
	 * As for a setuid program: AT_SECURE for ld.so and glibc, and
	 * dumpable only as suid_dumpable allows (begin_new_exec() applies
	 * the flag after the point of no return).
	 */
	bprm->secureexec = 1;
	bprm->interp_flags |= BINPRM_FLAGS_ENFORCE_NONDUMP;
	/*
	 * From the moment exec installs the new mm, only CAP_SYS_PTRACE may
	 * attach to it or open its memory (kernel/ptrace.c), whatever the
	 * dumpable flag says later: the thread flag is set only after the
	 * point of no return, when /proc/PID/mem could already be opened.
	 */
	kml_mark_mm(bprm->mm);
	kml_trace(bprm, KML_VERDICT_RING0, NULL, st);
}

/* The stamp cannot give ring 0 to this exec: ring 3, and one line why. */
static void kml_demote(struct linux_binprm *bprm, const char *why,
		       const struct kml_stamp *st)
{
	if (__ratelimit(&kml_demote_rs))
		pr_info("%*pE (pid %d): stamp not checked, running in ring 3: %s\n",
			(int)strlen(bprm->filename), bprm->filename,
			task_pid_nr(current), why);
	kml_trace(bprm, KML_VERDICT_RING3, why, st);
}

/*
 * The decision, in this order: is there a stamp at all (cheap: the note
 * and its descriptor); would the policy let this caller have ring 0 - if
 * not, the stamp is not verified at all, so that only callers who could
 * run in ring 0 feed the hash and the PKCS#7 parser; then the
 * verification.  Every way out that concerns a file with a KML note
 * emits one kml_exec event.
 */
static int kml_decide(struct linux_binprm *bprm, struct kml_file *kf)
{
	struct kml_stamp st = { };
	const char *why;
	int ret;

	/* kernel.kml.allow=0 or kml=off: looked only for the tracer. */
	why = kml_trust_off_reason();
	ret = kml_find_stamp(bprm, kf, &st, !why);
	if (ret < 0)
		goto out;
	if (why) {
		kml_trace(bprm, KML_VERDICT_RING3, why, &st);
		goto out;
	}
	if (ret == 0) {
		kml_trace(bprm, KML_VERDICT_RING3,
			  "KML note reserved but not stamped", &st);
		goto out;
	}
	why = kml_trust_demote_reason(bprm, st.flags);
	if (why) {
		kml_demote(bprm, why, &st);
		goto out;
	}
	ret = kml_verify_stamp(bprm, &st);
	if (!ret)
		kml_grant(bprm, &st);
out:
	kfree(st.desc);
	return ret;
}

static int load_kml_binary(struct linux_binprm *bprm)
{
	struct kml_file kf = { .file = bprm->file };
	int ret;

	/* Decide afresh for every file, including a script's interpreter. */
	bprm->kml = 0;

	/*
	 * kernel.kml.allow=0 or kml=off: as if CONFIG_KML were not set -
	 * unless someone traces kml_exec, who is told which stamped files
	 * ran in ring 3 because of it.
	 */
	if (!kml_trust_enabled() && !trace_kml_exec_enabled())
		return -ENOEXEC;

	/* Cheap reject of everything that is not an ELF64 file. */
	if (memcmp(bprm->buf, ELFMAG, SELFMAG) != 0 ||
	    bprm->buf[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;

	kf.win = kmalloc(KML_WINDOW, GFP_KERNEL);
	if (!kf.win)
		return -ENOMEM;
	ret = kml_decide(bprm, &kf);
	kfree(kf.win);

	if (ret >= 0 || ret == -ENOEXEC)
		return -ENOEXEC;	/* binfmt_elf does the loading */
	return ret;
}

static struct linux_binfmt kml_format = {
	.module		= THIS_MODULE,
	.load_binary	= load_kml_binary,
};

static int __init init_kml_binfmt(void)
{
	/* At the head of the list: we must see every file before binfmt_elf. */
	insert_binfmt(&kml_format);
	return 0;
}
core_initcall(init_kml_binfmt);
