#!/bin/bash
# mkdeb-tools.sh OUTDIR VERSION KML-STAMP [KMLSNOOP KMLTOP] - the kml-tools .deb, made with
# dpkg-deb from the tree `make install PREFIX=/usr` installs (install-tools.sh)
# plus DEBIAN/{control,md5sums} and the changelog.  Prints the .deb's path.
set -euo pipefail
[ $# -eq 3 ] || [ $# -eq 5 ] ||
	{ echo "usage: mkdeb-tools.sh OUTDIR VERSION KML-STAMP [KMLSNOOP KMLTOP]" >&2; exit 2; }
out=$1 version=$2 stamp=$3
shift 3
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "mkdeb-tools: bad version '$version'" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
"$top/tools/install-tools.sh" "$root" /usr "$version" "$stamp" "$@"

# A native package: its changelog is the Debian changelog.  Dated by the
# last commit, so that the same tree gives the same package.
date=$(git -C "$top" log -1 --format=%aD 2>/dev/null || true)
[ -n "$date" ] || date=$(date -R -d "@${SOURCE_DATE_EPOCH:-0}")
printf '%s\n' "kml-tools ($version) unstable; urgency=medium" "" \
	"  * Built from the KML source tree." "" \
	" -- KML developers <kml-dev@example.org>  $date" |
	gzip -9n > "$root/usr/share/doc/kml-tools/changelog.gz"
chmod 0644 "$root/usr/share/doc/kml-tools/changelog.gz"

# Run-time dependencies of kml-stamp (and kmlsnoop, kmltop), as
# dpkg-shlibdeps finds them.
mkdir -p "$stage/debian"
printf 'Source: kml\n\nPackage: kml-tools\nArchitecture: any\n' > "$stage/debian/control"
bins=("$root/usr/bin/kml-stamp")
for b in "$@"; do bins+=("$root/usr/sbin/$(basename "$b")"); done
deps=$(cd "$stage" && dpkg-shlibdeps -O "${bins[@]}" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "mkdeb-tools: dpkg-shlibdeps found no dependencies of ${bins[*]}" >&2; exit 1; }
bpfdesc=
[ $# -eq 0 ] || bpfdesc=" kmlsnoop and kmltop (root, BPF) show which programs start in ring
 0 and why others do not, and how many system calls each makes by the
 fast and by the full path."

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<EOF
Package: kml-tools
Version: $version
Architecture: $arch
Maintainer: KML developers <kml-dev@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $deps
Suggests: pkgconf
Section: devel
Priority: optional
Description: Kernel Mode Linux: build and stamp programs that run in ring 0
 KML runs executables that carry a valid stamp in ring 0 on a KML kernel,
 so that their system calls cost close to a function call. This package
 has what a program needs for that: kml-stamp, which fills in (signs),
 verifies and shows the stamp; kml.ld and kml_note.S, which reserve the
 stamp note at link time; kml_note.h and kml_syscall.h; and kml.pc, so
 that "cc \$(pkg-config --cflags --libs kml)" builds a program ready to
 be stamped.
EOF
[ -z "$bpfdesc" ] || printf ' .\n%s\n' "$bpfdesc" >> "$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
deb=$out/kml-tools_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
