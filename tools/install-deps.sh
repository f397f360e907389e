#!/bin/bash
# install-deps.sh - install the Debian packages KML needs, only those missing.
# A warm machine pays one dpkg-query; a fresh one one apt-get update + install.
set -euo pipefail
pkgs=(
	build-essential flex bison bc cpio xz-utils kmod	# kernel build
	libelf-dev libssl-dev openssl				# kernel + kml-stamp
	elfutils						# readelf/eu-readelf in tests
	linux-source-6.12					# the kernel source tarball
	qemu-system-x86						# the guest
	busybox-static						# the guest's user space
	clang libclang-rt-14-dev				# libFuzzer (make fuzz)
	lld							# tests: kml_note.S with lld
	ccache							# faster repeated kernel builds
	sqlite3 stress-ng					# real programs stamped with --add-note
	attr							# tests: setfattr/getfattr
)
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
