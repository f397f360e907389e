// SPDX-License-Identifier: GPL-2.0
/*
 * kml_pkg_probe - a program built the way a user of the kml-tools package
 * builds one: cc $(pkg-config --cflags --libs kml), the package's headers
 * and kml.ld only, stamped by the package's kml-stamp (see the Makefile).
 *
 * Prints one line, "pkg-probe: ring R kml K direct D getppid G", where R is
 * the privilege level of its code (%cs), K the kernel's "Kml:" verdict, D
 * whether the direct system call entry of kml_syscall.h is offered, and G
 * "ok" when getppid() through kml_syscall0() returns what libc's does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <kml_note.h>		/* from pkg-config --cflags kml */
#include <kml_syscall.h>

int main(void)
{
	char line[256];
	unsigned short cs;
	int kml = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Kml: %d", &kml) == 1)
			break;
	if (f)
		fclose(f);
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf("pkg-probe: ring %d kml %d direct %d getppid %s note %s\n", cs & 3, kml,
	       kml_direct_available(),
	       kml_syscall0(SYS_getppid) == getppid() ? "ok" : "BAD",
	       strcmp(KML_NOTE_NAME, "KML") ? "BAD" : "ok");
	return 0;
}
