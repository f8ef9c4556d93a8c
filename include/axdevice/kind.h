/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device kinds: how a config entry becomes a device. The library has a
 * built-in table (one kind per device model); a host passes its own kinds
 * when it creates a device set, and those are looked up first, so a host may
 * add new types (from AX_EMU_TYPE_HOST_BASE) or replace a built-in model.
 */
#ifndef AXDEVICE_KIND_H
#define AXDEVICE_KIND_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "device.h"
#include "error.h"
#include "host.h"
#include "irq.h"

/* What a constructor may use while building a device. */
struct ax_kind_env {
	const struct ax_host_hooks *hooks;
	uint32_t max_vcpus;
	/* The device's connection to the lines it claims in its descriptor. */
	struct ax_irq_lines *irq_lines;
	/* The set's interrupt-controller plumbing, for controller models. */
	struct ax_irq_fabric *irq_fabric;
};

struct ax_device_kind {
	uint32_t type;		/* enum ax_emu_type or a host kind number */
	const char *short_name; /* config name, e.g. "virtio-blk" */
	/*
	 * Builds the device for `cfg`: fills `out` (name, type, bus, ranges,
	 * ops, priv, removable). On failure it frees what it allocated and
	 * explains in `diag`. If adding the result fails, the set calls
	 * ops->destroy(priv).
	 */
	enum ax_err (*create)(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag);
};

/* The built-in kind for `type`, or NULL when this build has no model for it. */
const struct ax_device_kind *ax_builtin_kind(uint32_t type);

#endif
