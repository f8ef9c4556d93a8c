/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks of a virtio-blk device's recovery from a guest protocol error, for
 * both demo guests' hostile modes: the device must raise DEVICE_NEEDS_RESET
 * with a configuration-change interrupt, and a reset (virtio 1.2 §4.2.2.1)
 * must clear InterruptStatus and QueueReady and let the driver start again.
 * Each check is a TAP line (tap.h) named after the provocation.
 */
#ifndef GUEST_VIRTIO_BLK_RECOVERY_H
#define GUEST_VIRTIO_BLK_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_blk.h"

/* Waits (bounded, timeout_ms) for the device to ask for a reset; the last Status read. */
uint32_t virtio_blk_wait_needs_reset(struct virtio_blk *d, uint32_t timeout_ms);

/* The device must now be in NEEDS_RESET with a configuration-change interrupt pending. */
void virtio_blk_check_needs_reset(struct virtio_blk *d, uint32_t timeout_ms,
				  const char *provocation);

/* Resets the device at `base`, checks what a reset must clear, and brings it back up. */
bool virtio_blk_reset_and_reinit(struct virtio_blk *d, uintptr_t base, const char *after);

#endif
