#!/usr/bin/env bash
# VM exits per second through axvm for a guest loop of MMIO reads of
#   noop    a meta device (reads zero): the floor, dispatch + KVM round trip
#   uart    the MMIO 16550's scratch register
#   virtio  a virtio-mmio register (MagicValue)
# Exits are counted by axvm (--stats) over the vCPU's run time.
#   AXVM=build/axvm COUNT=200000 bench/vmexit.sh
set -u
AXVM=${AXVM:-build/axvm}
COUNT=${COUNT:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp build/demo-disk.img "$tmp/disk.img"

floor=
for target in noop uart virtio; do
	if ! "$AXVM" run configs/demo.toml --stats --backend "disk0=file:$tmp/disk.img" \
		--backend com1=null --backend uart1=null \
		--cmdline "mode=bench target=$target count=$COUNT" >/dev/null 2>"$tmp/err"; then
		if grep -q "KVM is not available" "$tmp/err"; then
			echo "SKIP: /dev/kvm not available"
			exit 0
		fi
		cat "$tmp/err"
		exit 1
	fi
	# axvm: stats: vcpu0 exits=N io=N mmio=N other=N seconds=S
	line=$(grep 'stats: vcpu0 ' "$tmp/err")
	mmio=$(sed -n 's/.* mmio=\([0-9]*\).*/\1/p' <<<"$line")
	secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	rate=$(awk -v n="$mmio" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	[ -z "$floor" ] && floor=$rate
	echo "vmexit target=$target exits_per_s=$rate"
	awk -v r="$rate" -v f="$floor" -v t="$target" \
		'BEGIN { printf "# %s: %.2f of the noop floor\n", t, r / f }'
done
