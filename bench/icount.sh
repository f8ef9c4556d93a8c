#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Instructions per operation, counted by valgrind's callgrind: deterministic,
# the same to the instruction from one run to the next, where ns figures move
# by 2x between days on this project's machines.
#
# Method: bench_icount (bench/bench_icount.c) does each operation through a
# harness function icount_<op>() that does that one operation and nothing
# else. Callgrind runs it with --collect-atstart=no --toggle-collect=icount_<op>,
# so only instructions executed inside the harness (and everything it calls)
# are counted: not the set-up, not the loop, not the per-iteration preparation
# (re-pending the GIC SPI, putting the APIC vector in service). Each op runs
# twice, N1 and N2 times, and the count is (Ir(N2) - Ir(N1)) / (N2 - N1).
#
# Why both: toggle-collect alone would count one-time costs of the first calls
# (lazy PLT binding, first-touch paths); the difference alone (without the
# toggle) would count the loop and the preparation work with the op. Together
# they count exactly the steady-state operation. The script says so in a
# `#` line when Ir(N1)/N1 differs (virtio-blk-read4k today: its first calls
# cost more), and prints a fraction if a count ever is not a whole number (an
# op whose cost varies from call to call) rather than rounding it away.
# --instr-atstart=no: the driver starts instrumentation after its set-up
# (CALLGRIND_START_INSTRUMENTATION), or 4096 devices take a minute a run.
#
# Each count includes the harness's own ~11 instructions (argument set-up,
# call, result check, return), the same for every op and both dispatch impls.
#
# Output: icount op=NAME impl=IMPL insns=N   (impl: axdevice or linear)
# Env: BENCH_ICOUNT (the driver; default build/bench/bench_icount), N1, N2.
set -eu

BIN=${BENCH_ICOUNT:-build/bench/bench_icount}
N1=${N1:-1024}
N2=${N2:-3072}

command -v valgrind >/dev/null 2>&1 || { echo "icount.sh: valgrind not installed" >&2; exit 1; }
[ -x "$BIN" ] || { echo "icount.sh: $BIN not built" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# Ir collected in the harness `fn` over n runs of `op`
ir() {
	valgrind -q --tool=callgrind --instr-atstart=no --collect-atstart=no --toggle-collect="$1" \
		--callgrind-out-file="$TMP/cg.out" "$BIN" "$2" "$3" >"$TMP/stdout"
	sed -n 's/^summary: *//p' "$TMP/cg.out"
}

# count NAME IMPL OP FN
count() {
	a=$(ir "$4" "$3" "$N1")
	b=$(ir "$4" "$3" "$N2")
	insns=$(awk -v a="$a" -v b="$b" -v n1="$N1" -v n2="$N2" 'BEGIN {
		d = b - a; n = n2 - n1
		if (d % n == 0) printf "%d", d / n; else printf "%.2f", d / n
	}')
	check=$(awk -v a="$a" -v n1="$N1" -v i="$insns" 'BEGIN { print (a == i * n1) ? "" : "x" }')
	[ -z "$check" ] || echo "# $1 impl=$2: Ir($N1)/$N1 = $(awk -v a="$a" -v n="$N1" \
		'BEGIN { printf "%.2f", a / n }') (first calls cost more)"
	echo "icount op=$1 impl=$2 insns=$insns"
}

echo "# instructions per operation: callgrind, (Ir($N2) - Ir($N1)) / ($N2 - $N1), in the harness"
for d in 1 16 256 4096; do
	count "dispatch-$d" axdevice "dispatch-axdevice-$d" icount_dispatch_axdevice
	count "dispatch-$d" linear "dispatch-linear-$d" icount_dispatch_linear
done
grep '^# dispatch mode' "$TMP/stdout" || true
count virtio-blk-read4k axdevice virtio-blk-read4k icount_virtio_blk_read4k
sed -n 's/^# dispatch mode/# virtio-blk-read4k dispatch mode/p' "$TMP/stdout"
count uart-scratch axdevice uart-scratch icount_uart_scratch
count gic-ack-eoi axdevice gic-ack-eoi icount_gic_ack_eoi
count lapic-eoi axdevice lapic-eoi icount_lapic_eoi
