#!/bin/sh
# shellcheck disable=SC3028 # busybox ash has $RANDOM, which POSIX sh lacks
# /init of the Linux test guest (busybox-static ash; tools/build-linux-guest.sh
# copies it into the initramfs). It loads the virtio modules, waits for
# /dev/vda, runs the test named by `axtest=` on the kernel command line and
# prints machine-readable lines the host reads from the serial console:
#   AXTEST key=value         a result
#   AXTEST done              the test ran to its end
# then powers off (ACPI S5: QEMU started with -no-reboot exits; axvm, whose
# config has an acpi-sleep device, stops with status 0).
# After the test, where the machine has a virtio console (/dev/hvc0), a line
# "AXHVC0 hello from /dev/hvc0" goes to it (AXTEST hvc0=written; absent
# without the device, as under QEMU).
#
# Tests (disk layout shared with tests/linux/run.sh, bench/peer-blk.sh and
# bench/peer-fio.sh):
#   rw      md5 of the whole disk; 1 MiB "AXDIRECT\n"... at 1 MiB written with
#           O_DIRECT; 1 MiB "AXBUFFER\n"... at 2 MiB written buffered + fsync
#           (FLUSH); both read back with O_DIRECT; 4 MiB at 4 MiB discarded
#   ro      md5 of the whole disk; a write must be refused
#   reboot  first boot writes marker AXREBOOT1 at 3 MiB and reboots; the second
#           boot finds it, writes AXREBOOT2 there and powers off
#   bench   O_DIRECT sequential write and read with 1 MiB blocks, 4 KiB reads
#           (sequential QD1 in one dd, and random offsets one dd each)
#   fio     Debian's fio on /dev/vda (direct=1; the initramfs-fio.gz of
#           tools/build-linux-fio.sh): 1 MiB sequential write and read, 4 KiB
#           random read and write at QD1 and QD32, each job time-based in a
#           fio of its own between "AXTEST phase=fio_JOB_begin/_end" lines;
#           ioengine io_uring where this kernel takes it, else libaio
#           (AXTEST fio_engine=); per job AXTEST fio_JOB_{kib,kibps,iops,ms}=
#           from fio's terse (--minimal, version 3) line
#   net     virtio-net, no disk (tests/linux/net.sh, bench/peer-net.sh): loads
#           /lib/modules/order-net too, configures eth0 from the kernel's
#           ip=ADDR::GW:MASK::eth0:off and runs the steps the host drives
#           (tests/linux/net-lib.sh describes the exchange)
# Parameters: ax_mb=N (bench MiB, default 256; net: MiB each way), ax_rand=N
#             (random reads, 1000), ax_seq4k=N (sequential 4 KiB reads, 8192),
#             ax_net=test|bench (net: md5-checked transfers and every check, or
#             the timed streams only), ax_fio_s=N (fio: seconds per job, 5),
#             ax_fio_mb=N (fio: MiB of the disk the jobs cover, 256),
#             ax_fio_seqqd=N (fio: queue depth of the 1 MiB jobs, 8),
#             ax_fio_jobs=N (fio: numjobs of the QD32 jobs, 1).

export PATH=/bin
mount -t proc proc /proc
read -r up _ </proc/uptime
echo "AXTEST boot_uptime=$up"
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

fail() {
	echo "AXTEST error=$*"
	echo "AXTEST done"
	poweroff -f
	sleep 10
}

# kernel command line: axtest=NAME and ax_*=N
axtest='' ax_mb=256 ax_rand=1000 ax_seq4k=8192 ax_net=test ax_ip=''
ax_fio_s=5 ax_fio_mb=256 ax_fio_seqqd=8 ax_fio_jobs=1
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	axtest=* | ax_mb=* | ax_rand=* | ax_seq4k=* | ax_net=*) eval "${arg%%=*}=\${arg#*=}" ;;
	ip=*) ax_ip=${arg#ip=} ;;
	ax_fio_s=* | ax_fio_mb=* | ax_fio_seqqd=* | ax_fio_jobs=*) eval "${arg%%=*}=\${arg#*=}" ;;
	esac
done

while read -r m; do
	insmod "/lib/modules/$m.ko" || fail "insmod_$m"
done </lib/modules/order

# nanoseconds since boot (the "now at N nsecs" of /proc/timer_list)
now_ns() { sed -n 's/^now at \([0-9]*\) nsecs$/\1/p' /proc/timer_list | head -n 1; }

# --- net: virtio-net, driven by the host over the network --------------------
# The host listens on the gateway address: port 5000 answers one word per
# step ("go", or "full"/"short"/"reboot"/"done"), 5001 takes the guest->host
# stream, 5002 sends the host->guest stream. Before each step the guest prints
# "AXTEST phase=NAME" and asks port 5000 until the host answers.
net_hold=/tmp/hold # a FIFO opened read-write: a stdin for nc that never ends
# (busybox nc half-closes its socket at the end of its stdin, and the sending
# side ends at that)

# wait_host NAME: the host's word for step NAME in $reply
wait_host() {
	echo "AXTEST phase=$1"
	reply='' i=0
	while [ $i -lt 1500 ]; do
		reply=$(nc "$ax_gw" 5000 <>$net_hold 2>/dev/null) || reply=''
		[ -n "$reply" ] && return 0
		i=$((i + 1))
		sleep 0.2
	done
	fail "host_silent_at_$1"
}

# sysfs value of eth0
netv() { cat "/sys/class/net/eth0/$1" 2>/dev/null || echo none; }

net_counters() { # PREFIX: eth0's statistics as AXTEST lines
	for c in rx_packets rx_bytes rx_dropped rx_errors tx_packets tx_bytes tx_dropped tx_errors; do
		echo "AXTEST $1_$c=$(netv "statistics/$c")"
	done
}

# wait_carrier 0|1 SECONDS: poll /sys/class/net/eth0/carrier every 50 ms
wait_carrier() {
	i=0
	while [ $i -lt $(($2 * 20)) ]; do
		[ "$(netv carrier)" = "$1" ] && return 0
		i=$((i + 1))
		sleep 0.05
	done
	return 1
}

net_ping() { # NAME: 3 pings of the host
	if ping -c 3 -W 3 "$ax_gw" >/tmp/ping.out 2>&1; then
		echo "AXTEST $1=ok"
	else
		echo "AXTEST $1=failed $(tail -n 1 /tmp/ping.out)"
	fi
}

# nc_dd NAME DD-ARGS...: a program for nc -e that runs dd with 64 KiB blocks on
# the socket (busybox nc copies 1 KiB at a time itself: with those writes the
# guest's TCP never builds a segment above the MTU, and the syscalls dominate)
nc_dd() {
	f=/tmp/$1
	shift
	printf '#!/bin/sh\nexec dd bs=64k %s 2>%s.err\n' "$*" "$f" >"$f"
	chmod 755 "$f"
}

# send_stream NAME FILE: FILE to the host's port 5001, timed
send_stream() {
	nc_dd send "if=$2"
	echo "AXTEST phase=$1_begin"
	t0=$(now_ns)
	nc "$ax_gw" 5001 -e /tmp/send || echo "AXTEST error=$1_nc"
	t1=$(now_ns)
	echo "AXTEST phase=$1_end"
	echo "AXTEST $1_ns=$((t1 - t0))"
}

# recv_stream NAME FILE: the host's port 5002 into FILE, timed
recv_stream() {
	nc_dd recv "of=$2" iflag=fullblock
	echo "AXTEST phase=$1_begin"
	t0=$(now_ns)
	nc "$ax_gw" 5002 -e /tmp/recv || echo "AXTEST error=$1_nc"
	t1=$(now_ns)
	echo "AXTEST phase=$1_end"
	echo "AXTEST $1_ns=$((t1 - t0))"
	# whole 64 KiB blocks + a last partial one ("N+1 records in"), or the file
	if [ -f "$2" ]; then
		echo "AXTEST $1_bytes=$(wc -c <"$2")"
	else
		n=$(sed -n 's/^\([0-9]*\)+0 records in$/\1/p' /tmp/recv.err)
		echo "AXTEST $1_bytes=${n:+$((n * 65536))}"
	fi
}

test_net() {
	mkfifo $net_hold
	while read -r m; do
		insmod "/lib/modules/$m.ko" || fail "insmod_$m"
	done </lib/modules/order-net
	# ip=ADDR::GW:MASK::IFACE:off (the kernel's own syntax; this kernel has no
	# IP autoconfiguration and virtio_net is a module, so /init applies it)
	old_ifs=$IFS
	IFS=:
	# shellcheck disable=SC2086 # split on ':' on purpose
	set -- $ax_ip
	IFS=$old_ifs
	ax_addr=$1 ax_gw=$3 ax_mask=$4
	if [ -z "$ax_addr" ] || [ -z "$ax_gw" ] || [ -z "$ax_mask" ]; then fail no_ip_on_cmdline; fi
	i=0
	while [ ! -e /sys/class/net/eth0 ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail no_eth0
		sleep 0.1
	done
	read -r up _ </proc/uptime
	echo "AXTEST eth0_uptime=$up"
	dev=$(basename "$(readlink /sys/class/net/eth0/device)")
	echo "AXTEST virtio_dev=$dev"
	# the negotiated virtio feature bits, bit 0 first (virtio 1.2 §5.1.3)
	echo "AXTEST features=$(cat "/sys/bus/virtio/devices/$dev/features")"
	echo "AXTEST driver=$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
	echo "AXTEST mac=$(netv address)"
	echo "AXTEST mtu=$(netv mtu)"
	ip link set lo up
	ifconfig eth0 "$ax_addr" netmask "$ax_mask" up || fail ifconfig
	if wait_carrier 1 10; then
		echo "AXTEST link=up"
	else
		echo "AXTEST link=no_carrier"
	fi
	# operstate follows the carrier through the kernel's linkwatch (up to 1 s)
	i=0
	while [ "$(netv operstate)" != up ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	echo "AXTEST operstate=$(netv operstate)"
	echo "AXTEST speed=$(netv speed) duplex=$(netv duplex)"
	net_ping ping_host
	wait_host start
	kind=$reply
	echo "AXTEST boot_kind=$kind"
	wait_host ping_me # the host pings the guest before it answers
	mb=$ax_mb
	[ "$kind" = short ] && mb=4
	if [ "$ax_net" = bench ]; then
		# zeros from a file in RAM: the guest's own cost stays the same for
		# every backend (no pipe, no /dev/urandom)
		dd if=/dev/zero of=/tmp/g2h bs=1M count="$mb" 2>/dev/null || fail g2h_file
	else
		dd if=/dev/urandom of=/tmp/g2h bs=1M count="$mb" 2>/dev/null || fail g2h_file
		echo "AXTEST g2h_md5=$(md5sum </tmp/g2h | cut -d' ' -f1)"
	fi
	echo "AXTEST g2h_mb=$mb"
	net_counters before
	wait_host g2h
	send_stream g2h /tmp/g2h
	rm -f /tmp/g2h
	net_counters mid
	wait_host h2g
	if [ "$ax_net" = bench ]; then
		recv_stream h2g /dev/null
	else
		recv_stream h2g /tmp/h2g
		echo "AXTEST h2g_md5=$(md5sum </tmp/h2g | cut -d' ' -f1)"
		rm -f /tmp/h2g
	fi
	net_counters after
	if [ "$kind" = full ] && [ "$ax_net" != bench ]; then
		# the host takes the link down and up again (QEMU's set_link, or the
		# backend's own knob): the guest sees carrier and operstate follow
		wait_host link
		if wait_carrier 0 60; then
			echo "AXTEST link_down=seen operstate=$(netv operstate)"
			if wait_carrier 1 60; then
				sleep 1.5
				echo "AXTEST link_up=seen operstate=$(netv operstate)"
			else
				echo "AXTEST link_up=timeout"
			fi
		else
			echo "AXTEST link_down=timeout"
		fi
		echo "AXTEST carrier_changes=$(netv carrier_changes)"
		net_ping ping_after_link
	fi
	wait_host end
	echo "AXTEST end=$reply"
	if [ "$reply" = reboot ]; then
		reboot -f
		sleep 10
		fail reboot_returned
	fi
}

if [ "$axtest" = net ]; then
	test_net
	read -r up _ </proc/uptime
	echo "AXTEST end_uptime=$up"
	echo "AXTEST done"
	poweroff -f
	sleep 10
fi

i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail no_vda
	sleep 0.1
done
read -r up _ </proc/uptime
echo "AXTEST vda_uptime=$up"
echo "AXTEST size_bytes=$(blockdev --getsize64 /dev/vda)"
echo "AXTEST ro=$(cat /sys/block/vda/ro)"
echo "AXTEST write_cache=$(tr ' ' _ </sys/block/vda/queue/write_cache)"
echo "AXTEST discard_max_bytes=$(cat /sys/block/vda/queue/discard_max_bytes)"
echo "AXTEST hw_queues=$(find /sys/block/vda/mq -mindepth 1 -maxdepth 1 | wc -l)" # one per virtqueue

# md5 of 1 MiB of the disk at MiB offset $1, read with O_DIRECT
md5_mib() { dd if=/dev/vda bs=1M skip="$1" count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1; }

disk_md5() { echo "AXTEST md5=$(md5sum </dev/vda | cut -d' ' -f1)"; }

test_rw() {
	disk_md5
	# A device that offers VIRTIO_BLK_F_CONFIG_WCE may start in write-through
	# mode (qemu-storage-daemon does): then Linux sends no FLUSH. Ask for
	# write-back through virtio_blk's cache_type (a config-space write).
	wc=$(tr ' ' _ </sys/block/vda/queue/write_cache)
	if [ "$wc" = write_through ] && [ -w /sys/block/vda/cache_type ]; then
		echo "write back" >/sys/block/vda/cache_type 2>/dev/null || true
		echo "AXTEST write_cache_set=$(tr ' ' _ </sys/block/vda/queue/write_cache)"
	fi
	if yes AXDIRECT | head -c 1048576 |
		dd of=/dev/vda bs=1M seek=1 count=1 iflag=fullblock oflag=direct 2>/dev/null; then
		echo "AXTEST write_direct=ok"
	else
		echo "AXTEST write_direct=failed"
	fi
	# buffered: the page cache, then fsync = writeback + a FLUSH request
	if yes AXBUFFER | head -c 1048576 |
		dd of=/dev/vda bs=64k seek=32 count=16 iflag=fullblock conv=fsync 2>/dev/null; then
		echo "AXTEST write_buffered=ok"
	else
		echo "AXTEST write_buffered=failed"
	fi
	echo "AXTEST readback_direct=$(md5_mib 1)"
	echo "AXTEST readback_buffered=$(md5_mib 2)"
	if blkdiscard -o 4194304 -l 4194304 /dev/vda 2>/dev/null; then
		echo "AXTEST discard=ok"
	else
		echo "AXTEST discard=failed"
	fi
	sync
}

test_ro() {
	disk_md5
	if dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null; then
		echo "AXTEST ro_write=accepted"
	else
		echo "AXTEST ro_write=refused"
	fi
	# the same through the page cache: must fail at open or at fsync
	if dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>/dev/null; then
		echo "AXTEST ro_write_buffered=accepted"
	else
		echo "AXTEST ro_write_buffered=refused"
	fi
	echo 3 >/proc/sys/vm/drop_caches
	disk_md5
}

test_reboot() {
	mark=$(dd if=/dev/vda bs=4096 skip=768 count=1 iflag=direct 2>/dev/null | head -c 9)
	if [ "$mark" = AXREBOOT1 ]; then
		echo "AXTEST reboot=second"
		printf AXREBOOT2 | dd of=/dev/vda bs=4096 seek=768 count=1 conv=sync oflag=direct 2>/dev/null ||
			echo "AXTEST error=marker2"
	else
		echo "AXTEST reboot=first"
		printf AXREBOOT1 | dd of=/dev/vda bs=4096 seek=768 count=1 conv=sync oflag=direct 2>/dev/null ||
			fail marker1
		sync
		reboot -f
		sleep 10
		fail reboot_returned
	fi
}

# elapsed ns of "$@", printed as AXTEST $name_ns=N
timed() {
	name=$1
	shift
	t0=$(now_ns)
	"$@" || echo "AXTEST error=$name"
	t1=$(now_ns)
	echo "AXTEST ${name}_ns=$((t1 - t0))"
}

rand_reads() {
	blocks=$(($(blockdev --getsize64 /dev/vda) / 4096))
	n=0
	while [ $n -lt "$ax_rand" ]; do
		dd if=/dev/vda of=/dev/null bs=4096 count=1 iflag=direct \
			skip=$(((RANDOM * 32768 + RANDOM) % blocks)) 2>/dev/null || return 1
		n=$((n + 1))
	done
}

test_bench() {
	echo "AXTEST bench_mb=$ax_mb"
	# the host samples the backend's CPU time at each *_begin/_end line
	echo "AXTEST phase=seq_begin"
	sleep 0.5
	timed seqwrite dd if=/dev/zero of=/dev/vda bs=1M count="$ax_mb" oflag=direct 2>/dev/null
	timed seqread dd if=/dev/vda of=/dev/null bs=1M count="$ax_mb" iflag=direct 2>/dev/null
	echo "AXTEST phase=seq_end"
	sleep 0.5
	echo "AXTEST seq4k_count=$ax_seq4k"
	timed seq4k dd if=/dev/vda of=/dev/null bs=4096 count="$ax_seq4k" iflag=direct 2>/dev/null
	echo "AXTEST rand_count=$ax_rand"
	timed rand4k rand_reads
}

fio=/usr/bin/fio
# fio_job NAME RW BS QD [NUMJOBS]: one time-based fio job over the first
# ax_fio_mb MiB (NUMJOBS copies of it reported as one)
fio_job() {
	echo "AXTEST phase=fio_$1_begin"
	out=$($fio --name="$1" --filename=/dev/vda --direct=1 --ioengine="$fio_engine" \
		--rw="$2" --bs="$3" --iodepth="$4" --numjobs="${5:-1}" --group_reporting \
		--size="${ax_fio_mb}m" --time_based --runtime="$ax_fio_s" --norandommap \
		--randrepeat=0 --minimal 2>/tmp/fio.err) ||
		echo "AXTEST error=fio_$1 $(head -c 200 /tmp/fio.err | tr '\n' ' ')"
	echo "AXTEST phase=fio_$1_end"
	# terse version 3 (fio's HOWTO, "Terse output"): 5 error; 6-9 the reads'
	# KiB, KiB/s, IOPS, runtime ms; 47-50 the same for the writes. One of the
	# two directions is zero: the sum is this job's.
	echo "$out" | awk -F';' -v n="fio_$1" '$1 == 3 {
		if ($5 != 0) print "AXTEST error=" n "_errno_" $5
		ms = $9 > $50 ? $9 : $50
		printf "AXTEST %s_kib=%d\nAXTEST %s_kibps=%d\nAXTEST %s_iops=%.0f\nAXTEST %s_ms=%d\n",
			n, $6 + $47, n, $7 + $48, n, $8 + $49, n, ms
		found = 1
	}
	END { if (!found) print "AXTEST error=" n "_no_terse_line" }'
}

test_fio() {
	[ -x $fio ] || fail no_fio_in_initramfs
	echo "AXTEST fio_version=$($fio --version)"
	# io_uring: Linux 5.1+ with CONFIG_IO_URING; a 4 KiB read tells
	fio_engine=io_uring
	$fio --name=probe --filename=/dev/vda --direct=1 --ioengine=io_uring --rw=read \
		--bs=4k --size=4k --minimal >/dev/null 2>&1 || fio_engine=libaio
	echo "AXTEST fio_engine=$fio_engine"
	echo "AXTEST fio_mb=$ax_fio_mb"
	echo "AXTEST fio_s=$ax_fio_s"
	echo "AXTEST fio_jobs=$ax_fio_jobs"
	echo "AXTEST cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "AXTEST vda_queues=$(find /sys/block/vda/mq -mindepth 1 -maxdepth 1 | wc -l)"
	fio_job seq_write_1m write 1m "$ax_fio_seqqd"
	fio_job seq_read_1m read 1m "$ax_fio_seqqd"
	fio_job rand_read_4k_qd1 randread 4k 1
	fio_job rand_read_4k_qd32 randread 4k 32 "$ax_fio_jobs"
	fio_job rand_write_4k_qd1 randwrite 4k 1
	fio_job rand_write_4k_qd32 randwrite 4k 32 "$ax_fio_jobs"
}

case $axtest in
rw) test_rw ;;
ro) test_ro ;;
reboot) test_reboot ;;
bench) test_bench ;;
fio) test_fio ;;
*) echo "AXTEST error=unknown_test_$axtest" ;;
esac

# the virtio console: only waited for when a virtio device of ID 3 exists
hvc_device() { grep -qsx 0x0003 /sys/bus/virtio/devices/*/device; }
if hvc_device; then
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
fi
if [ -c /dev/hvc0 ]; then
	if echo "AXHVC0 hello from /dev/hvc0" >/dev/hvc0; then
		echo "AXTEST hvc0=written"
	else
		echo "AXTEST hvc0=write_failed"
	fi
elif hvc_device; then
	echo "AXTEST hvc0=no_node"
else
	echo "AXTEST hvc0=absent"
fi
read -r up _ </proc/uptime
echo "AXTEST end_uptime=$up"
echo "AXTEST done"
poweroff -f
sleep 10
