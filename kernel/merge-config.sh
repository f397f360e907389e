#!/bin/bash
# Usage: merge-config.sh [--base CONFIG] KTREE OUTDIR FRAGMENT... -- EXTRA_LINE...
# Builds OUTDIR/.config = tinyconfig (or the full config CONFIG, e.g. a
# distribution's) + fragments (+ extra lines), then checks that every
# option asked for survived olddefconfig. Kconfig silently drops an option whose
# dependencies are not met; for us that is an error, not a warning.
set -euo pipefail
base=
if [ "${1:-}" = --base ]; then
	base=$2
	[ -r "$base" ] || { echo "merge-config: cannot read base config $base" >&2; exit 1; }
	shift 2
fi
ktree=$1 out=$2; shift 2
frags=() extra=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do frags+=("$1"); shift; done
[ $# -gt 0 ] && shift
extra=("$@")
mkdir -p "$out"
want="$out/kml-wanted.config"
cat "${frags[@]}" > "$want"
[ ${#extra[@]} -gt 0 ] && printf '%s\n' "${extra[@]}" >> "$want"
if [ -n "$base" ]; then
	[ "$base" -ef "$out/.config" ] || cp "$base" "$out/.config"
else
	make -s -C "$ktree" O="$out" ARCH=x86_64 tinyconfig >/dev/null
fi
# Append the wanted options and let Kconfig resolve them (later lines win).
opts='^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$'
grep -E "$opts" "$want" >> "$out/.config"
# (Kconfig warns for every symbol we override: that is the point, hide it.)
make -s -C "$ktree" O="$out" ARCH=x86_64 olddefconfig 2>&1 >/dev/null |
	{ grep -v 'warning: override: reassigning to symbol' >&2 || true; }
# Check each option once, as its last mention asked (a later line overrides).
bad=0
grep -E "$opts" "$want" |
	sed -E 's/^# (CONFIG_[A-Za-z0-9_]+) is not set/\1 &/; t; s/^(CONFIG_[A-Za-z0-9_]+)=/\1 &/' |
	tac | sort -s -u -k1,1 | cut -d' ' -f2- > "$want.last"
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		opt=${line%%=*}
		if ! grep -qxF -- "$line" "$out/.config"; then
			got=$(grep -E "^$opt=|^# $opt is not set" "$out/.config" || echo "absent")
			echo "merge-config: $opt: wanted '${line#*=}', Kconfig gave: $got" >&2
			bad=1
		fi ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -qE "^$opt=" "$out/.config"; then
			echo "merge-config: $opt: wanted off, Kconfig turned it on" >&2
			bad=1
		fi ;;
	esac
done < "$want.last"
if [ $bad -ne 0 ]; then
	echo "merge-config: required options were dropped; fix kernel/*.config" >&2
	exit 1
fi
