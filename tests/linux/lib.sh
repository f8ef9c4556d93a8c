# shellcheck shell=bash
# Shared by tests/linux/run.sh, tests/linux/axvm.sh, bench/peer-blk.sh and bench/peer-fio.sh:
# start a vhost-user-blk backend, boot the Linux test guest under QEMU (TCG)
# against it, sample the backend's CPU time while the guest runs, and clean
# up; PASS/FAIL lines and the checks of the rw and ro tests' results.
#
# The caller sets WORK (a scratch directory under build/) and calls
# lib_cleanup from its EXIT trap.
#
# Knobs a benchmark sets (bench/peer-fio.sh); empty keeps what the tests use:
#   LIB_INITRD   the initramfs QEMU boots (default $LINUX_DIR/initramfs.gz)
#   LIB_SMP      the guest's vCPUs (QEMU -smp; default QEMU's, 1)
#   LIB_QUEUES   virtio-blk queues: QEMU's num-queues=; above 1 also axvm's
#                --queues and qemu-storage-daemon's num-queues=
#   LIB_QSD_AIO  qemu-storage-daemon's file driver aio= (threads by default)
#   LIB_QSD_DIRECT  1: its cache.direct=on (O_DIRECT; the page cache by default)

LINUX_DIR=${LINUX_DIR:-build/linux}
AXVM=${AXVM:-build/axvm}
QEMU=${QEMU:-qemu-system-x86_64}
QSD=${QSD:-qemu-storage-daemon}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-180}
LIB_INITRD=${LIB_INITRD:-}
LIB_SMP=${LIB_SMP:-}
LIB_QUEUES=${LIB_QUEUES:-}
LIB_QSD_AIO=${LIB_QSD_AIO:-}
LIB_QSD_DIRECT=${LIB_QSD_DIRECT:-}

BACKEND_PID=
QEMU_PID=
declare -A CPU_AT=() # phase name -> backend utime+stime (clock ticks) when the guest printed it
# shellcheck disable=SC2034 # used by bench/peer-blk.sh and bench/peer-fio.sh
CLK_TCK=$(getconf CLK_TCK)

# Builds (or finds up to date) the kernel and initramfs. Returns 77 when a
# Debian package cannot be installed or downloaded.
lib_build_guest() {
	tools/build-linux-guest.sh "$LINUX_DIR"
}

# lib_require_step WHO SKIPPED FAILED COMMAND...: a benchmark's build step. On
# COMMAND's 77 (a Debian package could not be installed) prints "SKIP: SKIPPED"
# and exits 0; on another failure says "WHO: FAILED" and exits 1.
lib_require_step() {
	local who=$1 skipped=$2 failed=$3 st=0

	shift 3
	"$@" || st=$?
	if [ "$st" = 77 ]; then
		echo "SKIP: $skipped"
		exit 0
	elif [ "$st" != 0 ]; then
		echo "$who: $failed" >&2
		exit 1
	fi
}

# lib_require_guest WHO: lib_build_guest for a benchmark.
lib_require_guest() {
	lib_require_step "$1" "a Debian package for the Linux guest could not be installed" \
		"building the Linux guest failed" lib_build_guest
}

# lib_require_fio_guest WHO: lib_require_guest, then the benchmark initramfs
# with fio (tools/build-linux-fio.sh); sets LIB_INITRD to it.
lib_require_fio_guest() {
	lib_require_guest "$1"
	lib_require_step "$1" "Debian's fio for the Linux guest could not be installed" \
		"building the fio initramfs failed" tools/build-linux-fio.sh "$LINUX_DIR"
	LIB_INITRD=$LINUX_DIR/initramfs-fio.gz
}

# Builds the guest or ends the test: PASS build-guest, else SKIP (exit 0)
# when a Debian package is missing, FAIL (exit 1) on any other error.
lib_guest_ready() {
	local st=0
	lib_build_guest || st=$?
	if [ "$st" = 77 ]; then
		echo "SKIP: a Debian package for the Linux guest could not be installed"
		exit 0
	elif [ "$st" != 0 ]; then
		failc "build-guest (tools/build-linux-guest.sh status $st)"
		exit 1
	fi
	pass "build-guest ($(head -c 60 "$LINUX_DIR/stamp" | cut -d' ' -f1))"
}

# lib_stop_pid PID GRACE_SECONDS: SIGTERM, then SIGKILL after the grace;
# returns the process's exit status.
lib_stop_pid() {
	local pid=$1 i st=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || st=$?
	return "$st"
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
# LIB_QUEUES=N (optional): the backend serves N request queues.
lib_start_backend() {
	local kind=$1 img=$2 ro=$3 sock=$4 log=$5 i
	rm -f "$sock"
	case $kind in
	axdevice)
		local disk=$img
		[ "$ro" = 1 ] && disk=$img,ro
		local -a queues=()
		[ "${LIB_QUEUES:-1}" -gt 1 ] && queues=(--queues "$LIB_QUEUES")
		"$AXVM" vhost-user-blk --socket "$sock" --disk "$disk" "${queues[@]}" >"$log" 2>&1 &
		;;
	qsd)
		# discard=unmap: without it the file driver ignores discards, and the
		# test could not see that they reached the backend (punched holes)
		local bd="driver=file,node-name=f,filename=$img,discard=unmap" wr=on
		[ "$ro" = 1 ] && bd="driver=file,node-name=f,filename=$img,read-only=on" wr=off
		local ex="type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=$wr"
		[ -n "$LIB_QSD_AIO" ] && bd+=",aio=$LIB_QSD_AIO"
		[ "$LIB_QSD_DIRECT" = 1 ] && bd+=",cache.direct=on"
		[ "${LIB_QUEUES:-1}" -gt 1 ] && ex+=",num-queues=$LIB_QUEUES"
		"$QSD" --blockdev "$bd" --export "$ex" \
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
	local pid=$BACKEND_PID
	[ -n "$pid" ] || return 0
	BACKEND_PID=
	lib_stop_pid "$pid" 5
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
# CPU_AT[NAME]. LIB_SMP=N: N vCPUs (default 1); LIB_QUEUES=N: the device's
# num-queues. Returns QEMU's exit status (124 on timeout).
lib_run_guest() {
	local sock=$1 out=$2 append=$3 mode=${4:-} khz st=0 line name
	local -a noreboot=(-no-reboot) smp=()
	local blk=vhost-user-blk,chardev=c0
	[ "$mode" = reboot ] && noreboot=()
	[ -n "$LIB_SMP" ] && smp=(-smp "$LIB_SMP")
	[ -n "$LIB_QUEUES" ] && blk+=",num-queues=$LIB_QUEUES"
	khz=$(lib_tsc_khz)
	CPU_AT=()
	: >"$out"
	# -display none: QEMU's default display (gtk) is not wanted, nor there
	timeout "$QEMU_TIMEOUT" "$QEMU" -M microvm,acpi=on,memory-backend=mem \
		-object memory-backend-memfd,id=mem,size=512M,share=on \
		-global virtio-mmio.force-legacy=false -accel tcg -cpu max -nodefaults \
		-display none -serial stdio "${noreboot[@]}" "${smp[@]}" \
		-kernel "$LINUX_DIR/vmlinuz" -initrd "${LIB_INITRD:-$LINUX_DIR/initramfs.gz}" \
		-append "console=ttyS0 tsc_early_khz=$khz $append" \
		-chardev "socket,id=c0,path=$sock" -device "$blk" \
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

# --- results -----------------------------------------------------------------
# "PASS [TAG] ..." / "FAIL [TAG] ..." lines; failc sets the caller's $fail to 1.
LIB_TAG=${LIB_TAG:-linux}
MIB=1048576

pass() { echo "PASS [$LIB_TAG] $1"; }
failc() {
	echo "FAIL [$LIB_TAG] $1"
	# shellcheck disable=SC2034 # the caller's result
	fail=1
}
check() { # NAME CONDITION-COMMAND...: PASS or FAIL by the command's status
	local name=$1
	shift
	if "$@"; then pass "$name"; else failc "$name"; fi
}
show() { # tail of a log after a failure
	echo "--- $1" >&2
	tail -n "${2:-25}" "$1" >&2 || true
}

# md5 of LEN MiB of FILE at MiB offset OFF
md5_at() { dd if="$1" bs=1M skip="$2" count="$3" 2>/dev/null | md5sum | cut -d' ' -f1; }
# md5 of the 1 MiB pattern the guest writes ("WORD\n" repeated)
pattern_md5() { { yes "$1" || true; } | head -c $MIB | md5sum | cut -d' ' -f1; }
# md5 of FILE outside the regions the rw test writes (1-4 MiB, 4-8 MiB)
untouched_md5() {
	{ dd if="$1" bs=1M count=1 2>/dev/null; dd if="$1" bs=1M skip=8 2>/dev/null; } | md5sum | cut -d' ' -f1
}
allocated() { stat -c %b "$1"; } # 512-byte blocks
file_md5() { md5sum <"$1" | cut -d' ' -f1; }

# --- the rw and ro tests' checks -------------------------------------------------
# lib_rw_before IMG: the image's state before the rw boot, for lib_check_rw
lib_rw_before() {
	RW_MD5=$(file_md5 "$1")
	RW_UNTOUCHED=$(untouched_md5 "$1")
	RW_BLOCKS=$(allocated "$1")
}

# lib_check_rw OUT IMG BACKEND_LOG OURS: the rw test's results (guest console
# OUT) against the image IMG and the state lib_rw_before recorded. BACKEND_LOG
# holds the backend's counters; OURS=1 (our virtio-blk: axvm vhost-user-blk
# or axvm run --stats) requires a FLUSH count there.
lib_check_rw() {
	local o=$1 img=$2 log=$3 ours=$4 size p_direct p_buffered wc flush_log
	local blocks_after zero_md5 discard_log
	size=$(stat -c %s "$img")
	check "rw: /dev/vda size $size bytes" [ "$(lib_val "$o" size_bytes)" = "$size" ]
	check "rw: whole-disk md5 in the guest equals the host's" [ "$(lib_val "$o" md5)" = "$RW_MD5" ]
	p_direct=$(pattern_md5 AXDIRECT)
	p_buffered=$(pattern_md5 AXBUFFER)
	check "rw: O_DIRECT write, guest reads it back" \
		[ "$(lib_val "$o" write_direct) $(lib_val "$o" readback_direct)" = "ok $p_direct" ]
	check "rw: O_DIRECT pattern found in the image" [ "$(md5_at "$img" 1 1)" = "$p_direct" ]
	check "rw: buffered write + fsync, guest reads it back" \
		[ "$(lib_val "$o" write_buffered) $(lib_val "$o" readback_buffered)" = "ok $p_buffered" ]
	check "rw: buffered pattern found in the image" [ "$(md5_at "$img" 2 1)" = "$p_buffered" ]
	check "rw: nothing else of the image changed" [ "$(untouched_md5 "$img")" = "$RW_UNTOUCHED" ]
	# FLUSH: Linux sends VIRTIO_BLK_T_FLUSH on fsync only in write-back mode
	wc=$(lib_val "$o" write_cache_set)
	[ -n "$wc" ] || wc=$(lib_val "$o" write_cache)
	flush_log=$(grep -aiE 'flush' "$log" | tail -n 1 || true)
	if [ "$wc" != write_back ]; then
		failc "rw: FLUSH: the guest's cache mode is '$wc', so fsync sends no FLUSH"
	elif [ "$ours" = 1 ] && ! grep -qaE 'flushes=[1-9]' <<<"$flush_log"; then
		failc "rw: FLUSH: our backend reports none: ${flush_log:-no count line}"
	else
		pass "rw: FLUSH sent on fsync (write-back mode)${flush_log:+; backend: $flush_log}"
	fi
	# discard of 4-8 MiB: a hole in the image (allocated blocks drop, the range
	# reads zero), or the backend's own count
	blocks_after=$(allocated "$img")
	zero_md5=$(head -c $((4 * MIB)) /dev/zero | md5sum | cut -d' ' -f1)
	discard_log=$(grep -aiE 'discard' "$log" | tail -n 1 || true)
	if [ "$(lib_val "$o" discard)" != ok ]; then
		failc "rw: discard refused in the guest (discard_max_bytes=$(lib_val "$o" discard_max_bytes))"
	elif [ "$blocks_after" -le $((RW_BLOCKS - 8192)) ] && [ "$(md5_at "$img" 4 4)" = "$zero_md5" ]; then
		pass "rw: discard reached the backend (4 MiB hole: $RW_BLOCKS -> $blocks_after blocks)"
	elif grep -qaiE 'discard[^0-9]*[1-9]' <<<"$discard_log"; then
		pass "rw: discard reached the backend ($discard_log)"
	else
		failc "rw: discard: no hole in the image ($RW_BLOCKS -> $blocks_after blocks) nor a backend count"
	fi
}

# lib_check_ro OUT IMG MD5_BEFORE: the ro test's results; MD5_BEFORE is the
# image's md5 before the ro boot
lib_check_ro() {
	local o=$1 img=$2 md5_before=$3
	check "ro: /dev/vda is read-only in the guest" [ "$(lib_val "$o" ro)" = 1 ]
	check "ro: O_DIRECT write refused" [ "$(lib_val "$o" ro_write)" = refused ]
	check "ro: buffered write refused" [ "$(lib_val "$o" ro_write_buffered)" = refused ]
	check "ro: guest md5 equals the host's, before and after" \
		[ "$(grep -ac "^AXTEST md5=$md5_before" "$o")" = 2 ]
	check "ro: image unchanged" [ "$(file_md5 "$img")" = "$md5_before" ]
}

lib_cleanup() {
	if [ -n "$QEMU_PID" ]; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
		QEMU_PID=
	fi
	lib_stop_backend || true
}

# The value a benchmark reports from its runs: MODE max (the best of a list,
# higher is better) or median (CPU costs). Prints it.
lib_pick() { # MODE VALUES...
	local mode=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v m="$mode" '{ v[NR] = $1 }
		END { if (m == "max") print v[NR]; else print v[int((NR + 1) / 2)] }'
}

# One peer line: "peer op=OP NAME1=X NAME2=Y ratio=R", R > 1 when NAME1 does better.
# VALUES are space-separated runs; for a *cpu_* OP they are costs (X, Y: medians,
# R = Y / X), else rates (X, Y: the best runs, R = X / Y).
lib_peer_line() { # OP NAME1 VALUES1 NAME2 VALUES2
	local op=$1 n1=$2 v1=$3 n2=$4 v2=$5 mode=max x y r
	[[ $op == *cpu_* ]] && mode=median
	# shellcheck disable=SC2086 # word-split the lists on purpose
	x=$(lib_pick $mode $v1)
	# shellcheck disable=SC2086
	y=$(lib_pick $mode $v2)
	if [[ $op == *cpu_* ]]; then
		r=$(awk -v x="$x" -v y="$y" 'BEGIN { if (x > 0) printf "%.2f", y / x; else print "inf" }')
	else
		r=$(awk -v x="$x" -v y="$y" 'BEGIN { if (y > 0) printf "%.2f", x / y; else print "inf" }')
	fi
	echo "peer op=$op $n1=$x $n2=$y ratio=$r"
}
