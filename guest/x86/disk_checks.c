/* SPDX-License-Identifier: Apache-2.0 */
#include "disk_checks.h"

#include "cpu.h"
#include "demo_disk.h"
#include "halt_wait.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "platform.h"
#include "string.h"
#include "tap.h"
#include "virtio_blk.h"

/* Sectors 8..15 are the scratch area the write check owns. */
#define SCRATCH_FIRST_SECTOR 8u
#define SCRATCH_SECTORS	     8u
#define SCRATCH_BYTES	     (SCRATCH_SECTORS * VIRTIO_BLK_SECTOR_SIZE)

#define INTERRUPT_TIMEOUT_MS 2000u

/* Status after a successful §3.1.1 initialisation. */
#define STATUS_LIVE                                                                                \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |            \
	 VIRTIO_STATUS_DRIVER_OK)

static struct virtio_blk disk;
static uint8_t sector_buffer[VIRTIO_BLK_SECTOR_SIZE] __attribute__((aligned(512)));
static uint8_t write_buffer[SCRATCH_BYTES] __attribute__((aligned(512)));
static uint8_t read_buffer[SCRATCH_BYTES] __attribute__((aligned(512)));

static void skip(const char *what, const char *reason)
{
	check(false, what, "skipped: %s", reason);
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

static void fill_scratch_pattern(uint32_t seed)
{
	for (uint32_t i = 0; i < SCRATCH_BYTES; i++) {
		uint32_t sector = i / VIRTIO_BLK_SECTOR_SIZE;

		write_buffer[i] = (uint8_t)((seed >> (8 * (i & 3))) + i * 13 + sector * 31);
	}
}

static int first_difference(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		if (a[i] != b[i])
			return (int)i;
	}
	return -1;
}

static void read_sector0_checks(void)
{
	struct virtio_blk_completion c;
	int bad;

	memset(sector_buffer, 0, sizeof(sector_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	check_completion(&c, VIRTIO_BLK_SECTOR_SIZE + 1,
			 "read sector 0 (polled): status OK, used len 513");
	bad = demo_disk_verify_sector0(sector_buffer);
	check(bad < 0, "sector 0 holds the demo disk banner and pattern",
	      "first difference at byte %d: 0x%02x", bad, bad < 0 ? 0 : sector_buffer[bad]);
}

static void write_flush_read_checks(void)
{
	struct virtio_blk_completion c;
	uint32_t seed = (uint32_t)rdtsc();
	int bad;

	tap_note("write pattern seed 0x%08x (from the TSC)", seed);
	fill_scratch_pattern(seed);
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_OUT, SCRATCH_FIRST_SECTOR, write_buffer,
			       SCRATCH_BYTES);
	check_completion(&c, 1, "write sectors 8..15 (polled): status OK, used len 1");

	if (disk.mmio.driver_features & (1ull << VIRTIO_BLK_F_FLUSH)) {
		c = virtio_blk_request(&disk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
		check_completion(&c, 1, "flush (polled): status OK");
	} else {
		skip("flush (polled): status OK", "device did not offer VIRTIO_BLK_F_FLUSH");
	}

	memset(read_buffer, 0, sizeof(read_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, SCRATCH_FIRST_SECTOR, read_buffer,
			       SCRATCH_BYTES);
	check_completion(&c, SCRATCH_BYTES + 1, "read back sectors 8..15 (polled): status OK");
	bad = first_difference(read_buffer, write_buffer, SCRATCH_BYTES);
	check(bad < 0, "sectors 8..15 read back as written",
	      "first difference at byte %d: read 0x%02x, wrote 0x%02x", bad,
	      bad < 0 ? 0 : read_buffer[bad], bad < 0 ? 0 : write_buffer[bad]);
}

static void on_disk_interrupt(struct interrupt_frame *frame)
{
	(void)frame;
	virtio_blk_handle_interrupt(&disk);
	lapic_eoi();
}

static void interrupt_read_checks(void)
{
	struct virtio_blk_completion c;
	unsigned entries = ioapic_redirection_entries();
	bool seen;

	if (!check(entries > PLATFORM_DISK_IRQ, "I/O APIC present with an entry for GSI 5",
		   "%u redirection entries", entries)) {
		skip("read sector 0 completed by interrupt", "no I/O APIC");
		skip("interrupt handler saw InterruptStatus bit 0 (used buffer)", "no I/O APIC");
		return;
	}

	interrupt_set_handler(VECTOR_DISK, on_disk_interrupt);
	disk.irq_count = 0;
	disk.irq_status_seen = 0;
	disk.irq_saw_used_advance = false;
	/* Clear anything left over from the polled requests before unmasking. */
	virtio_mmio_ack_interrupts(&disk.mmio);
	ioapic_route(PLATFORM_DISK_IRQ, VECTOR_DISK, IOAPIC_LEVEL, IOAPIC_ACTIVE_HIGH, lapic_id());

	memset(sector_buffer, 0, sizeof(sector_buffer));
	virtio_blk_submit(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	seen = halt_until(&disk.irq_saw_used_advance, INTERRUPT_TIMEOUT_MS);
	ioapic_mask(PLATFORM_DISK_IRQ);

	if (seen) {
		c = virtio_blk_take_completion(&disk);
		check(c.completed && c.status == VIRTIO_BLK_S_OK &&
			      demo_disk_verify_sector0(sector_buffer) < 0,
		      "read sector 0 completed by interrupt", "completed %d status %u, data %s",
		      c.completed, c.status,
		      demo_disk_verify_sector0(sector_buffer) < 0 ? "ok" : "wrong");
	} else {
		/* Drain the request so the queue stays usable. */
		c = virtio_blk_wait_polled(&disk, INTERRUPT_TIMEOUT_MS);
		check(false, "read sector 0 completed by interrupt",
		      "no interrupt in %u ms: %u interrupts, IOAPIC entry 0x%x, request %s, "
		      "%u timer wake-ups",
		      INTERRUPT_TIMEOUT_MS, disk.irq_count, ioapic_entry_low(PLATFORM_DISK_IRQ),
		      c.completed ? "did complete (polled)" : "never completed",
		      halt_wait_timer_ticks());
	}
	check(disk.irq_status_seen & VIRTIO_MMIO_INT_USED_BUFFER,
	      "interrupt handler saw InterruptStatus bit 0 (used buffer)",
	      "InterruptStatus values seen: 0x%x", disk.irq_status_seen);
}

void disk_checks_run(void)
{
	uintptr_t base;

	tap_section("virtio-blk disk0");
	base = virtio_mmio_find(VIRTIO_ID_BLOCK, PLATFORM_VIRTIO_BASE, PLATFORM_VIRTIO_SLOTS,
				PLATFORM_VIRTIO_STRIDE);
	if (!check(base != 0,
		   "virtio-mmio v2 block device found (MagicValue, Version 2, DeviceID 2)",
		   "slot 0x%x reads MagicValue 0x%x Version 0x%x DeviceID 0x%x; "
		   "skipping the disk checks",
		   PLATFORM_VIRTIO_BASE,
		   mmio_read32(PLATFORM_VIRTIO_BASE + VIRTIO_MMIO_MAGIC_VALUE),
		   mmio_read32(PLATFORM_VIRTIO_BASE + VIRTIO_MMIO_VERSION),
		   mmio_read32(PLATFORM_VIRTIO_BASE + VIRTIO_MMIO_DEVICE_ID)))
		return;
	tap_note("virtio-blk at 0x%08x", (unsigned)base);

	if (!check(virtio_blk_init(&disk, base),
		   "initialised per virtio 1.2 3.1.1 (features, queue 0, DRIVER_OK)",
		   "%s; skipping the disk checks", disk.mmio.error))
		return;

	tap_note("device features 0x%llx, driver features 0x%llx, queue size %u",
		 (unsigned long long)disk.mmio.device_features,
		 (unsigned long long)disk.mmio.driver_features, disk.vq.size);
	const uint64_t negotiated = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH);
	check((disk.mmio.driver_features & negotiated) == negotiated,
	      "negotiated VIRTIO_F_VERSION_1 and VIRTIO_BLK_F_FLUSH", "device offers 0x%llx",
	      (unsigned long long)disk.mmio.device_features);
	check_eq32(virtio_blk_device_status(&disk), STATUS_LIVE,
		   "Status reads ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK");
	check(disk.capacity == PLATFORM_DISK_SECTORS, "capacity is 8192 sectors (4 MiB)",
	      "capacity %llu", (unsigned long long)disk.capacity);

	read_sector0_checks();
	write_flush_read_checks();
	interrupt_read_checks();
}
