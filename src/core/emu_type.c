/* SPDX-License-Identifier: Apache-2.0 */
/* The seeds' EmuDeviceType and our extra x86 types: numbers, display names, removable(). */
#include <axdevice/emu_type.h>

#include "util.h"

struct emu_type_info {
	uint32_t type;
	const char *short_name; /* what configs may say instead of the number */
	const char *name;	/* upstream Display */
	bool removable;
};

/* Ascending by number: the seeds' 0..10 first, at their own index. */
static const struct emu_type_info emu_types[AX_EMU_TYPE_KNOWN] = {
	{ AX_EMU_CONSOLE, "console", "console", false },
	{ AX_EMU_GICD_V2, "gicd-v2", "Arm interrupt controller V2", true },
	{ AX_EMU_GPPT, "gppt", "partial passthrough interrupt controller", true },
	{ AX_EMU_VIRTIO_BLK, "virtio-blk", "virtio block", true },
	{ AX_EMU_VIRTIO_NET, "virtio-net", "virtio net", true },
	{ AX_EMU_VIRTIO_CONSOLE, "virtio-console", "virtio console", true },
	{ AX_EMU_IOMMU, "iommu", "IOMMU", false },
	{ AX_EMU_ICC_SRE, "icc-sre", "interrupt ICC SRE", true },
	{ AX_EMU_SGIR, "sgir", "interrupt ICC SGIR", true },
	{ AX_EMU_GICR, "gicr", "interrupt controller gicr", true },
	{ AX_EMU_META, "meta", "meta device", false },
	{ AX_EMU_IOAPIC, "ioapic", "x86 I/O APIC", false },
	{ AX_EMU_LAPIC, "lapic", "x86 local APIC", false },
	{ AX_EMU_PIC8259, "pic8259", "x86 8259A PIC pair", false },
	{ AX_EMU_GICD_V3, "gicd-v3", "Arm interrupt controller V3 distributor", false },
	{ AX_EMU_ICC, "icc", "Arm GICv3 CPU interface system registers", false },
	{ AX_EMU_ARM_TIMER, "arm-timer", "Arm generic timer", false },
};

_Static_assert(AX_EMU_TYPE_COUNT == 11, "the seeds' types are 0..10");

static const struct emu_type_info *info_of(uint64_t type)
{
	if (type < AX_EMU_TYPE_COUNT)
		return &emu_types[type];
	for (size_t i = AX_EMU_TYPE_COUNT; i < AX_EMU_TYPE_KNOWN; i++)
		if (emu_types[i].type == type)
			return &emu_types[i];
	return NULL;
}

bool ax_emu_type_known(uint64_t value)
{
	return info_of(value) != NULL;
}

enum ax_err ax_emu_type_by_index(size_t i, enum ax_emu_type *out)
{
	if (i >= AX_EMU_TYPE_KNOWN)
		return AX_ERR_NOT_FOUND;
	*out = (enum ax_emu_type)emu_types[i].type;
	return AX_OK;
}

enum ax_err ax_emu_type_from_int(uint64_t value, enum ax_emu_type *out)
{
	if (!info_of(value))
		return AX_ERR_INVALID_INPUT;
	*out = (enum ax_emu_type)value;
	return AX_OK;
}

const char *ax_emu_type_name(enum ax_emu_type type)
{
	const struct emu_type_info *t = info_of((uint32_t)type);

	return t ? t->name : NULL;
}

const char *ax_emu_type_short_name(enum ax_emu_type type)
{
	const struct emu_type_info *t = info_of((uint32_t)type);

	return t ? t->short_name : NULL;
}

enum ax_err ax_emu_type_from_short_name(const char *name, enum ax_emu_type *out)
{
	if (!name)
		return AX_ERR_INVALID_INPUT;
	for (size_t i = 0; i < AX_EMU_TYPE_KNOWN; i++) {
		if (ax_streq(emu_types[i].short_name, name)) {
			*out = (enum ax_emu_type)emu_types[i].type;
			return AX_OK;
		}
	}
	return AX_ERR_NOT_FOUND;
}

bool ax_emu_type_removable(enum ax_emu_type type)
{
	const struct emu_type_info *t = info_of((uint32_t)type);

	return t && t->removable;
}
