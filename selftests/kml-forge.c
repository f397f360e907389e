// SPDX-License-Identifier: GPL-2.0
/*
 * kml-forge - give a stamped program exactly one defect, for the tests.
 *
 *   kml-forge FILE OPERATION ARGS...
 *
 * selftests/mkcases.sh makes its broken stamps with this program.  Every
 * place in the file is found the way the kernel finds it (the shared note
 * walker, elfnote/kml_notewalk.c, and libelf for the program headers) and
 * every field is named by the structures of elfnote/kml_note.h and
 * <elf.h>: the stamp format's numbers live there, and nowhere here or in
 * the shell scripts.
 *
 * Values (VALUE, OFFSET) are a number (C syntax) or one of these names,
 * optionally followed by +N or -N:
 *   SIZE       the file's size            NOTE       the KML note's offset
 *   DESC       the descriptor's offset    DESC_SIZE  sizeof(kml_stamp_desc)
 *   NOTE_SIZE  the whole KML note (header, name, descriptor)
 *   NOTE_HDR   the KML note's header and name (where the descriptor starts)
 *   MID, LAST  the middle and the last byte of the file
 *
 * Operations:
 *   info                       print size= note= desc= siglen= (shell syntax)
 *   flip OFFSET XOR            xor the byte at OFFSET with XOR (also in a
 *                              file without a KML note)
 *   desc FIELD VALUE           set magic (8 characters), version, hash_algo,
 *                              sig_type, sig_len, flags or reserved
 *   desc-clear                 an all-zero (reserved, unstamped) descriptor
 *   desc-sig-bytes HEX         overwrite the first bytes of sig[]
 *   desc-trailing VALUE        the first byte after the signature in use
 *   desc-copy OTHER            the descriptor of the stamped file OTHER
 *   sig-get OUT [half]         write the signature in use (or its first half)
 *   sig-put DER [FLAGS]        a whole, well-formed descriptor around DER:
 *                              version 1, or version 2 with FLAGS
 *   statement OUT VERSION FLAGS DIGEST [magic=S] [size=V] [offset=V]
 *             [digest=HEX]     write the statement a stamp of VERSION with
 *                              FLAGS signs for this file (DIGEST: the hex
 *                              of kml-stamp --hash), fields replaced
 *   note FIELD VALUE           the KML note's namesz, descsz or type
 *   rename-next-note NAME      the note right after the KML note (which
 *                              must be GNU's) renamed NAME (3 characters)
 *   phdr kml|other FIELD=VALUE...
 *                              set a program header's type, offset,
 *                              filesz, memsz, size (filesz and memsz) or
 *                              align; kml: the PT_NOTE holding the KML
 *                              note; other: another PT_NOTE or, if there
 *                              is none, PT_GNU_STACK, made a PT_NOTE (both
 *                              found once, before any field is written)
 *   phdr-copy                  the kml header copied over the other one
 *   phdr-retype FROM TO        the first program header of type FROM gets
 *                              type TO (e.g. 6 0: PT_PHDR made PT_NULL)
 *   phdr-swap-loads            the first two PT_LOAD headers swapped
 *   phdr-table-grow N          the program header table copied to the end
 *                              of the file and padded with PT_NULL entries
 *                              to N; e_phoff and e_phnum point at it
 *                              (phdr-retype, -swap-loads, -table-grow: also
 *                              in a file without a KML note)
 *   ehdr FIELD VALUE           class (e_ident[EI_CLASS]), e_type, e_machine, e_phoff, e_phentsize,
 *                              e_phnum, e_shoff, e_shnum or e_shstrndx
 *   shdr NAME FIELD=VALUE...   the section header of NAME (.text, ...):
 *                              sh_offset, sh_size, sh_link or sh_flags
 *   shdr-noexec                SHF_EXECINSTR cleared in every section
 *                              (ehdr, shdr, shdr-noexec: also in a file
 *                              without a KML note)
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kml_note.h"
#include "kml_notewalk.h"

/* The note header as the ELF gABI lays it out, then the name "KML\0". */
#define NOTE_HDR_SIZE	(sizeof(Elf64_Nhdr) + KML_NOTE_NAMESZ)
#define NOTE_SIZE	(NOTE_HDR_SIZE + KML_DESC_SIZE)

static const char *path;
static int fd = -1;
static __u64 fsize;
static struct kml_note_info ni;
static const char *no_note;	/* why the file has no usable KML note */

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kml-forge: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void rd(__u64 off, void *buf, size_t len)
{
	if (pread(fd, buf, len, off) != (ssize_t)len)
		die("cannot read %zu bytes at %llu", len, (unsigned long long)off);
}

static void wr(__u64 off, const void *buf, size_t len)
{
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		die("cannot write %zu bytes at %llu: %s", len,
		    (unsigned long long)off, strerror(errno));
}

static int reader(void *ctx, __u64 off, void *buf, __u32 len)
{
	(void)ctx;
	return pread(fd, buf, len, off) == (ssize_t)len ? 0 : -EIO;
}

/*
 * Finds the KML note the way the kernel does.  A file without one can
 * still have bytes flipped and ELF header fields set; everything else
 * needs the note (need_note()).
 */
static void walk(void)
{
	struct kml_reader r = { .read = reader, .size = fsize };
	const char *why = "no KML note";

	if (kml_find_note(&r, &ni, &why) != 1)
		no_note = why;
}

static void need_note(void)
{
	if (no_note)
		die("no well-formed KML note (%s)", no_note);
}

/* A number in C syntax (0x.., 0.., decimal), digits only: no sign, no space. */
static __u64 number(const char *p, const char *whole)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*p))
		die("bad value '%s'", whole);
	errno = 0;
	v = strtoull(p, &end, 0);
	if (errno || *end)
		die("bad value '%s'", whole);
	return v;
}

static __u64 value(const char *s)
{
	const struct { const char *name; __u64 v; } names[] = {
		{ "SIZE", fsize }, { "NOTE", ni.note_off }, { "DESC", ni.desc_off },
		{ "DESC_SIZE", KML_DESC_SIZE }, { "NOTE_SIZE", NOTE_SIZE },
		{ "NOTE_HDR", NOTE_HDR_SIZE }, { "MID", fsize / 2 },
		{ "LAST", fsize - 1 },
	};
	size_t i, n = strcspn(s, "+-");
	__u64 v;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (n != strlen(names[i].name) || strncmp(s, names[i].name, n))
			continue;
		if (!strcmp(names[i].name, "NOTE") || !strcmp(names[i].name, "DESC"))
			need_note();
		if (!s[n])
			return names[i].v;
		v = number(s + n + 1, s);
		if (s[n] == '+' ? v > ~(__u64)0 - names[i].v : v > names[i].v)
			die("'%s' wraps around", s);
		return s[n] == '+' ? names[i].v + v : names[i].v - v;
	}
	if (!isdigit((unsigned char)*s))
		die("bad value '%s' (a number or SIZE, NOTE, DESC, DESC_SIZE, NOTE_SIZE, NOTE_HDR, MID, LAST, +/-N)", s);
	return number(s, s);
}

/* Writes the low @len bytes of @v, little-endian, at @off. */
static void put_le(__u64 off, __u64 v, size_t len)
{
	__u8 b[8];
	size_t i;

	if (len < sizeof(v) && v >> (8 * len))
		die("%#llx does not fit in the field's %zu byte(s)", (unsigned long long)v, len);
	for (i = 0; i < len; i++)
		b[i] = v >> (8 * i);
	wr(off, b, len);
}

static void read_desc(struct kml_stamp_desc *d)
{
	rd(ni.desc_off, d, sizeof(*d));
}

/*
 * A named field of an on-disk structure: its name on the command line, its
 * offset in the structure and its size, from offsetof/sizeof of the header
 * that defines it (so no number of a format is written here).
 */
struct field {
	const char *name;
	size_t off, size;
};

#define FIELD(type, member, name) \
	{ name, offsetof(type, member), sizeof(((type *)0)->member) }
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* Sets the field @name of the structure at file offset @base to @v. */
static void set_field(const struct field *f, size_t n, __u64 base,
		      const char *name, size_t namelen, const char *v, const char *what)
{
	char names[256] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(f[i].name) == namelen && !strncmp(name, f[i].name, namelen)) {
			put_le(base + f[i].off, value(v), f[i].size);
			return;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", f[i].name);
	}
	die("no %s field '%.*s' (%s)", what, (int)namelen, name, names);
}

/* The same for each FIELD=VALUE of @argv. */
static void set_fields(const struct field *f, size_t n, __u64 base,
		       int argc, char **argv, const char *what)
{
	int i;

	for (i = 0; i < argc; i++) {
		size_t len = strcspn(argv[i], "=");

		if (!argv[i][len])
			die("%s: FIELD=VALUE, not '%s'", what, argv[i]);
		set_field(f, n, base, argv[i], len, argv[i] + len + 1, what);
	}
}

static void op_desc(const char *field, const char *v)
{
#define D(m) FIELD(struct kml_stamp_desc, m, #m)
	static const struct field f[] = {
		D(version), D(hash_algo), D(sig_type), D(sig_len), D(flags), D(reserved),
	};
#undef D

	if (!strcmp(field, "magic")) {
		if (strlen(v) != KML_STAMP_MAGIC_LEN)
			die("a magic has %d characters", KML_STAMP_MAGIC_LEN);
		wr(ni.desc_off + offsetof(struct kml_stamp_desc, magic), v,
		   KML_STAMP_MAGIC_LEN);
		return;
	}
	set_field(f, NFIELDS(f), ni.desc_off, field, strlen(field), v, "descriptor");
}

static size_t hex(const char *s, __u8 *out, size_t max)
{
	size_t n = strlen(s) / 2, i;

	if (strlen(s) % 2 || n > max)
		die("bad hex '%s'", s);
	for (i = 0; i < 2 * n; i++)
		if (!isxdigit((unsigned char)s[i]))
			die("bad hex '%s'", s);
	for (i = 0; i < n; i++) {
		unsigned int b;

		sscanf(s + 2 * i, "%2x", &b);
		out[i] = b;
	}
	return n;
}

static __u32 sig_len(const struct kml_stamp_desc *d)
{
	__u32 n = d->sig_len;	/* (x86-64: little-endian as stored) */

	if (n > KML_SIG_MAX)
		die("sig_len %u is larger than the descriptor", n);
	return n;
}

static void op_desc_copy(const char *other)
{
	struct kml_stamp_desc d;
	const char *me = path;
	int myfd = fd;
	__u64 mysize = fsize;
	struct kml_note_info mine = ni;
	struct stat st;

	path = other;
	fd = open(other, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die("%s", strerror(errno));
	fsize = st.st_size;
	walk();
	need_note();
	read_desc(&d);
	close(fd);
	path = me, fd = myfd, fsize = mysize, ni = mine;
	wr(ni.desc_off, &d, sizeof(d));
}

static void op_sig_get(const char *out, int half)
{
	struct kml_stamp_desc d;
	__u32 n;
	FILE *f;

	read_desc(&d);
	n = sig_len(&d);
	if (half)
		n /= 2;
	f = fopen(out, "w");
	if (!f || fwrite(d.sig, 1, n, f) != n || fclose(f))
		die("%s: %s", out, strerror(errno));
}

static void op_sig_put(const char *der, const char *flags)
{
	struct kml_stamp_desc d;
	__u8 buf[KML_SIG_MAX + 1];
	size_t n;
	FILE *f = fopen(der, "r");

	if (!f)
		die("%s: %s", der, strerror(errno));
	memset(&d, 0, sizeof(d));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > KML_SIG_MAX)
		die("%s: larger than the descriptor's %d bytes", der, KML_SIG_MAX);
	memcpy(d.sig, buf, n);
	memcpy(d.magic, KML_STAMP_MAGIC, KML_STAMP_MAGIC_LEN);
	d.version = flags ? KML_STAMP_VERSION : KML_STAMP_VERSION_1;
	d.hash_algo = KML_HASH_SHA256;
	d.sig_type = KML_SIG_PKCS7;
	d.sig_len = n;
	d.flags = flags ? value(flags) : 0;
	wr(ni.desc_off, &d, sizeof(d));
}

static void op_statement(int argc, char **argv)
{
	struct kml_signed_data sd;
	__u8 digest[KML_DIGEST_SIZE];
	__u64 size = fsize, off = ni.desc_off;
	const char *magic = NULL;
	__u32 len;
	FILE *f;
	int i;

	if (argc < 4)
		die("statement OUT VERSION FLAGS DIGEST [magic=S] [size=V] [offset=V]");
	if (strlen(argv[3]) != 2 * KML_DIGEST_SIZE)
		die("a digest has %d bytes", KML_DIGEST_SIZE);
	hex(argv[3], digest, sizeof(digest));
	for (i = 4; i < argc; i++) {
		if (!strncmp(argv[i], "magic=", 6))
			magic = argv[i] + 6;
		else if (!strncmp(argv[i], "size=", 5))
			size = value(argv[i] + 5);
		else if (!strncmp(argv[i], "offset=", 7))
			off = value(argv[i] + 7);
		else if (!strncmp(argv[i], "digest=", 7))
			hex(argv[i] + 7, digest, sizeof(digest));
		else
			die("statement: unknown '%s'", argv[i]);
	}
	len = kml_signed_data_init(&sd, value(argv[1]), value(argv[2]), size,
				   off, digest);
	if (magic) {
		if (strlen(magic) > sizeof(sd.magic))
			die("a statement magic has at most %zu characters",
			    sizeof(sd.magic));
		memset(sd.magic, 0, sizeof(sd.magic));
		memcpy(sd.magic, magic, strlen(magic));
	}
	f = fopen(argv[0], "w");
	if (!f || fwrite(&sd, 1, len, f) != len || fclose(f))
		die("%s: %s", argv[0], strerror(errno));
}

static void op_note(const char *field, const char *v)
{
	static const struct field f[] = {
		FIELD(Elf64_Nhdr, n_namesz, "namesz"), FIELD(Elf64_Nhdr, n_descsz, "descsz"),
		FIELD(Elf64_Nhdr, n_type, "type"),
	};

	set_field(f, NFIELDS(f), ni.note_off, field, strlen(field), v, "note");
}

static void op_rename_next_note(const char *name)
{
	__u64 next = ni.note_off + NOTE_SIZE;
	Elf64_Nhdr nh;
	char old[4];

	if (strlen(name) != 3)
		die("the name must have 3 characters (as GNU)");
	rd(next, &nh, sizeof(nh));
	rd(next + sizeof(nh), old, sizeof(old));
	if (nh.n_namesz != 4 || memcmp(old, "GNU", 4))
		die("no GNU note right after the KML note");
	wr(next + sizeof(nh), name, 3);
}

/*
 * The file offsets of the program headers "kml" and (if @other is not
 * NULL) "other"; only a caller that writes "other" gets PT_GNU_STACK
 * retyped.
 */
static void find_phdrs(__u64 *kml, __u64 *other)
{
	__u64 other_note = 0;
	__u64 stack = 0;
	GElf_Ehdr eh;
	Elf *e;
	size_t i, n;

	*kml = 0;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, &eh) || elf_getphdrnum(e, &n))
		die("libelf: %s", elf_errmsg(-1));
	for (i = 0; i < n; i++) {
		__u64 at = eh.e_phoff + i * eh.e_phentsize;
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph))
			die("libelf: %s", elf_errmsg(-1));
		if (ph.p_type == PT_NOTE && ph.p_offset <= ni.note_off &&
		    ni.note_off < ph.p_offset + ph.p_filesz)
			*kml = at;
		else if (ph.p_type == PT_NOTE && !other_note)
			other_note = at;
		else if (ph.p_type == PT_GNU_STACK)
			stack = at;
	}
	elf_end(e);
	if (!*kml)
		die("no PT_NOTE holds the KML note");
	if (!other)
		return;
	*other = other_note;
	if (!*other) {
		if (!stack)
			die("no second PT_NOTE and no PT_GNU_STACK");
		*other = stack;
		put_le(stack + offsetof(Elf64_Phdr, p_type), PT_NOTE,
		       sizeof(Elf64_Word));
	}
}

static void op_phdr(int argc, char **argv)
{
	static const struct field f[] = {
		FIELD(Elf64_Phdr, p_type, "type"), FIELD(Elf64_Phdr, p_offset, "offset"),
		FIELD(Elf64_Phdr, p_filesz, "filesz"), FIELD(Elf64_Phdr, p_memsz, "memsz"),
		FIELD(Elf64_Phdr, p_align, "align"),
	};
	__u64 kml, other, at;
	int i;

	if (argc < 2)
		die("phdr kml|other FIELD=VALUE...");
	if (!strcmp(argv[0], "kml")) {
		find_phdrs(&kml, NULL);
		at = kml;
	} else if (!strcmp(argv[0], "other")) {
		find_phdrs(&kml, &other);
		at = other;
	} else {
		die("phdr kml|other, not '%s'", argv[0]);
	}
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "size=", 5)) {	/* filesz and memsz */
			set_field(f, NFIELDS(f), at, "filesz", 6, argv[i] + 5, "program header");
			set_field(f, NFIELDS(f), at, "memsz", 5, argv[i] + 5, "program header");
		} else {
			set_fields(f, NFIELDS(f), at, 1, argv + i, "program header");
		}
	}
}

/* The ELF header, read with libelf (so it is checked to be one). */
static void ehdr_of(GElf_Ehdr *eh)
{
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, eh))
		die("libelf: %s", elf_errmsg(-1));
	elf_end(e);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr))
		die("not an ELF64 file with %zu-byte program headers", sizeof(Elf64_Phdr));
}

static void op_phdr_retype(const char *from, const char *to)
{
	__u64 f = value(from), t = value(to);
	GElf_Ehdr eh;
	Elf64_Phdr ph;
	size_t i;

	ehdr_of(&eh);
	for (i = 0; i < eh.e_phnum; i++) {
		__u64 at = eh.e_phoff + i * sizeof(ph);

		rd(at, &ph, sizeof(ph));
		if (ph.p_type == f) {
			put_le(at + offsetof(Elf64_Phdr, p_type), t, sizeof(ph.p_type));
			return;
		}
	}
	die("no program header of type %#llx", (unsigned long long)f);
}

static void op_phdr_swap_loads(void)
{
	__u64 at[2];
	Elf64_Phdr ph[2];
	GElf_Ehdr eh;
	size_t i, n = 0;

	ehdr_of(&eh);
	for (i = 0; i < eh.e_phnum && n < 2; i++) {
		Elf64_Phdr p;

		rd(eh.e_phoff + i * sizeof(p), &p, sizeof(p));
		if (p.p_type == PT_LOAD) {
			at[n] = eh.e_phoff + i * sizeof(p);
			ph[n++] = p;
		}
	}
	if (n < 2)
		die("fewer than two PT_LOAD headers");
	wr(at[0], &ph[1], sizeof(ph[1]));
	wr(at[1], &ph[0], sizeof(ph[0]));
}

static void op_phdr_table_grow(const char *count)
{
	__u64 n = value(count), end = fsize;
	Elf64_Phdr ph;
	GElf_Ehdr eh;
	size_t i;

	ehdr_of(&eh);
	if (n < eh.e_phnum || n > 0xffff)
		die("phdr-table-grow: %llu entries (the table has %u; at most 65535)",
		    (unsigned long long)n, eh.e_phnum);
	for (i = 0; i < n; i++) {
		if (i < eh.e_phnum)
			rd(eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph));
		else
			memset(&ph, 0, sizeof(ph));	/* PT_NULL */
		wr(end + i * sizeof(ph), &ph, sizeof(ph));
	}
	put_le(offsetof(Elf64_Ehdr, e_phoff), end, sizeof(Elf64_Off));
	put_le(offsetof(Elf64_Ehdr, e_phnum), n, sizeof(Elf64_Half));
}

static void op_phdr_copy(void)
{
	__u64 kml, other;
	Elf64_Phdr ph;

	find_phdrs(&kml, &other);
	rd(kml, &ph, sizeof(ph));
	wr(other, &ph, sizeof(ph));
}

/*
 * Calls @fn with the file offset of every section header, and its name
 * and flags, as libelf reads them (before any write).
 */
static void each_shdr(void (*fn)(__u64 at, const char *name, __u64 flags, void *arg),
		      void *arg)
{
	struct { __u64 at, flags; char name[64]; } *all;
	size_t i = 0, n, str;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *e;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, &eh) || elf_getshdrnum(e, &n) ||
	    elf_getshdrstrndx(e, &str))
		die("libelf: %s", elf_errmsg(-1));
	all = calloc(n + 1, sizeof(*all));
	if (!all)
		die("out of memory");
	while ((scn = elf_nextscn(e, scn)) && i < n) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			die("libelf: %s", elf_errmsg(-1));
		name = elf_strptr(e, str, sh.sh_name);
		all[i].at = eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize;
		all[i].flags = sh.sh_flags;
		snprintf(all[i].name, sizeof(all[i].name), "%s", name ? name : "");
		i++;
	}
	elf_end(e);
	n = i;
	for (i = 0; i < n; i++)
		fn(all[i].at, all[i].name, all[i].flags, arg);
	free(all);
}

struct shdr_set { const char *name; int argc; char **argv; int found; };

static void shdr_set(__u64 at, const char *name, __u64 flags, void *arg)
{
	static const struct field f[] = {
		FIELD(Elf64_Shdr, sh_offset, "offset"), FIELD(Elf64_Shdr, sh_size, "size"),
		FIELD(Elf64_Shdr, sh_link, "link"), FIELD(Elf64_Shdr, sh_flags, "flags"),
	};
	struct shdr_set *a = arg;

	(void)flags;
	if (strcmp(name, a->name) || a->found++)
		return;
	set_fields(f, NFIELDS(f), at, a->argc, a->argv, "section header");
}

static void shdr_noexec(__u64 at, const char *name, __u64 flags, void *arg)
{
	(void)name;
	(void)arg;
	put_le(at + offsetof(Elf64_Shdr, sh_flags), flags & ~(__u64)SHF_EXECINSTR,
	       sizeof(Elf64_Xword));
}

static void op_ehdr(const char *field, const char *v)
{
	static const struct field f[] = {
		{ "class", offsetof(Elf64_Ehdr, e_ident) + EI_CLASS, 1 },
		FIELD(Elf64_Ehdr, e_type, "type"), FIELD(Elf64_Ehdr, e_machine, "machine"),
		FIELD(Elf64_Ehdr, e_phoff, "phoff"), FIELD(Elf64_Ehdr, e_phentsize, "phentsize"),
		FIELD(Elf64_Ehdr, e_phnum, "phnum"), FIELD(Elf64_Ehdr, e_shoff, "shoff"),
		FIELD(Elf64_Ehdr, e_shnum, "shnum"), FIELD(Elf64_Ehdr, e_shstrndx, "shstrndx"),
	};

	set_field(f, NFIELDS(f), 0, field, strlen(field), v, "ELF header");
}

int main(int argc, char **argv)
{
	struct kml_stamp_desc d;
	const char *op;
	struct stat st;
	__u8 b;

	if (argc < 3) {
		fprintf(stderr, "usage: kml-forge FILE OPERATION ARGS... (see the source)\n");
		return 2;
	}
	path = argv[1];
	op = argv[2];
	argc -= 3;
	argv += 3;
	fd = open(path, !strcmp(op, "info") ? O_RDONLY : O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		die("%s", strerror(errno));
	fsize = st.st_size;
	walk();
	if (strcmp(op, "flip") && strcmp(op, "ehdr") && strncmp(op, "shdr", 4) &&
	    strcmp(op, "phdr-retype") && strcmp(op, "phdr-swap-loads") &&
	    strcmp(op, "phdr-table-grow"))
		need_note();

#define NEED(n) do { if (argc != (n)) die("%s takes %d argument(s)", op, (n)); } while (0)
	if (!strcmp(op, "info")) {
		NEED(0);
		read_desc(&d);
		printf("size=%llu note=%llu desc=%llu siglen=%u\n",
		       (unsigned long long)fsize, (unsigned long long)ni.note_off,
		       (unsigned long long)ni.desc_off, sig_len(&d));
	} else if (!strcmp(op, "flip")) {
		__u64 off, x;

		NEED(2);
		x = value(argv[1]);

		if (x > 0xff)
			die("flip: XOR is one byte, not %#llx", (unsigned long long)x);
		off = value(argv[0]);
		rd(off, &b, 1);
		b ^= x;
		wr(off, &b, 1);
	} else if (!strcmp(op, "desc")) {
		NEED(2);
		op_desc(argv[0], argv[1]);
	} else if (!strcmp(op, "desc-clear")) {
		NEED(0);
		memset(&d, 0, sizeof(d));
		wr(ni.desc_off, &d, sizeof(d));
	} else if (!strcmp(op, "desc-sig-bytes")) {
		size_t n;

		NEED(1);
		n = hex(argv[0], d.sig, sizeof(d.sig));
		wr(ni.desc_off + offsetof(struct kml_stamp_desc, sig), d.sig, n);
	} else if (!strcmp(op, "desc-trailing")) {
		NEED(1);
		read_desc(&d);
		b = value(argv[0]);
		wr(ni.desc_off + offsetof(struct kml_stamp_desc, sig) + sig_len(&d),
		   &b, 1);
	} else if (!strcmp(op, "desc-copy")) {
		NEED(1);
		op_desc_copy(argv[0]);
	} else if (!strcmp(op, "sig-get")) {
		if (argc != 1 && !(argc == 2 && !strcmp(argv[1], "half")))
			die("sig-get OUT [half]");
		op_sig_get(argv[0], argc == 2);
	} else if (!strcmp(op, "sig-put")) {
		if (argc != 1 && argc != 2)
			die("sig-put DER [FLAGS]");
		op_sig_put(argv[0], argc == 2 ? argv[1] : NULL);
	} else if (!strcmp(op, "statement")) {
		op_statement(argc, argv);
	} else if (!strcmp(op, "note")) {
		NEED(2);
		op_note(argv[0], argv[1]);
	} else if (!strcmp(op, "rename-next-note")) {
		NEED(1);
		op_rename_next_note(argv[0]);
	} else if (!strcmp(op, "phdr")) {
		op_phdr(argc, argv);
	} else if (!strcmp(op, "phdr-retype")) {
		NEED(2);
		op_phdr_retype(argv[0], argv[1]);
	} else if (!strcmp(op, "phdr-swap-loads")) {
		NEED(0);
		op_phdr_swap_loads();
	} else if (!strcmp(op, "phdr-table-grow")) {
		NEED(1);
		op_phdr_table_grow(argv[0]);
	} else if (!strcmp(op, "phdr-copy")) {
		NEED(0);
		op_phdr_copy();
	} else if (!strcmp(op, "shdr")) {
		struct shdr_set a = { argv[0], argc - 1, argv + 1, 0 };

		if (argc < 2)
			die("shdr NAME FIELD=VALUE...");
		each_shdr(shdr_set, &a);
		if (!a.found)
			die("no section named '%s'", argv[0]);
	} else if (!strcmp(op, "shdr-noexec")) {
		NEED(0);
		each_shdr(shdr_noexec, NULL);
	} else if (!strcmp(op, "ehdr")) {
		NEED(2);
		op_ehdr(argv[0], argv[1]);
	} else {
		die("unknown operation '%s'", op);
	}
	if (close(fd))
		die("%s", strerror(errno));
	return 0;
}
