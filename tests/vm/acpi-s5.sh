#!/usr/bin/env bash
# ACPI power-off through axvm: boots tests/vm/acpi_s5_guest.S (a tiny 64-bit
# kernel in the shape of a bzImage, built here with cc -c and objcopy), which
# follows axvm's ACPI tables as an OS would (RSDP, XSDT, the FADT's sleep
# registers, the DSDT's \_S5), asks for another sleep type first (refused),
# then writes S5 with SLP_EN. Two runs:
#   acpi-s5          with an acpi-sleep device: axvm stops with status 0,
#                    "guest powered off (ACPI S5", COM1 shows "AR", the
#                    refused type is logged, --stats counts the device's accesses
#   acpi-s5-absent   without one: the FADT has no sleep registers and the DSDT
#                    no \_S5 (the guest exits with 20)
#   AXVM=build/axvm tests/vm/acpi-s5.sh     (from the top of the tree)
set -u
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
fail=0
test_kernel_setup acpi-s5
test_kernel_build s5 tests/vm/acpi_s5_guest.S

# config NAME EXTRA_DEVICE: $tmp/NAME.toml
config() { test_kernel_config "$tmp/$1.toml" "$tmp/s5.bin" "$tmp/$1.com1" "$2"; }

config s5 '["pm", 0x600, 2, 0, "acpi-sleep", []],'
timeout 30 "$AXVM" run --accel "$ACCEL" "$tmp/s5.toml" --stats >"$tmp/s5.out" 2>"$tmp/s5.err"
status=$?
com1=$(cat "$tmp/s5.com1" 2>/dev/null)
stats=$(grep "stats: device pm (acpi-sleep)" "$tmp/s5.err")
if [ "$status" -eq 0 ] && [ "$com1" = AR ] &&
	grep -q "guest powered off (ACPI S5" "$tmp/s5.err" &&
	grep -q "acpi-sleep: the guest asked for sleep type [0-7] .*refused" "$tmp/s5.err" &&
	[[ $stats == *"reads=1 writes=3 errors=1"* ]]; then
	echo "PASS [$ACCEL] acpi-s5: the guest found the sleep registers and \\_S5, axvm stopped with 0"
else
	echo "FAIL [$ACCEL] acpi-s5: status $status (want 0), COM1 '$com1' (want 'AR'), stats '$stats'"
	tail -n 20 "$tmp/s5.out" "$tmp/s5.err"
	fail=1
fi

config absent ''
timeout 30 "$AXVM" run --accel "$ACCEL" "$tmp/absent.toml" >"$tmp/absent.out" 2>"$tmp/absent.err"
status=$?
if [ "$status" -eq 20 ]; then
	echo "PASS [$ACCEL] acpi-s5-absent: without the device, no sleep registers and no \\_S5"
else
	echo "FAIL [$ACCEL] acpi-s5-absent: status $status (want 20)"
	tail -n 20 "$tmp/absent.out" "$tmp/absent.err"
	fail=1
fi
exit $fail
