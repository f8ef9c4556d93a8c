/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm GICv3 redistributors (seed type GICR, 9), IHI 0069 §12.10-12.11: one
 * config entry for every vCPU's 128 KiB frame (RD_base, then SGI_base at
 * +64 KiB); frame i is vCPU i's, whichever vCPU accesses it. A register map
 * over the shared core (gicv3_core.h); the guest-visible choices are in
 * include/axdevice/gicv3.h. The model is the set's PPI sink: a device such
 * as the generic timer drives PPI 16..31 of a vCPU through the fabric.
 */
#include <axdevice/emu_type.h>

#include "gicv3_core.h"
#include "kinds.h"

#include "../core/irq.h"

#define GICR_CTLR	0x0000u
#define GICR_IIDR	0x0004u
#define GICR_TYPER	0x0008u
#define GICR_WAKER	0x0014u
#define GICR_PIDR2	0xffe8u
#define SGI_BASE	0x10000u
#define GICR_IGROUPR0	(SGI_BASE + 0x0080u)
#define GICR_ISENABLER0 (SGI_BASE + 0x0100u)
#define GICR_ICENABLER0 (SGI_BASE + 0x0180u)
#define GICR_ISPENDR0	(SGI_BASE + 0x0200u)
#define GICR_ICPENDR0	(SGI_BASE + 0x0280u)
#define GICR_ISACTIVER0 (SGI_BASE + 0x0300u)
#define GICR_ICACTIVER0 (SGI_BASE + 0x0380u)
#define GICR_IPRIORITYR (SGI_BASE + 0x0400u)
#define GICR_ICFGR0	(SGI_BASE + 0x0c00u)

#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define TYPER_LAST	      (1u << 4)

struct gicr {
	struct v3_front front;
	struct ax_irq_fabric *fabric;
};

static uint64_t read_const(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			   unsigned width)
{
	(void)op, (void)cpu, (void)off, (void)width;
	return (uint32_t)r->arg;
}

/* Affinity [63:32], Processor_Number [23:8], Last [4]; 64-bit or 32-bit halves. */
static uint64_t read_typer(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			   unsigned width)
{
	uint64_t val = v3_cpu_affinity(cpu) << 32 | (uint64_t)cpu << 8;

	(void)r, (void)width;
	if (cpu == op->g->nr_cpus - 1)
		val |= TYPER_LAST;
	return off ? val >> 32 : val;
}

static uint64_t read_waker(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			   unsigned width)
{
	(void)r, (void)off, (void)width;
	return op->g->cpus[cpu].sleep ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
}

static void write_waker(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			unsigned width, uint64_t val)
{
	(void)r, (void)off, (void)width;
	op->g->cpus[cpu].sleep = (val & WAKER_PROCESSOR_SLEEP) != 0;
	v3_note_cpu(op, cpu);
}

static uint64_t read_bits(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width)
{
	(void)off, (void)width;
	return v3_bits_read(op, cpu, 0, (enum v3_bits)r->arg);
}

static void write_bits(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		       unsigned width, uint64_t val)
{
	(void)off, (void)width;
	v3_bits_write(op, cpu, 0, (enum v3_bits)r->arg, (uint32_t)val);
}

static uint64_t read_prio(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width)
{
	(void)r;
	return v3_prio_read(op, cpu, off, width);
}

static void write_prio(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		       unsigned width, uint64_t val)
{
	(void)r;
	v3_prio_write(op, cpu, off, width, (uint32_t)val);
}

static uint64_t read_cfg(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			 unsigned width)
{
	(void)r, (void)width;
	return v3_cfg_read(op, cpu, off / 4 * 16);
}

static void write_cfg(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		      unsigned width, uint64_t val)
{
	(void)r, (void)width;
	v3_cfg_write(op, cpu, off / 4 * 16, (uint32_t)val); /* read-only fields: no effect */
}

#define BITS(base, kind)                                                                           \
	{                                                                                          \
		(base), (base) + 4, V3_W32, (kind), read_bits, write_bits                          \
	}

/* One frame, sorted by offset; offsets not listed are reserved (RAZ/WI, 32-bit). */
static const struct v3_reg gicr_regs[] = {
	{ GICR_CTLR, GICR_CTLR + 4, V3_W32, 0, NULL, NULL }, /* EnableLPIs RAZ/WI, RWP 0 */
	{ GICR_IIDR, GICR_IIDR + 4, V3_W32, (int)AX_GICV3_IIDR, read_const, NULL },
	{ GICR_TYPER, GICR_TYPER + 8, V3_W32 | V3_W64, 0, read_typer, NULL },
	{ GICR_WAKER, GICR_WAKER + 4, V3_W32, 0, read_waker, write_waker },
	{ GICR_PIDR2, GICR_PIDR2 + 4, V3_W32, 0x3b, read_const, NULL },
	BITS(GICR_IGROUPR0, V3_GROUP),
	BITS(GICR_ISENABLER0, V3_SET_ENABLE),
	BITS(GICR_ICENABLER0, V3_CLR_ENABLE),
	BITS(GICR_ISPENDR0, V3_SET_PEND),
	BITS(GICR_ICPENDR0, V3_CLR_PEND),
	BITS(GICR_ISACTIVER0, V3_SET_ACTIVE),
	BITS(GICR_ICACTIVER0, V3_CLR_ACTIVE),
	{ GICR_IPRIORITYR, GICR_IPRIORITYR + 0x20, V3_W8 | V3_W32, 0, read_prio, write_prio },
	{ GICR_ICFGR0, GICR_ICFGR0 + 8, V3_W32, 0, read_cfg, write_cfg },
};

static enum ax_err gicr_access(struct gicr *r, const struct ax_access *acc, uint64_t *rval,
			       uint64_t wval)
{
	uint32_t frame = (uint32_t)(acc->offset / AX_GICV3_GICR_FRAME);

	if (acc->vcpu >= r->front.core->nr_cpus || frame >= r->front.core->nr_cpus)
		return AX_ERR_INVALID_INPUT;
	return v3_access(r->front.core, gicr_regs, AX_ARRAY_SIZE(gicr_regs), frame,
			 acc->offset % AX_GICV3_GICR_FRAME, acc->width, rval, wval);
}

static enum ax_err gicr_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return gicr_access(priv, acc, val, 0);
}

static enum ax_err gicr_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return gicr_access(priv, acc, NULL, val);
}

static void gicr_set_ppi(void *priv, uint32_t vcpu, uint32_t intid, bool level)
{
	struct gicr *r = priv;
	struct v3_op op;

	if (intid < V3_NR_SGIS || intid >= V3_NR_PRIV || vcpu >= r->front.core->nr_cpus)
		return;
	v3_lock(&op, r->front.core);
	v3_set_line(&op, vcpu, intid, level);
	v3_unlock(&op);
}

static void gicr_reset(void *priv)
{
	struct gicr *r = priv;
	struct v3_op op;

	v3_lock(&op, r->front.core);
	v3_reset_redist(r->front.core);
	v3_unlock(&op);
}

static void gicr_destroy(void *priv)
{
	struct gicr *r = priv;
	struct gicv3 *g = r->front.core;

	ax_irq_fabric_clear_ppi_sink(r->fabric, r);
	r->front.magic = 0;
	ax_free(g->hooks, r);
	gicv3_put(g);
}

static const struct ax_device_ops gicr_ops = {
	.read = gicr_read,
	.write = gicr_write,
	.reset = gicr_reset,
	.destroy = gicr_destroy,
};

enum ax_err ax_gicr_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag)
{
	uint64_t want = (uint64_t)env->max_vcpus * AX_GICV3_GICR_FRAME;
	struct gicr *r;
	struct gicv3 *g;
	enum ax_err err;

	if (cfg->cfg_len != 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected none", cfg->name,
			       cfg->cfg_len);
	if (cfg->length != want ||
	    ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx: expected a valid "
			       "range of 0x%llx bytes (%u vCPUs x 0x%x-byte frames)",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length, (unsigned long long)want,
			       env->max_vcpus, AX_GICV3_GICR_FRAME);
	err = gicv3_get(env, cfg->name, &g, diag);
	if (err != AX_OK)
		return err;
	r = ax_zalloc(env->hooks, sizeof(*r));
	if (!r) {
		gicv3_put(g);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	}
	r->front.magic = V3_MAGIC_GICR;
	r->front.core = g;
	r->fabric = env->irq_fabric;

	struct ax_ppi_sink sink = { .priv = r, .set_ppi = gicr_set_ppi };

	err = ax_irq_fabric_set_ppi_sink(env->irq_fabric, cfg->name, &sink, diag);
	if (err != AX_OK) {
		ax_free(env->hooks, r);
		gicv3_put(g);
		return err;
	}
	out->name = cfg->name;
	out->type = AX_EMU_GICR;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_GICR);
	out->nr_ranges = 1;
	out->ops = &gicr_ops;
	out->priv = r;
	return AX_OK;
}
