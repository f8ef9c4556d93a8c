/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-blk model without a transport, for transports other than
 * virtio-mmio (vhost-user). Internal: src/dev/virtio/ headers are not
 * installed.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_BLK_H
#define AXDEVICE_SRC_DEV_VIRTIO_BLK_H

#include <axdevice/backend.h>
#include <axdevice/error.h>
#include <axdevice/host.h>

#include "virtio_dev.h"

#define AX_VIRTIO_BLK_QUEUE_SIZE_MAX 1024u

/*
 * Builds a virtio-blk device named `name` over `be` with one request queue
 * of at most `queue_size` entries (a power of two in [2, 1024]). Features
 * and config space follow from the backend (see blk.c). The caller attaches
 * a transport (ax_virtio_dev_attach) before using it and releases it with
 * ax_virtio_dev_destroy. `hooks` and `be` must outlive the device.
 */
enum ax_err ax_virtio_blk_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_block_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag);

#endif
