#!/bin/bash
# mkcases.sh OUTDIR - make the guest's test programs and broken stamps.
#
# Stamping happens on the host (the guest holds no key).  Every broken file
# starts as a correctly stamped program and gets exactly one defect, written
# with dd at an offset that `kml-stamp --show` reports, so each case tests the
# one check it names.  OUTDIR/cases lists what the guest expects of each file
# (format: selftests/guest/kml_exec_test.c).
#
# Environment: STAMP (kml-stamp), KEY, UNTRUSTED_KEY, SAMPLES, SELFTESTS.
set -euo pipefail
out=$1
: "${STAMP:?}" "${KEY:?}" "${UNTRUSTED_KEY:?}" "${SAMPLES:?}" "${SELFTESTS:?}"
rm -rf "$out"
mkdir -p "$out"

field() { "$STAMP" --show "$1" | sed -n "s/^$2: //p"; }
# show_field TEXT NAME: one field of a --show output already in hand
show_field() { sed -n "s/^$2: //p" <<< "$1"; }
# poke FILE OFFSET BYTE...: overwrite bytes (given in hex) in place
poke() {
	local f=$1 off=$2 b s=""
	shift 2
	for b in "$@"; do s+="\\x$b"; done
	printf "$s" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
stamped() { cp "$1" "$out/$2"; "$STAMP" --key "$KEY" "$out/$2" >/dev/null; }

# The programs, stamped and not.
for p in hello-static hello-dyn segv spin kml_bench; do
	stamped "$SAMPLES/$p.unstamped" "$p"
	cp "$SAMPLES/$p.unstamped" "$out/"
done
for p in kml_ring0_test-static kml_ring0_test-dyn; do
	stamped "$SELFTESTS/$p" "$p"
	cp "$SELFTESTS/$p" "$out/$p.unstamped"
done
cp "$SAMPLES/hello-static.nonote" "$out/"
stamped "$SELFTESTS/kml-probe" kml-probe
cp "$SELFTESTS/kml-probe" "$out/kml-probe.unstamped"
cp "$SELFTESTS/kml_exec_test" "$out/"

# Broken stamps: one defect each.
bad() {	# bad NAME [SOURCE]: a fresh stamped copy to break
	stamped "$SAMPLES/${2:-hello-static}.unstamped" "bad-$1"
	f="$out/bad-$1"
	local show
	show=$("$STAMP" --show "$f")	# once per file, not once per field
	d=$(show_field "$show" desc-offset)
	n=$(show_field "$show" note-offset)
	size=$(show_field "$show" file-size)
	siglen=$(show_field "$show" signature | sed 's/pkcs7, \([0-9]*\) bytes/\1/')
}
bad modified;      poke "$f" $((size / 2)) "$(printf %02x $(( ($(od -An -tu1 -j $((size / 2)) -N1 "$f") ^ 0xff) )))"
bad dyn-modified hello-dyn; poke "$f" $((size - 1)) "$(printf %02x $(( ($(od -An -tu1 -j $((size - 1)) -N1 "$f") ^ 0x01) )))"
bad appended;      printf '\0' >> "$f"
bad untrusted;     "$STAMP" --key "$UNTRUSTED_KEY" "$f" >/dev/null 2>&1
bad sig-garbage;   poke "$f" $((d + 16)) 30 82 ff ff 41 41 41 41
bad siglen-zero;   poke "$f" $((d + 12)) 00 00 00 00
bad siglen-huge;   poke "$f" $((d + 12)) ff ff ff ff
bad version;       poke "$f" $((d + 8)) 02 00
bad magic;         poke "$f" $d 4b 4d 4c 58
bad hash;          poke "$f" $((d + 10)) 07
bad trailing;      poke "$f" $((d + 16 + siglen)) 01
bad descsz-small;  poke "$f" $((n + 4)) $(le32 1036)
bad descsz-huge;   poke "$f" $((n + 4)) $(le32 0x10000000)
bad notetype;      poke "$f" $((n + 8)) 02 00 00 00
# A valid stamp copied from another program: hello-static carrying the
# descriptor of hello-dyn, byte for byte.
bad copied
src="$out/hello-dyn"
dd if="$src" of="$f" bs=1 skip="$(field "$src" desc-offset)" seek="$d" count="$(field "$src" desc-size)" conv=notrunc status=none

cat > "$out/cases" <<'CASES'
# kind  file  expectation            (see selftests/guest/kml_exec_test.c)
run hello-static 1
run hello-static.unstamped 0
run hello-static.nonote 0
run hello-dyn 1
run hello-dyn.unstamped 0
probe kml-probe status 1
probe kml-probe fork 1
probe kml-probe.unstamped status 0
probe kml-probe exec /kml/kml-probe.unstamped status 0
probe kml-probe.unstamped exec /kml/kml-probe status 1
probe kml-probe execfail /kml/bad-modified 1
probe kml-probe.unstamped execfail /kml/bad-modified 0
deny bad-modified signature does not match
deny bad-dyn-modified signature does not match
deny bad-appended signature does not match
deny bad-copied signature does not match
deny bad-untrusted not in the trusted keyring
deny bad-sig-garbage not a well-formed PKCS#7
deny bad-siglen-zero empty signature
deny bad-siglen-huge signature length larger than the descriptor
deny bad-version unsupported stamp version
deny bad-magic bad stamp magic
deny bad-hash unsupported hash algorithm
deny bad-trailing non-zero bytes after the signature
deny bad-descsz-small descriptor has the wrong size
deny bad-descsz-huge runs past the end of its PT_NOTE segment
deny bad-notetype unknown KML note type
CASES
