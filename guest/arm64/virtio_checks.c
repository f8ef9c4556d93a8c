/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_checks.h"

#include "cpu.h"
#include "demo_disk.h"
#include "gic.h"
#include "platform.h"
#include "string.h"
#include "tap.h"
#include "timer.h"
#include "virtio_blk.h"
#include "virtio_console.h"
#include "wait.h"

#define SCRATCH_FIRST_SECTOR 8u
#define SCRATCH_SECTORS	     8u
#define SCRATCH_BYTES	     (SCRATCH_SECTORS * VIRTIO_BLK_SECTOR_SIZE)
#define INTERRUPT_TIMEOUT_MS 2000u
#define GREETING	     "axdevice arm64 demo guest: hello through virtio-console\n"

#define STATUS_LIVE                                                                                \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |            \
	 VIRTIO_STATUS_DRIVER_OK)

static struct virtio_blk disk;
static unsigned disk_intid;
static volatile uint32_t disk_irq_done;
static struct virtio_console console0;
static uint8_t sector_buffer[VIRTIO_BLK_SECTOR_SIZE] __attribute__((aligned(512)));
static uint8_t write_buffer[SCRATCH_BYTES] __attribute__((aligned(512)));
static uint8_t read_buffer[SCRATCH_BYTES] __attribute__((aligned(512)));

uintptr_t virtio_slot_base(unsigned slot)
{
	return PLATFORM_VIRTIO_BASE + slot * PLATFORM_VIRTIO_STRIDE;
}

int virtio_find_slot(uint32_t device_id)
{
	for (unsigned i = 0; i < PLATFORM_VIRTIO_SLOTS; i++) {
		uintptr_t base = virtio_slot_base(i);

		if (mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC &&
		    virtio_mmio_probe(base, device_id))
			return (int)i;
	}
	return -1;
}

static void probe_slots(void)
{
	unsigned found = 0, bad = 0;

	for (unsigned i = 0; i < PLATFORM_VIRTIO_SLOTS; i++) {
		uintptr_t base = virtio_slot_base(i);
		uint32_t version, id;

		if (mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
			continue;
		version = mmio_read32(base + VIRTIO_MMIO_VERSION);
		id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);
		if (version != VIRTIO_MMIO_VERSION_MODERN)
			bad++;
		if (id != 0) {
			found++;
			tap_note("slot %u (0x%lx, INTID %u): device id %u, version %u", i,
				 (unsigned long)base, PLATFORM_VIRTIO_INTID_BASE + i, id, version);
		}
	}
	check(found >= 2 && bad == 0, "slots 0..31 probed: a block and a console device, version 2",
	      "%u devices, %u not version 2", found, bad);
}

static bool check_completion(const struct virtio_blk_completion *c, uint32_t expected_len,
			     const char *what)
{
	if (!c->completed)
		return check(false, what, "no completion within the timeout, Status 0x%x",
			     virtio_blk_device_status(&disk));
	return check(c->status == VIRTIO_BLK_S_OK && c->id == 0 && c->len == expected_len, what,
		     "status %u, used id %u len %u (expected status 0, id 0, len %u)", c->status,
		     c->id, c->len, expected_len);
}

static int first_difference(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (a[i] != b[i])
			return (int)i;
	}
	return -1;
}

static void block_io(void)
{
	struct virtio_blk_completion c;
	uint32_t seed = (uint32_t)timer_now();
	int bad;

	memset(sector_buffer, 0, sizeof(sector_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	check_completion(&c, VIRTIO_BLK_SECTOR_SIZE + 1, "read sector 0: status OK, used len 513");
	bad = demo_disk_verify_sector0(sector_buffer);
	check(bad < 0, "sector 0 holds the demo disk banner and pattern",
	      "first difference at byte %d: 0x%02x", bad, bad < 0 ? 0 : sector_buffer[bad]);

	tap_note("write pattern seed 0x%08x (from CNTVCT)", seed);
	for (uint32_t i = 0; i < SCRATCH_BYTES; i++)
		write_buffer[i] = (uint8_t)((seed >> (8 * (i & 3))) + i * 13 + (i / 512) * 31);
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_OUT, SCRATCH_FIRST_SECTOR, write_buffer,
			       SCRATCH_BYTES);
	check_completion(&c, 1, "write sectors 8..15: status OK, used len 1");
	if (disk.mmio.driver_features & (1ull << VIRTIO_BLK_F_FLUSH)) {
		c = virtio_blk_request(&disk, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
		check_completion(&c, 1, "flush: status OK");
	} else {
		check(false, "flush: status OK", "device did not offer VIRTIO_BLK_F_FLUSH");
	}
	memset(read_buffer, 0, sizeof(read_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, SCRATCH_FIRST_SECTOR, read_buffer,
			       SCRATCH_BYTES);
	check_completion(&c, SCRATCH_BYTES + 1, "read back sectors 8..15: status OK");
	bad = first_difference(read_buffer, write_buffer, SCRATCH_BYTES);
	check(bad < 0, "sectors 8..15 read back as written", "first difference at byte %d", bad);
}

static void on_disk(unsigned intid, unsigned source)
{
	(void)intid;
	(void)source;
	virtio_blk_handle_interrupt(&disk);
	if (disk.irq_saw_used_advance)
		disk_irq_done = 1;
}

static void block_interrupt(void)
{
	struct virtio_blk_completion c;
	bool seen;

	disk.irq_count = 0;
	disk.irq_status_seen = 0;
	disk.irq_saw_used_advance = false;
	disk_irq_done = 0;
	virtio_mmio_ack_interrupts(&disk.mmio);
	irq_set_handler(disk_intid, on_disk);
	gic_clear_pending(disk_intid);
	gic_enable(disk_intid, true); /* the device tree says edge rising */

	memset(sector_buffer, 0, sizeof(sector_buffer));
	virtio_blk_submit(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	seen = wait_until(&disk_irq_done, INTERRUPT_TIMEOUT_MS);
	gic_disable(disk_intid);
	irq_set_handler(disk_intid, 0);
	if (seen) {
		c = virtio_blk_take_completion(&disk);
		check(c.completed && c.status == VIRTIO_BLK_S_OK &&
			      demo_disk_verify_sector0(sector_buffer) < 0,
		      "read sector 0 completed by interrupt (INTID 48 + slot)",
		      "completed %d status %u", c.completed, c.status);
	} else {
		c = virtio_blk_wait_polled(&disk, INTERRUPT_TIMEOUT_MS);
		check(false, "read sector 0 completed by interrupt (INTID 48 + slot)",
		      "no interrupt at INTID %u in %u ms (%u taken), request %s", disk_intid,
		      INTERRUPT_TIMEOUT_MS, disk.irq_count,
		      c.completed ? "did complete (polled)" : "never completed");
	}
	check(disk.irq_status_seen & VIRTIO_MMIO_INT_USED_BUFFER,
	      "the handler saw InterruptStatus bit 0 and acknowledged it (InterruptACK)",
	      "InterruptStatus values seen: 0x%x", disk.irq_status_seen);
	check_eq32(virtio_mmio_read(&disk.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), 0,
		   "InterruptStatus reads 0 after the acknowledgement");
}

static void block_device(void)
{
	int slot = virtio_find_slot(VIRTIO_ID_BLOCK);
	const uint64_t negotiated = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH);

	if (!check(slot >= 0, "virtio-blk found (MagicValue, Version 2, DeviceID 2)",
		   "no slot holds one"))
		return;
	disk_intid = PLATFORM_VIRTIO_INTID_BASE + (unsigned)slot;
	if (!check(virtio_blk_init(&disk, virtio_slot_base((unsigned)slot)),
		   "virtio-blk initialised per virtio 1.2 3.1.1 (VERSION_1, queue 0, DRIVER_OK)",
		   "%s", disk.mmio.error))
		return;
	check((disk.mmio.driver_features & negotiated) == negotiated,
	      "negotiated VIRTIO_F_VERSION_1 and VIRTIO_BLK_F_FLUSH", "device offers 0x%llx",
	      (unsigned long long)disk.mmio.device_features);
	check_eq32(virtio_blk_device_status(&disk), STATUS_LIVE,
		   "Status reads ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK");
	check(disk.capacity == PLATFORM_DISK_SECTORS, "capacity is 8192 sectors (4 MiB)",
	      "capacity %llu", (unsigned long long)disk.capacity);
	block_io();
	block_interrupt();
}

static void console_device(void)
{
	int slot = virtio_find_slot(VIRTIO_ID_CONSOLE);

	if (!check(slot >= 0, "virtio-console found (DeviceID 3)", "no slot holds one"))
		return;
	if (!check(virtio_console_init(&console0, virtio_slot_base((unsigned)slot)),
		   "virtio-console initialised (receiveq, transmitq, DRIVER_OK)", "%s",
		   console0.mmio.error))
		return;
	check(virtio_console_write(&console0, GREETING, (uint32_t)strlen(GREETING)),
	      "a line sent on port 0's transmitq comes back used", "%s", console0.mmio.error);
}

void virtio_checks_run(void)
{
	tap_section("virtio-mmio: probe, virtio-blk disk0, virtio-console console0");
	probe_slots();
	block_device();
	console_device();
}
