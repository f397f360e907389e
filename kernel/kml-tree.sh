#!/bin/bash
# kml-tree.sh - keep a Linux tree in step with the KML patch series.
#
#   kml-tree.sh prepare TARBALL TREE   extract TREE from TARBALL if absent, then
#                                      make TREE = pristine + kernel/patches/*.patch
#                                      + the new files listed in kernel/files.map
#   kml-tree.sh refresh TREE           rewrite kernel/patches/*.patch from the
#                                      edited files in TREE (headers are kept)
#   kml-tree.sh track TREE PATCH FILE...
#                                      start editing FILE(s) of TREE under
#                                      PATCH: keep the pristine copy, list the
#                                      file in PATCH (created with a stub
#                                      header if new); then edit and refresh
#
# Rules that keep this simple: every patch is applied with no fuzz (a hunk that
# does not apply exactly stops the build) and every existing kernel file is
# touched by exactly one patch, so a patch can be regenerated from the file's
# pristine copy (saved in TREE/.kml/orig) and its current content.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
patches=("$repo"/kernel/patches/*.patch)
die() { echo "kml-tree: $*" >&2; exit 1; }

files_of() { sed -n 's|^+++ b/||p' "$1"; }

check_one_owner() {
	local dups
	dups=$(for p in "${patches[@]}"; do files_of "$p"; done | sort | uniq -d)
	[ -z "$dups" ] || die "files touched by more than one patch: $dups"
}

copy_new_files() {
	local tree=$1 src dst
	while read -r src dst; do
		case "$src" in ''|'#'*) continue ;; esac
		[ -f "$repo/$src" ] || die "files.map: $src is missing"
		mkdir -p "$tree/$(dirname "$dst")"
		# -C: leave the file (and its mtime) alone when the content is equal
		install -C -m 0644 "$repo/$src" "$tree/$dst"
	done < "$repo/kernel/files.map"
}

prepare() {
	local tarball=$1 tree=$2 state p f
	if [ ! -f "$tree/Makefile" ]; then
		[ -f "$tarball" ] || die "no kernel source: $tarball (apt-get install linux-source-6.12)"
		echo "kml-tree: extracting $tarball"
		rm -rf "$tree.tmp"
		mkdir -p "$tree.tmp"
		tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
		mv "$tree.tmp" "$tree"
	fi
	state=$tree/.kml
	mkdir -p "$state/applied" "$state/orig"
	check_one_owner
	# Already in step?  Compare the applied copies with the series.
	if diff -rq "$state/applied" "$repo/kernel/patches" >/dev/null 2>&1; then
		copy_new_files "$tree"
		return
	fi
	# Undo what is applied (newest first), then apply the series.
	for p in $(ls -r "$state/applied"/*.patch 2>/dev/null); do
		echo "kml-tree: reverting $(basename "$p")"
		patch -d "$tree" -p1 -R --fuzz=0 --batch -s < "$p" ||
			die "cannot revert $(basename "$p"); remove $tree and retry"
		rm -f "$p"
	done
	for p in "${patches[@]}"; do
		for f in $(files_of "$p"); do
			if [ -f "$tree/$f" ] && [ ! -f "$state/orig/$f" ]; then
				mkdir -p "$state/orig/$(dirname "$f")"
				cp -p "$tree/$f" "$state/orig/$f"
			fi
		done
		patch -d "$tree" -p1 --forward --fuzz=0 --batch --dry-run -s < "$p" >/dev/null ||
			die "$(basename "$p") does not apply cleanly (no fuzz allowed)"
		patch -d "$tree" -p1 --forward --fuzz=0 --batch -s --no-backup-if-mismatch < "$p"
		cp "$p" "$state/applied/"
		echo "kml-tree: applied $(basename "$p")"
	done
	copy_new_files "$tree"
}

refresh() {
	local tree=$1 p f hdr tmp
	[ -d "$tree/.kml/orig" ] || die "$tree was not prepared by kml-tree.sh"
	for p in "${patches[@]}"; do
		tmp=$(mktemp)
		hdr=$(sed '/^diff --git /,$d' "$p")
		printf '%s\n' "$hdr" > "$tmp"
		for f in $(files_of "$p"); do
			echo "diff --git a/$f b/$f" >> "$tmp"
			# Blank context lines are written empty (as git's
			# diff.suppressBlankEmpty does): patch(1) accepts them, and
			# checkpatch, which reads a git-tracked .patch as a source
			# file, sees no trailing whitespace.
			diff -u --label "a/$f" --label "b/$f" "$tree/.kml/orig/$f" "$tree/$f" |
				sed 's/^ $//' >> "$tmp" || true
		done
		if ! cmp -s "$tmp" "$p"; then
			mv "$tmp" "$p"
			cp "$p" "$tree/.kml/applied/"
			echo "kml-tree: refreshed $(basename "$p")"
		else
			rm -f "$tmp"
		fi
	done
}

track() {
	local tree=$1 patch=$2 f
	shift 2
	[ -d "$tree/.kml/orig" ] || die "$tree was not prepared by kml-tree.sh"
	case "$patch" in */*) ;; *) patch=$repo/kernel/patches/$patch ;; esac
	if [ ! -f "$patch" ]; then
		printf '%s\n' "From: KML developers <kml-dev@example.org>" \
			"Subject: [PATCH] $(basename "$patch" .patch)" "" \
			"Signed-off-by: KML developers <kml-dev@example.org>" "---" > "$patch"
	fi
	for f in "$@"; do
		[ -f "$tree/$f" ] || die "$f: not in $tree"
		for p in "${patches[@]}"; do
			[ "$p" = "$patch" ] && continue
			files_of "$p" | grep -qx "$f" && die "$f already belongs to $(basename "$p")"
		done
		files_of "$patch" | grep -qx "$f" && continue
		if [ ! -f "$tree/.kml/orig/$f" ]; then
			mkdir -p "$tree/.kml/orig/$(dirname "$f")"
			cp -p "$tree/$f" "$tree/.kml/orig/$f"
		fi
		printf 'diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n' "$f" "$f" "$f" "$f" >> "$patch"
	done
	cp "$patch" "$tree/.kml/applied/"
}

case "${1:-}" in
prepare) [ $# -eq 3 ] || die "usage: kml-tree.sh prepare TARBALL TREE"; prepare "$2" "$3" ;;
track) [ $# -ge 4 ] || die "usage: kml-tree.sh track TREE PATCH FILE..."; shift; track "$@" ;;
refresh) [ $# -eq 2 ] || die "usage: kml-tree.sh refresh TREE"; refresh "$2" ;;
*) die "usage: kml-tree.sh prepare TARBALL TREE | refresh TREE | track TREE PATCH FILE..." ;;
esac
