#!/bin/bash
# mkcases.sh OUTDIR - make the guest's test programs and broken stamps.
#
# Stamping happens on the host (the guest holds no key).  Every broken file
# starts as a correctly stamped program and gets exactly one defect, made by
# kml-forge (selftests/kml-forge.c), which finds and names every field
# through elfnote/kml_note.h, the shared note walker and libelf: no offset
# or size of the format is written here.  So each case tests the one check
# it names.  OUTDIR/cases lists what the guest expects of each file
# (format: selftests/guest/kml_exec_test.c).
#
# Environment: STAMP (kml-stamp), FORGE (kml-forge), KEY, UNTRUSTED_KEY,
# SAMPLES, SELFTESTS; BPF_TOOLS (optional: the kmlsnoop and kmltop binaries
# to copy).
set -euo pipefail
out=$1
: "${STAMP:?}" "${FORGE:?}" "${KEY:?}" "${UNTRUSTED_KEY:?}" "${SAMPLES:?}" "${SELFTESTS:?}"
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# forge OPERATION ARGS...: one defect in the current case's file $f
forge() { "$FORGE" "$f" "$@"; }
stamped() { cp "$1" "$out/$2"; "$STAMP" --key "$KEY" "$out/$2" >/dev/null; }
# stamped_priv SRC NAME: the same for code with privileged instructions on
# purpose (kml-stamp refuses it without --allow-privileged; its list of
# them is only shown if stamping fails).
stamped_priv() {
	cp "$1" "$out/$2"
	"$STAMP" --key "$KEY" --allow-privileged "$out/$2" >/dev/null 2>"$tmp/priv.err" ||
		{ cat "$tmp/priv.err" >&2; exit 1; }
}
# cms_sign IN OUT: the trusted key's detached PKCS#7 over IN, in the shape
# kml-stamp makes (no certificates, no signed attributes, SHA-256).
cms_sign() {
	openssl cms -sign -binary -noattr -nocerts -nosmimecap -md sha256 \
		-signer "$KEY" -inkey "$KEY" -in "$1" -outform DER -out "$2"
}

# The programs, stamped and not.
for p in hello-static hello-dyn segv spin kml_bench; do
	stamped "$SAMPLES/$p.unstamped" "$p"
	cp "$SAMPLES/$p.unstamped" "$out/"
done
# The ring-0 tests execute cli, sti and mov %cr0/%cr3/%cr4 to prove they
# run at CPL 0: that is what --allow-privileged is for.
for p in kml_ring0_test-static kml_ring0_test-dyn; do
	stamped_priv "$SELFTESTS/$p" "$p"
	cp "$SELFTESTS/$p" "$out/$p.unstamped"
done
# One function per privileged instruction, never called
# (selftests/guest/kml_privileged_test.c: the kernel logs the flag).
stamped_priv "$SELFTESTS/kml-privinsn" privinsn
cp "$SELFTESTS/kml_privileged_test" "$out/"
cp "$SAMPLES/hello-static.nonote" "$out/"
stamped "$SELFTESTS/kml-probe" kml-probe
cp "$SELFTESTS/kml-probe" "$out/kml-probe.unstamped"
cp "$SELFTESTS/kml_exec_test" "$out/"
# Attach-mode access to a ring-0 process that dropped root
# (selftests/guest/kml_ptrace_test.c; its targets are kml-probe above).
cp "$SELFTESTS/kml_ptrace_test" "$out/"
# The fast system-call path (selftests/guest/kml_fastpath_test.c).
stamped "$SELFTESTS/kml_fastpath_test" kml_fastpath_test
cp "$SELFTESTS/kml_fastpath_test" "$out/kml_fastpath_test.unstamped"
# The edges of the user ABI (selftests/guest/kml_boundary_test.c): int $N,
# a far return - on purpose.
stamped_priv "$SELFTESTS/kml_boundary_test" kml_boundary_test
cp "$SELFTESTS/kml_boundary_test" "$out/kml_boundary_test.unstamped"
# NMIs whose handler faults, landing on the KML IST (kml_ist_nest_test.c).
stamped "$SELFTESTS/kml_ist_nest_test" kml_ist_nest_test

# Built from the kml-tools package with pkg-config and stamped by its
# kml-stamp (the Makefile): the guest suite "pkg".
cp "$SELFTESTS/kml-pkg-probe" "$SELFTESTS/kml-pkg-probe.unstamped" "$out/"

# Debian's own bash, given a note and stamped here (kml-stamp --add-note
# --key), for the "bash" suite (selftests/guest/kml_bash_test.c, its pty
# driver) and make shell; tools/mk-initramfs.sh copies its libraries.  The
# larger programs of the test and bench boots: selftests/mkprograms.sh.
[ -x /bin/bash ] || { echo "mkcases: /bin/bash missing" >&2; exit 1; }
cp /bin/bash "$out/bash-stamped"
"$STAMP" --add-note --key "$KEY" "$out/bash-stamped" >/dev/null
cp "$SELFTESTS/kml_bash_test" "$out/"

# kmlsnoop and kmltop (make bpf-tools; static, unstamped: they run in ring
# 3) and their guest suite "observe" (selftests/guest/kml_observe_test.c).
for t in ${BPF_TOOLS:-}; do
	cp "$t" "$out/"
done
cp "$SELFTESTS/kml_observe_test" "$out/"

# The trust-policy suite (selftests/guest/kml_policy_test.c): its driver
# (unstamped), the object it preloads, a > 2 MB program for exec timing.
cp "$SELFTESTS/kml_policy_test" "$SELFTESTS/kml-preload.so" "$out/"
stamped "$SELFTESTS/kml-big" big
cp "$SELFTESTS/kml-big" "$out/big.unstamped"
# Revocation: a stamped hello-static with a hash of its own (bytes
# appended before stamping), the blacklist key description "bin:<hash>"
# (no newline) and its detached DER PKCS#7 signature by the trusted key,
# which the guest adds to the .blacklist keyring.
cp "$SAMPLES/hello-static.unstamped" "$out/revoked"
printf 'kml revocation test' >> "$out/revoked"
"$STAMP" --key "$KEY" "$out/revoked" >/dev/null
rdigest=$("$STAMP" --hash "$out/revoked")
rdigest=${rdigest%%[[:space:]]*}
[[ $rdigest =~ ^[0-9a-f]{64}$ ]] || { echo "mkcases: no content hash for $out/revoked: '$rdigest'" >&2; exit 1; }
printf 'bin:%s' "$rdigest" > "$out/revoked.desc"
cms_sign "$out/revoked.desc" "$out/revoked.p7s"

# kernel.kml.keyring=1: a second signing key whose certificate the trusted
# key signed (the secondary keyring only admits such keys), its certificate
# in DER for add_key(2), and a program stamped with it; plus the untrusted
# key's self-signed certificate, which the secondary keyring must refuse.
openssl req -new -nodes -newkey rsa:2048 -keyout "$tmp/sec.key" -out "$tmp/sec.csr" \
	-subj "/O=KML/CN=KML secondary test key" 2>/dev/null
printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=digitalSignature' \
	'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' > "$tmp/sec.ext"
openssl x509 -req -in "$tmp/sec.csr" -CA "$KEY" -CAkey "$KEY" -set_serial 0x4b4d4c02 \
	-days 36500 -sha256 -extfile "$tmp/sec.ext" -out "$tmp/sec.crt" 2>/dev/null
cat "$tmp/sec.key" "$tmp/sec.crt" > "$tmp/sec.pem"
openssl x509 -in "$tmp/sec.crt" -outform DER -out "$out/secondary.der"
openssl x509 -in "$UNTRUSTED_KEY" -outform DER -out "$out/untrusted.der"
cp "$SAMPLES/hello-static.unstamped" "$out/secondary-signed"
printf 'kml secondary keyring test' >> "$out/secondary-signed"
"$STAMP" --key "$tmp/sec.pem" "$out/secondary-signed" >/dev/null

# Broken stamps: one defect each.  bad NAME [SOURCE]: a fresh stamped copy
# to break, $f; its size, note and descriptor offsets and signature length
# (kml-forge info) in $size, $n, $d, $siglen.
bad() {
	stamped "$SAMPLES/${2:-hello-static}.unstamped" "bad-$1"
	f="$out/bad-$1"
	info=$("$FORGE" "$f" info)	# (a failure inside eval's argument would go unseen)
	eval "$info"
	n=$note d=$desc
}
bad modified;      forge flip MID 0xff
bad dyn-modified hello-dyn; forge flip LAST 0x01
bad appended;      printf '\0' >> "$f"
bad untrusted;     "$STAMP" --key "$UNTRUSTED_KEY" "$f" >/dev/null 2>&1
bad sig-garbage;   forge desc-sig-bytes 3082ffff41414141
bad siglen-zero;   forge desc sig_len 0
bad siglen-huge;   forge desc sig_len 0xffffffff
bad version;       forge desc version 3
bad magic;         forge desc magic KMLXTAMP
bad hash;          forge desc hash_algo 7
bad trailing;      forge desc-trailing 1
bad descsz-small;  forge note descsz DESC_SIZE-4
bad descsz-huge;   forge note descsz 0x10000000
bad notetype;      forge note type 2
# A valid stamp copied from another program: hello-static carrying the
# descriptor of hello-dyn, byte for byte.
bad copied;        forge desc-copy "$out/hello-dyn"

# --- Forgeries of the signature and of what it signs (need the trusted key,
# hence made here and not committed).  put_sig DER [FLAGS]: a complete,
# well-formed descriptor (magic, version, SHA-256, PKCS#7, length) holding
# the signature DER: version 1 (the first format: no flags, zero tail), or
# version 2 with FLAGS in its tail.  sign OUT VERSION FLAGS [FIELD=VALUE]:
# the trusted key's signature over the statement (struct kml_signed_data)
# a stamp of that version and flags signs for $f, a field replaced.
put_sig() { forge sig-put "$@"; }
sign() {
	local o=$1; shift
	forge statement "$tmp/stmt" "$1" "$2" "$digest" "${@:3}"
	cms_sign "$tmp/stmt" "$o"
}
digest=$("$STAMP" --hash "$SAMPLES/hello-static.unstamped"); digest=${digest%% *}
# The control: a stamp made this way from the right statement is accepted
# (by kml-stamp --verify here, and in ring 0 by the guest), so each forgery
# below fails for its one defect only.
bad sign-control
sign "$tmp/sig" 1 0; put_sig "$tmp/sig"
"$STAMP" --verify --cert "$KEY" "$f" >/dev/null || { echo "mkcases: the openssl-made control stamp does not verify" >&2; exit 1; }
mv "$f" "$out/good-openssl"
bad stmt-magic;    sign "$tmp/sig" 1 0 "magic=KML stamp v0"; put_sig "$tmp/sig"
bad stmt-size;     sign "$tmp/sig" 1 0 size=SIZE+1; put_sig "$tmp/sig"
bad stmt-offset;   sign "$tmp/sig" 1 0 offset=NOTE; put_sig "$tmp/sig"
bad stmt-digest;   sign "$tmp/sig" 1 0 "digest=$(printf %02x $((0x${digest:0:2} ^ 1)))${digest:2}"; put_sig "$tmp/sig"
# Version 2: the flags are signed.  openssl-made control with
# KML_STAMP_F_PRIVILEGED (runs in ring 0); one version's statement under
# the other version's descriptor; the flag cleared or set after signing;
# flags this kernel does not know; the reserved word; a version 1 stamp
# with a non-zero tail.
bad sign-control-v2
sign "$tmp/sig" 2 1; put_sig "$tmp/sig" 1
"$STAMP" --verify --cert "$KEY" "$f" | grep -q 'privileged instructions allowed' ||
	{ echo "mkcases: the openssl-made version 2 control stamp does not verify" >&2; exit 1; }
mv "$f" "$out/good-openssl-v2"
bad stmt-v1-as-v2; sign "$tmp/sig" 1 0; put_sig "$tmp/sig" 0
bad stmt-v2-as-v1; sign "$tmp/sig" 2 0; put_sig "$tmp/sig"
bad stmt-flags;    sign "$tmp/sig" 2 0; put_sig "$tmp/sig" 1
bad flags-cleared; "$STAMP" --key "$KEY" --allow-privileged "$f" >/dev/null 2>&1; forge desc flags 0
bad flags-set;     forge desc flags 1
bad flags-unknown; forge desc flags 2
bad reserved;      forge desc reserved 1
bad v1-tail;       sign "$tmp/sig" 1 0; put_sig "$tmp/sig"; forge desc flags 1
# A signature by the trusted key over the file itself (as a module
# signature would be), not over the statement.
bad sig-of-file;   cms_sign "$SAMPLES/hello-static.unstamped" "$tmp/sig"; put_sig "$tmp/sig"
# A genuine kml-stamp signature of a different file: the same program with
# one byte changed, same size and descriptor offset; its descriptor moved
# over.
cp "$SAMPLES/hello-static.unstamped" "$tmp/other"
"$FORGE" "$tmp/other" flip MID 0x01
"$STAMP" --key "$KEY" "$tmp/other" >/dev/null
bad sig-other-file; forge desc-copy "$tmp/other"
# Not DER at all; DER cut in half (length and zero tail adjusted, so the
# descriptor itself is well-formed).
bad sig-text;      printf 'this is not PKCS#7' > "$tmp/sig"; put_sig "$tmp/sig"
bad sig-cut;       forge sig-get "$tmp/sig" half; put_sig "$tmp/sig"
bad sigtype;       forge desc sig_type 2
# Well-framed DER (a SEQUENCE holding one INTEGER) that is not PKCS#7.
bad sig-notpkcs7;  printf '\x30\x03\x02\x01\x00' > "$tmp/sig"; put_sig "$tmp/sig"
# A genuine signature with one byte appended inside sig_len (the PKCS#7
# parser alone would ignore it).
bad sig-appended;  forge sig-get "$tmp/sig"; printf '\x00' >> "$tmp/sig"; put_sig "$tmp/sig"
# A reserved (all-zero) descriptor with one stray byte is not "unstamped".
bad reserved-stray; forge desc-clear; forge desc reserved 0x01000000
# Cut after the notes: the stamp is intact, the file it signed is not.
bad cut-after-notes; truncate -s 4096 "$f"

# --- Notes and program headers.  "kml" is the PT_NOTE holding the KML note,
# "other" another PT_NOTE (or, if there is none, PT_GNU_STACK, retyped).
# Two PT_NOTEs over the same KML note: identical headers; one segment that
# is just the KML note inside the other; a second note named KML (the
# .note.ABI-tag after it, "GNU" renamed).
bad pnote-dup;     forge phdr-copy
bad pnote-overlap; forge phdr other offset=NOTE size=NOTE_SIZE align=4
bad second-note;   forge rename-next-note KML
# A PT_NOTE that holds the KML note's header but not its descriptor.
bad pnote-short;   forge phdr other offset=NOTE size=NOTE_HDR+100 align=4

# --- Not ours: damage after which the walker does not see a KML program
# (-ENOEXEC, or no KML note); binfmt_elf decides (kml_exec_test "notours").
bad pnote-filesz;  forge phdr kml filesz=0xffffffffffffffff
bad pnote-offset;  forge phdr kml offset=SIZE+4096
bad pnote-align;   forge phdr kml align=8
bad cut-in-desc;   truncate -s $((d + 600)) "$f"
bad namesz-huge;   forge note namesz 0xffffffff
bad phentsize;     forge ehdr phentsize 32
bad phnum;         forge ehdr phnum 0
bad phoff;         forge ehdr phoff SIZE

# The committed fuzz seeds (selftests/fuzz-corpus/, a tiny program that
# exits 0; signed with a key no test kernel trusts) run too, as corpus/NAME.
mkdir "$out/corpus"
install -m 0755 "$(dirname "$0")"/fuzz-corpus/* "$out/corpus/"
if "$STAMP" --verify --cert "$KEY" "$out/corpus/stamped" >/dev/null 2>&1; then
	echo "mkcases: selftests/fuzz-corpus/stamped is signed by the trusted key; regenerate the corpus with another key (make-fuzz-corpus.sh)" >&2
	exit 1
fi

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
deny bad-sig-garbage signature length does not match its DER encoding
deny bad-siglen-zero empty signature
deny bad-siglen-huge signature length larger than the descriptor
deny bad-version unsupported stamp version
deny bad-magic bad stamp magic
deny bad-hash unsupported hash algorithm
deny bad-trailing non-zero bytes after the signature
deny bad-descsz-small descriptor has the wrong size
deny bad-descsz-huge runs past the end of its PT_NOTE segment
deny bad-notetype unknown KML note type
run good-openssl 1
run good-openssl-v2 1
deny bad-stmt-v1-as-v2 signature does not match
deny bad-stmt-v2-as-v1 signature does not match
deny bad-stmt-flags signature does not match
deny bad-flags-cleared signature does not match
deny bad-flags-set signature does not match
deny bad-flags-unknown unknown stamp flags
deny bad-reserved non-zero reserved field
deny bad-v1-tail non-zero bytes after the signature
deny bad-stmt-magic signature does not match
deny bad-stmt-size signature does not match
deny bad-stmt-offset signature does not match
deny bad-stmt-digest signature does not match
deny bad-sig-of-file signature does not match
deny bad-sig-other-file signature does not match
deny bad-sig-text signature length does not match its DER encoding
deny bad-sig-cut signature length does not match its DER encoding
deny bad-sig-notpkcs7 not a well-formed PKCS#7
deny bad-sig-appended signature length does not match its DER encoding
deny bad-sigtype unsupported signature type
deny bad-reserved-stray bad stamp magic
deny bad-cut-after-notes signature does not match
deny bad-pnote-dup more than one KML note
deny bad-pnote-overlap more than one KML note
deny bad-second-note more than one KML note
deny bad-pnote-short runs past the end of its PT_NOTE segment
notours bad-pnote-filesz
notours bad-pnote-offset
notours bad-pnote-align
notours bad-cut-in-desc
notours bad-namesz-huge
notours bad-phentsize
notours bad-phnum
notours bad-phoff
deny corpus/stamped not in the trusted keyring
deny corpus/magic bad stamp magic
deny corpus/siglen-huge signature length larger than the descriptor
deny corpus/siglen-zero empty signature
deny corpus/descsz-huge runs past the end of its PT_NOTE segment
deny corpus/descsz-small descriptor has the wrong size
deny corpus/type unknown KML note type
notours corpus/reserved
notours corpus/namesz-huge
notours corpus/phnum
notours corpus/phoff
notours corpus/truncated
CASES
# Every corpus file has a case.
for c in "$out"/corpus/*; do
	grep -qE "^(deny|notours) corpus/${c##*/}( |\$)" "$out/cases" ||
		{ echo "mkcases: no case for corpus/${c##*/} in the cases list" >&2; exit 1; }
done
