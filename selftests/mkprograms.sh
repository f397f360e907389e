#!/bin/bash
# mkprograms.sh OUTDIR - the larger programs of the test boots.
#
# Debian's dd, sqlite3 and stress-ng (unmodified as NAME.unstamped, given a
# note and stamped as NAME), kml_bench and kml_time: make bench's programs,
# made by tools/mk-bench-programs.sh (the "stress-ng" suite runs stress-ng's
# bad-input stressors, bench-smoke all of them); and the kernel's x86
# selftests.  tools/mk-initramfs.sh --extra packs them with the libraries
# each needs into an archive that the Makefile appends to the test image
# (build/initramfs-full.cpio.gz): with stress-ng's 40 MB the guests booted
# with 256 MB would not have room.
#
# Environment: STAMP (kml-stamp), KEY, SAMPLES, SELFTESTS.
set -euo pipefail
out=$1
: "${STAMP:?}" "${KEY:?}" "${SAMPLES:?}" "${SELFTESTS:?}"
"$(dirname "$0")/../tools/mk-bench-programs.sh" "$out"

# The kernel's own x86 selftests (20 programs, 30 MB with debug info), each
# unstamped and stamped (run-tests.sh: x86_selftests); several execute cli,
# in/out, iret... as test subjects, hence --allow-privileged.
mkdir -p "$out/x86"
cp "$SELFTESTS/x86/list" "$out/x86/"
while read -r p; do
	cp "$SELFTESTS/x86/$p" "$out/x86/$p.unstamped"
	cp "$SELFTESTS/x86/$p" "$out/x86/$p"
	"$STAMP" --key "$KEY" --allow-privileged "$out/x86/$p" >/dev/null 2>"$out/.stamp.err" ||
		{ cat "$out/.stamp.err" >&2; exit 1; }
done < "$SELFTESTS/x86/list"
rm -f "$out/.stamp.err"
