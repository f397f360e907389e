// SPDX-License-Identifier: GPL-2.0
/*
 * kml-scan.c - find privileged instructions in the code of an x86-64 ELF
 * file, before kml-stamp signs it.
 *
 * A linear sweep with capstone (64-bit mode, AT&T syntax, no detail: the
 * few decisions that need more than the instruction id read its bytes).
 * What is swept: every executable section (SHF_ALLOC|SHF_EXECINSTR, with
 * file bytes), each on its own, so no instruction is decoded across a
 * section boundary; without section headers (or when none is marked
 * executable: sections are not what the loader maps), every executable
 * PT_LOAD less the ELF and program headers and the notes, interpreter path,
 * dynamic section and unwind table that the program headers locate in it.
 * The sweep restarts at the start and at the end of every function symbol
 * (.symtab and .dynsym), so data or padding that put the decoder out of
 * step cannot hide the next function's first instructions, nor make up
 * instructions in it.  A byte the decoder cannot decode is skipped (and
 * counted), unless it starts one of the few privileged instructions newer
 * than capstone 4 (raw_rules below).
 *
 * What this cannot see - code generated or loaded at run time, code
 * reached by jumping into the middle of another instruction, code in a
 * section not marked executable - is listed in kml-stamp.1 and SECURITY.md.
 *
 * Every offset, size and count read from the file is checked against the
 * file before use; the fuzz target (tools/fuzz_scan.c) runs this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <gelf.h>
#include <libelf.h>

#include "kml-scan.h"

enum verdict { V_OK, V_NOTE, V_REFUSE };

/* Short reasons, shared by several instructions. */
#define R_PRIV	"privileged instruction"
#define R_VIRT	"virtualization instruction (at CPL 0 in a guest: a hypercall)"
#define R_IO	"port I/O"
#define R_FAR	"far control transfer: loads %cs"
#define R_RET3	"returns to another privilege level"

/*
 * The decision for one instruction (capstone id; @b/@n its bytes).
 * Documented, one row each, in tools/README.md.
 */
static enum verdict classify(unsigned int id, const uint8_t *b, size_t n,
			     const char **why)
{
	size_t i = 0;

	switch (id) {
	case X86_INS_CLI: case X86_INS_STI:
	case X86_INS_SWAPGS:
	case X86_INS_LGDT: case X86_INS_LIDT: case X86_INS_LLDT:
	case X86_INS_LTR: case X86_INS_LMSW: case X86_INS_CLTS:
	case X86_INS_RDMSR: case X86_INS_WRMSR:
	case X86_INS_INVLPG: case X86_INS_INVPCID: case X86_INS_INVD:
	case X86_INS_WBINVD: case X86_INS_XSETBV:
	case X86_INS_XSAVES: case X86_INS_XSAVES64:
	case X86_INS_XRSTORS: case X86_INS_XRSTORS64:
	case X86_INS_MONITOR: case X86_INS_MWAIT:
	case X86_INS_CLAC: case X86_INS_STAC:
	case X86_INS_RSM: case X86_INS_GETSEC: case X86_INS_ENCLS:
		*why = R_PRIV;
		return V_REFUSE;
	case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
		*why = R_IO;
		return V_REFUSE;
	case X86_INS_VMCALL: case X86_INS_VMCLEAR: case X86_INS_VMFUNC:
	case X86_INS_VMLAUNCH: case X86_INS_VMPTRLD: case X86_INS_VMPTRST:
	case X86_INS_VMREAD: case X86_INS_VMRESUME: case X86_INS_VMWRITE:
	case X86_INS_VMXOFF: case X86_INS_VMXON:
	case X86_INS_INVEPT: case X86_INS_INVVPID:
	case X86_INS_VMRUN: case X86_INS_VMLOAD: case X86_INS_VMSAVE:
	case X86_INS_VMMCALL: case X86_INS_STGI: case X86_INS_CLGI:
	case X86_INS_SKINIT: case X86_INS_INVLPGA:
		*why = R_VIRT;
		return V_REFUSE;
	case X86_INS_SYSRET: case X86_INS_SYSEXIT:
	case X86_INS_IRET: case X86_INS_IRETD: case X86_INS_IRETQ:
		*why = R_RET3;
		return V_REFUSE;
	case X86_INS_LJMP: case X86_INS_LCALL:
	case X86_INS_RETF: case X86_INS_RETFQ:
		*why = R_FAR;
		return V_REFUSE;
	case X86_INS_LSS:
		*why = "loads %ss";
		return V_REFUSE;
	case X86_INS_INT:
		*why = "software interrupt other than int3: at CPL 0 it enters any IDT vector";
		return V_REFUSE;
	case X86_INS_INTO:
	case X86_INS_INT1:
		*why = "debug or overflow trap other than int3";
		return V_REFUSE;
	case X86_INS_SYSENTER:
		*why = "enters the kernel's 32-bit system call entry";
		return V_REFUSE;
	case X86_INS_HLT:
		*why = "halts until the next interrupt (glibc's crash instruction: it does not fault at CPL 0)";
		return V_NOTE;
	case X86_INS_MOV:
		/* Past legacy and REX prefixes to the opcode. */
		while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf0 ||
				 b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
				 b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 ||
				 b[i] == 0x64 || b[i] == 0x65 ||
				 (b[i] & 0xf0) == 0x40))
			i++;
		if (i + 1 < n && b[i] == 0x8e && ((b[i + 1] >> 3) & 7) == 2) {
			*why = "loads %ss";
			return V_REFUSE;
		}
		if (i + 1 < n && b[i] == 0x0f && (b[i + 1] & 0xfc) == 0x20) {
			*why = b[i + 1] & 1 ? "debug register access" :
					      "control register access";
			return V_REFUSE;
		}
		return V_OK;
	default:
		return V_OK;
	}
}

/*
 * Privileged instructions that capstone 4 does not decode, by their bytes
 * (without further prefixes), tried where the decoder gave up.
 */
static const struct raw_rule {
	uint8_t len;
	uint8_t bytes[5];
	const char *name;
} raw_rules[] = {
	{ 3, { 0x0f, 0x01, 0xc5 }, "pconfig" },
	{ 3, { 0x0f, 0x01, 0xfe }, "invlpgb" },
	{ 3, { 0x0f, 0x01, 0xff }, "tlbsync" },
	{ 3, { 0x0f, 0x01, 0xc6 }, "wrmsrns" },
	{ 4, { 0xf2, 0x0f, 0x01, 0xc6 }, "rdmsrlist" },
	{ 4, { 0xf3, 0x0f, 0x01, 0xc6 }, "wrmsrlist" },
	{ 4, { 0xf3, 0x0f, 0x01, 0xe8 }, "setssbsy" },
	{ 4, { 0xf2, 0x0f, 0x01, 0xca }, "erets" },
	{ 4, { 0xf3, 0x0f, 0x01, 0xca }, "eretu" },
	{ 5, { 0xf3, 0x0f, 0x3a, 0xf0, 0xc0 }, "hreset" },
};

static const struct raw_rule *raw_match(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(raw_rules) / sizeof(raw_rules[0]); i++)
		if (raw_rules[i].len <= n &&
		    !memcmp(b, raw_rules[i].bytes, raw_rules[i].len))
			return &raw_rules[i];
	return NULL;
}

/* Length of the ModRM operand at @b (ModRM, SIB, displacement), 0 if cut. */
static size_t modrm_len(const uint8_t *b, size_t n)
{
	size_t l = 1;
	int mod, rm;

	if (n < 1)
		return 0;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod != 3 && rm == 4) {
		if (n < 2)
			return 0;
		l++;
		if (mod == 0 && (b[1] & 7) == 5)
			l += 4;
	} else if (mod == 0 && rm == 5) {
		l += 4;			/* RIP-relative */
	}
	l += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	return l <= n ? l : 0;
}

/*
 * Length of an instruction capstone 4 cannot decode but that is certainly
 * not privileged, or 0: VEX and EVEX encodings (AVX-512 mask and byte
 * operations that glibc's string functions use; no VEX or EVEX instruction
 * is privileged) and the CET shadow-stack reads (0f 1e /1, 0f ae /5).
 * Only the length matters: the sweep continues after it, in step.
 */
static size_t benign_len(const uint8_t *b, size_t n)
{
	size_t i = 0, l, op;
	unsigned int map;

	while (i < n && (b[i] == 0x67 || b[i] == 0x2e || b[i] == 0x36 ||
			 b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 ||
			 b[i] == 0x65))
		i++;
	if (i + 2 < n && b[i] == 0xc5) {
		map = 1;
		op = i + 2;
	} else if (i + 3 < n && b[i] == 0xc4) {
		map = b[i + 1] & 0x1f;
		op = i + 3;
	} else if (i + 4 < n && b[i] == 0x62) {
		map = b[i + 1] & 0x07;
		op = i + 4;
	} else {
		/* Legacy encoding: prefixes (66 f2 f3, REX), then 0f 1e / 0f ae. */
		while (i < n && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 ||
				 (b[i] & 0xf0) == 0x40))
			i++;
		if (i + 2 < n && b[i] == 0x0f &&
		    (b[i + 1] == 0x1e || b[i + 1] == 0xae)) {
			l = modrm_len(b + i + 2, n - i - 2);
			return l ? i + 2 + l : 0;
		}
		return 0;
	}
	if (map < 1 || map > 6 || map == 4 || op >= n)
		return 0;
	if (map == 1 && b[op] == 0x77)
		return op + 1;		/* vzeroupper, vzeroall: no ModRM */
	l = modrm_len(b + op + 1, n - op - 1);
	if (!l)
		return 0;
	l += op + 1;
	if (map == 3 || (map == 1 && ((b[op] >= 0x70 && b[op] <= 0x73) ||
				      (b[op] >= 0xc4 && b[op] <= 0xc6) ||
				      b[op] == 0xc2)))
		l++;			/* imm8 */
	return l <= n ? l : 0;
}

/* ------------------------------------------------------------------ */

struct sym {
	uint64_t addr, size;
	const char *name;	/* inside the image (libelf's string table) */
};

struct range {
	uint64_t off, len, vaddr;	/* file offset, bytes, address */
	char name[32];			/* section name or PT_LOAD[i] */
};

struct hole {
	uint64_t from, to;		/* file offsets, [from, to) */
};

struct scan {
	const char *path;
	const struct kml_scan_opts *o;
	struct kml_scan_stats st;
	csh cs;
	cs_insn *insn;
	struct sym *syms;
	size_t nsyms;
	struct hole *holes;
	size_t nholes;
};

static void fail(const struct kml_scan_opts *o, const char *path,
		 const char *what)
{
	fprintf(o->out ? o->out : stderr, "kml-stamp: %s: %s\n", path, what);
}

/* Prints @s (a name from the file) with anything unprintable as '?'. */
static void put_name(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		fputc(s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?', f);
	if (s[i])
		fputs("...", f);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* Function symbols of .symtab and .dynsym. */
static int load_syms(struct scan *s, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t cap = 0;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;	/* unreadable: scan without its names */
		n = d->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
		for (i = 0; i < n; i++) {
			GElf_Sym sy;
			const char *name;
			int t;

			if (!gelf_getsym(d, i, &sy))
				break;
			t = GELF_ST_TYPE(sy.st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) ||
			    sy.st_shndx == SHN_UNDEF || sy.st_value == 0)
				continue;
			name = elf_strptr(elf, sh.sh_link, sy.st_name);
			if (!name || !*name)
				continue;
			if (s->nsyms == cap) {
				struct sym *ns;

				cap = cap ? 2 * cap : 256;
				ns = realloc(s->syms, cap * sizeof(*ns));
				if (!ns)
					return -1;
				s->syms = ns;
			}
			s->syms[s->nsyms].addr = sy.st_value;
			s->syms[s->nsyms].size = sy.st_size;
			s->syms[s->nsyms].name = name;
			s->nsyms++;
		}
	}
	if (s->nsyms)
		qsort(s->syms, s->nsyms, sizeof(*s->syms), cmp_sym);
	return 0;
}

/* The function symbol that holds @a, if any. */
static const struct sym *sym_at(const struct scan *s, uint64_t a)
{
	size_t lo = 0, hi = s->nsyms, k, stop;
	const struct sym *best = NULL;

	while (lo < hi) {	/* first symbol above @a */
		size_t mid = lo + (hi - lo) / 2;

		if (s->syms[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Among those at or below @a, a sized one that covers it wins. */
	stop = lo > 64 ? lo - 64 : 0;
	for (k = lo; k > stop; k--) {
		const struct sym *y = &s->syms[k - 1];

		if (y->size && a - y->addr < y->size)
			return y;
		if (!best && !y->size && k == lo)
			best = y;	/* unsized and nearest: the best guess */
	}
	return best;
}

static void report(struct scan *s, const struct range *r, uint64_t rel,
		   const char *mnem, const char *ops, const char *why,
		   enum verdict v)
{
	FILE *f = s->o->out ? s->o->out : stderr;
	uint64_t va = r->vaddr + rel;
	const struct sym *y;

	if (v == V_REFUSE)
		s->st.findings++;
	else
		s->st.tolerated++;
	if (v == V_NOTE && !s->o->verbose)
		return;
	fprintf(f, "%s: offset 0x%llx: vaddr 0x%llx: ", s->path,
		(unsigned long long)(r->off + rel), (unsigned long long)va);
	y = sym_at(s, va);
	if (y)
		put_name(f, y->name, 200);
	else
		put_name(f, r->name, sizeof(r->name));
	fprintf(f, "+0x%llx: %s%s%s: %s (%s)\n",
		(unsigned long long)(y ? va - y->addr : rel), mnem,
		ops && *ops ? " " : "", ops ? ops : "", why,
		v == V_NOTE ? "tolerated" : s->o->allow ?
		"allowed by --allow-privileged" : "refused at CPL 0");
}

/* Decodes [rel, end) of @r, whose bytes start at @base. */
static void sweep(struct scan *s, const struct range *r, const uint8_t *base,
		  uint64_t rel, uint64_t end)
{
	const uint8_t *code = base + rel;
	size_t n = end - rel;
	uint64_t addr = r->vaddr + rel;

	while (n > 0) {
		const struct raw_rule *raw;
		const uint8_t *at = code;
		enum verdict v;
		const char *why;
		size_t len;

		if (cs_disasm_iter(s->cs, &code, &n, &addr, s->insn)) {
			s->st.insns++;
			v = classify(s->insn->id, at, code - at, &why);
			if (v != V_OK)
				report(s, r, at - base, s->insn->mnemonic,
				       s->insn->op_str, why, v);
			continue;
		}
		raw = raw_match(code, n);
		if (raw) {
			s->st.insns++;
			report(s, r, code - base, raw->name, NULL, R_PRIV,
			       V_REFUSE);
			len = raw->len;
		} else {
			len = benign_len(code, n);
			if (len) {
				s->st.insns++;
				s->st.length_only++;
			} else {
				s->st.undecodable++;
				len = 1;
			}
		}
		code += len;
		n -= len;
		addr += len;
	}
}

/*
 * Sweeps one range: restarts at every function start and end inside it,
 * jumps over the holes (file offsets that are not code).
 */
static int scan_range(struct scan *s, const struct range *r,
		      const uint8_t *base)
{
	uint64_t *pts = NULL, rel = 0;
	size_t np = 0, cap = 0, i, pi = 0;

	for (i = 0; i < s->nsyms; i++) {
		uint64_t a = s->syms[i].addr - r->vaddr;

		if (s->syms[i].addr < r->vaddr || a >= r->len)
			continue;
		if (np + 2 > cap) {
			uint64_t *n2;

			cap = cap ? 2 * cap : 64;
			n2 = realloc(pts, cap * sizeof(*n2));
			if (!n2) {
				free(pts);
				return -1;
			}
			pts = n2;
		}
		pts[np++] = a;
		if (s->syms[i].size && s->syms[i].size < r->len - a)
			pts[np++] = a + s->syms[i].size;
	}
	if (np)
		qsort(pts, np, sizeof(*pts), cmp_u64);

	s->st.ranges++;
	s->st.bytes += r->len;
	while (rel < r->len) {
		uint64_t end = r->len, h;
		int skipped = 0;

		while (pi < np && pts[pi] <= rel)
			pi++;
		if (pi < np)
			end = pts[pi];
		for (i = 0; i < s->nholes; i++) {
			const struct hole *ho = &s->holes[i];

			if (ho->from <= r->off + rel && r->off + rel < ho->to) {
				h = ho->to - r->off;
				rel = h < r->len ? h : r->len;
				skipped = 1;
				break;
			}
			if (ho->from > r->off + rel && ho->from - r->off < end)
				end = ho->from - r->off;
		}
		if (skipped)
			continue;
		sweep(s, r, base, rel, end);
		rel = end;
	}
	free(pts);
	return 0;
}

static int add_hole(struct scan *s, uint64_t off, uint64_t len)
{
	struct hole *nh = realloc(s->holes, (s->nholes + 1) * sizeof(*nh));

	if (!nh)
		return -1;
	s->holes = nh;
	s->holes[s->nholes].from = off;
	s->holes[s->nholes].to = len > UINT64_MAX - off ? UINT64_MAX : off + len;
	s->nholes++;
	return 0;
}

/* Without section headers: the executable PT_LOADs, less what is not code. */
static int scan_segments(struct scan *s, Elf *elf, const uint8_t *data,
			 size_t size)
{
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;

	if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &n) != 0) {
		fail(s->o, s->path, "cannot scan: damaged ELF or program headers");
		return -1;
	}
	if (add_hole(s, 0, eh.e_ehsize) ||
	    add_hole(s, eh.e_phoff, (uint64_t)n * eh.e_phentsize))
		return -1;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type == PT_NOTE || ph.p_type == PT_INTERP ||
		    ph.p_type == PT_DYNAMIC || ph.p_type == PT_GNU_EH_FRAME)
			if (add_hole(s, ph.p_offset, ph.p_filesz))
				return -1;
	}
	s->st.segments = 1;
	for (i = 0; i < n; i++) {
		struct range r;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || ph.p_filesz == 0)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset) {
			fail(s->o, s->path, "cannot scan: an executable segment lies past the end of the file");
			return -1;
		}
		r.off = ph.p_offset;
		r.len = ph.p_filesz;
		r.vaddr = ph.p_vaddr;
		snprintf(r.name, sizeof(r.name), "PT_LOAD[%zu]", i);
		if (scan_range(s, &r, data + r.off)) {
			fail(s->o, s->path, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int scan_sections(struct scan *s, Elf *elf, const uint8_t *data,
			 size_t size)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		shstrndx = 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		const char *name;
		struct range r;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh)) {
			fail(s->o, s->path, "cannot scan: damaged section header");
			return -1;
		}
		if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0 ||
		    (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
		    (SHF_ALLOC | SHF_EXECINSTR))
			continue;
		if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset) {
			fail(s->o, s->path, "cannot scan: an executable section lies past the end of the file");
			return -1;
		}
		name = shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		snprintf(r.name, sizeof(r.name), "%s",
			 name && *name ? name : "(unnamed section)");
		r.off = sh.sh_offset;
		r.len = sh.sh_size;
		r.vaddr = sh.sh_addr;
		if (scan_range(s, &r, data + r.off)) {
			fail(s->o, s->path, "out of memory");
			return -1;
		}
	}
	return 0;
}

long kml_scan(const char *path, const unsigned char *data, size_t size,
	      const struct kml_scan_opts *o, struct kml_scan_stats *st)
{
	struct scan s = { .path = path, .o = o };
	size_t nsec = 0;
	long ret = -1;
	int err;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		fail(o, path, "libelf is too old");
		return -1;
	}
	/* Native byte order only: libelf then never writes to @data. */
	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) ||
	    data[EI_CLASS] != ELFCLASS64 || data[EI_DATA] != ELFDATA2LSB) {
		fail(o, path, "cannot scan: not a little-endian ELF64 file");
		return -1;
	}
	elf = elf_memory((char *)data, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    gelf_getclass(elf) != ELFCLASS64) {
		fail(o, path, "cannot scan: not an ELF64 file");
		goto out;
	}
	{
		GElf_Ehdr eh;

		if (!gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64) {
			fail(o, path, "cannot scan: not an x86-64 ELF file");
			goto out;
		}
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s.cs) != CS_ERR_OK) {
		fail(o, path, "cannot start the disassembler (capstone)");
		goto out;
	}
	cs_option(s.cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	s.insn = cs_malloc(s.cs);
	if (!s.insn || load_syms(&s, elf)) {
		fail(o, path, "out of memory");
		goto out_cs;
	}
	if (elf_getshdrnum(elf, &nsec) != 0)
		nsec = 0;
	/*
	 * Sections that claim no code at all (none marked executable) say
	 * nothing about what the loader maps executable: sweep the segments.
	 */
	err = nsec > 1 ? scan_sections(&s, elf, data, size) : 0;
	if (!err && s.st.ranges == 0)
		err = scan_segments(&s, elf, data, size);
	if (!err)
		ret = (long)s.st.findings;
	if (ret >= 0 && o->verbose)
		fprintf(o->out ? o->out : stderr,
			"%s: scanned %llu bytes in %llu %s, %llu instructions (%llu by length only), %llu bytes undecodable, %llu refused, %llu tolerated\n",
			path, s.st.bytes, s.st.ranges,
			s.st.segments ? "segments" : "sections", s.st.insns,
			s.st.length_only, s.st.undecodable, s.st.findings,
			s.st.tolerated);
out_cs:
	if (s.insn)
		cs_free(s.insn, 1);
	cs_close(&s.cs);
out:
	if (st)
		*st = s.st;
	free(s.syms);
	free(s.holes);
	if (elf)
		elf_end(elf);
	return ret;
}

long kml_scan_file(const char *path, const struct kml_scan_opts *o,
		   struct kml_scan_stats *st)
{
	struct stat sb;
	void *map;
	long ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "kml-stamp: %s: cannot open: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		fail(o, path, "cannot scan: not a regular, non-empty file");
		close(fd);
		return -1;
	}
	map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "kml-stamp: %s: cannot map: %s\n", path,
			strerror(errno));
		return -1;
	}
	ret = kml_scan(path, map, sb.st_size, o, st);
	munmap(map, sb.st_size);
	return ret;
}
