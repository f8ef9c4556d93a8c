#!/usr/bin/env bash
# virtio-net end to end: the demo guest's mode=net (guest/x86/net_checks.c) on
# configs/demo-net.toml, its net0 on the tap axdemo0 inside a network namespace
# of its own. The tap is made there first (vnet_hdr, 10.0.3.1/24, up) and axvm,
# run inside the namespace, attaches to it; the host kernel answers the
# guest's ARP request and ping. Checks the guest's "PASS: net", status 0, and
# the --stats line of net0's tap backend (tx_frames >= 2, rx_frames >= 2).
# SKIP (naming what is missing) without /dev/net/tun or network namespaces.
#   AXVM=build/axvm ACCEL=tcg tests/vm/net.sh     (from the top of the tree; root)
#   GUEST=path/demo-guest.elf                      another build of the demo guest
set -u
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
GUEST=${GUEST:-}
TAP=axdemo0
ns=axvm-net-$$

if [ "$ACCEL" = kvm ] && ! kvm_usable /dev/kvm; then
	echo "SKIP [kvm] net: /dev/kvm not available"
	exit 0
fi
if ! command -v ip >/dev/null 2>&1; then
	echo "SKIP [$ACCEL] net: network namespaces: the ip command (iproute2) is not installed"
	exit 0
fi
if [ ! -c /dev/net/tun ] || ! { exec 3<>/dev/net/tun; } 2>/dev/null; then
	echo "SKIP [$ACCEL] net: /dev/net/tun is missing or cannot be opened"
	exit 0
fi
exec 3>&-

tmp=$(mktemp -d)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
if ! ip netns add "$ns" 2>"$tmp/netns.err"; then
	echo "SKIP [$ACCEL] net: network namespaces: ip netns add failed: $(cat "$tmp/netns.err")"
	exit 0
fi
if ! ip netns exec "$ns" ip tuntap add dev "$TAP" mode tap vnet_hdr ||
	! ip netns exec "$ns" ip addr add 10.0.3.1/24 dev "$TAP" ||
	! ip netns exec "$ns" ip link set lo up ||
	! ip netns exec "$ns" ip link set "$TAP" up; then
	echo "FAIL [$ACCEL] net: cannot set up the tap $TAP (10.0.3.1/24) in namespace $ns"
	exit 1
fi

config=configs/demo-net.toml
if [ -n "$GUEST" ]; then
	config=$tmp/demo-net.toml
	sed "s#^kernel_path = .*#kernel_path = \"$GUEST\"#" configs/demo-net.toml >"$config"
fi
# The guest does not touch the disk here: a scratch one; uart1's copy of the output to $tmp.
head -c 65536 /dev/zero >"$tmp/disk.img"
timeout 120 ip netns exec "$ns" "$AXVM" run --accel "$ACCEL" "$config" --cmdline "mode=net" \
	--backend "disk0=file:$tmp/disk.img" --backend "uart1=file:$tmp/uart1.log" --stats \
	>"$tmp/net.out" 2>"$tmp/net.err"
status=$?

stats=$(grep "stats: backend net0 " "$tmp/net.err")
tx=$(sed -n 's/.* tx_frames=\([0-9]*\).*/\1/p' <<<"$stats")
rx=$(sed -n 's/.* rx_frames=\([0-9]*\).*/\1/p' <<<"$stats")
if [ "$status" -eq 0 ] && grep -q "^PASS: net" "$tmp/net.out" &&
	[ "${tx:-0}" -ge 2 ] && [ "${rx:-0}" -ge 2 ]; then
	echo "PASS [$ACCEL] net: ARP and ICMP echo over virtio-net and a tap ($(grep -c '^ok ' "$tmp/net.out") checks, tx_frames=$tx rx_frames=$rx)"
	exit 0
fi
echo "FAIL [$ACCEL] net: status $status (want 0), tx_frames=${tx:-none} rx_frames=${rx:-none} (want >= 2 each), looking for 'PASS: net'"
grep "not ok" "$tmp/net.out"
tail -n 30 "$tmp/net.out" "$tmp/net.err"
exit 1
