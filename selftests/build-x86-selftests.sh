#!/bin/bash
# build-x86-selftests.sh KTREE OUTDIR KML_LD - the kernel's own x86
# selftests (tools/testing/selftests/x86), 64-bit, built standalone with
# the KML note reserved (the guest's x86-selftests suite runs each one
# unstamped and stamped and compares).  Static, so that the guest needs no
# library.  The list is the 64-bit half of that directory's Makefile; the
# programs that need 32-bit support or features this machine lacks say so
# themselves at run time (SKIP), in both copies alike.  Left out:
# sysret_ss_attrs, whose far return to a 32-bit user segment QEMU's TCG
# (7.2) emulates with a supervisor read of the user stack, which SMAP
# faults and the unmodified kernel oopses on - already in the ring-3 copy.
set -euo pipefail
ktree=$1 out=$2 kmlld=$3
src=$ktree/tools/testing/selftests/x86
progs="single_step_syscall syscall_nt test_mremap_vdso
	check_initial_reg_state sigreturn iopl ioperm test_vsyscall mov_ss_trap
	sigtrap_loop syscall_arg_fault fsgsbase_restore sigaltstack nx_stack
	fsgsbase sysret_rip syscall_numbering corrupt_xstate_header amx lam"
mkdir -p "$out"
for p in $progs; do
	extra=()
	case $p in
	fsgsbase_restore|sysret_rip) extra=("$src/clang_helpers_64.S") ;;
	check_initial_reg_state) extra=(-Wl,-ereal_start) ;;
	nx_stack) extra=(-Wl,-z,noexecstack) ;;
	esac
	gcc -m64 -O2 -g -std=gnu99 -pthread -Wall -no-pie -static -DCAN_BUILD_64 \
		-o "$out/$p.tmp" "$src/$p.c" "${extra[@]}" -lrt -ldl -Wl,-T,"$kmlld"
	mv "$out/$p.tmp" "$out/$p"
done
echo "$progs" | tr -s ' \t\n' '\n' | sed '/^$/d' > "$out/list"
