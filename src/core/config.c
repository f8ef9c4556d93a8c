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

/* Checks one entry; messages start with `label` (which names the entry when its name is usable). */
static enum ax_err check_entry(const struct ax_emu_config *cfg, const char *label,
			       struct ax_diag *diag)
{
	if (!cfg)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "%s: missing entry", label);
	if (!cfg->name || !cfg->name[0])
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "%s: name: must not be empty", label);
	if (ax_strnlen(cfg->name, AX_NAME_MAX) >= AX_NAME_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "%s: name: longer than %d characters",
			       label, AX_NAME_MAX - 1);
	for (const char *p = cfg->name; *p; p++)
		if (!name_char_ok(*p))
			return ax_fail(
				diag, AX_ERR_INVALID_INPUT,
				"%s: name: character '%c' not allowed (use A-Z a-z 0-9 _ - .)",
				label, *p >= 0x20 && *p < 0x7f ? *p : '?');
	if (cfg->length == 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "%s: length: must not be zero", label);
	if (cfg->length - 1 > UINT64_MAX - cfg->base_gpa)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "%s: length: base_gpa 0x%llx + length 0x%llx wraps around the "
			       "address space",
			       label, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	if (!ax_emu_type_known(cfg->emu_type) && cfg->emu_type < AX_EMU_TYPE_HOST_BASE)
		return ax_fail(
			diag, AX_ERR_INVALID_INPUT,
			"%s: emu_type: %u is not a device type (0..%d, 0x%x, 0x%x, 0x%x, or a "
			"host kind from %u)",
			label, cfg->emu_type, AX_EMU_TYPE_COUNT - 1, AX_EMU_IOAPIC, AX_EMU_LAPIC,
			AX_EMU_PIC8259, AX_EMU_TYPE_HOST_BASE);
	if (cfg->cfg_len > AX_CFG_LIST_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "%s: cfg_list: %zu values, at most %d allowed", label, cfg->cfg_len,
			       AX_CFG_LIST_MAX);
	if (cfg->cfg_len && !cfg->cfg_list)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "%s: cfg_list: %zu values but no array",
			       label, cfg->cfg_len);
	return AX_OK;
}

/* Whether the entry's name can be quoted in a message. */
static bool name_printable(const struct ax_emu_config *cfg)
{
	if (!cfg || !cfg->name || !cfg->name[0] ||
	    ax_strnlen(cfg->name, AX_NAME_MAX) >= AX_NAME_MAX)
		return false;
	for (const char *p = cfg->name; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return false;
	return true;
}

enum ax_err ax_emu_config_validate(const struct ax_emu_config *cfg, size_t index,
				   struct ax_diag *diag)
{
	char label[64];

	if (name_printable(cfg))
		ax_format(label, sizeof(label), "emu_devices[%zu] \"%s\"", index, cfg->name);
	else
		ax_format(label, sizeof(label), "emu_devices[%zu]", index);
	return check_entry(cfg, label, diag);
}

enum ax_err ax_emu_config_check(const struct ax_emu_config *cfg, struct ax_diag *diag)
{
	char label[64];

	if (name_printable(cfg))
		ax_format(label, sizeof(label), "device \"%s\"", cfg->name);
	else
		ax_format(label, sizeof(label), "device");
	return check_entry(cfg, label, diag);
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
