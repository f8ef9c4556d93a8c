/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console driver (virtio 1.2 §5.3), output only: port 0's
 * receiveq (queue 0) is set up as the spec expects, transmitq (queue 1)
 * carries the bytes; no multiport, no emergency write.
 */
#ifndef GUEST_VIRTIO_CONSOLE_H
#define GUEST_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"
#include "virtqueue.h"

#define VIRTIO_CONSOLE_RECEIVEQ	 0u
#define VIRTIO_CONSOLE_TRANSMITQ 1u

struct virtio_console {
	struct virtio_mmio_device mmio;
	struct virtqueue receiveq;
	struct virtqueue transmitq;
};

bool virtio_console_init(struct virtio_console *con, uintptr_t base);

/*
 * Sends len bytes (copied into a driver buffer, at most 256) through
 * transmitq and polls for the device to return the buffer; false on timeout.
 */
bool virtio_console_write(struct virtio_console *con, const char *text, uint32_t len);

#endif
