#!/bin/sh
# Usage: gen-kml-ld.sh [OUT]  -- print (or write) kml.ld generated from kml.ld.S.
# kml.ld is committed so that users can link without building anything;
# `make check` regenerates it and fails if the committed copy is stale.
set -e
here=$(dirname "$0")
gen() {
	cat <<'HDR'
/* KML: reserve an all-zero stamp note for kml-stamp to fill in.
 * Use: cc ... -Wl,-T,path/to/kml.ld  (GNU ld; for lld/gold see README.md)
 * Layout: namesz=4, descsz, type, "KML\0", then the zeroed descriptor.
 * The section name must start with ".note" so GNU ld puts it in a PT_NOTE.
 * GENERATED from kml.ld.S and kml_note.h by gen-kml-ld.sh: do not edit. */
HDR
	cpp -P -undef -nostdinc -I"$here" "$here/kml.ld.S"
}
if [ -n "$1" ]; then gen > "$1.tmp" && mv "$1.tmp" "$1"; else gen; fi
