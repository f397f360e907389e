#!/bin/bash
# install-deps.sh [GROUP...] - install the Debian packages KML needs, only
# those missing.  A warm machine pays one dpkg-query; a fresh one one apt-get
# update + install.  Without GROUP: what make run/check/bench need.  Groups
# for the targets that need more:
#   host   make kernel-host(-config): a distribution config and bindeb-pkg
#   deb    make deb / check-deb: the kernel and kml-tools packages
#   check  make check's package, host-config and PKCS#11 tests
set -euo pipefail
pkgs=(
	build-essential flex bison bc cpio xz-utils kmod	# kernel build
	libelf-dev libssl-dev openssl				# kernel + kml-stamp
	libcapstone-dev						# kml-stamp's disassembler
	sqlite3 python3.11-minimal				# tests: Debian binaries the scan must pass
	elfutils						# readelf/eu-readelf in tests
	linux-source-6.12					# the kernel source tarball
	qemu-system-x86						# the guest
	busybox-static						# the guest's user space
	clang libclang-rt-14-dev				# libFuzzer (make fuzz)
	lld							# tests: kml_note.S with lld
	ccache							# faster repeated kernel builds
	dwarves							# pahole: the kernel's BTF
	gdb python3						# tools/kml-census (make bench)
	pkgconf							# the guest's pkg-config-built program
	sqlite3 stress-ng					# real programs stamped with --add-note
	attr							# tests: setfattr/getfattr
	bpftool libbpf-dev zlib1g-dev				# kmlsnoop, kmltop: skeletons, libbpf.a, libz.a (clang: above)
)
for g in "$@"; do
	case "$g" in
	host) pkgs+=(linux-config-6.12 debhelper dpkg-dev rsync dwarves) ;;
	deb) pkgs+=(debhelper dpkg-dev rsync lintian pkgconf) ;;
	check) pkgs+=(linux-config-6.12 lintian pkgconf dpkg-dev
		softhsm2 libengine-pkcs11-openssl p11-kit-modules) ;;
	*) echo "install-deps: unknown group '$g' (host, deb, check)" >&2; exit 2 ;;
	esac
done
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
