#!/bin/bash
# test-headers.sh KTREE KOBJ - TAP tests of the KML kernel's UAPI headers:
# "make headers_install" (which bindeb-pkg and distributions run, and which
# refuses a UAPI header that tests CONFIG_*) succeeds on the configured
# KML build; no installed header mentions KML; the
# installed <asm/auxvec.h> is the stock one (KML's auxv slot lives in the
# kernel-only asm/auxvec.h); and a program built against the installed
# tree alone, with -nostdinc, sees AT_SYSINFO_EHDR and AT_VECTOR_SIZE_ARCH.
set -uo pipefail
ktree=${1:?KTREE} kobj=${2:?KOBJ}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
note() { sed 's/^/#   /'; }

echo "TAP version 13"
echo "1..4"

make -s -C "$ktree" O="$kobj" INSTALL_HDR_PATH="$t/usr" headers_install \
	> "$t/log" 2>&1
rc=$?
[ $rc -eq 0 ] || note < "$t/log" | tail -20
ok $rc "make headers_install on the KML kernel build succeeds"

leaks=$(grep -rlw -e KML -e kml -e CONFIG_KML "$t/usr/include" 2>/dev/null | sed "s|$t/usr/include/||")
[ -n "$leaks" ] && echo "$leaks" | head -10 | note
[ -d "$t/usr/include/asm" ] && [ -z "$leaks" ]
ok $? "no installed header mentions KML (headers_install itself refuses a CONFIG_ test)"

cmp -s "$t/usr/include/asm/auxvec.h" "$ktree/arch/x86/include/uapi/asm/auxvec.h" &&
	! grep -q 'kml\|KML' "$ktree/arch/x86/include/uapi/asm/auxvec.h"
ok $? "the installed asm/auxvec.h is the unchanged UAPI one"

cat > "$t/p.c" <<'EOF'
#include <asm/auxvec.h>
#include <linux/auxvec.h>
int main(void)
{
	return AT_SYSINFO_EHDR == 33 && AT_VECTOR_SIZE_ARCH >= 1 ? 0 : 1;
}
EOF
gcc -nostdinc -I"$t/usr/include" -fsyntax-only "$t/p.c" > "$t/cc" 2>&1
rc=$?
[ $rc -eq 0 ] || note < "$t/cc"
ok $rc "a program compiles against the installed headers alone (AT_SYSINFO_EHDR, AT_VECTOR_SIZE_ARCH)"
