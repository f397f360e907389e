#!/bin/bash
# soak.sh [SECONDS] - make soak (not part of make check): the guest's
# "stress" suite (ring-0 and ring-3 workers forking, faulting, mmapping,
# making system calls, and a signal ping-pong between a ring-0 and a ring-3
# process in which no signal may be lost) for SECONDS (default 1800) on 2
# vCPUs, in two boots at the same time: the KML kernel as is, and with
# pti=on.  Each boot passes if the suite's every test passes, the guest
# powers off in time, and its console shows no oops, BUG, WARNING, panic,
# RCU stall or hung task.  Logs: build/soak/.  Ends with "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
out=$B/soak
secs=${1:-1800}
case $secs in ''|*[!0-9]*) echo "soak: SECONDS must be a number (got '$secs')" >&2; exit 2 ;; esac
kernel=${KML_KERNEL:-$B/kobj/arch/x86/boot/bzImage}
initrd=$B/initramfs.cpio.gz
KTROUBLE='Oops|BUG:|WARNING:|Kernel panic|general protection fault,|Call Trace:|UBSAN:|KASAN:|possible recursive locking|INFO: task .* blocked|detected stalls on CPUs|self-detected stall'
rm -rf "$out"
mkdir -p "$out"

boot() {	# boot NAME [kernel args]: the stress suite for $secs seconds
	local name=$1 args="kmlsuites=stress kmlstress=$secs ${2:-}"
	"$top/tools/kml-qemu" --mode check --smp 2 --mem 1G --timeout $((secs + 600)) \
		--append "$args" --log "$out/$name-console.log" "$kernel" "$initrd" \
		> /dev/null 2> "$out/$name-qemu.err"
	echo $? > "$out/$name.rc"
}

start=$(date +%s)
echo "soak: $secs s of the stress suite, a normal and a pti=on boot at once ($kernel)"
boot soak &
boot soak-pti pti=on &
wait

pass=0 fail=0
t() { if [ "$1" = 0 ]; then pass=$((pass + 1)); echo "ok $2"; else fail=$((fail + 1)); echo "not ok $2"; fi; }
for name in soak soak-pti; do
	con=$out/$name-console.txt
	tr -d '\r' < "$out/$name-console.log" > "$con"
	sed -n '/^==== KML-SUITE stress ====$/,/^==== KML-END stress ====$/p' "$con" | sed '1d;$d' | grep -v '^==== KML-EXIT ' \
		> "$out/$name-stress.tap"
	grep -q '^==== KML-END stress ====$' "$con"
	t $? "$name: the stress suite ran to its end"
	st=$(sed -n 's/^==== KML-EXIT stress \([0-9]*\) ====$/\1/p' "$con")
	[ "$st" = 0 ]
	t $? "$name: the stress program exited 0 (exit ${st:-?})"
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out/$name-stress.tap" | head -1)
	oks=$(grep -cE '^ok [0-9]+' "$out/$name-stress.tap")
	grep -E '^(ok|not ok) ' "$out/$name-stress.tap" | sed 's/^/#   /'
	[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$oks" = "$plan" ]
	t $? "$name: every stress test passed ($oks of ${plan:-?})"
	[ "$(cat "$out/$name.rc")" = 0 ] && grep -q 'kml-guest: powering off' "$con"
	t $? "$name: powered off in time (qemu exit $(cat "$out/$name.rc"))"
	bad=$(grep -nE "$KTROUBLE" "$con" | head -5)
	[ -z "$bad" ] || echo "$bad" | sed 's/^/#   /'
	[ -z "$bad" ]
	t $? "$name: no oops, BUG, WARNING, panic, stall or hung task on the console"
done
echo "# wall time $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
