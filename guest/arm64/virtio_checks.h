/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 7: virtio-mmio. Every slot is probed (magic, version 2, device
 * id); the block device reads sector 0 (banner and pattern), writes and
 * reads back sectors 8..15, flushes, and completes one read by interrupt
 * through the GIC (INTID 48 + slot); the console sends a line on port 0.
 */
#ifndef GUEST_VIRTIO_CHECKS_H
#define GUEST_VIRTIO_CHECKS_H

#include <stdint.h>

void virtio_checks_run(void);

/* The slot holding `device_id`, or -1 (also used by hostile mode). */
int virtio_find_slot(uint32_t device_id);
uintptr_t virtio_slot_base(unsigned slot);

#endif
