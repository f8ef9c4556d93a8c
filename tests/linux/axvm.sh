#!/usr/bin/env bash
# An unmodified Debian Linux kernel (linux-image-cloud-amd64, initramfs of
# tools/build-linux-guest.sh, its SIMD-free /axinit as init) boots directly on
# axvm and drives our virtio-blk and virtio-console through its own virtio_mmio
# drivers.
#
# Each boot runs axvm on a config written into WORK, derived from
# configs/linux.toml (same kernel, initramfs, RAM and command line but
# rdinit=/axinit and axtest=NAME; its devices, plus a virtio-console "hvc0" and
# an acpi-sleep device at port 0x600 when it has none) with COM1 to
# WORK/NAME.serial, the virtio console to WORK/NAME.hvc and the disk on a fresh
# image of random data (16 MiB: on kvm_pvm every guest instruction is emulated,
# about a million a second, and the guest's whole-disk MD5 alone costs about
# six seconds per MiB). Two boots:
#   rw  size, whole-disk md5, O_DIRECT and buffered+fsync writes found in the
#       image, nothing else changed, FLUSH counted by axvm, discard punched a hole
#   ro  the disk as file:IMAGE,ro: writes refused, image unchanged
# and in each: /init wrote to /dev/hvc0 and the text reached the console's
# backend file, the boot time to /init (guest uptime, wall seconds), and the
# power-off: after "AXTEST done" /init powers off (reboot(2)); Linux enters ACPI
# S5 through the FADT's sleep registers (axvm's acpi-sleep device, \_S5 in
# the DSDT) and axvm must stop by itself with status 0 and "guest powered off
# (ACPI S5". If axvm still runs AXVM_LINUX_GRACE seconds after "AXTEST done"
# the boot FAILs and axvm is stopped with SIGTERM.
#
# Prints PASS/FAIL [linux-axvm] lines and exits non-zero on any FAIL; prints
# SKIP and succeeds when /dev/kvm is missing or unusable, or a Debian package
# for the guest cannot be installed. Not part of `make test`: on this
# project's nested KVM (kvm_pvm, which emulates every guest instruction) a
# boot takes about 25 minutes to /init.
#
#   make test-linux-axvm      or      AXVM=build/axvm tests/linux/axvm.sh
# Environment:
#   AXVM_LINUX_TIMEOUT=3600   seconds per boot before axvm is stopped
#   AXVM_LINUX_GRACE=120      seconds after "AXTEST done" for axvm to stop by
#                             itself (the guest's power-off), then SIGTERM and FAIL
#   AXVM_LINUX_BOOTS="rw ro"  which boots to run
#   AXVM_LINUX_DISK_MB=16     the disk's size (at least 8: the rw test writes
#                             at 1-3 MiB and discards 4-8 MiB)
#   AXVM_LINUX_INIT=/axinit   the guest's init (rdinit=); empty: the initramfs's
#                             /init (busybox, tests/linux/init.sh)
#   CONFIG=configs/linux.toml the config the boots' configs are derived from
#   KVM_DEV=/dev/kvm          the device checked before the probe (axvm itself
#                             always opens /dev/kvm; point it elsewhere to see
#                             the SKIP path)
#   KEEP=1                    keep build/linux-axvm.* (kept anyway on a FAIL)
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB_TAG=linux-axvm
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh

CONFIG=${CONFIG:-configs/linux.toml}
TIMEOUT=${AXVM_LINUX_TIMEOUT:-3600}
GRACE=${AXVM_LINUX_GRACE:-120}
BOOTS=${AXVM_LINUX_BOOTS:-rw ro}
# /axinit (tests/linux/axinit.c), not busybox's /init: on kvm_pvm KVM emulates
# every guest instruction and its emulator has no SIMD, which glibc's string
# functions in Debian's static busybox use; axinit runs the same test without.
GUEST_INIT=${AXVM_LINUX_INIT-/axinit}
KVM_DEV=${KVM_DEV:-/dev/kvm}
# the virtio console added when CONFIG has none: next to disk0's slot
HVC_ENTRY='["hvc0", 0xfe10_1000, 0x1000, 6, "virtio-console", []],'
# the ACPI power-off registers added when CONFIG has none (configs/linux.toml has)
SLEEP_ENTRY='["acpi-sleep", 0x600, 2, 0, "acpi-sleep", []],'
HVC_TEXT='AXHVC0 hello from /dev/hvc0'

fail=0
AXVM_PID=
mkdir -p build
WORK=$(mktemp -d build/linux-axvm.XXXXXX)
WORK_ABS=$PWD/$WORK
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	stop_axvm >/dev/null 2>&1 || true
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" != 0 ]; then
		echo "# logs kept in $WORK" >&2
		rm -f "$WORK"/*.img
	else
		rm -rf "$WORK"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# --- KVM ---------------------------------------------------------------------
if [ ! -x "$AXVM" ]; then
	failc "no $AXVM (make $AXVM)"
	exit 1
fi
if ! kvm_usable "$KVM_DEV"; then
	echo "SKIP: /dev/kvm not available"
	exit 0
fi

# --- guest ---------------------------------------------------------------------
lib_guest_ready
LINUX_ABS=$(cd "$LINUX_DIR" && pwd)

# --- config --------------------------------------------------------------------
# the name of CONFIG's virtio console, if it has one
HVC_NAME=$(sed -n 's/^[[:space:]]*\["\([^"]*\)",.*"virtio-console".*/\1/p' "$CONFIG" | head -n 1)
# whether CONFIG has an acpi-sleep device (commented-out lines do not count)
HAS_SLEEP=$(grep -c '^[[:space:]]*\[.*"acpi-sleep"[[:space:]]*,' "$CONFIG" || true)

# write_config NAME RO: WORK/NAME.toml from CONFIG, for the boot NAME with
# axtest=NAME; the disk image read-only when RO=1
write_config() {
	local name=$1 ro=$2 out=$WORK/$1.toml hvc=$HVC_ENTRY sleep=$SLEEP_ENTRY
	local disk=$WORK_ABS/disk.img
	[ -z "$HVC_NAME" ] || hvc=
	[ "$HAS_SLEEP" = 0 ] || sleep=
	[ "$ro" = 1 ] && disk=$disk,ro
	# Copies CONFIG up to [backends] with kernel_path, ramdisk_path and cmdline
	# (its rdinit= and axtest= words) replaced and the virtio console and
	# acpi-sleep device (when missing) added at the end of emu_devices; status 1
	# when one of the four is missing.
	echo "# written by tests/linux/axvm.sh from $CONFIG for the boot '$name'" >"$out"
	if ! awk -v kernel="$LINUX_ABS/vmlinuz" -v initrd="$LINUX_ABS/initramfs.gz" \
		-v test="$name" -v rdinit="${GUEST_INIT:+rdinit=$GUEST_INIT }" -v hvc="$hvc" -v sleep="$sleep" '
		function key(k) { return $0 ~ ("^[ \t]*" k "[ \t]*=") }
		/^[ \t]*\[backends\]/ { exit }
		key("kernel_path") { print "kernel_path = \"" kernel "\""; seen["kernel"] = 1; next }
		key("ramdisk_path") { print "ramdisk_path = \"" initrd "\""; seen["initrd"] = 1; next }
		key("cmdline") {
			if (!match($0, /"[^"]*"/)) exit 1
			n = split(substr($0, RSTART + 1, RLENGTH - 2), w, " ")
			line = ""
			for (i = 1; i <= n; i++)
				if (w[i] !~ /^(axtest|rdinit)=/) line = line w[i] " "
			print "cmdline = \"" line rdinit "axtest=" test "\""
			seen["cmdline"] = 1
			next
		}
		key("emu_devices") { in_emu = 1 }
		in_emu && /^[ \t]*\][ \t]*(#.*)?$/ {
			if (hvc != "") print "\t" hvc
			if (sleep != "") print "\t" sleep
			in_emu = 0
			seen["emu"] = 1
		}
		{ print }
		END { exit !(seen["kernel"] && seen["initrd"] && seen["cmdline"] && seen["emu"]) }
	' "$CONFIG" >>"$out"; then
		failc "$name: cannot derive a config from $CONFIG (kernel_path, ramdisk_path, cmdline and a multi-line emu_devices needed)"
		return 1
	fi
	cat >>"$out" <<-TOML
	[backends]
	com1 = "file:$WORK_ABS/$name.serial"
	disk0 = "file:$disk"
	${HVC_NAME:-hvc0} = "file:$WORK_ABS/$name.hvc"
	TOML
}

# --- one boot ------------------------------------------------------------------
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Stops our axvm (SIGTERM, 15 s grace, then SIGKILL); returns its status.
stop_axvm() {
	local pid=$AXVM_PID
	[ -n "$pid" ] || return 0
	AXVM_PID=
	lib_stop_pid "$pid" 15
}

# axvm's own account of a failure: its stop reason, errors, and the tails
show_axvm() {
	local name=$1
	echo "--- $WORK/$name.err: errors" >&2
	grep -aE 'internal error|emulation failure|unhandled exit|entry failed|shut down|halted|error:|stopped' \
		"$WORK/$name.err" | tail -n 20 >&2 || true
	show "$WORK/$name.serial" 40
	show "$WORK/$name.err" 30
}

# axvm_boot NAME RO: boots with axtest=NAME; leaves WORK/NAME.{toml,serial,hvc,err}
axvm_boot() {
	local name=$1 ro=$2 serial=$WORK/$1.serial t0 init_wall='' done_wall='' how st=0 out i halted error start next
	local powered_off=''
	write_config "$name" "$ro" || return 1
	if ! out=$("$AXVM" check "$WORK/$name.toml" 2>&1); then
		failc "$name: axvm check $WORK/$name.toml: $out"
		return 1
	fi
	: >"$serial"
	t0=$(now)
	start=$SECONDS next=60
	"$AXVM" run "$WORK/$name.toml" -v --stats </dev/null >"$WORK/$name.stdout" 2>"$WORK/$name.err" &
	AXVM_PID=$!
	echo "# $name: axvm pid $AXVM_PID, serial $serial (timeout ${TIMEOUT} s)"
	how="axvm exited before AXTEST done"
	while kill -0 "$AXVM_PID" 2>/dev/null; do
		if [ -z "$init_wall" ] && grep -qa '^AXTEST boot_uptime=' "$serial"; then
			init_wall=$(since "$t0")
			echo "# $name: /init after $init_wall s"
		fi
		if grep -qa '^AXTEST done' "$serial"; then
			done_wall=$(since "$t0")
			break
		fi
		if ((SECONDS - start >= TIMEOUT)); then
			how="timeout after $TIMEOUT s"
			break
		fi
		if ((SECONDS - start >= next)); then # a sign of life on long boots
			echo "# $name: $((SECONDS - start)) s: $(tail -n 1 "$serial" | tr -d '\r' | cut -c 1-100)"
			next=$((next + 60))
		fi
		sleep 0.5
	done
	# axvm may have powered off between two looks
	if [ -z "$done_wall" ] && grep -qa '^AXTEST done' "$serial"; then
		done_wall=$(since "$t0")
	fi
	if [ -n "$done_wall" ]; then
		# /init powers off: axvm must stop by itself (ACPI S5); SIGTERM only as a failure
		how="still running ${GRACE} s after AXTEST done: the guest's ACPI power-off did not stop axvm, stopped by SIGTERM"
		for ((i = 0; i < GRACE * 10; i++)); do
			kill -0 "$AXVM_PID" 2>/dev/null || { how="axvm stopped by itself after AXTEST done"; break; }
			sleep 0.1
		done
		if [ "$how" = "axvm stopped by itself after AXTEST done" ]; then
			powered_off=$(grep -a "guest powered off (ACPI S5" "$WORK/$name.err" | tail -n 1 | sed 's/^axvm: //' || true)
		fi
	fi
	stop_axvm || st=$?
	[ -n "$init_wall" ] || ! grep -qa '^AXTEST boot_uptime=' "$serial" || init_wall=$(since "$t0")

	halted=$(grep -a 'reboot: System halted\|reboot: Power down' "$serial" | tr -d '\r' | tail -n 1 |
		sed 's/^\[[^]]*\] //' || true)
	error=$(lib_val "$serial" error)
	if [ -n "$done_wall" ] && [ -z "$error" ] && [ "$st" = 0 ] && [ -n "$powered_off" ]; then
		pass "$name: boot, test ran (AXTEST done at $done_wall s), ${halted:+guest: $halted, }axvm status 0: $powered_off"
	elif [ -n "$done_wall" ] && [ -z "$error" ]; then
		failc "$name: power-off: axvm status $st (want 0 and \"guest powered off (ACPI S5\"): $how${halted:+; guest: $halted}"
		show_axvm "$name"
	else
		failc "$name: boot (axvm status $st: $how${error:+; AXTEST error=$error})"
		show_axvm "$name"
	fi

	if [ -n "$init_wall" ]; then
		pass "$name: boot to /init: guest uptime $(lib_val "$serial" boot_uptime) s, wall $init_wall s"
	else
		failc "$name: boot to /init: /init never ran ($how)"
	fi

	if [ "$(lib_val "$serial" hvc0)" = written ] && grep -qaF "$HVC_TEXT" "$WORK/$name.hvc"; then
		pass "$name: /init wrote to /dev/hvc0, the text reached the console's backend file"
	else
		failc "$name: hvc0: AXTEST hvc0=$(lib_val "$serial" hvc0), backend file $WORK/$name.hvc holds $(wc -c 2>/dev/null <"$WORK/$name.hvc" || echo no) bytes"
	fi
	[ -n "$done_wall" ]
}

# Did /init run in boot NAME? Without it there is nothing to check on the disk.
init_ran() {
	grep -qsa '^AXTEST boot_uptime=' "$WORK/$1.serial" && return 0
	failc "$1: the disk checks not run: /init never ran"
	return 1
}

img=$WORK/disk.img
head -c $((${AXVM_LINUX_DISK_MB:-16} * MIB)) /dev/urandom >"$img"
rw_failed=

for b in $BOOTS; do
	case $b in
	rw)
		lib_rw_before "$img"
		axvm_boot rw 0 || rw_failed=1
		# FLUSH and discard counts: axvm's --stats line
		# "backend disk0 reads=.. writes=.. flushes=N discards=N write_zeroes=N"
		if init_ran rw; then lib_check_rw "$WORK/rw.serial" "$img" "$WORK/rw.err" 1; fi
		;;
	ro)
		if [ -n "$rw_failed" ]; then
			# whatever stopped the rw boot would most likely cost a second timeout
			failc "ro: not run: the rw boot did not finish"
			continue
		fi
		md5_before=$(file_md5 "$img")
		axvm_boot ro 1 || true
		if init_ran ro; then lib_check_ro "$WORK/ro.serial" "$img" "$md5_before"; fi
		;;
	*)
		failc "AXVM_LINUX_BOOTS: unknown boot '$b' (rw, ro)"
		;;
	esac
done

if [ "$fail" = 0 ]; then
	echo "linux-axvm: all passed"
else
	echo "linux-axvm: FAILED"
fi
exit "$fail"
