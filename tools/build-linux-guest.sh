#!/usr/bin/env bash
# Assembles an unmodified Debian Linux guest from Debian packages only:
#   OUTDIR/vmlinuz        the kernel of linux-image-<version>-cloud-amd64
#   OUTDIR/initramfs.gz   cpio newc + gzip: busybox-static (every applet linked,
#                         ip, ping, nc and md5sum among them), the virtio
#                         modules (/lib/modules/order, loaded at every boot),
#                         virtio_net and its dependencies (/lib/modules/order-net,
#                         loaded by /init for axtest=net only),
#                         tests/linux/init.sh as /init and tests/linux/axinit.c,
#                         built here with the host's gcc, as /axinit (the same
#                         test without SIMD instructions; booted with
#                         rdinit=/axinit)
#   OUTDIR/stamp          what it was built from (kernel package and version,
#                         busybox version, hashes of init.sh, axinit.c and this
#                         script, gcc version)
# Usage: tools/build-linux-guest.sh [OUTDIR]        (default build/linux)
#
# It also installs the host packages the Linux tests need (QEMU, the
# qemu-storage-daemon, busybox-static, cpio, gcc and binutils for /axinit).
# The kernel package is never installed on the host: it is downloaded with
# `apt-get download` and unpacked with `dpkg-deb -x` into a temporary
# directory.
#
# Exit status: 0 built (or already up to date), 77 a Debian package could not
# be installed or downloaded (callers print SKIP), 1 anything else.
set -euo pipefail

OUTDIR=${1:-build/linux}
here=$(cd "$(dirname "$0")/.." && pwd)
INIT_SRC=$here/tests/linux/init.sh
AXINIT_SRC=$here/tests/linux/axinit.c
# The modules the guest needs, in load order. Their dependencies (from each
# module's own .modinfo "depends=") are added ahead of them. virtio_console
# gives /dev/hvc0 where the machine has a virtio console (axvm's test).
MODULES=(virtio_ring virtio virtio_mmio virtio_blk virtio_console)
# virtio_net (tests/linux/net.sh, bench/peer-net.sh) and what it needs beyond
# MODULES (failover, net_failover): a list of its own, so the block tests and
# /axinit (which loads /lib/modules/order) boot exactly as before.
NET_MODULES=(virtio_net)
# Host packages: qemu-system-x86 (qemu-system-x86_64), qemu-system-common
# (qemu-storage-daemon in Debian 12), qemu-utils (qemu-img), busybox-static,
# cpio, gcc and binutils (objdump) for /axinit.
HOST_PKGS=(qemu-system-x86 qemu-system-common qemu-utils busybox-static cpio gcc binutils)
META_PKG=linux-image-cloud-amd64

skip() { echo "build-linux-guest: $*" >&2; exit 77; }
die() { echo "build-linux-guest: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt_updated=1
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq >/dev/null 2>&1 ||
		echo "build-linux-guest: apt-get update failed; trying with the lists we have" >&2
}

# --- host packages ---------------------------------------------------------
missing=()
for p in "${HOST_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || skip "missing Debian packages ${missing[*]} and not root"
	apt_update
	echo "build-linux-guest: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || skip "cannot install ${missing[*]}"
fi

# --- which kernel ----------------------------------------------------------
# linux-image-cloud-amd64 is a metapackage; its dependency is the real kernel.
resolve_kernel() {
	apt-cache depends "$META_PKG" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}
# the downloaded kernel package, cached in OUTDIR by version
deb_of() { echo "$OUTDIR/${1}_${2//:/%3a}_amd64.deb"; }
kpkg=$(resolve_kernel || true)
if [ -z "$kpkg" ]; then
	apt_update
	kpkg=$(resolve_kernel || true)
fi
kver=
if [ -z "$kpkg" ]; then
	# No package lists at all: the kernel of the last build, whose package is
	# cached in OUTDIR (so a new init.sh or axinit.c still builds offline).
	last=$(sed -n '1s/^kernel=\([^ ]*\) .*/\1/p' "$OUTDIR/stamp" 2>/dev/null || true)
	kpkg=${last%%=*} kver=${last#*=}
	if [ -z "$last" ] || [ ! -s "$(deb_of "$kpkg" "$kver")" ]; then
		skip "apt knows no $META_PKG"
	fi
	echo "build-linux-guest: apt knows no $META_PKG; using the cached $kpkg $kver" >&2
fi
[ -n "$kver" ] || kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
if [ -z "$kver" ] || [ "$kver" = "(none)" ]; then skip "no candidate version of $kpkg"; fi
bbver=$(dpkg-query -W -f='${Version}' busybox-static)

stamp="kernel=$kpkg=$kver busybox=$bbver modules=${MODULES[*]} net=${NET_MODULES[*]}
init=$(sha256sum "$INIT_SRC" | cut -d' ' -f1)
axinit=$(sha256sum "$AXINIT_SRC" | cut -d' ' -f1) gcc=$(gcc -dumpfullversion 2>/dev/null || echo unknown)
script=$(sha256sum "$0" | cut -d' ' -f1)"
if [ -s "$OUTDIR/vmlinuz" ] && [ -s "$OUTDIR/initramfs.gz" ] &&
	[ "$(cat "$OUTDIR/stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0 # up to date
fi

# --- download and unpack the kernel package --------------------------------
mkdir -p "$OUTDIR"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download runs as _apt where it can

# --- /axinit -------------------------------------------------------------------
# tests/linux/axinit.c: a static freestanding x86-64 program (no libc, general-
# purpose registers only). Built first, so a broken one fails before a download.
AXINIT_CFLAGS=(-std=c11 -Wall -Wextra -O2 -static -nostdlib -ffreestanding -fno-builtin
	-fno-stack-protector -fno-pie -no-pie -mgeneral-regs-only -mno-red-zone
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables -fcf-protection=none
	-z noexecstack)
build_axinit() { # OUT
	local out=$1 simd n want got
	gcc "${AXINIT_CFLAGS[@]}" -o "$out" "$AXINIT_SRC" || die "cannot compile $AXINIT_SRC"
	# The point of /axinit: no SIMD instruction at all. Any %xmm/%ymm/%zmm
	# (SSE, AVX), %mm (MMX) or %k (AVX-512 mask) operand fails the build.
	simd=$(objdump -d "$out" | grep -E '%([xyz]?mm[0-9]|k[0-7])\b' | head -n 5 || true)
	[ -z "$simd" ] || die "$out has SIMD instructions:
$simd"
	# its MD5 against the host's md5sum (the rw/ro checks compare the two):
	# RFC 1321's suite, lengths around the padding boundaries, a whole binary
	"$out" --selftest >/dev/null || die "axinit --selftest (RFC 1321's MD5 suite) failed"
	for n in 0 1 55 56 57 63 64 65 119 120 121 4096 1048575 1048577 "$(stat -c %s /bin/busybox)"; do
		want=$(head -c "$n" /bin/busybox | md5sum | cut -d' ' -f1)
		got=$(head -c "$n" /bin/busybox | "$out" --md5 | cut -d' ' -f1)
		[ "$got" = "$want" ] || die "axinit --md5 of $n bytes: $got, md5sum: $want"
	done
	for n in AXDIRECT AXBUFFER; do
		want=$({ yes "$n" || true; } | head -c 1048576 | md5sum | cut -d' ' -f1)
		got=$("$out" --pattern "$n" | md5sum | cut -d' ' -f1)
		[ "$got" = "$want" ] || die "axinit --pattern $n differs from yes $n | head -c 1M"
	done
}
build_axinit "$tmp/axinit"

mkdir "$tmp/dl"
chown _apt "$tmp/dl" 2>/dev/null || true
# the download is cached in OUTDIR by version, so a rebuild (new init.sh) is offline
deb=$(deb_of "$kpkg" "$kver")
if [ ! -s "$deb" ]; then
	echo "build-linux-guest: downloading $kpkg $kver" >&2
	(cd "$tmp/dl" && timeout 600 apt-get download -qq "$kpkg=$kver" >/dev/null 2>&1) ||
		{ apt_update; (cd "$tmp/dl" && timeout 600 apt-get download -qq "$kpkg=$kver" >/dev/null 2>&1); } ||
		skip "cannot download $kpkg $kver"
	rm -f "$OUTDIR"/linux-image-*.deb
	mv "$tmp"/dl/*.deb "$deb"
fi
dpkg-deb -x "$deb" "$tmp/k"

vmlinuz=$(find "$tmp/k/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || die "no vmlinuz in $kpkg"
moddir=$(find "$tmp/k" -path '*/lib/modules/*' -maxdepth 4 -mindepth 3 -type d -name '*cloud-amd64' | head -n 1)
[ -n "$moddir" ] || die "no lib/modules in $kpkg"

# --- modules and their dependencies -----------------------------------------
# The package ships no modules.dep (depmod runs in its postinst), and kmod is not
# needed: each .ko carries "depends=a,b" in its .modinfo section.
declare -A kofile=() loaded=()
order=()
find_ko() {
	local f
	f=$(find "$moddir/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" -o -name "$1.ko.gz" \) | head -n 1)
	[ -n "$f" ] || die "module $1 not in $kpkg"
	kofile[$1]=$f
}
ko_plain() { # FILE -> uncompressed bytes on stdout
	case $1 in
	*.ko.xz) xz -dc "$1" ;;
	*.ko.zst) zstd -dc "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}
add_module() { # depth-first: dependencies first
	local m=$1 deps d
	[ -n "${loaded[$m]:-}" ] && return 0
	loaded[$m]=1
	find_ko "$m"
	deps=$(ko_plain "${kofile[$m]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n 1)
	for d in ${deps//,/ }; do add_module "$d"; done
	order+=("$m")
}
for m in "${MODULES[@]}"; do add_module "$m"; done
nbase=${#order[@]}
for m in "${NET_MODULES[@]}"; do add_module "$m"; done
base_order=("${order[@]:0:nbase}")
net_order=("${order[@]:nbase}")

# --- the initramfs ----------------------------------------------------------
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp /bin/busybox "$root/bin/busybox"
# every applet as a symlink, so /init can use plain names from the start
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
ln -s bin "$root/sbin"
# the guest's busybox insmod takes uncompressed modules
for m in "${base_order[@]}"; do
	ko_plain "${kofile[$m]}" >"$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/order"
done
for m in "${net_order[@]}"; do
	ko_plain "${kofile[$m]}" >"$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/order-net"
done
install -m 755 "$INIT_SRC" "$root/init"
install -m 755 "$tmp/axinit" "$root/axinit"
# the kernel opens /dev/console before /init runs; it also has one in its
# built-in initramfs, so this is only belt and braces
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9n >"$tmp/initramfs.gz"
cp "$vmlinuz" "$tmp/vmlinuz"
mv "$tmp/vmlinuz" "$OUTDIR/vmlinuz"
mv "$tmp/initramfs.gz" "$OUTDIR/initramfs.gz"
printf '%s\n' "$stamp" >"$OUTDIR/stamp"
echo "build-linux-guest: $OUTDIR: $kpkg $kver, modules ${base_order[*]}, net ${net_order[*]}" >&2
