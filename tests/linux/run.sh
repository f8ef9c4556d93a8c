#!/usr/bin/env bash
# Unmodified Debian Linux (linux-image-cloud-amd64, busybox-static initramfs)
# drives a vhost-user-blk backend through its own virtio_mmio + virtio_blk
# drivers, under QEMU's software emulation (microvm, TCG):
#   BACKEND=axdevice (default)  build/axvm vhost-user-blk --socket S --disk IMG[,ro]
#   BACKEND=qsd                 qemu-storage-daemon (the reference)
# Three boots: rw (size, whole-disk md5, O_DIRECT and buffered+fsync writes,
# FLUSH, discard), ro (writes refused, image unchanged), reboot (the guest
# reboots once; the same backend serves the second boot).
# Prints PASS/FAIL [linux] lines and exits non-zero on any FAIL; prints SKIP
# and succeeds only when a Debian package cannot be installed.
#   BACKEND=qsd tests/linux/run.sh      KEEP=1 keeps build/linux-test.*
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh

BACKEND=${BACKEND:-axdevice}
MIB=1048576
fail=0
mkdir -p build
WORK=$(mktemp -d build/linux-test.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	lib_cleanup
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" != 0 ]; then
		echo "# logs kept in $WORK" >&2
		rm -f "$WORK"/*.img
	else
		rm -rf "$WORK"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS [linux] $1"; }
failc() {
	echo "FAIL [linux] $1"
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

# --- guest, backend ------------------------------------------------------------
set +e
lib_build_guest
st=$?
set -e
if [ "$st" = 77 ]; then
	echo "SKIP: a Debian package for the Linux guest could not be installed"
	exit 0
elif [ "$st" != 0 ]; then
	failc "build-guest (tools/build-linux-guest.sh status $st)"
	exit 1
fi
pass "build-guest ($(head -c 60 "$LINUX_DIR/stamp" | cut -d' ' -f1))"

case $BACKEND in
axdevice)
	if ! lib_axvm_has_vhost; then
		failc "backend: $AXVM vhost-user-blk is not available ($("$AXVM" vhost-user-blk --help 2>&1 | head -n 1))"
		exit 1
	fi
	;;
qsd) command -v "$QSD" >/dev/null || { failc "backend: no $QSD"; exit 1; } ;;
*) failc "BACKEND must be axdevice or qsd, not '$BACKEND'"; exit 1 ;;
esac
echo "# backend: $BACKEND"
sock=$WORK/blk.sock

# one boot: BOOT_NAME RO APPEND [reboot]; leaves $WORK/BOOT_NAME.{out,backend.log}
boot() {
	local name=$1 ro=$2 append=$3 mode=${4:-} st=0
	if ! lib_start_backend "$BACKEND" "$img" "$ro" "$sock" "$WORK/$name.backend.log"; then
		failc "$name: backend start"
		show "$WORK/$name.backend.log"
		return 1
	fi
	lib_run_guest "$sock" "$WORK/$name.out" "$append" "$mode" || st=$?
	if [ "$st" = 0 ] && grep -qa '^AXTEST done' "$WORK/$name.out" &&
		! grep -qa '^AXTEST error=' "$WORK/$name.out"; then
		pass "$name: boot, test ran, poweroff (/init at $(lib_val "$WORK/$name.out" boot_uptime) s)"
	else
		failc "$name: boot (QEMU status $st)"
		show "$WORK/$name.out" 40
	fi
	# the backend must have survived the guest (and, for reboot, both boots)
	if lib_backend_alive; then
		pass "$name: backend alive after the guest"
	else
		failc "$name: backend died"
		show "$WORK/$name.backend.log"
	fi
	lib_stop_backend || true
}

img=$WORK/disk.img
head -c $((64 * MIB)) /dev/urandom >"$img"
size=$(stat -c %s "$img")

# --- rw ------------------------------------------------------------------------
md5_before=$(md5sum <"$img" | cut -d' ' -f1)
untouched_before=$(untouched_md5 "$img")
blocks_before=$(allocated "$img")
boot rw 0 "axtest=rw"
o=$WORK/rw.out
check "rw: /dev/vda size $size bytes" [ "$(lib_val "$o" size_bytes)" = "$size" ]
check "rw: whole-disk md5 in the guest equals the host's" [ "$(lib_val "$o" md5)" = "$md5_before" ]
p_direct=$(pattern_md5 AXDIRECT)
p_buffered=$(pattern_md5 AXBUFFER)
check "rw: O_DIRECT write, guest reads it back" \
	[ "$(lib_val "$o" write_direct) $(lib_val "$o" readback_direct)" = "ok $p_direct" ]
check "rw: O_DIRECT pattern found in the image" [ "$(md5_at "$img" 1 1)" = "$p_direct" ]
check "rw: buffered write + fsync, guest reads it back" \
	[ "$(lib_val "$o" write_buffered) $(lib_val "$o" readback_buffered)" = "ok $p_buffered" ]
check "rw: buffered pattern found in the image" [ "$(md5_at "$img" 2 1)" = "$p_buffered" ]
check "rw: nothing else of the image changed" [ "$(untouched_md5 "$img")" = "$untouched_before" ]
# FLUSH: Linux sends VIRTIO_BLK_T_FLUSH on fsync only in write-back mode
wc=$(lib_val "$o" write_cache_set)
[ -n "$wc" ] || wc=$(lib_val "$o" write_cache)
flush_log=$(grep -aiE 'flush' "$WORK/rw.backend.log" | tail -n 1 || true)
if [ "$wc" != write_back ]; then
	failc "rw: FLUSH: the guest's cache mode is '$wc', so fsync sends no FLUSH"
elif [ "$BACKEND" = axdevice ] && ! grep -qaE 'flushes=[1-9]' <<<"$flush_log"; then
	failc "rw: FLUSH: our backend reports none: ${flush_log:-no count line}"
else
	pass "rw: FLUSH sent on fsync (write-back mode)${flush_log:+; backend: $flush_log}"
fi
# discard of 4-8 MiB: a hole in the image (allocated blocks drop, the range
# reads zero), or the backend's own count
blocks_after=$(allocated "$img")
zero_md5=$(head -c $((4 * MIB)) /dev/zero | md5sum | cut -d' ' -f1)
discard_log=$(grep -aiE 'discard' "$WORK/rw.backend.log" | tail -n 1 || true)
if [ "$(lib_val "$o" discard)" != ok ]; then
	failc "rw: discard refused in the guest (discard_max_bytes=$(lib_val "$o" discard_max_bytes))"
elif [ "$blocks_after" -le $((blocks_before - 8192)) ] && [ "$(md5_at "$img" 4 4)" = "$zero_md5" ]; then
	pass "rw: discard reached the backend (4 MiB hole: $blocks_before -> $blocks_after blocks)"
elif grep -qaiE 'discard[^0-9]*[1-9]' <<<"$discard_log"; then
	pass "rw: discard reached the backend ($discard_log)"
else
	failc "rw: discard: no hole in the image ($blocks_before -> $blocks_after blocks) nor a backend count"
fi

# --- ro ------------------------------------------------------------------------
md5_before=$(md5sum <"$img" | cut -d' ' -f1)
boot ro 1 "axtest=ro"
o=$WORK/ro.out
check "ro: /dev/vda is read-only in the guest" [ "$(lib_val "$o" ro)" = 1 ]
check "ro: O_DIRECT write refused" [ "$(lib_val "$o" ro_write)" = refused ]
check "ro: buffered write refused" [ "$(lib_val "$o" ro_write_buffered)" = refused ]
check "ro: guest md5 equals the host's, before and after" \
	[ "$(grep -ac "^AXTEST md5=$md5_before" "$o")" = 2 ]
check "ro: image unchanged" [ "$(md5sum <"$img" | cut -d' ' -f1)" = "$md5_before" ]

# --- reboot --------------------------------------------------------------------
# reboot=a: the reset register of microvm's ACPI FADT (the kernel's default
# order of methods can hang here)
boot reboot 0 "reboot=a axtest=reboot" reboot
o=$WORK/reboot.out
check "reboot: the guest booted twice against one backend" \
	[ "$(grep -a '^AXTEST reboot=' "$o" | tr -d '\r' | tr '\n' ' ')" = "AXTEST reboot=first AXTEST reboot=second " ]
check "reboot: second boot's marker in the image" \
	[ "$(dd if="$img" bs=1 skip=$((768 * 4096)) count=9 2>/dev/null)" = AXREBOOT2 ]

if [ "$fail" = 0 ]; then
	echo "linux ($BACKEND): all passed"
else
	echo "linux ($BACKEND): FAILED"
fi
exit "$fail"
