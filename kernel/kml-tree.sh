#!/bin/bash
# kml-tree.sh - keep a Linux git tree in step with the KML patch series.
#
#   kml-tree.sh prepare TARBALL TREE   extract TREE from TARBALL and make it a
#                                      git repository (tag kml-base) if it is
#                                      not one yet; then put TREE on branch
#                                      kml = kml-base + one commit per
#                                      kernel/patches/*.patch, in order
#                                      (edits in TREE are left alone while
#                                      the series is unchanged)
#   kml-tree.sh refresh TREE           fold the uncommitted edits of TREE into
#                                      the series: each edited file into the
#                                      last patch that changes it (or the one
#                                      named by track), a new file back to
#                                      its repository path; commits made on
#                                      the kml branch (fixups, rewording)
#                                      too; rewrite the patches and the kml
#                                      branch
#   kml-tree.sh track TREE PATCH FILE...
#                                      the next refresh puts the edits of
#                                      FILE(s) into PATCH (a number or a file
#                                      name; created with a stub header if
#                                      new): for files no patch touches yet,
#                                      or to add a later patch's hunk
#   kml-tree.sh export TREE DIR        git format-patch the kml branch into
#                                      DIR: the series as upstream reads it,
#                                      new files included
#   kml-tree.sh status TREE            exit 0 if TREE is exactly the series
#
# The series is one logical change per patch and several patches may change
# one kernel file.  A patch file holds the commit message and the diff of
# existing kernel files; the new kernel files are whole files in this
# repository (binfmt_kml/, elfnote/, kernel/src/), and kernel/files.map says
# which patch brings each in.  A new file enters whole, in one patch: no
# later patch may change it (it is edited here, not in hunks).
#
# The commits are made from the patch files alone (git apply --cached, fixed
# author and dates), so the same series gives the same commit ids on every
# machine, and only the files that differ from what TREE has are rewritten
# when the series changes (timestamps, and so rebuilds, stay minimal).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
map=$repo/kernel/files.map
die() { echo "kml-tree: $*" >&2; exit 1; }

# Fixed identity and dates: commit ids depend only on the series.
export GIT_AUTHOR_NAME="KML developers" GIT_AUTHOR_EMAIL=kml-dev@example.org
export GIT_COMMITTER_NAME="KML developers" GIT_COMMITTER_EMAIL=kml-dev@example.org
export GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z

patch_files() { ls "$repo"/kernel/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null; }
num_of() { basename "$1" | cut -c1-4; }
# Kernel files a patch's diff changes.
files_of() { sed -n 's|^+++ b/||p' "$1"; }
# "repository-path tree-path patch-number" lines of files.map.
map_lines() { awk '!/^#/ && NF { print $1, $2, $3 }' "$map"; }
is_new_file() { map_lines | awk -v f="$1" '$2 == f { found = 1 } END { exit !found }'; }

check_series() {
	local p src dst num nums
	[ -n "$(patch_files)" ] || die "no patches in kernel/patches"
	nums=$(patch_files | while read -r p; do num_of "$p"; done)
	[ -z "$(sort <<< "$nums" | uniq -d)" ] || die "two patches share a number: $(sort <<< "$nums" | uniq -d)"
	while read -r src dst num; do
		[ -f "$repo/$src" ] || die "files.map: $src is missing"
		[ -n "$num" ] || die "files.map: $src names no patch (third column)"
		grep -qx "$num" <<< "$nums" || die "files.map: $src: no patch $num"
	done < <(map_lines)
	for p in $(patch_files); do
		for dst in $(files_of "$p"); do
			! is_new_file "$dst" ||
				die "$(basename "$p") changes $dst, a new file: edit it in the repository"
		done
	done
}

# Commit message of a patch file: the subject without "[PATCH] ", a blank
# line, the body up to "---".
message_of() {
	awk 'body && /^---$/ { exit }
	     body { print }
	     !body && sub(/^Subject: (\[PATCH[^]]*\] )?/, "") { print; print "" }
	     !body && /^$/ { body = 1 }' "$1"
}

# Make the series' commits without touching TREE's files; print the last.
build_series() {
	local tree=$1 idx parent p num src dst blob t
	idx=$(git -C "$tree" rev-parse --absolute-git-dir)/kml-index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$tree" read-tree kml-base
	parent=$(git -C "$tree" rev-parse kml-base)
	for p in $(patch_files); do
		num=$(num_of "$p")
		if grep -q '^diff --git ' "$p"; then
			GIT_INDEX_FILE=$idx git -C "$tree" apply --cached "$p" ||
				die "$(basename "$p") does not apply"
		fi
		while read -r src dst; do
			blob=$(git -C "$tree" hash-object -w "$repo/$src")
			GIT_INDEX_FILE=$idx git -C "$tree" update-index --add \
				--cacheinfo "100644,$blob,$dst"
		done < <(map_lines | awk -v n="$num" '$3 == n { print $1, $2 }')
		t=$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)
		parent=$(message_of "$p" | git -C "$tree" commit-tree "$t" -p "$parent")
	done
	rm -f "$idx"
	echo "$parent"
}

init_tree() {
	local tarball=$1 tree=$2
	if [ ! -f "$tree/Makefile" ]; then
		[ -f "$tarball" ] || die "no kernel source: $tarball (apt-get install linux-source-6.12)"
		echo "kml-tree: extracting $tarball"
		rm -rf "$tree.tmp"
		mkdir -p "$tree.tmp"
		tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
		mv "$tree.tmp" "$tree"
	fi
	if [ -d "$tree/.git" ]; then
		git -C "$tree" rev-parse -q --verify kml-base > /dev/null ||
			die "$tree is a git tree without the tag kml-base (an interrupted first prepare?): remove it and run make again"
		return 0
	fi
	[ ! -d "$tree/.kml" ] ||
		die "$tree was prepared by an older kml-tree.sh (patches applied without git): remove it and run make again"
	echo "kml-tree: recording $tree as the git base (tag kml-base)"
	git -C "$tree" init -q -b pristine
	# -f: the tarball is the pristine tree; nothing in it is a build product.
	git -C "$tree" add -Af .
	git -C "$tree" commit -q -m "Linux source as unpacked from $(basename "$tarball")"
	git -C "$tree" tag kml-base
}

prepare() {
	local tarball=$1 tree=$2 tip
	init_tree "$tarball" "$tree"
	check_series
	tip=$(build_series "$tree")
	if [ "$(git -C "$tree" rev-parse HEAD)" != "$tip" ] ||
	   [ "$(git -C "$tree" symbolic-ref -q HEAD)" != refs/heads/kml ]; then
		# Edits in the tree are left alone while the series stays the
		# same (edit, make kernel, ..., make kernel-refresh); a new
		# series is not put over them.
		git -C "$tree" diff --quiet HEAD ||
			die "kernel/patches changed, and $tree has edits that are not in the series: 'make kernel-refresh' keeps them, 'git -C $tree checkout -- .' drops them"
		git -C "$tree" checkout -q -B kml "$tip"
		echo "kml-tree: $tree at the series ($(patch_files | wc -l) patches, $(git -C "$tree" rev-parse --short HEAD))"
	fi
	# What refresh compares the new files with.
	echo "$tip" > "$(git -C "$tree" rev-parse --absolute-git-dir)/kml-prepared"
}

# Index (1-based) of the patch numbered $1.
index_of() {
	local i=0 p
	for p in $(patch_files); do
		i=$((i + 1))
		[ "$(num_of "$p")" = "$1" ] && { echo $i; return; }
	done
	die "no patch numbered $1"
}

refresh() {
	local tree=$1 track gd f src num last owner i p k n c t prepared old
	local -a commits files owners
	[ -d "$tree/.git" ] && git -C "$tree" rev-parse -q --verify kml-base >/dev/null ||
		die "$tree was not prepared by kml-tree.sh"
	check_series
	gd=$(git -C "$tree" rev-parse --absolute-git-dir)
	track=$gd/kml-track
	[ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ] ||
		die "$tree is not on the kml branch"
	# The kml branch may have been edited with git (commit --amend, a
	# fixup and rebase --autosquash, reword): its commits are the series,
	# one per patch file, in order.
	mapfile -t commits < <(git -C "$tree" rev-list --reverse kml-base..HEAD)
	n=${#commits[@]}
	[ "$n" -eq "$(patch_files | wc -l)" ] ||
		die "the kml branch of $tree has $n commits and kernel/patches $(patch_files | wc -l) patches: one commit per patch (kml-tree.sh track makes a new patch file)"
	# Which patch each edited file's change goes to.
	for f in $(git -C "$tree" diff --name-only HEAD); do
		! is_new_file "$f" || continue
		last=0 i=0
		for p in $(patch_files); do
			i=$((i + 1))
			files_of "$p" | grep -qxF "$f" && last=$i
		done
		owner=$last
		num=
		[ ! -f "$track" ] || num=$(awk -v f="$f" '$1 == f { n = $2 } END { print n }' "$track")
		if [ -n "$num" ]; then
			owner=$(index_of "$num")
			[ "$owner" -ge "$last" ] ||
				die "$f: patch $num comes before $(basename "$(patch_files | sed -n "${last}p")"), which changes it too"
		fi
		[ "$owner" -gt 0 ] ||
			die "$f: no patch changes it; say which one: kml-tree.sh track $tree PATCH $f"
		files+=("$f") owners+=("$owner")
	done
	# A new file is whole in the repository.  Against the series as last
	# prepared: edited in the tree (or by a commit on the branch) -> copy
	# it to the repository; edited in the repository -> copy it to the
	# tree; edited in both, differently -> stop.
	prepared=$(cat "$gd/kml-prepared" 2>/dev/null || git -C "$tree" rev-parse HEAD)
	while read -r src dst; do
		[ -e "$tree/$dst" ] || die "$dst, a new file of the series, is gone from $tree"
		old=$(mktemp)
		git -C "$tree" show "$prepared:$dst" > "$old" 2>/dev/null || true
		if cmp -s "$tree/$dst" "$repo/$src"; then
			:
		elif ! cmp -s "$tree/$dst" "$old" && ! cmp -s "$repo/$src" "$old"; then
			rm -f "$old"
			die "$dst and $src were both edited, differently: keep one"
		elif ! cmp -s "$tree/$dst" "$old"; then
			cp "$tree/$dst" "$repo/$src"
			echo "kml-tree: $dst -> $src"
		else
			cp "$repo/$src" "$tree/$dst"
			echo "kml-tree: $src -> $dst"
		fi
		rm -f "$old"
	done < <(map_lines | awk '{ print $1, $2 }')
	# Patch k's new diff: from the tree before it to the tree after it, each
	# edited file taken from the working copy from its owner on.
	local prev
	prev=$(git -C "$tree" rev-parse 'kml-base^{tree}')
	local idx=$gd/kml-index
	for ((k = 1; k <= n; k++)); do
		rm -f "$idx"
		GIT_INDEX_FILE=$idx git -C "$tree" read-tree "${commits[k - 1]}"
		for i in "${!files[@]}"; do
			[ "${owners[i]}" -le "$k" ] || continue
			f=${files[i]}
			if [ -e "$tree/$f" ]; then
				GIT_INDEX_FILE=$idx git -C "$tree" update-index --add \
					--cacheinfo "100644,$(git -C "$tree" hash-object -w "$tree/$f"),$f"
			else
				GIT_INDEX_FILE=$idx git -C "$tree" update-index --force-remove "$f"
			fi
		done
		t=$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)
		p=$(patch_files | sed -n "${k}p")
		c=$(mktemp)
		# The header from the commit, which may have been reworded.
		{
			sed -n '1{/^From: /p}' "$p"
			git -C "$tree" cat-file commit "${commits[k - 1]}" | sed '1,/^$/d' |
				sed '1s/^/Subject: [PATCH] /'
			echo "---"
		} > "$c"
		# Blank context lines are written empty (diff.suppressBlankEmpty):
		# git apply accepts them, and checkpatch, which reads a tracked
		# .patch as a source file, sees no trailing whitespace.
		git -C "$tree" -c diff.suppressBlankEmpty=true diff --no-renames \
			--no-ext-diff --no-color "$prev" "$t" -- . \
			$(map_lines | awk '{ print ":(exclude)" $2 }') >> "$c"
		if ! cmp -s "$c" "$p"; then
			mv "$c" "$p"
			echo "kml-tree: refreshed $(basename "$p")"
		else
			rm -f "$c"
		fi
		prev=$t
	done
	rm -f "$idx" "$track"
	# The series must now give exactly the edited tree.
	c=$(build_series "$tree")
	git -C "$tree" update-ref refs/heads/kml "$c"
	echo "$c" > "$gd/kml-prepared"
	git -C "$tree" read-tree kml
	git -C "$tree" diff --quiet HEAD ||
		die "the refreshed series does not give $tree's files (git -C $tree diff HEAD)"
}

track() {
	local tree=$1 patch=$2 f num gd
	shift 2
	[ -d "$tree/.git" ] || die "$tree was not prepared by kml-tree.sh"
	case "$patch" in
	[0-9][0-9][0-9][0-9]) num=$patch ;;
	*) patch=$(basename "$patch" .patch).patch; num=$(num_of "$patch")
	   [[ "$num" =~ ^[0-9]{4}$ ]] || die "$patch: a patch name starts with its 4-digit number"
	   [ -f "$repo/kernel/patches/$patch" ] || [ -n "$(ls "$repo"/kernel/patches/"$num"-*.patch 2>/dev/null)" ] ||
		printf '%s\n' "From: KML developers <kml-dev@example.org>" \
			"Subject: [PATCH] $(basename "$patch" .patch | cut -c6-)" "" \
			"Signed-off-by: KML developers <kml-dev@example.org>" "---" \
			> "$repo/kernel/patches/$patch" ;;
	esac
	[ -n "$(ls "$repo"/kernel/patches/"$num"-*.patch 2>/dev/null)" ] || die "no patch numbered $num"
	gd=$(git -C "$tree" rev-parse --absolute-git-dir)
	for f in "$@"; do
		[ -e "$tree/$f" ] || git -C "$tree" cat-file -e "HEAD:$f" 2>/dev/null || die "$f: not in $tree"
		! is_new_file "$f" || die "$f is a new file: kernel/files.map says which patch brings it in"
		echo "$f $num" >> "$gd/kml-track"
	done
}

# Is TREE exactly the series (kml branch checked out, commits as the patch
# files make them, no uncommitted edits)?
status() {
	local tree=$1 tip
	[ -d "$tree/.git" ] || die "$tree was not prepared by kml-tree.sh"
	check_series
	tip=$(build_series "$tree")
	[ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ] ||
		die "$tree is not on the kml branch"
	[ "$(git -C "$tree" rev-parse HEAD)" = "$tip" ] ||
		die "$tree's kml branch is not the series in kernel/patches (prepare, or refresh to keep its commits)"
	git -C "$tree" diff --quiet HEAD ||
		die "$tree has edits that are not in the series: $(git -C "$tree" diff --name-only HEAD | tr '\n' ' ')"
	echo "kml-tree: $tree is the series: $(patch_files | wc -l) patches, $(map_lines | wc -l) new files, $(git -C "$tree" rev-parse --short HEAD)"
}

export_series() {
	local tree=$1 dir=$2
	git -C "$tree" rev-parse -q --verify refs/heads/kml >/dev/null || die "$tree has no kml branch"
	rm -rf "$dir"
	mkdir -p "$dir"
	git -C "$tree" format-patch -q --zero-commit --no-signature -o "$(cd "$dir" && pwd)" kml-base..kml
	ls "$dir"
}

case "${1:-}" in
prepare) [ $# -eq 3 ] || die "usage: kml-tree.sh prepare TARBALL TREE"; prepare "$2" "$3" ;;
track) [ $# -ge 4 ] || die "usage: kml-tree.sh track TREE PATCH FILE..."; shift; track "$@" ;;
refresh) [ $# -eq 2 ] || die "usage: kml-tree.sh refresh TREE"; refresh "$2" ;;
export) [ $# -eq 3 ] || die "usage: kml-tree.sh export TREE DIR"; export_series "$2" "$3" ;;
status) [ $# -eq 2 ] || die "usage: kml-tree.sh status TREE"; status "$2" ;;
*) die "usage: kml-tree.sh prepare TARBALL TREE | refresh TREE | track TREE PATCH FILE... | export TREE DIR | status TREE" ;;
esac
