#!/usr/bin/env bash
# MMIO accesses per second through axvm for a guest loop of MMIO reads of
#   noop    a meta device (reads zero): the floor, dispatch + the exit path
#   uart    the MMIO 16550's scratch register
#   virtio  a virtio-mmio register (MagicValue)
# on each accelerator: tcg (Unicorn: an MMIO callback, no VM exit) and kvm (a
# real VM exit each; skipped where /dev/kvm is unusable). Accesses are counted
# by axvm (--stats) over the vCPU's run time.
#   AXVM=build/axvm COUNT=200000 ACCELS="tcg kvm" bench/vmexit.sh
set -u
AXVM=${AXVM:-build/axvm}
COUNT=${COUNT:-200000}
ACCELS=${ACCELS:-tcg kvm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp build/demo-disk.img "$tmp/disk.img"

for accel in $ACCELS; do
	floor=
	for target in noop uart virtio; do
		st=0
		"$AXVM" run configs/demo.toml --accel "$accel" --stats \
			--backend "disk0=file:$tmp/disk.img" --backend com1=null --backend uart1=null \
			--cmdline "mode=bench target=$target count=$COUNT" >/dev/null 2>"$tmp/err" || st=$?
		if [ "$st" = 121 ]; then
			echo "SKIP: vmexit accel=$accel: $(grep -m1 -o 'KVM.*' "$tmp/err")"
			continue 2
		elif [ "$st" != 0 ]; then
			cat "$tmp/err"
			exit 1
		fi
		# axvm: stats: vcpu0 exits=N io=N mmio=N other=N seconds=S
		line=$(grep 'stats: vcpu0 exits=' "$tmp/err")
		mmio=$(sed -n 's/.* mmio=\([0-9]*\).*/\1/p' <<<"$line")
		secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		rate=$(awk -v n="$mmio" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
		[ -z "$floor" ] && floor=$rate
		echo "vmexit accel=$accel target=$target exits_per_s=$rate"
		awk -v r="$rate" -v f="$floor" -v t="$target" \
			'BEGIN { printf "# %s: %.2f of the noop floor\n", t, r / f }'
	done
done
