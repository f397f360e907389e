#!/bin/bash
# mkprograms.sh OUTDIR - Debian's own programs for the test and bench boots.
#
# Each is copied twice into OUTDIR: NAME.unstamped, the unmodified file, and
# NAME, the same file given a note and stamped with kml-stamp --add-note
# --key (on the host: the guest holds no key).  stress-ng for the
# "stress-ng" suite (bad-input stressors) and make bench; coreutils' dd and
# sqlite3 for make bench; kml_time, the bench's timer; and the kernel's x86
# selftests.  tools/mk-initramfs.sh
# --extra packs them with the libraries each needs into an archive that the
# Makefile appends to the test image (build/initramfs-full.cpio.gz): with
# stress-ng's 40 MB the guests booted with 256 MB would not have room.
#
# Environment: STAMP (kml-stamp), KEY, SAMPLES, SELFTESTS.
set -euo pipefail
out=$1
: "${STAMP:?}" "${KEY:?}" "${SAMPLES:?}" "${SELFTESTS:?}"
rm -rf "$out"
mkdir -p "$out"
for p in /bin/dd /usr/bin/sqlite3 /usr/bin/stress-ng; do
	[ -x "$p" ] || { echo "mkprograms: $p missing (tools/install-deps.sh installs it)" >&2; exit 1; }
	cp "$p" "$out/${p##*/}.unstamped"
	cp "$p" "$out/${p##*/}"
	# stress-ng carries privileged instructions on purpose (its port I/O
	# and privileged-instruction stressors, which we do not run): the
	# stamp must say so (kml-stamp's scan, SECURITY.md).
	priv=; [ "${p##*/}" = stress-ng ] && priv=--allow-privileged
	"$STAMP" --add-note --key "$KEY" $priv "$out/${p##*/}" >/dev/null 2>"$out/.stamp.err" ||
		{ cat "$out/.stamp.err" >&2; exit 1; }
done

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
cp "$SAMPLES/kml_time" "$out/"
