// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_scan.c - libFuzzer target for kml-stamp's privileged-instruction
 * scan (tools/kml-scan.c): the input is taken as a whole file.
 *
 * Besides crashes, out-of-bounds reads (ASan) and undefined behaviour
 * (UBSan), it checks the scan's own accounting: a file is either refused
 * with a reason (-1) or scanned, and then every finding is an instruction
 * that was decoded, no more instructions than bytes were swept, and the
 * result is the number of findings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "kml-scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct kml_scan_stats st;
	struct kml_scan_opts o = { .verbose = 1 };
	long n;

	if (!sink)
		sink = fopen("/dev/null", "w");
	o.out = sink;
	n = kml_scan("fuzz", data, size, &o, &st);
	if (n < -1)
		abort();
	if (n >= 0 && ((unsigned long long)n != st.findings ||
		       st.findings + st.tolerated > st.insns ||
		       st.insns > st.bytes || st.length_only > st.insns))
		abort();
	return 0;
}
