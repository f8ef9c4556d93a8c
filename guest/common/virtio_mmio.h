/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Virtio over MMIO, version 2 ("modern") transport: register layout from
 * virtio 1.2 §4.2.2, device status bits from §2.1, the initialisation
 * sequence from §3.1.1.
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtqueue.h"

/* Register offsets (§4.2.2, table "MMIO Device Register Layout"). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC	   0x74726976u /* "virt", little-endian */
#define VIRTIO_MMIO_VERSION_MODERN 2u

/* InterruptStatus / InterruptACK bits (§4.2.2). */
#define VIRTIO_MMIO_INT_USED_BUFFER   (1u << 0)
#define VIRTIO_MMIO_INT_CONFIG_CHANGE (1u << 1)

/* Device status field (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1u
#define VIRTIO_STATUS_DRIVER		 2u
#define VIRTIO_STATUS_DRIVER_OK		 4u
#define VIRTIO_STATUS_FEATURES_OK	 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED		 128u

/* Reserved feature bits (§6). */
#define VIRTIO_F_VERSION_1 32

/* Device IDs (§5). */
#define VIRTIO_ID_BLOCK	  2u
#define VIRTIO_ID_CONSOLE 3u

struct virtio_mmio_device {
	uintptr_t base;
	uint32_t device_id;
	uint64_t device_features;
	uint64_t driver_features;
	char error[128]; /* why the last virtio_mmio_* call that returned false failed */
};

uint32_t virtio_mmio_read(const struct virtio_mmio_device *dev, uint32_t reg);
void virtio_mmio_write(const struct virtio_mmio_device *dev, uint32_t reg, uint32_t value);

/* True when `base` holds a version-2 virtio-mmio device with the given device ID. */
bool virtio_mmio_probe(uintptr_t base, uint32_t device_id);

/* The first of `slots` slots `stride` apart from `first` holding `device_id`, or 0. */
uintptr_t virtio_mmio_find(uint32_t device_id, uintptr_t first, unsigned slots, uintptr_t stride);

/* Writes 0 to Status and waits (bounded) for it to read back 0. */
bool virtio_mmio_reset(struct virtio_mmio_device *dev);

/*
 * §3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, read both feature windows,
 * accept device_features & `wanted` (failing if a `required` bit is absent),
 * FEATURES_OK, and check the device kept FEATURES_OK. Sets FAILED on error.
 */
bool virtio_mmio_negotiate(struct virtio_mmio_device *dev, uint64_t wanted, uint64_t required);

/* §4.2.3.2: sets up queue `index` on `vq` (size min(QueueNumMax, VIRTQ_MAX_SIZE)) and readies it.
 */
bool virtio_mmio_setup_queue(struct virtio_mmio_device *dev, uint32_t index, struct virtqueue *vq,
			     struct virtqueue_memory *mem);

/* §3.1.1 step 8: sets DRIVER_OK and checks the device did not ask for a reset. */
bool virtio_mmio_driver_ok(struct virtio_mmio_device *dev);

void virtio_mmio_notify(const struct virtio_mmio_device *dev, uint32_t queue);

/* Reads InterruptStatus and acknowledges exactly the bits read; returns them. */
uint32_t virtio_mmio_ack_interrupts(const struct virtio_mmio_device *dev);

uint32_t virtio_mmio_config_read32(const struct virtio_mmio_device *dev, uint32_t offset);
/* A 64-bit config field read as two 32-bit halves, retried until ConfigGeneration is stable. */
bool virtio_mmio_config_read64(struct virtio_mmio_device *dev, uint32_t offset, uint64_t *out);

#endif
