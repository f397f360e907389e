/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_KERNEL_AUXVEC_H
#define _ASM_X86_KERNEL_AUXVEC_H
/*
 * The kernel's <asm/auxvec.h>: the UAPI header, plus room for the one more
 * ARCH_DLINFO entry that KML tasks get on x86-64 (AT_SYSINFO, asm/elf.h).
 * It lives here because a UAPI header must not test CONFIG_* options:
 * headers_install (and so bindeb-pkg's linux-libc-dev) refuses them.
 */
#include <uapi/asm/auxvec.h>

#if defined(CONFIG_KML) && AT_VECTOR_SIZE_ARCH < 3
# undef AT_VECTOR_SIZE_ARCH
# define AT_VECTOR_SIZE_ARCH 3
#endif

#endif /* _ASM_X86_KERNEL_AUXVEC_H */
