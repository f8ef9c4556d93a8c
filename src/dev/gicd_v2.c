/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ARM GICv2 distributor (EmuDeviceType GicdV2 = 1), IHI 0048B §4.3. The
 * guest-visible choices and the host API are described in
 * include/axdevice/gicd_v2.h.
 *
 * The register map is a table of (offset range, allowed widths, handlers);
 * the per-interrupt registers share generic "one bit per interrupt" and "one
 * byte per interrupt" handlers that the table entry parameterises with small
 * accessors. Each interrupt is a struct irq_state: 0..31 live in a bank per
 * CPU, SPIs in one array.
 *
 * Locking: one spinlock (ax_spinlock) per distributor guards all state; it is
 * held only for the few hundred instructions of one access or host call.
 * The notify hook runs after the lock is dropped, so it may call back in.
 */
#include <stdatomic.h>

#include <axdevice/gicd_v2.h>

#include "gicv2_priv.h"
#include "kinds.h"

#include "../core/util.h"

#define DEFAULT_NUM_IRQS 256u
#define DEFAULT_NUM_CPUS 1u

/* Register offsets, IHI 0048B Table 4-1. */
#define GICD_CTLR	0x000u
#define GICD_TYPER	0x004u
#define GICD_IIDR	0x008u
#define GICD_IGROUPR	0x080u
#define GICD_ISENABLER	0x100u
#define GICD_ICENABLER	0x180u
#define GICD_ISPENDR	0x200u
#define GICD_ICPENDR	0x280u
#define GICD_ISACTIVER	0x300u
#define GICD_ICACTIVER	0x380u
#define GICD_IPRIORITYR 0x400u
#define GICD_ITARGETSR	0x800u
#define GICD_ICFGR	0xc00u
#define GICD_SGIR	0xf00u
#define GICD_CPENDSGIR	0xf10u
#define GICD_SPENDSGIR	0xf20u
#define GICD_PIDR4	0xfd0u /* PIDR4..7, PIDR0..3, CIDR0..3 up to the end */

#define CTLR_ENABLE_GRP0 (1u << 0)
#define CTLR_ENABLE_GRP1 (1u << 1)

#define SGIR_FILTER_LIST	 0u
#define SGIR_FILTER_ALL_BUT_SELF 1u
#define SGIR_FILTER_SELF	 2u

/* Allowed access widths, as a mask of (1 << bytes). */
#define W8     (1u << 1)
#define W32    (1u << 4)
#define W8_W32 (W8 | W32)

/* Identification registers 0xfd0..0xffc: ARM's GICv2 values, ArchRev 2 in PIDR2[7:4]. */
static const uint8_t gicd_id_regs[12] = {
	0x04, 0x00, 0x00, 0x00, /* PIDR4..7 */
	0x90, 0xb4, 0x2b, 0x00, /* PIDR0..3 */
	0x0d, 0xf0, 0x05, 0xb1, /* CIDR0..3 */
};

void gicv2_lock(struct ax_gicd_v2 *g)
{
	ax_spin_lock(&g->lock, g->hooks);
}

static void gicd_lock(struct ax_gicd_v2 *g)
{
	gicv2_lock(g);
}

/*
 * Drops the lock, then tells the host which CPUs may have new work: the
 * notify callback and, with a CPU interface, the host's irq_notify hook.
 */
void gicv2_unlock(struct gicd_op *op)
{
	struct ax_gicd_v2 *g = op->g;
	ax_gicd_v2_notify_fn fn = g->notify;
	void *ctx = g->notify_ctx;
	const struct ax_host_hooks *h = g->hooks;
	bool host = g->has_cpuif && h->irq_notify;

	ax_spin_unlock(&g->lock);
	if (!fn && !host)
		return;
	for (uint32_t cpu = 0; cpu < AX_GICD_V2_MAX_CPUS; cpu++) {
		if (!(op->kick & (1u << cpu)))
			continue;
		if (fn)
			fn(ctx, cpu);
		if (host)
			h->irq_notify(h->ctx, cpu);
	}
}

static void gicd_unlock(struct gicd_op *op)
{
	gicv2_unlock(op);
}

/* ---- interrupt state ----------------------------------------------------- */

struct irq_state *gicv2_irq_at(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq)
{
	return irq < NR_PRIVATE ? &g->cpus[cpu].irqs[irq] : &g->spis[irq - NR_PRIVATE];
}

static bool irq_pending(const struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq,
			const struct irq_state *s)
{
	if (irq < NR_SGIS)
		return g->cpus[cpu].sgi_sources[irq] != 0;
	return s->latch || (!s->edge && s->line);
}

/* CPUs an interrupt is forwarded to (a uniprocessor GIC always uses CPU 0). */
uint8_t gicv2_irq_targets(const struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq,
			  const struct irq_state *s)
{
	if (irq < NR_PRIVATE)
		return (uint8_t)(1u << cpu);
	return g->num_cpus == 1 ? 1u : s->targets;
}

bool gicv2_irq_deliverable(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq)
{
	const struct irq_state *s = gicv2_irq_at(g, cpu, irq);
	uint32_t group_enable = s->group1 ? CTLR_ENABLE_GRP1 : CTLR_ENABLE_GRP0;

	return (g->ctlr & group_enable) && s->enabled && !s->active && irq_pending(g, cpu, irq, s);
}

/* Enabled, pending and inactive: what makes an id a candidate, whatever the group enables. */
static bool irq_live(const struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq,
		     const struct irq_state *s)
{
	return s->enabled && !s->active && irq_pending(g, cpu, irq, s);
}

void gicv2_prune_candidate(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq)
{
	if (!irq_live(g, cpu, irq, gicv2_irq_at(g, cpu, irq)))
		irq_cands_drop(&g->cpus[cpu].cands, &g->spi_cands, irq);
}

/* After a change to irq (in cpu's bank): remember to notify its targets if it can be taken. */
void gicv2_note_change(struct gicd_op *op, uint32_t cpu, uint32_t irq)
{
	if (irq_live(op->g, cpu, irq, gicv2_irq_at(op->g, cpu, irq)))
		irq_cands_mark(&op->g->cpus[cpu].cands, &op->g->spi_cands, irq);
	if (gicv2_irq_deliverable(op->g, cpu, irq))
		op->kick |= gicv2_irq_targets(op->g, cpu, irq, gicv2_irq_at(op->g, cpu, irq));
}

static void irq_reset(struct irq_state *s, uint32_t irq)
{
	bool line = s->line; /* an input, not distributor state */

	ax_memset(s, 0, sizeof(*s));
	s->line = line;
	s->enabled = irq < NR_SGIS;
	s->edge = irq < NR_SGIS;
}

static void gicd_reset_locked(struct ax_gicd_v2 *g)
{
	g->ctlr = 0;
	for (uint32_t cpu = 0; cpu < AX_GICD_V2_MAX_CPUS; cpu++) {
		for (uint32_t irq = 0; irq < NR_PRIVATE; irq++)
			irq_reset(&g->cpus[cpu].irqs[irq], irq);
		ax_memset(g->cpus[cpu].sgi_sources, 0, sizeof(g->cpus[cpu].sgi_sources));
	}
	for (uint32_t i = 0; i < NR_SPIS_MAX; i++)
		irq_reset(&g->spis[i], NR_PRIVATE + i);
	/* rebuilt from the state, not assumed empty */
	irq_cands_clear_spi(&g->spi_cands);
	for (uint32_t cpu = 0; cpu < AX_GICD_V2_MAX_CPUS; cpu++) {
		g->cpus[cpu].cands = 0;
		for (uint32_t irq = 0; irq < NR_PRIVATE; irq++)
			if (irq_live(g, cpu, irq, &g->cpus[cpu].irqs[irq]))
				irq_cands_mark(&g->cpus[cpu].cands, &g->spi_cands, irq);
	}
	for (uint32_t irq = NR_PRIVATE; irq < g->nr_ids; irq++)
		if (irq_live(g, 0, irq, gicv2_irq_at(g, 0, irq)))
			irq_cands_mark(&g->cpus[0].cands, &g->spi_cands, irq);
	gicc_v2_reset_locked(g);
}

/* ---- register map -------------------------------------------------------- */

struct gicd_reg;
typedef uint32_t (*gicd_read_fn)(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
				 unsigned width);
typedef void (*gicd_write_fn)(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			      unsigned width, uint32_t val);

struct gicd_reg {
	uint16_t start;
	uint16_t end; /* exclusive */
	uint16_t widths;
	gicd_read_fn read;   /* NULL: reads as zero */
	gicd_write_fn write; /* NULL: writes ignored */
	/* One bit per interrupt (bitmap handlers): put sees every bit written. */
	bool (*get_bit)(struct gicd_op *op, uint32_t irq);
	void (*put_bit)(struct gicd_op *op, uint32_t irq, bool bit);
	/* One byte per interrupt or SGI (byte handlers). */
	uint8_t (*get_byte)(struct gicd_op *op, uint32_t index);
	void (*put_byte)(struct gicd_op *op, uint32_t index, uint8_t val);
};

/* Bitmap registers: register n holds interrupts 32n .. 32n + 31. */
static uint32_t read_bitmap(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			    unsigned width)
{
	uint32_t first = off / 4 * 32, val = 0;

	(void)width;
	for (uint32_t i = 0; i < 32 && first + i < op->g->nr_ids; i++)
		if (reg->get_bit(op, first + i))
			val |= 1u << i;
	return val;
}

static void write_bitmap(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			 unsigned width, uint32_t val)
{
	uint32_t first = off / 4 * 32;

	(void)width;
	for (uint32_t i = 0; i < 32 && first + i < op->g->nr_ids; i++) {
		reg->put_bit(op, first + i, (val >> i) & 1u);
		gicv2_note_change(op, op->cpu, first + i);
	}
}

/* Byte registers: byte n of the block is interrupt (or SGI) n. */
static uint32_t read_bytes(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			   unsigned width)
{
	uint32_t val = 0;

	for (unsigned i = 0; i < width; i++)
		if (off + i < op->g->nr_ids)
			val |= (uint32_t)reg->get_byte(op, off + i) << (8 * i);
	return val;
}

static void write_bytes(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			unsigned width, uint32_t val)
{
	for (unsigned i = 0; i < width; i++)
		if (off + i < op->g->nr_ids)
			reg->put_byte(op, off + i, (uint8_t)(val >> (8 * i)));
}

static bool get_group(struct gicd_op *op, uint32_t irq)
{
	return gicv2_irq_at(op->g, op->cpu, irq)->group1;
}

static void put_group(struct gicd_op *op, uint32_t irq, bool bit)
{
	gicv2_irq_at(op->g, op->cpu, irq)->group1 = bit;
}

static bool get_enabled(struct gicd_op *op, uint32_t irq)
{
	return gicv2_irq_at(op->g, op->cpu, irq)->enabled;
}

static void set_enabled(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit)
		gicv2_irq_at(op->g, op->cpu, irq)->enabled = true;
}

static void clear_enabled(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit)
		gicv2_irq_at(op->g, op->cpu, irq)->enabled = false;
}

static bool get_pending(struct gicd_op *op, uint32_t irq)
{
	return irq_pending(op->g, op->cpu, irq, gicv2_irq_at(op->g, op->cpu, irq));
}

/* SGI pending bits are read-only here: GICv2 keeps them per source (S/CPENDSGIR). */
static void set_pending(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit && irq >= NR_SGIS)
		gicv2_irq_at(op->g, op->cpu, irq)->latch = true;
}

static void clear_pending(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit && irq >= NR_SGIS)
		gicv2_irq_at(op->g, op->cpu, irq)->latch = false;
}

static bool get_active(struct gicd_op *op, uint32_t irq)
{
	return gicv2_irq_at(op->g, op->cpu, irq)->active;
}

static void set_active(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit)
		gicv2_irq_at(op->g, op->cpu, irq)->active = true;
}

static void clear_active(struct gicd_op *op, uint32_t irq, bool bit)
{
	if (bit)
		gicv2_irq_at(op->g, op->cpu, irq)->active = false;
}

static uint8_t get_priority(struct gicd_op *op, uint32_t irq)
{
	return gicv2_irq_at(op->g, op->cpu, irq)->priority;
}

static void put_priority(struct gicd_op *op, uint32_t irq, uint8_t val)
{
	gicv2_irq_at(op->g, op->cpu, irq)->priority = val & AX_GICD_V2_PRIORITY_MASK;
	gicv2_note_change(op, op->cpu, irq);
}

static uint8_t get_targets(struct gicd_op *op, uint32_t irq)
{
	return gicv2_irq_targets(op->g, op->cpu, irq, gicv2_irq_at(op->g, op->cpu, irq));
}

/* 0..31 are read-only; a uniprocessor GIC routes everything to CPU 0. */
static void put_targets(struct gicd_op *op, uint32_t irq, uint8_t val)
{
	if (irq < NR_PRIVATE || op->g->num_cpus == 1)
		return;
	gicv2_irq_at(op->g, op->cpu, irq)->targets = val & op->g->cpu_mask;
	gicv2_note_change(op, op->cpu, irq);
}

static uint8_t get_sgi_sources(struct gicd_op *op, uint32_t sgi)
{
	return op->g->cpus[op->cpu].sgi_sources[sgi];
}

static void set_sgi_sources(struct gicd_op *op, uint32_t sgi, uint8_t val)
{
	op->g->cpus[op->cpu].sgi_sources[sgi] |= val & op->g->cpu_mask;
	gicv2_note_change(op, op->cpu, sgi);
}

static void clear_sgi_sources(struct gicd_op *op, uint32_t sgi, uint8_t val)
{
	op->g->cpus[op->cpu].sgi_sources[sgi] &= (uint8_t)~val;
}

static uint32_t read_ctlr(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			  unsigned width)
{
	(void)reg;
	(void)off;
	(void)width;
	return op->g->ctlr;
}

static void write_ctlr(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off, unsigned width,
		       uint32_t val)
{
	uint32_t newly_enabled = val & ~op->g->ctlr;

	(void)reg;
	(void)off;
	(void)width;
	op->g->ctlr = val & (CTLR_ENABLE_GRP0 | CTLR_ENABLE_GRP1);
	if (!(newly_enabled & op->g->ctlr))
		return;
	/* Rare (boot time), so find exactly who has work now. */
	for (uint32_t cpu = 0; cpu < op->g->num_cpus; cpu++)
		for (uint32_t irq = 0; irq < NR_PRIVATE; irq++)
			gicv2_note_change(op, cpu, irq);
	for (uint32_t irq = NR_PRIVATE; irq < op->g->nr_ids; irq++)
		gicv2_note_change(op, 0, irq);
}

static uint32_t read_typer(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			   unsigned width)
{
	(void)reg;
	(void)off;
	(void)width;
	/* ITLinesNumber [4:0], CPUNumber [7:5]; SecurityExtn [10] = 0. */
	return (op->g->num_irqs / 32 - 1) | ((op->g->num_cpus - 1) << 5);
}

static uint32_t read_iidr(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			  unsigned width)
{
	(void)op;
	(void)reg;
	(void)off;
	(void)width;
	return AX_GICD_V2_IIDR;
}

/* ICFGR: two bits per interrupt, bit[1] = edge. SGIs are edge, PPIs level, both fixed. */
static uint32_t read_icfgr(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			   unsigned width)
{
	uint32_t first = off / 4 * 16, val = 0;

	(void)reg;
	(void)width;
	for (uint32_t i = 0; i < 16 && first + i < op->g->nr_ids; i++)
		if (gicv2_irq_at(op->g, op->cpu, first + i)->edge)
			val |= 2u << (2 * i);
	return val;
}

static void write_icfgr(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			unsigned width, uint32_t val)
{
	uint32_t first = off / 4 * 16;

	(void)reg;
	(void)width;
	for (uint32_t i = 0; i < 16 && first + i < op->g->nr_ids; i++) {
		if (first + i < NR_PRIVATE)
			continue;
		gicv2_irq_at(op->g, op->cpu, first + i)->edge = (val >> (2 * i + 1)) & 1u;
		gicv2_note_change(op, op->cpu, first + i);
	}
}

static void write_sgir(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off, unsigned width,
		       uint32_t val)
{
	uint32_t sgi = val & 0xfu, filter = (val >> 24) & 3u;
	uint8_t targets;

	(void)reg;
	(void)off;
	(void)width;
	if (filter == SGIR_FILTER_LIST)
		targets = (uint8_t)(val >> 16) & op->g->cpu_mask;
	else if (filter == SGIR_FILTER_ALL_BUT_SELF)
		targets = op->g->cpu_mask & (uint8_t) ~(1u << op->cpu);
	else if (filter == SGIR_FILTER_SELF)
		targets = (uint8_t)(1u << op->cpu);
	else
		return; /* reserved filter: the GIC ignores the write */
	for (uint32_t cpu = 0; cpu < op->g->num_cpus; cpu++) {
		if (!(targets & (1u << cpu)))
			continue;
		op->g->cpus[cpu].sgi_sources[sgi] |= (uint8_t)(1u << op->cpu);
		gicv2_note_change(op, cpu, sgi);
	}
}

static uint32_t read_id(struct gicd_op *op, const struct gicd_reg *reg, uint32_t off,
			unsigned width)
{
	(void)op;
	(void)reg;
	(void)width;
	return gicd_id_regs[off / 4];
}

#define BITMAP_REG(base, get, put)                                                                 \
	{                                                                                          \
		(base), (base) + 0x80, W32, read_bitmap, write_bitmap, (get), (put), NULL, NULL    \
	}
#define BYTE_REG(base, len, get, put)                                                              \
	{                                                                                          \
		(base), (base) + (len), W8_W32, read_bytes, write_bytes, NULL, NULL, (get), (put)  \
	}

/* Sorted by offset; offsets not listed are reserved (RAZ/WI, byte or word). */
static const struct gicd_reg gicd_regs[] = {
	{ GICD_CTLR, GICD_CTLR + 4, W32, read_ctlr, write_ctlr },
	{ GICD_TYPER, GICD_TYPER + 4, W32, read_typer, NULL },
	{ GICD_IIDR, GICD_IIDR + 4, W32, read_iidr, NULL },
	BITMAP_REG(GICD_IGROUPR, get_group, put_group),
	BITMAP_REG(GICD_ISENABLER, get_enabled, set_enabled),
	BITMAP_REG(GICD_ICENABLER, get_enabled, clear_enabled),
	BITMAP_REG(GICD_ISPENDR, get_pending, set_pending),
	BITMAP_REG(GICD_ICPENDR, get_pending, clear_pending),
	BITMAP_REG(GICD_ISACTIVER, get_active, set_active),
	BITMAP_REG(GICD_ICACTIVER, get_active, clear_active),
	BYTE_REG(GICD_IPRIORITYR, 0x3fc, get_priority, put_priority),
	BYTE_REG(GICD_ITARGETSR, 0x3fc, get_targets, put_targets),
	{ GICD_ICFGR, GICD_ICFGR + 0x100, W32, read_icfgr, write_icfgr },
	{ GICD_SGIR, GICD_SGIR + 4, W32, NULL, write_sgir },
	BYTE_REG(GICD_CPENDSGIR, 0x10, get_sgi_sources, clear_sgi_sources),
	BYTE_REG(GICD_SPENDSGIR, 0x10, get_sgi_sources, set_sgi_sources),
	{ GICD_PIDR4, AX_GICD_V2_SIZE, W32, read_id, NULL },
};

static const struct gicd_reg gicd_reserved = { 0, 0, W8_W32, NULL, NULL };

static const struct gicd_reg *gicd_find_reg(uint64_t offset)
{
	for (size_t i = 0; i < AX_ARRAY_SIZE(gicd_regs); i++)
		if (offset >= gicd_regs[i].start && offset < gicd_regs[i].end)
			return &gicd_regs[i];
	return &gicd_reserved;
}

/* ---- device ops ---------------------------------------------------------- */

static enum ax_err gicd_access(struct ax_gicd_v2 *g, const struct ax_access *acc, uint64_t *rval,
			       uint32_t wval)
{
	const struct gicd_reg *reg = gicd_find_reg(acc->offset);
	unsigned width = acc->width;
	struct gicd_op op = { g, acc->vcpu, 0 };

	if (acc->vcpu >= g->num_cpus || (acc->offset & (width - 1)) ||
	    !(reg->widths & (1u << width)))
		return AX_ERR_INVALID_INPUT;
	uint32_t off = (uint32_t)(acc->offset - reg->start);

	gicd_lock(g);
	if (rval)
		*rval = reg->read ? reg->read(&op, reg, off, width) : 0;
	else if (reg->write)
		reg->write(&op, reg, off, width, wval);
	gicd_unlock(&op);
	return AX_OK;
}

static enum ax_err gicd_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	if (acc->range == 1)
		return gicc_v2_access(priv, acc, val, 0);
	return gicd_access(priv, acc, val, 0);
}

static enum ax_err gicd_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	if (acc->range == 1)
		return gicc_v2_access(priv, acc, NULL, (uint32_t)val);
	return gicd_access(priv, acc, NULL, (uint32_t)val);
}

static void gicd_reset(void *priv)
{
	struct ax_gicd_v2 *g = priv;
	struct gicd_op op = { g, 0, 0 };

	gicd_lock(g);
	gicd_reset_locked(g);
	gicd_unlock(&op);
}

static void gicd_destroy(void *priv)
{
	struct ax_gicd_v2 *g = priv;

	gicc_v2_detach(g);
	g->magic = 0;
	ax_free(g->hooks, g);
}

static const struct ax_device_ops gicd_ops = {
	.read = gicd_read,
	.write = gicd_write,
	.reset = gicd_reset,
	.destroy = gicd_destroy,
};

enum ax_err ax_gicd_v2_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag)
{
	uint64_t num_irqs = cfg->cfg_len > 0 ? cfg->cfg_list[0] : DEFAULT_NUM_IRQS;
	uint64_t num_cpus = cfg->cfg_len > 1 ? cfg->cfg_list[1] : DEFAULT_NUM_CPUS;
	struct ax_gicd_v2 *g;

	bool cpuif = cfg->cfg_len == 4;
	uint64_t gicc_base = cpuif ? cfg->cfg_list[2] : 0;
	uint64_t gicc_len = cpuif ? cfg->cfg_list[3] : 0;

	if (cfg->cfg_len > 2 && !cpuif)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected at most 2 "
			       "[num_irqs, num_cpus] or 4 [num_irqs, num_cpus, gicc_base, "
			       "gicc_length]",
			       cfg->name, cfg->cfg_len);
	if (num_irqs < 32 || num_irqs > AX_GICD_V2_MAX_IRQS || num_irqs % 32)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": num_irqs %llu is not a multiple of 32 in 32..%u",
			       cfg->name, (unsigned long long)num_irqs, AX_GICD_V2_MAX_IRQS);
	if (num_cpus < 1 || num_cpus > AX_GICD_V2_MAX_CPUS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": num_cpus %llu is not in 1..%u", cfg->name,
			       (unsigned long long)num_cpus, AX_GICD_V2_MAX_CPUS);
	if (cfg->length < AX_GICD_V2_SIZE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range length 0x%llx is below the 0x%x-byte "
			       "distributor frame",
			       cfg->name, (unsigned long long)cfg->length, AX_GICD_V2_SIZE);
	if (ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	if (cpuif) {
		if (gicc_len < AX_GICC_V2_SIZE)
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": CPU interface length 0x%llx is below the "
				       "0x%x-byte CPU interface frame",
				       cfg->name, (unsigned long long)gicc_len, AX_GICC_V2_SIZE);
		if (ax_range_new(AX_BUS_MMIO, gicc_base, gicc_len, &out->ranges[1]) != AX_OK ||
		    (gicc_base <= out->ranges[0].last && out->ranges[1].last >= cfg->base_gpa))
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": CPU interface base 0x%llx length 0x%llx is "
				       "not a valid range apart from the distributor's",
				       cfg->name, (unsigned long long)gicc_base,
				       (unsigned long long)gicc_len);
		if (!env->irq_fabric)
			return ax_fail(diag, AX_ERR_UNSUPPORTED,
				       "device \"%s\": the set has no interrupt fabric", cfg->name);
	}

	g = ax_zalloc(env->hooks, sizeof(*g));
	if (!g)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	g->magic = GICD_MAGIC;
	ax_spin_init(&g->lock);
	g->hooks = env->hooks;
	g->num_irqs = (uint32_t)num_irqs;
	g->nr_ids = num_irqs > AX_GICD_V2_MAX_ID ? AX_GICD_V2_MAX_ID + 1 : (uint32_t)num_irqs;
	g->num_cpus = (uint32_t)num_cpus;
	g->cpu_mask = (uint8_t)((1u << num_cpus) - 1);
	g->has_cpuif = cpuif;
	gicd_reset_locked(g);
	if (cpuif) {
		enum ax_err err = gicc_v2_attach(g, env->irq_fabric, cfg->name, diag);

		if (err != AX_OK) {
			ax_free(env->hooks, g);
			return err;
		}
	}

	out->name = cfg->name;
	out->type = AX_EMU_GICD_V2;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_GICD_V2);
	out->nr_ranges = cpuif ? 2 : 1;
	out->ops = &gicd_ops;
	out->priv = g;
	return AX_OK;
}

/* ---- host API ------------------------------------------------------------ */

enum ax_err ax_gicd_v2_from_device(struct ax_devices *set, uint32_t id, struct ax_gicd_v2 **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_GICD_V2, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_gicd_v2 *)priv)->magic != GICD_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

void ax_gicd_v2_set_notify(struct ax_gicd_v2 *gicd, ax_gicd_v2_notify_fn fn, void *ctx)
{
	struct gicd_op op = { gicd, 0, 0 };

	gicd_lock(gicd);
	gicd->notify = fn;
	gicd->notify_ctx = ctx;
	gicd_unlock(&op);
}

void gicv2_level_locked(struct gicd_op *op, uint32_t cpu, uint32_t irq, bool level)
{
	struct irq_state *s = gicv2_irq_at(op->g, cpu, irq);

	if (s->edge && level && !s->line)
		s->latch = true;
	s->line = level;
	gicv2_note_change(op, cpu, irq);
}

enum ax_err ax_gicd_v2_set_level(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq, bool level)
{
	struct gicd_op op = { gicd, irq < NR_PRIVATE ? cpu : 0, 0 };

	if (irq < NR_SGIS || irq >= gicd->nr_ids || op.cpu >= gicd->num_cpus)
		return AX_ERR_INVALID_INPUT;
	gicd_lock(gicd);
	gicv2_level_locked(&op, op.cpu, irq, level);
	gicd_unlock(&op);
	return AX_OK;
}

enum ax_err ax_gicd_v2_highest_pending(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t *irq,
				       uint32_t *source_cpu, uint8_t *priority)
{
	struct gicd_op op = { gicd, cpu, 0 };
	uint32_t best = AX_GICD_V2_MAX_IRQS;
	uint8_t best_priority = 0;

	if (cpu >= gicd->num_cpus)
		return AX_ERR_INVALID_INPUT;
	gicd_lock(gicd);
	for (uint32_t i = irq_cands_next(gicd->cpus[cpu].cands, &gicd->spi_cands, 0);
	     i < gicd->nr_ids; i = irq_cands_next(gicd->cpus[cpu].cands, &gicd->spi_cands, i + 1)) {
		const struct irq_state *s = gicv2_irq_at(gicd, cpu, i);

		gicv2_prune_candidate(gicd, cpu, i);
		if (!(gicv2_irq_targets(gicd, cpu, i, s) & (1u << cpu)) ||
		    !gicv2_irq_deliverable(gicd, cpu, i))
			continue;
		if (best == AX_GICD_V2_MAX_IRQS || s->priority < best_priority) {
			best = i;
			best_priority = s->priority;
		}
	}
	if (best != AX_GICD_V2_MAX_IRQS) {
		if (irq)
			*irq = best;
		if (priority)
			*priority = best_priority;
		if (source_cpu)
			*source_cpu =
				best < NR_SGIS
					? (uint32_t)__builtin_ctz(gicd->cpus[cpu].sgi_sources[best])
					: 0;
	}
	gicd_unlock(&op);
	return best == AX_GICD_V2_MAX_IRQS ? AX_ERR_NOT_FOUND : AX_OK;
}

enum ax_err gicv2_ack_locked(struct gicd_op *op, uint32_t cpu, uint32_t irq, uint32_t source_cpu)
{
	struct ax_gicd_v2 *gicd = op->g;
	struct irq_state *s = gicv2_irq_at(gicd, cpu, irq);

	if (irq < NR_SGIS) {
		uint8_t *sources = &gicd->cpus[cpu].sgi_sources[irq];

		if (s->active || !(*sources & (1u << source_cpu)))
			return AX_ERR_BAD_STATE;
		*sources &= (uint8_t) ~(1u << source_cpu);
		s->active = true;
		return AX_OK;
	}
	if (s->active || !irq_pending(gicd, cpu, irq, s) ||
	    !(gicv2_irq_targets(gicd, cpu, irq, s) & (1u << cpu)))
		return AX_ERR_BAD_STATE;
	s->latch = false; /* a level line still high keeps it pending */
	s->active = true;
	return AX_OK;
}

enum ax_err ax_gicd_v2_acknowledge(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq,
				   uint32_t source_cpu)
{
	struct gicd_op op = { gicd, cpu, 0 };
	enum ax_err err;

	if (cpu >= gicd->num_cpus || irq >= gicd->nr_ids ||
	    (irq < NR_SGIS && source_cpu >= gicd->num_cpus))
		return AX_ERR_INVALID_INPUT;
	gicd_lock(gicd);
	err = gicv2_ack_locked(&op, cpu, irq, source_cpu);
	gicd_unlock(&op);
	return err;
}

enum ax_err ax_gicd_v2_end_of_interrupt(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq)
{
	struct gicd_op op = { gicd, cpu, 0 };
	enum ax_err err = AX_OK;
	struct irq_state *s;

	if (cpu >= gicd->num_cpus || irq >= gicd->nr_ids)
		return AX_ERR_INVALID_INPUT;
	gicd_lock(gicd);
	s = gicv2_irq_at(gicd, cpu, irq);
	if (!s->active) {
		err = AX_ERR_BAD_STATE;
	} else {
		s->active = false;
		gicv2_note_change(&op, cpu, irq);
	}
	gicd_unlock(&op);
	return err;
}
