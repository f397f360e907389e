#!/bin/bash
# test-host-config.sh - TAP tests of kernel/host-config.sh against Debian's
# stock amd64 config (linux-config-6.12), never the running system's: the
# KML options are all there, what config KML excludes is off, olddefconfig
# is stable, uname -r says -kml, a dropped option fails loudly, and
# localmodconfig trimming keeps KML.  No compilation: config steps only.
# Environment: KTREE (default build/linux, prepared by make kernel-tree).
set -uo pipefail
# The tree is a git tree: an unset LOCALVERSION would add "+" to the release.
export LOCALVERSION="${LOCALVERSION-}"
top=$(cd "$(dirname "$0")/../.." && pwd)
ktree=${KTREE:-$top/build/linux}
debian=${KML_DEBIAN_CONFIG:-/usr/src/linux-config-6.12/config.amd64_none_amd64.xz}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
note() { sed 's/^/#   /'; }
kmake() { make -s -C "$ktree" O="$1" ARCH=x86_64 "${@:2}"; }
# state CONFIG SYM: y, m, "n" (is not set or absent) or the string
state() {
	local v
	v=$(sed -n "s/^CONFIG_$2=//p" "$1")
	echo "${v:-n}"
}
# The wanted lines of a fragment, each "SYM VALUE" (n for "is not set").
wanted() {
	sed -nE 's/^CONFIG_([A-Za-z0-9_]+)=(.*)$/\1 \2/p; s/^# CONFIG_([A-Za-z0-9_]+) is not set$/\1 n/p' "$@"
}

echo "TAP version 13"
echo "1..14"
if [ ! -r "$debian" ] || ! grep -q '^config KML$' "$ktree/arch/x86/Kconfig" 2>/dev/null; then
	echo "# needs $debian (linux-config-6.12) and a prepared $ktree (make kernel-tree)"
fi
xz -dc "$debian" > "$t/debian.config" 2>/dev/null

# What config KML excludes, read here independently of host-config.sh.
sed -n '/^config KML$/,/^config /p' "$ktree/arch/x86/Kconfig" | grep -E '^\s*depends on' |
	grep -oE '![A-Za-z0-9_]+|[A-Za-z0-9_]+=n' | sed 's/^!//; s/=n$//' | sort -u > "$t/conflicts"

# Three runs side by side (each is a few olddefconfigs): Debian's config
# as make kernel-host-config uses it; the same with options asked back on
# that config KML excludes (a bool one, and KVM=m); a base with key files
# that are not here, trimmed by localmodconfig.
{ xz -dc "$debian"; echo 'CONFIG_MODULE_SIG_KEY="debian/certs/signing.pem"'
  echo 'CONFIG_SYSTEM_REVOCATION_KEYS="debian/certs/revoked.pem"'; } > "$t/base2"
printf 'Module Size Used by\ne1000e 1 0\nnvme 1 0\next4 1 0\n' > "$t/lsmod"
out=$t/o
"$top/kernel/host-config.sh" --base "$debian" "$ktree" "$out" -- \
	'CONFIG_SYSTEM_TRUSTED_KEYS="kml-trusted.pem"' > "$t/log" 2> "$t/err" &
p1=$!
{ "$top/kernel/host-config.sh" --base "$debian" "$ktree" "$t/o2" -- 'CONFIG_X86_KERNEL_IBT=y' \
	> "$t/log2" 2> "$t/err2"; echo $? > "$t/rc2"
  "$top/kernel/host-config.sh" --base "$debian" "$ktree" "$t/o2" -- 'CONFIG_KVM=m' \
	> "$t/log2k" 2> "$t/err2k"; echo $? > "$t/rc2k"; } &
p2=$!
"$top/kernel/host-config.sh" --base "$t/base2" --localmod "$t/lsmod" "$ktree" "$t/o3" \
	> "$t/log3" 2> "$t/err3"
rc3=$?
kernel_rc=0
wait $p1 || kernel_rc=$?
wait $p2

# 1: the run itself, on Debian's config
[ $kernel_rc -eq 0 ] && [ -s "$out/.config" ]
ok $? "host-config.sh makes a .config from Debian's stock config ($(basename "$debian"))"
[ $kernel_rc -eq 0 ] || note < "$t/err"

# 2: every KML option (kml-on.config, kml-host.config) as asked
bad=$(wanted "$top/kernel/kml-on.config" "$top/kernel/kml-host.config" | while read -r sym v; do
	[ "$(state "$out/.config" "$sym")" = "$v" ] || echo "$sym=$(state "$out/.config" "$sym") (want $v)"
done)
[ -z "$bad" ] && [ "$(state "$out/.config" KML)" = y ]
ok $? "every option of kml-on.config and kml-host.config is set as asked ($(wanted "$top/kernel/kml-on.config" "$top/kernel/kml-host.config" | wc -l) options, CONFIG_KML=y)"
[ -z "$bad" ] || echo "$bad" | note

# 3: each "depends on !X" of config KML is off, and these include the seven
# a real machine's config has on (Debian: all but X86_FRED)
must="KVM X86_FRED X86_KERNEL_IBT X86_USER_SHADOW_STACK AMD_MEM_ENCRYPT INTEL_TDX_GUEST XEN_PV"
bad=
for s in $must; do grep -qx "$s" "$t/conflicts" || bad+=" $s(not-in-Kconfig)"; done
while read -r s; do [ "$(state "$out/.config" "$s")" = n ] || bad+=" $s"; done < "$t/conflicts"
[ -s "$t/conflicts" ] && [ -z "$bad" ]
ok $? "every option config KML excludes is off: $(tr '\n' ' ' < "$t/conflicts")"
[ -z "$bad" ] || echo "still on:$bad" | note

# 4: ... and they were on in the base (the step did something), KVM's
# friends went with it
bad=
for s in KVM X86_KERNEL_IBT X86_USER_SHADOW_STACK AMD_MEM_ENCRYPT INTEL_TDX_GUEST XEN_PV; do
	[ "$(state "$t/debian.config" "$s")" != n ] || bad+=" $s(off-in-base)"
done
for s in KVM_INTEL KVM_AMD KVM_AMD_SEV; do
	[ "$(state "$out/.config" "$s")" = n ] || bad+=" $s"
done
[ -z "$bad" ]
ok $? "Debian has KVM, IBT, user shadow stacks, SEV, TDX, Xen PV on; the result has them and KVM_INTEL/KVM_AMD off"
[ -z "$bad" ] || echo "$bad" | note

# 5: each one printed with its reason (the comment above its depends line)
bad=
while read -r s; do
	grep -qE "^host-config: CONFIG_$s off \(base: [^)]*\): [A-Za-z].{10,}" "$t/log" || bad+=" $s"
done < "$t/conflicts"
[ -z "$bad" ]
ok $? "each excluded option is printed with its reason"
[ -z "$bad" ] || { echo "no reason for:$bad"; note < "$t/log"; } | note

# 6: olddefconfig is stable
cp "$out/.config" "$t/before"
kmake "$out" olddefconfig > /dev/null 2>&1
cmp -s "$t/before" "$out/.config"
ok $? "olddefconfig run again changes nothing"
diff "$t/before" "$out/.config" | head -10 | note

# 7: LOCALVERSION and the release name
rel=$(kmake "$out" kernelrelease 2>/dev/null)
[ "$(state "$out/.config" LOCALVERSION)" = '"-kml"' ] && [[ $rel == 6.12.*-kml ]]
ok $? "CONFIG_LOCALVERSION=\"-kml\": uname -r will be $rel"

# 8: trusted key, and module signing as Debian has it
bad=
[ "$(state "$out/.config" SYSTEM_TRUSTED_KEYS)" = '"kml-trusted.pem"' ] || bad+=" SYSTEM_TRUSTED_KEYS"
for s in MODULE_SIG MODULE_SIG_FORCE MODULE_SIG_HASH; do
	[ "$(state "$out/.config" $s)" = "$(state "$t/debian.config" $s)" ] || bad+=" $s"
done
[ -z "$bad" ]
ok $? "SYSTEM_TRUSTED_KEYS is the KML certificate; MODULE_SIG, MODULE_SIG_FORCE, MODULE_SIG_HASH as in Debian's config"
[ -z "$bad" ] || echo "$bad" | note

# 9: the machine is still Debian's: its drivers and file systems are there
base_m=$(grep -c '=m$' "$t/debian.config") got_m=$(grep -c '=m$' "$out/.config")
bad=
for s in BLK_DEV_NVME E1000E IGB EXT4_FS BTRFS_FS DRM_AMDGPU DRM_I915 USB_XHCI_HCD; do
	[ "$(state "$out/.config" $s)" = "$(state "$t/debian.config" $s)" ] || bad+=" $s"
done
[ -z "$bad" ] && [ $((got_m * 100)) -ge $((base_m * 95)) ]
ok $? "Debian's drivers stay: $got_m modules of $base_m, NVMe/e1000e/igb/ext4/btrfs/amdgpu/i915/xHCI as in Debian"
[ -z "$bad" ] || echo "changed:$bad" | note

# 10: a KML option dropped by olddefconfig stops with an error naming it
# (an excluded option asked back on after the conflicts: Kconfig then
# drops CONFIG_KML); KVM=m counts as on
rc=$(cat "$t/rc2") rck=$(cat "$t/rc2k")
[ "$rc" -ne 0 ] && grep -q "CONFIG_KML: wanted 'y'" "$t/err2" &&
	[ "$rck" -ne 0 ] && grep -q "CONFIG_KML: wanted 'y'" "$t/err2k"
ok $? "a dropped KML option fails loudly: X86_KERNEL_IBT=y (exit $rc), KVM=m (exit $rck): $(grep -m1 CONFIG_KML "$t/err2k")"

# 11: the base: running system's config when present, else Debian's
echo 'CONFIG_X86_64=y' > "$t/boot-config"
a=$(KML_BOOT_CONFIG=$t/boot-config "$top/kernel/host-config.sh" --print-base)
b=$(KML_BOOT_CONFIG=$t/absent KML_DEBIAN_CONFIG=$debian "$top/kernel/host-config.sh" --print-base)
c=$(KML_BOOT_CONFIG=$t/absent KML_DEBIAN_CONFIG=$t/absent "$top/kernel/host-config.sh" --print-base 2>&1)
[ "$a" = "$t/boot-config" ] && [ "$b" = "$debian" ] && [[ $c == *"apt-get install linux-config-6.12"* ]]
ok $? "base: /boot/config-\$(uname -r) when present, else Debian's, else a clear error"

# 12-14: localmodconfig from an lsmod listing, on a base whose key files
# are not here (as a distribution's /boot/config names its own)
rc=$rc3
lm=$(grep -c '=m$' "$t/o3/.config" 2>/dev/null)
bad=$(wanted "$top/kernel/kml-on.config" "$top/kernel/kml-host.config" | while read -r sym v; do
	[ "$(state "$t/o3/.config" "$sym")" = "$v" ] || echo "$sym"
done)
[ $rc -eq 0 ] && [ -z "$bad" ] && [ "${lm:-0}" -lt $((base_m / 10)) ] &&
	[ "$(state "$t/o3/.config" E1000E)" = m ] && [ "$(state "$t/o3/.config" BLK_DEV_NVME)" = m ]
ok $? "localmodconfig: ${lm:-?} modules (e1000e, nvme kept), every KML option still set"
[ $rc -eq 0 ] || note < "$t/err3"
rk=$(state "$t/o3/.config" SYSTEM_REVOCATION_KEYS)
[ "$(state "$t/o3/.config" MODULE_SIG_KEY)" = '"certs/signing_key.pem"' ] &&
	{ [ "$rk" = '""' ] || [ "$rk" = n ]; } &&
	grep -q 'CONFIG_MODULE_SIG_KEY: debian/certs/signing.pem is not here' "$t/log3" &&
	grep -q 'CONFIG_SYSTEM_REVOCATION_KEYS: debian/certs/revoked.pem is not here' "$t/log3"
ok $? "key files the base names but this machine lacks: the module signing key is made by the build, the revocation list left empty, each with a message"
cp "$t/o3/.config" "$t/before3"
kmake "$t/o3" olddefconfig > /dev/null 2>&1
cmp -s "$t/before3" "$t/o3/.config"
ok $? "olddefconfig is stable after localmodconfig too"
