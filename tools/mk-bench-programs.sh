#!/bin/bash
# mk-bench-programs.sh OUTDIR - the programs make bench runs, for the guest.
#
# Debian's dd, sqlite3 and stress-ng, each copied twice into OUTDIR:
# NAME.unstamped, the unmodified file, and NAME, the same file given a note
# and stamped with kml-stamp --add-note --key (on the host: the guest holds
# no key); samples/kml_bench, unstamped and stamped; samples/kml_time, the
# timer for whole programs.  tools/guest/kml-bench-guest runs them;
# tools/mk-initramfs.sh packs them (make bench's image,
# build/initramfs-bench.cpio.gz; the test image reuses them).
#
# Environment: STAMP (kml-stamp), KEY, SAMPLES (build/samples).
set -euo pipefail
out=$1
: "${STAMP:?}" "${KEY:?}" "${SAMPLES:?}"
rm -rf "$out"
mkdir -p "$out"
for p in /bin/dd /usr/bin/sqlite3 /usr/bin/stress-ng; do
	[ -x "$p" ] || { echo "mk-bench-programs: $p missing (tools/install-deps.sh installs it)" >&2; exit 1; }
	cp "$p" "$out/${p##*/}.unstamped"
	cp "$p" "$out/${p##*/}"
	# stress-ng carries privileged instructions on purpose (its port I/O
	# and privileged-instruction stressors, which are not run): the
	# stamp must say so (kml-stamp's scan, SECURITY.md).
	priv=; [ "${p##*/}" = stress-ng ] && priv=--allow-privileged
	"$STAMP" --add-note --key "$KEY" $priv "$out/${p##*/}" >/dev/null 2>"$out/.stamp.err" ||
		{ cat "$out/.stamp.err" >&2; exit 1; }
done
rm -f "$out/.stamp.err"
for p in kml_bench kml_bench.unstamped kml_time; do
	[ -x "$SAMPLES/$p" ] || { echo "mk-bench-programs: $SAMPLES/$p missing (make samples)" >&2; exit 1; }
	cp "$SAMPLES/$p" "$out/"
done
