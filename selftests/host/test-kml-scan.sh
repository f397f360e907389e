#!/bin/bash
# test-kml-scan.sh - host-side TAP tests of kml-stamp's privileged-instruction
# scan (tools/kml-scan.c) and of the stamp flag it leads to.
#
#  - each instruction of selftests/guest/kml_privinsn.c (one function each)
#    is refused with the expected diagnostic, naming the right function,
#    file offset and address (checked against objdump); the allowed ones
#    give no line; the file is left untouched;
#  - --allow-privileged stamps it, --show and --verify say so; an ordinary
#    stamp is version 2 with flags 0; a version 1 stamp still verifies;
#  - the samples and the other selftests scan clean; the ring-0 tests hold
#    exactly the instructions they execute on purpose;
#  - Debian's bash, coreutils, busybox, sqlite3 and python3.11 scan clean
#    (numbers printed as TAP comments);
#  - kml-stamp built with ASan+UBSan survives the broken-ELF corpus and
#    files broken where the scan reads.
# Environment: STAMP KEY CERT (as for test-kml-stamp.sh); STAMP_ASAN (the
# sanitizer build); GUEST_DIR (mkcases.sh output: the v1 control and the
# broken stamps); SAMPLES and SELFTESTS default to build/.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${STAMP:?}" "${KEY:?}" "${CERT:?}"
STAMP_ASAN=${STAMP_ASAN:-$top/build/tools-asan/kml-stamp}
FORGE=${FORGE:-$top/build/host/kml-forge}	# selftests/kml-forge.c
GUEST_DIR=${GUEST_DIR:-$top/build/guest/kml}
SAMPLES=${SAMPLES:-$top/build/samples}
SELFTESTS=${SELFTESTS:-$top/build/selftests}
PRIV=$SELFTESTS/kml-privinsn
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fails=$((fails + 1)); fi; }
field() { sed -n "s/^$2: //p" "$1"; }

# function  instruction (as printed, a regex)  reason (a fixed string)
expected() {
cat <<'T'
refuse_cli	cli	privileged instruction
refuse_sti	sti	privileged instruction
refuse_swapgs	swapgs	privileged instruction
refuse_sysret	sysretq	returns to another privilege level
refuse_sysexit	sysexit	returns to another privilege level
refuse_iret	iretq	returns to another privilege level
refuse_lgdt	lgdtq \(%rsp\)	privileged instruction
refuse_lidt	lidtq \(%rsp\)	privileged instruction
refuse_lldt	lldtw %ax	privileged instruction
refuse_ltr	ltrw %ax	privileged instruction
refuse_mov_to_cr0	movq %rax, %cr0	control register access
refuse_mov_from_cr3	movq %cr3, %rax	control register access
refuse_mov_to_cr4	movq %rax, %cr4	control register access
refuse_mov_to_dr7	movq %rax, %dr7	debug register access
refuse_mov_from_dr6	movq %dr6, %rax	debug register access
refuse_wrmsr	wrmsr	privileged instruction
refuse_rdmsr	rdmsr	privileged instruction
refuse_invlpg	invlpg \(%rsp\)	privileged instruction
refuse_invpcid	invpcid \(%rsp\), %rax	privileged instruction
refuse_in_imm	inb \$0x60, %al	port I/O
refuse_in_dx	inl %dx, %eax	port I/O
refuse_out_imm	outb %al, \$0x80	port I/O
refuse_out_dx	outw %ax, %dx	port I/O
refuse_insb	insb %dx, \(%rdi\)	port I/O
refuse_outsl	outsl \(%rsi\), %dx	port I/O
refuse_int_80	int \$0x80	software interrupt other than int3
refuse_int_3_long	int \$3	software interrupt other than int3
refuse_int1	int1	debug or overflow trap other than int3
refuse_ljmp	ljmpl \*\(%rsp\)	far control transfer: loads %cs
refuse_lcall	lcalll \*\(%rsp\)	far control transfer: loads %cs
refuse_lret	lretl	far control transfer: loads %cs
refuse_lretq	lretq	far control transfer: loads %cs
refuse_mov_ss	movl %eax, %ss	loads %ss
refuse_lss	lssl \(%rsp\), %eax	loads %ss
refuse_xsetbv	xsetbv	privileged instruction
refuse_wbinvd	wbinvd	privileged instruction
refuse_invd	invd	privileged instruction
refuse_clts	clts	privileged instruction
refuse_lmsw	lmsww %ax	privileged instruction
refuse_sysenter	sysenter	enters the kernel's 32-bit system call entry
refuse_vmcall	vmcall	virtualization instruction
refuse_vmmcall	vmmcall	virtualization instruction
refuse_vmxon	vmxon \(%rsp\)	virtualization instruction
refuse_vmfunc	vmfunc	virtualization instruction
refuse_monitor	monitor	privileged instruction
refuse_mwait	mwait	privileged instruction
refuse_xsaves	xsaves \(%rsp\)	privileged instruction
refuse_xrstors	xrstors \(%rsp\)	privileged instruction
refuse_clac	clac	privileged instruction
refuse_stac	stac	privileged instruction
refuse_rsm	rsm	privileged instruction
refuse_getsec	getsec	privileged instruction
refuse_invlpgb	invlpgb	privileged instruction
refuse_pconfig	pconfig	privileged instruction
refuse_after_data	cli	privileged instruction
T
}
nrefuse=$(expected | wc -l)
debian=(/bin/bash /bin/busybox /usr/bin/sqlite3 /usr/bin/python3.11)
mapfile -t coreutils < <(dpkg -L coreutils 2>/dev/null | grep '^/usr/bin/' | sort)

echo "TAP version 13"
echo "1..$((nrefuse + 15))"

# --- one instruction per function ------------------------------------------
cp "$PRIV" "$t/priv"
"$STAMP" --key "$KEY" "$t/priv" >"$t/out" 2>"$t/err"
rc=$?
while IFS=$'\t' read -r fn insn why; do
	pat="^$t/priv: offset 0x[0-9a-f]+: vaddr 0x[0-9a-f]+: $fn\+0x[0-9a-f]+: $insn: "
	got=$(grep -E "$pat" "$t/err" | grep -cF ": $why" )
	all=$(grep -cE ": $fn\+0x[0-9a-f]+: " "$t/err")
	[ "$got" = 1 ] && [ "$all" = 1 ] && grep -E "$pat" "$t/err" | grep -q '(refused at CPL 0)$'
	r=$?
	[ $r = 0 ] || { echo "# $fn: wanted one line \"$insn: $why (refused at CPL 0)\", got:"; grep -E ": $fn\+" "$t/err" | sed 's/^/#   /'; }
	ok $r "refused with its diagnostic: $fn ($insn)"
done < <(expected)

[ $rc = 1 ] && cmp -s "$PRIV" "$t/priv" &&
	grep -q "^kml-stamp: $t/priv: $nrefuse privileged instructions: not stamped" "$t/err" &&
	[ "$(grep -c '(refused at CPL 0)$' "$t/err")" = "$nrefuse" ]
ok $? "kml-stamp refuses it: exit 1, file untouched, $nrefuse findings and a summary line"

# Every function of the program is in the table above, and vice versa.
nm "$PRIV" | awk '$2 == "T" && $3 ~ /^(refuse|note|allow)_/ {print $3}' | sort > "$t/fns"
{ expected | cut -f1; grep -E '^(note|allow)_' "$t/fns"; } | sort > "$t/want"
diff "$t/fns" "$t/want" > "$t/d"
r=$?; [ $r = 0 ] || sed 's/^/# /' "$t/d"
ok $r "every refuse_/note_/allow_ function of kml_privinsn.c is checked"

# Allowed instructions say nothing; hlt only with -v, as tolerated.
# (Command outputs are kept in files: with pipefail, kml-stamp's exit 1
# for the findings would fail every pipeline.)
"$STAMP" --scan -v "$PRIV" > "$t/v" 2>&1
! grep -qE ': (allow|note)_' "$t/err" &&
	grep -E ': note_hlt\+0x[0-9a-f]+: hlt: ' "$t/v" | grep -q '(tolerated)$' &&
	! grep -qE ': allow_' "$t/v"
ok $? "no line for the allowed instructions (int3, syscall, rdtsc, popf, wrgsbase, AVX-512 ...); hlt only with -v, tolerated"

# Offsets and addresses: the bytes at "offset" are the instruction objdump
# shows at "vaddr", and vaddr = the symbol's address + the shown offset.
bad=0
while read -r off va fn add; do
	sym=$(nm "$PRIV" | awk -v f="$fn" '$3 == f {print $1}')
	[ $((0x$sym + add)) = $((va)) ] || { echo "# $fn: vaddr $va is not $sym+$add"; bad=1; }
	ob=$(objdump -d --start-address=$((va)) --stop-address=$((va + 1)) "$PRIV" |
		awk -F'\t' 'NF >= 2 && $1 ~ /^ *[0-9a-f]+:$/ {print $2; exit}' | tr -d ' ')
	fb=$(od -An -tx1 -j $((off)) -N $((${#ob} / 2)) "$PRIV" | tr -d ' \n')
	[ -n "$ob" ] && [ "$ob" = "$fb" ] || { echo "# $fn: objdump has '$ob' at $va, the file '$fb' at $off"; bad=1; }
done < <(sed -nE 's/^.*: offset (0x[0-9a-f]+): vaddr (0x[0-9a-f]+): ([a-z_0-9]+)\+(0x[0-9a-f]+): .*/\1 \2 \3 \4/p' "$t/err")
ok $bad "each finding's file offset holds the instruction objdump shows at its vaddr = symbol + offset"

# --- the override and the flag ----------------------------------------------
"$STAMP" --key "$KEY" --allow-privileged "$t/priv" >"$t/out" 2>"$t/err" &&
	[ "$(grep -c '(allowed by --allow-privileged)$' "$t/err")" = "$nrefuse" ] &&
	"$STAMP" --show "$t/priv" > "$t/show" &&
	[ "$(field "$t/show" version)" = 2 ] &&
	[ "$(field "$t/show" flags)" = "0x1 privileged (signed with --allow-privileged)" ] &&
	"$STAMP" --verify --cert "$CERT" "$t/priv" | grep -qx "$t/priv: stamp OK (privileged instructions allowed)"
ok $? "--allow-privileged stamps it; --show: version 2, flags 0x1 privileged; --verify says so"

cp "$SAMPLES/hello-static.unstamped" "$t/hello"
"$STAMP" --key "$KEY" "$t/hello" >/dev/null 2>"$t/err" && [ ! -s "$t/err" ] &&
	"$STAMP" --show "$t/hello" > "$t/show" &&
	[ "$(field "$t/show" version)" = 2 ] && [ "$(field "$t/show" flags)" = 0x0 ] &&
	"$STAMP" --verify --cert "$CERT" "$t/hello" | grep -qx "$t/hello: stamp OK"
ok $? "an ordinary stamp: no diagnostics, version 2, flags 0x0"

# The flag is signed: flipping it (the descriptor's flags) breaks the
# stamp, both ways.
"$FORGE" "$t/hello" desc flags 1
a=$("$STAMP" --verify --cert "$CERT" "$t/hello" 2>&1)
"$FORGE" "$t/priv" desc flags 0
b=$("$STAMP" --verify --cert "$CERT" "$t/priv" 2>&1)
[[ $a == *"BAD stamp"* ]] && [[ $b == *"BAD stamp"* ]]
ok $? "the flag is signed: setting or clearing it after stamping fails --verify"

# A version 1 stamp (the first format; mkcases.sh makes one with openssl)
# still verifies.
v1=$GUEST_DIR/good-openssl
[ -f "$v1" ] && "$STAMP" --show "$v1" > "$t/show" &&
	[ "$(field "$t/show" version)" = 1 ] && [ "$(field "$t/show" flags)" = 0x0 ] &&
	"$STAMP" --verify --cert "$CERT" "$v1" | grep -qx "$v1: stamp OK"
ok $? "a version 1 stamp still verifies (--show: version 1, flags 0x0)"

expect=0
"$STAMP" --show --allow-privileged "$t/hello" >/dev/null 2>"$t/err"; [ $? = 2 ] || expect=1
"$STAMP" --scan /etc/passwd >/dev/null 2>"$t/err2"; [ $? = 1 ] && grep -q 'cannot scan' "$t/err2" || expect=1
ok $expect "--allow-privileged with --show: usage error (2); --scan of a non-ELF: exit 1, 'cannot scan'"

# --- the project's own programs -----------------------------------------------
bad=0
for f in "$SAMPLES"/* "$SELFTESTS"/*; do
	# Not ordinary programs: the ring-0 tests, the privileged-instruction
	# and boundary tests (privileged on purpose, stamped with
	# --allow-privileged), the kernel's x86 selftests (a directory).
	[ -f "$f" ] || continue
	case $f in *kml_ring0_test-*|*kml-privinsn|*kml_boundary_test|*.so|*.log) continue ;; esac
	"$STAMP" --scan "$f" >/dev/null 2>"$t/err" || { echo "# $f:"; sed 's/^/#   /' "$t/err"; bad=1; }
done
ok $bad "the samples and the other selftest programs scan clean"

# The ring-0 tests: exactly the instructions they execute on purpose.
bad=0
for f in "$SELFTESTS"/kml_ring0_test-static "$SELFTESTS"/kml_ring0_test-dyn; do
	"$STAMP" --scan "$f" 2>&1 | sed -nE 's/.*: ([a-z_0-9]+)\+0x[0-9a-f]+: ([^:]*): .*\(refused at CPL 0\)$/\1 \2/p' |
		sort > "$t/r0"
	printf '%s\n' "cli_sti cli" "cli_sti sti" "read_cr0 movq %cr0, %rax" \
		"read_cr3 movq %cr3, %rax" "read_cr4 movq %cr4, %rax" |
		sort > "$t/r0want"
	diff "$t/r0want" "$t/r0" >/dev/null || { echo "# $f:"; diff "$t/r0want" "$t/r0" | sed 's/^/#   /'; bad=1; }
done
ok $bad "kml_ring0_test (static, dynamic): cli, sti, mov %cr0/%cr3/%cr4 and nothing else"

# --- Debian's binaries --------------------------------------------------------
bins=() missing=()
for f in "${debian[@]}"; do
	if [ -f "$f" ]; then bins+=("$f"); else missing+=("$f"); fi
done
for f in "${coreutils[@]}"; do	# dpkg -L also lists diversions and links
	[ -f "$f" ] && [ ! -L "$f" ] && bins+=("$f")
done
start=$(date +%s.%N)
"$STAMP" --scan -v "${bins[@]}" > "$t/deb" 2>&1
rc=$?
end=$(date +%s.%N)
refused=$(grep -c '(refused at CPL 0)$' "$t/deb")
grep '(refused at CPL 0)$' "$t/deb" | head -5 | sed 's/^/# /'
awk -v n="${#bins[@]}" -v s="$(echo "$end - $start" | bc)" '/: scanned [0-9]+ bytes/ {
	b += $3; i += $8; l += substr($10, 2); u += $14; r += $17; h += $19 }
	END { printf "# %d binaries, %d bytes of code, %d instructions (%d by length only), %d bytes undecodable, %d refused, %d hlt tolerated, %.2f s\n", n, b, i, l, u, r, h, s }' "$t/deb"
[ ${#missing[@]} = 0 ] || echo "# not installed: ${missing[*]}"
[ $rc = 0 ] && [ "$refused" = 0 ] && [ ${#bins[@]} -ge 50 ] && [ ${#missing[@]} = 0 ]
ok $? "Debian's bash, busybox, sqlite3, python3.11 and coreutils' /usr/bin scan clean"

# --- broken files, under ASan and UBSan ----------------------------------------
# Files broken where the scan reads: no section headers (the PT_LOAD sweep),
# an executable section past the end of the file, a symbol table claiming
# to be huge, section names out of range, a truncated file.
base=$SAMPLES/hello-static.unstamped
mk() { cp "$base" "$t/broken-$1"; f=$t/broken-$1; }
# the ELF fields by name (selftests/kml-forge.c); a failure stops the suite,
# or the ASan test below would run on intact copies
forge() { "$FORGE" "$f" "$@" || { echo "Bail out! kml-forge $f $*"; exit 1; }; }
mk nosections;    forge ehdr shoff 0; forge ehdr shnum 0; forge ehdr shstrndx 0
mk text-past-eof; forge shdr .text offset=SIZE+4096
mk text-huge;     forge shdr .text size=0x7fffffffffffffff
mk symtab-huge;   forge shdr .symtab size=0x7fffffff
mk strtab-link;   forge shdr .symtab link=0xff
mk shstrndx;      forge ehdr shstrndx 0xfffe
mk truncated;     truncate -s 100000 "$f"
mk shnum-huge;    forge ehdr shnum 0xffff
# kml-privinsn with SHF_EXECINSTR cleared in every section header: the
# executable PT_LOAD must be swept instead (all findings still there).
cp "$PRIV" "$t/broken-noexec"
f=$t/broken-noexec; forge shdr-noexec
files=("$t"/broken-* "$top"/selftests/fuzz-corpus/*)
[ -d "$GUEST_DIR" ] && files+=("$GUEST_DIR"/bad-* "$GUEST_DIR"/corpus/*)
bad=0 cnt=0
for f in "${files[@]}"; do
	for mode in --scan --key; do
		cp "$f" "$t/victim"
		if [ $mode = --scan ]; then
			ASAN_OPTIONS=detect_leaks=0 "$STAMP_ASAN" --scan -v "$t/victim" >/dev/null 2>"$t/err"
		else
			ASAN_OPTIONS=detect_leaks=0 "$STAMP_ASAN" --key "$KEY" "$t/victim" >/dev/null 2>"$t/err"
		fi
		rc=$?
		cnt=$((cnt + 1))
		if [ $rc -gt 1 ] || grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$t/err"; then
			echo "# $mode ${f##*/}: exit $rc"; head -5 "$t/err" | sed 's/^/#   /'; bad=1
		fi
	done
done
echo "# $cnt runs of kml-stamp-asan (--scan and stamping) over ${#files[@]} broken files"
ok $bad "kml-stamp under ASan+UBSan survives the broken-ELF corpus (scan and stamp)"

# What the broken files must give, with the ordinary build.
for b in text-past-eof text-huge nosections noexec; do
	"$STAMP" --scan -v "$t/broken-$b" > "$t/$b.out" 2>&1
done
grep -q 'cannot scan: an executable section lies past the end of the file' "$t/text-past-eof.out" &&
	grep -q 'cannot scan: an executable section lies past the end of the file' "$t/text-huge.out" &&
	grep -qE 'scanned [0-9]+ bytes in 1 segments, .* 0 refused' "$t/nosections.out" &&
	grep -qE "scanned [0-9]+ bytes in 1 segments, .* $nrefuse refused" "$t/noexec.out"
ok $? "an executable section past the end of the file: cannot scan; no section headers: the executable PT_LOAD is swept, clean; no section marked executable: the PT_LOAD is swept, all $nrefuse findings"

# kml-stamp --scan on several files: the exit status reflects the worst.
"$STAMP" --scan "$SAMPLES/hello-static" "$PRIV" >/dev/null 2>&1; a=$?
"$STAMP" --scan "$SAMPLES/hello-static" "$SAMPLES/hello-dyn" >/dev/null 2>&1; b=$?
[ $a = 1 ] && [ $b = 0 ]
ok $? "--scan FILE...: exit 1 if any file has findings, 0 if none"

exit $((fails > 0))
