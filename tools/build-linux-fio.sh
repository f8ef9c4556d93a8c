#!/usr/bin/env bash
# The Linux guest's benchmark initramfs: tools/build-linux-guest.sh's
# initramfs with Debian's fio added, for bench/peer-fio.sh (axtest=fio):
#   OUTDIR/initramfs-fio.gz   OUTDIR/initramfs.gz followed by a second gzip'd
#                             cpio (the kernel unpacks concatenated archives
#                             in order): /usr/bin/fio, every shared library
#                             of its ldd closure at the path ldd resolves it
#                             to, and the dynamic loader
#   OUTDIR/fio-stamp          what it was built from
# The functional tests keep booting the lean OUTDIR/initramfs.gz: Debian's
# fio links librbd, libgfapi, libnbd and their closure (about 84 MB).
# Usage: tools/build-linux-fio.sh [OUTDIR]     (default build/linux; run
#        tools/build-linux-guest.sh OUTDIR first)
#
# fio comes from the host's Debian package, installed here when missing (the
# libraries it needs come with it): the guest runs the same binaries.
#
# Exit status: 0 built (or already up to date), 77 the fio package could not
# be installed (callers print SKIP), 1 anything else.
set -euo pipefail

OUTDIR=${1:-build/linux}
FIO=/usr/bin/fio

skip() { echo "build-linux-fio: $*" >&2; exit 77; }
die() { echo "build-linux-fio: $*" >&2; exit 1; }

[ -s "$OUTDIR/initramfs.gz" ] || die "no $OUTDIR/initramfs.gz (run tools/build-linux-guest.sh $OUTDIR)"
if ! dpkg-query -W -f='${Status}' fio 2>/dev/null | grep -q 'install ok installed'; then
	[ "$(id -u)" -eq 0 ] || skip "missing Debian package fio and not root"
	echo "build-linux-fio: installing fio" >&2
	export DEBIAN_FRONTEND=noninteractive
	timeout 900 apt-get install -y -qq --no-install-recommends fio >/dev/null 2>&1 ||
		{ timeout 300 apt-get update -qq >/dev/null 2>&1 || true; timeout 900 apt-get install -y -qq --no-install-recommends fio >/dev/null; } ||
		skip "cannot install fio"
fi
[ -x "$FIO" ] || die "the fio package has no $FIO"

# ldd's lines: "libX.so.N => /path (0x...)", the loader as "/lib64/ld-... (0x...)";
# linux-vdso has no file. A "not found" is an error: the guest would fail the same way.
libs=$(ldd "$FIO") || die "ldd $FIO failed"
! grep -q 'not found' <<<"$libs" || die "ldd $FIO: $(grep 'not found' <<<"$libs" | head -n 3)"
paths=$(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$libs" | sort -u)
[ -n "$paths" ] || die "ldd $FIO listed no libraries"

stamp="fio=$(dpkg-query -W -f='${Version}' fio) base=$(sha256sum <"$OUTDIR/initramfs.gz" | cut -d' ' -f1)
libs=$(for p in $paths; do readlink -f "$p"; done | xargs sha256sum | sha256sum | cut -d' ' -f1)
script=$(sha256sum "$0" | cut -d' ' -f1)"
if [ -s "$OUTDIR/initramfs-fio.gz" ] && [ "$(cat "$OUTDIR/fio-stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0 # up to date
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
# each library as a plain file under the name the loader looks for (ldd's
# path: the soname in its directory), so no symlink and no ld.so.cache is needed
for p in $FIO $paths; do
	install -D -m 755 "$(readlink -f "$p")" "$root$p"
done
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -6n >"$tmp/fio.cpio.gz"
cat "$OUTDIR/initramfs.gz" "$tmp/fio.cpio.gz" >"$tmp/initramfs-fio.gz"
mv "$tmp/initramfs-fio.gz" "$OUTDIR/initramfs-fio.gz"
printf '%s\n' "$stamp" >"$OUTDIR/fio-stamp"
echo "build-linux-fio: $OUTDIR/initramfs-fio.gz: fio $(dpkg-query -W -f='${Version}' fio), $(wc -l <<<"$paths") libraries, $(($(stat -c %s "$OUTDIR/initramfs-fio.gz") / 1048576)) MiB" >&2
