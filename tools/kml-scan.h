/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml-scan.h - find instructions in the code of an x86-64 ELF file that a
 * program must not execute at CPL 0 (the table is in kml-scan.c and
 * tools/README.md).  Used by kml-stamp before it signs, by
 * kml-stamp --scan, and by the fuzz target tools/fuzz_scan.c.
 */
#ifndef KML_SCAN_H
#define KML_SCAN_H

#include <stddef.h>
#include <stdio.h>

struct kml_scan_opts {
	int allow;	/* --allow-privileged: findings say "allowed" */
	int verbose;	/* also print tolerated instructions and a summary */
	FILE *out;	/* where the diagnostics go (stderr if NULL) */
};

struct kml_scan_stats {
	unsigned long long ranges;	/* code ranges swept */
	unsigned long long bytes;	/* bytes in them */
	unsigned long long insns;	/* instructions decoded */
	unsigned long long length_only;	/* of which only the length (VEX/EVEX) */
	unsigned long long undecodable;	/* bytes the decoder skipped */
	unsigned long long findings;	/* refused instructions */
	unsigned long long tolerated;	/* noted, not refused (hlt) */
	int segments;			/* 1: PT_LOADs swept (no section marked code) */
};

/*
 * Sweeps the executable sections of the ELF image @data (@size bytes;
 * read only) - or, without section headers, its executable PT_LOADs - and
 * prints one line per refused instruction:
 *   PATH: offset 0x..: vaddr 0x..: SYMBOL+0x..: INSN: REASON (refused at CPL 0)
 * Returns the number of findings (>= 0), or -1 when the file cannot be
 * scanned (the reason printed as "kml-stamp: PATH: ...").  @st may be NULL.
 */
long kml_scan(const char *path, const unsigned char *data, size_t size,
	      const struct kml_scan_opts *o, struct kml_scan_stats *st);

/* The same for a file on disk (kml-stamp --scan). */
long kml_scan_file(const char *path, const struct kml_scan_opts *o,
		   struct kml_scan_stats *st);

#endif /* KML_SCAN_H */
