/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_blk_recovery.h"

#include "cpu.h"
#include "deadline.h"
#include "format.h"
#include "tap.h"

uint32_t virtio_blk_wait_needs_reset(struct virtio_blk *d, uint32_t timeout_ms)
{
	uint64_t deadline = deadline_ms(timeout_ms);
	uint32_t s;

	while (!((s = virtio_blk_device_status(d)) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) &&
	       !deadline_expired(deadline))
		cpu_relax();
	return s;
}

void virtio_blk_check_needs_reset(struct virtio_blk *d, uint32_t timeout_ms,
				  const char *provocation)
{
	char what[128];
	uint32_t s = virtio_blk_wait_needs_reset(d, timeout_ms);
	uint32_t isr = virtio_mmio_read(&d->mmio, VIRTIO_MMIO_INTERRUPT_STATUS);

	snprintf(what, sizeof(what), "%s: Status has DEVICE_NEEDS_RESET (0x40)", provocation);
	check(s & VIRTIO_STATUS_DEVICE_NEEDS_RESET, what, "Status 0x%x", s);
	snprintf(what, sizeof(what), "%s: InterruptStatus has the config-change bit", provocation);
	check(isr & VIRTIO_MMIO_INT_CONFIG_CHANGE, what, "InterruptStatus 0x%x", isr);
}

bool virtio_blk_reset_and_reinit(struct virtio_blk *d, uintptr_t base, const char *after)
{
	char what[128];
	uint32_t isr, ready;

	snprintf(what, sizeof(what), "after %s: reset (Status=0) reads back 0", after);
	if (!check(virtio_mmio_reset(&d->mmio), what, "%s", d->mmio.error))
		return false;
	isr = virtio_mmio_read(&d->mmio, VIRTIO_MMIO_INTERRUPT_STATUS);
	virtio_mmio_write(&d->mmio, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_REQUEST_QUEUE);
	ready = virtio_mmio_read(&d->mmio, VIRTIO_MMIO_QUEUE_READY);
	snprintf(what, sizeof(what), "after %s: reset cleared InterruptStatus and QueueReady",
		 after);
	check(isr == 0 && ready == 0, what, "InterruptStatus 0x%x, QueueReady %u", isr, ready);
	snprintf(what, sizeof(what), "after %s: device re-initialised", after);
	return check(virtio_blk_init(d, base), what, "%s", d->mmio.error);
}
