/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exit device: a host-registered device kind (proof that hosts can add
 * their own; host_kinds.c registers it). A port; the guest writes its exit
 * status (low byte) and axvm stops with that status. Reads return 0.
 *   emu_devices = [["exit", 0x501, 1, 0, "exit", []]]
 */
#include <stdio.h>

#include "axvm.h"
#include "devices/host_kinds.h"

static enum ax_err exit_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)priv;
	(void)acc;
	*val = 0;
	return AX_OK;
}

static enum ax_err exit_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct axvm *vm = priv;
	int status = (int)(val & 0xff);

	axvm_request_stop(vm, status, "guest exited with status %d (vCPU %u)", status, acc->vcpu);
	return AX_OK;
}

static const struct ax_device_ops exit_ops = {
	.read = exit_read,
	.write = exit_write,
};

enum ax_err axvm_exit_device_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				    struct ax_device_desc *out, struct ax_diag *diag)
{
	out->name = cfg->name;
	out->type = AXVM_EXIT_DEVICE_TYPE;
	out->bus = AX_BUS_PORT;
	out->removable = false;
	out->nr_ranges = 1;
	out->ops = &exit_ops;
	out->priv = env->hooks->ctx; /* the VM */
	if (cfg->cfg_len != 0 ||
	    ax_range_new(AX_BUS_PORT, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK) {
		if (!diag)
			return AX_ERR_INVALID_INPUT;
		diag->err = AX_ERR_INVALID_INPUT;
		snprintf(diag->msg, sizeof(diag->msg),
			 "device \"%s\": the exit device is a port range (base 0x%llx length "
			 "0x%llx does not fit below 0x10000) and takes no cfg values",
			 cfg->name, (unsigned long long)cfg->base_gpa,
			 (unsigned long long)cfg->length);
		return AX_ERR_INVALID_INPUT;
	}
	return AX_OK;
}
