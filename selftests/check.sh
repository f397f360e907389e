#!/bin/bash
# check.sh - run every test suite and print "N passed, N failed".
#
# Suites (each writes TAP to build/logs/<suite>.tap):
#   host-kml-stamp   kml.ld, kml_note.S and kml-stamp on the host
#   host-kml-scan    kml-stamp's privileged-instruction scan on the host
#   host-add-note    kml-stamp --add-note on the host
#   host-fuzz        short libFuzzer runs of the note walker, the scan and
#                    --add-note's rewriting
#   host-config, host-package, host-pkcs11
#                    the KML config for a real machine, the kml-tools .deb,
#                    kml-stamp --key pkcs11:
#   host-headers     make headers_install of the KML kernel
#   host-series      build/linux is the patch series; each patch, exported
#                    with git format-patch, is checkpatch --strict clean
#   guest-*          the suites run inside the QEMU guest (selftests/guest)
#   guest-kernel     the guest booted, powered off in time, and its console
#                    shows no oops, BUG, WARNING or panic
# A suite that printed fewer results than its plan counts the missing ones
# as failures; a suite that printed no plan counts as one failure.
# Exit status: 0 only when nothing failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
LOGS=$B/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export STAMP=$B/tools/kml-stamp KEY=${KML_KEY:-$B/keys/kml-signing.pem}
export CERT=$B/keys/trusted.crt UNTRUSTED_KEY=$B/keys/untrusted.pem
GUEST_SUITES="first-exec env exec-stamp seeds ring0-static ring0-dyn ring3-control stress bench-smoke bash ptrace fastpath fastpath-control boundary boundary-control ist-nest x86-selftests pkg privileged observe policy stress-ng"
GUEST_TIMEOUT=${GUEST_TIMEOUT:-600}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-30}
FUZZ_ADDNOTE_SECONDS=${FUZZ_ADDNOTE_SECONDS:-10}
# What a healthy kernel never prints.
KTROUBLE='Oops|BUG:|WARNING:|Kernel panic|general protection fault,|Call Trace:|UBSAN:|KASAN:|possible recursive locking|INFO: task .* blocked|detected stalls on CPUs|self-detected stall'

echo "== host: kml-stamp, kml.ld"
"$top/selftests/host/test-kml-stamp.sh" > "$LOGS/host-kml-stamp.tap" 2> "$LOGS/host-kml-stamp.err"

echo "== host: kml-stamp's privileged-instruction scan"
STAMP_ASAN=$B/tools-asan/kml-stamp GUEST_DIR=$B/guest/kml \
	"$top/selftests/host/test-kml-scan.sh" > "$LOGS/host-kml-scan.tap" 2> "$LOGS/host-kml-scan.err"

echo "== host: kml-stamp --add-note"
STAMP_ASAN=$B/tools-asan/kml-stamp GUEST_KML=$B/guest/kml \
	"$top/selftests/host/test-add-note.sh" > "$LOGS/host-add-note.tap" 2> "$LOGS/host-add-note.err"

echo "== host: fuzzing the note walker and the scan for ${FUZZ_SMOKE_SECONDS}s each, --add-note for ${FUZZ_ADDNOTE_SECONDS}s"
{
	echo "1..3"
	i=0
	for f in notewalk scan addnote; do
		i=$((i + 1))
		secs=$FUZZ_SMOKE_SECONDS seeds=("$top/selftests/fuzz-corpus")
		if [ $f = addnote ]; then
			secs=$FUZZ_ADDNOTE_SECONDS
			seeds=("$top/selftests/fuzz-corpus-addnote" "$top/selftests/fuzz-corpus")
		fi
		mkdir -p "$B/fuzz/corpus-$f"
		if "$B/fuzz/fuzz_$f" -max_total_time="$secs" -max_len=16384 \
			-print_final_stats=1 "$B/fuzz/corpus-$f" "${seeds[@]}" \
			> "$LOGS/fuzz-$f.log" 2>&1; then
			runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/fuzz-$f.log")
			echo "ok $i fuzz_$f: $runs executions, no crash"
		else
			echo "not ok $i fuzz_$f crashed (see build/logs/fuzz-$f.log)"
		fi
	done
} > "$LOGS/host-fuzz.tap"

taps=("$LOGS/host-kml-stamp.tap" "$LOGS/host-kml-scan.tap" "$LOGS/host-add-note.tap"
	"$LOGS/host-fuzz.tap")

# Installing on a real machine: the host kernel config (from Debian's stock
# config), the kml-tools package, kml-stamp with a PKCS#11 token.
for s in host-config package pkcs11; do
	echo "== host: $s"
	"$top/selftests/host/test-$s.sh" > "$LOGS/host-$s.tap" 2> "$LOGS/host-$s.err"
	taps+=("$LOGS/host-$s.tap")
done

# The KML kernel's UAPI headers install cleanly (no CONFIG_* test, no KML).
echo "== host: headers_install"
"$top/selftests/host/test-headers.sh" "$B/linux" "$B/kobj" > "$LOGS/host-headers.tap" 2> "$LOGS/host-headers.err"
taps+=("$LOGS/host-headers.tap")

echo "== host: the kernel patch series (kml-tree.sh status, checkpatch --strict per patch)"
"$top/selftests/host/test-series.sh" "$B/linux" "$B/series" > "$LOGS/host-series.tap" 2> "$LOGS/host-series.err"
taps+=("$LOGS/host-series.tap")

# qemu_boot NAME MODE KERNEL INITRD [kml-qemu options...]: one guest boot in
# kml-qemu --mode MODE; its console in $LOGS/NAME-console.txt (CRs dropped);
# returns kml-qemu's exit status (124: timeout).
qemu_boot() {
	local name=$1 mode=$2 kernel=$3 initrd=$4 rc
	shift 4
	"$top/tools/kml-qemu" --mode "$mode" --timeout "$GUEST_TIMEOUT" "$@" \
		--log "$LOGS/$name-console.log" "$kernel" "$initrd" > /dev/null 2>>"$LOGS/qemu.err"
	rc=$?
	tr -d '\r' < "$LOGS/$name-console.log" > "$LOGS/$name-console.txt" 2>/dev/null ||
		: > "$LOGS/$name-console.txt"
	return $rc
}

# boot_guest NAME KERNEL "SUITES" [KERNEL-ARGS [SMP [MEM]]]: boots KERNEL with
# the test initramfs ($INITRD, default build/initramfs.cpio.gz) on SMP CPUs (2)
# and MEM memory (1G), splits each suite's TAP out of the console
# log into NAME-<suite>.tap, and judges the boot itself in NAME-kernel.tap:
# reached /init, powered off in time, nothing in KTROUBLE, every suite ran
# to its end.
boot_guest() {
	local name=$1 kernel=$2 suites=$3 args=${4:-} smp=${5:-2} mem=${6:-1G}
	local rc s missing bad con initrd=${INITRD:-$B/initramfs.cpio.gz}
	con=$LOGS/$name-console.txt
	echo "== guest ($name): booting $kernel in QEMU (-smp $smp -m $mem -cpu max${args:+, $args})"
	qemu_boot "$name" check "$kernel" "$initrd" --smp "$smp" --mem "$mem" \
		${args:+--append "$args"} ${BOOT_OPTS:-}
	rc=$?
	for s in $suites; do
		sed -n "/^==== KML-SUITE $s ====\$/,/^==== KML-END $s ====\$/p" "$con" \
			| sed '1d;$d' | grep -v '^==== KML-EXIT ' > "$LOGS/$name-$s.tap"
		taps+=("$LOGS/$name-$s.tap")
	done
	{
		echo "1..5"
		grep -q "kml-guest: up" "$con" && echo "ok 1 $name: booted to /init" \
			|| echo "not ok 1 $name: booted to /init"
		if [ $rc -eq 0 ] && grep -q "kml-guest: powering off" "$con"; then
			echo "ok 2 $name: finished and powered off (no hang)"
		else
			echo "not ok 2 $name: finished and powered off (qemu exit $rc; 124 = timeout)"
		fi
		bad=$(grep -nE "$KTROUBLE" "$con" | head -5)
		if [ -z "$bad" ]; then
			echo "ok 3 $name: no oops, BUG, WARNING or panic on the console"
		else
			echo "not ok 3 $name: kernel trouble on the console:"; echo "$bad" | sed 's/^/#   /'
		fi
		missing=
		for s in $suites; do
			grep -q "^==== KML-END $s ====\$" "$con" || missing+=" $s"
		done
		[ -z "$missing" ] && echo "ok 4 $name: every guest suite ran to its end" \
			|| echo "not ok 4 $name: guest suites missing or cut short:$missing"
		# A test program that fails without a "not ok" line (it crashed
		# between tests, or its harness counted a failure it did not
		# print) still fails its suite.
		bad=
		for s in $suites; do
			st=$(sed -n "s/^==== KML-EXIT $s \([0-9]*\) ====\$/\1/p" "$con")
			[ -z "$st" ] || [ "$st" = 0 ] || bad+=" $s (exit $st)"
		done
		[ -z "$bad" ] && echo "ok 5 $name: every guest suite's program exited 0" \
			|| echo "not ok 5 $name: guest suites whose program exited non-zero:$bad"
	} > "$LOGS/$name-kernel.tap"
	taps+=("$LOGS/$name-kernel.tap")
}

kml_kernel=${KML_KERNEL:-$B/kobj/arch/x86/boot/bzImage}
# The two full boots carry Debian's stress-ng & co. (initramfs-full), the
# small-memory ones below only the base image.
INITRD=$B/initramfs-full.cpio.gz boot_guest guest "$kml_kernel" "$GUEST_SUITES"
# Every suite again with page-table isolation forced on (QEMU's -cpu max is
# AMD-flavoured: PTI is off unless asked for).
INITRD=$B/initramfs-full.cpio.gz boot_guest pti "$kml_kernel" "$GUEST_SUITES" pti=on
{
	echo "1..1"
	grep -q "page tables isolation: enabled" "$LOGS/pti-console.txt" \
		&& echo "ok 1 pti: the guest kernel reports page table isolation enabled" \
		|| echo "not ok 1 pti: the guest kernel reports page table isolation enabled"
} > "$LOGS/pti-active.tap"
taps+=("$LOGS/pti-active.tap")
# One CPU: a ring-0 infinite loop must not starve the rest of the system;
# 256 MB and zram swap: a ring-0 process is paged out and back in.
boot_guest cpu1 "$kml_kernel" "cpu1-seeds cpu1-spin cpu1-paging" kmltests=cpu1 1 256M
# kml=off on the command line: every stamped program runs in ring 3 and
# kernel.kml.allow cannot be raised.
boot_guest kmloff "$kml_kernel" kmloff "kmltests=kmloff kml=off" 1 256M
# Kernel text patched (static keys flipped by a BPF attach, a trace event)
# while a ring-0 program runs through the patched code, and the unstamped
# copy as the control.  Single-threaded TCG (-icount): multi-threaded TCG
# (QEMU 7.2) can run a stale translation of the patched bytes after the
# patcher's cross-CPU sync (selftests/README.md, "text patching").
BOOT_OPTS=--icount boot_guest textpoke "$kml_kernel" textpoke "kmltests=textpoke kmlcycles=20"
# The same tree built with CONFIG_KML=n: nothing of KML may show.
boot_guest nokml "$B/kobj-nokml/arch/x86/boot/bzImage" nokml kmltests=nokml

# make run's own image (build/initramfs-run.cpio.gz): the three samples and
# nothing of the tests, and what make run shows with it.
echo "== guest (run): booting $kml_kernel with make run's image"
qemu_boot run run "$kml_kernel" "$B/initramfs-run.cpio.gz"
rc=$?
{
	con=$LOGS/run-console.txt
	echo "1..4"
	list=$(zcat "$B/initramfs-run.cpio.gz" | cpio -t --quiet 2>/dev/null | grep -E '^(kml/|bin/run-tests)' | sort | tr '\n' ' ')
	[ "$list" = "kml/hello-dyn kml/hello-static kml/hello-static.unstamped " ] \
		&& echo "ok 1 run image: /kml holds the three samples make run runs, no test runner" \
		|| echo "not ok 1 run image: /kml holds the three samples make run runs, no test runner (has: $list)"
	[ "$(grep -c '^hello: running in ring 0, Kml: 1$' "$con")" = 2 ] \
		&& echo "ok 2 run image: the stamped hello-static and hello-dyn run in ring 0" \
		|| echo "not ok 2 run image: the stamped hello-static and hello-dyn run in ring 0"
	[ "$(grep -c '^hello: running in ring 3, Kml: 0$' "$con")" = 1 ] \
		&& echo "ok 3 run image: the unstamped copy runs in ring 3" \
		|| echo "not ok 3 run image: the unstamped copy runs in ring 3"
	if [ $rc = 0 ] && grep -q "kml-guest: powering off" "$con" && ! grep -qE "$KTROUBLE" "$con"; then
		echo "ok 4 run image: powered off, no kernel trouble"
	else
		echo "not ok 4 run image: powered off, no kernel trouble (qemu exit $rc)"
	fi
} > "$LOGS/run-image.tap"
taps+=("$LOGS/run-image.tap")

# ---- summary -------------------------------------------------------------
total_pass=0 total_fail=0 total_skip=0
for f in "${taps[@]}"; do
	name=$(basename "$f" .tap)
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$f" | head -1)
	pass=$(grep -cE '^ok [0-9]+' "$f")
	fail=$(grep -cE '^not ok [0-9]+' "$f")
	grep -E '^not ok' "$f" | sed "s/^/  FAIL [$name] /"
	if [ -z "$plan" ]; then
		echo "  FAIL [$name] no TAP plan: the suite did not run"
		fail=$((fail + 1))
	elif [ $((pass + fail)) -lt "$plan" ]; then
		echo "  FAIL [$name] $((plan - pass - fail)) planned tests did not run"
		fail=$((plan - pass))
	fi
	# TAP counts "ok N ... # SKIP" as passed; say how many there were
	skip=$(grep -ciE '^ok [0-9]+.*# *SKIP' "$f")
	printf '  %-22s %3d passed, %d failed%s\n' "$name" "$pass" "$fail" \
		"$([ "$skip" -gt 0 ] && echo " ($skip of the passed skipped)")"
	total_skip=$((total_skip + skip))
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
[ "$total_skip" = 0 ] || echo "($total_skip of the passed tests were skipped: selftests/README.md says which and why)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
