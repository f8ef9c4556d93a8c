/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_hostile.h"

#include "cpu.h"
#include "demo_disk.h"
#include "format.h"
#include "string.h"
#include "tap.h"
#include "virtio_blk.h"
#include "virtio_blk_recovery.h"
#include "virtio_checks.h"

#define NEEDS_RESET_TIMEOUT_MS 1000u
#define UNREADY_QUEUE	       1u /* virtio-blk without multiqueue has only queue 0 */
#define ADDRESS_OUTSIDE_RAM    0xf0000000u
#define SCRATCH_SECTOR	       8u

static struct virtio_blk disk;
static uintptr_t disk_base;
static uint8_t sector_buffer[VIRTIO_BLK_SECTOR_SIZE] __attribute__((aligned(512)));

void virtio_hostile_check_device(const char *when)
{
	char what[128];
	struct virtio_blk_completion c;

	memset(sector_buffer, 0, sizeof(sector_buffer));
	c = virtio_blk_request(&disk, VIRTIO_BLK_T_IN, 0, sector_buffer, sizeof(sector_buffer));
	snprintf(what, sizeof(what), "%s: virtio-blk sector 0 reads correctly", when);
	check(c.completed && c.status == VIRTIO_BLK_S_OK &&
		      demo_disk_verify_sector0(sector_buffer) < 0,
	      what, "completed %d status %u, Status 0x%x", c.completed, c.status,
	      virtio_blk_device_status(&disk));
}

/* desc 0 -> desc 1 -> desc 0 ..., all device-readable: only a loop check can stop it. */
static void looping_chain(void)
{
	volatile struct virtq_desc *d = disk.vq.desc;

	disk.header.type = VIRTIO_BLK_T_OUT;
	disk.header.reserved = 0;
	disk.header.sector = SCRATCH_SECTOR;
	d[0].addr = (uintptr_t)&disk.header;
	d[0].len = sizeof(disk.header);
	d[0].flags = VIRTQ_DESC_F_NEXT;
	d[0].next = 1;
	d[1].addr = (uintptr_t)sector_buffer;
	d[1].len = sizeof(sector_buffer);
	d[1].flags = VIRTQ_DESC_F_NEXT;
	d[1].next = 0;
	virtqueue_publish(&disk.vq, 0);
	virtio_mmio_notify(&disk.mmio, VIRTIO_BLK_REQUEST_QUEUE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS, "looping chain");
	if (virtio_blk_reset_and_reinit(&disk, disk_base, "the looping chain"))
		virtio_hostile_check_device("after the looping chain");
}

static void buffer_outside_ram(void)
{
	virtio_blk_submit(&disk, VIRTIO_BLK_T_IN, 0,
			  (volatile void *)(uintptr_t)ADDRESS_OUTSIDE_RAM, VIRTIO_BLK_SECTOR_SIZE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS,
				     "buffer at 0xf0000000 (outside RAM)");
	virtio_blk_reset_and_reinit(&disk, disk_base, "the buffer outside RAM");
}

static void notify_unready_queue(void)
{
	virtio_mmio_notify(&disk.mmio, UNREADY_QUEUE);
	virtio_blk_check_needs_reset(&disk, NEEDS_RESET_TIMEOUT_MS,
				     "notify of queue 1 (not ready)");
	virtio_blk_reset_and_reinit(&disk, disk_base, "the notify of queue 1");
}

/* QueueNum above QueueNumMax, then QueueReady: the device must not use such a queue. */
static void oversized_queue(void)
{
	uint32_t max, ready, s;

	virtio_mmio_reset(&disk.mmio);
	virtio_mmio_write(&disk.mmio, VIRTIO_MMIO_STATUS,
			  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_mmio_write(&disk.mmio, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_REQUEST_QUEUE);
	max = virtio_mmio_read(&disk.mmio, VIRTIO_MMIO_QUEUE_NUM_MAX);
	virtio_mmio_write(&disk.mmio, VIRTIO_MMIO_QUEUE_NUM, max * 2);
	virtio_mmio_write(&disk.mmio, VIRTIO_MMIO_QUEUE_DESC_LOW,
			  (uint32_t)(uintptr_t)disk.vq.desc);
	virtio_mmio_write(&disk.mmio, VIRTIO_MMIO_QUEUE_READY, 1);
	ready = virtio_mmio_read(&disk.mmio, VIRTIO_MMIO_QUEUE_READY);
	s = virtio_blk_device_status(&disk);
	tap_note("QueueNum %u (max %u) then QueueReady=1: QueueReady reads %u, Status 0x%x",
		 max * 2, max, ready, s);
	check(ready == 0 || (s & VIRTIO_STATUS_DEVICE_NEEDS_RESET),
	      "a queue size beyond QueueNumMax is refused (QueueReady 0 or NEEDS_RESET)",
	      "QueueReady %u, Status 0x%x", ready, s);
	virtio_blk_reset_and_reinit(&disk, disk_base, "the oversized queue");
}

static void read_only_registers(void)
{
	static const struct {
		uint32_t reg;
		const char *name;
	} regs[] = {
		{ VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },    { VIRTIO_MMIO_VERSION, "Version" },
		{ VIRTIO_MMIO_DEVICE_ID, "DeviceID" },	      { VIRTIO_MMIO_VENDOR_ID, "VendorID" },
		{ VIRTIO_MMIO_QUEUE_NUM_MAX, "QueueNumMax" },
	};

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		char what[96];
		uint32_t before = virtio_mmio_read(&disk.mmio, regs[i].reg);

		virtio_mmio_write(&disk.mmio, regs[i].reg, ~before);
		snprintf(what, sizeof(what), "virtio %s unchanged by a write (0x%x)", regs[i].name,
			 before);
		check_eq32(virtio_mmio_read(&disk.mmio, regs[i].reg), before, what);
	}
	if (virtio_blk_device_status(&disk) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		virtio_blk_reset_and_reinit(&disk, disk_base, "the read-only writes");
}

bool virtio_hostile_run(void)
{
	int slot = virtio_find_slot(VIRTIO_ID_BLOCK);

	tap_section("hostile: virtio-blk protocol abuse");
	if (!check(slot >= 0, "virtio-blk found", "no slot holds one"))
		return false;
	disk_base = virtio_slot_base((unsigned)slot);
	if (!check(virtio_blk_init(&disk, disk_base), "virtio-blk initialised", "%s",
		   disk.mmio.error))
		return false;
	looping_chain();
	buffer_outside_ram();
	notify_unready_queue();
	oversized_queue();
	read_only_registers();
	return true;
}
