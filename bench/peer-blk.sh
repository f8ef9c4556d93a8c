#!/usr/bin/env bash
# virtio-blk over vhost-user, side by side: our device model
# (build/axvm vhost-user-blk) against qemu-storage-daemon, with the same
# unmodified Linux guest, the same QEMU command (microvm, TCG) and the same
# image; only the backend process differs. Measured in the guest
# (tests/linux/init.sh, axtest=bench, timing from /proc/timer_list):
#   seq_write_mib_s    O_DIRECT dd, 1 MiB blocks, MB MiB
#   seq_read_mib_s     the same, reading
#   read_4k_qd1_iops   one O_DIRECT dd of SEQ4K 4 KiB blocks: one request each
#   rand_read_4k_iops  RAND 4 KiB O_DIRECT reads at random offsets, one busybox
#                      dd each: fork+exec of dd under TCG (milliseconds) is in
#                      every read, so this mostly measures the guest)
#   cpu_s_per_gib      backend utime+stime over the two sequential passes
# Each backend runs REPS times; the best run of each (median for CPU) counts.
# Prints: peer op=NAME axdevice=X qsd=Y ratio=R   (R > 1: ours is better)
#   MB=512 RAND=1000 SEQ4K=8192 REPS=3 bench/peer-blk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh

MB=${MB:-512}
RAND=${RAND:-1000}
SEQ4K=${SEQ4K:-8192}
REPS=${REPS:-3}
BACKENDS=${BACKENDS:-axdevice qsd}

mkdir -p build
WORK=$(mktemp -d build/peer-blk.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	lib_cleanup
	rm -rf "$WORK"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

lib_require_guest peer-blk
if [[ " $BACKENDS " == *" axdevice "* ]] && ! lib_axvm_has_vhost; then
	echo "peer-blk: $AXVM vhost-user-blk is not available" >&2
	exit 1
fi

# one image, fully allocated, shared by every run (the guest overwrites
# the first MB MiB with zeros, so each run sees the same content)
img=$WORK/disk.img
head -c $(((MB + 64) * 1048576)) /dev/zero >"$img"
sock=$WORK/blk.sock

declare -A best=() # "backend op" -> list of values, one per run
collect() { best["$1 $2"]="${best["$1 $2"]:-} $3"; }

for ((rep = 1; rep <= REPS; rep++)); do
	for b in $BACKENDS; do
		out=$WORK/$b.$rep.out
		lib_start_backend "$b" "$img" 0 "$sock" "$WORK/$b.log" ||
			{ echo "peer-blk: $b did not start" >&2; exit 1; }
		st=0
		lib_run_guest "$sock" "$out" "axtest=bench ax_mb=$MB ax_rand=$RAND ax_seq4k=$SEQ4K" || st=$?
		if [ "$st" != 0 ] || ! grep -qa '^AXTEST done' "$out" || grep -qa '^AXTEST error=' "$out"; then
			echo "peer-blk: $b run $rep failed (QEMU status $st)" >&2
			tail -n 30 "$out" >&2
			exit 1
		fi
		ticks=$((CPU_AT[seq_end] - CPU_AT[seq_begin]))
		lib_stop_backend || true
		v() { lib_val "$out" "$1"; }
		collect "$b" seq_write_mib_s "$(awk -v m="$MB" -v n="$(v seqwrite_ns)" 'BEGIN { printf "%.1f", m / (n / 1e9) }')"
		collect "$b" seq_read_mib_s "$(awk -v m="$MB" -v n="$(v seqread_ns)" 'BEGIN { printf "%.1f", m / (n / 1e9) }')"
		collect "$b" read_4k_qd1_iops "$(awk -v c="$SEQ4K" -v n="$(v seq4k_ns)" 'BEGIN { printf "%.0f", c / (n / 1e9) }')"
		collect "$b" rand_read_4k_iops "$(awk -v c="$RAND" -v n="$(v rand4k_ns)" 'BEGIN { printf "%.0f", c / (n / 1e9) }')"
		collect "$b" cpu_s_per_gib "$(awk -v t="$ticks" -v hz="$CLK_TCK" -v m="$MB" 'BEGIN { printf "%.3f", (t / hz) / (2 * m / 1024) }')"
		echo "# run $rep $b: /init at $(v boot_uptime) s, backend $ticks ticks over $((2 * MB)) MiB" >&2
	done
done

b1=${BACKENDS%% *}
b2=${BACKENDS##* }
for op in seq_write_mib_s seq_read_mib_s read_4k_qd1_iops rand_read_4k_iops cpu_s_per_gib; do
	lib_peer_line "$op" "$b1" "${best["$b1 $op"]}" "$b2" "${best["$b2 $op"]}"
done
echo "# MB=$MB RAND=$RAND SEQ4K=$SEQ4K REPS=$REPS; guest: $(head -n 1 "$LINUX_DIR/stamp")"
