#!/usr/bin/env bash
# Unmodified Debian Linux (linux-image-cloud-amd64, busybox-static initramfs)
# drives a virtio-net device through its own virtio_mmio + virtio_net drivers,
# under QEMU's software emulation (microvm, TCG), on a tap in a network
# namespace of its own (nothing leaves the machine):
#   PEER=axdevice (default)  build/axvm vhost-user-net --socket S --tap TAP --mac MAC
#                            (our virtio-net model; QEMU: -netdev vhost-user)
#   PEER=qemu                QEMU's own virtio-net on the same tap (-netdev tap,
#                            vhost=off): proves the harness, and is the reference
# One QEMU run, two boots (tests/linux/net-lib.sh has the host's side of it):
#   first boot   eth0 bound to virtio_net with our MAC, link up, the negotiated
#                features (offloads) and MTU, ping both ways, NET_MB (64) MiB of
#                random data each way over TCP (busybox nc) with equal md5s, the
#                offloads in effect (frame sizes in the guest's counters), the
#                link taken down and up from the host (QEMU's set_link: seen in
#                the guest's carrier and operstate) and traffic after it, then
#                reboot -f (QEMU runs without -no-reboot)
#   second boot  the device renegotiated: link up, the same features and MTU,
#                ping both ways, 4 MiB each way with equal md5s, poweroff
# The link knob: QEMU's monitor (set_link n0 off/on) for both peers. axvm
# vhost-user-net exposes none of its own: over vhost-user the device's config
# space (VIRTIO_NET_S_LINK_UP) is QEMU's, so the model's ax_virtio_net_set_link
# is not reachable from there; what set_link tests in ours is that a link down
# stops its rings (GET_VRING_BASE) and a link up restarts them.
# Then the frames and bytes each way as the host's tap counted them against
# the backend's own counters (axvm's "tx_frames=... rx_dropped=..." line).
# Prints PASS/FAIL [net] lines and exits non-zero on any FAIL; prints SKIP and
# succeeds when there is no /dev/net/tun or no network namespace (naming which)
# or when a Debian package cannot be installed.
#   PEER=qemu tests/linux/net.sh     KEEP=1 keeps build/net-test.*
#   NET_MB=64 NET_MTU=1500
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB_TAG=net
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh
# shellcheck source=tests/linux/net-lib.sh
. tests/linux/net-lib.sh

PEER=${PEER:-axdevice}
NET_MB=${NET_MB:-64}
fail=0

if ! why=$(net_facilities); then
	echo "SKIP: net: $why"
	exit 0
fi
tools/install-deps.sh iproute2 qemu-system-x86 busybox-static >/dev/null ||
	{ echo "SKIP: net: the Debian packages iproute2, qemu-system-x86, busybox-static are missing"; exit 0; }

mkdir -p build
WORK=$(mktemp -d build/net-test.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	net_cleanup
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" != 0 ]; then
		echo "# logs kept in $WORK" >&2
		rm -f "$WORK"/g2h.? "$WORK"/h2g.?
	else
		rm -rf "$WORK"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

lib_guest_ready

case $PEER in
axdevice)
	if ! net_axvm_has_vhost; then
		failc "backend: $AXVM vhost-user-net is not available ($("$AXVM" vhost-user-net --help 2>&1 | head -n 1))"
		exit 1
	fi
	;;
qemu) ;;
*) failc "PEER must be axdevice or qemu, not '$PEER'"; exit 1 ;;
esac
echo "# peer: $PEER, namespace $NET_NS, tap $NET_TAP ($NET_HOST_IP, mtu $NET_MTU)"

net_setup
pass "setup: namespace $NET_NS, tap $NET_TAP $NET_HOST_IP/24"
sock=$WORK/net.sock
blog=$WORK/backend.log
if [ "$PEER" = axdevice ]; then
	if net_start_backend "$sock" "$blog"; then
		pass "backend: axvm vhost-user-net on $NET_TAP"
	else
		failc "backend: axvm vhost-user-net did not start"
		show "$blog"
		exit 1
	fi
fi

out=$WORK/guest.out
st=0
net_run_guest "$PEER" "$sock" "$out" test "$NET_MB" 1 || st=$?
if [ "$st" = 0 ] && [ "$(grep -ac '^AXTEST done' "$out")" = 1 ] && ! grep -qa '^AXTEST error=' "$out"; then
	pass "run: two boots, every step, poweroff (QEMU status 0)"
else
	failc "run: QEMU status $st, $(grep -ac '^AXTEST done' "$out") done, errors: $(grep -a '^AXTEST error=' "$out" | tr -d '\r' | tr '\n' ' ')"
	show "$out" 40
fi
v() { net_val "$out" "$@"; } # KEY [BOOT]
# shellcheck disable=SC2317 # run through check
in_range() { [ "$1" -gt "$2" ] && [ "$1" -le "$3" ]; } # N LOW(excluded) HIGH
# shellcheck disable=SC2317
both_ge() { [ "$1" -ge "$3" ] && [ "$2" -ge "$3" ]; }
# the backend's RX (frames it delivered + dropped) against what the tap handed it
# shellcheck disable=SC2317
rx_matches() { # FRAMES DROPPED BYTES
	[ "$(($1 + $2))" = "$tap_tx_p" ] && [ "$3" -le "$tap_tx_b" ] && [ "$3" -ge "$total" ]
}

# --- the device as each boot found it --------------------------------------------
feat1=$(v features 1)
for b in 1 2; do
	tag="boot $b:"
	[ "$(v boot_kind "$b")" = "$([ "$b" = 1 ] && echo full || echo short)" ] ||
		{ failc "$tag the guest did not reach its steps (boot_kind=$(v boot_kind "$b"))"; continue; }
	check "$tag eth0 bound to virtio_net ($(v virtio_dev "$b"))" [ "$(v driver "$b")" = virtio_net ]
	check "$tag MAC $(v mac "$b") (given $NET_MAC)" [ "$(v mac "$b")" = "$NET_MAC" ]
	check "$tag link up at boot (carrier 1, operstate $(v operstate "$b"))" \
		[ "$(v link "$b") $(v operstate "$b")" = "up up" ]
	f=$(v features "$b")
	if [ "$b" = 1 ]; then
		echo "# features negotiated: $(net_feature_names "$f")"
		if net_feature "$f" 32 && net_feature "$f" 5 && net_feature "$f" 16; then
			pass "$tag features: VERSION_1, MAC, STATUS negotiated"
		else
			failc "$tag features: VERSION_1, MAC, STATUS not all negotiated ($(net_feature_names "$f"))"
		fi
	else
		check "$tag renegotiated the same features" [ "${f:-none}" = "${feat1:-unset}" ]
	fi
	mtu=$(v mtu "$b")
	if net_feature "$f" 3; then
		check "$tag MTU $mtu from VIRTIO_NET_F_MTU equals the tap's $NET_MTU" [ "$mtu" = "$NET_MTU" ]
	else
		check "$tag MTU $mtu (no VIRTIO_NET_F_MTU: the driver's 1500)" [ "$mtu" = 1500 ]
	fi
	check "$tag ping guest -> host" [ "$(v ping_host "$b")" = ok ]
	check "$tag ping host -> guest" [ "${NET_RES[$b.ping_guest]:-none}" = ok ]
	mb=$(v g2h_mb "$b")
	if [ -s "$WORK/g2h.$b" ] && [ "$(stat -c %s "$WORK/g2h.$b")" = $((mb * MIB)) ] &&
		[ "$(file_md5 "$WORK/g2h.$b")" = "$(v g2h_md5 "$b")" ]; then
		pass "$tag guest -> host: $mb MiB over TCP, md5 equal ($(awk -v m="$mb" -v n="$(v g2h_ns "$b")" 'BEGIN { printf "%.1f", m / (n / 1e9) }') MiB/s)"
	else
		failc "$tag guest -> host: $mb MiB: host got $(stat -c %s "$WORK/g2h.$b" 2>/dev/null || echo no) bytes, nc status ${NET_RES[$b.g2h_status]:-none}, md5 $(file_md5 "$WORK/g2h.$b" 2>/dev/null) vs the guest's $(v g2h_md5 "$b")"
	fi
	if [ -s "$WORK/h2g.$b" ] && [ "$(v h2g_bytes "$b")" = "$(stat -c %s "$WORK/h2g.$b")" ] &&
		[ "$(file_md5 "$WORK/h2g.$b")" = "$(v h2g_md5 "$b")" ]; then
		pass "$tag host -> guest: $(($(stat -c %s "$WORK/h2g.$b") / MIB)) MiB over TCP, md5 equal ($(awk -v b="$(v h2g_bytes "$b")" -v n="$(v h2g_ns "$b")" 'BEGIN { printf "%.1f", b / 1048576 / (n / 1e9) }') MiB/s)"
	else
		failc "$tag host -> guest: the guest got $(v h2g_bytes "$b") bytes of $(stat -c %s "$WORK/h2g.$b" 2>/dev/null || echo none), nc status ${NET_RES[$b.h2g_status]:-none}, md5 $(v h2g_md5 "$b")"
	fi
done

# --- offloads in effect (first boot): the guest's own frame sizes --------------------
# During guest -> host the guest's TX frames are its TCP segments: above 1514
# bytes on average only if it hands 64 KiB TSO frames to the device
# (HOST_TSO4 with CSUM). During host -> guest its RX frames are above 1514 only
# if the host side passes it large (GUEST_TSO4) frames.
d() { echo $(($(v "$2_$1" 1) - $(v "$3_$1" 1))); } # COUNTER LATER EARLIER
avg() { awk -v b="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%d", b / p; else print 0 }'; }
tx_avg=$(avg "$(d tx_bytes mid before)" "$(d tx_packets mid before)")
rx_avg=$(avg "$(d rx_bytes after mid)" "$(d rx_packets after mid)")
if net_feature "$feat1" 11; then
	check "offload: HOST_TSO4 negotiated and used: guest TX frames average $tx_avg bytes (> 1514)" [ "$tx_avg" -gt 1514 ]
else
	check "offload: no HOST_TSO4: guest TX frames average $tx_avg bytes (<= 1514)" in_range "$tx_avg" 0 1514
fi
if net_feature "$feat1" 7; then
	check "offload: GUEST_TSO4 negotiated and used: guest RX frames average $rx_avg bytes (> 1514)" [ "$rx_avg" -gt 1514 ]
else
	check "offload: no GUEST_TSO4: guest RX frames average $rx_avg bytes (<= 1514)" in_range "$rx_avg" 0 1514
fi
echo "# offload features: CSUM=$(net_feature "$feat1" 0 && echo 1 || echo 0) GUEST_CSUM=$(net_feature "$feat1" 1 && echo 1 || echo 0) HOST_TSO4/6=$(net_feature "$feat1" 11 && echo 1 || echo 0)/$(net_feature "$feat1" 12 && echo 1 || echo 0) GUEST_TSO4/6=$(net_feature "$feat1" 7 && echo 1 || echo 0)/$(net_feature "$feat1" 8 && echo 1 || echo 0) MRG_RXBUF=$(net_feature "$feat1" 15 && echo 1 || echo 0)"
for c in rx_dropped rx_errors tx_dropped tx_errors; do
	check "guest counters: no $c during the transfers ($(d "$c" after before))" [ "$(d "$c" after before)" = 0 ]
done

# --- link down and up from the host (first boot) ----------------------------------
check "link: down from the host seen by the guest ($(v link_down 1))" [ "$(v link_down 1 | cut -d' ' -f1)" = seen ]
check "link: up again seen by the guest ($(v link_up 1))" [ "$(v link_up 1 | cut -d' ' -f1)" = seen ]
check "link: traffic after the link came back (ping guest -> host)" [ "$(v ping_after_link 1)" = ok ]
check "reboot: reboot -f, the second boot renegotiated and ran its steps" [ "${NET_RES[boots]:-0}" = 2 ]

# --- counters: the host's tap against the backend -------------------------------------
tapc() { nsx cat "/sys/class/net/$NET_TAP/statistics/$1"; }
tap_rx_p=$(tapc rx_packets) tap_rx_b=$(tapc rx_bytes) tap_tx_p=$(tapc tx_packets) tap_tx_b=$(tapc tx_bytes)
tap_tx_d=$(tapc tx_dropped)
echo "# tap $NET_TAP: from the guest $tap_rx_p frames $tap_rx_b bytes; to the guest $tap_tx_p frames $tap_tx_b bytes, $tap_tx_d dropped (no reader)"
total=$(((NET_MB + 4) * MIB))
check "tap: at least $((NET_MB + 4)) MiB each way crossed it" both_ge "$tap_rx_b" "$tap_tx_b" "$total"
if [ "$PEER" = axdevice ]; then
	if lib_backend_alive; then
		pass "backend: alive after the guest's two boots"
	else
		failc "backend: died"
		show "$blog"
	fi
	bst=0
	lib_stop_backend || bst=$?
	line=$(grep -a 'tx_frames=' "$blog" | tail -n 1 || true)
	bv() { sed -n "s/.*[ :]$1=\([0-9]*\).*/\1/p" <<<"$line"; }
	if [ -z "$line" ]; then
		failc "backend counters: no tx_frames= line in axvm's output (status $bst)"
		show "$blog"
	else
		echo "# axvm: $line"
		check "backend counters: guest -> host $(bv tx_frames) frames $(bv tx_bytes) bytes = the tap's $tap_rx_p / $tap_rx_b" \
			[ "$(bv tx_frames) $(bv tx_bytes)" = "$tap_rx_p $tap_rx_b" ]
		check "backend counters: host -> guest $(bv rx_frames) frames $(bv rx_bytes) bytes + $(bv rx_dropped) dropped = the tap's $tap_tx_p / $tap_tx_b" \
			rx_matches "$(bv rx_frames)" "$(bv rx_dropped)" "$(bv rx_bytes)"
		check "backend counters: no TX drop ($(bv tx_dropped))" [ "$(bv tx_dropped)" = 0 ]
		echo "# backend drops: tx_dropped=$(bv tx_dropped) rx_dropped=$(bv rx_dropped) (frames the guest had no room for, or sent while its link was down)"
	fi
fi

if [ "$fail" = 0 ]; then
	echo "net ($PEER): all passed"
else
	echo "net ($PEER): FAILED"
fi
exit "$fail"
