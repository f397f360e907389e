// SPDX-License-Identifier: GPL-2.0
/*
 * hello - the first KML program to read.
 *
 * Prints the privilege level its own code runs at (the low two bits of %cs)
 * and what the kernel decided about its stamp (the "Kml:" line of
 * /proc/self/status).  Build, stamp, run:
 *
 *   cc -O2 -o hello hello.c -Wl,-T,elfnote/kml.ld
 *   kml-stamp --key kml-signing.pem hello
 *   ./hello
 */
#include <stdio.h>
#include <string.h>

static int kml_status(void)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Kml: %d", &v) == 1)
			break;
	fclose(f);
	return v;	/* -1: this kernel has no KML */
}

int main(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf("hello: running in ring %d, Kml: %d\n", cs & 3, kml_status());
	return 0;
}
