/* SPDX-License-Identifier: Apache-2.0 */
#include "virtqueue.h"

#include "cpu.h"
#include "string.h"

void virtqueue_init(struct virtqueue *vq, struct virtqueue_memory *mem, uint16_t size)
{
	memset(mem, 0, sizeof(*mem));
	vq->size = size;
	vq->avail_idx = 0;
	vq->last_used_idx = 0;
	vq->desc = mem->desc;
	vq->avail = (volatile struct virtq_avail *)mem->avail;
	vq->used = (volatile struct virtq_used *)mem->used;
}

uint16_t virtqueue_add_chain(struct virtqueue *vq, const struct virtq_buffer *bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		volatile struct virtq_desc *d = &vq->desc[i];

		d->addr = (uintptr_t)bufs[i].addr;
		d->len = bufs[i].len;
		d->flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d->next = (uint16_t)(i + 1 < n ? i + 1 : 0);
	}
	virtqueue_publish(vq, 0);
	return 0;
}

void virtqueue_publish(struct virtqueue *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	/* The ring entry must be visible before the index that exposes it (§2.7.13). */
	memory_barrier();
	vq->avail_idx++;
	vq->avail->idx = vq->avail_idx;
	memory_barrier();
}

bool virtqueue_has_used(const struct virtqueue *vq)
{
	return vq->used->idx != vq->last_used_idx;
}

bool virtqueue_pop_used(struct virtqueue *vq, struct virtq_used_elem *out)
{
	if (!virtqueue_has_used(vq))
		return false;
	/* Read the element only after seeing the index that covers it (§2.7.14). */
	memory_barrier();
	volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used_idx & (vq->size - 1)];

	out->id = e->id;
	out->len = e->len;
	vq->last_used_idx++;
	return true;
}
