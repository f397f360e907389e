// SPDX-License-Identifier: GPL-2.0
/*
 * kml-addnote.c - add the reserved KML note to an already linked x86-64
 * executable, without relinking (kml-stamp --add-note).
 *
 * A stamp lives in a PT_NOTE, and the program header table of a linked
 * file has no room for another entry.  So the file keeps every byte it has
 * (only the ELF header's e_phoff and e_phnum change) and grows by one new
 * read-only PT_LOAD at its end, which holds
 *
 *   - a new program header table: the old entries, PT_PHDR first and
 *     pointing here, the new PT_LOAD after the last old one, the new
 *     PT_NOTE before the first old one;
 *   - the reserved note (format: elfnote/kml_note.h).
 *
 * The new segment's address minus its file offset equals the lowest
 * PT_LOAD's, so the table is mapped where both ways of computing AT_PHDR
 * put it: the kernel's since 5.18 (the PT_LOAD that holds e_phoff) and the
 * older one still used by qemu-user (lowest PT_LOAD address - its offset +
 * e_phoff); the ELF header mapped in memory + e_phoff (static glibc's
 * fallback) gives the same address.  The segment sits above the highest
 * address any PT_LOAD maps, page aligned, so it overlaps no mapping and no
 * .bss; the kernel starts brk after the highest PT_LOAD, i.e. after it.
 * Existing notes stay where they are.  tools/README.md explains the
 * choices and the pitfalls other tools ran into.
 *
 * libelf reads and classifies the input and encodes the new headers
 * (elf64_xlatetof).  The file itself is written here, not with
 * elf_update(): with the program header table moved to the end of the
 * file, libelf would fill everything between the ELF header and the new
 * table with fill bytes, and it drops bytes that no section describes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "kml_note.h"
#include "kml_notewalk.h"
#include "kml-addnote.h"

#define AN_PAGE		4096ULL
/* Zeros we are willing to add between the old end and the new segment. */
#define AN_MAX_GAP	(1ULL << 30)
/* Top of x86-64 user space with 4-level paging. */
#define AN_USER_TOP	0x00007ffffffff000ULL
/* The note: header, "KML\0", descriptor (all multiples of 4 and 8). */
#define AN_NOTE_SIZE	(sizeof(Elf64_Nhdr) + KML_NOTE_NAMESZ + KML_DESC_SIZE)

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, KML_AN_WHY, fmt, ap);
	va_end(ap);
	return -1;
}

static __u64 round_up(__u64 x, __u64 a)
{
	return (x + a - 1) & ~(a - 1);
}

struct membuf {
	const unsigned char *buf;
	size_t size;
};

static int mem_read(void *ctx, __u64 off, void *buf, __u32 len)
{
	const struct membuf *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;	/* cannot happen: the walker checks bounds */
	memcpy(buf, m->buf + off, len);
	return 0;
}

/* kml_find_note() over a buffer. */
static int find_note(const unsigned char *buf, size_t size,
		     struct kml_note_info *ni, const char **why)
{
	struct membuf m = { buf, size };
	struct kml_reader rd = { .read = mem_read, .ctx = &m, .size = size };

	return kml_find_note(&rd, ni, why);
}

/* Encodes @bytes of structures of @type at @src into @dst, little-endian. */
static int encode(void *dst, const void *src, size_t bytes, Elf_Type type)
{
	Elf_Data s = {
		.d_buf = (void *)src, .d_type = type, .d_size = bytes,
		.d_version = EV_CURRENT,
	};
	Elf_Data d = {
		.d_buf = dst, .d_type = type, .d_size = bytes,
		.d_version = EV_CURRENT,
	};

	return elf64_xlatetof(&d, &s, ELFDATA2LSB) ? 0 : -1;
}

/* Is this ET_DYN an executable?  Sets *kind, or fails with the reason. */
static int classify_dyn(Elf *elf, const GElf_Phdr *dyn, int interp,
			const char **kind, char *why)
{
	GElf_Xword flags1 = 0;
	int soname = 0;
	Elf_Data *d;
	GElf_Dyn e;
	size_t i;

	if (!dyn)
		return fail(why, "ET_DYN file without a dynamic section: cannot tell an executable from a shared library");
	d = elf_getdata_rawchunk(elf, dyn->p_offset, dyn->p_filesz, ELF_T_DYN);
	if (!d)
		return fail(why, "damaged dynamic section (%s)", elf_errmsg(-1));
	for (i = 0; i < dyn->p_filesz / sizeof(Elf64_Dyn); i++) {
		if (!gelf_getdyn(d, i, &e) || e.d_tag == DT_NULL)
			break;
		if (e.d_tag == DT_FLAGS_1)
			flags1 = e.d_un.d_val;
		else if (e.d_tag == DT_SONAME)
			soname = 1;
	}
	if (flags1 & DF_1_PIE) {
		*kind = interp ? "PIE" : "static-pie";
		return 0;
	}
	/* A PIE linked before DF_1_PIE existed (binutils < 2.26). */
	if (interp && !soname) {
		*kind = "PIE";
		return 0;
	}
	return fail(why, "shared library, not an executable (ET_DYN without DF_1_PIE in DT_FLAGS_1%s)",
		    soname ? ", with a DT_SONAME" : "");
}

/* A file cut short, as kml-stamp checks it (segments, section headers). */
static int check_truncated(const GElf_Ehdr *eh, const GElf_Phdr *ph,
			   size_t phnum, size_t size, char *why)
{
	size_t i;

	for (i = 0; i < phnum; i++)
		if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
			return fail(why, "truncated: segment %zu lies past the end of the file", i);
	if (eh->e_shoff && (eh->e_shoff > size ||
			    (GElf_Xword)(eh->e_shnum ? eh->e_shnum : 1) *
			    eh->e_shentsize > size - eh->e_shoff))
		return fail(why, "truncated: section headers past the end of the file");
	return 0;
}

/* The input must not carry a KML note already, well-formed or not. */
static int check_no_kml_note(const unsigned char *in, size_t size, char *why)
{
	struct kml_stamp_desc d;
	struct kml_note_info ni;
	const char *w = NULL;
	int ret = find_note(in, size, &ni, &w);

	if (ret == 0)
		return 0;
	if (ret == 1) {
		memcpy(&d, in + ni.desc_off, sizeof(d));
		switch (kml_check_desc(&d, &w)) {
		case 0:
			return fail(why, "already has a KML note (reserved, not stamped): stamp it with kml-stamp --key KEY");
		case 1:
			return fail(why, "already has a KML note (stamped): nothing to add");
		default:
			return fail(why, "already has a KML note (with a malformed stamp: %s)", w);
		}
	}
	if (ret == -EBADMSG)
		return fail(why, "already has a malformed KML note (%s): not adding another", w);
	return fail(why, "%s", w ? w : "cannot read the program headers");
}

int kml_addnote_plan(const unsigned char *in, size_t size,
		     struct kml_addnote_plan *p, char *why)
{
	GElf_Phdr *ph = NULL, *np = NULL, load, note;
	const GElf_Phdr *dyn = NULL;
	long iphdr = -1, ifirst = -1, ilast = -1, inote = -1;
	__u64 top = 0, prev_end = 0, delta, align, phbytes, vmin;
	const char *kind = NULL;
	size_t phnum = 0, i, k;
	int ninterp = 0, nphdr = 0, ret = -1;
	Elf64_Nhdr nh;
	GElf_Ehdr eh;
	Elf *elf = NULL;

	memset(p, 0, sizeof(*p));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(why, "libelf is too old");
	if (size < SELFMAG || memcmp(in, ELFMAG, SELFMAG))
		return fail(why, "not an ELF file");
	elf = elf_memory((char *)in, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		fail(why, "not an ELF file");
		goto out;
	}
	if (gelf_getclass(elf) != ELFCLASS64) {
		if (gelf_getclass(elf) == ELFCLASS32)
			fail(why, "32-bit ELF file: KML stamps x86-64 (ELF64) executables only");
		else
			fail(why, "not an ELF file (bad ELF class %u)", size > EI_CLASS ? in[EI_CLASS] : 0);
		goto out;
	}
	if (!gelf_getehdr(elf, &eh)) {
		fail(why, "truncated or damaged ELF header");
		goto out;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		fail(why, "not an x86-64 ELF file (machine %u): KML stamps x86-64 executables only",
		     eh.e_machine);
		goto out;
	}
	switch (eh.e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_REL:
		fail(why, "relocatable object file, not an executable: link it first");
		goto out;
	case ET_CORE:
		fail(why, "core dump, not an executable");
		goto out;
	default:
		fail(why, "not an executable (ELF type %u)", eh.e_type);
		goto out;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
		fail(why, "bad program header entry size %u", eh.e_phentsize);
		goto out;
	}
	if (eh.e_phnum == PN_XNUM) {
		fail(why, "extended program header numbering (PN_XNUM) is not supported");
		goto out;
	}
	if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0) {
		fail(why, "no program headers");
		goto out;
	}
	if ((phnum + 2) * sizeof(Elf64_Phdr) > KML_MAX_PHDR_BYTES) {
		fail(why, "too many program headers (%zu): with two more the table would exceed the %u bytes the kernel reads",
		     phnum, KML_MAX_PHDR_BYTES);
		goto out;
	}
	ph = calloc(phnum, sizeof(*ph));
	np = calloc(phnum + 2, sizeof(*np));
	if (!ph || !np) {
		fail(why, "out of memory");
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph[i])) {
			fail(why, "truncated or damaged program headers");
			goto out;
		}
	}
	if (check_truncated(&eh, ph, phnum, size, why))
		goto out;
	if (check_no_kml_note(in, size, why))
		goto out;

	for (i = 0; i < phnum; i++) {
		const GElf_Phdr *q = &ph[i];

		switch (q->p_type) {
		case PT_PHDR:
			nphdr++;
			iphdr = i;
			break;
		case PT_INTERP:
			ninterp++;
			break;
		case PT_DYNAMIC:
			dyn = q;
			break;
		case PT_NOTE:
			if (inote < 0)
				inote = i;
			break;
		case PT_LOAD:
			if (q->p_filesz > q->p_memsz) {
				fail(why, "cannot rewrite safely: PT_LOAD %zu has a file size larger than its memory size", i);
				goto out;
			}
			if (q->p_vaddr > AN_USER_TOP || q->p_memsz > AN_USER_TOP - q->p_vaddr) {
				fail(why, "cannot rewrite safely: PT_LOAD %zu lies outside the user address space", i);
				goto out;
			}
			if ((q->p_vaddr - q->p_offset) % AN_PAGE) {
				fail(why, "cannot rewrite safely: PT_LOAD %zu's address and file offset differ modulo the page size", i);
				goto out;
			}
			if (ifirst >= 0 && q->p_vaddr < prev_end) {
				fail(why, "cannot rewrite safely: PT_LOAD segments overlap or are not in address order (segment %zu)", i);
				goto out;
			}
			if (ifirst < 0)
				ifirst = i;
			ilast = i;
			prev_end = q->p_vaddr + q->p_memsz;
			if (prev_end > top)
				top = prev_end;
			break;
		}
	}
	if (ifirst < 0) {
		fail(why, "cannot rewrite safely: no PT_LOAD segment");
		goto out;
	}
	if (nphdr > 1 || ninterp > 1) {
		fail(why, "cannot rewrite safely: more than one %s", nphdr > 1 ? "PT_PHDR" : "PT_INTERP");
		goto out;
	}
	if (eh.e_type == ET_EXEC)
		kind = ninterp ? "dynamic" : "static";
	else if (classify_dyn(elf, dyn, ninterp, &kind, why))
		goto out;

	/*
	 * Where: the lowest PT_LOAD's address-offset distance, at or after
	 * the end of the file and above every mapped page.
	 */
	if (ph[ifirst].p_vaddr < ph[ifirst].p_offset) {
		fail(why, "cannot rewrite safely: the first PT_LOAD maps file offset %#llx at the lower address %#llx",
		     (unsigned long long)ph[ifirst].p_offset,
		     (unsigned long long)ph[ifirst].p_vaddr);
		goto out;
	}
	delta = ph[ifirst].p_vaddr - ph[ifirst].p_offset;
	align = ph[ifirst].p_align;
	if (align < AN_PAGE || (align & (align - 1)) || delta % align)
		align = AN_PAGE;
	phbytes = (phnum + 2) * sizeof(Elf64_Phdr);
	p->seg_size = phbytes + AN_NOTE_SIZE;
	p->seg_off = round_up(size, AN_PAGE);
	vmin = round_up(top, AN_PAGE);
	if (p->seg_off < vmin - delta)
		p->seg_off = vmin - delta;
	p->seg_vaddr = p->seg_off + delta;
	if (p->seg_vaddr > AN_USER_TOP - p->seg_size) {
		fail(why, "cannot rewrite safely: no room above the highest segment for another one");
		goto out;
	}
	if (p->seg_off - size > AN_MAX_GAP) {
		fail(why, "cannot rewrite safely: the memory image (.bss) ends %llu MiB past the end of the file; the new segment would need that much padding",
		     (unsigned long long)((p->seg_off - size) >> 20));
		goto out;
	}
	p->old_size = size;
	p->new_size = p->seg_off + p->seg_size;
	p->phnum = phnum + 2;
	p->kind = kind;
	p->desc_off = p->seg_off + phbytes + sizeof(Elf64_Nhdr) + KML_NOTE_NAMESZ;

	/* The new entries. */
	memset(&load, 0, sizeof(load));
	load.p_type = PT_LOAD;
	load.p_flags = PF_R;
	load.p_offset = p->seg_off;
	load.p_vaddr = load.p_paddr = p->seg_vaddr;
	load.p_filesz = load.p_memsz = p->seg_size;
	load.p_align = align;
	memset(&note, 0, sizeof(note));
	note.p_type = PT_NOTE;
	note.p_flags = PF_R;
	note.p_offset = p->seg_off + phbytes;
	note.p_vaddr = note.p_paddr = p->seg_vaddr + phbytes;
	note.p_filesz = note.p_memsz = AN_NOTE_SIZE;
	note.p_align = 4;

	/*
	 * The new table: PT_PHDR first, the rest in their order, the new
	 * PT_LOAD after the last PT_LOAD and the new PT_NOTE before the first
	 * PT_NOTE (so that the walker's note budget is never spent before it
	 * reaches ours), or after the new PT_LOAD if there is none.
	 */
	k = 0;
	if (iphdr >= 0) {
		np[k] = ph[iphdr];
		np[k].p_offset = p->seg_off;
		np[k].p_vaddr = np[k].p_paddr = p->seg_vaddr;
		np[k].p_filesz = np[k].p_memsz = phbytes;
		k++;
	}
	for (i = 0; i < phnum; i++) {
		if ((long)i == iphdr)
			continue;
		if ((long)i == inote)
			np[k++] = note;
		np[k++] = ph[i];
		if ((long)i == ilast)
			np[k++] = load;
		if (inote < 0 && (long)i == ilast)
			np[k++] = note;
	}

	p->seg = calloc(1, p->seg_size);
	if (!p->seg) {
		fail(why, "out of memory");
		goto out;
	}
	nh.n_namesz = KML_NOTE_NAMESZ;
	nh.n_descsz = KML_DESC_SIZE;
	nh.n_type = KML_NOTE_TYPE_STAMP;
	eh.e_phoff = p->seg_off;
	eh.e_phnum = phnum + 2;
	if (encode(p->seg, np, phbytes, ELF_T_PHDR) ||
	    encode(p->seg + phbytes, &nh, sizeof(nh), ELF_T_NHDR) ||
	    encode(p->ehdr, &eh, sizeof(p->ehdr), ELF_T_EHDR)) {
		fail(why, "cannot encode the new headers (%s)", elf_errmsg(-1));
		goto out;
	}
	memcpy(p->seg + phbytes + sizeof(nh), KML_NOTE_NAME, KML_NOTE_NAMESZ);
	ret = 0;
out:
	if (ret)
		kml_addnote_free(p);
	free(ph);
	free(np);
	if (elf)
		elf_end(elf);
	return ret;
}

void kml_addnote_free(struct kml_addnote_plan *p)
{
	free(p->seg);
	p->seg = NULL;
}

unsigned char *kml_addnote_image(const unsigned char *in,
				 const struct kml_addnote_plan *p)
{
	unsigned char *out = malloc(p->new_size);

	if (!out)
		return NULL;
	memcpy(out, in, p->old_size);
	memcpy(out, p->ehdr, sizeof(p->ehdr));
	memset(out + p->old_size, 0, p->seg_off - p->old_size);
	memcpy(out + p->seg_off, p->seg, p->seg_size);
	return out;
}

/* ------------------------------------------------------------------ */
/* The independent check of a rewritten file (raw bytes, no libelf).   */

static __u64 rd64(const unsigned char *b)
{
	__u64 v;

	memcpy(&v, b, 8);
	return le64toh(v);
}

static __u32 rd32(const unsigned char *b)
{
	__u32 v;

	memcpy(&v, b, 4);
	return le32toh(v);
}

static __u16 rd16(const unsigned char *b)
{
	__u16 v;

	memcpy(&v, b, 2);
	return le16toh(v);
}

struct seg {
	__u32 type;
	__u64 off, vaddr, filesz, memsz;
};

static void read_seg(const unsigned char *b, struct seg *s)
{
	s->type = rd32(b + offsetof(Elf64_Phdr, p_type));
	s->off = rd64(b + offsetof(Elf64_Phdr, p_offset));
	s->vaddr = rd64(b + offsetof(Elf64_Phdr, p_vaddr));
	s->filesz = rd64(b + offsetof(Elf64_Phdr, p_filesz));
	s->memsz = rd64(b + offsetof(Elf64_Phdr, p_memsz));
}

/* Is the file range [off, off + len) inside the file part of @s? */
static int seg_holds(const struct seg *s, __u64 off, __u64 len)
{
	return off >= s->off && off - s->off <= s->filesz &&
	       len <= s->filesz - (off - s->off);
}

int kml_addnote_check(const unsigned char *buf, size_t size, char *why)
{
	struct kml_note_info ni;
	struct kml_stamp_desc d;
	struct seg s, first = { 0 }, cover = { 0 };
	__u64 phoff, phbytes, prev_end = 0, phdr_addr = 0;
	const char *w = NULL;
	int i, phnum, nload = 0, have_cover = 0, note_mapped = 0;

	if (find_note(buf, size, &ni, &w) != 1)
		return fail(why, "no KML note found (%s)", w ? w : "?");
	memcpy(&d, buf + ni.desc_off, sizeof(d));
	if (kml_check_desc(&d, &w) != 0)
		return fail(why, "the KML note is not an all-zero reservation");
	/* find_note() checked the ELF header and that the table is in the file. */
	phoff = rd64(buf + offsetof(Elf64_Ehdr, e_phoff));
	phnum = rd16(buf + offsetof(Elf64_Ehdr, e_phnum));
	phbytes = (__u64)phnum * sizeof(Elf64_Phdr);

	for (i = 0; i < phnum; i++) {
		read_seg(buf + phoff + (__u64)i * sizeof(Elf64_Phdr), &s);
		if (s.type == PT_PHDR && i != 0)
			return fail(why, "PT_PHDR is not the first program header");
		if (s.type != PT_LOAD)
			continue;
		if (s.filesz > s.memsz || s.off > size || s.filesz > size - s.off)
			return fail(why, "PT_LOAD %d: bad sizes or past the end of the file", i);
		if ((s.vaddr - s.off) % AN_PAGE)
			return fail(why, "PT_LOAD %d: address and offset differ modulo the page size", i);
		if (nload && s.vaddr < prev_end)
			return fail(why, "PT_LOAD %d: not in address order or overlapping", i);
		if (s.vaddr > AN_USER_TOP || s.memsz > AN_USER_TOP - s.vaddr)
			return fail(why, "PT_LOAD %d: outside the user address space", i);
		prev_end = s.vaddr + s.memsz;
		if (!nload++)
			first = s;
		if (!have_cover && seg_holds(&s, phoff, phbytes)) {
			cover = s;
			have_cover = 1;
			phdr_addr = phoff - s.off + s.vaddr;
		}
		if (seg_holds(&s, ni.note_off, ni.desc_off + KML_DESC_SIZE - ni.note_off))
			note_mapped = 1;
	}
	if (!have_cover)
		return fail(why, "the program header table is not inside any PT_LOAD");
	if (first.vaddr - first.off + phoff != phdr_addr)
		return fail(why, "AT_PHDR computed from the first PT_LOAD (%#llx) differs from where the table is mapped (%#llx)",
			    (unsigned long long)(first.vaddr - first.off + phoff),
			    (unsigned long long)phdr_addr);
	if (!note_mapped)
		return fail(why, "the KML note is not inside any PT_LOAD");

	/* The table's segment shares no page with another PT_LOAD. */
	for (i = 0; i < phnum; i++) {
		read_seg(buf + phoff + (__u64)i * sizeof(Elf64_Phdr), &s);
		if (s.type == PT_PHDR &&
		    (s.off != phoff || s.vaddr != phdr_addr ||
		     s.filesz != phbytes || s.memsz != phbytes))
			return fail(why, "PT_PHDR does not describe the program header table");
		if (s.type != PT_LOAD || (s.off == cover.off && s.vaddr == cover.vaddr))
			continue;
		if (!(round_up(s.vaddr + s.memsz, AN_PAGE) <= (cover.vaddr & ~(AN_PAGE - 1)) ||
		      (s.vaddr & ~(AN_PAGE - 1)) >= round_up(cover.vaddr + cover.memsz, AN_PAGE)))
			return fail(why, "the program header table's PT_LOAD shares a page with PT_LOAD %d", i);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing the file.                                                   */

/* The temporary file, for the signal handler (removed on SIGINT etc.). */
static char an_tmp[PATH_MAX];
static volatile sig_atomic_t an_tmp_live;
static const int an_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE };
static struct sigaction an_saved[sizeof(an_signals) / sizeof(an_signals[0])];

static void an_on_signal(int sig)
{
	if (an_tmp_live)
		unlink(an_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tmp_guard(int on)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = an_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(an_signals) / sizeof(an_signals[0]); i++) {
		if (on)
			sigaction(an_signals[i], &sa, &an_saved[i]);
		else
			sigaction(an_signals[i], &an_saved[i], NULL);
	}
}

static int write_all(int fd, const unsigned char *b, __u64 len, __u64 off)
{
	while (len) {
		ssize_t n = pwrite(fd, b, len > (1 << 30) ? (1 << 30) : len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		b += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Copies every extended attribute (ACLs, security labels, capabilities). */
static int copy_xattrs(int from, int to, char *why)
{
	ssize_t len = flistxattr(from, NULL, 0), vlen;
	char *names, *n, *val = NULL;
	int ret = -1;

	if (len < 0)
		return errno == ENOTSUP ? 0 : fail(why, "cannot list extended attributes: %s", strerror(errno));
	if (len == 0)
		return 0;
	names = malloc(len);
	if (!names)
		return fail(why, "out of memory");
	len = flistxattr(from, names, len);
	if (len < 0) {
		fail(why, "cannot list extended attributes: %s", strerror(errno));
		goto out;
	}
	for (n = names; n < names + len; n += strlen(n) + 1) {
		vlen = fgetxattr(from, n, NULL, 0);
		free(val);
		val = vlen >= 0 ? malloc(vlen ? vlen : 1) : NULL;
		if (vlen < 0 || !val || fgetxattr(from, n, val, vlen) != vlen ||
		    fsetxattr(to, n, val, vlen, 0) != 0) {
			fail(why, "cannot copy extended attribute %s: %s", n,
			     strerror(errno ? errno : ENOMEM));
			goto out;
		}
	}
	ret = 0;
out:
	free(val);
	free(names);
	return ret;
}

/* Same file, same contents as when we read it? */
static int unchanged(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int kml_addnote_file(struct kml_addnote_job *job)
{
	struct kml_addnote_plan plan = { 0 };
	const char *path = job->path, *slash, *base;
	unsigned char *in = MAP_FAILED, *chk = MAP_FAILED;
	char dir[PATH_MAX];
	struct stat st, lst, tst;
	int fd = -1, tfd = -1, dfd = -1, ret = -1;
	size_t dlen;

	job->why[0] = 0;
	job->nlink = 0;
	job->kind = NULL;
	if (lstat(path, &lst) != 0)
		return fail(job->why, "cannot open: %s", strerror(errno));
	if (S_ISLNK(lst.st_mode))
		return fail(job->why, "is a symbolic link: give the file it points to");
	if (!S_ISREG(lst.st_mode))
		return fail(job->why, "not a regular file");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(job->why, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0 || !unchanged(&st, &lst)) {
		fail(job->why, "changed while being opened: left as it is");
		goto out;
	}
	job->nlink = st.st_nlink;
	if (st.st_size == 0) {
		fail(job->why, "not an ELF file (empty)");
		goto out;
	}
	in = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (in == MAP_FAILED) {
		fail(job->why, "cannot map: %s", strerror(errno));
		goto out;
	}
	if (kml_addnote_plan(in, st.st_size, &plan, job->why))
		goto out;
	job->kind = plan.kind;

	/* The temporary file: same directory, so that rename() is atomic. */
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	dlen = slash ? (size_t)(slash - path) : 1;
	if (slash && dlen == 0)
		dlen = 1;	/* "/file" */
	if (dlen >= sizeof(dir) - 1 ||
	    snprintf(an_tmp, sizeof(an_tmp), "%.*s/.%.200s.kml-XXXXXX",
		     (int)dlen, slash ? path : ".", base) >= (int)sizeof(an_tmp)) {
		fail(job->why, "path too long");
		goto out;
	}
	memcpy(dir, slash ? path : ".", dlen);
	dir[dlen] = 0;
	tmp_guard(1);
	tfd = mkostemp(an_tmp, O_CLOEXEC);
	if (tfd < 0) {
		fail(job->why, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		goto out_guard;
	}
	an_tmp_live = 1;

	/* The old bytes, the new header, a hole up to the new segment. */
	if (write_all(tfd, plan.ehdr, sizeof(plan.ehdr), 0) ||
	    write_all(tfd, in + sizeof(plan.ehdr), plan.old_size - sizeof(plan.ehdr),
		      sizeof(plan.ehdr)) ||
	    ftruncate(tfd, plan.seg_off) != 0 ||
	    write_all(tfd, plan.seg, plan.seg_size, plan.seg_off) ||
	    fsync(tfd) != 0) {
		fail(job->why, "cannot write %s: %s", an_tmp, strerror(errno));
		goto out_tmp;
	}

	/* What is on disk now must pass the check. */
	if (fstat(tfd, &tst) != 0 || (__u64)tst.st_size != plan.new_size) {
		fail(job->why, "cannot write %s: short file", an_tmp);
		goto out_tmp;
	}
	chk = mmap(NULL, plan.new_size, PROT_READ, MAP_SHARED, tfd, 0);
	if (chk == MAP_FAILED) {
		fail(job->why, "cannot read back %s: %s", an_tmp, strerror(errno));
		goto out_tmp;
	}
	if (kml_addnote_check(chk, plan.new_size, job->why)) {
		char w[KML_AN_WHY];

		snprintf(w, sizeof(w), "%s", job->why);
		fail(job->why, "internal error: the rewritten file fails its check (%s): left as it is", w);
		goto out_tmp;
	}
	if (job->hook && job->hook(an_tmp, job->arg)) {
		ret = -2;
		goto out_tmp;
	}

	/*
	 * Owner and group first (chown clears set-id bits), then the mode,
	 * then extended attributes (chown also drops file capabilities).
	 */
	if ((tst.st_uid != st.st_uid || tst.st_gid != st.st_gid) &&
	    fchown(tfd, st.st_uid, st.st_gid) != 0) {
		fail(job->why, "cannot give the new file the owner %u:%u: %s",
		     st.st_uid, st.st_gid, strerror(errno));
		goto out_tmp;
	}
	if (fchmod(tfd, st.st_mode & 07777) != 0) {
		fail(job->why, "cannot set the mode of the new file: %s", strerror(errno));
		goto out_tmp;
	}
	if (copy_xattrs(fd, tfd, job->why))
		goto out_tmp;
	if (fsync(tfd) != 0) {
		fail(job->why, "cannot write %s: %s", an_tmp, strerror(errno));
		goto out_tmp;
	}
	if (lstat(path, &lst) != 0 || !unchanged(&st, &lst)) {
		fail(job->why, "changed while being rewritten: left as it is");
		goto out_tmp;
	}
	if (rename(an_tmp, path) != 0) {
		fail(job->why, "cannot rename %s to it: %s", an_tmp, strerror(errno));
		goto out_tmp;
	}
	an_tmp_live = 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		fail(job->why, "rewritten, but syncing its directory failed: %s", strerror(errno));
		goto out_guard;
	}
	ret = 0;
	goto out_guard;
out_tmp:
	an_tmp_live = 0;
	unlink(an_tmp);
out_guard:
	tmp_guard(0);
out:
	if (chk != MAP_FAILED)
		munmap(chk, plan.new_size);
	if (in != MAP_FAILED)
		munmap(in, st.st_size);
	kml_addnote_free(&plan);
	if (dfd >= 0)
		close(dfd);
	if (tfd >= 0)
		close(tfd);
	if (fd >= 0)
		close(fd);
	return ret;
}
