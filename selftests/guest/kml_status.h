/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kml_status.h - what the guest test programs share: the KML verdict on
 * the calling process ("Kml:" in /proc/self/status; -1 on a kernel
 * without KML) and the privilege level its code runs at.
 * (samples/hello.c keeps its own copy: a sample must stand alone.)
 */
#ifndef KML_STATUS_H
#define KML_STATUS_H
#include <stdio.h>

/* "Kml:" of the process whose status file is PATH; -1 if absent. */
static inline int kml_status_of(const char *path)
{
	char line[256];
	int v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Kml: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

static inline int kml_status(void)
{
	return kml_status_of("/proc/self/status");
}

static inline int kml_ring(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
#endif
