/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The uniform device interface (the seeds' BaseDeviceOps).
 *
 * A device is an ops table plus an opaque `priv` pointer. It owns one or
 * more ranges on exactly one bus. The dispatcher has already checked that
 * the width is 1/2/4/8 and that [addr, addr + width) lies inside one of the
 * device's ranges before either callback runs; alignment and per-register
 * widths are the device's business.
 */
#ifndef AXDEVICE_DEVICE_H
#define AXDEVICE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "irq.h"
#include "range.h"

/* Everything a device learns about one trapped access. */
struct ax_access {
	uint32_t vcpu; /* trapping vCPU: banked registers key on it */
	enum ax_bus bus;
	enum ax_width width; /* bytes */
	uint32_t range;	     /* which of the device's ranges was hit */
	uint64_t addr;	     /* absolute address, as upstream passes it */
	uint64_t offset;     /* addr minus the base of the range hit */
};

struct ax_device_ops {
	/* Store the value read in *val; the dispatcher masks it to the width. */
	enum ax_err (*read)(void *priv, const struct ax_access *acc, uint64_t *val);
	/* `val` arrives masked to the width. */
	enum ax_err (*write)(void *priv, const struct ax_access *acc, uint64_t val);
	/* Optional: return to power-on state. */
	void (*reset)(void *priv);
	/* Optional: release priv. Called once no access is inside the device. */
	void (*destroy)(void *priv);
};

#define AX_NAME_MAX	     32 /* device names, including the terminating NUL */
#define AX_DEVICE_MAX_RANGES 4	/* ranges one device may own */

/* What it takes to add a device to a set. The set copies all of it. */
struct ax_device_desc {
	const char *name; /* unique within the set, 1..AX_NAME_MAX-1 chars */
	uint32_t type;	  /* enum ax_emu_type or a host kind number */
	enum ax_bus bus;
	bool removable;
	uint32_t nr_ranges;
	struct ax_range ranges[AX_DEVICE_MAX_RANGES];
	uint32_t nr_irqs; /* interrupt lines the device drives (irq.h) */
	struct ax_irq_claim irqs[AX_DEVICE_MAX_IRQS];
	const struct ax_device_ops *ops;
	void *priv;
};

#endif
