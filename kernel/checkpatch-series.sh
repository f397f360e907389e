#!/bin/bash
# checkpatch-series.sh TREE OUTDIR
#
# scripts/checkpatch.pl --strict on the KML series as upstream would read
# it: every patch of TREE's kml branch, exported with git format-patch into
# OUTDIR (new files included), on its own; then every new kernel file whole
# (-f) and the repository's patch files as files (checkpatch reads a
# git-tracked .patch as source: trailing whitespace).  Prints each finding
# and exits 1 if there is any.
#
# One exception, and only for include/trace/events/kml.h: the two layout
# checks that every TRACE_EVENT() header in the kernel trips (the event name
# on the line of the open parenthesis, "TP_STRUCT__entry(" ending a line);
# include/trace/events/sched.h gets dozens of them.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: checkpatch-series.sh TREE OUTDIR" >&2; exit 2; }
tree=$1 out=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
cp=("$tree/scripts/checkpatch.pl" --strict --no-tree --terse --showfile)
tolerated='(^|/)include/trace/events/kml\.h:[0-9]+: CHECK: (Alignment should match open parenthesis|Lines should not end with a .\(.)$'
bad=0

report() {	# NAME, findings on stdin
	local f
	f=$(grep -v '^total: ' | grep -Ev "$tolerated" || true)
	if [ -n "$f" ]; then
		echo "  $1:"
		echo "$f" | sed 's/^/    /'
		bad=1
	else
		echo "  $1: clean"
	fi
}

"$repo/kernel/kml-tree.sh" export "$tree" "$out" > /dev/null
for p in "$out"/*.patch; do
	report "$(basename "$p")" < <("${cp[@]}" "$p" 2>&1 || true)
done
new=$(awk '!/^#/ && NF { print "'"$repo"'/" $1 }' "$repo/kernel/files.map")
# shellcheck disable=SC2086
report "new files, whole" < <("${cp[@]}" -f $new 2>&1 || true)
report "kernel/patches/*.patch as files" < <("${cp[@]}" "$repo"/kernel/patches/*.patch 2>&1 || true)
exit $bad
