# shellcheck shell=bash
# shellcheck disable=SC2034 # NET_RES, NET_TICKS, NET_QTICKS: read by the callers
# Shared by tests/linux/net.sh and bench/peer-net.sh (sourced after
# tests/linux/lib.sh): a private network namespace with a tap in it, the
# virtio-net device behind QEMU (PEER=axdevice: build/axvm vhost-user-net on
# the tap, over vhost-user; PEER=qemu: QEMU's own virtio-net on the tap,
# vhost=off), the Linux test guest booted with axtest=net, and the host's
# half of the guest's steps (tests/linux/init.sh, test_net).
#
# Nothing leaves the machine: the tap, its address (NET_HOST_IP), QEMU, the
# backend and every nc live in the namespace, which net_cleanup deletes (the
# tap goes with it).
#
# The exchange, driven by the guest's "AXTEST phase=NAME" lines on the serial
# console; the host answers each on TCP port 5000 (busybox nc on both sides):
#   start    "full" (the first boot) or "short" (after a reboot: 4 MiB each way)
#   ping_me  the host pings the guest (3 packets), then "go"
#   g2h      the host listens on 5001 (into a file, or /dev/null for the bench),
#            then "go"; the guest sends NET_MB MiB; the host waits for the end
#   h2g      the host sends NET_MB MiB from 5002, then "go" ... the same
#   link     "go", then the link goes down (QEMU's monitor: set_link n0 off)
#            until the guest prints link_down=, then up again
#   end      "reboot" (NET_REBOOT=1, first boot) or "done" (the guest powers off)
# The backend's CPU time (NET_TICKS) is sampled just before the "go" of g2h and
# h2g and again when the host's nc of that stream ends.

NET_NS=${NET_NS:-axnet$$}
NET_TAP=${NET_TAP:-axtap0}
NET_HOST_IP=${NET_HOST_IP:-10.0.2.1}
NET_GUEST_IP=${NET_GUEST_IP:-10.0.2.15}
NET_MAC=${NET_MAC:-52:54:00:12:34:56}
NET_MTU=${NET_MTU:-1500}
NET_MEM=${NET_MEM:-512M}
NET_MON_PORT=4444
NET_TIMEOUT=${NET_TIMEOUT:-900} # seconds for one QEMU run, reboot included
NET_NS_MADE=
NET_HOLD_OPEN=
# shellcheck disable=SC2034 # read by the callers
declare -A NET_TICKS=() # "BOOT.STREAM.begin|end" -> backend ticks (see net_backend_ticks)
# shellcheck disable=SC2034
declare -A NET_QTICKS=() # the same for QEMU's main thread
# shellcheck disable=SC2034
declare -A NET_RES=() # host-side results: "BOOT.KEY" -> value

# in the namespace
nsx() { ip netns exec "$NET_NS" "$@"; }

# Prints the missing facility and returns 1 when there is no /dev/net/tun or
# no network namespace here.
net_facilities() {
	if [ ! -c /dev/net/tun ]; then
		echo "no /dev/net/tun"
		return 1
	fi
	local probe=axnetprobe$$
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "no network namespaces (ip netns add failed$([ "$(id -u)" = 0 ] || echo ': not root'))"
		return 1
	fi
	if ! ip netns exec "$probe" ip tuntap add dev axprobe0 mode tap 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null || true
		echo "no tap devices (ip tuntap add failed: /dev/net/tun unusable)"
		return 1
	fi
	ip netns del "$probe"
}

# The namespace, its loopback, the tap with NET_HOST_IP/24 and NET_MTU
net_setup() {
	ip netns add "$NET_NS"
	NET_NS_MADE=1
	nsx ip link set lo up
	nsx ip tuntap add dev "$NET_TAP" mode tap
	nsx ip link set "$NET_TAP" mtu "$NET_MTU"
	nsx ip addr add "$NET_HOST_IP/24" dev "$NET_TAP"
	nsx ip link set "$NET_TAP" up
	# the host's end of "nc <>fifo": a stdin that never ends
	mkfifo "$WORK/hold"
	exec 7<>"$WORK/hold"
	NET_HOLD_OPEN=1
}

net_cleanup() {
	lib_cleanup
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	[ -n "$NET_HOLD_OPEN" ] && exec 7>&- && NET_HOLD_OPEN=
	if [ -n "$NET_NS_MADE" ]; then
		# every process left in it (an nc still listening), then the namespace
		for p in $(ip netns pids "$NET_NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$NET_NS" 2>/dev/null || true
		NET_NS_MADE=
	fi
}

# Does this axvm have a working vhost-user-net subcommand?
net_axvm_has_vhost() {
	[ -x "$AXVM" ] && "$AXVM" vhost-user-net --help >/dev/null 2>&1
}

# net_start_backend SOCK LOG: axvm vhost-user-net on the tap, in the namespace
net_start_backend() {
	local sock=$1 log=$2 i
	rm -f "$sock"
	# ip netns exec execs the command: $! is axvm's own pid (nsx, a function,
	# would run in a subshell of its own)
	# shellcheck disable=SC2086 # NET_AXVM_ARGS: extra options (-v), split on purpose
	ip netns exec "$NET_NS" "$AXVM" vhost-user-net --socket "$sock" --tap "$NET_TAP" --mac "$NET_MAC" ${NET_AXVM_ARGS:-} >"$log" 2>&1 &
	BACKEND_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$sock" ] && return 0
		kill -0 "$BACKEND_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "axvm vhost-user-net did not create $sock:" >&2
	tail -n 20 "$log" >&2
	lib_stop_backend || true
	return 1
}

# CPU ticks (utime+stime) of a process (all threads) or of one thread
net_proc_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$1" 2>/dev/null || echo 0; }

# The device's host-side CPU time, in ticks, sampled for NET_TICKS/NET_QTICKS:
# QEMU's main thread (with vhost=off it runs virtio-net's TX bottom half and the
# tap's read handler; with vhost-user it turns the backend's call eventfds into
# guest interrupts), and axvm vhost-user-net as a whole (0 for PEER=qemu).
net_sample() { # KEY
	NET_QTICKS[$1]=$(net_proc_ticks "/proc/$QEMU_PID/task/$QEMU_PID/stat")
	if [ -n "$BACKEND_PID" ]; then
		NET_TICKS[$1]=$(net_proc_ticks "/proc/$BACKEND_PID/stat")
	else
		NET_TICKS[$1]=0
	fi
}

# QEMU's human monitor, over TCP on the namespace's loopback
net_hmp() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	nsx bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s\n" "$2" >&5; sleep 0.5; exec 5>&-' _ "$NET_MON_PORT" "$1"
}

# The host's answer to the guest's current step: WORD on port 5000, once
net_reply() {
	echo "$1" | nsx timeout 300 busybox nc -l -p 5000 >/dev/null 2>&1
}

# Waits until something in the namespace listens on TCP port $1
net_bound() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(nsx ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# net_set_link up|down: the link the guest's driver sees (VIRTIO_NET_S_LINK_UP).
# QEMU's set_link is the knob for both peers: with vhost-user the
# virtio-net device's config space (its status field) is QEMU's, and a link
# down also stops the device's vhost-user rings (GET_VRING_BASE) until it
# comes back up, so ours must stop and resume cleanly.
net_set_link() {
	local on=on
	[ "$1" = down ] && on=off
	net_hmp "set_link n0 $on"
}

# net_run_guest PEER SOCK OUT MODE(test|bench) MB REBOOT(0|1): boots the guest,
# answers its steps; returns QEMU's exit status (124 after NET_TIMEOUT).
# Files: $WORK/g2h.BOOT (what the guest sent, MODE=test), $WORK/h2g.BOOT (what
# the host sent). NET_RES: BOOT.ping_guest, BOOT.g2h_status, BOOT.h2g_status,
# BOOT.link_down_at/link_up_at, boots.
net_run_guest() {
	local peer=$1 sock=$2 out=$3 mode=$4 mb=$5 reboot=$6 khz st=0 line boot=0 bmb pid
	local -a noreboot=(-no-reboot) netdev
	[ "$reboot" = 1 ] && noreboot=()
	case $peer in
	qemu) netdev=(-netdev "tap,id=n0,ifname=$NET_TAP,script=no,downscript=no,vhost=off") ;;
	axdevice) netdev=(-chardev "socket,id=c0,path=$sock" -netdev "vhost-user,id=n0,chardev=c0") ;;
	*) echo "unknown peer '$peer' (axdevice or qemu)" >&2; return 1 ;;
	esac
	khz=$(lib_tsc_khz)
	# shellcheck disable=SC2034
	NET_TICKS=() NET_QTICKS=() NET_RES=()
	: >"$out"
	ip netns exec "$NET_NS" "$QEMU" -M microvm,acpi=on,memory-backend=mem \
		-object "memory-backend-memfd,id=mem,size=$NET_MEM,share=on" \
		-global virtio-mmio.force-legacy=false -accel tcg -cpu max -nodefaults \
		-display none -serial stdio "${noreboot[@]}" \
		-monitor "tcp:127.0.0.1:$NET_MON_PORT,server=on,wait=off" \
		-kernel "$LINUX_DIR/vmlinuz" -initrd "$LINUX_DIR/initramfs.gz" \
		-append "console=ttyS0 tsc_early_khz=$khz reboot=a axtest=net ax_net=$mode ax_mb=$mb ip=$NET_GUEST_IP::$NET_HOST_IP:255.255.255.0::eth0:off" \
		"${netdev[@]}" -device "virtio-net-device,netdev=n0,mac=$NET_MAC" \
		</dev/null >"$out" 2>&1 &
	QEMU_PID=$!
	# a watchdog: the run ends after NET_TIMEOUT whatever the guest does
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$NET_TIMEOUT" &
		s=$!
		wait "$s"
		kill -TERM "$QEMU_PID" 2>/dev/null && echo timeout >"$out.timeout"
	) &
	local watchdog=$!
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"AXTEST phase=start")
			boot=$((boot + 1))
			NET_RES[boots]=$boot
			if [ "$boot" = 1 ]; then net_reply full; else net_reply short; fi
			;;
		"AXTEST phase=ping_me")
			if nsx busybox ping -c 3 -W 3 "$NET_GUEST_IP" >"$WORK/ping.$boot" 2>&1; then
				NET_RES[$boot.ping_guest]=ok
			else
				NET_RES[$boot.ping_guest]="failed: $(tail -n 2 "$WORK/ping.$boot" | tr '\n' ' ')"
			fi
			net_reply go
			;;
		"AXTEST phase=g2h")
			if [ "$mode" = bench ]; then
				nsx timeout 600 busybox nc -l -p 5001 <&7 >/dev/null 2>"$WORK/g2h.$boot.err" &
			else
				nsx timeout 600 busybox nc -l -p 5001 <&7 >"$WORK/g2h.$boot" 2>"$WORK/g2h.$boot.err" &
			fi
			pid=$!
			net_bound 5001 || echo "# nothing listens on 5001" >&2
			net_sample "$boot.g2h.begin"
			net_reply go
			st=0
			wait "$pid" || st=$?
			net_sample "$boot.g2h.end"
			NET_RES[$boot.g2h_status]=$st
			;;
		"AXTEST phase=h2g")
			bmb=$mb
			[ "$boot" -gt 1 ] && bmb=4
			if [ "$mode" = bench ]; then
				head -c $((bmb * 1048576)) /dev/zero |
					nsx timeout 600 busybox nc -l -p 5002 >/dev/null 2>"$WORK/h2g.$boot.err" &
			else
				head -c $((bmb * 1048576)) /dev/urandom >"$WORK/h2g.$boot"
				nsx timeout 600 busybox nc -l -p 5002 <"$WORK/h2g.$boot" >/dev/null 2>"$WORK/h2g.$boot.err" &
			fi
			pid=$!
			net_bound 5002 || echo "# nothing listens on 5002" >&2
			net_sample "$boot.h2g.begin"
			net_reply go
			st=0
			wait "$pid" || st=$?
			net_sample "$boot.h2g.end"
			NET_RES[$boot.h2g_status]=$st
			;;
		"AXTEST phase=link")
			net_reply go
			sleep 0.5
			net_set_link down
			;;
		"AXTEST link_down="*)
			sleep 0.5
			net_set_link up
			;;
		"AXTEST phase=end")
			if [ "$reboot" = 1 ] && [ "$boot" = 1 ]; then net_reply reboot; else net_reply "done"; fi
			;;
		esac
	done < <(tail -n +1 -F --pid="$QEMU_PID" "$out" 2>/dev/null)
	st=0
	wait "$QEMU_PID" || st=$?
	QEMU_PID=
	kill "$watchdog" 2>/dev/null || true
	wait "$watchdog" 2>/dev/null || true
	[ -e "$out.timeout" ] && st=124
	return "$st"
}

# Nth (default 1) value of "AXTEST KEY=value" in OUT
net_val() {
	tr -d '\r' <"$1" | sed -n "s/^AXTEST $2=//p" | sed -n "${3:-1}p"
}

# Is virtio feature bit N set in the guest's features string (bit 0 first)?
net_feature() { # FEATURES N
	[ "${1:$2:1}" = 1 ]
}
# The named virtio-net features set in FEATURES (virtio 1.2 §5.1.3)
net_feature_names() {
	local f=$1 names=() i
	local -A n=([0]=CSUM [1]=GUEST_CSUM [2]=CTRL_GUEST_OFFLOADS [3]=MTU [5]=MAC
		[7]=GUEST_TSO4 [8]=GUEST_TSO6 [9]=GUEST_ECN [10]=GUEST_UFO [11]=HOST_TSO4
		[12]=HOST_TSO6 [13]=HOST_ECN [14]=HOST_UFO [15]=MRG_RXBUF [16]=STATUS
		[17]=CTRL_VQ [18]=CTRL_RX [19]=CTRL_VLAN [20]=CTRL_RX_EXTRA
		[21]=GUEST_ANNOUNCE [22]=MQ [23]=CTRL_MAC_ADDR [28]=INDIRECT_DESC
		[29]=EVENT_IDX [32]=VERSION_1 [33]=ACCESS_PLATFORM [34]=RING_PACKED
		[35]=IN_ORDER [36]=ORDER_PLATFORM [37]=SR_IOV [38]=NOTIFICATION_DATA)
	for ((i = 0; i < ${#f}; i++)); do
		if [ "${f:$i:1}" = 1 ]; then names+=("${n[$i]:-bit$i}"); fi
	done
	echo "${names[*]}"
}
