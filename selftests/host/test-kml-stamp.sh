#!/bin/bash
# test-kml-stamp.sh - host-side TAP tests of kml.ld, kml_note.S and kml-stamp.
# Environment: STAMP KEY CERT UNTRUSTED_KEY (set by selftests/check.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${STAMP:?}" "${KEY:?}" "${CERT:?}" "${UNTRUSTED_KEY:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi; }
# expect_fail CODE TEXT CMD...: CMD exits with CODE and says TEXT on stderr
expect_fail() {
	local code=$1 text=$2 rc
	shift 2
	"$@" >"$t/out" 2>"$t/err"
	rc=$?
	if [ $rc -ne "$code" ] || ! grep -qF -- "$text" "$t/err"; then
		echo "# wanted exit $code and \"$text\"; got exit $rc:"; sed 's/^/#   /' "$t/err"
		return 1
	fi
}
field() { "$STAMP" --show "$1" | sed -n "s/^$2: //p"; }
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
flip() {	# flip FILE OFFSET: invert one byte
	local v
	v=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	poke "$1" "$2" "$(printf '\\x%02x' $((v ^ 0xff)))"
}
# Is the descriptor of FILE inside a PT_NOTE segment?  (readelf's view)
in_pt_note() {
	local d n type off va pa fsz rest
	d=$(field "$1" desc-offset)
	n=$(field "$1" desc-size)
	[ -n "$d" ] && [ -n "$n" ] || return 1
	while read -r type off va pa fsz rest; do
		[ "$type" = NOTE ] && (( d >= off && d + n <= off + fsz )) && return 0
	done < <(readelf -lW "$1")
	return 1
}

cat > "$t/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hi"); return 0; }
C
LD="-Wl,-T,$top/elfnote/kml.ld"

echo "TAP version 13"
echo "1..36"

# --- kml.ld -------------------------------------------------------------
"$top/elfnote/gen-kml-ld.sh" > "$t/kml.ld"
cmp -s "$t/kml.ld" "$top/elfnote/kml.ld"
ok $? "elfnote/kml.ld is up to date with kml.ld.S and kml_note.h"

for v in static "pie" "no-pie" "static-pie"; do
	cc -O2 -$v -o "$t/h-$v" "$t/hello.c" $LD 2>"$t/err" &&
		[ "$(field "$t/h-$v" state)" = "reserved (not stamped)" ] &&
		in_pt_note "$t/h-$v" && "$t/h-$v" | grep -q hi
	ok $? "kml.ld reserves a zeroed note in a PT_NOTE: -$v executable"
done

cc -c -o "$t/kml_note.o" -I"$top/elfnote" "$top/elfnote/kml_note.S" &&
	cc -O2 -o "$t/h-asm" "$t/hello.c" "$t/kml_note.o" &&
	[ "$(field "$t/h-asm" state)" = "reserved (not stamped)" ] && in_pt_note "$t/h-asm"
ok $? "kml_note.S (the portable alternative) reserves the same note"

# Other linkers: gold rejects kml.ld outright; lld accepts the script but
# leaves the section out of every PT_NOTE, which kml-stamp must catch; both
# put the kml_note.S object's note in a PT_NOTE.
! cc -O2 -fuse-ld=gold -o "$t/g-ld" "$t/hello.c" $LD 2>/dev/null
ok $? "gold refuses kml.ld (documented: use kml_note.S)"
cc -O2 -fuse-ld=gold -o "$t/g-asm" "$t/hello.c" "$t/kml_note.o" &&
	[ "$(field "$t/g-asm" state)" = "reserved (not stamped)" ] && in_pt_note "$t/g-asm"
ok $? "gold + kml_note.S reserves the note in a PT_NOTE"
cc -O2 -fuse-ld=lld -o "$t/l-ld" "$t/hello.c" $LD &&
	expect_fail 1 "no KML note reserved" "$STAMP" --key "$KEY" "$t/l-ld"
ok $? "lld + kml.ld: no PT_NOTE note, and kml-stamp says so"
cc -O2 -fuse-ld=lld -o "$t/l-asm" "$t/hello.c" "$t/kml_note.o" &&
	[ "$(field "$t/l-asm" state)" = "reserved (not stamped)" ] && in_pt_note "$t/l-asm" &&
	cp "$t/l-asm" "$t/l-asm.s" && "$STAMP" --key "$KEY" "$t/l-asm.s" >/dev/null &&
	"$STAMP" --verify --cert "$CERT" "$t/l-asm.s" >/dev/null && "$t/l-asm.s" | grep -q hi
ok $? "lld + kml_note.S: reserved, stamps, verifies, runs"

# --- stamping -------------------------------------------------------------
cp "$t/h-static" "$t/s"
"$STAMP" --key "$KEY" "$t/s" >"$t/out" 2>&1 && grep -q "stamped" "$t/out" &&
	"$STAMP" --verify --cert "$CERT" "$t/s" >/dev/null &&
	[ "$(field "$t/s" state)" = stamped ] && "$t/s" | grep -q hi
ok $? "stamp, then --verify and --show agree, program still runs"

cp "$t/h-pie" "$t/p" && cp "$t/h-asm" "$t/a"
"$STAMP" --key "$KEY" "$t/p" "$t/a" >/dev/null &&
	"$STAMP" --verify --cert "$CERT" "$t/p" "$t/a" >/dev/null
ok $? "several files in one call (dynamic PIE and kml_note.o build)"

cp "$t/s" "$t/s2"
"$STAMP" --key "$KEY" "$t/s2" >/dev/null 2>"$t/err" && grep -q "replacing the old stamp" "$t/err" &&
	"$STAMP" --verify --cert "$CERT" "$t/s2" >/dev/null
ok $? "re-stamping replaces the stamp and says so"

# A flipped byte anywhere must break --verify: every byte of the ELF and
# program headers and of the descriptor header, and a spread of the rest.
size=$(stat -c %s "$t/p")
d=$(field "$t/p" desc-offset)
dn=$(field "$t/p" desc-size)
offs=$( { seq 0 400; seq "$d" $((d + dn - 1)); seq 0 97 $((size - 1)); echo $((size - 1)); } | sort -un)
bad=0 total=0
for o in $offs; do
	cp "$t/p" "$t/f"
	flip "$t/f" "$o"
	total=$((total + 1))
	if "$STAMP" --verify --cert "$CERT" "$t/f" >/dev/null 2>&1; then
		echo "# flipped byte at $o still verifies"
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ] && [ $total -gt 1500 ]
ok $? "--verify rejects each of $total single flipped bytes"

cp "$t/p" "$t/f"; printf '\0' >> "$t/f"
expect_fail 1 "BAD stamp" "$STAMP" --verify --cert "$CERT" "$t/f"
ok $? "--verify rejects an appended byte"

cp "$t/h-static" "$t/u"
"$STAMP" --key "$UNTRUSTED_KEY" "$t/u" >/dev/null &&
	expect_fail 1 "BAD stamp" "$STAMP" --verify --cert "$CERT" "$t/u"
ok $? "--verify rejects a stamp made with another key"

cp "$t/s" "$t/st"; strip "$t/st"
expect_fail 1 "" "$STAMP" --verify --cert "$CERT" "$t/st"
ok $? "strip after stamping invalidates the stamp"

expect_fail 1 "not stamped" "$STAMP" --verify --cert "$CERT" "$t/h-static"
ok $? "--verify of a reserved, unstamped file fails"

# --- --hash: the digest the signature covers (what "bin:<hex>" revokes) ----
hash_of() { "$STAMP" --hash "$1" | sed -n 's/^\([0-9a-f]\{64\}\)  .*$/\1/p'; }
hs=$(hash_of "$t/s") hr=$(hash_of "$t/h-static")
line=$("$STAMP" --hash "$t/s")
[ -n "$hs" ] && [ "$hs" = "$hr" ] && [ "$line" = "$hs  $t/s" ]
ok $? "--hash prints \"<sha256>  FILE\", the same for the stamped file and its unstamped reservation"

# The same digest with standard tools: the descriptor (offset and size from
# --show) overwritten with zeros, then sha256sum.  For a stamped static and
# a stamped PIE file, and for several files in one call.
xcheck=0
for f in "$t/s" "$t/p"; do
	cp "$f" "$t/z"
	dd if=/dev/zero of="$t/z" bs=1 seek="$(field "$f" desc-offset)" \
		count="$(field "$f" desc-size)" conv=notrunc status=none
	cmp -s "$t/z" "$f" && { echo "# $f: zeroing the descriptor changed nothing"; xcheck=1; }
	want=$(sha256sum < "$t/z" | cut -d' ' -f1)
	[ "$(hash_of "$f")" = "$want" ] || { echo "# $f: --hash $(hash_of "$f"), sha256sum $want"; xcheck=1; }
done
[ "$("$STAMP" --hash "$t/s" "$t/p" | wc -l)" = 2 ] || xcheck=1
ok $xcheck "--hash equals sha256sum of the file with the descriptor zeroed (dd), static and PIE"

# One byte changed: in the ELF header's padding, mid-file, right after the
# descriptor (each a new digest); inside the signature (the same digest).
d=$(field "$t/s" desc-offset) ds=$(field "$t/s" desc-size) size=$(stat -c %s "$t/s") hbad=0
for o in 12 $((size / 2)) $((d + ds)) $((d + 20)); do
	cp "$t/s" "$t/hm"; flip "$t/hm" "$o"
	h=$(hash_of "$t/hm")
	if [ -z "$h" ] || { [ "$h" = "$hs" ] && [ "$o" != $((d + 20)) ]; } ||
	   { [ "$h" != "$hs" ] && [ "$o" = $((d + 20)) ]; }; then
		echo "# byte $o flipped: --hash '$h' (stamped file: $hs)"; hbad=1
	fi
done
ok $hbad "--hash changes with one byte outside the descriptor (3 places), not with one inside it"

cp "$t/s" "$t/ha"; printf '\0' >> "$t/ha"
h=$(hash_of "$t/ha")
[ -n "$h" ] && [ "$h" != "$hs" ]
ok $? "--hash changes with an appended byte"

cc -O2 -o "$t/nonote" "$t/hello.c" &&
	expect_fail 1 "no KML note" "$STAMP" --hash "$t/nonote" && [ ! -s "$t/out" ] &&
	expect_fail 1 "not an ELF file" "$STAMP" --hash "$t/hello.c" && [ ! -s "$t/out" ]
ok $? "--hash of a file without a KML note, or not ELF: exit 1, a message, no digest"

# --- errors ---------------------------------------------------------------
expect_fail 1 "not an ELF file" "$STAMP" --key "$KEY" "$t/hello.c"
ok $? "error: not an ELF file"

cp "$t/h-static" "$t/e32"; poke "$t/e32" 4 '\x01'
expect_fail 1 "32-bit ELF" "$STAMP" --key "$KEY" "$t/e32"
ok $? "error: 32-bit ELF"

cp "$t/h-static" "$t/arm"; poke "$t/arm" 18 '\xb7\x00'
expect_fail 1 "not an x86-64 ELF" "$STAMP" --key "$KEY" "$t/arm"
ok $? "error: ELF for another machine"

head -c 2000 "$t/h-static" > "$t/trunc"
expect_fail 1 "truncated" "$STAMP" --key "$KEY" "$t/trunc"
ok $? "error: truncated file"

cc -O2 -o "$t/plain" "$t/hello.c"
expect_fail 1 "link it with -Wl,-T,kml.ld" "$STAMP" --key "$KEY" "$t/plain"
ok $? "error: no reserved note, with the fix in the message"

cat > "$t/small.S" <<'S'
	.section .note.kml, "a", @note
	.balign 4
	.long 4, 64, 1
	.asciz "KML"
	.fill 64, 1, 0
	.section .note.GNU-stack, "", @progbits
S
cc -O2 -o "$t/small" "$t/hello.c" "$t/small.S" && cp "$t/small" "$t/small.orig"
expect_fail 1 "reserved KML note too small" "$STAMP" --key "$KEY" "$t/small" &&
	cmp -s "$t/small" "$t/small.orig"
ok $? "error: reserved note too small (file untouched)"

expect_fail 2 "cannot read private key" "$STAMP" --key "$t/nonexistent.pem" "$t/s"
ok $? "error: unreadable key"

echo "not a key" > "$t/junk.pem"
expect_fail 2 "cannot read private key" "$STAMP" --key "$t/junk.pem" "$t/s"
ok $? "error: key file that holds no key"

cp "$t/s" "$t/keep"
expect_fail 1 "signing failed" "$STAMP" --key "$UNTRUSTED_KEY" --cert "$CERT" "$t/keep" &&
	cmp -s "$t/keep" "$t/s"
ok $? "key that does not match the certificate: refused, file untouched"

chmod 444 "$t/keep"; cp "$t/keep" "$t/ro"; chmod 444 "$t/ro"
if [ "$(id -u)" -eq 0 ]; then
	ok 0 "# SKIP read-only file check needs a non-root user"
else
	expect_fail 1 "cannot open" "$STAMP" --key "$KEY" "$t/ro"
	ok $? "error: read-only file"
fi

KML_KEY= expect_fail 2 "no signing key" "$STAMP" "$t/s"
ok $? "error: no key given"

expect_fail 2 "--verify needs --cert" "$STAMP" --verify "$t/s"
ok $? "error: --verify without a certificate"

doc=0
for o in --key --cert --verify --show --hash --scan --allow-privileged --verbose --help KML_KEY "EXIT STATUS"; do
	# (grep reads from a process substitution: with pipefail, grep -q
	# leaving early would fail the pipeline on the writer's SIGPIPE)
	grep -q -- "${o/EXIT STATUS/Exit status}" < <("$STAMP" --help) || { echo "# --help lacks $o"; doc=1; }
	grep -q -- "$o" < <(sed 's/\\-/-/g' "$top/tools/kml-stamp.1") || { echo "# man page lacks $o"; doc=1; }
done
ok $doc "--help and the man page document every option"

exit 0
