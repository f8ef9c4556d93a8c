#!/usr/bin/env bash
# Instructions the host KVM cannot emulate, executed by axvm: boots
# tests/kvm/insn_guest.S (a tiny 64-bit kernel, built here with cc -c and
# objcopy) that runs POPCNT, LDMXCSR/STMXCSR, STAC/CLAC and FWAIT with
# interrupts off and checks every result, including that MXCSR values cross
# between axvm (KVM_GET_XSAVE/KVM_SET_XSAVE) and the CPU both ways. Where
# KVM handles them itself, axvm's path is not used; the output says which
# ran (from --stats).
#   AXVM=build/axvm tests/kvm/insn.sh     (from the top of the tree)
set -u
AXVM=${AXVM:-build/axvm}
CC=${CC:-cc}
OBJCOPY=${OBJCOPY:-objcopy}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -c /dev/kvm ]; then
	echo "SKIP [kvm] insn: /dev/kvm not available"
	exit 0
fi
if ! $CC -c -o "$tmp/insn.o" tests/kvm/insn_guest.S ||
	! $OBJCOPY -O binary -j .text "$tmp/insn.o" "$tmp/insn.bin"; then
	echo "FAIL [kvm] insn: cannot build tests/kvm/insn_guest.S"
	exit 1
fi

cat >"$tmp/insn.toml" <<TOML
[base]
cpu_num = 1
[kernel]
kernel_path = "$tmp/insn.bin"
memory_regions = [[0x0, 0x400_0000, 0x7, 0]]
[devices]
emu_devices = [
	["com1", 0x3f8, 8, 4, "console", [1, 0]],
	["exit", 0x501, 1, 0, "exit", []],
]
[backends]
com1 = "file:$tmp/com1.log"
TOML

timeout 30 "$AXVM" run "$tmp/insn.toml" --stats >"$tmp/insn.out" 2>"$tmp/insn.err"
status=$?
kinds=$(sed -n 's/.*stats: vcpu0 exits=.*insn_emulated_if0=[0-9]*\(.*\)/\1/p' "$tmp/insn.err")
if [ "$status" -eq 0 ] && grep -q "^IOK$" "$tmp/com1.log" 2>/dev/null; then
	if [ -n "$kinds" ]; then
		echo "PASS [kvm] insn: executed by axvm:$kinds"
	else
		echo "PASS [kvm] insn: KVM emulated or ran them itself (axvm's path not used)"
	fi
else
	echo "FAIL [kvm] insn: status $status (want 0; 2..10 name the failed check in tests/kvm/insn_guest.S), COM1 '$(cat "$tmp/com1.log" 2>/dev/null)' (want 'IOK')"
	tail -n 20 "$tmp/insn.out" "$tmp/insn.err"
	exit 1
fi
