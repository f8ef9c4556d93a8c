#!/usr/bin/env bash
# End-to-end tests of axvm with the demo guests and the 64-bit test kernels,
# once per accelerator this machine has: always on TCG (the software CPU),
# and on KVM too where /dev/kvm works. Results are tagged [tcg] or [kvm].
#   AXVM=build/axvm tests/vm/run.sh            every accelerator here
#   AXVM=build/axvm ACCELS=tcg tests/vm/run.sh just one
set -u
AXVM=${AXVM:-build/axvm}
WRAP=${WRAP:-}            # e.g. "valgrind --leak-check=full --error-exitcode=99"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh


# run NAME EXPECTED_STATUS EXPECTED_TEXT [axvm args...]: boots the demo guest
run() {
	local name=$1 want=$2 text=$3
	shift 3
	cp build/demo-disk.img "$tmp/disk.img"
	# shellcheck disable=SC2086 # WRAP is a command prefix: split into words on purpose
	timeout 120 $WRAP "$AXVM" run --accel "$ACCEL" configs/demo.toml --backend "disk0=file:$tmp/disk.img" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	local got=$?
	if [ "$got" -eq "$want" ] && grep -q -- "$text" "$tmp/$name.out" "$tmp/$name.err"; then
		echo "PASS [$ACCEL] $name"
	else
		echo "FAIL [$ACCEL] $name: status $got (want $want), looking for '$text'"
		tail -n 30 "$tmp/$name.out" "$tmp/$name.err"
		fail=1
	fi
}

# suite: every check below, on $ACCEL
suite() {
	run demo 0 "PASS: demo guest" --stats
	# --stats names the accelerator; on KVM it also prints KVM's own counters for
	# the vCPU (KVM_GET_STATS_FD)
	if [ "$ACCEL" = kvm ]; then
		grep -q "stats: vcpu0 kvm .* exits=[1-9]" "$tmp/demo.err" ||
			{ echo "FAIL [kvm] demo: no KVM vCPU counters in --stats"; fail=1; }
	fi
	grep -q "stats: accel=$ACCEL" "$tmp/demo.err" ||
		{ echo "FAIL [$ACCEL] demo: --stats does not name the accelerator"; fail=1; }

	# --profile: RIP samples that fold into the guest's own functions
	run demo-profiled 0 "PASS: demo guest" --profile "$tmp/demo.prof"
	nm -n build/guest/demo-guest.elf >"$tmp/demo.map"
	samples=$(sed -n 's/^# samples \([0-9]*\).*/\1/p' "$tmp/demo.prof")
	hottest=$(tools/profile-symbols.sh "$tmp/demo.prof" "$tmp/demo.map" 1 | awk 'NR == 1 { print $3 }')
	if [ "${samples:-0}" -ge 20 ] && grep -q " [tT] $hottest\$" "$tmp/demo.map"; then
		echo "PASS [$ACCEL] profile: $samples samples, hottest function $hottest"
	else
		echo "FAIL [$ACCEL] profile: ${samples:-no} samples, hottest '$hottest'"
		head -n 5 "$tmp/demo.prof"
		fail=1
	fi
	run hostile 0 "HOSTILE: PASS" --cmdline "mode=hostile"
	grep -q "guest protocol error" "$tmp/hostile.err" ||
		{ echo "FAIL [$ACCEL] hostile: no protocol error was logged"; fail=1; }

	# SIGTERM during a run: clean shutdown, status 128 + 15, reason printed
	cp build/demo-disk.img "$tmp/disk.img"
	"$AXVM" run --accel "$ACCEL" configs/demo.toml --backend "disk0=file:$tmp/disk.img" \
		--cmdline "mode=bench target=uartport count=4000000000" >"$tmp/term.out" 2>"$tmp/term.err" &
	pid=$!
	sleep 2
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	if [ "$status" -eq 143 ] && grep -q "stopped by SIGTERM" "$tmp/term.err"; then
		echo "PASS [$ACCEL] sigterm"
	else
		echo "FAIL [$ACCEL] sigterm: status $status"
		cat "$tmp/term.err"
		fail=1
	fi

	# Stopped by GNU timeout, which sends SIGTERM to the child and then to its
	# process group: one request, a clean stop with the counters printed (a
	# 25-minute Linux boot once lost its statistics to the second signal).
	cp build/demo-disk.img "$tmp/disk.img"
	timeout -s TERM 2 "$AXVM" run --accel "$ACCEL" configs/demo.toml --backend "disk0=file:$tmp/disk.img" --stats \
		--cmdline "mode=bench target=uartport count=4000000000" >"$tmp/term2.out" 2>"$tmp/term2.err"
	status=$?
	if [ "$status" -eq 124 ] && grep -q "stopped by SIGTERM" "$tmp/term2.err" &&
		grep -q "stats: vcpu0 exits=" "$tmp/term2.err"; then
		echo "PASS [$ACCEL] timeout: one clean stop, counters printed"
	else
		echo "FAIL [$ACCEL] timeout: status $status (want timeout's 124)"
		cat "$tmp/term2.err"
		fail=1
	fi

	# The default demo once more under valgrind's memcheck: no error and no leak
	# (definite, indirect or possible) in axvm. Installs valgrind if root can.
	valgrind_ready() {
		command -v valgrind >/dev/null 2>&1 && return 0
		[ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
		echo "installing valgrind (apt-get)"
		apt-get update -qq >/dev/null 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null 2>&1 &&
			command -v valgrind >/dev/null 2>&1
	}
	if valgrind_ready; then
		supp=
		[ -f tests/vm/valgrind.supp ] && supp=--suppressions=tests/vm/valgrind.supp
		# --smc-check=all: TCG writes and rewrites host code. --fair-sched=yes:
		# valgrind runs one thread at a time, and its default lock let the boot
		# vCPU's spinning thread take it back again and again: the AP's thread
		# starved for over 10 s (its start and the IPI checks failed 3 runs of 3)
		WRAP="valgrind --smc-check=all --fair-sched=yes --leak-check=full --show-leak-kinds=definite,indirect,possible
			--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 $supp" \
			run valgrind 0 "PASS: demo guest" --stats
		grep -q "ERROR SUMMARY: 0 errors" "$tmp/valgrind.err" ||
			{ echo "FAIL [$ACCEL] valgrind: no clean ERROR SUMMARY"; fail=1; }
	else
		echo "SKIP [$ACCEL] valgrind: not installed, and apt-get could not install it"
	fi

	AXVM=$AXVM ACCEL=$ACCEL tests/vm/acpi-s5.sh || fail=1
	AXVM=$AXVM ACCEL=$ACCEL tests/vm/crash.sh || fail=1
	AXVM=$AXVM ACCEL=$ACCEL tests/vm/net.sh || fail=1
}

accels=${ACCELS:-$(vm_accels)}
echo "# accelerators: $(tr "\n" " " <<<"$accels")"
for ACCEL in $accels; do
	suite
done
if ! grep -qx kvm <<<"$accels"; then
	echo "SKIP [kvm] demo, hostile, sigterm, timeout, valgrind, acpi-s5, crash, net: /dev/kvm not available (all ran on tcg)"
fi
# Without KVM, --accel kvm says so (121) before the kernel is read (120): kvm_usable's
# probe relies on that order. /dev/kvm is hidden by a bind mount in a mount namespace
# (where there is no /dev/kvm the mount fails and the check holds all the same).
cat >"$tmp/probe.toml" <<'TOML'
[base]
cpu_num = 1
[kernel]
kernel_path = "/nonexistent/axvm-order-probe"
memory_regions = [[0x0, 0x200000, 0x7, 0]]
[devices]
emu_devices = []
TOML
if unshare -m true 2>/dev/null; then
	unshare -m sh -c "mount --bind /dev/null /dev/kvm 2>/dev/null; \"$AXVM\" run --accel kvm \"$tmp/probe.toml\"" >"$tmp/order.out" 2>&1
	st_kvm=$?
	"$AXVM" run --accel tcg "$tmp/probe.toml" >"$tmp/order-tcg.out" 2>&1
	st_tcg=$?
	if [ "$st_kvm" -eq 121 ] && [ "$st_tcg" -eq 120 ]; then
		echo "PASS accel order: no KVM is 121 before an unreadable kernel's 120"
	else
		echo "FAIL accel order: --accel kvm without KVM gave $st_kvm (want 121), tcg $st_tcg (want 120)"
		cat "$tmp/order.out" "$tmp/order-tcg.out"
		fail=1
	fi
else
	echo "SKIP accel order: no mount namespaces here (unshare -m refused) to hide /dev/kvm"
fi

# arm64 guests: the Arm demo guest on TCG (KVM here runs x86-64 guests only)
AXVM=$AXVM tests/vm/arm64.sh || fail=1
# axvm's handling of KVM emulation failures (SKIP without KVM)
AXVM=$AXVM tests/vm/bp.sh || fail=1
AXVM=$AXVM tests/vm/insn.sh || fail=1
exit $fail
