#!/usr/bin/env bash
# Debian's unmodified arm64 Linux 6.1 (linux-image-cloud-arm64, fetched by
# tools/fetch-linux-arm64.sh) as an independent client of our Arm device
# models on axvm's software CPU: each config boots with
#   $AXVM run --accel tcg CONFIG --stats
# and the kernel's own log must show that it found and used our devices:
#   GICv2   "Root IRQ handler: gic_handle_irq" (the GIC driver probed our
#           distributor + CPU interface; arm64 panics "No interrupt controller
#           found" otherwise) and none of the GICv2 driver's complaints ("GIC
#           CPU mask not found", "GIC: PPI<n> is secure or misconfigured",
#           "... range is too small ...") and no "GICv3:" line. At EL1 Linux
#           6.1's GICv2 driver prints no banner of its own.
#   GICv3   "GICv3: 96 SPIs implemented" (our 128 interrupts), "Root IRQ
#           handler: gic_handle_irq", "GICv3: CPU0: found redistributor 0
#           region 0:0x00000000080a0000" (and CPU1's at 0x080c0000 with 2
#           vCPUs), none of its complaints ("... is secure or misconfigured",
#           "No redistributor present", "RWP timeout", "[Firmware Bug]")
#   timer   "arch_timer: cp15 timer(s) running at 62.50MHz (virt)." (our CNTFRQ)
#   PL011   "9000000.serial: ttyAMA0 at MMIO 0x9000000 (irq = 13, base_baud = 0)
#           is a PL011 rev3" (the device name follows the DT node's)
#   SMP     "smp: Brought up 1 node, 2 CPUs" (PSCI CPU_ON, SGIs through the GIC)
#   end     "Kernel panic - not syncing: VFS: Unable to mount root fs", then
#           axvm ends on the kernel's PSCI SYSTEM_RESET (its stderr says
#           "guest asked for a reset (PSCI SYSTEM_RESET)", status 123)
#   clean   no "BUG:", "Oops", "WARNING:", "Unable to handle kernel", "Internal
#           error", "rcu_sched self-detected stall", "rcu: INFO" line
# and axvm's --stats must show timer interrupts taken by vCPU 0: acked_ppi >=
# $MIN_PPI on its "axvm: stats: vcpu0 gic ... acked_ppi=N" line (or, from an
# axvm without that line, irqs_injected on "axvm: stats: vcpu0 tcg ...").
# Measured here: ~8.5 s to the VFS line with 2 vCPUs, 1100-1700 timer PPIs
# acknowledged by vCPU 0 by then (HZ=250, NO_HZ idle), so 300 is a floor
# that only a broken timer or GIC misses.
#
# Where the boot ends, and why there: the VM has no root device and no
# initrd, so the kernel panics at "VFS: Unable to mount root fs", and
# panic=-1 makes it reset at once through PSCI SYSTEM_RESET, which ends axvm.
# Going further would not help on this accelerator anyway: the software CPU
# does not deliver synchronous exceptions the guest raises itself (SVC, data
# and instruction aborts from EL0, ...; docs/tcg.md), so user space could not
# make a single system call.
#
# Prints one PASS/FAIL line per config (with the reason, the wall time from
# axvm's start to the VFS line and vCPU 0's acked PPIs) and exits non-zero on
# any FAIL. SKIP (exit 0) only when the kernel package cannot be fetched
# because Debian's archive is unreachable.
#
#   tests/linux-arm64/run.sh                      both configs
#   tests/linux-arm64/run.sh configs/linux-arm64.toml
#   AXVM=build/asan/axvm TIMEOUT=300 MIN_PPI=300 tests/linux-arm64/run.sh
#   KEEP=DIR tests/linux-arm64/run.sh             keep the logs in DIR
#   CPUS=1 tests/linux-arm64/run.sh               boot with 1 vCPU instead of 2
set -euo pipefail
cd "$(dirname "$0")/../.."

AXVM=${AXVM:-build/axvm}
TIMEOUT=${TIMEOUT:-120}
MIN_PPI=${MIN_PPI:-300}
# vCPUs: what each config says, unless CPUS=N asks for a copy of it with N
# (cpu_num and the GICv3 redistributor region changed); the SMP and
# redistributor checks follow it
CPUS=${CPUS:-}
if [ $# -gt 0 ]; then configs=("$@"); else configs=(configs/linux-arm64.toml configs/linux-arm64-gicv3.toml); fi

st=0
tools/fetch-linux-arm64.sh 2>build/fetch-linux-arm64.err || st=$?
if [ "$st" = 77 ]; then
	echo "SKIP linux-arm64 because the kernel could not be fetched: $(tail -n 1 build/fetch-linux-arm64.err)"
	exit 0
elif [ "$st" != 0 ]; then
	echo "FAIL linux-arm64 tools/fetch-linux-arm64.sh status $st: $(tail -n 1 build/fetch-linux-arm64.err)"
	exit 1
fi
[ -x "$AXVM" ] || { echo "FAIL linux-arm64 $AXVM not built (make $AXVM)"; exit 1; }

if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP"
	dir=$KEEP
else
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi

fails=0
for cfg in "${configs[@]}"; do
	case $cfg in
	*gicv3*) gic=gicv3 ;;
	*) gic=gicv2 ;;
	esac
	log=$dir/$gic.log # the guest's console, each line prefixed with the host time
	err=$dir/$gic.err # axvm's own messages and --stats
	why=()
	fail() { why+=("$*"); }
	if [ -n "$CPUS" ]; then
		run_cfg=$dir/$gic-${CPUS}cpu.toml
		sed -e "s/^cpu_num *=.*/cpu_num = $CPUS/" \
			-e "s/\\(\"gicr\", *[0-9a-fA-Fx_]*, *\\)[0-9a-fA-Fx_]*/\\1$((CPUS * 0x20000))/" "$cfg" >"$run_cfg"
		cpus=$CPUS
	else
		run_cfg=$cfg
		cpus=$(sed -n 's/^cpu_num *= *\([0-9]*\).*/\1/p' "$cfg")
	fi

	# Each console line is stamped as it arrives ($EPOCHREALTIME: no fork),
	# for the wall time to the VFS line. stdin is /dev/null: the PL011 gets
	# no input.
	start=$EPOCHREALTIME
	set +e
	timeout -k 10 "$TIMEOUT" "$AXVM" run --accel tcg "$run_cfg" --stats </dev/null 2>"$err" |
		while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"; done >"$log"
	status=${PIPESTATUS[0]}
	set -e
	end=$EPOCHREALTIME

	# the kernel's lines without the host stamps (files, not pipes: grep -q
	# would end a pipe early and pipefail fail it)
	con=$dir/$gic.console
	cut -d' ' -f2- "$log" >"$con"
	has() { grep -qF -- "$1" "$con"; }
	hasre() { grep -qE -- "$1" "$con"; }
	first() { grep -m1 -E -- "$1" "$con" || true; }

	# --- how it ended
	vfs=$(grep -m1 -F 'VFS: Unable to mount root fs' "$log" | cut -d' ' -f1 || true)
	if [ -z "$vfs" ]; then
		case $status in
		124 | 137) fail "no \"VFS: Unable to mount root fs\" within ${TIMEOUT}s" ;;
		*) fail "axvm ended with status $status before \"VFS: Unable to mount root fs\"" ;;
		esac
	else
		case $status in
		124 | 137) fail "axvm did not end after the panic (panic=-1: PSCI SYSTEM_RESET) within ${TIMEOUT}s" ;;
		120 | 121 | 122) fail "axvm status $status after the panic (want the reset to end it)" ;;
		*) grep -qF 'SYSTEM_RESET' "$err" ||
			fail "axvm (status $status) did not say it ended on the guest's PSCI SYSTEM_RESET" ;;
		esac
	fi

	# --- devices found
	has 'Root IRQ handler: gic_handle_irq' || fail "no \"Root IRQ handler: gic_handle_irq\" (GIC not probed)"
	if [ "$gic" = gicv2 ]; then
		! has 'GICv3:' || fail "a GICv3 line from the GICv2 config: $(first 'GICv3:')"
		bad=$(first 'GIC CPU mask not found|GIC: PPI[0-9]+ is secure|range is too small')
		[ -z "$bad" ] || fail "GICv2 driver: $bad"
	else
		has 'GICv3: 96 SPIs implemented' || fail "no \"GICv3: 96 SPIs implemented\""
		for ((c = 0; c < cpus; c++)); do
			want=$(printf 'GICv3: CPU%d: found redistributor %x region 0:0x%016x' "$c" "$c" $((0x080a0000 + c * 0x20000)))
			has "$want" || fail "no \"$want\""
		done
		bad=$(first 'GICv3: .*(secure or misconfigured|No redistributor present|RWP timeout|Firmware Bug|failed to|can.t SGI)')
		[ -z "$bad" ] || fail "GICv3 driver: $bad"
	fi
	has 'arch_timer: cp15 timer(s) running at 62.50MHz (virt)' ||
		fail "no \"arch_timer: cp15 timer(s) running at 62.50MHz (virt)\"$(first 'arch_timer:' | sed 's/^./, got: &/')"
	hasre 'ttyAMA0 at MMIO 0x9000000 \(irq = [0-9]+, base_baud = [0-9]+\) is a PL011' ||
		fail "no \"ttyAMA0 at MMIO 0x9000000 ... is a PL011\""
	if [ "$cpus" -gt 1 ]; then
		has "smp: Brought up 1 node, $cpus CPUs" ||
			fail "no \"smp: Brought up 1 node, $cpus CPUs\"$(first 'smp: Brought up|CPU[0-9]+: failed' | sed 's/^./, got: &/')"
	fi

	# --- nothing went wrong on the way
	bad=$(first 'BUG:|Oops|WARNING:|Unable to handle kernel|Internal error|self-detected stall|rcu: INFO')
	[ -z "$bad" ] || fail "kernel: $bad"
	other=$(grep -F 'Kernel panic' "$con" | grep -vF 'VFS: Unable to mount root fs' | head -n 1 || true)
	[ -z "$other" ] || fail "kernel: $other"

	# --- timer interrupts taken by vCPU 0
	ppi=$(sed -n 's/^axvm: stats: vcpu0 gic .*acked_ppi=\([0-9]*\).*/\1/p' "$err" | head -n 1)
	what=acked_ppi
	if [ -z "$ppi" ]; then # an axvm without the GIC's counters
		ppi=$(sed -n 's/^axvm: stats: vcpu0 tcg .*irqs_injected=\([0-9]*\).*/\1/p' "$err" | head -n 1)
		what=irqs_injected
	fi
	if [ -z "$ppi" ]; then
		fail "no \"axvm: stats: vcpu0 gic ... acked_ppi=N\" (or tcg irqs_injected) line"
		ppi=none
	elif [ "$ppi" -lt "$MIN_PPI" ]; then
		fail "vcpu0 $what=$ppi < $MIN_PPI"
	fi

	if [ -n "$vfs" ]; then
		t=$(awk -v a="$start" -v b="$vfs" 'BEGIN { printf "%.1f", b - a }')
	else
		t=-
	fi
	ktime=$(sed -n 's/^\[ *\([0-9.]*\)\] Kernel panic - not syncing: VFS: Unable to mount root fs.*/\1/p' "$con" | head -n 1)
	info="vfs_s=$t kernel_vfs_s=${ktime:--} vcpu0_$what=$ppi status=$status total_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
	if [ ${#why[@]} -eq 0 ]; then
		echo "PASS linux-arm64 [$gic] $cfg cpus=$cpus $info"
	else
		fails=$((fails + 1))
		echo "FAIL linux-arm64 [$gic] $cfg cpus=$cpus $info: $(printf '%s; ' "${why[@]}" | sed 's/; $//')"
		echo "  last console lines ($con):"
		tail -n 8 "$con" | sed 's/^/    /'
		echo "  axvm's stderr ($err):"
		grep -v '^axvm: stats: device\|^axvm: stats: backend' "$err" | tail -n 12 | sed 's/^/    /'
	fi
done
[ "$fails" -eq 0 ]
