/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kml_note.h - the KML stamp, defined once.
 *
 * Included by the kernel (the KML patch series adds it to include/linux/),
 * by kml-stamp, by the assembler note (kml_note.S) and, through the C
 * preprocessor, by the linker script (kml.ld is generated from kml.ld.S).
 * Nothing else may restate these numbers.
 *
 * An executable is "stamped" when its program headers hold a PT_NOTE with
 * exactly one note whose name is "KML" and whose type is KML_NOTE_TYPE_STAMP.
 * The note's descriptor (struct kml_stamp_desc, KML_DESC_SIZE bytes) is
 * reserved all-zero at link time and filled in afterwards by kml-stamp.
 *
 * What is signed is not the file itself but a small, fixed statement about
 * it (struct kml_signed_data): a domain-separating magic, the file size, the
 * offset of the descriptor, the SHA-256 of the whole file with the
 * KML_DESC_SIZE descriptor bytes read as zero, and (version 2) the stamp's
 * flags.  Signing a fixed 64-byte
 * statement keeps the PKCS#7 part small and lets the kernel hash the file
 * with its own streaming SHA-256 instead of handing the file to the PKCS#7
 * code.  The signature is a detached PKCS#7 (CMS) SignedData without
 * certificates or signed attributes, as the kernel's module signatures use.
 *
 * All multi-byte fields are little-endian.
 */
#ifndef _KML_NOTE_H
#define _KML_NOTE_H

/* Owner name of the note, with its NUL: namesz is 4. */
#define KML_NOTE_NAME		"KML"
#define KML_NOTE_NAMESZ		4
/* Note type within the "KML" owner namespace. */
#define KML_NOTE_TYPE_STAMP	1

/*
 * Descriptor layout: 16-byte header, the signature area, 8-byte tail.
 *
 * Version 2 (written by kml-stamp) carries flags in the tail and signs them
 * (the 72-byte statement).  Version 1 (the first format) is still accepted:
 * its tail must be zero, its flags are 0 and its statement is the 64-byte
 * one.  A version 1 signature could use the tail too (up to 1024 bytes);
 * one longer than KML_SIG_MAX is now refused.
 */
#define KML_STAMP_MAGIC		"KMLSTAMP"	/* 8 bytes, no NUL */
#define KML_STAMP_MAGIC_LEN	8
#define KML_STAMP_VERSION	2		/* what kml-stamp writes */
#define KML_STAMP_VERSION_1	1		/* accepted, flags 0 */
#define KML_HASH_SHA256		1		/* the only hash algorithm */
#define KML_SIG_PKCS7		1		/* the only signature type */
#define KML_SIG_MAX		1016		/* fits an RSA-4096 PKCS#7 */
#define KML_DESC_HDR_SIZE	16
#define KML_DESC_TAIL_SIZE	8		/* flags, reserved */
#define KML_DESC_SIZE		(KML_DESC_HDR_SIZE + KML_SIG_MAX + \
				 KML_DESC_TAIL_SIZE)
#define KML_DIGEST_SIZE		32		/* SHA-256 */

/*
 * Stamp flags (version 2).  A bit this header does not define makes the
 * stamp malformed: a kernel never runs a program whose stamp says more
 * than it understands.
 */
/* Signed with kml-stamp --allow-privileged: privileged instructions allowed */
#define KML_STAMP_F_PRIVILEGED	0x00000001
#define KML_STAMP_F_KNOWN	KML_STAMP_F_PRIVILEGED

/* The statement that is signed (struct kml_signed_data). */
#define KML_SIGNED_MAGIC	"KML stamp v2"	/* NUL-padded to 16 bytes */
#define KML_SIGNED_MAGIC_V1	"KML stamp v1"	/* version 1 stamps */
#define KML_SIGNED_MAGIC_LEN	16
#define KML_SIGNED_SIZE		72
#define KML_SIGNED_SIZE_V1	64		/* ends before the flags */

#ifndef __ASSEMBLER__
#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif

/*
 * The note descriptor.  All zero means "reserved, not stamped yet": such a
 * file is not a KML program and runs as an ordinary one.
 */
struct kml_stamp_desc {
	__u8	magic[KML_STAMP_MAGIC_LEN];	/* KML_STAMP_MAGIC */
	__le16	version;			/* KML_STAMP_VERSION */
	__u8	hash_algo;			/* KML_HASH_SHA256 */
	__u8	sig_type;			/* KML_SIG_PKCS7 */
	__le32	sig_len;			/* bytes of sig[] in use, 1..KML_SIG_MAX */
	/* DER PKCS#7 over struct kml_signed_data; unused tail must be zero */
	__u8	sig[KML_SIG_MAX];
	__le32	flags;				/* KML_STAMP_F_*; 0 in version 1 */
	__le32	reserved;			/* zero */
};

/*
 * What the PKCS#7 signature signs: all KML_SIGNED_SIZE bytes for version 2,
 * the first KML_SIGNED_SIZE_V1 for version 1.  The magics differ, so one
 * version's statement can never be read as the other's.
 */
struct kml_signed_data {
	__u8	magic[KML_SIGNED_MAGIC_LEN];	/* KML_SIGNED_MAGIC, NUL-padded */
	__le64	file_size;			/* size of the whole file */
	__le64	desc_offset;			/* file offset of the descriptor */
	__u8	digest[KML_DIGEST_SIZE];	/* SHA-256, descriptor zeroed */
	__le32	flags;				/* the descriptor's flags */
	__le32	reserved;			/* zero */
};

/* The layout is part of the on-disk format. */
static_assert(sizeof(struct kml_stamp_desc) == KML_DESC_SIZE,
	      "kml_stamp_desc layout");
static_assert(sizeof(struct kml_signed_data) == KML_SIGNED_SIZE,
	      "kml_signed_data layout");
#endif /* !__ASSEMBLER__ */

#endif /* _KML_NOTE_H */
