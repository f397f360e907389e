#!/bin/bash
# host-config.sh - a KML kernel config for a real machine.
#
#   host-config.sh [--base CONFIG] [--localmod LSMOD] KTREE OUTDIR [-- EXTRA_LINE...]
#   host-config.sh --print-base
#
# OUTDIR/.config = a distribution's config (CONFIG; by default the running
# system's /boot/config-$(uname -r), else Debian's stock amd64 config from
# the linux-config-6.12 package) brought to KTREE's version with olddefconfig,
# optionally trimmed to the modules listed in LSMOD (lsmod output: `make
# localmodconfig`), then kernel/kml-host.config + kernel/kml-on.config, every
# option that KML's Kconfig entry excludes ("depends on !X" or "X=n" in
# KTREE's arch/x86/Kconfig) turned off with its reason printed, LOCALVERSION "-kml",
# and the EXTRA_LINEs (the Makefile passes CONFIG_SYSTEM_TRUSTED_KEYS).
# kernel/merge-config.sh then checks every option asked for: one dropped by
# olddefconfig stops with an error.  Module signing stays as the base has
# it; key files the base names but this machine does not have (a
# distribution's own certificates) are reset, each with a message.
#
# Environment: KML_BOOT_CONFIG (default /boot/config-$(uname -r)) and
# KML_DEBIAN_CONFIG (default /usr/src/linux-config-6.12/config.amd64_none_amd64.xz).
set -euo pipefail
# The tree is a git tree: an unset LOCALVERSION would add "+" to the release.
export LOCALVERSION="${LOCALVERSION-}"
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "host-config: $*" >&2; exit 1; }
say() { echo "host-config: $*"; }

boot_config=${KML_BOOT_CONFIG:-/boot/config-$(uname -r)}
debian_config=${KML_DEBIAN_CONFIG:-/usr/src/linux-config-6.12/config.amd64_none_amd64.xz}

# The base: given, else the running system's, else Debian's stock config.
pick_base() {
	if [ -n "$base" ]; then
		[ -r "$base" ] || die "cannot read --base $base"
		echo "$base"
	elif [ -r "$boot_config" ]; then
		echo "$boot_config"
	elif [ -r "$debian_config" ]; then
		echo "$debian_config"
	else
		die "no base config: neither $boot_config nor $debian_config (apt-get install linux-config-6.12)"
	fi
}

base='' lsmod='' print_base=0
while [ $# -gt 0 ]; do
	case "$1" in
	--base) [ $# -ge 2 ] || die "--base needs a file"; base=$2; shift 2 ;;
	--localmod) [ $# -ge 2 ] || die "--localmod needs an lsmod output file"; lsmod=$2; shift 2 ;;
	--print-base) print_base=1; shift ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
if [ $print_base = 1 ]; then
	pick_base
	exit 0
fi
[ $# -ge 2 ] || die "usage: host-config.sh [--base CONFIG] [--localmod LSMOD] KTREE OUTDIR [-- EXTRA_LINE...]"
ktree=$1 out=$2
shift 2
[ "${1:-}" = -- ] && shift
[ -f "$ktree/arch/x86/Kconfig" ] || die "$ktree is not a kernel tree (make kernel-tree)"
grep -q '^config KML$' "$ktree/arch/x86/Kconfig" || die "$ktree has no KML patches (make kernel-tree)"
if [ -n "$lsmod" ]; then
	[ -r "$lsmod" ] || die "cannot read lsmod output $lsmod"
	lsmod=$(cd "$(dirname "$lsmod")" && pwd)/$(basename "$lsmod")
fi
src=$(pick_base)
mkdir -p "$out"
kmake() { make -s -C "$ktree" O="$out" ARCH=x86_64 "$@"; }
cfg() { "$ktree/scripts/config" --file "$out/.config" "$@"; }

say "base: $src"
case "$src" in
*.xz) xz -dc "$src" ;;
*.gz) gzip -dc "$src" ;;
*) cat "$src" ;;
esac > "$out/.config.tmp" || die "cannot unpack $src"
grep -q '^CONFIG_X86_64=y' "$out/.config.tmp" || die "$src is not an x86-64 kernel config"
mv "$out/.config.tmp" "$out/.config"
cp "$out/.config" "$out/kml-base.config"

# Key files named by the base that are not here (a distribution builds with
# its own certificates, which its config names but does not ship).
keyfile_here() {
	case "$1" in
	/*) [ -f "$1" ] ;;
	*) [ -f "$out/$1" ] || [ -f "$ktree/$1" ] ;;
	esac
}
for opt in MODULE_SIG_KEY SYSTEM_REVOCATION_KEYS SYSTEM_BLACKLIST_HASH_LIST; do
	v=$(cfg --state "$opt")
	case "$v" in undef|'') continue ;; esac
	[ "$opt" = MODULE_SIG_KEY ] && case "$v" in certs/signing_key.pem|pkcs11:*) continue ;; esac
	keyfile_here "$v" && continue
	if [ "$opt" = MODULE_SIG_KEY ]; then
		cfg --set-str "$opt" certs/signing_key.pem
		say "CONFIG_$opt: $v is not here; modules are signed with a key made by the build (certs/signing_key.pem)"
	else
		cfg --set-str "$opt" ""
		say "CONFIG_$opt: $v is not here; left empty"
	fi
done

if [ -n "$lsmod" ]; then
	# Bring the base to this tree's version first (new options at their
	# defaults): localmodconfig would ask about them.
	kmake olddefconfig
	before=$(grep -c '=m$' "$out/.config" || true)
	# (a new option would be asked for on stdin: none is left after olddefconfig)
	kmake LSMOD="$lsmod" localmodconfig < <(yes "") 2>"$out/localmodconfig.log" >/dev/null ||
		{ cat "$out/localmodconfig.log" >&2; die "localmodconfig failed"; }
	say "localmodconfig ($lsmod): modules $before -> $(grep -c '=m$' "$out/.config" || true)"
fi

# What KML cannot live with: every "depends on !X" (or "X=n") of "config
# KML", and the comment above it as the reason.
awk '
	/^config KML$/ { in_kml = 1; next }
	in_kml && /^(config|menuconfig|endmenu|menu|if|endif|source|choice|comment) / { exit }
	in_kml && /^[ \t]*#/ { sub(/^[ \t]*#[ \t]*/, ""); why = why (why ? " " : "") $0; next }
	in_kml && /^[ \t]*depends on/ {
		s = $0
		while (match(s, /![A-Za-z0-9_]+|[A-Za-z0-9_]+=n/)) {
			sym = substr(s, RSTART, RLENGTH)
			gsub(/^!|=n$/, "", sym)
			print sym "\t" why
			s = substr(s, RSTART + RLENGTH)
		}
	}
	in_kml && !/^[ \t]*#/ { why = "" }
' "$ktree/arch/x86/Kconfig" > "$out/kml-conflicts.txt"
[ -s "$out/kml-conflicts.txt" ] || die "no 'depends on !X' found in config KML of $ktree/arch/x86/Kconfig"
: > "$out/kml-off.config"
while IFS=$'\t' read -r sym why; do
	echo "# CONFIG_$sym is not set" >> "$out/kml-off.config"
	was=$(cfg --state "$sym")
	[ "$was" = undef ] && was=absent
	say "CONFIG_$sym off (base: $was): ${why:-excluded by config KML}"
done < "$out/kml-conflicts.txt"
# The same for kml-host.config's own "off" lines: the comment above is the reason.
awk '
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { print $2 "\t" why; why = ""; next }
	/^#/ { sub(/^#[ \t]*/, ""); why = $0; next }
	{ why = "" }
' "$here/kml-host.config" | while IFS=$'\t' read -r opt why; do
	was=$(cfg --state "${opt#CONFIG_}")
	[ "$was" = undef ] && was=absent
	say "$opt off (base: $was): $why"
done

"$here/merge-config.sh" --base "$out/.config" "$ktree" "$out" \
	"$here/kml-host.config" "$here/kml-on.config" "$out/kml-off.config" -- \
	'CONFIG_LOCALVERSION="-kml"' "$@"
# (kernelrelease reads include/config/auto.conf, which syncconfig writes)
kmake syncconfig
say "$out/.config: $(grep -c '=[ym]$' "$out/.config") options on, $(grep -c '=m$' "$out/.config") modules; uname -r will be $(kmake kernelrelease)"
