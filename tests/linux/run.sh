#!/usr/bin/env bash
# Unmodified Debian Linux (linux-image-cloud-amd64, busybox-static initramfs)
# drives a vhost-user-blk backend through its own virtio_mmio + virtio_blk
# drivers, under QEMU's software emulation (microvm, TCG):
#   BACKEND=axdevice (default)  build/axvm vhost-user-blk --socket S --disk IMG[,ro]
#   BACKEND=qsd                 qemu-storage-daemon (the reference)
# Four boots: rw (size, whole-disk md5, O_DIRECT and buffered+fsync writes,
# FLUSH, discard), ro (writes refused, image unchanged), reboot (the guest
# reboots once; the same backend serves the second boot), mq (rw again with
# two vCPUs on a device of two request queues: VIRTIO_BLK_F_MQ).
# Prints PASS/FAIL [linux] lines and exits non-zero on any FAIL; prints SKIP
# and succeeds only when a Debian package cannot be installed.
#   BACKEND=qsd tests/linux/run.sh      KEEP=1 keeps build/linux-test.*
#   INIT=/axinit tests/linux/run.sh     boots with rdinit=/axinit (the SIMD-free
#                                       init tests/linux/axvm.sh uses) instead of
#                                       the busybox /init
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh

BACKEND=${BACKEND:-axdevice}
INIT=${INIT:-}
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

# --- guest, backend ------------------------------------------------------------
lib_guest_ready

# axvm's bzImage loader on this kernel: the unit run of tests/test_bzimage.c has only a
# synthetic image, the real kernel is certain to exist only here
BZIMAGE_TEST=${BZIMAGE_TEST:-build/tests/test_bzimage}
if [ ! -x "$BZIMAGE_TEST" ]; then
	failc "bzimage: $BZIMAGE_TEST is not built (make $BZIMAGE_TEST)"
elif "$BZIMAGE_TEST" "$LINUX_DIR/vmlinuz" >"$WORK/bzimage.log" 2>&1; then
	pass "bzimage: axvm's loader places $LINUX_DIR/vmlinuz (tests/test_bzimage.c)"
else
	failc "bzimage: axvm's loader on $LINUX_DIR/vmlinuz"
	show "$WORK/bzimage.log"
fi

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
echo "# backend: $BACKEND${INIT:+, init: $INIT}"
sock=$WORK/blk.sock

# one boot: BOOT_NAME RO APPEND [reboot]; leaves $WORK/BOOT_NAME.{out,backend.log}
boot() {
	local name=$1 ro=$2 append=$3 mode=${4:-} st=0
	if ! lib_start_backend "$BACKEND" "$img" "$ro" "$sock" "$WORK/$name.backend.log"; then
		failc "$name: backend start"
		show "$WORK/$name.backend.log"
		return 1
	fi
	lib_run_guest "$sock" "$WORK/$name.out" "${INIT:+rdinit=$INIT }$append" "$mode" || st=$?
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

# --- rw ------------------------------------------------------------------------
lib_rw_before "$img"
boot rw 0 "axtest=rw"
ours=0
[ "$BACKEND" = axdevice ] && ours=1
lib_check_rw "$WORK/rw.out" "$img" "$WORK/rw.backend.log" "$ours"

# --- ro ------------------------------------------------------------------------
md5_before=$(file_md5 "$img")
boot ro 1 "axtest=ro"
lib_check_ro "$WORK/ro.out" "$img" "$md5_before"

# --- reboot --------------------------------------------------------------------
# reboot=a: the reset register of microvm's ACPI FADT (the kernel's default
# order of methods can hang here)
boot reboot 0 "reboot=a axtest=reboot" reboot
o=$WORK/reboot.out
check "reboot: the guest booted twice against one backend" \
	[ "$(grep -a '^AXTEST reboot=' "$o" | tr -d '\r' | tr '\n' ' ')" = "AXTEST reboot=first AXTEST reboot=second " ]
check "reboot: second boot's marker in the image" \
	[ "$(dd if="$img" bs=1 skip=$((768 * 4096)) count=9 2>/dev/null)" = AXREBOOT2 ]

# --- mq ------------------------------------------------------------------------
# -smp 2 and num-queues=2 on a fresh image: Linux's virtio_blk negotiates MQ
# and gives blk-mq one hardware queue per virtqueue. Always the busybox /init
# (it prints hw_queues).
img=$WORK/mq.img
head -c $((64 * MIB)) /dev/urandom >"$img"
lib_rw_before "$img"
INIT='' LIB_SMP=2 LIB_QUEUES=2 boot mq 0 "axtest=rw"
check "mq: the guest sees 2 hardware queues (/sys/block/vda/mq)" \
	[ "$(lib_val "$WORK/mq.out" hw_queues)" = 2 ]
LIB_TAG=linux-mq lib_check_rw "$WORK/mq.out" "$img" "$WORK/mq.backend.log" "$ours"
if [ "$ours" = 1 ]; then
	# both rings carried requests: the backend's kicks per ring at the disconnect
	LIB_TAG=linux-mq check "mq: both virtqueues were kicked ($(grep -o 'kicks[^)]*' \
		"$WORK/mq.backend.log" | tail -1))" \
		grep -Eq 'kicks q0=[1-9][0-9]* q1=[1-9]' "$WORK/mq.backend.log"
fi

if [ "$fail" = 0 ]; then
	echo "linux ($BACKEND): all passed"
else
	echo "linux ($BACKEND): FAILED"
fi
exit "$fail"
