#!/usr/bin/env bash
# The port-exit path on a software CPU, side by side with QEMU's own TCG:
# axvm --accel tcg (Unicorn, libaxdevice's dispatch and 16550) against
# qemu-system-x86_64 -accel tcg (QEMU's 16550), the same demo-guest binary and
# the same loop: `mode=bench target=uartport count=N` alternates outb/inb on
# COM1's scratch register (0x3ff), timed by the guest with its TSC ("BENCH ...
# ns=..."), so boot time is left out and both peers are measured alike.
# For scale, the TCG floor: the same loop on a no-op port (axvm's meta device
# on port 0x510: Unicorn's port hook, the shared exit handler and the
# dispatcher, but no device model).
#   COUNT=2000000 REPS=3 bench/peer-tcg.sh
# Prints (best of REPS runs each):
#   peer op=uart_scratch_tcg axvm_exits_per_s=X qemu_exits_per_s=Y ratio=R   (R = X/Y)
#   tcg floor=noopport exits_per_s=F ns_per_access=N
set -euo pipefail
cd "$(dirname "$0")/.."
AXVM=${AXVM:-build/axvm}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST=${GUEST:-build/guest/demo-guest.elf}
COUNT=${COUNT:-2000000}
REPS=${REPS:-3}

command -v "$QEMU" >/dev/null 2>&1 || tools/install-deps.sh qemu-system-x86 >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp build/demo-disk.img "$tmp/disk.img"

# the guest's "BENCH tsc_cycles=.. ns=N" line in FILE -> accesses per second
rate() {
	local ns
	ns=$(sed -n 's/^BENCH tsc_cycles=[0-9]* ns=\([0-9]*\).*/\1/p' "$1" | tr -d '\r' | head -n 1)
	[ -n "$ns" ] && [ "$ns" -gt 0 ] || return 1
	awk -v c="$COUNT" -v n="$ns" 'BEGIN { printf "%.0f\n", c / (n / 1e9) }'
}

# axvm_rate TARGET: one run on TCG, accesses per second
axvm_rate() {
	local st=0
	timeout 300 "$AXVM" run configs/demo.toml --accel tcg --backend "disk0=file:$tmp/disk.img" \
		--backend uart1=null --cmdline "mode=bench target=$1 count=$COUNT" \
		>"$tmp/axvm.out" 2>"$tmp/axvm.err" || st=$?
	if [ "$st" != 0 ]; then
		echo "peer-tcg: axvm ($1) status $st" >&2
		tail -n 20 "$tmp/axvm.out" "$tmp/axvm.err" >&2
		return 1
	fi
	rate "$tmp/axvm.out" || { echo "peer-tcg: no BENCH line from axvm" >&2; return 1; }
}

# QEMU: isa-debug-exit makes QEMU exit with (value << 1) | 1; the guest writes 0
qemu_rate() {
	local st=0
	timeout 300 "$QEMU" -M pc -accel tcg -nographic -kernel "$GUEST" \
		-append "mode=bench target=uartport count=$COUNT" -device isa-debug-exit,iobase=0x501 \
		</dev/null >"$tmp/qemu.out" 2>&1 || st=$?
	if [ "$st" != 1 ]; then
		echo "peer-tcg: QEMU status $st (want 1: the guest's exit 0)" >&2
		tail -n 20 "$tmp/qemu.out" >&2
		return 1
	fi
	rate "$tmp/qemu.out" || { echo "peer-tcg: no BENCH line from QEMU" >&2; return 1; }
}

best() { sort -n | tail -n 1; }

x=$(for _ in $(seq "$REPS"); do axvm_rate uartport || exit 1; done | best)
y=$(for _ in $(seq "$REPS"); do qemu_rate || exit 1; done | best)
f=$(for _ in $(seq "$REPS"); do axvm_rate noopport || exit 1; done | best)
[ -n "$x" ] && [ -n "$y" ] && [ -n "$f" ] || exit 1

echo "peer op=uart_scratch_tcg axvm_exits_per_s=$x qemu_exits_per_s=$y ratio=$(awk -v x="$x" -v y="$y" 'BEGIN { printf "%.2f", x / y }')"
echo "tcg floor=noopport exits_per_s=$f ns_per_access=$(awk -v f="$f" 'BEGIN { printf "%.1f", 1e9 / f }')"
awk -v x="$x" -v y="$y" -v c="$COUNT" -v r="$REPS" 'BEGIN {
	printf "# COUNT=%d accesses, best of %d runs each: axvm %.1f ns/access, QEMU TCG %.1f ns/access\n",
		c, r, 1e9 / x, 1e9 / y }'
