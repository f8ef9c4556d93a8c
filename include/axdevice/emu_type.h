/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Emulated device types, numbered exactly as the seeds' EmuDeviceType
 * (0..10, contiguous: AX_EMU_TYPE_COUNT), plus x86 interrupt controllers the
 * seeds lack and the Arm models a host with no hardware GIC needs. Those
 * extra numbers avoid the seeds' 0..10 and every number
 * upstream's later renumbering (axvm-types) uses for something else: the
 * I/O APIC keeps upstream's X86IoApic number 0x23; the local APIC and the
 * 8259 pair, which upstream does not number, take 0x40 and 0x41, the GICv3
 * distributor, the full GICv3 ICC register set and the generic timer 0x42,
 * 0x43 and 0x44 (upstream
 * uses 0x00-0x0a, 0x20-0x25, 0x30 and 0xe1-0xe3). Iterate over every known
 * type with ax_emu_type_by_index(), not over 0..AX_EMU_TYPE_COUNT.
 * Hosts may define their own kinds from AX_EMU_TYPE_HOST_BASE upwards.
 */
#ifndef AXDEVICE_EMU_TYPE_H
#define AXDEVICE_EMU_TYPE_H

#include <stdbool.h>
#include <stddef.h>
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
	AX_EMU_TYPE_COUNT, /* the seeds' types are 0..AX_EMU_TYPE_COUNT-1 */

	/* beyond the seeds (not removable) */
	AX_EMU_IOAPIC = 0x23,	 /* "x86 I/O APIC" (82093AA), upstream's X86IoApic */
	AX_EMU_LAPIC = 0x40,	 /* "x86 local APIC" */
	AX_EMU_PIC8259 = 0x41,	 /* "x86 8259A PIC pair" */
	AX_EMU_GICD_V3 = 0x42,	 /* "Arm interrupt controller V3 distributor" */
	AX_EMU_ICC = 0x43,	 /* "Arm GICv3 CPU interface system registers" (the whole set) */
	AX_EMU_ARM_TIMER = 0x44, /* "Arm generic timer" */
};

/* Number of known types: the seeds' AX_EMU_TYPE_COUNT and the six above. */
#define AX_EMU_TYPE_KNOWN 17

/* First number free for host-defined device kinds (e.g. axvm's exit port). */
#define AX_EMU_TYPE_HOST_BASE 0x100u

/* Whether `value` is a known type (a seeds' type or one of the extra ones above). */
bool ax_emu_type_known(uint64_t value);

/*
 * The i-th known type in ascending number order (i < AX_EMU_TYPE_KNOWN):
 * `for (size_t i = 0; ax_emu_type_by_index(i, &t) == AX_OK; i++)` visits all.
 * NotFound past the end.
 */
enum ax_err ax_emu_type_by_index(size_t i, enum ax_emu_type *out);

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

/*
 * Reads `value` in upstream's July 2025 numbering (axvmconfig, axvm-types),
 * which a config or host must ask for explicitly: the seeds' numbers above
 * stay the default. Every upstream number is either mapped or refused:
 *
 *   upstream                 ours
 *   0x00 Dummy               refused: no counterpart
 *   0x01 InterruptController refused: arch-generic upstream (a GICv2 or GICv3
 *                            on Arm, another controller elsewhere); name the
 *                            model ("gicd-v2", "gicd-v3", "ioapic", ...)
 *   0x02 Console             console (0)
 *   0x03 FwCfg               refused: no counterpart
 *   0x0a IVCChannel          refused: no counterpart
 *   0x20 GPPTRedistributor   refused: gppt (2) is the distributor only
 *   0x21 GPPTDistributor     gppt (2)
 *   0x22 GPPTITS             refused: gppt (2) is the distributor only
 *   0x23 X86IoApic           ioapic (0x23)
 *   0x24 X86Pit              refused: no counterpart
 *   0x25 LoongArchPchPic     refused: no counterpart
 *   0x30 PPPTGlobal          refused: no counterpart
 *   0xe1 VirtioBlk           virtio-blk (3)
 *   0xe2 VirtioNet           virtio-net (4)
 *   0xe3 VirtioConsole       virtio-console (5)
 *
 * AX_OK: *out is our type. Unsupported: an upstream type with no counterpart
 * here. InvalidInput: not a number upstream's 2025 numbering uses. When not
 * NULL, *upstream_name gets upstream's variant name ("X86Pit"; NULL for
 * InvalidInput) and *why a short reason for Unsupported (NULL otherwise).
 * Whether a mapped type has a device model is the device set's question.
 */
enum ax_err ax_emu_type_from_axvmconfig_2025(uint64_t value, enum ax_emu_type *out,
					     const char **upstream_name, const char **why);

#endif
