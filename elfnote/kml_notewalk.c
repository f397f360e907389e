// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/*
 * kml_notewalk.c - find and check the KML stamp note of an ELF file.
 *
 * Compiled into the kernel (fs/) and into the host tools (tools/);
 * it uses only what both environments provide.  All arithmetic on offsets
 * read from the file is done in 64 bits on values that are first checked to
 * lie inside the file, so nothing can wrap.
 */
#ifdef __KERNEL__
#include <linux/elf.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kml_notewalk.h>
#define kml_le16(x)	le16_to_cpu(x)
#define kml_le32(x)	le32_to_cpu(x)
#define kml_cpu_le64(x)	cpu_to_le64(x)
#define kml_cpu_le32(x)	cpu_to_le32(x)
#else
#include <linux/elf.h>	/* the uapi header: same struct names as the kernel */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include "kml_notewalk.h"
#define kml_le16(x)	le16toh(x)
#define kml_le32(x)	le32toh(x)
#define kml_cpu_le64(x)	htole64(x)
#define kml_cpu_le32(x)	htole32(x)
#endif

/* Rounds @x up to @a, a power of two. */
static __u64 kml_align_up(__u64 x, __u64 a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Is [off, off + len) inside a file of @size bytes? */
static int kml_in_file(__u64 size, __u64 off, __u64 len)
{
	return off <= size && len <= size - off;
}

static int kml_check_ehdr(const struct kml_reader *r, struct elf64_hdr *eh,
			  const char **why)
{
	unsigned char ident[EI_NIDENT];
	__u64 phbytes;
	int err;

	if (r->size < SELFMAG) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	err = r->read(r->ctx, 0, ident,
		      r->size < EI_NIDENT ? SELFMAG : EI_NIDENT);
	if (err)
		return err;
	if (memcmp(ident, ELFMAG, SELFMAG) != 0) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	if (r->size < sizeof(*eh)) {
		*why = "truncated: file ends inside the ELF header";
		return -ENOEXEC;
	}
	err = r->read(r->ctx, 0, eh, sizeof(*eh));
	if (err)
		return err;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		*why = "not a 64-bit ELF file (KML stamps x86-64 ELF64 only)";
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		*why = "not a little-endian ELF file";
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_X86_64) {
		*why = "not an x86-64 ELF file";
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		*why = "not an executable (ELF type is neither EXEC nor DYN)";
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(struct elf64_phdr)) {
		*why = "bad program header entry size";
		return -ENOEXEC;
	}
	phbytes = (__u64)eh->e_phnum * sizeof(struct elf64_phdr);
	if (phbytes == 0 || phbytes > KML_MAX_PHDR_BYTES) {
		*why = "bad number of program headers";
		return -ENOEXEC;
	}
	if (!kml_in_file(r->size, eh->e_phoff, phbytes)) {
		*why = "truncated: program headers past the end of the file";
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Walks the notes of one PT_NOTE segment.  @budget counts the notes left to
 * examine over the whole file.  Returns 0 when the segment was walked,
 * -EBADMSG for a malformed KML note, or a read error.
 */
static int kml_walk_segment(const struct kml_reader *r, const struct elf64_phdr *ph,
			    struct kml_note_info *ni, int *found, int *budget,
			    const char **why)
{
	__u64 align = ph->p_align == 8 ? 8 : 4;	/* as the ELF gABI says */
	__u64 pos = 0, end = ph->p_filesz;
	struct elf64_note nh;
	char name[KML_NOTE_NAMESZ];
	int err;

	while (end - pos >= sizeof(nh) && (*budget)-- > 0) {
		__u64 desc_rel, next_rel;
		int is_kml = 0;

		err = r->read(r->ctx, ph->p_offset + pos, &nh, sizeof(nh));
		if (err)
			return err;
		desc_rel = kml_align_up(pos + sizeof(nh) + nh.n_namesz, align);
		next_rel = kml_align_up(desc_rel + nh.n_descsz, align);

		if (nh.n_namesz == KML_NOTE_NAMESZ &&
		    end - pos - sizeof(nh) >= KML_NOTE_NAMESZ) {
			err = r->read(r->ctx, ph->p_offset + pos + sizeof(nh),
				      name, sizeof(name));
			if (err)
				return err;
			is_kml = memcmp(name, KML_NOTE_NAME,
					KML_NOTE_NAMESZ) == 0;
		}
		if (desc_rel > end || nh.n_descsz > end - desc_rel) {
			if (is_kml) {
				ni->note_off = ph->p_offset + pos;
				ni->descsz = nh.n_descsz;
				*why = "KML note runs past the end of its PT_NOTE segment";
				return -EBADMSG;
			}
			return 0;	/* malformed tail: stop here */
		}
		if (is_kml) {
			ni->note_off = ph->p_offset + pos;
			ni->desc_off = ph->p_offset + desc_rel;
			ni->descsz = nh.n_descsz;
			if (*found) {
				*why = "more than one KML note";
				return -EBADMSG;
			}
			if (nh.n_type != KML_NOTE_TYPE_STAMP) {
				*why = "unknown KML note type";
				return -EBADMSG;
			}
			if (nh.n_descsz != KML_DESC_SIZE) {
				*why = "KML note descriptor has the wrong size";
				return -EBADMSG;
			}
			*found = 1;
		}
		if (next_rel >= end)
			break;
		pos = next_rel;
	}
	return 0;
}

int kml_find_note(const struct kml_reader *r, struct kml_note_info *ni,
		  const char **why)
{
	struct elf64_hdr eh;
	struct elf64_phdr ph;
	int i, err, found = 0, budget = KML_MAX_NOTES;

	*why = "no KML note";
	memset(ni, 0, sizeof(*ni));
	err = kml_check_ehdr(r, &eh, why);
	if (err)
		return err;

	for (i = 0; i < eh.e_phnum; i++) {
		err = r->read(r->ctx, eh.e_phoff + (__u64)i * sizeof(ph),
			      &ph, sizeof(ph));
		if (err)
			return err;
		if (ph.p_type != PT_NOTE)
			continue;
		if (!kml_in_file(r->size, ph.p_offset, ph.p_filesz)) {
			*why = "truncated: a PT_NOTE segment lies past the end of the file";
			return -ENOEXEC;
		}
		err = kml_walk_segment(r, &ph, ni, &found, &budget, why);
		if (err)
			return err;
	}
	if (!found)
		*why = "no KML note";
	return found;
}

/*
 * Length of the DER element at @s (tag, length bytes and contents) as its
 * header says, or 0 if @s does not start with a SEQUENCE header that fits
 * in @len bytes.  Definite lengths of up to two bytes only: a signature
 * fits in KML_SIG_MAX bytes.
 */
static __u32 kml_der_seq_len(const __u8 *s, __u32 len)
{
	__u32 n, i, val = 0;

	if (len < 2 || s[0] != 0x30)
		return 0;
	if (!(s[1] & 0x80))
		return 2 + s[1];
	n = s[1] & 0x7f;
	if (n == 0 || n > 2 || len < 2 + n)
		return 0;
	for (i = 0; i < n; i++)
		val = val << 8 | s[2 + i];
	return 2 + n + val;
}

int kml_check_desc(const struct kml_stamp_desc *d, const char **why)
{
	const __u8 *p = (const __u8 *)d;
	__u32 i, len, flags;
	__u16 version;

	for (i = 0; i < sizeof(*d); i++)
		if (p[i])
			break;
	if (i == sizeof(*d))
		return 0;	/* reserved by kml.ld, never stamped */

	if (memcmp(d->magic, KML_STAMP_MAGIC, KML_STAMP_MAGIC_LEN) != 0) {
		*why = "bad stamp magic";
		return -EBADMSG;
	}
	version = kml_le16(d->version);
	if (version != KML_STAMP_VERSION && version != KML_STAMP_VERSION_1) {
		*why = "unsupported stamp version";
		return -EBADMSG;
	}
	if (d->hash_algo != KML_HASH_SHA256) {
		*why = "unsupported hash algorithm";
		return -EBADMSG;
	}
	if (d->sig_type != KML_SIG_PKCS7) {
		*why = "unsupported signature type";
		return -EBADMSG;
	}
	len = kml_le32(d->sig_len);
	if (len == 0) {
		*why = "empty signature";
		return -EBADMSG;
	}
	if (len > KML_SIG_MAX) {
		*why = "signature length larger than the descriptor";
		return -EBADMSG;
	}
	for (i = len; i < KML_SIG_MAX; i++) {
		if (d->sig[i]) {
			*why = "non-zero bytes after the signature";
			return -EBADMSG;
		}
	}
	/* Version 1 has no flags: its tail belongs to the signature area. */
	flags = kml_le32(d->flags);
	if (version == KML_STAMP_VERSION_1 && (flags || d->reserved)) {
		*why = "non-zero bytes after the signature";
		return -EBADMSG;
	}
	if (flags & ~KML_STAMP_F_KNOWN) {
		*why = "unknown stamp flags";
		return -EBADMSG;
	}
	if (d->reserved) {
		*why = "non-zero reserved field";
		return -EBADMSG;
	}
	/*
	 * The signature is one DER SEQUENCE (a PKCS#7 ContentInfo) of exactly
	 * sig_len bytes.  The kernel's PKCS#7 parser ignores whatever follows
	 * it, so without this a stamp could be altered (bytes appended inside
	 * sig_len) and still verify: every byte of a stamp must count.
	 */
	if (kml_der_seq_len(d->sig, len) != len) {
		*why = "signature length does not match its DER encoding";
		return -EBADMSG;
	}
	return 1;
}

__u32 kml_stamp_flags(const struct kml_stamp_desc *d)
{
	return kml_le16(d->version) == KML_STAMP_VERSION_1 ?
	       0 : kml_le32(d->flags);
}

__u32 kml_signed_data_init(struct kml_signed_data *sd, __u16 version,
			   __u32 flags, __u64 file_size, __u64 desc_off,
			   const __u8 *digest)
{
	memset(sd, 0, sizeof(*sd));
	sd->file_size = kml_cpu_le64(file_size);
	sd->desc_offset = kml_cpu_le64(desc_off);
	memcpy(sd->digest, digest, KML_DIGEST_SIZE);
	if (version == KML_STAMP_VERSION_1) {
		memcpy(sd->magic, KML_SIGNED_MAGIC_V1,
		       sizeof(KML_SIGNED_MAGIC_V1) - 1);
		return KML_SIGNED_SIZE_V1;
	}
	memcpy(sd->magic, KML_SIGNED_MAGIC, sizeof(KML_SIGNED_MAGIC) - 1);
	sd->flags = kml_cpu_le32(flags);
	return KML_SIGNED_SIZE;
}
