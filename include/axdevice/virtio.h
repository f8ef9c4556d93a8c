/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host-side API of the virtio device models (virtio-blk, virtio-console),
 * served to the guest over virtio-mmio version 2.
 *
 * Get a console with ax_virtio_console_from_device(); the pointer is valid
 * while the device stays in the set. The functions may be called from any
 * thread, concurrently with guest accesses (a per-device spinlock
 * serialises them). A NULL console is refused (0 or InvalidInput).
 *
 * virtio-blk needs no calls here: the block backend completes requests
 * through ax_block_request.complete (include/axdevice/backend.h), inside
 * submit or later from any thread.
 */
#ifndef AXDEVICE_VIRTIO_H
#define AXDEVICE_VIRTIO_H

#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

/* VendorID register of every libaxdevice virtio-mmio device: "AXDV" in little-endian. */
#define AX_VIRTIO_MMIO_VENDOR_ID 0x56445841u

struct ax_virtio_console;

/*
 * The virtio-console behind device `id`: NotFound if there is no such
 * device, InvalidInput if it is not a virtio-console.
 */
enum ax_err ax_virtio_console_from_device(struct ax_devices *set, uint32_t id,
					  struct ax_virtio_console **out);

/*
 * Console input: copies bytes into the buffers the guest posted on
 * receiveq and interrupts it. Returns how many bytes were taken (a prefix
 * of buf); the rest stay with the caller, who retries later, e.g. on its
 * next input event. 0 when the driver is not ready or posted no buffer.
 */
size_t ax_virtio_console_push_input(struct ax_virtio_console *con, const uint8_t *buf, size_t len);

/* Console size (VIRTIO_CONSOLE_F_SIZE): updates cols/rows and sends a config-change interrupt. */
enum ax_err ax_virtio_console_set_size(struct ax_virtio_console *con, uint16_t cols, uint16_t rows);

/*
 * Console output after backpressure: when the char backend took fewer bytes
 * than offered, transmission pauses (nothing is dropped) until the guest
 * notifies transmitq again or the host calls this once the backend can
 * take more.
 */
enum ax_err ax_virtio_console_tx_resume(struct ax_virtio_console *con);

#endif
