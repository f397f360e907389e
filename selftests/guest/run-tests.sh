#!/bin/sh
# Runs every guest test suite.  Each suite's TAP is framed by marker lines
# that the host runner (selftests/check.sh) splits on, the exit status of
# its program (or shell function) between its TAP and its end:
#   ==== KML-SUITE <name> ====   ...TAP...
#   ==== KML-EXIT <name> <status> ====   ==== KML-END <name> ====
# kmlsuites="a b" on the kernel command line (kml-qemu --append) runs only
# those suites of the main boot: a quick loop while working on one of them.
suite() {
	name=$1; shift
	if [ -n "${kmlsuites:-}" ]; then
		case " $kmlsuites " in *" $name "*) ;; *) return 0 ;; esac
	fi
	echo "==== KML-SUITE $name ===="
	"$@"
	echo "==== KML-EXIT $name $? ===="
	echo "==== KML-END $name ===="
}

# The machine the tests need: 2 CPUs (ACPI), KML configured in.
guest_env() {
	echo "TAP version 13"
	echo "1..3"
	n=$(nproc)
	[ "$n" = 2 ] && echo "ok 1 guest sees 2 CPUs" || echo "not ok 1 guest sees 2 CPUs (got $n)"
	grep -q '^Kml:' /proc/self/status && echo "ok 2 /proc/self/status has a Kml: line" \
		|| echo "not ok 2 /proc/self/status has a Kml: line"
	grep -q '^Kml:	0$' /proc/self/status && echo "ok 3 busybox (unstamped) shows Kml: 0" \
		|| echo "not ok 3 busybox (unstamped) shows Kml: 0"
}

# The boot's first ring-0 exec turns the static key kml_used on, which
# patches the return-to-user path of every CPU; another CPU keeps entering
# and leaving the kernel meanwhile (an unstamped getppid loop).  Runs first
# in every main boot (in the pti=on one that once double-faulted: a key in
# code that runs on the user page tables).
first_ring0_exec() {
	echo "TAP version 13"
	echo "1..1"
	/kml/kml_bench.unstamped --loop syscall 1000000000 & p=$!
	sleep 0.5
	out=$(/kml/hello-static 2>&1)
	kill -9 $p; wait $p 2>/dev/null
	[ "$out" = "hello: running in ring 0, Kml: 1" ] &&
		echo "ok 1 the boot's first ring-0 exec, another CPU in a system-call loop: $out" ||
		echo "not ok 1 the boot's first ring-0 exec, another CPU in a system-call loop: $out"
}

# A CONFIG_KML=n kernel from the same patched tree: no trace of KML.
nokml() {
	echo "TAP version 13"
	echo "1..5"
	grep -q '^Kml:' /proc/self/status && echo "not ok 1 no Kml: line in /proc/self/status" \
		|| echo "ok 1 no Kml: line in /proc/self/status"
	out=$(/kml/hello-static 2>&1)
	case "$out" in *"Kml: -1"*) echo "ok 2 a stamped program runs as an ordinary one" ;;
		*) echo "not ok 2 a stamped program runs as an ordinary one: $out" ;; esac
	out=$(/kml/bad-modified 2>&1)
	case "$out" in *"Kml: -1"*) echo "ok 3 a forged stamp is not looked at" ;;
		*) echo "not ok 3 a forged stamp is not looked at: $out" ;; esac
	# kmlsnoop and kmltop start, say that KML is absent, and exit 1.
	t=3
	for tool in kmlsnoop kmltop; do
		t=$((t + 1))
		out=$(timeout 60 /kml/$tool -j 2>&1); rc=$?
		if [ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
			echo "$out" | grep -q "^$tool: KML is not in this kernel"; then
			echo "ok $t $tool says KML is absent and exits 1: $out"
		else
			echo "not ok $t $tool says KML is absent and exits 1 (exit $rc): $out"
		fi
	done
}

# The seed's two examples, from the shell as a user would run them.
seeds() {
	echo "TAP version 13"
	echo "1..4"
	/kml/segv; rc=$?
	[ $rc = 139 ] && echo "ok 1 stamped segv: the shell sees 139 (SIGSEGV)" \
		|| echo "not ok 1 stamped segv: the shell sees 139 (SIGSEGV), got $rc"
	/kml/segv.unstamped; rc=$?
	[ $rc = 139 ] && echo "ok 2 unstamped segv: the shell sees 139" \
		|| echo "not ok 2 unstamped segv: the shell sees 139, got $rc"
	# "cmd &" would start it with SIGINT ignored: the probe resets it.
	/kml/kml-probe.unstamped dfl /kml/spin & pid=$!
	sleep 1
	kml=$(sed -n 's/^Kml:\t//p' /proc/$pid/status)
	state=$(sed -n 's/^State:\t\(.\).*/\1/p' /proc/$pid/status)
	[ "$kml$state" = 1R ] && echo "ok 3 stamped spin runs (Kml: 1, state R) while this shell runs" \
		|| echo "not ok 3 stamped spin runs while this shell runs (Kml: '$kml', state '$state')"
	kill -INT $pid
	wait $pid; rc=$?
	[ $rc = 130 ] && echo "ok 4 SIGINT (Ctrl-C) stops the stamped spin: 130" \
		|| echo "not ok 4 SIGINT (Ctrl-C) stops the stamped spin: got $rc"
}

# The benchmark, unstamped then stamped copy of the same static binary, in
# this one boot.  Lines "bench,LABEL,OP,NS,ITERS" for tools/kml-bench.sh.
bench_smoke() {
	echo "TAP version 13"
	echo "1..7"
	t=0
	for v in unstamped stamped; do
		t=$((t + 1))
		f=/kml/kml_bench; [ $v = unstamped ] && f=$f.unstamped
		out=$($f --quick $v); rc=$?
		n=$(echo "$out" | grep -cE "^bench,$v,[^,]+,[0-9.]+,[0-9]+\$")
		if [ $rc = 0 ] && [ "$n" = 10 ]; then
			echo "ok $t bench smoke, $v copy: 10 operations ran"
		else
			echo "not ok $t bench smoke, $v copy: exit $rc, $n of 10 operations"
			echo "$out" | sed 's/^/# /'
		fi
		[ $v = stamped ] && stamped_out=$out
	done
	# Debian's programs, both copies (they are in the full test image).
	out=$(/bin/kml-bench-guest programs-quick 2>&1)
	n=$(echo "$out" | grep -cE '^bench,(un)?stamped,[^,]+,[0-9.]+,[0-9]+$')
	if [ "$n" = 10 ]; then
		echo "ok 3 bench smoke, Debian's dd, sqlite3, stress-ng x3, both copies: 10 rows"
	else
		echo "not ok 3 bench smoke, Debian's programs: $n of 10 rows"
		echo "$out" | sed 's/^/# /'
	fi
	t=3
	# The path taken, never the time: the stamped copy's plain system
	# calls go the fast way (at most 1 % through the full path).
	for op in getppid getppid-direct-call read-1B-/dev/zero write-1B-/dev/null; do
		t=$((t + 1))
		line=$(echo "$stamped_out" | grep "^path,stamped,$op,")
		calls=$(echo "$line" | cut -d, -f4) full=$(echo "$line" | cut -d, -f5)
		if [ -n "$calls" ] && [ "$calls" -gt 0 ] && [ $((full * 100)) -le "$calls" ]; then
			echo "ok $t bench smoke, stamped $op: $full of $calls calls took the full path"
		else
			echo "not ok $t bench smoke, stamped $op: full path ${full:-?} of ${calls:-?} calls (want <= 1 %)"
		fi
	done
}

# The kernel's own tools/testing/selftests/x86 programs, each unstamped
# (ring 3) and stamped (ring 0): a legal program ends the same either way
# (exit status, and the number of its [OK] and [FAIL] lines).
#
# Two cannot, for reasons inherent to CPL 0 (SECURITY.md, "Be told apart
# from ring 3"); x86_known names, for each, the exit status the stamped
# copy ends with and the [FAIL] lines it may print that the unstamped one
# does not.  Such a program passes only if its unstamped copy passes (exit
# 0, no [FAIL]), the stamped one ends with that status, prints at least one
# of those lines (a difference that went away is news too) and no other
# [FAIL] line of its own.
x86_known() {
	case $1 in
	ioperm)	# port I/O at CPL 0 does not consult the I/O bitmap
		echo 1
		echo '^\[FAIL\]	outb to 0x80 worked$' ;;
	sigreturn)
		# It reads %cs/%ss at CPL 0 (0x10, 0x18), sigreturns to those,
		# and compares them with what the int3 after a ring 3 return
		# (its stack pointer is not canonical) reports: 0x33, 0x2b,
		# and the 32-bit segment 0x23 where it asked for 0x10 + 16.
		echo 1
		echo '^\[FAIL\]	HW SS didn.t match saved SS$'
		echo '^\[FAIL\]	SIGTRAP: ss = 18, frame ss = 2b, ax = 2b$'
		echo '^\[FAIL\]	CX \(saved SP\) mismatch: requested 0x18; got 0x2b$'
		echo '^\[FAIL\]	CS mismatch: requested 0x(10|20); got 0x(33|23)$'
		echo '^\[FAIL\]	SS mismatch: requested 0x18; got 0x2b$' ;;
	esac
}

x86_selftests() {
	list=/kml/x86/list
	echo "TAP version 13"
	if [ ! -f $list ]; then
		echo "1..1"
		echo "not ok 1 no x86 selftests in this image (they are in build/initramfs-full.cpio.gz)"
		return
	fi
	echo "1..$(wc -l < $list)"
	t=0
	while read -r p; do
		t=$((t + 1))
		u=$(cd /tmp && timeout 300 /kml/x86/$p.unstamped 2>&1); ru=$?
		s=$(cd /tmp && timeout 300 /kml/x86/$p 2>&1); rs=$?
		ou=$(echo "$u" | grep -c '^\[OK\]') os=$(echo "$s" | grep -c '^\[OK\]')
		fu=$(echo "$u" | grep -c '^\[FAIL\]') fs=$(echo "$s" | grep -c '^\[FAIL\]')
		what="exit $ru/$rs, [OK] $ou/$os, [FAIL] $fu/$fs (unstamped/stamped)"
		echo "$u" > /tmp/x86-unstamped.out
		known=$(x86_known "$p")
		if [ -n "$known" ]; then
			echo "$known" | sed 1d > /tmp/x86-known.re
			ours=$(echo "$s" | grep '^\[FAIL\]' | grep -vxF -f /tmp/x86-unstamped.out)
			other=$(echo "$ours" | grep -vE -f /tmp/x86-known.re | sed '/^$/d')
			if [ "$ru" = 0 ] && [ "$fu" = 0 ] && [ "$rs" = "$(echo "$known" | head -1)" ] &&
			   [ -n "$ours" ] && [ -z "$other" ]; then
				echo "ok $t x86 selftest $p differs in ring 0 only as documented: $what"
				continue
			fi
			echo "not ok $t x86 selftest $p differs in ring 0 only as documented: $what"
			echo "${other:-(no documented difference seen)}" | head -20 | sed 's/^/#   stamped only: /'
			continue
		fi
		if [ "$ru" = "$rs" ] && [ "$ou" = "$os" ] && [ "$fu" = "$fs" ]; then
			echo "ok $t x86 selftest $p ends the same in ring 0: $what"
		else
			echo "not ok $t x86 selftest $p ends the same in ring 0: $what"
			echo "$s" | grep -vxF -f /tmp/x86-unstamped.out | head -20 |
				sed 's/^/#   stamped only: /'
		fi
	done < $list
}

# A program built from the kml-tools package (pkg-config, the packaged
# headers and kml.ld) and stamped by the packaged kml-stamp runs in ring 0
# and uses the direct entry; its unstamped copy runs in ring 3.
pkg_probe() {
	echo "TAP version 13"
	echo "1..2"
	out=$(/kml/kml-pkg-probe 2>&1)
	[ "$out" = "pkg-probe: ring 0 kml 1 direct 1 getppid ok note ok" ] &&
		echo "ok 1 packaged build, stamped: ring 0, Kml 1, direct entry ($out)" ||
		echo "not ok 1 packaged build, stamped: ring 0, Kml 1, direct entry: $out"
	out=$(/kml/kml-pkg-probe.unstamped 2>&1)
	[ "$out" = "pkg-probe: ring 3 kml 0 direct 0 getppid ok note ok" ] &&
		echo "ok 2 packaged build, unstamped: ring 3, Kml 0 ($out)" ||
		echo "not ok 2 packaged build, unstamped: ring 3, Kml 0: $out"
}


# stress-ng's bad-input stressors (system calls with bad addresses, with
# invalid arguments), the unmodified Debian copy and the copy stamped with
# kml-stamp --add-note: the stamped run ends as the unstamped one does (exit
# status, stress-ng's own summary), its processes ran in ring 0; the host
# scans the console for oopses, warnings and hangs.  kmlstressng=SECONDS
# per run (default 12: four runs stay within a minute).
stress_ng() {
	secs=${kmlstressng:-12}
	echo "TAP version 13"
	echo "1..6"
	n=0
	echo 0 > /proc/sys/debug/exception-trace	# thousands of intended faults
	for s in sysbadaddr sysinval; do
		# sysinval counts as "pathological" (it may hang or reboot a
		# machine): a guest that does either fails this boot.
		extra=; [ $s = sysinval ] && extra=--pathological
		for v in unstamped stamped; do
			f=/kml/stress-ng; [ $v = unstamped ] && f=$f.unstamped
			(cd /tmp && exec $f --$s 1 -t "$secs" $extra --temp-path /tmp) \
				> /tmp/sng-$s-$v.log 2>&1 &
			pid=$!
			sleep 3
			kml=$(for p in /proc/[0-9]*; do
				[ "$(readlink $p/exe 2>/dev/null)" = "$f" ] &&
					sed -n 's/^Kml:\t//p' $p/status
			done | sort -u | tr '\n' ' ')
			wait $pid; rc=$?
			# stress-ng's verdict lines, without pids and times
			sed -n -E '/(successful run|passed|failed|skipped|untrustworthy|error|No stress workers)/{
				s/\[[0-9]+\] //; s/[0-9]+\.[0-9]+s/Ns/g; p; }' /tmp/sng-$s-$v.log > /tmp/sng-$s-$v.sum
			eval rc_$v=$rc kml_$v=\"\$kml\"
		done
		want=0; [ "$kml_unstamped" = "0 " ] || want=1
		n=$((n + 1))
		if [ "$rc_unstamped" = 0 ] && [ -s /tmp/sng-$s-unstamped.sum ] && [ $want = 0 ]; then
			echo "ok $n $s, unstamped: exit 0 in ring 3: $(tr '\n' ' ' < /tmp/sng-$s-unstamped.sum)"
		else
			echo "not ok $n $s, unstamped: exit $rc_unstamped, Kml: '$kml_unstamped'"
			sed 's/^/# /' /tmp/sng-$s-unstamped.log | tail -20
		fi
		n=$((n + 1))
		if [ "$kml_stamped" = "1 " ]; then
			echo "ok $n $s, stamped: its processes ran in ring 0 (Kml: 1)"
		else
			echo "not ok $n $s, stamped: its processes ran in ring 0 (Kml: '$kml_stamped')"
		fi
		n=$((n + 1))
		if [ "$rc_stamped" = "$rc_unstamped" ] && cmp -s /tmp/sng-$s-stamped.sum /tmp/sng-$s-unstamped.sum; then
			echo "ok $n $s, stamped: ends as the unstamped run (exit $rc_stamped, same summary)"
		else
			echo "not ok $n $s, stamped: exit $rc_stamped vs $rc_unstamped; summaries:"
			diff /tmp/sng-$s-unstamped.sum /tmp/sng-$s-stamped.sum | sed 's/^/# /'
			sed 's/^/# /' /tmp/sng-$s-stamped.log | tail -20
		fi
	done
	echo 1 > /proc/sys/debug/exception-trace
}

# Booted with kml=off: nobody gets ring 0 and nobody can turn KML back on.
kmloff() {
	echo "TAP version 13"
	echo "1..5"
	v=$(cat /proc/sys/kernel/kml/allow 2>&1)
	[ "$v" = 0 ] && echo "ok 1 kernel.kml.allow reads 0" \
		|| echo "not ok 1 kernel.kml.allow reads 0 (got '$v')"
	out=$(/kml/hello-static 2>&1)
	case "$out" in *"Kml: 0"*) echo "ok 2 stamped hello-static runs with Kml: 0" ;;
		*) echo "not ok 2 stamped hello-static runs with Kml: 0: $out" ;; esac
	out=$(/kml/kml-probe status 0 secure 0 dumpable 1 2>&1)
	case "$out" in "probe: ok") echo "ok 3 stamped kml-probe: ring 3, AT_SECURE 0, dumpable" ;;
		*) echo "not ok 3 stamped kml-probe: ring 3, AT_SECURE 0, dumpable: $out" ;; esac
	err=$( (echo 1 > /proc/sys/kernel/kml/allow) 2>&1 ); rc=$?
	v=$(cat /proc/sys/kernel/kml/allow 2>&1)
	if [ $rc != 0 ] && [ "$v" = 0 ] && echo "$err" | grep -q "not permitted"; then
		echo "ok 4 echo 1 > allow fails with EPERM, allow stays 0"
	else
		echo "not ok 4 echo 1 > allow fails with EPERM (exit $rc, allow '$v': $err)"
	fi
	# ("kml: ": the printk prefix, not the echo of the command line)
	line=$(dmesg | grep -iE 'kml: .*(off|disabled)' | head -1)
	[ -n "$line" ] && echo "ok 5 the kernel log says KML is off: $line" \
		|| echo "not ok 5 the kernel log says KML is off (no 'kml: ... off' line)"
}

# Kernel text patched (static keys: int3, then the new bytes) while a
# ring-0 program runs: per cycle a fresh getppid loop with the raw_syscalls
# tracepoint on, then kmltop attached and detached (the kml_syscall_full
# key), or the sys_exit event toggled; kmlcycles (50) cycles each, the
# stamped loop, then the unstamped copy (the control).  A kernel that
# mishandles the patching int3 oopses (oops=panic: the suite never ends).
# Not part of make check: run it with "kmltests=textpoke" (selftests/README.md,
# "Known kernel crash").
textpoke() {
	n=${kmlcycles:-50}
	T=/sys/kernel/tracing/events/raw_syscalls
	[ -d $T ] || mount -t tracefs tracefs /sys/kernel/tracing
	echo "TAP version 13"
	echo "1..4"
	t=0
	for v in stamped unstamped; do
		f=/kml/kml_bench; [ $v = unstamped ] && f=$f.unstamped
		for how in kmltop sys_exit; do
			t=$((t + 1)) i=0
			while [ $i -lt $n ]; do
				# where a hang struck, if one does
				echo "# $v $how cycle $i"
				echo 1 > $T/sys_enter/enable
				$f --loop syscall 1000000000 & p=$!
				sleep 0.1
				if [ $how = kmltop ]; then
					/kml/kmltop -j -n 1 -i 0.2 -p $p > /dev/null 2>&1
				else
					echo 1 > $T/sys_exit/enable
					sleep 0.2
					echo 0 > $T/sys_exit/enable
				fi
				kill -9 $p; wait $p 2>/dev/null
				echo 0 > $T/sys_enter/enable
				i=$((i + 1))
			done
			echo "ok $t $v loop: $n cycles of $how attach/detach while it runs, no crash"
		done
	done
}

case "${kmltests:-}" in
nokml)
	suite nokml nokml
	;;
kmloff)
	suite kmloff kmloff
	;;
textpoke)
	suite textpoke textpoke
	;;
cpu1)
	# One CPU: the spinning ring-0 loop must not starve this shell.
	suite cpu1-seeds seeds
	suite cpu1-spin env KML_ONLY_SPIN=1 /kml/kml_ring0_test-static 0 5
	# Small memory (the host boots this one with 256 MB) and zram swap: a
	# stamped process touches more than is available and gets it back.
	echo 384M > /sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0 || echo "kml-guest: no zram swap"
	suite cpu1-paging /kml/kml_ring0_test-static page 0
	;;
*)
	suite first-exec first_ring0_exec
	suite env guest_env
	suite exec-stamp /kml/kml_exec_test /kml
	suite seeds seeds
	suite ring0-static /kml/kml_ring0_test-static 0 3
	suite ring0-dyn /kml/kml_ring0_test-dyn 0 2
	suite ring3-control /kml/kml_ring0_test-static.unstamped 3 2
	# Stamped and unstamped processes forking, faulting, signalling and
	# making system calls side by side on both CPUs.
	# (Thousands of intended segfaults: not one console line each.)
	echo 0 > /proc/sys/debug/exception-trace
	suite stress /kml/kml_ring0_test-static stress 0 "${kmlstress:-20}" \
		/kml/kml_ring0_test-static.unstamped
	echo 1 > /proc/sys/debug/exception-trace
	suite bench-smoke bench_smoke
	# Debian's bash, given a note and stamped, at a terminal (a pty).
	suite bash /kml/kml_bash_test
	suite ptrace /kml/kml_ptrace_test
	suite fastpath /kml/kml_fastpath_test
	suite fastpath-control /kml/kml_fastpath_test.unstamped
	suite boundary /kml/kml_boundary_test
	suite boundary-control /kml/kml_boundary_test.unstamped
	# NMIs with a faulting handler sent into the KML entry stubs.
	suite ist-nest /kml/kml_ist_nest_test
	suite x86-selftests x86_selftests
	suite pkg pkg_probe
	# Stamps made with kml-stamp --allow-privileged: logged, and
	# kernel.kml.privileged=0 runs them in ring 3.
	suite privileged /kml/kml_privileged_test
	# kmlsnoop and kmltop (BPF on the KML tracepoints and counters).
	suite observe /kml/kml_observe_test
	# It revokes a stamp for the rest of this boot (nothing after it uses
	# that file).
	suite policy /kml/kml_policy_test
	# Last: the most pathological inputs (stress-ng's sysinval).
	suite stress-ng stress_ng
	;;
esac
