/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Emulated device types, numbered exactly as the seeds' EmuDeviceType.
 * Hosts may define their own kinds from AX_EMU_TYPE_HOST_BASE upwards.
 */
#ifndef AXDEVICE_EMU_TYPE_H
#define AXDEVICE_EMU_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum ax_emu_type {
	AX_EMU_CONSOLE = 0,
	AX_EMU_GICD_V2 = 1,
	AX_EMU_GPPT = 2,
	AX_EMU_VIRTIO_BLK = 3,
	AX_EMU_VIRTIO_NET = 4,
	AX_EMU_VIRTIO_CONSOLE = 5,
	AX_EMU_IOMMU = 6,
	AX_EMU_ICC_SRE = 7,
	AX_EMU_SGIR = 8,
	AX_EMU_GICR = 9,
	AX_EMU_META = 10,
	AX_EMU_TYPE_COUNT
};

/* First number free for host-defined device kinds (e.g. axvm's exit port). */
#define AX_EMU_TYPE_HOST_BASE 0x100u

/* Converts an integer; InvalidInput (never an abort) for an unknown value. */
enum ax_err ax_emu_type_from_int(uint64_t value, enum ax_emu_type *out);

/* Upstream display name, e.g. "virtio block"; NULL for an unknown type. */
const char *ax_emu_type_name(enum ax_emu_type type);

/* Short config name, e.g. "virtio-blk"; NULL for an unknown type. */
const char *ax_emu_type_short_name(enum ax_emu_type type);

/* Looks a type up by its short config name; NotFound when none matches. */
enum ax_err ax_emu_type_from_short_name(const char *name, enum ax_emu_type *out);

/* Whether a device of this type may be removed at run time (upstream's removable()). */
bool ax_emu_type_removable(enum ax_emu_type type);

#endif
