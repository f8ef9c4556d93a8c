# shellcheck shell=bash
# Shared by tests/linux/run.sh and bench/peer-blk.sh: start a vhost-user-blk
# backend, boot the Linux test guest under QEMU (TCG) against it, sample the
# backend's CPU time while the guest runs, and clean up.
#
# The caller sets WORK (a scratch directory under build/) and calls
# lib_cleanup from its EXIT trap.

LINUX_DIR=${LINUX_DIR:-build/linux}
AXVM=${AXVM:-build/axvm}
QEMU=${QEMU:-qemu-system-x86_64}
QSD=${QSD:-qemu-storage-daemon}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-180}

BACKEND_PID=
QEMU_PID=
declare -A CPU_AT=() # phase name -> backend utime+stime (clock ticks) when the guest printed it
# shellcheck disable=SC2034 # used by bench/peer-blk.sh
CLK_TCK=$(getconf CLK_TCK)

# Builds (or finds up to date) the kernel and initramfs. Returns 77 when a
# Debian package cannot be installed or downloaded.
lib_build_guest() {
	tools/build-linux-guest.sh "$LINUX_DIR"
}

# The host's TSC frequency in kHz for the guest's tsc_early_khz= (without it
# about one boot in 13 hangs calibrating delay under TCG, whose guest TSC runs
# at the host's rate).
lib_tsc_khz() {
	local mhz
	mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] || mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | tail -n 1)
	[ -n "$mhz" ] || mhz=$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
	awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }'
}

# Does this axvm have a working vhost-user-blk subcommand?
lib_axvm_has_vhost() {
	[ -x "$AXVM" ] && "$AXVM" vhost-user-blk --help >/dev/null 2>&1
}

# lib_start_backend KIND IMAGE RO(0|1) SOCK LOG: starts the backend in the
# background (BACKEND_PID) and waits for its socket. KIND: axdevice | qsd.
lib_start_backend() {
	local kind=$1 img=$2 ro=$3 sock=$4 log=$5 i
	rm -f "$sock"
	case $kind in
	axdevice)
		local disk=$img
		[ "$ro" = 1 ] && disk=$img,ro
		"$AXVM" vhost-user-blk --socket "$sock" --disk "$disk" >"$log" 2>&1 &
		;;
	qsd)
		# discard=unmap: without it the file driver ignores discards, and the
		# test could not see that they reached the backend (punched holes)
		local bd="driver=file,node-name=f,filename=$img,discard=unmap" wr=on
		[ "$ro" = 1 ] && bd="driver=file,node-name=f,filename=$img,read-only=on" wr=off
		"$QSD" --blockdev "$bd" \
			--export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=$wr" \
			>"$log" 2>&1 &
		;;
	*)
		echo "unknown backend '$kind' (axdevice or qsd)" >&2
		return 1
		;;
	esac
	BACKEND_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$sock" ] && return 0
		kill -0 "$BACKEND_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "backend $kind did not create $sock:" >&2
	tail -n 20 "$log" >&2
	lib_stop_backend
	return 1
}

# Is the backend still running?
lib_backend_alive() {
	[ -n "$BACKEND_PID" ] && kill -0 "$BACKEND_PID" 2>/dev/null
}

# Stops the backend: SIGTERM, 5 s grace, then SIGKILL. Returns the backend's
# exit status (143 after SIGTERM for qsd).
lib_stop_backend() {
	local pid=$BACKEND_PID i st=0
	[ -n "$pid" ] || return 0
	BACKEND_PID=
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || st=$?
	return "$st"
}

# utime+stime of the backend, in clock ticks (all its threads)
lib_backend_ticks() {
	# field 2 (comm) may hold spaces: cut after the last ')'
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$BACKEND_PID/stat"
}

# lib_run_guest SOCK OUT APPEND [reboot]: boots the guest against SOCK with
# kernel arguments APPEND, serial console to OUT. With "reboot", QEMU runs
# without -no-reboot so the guest can reboot once. While the guest runs, each
# first "AXTEST phase=NAME" line records the backend's CPU ticks in
# CPU_AT[NAME]. Returns QEMU's exit status (124 on timeout).
lib_run_guest() {
	local sock=$1 out=$2 append=$3 mode=${4:-} khz st=0 line name
	local -a noreboot=(-no-reboot)
	[ "$mode" = reboot ] && noreboot=()
	khz=$(lib_tsc_khz)
	CPU_AT=()
	: >"$out"
	# -display none: QEMU's default display (gtk) is not wanted, nor there
	timeout "$QEMU_TIMEOUT" "$QEMU" -M microvm,acpi=on,memory-backend=mem \
		-object memory-backend-memfd,id=mem,size=512M,share=on \
		-global virtio-mmio.force-legacy=false -accel tcg -cpu max -nodefaults \
		-display none -serial stdio "${noreboot[@]}" \
		-kernel "$LINUX_DIR/vmlinuz" -initrd "$LINUX_DIR/initramfs.gz" \
		-append "console=ttyS0 tsc_early_khz=$khz $append" \
		-chardev "socket,id=c0,path=$sock" -device vhost-user-blk,chardev=c0 \
		</dev/null >"$out" 2>&1 &
	QEMU_PID=$!
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		while read -r line; do
			name=${line#AXTEST phase=}
			if [ -z "${CPU_AT[$name]:-}" ] && lib_backend_alive; then
				CPU_AT[$name]=$(lib_backend_ticks)
			fi
		done < <(grep -a '^AXTEST phase=' "$out" | tr -d '\r')
		sleep 0.02
	done
	wait "$QEMU_PID" || st=$?
	QEMU_PID=
	return "$st"
}

# value of "AXTEST KEY=value" in OUT (the last one)
lib_val() {
	sed -n "s/^AXTEST $2=//p" "$1" | tr -d '\r' | tail -n 1
}

lib_cleanup() {
	if [ -n "$QEMU_PID" ]; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
		QEMU_PID=
	fi
	lib_stop_backend || true
}
