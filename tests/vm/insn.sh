#!/usr/bin/env bash
# Instructions the host KVM cannot emulate, executed by axvm: boots
# tests/vm/insn_guest.S (a tiny 64-bit kernel, built here with cc -c and
# objcopy) that runs POPCNT, LDMXCSR/STMXCSR, STAC/CLAC and FWAIT with
# interrupts off and checks every result, including that MXCSR values cross
# between axvm (KVM_GET_XSAVE/KVM_SET_XSAVE) and the CPU both ways. Where
# KVM handles them itself, axvm's path is not used; the output says which
# ran (from --stats).
#   AXVM=build/axvm tests/vm/insn.sh     (from the top of the tree)
set -u
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
# what this tests is axvm's handling of KVM emulation failures: KVM only
ACCEL=kvm
test_kernel_setup insn
test_kernel_build insn tests/vm/insn_guest.S
test_kernel_config "$tmp/insn.toml" "$tmp/insn.bin" "$tmp/com1.log"

timeout 30 "$AXVM" run --accel kvm "$tmp/insn.toml" --stats >"$tmp/insn.out" 2>"$tmp/insn.err"
status=$?
kinds=$(sed -n 's/.*stats: vcpu0 emulated .*insn_emulated_if0=[0-9]*\(.*\)/\1/p' "$tmp/insn.err")
if [ "$status" -eq 0 ] && grep -q "^IOK$" "$tmp/com1.log" 2>/dev/null; then
	if [ -n "$kinds" ]; then
		echo "PASS [kvm] insn: executed by axvm:$kinds"
	else
		echo "PASS [kvm] insn: KVM emulated or ran them itself (axvm's path not used)"
	fi
else
	echo "FAIL [kvm] insn: status $status (want 0; 2..10 name the failed check in tests/vm/insn_guest.S), COM1 '$(cat "$tmp/com1.log" 2>/dev/null)' (want 'IOK')"
	tail -n 20 "$tmp/insn.out" "$tmp/insn.err"
	exit 1
fi
