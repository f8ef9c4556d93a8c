#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# make-demo-disk.sh PATH - (re)creates the demo guest's 4 MiB disk image.
#
# Sector 0 starts with "AXDEVICE DEMO DISK v1\n"; every later byte i of the
# sector (i counted from the start of the sector) is (i * 7 + 3) & 0xff.
# Every other sector is zero. The demo guest (guest/x86/demo_disk.c) checks
# exactly this, and scribbles over sectors 8..15 when it runs, so the image
# is always rebuilt from scratch.
set -eu

if [ "$#" -ne 1 ]; then
	echo "usage: $0 PATH" >&2
	exit 2
fi
out=$1
sector_size=512
sectors=8192 # 4 MiB
banner='AXDEVICE DEMO DISK v1'

mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT INT TERM

{
	printf '%s\n' "$banner"
	# The pattern for bytes banner_len .. 511, as octal escapes for printf.
	awk -v start=$((${#banner} + 1)) -v end=$sector_size 'BEGIN {
		for (i = start; i < end; i++)
			printf "\\%03o", (i * 7 + 3) % 256
	}' | xargs -0 printf
} >"$tmp"

size=$(wc -c <"$tmp")
if [ "$size" -ne "$sector_size" ]; then
	echo "$0: sector 0 came out $size bytes, expected $sector_size" >&2
	exit 1
fi
# Grow to the full size with zeros (a sparse file is fine).
truncate -s $((sector_size * sectors)) "$tmp"
mv -f "$tmp" "$out"
trap - EXIT INT TERM
