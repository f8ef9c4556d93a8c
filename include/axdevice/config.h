/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-VM device configuration (the seeds' EmulatedDeviceConfig and
 * AxVmDeviceConfig). Plain data: the caller owns every pointer.
 */
#ifndef AXDEVICE_CONFIG_H
#define AXDEVICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define AX_CFG_LIST_MAX 16 /* entries in one cfg_list */

struct ax_emu_config {
	const char *name;
	uint64_t base_gpa;
	uint64_t length;
	uint32_t irq_id;
	uint32_t emu_type; /* enum ax_emu_type or a host kind number */
	const uint64_t *cfg_list;
	size_t cfg_len;
};

struct ax_vm_device_config {
	const struct ax_emu_config *emu_configs;
	size_t nr_emu_configs;
};

/*
 * Checks one entry: name present, short enough and made of [A-Za-z0-9_.-];
 * length non-zero; base + length does not wrap; emu_type a seeds' type or a
 * host kind number; cfg_list within AX_CFG_LIST_MAX. On failure `diag` names
 * the entry (by index and name) and the field.
 */
enum ax_err ax_emu_config_validate(const struct ax_emu_config *cfg, size_t index,
				   struct ax_diag *diag);

/* The same checks for an entry on its own: messages start with `device "name": `. */
enum ax_err ax_emu_config_check(const struct ax_emu_config *cfg, struct ax_diag *diag);

/* Checks every entry and that names are unique. */
enum ax_err ax_vm_device_config_validate(const struct ax_vm_device_config *cfg,
					 struct ax_diag *diag);

#endif
