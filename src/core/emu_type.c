/* SPDX-License-Identifier: Apache-2.0 */
/* The seeds' EmuDeviceType: numbers, display names, removable(). */
#include <axdevice/emu_type.h>

#include "util.h"

struct emu_type_info {
	const char *short_name; /* what configs may say instead of the number */
	const char *name;	/* upstream Display */
	bool removable;
};

static const struct emu_type_info emu_types[AX_EMU_TYPE_COUNT] = {
	[AX_EMU_CONSOLE] = { "console", "console", false },
	[AX_EMU_GICD_V2] = { "gicd-v2", "Arm interrupt controller V2", true },
	[AX_EMU_GPPT] = { "gppt", "partial passthrough interrupt controller", true },
	[AX_EMU_VIRTIO_BLK] = { "virtio-blk", "virtio block", true },
	[AX_EMU_VIRTIO_NET] = { "virtio-net", "virtio net", true },
	[AX_EMU_VIRTIO_CONSOLE] = { "virtio-console", "virtio console", true },
	[AX_EMU_IOMMU] = { "iommu", "IOMMU", false },
	[AX_EMU_ICC_SRE] = { "icc-sre", "interrupt ICC SRE", true },
	[AX_EMU_SGIR] = { "sgir", "interrupt ICC SGIR", true },
	[AX_EMU_GICR] = { "gicr", "interrupt controller gicr", true },
	[AX_EMU_META] = { "meta", "meta device", false },
};

enum ax_err ax_emu_type_from_int(uint64_t value, enum ax_emu_type *out)
{
	if (value >= AX_EMU_TYPE_COUNT)
		return AX_ERR_INVALID_INPUT;
	*out = (enum ax_emu_type)value;
	return AX_OK;
}

const char *ax_emu_type_name(enum ax_emu_type type)
{
	return (unsigned)type < AX_EMU_TYPE_COUNT ? emu_types[type].name : NULL;
}

const char *ax_emu_type_short_name(enum ax_emu_type type)
{
	return (unsigned)type < AX_EMU_TYPE_COUNT ? emu_types[type].short_name : NULL;
}

enum ax_err ax_emu_type_from_short_name(const char *name, enum ax_emu_type *out)
{
	if (!name)
		return AX_ERR_INVALID_INPUT;
	for (unsigned t = 0; t < AX_EMU_TYPE_COUNT; t++) {
		if (ax_streq(emu_types[t].short_name, name)) {
			*out = (enum ax_emu_type)t;
			return AX_OK;
		}
	}
	return AX_ERR_NOT_FOUND;
}

bool ax_emu_type_removable(enum ax_emu_type type)
{
	return (unsigned)type < AX_EMU_TYPE_COUNT && emu_types[type].removable;
}
