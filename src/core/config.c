/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of device configuration entries: every message names the entry and the field. */
#include <axdevice/config.h>
#include <axdevice/device.h>
#include <axdevice/emu_type.h>

#include "util.h"

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

enum ax_err ax_emu_config_validate(const struct ax_emu_config *cfg, size_t index,
				   struct ax_diag *diag)
{
	if (!cfg)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "emu_devices[%zu]: missing entry",
			       index);
	if (!cfg->name || !cfg->name[0])
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu]: name: must not be empty", index);
	if (ax_strnlen(cfg->name, AX_NAME_MAX) >= AX_NAME_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu]: name: longer than %d characters", index,
			       AX_NAME_MAX - 1);
	for (const char *p = cfg->name; *p; p++)
		if (!name_char_ok(*p))
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "emu_devices[%zu] \"%s\": name: character '%c' not allowed "
				       "(use A-Z a-z 0-9 _ - .)",
				       index, cfg->name, *p >= 0x20 && *p < 0x7f ? *p : '?');
	if (cfg->length == 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu] \"%s\": length: must not be zero", index,
			       cfg->name);
	if (cfg->length - 1 > UINT64_MAX - cfg->base_gpa)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu] \"%s\": length: base_gpa 0x%llx + length 0x%llx "
			       "wraps around the address space",
			       index, cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	if (cfg->emu_type >= AX_EMU_TYPE_COUNT && cfg->emu_type < AX_EMU_TYPE_HOST_BASE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu] \"%s\": emu_type: %u is not a device type "
			       "(0..%d, or a host kind from %u)",
			       index, cfg->name, cfg->emu_type, AX_EMU_TYPE_COUNT - 1,
			       AX_EMU_TYPE_HOST_BASE);
	if (cfg->cfg_len > AX_CFG_LIST_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu] \"%s\": cfg_list: %zu values, at most %d allowed",
			       index, cfg->name, cfg->cfg_len, AX_CFG_LIST_MAX);
	if (cfg->cfg_len && !cfg->cfg_list)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "emu_devices[%zu] \"%s\": cfg_list: %zu values but no array", index,
			       cfg->name, cfg->cfg_len);
	return AX_OK;
}

enum ax_err ax_vm_device_config_validate(const struct ax_vm_device_config *cfg,
					 struct ax_diag *diag)
{
	if (!cfg)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device config: missing");
	if (cfg->nr_emu_configs && !cfg->emu_configs)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device config: %zu entries but no array", cfg->nr_emu_configs);
	for (size_t i = 0; i < cfg->nr_emu_configs; i++) {
		enum ax_err err = ax_emu_config_validate(&cfg->emu_configs[i], i, diag);

		if (err)
			return err;
		/* quadratic, but configs are small and this runs once */
		for (size_t j = 0; j < i; j++)
			if (ax_streq(cfg->emu_configs[j].name, cfg->emu_configs[i].name))
				return ax_fail(diag, AX_ERR_ALREADY_EXISTS,
					       "emu_devices[%zu] \"%s\": name: already used by "
					       "emu_devices[%zu]",
					       i, cfg->emu_configs[i].name, j);
	}
	return AX_OK;
}
