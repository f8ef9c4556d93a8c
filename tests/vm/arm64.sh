#!/usr/bin/env bash
# The Arm demo guest (guest/arm64/, an arm64 Image) on axvm's software CPU,
# in both GIC configs, normal and hostile; and what the accelerator choice
# says about an arm64 guest. The checks are the guest's own (it prints
# TAP-like lines and ends with PSCI SYSTEM_OFF carrying its status).
#   AXVM=build/axvm tests/vm/arm64.sh
set -u
AXVM=${AXVM:-build/axvm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# arm64 NAME CONFIG WANT_STATUS TEXT [axvm args...]
arm64() {
	local name=$1 config=$2 want=$3 text=$4
	shift 4
	cp build/demo-disk-arm64.img "$tmp/disk.img"
	# shellcheck disable=SC2086 # WRAP is a command prefix: split into words on purpose
	timeout 300 ${WRAP:-} "$AXVM" run --accel tcg "$config" --backend "disk0=file:$tmp/disk.img" \
		--backend "uart1=file:$tmp/uart1.log" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local got=$?
	if [ "$got" -eq "$want" ] && grep -q -- "$text" "$tmp/$name.out"; then
		echo "PASS [tcg] $name"
	else
		echo "FAIL [tcg] $name: status $got (want $want), looking for '$text'"
		tail -n 30 "$tmp/$name.out" "$tmp/$name.err"
		fail=1
	fi
}

for gic in gicv2 gicv3; do
	config=configs/demo-arm64.toml
	[ "$gic" = gicv3 ] && config=configs/demo-arm64-gicv3.toml
	arm64 "arm64-demo-$gic" "$config" 0 "PASS: arm64 demo guest" --stats
	# the guest's interrupts really went through our GIC: SGIs on both vCPUs, the timer's
	# PPIs and device SPIs on the boot vCPU
	if ! grep -Eq "stats: vcpu0 gic acked_sgi=[1-9][0-9]* acked_ppi=[1-9][0-9]* acked_spi=[1-9]" \
		"$tmp/arm64-demo-$gic.err" ||
		! grep -Eq "stats: vcpu1 gic acked_sgi=[1-9]" "$tmp/arm64-demo-$gic.err"; then
		echo "FAIL [tcg] arm64-demo-$gic: --stats shows no SGI/PPI/SPI acknowledged at the GIC"
		grep "gic acked" "$tmp/arm64-demo-$gic.err"
		fail=1
	fi
	arm64 "arm64-hostile-$gic" "$config" 0 "HOSTILE: PASS" --cmdline "mode=hostile"
	# no memory error or leak in axvm's arm64 path (boot, device tree, PSCI, sysregs);
	# the flags as in run.sh: TCG rewrites host code, and a fair lock lets both vCPUs run
	if command -v valgrind >/dev/null 2>&1; then
		WRAP="valgrind --smc-check=all --fair-sched=yes --leak-check=full
			--show-leak-kinds=definite,indirect,possible
			--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99" \
			arm64 "arm64-valgrind-$gic" "$config" 0 "PASS: arm64 demo guest"
		grep -q "ERROR SUMMARY: 0 errors" "$tmp/arm64-valgrind-$gic.err" ||
			{ echo "FAIL [tcg] arm64-valgrind-$gic: no clean ERROR SUMMARY"; fail=1; }
	else
		echo "SKIP [tcg] arm64-valgrind-$gic: valgrind not installed (make test installs it)"
	fi
done

# An arm64 guest on this x86-64 host: KVM cannot run it (121, saying why); auto takes TCG.
"$AXVM" run --accel kvm configs/demo-arm64.toml >"$tmp/kvm.out" 2>"$tmp/kvm.err"
status=$?
if [ "$status" -eq 121 ] && grep -q "runs no arm64 guest" "$tmp/kvm.err"; then
	echo "PASS [kvm] arm64 guest refused: $(head -n 1 "$tmp/kvm.err")"
else
	echo "FAIL [kvm] arm64 guest: status $status (want 121 with the reason)"
	cat "$tmp/kvm.err"
	fail=1
fi
exit $fail
