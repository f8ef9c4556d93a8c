/* SPDX-License-Identifier: Apache-2.0 */
#include "hostile.h"

#include "console.h"
#include "cpu.h"
#include "demo_disk.h"
#include "format.h"
#include "irqchip_hostile.h"
#include "platform.h"
#include "string.h"
#include "tap.h"
#include "virtio_blk.h"
#include "virtio_blk_recovery.h"

#define NEEDS_RESET_TIMEOUT_MS 1000u
#define MISSING_QUEUE	       7u
#define ADDRESS_OUTSIDE_RAM    0xf0000000u
/* A head index no queue of ours has (queue sizes are at most VIRTQ_MAX_SIZE). */
#define HEAD_OUT_OF_RANGE 200u
/* The demo disk's scratch area (sectors 8..15): hostile writes aim there. */
#define SCRATCH_SECTOR 8u

static struct virtio_blk disk;
static uintptr_t disk_base;
static uint8_t sector_buffer[VIRTIO_BLK_SECTOR_SIZE] __attribute__((aligned(512)));

static void check_device_serves_reads(const char *when)
{
	char what[128];
	struct virtio_blk_completion c;

	memset(sector_buffer, 0, sizeof(sector_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	snprintf(what, sizeof(what), "%s: sector 0 reads correctly", when);
	check(c.completed && c.status == VIRTIO_BLK_S_OK &&
		      demo_disk_verify_sector0(sector_buffer) < 0,
	      what, "completed %d status %u, Status 0x%x", c.completed, c.status,
	      virtio_blk_device_status(&disk));
}

/*
 * (a) desc 0 -> desc 1 -> desc 0 -> ..., all device-readable (a write request
 * whose data never ends), so only the device's loop / chain-length check can
 * stop it: a writable buffer in the loop would be caught earlier, as a
 * readable buffer following a writable one.
 */
static void looping_chain(void)
{
	volatile struct virtq_desc *d = disk.vq.desc;

	tap_section("(a) descriptor chain that loops");
	disk.header.type = VIRTIO_BLK_T_OUT;
	disk.header.reserved = 0;
	disk.header.sector = SCRATCH_SECTOR; /* should anything reach the disk */
	d[0].addr = (uint32_t)(uintptr_t)&disk.header;
	d[0].len = sizeof(disk.header);
	d[0].flags = VIRTQ_DESC_F_NEXT;
	d[0].next = 1;
	d[1].addr = (uint32_t)(uintptr_t)sector_buffer;
	d[1].len = sizeof(sector_buffer);
	d[1].flags = VIRTQ_DESC_F_NEXT;
	d[1].next = 0;
	virtqueue_publish(&disk.vq, 0);
	virtio_mmio_notify(&disk.mmio, VIRTIO_BLK_REQUEST_QUEUE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS, "looping chain");
	if (virtio_blk_reset_and_reinit(&disk, disk_base, "the looping chain"))
		check_device_serves_reads("after the looping chain");
}

/* (b) a data buffer the guest does not have. */
static void buffer_outside_ram(void)
{
	tap_section("(b) data buffer outside guest RAM (0xf0000000)");
	virtio_blk_submit(&disk, VIRTIO_BLK_T_IN, 0, (volatile void *)ADDRESS_OUTSIDE_RAM,
			  VIRTIO_BLK_SECTOR_SIZE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS, "buffer outside RAM");
	virtio_blk_reset_and_reinit(&disk, disk_base, "the buffer outside RAM");
}

/* (c) QueueNotify names a queue the device does not have. */
static void notify_missing_queue(void)
{
	tap_section("(c) QueueNotify of nonexistent queue 7");
	virtio_mmio_notify(&disk.mmio, MISSING_QUEUE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS, "notify of queue 7");
	virtio_blk_reset_and_reinit(&disk, disk_base, "the notify of queue 7");
}

/* (d) identification registers are read-only. */
static void write_read_only_registers(void)
{
	static const struct {
		uint32_t reg;
		const char *name;
	} regs[] = {
		{ VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },
		{ VIRTIO_MMIO_VERSION, "Version" },
		{ VIRTIO_MMIO_DEVICE_ID, "DeviceID" },
		{ VIRTIO_MMIO_VENDOR_ID, "VendorID" },
	};

	tap_section("(d) writes to read-only registers");
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		char what[96];
		uint32_t before = virtio_mmio_read(&disk.mmio, regs[i].reg);
		uint32_t after;

		virtio_mmio_write(&disk.mmio, regs[i].reg, ~before);
		after = virtio_mmio_read(&disk.mmio, regs[i].reg);
		snprintf(what, sizeof(what), "%s unchanged by a write (0x%x)", regs[i].name,
			 before);
		check_eq32(after, before, what);
	}
	tap_note("Status after the writes: 0x%x", virtio_blk_device_status(&disk));
	if (virtio_blk_device_status(&disk) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		virtio_blk_reset_and_reinit(&disk, disk_base, "the read-only writes");
	check_device_serves_reads("after the read-only writes");
}

/* (e) nothing answers at an unmapped address. */
static void unmapped_accesses(void)
{
	tap_section("(e) unmapped MMIO");
	mmio_write32(PLATFORM_UNMAPPED_MMIO, 0);
	check_eq32(mmio_read32(PLATFORM_UNMAPPED_MMIO), 0xffffffffu,
		   "unmapped read after a write still returns all-ones");
	mmio_write8(PLATFORM_UNMAPPED_MMIO + 1, 0);
	check_eq32(mmio_read8(PLATFORM_UNMAPPED_MMIO + 1), 0xff,
		   "unmapped 8-bit read returns 0xff");
}

/* Reactions the spec leaves to the device: reported, not judged. */
static void observations(void)
{
	struct virtio_blk_completion c;
	uint32_t s;

	tap_section("observations (not checks)");
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, disk.capacity, sector_buffer,
			       sizeof(sector_buffer));
	s = virtio_blk_device_status(&disk);
	tap_note("read of sector %llu (= capacity): completed %d, request status %u, Status 0x%x",
		 (unsigned long long)disk.capacity, c.completed, c.status, s);
	if (s & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		virtio_blk_reset_and_reinit(&disk, disk_base, "the read past capacity");

	virtqueue_publish(&disk.vq, HEAD_OUT_OF_RANGE);
	virtio_mmio_notify(&disk.mmio, VIRTIO_BLK_REQUEST_QUEUE);
	s = virtio_blk_wait_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS);
	tap_note("available head %u (queue size %u): Status 0x%x", HEAD_OUT_OF_RANGE, disk.vq.size,
		 s);
	virtio_blk_reset_and_reinit(&disk, disk_base, "the out-of-range head");
}

/* (f) the console still works after all of the above. */
static void console_still_works(void)
{
	struct uart *uarts[] = { &console_com1, &console_uart1 };

	tap_section("(f) console after the hostile run");
	console_printf("# hostile: the console still prints\n");
	for (unsigned i = 0; i < 2; i++) {
		char what[96];
		uint8_t lsr = uart_drain(uarts[i]);

		snprintf(what, sizeof(what), "%s still transmits (LSR THRE|TEMT, no drops)",
			 uarts[i]->name);
		check(uarts[i]->present && uarts[i]->tx_timeouts == 0 &&
			      (lsr & (UART_LSR_THRE | UART_LSR_TEMT)) ==
				      (UART_LSR_THRE | UART_LSR_TEMT),
		      what, "present %d, LSR 0x%x, %u characters dropped", uarts[i]->present, lsr,
		      uarts[i]->tx_timeouts);
	}
}

int hostile_run(void)
{
	unsigned failed;

	tap_section("hostile mode: virtio-blk disk0");
	disk_base = virtio_mmio_find(VIRTIO_ID_BLOCK, PLATFORM_VIRTIO_BASE, PLATFORM_VIRTIO_SLOTS,
				     PLATFORM_VIRTIO_STRIDE);
	if (check(disk_base != 0, "virtio-blk device found", "nothing at 0x%x",
		  PLATFORM_VIRTIO_BASE) &&
	    check(virtio_blk_init(&disk, disk_base), "virtio-blk initialised", "%s",
		  disk.mmio.error)) {
		looping_chain();
		buffer_outside_ram();
		notify_missing_queue();
		write_read_only_registers();
		observations();
		check_device_serves_reads("at the end of the hostile run");
	}
	unmapped_accesses();
	irqchip_hostile_run();
	console_still_works();

	failed = tap_checks_failed();
	console_printf("1..%u\n", tap_checks_run());
	if (failed == 0) {
		console_printf("HOSTILE: PASS\n");
		return 0;
	}
	console_printf("HOSTILE: FAIL, %u of %u checks failed\n", failed, tap_checks_run());
	return 1;
}
