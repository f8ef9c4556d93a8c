/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-blk model. Its transport-less constructor, ax_virtio_blk_new,
 * is public (<axdevice/virtio_transport.h>): a host's own transport
 * (axvm's vhost-user) builds the device with it.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_BLK_H
#define AXDEVICE_SRC_DEV_VIRTIO_BLK_H

#include <axdevice/virtio_transport.h>

#include "virtio_dev.h"

#endif
