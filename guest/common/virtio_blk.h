/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk driver (virtio 1.2 §5.2) over virtio-mmio, one request in
 * flight on request queue 0. Requests are submitted, then completed either
 * by polling the used ring or by the interrupt handler.
 */
#ifndef GUEST_VIRTIO_BLK_H
#define GUEST_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"
#include "virtqueue.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

/* Configuration layout (§5.2.4). */
#define VIRTIO_BLK_CONFIG_CAPACITY 0x00 /* le64, in 512-byte sectors */

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN	   0u
#define VIRTIO_BLK_T_OUT   1u
#define VIRTIO_BLK_T_FLUSH 4u

#define VIRTIO_BLK_S_OK	    0u
#define VIRTIO_BLK_S_IOERR  1u
#define VIRTIO_BLK_S_UNSUPP 2u

#define VIRTIO_BLK_SECTOR_SIZE	 512u
#define VIRTIO_BLK_REQUEST_QUEUE 0u

/* The device-readable header in front of every request (§5.2.6). */
struct virtio_blk_req_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* Status byte value the guest stores before submitting, so an untouched byte shows. */
#define VIRTIO_BLK_STATUS_UNSET 0xeeu

struct virtio_blk {
	struct virtio_mmio_device mmio;
	struct virtqueue vq;
	uint64_t capacity; /* sectors */

	/* The request in flight. */
	struct virtio_blk_req_header header;
	volatile uint8_t status;

	/* Filled in by virtio_blk_handle_interrupt(). */
	volatile uint32_t irq_count;
	volatile uint32_t irq_status_seen; /* OR of InterruptStatus values */
	volatile bool irq_saw_used_advance;
};

struct virtio_blk_completion {
	bool completed; /* the used ring advanced before the deadline */
	uint8_t status; /* the request's status byte */
	uint32_t id;	/* used element id (head descriptor) */
	uint32_t len;	/* bytes the device reports writing */
};

/* Full §3.1.1 initialisation: negotiate VERSION_1 (+FLUSH if offered), queue 0, DRIVER_OK,
 * capacity. */
bool virtio_blk_init(struct virtio_blk *blk, uintptr_t base);

/*
 * Submits one request and notifies: header, then (unless FLUSH) `len` bytes of
 * data at `data` (device writes it for IN), then the status byte.
 */
void virtio_blk_submit(struct virtio_blk *blk, uint32_t type, uint64_t sector, volatile void *data,
		       uint32_t len);

/* Polls the used ring until the request completes or `timeout_ms` passes; acks interrupts. */
struct virtio_blk_completion virtio_blk_wait_polled(struct virtio_blk *blk, uint32_t timeout_ms);

/* Consumes a completion the interrupt handler has already seen advance the used ring. */
struct virtio_blk_completion virtio_blk_take_completion(struct virtio_blk *blk);

/* Submit + poll; returns the completion. */
struct virtio_blk_completion virtio_blk_request(struct virtio_blk *blk, uint32_t type,
						uint64_t sector, volatile void *data, uint32_t len);

/* For the interrupt handler: reads InterruptStatus, acks it, notes whether the used ring moved. */
void virtio_blk_handle_interrupt(struct virtio_blk *blk);

/* The device's Status register. */
uint32_t virtio_blk_device_status(const struct virtio_blk *blk);

#endif
