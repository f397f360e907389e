#!/bin/bash
# check.sh - run every test suite and print "N passed, N failed".
#
# Suites (each writes TAP to build/logs/<suite>.tap):
#   host-kml-stamp   kml.ld, kml_note.S and kml-stamp on the host
#   host-fuzz        a short libFuzzer run of the shared note walker
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
GUEST_SUITES="env exec-stamp"
GUEST_TIMEOUT=${GUEST_TIMEOUT:-600}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-30}
# What a healthy kernel never prints.
KTROUBLE='Oops|BUG:|WARNING:|Kernel panic|general protection fault|Call Trace:|UBSAN:|KASAN:|possible recursive locking|INFO: task .* blocked'

echo "== host: kml-stamp, kml.ld"
"$top/selftests/host/test-kml-stamp.sh" > "$LOGS/host-kml-stamp.tap" 2> "$LOGS/host-kml-stamp.err"

echo "== host: fuzzing the note walker for ${FUZZ_SMOKE_SECONDS}s"
{
	echo "1..1"
	mkdir -p "$B/fuzz/corpus"
	if "$B/fuzz/fuzz_notewalk" -max_total_time="$FUZZ_SMOKE_SECONDS" -max_len=16384 \
		-print_final_stats=1 "$B/fuzz/corpus" "$top/selftests/fuzz-corpus" \
		> "$LOGS/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/fuzz.log")
		echo "ok 1 fuzz_notewalk: $runs executions, no crash"
	else
		echo "not ok 1 fuzz_notewalk crashed (see build/logs/fuzz.log)"
	fi
} > "$LOGS/host-fuzz.tap"

echo "== guest: booting ${KML_KERNEL:-build/kobj/arch/x86/boot/bzImage} in QEMU (-smp 2 -cpu max)"
"$top/tools/kml-qemu" --mode check --timeout "$GUEST_TIMEOUT" --log "$LOGS/guest-console.log" \
	"${KML_KERNEL:-$B/kobj/arch/x86/boot/bzImage}" "$B/initramfs.cpio.gz" > /dev/null 2>"$LOGS/qemu.err"
qrc=$?
tr -d '\r' < "$LOGS/guest-console.log" > "$LOGS/guest-console.txt" 2>/dev/null || : > "$LOGS/guest-console.txt"
for s in $GUEST_SUITES; do
	sed -n "/^==== KML-SUITE $s ====\$/,/^==== KML-END $s ====\$/p" "$LOGS/guest-console.txt" \
		| sed '1d;$d' > "$LOGS/guest-$s.tap"
done
{
	echo "1..4"
	grep -q "kml-guest: up" "$LOGS/guest-console.txt"
	[ $? -eq 0 ] && echo "ok 1 guest booted to /init" || echo "not ok 1 guest booted to /init"
	if [ $qrc -eq 0 ] && grep -q "kml-guest: powering off" "$LOGS/guest-console.txt"; then
		echo "ok 2 guest finished and powered off (no hang)"
	else
		echo "not ok 2 guest finished and powered off (qemu exit $qrc; 124 = timeout)"
	fi
	bad=$(grep -nE "$KTROUBLE" "$LOGS/guest-console.txt" | head -5)
	if [ -z "$bad" ]; then
		echo "ok 3 no oops, BUG, WARNING or panic on the console"
	else
		echo "not ok 3 kernel trouble on the console:"; echo "$bad" | sed 's/^/#   /'
	fi
	missing=
	for s in $GUEST_SUITES; do
		grep -q "^==== KML-END $s ====\$" "$LOGS/guest-console.txt" || missing+=" $s"
	done
	[ -z "$missing" ] && echo "ok 4 every guest suite ran to its end" \
		|| echo "not ok 4 guest suites missing or cut short:$missing"
} > "$LOGS/guest-kernel.tap"

echo "== guest: the same tree built with CONFIG_KML=n"
"$top/tools/kml-qemu" --mode check --timeout "$GUEST_TIMEOUT" --append kmltests=nokml \
	--log "$LOGS/nokml-console.log" "$B/kobj-nokml/arch/x86/boot/bzImage" "$B/initramfs.cpio.gz" \
	> /dev/null 2>>"$LOGS/qemu.err"
nrc=$?
tr -d '\r' < "$LOGS/nokml-console.log" > "$LOGS/nokml-console.txt" 2>/dev/null || : > "$LOGS/nokml-console.txt"
sed -n "/^==== KML-SUITE nokml ====\$/,/^==== KML-END nokml ====\$/p" "$LOGS/nokml-console.txt" \
	| sed '1d;$d' > "$LOGS/guest-nokml.tap"
{
	echo "1..1"
	if [ $nrc -ne 0 ] || grep -qE "$KTROUBLE" "$LOGS/nokml-console.txt" ||
		! grep -q "kml-guest: powering off" "$LOGS/nokml-console.txt"; then
		echo "not ok 1 CONFIG_KML=n kernel: clean boot and poweroff (qemu exit $nrc)"
	else
		echo "ok 1 CONFIG_KML=n kernel: clean boot and poweroff"
	fi
} > "$LOGS/nokml-kernel.tap"

# ---- summary -------------------------------------------------------------
total_pass=0 total_fail=0
for f in "$LOGS"/host-kml-stamp.tap "$LOGS"/host-fuzz.tap "$LOGS"/guest-kernel.tap "$LOGS"/nokml-kernel.tap \
	$(for s in $GUEST_SUITES nokml; do echo "$LOGS/guest-$s.tap"; done); do
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
	printf '  %-22s %3d passed, %d failed\n' "$name" "$pass" "$fail"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
