/* SPDX-License-Identifier: Apache-2.0 */
/* Constructors of the built-in device models, for the kind table. */
#ifndef AXDEVICE_SRC_DEV_KINDS_H
#define AXDEVICE_SRC_DEV_KINDS_H

#include <axdevice/devices.h>
#include <axdevice/emu_type.h>
#include <axdevice/kind.h>

enum ax_err ax_meta_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_uart16550_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_gicd_v2_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_gppt_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_virtio_blk_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				 struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_virtio_console_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				     struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_lapic_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			    struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_ioapic_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			     struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_pic8259_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag);
/* The console's PL011 model (cfg_list model 1); ax_uart16550_create dispatches to it. */
enum ax_err ax_pl011_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			    struct ax_device_desc *out, struct ax_diag *diag);
/* GICv3: distributor, redistributors, CPU interface (whole set, or SRE / SGI1R alone) */
enum ax_err ax_gicd_v3_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_gicr_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_icc_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			  struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_icc_sre_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err ax_sgir_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag);
/* Arm generic timer (CNTFRQ..CNTV_CVAL on the sysreg bus) */
enum ax_err ax_arm_timer_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				struct ax_device_desc *out, struct ax_diag *diag);
/* device models declare their constructors here, one each */

/*
 * The priv of device `id` when it is of `type`, for a model's host-side
 * *_from_device(): the device's own error when there is no such device,
 * InvalidInput when it has another type or no priv. The caller still checks
 * its own magic: a host kind may have replaced the built-in model.
 */
enum ax_err ax_builtin_priv(struct ax_devices *set, uint32_t id, uint32_t type, void **priv);

#endif
