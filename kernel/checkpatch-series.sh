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
# The patches and new files are checked with the tree (--root), as upstream
# runs checkpatch, so the checks that look into it (an <asm/x.h> include
# where <linux/x.h> would do, ...) run too.  Two exceptions, each in one
# file only:
# - include/trace/events/kml.h: the two layout checks that every
#   TRACE_EVENT() header in the kernel trips (the event name on the line of
#   the open parenthesis, "TP_STRUCT__entry(" ending a line) - anywhere in
#   that file; include/trace/events/sched.h gets dozens of them;
# - arch/x86/kernel/kml_selftest.c: its <asm/nmi.h> include, which the
#   "use <linux/nmi.h>" check flags, but <linux/nmi.h> includes it only
#   for arch hardlockup detectors and APEI, and register_nmi_handler() is
#   x86's own.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: checkpatch-series.sh TREE OUTDIR" >&2; exit 2; }
tree=$(cd "$1" && pwd) out=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
cp=("$tree/scripts/checkpatch.pl" --strict --terse --showfile)
tolerated='(^|/)include/trace/events/kml\.h:[0-9]+: CHECK: (Alignment should match open parenthesis|Lines should not end with a .\(.)$'
tolerated+='|(^|/)arch/x86/kernel/kml_selftest\.c:[0-9]+: (CHECK|WARNING): (Consider using|Use) #include <linux/nmi\.h> instead of <asm/nmi\.h>$'
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
out=$(cd "$out" && pwd)
# From a directory without .git: checkpatch would otherwise run
# spdxcheck.py, which needs python modules (ply, GitPython) nothing else
# here uses; the SPDX lines are plain GPL-2.0 ones.
cd /
for p in "$out"/*.patch; do
	report "$(basename "$p")" < <("${cp[@]}" --root="$tree" "$p" 2>&1 || true)
done
new=$(awk '!/^#/ && NF { print "'"$repo"'/" $1 }' "$repo/kernel/files.map")
# shellcheck disable=SC2086
report "new files, whole" < <("${cp[@]}" --root="$tree" -f $new 2>&1 || true)
# A .patch that git tracks is read as a source file (trailing whitespace in
# its lines): checkpatch asks git ls-files, so relative paths, from the
# repository, and no tree (no spdxcheck).
cd "$repo"
report "kernel/patches/*.patch as files" < <("${cp[@]}" --no-tree kernel/patches/*.patch 2>&1 || true)
exit $bad
