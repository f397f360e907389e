#!/bin/bash
# test-series.sh KTREE OUTDIR - TAP tests of the kernel patch series:
# KTREE (build/linux) is exactly kernel/patches + the new files of
# kernel/files.map on its kml branch (kml-tree.sh status); and each patch,
# exported with git format-patch into OUTDIR as upstream reads it, is
# checkpatch --strict clean on its own, as are the new files whole and the
# patch files themselves (kernel/checkpatch-series.sh).  That each patch
# also builds on its own is make kernel-series-check (an hour: not here).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
ktree=${1:?KTREE} out=${2:?OUTDIR}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
note() { sed 's/^/#   /'; }

echo "TAP version 13"
"$top/kernel/kml-tree.sh" status "$ktree" > "$t/status" 2>&1
st=$?
"$top/kernel/checkpatch-series.sh" "$ktree" "$out" > "$t/cp" 2>&1
cprc=$?
# One line per patch and two more ("  NAME: clean", or "  NAME:" and
# the findings, indented further); anything else is the script failing.
items=$(grep -c '^  [^ ]' "$t/cp")
patches=$(ls "$top"/kernel/patches/[0-9]*.patch | wc -l)
echo "1..$((items + 2))"
note < "$t/status"
ok $st "build/linux is exactly the series (kml-tree.sh status)"
[ "$items" -eq $((patches + 2)) ]
r=$?
[ $r -eq 0 ] || note < "$t/cp"
ok $r "checkpatch-series.sh checked all $patches patches, the new files and the patch files (exit $cprc)"
while IFS= read -r line; do
	name=${line#  }
	name=${name%%:*}
	case "$line" in
	*": clean") ok 0 "checkpatch --strict: $name" ;;
	*) ok 1 "checkpatch --strict: $name"
	   awk -v n="  $name:" '$0 == n { on = 1; next } /^  [^ ]/ { on = 0 } on' "$t/cp" | note ;;
	esac
done < <(grep '^  [^ ]' "$t/cp")
