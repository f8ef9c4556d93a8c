/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_blk.h"

#include "cpu.h"
#include "deadline.h"

/* Generous: a file-backed request takes microseconds. */
#define VIRTIO_BLK_POLL_TIMEOUT_MS 2000u

static struct virtqueue_memory request_queue_memory;

bool virtio_blk_init(struct virtio_blk *blk, uintptr_t base)
{
	const uint64_t required = 1ull << VIRTIO_F_VERSION_1;
	const uint64_t wanted = required | (1ull << VIRTIO_BLK_F_FLUSH);

	blk->mmio.base = base;
	blk->capacity = 0;
	if (!virtio_mmio_negotiate(&blk->mmio, wanted, required))
		return false;
	if (!virtio_mmio_setup_queue(&blk->mmio, VIRTIO_BLK_REQUEST_QUEUE, &blk->vq,
				     &request_queue_memory))
		return false;
	if (!virtio_mmio_driver_ok(&blk->mmio))
		return false;
	return virtio_mmio_config_read64(&blk->mmio, VIRTIO_BLK_CONFIG_CAPACITY, &blk->capacity);
}

void virtio_blk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector, volatile void *data,
		       uint32_t len)
{
	struct virtq_buffer bufs[3];
	unsigned n = 0;

	blk->header.type = type;
	blk->header.reserved = 0;
	blk->header.sector = sector;
	blk->status = VIRTIO_BLK_STATUS_UNSET;

	bufs[n++] = (struct virtq_buffer){ &blk->header, sizeof(blk->header), false };
	if (type != VIRTIO_BLK_T_FLUSH)
		bufs[n++] = (struct virtq_buffer){ data, len, type == VIRTIO_BLK_T_IN };
	bufs[n++] = (struct virtq_buffer){ &blk->status, 1, true };

	virtqueue_add_chain(&blk->vq, bufs, n);
	virtio_mmio_notify(&blk->mmio, VIRTIO_BLK_REQUEST_QUEUE);
}

struct virtio_blk_completion virtio_blk_take_completion(struct virtio_blk *blk)
{
	struct virtio_blk_completion c = { 0 };
	struct virtq_used_elem e;

	if (virtqueue_pop_used(&blk->vq, &e)) {
		c.completed = true;
		c.id = e.id;
		c.len = e.len;
		c.status = blk->status;
	}
	return c;
}

struct virtio_blk_completion virtio_blk_wait_polled(struct virtio_blk *blk, uint32_t timeout_ms)
{
	uint64_t deadline = deadline_ms(timeout_ms);

	while (!virtqueue_has_used(&blk->vq) && !deadline_expired(deadline))
		cpu_relax();
	/* The device may also have raised its interrupt line: lower it. */
	virtio_mmio_ack_interrupts(&blk->mmio);
	return virtio_blk_take_completion(blk);
}

struct virtio_blk_completion virtio_blk_request(struct virtio_blk *blk, uint32_t type,
						uint64_t sector, volatile void *data, uint32_t len)
{
	virtio_blk_submit(blk, type, sector, data, len);
	return virtio_blk_wait_polled(blk, VIRTIO_BLK_POLL_TIMEOUT_MS);
}

void virtio_blk_handle_interrupt(struct virtio_blk *blk)
{
	uint32_t pending = virtio_mmio_ack_interrupts(&blk->mmio);

	blk->irq_count++;
	blk->irq_status_seen |= pending;
	if (virtqueue_has_used(&blk->vq))
		blk->irq_saw_used_advance = true;
}

uint32_t virtio_blk_device_status(const struct virtio_blk *blk)
{
	return virtio_mmio_read(&blk->mmio, VIRTIO_MMIO_STATUS);
}
