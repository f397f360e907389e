// SPDX-License-Identifier: GPL-2.0
/*
 * kml_privinsn.c - one tiny function per instruction that kml-stamp's scan
 * decides about (tools/README.md has the table).  None of them is ever
 * called: main() only prints where it runs.
 *
 *   refuse_*  must each give exactly one "refused at CPL 0" line;
 *   note_*    tolerated: listed only with --verbose, never refused;
 *   allow_*   must give no line at all.
 *
 * The host test (selftests/host/test-kml-scan.sh) holds the expected
 * instruction and reason of each refuse_* function and checks that every
 * function here is in its table.  In the guest the file is stamped with
 * --allow-privileged (/kml/privinsn): the kernel must log that at exec.
 */
#include "kml_status.h"

#define F(name, text)							\
	__attribute__((used, noinline)) void name(void)			\
	{								\
		__asm__ volatile(text);					\
	}

F(refuse_cli, "cli")
F(refuse_sti, "sti")
F(refuse_swapgs, "swapgs")
F(refuse_sysret, "sysretq")
F(refuse_sysexit, "sysexitq")
F(refuse_iret, "iretq")
F(refuse_lgdt, "lgdt (%rsp)")
F(refuse_lidt, "lidt (%rsp)")
F(refuse_lldt, "lldt %ax")
F(refuse_ltr, "ltr %ax")
F(refuse_mov_to_cr0, "mov %rax, %cr0")
F(refuse_mov_from_cr3, "mov %cr3, %rax")
F(refuse_mov_to_cr4, "mov %rax, %cr4")
F(refuse_mov_to_dr7, "mov %rax, %dr7")
F(refuse_mov_from_dr6, "mov %dr6, %rax")
F(refuse_wrmsr, "wrmsr")
F(refuse_rdmsr, "rdmsr")
F(refuse_invlpg, "invlpg (%rsp)")
F(refuse_invpcid, "invpcid (%rsp), %rax")
F(refuse_in_imm, "in $0x60, %al")
F(refuse_in_dx, "in %dx, %eax")
F(refuse_out_imm, "out %al, $0x80")
F(refuse_out_dx, "out %ax, %dx")
F(refuse_insb, "insb")
F(refuse_outsl, "outsl")
F(refuse_int_80, "int $0x80")
F(refuse_int_3_long, ".byte 0xcd, 0x03")	/* int $3, not the one-byte int3 */
F(refuse_int1, "int1")
F(refuse_ljmp, "ljmp *(%rsp)")
F(refuse_lcall, "lcall *(%rsp)")
F(refuse_lret, "lretl")
F(refuse_lretq, "lretq")
F(refuse_mov_ss, "mov %ax, %ss")
F(refuse_lss, "lss (%rsp), %eax")
F(refuse_xsetbv, "xsetbv")
F(refuse_wbinvd, "wbinvd")
F(refuse_invd, "invd")
F(refuse_clts, "clts")
F(refuse_lmsw, "lmsw %ax")
F(refuse_sysenter, "sysenter")
F(refuse_vmcall, "vmcall")
F(refuse_vmmcall, "vmmcall")
F(refuse_vmxon, "vmxon (%rsp)")
F(refuse_vmfunc, "vmfunc")
F(refuse_monitor, "monitor")
F(refuse_mwait, "mwait")
F(refuse_xsaves, "xsaves (%rsp)")
F(refuse_xrstors, "xrstors (%rsp)")
F(refuse_clac, "clac")
F(refuse_stac, "stac")
F(refuse_rsm, "rsm")
F(refuse_getsec, "getsec")
F(refuse_invlpgb, ".byte 0x0f, 0x01, 0xfe")	/* newer than capstone 4 */
F(refuse_pconfig, ".byte 0x0f, 0x01, 0xc5")

F(note_hlt, "hlt")

F(allow_int3, "int3")
F(allow_ud2, "ud2")
F(allow_syscall, "syscall")
F(allow_rdtsc, "rdtsc")
F(allow_rdtscp, "rdtscp")
F(allow_rdpmc, "rdpmc")
F(allow_cpuid, "cpuid")
F(allow_smsw, "smsw %ax")
F(allow_sgdt, "sgdt (%rsp)")
F(allow_sidt, "sidt (%rsp)")
F(allow_sldt, "sldt %ax")
F(allow_str, "str %ax")
F(allow_wrfsbase, "wrfsbase %rax")
F(allow_wrgsbase, "wrgsbase %rax")
F(allow_rdgsbase, "rdgsbase %rax")
F(allow_popf, "pushf; popf")
F(allow_mov_ds, "mov %ax, %ds")
F(allow_mov_fs, "mov %ax, %fs")
F(allow_pop_gs, "push %gs; pop %gs")
F(allow_read_ss, "mov %ss, %ax")
F(allow_xgetbv, "xgetbv")
F(allow_xsavec, "xsavec (%rsp)")
F(allow_xrstor, "xrstor (%rsp)")
F(allow_endbr64, "endbr64")
F(allow_notrack, "notrack jmp *%rax")
F(allow_pause, "pause")
/*
 * Encodings capstone 4 cannot decode; their bytes hold 0xfb (sti) and
 * 0xfa (cli): a sweep that lost step here would report them.
 */
F(allow_kmovd, "kmovd %k2, %edx")
F(allow_evex, "vpcmpeqb 0x20(%rdi), %ymm16, %k0; kortestd %k2, %k3")

/*
 * Data in code: desync_data is one byte, the opcode of "mov $imm32, %eax",
 * right before refuse_after_data.  A sweep that did not restart at the
 * next symbol would take refuse_after_data's cli for that immediate.
 */
__asm__(".text\n"
	".globl desync_data\n.type desync_data, @function\n"
	"desync_data:\n.byte 0xb8\n.size desync_data, 1\n"
	".globl refuse_after_data\n.type refuse_after_data, @function\n"
	"refuse_after_data:\ncli\nret\n.size refuse_after_data, 2\n");

int main(void)
{
	printf("privinsn: running in ring %d, Kml: %d\n", kml_ring(),
	       kml_status());
	return 0;
}
