/* SPDX-License-Identifier: Apache-2.0 */
/* The virtio-mmio transport (version 2), as seen by the device models. */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_MMIO_H
#define AXDEVICE_SRC_DEV_VIRTIO_MMIO_H

#include <axdevice/emu_type.h>
#include <axdevice/kind.h>

#include "virtio_dev.h"

#define VIRTIO_MMIO_MIN_LENGTH 0x200u /* registers 0x000-0x0ff, config from 0x100 */

/*
 * Wraps `dev` in a virtio-mmio transport at cfg's range and irq and fills
 * `out`. Takes ownership of `dev`: on failure it is destroyed.
 */
enum ax_err ax_virtio_mmio_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				  uint32_t emu_type, struct ax_virtio_dev *dev,
				  struct ax_device_desc *out, struct ax_diag *diag);

/* The device behind a virtio-mmio priv pointer, or NULL if priv is not one. */
struct ax_virtio_dev *ax_virtio_mmio_device(void *priv);

#endif
