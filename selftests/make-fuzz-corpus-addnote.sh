#!/bin/bash
# make-fuzz-corpus-addnote.sh OUTDIR - seeds for the --add-note fuzzer
# (tools/fuzz_addnote.c): small executables without a KML note, one of each
# kind --add-note handles (static, static-pie, dynamic non-PIE, PIE) and a
# shared object it refuses.  The output is committed in
# selftests/fuzz-corpus-addnote/; the fuzzer also starts from
# selftests/fuzz-corpus/ (files that already have a note).
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
src=$here/fuzz-corpus-tiny.S
flags=(-nostdlib -Wl,-z,max-page-size=4096 -Wl,-z,norelro -Wl,--build-id=none)
mkdir -p "$out"
gcc "${flags[@]}" -static -o "$t/static" "$src"
gcc "${flags[@]}" -static-pie -o "$t/static-pie" "$src"
gcc "${flags[@]}" -no-pie -Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2 -o "$t/dynamic" "$src" -Wl,--no-as-needed -lc
gcc "${flags[@]}" -pie -fPIE -o "$t/pie" "$src" -Wl,--no-as-needed -lc
gcc "${flags[@]}" -shared -fPIC -o "$t/shared" "$src"
for f in static static-pie dynamic pie shared; do
	strip -R .comment -o "$out/$f" "$t/$f"
done
