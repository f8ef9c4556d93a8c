#!/usr/bin/env bash
# Port-I/O VM exits per second on KVM, side by side: axvm --accel kvm
# (libaxdevice's 16550) and QEMU/KVM (its own 16550); bench/peer-tcg.sh is the
# same on the software CPU, same demo guest, same loop. The guest's
# `mode=bench target=uartport count=N` alternates outb/inb on COM1's scratch
# register (0x3ff): N accesses, each one VM exit (guest/x86/bench.c), timed by the
# guest with its TSC ("BENCH ... ns=..."), so both peers are measured alike and
# boot time is left out.
#   COUNT=200000 bench/peer-exit.sh
# Prints: peer op=uart_scratch axvm_exits_per_s=X qemu_exits_per_s=Y ratio=X/Y
set -euo pipefail
cd "$(dirname "$0")/.."
AXVM=${AXVM:-build/axvm}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST=${GUEST:-build/guest/demo-guest.elf}
COUNT=${COUNT:-200000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp build/demo-disk.img "$tmp/disk.img"
args="mode=bench target=uartport count=$COUNT"

# exits per second from the guest's "BENCH tsc_cycles=.. ns=N" line in FILE
rate() {
	local ns
	ns=$(sed -n 's/^BENCH tsc_cycles=[0-9]* ns=\([0-9]*\).*/\1/p' "$1" | tr -d '\r' | head -n 1)
	[ -n "$ns" ] || return 1
	awk -v c="$COUNT" -v n="$ns" 'BEGIN { printf "%.0f", c / (n / 1e9) }'
}

st=0
timeout 300 "$AXVM" run configs/demo.toml --accel kvm --stats --backend "disk0=file:$tmp/disk.img" \
	--backend uart1=null --cmdline "$args" >"$tmp/axvm.out" 2>"$tmp/axvm.err" || st=$?
if [ "$st" != 0 ]; then
	if [ "$st" = 121 ]; then
		echo "SKIP: /dev/kvm not available"
		exit 0
	fi
	echo "peer-exit: axvm status $st" >&2
	tail -n 20 "$tmp/axvm.out" "$tmp/axvm.err" >&2
	exit 1
fi
x=$(rate "$tmp/axvm.out") || { echo "peer-exit: no BENCH line from axvm" >&2; exit 1; }
io=$(sed -n 's/.*stats: vcpu0 .* io=\([0-9]*\).*/\1/p' "$tmp/axvm.err")

# QEMU: isa-debug-exit makes QEMU exit with (value << 1) | 1; the guest writes 0
st=0
timeout 300 "$QEMU" -M pc -enable-kvm -cpu host,arch-capabilities=off -nographic \
	-kernel "$GUEST" -append "$args" -device isa-debug-exit,iobase=0x501 \
	</dev/null >"$tmp/qemu.out" 2>&1 || st=$?
if [ "$st" != 1 ]; then
	echo "peer-exit: QEMU status $st (want 1: the guest's exit 0)" >&2
	tail -n 20 "$tmp/qemu.out" >&2
	exit 1
fi
y=$(rate "$tmp/qemu.out") || { echo "peer-exit: no BENCH line from QEMU" >&2; exit 1; }

echo "peer op=uart_scratch axvm_exits_per_s=$x qemu_exits_per_s=$y ratio=$(awk -v x="$x" -v y="$y" 'BEGIN { printf "%.2f", x / y }')"
echo "# COUNT=$COUNT accesses, each a port-I/O exit (axvm counted io=$io exits in all)"
