/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kml_notewalk.h - find and check the KML stamp note of an ELF file.
 *
 * One walker for the kernel (fs/binfmt_kml.c) and the tools (kml-stamp, the
 * fuzzer), so that both sides agree byte for byte on which note is "the"
 * stamp.  The walker never touches the file directly: it asks a reader
 * callback for byte ranges, and bounds-checks every offset and size against
 * the file size before asking.
 */
#ifndef _KML_NOTEWALK_H
#define _KML_NOTEWALK_H

#include <linux/types.h>
#include "kml_note.h"

/* Program headers larger than this are not read (binfmt_elf's own limit). */
#define KML_MAX_PHDR_BYTES	4096
/* Notes examined per file; a stamp hidden behind more is not seen. */
#define KML_MAX_NOTES		64

/*
 * Reads exactly @len bytes at @off into @buf.  Returns 0 or a negative
 * errno.  The walker only asks for ranges inside [0, size).
 */
struct kml_reader {
	int (*read)(void *ctx, __u64 off, void *buf, __u32 len);
	void *ctx;
	__u64 size;
};

struct kml_note_info {
	__u64 note_off;		/* file offset of the note header */
	__u64 desc_off;		/* file offset of the descriptor */
	__u32 descsz;		/* descriptor size found (set on -EBADMSG too) */
};

/*
 * kml_find_note() returns:
 *   1		one well-formed KML note: @ni describes it
 *   0		no KML note: not a KML program
 *   -ENOEXEC	not an x86-64 ELF64 executable, or its headers are broken
 *		(@why says which); the caller leaves it to the ELF loader
 *   -EBADMSG	a KML note is present but malformed (@why says how)
 *   other	a read error from the reader
 */
int kml_find_note(const struct kml_reader *r, struct kml_note_info *ni,
		  const char **why);

/*
 * kml_check_desc() returns 0 for an all-zero (reserved, unstamped)
 * descriptor, 1 for a well-formed stamp (version 1 or 2, known flags
 * only), -EBADMSG otherwise (@why).
 */
int kml_check_desc(const struct kml_stamp_desc *d, const char **why);

/* The flags of a well-formed stamp (KML_STAMP_F_*; 0 for version 1). */
__u32 kml_stamp_flags(const struct kml_stamp_desc *d);

/*
 * Fills in the statement that a stamp of @version with @flags signs and
 * returns how many of its bytes are signed (KML_SIGNED_SIZE_V1 for
 * version 1, which has no flags, else KML_SIGNED_SIZE).
 */
__u32 kml_signed_data_init(struct kml_signed_data *sd, __u16 version,
			   __u32 flags, __u64 file_size, __u64 desc_off,
			   const __u8 *digest);

#endif /* _KML_NOTEWALK_H */
