#!/usr/bin/env bash
# Debian's arm64 Linux 6.1 booted on a software CPU, side by side with QEMU's
# own TCG: the wall time from starting the VMM to the kernel's "VFS: Unable
# to mount root fs" line (the end of a boot without a root device), under
#   axvm --accel tcg  configs/linux-arm64.toml (Unicorn; libaxdevice's GICv2,
#                     generic timer and PL011)
#   qemu-system-aarch64 -M virt,gic-version=2 -cpu cortex-a57 -accel tcg
#                     (QEMU's own devices), same vCPUs, RAM and cmdline
# each killed at that line. The same kernel (tools/fetch-linux-arm64.sh),
# REPS runs of each, interleaved so both see the same machine load; medians.
# Target: ratio <= 1.0 (axvm no slower than QEMU to the same point).
#   REPS=3 bench/peer-linux-arm64.sh
#   CPUS=1 bench/peer-linux-arm64.sh     both with 1 vCPU (a copy of the config)
# Prints:
#   peer op=linux_arm64_boot_to_vfs_s axvm=X qemu=Y ratio=R     (R = X/Y)
# and a comment line with every run's time.
set -euo pipefail
cd "$(dirname "$0")/.."
AXVM=${AXVM:-build/axvm}
QEMU=${QEMU:-qemu-system-aarch64}
CONFIG=${CONFIG:-configs/linux-arm64.toml}
REPS=${REPS:-3}
TIMEOUT=${TIMEOUT:-300}
CPUS=${CPUS:-}

tools/fetch-linux-arm64.sh >&2 || { echo "peer-linux-arm64: tools/fetch-linux-arm64.sh failed" >&2; exit 1; }
command -v "$QEMU" >/dev/null 2>&1 || tools/install-deps.sh qemu-system-arm >&2
[ -x "$AXVM" ] || { echo "peer-linux-arm64: $AXVM not built (make $AXVM)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$CPUS" ]; then
	sed "s/^cpu_num *=.*/cpu_num = $CPUS/" "$CONFIG" >"$tmp/config.toml"
	CONFIG=$tmp/config.toml
fi

# QEMU gets what the config gives axvm: vCPUs, RAM (its one region) and cmdline
cpus=$(sed -n 's/^cpu_num *= *\([0-9]*\).*/\1/p' "$CONFIG")
cmdline=$(sed -n 's/^cmdline *= *"\(.*\)"[^"]*$/\1/p' "$CONFIG")
mem_bytes=$(sed -n 's/^memory_regions *= *\[\[ *[0-9a-fA-Fx_]*, *\([0-9a-fA-Fx_]*\),.*/\1/p' "$CONFIG" | tr -d _)
if [ -z "$cpus" ] || [ -z "$cmdline" ] || [ -z "$mem_bytes" ]; then
	echo "peer-linux-arm64: cannot read cpu_num, cmdline or memory_regions from $CONFIG" >&2
	exit 1
fi
mem_mib=$((mem_bytes >> 20))

# to_vfs NAME CMD...: seconds from starting CMD to its VFS line on stdout;
# CMD (under timeout, which passes our SIGTERM on) is killed at that line
to_vfs() {
	local name=$1 start t='' line pid
	shift
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	start=$EPOCHREALTIME
	timeout "$TIMEOUT" "$@" </dev/null >"$tmp/fifo" 2>"$tmp/$name.err" &
	pid=$!
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$tmp/$name.out"
		case $line in *"VFS: Unable to mount root fs"*)
			t=$EPOCHREALTIME
			break
			;;
		esac
	done <"$tmp/fifo"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -z "$t" ]; then
		echo "peer-linux-arm64: $name: no \"VFS: Unable to mount root fs\" within ${TIMEOUT}s" >&2
		tail -n 15 "$tmp/$name.out" "$tmp/$name.err" >&2
		return 1
	fi
	awk -v a="$start" -v b="$t" 'BEGIN { printf "%.2f\n", b - a }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ax=() qe=()
for _ in $(seq "$REPS"); do
	rm -f "$tmp"/*.out
	ax+=("$(to_vfs axvm "$AXVM" run --accel tcg "$CONFIG")") || exit 1
	qe+=("$(to_vfs qemu "$QEMU" -M virt,gic-version=2 -cpu cortex-a57 -accel tcg -smp "$cpus" \
		-m "$mem_mib" -nographic -no-reboot -kernel build/linux-arm64/Image -append "$cmdline")") || exit 1
done
x=$(printf '%s\n' "${ax[@]}" | median)
y=$(printf '%s\n' "${qe[@]}" | median)
echo "peer op=linux_arm64_boot_to_vfs_s axvm=$x qemu=$y ratio=$(awk -v x="$x" -v y="$y" 'BEGIN { printf "%.2f", x / y }')"
echo "# $(cat build/linux-arm64/VERSION), $cpus vCPUs, $mem_mib MiB, medians of $REPS interleaved runs: axvm ${ax[*]} s; QEMU TCG ${qe[*]} s"
