#!/bin/bash
# test-package.sh - TAP tests of `make install` and the kml-tools .deb: the
# package is built afresh from the install tree, lintian finds no error, and
# a program is built, stamped and verified using only what the package
# installed into a scratch root (dpkg -x) and pkg-config.  The guest suite
# "pkg" runs such a program (build/selftests/kml-pkg-probe, made the same
# way by the Makefile) in ring 0.
# Environment: STAMP CERT KEY UNTRUSTED_KEY (set by selftests/check.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${STAMP:?}" "${KEY:?}" "${CERT:?}" "${UNTRUSTED_KEY:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
note() { sed 's/^/#   /'; }
files="bin/kml-stamp share/man/man1/kml-stamp.1.gz include/kml/kml_note.h include/kml/kml_syscall.h
share/kml/kml.ld share/kml/kml_note.S share/pkgconfig/kml.pc share/doc/kml-tools/copyright
sbin/kmlsnoop sbin/kmltop share/man/man8/kmlsnoop.8.gz share/man/man8/kmltop.8.gz"
version=0.1
# The packaged kmlsnoop and kmltop (libbpf linked in, the rest shared):
# make check-prereqs builds them.
bpf=("$top/build/tools-pkg/kmlsnoop" "$top/build/tools-pkg/kmltop")

echo "TAP version 13"
echo "1..15"

# 1-2: make install honours DESTDIR and PREFIX
make -s -C "$top" install DESTDIR="$t/inst" PREFIX=/opt/kml KML_KEY="$KEY" > "$t/log" 2>&1
rc=$?
missing=
for f in $files; do [ -f "$t/inst/opt/kml/$f" ] || missing+=" $f"; done
[ $rc -eq 0 ] && [ -z "$missing" ] && [ -x "$t/inst/opt/kml/bin/kml-stamp" ]
ok $? "make install DESTDIR=... PREFIX=/opt/kml installs $(echo $files | wc -w) files"
[ -z "$missing" ] || echo "missing:$missing" | note
[ $rc -eq 0 ] || note < "$t/log"
grep -qx 'prefix=/opt/kml' "$t/inst/opt/kml/share/pkgconfig/kml.pc" &&
	! grep -rq "$t" "$t/inst/opt/kml/share/pkgconfig/kml.pc"
ok $? "kml.pc names PREFIX, not DESTDIR"

# 3-5: the .deb
deb=$("$top/tools/mkdeb-tools.sh" "$t/deb" "$version" "$STAMP" "${bpf[@]}" 2> "$t/err")
[ -f "$deb" ] && [ "$(dpkg-deb -f "$deb" Package)" = kml-tools ] &&
	dpkg-deb -f "$deb" Depends | grep -q libssl &&
	dpkg-deb -f "$deb" Depends | grep -q libelf &&
	dpkg-deb -f "$deb" Depends | grep -q zlib1g
ok $? "kml-tools .deb built: $(basename "${deb:-none}"), Depends: $(dpkg-deb -f "$deb" Depends 2>/dev/null)"
[ -f "$deb" ] || note < "$t/err"
# the package is the install tree with PREFIX=/usr (plus its changelog)
make -s -C "$top" install DESTDIR="$t/inst2" PREFIX=/usr KML_KEY="$KEY" > /dev/null 2>&1
(cd "$t/inst2" && find . -type f | sort) > "$t/tree"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | grep -v '/changelog.gz$' | sort > "$t/debfiles"
cmp -s "$t/tree" "$t/debfiles"
ok $? "the .deb holds exactly what make install PREFIX=/usr installs (+ changelog)"
diff "$t/tree" "$t/debfiles" | note
lintian --no-tag-display-limit "$deb" > "$t/lintian" 2>&1
errs=$(grep -c '^E:' "$t/lintian")
[ -s "$t/deb/$(basename "$deb")" ] && [ "$errs" -eq 0 ] &&
	! grep -q 'ERROR\|not found' "$t/lintian"
ok $? "lintian: no errors ($(grep -c '^W:' "$t/lintian") warnings)"
grep -E '^(E|W):|ERROR' "$t/lintian" | note

# 6: install into a scratch root
root=$t/root
dpkg -x "$deb" "$root"
missing=
for f in $files; do [ -f "$root/usr/$f" ] || missing+=" $f"; done
[ -z "$missing" ]
ok $? "dpkg -x into a scratch root: every file in place"
[ -z "$missing" ] || echo "missing:$missing" | note

# 7: pkg-config, pointed into the scratch root only
pc() { PKG_CONFIG_LIBDIR="$root/usr/share/pkgconfig" PKG_CONFIG_PATH='' \
	PKG_CONFIG_SYSROOT_DIR="$root" pkg-config "$@"; }
flags=$(pc --cflags --libs kml)
ld=$(pc --variable=ldscript kml)
[[ $flags == *"-I$root/usr/include/kml"* ]] && [[ $flags == *"-Wl,-T,$root/usr/share/kml/kml.ld"* ]] &&
	[ "$ld" = "$root/usr/share/kml/kml.ld" ] && [ -f "$ld" ] && [ "$(pc --modversion kml)" = $version ]
ok $? "pkg-config --cflags --libs kml: $flags"

# 8-10: a program built from the package only (the compiler's own headers
# and libc aside), reserved, stamped by the packaged kml-stamp, verified
cat > "$t/app.c" <<'C'
#include <stdio.h>
#include <sys/syscall.h>
#include <kml_note.h>
#include <kml_syscall.h>
int main(void)
{
	printf("%s %ld\n", KML_NOTE_NAME, kml_syscall0(SYS_getppid) > 0 ? 1L : 0L);
	return 0;
}
C
cc -O2 -Wall -Werror -o "$t/app" "$t/app.c" $(pc --cflags --libs kml) 2> "$t/err" &&
	[ "$("$t/app")" = "KML 1" ] &&
	[ "$("$root/usr/bin/kml-stamp" --show "$t/app" | sed -n 's/^state: //p')" = "reserved (not stamped)" ]
ok $? "cc \$(pkg-config --cflags --libs kml) app.c: runs, the stamp note is reserved"
note < "$t/err"
"$root/usr/bin/kml-stamp" --key "$KEY" "$t/app" > /dev/null 2> "$t/err" &&
	"$root/usr/bin/kml-stamp" --verify --cert "$CERT" "$t/app" > /dev/null 2>> "$t/err" &&
	! "$root/usr/bin/kml-stamp" --verify --cert "$UNTRUSTED_KEY" "$t/app" > /dev/null 2>&1 &&
	"$STAMP" --verify --cert "$CERT" "$t/app" > /dev/null 2>> "$t/err"
ok $? "the packaged kml-stamp stamps it; it verifies with the trusted certificate (not another), also by the build's kml-stamp"
note < "$t/err"
# lld cannot use kml.ld: the packaged kml_note.S instead
src=$(pc --variable=notesrc kml)
cc -c $(pc --cflags kml) -o "$t/note.o" "$src" 2> "$t/err" &&
	cc -O2 -fuse-ld=lld -o "$t/app-lld" "$t/app.c" "$t/note.o" $(pc --cflags kml) 2>> "$t/err" &&
	"$root/usr/bin/kml-stamp" --key "$KEY" "$t/app-lld" > /dev/null 2>> "$t/err" &&
	"$root/usr/bin/kml-stamp" --verify --cert "$CERT" "$t/app-lld" > /dev/null 2>> "$t/err" &&
	[ "$("$t/app-lld")" = "KML 1" ]
ok $? "with lld: kml_note.S from pkg-config --variable=notesrc, assembled with --cflags, stamped and verified"
note < "$t/err"

# 11: the man page
zcat "$root/usr/share/man/man1/kml-stamp.1.gz" | cmp -s - "$top/tools/kml-stamp.1" &&
	MANWIDTH=80 man -l "$root/usr/share/man/man1/kml-stamp.1.gz" 2>/dev/null | grep -q 'pkcs11'
ok $? "man page share/man/man1/kml-stamp.1.gz is tools/kml-stamp.1 and renders"

# 12: the packaged headers are the source's
cmp -s "$root/usr/include/kml/kml_note.h" "$top/elfnote/kml_note.h" &&
	cmp -s "$root/usr/include/kml/kml_syscall.h" "$top/elfnote/kml_syscall.h" &&
	cmp -s "$root/usr/share/kml/kml.ld" "$top/elfnote/kml.ld"
ok $? "packaged kml_note.h, kml_syscall.h, kml.ld are the source tree's"

# 13: the guest's probe was built the same way (Makefile) and verifies
probe=$top/build/selftests/kml-pkg-probe
[ -f "$probe" ] && "$STAMP" --verify --cert "$CERT" "$probe" > /dev/null 2>&1 &&
	! "$STAMP" --verify --cert "$CERT" "$probe.unstamped" > /dev/null 2>&1
ok $? "build/selftests/kml-pkg-probe (for the guest suite pkg) is stamped, its .unstamped copy not"

# 14: the packaged BPF tools run from the scratch root, need no libbpf.so
# (linked in) and have their man pages
ok14=0
for b in kmlsnoop kmltop; do
	"$root/usr/sbin/$b" --help > "$t/help" 2>&1 && grep -q "^usage: $b " "$t/help" &&
		! ldd "$root/usr/sbin/$b" | grep -q libbpf && ldd "$root/usr/sbin/$b" | grep -q libelf &&
		zcat "$root/usr/share/man/man8/$b.8.gz" | cmp -s - "$top/tools/$b.8" || { ok14=1; note < "$t/help"; }
done
ok $ok14 "sbin/kmlsnoop and sbin/kmltop: --help from the scratch root, libbpf linked in, libelf shared, man pages in section 8"

# 15: kml_syscall4..6 of the packaged header with constant arguments at -O2
# (their fallback, "syscall", on this host) agree with syscall(2).  GCC
# dropped R10 here while the header set its register variables before the
# auxv look-up's call: mremap gave -EINVAL.
cat > "$t/args.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <kml_syscall.h>
int main(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("entry %lx\n", kml_direct_entry());
	long a = kml_syscall4(SYS_mremap, p, 4096, 8192, MREMAP_MAYMOVE);
	long b = kml_syscall5(SYS_mremap, q, 4096, 8192, MREMAP_MAYMOVE, 0);
	long c = kml_syscall6(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("%ld %ld %ld\n", a, b, c);
	return a < 0 || b < 0 || c < 0;
}
C
cc -O2 -Wall -Werror -o "$t/args" "$t/args.c" $(pc --cflags kml) 2> "$t/err" && "$t/args" > "$t/out" 2>&1
ok $? "kml_syscall4/5/6 with constant arguments at -O2 (mremap, mremap, mmap): $(tail -1 "$t/out" 2>/dev/null)"
note < "$t/err"
