// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_addnote.c - libFuzzer target for kml-stamp --add-note's rewriting
 * (tools/kml-addnote.c), in memory.
 *
 * Every input is either refused with a reason or rewritten; a rewritten
 * image must pass the independent layout check (kml_addnote_check), keep
 * every input byte but e_phoff and e_phnum, carry every old program header
 * (PT_PHDR moved) plus exactly one PT_LOAD and one PT_NOTE, and libelf
 * must not have written into the input.  Any of these failing, a crash,
 * an out-of-bounds access (ASan) or undefined behaviour (UBSan) is a bug.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kml-addnote.h"

/* Images larger than this are planned and checked but not built. */
#define MAX_IMAGE	(16u << 20)

static int same_phdr(const unsigned char *a, const unsigned char *b)
{
	return !memcmp(a, b, sizeof(Elf64_Phdr));
}

/* Every old entry but PT_PHDR is in the new table, unchanged. */
static void check_table(const unsigned char *in, const unsigned char *out)
{
	const Elf64_Ehdr *oe = (const void *)in, *ne = (const void *)out;
	unsigned int i, j, hits;

	if (ne->e_phnum != oe->e_phnum + 2)
		abort();
	for (i = 0; i < oe->e_phnum; i++) {
		const unsigned char *o = in + oe->e_phoff + i * sizeof(Elf64_Phdr);
		Elf64_Phdr ph;

		memcpy(&ph, o, sizeof(ph));
		if (ph.p_type == PT_PHDR)
			continue;
		for (j = 0, hits = 0; j < ne->e_phnum; j++)
			hits += same_phdr(o, out + ne->e_phoff + j * sizeof(Elf64_Phdr));
		if (!hits)
			abort();	/* an old program header was lost */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kml_addnote_plan p;
	char why[KML_AN_WHY] = "";
	unsigned char *in = malloc(size ? size : 1), *out;
	size_t i;

	if (!in)
		return 0;
	memcpy(in, data, size);
	if (kml_addnote_plan(in, size, &p, why) == 0) {
		if (p.seg_off < size || p.seg_off % 4096 ||
		    p.new_size != p.seg_off + p.seg_size || size < sizeof(Elf64_Ehdr))
			abort();
		if (p.new_size <= MAX_IMAGE) {
			out = kml_addnote_image(in, &p);
			if (!out)
				abort();
			if (kml_addnote_check(out, p.new_size, why))
				abort();	/* the planner made a bad layout */
			for (i = 0; i < size; i++) {
				if (i >= offsetof(Elf64_Ehdr, e_phoff) &&
				    i < offsetof(Elf64_Ehdr, e_phoff) + 8)
					continue;
				if (i >= offsetof(Elf64_Ehdr, e_phnum) &&
				    i < offsetof(Elf64_Ehdr, e_phnum) + 2)
					continue;
				if (out[i] != in[i])
					abort();	/* an input byte changed */
			}
			check_table(in, out);
			/* The result is not rewritten again: it has a note now. */
			kml_addnote_free(&p);
			if (kml_addnote_plan(out, p.new_size, &p, why) == 0)
				abort();
			free(out);
		}
		kml_addnote_free(&p);
	} else if (!why[0]) {
		abort();	/* every refusal comes with a reason */
	}
	if (memcmp(in, data, size))
		abort();	/* the input was written to */
	free(in);
	return 0;
}
