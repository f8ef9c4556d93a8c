#!/usr/bin/env bash
# virtio-net side by side: our device model over vhost-user (build/axvm
# vhost-user-net on a tap; QEMU: -netdev vhost-user) against QEMU's own
# virtio-net on the same tap (-netdev tap, vhost=off: QEMU's device in QEMU's
# process, no vhost-net kernel help). Same unmodified Linux guest, kernel,
# QEMU command (microvm, TCG, memfd memory), namespace, tap and addresses
# (tests/linux/net-lib.sh; nothing leaves the machine); only the device's
# implementation differs. One TCP stream each way, busybox nc with dd moving
# 64 KiB blocks on the socket (tests/linux/init.sh, axtest=net ax_net=bench):
#   net_tx_mib_s      guest -> host: MB MiB of zeros from a file in the guest's
#                     RAM, the host's nc into /dev/null; timed in the guest
#                     (/proc/timer_list) from connect to close
#   net_rx_mib_s      host -> guest: MB MiB of zeros from the host's nc, the
#                     guest's dd into /dev/null; timed the same way
#   net_cpu_s_per_gib host CPU seconds the device costs, over both streams, per
#                     GiB moved (2 x MB MiB), sampled from /proc just before each
#                     stream starts and when the host's nc of that stream ends:
#                       ours: axvm vhost-user-net (every thread) + QEMU's main
#                             thread (with vhost-user it still turns the
#                             backend's call eventfds into guest interrupts)
#                       qemu: QEMU's main thread, where its virtio-net runs with
#                             vhost=off (the TX bottom half, the tap's read
#                             handler, the copies into and out of guest memory)
#                     QEMU's process total is not used for either: under TCG it
#                     is dominated by the vCPU thread emulating the guest, the
#                     same work for both; the vCPU thread's own exits on queue
#                     notifications (MMIO writes) are left out on both sides.
#                     Also not counted: the host kernel's tap and TCP work done
#                     in the nc processes.
# Under TCG the guest's CPU is the bottleneck of both streams, so the MiB/s
# compare what each device lets one emulated vCPU reach, not the backends' own
# limits.
# Each peer runs REPS times, alternating; the best run of each counts for MiB/s;
# CPU is the ticks of every run summed over the GiB of every run (the kernel
# counts them in 1/CLK_TCK s, 10 ms: a single run has only some 10-40).
# Prints: peer op=NAME axdevice=X qemu=Y ratio=R   (R > 1: ours is better;
# for CPU ratio = qemu / axdevice)
#   MB=256 REPS=3 bench/peer-net.sh
# SKIP (exit 0) without /dev/net/tun or network namespaces, or when a Debian
# package cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
LIB_TAG='peer-net'
NET_MEM=${NET_MEM:-1G} # MB MiB of the guest's file, in its RAM
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh
# shellcheck source=tests/linux/net-lib.sh
. tests/linux/net-lib.sh

MB=${MB:-256}
REPS=${REPS:-3}
PEERS=${PEERS:-axdevice qemu}

if ! why=$(net_facilities); then
	echo "SKIP: peer-net: $why"
	exit 0
fi
tools/install-deps.sh iproute2 qemu-system-x86 busybox-static >/dev/null ||
	{ echo "SKIP: peer-net: the Debian packages iproute2, qemu-system-x86, busybox-static are missing"; exit 0; }

mkdir -p build
WORK=$(mktemp -d build/peer-net.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	net_cleanup
	rm -rf "$WORK"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

lib_require_guest peer-net
if [[ " $PEERS " == *" axdevice "* ]] && ! net_axvm_has_vhost; then
	echo "peer-net: $AXVM vhost-user-net is not available" >&2
	exit 1
fi

net_setup
sock=$WORK/net.sock
declare -A vals=() # "peer op" -> list of values, one per run
declare -A cpu_ticks=() # peer -> ticks over every run
collect() { vals["$1 $2"]="${vals["$1 $2"]:-} $3"; }

for ((rep = 1; rep <= REPS; rep++)); do
	for p in $PEERS; do
		out=$WORK/$p.$rep.out
		if [ "$p" = axdevice ]; then
			net_start_backend "$sock" "$WORK/$p.$rep.log" ||
				{ echo "peer-net: axvm vhost-user-net did not start" >&2; exit 1; }
		fi
		st=0
		net_run_guest "$p" "$sock" "$out" bench "$MB" 0 || st=$?
		if [ "$st" != 0 ] || ! grep -qa '^AXTEST done' "$out" || grep -qa '^AXTEST error=' "$out" ||
			[ "${NET_RES[1.g2h_status]:-x}" != 0 ] || [ "${NET_RES[1.h2g_status]:-x}" != 0 ] ||
			[ "$(net_val "$out" h2g_bytes)" != $((MB * 1048576)) ]; then
			echo "peer-net: $p run $rep failed (QEMU status $st, host nc ${NET_RES[1.g2h_status]:-none}/${NET_RES[1.h2g_status]:-none})" >&2
			tail -n 30 "$out" >&2
			exit 1
		fi
		if [ "$p" = axdevice ]; then
			lib_stop_backend || true
		fi
		# ticks over both streams: the backend's and QEMU's main thread's
		bt=$((${NET_TICKS[1.g2h.end]} - ${NET_TICKS[1.g2h.begin]} + ${NET_TICKS[1.h2g.end]} - ${NET_TICKS[1.h2g.begin]}))
		qt=$((${NET_QTICKS[1.g2h.end]} - ${NET_QTICKS[1.g2h.begin]} + ${NET_QTICKS[1.h2g.end]} - ${NET_QTICKS[1.h2g.begin]}))
		tx=$(awk -v m="$MB" -v n="$(net_val "$out" g2h_ns)" 'BEGIN { printf "%.1f", m / (n / 1e9) }')
		rx=$(awk -v m="$MB" -v n="$(net_val "$out" h2g_ns)" 'BEGIN { printf "%.1f", m / (n / 1e9) }')
		cpu=$(awk -v t="$((bt + qt))" -v hz="$CLK_TCK" -v m="$MB" 'BEGIN { printf "%.3f", (t / hz) / (2 * m / 1024) }')
		collect "$p" net_tx_mib_s "$tx"
		collect "$p" net_rx_mib_s "$rx"
		cpu_ticks[$p]=$((${cpu_ticks[$p]:-0} + bt + qt))
		echo "# run $rep $p: tx $tx MiB/s, rx $rx MiB/s; CPU ticks: backend $bt, QEMU main thread $qt ($CLK_TCK/s) over $((2 * MB)) MiB ($cpu s/GiB)" >&2
	done
done

p1=${PEERS%% *}
p2=${PEERS##* }
for p in $PEERS; do
	collect "$p" net_cpu_s_per_gib "$(awk -v t="${cpu_ticks[$p]}" -v hz="$CLK_TCK" -v m="$MB" -v r="$REPS" \
		'BEGIN { printf "%.3f", (t / hz) / (r * 2 * m / 1024) }')"
done
for op in net_tx_mib_s net_rx_mib_s net_cpu_s_per_gib; do
	lib_peer_line "$op" "$p1" "${vals["$p1 $op"]}" "$p2" "${vals["$p2 $op"]}"
done
echo "# MB=$MB REPS=$REPS; guest: $(head -n 1 "$LINUX_DIR/stamp")"
