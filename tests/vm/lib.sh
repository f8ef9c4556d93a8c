# shellcheck shell=bash
# Shared by the end-to-end tests of axvm (tests/vm/*.sh, tests/linux/axvm.sh)
# and tools/probe-user-entry.sh: which accelerators this machine can test,
# and the tiny 64-bit test kernels (tests/vm/*_guest.S, which include
# bzimage_header.S) built here with cc -c and objcopy, booted with COM1 and
# the exit device. ACCEL (kvm or tcg, default tcg) picks the accelerator a
# script runs on; its results are tagged [kvm] or [tcg].
AXVM=${AXVM:-build/axvm}
ACCEL=${ACCEL:-tcg}
CC=${CC:-cc}
OBJCOPY=${OBJCOPY:-objcopy}

# kvm_usable [DEVICE]: can axvm create a VM? A config whose kernel does not
# exist: axvm opens /dev/kvm (status 121 when KVM is unusable) before it
# reads the kernel (120), so nothing boots. DEVICE (default /dev/kvm) must
# exist and be read-writable first.
kvm_usable() {
	local dev=${1:-/dev/kvm} probe st=0
	[ -c "$dev" ] && [ -r "$dev" ] && [ -w "$dev" ] || return 1
	probe=$(mktemp --suffix=.toml)
	cat >"$probe" <<-'TOML'
	[base]
	cpu_num = 1
	[kernel]
	kernel_path = "/nonexistent/axvm-kvm-probe"
	memory_regions = [[0x0, 0x200000, 0x7, 0]]
	[devices]
	emu_devices = [["exit", 0x501, 1, 0, "exit", []]]
	TOML
	timeout 20 "$AXVM" run --accel kvm "$probe" >/dev/null 2>&1 || st=$?
	rm -f "$probe"
	[ "$st" -ne 121 ]
}

# vm_accels: the accelerators to test here, one per line: tcg (the software
# CPU, on every machine), then kvm where /dev/kvm works.
vm_accels() {
	echo tcg
	if kvm_usable /dev/kvm; then
		echo kvm
	fi
}

# test_kernel_setup NAME: with ACCEL=kvm, prints SKIP and exits 0 where KVM
# is unusable; makes $tmp (removed at exit).
test_kernel_setup() {
	if [ "$ACCEL" = kvm ] && ! kvm_usable /dev/kvm; then
		echo "SKIP [kvm] $1: /dev/kvm not available"
		exit 0
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # $tmp is fixed now
	trap "rm -rf '$tmp'" EXIT
}

# test_kernel_build NAME SOURCE [CC_FLAGS...]: $tmp/NAME.bin, or FAIL and exit 1.
test_kernel_build() {
	local name=$1 src=$2
	shift 2
	if ! $CC -c "$@" -o "$tmp/$name.o" "$src" ||
		! $OBJCOPY -O binary -j .text "$tmp/$name.o" "$tmp/$name.bin"; then
		echo "FAIL [$ACCEL] $name: cannot build $src"
		exit 1
	fi
}

# test_kernel_config CONFIG KERNEL COM1_LOG [EXTRA_DEVICE]: a config with
# 64 MiB of RAM, COM1 into COM1_LOG and the exit device at port 0x501.
test_kernel_config() {
	cat >"$1" <<-TOML
	[base]
	cpu_num = 1
	[kernel]
	kernel_path = "$2"
	memory_regions = [[0x0, 0x400_0000, 0x7, 0]]
	[devices]
	emu_devices = [
		["com1", 0x3f8, 8, 4, "console", [1, 0]],
		["exit", 0x501, 1, 0, "exit", []],
		${4:-}
	]
	[backends]
	com1 = "file:$3"
	TOML
}
