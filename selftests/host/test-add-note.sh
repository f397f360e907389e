#!/bin/bash
# test-add-note.sh - host-side TAP tests of kml-stamp --add-note.
#
# Environment: STAMP KEY CERT (set by selftests/check.sh); STAMP_ASAN, the
# same tool built with ASan + UBSan (make tools-asan), used for every
# --add-note below except where a test preloads a library of its own;
# GUEST_KML, the broken-stamp corpus made by selftests/mkcases.sh
# (make initramfs: build/guest/kml).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${STAMP:?}" "${KEY:?}" "${CERT:?}" "${UNTRUSTED_KEY:?}"
STAMP_ASAN=${STAMP_ASAN:-$top/build/tools-asan/kml-stamp}
FORGE=${FORGE:-$top/build/host/kml-forge}	# selftests/kml-forge.c
GUEST_KML=${GUEST_KML:-$top/build/guest/kml}
# A sanitizer finding must not look like an ordinary refusal (exit 1).
export ASAN_OPTIONS=exitcode=86:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:exitcode=87:print_stacktrace=1
AN=$STAMP_ASAN
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
say() { echo "# $*"; }
field() { "$STAMP" --show "$1" | sed -n "s/^$2: //p"; }

echo "TAP version 13"
echo "1..109"

# ---- helpers ---------------------------------------------------------------
# phdrs FILE: one line per program header: TYPE OFFSET VADDR FILESZ MEMSZ FLAGS ALIGN
phdrs() {
	readelf -lW "$1" | awk '/^  [A-Z]/ && $2 ~ /^0x/ {
		fl = ""; for (i = 7; i < NF; i++) fl = fl $i
		print $1, $2, $3, $5, $6, fl, $NF }'
}
phnum_of() { readelf -hW "$1" | sed -n 's/^ *Number of program headers: *\([0-9]*\).*/\1/p'; }

# layout_ok ORIG NEW: what readelf -lSW shows of NEW is the layout
# tools/README.md promises, and NEW keeps everything ORIG had.
layout_ok() {
	local o=$1 f=$2 phnum phoff ophnum i=0 err=0
	local type off va fsz msz fl al first= prev_end=0 maxend=0 cov= cva= cfl= cend=
	readelf -lSW "$o" > /dev/null 2> "$t/rl.err.o"
	if ! readelf -lSW "$f" > "$t/rl.out" 2> "$t/rl.err" ||
	   [ -n "$(comm -13 <(sort "$t/rl.err.o") <(sort "$t/rl.err"))" ]; then
		say "readelf -lSW complains:"; sed 's/^/#   /' "$t/rl.err"; return 1
	fi
	read -r phnum phoff < <(sed -n 's/^There are \([0-9]*\) program headers, starting at offset \([0-9]*\)$/\1 \2/p' "$t/rl.out")
	ophnum=$(phnum_of "$o")
	[ -n "$phnum" ] && [ "$phnum" = $((ophnum + 2)) ] ||
		{ say "$f: ${phnum:-?} program headers, want $((ophnum + 2))"; return 1; }
	phdrs "$o" > "$t/ph.o"
	phdrs "$f" > "$t/ph.n"
	if [ -n "$(comm -23 <(grep -v '^PHDR ' "$t/ph.o" | sort) <(sort "$t/ph.n"))" ]; then
		say "$f: old program headers lost or changed:"
		comm -23 <(grep -v '^PHDR ' "$t/ph.o" | sort) <(sort "$t/ph.n") | sed 's/^/#   /'
		return 1
	fi
	while read -r type off va fsz msz fl al; do
		off=$((off)) va=$((va)) fsz=$((fsz)) msz=$((msz))
		if [ "$type" = PHDR ] && [ $i != 0 ]; then
			say "$f: PHDR is program header $i, not the first"; err=1
		fi
		if [ "$type" = LOAD ]; then
			[ -n "$first" ] || first=$((va - off))
			((va >= prev_end)) || { say "$f: LOAD at $va overlaps or is out of address order"; err=1; }
			prev_end=$((va + msz))
			if ((off <= phoff && phoff + phnum * 56 <= off + fsz)); then
				cov=$((va - off)) cva=$((va + phoff - off)) cfl=$fl cend=$va
			elif ((va + msz > maxend)); then
				maxend=$((va + msz))
			fi
		fi
		i=$((i + 1))
	done < "$t/ph.n"
	[ -n "$cov" ] || { say "$f: no LOAD holds the program header table"; return 1; }
	((cov == first)) || { say "$f: the table's LOAD has address - offset $cov, the first LOAD $first"; err=1; }
	((cend >= (maxend + 4095) / 4096 * 4096)) ||
		{ say "$f: the new LOAD ($cend) is not above every other mapped page ($maxend)"; err=1; }
	[ "$cfl" = R ] || { say "$f: the new LOAD is not read-only ($cfl)"; err=1; }
	if grep -q '^PHDR ' "$t/ph.o"; then
		read -r type off va fsz msz fl al < <(grep '^PHDR ' "$t/ph.n")
		[ "$((off)) $((va)) $((fsz))" = "$phoff $cva $((phnum * 56))" ] ||
			{ say "$f: PHDR says $((off)) $((va)) $((fsz)), the table is $phoff $cva $((phnum * 56))"; err=1; }
	elif grep -q '^PHDR ' "$t/ph.n"; then
		say "$f: a PHDR appeared"; err=1
	fi
	# Sections: untouched.
	if ! cmp -s <(readelf -SW "$o" 2>&1) <(readelf -SW "$f" 2>&1); then
		say "$f: section headers changed"; err=1
	fi
	# The note: reserved, in the new segment.
	local d; d=$(field "$f" desc-offset)
	[ "$(field "$f" state)" = "reserved (not stamped)" ] && [ -n "$d" ] && ((d > phoff)) ||
		{ say "$f: kml-stamp --show does not see a reserved note in the new segment"; err=1; }
	return $err
}

# elflint_new ORIG NEW: eu-elflint --gnu-ld complaints about NEW that ORIG
# has not, leaving out the one it makes about any KML note (a kml.ld-linked
# file gets it too: tested below).
KMLNOTE_LINT="unknown object file note type 1 with owner name 'KML'"
# Program header numbers are left out: the new PT_NOTE shifts them.
elflint_new() {
	eu-elflint --gnu-ld "$1" 2>&1 | sed 's/^phdr\[[0-9]*\]/phdr[#]/' | sort > "$t/e.o"
	eu-elflint --gnu-ld "$2" 2>&1 | grep -vF "$KMLNOTE_LINT" |
		sed 's/^phdr\[[0-9]*\]/phdr[#]/' | sort > "$t/e.n"
	comm -13 "$t/e.o" "$t/e.n" | grep -v '^No errors$'
}

# same_run DIR_A DIR_B NAME [ARGS...]: DIR_A/NAME and DIR_B/NAME (same
# argv[0]) print the same and exit the same.
same_run() {
	local a=$1 b=$2 name=$3 ra rb
	shift 3
	(cd "$a" && "./$name" "$@") > "$t/run.a" 2>&1; ra=$?
	(cd "$b" && "./$name" "$@") > "$t/run.b" 2>&1; rb=$?
	if [ $ra != $rb ] || ! cmp -s "$t/run.a" "$t/run.b"; then
		say "$name: exit $ra vs $rb; output:"; diff "$t/run.a" "$t/run.b" | head -10 | sed 's/^/#   /'
		return 1
	fi
	[ -s "$t/run.a" ]	# and it printed something
}
ldd_of() { ldd "$1" 2>&1 | sed 's/ (0x[0-9a-f]*)//; s/^\t//'; }

# no_tmp DIR: kml-stamp left no temporary file behind
no_tmp() {
	local left
	left=$(find "$1" -maxdepth 1 -name '.*.kml-*')
	[ -z "$left" ] || { say "temporary files left: $left"; return 1; }
}

# check_exec NAME ORIGDIR [ARGS...]: the four tests of one executable:
# --add-note + layout, eu-elflint, same run (+ ldd), stamp + verify + run.
check_exec() {
	local name=$1 od=$2 nd=$t/new-$1 r
	shift 2
	mkdir -p "$nd"
	cp -p "$od/$name" "$nd/$name"
	"$AN" --add-note "$nd/$name" > "$t/an.out" 2> "$t/an.err"
	r=$?
	[ $r = 0 ] && grep -q "KML note added" "$t/an.out" && no_tmp "$nd" && layout_ok "$od/$name" "$nd/$name"
	r=$?
	[ -s "$t/an.err" ] && sed 's/^/#   /' "$t/an.err"
	ok $r "$name: --add-note ($(sed -n 's/.*(\(.*\) executable).*/\1/p' "$t/an.out")), readelf -lSW layout sane"
	local lint; lint=$(elflint_new "$od/$name" "$nd/$name")
	[ -z "$lint" ]; r=$?
	[ $r = 0 ] || echo "$lint" | sed 's/^/#   /'
	ok $r "$name: eu-elflint --gnu-ld has no new complaints"
	same_run "$od" "$nd" "$name" "$@" && cmp -s <(ldd_of "$od/$name") <(ldd_of "$nd/$name")
	ok $? "$name: runs with the original's output and exit status; ldd unchanged"
	"$STAMP" --key "$KEY" "$nd/$name" > /dev/null &&
		"$STAMP" --verify --cert "$CERT" "$nd/$name" > /dev/null &&
		same_run "$od" "$nd" "$name" "$@"
	ok $? "$name: kml-stamp --key stamps it, --verify --cert accepts it, it runs the same"
}

# refused TEXT FILE [OPTIONS...]: --add-note exits 1 naming FILE and saying
# TEXT on one line, and leaves FILE byte for byte and no temporary file.
refused() {
	local text=$1 f=$2 rc
	shift 2
	rm -rf "$t/pristine"; cp -a "$f" "$t/pristine"
	"$AN" --add-note "$@" "$f" > "$t/out" 2> "$t/err"
	rc=$?
	if [ $rc != 1 ] || ! grep -qF -- "$f: $text" "$t/err" || [ "$(wc -l < "$t/err")" != 1 ]; then
		say "wanted exit 1 and one line \"$f: $text\"; got exit $rc:"; sed 's/^/#   /' "$t/err"
		return 1
	fi
	[ -d "$f" ] || cmp -s "$t/pristine" "$f" || { say "$f changed"; return 1; }
	no_tmp "$(dirname "$f")"
}

# ---- programs built here ---------------------------------------------------
cat > "$t/prog.c" <<'C'
/* Exercises what a moved program header table can break: TLS set-up
 * (PT_TLS read through AT_PHDR), dl_iterate_phdr, the unwinder
 * (PT_GNU_EH_FRAME), AT_PHDR vs PT_PHDR, .bss, brk and mmap heaps. */
#define _GNU_SOURCE
#include <execinfo.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

__thread int tls_init = 42;
__thread char tls_zero[64];
static char bss[BSS_SIZE];
static int data = 7;

static int main_only(struct dl_phdr_info *info, size_t size, void *arg)
{
	int *res = arg, i, tls = 0, loads = 0, self = 1;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];

		loads += p->p_type == PT_LOAD;
		tls += p->p_type == PT_TLS && p->p_memsz >= sizeof(int) + 64;
		if (p->p_type == PT_PHDR)
			self = info->dlpi_addr + p->p_vaddr == (ElfW(Addr))info->dlpi_phdr;
	}
	*res = loads && tls == 1 && self &&
	       info->dlpi_phdr == (const void *)getauxval(AT_PHDR) &&
	       info->dlpi_phnum == getauxval(AT_PHNUM);
	return 1;	/* the first object is the program */
}

__attribute__((noinline)) static int unwind(void)
{
	void *bt[16];

	return backtrace(bt, 16);
}

int main(int argc, char **argv)
{
	char *small = malloc(64), *big = malloc(4 << 20);
	int res = 0, i;

	dl_iterate_phdr(main_only, &res);
	tls_zero[3] = 5;
	bss[BSS_SIZE - 1] = data;
	strcpy(small, "heap");
	memset(big, 1, 4 << 20);
	printf("tls %d %d, bss %d, %s %d, phdrs %s, unwind %s, args",
	       tls_init, tls_zero[3], bss[BSS_SIZE - 1], small, big[4 << 19],
	       res ? "ok" : "BAD", unwind() >= 2 ? "ok" : "BAD");
	for (i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 3;
}
C
cat > "$t/notes.S" <<'S'
	.section .note.kml-test-a, "a", @note
	.balign 4
	.long 4, 8, 0x1234
	.asciz "XYZ"
	.quad 0x1122334455667788
	.section .note.kml-test-b, "a", @note
	.balign 8
	.long 5, 4, 7
	.asciz "ABCD"
	.balign 8
	.long 42
	.balign 8
	.section .note.GNU-stack, "", @progbits
S
src=$t/src
mkdir -p "$src"
build() {	# build NAME CC-FLAGS...: $src/NAME from prog.c
	local name=$1
	shift
	gcc -O2 -g -DBSS_SIZE=65536 -o "$src/$name" "$t/prog.c" "$@" 2> "$t/cc.err" ||
		{ say "cannot build $name:"; sed 's/^/#   /' "$t/cc.err"; }
}
build static -static
build static-pie -static-pie
build pie -pie -fPIE
build nopie -no-pie
for v in static pie nopie; do cp "$src/$v" "$src/$v-stripped"; strip "$src/$v-stripped"; done
build lld-static -static -fuse-ld=lld		# a static file with a PT_PHDR
build lld-pie -pie -fPIE -fuse-ld=lld
build notes -pie -fPIE "$t/notes.S"		# four notes in two PT_NOTEs
build align2m -static -Wl,-z,max-page-size=0x200000 -Wl,-z,noseparate-code
gcc -O2 -DBSS_SIZE='(64 << 20)' -static -o "$src/bigbss" "$t/prog.c"
# A dynamic program without PT_PHDR: the non-PIE one with its PT_PHDR
# (the first entry) made PT_NULL; ld.so needs none for a non-PIE program.
cp "$src/nopie" "$src/nophdr-dyn"
"$FORGE" "$src/nophdr-dyn" phdr-retype 6 0	# PT_PHDR -> PT_NULL (selftests/kml-forge.c)

# ---- 1: variants built from one C program (13 x 4 tests) -------------------
for v in static static-stripped static-pie pie pie-stripped nopie nopie-stripped \
	 lld-static lld-pie nophdr-dyn notes align2m bigbss; do
	check_exec "$v" "$src" one "two words"
done
# What the variants were meant to cover, as readelf sees the originals.
cover=0
for want in "static:!PHDR" "lld-static:PHDR" "static-pie:!PHDR" "nophdr-dyn:!PHDR" \
	    "nophdr-dyn:INTERP" "pie:PHDR" "static:TLS" "pie:GNU_PROPERTY" "pie:GNU_RELRO" \
	    "pie:GNU_STACK" "pie:INTERP"; do
	f=${want%%:*} ty=${want#*:}
	if [ "${ty#!}" != "$ty" ]; then
		grep -q "^${ty#!} " <<< "$(phdrs "$src/$f")" && { say "$f has ${ty#!}"; cover=1; }
	else
		grep -q "^$ty " <<< "$(phdrs "$src/$f")" || { say "$f lacks $ty"; cover=1; }
	fi
done
[ "$(phdrs "$src/notes" | grep -c '^NOTE ')" -ge 2 ] || { say "notes: fewer than 2 PT_NOTEs"; cover=1; }
[ "$(readelf -SW "$src/static-stripped" | grep -c '\.symtab')" = 0 ] || { say "static-stripped has .symtab"; cover=1; }
ok $cover "the variants have what they are for (PT_PHDR or not, PT_TLS, PT_INTERP, GNU_PROPERTY/RELRO/STACK, 2 PT_NOTEs, stripped)"

s=$(stat -c %s "$src/bigbss") a=$(stat -c %s "$t/new-bigbss/bigbss") b=$(stat -c %b "$t/new-bigbss/bigbss")
((a > (64 << 20) && b * 512 < s + (4 << 20)))
ok $? "a 64 MiB .bss: the file grows past it by a hole (size $s -> $a, $((b / 2)) KiB on disk)"

# ---- 2: Debian's own programs (5 x 4 tests) --------------------------------
deb=$t/deb
mkdir -p "$deb"
for p in /bin/bash /usr/bin/sqlite3 /bin/busybox /bin/dd /bin/ls; do
	cp "$p" "$deb/"
done
check_exec bash "$deb" -c 'x=(b a c); printf "%s\n" "${x[@]}" | sort | tr a-z A-Z; echo $((6 * 7)); exit 4'
check_exec sqlite3 "$deb" :memory: 'create table t(a); insert into t values (1), (2), (3); select sum(a), count(*) from t;'
check_exec busybox "$deb" sh -c 'echo one two | wc -w; seq 3 | tail -1'
check_exec dd "$deb" if=/dev/zero bs=512 count=8 status=none of=/dev/stdout
check_exec ls "$deb" -d / /usr /tmp

# The one elflint complaint left out above is the KML note itself.
printf 'int main(void) { return 0; }\n' > "$t/m.c"
gcc -O2 -o "$t/kmlld" "$t/m.c" -Wl,-T,"$top/elfnote/kml.ld" &&
	lint=$(eu-elflint --gnu-ld "$t/kmlld" 2>&1); grep -qF "$KMLNOTE_LINT" <<< "$lint"
ok $? "eu-elflint says \"$KMLNOTE_LINT\" of a kml.ld-linked file too (the one complaint not counted)"

cp "$deb/bash" "$t/bash-plain" && cp "$deb/bash" "$t/bash-asan" &&
	"$STAMP" --add-note "$t/bash-plain" > /dev/null && "$AN" --add-note "$t/bash-asan" > /dev/null &&
	cmp -s "$t/bash-plain" "$t/bash-asan"
ok $? "the ordinary and the sanitizer build write the same bytes (bash)"

# ---- 3: refusals: one line, file untouched, no temporary file ---------------
r=$t/refuse
mkdir -p "$r"
gcc -O2 -shared -fPIC -o "$r/lib.so" "$t/m.c"
refused "shared library, not an executable" "$r/lib.so"
ok $? "refused: a shared library"
cp /lib/x86_64-linux-gnu/libc.so.6 "$r/libc.so.6"
refused "shared library, not an executable" "$r/libc.so.6"
ok $? "refused: libc.so.6 (a shared library with PT_INTERP)"
cp "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$r/ld.so"
refused "shared library, not an executable" "$r/ld.so"
ok $? "refused: ld.so (ET_DYN, no PT_INTERP, no DF_1_PIE)"
printf '.globl _start\n_start: movl $1, %%eax\nint $0x80\n' > "$t/a32.s"
if as --32 -o "$t/a32.o" "$t/a32.s" 2>/dev/null && ld -m elf_i386 -o "$r/i386" "$t/a32.o" 2>/dev/null; then
	refused "32-bit ELF file" "$r/i386"
	ok $? "refused: a 32-bit (i386) executable"
else
	cp "$src/static" "$r/i386"; "$FORGE" "$r/i386" ehdr class 1	# ELFCLASS32
	refused "32-bit ELF file" "$r/i386"
	ok $? "refused: a 32-bit ELF file (EI_CLASS changed: no i386 assembler here)"
fi
cp "$src/static" "$r/aarch64"; "$FORGE" "$r/aarch64" ehdr machine 183	# EM_AARCH64
refused "not an x86-64 ELF file" "$r/aarch64"
ok $? "refused: an executable for another machine"
sleep 60 & sp=$!
if command -v gcore > /dev/null && gcore -o "$r/core" $sp > /dev/null 2>&1; then
	mv "$r/core.$sp" "$r/core"
	what="a core dump (gcore)"
else
	cp "$src/static" "$r/core"; "$FORGE" "$r/core" ehdr type 4	# ET_CORE
	what="an ET_CORE file (no gcore here)"
fi
kill $sp 2>/dev/null; wait $sp 2>/dev/null
refused "core dump, not an executable" "$r/core"
ok $? "refused: $what"
gcc -c -o "$r/m.o" "$t/m.c"
refused "relocatable object file" "$r/m.o"
ok $? "refused: a relocatable object (.o)"
cp "$t/kmlld" "$r/reserved"
refused "already has a KML note (reserved, not stamped)" "$r/reserved"
ok $? "refused: a kml.ld-linked file (says so)"
cp "$t/kmlld" "$r/stamped" && "$STAMP" --key "$KEY" "$r/stamped" > /dev/null
refused "already has a KML note (stamped)" "$r/stamped"
ok $? "refused: a stamped file (says so)"
cp "$t/new-pie/pie" "$r/again"
refused "already has a KML note" "$r/again" --key "$KEY"
ok $? "refused: a second --add-note (with --key too)"
cp "$t/prog.c" "$r/text"
refused "not an ELF file" "$r/text"
ok $? "refused: not an ELF file"
: > "$r/empty"
refused "not an ELF file (empty)" "$r/empty"
ok $? "refused: an empty file"
# Two PT_LOADs swapped in the table: "not in address order".
cp "$src/static" "$r/unsorted"
"$FORGE" "$r/unsorted" phdr-swap-loads
refused "cannot rewrite safely: PT_LOAD segments overlap or are not in address order" "$r/unsorted"
ok $? "refused: PT_LOADs out of address order (says which layout)"
# 72 program headers (the old ones and PT_NULLs in a table at the end):
# two more would not fit in the 4096 bytes the kernel reads.
cp "$src/static" "$r/many"
"$FORGE" "$r/many" phdr-table-grow 72
refused "too many program headers (72)" "$r/many"
ok $? "refused: too many program headers"
printf '\t.globl _start\n_start: mov $60, %%eax\n\txor %%edi, %%edi\n\tsyscall\n\t.section .lbss,"aw",@nobits\n\t.zero 0xc0000000\n\t.section .note.GNU-stack,"",@progbits\n' > "$t/hb.S"
gcc -nostdlib -static -o "$r/hugebss" "$t/hb.S"
refused "cannot rewrite safely: the memory image (.bss) ends 3072 MiB past the end of the file" "$r/hugebss"
ok $? "refused: a 3 GiB .bss (the padding would exceed 1 GiB)"
ln -s "$src/static" "$r/link"
refused "is a symbolic link" "$r/link"
ok $? "refused: a symbolic link (the file it points to is untouched)"
mkdir "$r/dir"
refused "not a regular file" "$r/dir"
ok $? "refused: a directory"

# ---- 4: atomic rewrite, ownership, failures half way ------------------------
w=$t/w
mkdir -p "$w"
# A directory the caller cannot write to (as root: run as nobody).
mkdir -p "$w/ro"
cp "$src/pie" "$w/ro/prog"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$w/ro/prog"; chmod 755 "$w/ro" "$t" "$w"
	asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
else
	chmod 555 "$w/ro"; asuser=()
fi
rm -rf "$t/pristine"; cp "$w/ro/prog" "$t/pristine"
"${asuser[@]}" "$STAMP" --add-note "$w/ro/prog" > /dev/null 2> "$t/err"
rc=$?
[ $rc = 1 ] && grep -q "cannot create a temporary file in $w/ro" "$t/err" &&
	cmp -s "$t/pristine" "$w/ro/prog" && no_tmp "$w/ro"
ok $? "unwritable directory: one-line error, file untouched, nothing left ($(head -1 "$t/err"))"
chmod 755 "$w/ro"

# The file system fills up while the new file is written.
mkdir -p "$w/full"
if mount -t tmpfs -o size=$(( $(stat -c %s "$deb/bash") * 3 / 2 )) kmltest "$w/full" 2>/dev/null; then
	cp "$deb/bash" "$w/full/bash"
	refused "cannot write" "$w/full/bash"
	ok $? "a full file system: \"cannot write ... No space left\", file untouched, no temporary file"
	umount "$w/full"
else
	skip "a full file system (cannot mount a tmpfs here)"
fi

# Stamping in --add-note --key fails after the new file is written (the
# key does not match the certificate; openssl's own lines follow).
cp "$src/pie" "$w/badkey"; rm -rf "$t/pristine"; cp "$w/badkey" "$t/pristine"
"$AN" --add-note --key "$UNTRUSTED_KEY" --cert "$CERT" "$w/badkey" > /dev/null 2> "$t/err"
rc=$?
[ $rc = 1 ] && grep -q "^kml-stamp: $w/badkey: signing failed" <<< "$(head -1 "$t/err")" &&
	cmp -s "$t/pristine" "$w/badkey" && no_tmp "$w"
ok $? "--add-note --key whose signing fails: the error names FILE, file untouched, no temporary file"

# Killed between writing the new file and renaming it (a preloaded rename()
# that signals first).
cat > "$t/killrename.c" <<'C'
#include <signal.h>
#include <stdlib.h>
int rename(const char *from, const char *to)
{
	(void)from; (void)to;
	raise(atoi(getenv("KML_TEST_SIGNAL")));
	return -1;
}
C
gcc -shared -fPIC -o "$t/killrename.so" "$t/killrename.c"
cp "$deb/bash" "$w/term"; rm -rf "$t/pristine"; cp "$w/term" "$t/pristine"
KML_TEST_SIGNAL=15 LD_PRELOAD=$t/killrename.so "$STAMP" --add-note --key "$KEY" "$w/term" > /dev/null 2>&1
rc=$?
[ $rc = 143 ] && cmp -s "$t/pristine" "$w/term" && no_tmp "$w"
ok $? "SIGTERM between write and rename (exit $rc): the original is untouched, the temporary file removed"
cp "$deb/bash" "$w/kill"; rm -rf "$t/pristine"; cp "$w/kill" "$t/pristine"
KML_TEST_SIGNAL=9 LD_PRELOAD=$t/killrename.so "$STAMP" --add-note --key "$KEY" "$w/kill" > /dev/null 2>&1
rc=$?
left=$(find "$w" -maxdepth 1 -name '.kill.kml-*')
[ $rc = 137 ] && cmp -s "$t/pristine" "$w/kill" && [ "$(echo "$left" | wc -w)" = 1 ] &&
	"$STAMP" --verify --cert "$CERT" "$left" > /dev/null
ok $? "SIGKILL between write and rename: the original is untouched; what is left is the complete, stamped .kill.kml-XXXXXX"
rm -f "$left"

# Owner, group, mode (set-id bits too), extended attributes.
cp "$src/pie" "$w/owned"
if [ "$(id -u)" = 0 ]; then
	chown 1234:4321 "$w/owned"; chmod 6751 "$w/owned"
	want="1234:4321 6751"
else
	chmod 0751 "$w/owned"; want="$(id -u):$(id -g) 751"
fi
cp -a "$w/owned" "$w/owned2"
got1=$("$AN" --add-note "$w/owned" > /dev/null && stat -c '%u:%g %a' "$w/owned")
got2=$("$AN" --add-note --key "$KEY" "$w/owned2" > /dev/null && stat -c '%u:%g %a' "$w/owned2")
[ "${got1:-}" = "$want" ] && [ "${got2:-}" = "$want" ]
ok $? "owner, group and mode kept ($want), with and without --key (got ${got1:-?}, ${got2:-?})"
if command -v setfattr > /dev/null && cp "$src/pie" "$w/xattr" &&
	setfattr -n user.kml-test -v kept "$w/xattr" 2>/dev/null; then
	"$AN" --add-note "$w/xattr" > /dev/null &&
		[ "$(getfattr --only-values -n user.kml-test "$w/xattr" 2>/dev/null)" = kept ]
	ok $? "extended attributes kept (user.kml-test)"
else
	skip "extended attributes (no setfattr, or no user xattrs on this file system)"
fi
# A hard link keeps the old file (rename replaces one name), and it says so.
cp "$src/pie" "$w/hl1"; ln "$w/hl1" "$w/hl2"
"$AN" --add-note "$w/hl1" > /dev/null 2> "$t/err" && grep -q "had 2 hard links" "$t/err" &&
	cmp -s "$w/hl2" "$src/pie" && [ "$(field "$w/hl1" state)" = "reserved (not stamped)" ]
ok $? "a file with two hard links: this name gets the note, the other keeps the old file, a warning says so"

# One step: --add-note --key; the digest is the unstamped reservation's.
cp "$deb/bash" "$w/one"; cp "$deb/bash" "$w/two"
"$AN" --add-note --key "$KEY" "$w/one" > "$t/out" && grep -q "KML note added (PIE executable), stamped" "$t/out" &&
	"$STAMP" --verify --cert "$CERT" "$w/one" > /dev/null && "$AN" --add-note "$w/two" > /dev/null &&
	[ "$("$STAMP" --hash "$w/one" | cut -d' ' -f1)" = "$("$STAMP" --hash "$w/two" | cut -d' ' -f1)" ]
ok $? "--add-note --key in one step: stamped, verifies, same digest as --add-note alone"

# Several files in one call: each on its own, exit 1 if any failed.
cp "$src/static" "$w/m1"; cp "$r/lib.so" "$w/m2"; cp "$src/pie" "$w/m3"
"$AN" --add-note "$w/m1" "$w/m2" "$w/m3" > "$t/out" 2> "$t/err"
rc=$?
[ $rc = 1 ] && [ "$(grep -c "KML note added" "$t/out")" = 2 ] && grep -q "m2: shared library" "$t/err"
ok $? "several files: two rewritten, the library refused, exit 1"

# Usage errors.
"$AN" --add-note --verify --cert "$CERT" "$w/m1" > /dev/null 2>&1; r1=$?
"$AN" --add-note --cert "$CERT" "$w/m1" > /dev/null 2>&1; r2=$?
[ $r1 = 2 ] && [ $r2 = 2 ]
ok $? "usage errors: --add-note with --verify, --cert without --key (exit 2)"
cp "$src/pie" "$w/envkey"
KML_KEY=$KEY "$AN" --add-note "$w/envkey" > /dev/null && [ "$(field "$w/envkey" state)" = "reserved (not stamped)" ]
ok $? "KML_KEY in the environment alone does not make --add-note stamp"

doc=0
# (grep -q on a variable: with pipefail, "cmd | grep -q" fails when cmd
# gets SIGPIPE after grep has found its match)
grep -q -- --add-note <<< "$("$STAMP" --help)" || { say "--help lacks --add-note"; doc=1; }
grep -q -- "--add-note" <<< "$(sed 's/\\-/-/g' "$top/tools/kml-stamp.1")" || { say "man page lacks --add-note"; doc=1; }
grep -q -- "--add-note" "$top/README.md" || { say "README.md lacks --add-note"; doc=1; }
ok $doc "--help, the man page and README.md document --add-note"

# ---- 5: every corpus file, with the sanitizer build ------------------------
# rewritten (and then it checks out and runs as before) or refused (and
# untouched); a crash or a sanitizer report (exit 86/87) fails.
corpus_run() {	# corpus_run LABEL FILES...
	local label=$1 f c rc bad=0 done=0 refused=0 before after
	shift
	mkdir -p "$t/c"
	for f in "$@"; do
		[ -f "$f" ] || continue
		c=$t/c/${f##*/}
		cp "$f" "$c"; chmod 755 "$c"; rm -rf "$t/pristine"; cp "$c" "$t/pristine"
		"$AN" --add-note "$c" > "$t/out" 2> "$t/err"
		rc=$?
		if [ $rc = 0 ]; then
			done=$((done + 1))
			say "$label ${f##*/}: rewritten (the walker sees no KML note in it)"
			if ! layout_ok "$t/pristine" "$c"; then
				say "$label ${f##*/}: rewritten, but the layout is wrong"; bad=1
			fi
			(cd "$t" && timeout 10 ./pristine > "$t/r1" 2>&1; echo "exit $?" >> "$t/r1")
			(cd "$t/c" && timeout 10 "./${c##*/}" > "$t/r2" 2>&1; echo "exit $?" >> "$t/r2")
			sed -i "s|${c##*/}|pristine|g" "$t/r2"
			cmp -s "$t/r1" "$t/r2" || { say "$label ${f##*/}: runs differently"; diff "$t/r1" "$t/r2" | sed 's/^/#   /'; bad=1; }
		elif [ $rc = 1 ] && [ "$(wc -l < "$t/err")" = 1 ] && grep -q "^kml-stamp: $c: " "$t/err" &&
		     cmp -s "$t/pristine" "$c"; then
			refused=$((refused + 1))
		else
			say "$label ${f##*/}: exit $rc:"; sed 's/^/#   /' "$t/err" | head -20; bad=1
		fi
		no_tmp "$t/c" || bad=1
		rm -f "$c"
	done
	say "$label: $done rewritten, $refused refused"
	corpus_done=$done corpus_refused=$refused
	return $bad
}
corpus_run fuzz-corpus "$top"/selftests/fuzz-corpus/*
r=$?
[ $r = 0 ] && [ $((corpus_done + corpus_refused)) = "$(ls "$top"/selftests/fuzz-corpus | wc -l)" ]
ok $? "selftests/fuzz-corpus: every file rewritten correctly or refused, no sanitizer report ($corpus_done rewritten, $corpus_refused refused)"
if [ -d "$GUEST_KML" ] && ls "$GUEST_KML"/bad-* > /dev/null 2>&1; then
	corpus_run mkcases "$GUEST_KML"/bad-* "$GUEST_KML"/good-openssl "$GUEST_KML"/corpus/*
	r=$?
	[ $r = 0 ] && [ "$corpus_refused" -ge 40 ]
	ok $? "the broken-stamp corpus (mkcases.sh): every file rewritten correctly or refused, no sanitizer report ($corpus_done rewritten, $corpus_refused refused)"
else
	ok 1 "the broken-stamp corpus: $GUEST_KML/bad-* missing (make initramfs first)"
fi
corpus_run seeds "$top"/selftests/fuzz-corpus-addnote/*
[ $? = 0 ] && [ "$corpus_done" = 4 ] && [ "$corpus_refused" = 1 ]
ok $? "the --add-note fuzz seeds: static, static-pie, dynamic, PIE rewritten, the shared object refused"

exit 0
