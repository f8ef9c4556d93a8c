# shellcheck shell=bash
# Shared by tests/kvm/bp.sh, insn.sh and acpi-s5.sh: each boots a tiny 64-bit
# test kernel (tests/kvm/*_guest.S, which include bzimage_header.S) built
# here with cc -c and objcopy, with COM1 and the exit device.
AXVM=${AXVM:-build/axvm}
CC=${CC:-cc}
OBJCOPY=${OBJCOPY:-objcopy}

# test_kernel_setup NAME: prints SKIP and exits 0 without /dev/kvm; makes
# $tmp (removed at exit).
test_kernel_setup() {
	if [ ! -c /dev/kvm ]; then
		echo "SKIP [kvm] $1: /dev/kvm not available"
		exit 0
	fi
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064 # $tmp is fixed now
	trap "rm -rf '$tmp'" EXIT
}

# test_kernel_build NAME SOURCE: $tmp/NAME.bin, or FAIL and exit 1.
test_kernel_build() {
	if ! $CC -c -o "$tmp/$1.o" "$2" || ! $OBJCOPY -O binary -j .text "$tmp/$1.o" "$tmp/$1.bin"; then
		echo "FAIL [kvm] $1: cannot build $2"
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
