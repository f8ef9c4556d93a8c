/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-net model (net.c): the kind table's constructor. Its
 * transport-less constructor, for a host's own transport (axvm's
 * vhost-user-net), is public in <axdevice/virtio_transport.h>; the
 * host-side API in <axdevice/virtio.h>.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_NET_H
#define AXDEVICE_SRC_DEV_VIRTIO_NET_H

#include <axdevice/kind.h>
#include <axdevice/virtio.h>
#include <axdevice/virtio_transport.h>

#include "virtio_dev.h"

/* The kind table's constructor (emu type 4, virtio-mmio). */
enum ax_err ax_virtio_net_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				 struct ax_device_desc *out, struct ax_diag *diag);

#endif
