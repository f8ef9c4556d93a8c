/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in device kinds: one entry per device model in src/dev/. */
#include <axdevice/kind.h>

#include "kinds.h"
#include "virtio/net.h"

static const struct ax_device_kind builtin_kinds[] = {
	{ AX_EMU_META, "meta", ax_meta_create },
	{ AX_EMU_CONSOLE, "console", ax_uart16550_create },
	{ AX_EMU_GICD_V2, "gicd-v2", ax_gicd_v2_create },
	{ AX_EMU_GPPT, "gppt", ax_gppt_create },
	{ AX_EMU_VIRTIO_BLK, "virtio-blk", ax_virtio_blk_create },
	{ AX_EMU_VIRTIO_NET, "virtio-net", ax_virtio_net_create },
	{ AX_EMU_VIRTIO_CONSOLE, "virtio-console", ax_virtio_console_create },
	{ AX_EMU_LAPIC, "lapic", ax_lapic_create },
	{ AX_EMU_IOAPIC, "ioapic", ax_ioapic_create },
	{ AX_EMU_PIC8259, "pic8259", ax_pic8259_create },
	{ AX_EMU_GICD_V3, "gicd-v3", ax_gicd_v3_create },
	{ AX_EMU_GICR, "gicr", ax_gicr_create },
	{ AX_EMU_ICC, "icc", ax_icc_create },
	{ AX_EMU_ICC_SRE, "icc-sre", ax_icc_sre_create },
	{ AX_EMU_ARM_TIMER, "arm-timer", ax_arm_timer_create },
	{ AX_EMU_SGIR, "sgir", ax_sgir_create },
	/* device models register here, one line each */
};

const struct ax_device_kind *ax_builtin_kind(uint32_t type)
{
	for (size_t i = 0; i < sizeof(builtin_kinds) / sizeof(builtin_kinds[0]); i++)
		if (builtin_kinds[i].type == type)
			return &builtin_kinds[i];
	return NULL;
}

enum ax_err ax_builtin_priv(struct ax_devices *set, uint32_t id, uint32_t type, void **priv)
{
	struct ax_device_info info;
	enum ax_err err = ax_devices_find_by_id(set, id, &info);

	if (err != AX_OK)
		return err;
	if (info.type != type)
		return AX_ERR_INVALID_INPUT;
	err = ax_devices_priv(set, id, priv);
	if (err != AX_OK)
		return err;
	return *priv ? AX_OK : AX_ERR_INVALID_INPUT;
}
