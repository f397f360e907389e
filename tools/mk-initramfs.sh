#!/bin/bash
# mk-initramfs.sh [--add FILE PATH]... GUESTDIR OUT - pack the guest's root
#     file system: GUESTDIR/kml as /kml, busybox-static as the shell and
#     tools, tools/guest/init as /init, tools/guest/kml-bench-guest, and
#     each FILE installed (mode 0755) at PATH in the guest (the test image
#     adds selftests/guest/run-tests.sh as /bin/run-tests.sh).
# mk-initramfs.sh --extra GUESTDIR OUT - pack only GUESTDIR/kml and the
#     libraries its programs need, as an archive to append to another
#     (the kernel unpacks concatenated archives in order).
#
# Whoever calls it fills GUESTDIR/kml (the Makefile: the samples for make
# run, selftests/mkcases.sh for the test image, selftests/mkprograms.sh for
# --extra).  The host's ld.so and every library that ldd says a dynamically
# linked program in kml/ needs (Debian's bash, stress-ng, ...) go in too,
# so that they run unmodified.
set -euo pipefail
usage() { echo "usage: mk-initramfs.sh [--add FILE PATH]... | --extra  GUESTDIR OUT" >&2; exit 2; }
extra= adds=()
while [ $# -gt 0 ]; do
	case $1 in
	--extra) extra=1; shift ;;
	--add)
		[ $# -ge 3 ] || usage
		[ -f "$2" ] || { echo "mk-initramfs: --add $2: no such file" >&2; exit 1; }
		case $3 in /*) ;; *) echo "mk-initramfs: --add $2 $3: the guest path must be absolute" >&2; exit 1 ;; esac
		adds+=("$2" "$3"); shift 3 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# = 2 ] || usage
[ -d "$1/kml" ] || { echo "mk-initramfs: $1/kml: no such directory" >&2; exit 1; }
[ -z "$extra" ] || [ ${#adds[@]} = 0 ] || { echo "mk-initramfs: --add makes no sense with --extra" >&2; exit 1; }
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
	here=$(cd "$(dirname "$0")" && pwd)
	install -m 0755 "$here/guest/init" "$root/init"
	install -m 0755 "$here/guest/kml-bench-guest" "$root/bin/kml-bench-guest"
	for ((i = 0; i < ${#adds[@]}; i += 2)); do
		install -D -m 0755 "${adds[i]}" "$root${adds[i + 1]}"
	done
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
