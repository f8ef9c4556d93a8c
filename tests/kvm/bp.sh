#!/usr/bin/env bash
# #BP through axvm: boots tests/kvm/bp_guest.S (a tiny 64-bit kernel in the
# shape of a bzImage, built here with cc -c and objcopy) that runs int3 and
# checks the exception frame in its handler, then iretq back; it writes "BK"
# to COM1 and exits with status 0. Where KVM raises #BP itself the emulation
# in axvm (vmm/x86_exception.c) is not used; the output says which path ran
# (from --stats: bp_emulated=N).
#   AXVM=build/axvm tests/kvm/bp.sh     (from the top of the tree)
set -u
AXVM=${AXVM:-build/axvm}
CC=${CC:-cc}
OBJCOPY=${OBJCOPY:-objcopy}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -c /dev/kvm ]; then
	echo "SKIP [kvm] int3-bp: /dev/kvm not available"
	exit 0
fi
if ! $CC -c -o "$tmp/bp.o" tests/kvm/bp_guest.S ||
	! $OBJCOPY -O binary -j .text "$tmp/bp.o" "$tmp/bp.bin"; then
	echo "FAIL [kvm] int3-bp: cannot build tests/kvm/bp_guest.S"
	exit 1
fi

cat >"$tmp/bp.toml" <<TOML
[base]
cpu_num = 1
[kernel]
kernel_path = "$tmp/bp.bin"
memory_regions = [[0x0, 0x400_0000, 0x7, 0]]
[devices]
emu_devices = [
	["com1", 0x3f8, 8, 4, "console", [1, 0]],
	["exit", 0x501, 1, 0, "exit", []],
]
[backends]
com1 = "file:$tmp/com1.log"
TOML

timeout 30 "$AXVM" run "$tmp/bp.toml" --stats >"$tmp/bp.out" 2>"$tmp/bp.err"
status=$?
emulated=$(sed -n 's/.*stats: vcpu0 .*bp_emulated=\([0-9]*\).*/\1/p' "$tmp/bp.err")
if [ "$status" -eq 0 ] && grep -q "^BK$" "$tmp/com1.log" 2>/dev/null; then
	if [ "${emulated:-0}" -gt 0 ]; then
		echo "PASS [kvm] int3-bp: #BP delivered by axvm ($emulated emulated)"
	else
		echo "PASS [kvm] int3-bp: #BP delivered by KVM itself (emulation not used)"
	fi
else
	echo "FAIL [kvm] int3-bp: status $status (want 0), COM1 '$(cat "$tmp/com1.log" 2>/dev/null)' (want 'BK')"
	tail -n 20 "$tmp/bp.out" "$tmp/bp.err"
	exit 1
fi
