#!/bin/bash
# kml-tree.sh - keep a Linux git tree in step with the KML patch series.
#
#   kml-tree.sh prepare TARBALL TREE   extract TREE from TARBALL and make it a
#                                      git repository (tag kml-base) if it is
#                                      not one yet; then put TREE on branch
#                                      kml = kml-base + one commit per
#                                      kernel/patches/*.patch, in order
#                                      (uncommitted edits are carried over
#                                      where the new series leaves the file
#                                      alone; commits made on the kml branch
#                                      since are never dropped)
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
#                                      DIR (its old *.patch files removed):
#                                      the series as upstream reads it, new
#                                      files included
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

# Neither the user's nor the system's git configuration may change what is
# written (diff.noprefix, core.abbrev, diff.algorithm, hooks, signing ...);
# the tree's own .git/config is this script's.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
# The form of every hunk written to kernel/patches.
diffopts=(--no-renames --no-ext-diff --no-color --src-prefix=a/ --dst-prefix=b/
	-U3 --inter-hunk-context=0 --diff-algorithm=myers --abbrev=9)
# Fixed identity and dates: commit ids depend only on the series.
export GIT_AUTHOR_NAME="KML developers" GIT_AUTHOR_EMAIL=kml-dev@example.org
export GIT_COMMITTER_NAME="KML developers" GIT_COMMITTER_EMAIL=kml-dev@example.org
export GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z

pdir=$repo/kernel/patches	# where build_series reads the patches
patch_files() { ls "$pdir"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null; }
# The series as text: a change to any patch file or to files.map changes it.
series_hash() { cat $(patch_files) "$map" | sha256sum | cut -d' ' -f1; }
gitdir() { git -C "$1" rev-parse --absolute-git-dir; }
# State of the last prepare or refresh: "tip COMMIT" and "series HASH".
state() { sed -n "s/^$2 //p" "$(gitdir "$1")/kml-prepared" 2>/dev/null || true; }
save_state() { printf 'tip %s\nseries %s\n' "$2" "$(series_hash)" > "$(gitdir "$1")/kml-prepared"; }
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

# Commit message of a patch file: the subject (one line) without
# "[PATCH] ", a blank line, the body up to the first line "---".
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
	git -C "$tree" commit -q --no-verify -m "Linux source as unpacked from $(basename "$tarball")"
	git -C "$tree" tag kml-base
}

prepare() {
	local tarball=$1 tree=$2 tip head ptip
	init_tree "$tarball" "$tree"
	check_series
	tip=$(build_series "$tree")
	head=$(git -C "$tree" rev-parse HEAD)
	ptip=$(state "$tree" tip)
	if [ "$head" = "$tip" ] && [ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ]; then
		save_state "$tree" "$tip"
		return
	fi
	# Commits made on the kml branch since the last prepare or refresh
	# (a fixup, a reword) are not in kernel/patches yet: never drop them.
	if [ -n "$ptip" ] && [ "$head" != "$ptip" ] &&
	   [ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ]; then
		if [ "$(state "$tree" series)" = "$(series_hash)" ] && [ "$tip" = "$ptip" ]; then
			echo "kml-tree: the kml branch of $tree has commits that are not in kernel/patches yet (make kernel-refresh)"
			return
		fi
		die "the kml branch of $tree has commits that are not in kernel/patches, and the series changed since: keep them (git -C $tree branch mine), go back (git -C $tree reset -q --hard $(git -C "$tree" rev-parse --short "$ptip")), make kernel-tree, then git cherry-pick them and make kernel-refresh"
	fi
	# Uncommitted edits are carried over where the new series leaves the
	# file alone; git refuses (and so do we) where it does not.
	git -C "$tree" checkout -q -B kml "$tip" ||
		die "the series changed where $tree has uncommitted edits: git -C $tree stash; make kernel-tree; git -C $tree stash pop"
	save_state "$tree" "$tip"
	echo "kml-tree: $tree at the series ($(patch_files | wc -l) patches, $(git -C "$tree" rev-parse --short HEAD))"
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
	local tree=$1 track gd f num last owner i p k n c t prepared old mode prev tmp newtip
	local -a commits files owners
	[ -d "$tree/.git" ] && git -C "$tree" rev-parse -q --verify kml-base >/dev/null ||
		die "$tree was not prepared by kml-tree.sh"
	check_series
	gd=$(gitdir "$tree")
	track=$gd/kml-track
	[ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/kml ] ||
		die "$tree is not on the kml branch"
	# The tree's commits are the base of the new patches: if the patch
	# files changed since they were made (git pull), refreshing from them
	# would undo that change.
	[ "$(state "$tree" series)" = "$(series_hash)" ] ||
		die "kernel/patches or files.map changed since $tree was prepared: git -C $tree stash; make kernel-tree; git -C $tree stash pop; then refresh"
	prepared=$(state "$tree" tip)
	# The kml branch may have been edited with git (commit --amend, a
	# fixup and rebase --autosquash, reword): its commits are the series,
	# one per patch file, in order.
	mapfile -t commits < <(git -C "$tree" rev-list --reverse kml-base..HEAD)
	n=${#commits[@]}
	[ "$n" -eq "$(patch_files | wc -l)" ] ||
		die "the kml branch of $tree has $n commits and kernel/patches $(patch_files | wc -l) patches: keep one commit per patch (squash fixups with rebase --autosquash)"
	# Which patch each edited file's change goes to: the last commit that
	# changes the file, or the one kml-tree.sh track named.
	for f in $(git -C "$tree" diff --name-only --no-renames HEAD); do
		! is_new_file "$f" || continue
		last=0
		for ((k = 1; k <= n; k++)); do
			git -C "$tree" diff-tree --no-commit-id --name-only -r --no-renames \
				"${commits[k - 1]}" -- "$f" | grep -q . && last=$k
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
	# edited file taken from the working copy from its owner on.  Written
	# to a scratch copy of kernel/patches first, and put in place only if
	# the series made from it gives exactly the tree's files.
	tmp=$(mktemp -d)
	trap "rm -rf '$tmp'" EXIT
	prev=$(git -C "$tree" rev-parse 'kml-base^{tree}')
	local idx=$gd/kml-index
	for ((k = 1; k <= n; k++)); do
		rm -f "$idx"
		GIT_INDEX_FILE=$idx git -C "$tree" read-tree "${commits[k - 1]}"
		for i in "${!files[@]}"; do
			[ "${owners[i]}" -le "$k" ] || continue
			f=${files[i]}
			if [ -e "$tree/$f" ]; then
				# Keep the file's mode (a script stays executable).
				mode=$(git -C "$tree" ls-tree "${commits[k - 1]}" -- "$f" | awk '{ print $1 }')
				[ -n "$mode" ] || mode=100644
				GIT_INDEX_FILE=$idx git -C "$tree" update-index --add \
					--cacheinfo "$mode,$(git -C "$tree" hash-object -w "$tree/$f"),$f"
			else
				GIT_INDEX_FILE=$idx git -C "$tree" update-index --force-remove "$f"
			fi
		done
		t=$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)
		p=$(patch_files | sed -n "${k}p")
		c=$tmp/$(basename "$p")
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
		git -C "$tree" -c diff.suppressBlankEmpty=true diff "${diffopts[@]}" \
			"$prev" "$t" -- . $(map_lines | awk '{ print ":(exclude)" $2 }') >> "$c"
		prev=$t
	done
	rm -f "$idx"
	newtip=$(pdir=$tmp build_series "$tree")
	git -C "$tree" diff --quiet "$newtip" -- ||
		die "the refreshed series would not give $tree's files; kernel/patches left as it was"
	for c in "$tmp"/*.patch; do
		cmp -s "$c" "$pdir/$(basename "$c")" && continue
		cp "$c" "$pdir/"
		echo "kml-tree: refreshed $(basename "$c")"
	done
	rm -f "$track"
	git -C "$tree" update-ref refs/heads/kml "$newtip"
	git -C "$tree" read-tree kml
	save_state "$tree" "$newtip"
}

track() {
	local tree=$1 patch=$2 f num gd i k n parent t c
	local -a commits
	shift 2
	[ -d "$tree/.git" ] || die "$tree was not prepared by kml-tree.sh"
	gd=$(gitdir "$tree")
	case "$patch" in
	[0-9][0-9][0-9][0-9]) num=$patch ;;
	*) patch=$(basename "$patch" .patch).patch; num=$(num_of "$patch")
	   [[ "$num" =~ ^[0-9]{4}$ ]] || die "$patch: a patch name starts with its 4-digit number" ;;
	esac
	if [ -z "$(ls "$pdir/$num"-*.patch 2>/dev/null)" ]; then
		[ "$patch" != "$num" ] || die "no patch numbered $num (name a new one: NNNN-name.patch)"
		# A new patch: its file with a stub header, and an empty commit
		# at its place in the kml branch (the later commits keep their
		# trees, so the tree's files and index stay as they are).
		[ "$(state "$tree" series)" = "$(series_hash)" ] &&
		   [ "$(git -C "$tree" rev-parse HEAD)" = "$(state "$tree" tip)" ] ||
			die "make kernel-refresh first (the kml branch or kernel/patches changed since the last prepare)"
		mapfile -t commits < <(git -C "$tree" rev-list --reverse kml-base..HEAD)
		printf '%s\n' "From: KML developers <kml-dev@example.org>" \
			"Subject: [PATCH] $(basename "$patch" .patch | cut -c6-)" "" \
			"Signed-off-by: KML developers <kml-dev@example.org>" "---" \
			> "$pdir/$patch"
		i=$(index_of "$num")
		n=${#commits[@]}
		parent=$(git -C "$tree" rev-parse kml-base)
		for ((k = 1; k <= n + 1; k++)); do
			if [ "$k" -eq "$i" ]; then
				t=$(git -C "$tree" rev-parse "$parent^{tree}")
				parent=$(message_of "$pdir/$patch" | git -C "$tree" commit-tree "$t" -p "$parent")
			else
				c=${commits[k - 1 - (k > i ? 1 : 0)]}
				parent=$(git -C "$tree" cat-file commit "$c" | sed '1,/^$/d' |
					git -C "$tree" commit-tree "$c^{tree}" -p "$parent")
			fi
		done
		git -C "$tree" update-ref refs/heads/kml "$parent"
		save_state "$tree" "$parent"
		echo "kml-tree: new patch $patch (fill in its header)"
	fi
	for f in "$@"; do
		git -C "$tree" cat-file -e "HEAD:$f" 2>/dev/null ||
			die "$f: not a file of the kernel tree (a new kernel file gets a line in kernel/files.map)"
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
	mkdir -p "$dir"
	rm -f "$dir"/*.patch
	git -C "$tree" format-patch -q --zero-commit --no-signature --numbered \
		--no-cover-letter --no-thread "${diffopts[@]}" \
		-o "$(cd "$dir" && pwd)" kml-base..kml
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
