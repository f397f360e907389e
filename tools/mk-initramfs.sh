#!/bin/bash
# mk-initramfs.sh GUESTDIR OUT - pack the guest's root file system.
#
# GUESTDIR/kml holds the test programs (made by selftests/mkcases.sh).  Added
# here: busybox-static as the shell and tools, the init script, and the host's
# ld.so and libc so that dynamically linked programs run unmodified.
set -euo pipefail
guest=$1 out=$2
root=$guest/root
bb=/bin/busybox	# from busybox-static: no libraries needed
[ -x "$bb" ] || { echo "mk-initramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,lib64,usr/bin,usr/sbin}
install -m 0755 "$bb" "$root/bin/busybox"
here=$(cd "$(dirname "$0")/.." && pwd)
install -m 0755 "$here/selftests/guest/init" "$root/init"
install -m 0755 "$here/selftests/guest/run-tests.sh" "$root/bin/run-tests.sh"
cp -a "$guest/kml" "$root/kml"

# The dynamic loader and every library a dynamic test program needs, at the
# paths the host's ld.so expects.
for prog in "$root"/kml/*; do
	[ -f "$prog" ] && [ -x "$prog" ] || continue
	ldd "$prog" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	[ -e "$lib" ] || continue
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
