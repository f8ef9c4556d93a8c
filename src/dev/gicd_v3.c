/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm GICv3 distributor in affinity-routing mode (emu type gicd-v3, 0x42),
 * IHI 0069 §12.9: a register map over the shared core (gicv3_core.h). The
 * guest-visible choices are in include/axdevice/gicv3.h. SPIs arrive as the
 * set's lines 32..nr_irqs-1 (an ax_irq_input owning lines 0..nr_irqs-1;
 * lines below 32 are ignored: private interrupts come per vCPU through the
 * redistributor's PPI sink).
 */
#include <axdevice/emu_type.h>

#include "gicv3_core.h"
#include "kinds.h"

#include "../core/irq.h"

#define GICD_CTLR	0x0000u
#define GICD_TYPER	0x0004u
#define GICD_IIDR	0x0008u
#define GICD_IGROUPR	0x0080u
#define GICD_ISENABLER	0x0100u
#define GICD_ICENABLER	0x0180u
#define GICD_ISPENDR	0x0200u
#define GICD_ICPENDR	0x0280u
#define GICD_ISACTIVER	0x0300u
#define GICD_ICACTIVER	0x0380u
#define GICD_IPRIORITYR 0x0400u
#define GICD_ICFGR	0x0c00u
#define GICD_IGRPMODR	0x0d00u
#define GICD_IROUTER	0x6000u /* IROUTER<n> at 0x6000 + 8n, n >= 32 */
#define GICD_PIDR2	0xffe8u

#define CTLR_ENABLE_MASK 0x3u	   /* EnableGrp0, EnableGrp1 */
#define CTLR_ARE	 (1u << 4) /* RAO/WI */
#define CTLR_DS		 (1u << 6) /* RAO/WI: one security state */
#define IROUTER_MASK	 0x000000ff80ffffffull
#define DEFAULT_NR_IRQS	 256u

struct gicd_v3 {
	struct v3_front front;
	struct ax_irq_fabric *fabric;
};

static uint64_t read_ctlr(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width)
{
	(void)r, (void)cpu, (void)off, (void)width;
	return op->g->gicd_ctlr | CTLR_ARE | CTLR_DS;
}

static void write_ctlr(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		       unsigned width, uint64_t val)
{
	(void)r, (void)cpu, (void)off, (void)width;
	op->g->gicd_ctlr = (uint32_t)val & CTLR_ENABLE_MASK;
	v3_note_all(op); /* rare: find exactly who has work now */
}

static uint64_t read_typer(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			   unsigned width)
{
	uint32_t cpus = op->g->nr_cpus > 8 ? 8 : op->g->nr_cpus;

	(void)r, (void)cpu, (void)off, (void)width;
	/* ITLinesNumber [4:0], CPUNumber [7:5], IDbits [23:19], A3V [24] */
	return ((op->g->nr_irqs + 31) / 32 - 1) | (cpus - 1) << 5 | 9u << 19 | 1u << 24;
}

static uint64_t read_const(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			   unsigned width)
{
	(void)op, (void)cpu, (void)off, (void)width;
	return (uint32_t)r->arg;
}

/* Bitmap registers: register n holds ids 32n..32n+31; n = 0 is the GICR's (RAZ/WI). */
static uint64_t read_bits(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width)
{
	(void)cpu, (void)width;
	return off < 4 ? 0 : v3_bits_read(op, 0, off / 4 * 32, (enum v3_bits)r->arg);
}

static void write_bits(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		       unsigned width, uint64_t val)
{
	(void)cpu, (void)width;
	if (off >= 4)
		v3_bits_write(op, 0, off / 4 * 32, (enum v3_bits)r->arg, (uint32_t)val);
}

static uint64_t read_prio(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width)
{
	(void)r, (void)cpu;
	return off < V3_NR_PRIV ? 0 : v3_prio_read(op, 0, off, width);
}

static void write_prio(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		       unsigned width, uint64_t val)
{
	(void)r, (void)cpu;
	if (off >= V3_NR_PRIV)
		v3_prio_write(op, 0, off, width, (uint32_t)val);
}

static uint64_t read_cfg(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			 unsigned width)
{
	(void)r, (void)cpu, (void)width;
	return off < 8 ? 0 : v3_cfg_read(op, 0, off / 4 * 16);
}

static void write_cfg(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		      unsigned width, uint64_t val)
{
	(void)r, (void)cpu, (void)width;
	if (off >= 8)
		v3_cfg_write(op, 0, off / 4 * 16, (uint32_t)val);
}

/* IROUTER<n>, n = off / 8: 64-bit, or 32-bit halves; n < 32 reserved (RAZ/WI). */
static uint64_t read_irouter(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			     unsigned width)
{
	uint32_t id = off / 8;
	uint64_t val;

	(void)r, (void)cpu, (void)width;
	if (id < V3_NR_PRIV || id >= op->g->nr_irqs)
		return 0;
	val = op->g->route[id - V3_NR_PRIV];
	return (off & 4) ? val >> 32 : val;
}

static void write_irouter(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			  unsigned width, uint64_t val)
{
	uint32_t id = off / 8;
	uint64_t *route;

	(void)r, (void)cpu;
	if (id < V3_NR_PRIV || id >= op->g->nr_irqs)
		return;
	route = &op->g->route[id - V3_NR_PRIV];
	if (width == 8)
		*route = val;
	else if (off & 4)
		*route = (*route & 0xffffffffull) | val << 32;
	else
		*route = (*route & ~0xffffffffull) | (val & 0xffffffffull);
	*route &= IROUTER_MASK;
	v3_note(op, 0, id);
}

#define BITS(base, kind)                                                                           \
	{                                                                                          \
		(base), (base) + 0x80, V3_W32, (kind), read_bits, write_bits                       \
	}

/* Sorted by offset; offsets not listed are reserved (RAZ/WI, 32-bit). */
static const struct v3_reg gicd_regs[] = {
	{ GICD_CTLR, GICD_CTLR + 4, V3_W32, 0, read_ctlr, write_ctlr },
	{ GICD_TYPER, GICD_TYPER + 4, V3_W32, 0, read_typer, NULL },
	{ GICD_IIDR, GICD_IIDR + 4, V3_W32, (int)AX_GICV3_IIDR, read_const, NULL },
	BITS(GICD_IGROUPR, V3_GROUP),
	BITS(GICD_ISENABLER, V3_SET_ENABLE),
	BITS(GICD_ICENABLER, V3_CLR_ENABLE),
	BITS(GICD_ISPENDR, V3_SET_PEND),
	BITS(GICD_ICPENDR, V3_CLR_PEND),
	BITS(GICD_ISACTIVER, V3_SET_ACTIVE),
	BITS(GICD_ICACTIVER, V3_CLR_ACTIVE),
	{ GICD_IPRIORITYR, GICD_IPRIORITYR + 0x3fc, V3_W8 | V3_W32, 0, read_prio, write_prio },
	{ GICD_ICFGR, GICD_ICFGR + 0x100, V3_W32, 0, read_cfg, write_cfg },
	{ GICD_IGRPMODR, GICD_IGRPMODR + 0x80, V3_W32, 0, NULL, NULL },
	{ GICD_IROUTER, GICD_IROUTER + 8 * AX_GICV3_MAX_ID + 8, V3_W32 | V3_W64, 0, read_irouter,
	  write_irouter },
	{ GICD_PIDR2, GICD_PIDR2 + 4, V3_W32, 0x3b, read_const, NULL },
};

static enum ax_err gicd_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct gicd_v3 *d = priv;

	if (acc->vcpu >= d->front.core->nr_cpus)
		return AX_ERR_INVALID_INPUT;
	return v3_access(d->front.core, gicd_regs, AX_ARRAY_SIZE(gicd_regs), acc->vcpu, acc->offset,
			 acc->width, val, 0);
}

static enum ax_err gicd_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct gicd_v3 *d = priv;

	if (acc->vcpu >= d->front.core->nr_cpus)
		return AX_ERR_INVALID_INPUT;
	return v3_access(d->front.core, gicd_regs, AX_ARRAY_SIZE(gicd_regs), acc->vcpu, acc->offset,
			 acc->width, NULL, val);
}

static void gicd_reset(void *priv)
{
	struct gicd_v3 *d = priv;
	struct v3_op op;

	v3_lock(&op, d->front.core);
	v3_reset_dist(d->front.core);
	v3_unlock(&op);
}

static void gicd_set_line(void *priv, uint32_t line, bool level)
{
	struct gicd_v3 *d = priv;
	struct v3_op op;

	if (line < V3_NR_PRIV)
		return;
	v3_lock(&op, d->front.core);
	if (line < op.g->nr_irqs)
		v3_set_line(&op, 0, line, level);
	v3_unlock(&op);
}

static void gicd_destroy(void *priv)
{
	struct gicd_v3 *d = priv;
	struct gicv3 *g = d->front.core;
	struct v3_op op;

	ax_irq_fabric_remove_input(d->fabric, d);
	v3_lock(&op, g);
	g->has_gicd = false;
	g->nr_irqs = V3_NR_PRIV;
	v3_unlock(&op);
	d->front.magic = 0;
	ax_free(g->hooks, d);
	gicv3_put(g);
}

static const struct ax_device_ops gicd_ops = {
	.read = gicd_read,
	.write = gicd_write,
	.reset = gicd_reset,
	.destroy = gicd_destroy,
};

enum ax_err ax_gicd_v3_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag)
{
	uint64_t nr_irqs = cfg->cfg_len > 0 ? cfg->cfg_list[0] : DEFAULT_NR_IRQS;
	struct gicd_v3 *d;
	struct gicv3 *g;
	struct v3_op op;
	bool taken;
	enum ax_err err;

	if (cfg->cfg_len > 1)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected at most 1 "
			       "[nr_irqs]",
			       cfg->name, cfg->cfg_len);
	if (nr_irqs < 32 || nr_irqs > AX_GICV3_MAX_IRQS || nr_irqs % 32)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": nr_irqs %llu is not a multiple of 32 in 32..%u",
			       cfg->name, (unsigned long long)nr_irqs, AX_GICV3_MAX_IRQS);
	if (cfg->length < AX_GICV3_GICD_SIZE ||
	    ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not a valid "
			       "range of at least the 0x%x-byte distributor frame",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length, AX_GICV3_GICD_SIZE);
	err = gicv3_get(env, cfg->name, &g, diag);
	if (err != AX_OK)
		return err;
	d = ax_zalloc(env->hooks, sizeof(*d));
	if (!d) {
		gicv3_put(g);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	}
	d->front.magic = V3_MAGIC_GICD;
	d->front.core = g;
	d->fabric = env->irq_fabric;

	v3_lock(&op, g);
	taken = g->has_gicd;
	if (!taken) {
		g->has_gicd = true;
		g->nr_irqs = nr_irqs > AX_GICV3_MAX_ID ? AX_GICV3_MAX_ID + 1 : (uint32_t)nr_irqs;
		v3_reset_dist(g);
	}
	v3_unlock(&op);
	if (taken) {
		ax_free(env->hooks, d);
		gicv3_put(g);
		return ax_fail(diag, AX_ERR_ALREADY_EXISTS,
			       "device \"%s\": the set already has a GICv3 distributor", cfg->name);
	}

	struct ax_irq_input in = {
		.name = cfg->name, .nr_lines = g->nr_irqs, .set_line = gicd_set_line, .priv = d
	};

	err = ax_irq_fabric_add_input(env->irq_fabric, &in, diag);
	if (err != AX_OK) {
		d->fabric = NULL;
		v3_lock(&op, g);
		g->has_gicd = false;
		g->nr_irqs = V3_NR_PRIV;
		v3_unlock(&op);
		ax_free(env->hooks, d);
		gicv3_put(g);
		return err;
	}

	out->name = cfg->name;
	out->type = AX_EMU_GICD_V3;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_GICD_V3);
	out->nr_ranges = 1;
	out->ops = &gicd_ops;
	out->priv = d;
	return AX_OK;
}
