/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Meta device (EmuDeviceType Meta = 10): a placeholder region that claims
 * addresses so they are not unmapped. Reads return zero, writes are
 * ignored; the device set counts both. cfg_list: [] or [bus], bus 0 MMIO
 * (the default) or 1 port I/O — a no-op port is the floor of the port-exit
 * benchmarks (everything but a device model's own work).
 */
#include "kinds.h"

#include "../core/util.h"

static enum ax_err meta_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)priv;
	(void)acc;
	*val = 0;
	return AX_OK;
}

static enum ax_err meta_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	(void)priv;
	(void)acc;
	(void)val;
	return AX_OK;
}

static const struct ax_device_ops meta_ops = {
	.read = meta_read,
	.write = meta_write,
};

enum ax_err ax_meta_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag)
{
	enum ax_bus bus = AX_BUS_MMIO;

	(void)env;
	if (cfg->cfg_len > 1 || (cfg->cfg_len == 1 && (!cfg->cfg_list || cfg->cfg_list[0] > 1)))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list must be [] or [bus] with bus 0 (MMIO) or "
			       "1 (port I/O)",
			       cfg->name);
	if (cfg->cfg_len == 1 && cfg->cfg_list[0] == 1)
		bus = AX_BUS_PORT;
	out->name = cfg->name;
	out->type = AX_EMU_META;
	out->bus = bus;
	out->removable = ax_emu_type_removable(AX_EMU_META);
	out->nr_ranges = 1;
	out->ops = &meta_ops;
	out->priv = NULL;
	if (ax_range_new(bus, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	return AX_OK;
}
