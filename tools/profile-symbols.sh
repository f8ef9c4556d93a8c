#!/usr/bin/env bash
# Folds `axvm run --profile FILE` samples into functions with any nm-style
# map: a kernel build's System.map (Debian ships a placeholder; its -dbg
# package has the real one), a copy of the guest's /proc/kallsyms, or
# `nm -n guest.elf`. Boot Linux with `nokaslr` so that the map's addresses
# are the run's.
#   tools/profile-symbols.sh PROFILE SYSTEM_MAP [N]    the N (default 30) hottest
set -euo pipefail
[ $# -ge 2 ] || {
	echo "usage: $0 PROFILE SYSTEM_MAP [N]" >&2
	exit 2
}
profile=$1 map=$2 top=${3:-30}
# Addresses are 64-bit: awk's numbers cannot hold them, so both inputs become
# zero-padded hex strings and one sort merges them (a symbol before a sample
# at the same address); each sample then belongs to the last symbol seen.
pad='function hex16(a) { a = tolower(a); sub(/^0x/, "", a); return substr("0000000000000000" a, length(a) + 1) }'
{
	awk "$pad"' $2 ~ /^[tTwW]$/ { print hex16($1), 0, $3 }' "$map"
	awk "$pad"' !/^#/ { print hex16($2), 1, $1 }' "$profile"
} | LC_ALL=C sort |
	awk '$2 == 0 { fn = $3; next }
	     { n[fn == "" ? "(before the first symbol)" : fn] += $3; total += $3 }
	     END { for (f in n) printf "%8d %5.1f%%  %s\n", n[f], 100 * n[f] / total, f }' |
	sort -rn | awk -v n="$top" 'NR <= n'
grep -m1 '^# samples' "$profile" || true
