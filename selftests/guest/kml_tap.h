/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_tap.h - kselftest-style TAP output for the guest test programs: one
 * "ok N ..." / "not ok N ..." line per check, counted in ntest and nfail
 * (the program prints the plan and picks its exit status from them).
 */
#ifndef KML_TAP_H
#define KML_TAP_H
#include <stdarg.h>
#include <stdio.h>

static int ntest, nfail;

static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		nfail++;
}
#endif /* KML_TAP_H */
