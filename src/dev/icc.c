/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm GICv3 CPU interface system registers (IHI 0069 §12.2), banked per vCPU
 * through the access context, over the shared core (gicv3_core.h). Three
 * config shapes of one model (include/axdevice/gicv3.h):
 *   icc (0x43)       the whole ICC_*_EL1 set, and the set's CPU interrupt
 *                    controller (ax_irq_fabric_set_cpu_irq);
 *   icc-sre (7)      ICC_SRE_EL1 alone, sgir (8) ICC_SGI1R_EL1 alone: what
 *                    upstream traps when a hardware GIC handles the rest.
 * Registers of the block the model does not implement (Group 0, AP1R1..3,
 * ASGI1R, SGI0R) read as zero (IAR0/HPPIR0: 1023) and ignore writes, as do
 * writes to read-only and reads of write-only registers. IAR1 and IAR0
 * reads are counted per vCPU by the class of the INTID returned
 * (ax_devices_irq_ack_stats, through the icc shape only).
 */
#include <axdevice/emu_type.h>
#include <axdevice/sysreg.h>

#include "gicv3_core.h"
#include "kinds.h"

#include "../core/irq.h"

#define ICC(crm, op2) AX_SYSREG_ARM64(3, 0, 12, crm, op2)

enum icc_reg {
	ICC_IAR0_EL1 = ICC(8, 0),
	ICC_HPPIR0_EL1 = ICC(8, 2),
	ICC_AP1R0_EL1 = ICC(9, 0),
	ICC_DIR_EL1 = ICC(11, 1),
	ICC_RPR_EL1 = ICC(11, 3),
	ICC_SGI1R_EL1 = ICC(11, 5),
	ICC_IAR1_EL1 = ICC(12, 0),
	ICC_EOIR1_EL1 = ICC(12, 1),
	ICC_HPPIR1_EL1 = ICC(12, 2),
	ICC_BPR1_EL1 = ICC(12, 3),
	ICC_CTLR_EL1 = ICC(12, 4),
	ICC_SRE_EL1 = ICC(12, 5),
	ICC_IGRPEN1_EL1 = ICC(12, 7),
	ICC_PMR_EL1 = AX_SYSREG_ARM64(3, 0, 4, 6, 0),
};

#define SRE_VALUE    0x7u /* SRE, DFB, DIB: RAO/WI */
#define CTLR_EOIMODE (1u << 1)
#define CTLR_RO	     (4u << 8 | 1u << 15) /* PRIbits = 4 (5 bits), IDbits 0 (16), A3V */
#define BPR1_MIN     3u

struct icc {
	struct v3_front front;
	struct ax_irq_fabric *fabric; /* NULL unless registered as the CPU controller */
};

static uint64_t icc_read_locked(struct v3_op *op, uint32_t cpu, uint32_t reg)
{
	struct v3_cpu *c = &op->g->cpus[cpu];

	uint32_t id;

	switch (reg) {
	case ICC_IAR0_EL1:
		ax_irq_ack_count(&c->acks, V3_SPURIOUS);
		return V3_SPURIOUS; /* Group 0 is never signalled */
	case ICC_HPPIR0_EL1:
		return V3_SPURIOUS;
	case ICC_AP1R0_EL1:
		return c->ap1r0;
	case ICC_RPR_EL1:
		return v3_rpr(op->g, cpu);
	case ICC_IAR1_EL1:
		id = v3_ack(op, cpu);
		ax_irq_ack_count(&c->acks, id);
		return id;
	case ICC_HPPIR1_EL1:
		return v3_best(op->g, cpu, NULL);
	case ICC_BPR1_EL1:
		return c->bpr1;
	case ICC_CTLR_EL1:
		return CTLR_RO | (c->eoimode ? CTLR_EOIMODE : 0);
	case ICC_SRE_EL1:
		return SRE_VALUE;
	case ICC_IGRPEN1_EL1:
		return c->igrpen1;
	case ICC_PMR_EL1:
		return c->pmr;
	default:
		return 0;
	}
}

static void icc_write_locked(struct v3_op *op, uint32_t cpu, uint32_t reg, uint64_t val)
{
	struct v3_cpu *c = &op->g->cpus[cpu];

	switch (reg) {
	case ICC_AP1R0_EL1:
		c->ap1r0 = (uint32_t)val;
		break;
	case ICC_DIR_EL1:
		v3_dir(op, cpu, (uint32_t)val & 0xffffffu);
		return;
	case ICC_SGI1R_EL1:
		v3_sgi1r(op, cpu, val);
		return;
	case ICC_EOIR1_EL1:
		v3_eoi(op, cpu, (uint32_t)val & 0xffffffu);
		return;
	case ICC_BPR1_EL1:
		c->bpr1 = (val & 7u) < BPR1_MIN ? BPR1_MIN : (uint8_t)(val & 7u);
		break;
	case ICC_CTLR_EL1:
		c->eoimode = (val & CTLR_EOIMODE) != 0;
		return;
	case ICC_IGRPEN1_EL1:
		c->igrpen1 = val & 1u;
		break;
	case ICC_PMR_EL1:
		c->pmr = (uint8_t)val & AX_GICV3_PRIORITY_MASK;
		break;
	default:
		return; /* read-only or not implemented */
	}
	v3_note_cpu(op, cpu);
}

static enum ax_err icc_access(struct icc *i, const struct ax_access *acc, uint64_t *rval,
			      uint64_t wval)
{
	struct v3_op op;

	if (acc->vcpu >= i->front.core->nr_cpus ||
	    (acc->width != AX_WIDTH_QWORD && acc->width != AX_WIDTH_DWORD))
		return AX_ERR_INVALID_INPUT;
	v3_lock(&op, i->front.core);
	if (rval)
		*rval = icc_read_locked(&op, acc->vcpu, (uint32_t)acc->addr);
	else
		icc_write_locked(&op, acc->vcpu, (uint32_t)acc->addr, wval);
	v3_unlock(&op);
	return AX_OK;
}

static enum ax_err icc_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return icc_access(priv, acc, val, 0);
}

static enum ax_err icc_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return icc_access(priv, acc, NULL, val);
}

static void icc_reset(void *priv)
{
	struct icc *i = priv;
	struct v3_op op;

	v3_lock(&op, i->front.core);
	v3_reset_cpuif(i->front.core);
	v3_unlock(&op);
}

static void icc_destroy(void *priv)
{
	struct icc *i = priv;
	struct gicv3 *g = i->front.core;

	if (i->fabric)
		ax_irq_fabric_clear_cpu_irq(i->fabric, i);
	i->front.magic = 0;
	ax_free(g->hooks, i);
	gicv3_put(g);
}

static const struct ax_device_ops icc_ops = {
	.read = icc_read,
	.write = icc_write,
	.reset = icc_reset,
	.destroy = icc_destroy,
};

/* ax_devices_irq_pending: IAR1 would return an interrupt now. */
static bool icc_pending(void *priv, uint32_t vcpu)
{
	struct icc *i = priv;
	struct v3_op op;
	bool pending;

	if (vcpu >= i->front.core->nr_cpus)
		return false;
	v3_lock(&op, i->front.core);
	pending = v3_deliverable(op.g, vcpu) != V3_SPURIOUS;
	v3_unlock(&op);
	return pending;
}

/* ax_devices_irq_ack_stats: the vCPU's IAR1/IAR0 reads so far. */
static enum ax_err icc_ack_stats(void *priv, uint32_t vcpu, struct ax_irq_ack_stats *out)
{
	struct icc *i = priv;
	struct v3_op op;

	if (vcpu >= i->front.core->nr_cpus)
		return AX_ERR_INVALID_INPUT;
	v3_lock(&op, i->front.core);
	*out = op.g->cpus[vcpu].acks;
	v3_unlock(&op);
	return AX_OK;
}

static enum ax_err icc_build(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			     struct ax_device_desc *out, struct ax_diag *diag,
			     enum ax_emu_type type, uint64_t base, uint64_t length,
			     const char *what)
{
	struct icc *i;
	struct gicv3 *g;
	enum ax_err err;

	if (cfg->cfg_len != 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected none", cfg->name,
			       cfg->cfg_len);
	if (cfg->base_gpa != base || cfg->length != length)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": %s takes base 0x%llx length 0x%llx on the sysreg "
			       "bus (op0:op1:CRn:CRm:op2), not base 0x%llx length 0x%llx",
			       cfg->name, what, (unsigned long long)base,
			       (unsigned long long)length, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	out->nr_ranges = 0;
	if (ax_range_new(AX_BUS_SYSREG, base, length, &out->ranges[out->nr_ranges++]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device \"%s\": bad range", cfg->name);
	if (type == AX_EMU_ICC &&
	    ax_range_new(AX_BUS_SYSREG, ICC_PMR_EL1, 1, &out->ranges[out->nr_ranges++]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device \"%s\": bad range", cfg->name);
	err = gicv3_get(env, cfg->name, &g, diag);
	if (err != AX_OK)
		return err;
	i = ax_zalloc(env->hooks, sizeof(*i));
	if (!i) {
		gicv3_put(g);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	}
	i->front.magic = V3_MAGIC_ICC;
	i->front.core = g;
	if (type == AX_EMU_ICC) {
		struct ax_cpu_irq_ops ops = {
			.priv = i, .pending = icc_pending, .ack = NULL, .ack_stats = icc_ack_stats
		};

		err = ax_irq_fabric_set_cpu_irq(env->irq_fabric, cfg->name, &ops, diag);
		if (err != AX_OK) {
			ax_free(env->hooks, i);
			gicv3_put(g);
			return err;
		}
		i->fabric = env->irq_fabric;
	}
	out->name = cfg->name;
	out->type = type;
	out->bus = AX_BUS_SYSREG;
	out->removable = ax_emu_type_removable(type);
	out->ops = &icc_ops;
	out->priv = i;
	return AX_OK;
}

enum ax_err ax_icc_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			  struct ax_device_desc *out, struct ax_diag *diag)
{
	return icc_build(env, cfg, out, diag, AX_EMU_ICC, AX_GICV3_ICC_BASE, AX_GICV3_ICC_LEN,
			 "the ICC register set");
}

enum ax_err ax_icc_sre_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag)
{
	return icc_build(env, cfg, out, diag, AX_EMU_ICC_SRE, ICC_SRE_EL1, 1, "ICC_SRE_EL1");
}

enum ax_err ax_sgir_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag)
{
	return icc_build(env, cfg, out, diag, AX_EMU_SGIR, ICC_SGI1R_EL1, 1, "ICC_SGI1R_EL1");
}
