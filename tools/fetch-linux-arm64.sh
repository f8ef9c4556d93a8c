#!/usr/bin/env bash
# Fetches Debian's current arm64 cloud kernel (the package behind
# linux-image-cloud-arm64, Linux 6.1 on Debian 12) WITHOUT installing it:
#   OUTDIR/root/      the package unpacked with dpkg-deb -x (modules, config)
#   OUTDIR/Image      the raw arm64 Image: /boot/vmlinuz-*, gunzipped if it is
#                     gzipped (the boot protocol and axvm's loader want it
#                     uncompressed; 6.1.0-57's is already raw, an EFI-stub
#                     Image), checked for "ARM\x64" at 0x38
#   OUTDIR/VERSION    "<package> <version>", e.g.
#                     "linux-image-6.1.0-41-cloud-arm64 6.1.158-1"
#   OUTDIR/*.deb      the downloaded package, cached by version
# Usage: tools/fetch-linux-arm64.sh [OUTDIR]        (default build/linux-arm64)
#
# The only network access is Debian's archive, through apt: arm64 is added as
# a foreign architecture (dpkg --add-architecture, needed for apt to know
# arm64 packages at all) and `apt-get update` fetches its package lists;
# nothing is installed. Quick and offline when OUTDIR already holds the newest
# version apt knows of (or any fetched version, when apt knows none).
#
# Exit status: 0 fetched (or already there), 77 the archive could not be
# reached or the package could not be downloaded (callers print SKIP; the
# message names the command that failed), 1 anything else.
set -euo pipefail

OUTDIR=${1:-build/linux-arm64}
META_PKG=linux-image-cloud-arm64

skip() { echo "fetch-linux-arm64: $*" >&2; exit 77; }
die() { echo "fetch-linux-arm64: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

# the Image header (arm64 boot protocol): "ARM\x64" at offset 0x38
is_image() {
	[ -s "$1" ] && [ "$(od -An -tx1 -j 56 -N 4 "$1" | tr -d ' \n')" = 41524d64 ]
}

# the versioned kernel behind the metapackage, from apt's lists (no network)
resolve_kernel() {
	apt-cache depends "$META_PKG:arm64" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*-cloud-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -n 1
}

updated=
apt_update() {
	[ -n "$updated" ] && return 0
	updated=1
	[ "$(id -u)" -eq 0 ] || skip "not root: cannot run apt-get update"
	timeout 600 apt-get update -qq >/dev/null 2>&1 ||
		echo "fetch-linux-arm64: 'apt-get update' failed; trying with the lists we have" >&2
}

mkdir -p "$OUTDIR"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" -eq 0 ] || skip "not root: cannot run dpkg --add-architecture arm64"
	dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
	apt_update # the lists we have know no arm64 packages yet
fi

kpkg=$(resolve_kernel || true)
kver=
[ -z "$kpkg" ] || kver=$(apt-cache policy "$kpkg:arm64" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$kpkg" ] || [ -z "$kver" ] || [ "$kver" = "(none)" ]; then
	apt_update
	kpkg=$(resolve_kernel || true)
	[ -z "$kpkg" ] || kver=$(apt-cache policy "$kpkg:arm64" 2>/dev/null | sed -n 's/^ *Candidate: //p')
fi
if [ -z "$kpkg" ] || [ -z "$kver" ] || [ "$kver" = "(none)" ]; then
	# No lists (archive unreachable): whatever was fetched before still boots.
	if is_image "$OUTDIR/Image" && [ -s "$OUTDIR/VERSION" ]; then
		echo "fetch-linux-arm64: apt knows no $META_PKG:arm64; using the fetched $(cat "$OUTDIR/VERSION")" >&2
		exit 0
	fi
	skip "'apt-get update' did not give apt a $META_PKG:arm64 ('apt-cache depends $META_PKG:arm64' is empty): Debian's archive unreachable?"
fi

# already fetched: nothing to do
if is_image "$OUTDIR/Image" && [ "$(cat "$OUTDIR/VERSION" 2>/dev/null)" = "$kpkg $kver" ]; then
	exit 0
fi

deb=$OUTDIR/${kpkg}_${kver//:/%3a}_arm64.deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download drops to _apt where it can
if [ ! -s "$deb" ]; then
	echo "fetch-linux-arm64: downloading $kpkg:arm64 $kver" >&2
	dl() { (cd "$tmp" && timeout 900 apt-get download -qq "$kpkg:arm64=$kver" >/dev/null 2>"$tmp/dl.err"); }
	dl || { apt_update; dl; } ||
		skip "'apt-get download $kpkg:arm64=$kver' failed: $(tail -n 1 "$tmp/dl.err")"
	rm -f "$OUTDIR"/linux-image-*_arm64.deb
	mv "$tmp"/*.deb "$deb"
fi

rm -rf "$OUTDIR/root"
dpkg-deb -x "$deb" "$OUTDIR/root" || die "dpkg-deb -x $deb failed"
vmlinuz=$(find "$OUTDIR/root/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $kpkg"
# An arm64 kernel does not decompress itself: a gzipped vmlinuz (Image.gz,
# as some Debian builds ship it) is unpacked here; a raw one is copied.
case $(file -b "$vmlinuz") in
gzip*) gzip -dc "$vmlinuz" >"$tmp/Image" || die "gunzip $vmlinuz failed" ;;
*) cp "$vmlinuz" "$tmp/Image" ;;
esac
is_image "$tmp/Image" || die "$vmlinuz: no arm64 Image magic \"ARM\\x64\" at 0x38 ($(file -b "$vmlinuz"))"
mv "$tmp/Image" "$OUTDIR/Image"
echo "$kpkg $kver" >"$OUTDIR/VERSION"
echo "fetch-linux-arm64: $OUTDIR/Image: $kpkg $kver ($(stat -c %s "$OUTDIR/Image") bytes)" >&2
