#!/bin/bash
# kml-series-build.sh TREE OBJDIR CONFIG [CERT]
#
# Builds the kernel once per patch of the KML series, in order: checks out
# each commit of TREE's kml branch (kml-base..kml, made by kml-tree.sh
# prepare), configures OBJDIR from CONFIG with olddefconfig and builds
# bzImage there, incrementally.  Prints one line per patch, "ok" or "FAILED"
# with the log's tail, or "WARN" with the
# warnings it printed, and leaves TREE on the kml branch again.  Exits 1 if
# any patch did not build.
#
# Slow (each stage that changes a widely included header recompiles most of
# the kernel): run it after changing the series, not in make check.  TREE
# must be on the kml branch with no uncommitted edits; the objects in OBJDIR
# are the stages', not the final tree's, so OBJDIR must not be one the other
# targets use.
set -euo pipefail
die() { echo "kml-series-build: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: kml-series-build.sh TREE OBJDIR CONFIG [CERT]"
tree=$1 obj=$2 config=$3 cert=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
git -C "$tree" rev-parse -q --verify refs/heads/kml >/dev/null ||
	die "$tree has no kml branch: run kml-tree.sh prepare first"
[ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ] ||
	die "$tree is not on the kml branch: run kml-tree.sh prepare first"
git -C "$tree" diff --quiet HEAD ||
	die "$tree has uncommitted edits: kml-tree.sh refresh (or drop them) first"
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
# Come back to the whole series whatever happens, and give the files the
# stages rewrote their old timestamps back: their content is the same
# again, and the other object trees of TREE then rebuild nothing.
stamps=$(mktemp)
git -C "$tree" diff --name-only kml-base kml | while read -r f; do
	echo "$(stat -c %Y "$tree/$f") $f"
done > "$stamps"
restore() {
	git -C "$tree" checkout -q kml
	while read -r t f; do touch -d "@$t" "$tree/$f"; done < "$stamps"
	rm -f "$stamps"
}
trap restore EXIT
kb=(make -C "$tree" O="$obj" ARCH=x86_64)
if command -v ccache >/dev/null; then
	export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
	kb+=(CC="ccache gcc")
fi
# KML_SERIES_FROM=N: start at patch N, on the objects the earlier stages
# left in OBJDIR.
from=${KML_SERIES_FROM:-1}
[[ "$from" =~ ^[1-9][0-9]*$ ]] || die "KML_SERIES_FROM=$from: a patch number (1, 2, ...)"
failed=0 n=0
for c in $(git -C "$tree" rev-list --reverse kml-base..kml); do
	n=$((n + 1))
	[ "$n" -ge "$from" ] || continue
	subj=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$tree" checkout -q "$c"
	cp "$config" "$obj/.config"
	[ -z "$cert" ] || install -C -m 0644 "$cert" "$obj/kml-trusted.pem"
	log=$obj/stage-$n.log
	start=$SECONDS
	if "${kb[@]}" olddefconfig > "$log" 2>&1 &&
	   "${kb[@]}" -j"$(nproc)" bzImage >> "$log" 2>&1; then
		# A stage that builds with new compiler or objtool warnings
		# (an unused function, say) does not build cleanly.
		if grep -q 'warning:' "$log"; then
			echo "  $n WARN   $((SECONDS - start))s  $subj (log: $log)"
			grep 'warning:' "$log" | head -n 10 | sed 's/^/      /'
			failed=1
		else
			echo "  $n ok     $((SECONDS - start))s  $subj"
		fi
	else
		echo "  $n FAILED $((SECONDS - start))s  $subj (log: $log)"
		tail -n 15 "$log" | sed 's/^/      /'
		failed=1
	fi
done
[ "$n" -ge "$from" ] || die "the kml branch of $tree has $n patches, KML_SERIES_FROM=$from"
exit $failed
