#!/bin/bash
# test-deb-kernel.sh - make check-deb: the kernel packages that bindeb-pkg
# made from the tiny test config (build/deb/test, make deb-kernel-test) are
# named -kml, hold a vmlinuz, its config and the hooks that run the
# initramfs and bootloader scripts; the vmlinuz unpacked from the
# linux-image .deb boots the test guest, which reports the -kml release
# and runs the guest suites env and pkg (a stamped program, built from the
# kml-tools package, in ring 0).  Ends with "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/build/deb/test
logs=$top/build/logs
mkdir -p "$logs"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0 pass=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; pass=$((pass + 1)); else echo "not ok $n $2"; fi
}
note() { sed 's/^/#   /'; }

echo "TAP version 13"
echo "1..8"
image=$(ls "$dir"/linux-image-*-kml_*.deb 2>/dev/null | grep -v -- -dbg_ | head -1)
headers=$(ls "$dir"/linux-headers-*-kml_*.deb 2>/dev/null | head -1)
[ -n "$image" ] && [ -n "$headers" ]
ok $? "bindeb-pkg made $(basename "${image:-no linux-image}") and $(basename "${headers:-no linux-headers}")"

pkg=$(dpkg-deb -f "$image" Package 2>/dev/null)
rel=${pkg#linux-image-}
[[ $rel == 6.12.*-kml ]]
ok $? "the package is linux-image-<release>, release $rel ends in -kml"

dpkg-deb -x "$image" "$t/root" 2>/dev/null
vmlinuz=$t/root/boot/vmlinuz-$rel
[ -f "$vmlinuz" ] && [ "$(dd if="$vmlinuz" bs=1 skip=514 count=4 status=none)" = HdrS ] &&
	grep -qx 'CONFIG_KML=y' "$t/root/boot/config-$rel" && [ -d "$t/root/lib/modules/$rel" ]
ok $? "it holds boot/vmlinuz-$rel, boot/config-$rel (CONFIG_KML=y), lib/modules/$rel"

dpkg-deb -e "$image" "$t/ctrl" 2>/dev/null
grep -q 'run-parts.*/etc/kernel/postinst.d' "$t/ctrl/postinst" 2>/dev/null &&
	grep -q 'run-parts.*/etc/kernel/postrm.d' "$t/ctrl/postrm" 2>/dev/null
ok $? "its postinst/postrm run /etc/kernel/post{inst,rm}.d (initramfs-tools, update-grub)"

con=$logs/deb-kernel-console.txt
"$top/tools/kml-qemu" --mode check --timeout "${GUEST_TIMEOUT:-600}" --append 'kmlsuites="env pkg"' \
	--log "$t/console.log" "$vmlinuz" "$top/build/initramfs.cpio.gz" > /dev/null 2>&1
rc=$?
tr -d '\r' < "$t/console.log" > "$con" 2>/dev/null
grep -q "Linux version $rel " "$con" && grep -q "kml-guest: up, .* kernel $rel," "$con"
ok $? "the packaged vmlinuz boots the test guest: kml-guest up, uname -r $rel"
grep -m2 -E 'Linux version|kml-guest: up' "$con" | note

for s in env pkg; do
	sed -n "/^==== KML-SUITE $s ====\$/,/^==== KML-END $s ====\$/p" "$con" | sed '1d;$d' > "$t/$s.tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$t/$s.tap")
	good=$(grep -c '^ok ' "$t/$s.tap")
	st=$(sed -n "s/^==== KML-EXIT $s \([0-9]*\) ====\$/\1/p" "$t/$s.tap")
	[ -n "$plan" ] && [ "$good" = "$plan" ] && ! grep -q '^not ok' "$t/$s.tap" && [ "$st" = 0 ]
	ok $? "guest suite $s on the packaged kernel: $good of ${plan:-?} ok, exit ${st:-?}"
	grep -E '^(not )?ok' "$t/$s.tap" | note
done

[ $rc -eq 0 ] && grep -q 'kml-guest: powering off' "$con" &&
	! grep -qE 'Oops|BUG:|WARNING:|Kernel panic|Call Trace:' "$con"
ok $? "the guest powered off cleanly (qemu exit $rc), no oops/BUG/WARNING/panic (console: build/logs/deb-kernel-console.txt)"

echo "$pass passed, $((n - pass)) failed"
[ $pass -eq $n ]
