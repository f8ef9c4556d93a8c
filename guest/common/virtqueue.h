/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, driver side (virtio 1.2 §2.7): descriptor table,
 * driver ("available") ring, device ("used") ring. The guest keeps one
 * request in flight, so a chain always starts at descriptor 0.
 */
#ifndef GUEST_VIRTQUEUE_H
#define GUEST_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_DESC_F_NEXT  1u
#define VIRTQ_DESC_F_WRITE 2u /* device writes this buffer */

#define VIRTQ_MAX_SIZE 16u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event, unused: no VIRTIO_F_EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* then avail_event, unused */
};

/* Backing store for one queue, with each part at (at least) the alignment §2.7 requires. */
struct virtqueue_memory {
	struct virtq_desc desc[VIRTQ_MAX_SIZE] __attribute__((aligned(16)));
	uint16_t avail[2 + VIRTQ_MAX_SIZE + 1] __attribute__((aligned(2)));
	uint32_t used[1 + 2 * VIRTQ_MAX_SIZE + 1] __attribute__((aligned(4)));
} __attribute__((aligned(4096)));

struct virtqueue {
	uint16_t size;
	uint16_t avail_idx;	/* next value of avail->idx */
	uint16_t last_used_idx; /* used->idx already consumed */
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
};

struct virtq_buffer {
	const volatile void *addr; /* guest-physical = virtual: paging is off */
	uint32_t len;
	bool device_writes;
};

/* Zeroes `mem` and points `vq` at it; size is a power of two <= VIRTQ_MAX_SIZE. */
void virtqueue_init(struct virtqueue *vq, struct virtqueue_memory *mem, uint16_t size);

/* Writes `n` buffers as one chain in descriptors 0..n-1 and makes it available; returns the head.
 */
uint16_t virtqueue_add_chain(struct virtqueue *vq, const struct virtq_buffer *bufs, unsigned n);

/* Makes the chain starting at `head` available (for hand-built descriptor tables). */
void virtqueue_publish(struct virtqueue *vq, uint16_t head);

/* True when the device has used a buffer the driver has not consumed yet. */
bool virtqueue_has_used(const struct virtqueue *vq);

/* Consumes one used element, if any. */
bool virtqueue_pop_used(struct virtqueue *vq, struct virtq_used_elem *out);

#endif
