/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk request cost: one 4 KiB read through the whole path (the test
 * driver posts a chain and writes QueueNotify -> chain walk -> RAM backend
 * -> used ring -> interrupt line -> InterruptACK), against a plain 4 KiB
 * memcpy as the floor (the one copy the device must do). The timed loop
 * follows an untimed pass over the whole disk, so that it measures requests
 * and not the first-touch page faults of the RAM disk.
 *
 * The host is configured as axvm's (vmm/host_hooks.c): sync_cores through
 * membarrier when the kernel has it, so dispatch puts no fence on the
 * access path; `--fence` measures the reader-fence mode (a host without
 * sync_cores) instead. The mode is printed first.
 *
 * Prints: # mode: ...
 *         virtio_blk op=read4k ns_per_req=<x> memcpy_ns=<y>
 *         virtio_blk op=read4k_disk_data ns_per_req=<x> memcpy_ns=<y>
 * (the second with real data on the disk, against a copy of the same blocks)
 * Links with tests/support/{host_posix,backends,virtio_driver}.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <axdevice/axdevice.h>

#include "backends.h"
#include "host_posix.h"
#include "virtio_driver.h"

#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  0x100000ull
#define BLK_BASE  0x10000000ull
#define DISK_SIZE (8u << 20)
#define REQS	  200000
#define COPIES	  2000000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double bench_memcpy(void)
{
	static uint8_t src[4096], dst[4096];
	double t0;

	memset(src, 1, sizeof(src));
	t0 = now_ns();
	for (int i = 0; i < COPIES; i++) {
		src[i & 4095] = (uint8_t)i;
		memcpy(dst, src, sizeof(dst));
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	return (now_ns() - t0) / COPIES;
}

/*
 * The floor for the disk-data run: the same 4 KiB blocks, in the same order, copied from the
 * disk into one guest-RAM buffer, as the device's one copy does.
 */
static double bench_memcpy_blocks(const uint8_t *disk, uint8_t *dst)
{
	double t0 = now_ns();

	for (int i = 0; i < REQS; i++) {
		memcpy(dst, disk + (size_t)(i % (DISK_SIZE / 4096)) * 4096, 4096);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	return (now_ns() - t0) / REQS;
}

/* Request `i`: a 4 KiB read of disk block i (wrapping), its status checked, its interrupt acked. */
static bool one_read(struct vdrv *drv, const struct test_host *host, int i)
{
	uint64_t sector = (uint64_t)(i % (DISK_SIZE / 4096)) * 8;
	const struct vdrv_blk_req r = { VD_BLK_T_IN, sector, NULL, 4096, 0, 0 };
	/* built, not copied from r: a copy of the struct just stored stalls on store forwarding */
	const struct vdrv_blk_req status_only = { VD_BLK_T_IN, sector, NULL, 0, 0, 0 };
	uint32_t id, len;

	vdrv_blk_start(drv, &r);
	if (!vdrv_used(drv, 0, &id, &len) || vdrv_blk_result(drv, &status_only) != 0 ||
	    !host->irq_level[5]) {
		fprintf(stderr, "bench_virtio: request %d failed\n", i);
		return false;
	}
	vdrv_write(drv, VD_INTERRUPT_ACK, 1);
	return true;
}

int main(int argc, char **argv)
{
	bool fence = argc > 1 && strcmp(argv[1], "--fence") == 0;
	static struct test_host host;
	static struct ram_disk disk;
	const struct ax_emu_config emu = { "vda", BLK_BASE, 0x1000, 5, AX_EMU_VIRTIO_BLK, NULL, 0 };
	const struct ax_vm_device_config cfg = { &emu, 1 };
	const struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct ax_devices *set;
	struct ax_diag diag;
	struct vdrv drv;
	uint8_t *ram;
	double t0, per_req, copy;

	test_host_init(&host, !fence);
	host.hooks.log = NULL;
	printf("# mode: %s\n",
	       host.hooks.sync_cores ? "membarrier (no fence on the access path)" : "reader fence");
	ram = test_host_add_ram(&host, RAM_GPA, RAM_SIZE);
	ram_disk_init(&disk, DISK_SIZE, false);
	backends_bind_block("vda", &disk);
	backends_install(&host);
	if (ax_devices_create(&params, &cfg, &set, &diag) != AX_OK) {
		fprintf(stderr, "bench_virtio: %s\n", diag.msg);
		return 1;
	}
	vdrv_attach(&drv, set, BLK_BASE, ram, RAM_GPA, RAM_SIZE);
	if (vdrv_init(&drv, VD_F(VD_F_INDIRECT_DESC), 1, 128)) {
		fprintf(stderr, "bench_virtio: driver initialisation failed\n");
		return 1;
	}

	/* untimed warm-up, one pass over the disk: its pages are first touched (faulted in) here */
	for (int i = 0; i < (int)(DISK_SIZE / 4096); i++)
		if (!one_read(&drv, &host, i))
			return 1;
	t0 = now_ns();
	for (int i = 0; i < REQS; i++)
		if (!one_read(&drv, &host, i))
			return 1;
	per_req = (now_ns() - t0) / REQS;
	copy = bench_memcpy();
	printf("virtio_blk op=read4k ns_per_req=%.1f memcpy_ns=%.1f\n", per_req, copy);

	/*
	 * The same with data on the disk: an untouched RAM disk reads as the kernel's zero page,
	 * one page always in L1, which flatters the copy. Here every block holds its own bytes
	 * (8 MiB, more than L2), and the floor copies the same blocks in the same order.
	 */
	for (size_t b = 0; b < DISK_SIZE; b += 8)
		memcpy(disk.data + b, &b, sizeof(b));
	t0 = now_ns();
	for (int i = 0; i < REQS; i++)
		if (!one_read(&drv, &host, i))
			return 1;
	per_req = (now_ns() - t0) / REQS;
	copy = bench_memcpy_blocks(disk.data, ram + RAM_SIZE - 4096);
	printf("virtio_blk op=read4k_disk_data ns_per_req=%.1f memcpy_ns=%.1f\n", per_req, copy);
	ax_devices_destroy(set);
	ram_disk_fini(&disk);
	test_host_fini(&host);
	return 0;
}
