#!/bin/sh
# Runs every guest test suite.  Each suite's TAP is framed by marker lines
# that the host runner (selftests/check.sh) splits on:
#   ==== KML-SUITE <name> ====   ...TAP...   ==== KML-END <name> ====
suite() {
	name=$1; shift
	echo "==== KML-SUITE $name ===="
	"$@"
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

# A CONFIG_KML=n kernel from the same patched tree: no trace of KML.
nokml() {
	echo "TAP version 13"
	echo "1..3"
	grep -q '^Kml:' /proc/self/status && echo "not ok 1 no Kml: line in /proc/self/status" \
		|| echo "ok 1 no Kml: line in /proc/self/status"
	out=$(/kml/hello-static 2>&1)
	case "$out" in *"Kml: -1"*) echo "ok 2 a stamped program runs as an ordinary one" ;;
		*) echo "not ok 2 a stamped program runs as an ordinary one: $out" ;; esac
	out=$(/kml/bad-modified 2>&1)
	case "$out" in *"Kml: -1"*) echo "ok 3 a forged stamp is not looked at" ;;
		*) echo "not ok 3 a forged stamp is not looked at: $out" ;; esac
}

if [ "${kmltests:-}" = nokml ]; then
	suite nokml nokml
else
	suite env guest_env
	suite exec-stamp /kml/kml_exec_test /kml
fi
