#!/bin/bash
# install-tools.sh DESTDIR PREFIX VERSION KML-STAMP [KMLSNOOP KMLTOP] -
# `make install`: what a program needs to be built and stamped for KML, and
# the tools that show what runs in ring 0, under DESTDIR/PREFIX:
#
#   bin/kml-stamp                       share/man/man1/kml-stamp.1.gz
#   include/kml/kml_note.h              include/kml/kml_syscall.h
#   share/kml/kml.ld                    share/kml/kml_note.S
#   share/pkgconfig/kml.pc              share/doc/kml-tools/{README.md,copyright}
#   sbin/kmlsnoop, sbin/kmltop          share/man/man8/{kmlsnoop,kmltop}.8.gz
#
# The last two only when given (make install KML_INSTALL_BPF=0 leaves them
# out); they are root's tools (BPF), hence sbin and section 8.
#
# kml.pc: `cc $(pkg-config --cflags --libs kml) ...` links with kml.ld (the
# --libs output is -Wl,-T,<ldscript>); the variables ldscript and notesrc
# name kml.ld and kml_note.S.  ldscript carries ${pc_sysrootdir}, so a
# PKG_CONFIG_SYSROOT_DIR applies to it as it does to -I (without a sysroot
# the path starts with "//", which Linux reads as "/").
set -euo pipefail
[ $# -eq 4 ] || [ $# -eq 6 ] ||
	{ echo "usage: install-tools.sh DESTDIR PREFIX VERSION KML-STAMP [KMLSNOOP KMLTOP]" >&2; exit 2; }
destdir=$1 prefix=$2 version=$3 stamp=$4
shift 4
case "$prefix" in /*) ;; *) echo "install-tools: PREFIX must be absolute: '$prefix'" >&2; exit 2 ;; esac
case "$prefix" in *[[:space:]]*) echo "install-tools: PREFIX must not contain spaces" >&2; exit 2 ;; esac
[ -x "$stamp" ] || { echo "install-tools: $stamp: not built (make tools)" >&2; exit 2; }
for b in "$@"; do
	[ -x "$b" ] || { echo "install-tools: $b: not built (make bpf-tools)" >&2; exit 2; }
done
top=$(cd "$(dirname "$0")/.." && pwd)
root=$destdir$prefix
inst() { install -D -m "$1" "$2" "$3"; }
# man_page SECTION FILE: FILE compressed as Debian wants it (no name or time
# in the gzip header: the package builds reproducibly).
man_page() {
	mkdir -p "$root/share/man/man$1"
	gzip -9n < "$2" > "$root/share/man/man$1/$(basename "$2").gz"
	chmod 0644 "$root/share/man/man$1/$(basename "$2").gz"
}

inst 0755 "$stamp" "$root/bin/kml-stamp"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/bin/kml-stamp"
man_page 1 "$top/tools/kml-stamp.1"
inst 0644 "$top/elfnote/kml_note.h" "$root/include/kml/kml_note.h"
inst 0644 "$top/elfnote/kml_syscall.h" "$root/include/kml/kml_syscall.h"
inst 0644 "$top/elfnote/kml.ld" "$root/share/kml/kml.ld"
inst 0644 "$top/elfnote/kml_note.S" "$root/share/kml/kml_note.S"
inst 0644 "$top/tools/kml-tools.copyright" "$root/share/doc/kml-tools/copyright"
inst 0644 "$top/tools/kml-tools.README.md" "$root/share/doc/kml-tools/README.md"
mkdir -p "$root/share/pkgconfig"
cat > "$root/share/pkgconfig/kml.pc" <<EOF
prefix=$prefix
includedir=\${prefix}/include
datadir=\${prefix}/share/kml
ldscript=\${pc_sysrootdir}\${datadir}/kml.ld
notesrc=\${pc_sysrootdir}\${datadir}/kml_note.S

Name: kml
Description: Kernel Mode Linux: reserve the stamp note (kml.ld) and call the direct system call entry (kml_syscall.h)
Version: $version
Cflags: -I\${includedir}/kml
Libs: -Wl,-T,\${ldscript}
EOF
chmod 0644 "$root/share/pkgconfig/kml.pc"

# kmlsnoop, kmltop: each with its man page (tools/NAME.8).
for b in "$@"; do
	name=$(basename "$b")
	inst 0755 "$b" "$root/sbin/$name"
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/sbin/$name"
	man_page 8 "$top/tools/$name.8"
done
