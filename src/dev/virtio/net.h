/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-net model (net.c). Its transport-less constructor is here for
 * a host's own transport (axvm's vhost-user-net); the host-side API is in
 * <axdevice/virtio.h>.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_NET_H
#define AXDEVICE_SRC_DEV_VIRTIO_NET_H

#include <axdevice/kind.h>
#include <axdevice/virtio.h>
#include <axdevice/virtio_transport.h>

#include "virtio_dev.h"

#define AX_VIRTIO_NET_QUEUE_SIZE_MAX 1024u

/*
 * A virtio-net device named `name` over `be` (which must outlive it), with
 * receiveq and transmitq of at most `queue_size` entries (a power of two in
 * [2, AX_VIRTIO_NET_QUEUE_SIZE_MAX]) and a 64-entry controlq.
 * NotFound without a backend, InvalidInput for a bad size or backend.
 */
enum ax_err ax_virtio_net_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_net_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag);

/* The kind table's constructor (emu type 4, virtio-mmio). */
enum ax_err ax_virtio_net_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				 struct ax_device_desc *out, struct ax_diag *diag);

/* The virtio-net a device built by ax_virtio_net_new is, or NULL if it is not one. */
struct ax_virtio_net *ax_virtio_net_of(struct ax_virtio_dev *dev);

#endif
