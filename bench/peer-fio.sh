#!/usr/bin/env bash
# virtio-blk over vhost-user at queue depth, side by side: our device model
# (build/axvm vhost-user-blk) against qemu-storage-daemon (aio=io_uring), with
# the same unmodified Linux guest, the same QEMU command (microvm, TCG) and the
# same image; only the backend process differs. Debian's fio runs in the guest
# (tests/linux/init.sh, axtest=fio; the initramfs of tools/build-linux-fio.sh)
# on /dev/vda with direct=1, each job time-based for FIO_S seconds over the
# first FIO_MB MiB:
#   seq_write_1m_mib_s       1 MiB sequential writes, queue depth SEQ_QD
#   seq_read_1m_mib_s        the same, reading
#   rand_read_4k_qd1_iops    4 KiB random reads, queue depth 1
#   rand_read_4k_qd32_iops   the same at queue depth 32 (FIO_JOBS such jobs)
#   rand_write_4k_qd1_iops   4 KiB random writes, queue depth 1
#   rand_write_4k_qd32_iops  the same at queue depth 32
#   cpu_s_per_gib            backend utime+stime (/proc/PID/stat) over the two
#                            1 MiB jobs per GiB they moved
#   cpu_s_per_gib_4k         the same over the four 4 KiB jobs
# These supersede bench/peer-blk.sh's busybox dd lines (still runnable by hand).
# Each backend runs REPS times; the best run of each (median for CPU) counts.
# Prints: peer op=NAME axdevice=X qsd=Y ratio=R   (R > 1: ours is better)
#   REPS=3 FIO_S=5 FIO_MB=256 SEQ_QD=8 SMP=1 QUEUES=1 FIO_JOBS=1 bench/peer-fio.sh
# SMP: the guest's vCPUs; QUEUES: virtio-blk queues (num-queues= of QEMU and
# qemu-storage-daemon, axvm's --queues when above 1); FIO_JOBS: numjobs of the
# QD32 jobs (SMP of them put every vCPU, so every queue, to work).
# QSD_DIRECT=1: qemu-storage-daemon opens the image with O_DIRECT (cache.direct=on;
# default: through the host's page cache, as axvm's file backend does today).
# KEEP=1 keeps build/peer-fio.* (the guests' consoles, the backends' logs).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-3}
FIO_S=${FIO_S:-5}
FIO_MB=${FIO_MB:-256}
SEQ_QD=${SEQ_QD:-8}
SMP=${SMP:-1}
QUEUES=${QUEUES:-1}
FIO_JOBS=${FIO_JOBS:-1}
BACKENDS=${BACKENDS:-axdevice qsd}
for v in REPS FIO_S FIO_MB SEQ_QD SMP QUEUES FIO_JOBS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "peer-fio: $v must be a positive integer, not '${!v}'" >&2; exit 1; }
done
# a boot: /init in seconds, fio starting seven times, six jobs of FIO_S (the
# slack is for a loaded host; lib.sh's default of 180 s is for the tests)
QEMU_TIMEOUT=${QEMU_TIMEOUT:-$((180 + 6 * 2 * FIO_S))}
# shellcheck source=tests/linux/lib.sh
. tests/linux/lib.sh
LIB_SMP=$SMP
LIB_QUEUES=$QUEUES
LIB_QSD_AIO=io_uring
LIB_QSD_DIRECT=${QSD_DIRECT:-0}

mkdir -p build
WORK=$(mktemp -d build/peer-fio.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
	lib_cleanup
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

lib_require_fio_guest peer-fio
if [[ " $BACKENDS " == *" axdevice "* ]] && ! lib_axvm_has_vhost; then
	echo "peer-fio: $AXVM vhost-user-blk is not available" >&2
	exit 1
fi

# one image, fully allocated (zeros written), shared by every run
img=$WORK/disk.img
head -c $(((FIO_MB + 64) * 1048576)) /dev/zero >"$img"
sock=$WORK/blk.sock

SEQ_JOBS="seq_write_1m seq_read_1m"
RAND_JOBS="rand_read_4k_qd1 rand_read_4k_qd32 rand_write_4k_qd1 rand_write_4k_qd32"
OPS="seq_write_1m_mib_s seq_read_1m_mib_s rand_read_4k_qd1_iops rand_read_4k_qd32_iops
	rand_write_4k_qd1_iops rand_write_4k_qd32_iops cpu_s_per_gib cpu_s_per_gib_4k"
declare -A runs=() # "backend op" -> list of values, one per run
collect() { runs["$1 $2"]="${runs["$1 $2"]:-} $3"; }

# cpu_per_gib OUT JOBS...: backend seconds per GiB over those jobs
cpu_per_gib() {
	local out=$1 j ticks=0 kib=0
	shift
	for j in "$@"; do
		ticks=$((ticks + ${CPU_AT[fio_${j}_end]} - ${CPU_AT[fio_${j}_begin]}))
		kib=$((kib + $(lib_val "$out" "fio_${j}_kib")))
	done
	awk -v t="$ticks" -v hz="$CLK_TCK" -v k="$kib" 'BEGIN { printf "%.3f", (k > 0 ? (t / hz) / (k / 1048576) : 0) }'
}

engine=
for ((rep = 1; rep <= REPS; rep++)); do
	for b in $BACKENDS; do
		out=$WORK/$b.$rep.out
		lib_start_backend "$b" "$img" 0 "$sock" "$WORK/$b.log" ||
			{ echo "peer-fio: $b did not start" >&2; exit 1; }
		st=0
		lib_run_guest "$sock" "$out" "axtest=fio ax_fio_s=$FIO_S ax_fio_mb=$FIO_MB ax_fio_seqqd=$SEQ_QD ax_fio_jobs=$FIO_JOBS" || st=$?
		if [ "$st" != 0 ] || ! grep -qa '^AXTEST done' "$out" || grep -qa '^AXTEST error=' "$out"; then
			echo "peer-fio: $b run $rep failed (QEMU status $st)" >&2
			tail -n 30 "$out" >&2
			exit 1
		fi
		for j in $SEQ_JOBS $RAND_JOBS; do
			if [ -z "${CPU_AT[fio_${j}_begin]:-}" ] || [ -z "${CPU_AT[fio_${j}_end]:-}" ]; then
				echo "peer-fio: $b run $rep: no CPU sample around $j" >&2
				exit 1
			fi
		done
		lib_stop_backend || true
		v() { lib_val "$out" "$1"; }
		for j in $SEQ_JOBS; do
			collect "$b" "${j}_mib_s" "$(awk -v k="$(v "fio_${j}_kibps")" 'BEGIN { printf "%.1f", k / 1024 }')"
		done
		for j in $RAND_JOBS; do collect "$b" "${j}_iops" "$(v "fio_${j}_iops")"; done
		# shellcheck disable=SC2086 # word-split the job lists on purpose
		collect "$b" cpu_s_per_gib "$(cpu_per_gib "$out" $SEQ_JOBS)"
		# shellcheck disable=SC2086
		collect "$b" cpu_s_per_gib_4k "$(cpu_per_gib "$out" $RAND_JOBS)"
		engine=$(v fio_engine)
		echo "# run $rep $b: /init at $(v boot_uptime) s, $(v cpus) vCPUs, $(v vda_queues) vda queues," \
			"engine $engine, write cache $(v write_cache):$(for op in $OPS; do printf ' %s=%s' "$op" "${runs["$b $op"]##* }"; done)" >&2
	done
done

b1=${BACKENDS%% *}
b2=${BACKENDS##* }
for op in $OPS; do
	lib_peer_line "$op" "$b1" "${runs["$b1 $op"]}" "$b2" "${runs["$b2 $op"]}"
done
echo "# REPS=$REPS FIO_S=$FIO_S FIO_MB=$FIO_MB SEQ_QD=$SEQ_QD SMP=$SMP QUEUES=$QUEUES FIO_JOBS=$FIO_JOBS; fio $("$(command -v fio)" --version 2>/dev/null) ioengine=$engine, qsd aio=$LIB_QSD_AIO direct=$LIB_QSD_DIRECT; guest: $(head -n 1 "$LINUX_DIR/stamp")"
