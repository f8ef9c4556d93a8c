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

/* --- upstream's July 2025 numbering ------------------------------------------------- */

#define NO_COUNTERPART "no counterpart in libaxdevice"
#define GPPT_DIST_ONLY "our gppt (2) is the partial-passthrough distributor only"

struct upstream_2025 {
	uint32_t value;
	const char *name;
	bool mapped;
	enum ax_emu_type ours; /* when mapped */
	const char *why;       /* when not */
};

static const struct upstream_2025 upstream_2025_types[] = {
	{ 0x00, "Dummy", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0x01, "InterruptController", false, AX_EMU_CONSOLE,
	  "arch-generic upstream (a GICv2 or GICv3 on Arm, another controller elsewhere): "
	  "name the model instead, e.g. \"gicd-v2\", \"gicd-v3\" or \"ioapic\"" },
	{ 0x02, "Console", true, AX_EMU_CONSOLE, NULL },
	{ 0x03, "FwCfg", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0x0a, "IVCChannel", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0x20, "GPPTRedistributor", false, AX_EMU_CONSOLE, GPPT_DIST_ONLY },
	{ 0x21, "GPPTDistributor", true, AX_EMU_GPPT, NULL },
	{ 0x22, "GPPTITS", false, AX_EMU_CONSOLE, GPPT_DIST_ONLY },
	{ 0x23, "X86IoApic", true, AX_EMU_IOAPIC, NULL },
	{ 0x24, "X86Pit", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0x25, "LoongArchPchPic", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0x30, "PPPTGlobal", false, AX_EMU_CONSOLE, NO_COUNTERPART },
	{ 0xe1, "VirtioBlk", true, AX_EMU_VIRTIO_BLK, NULL },
	{ 0xe2, "VirtioNet", true, AX_EMU_VIRTIO_NET, NULL },
	{ 0xe3, "VirtioConsole", true, AX_EMU_VIRTIO_CONSOLE, NULL },
};

enum ax_err ax_emu_type_from_axvmconfig_2025(uint64_t value, enum ax_emu_type *out,
					     const char **upstream_name, const char **why)
{
	const struct upstream_2025 *u = NULL;

	for (size_t i = 0; i < sizeof(upstream_2025_types) / sizeof(upstream_2025_types[0]); i++)
		if (upstream_2025_types[i].value == value)
			u = &upstream_2025_types[i];
	if (upstream_name)
		*upstream_name = u ? u->name : NULL;
	if (why)
		*why = u ? u->why : NULL;
	if (!u)
		return AX_ERR_INVALID_INPUT;
	if (!u->mapped)
		return AX_ERR_UNSUPPORTED;
	*out = u->ours;
	return AX_OK;
}
