/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's own device kinds, registered with the device set as host kinds
 * (numbers and config names in vm_config.h), one file each:
 *   exit_device.c  "exit": the guest writes its exit status
 *   acpi_sleep.c   "acpi-sleep": ACPI sleep registers, S5 powers the VM off
 * Both take the VM from the hooks' ctx.
 */
#ifndef AXVM_HOST_KINDS_H
#define AXVM_HOST_KINDS_H

#include <stddef.h>

#include <axdevice/kind.h>

extern const struct ax_device_kind axvm_kinds[];
extern const size_t axvm_nr_kinds;

/* The config name of any device type: a host kind's, else the library's; NULL if unknown. */
const char *axvm_kind_name(uint32_t type);

enum ax_err axvm_exit_device_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				    struct ax_device_desc *out, struct ax_diag *diag);
enum ax_err axvm_acpi_sleep_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				   struct ax_device_desc *out, struct ax_diag *diag);

#endif
