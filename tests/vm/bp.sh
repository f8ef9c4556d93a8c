#!/usr/bin/env bash
# #BP through axvm: boots tests/vm/bp_guest.S (a tiny 64-bit kernel in the
# shape of a bzImage, built here with cc -c and objcopy) that runs int3 and
# checks the exception frame in its handler, then iretq back; it writes "BK"
# to COM1 and exits with status 0. Where KVM raises #BP itself the emulation
# in axvm (vmm/accel/kvm/x86_exception.c) is not used; the output says which path ran
# (from --stats: bp_emulated=N).
#   AXVM=build/axvm tests/vm/bp.sh     (from the top of the tree)
set -u
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
# what this tests is axvm's handling of KVM emulation failures: KVM only
ACCEL=kvm
test_kernel_setup int3-bp
test_kernel_build bp tests/vm/bp_guest.S
test_kernel_config "$tmp/bp.toml" "$tmp/bp.bin" "$tmp/com1.log"

timeout 30 "$AXVM" run --accel kvm "$tmp/bp.toml" --stats >"$tmp/bp.out" 2>"$tmp/bp.err"
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
