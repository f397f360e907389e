#!/bin/bash
# mk-initramfs.sh GUESTDIR OUT - pack the guest's root file system.
# mk-initramfs.sh --extra GUESTDIR OUT - pack only GUESTDIR/kml and the
#     libraries its programs need, as an archive to append to another
#     (the kernel unpacks concatenated archives in order).
#
# GUESTDIR/kml holds the test programs (made by selftests/mkcases.sh, or by
# selftests/mkprograms.sh for --extra).  Added here: busybox-static as the
# shell and tools, the init script, and the host's ld.so and every library
# that ldd says a dynamically linked program in kml/ needs (Debian's bash,
# stress-ng, ...), so that they run unmodified.
set -euo pipefail
extra=
if [ "${1:-}" = --extra ]; then
	extra=1
	shift
fi
guest=$1 out=$2
root=$guest/root
bb=/bin/busybox	# from busybox-static: no libraries needed
rm -rf "$root"
if [ -n "$extra" ]; then
	mkdir -p "$root"
else
	[ -x "$bb" ] || { echo "mk-initramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,lib64,usr/bin,usr/sbin}
	install -m 0755 "$bb" "$root/bin/busybox"
	here=$(cd "$(dirname "$0")/.." && pwd)
	install -m 0755 "$here/selftests/guest/init" "$root/init"
	install -m 0755 "$here/selftests/guest/run-tests.sh" "$root/bin/run-tests.sh"
fi
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

if [ -z "$extra" ]; then
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
fi
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
