// SPDX-License-Identifier: GPL-2.0
/*
 * kml-preload.so - announces itself when the dynamic loader maps it, as an
 * LD_PRELOAD object (the constructor) or as an LD_AUDIT module (the
 * constructor, and la_version so that ld.so keeps it).  kml_policy_test
 * checks that a stamped program (AT_SECURE) loads neither.
 *
 * Built with -nostdlib: no libc, no dependency to look up.  ld.so loads an
 * audit module into a namespace of its own, and in the guest (no
 * ld.so.cache) it does not find libc.so.6 for it.
 */
#include <sys/syscall.h>

unsigned int la_version(unsigned int version);

__attribute__((constructor)) static void kml_preloaded(void)
{
	static const char msg[] = "KML-PRELOADED\n";
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_write), "D"(2L), "S"(msg), "d"(sizeof(msg) - 1)
			 : "rcx", "r11", "memory");
	(void)ret;
}

unsigned int la_version(unsigned int version)
{
	return version;
}
