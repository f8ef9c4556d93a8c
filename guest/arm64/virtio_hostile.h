/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile mode, virtio-blk: a descriptor chain that loops, a buffer outside
 * RAM, a notify of a queue that is not ready, a queue size beyond
 * QueueNumMax, writes to read-only registers. Each protocol violation must
 * put the device in DEVICE_NEEDS_RESET (Status bit 0x40, with a
 * configuration-change interrupt), and after a reset it must work again.
 */
#ifndef GUEST_VIRTIO_HOSTILE_H
#define GUEST_VIRTIO_HOSTILE_H

#include <stdbool.h>

/* false when there is no virtio-blk to abuse. */
bool virtio_hostile_run(void);

/* The device still reads sector 0 correctly (the final health check). */
void virtio_hostile_check_device(const char *when);

#endif
