/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The acpi-sleep device: the sleep registers of a hardware-reduced ACPI
 * platform (ACPI 6.x, 4.8.3.7 SLEEP_CONTROL_REG, 4.8.3.8 SLEEP_STATUS_REG)
 * on two I/O ports, so that the guest's ACPI power-off stops axvm with
 * status 0. vmm/acpi/acpi.c points the FADT at them and declares \_S5 with
 * SLP_TYP ACPI_SLP_TYP_S5, for a bzImage guest whose config has this device:
 *   emu_devices = [["acpi-sleep", 0x600, 2, 0, "acpi-sleep", []]]
 *
 * port + 0, SLEEP_CONTROL_REG: a write with SLP_EN (bit 5) enters the state
 *   SLP_TYPx (bits 4:2) names. S5 stops the VM with status 0; any other
 *   type is refused (Unsupported; logged once per type, the VM runs on, as
 *   if the platform had ignored it). Without SLP_EN a write does nothing.
 *   Reads return 0 (SLP_EN reads as 0; SLP_TYPx is not kept).
 * port + 1, SLEEP_STATUS_REG: reads return 0: WAK_STS (bit 7) is never set,
 *   the VM never wakes. Writes (1 to WAK_STS clears it, as the OS does
 *   before sleeping) change nothing.
 * Widths: one byte, as the FADT says (bit width 8, byte access). A wider
 * access is refused: InvalidInput here for a word at SLEEP_CONTROL_REG,
 * BadAddress from the dispatcher for anything running past the two ports
 * (axvm logs it once, drops the write, the read sees all-ones).
 */
#include <stdatomic.h>
#include <stdio.h>

#include "acpi/acpi.h"
#include "axvm.h"
#include "devices/host_kinds.h"
#include "log.h"

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK  0x7u
#define SLP_EN	      (1u << 5)

struct acpi_sleep {
	struct axvm *vm;
	const struct ax_host_hooks *hooks;
	atomic_uint refused_logged; /* bit n: SLP_TYP n was refused and said so */
};

static enum ax_err sleep_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)priv;
	if (acc->width != AX_WIDTH_BYTE)
		return AX_ERR_INVALID_INPUT;
	*val = 0;
	return AX_OK;
}

static enum ax_err sleep_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct acpi_sleep *s = priv;
	unsigned type = (unsigned)(val >> SLP_TYP_SHIFT) & SLP_TYP_MASK;

	if (acc->width != AX_WIDTH_BYTE)
		return AX_ERR_INVALID_INPUT;
	if (acc->offset != ACPI_SLEEP_CONTROL_OFFSET || !(val & SLP_EN))
		return AX_OK;
	if (type == ACPI_SLP_TYP_S5) {
		axvm_request_stop(s->vm, 0, "guest powered off (ACPI S5, vCPU %u)", acc->vcpu);
		return AX_OK;
	}
	if (!(atomic_fetch_or(&s->refused_logged, 1u << type) & (1u << type)))
		axvm_warn("acpi-sleep: the guest asked for sleep type %u (SLEEP_CONTROL 0x%02x); "
			  "only %u (S5, power-off) is supported: refused, the VM keeps running",
			  type, (unsigned)val, ACPI_SLP_TYP_S5);
	return AX_ERR_UNSUPPORTED;
}

static void sleep_destroy(void *priv)
{
	struct acpi_sleep *s = priv;

	s->hooks->free(s->hooks->ctx, s);
}

static const struct ax_device_ops sleep_ops = {
	.read = sleep_read,
	.write = sleep_write,
	.destroy = sleep_destroy,
};

static enum ax_err refuse(struct ax_diag *diag, enum ax_err err, const struct ax_emu_config *cfg,
			  const char *why)
{
	if (diag) {
		diag->err = err;
		snprintf(diag->msg, sizeof(diag->msg), "device \"%s\": the acpi-sleep device %s",
			 cfg->name, why);
	}
	return err;
}

enum ax_err axvm_acpi_sleep_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				   struct ax_device_desc *out, struct ax_diag *diag)
{
	struct acpi_sleep *s;
	char why[160];

	if (cfg->cfg_len != 0)
		return refuse(diag, AX_ERR_INVALID_INPUT, cfg, "takes no cfg values");
	if (cfg->length != ACPI_SLEEP_PORTS) {
		snprintf(why, sizeof(why),
			 "is %u ports (SLEEP_CONTROL_REG, SLEEP_STATUS_REG): length must be %u, "
			 "not 0x%llx",
			 ACPI_SLEEP_PORTS, ACPI_SLEEP_PORTS, (unsigned long long)cfg->length);
		return refuse(diag, AX_ERR_INVALID_INPUT, cfg, why);
	}
	/* port 0 would read as "no register" in the FADT */
	if (cfg->base_gpa == 0 ||
	    ax_range_new(AX_BUS_PORT, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK) {
		snprintf(
			why, sizeof(why),
			"is on the port bus, not MMIO: base 0x%llx must be a port from 0x1 to 0x%x",
			(unsigned long long)cfg->base_gpa, 0x10000u - ACPI_SLEEP_PORTS);
		return refuse(diag, AX_ERR_INVALID_INPUT, cfg, why);
	}
	s = env->hooks->alloc(env->hooks->ctx, sizeof(*s), _Alignof(struct acpi_sleep));
	if (!s)
		return refuse(diag, AX_ERR_NO_MEMORY, cfg, "cannot be allocated (out of memory)");
	s->vm = env->hooks->ctx; /* the VM */
	s->hooks = env->hooks;
	atomic_init(&s->refused_logged, 0);
	out->name = cfg->name;
	out->type = AXVM_ACPI_SLEEP_TYPE;
	out->bus = AX_BUS_PORT;
	out->removable = false;
	out->nr_ranges = 1;
	out->ops = &sleep_ops;
	out->priv = s;
	return AX_OK;
}
