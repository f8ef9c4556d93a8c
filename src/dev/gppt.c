/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GPPT, the partial passthrough interrupt controller (EmuDeviceType GPPT =
 * 2): a filtering GICv3 distributor front end over the host's GIC. The
 * guest-visible choices, the cfg_list encoding and the host API are in
 * include/axdevice/gppt.h.
 *
 * The register map is a table of (offset range, allowed widths, field
 * layout); the per-INTID registers share one handler that walks the fields
 * an access covers and forwards those of assigned SPIs to the host's GIC.
 * Assignment is a 1024-bit map built from the cfg_list.
 *
 * Locking: one spinlock per device guards the virtual CTLR, the host GIC
 * connection and the counters; it is held across the host hooks of one
 * access, so a guest access is one unit against the others.
 */
#include <axdevice/gppt.h>

#include "kinds.h"

#include "../core/util.h"

#define GPPT_MAGIC 0x47505054u /* "GPPT": priv really is a struct ax_gppt */
#define NR_INTIDS  1024u

/* Register offsets, IHI 0069 Table 12-25 (GICD register map). */
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
#define GICD_IROUTER	0x6000u
#define GICD_PIDR2	0xffe8u

#define CTLR_ENABLE_GRP0 (1u << 0)
#define CTLR_ENABLE_GRP1 (1u << 1)
#define CTLR_WRITABLE	 (CTLR_ENABLE_GRP0 | CTLR_ENABLE_GRP1)

#define TYPER_IDBITS_10 (9u << 19) /* IDbits = number of INTID bits - 1 */
#define PIDR2_GICV3	0x3bu	   /* ArchRev 3 [7:4], JEDEC [3], designer ARM [2:0] */

/* Aff3 [39:32], IRM [31], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define IROUTER_MASK 0x000000ff80ffffffull

/* Allowed access widths, as a mask of (1 << bytes). */
#define W8	(1u << 1)
#define W32	(1u << 4)
#define W64	(1u << 8)
#define W8_W32	(W8 | W32)
#define W32_W64 (W32 | W64)

struct ax_gppt {
	uint32_t magic;
	struct ax_spinlock lock;
	const struct ax_host_hooks *hooks;
	uint32_t assigned[NR_INTIDS / 32];
	uint32_t max_intid; /* highest assigned INTID */
	uint32_t ctlr;
	const struct ax_gppt_host_gic *gic;
	void *gic_ctx;
	struct ax_gppt_stats stats;
};

enum field_kind {
	F_GLOBAL,   /* a virtual register with its own handlers */
	F_PLAIN,    /* read and written as a value */
	F_SETCLEAR, /* written 1 bits act, 0 bits do nothing */
	F_ROUTER,   /* 64-bit IROUTER fields */
};

struct gppt_reg {
	uint16_t start;
	uint16_t end; /* exclusive */
	uint16_t widths;
	uint8_t kind;			     /* enum field_kind */
	uint8_t field_bits;		     /* 1, 2 or 8 (F_PLAIN, F_SETCLEAR) */
	uint16_t read_reg;		     /* host register a read is asked of */
	uint16_t write_reg;		     /* host register a write goes to */
	uint8_t mask;			     /* implemented bits of a field (F_PLAIN, F_SETCLEAR) */
	uint32_t (*read)(struct ax_gppt *g); /* F_GLOBAL; NULL: RAZ */
	void (*write)(struct ax_gppt *g, uint32_t val); /* F_GLOBAL; NULL: WI */
};

bool ax_gppt_assigned(const struct ax_gppt *gppt, uint32_t intid)
{
	return intid < NR_INTIDS && (gppt->assigned[intid / 32] >> (intid % 32)) & 1u;
}

/* ---- forwarding ---------------------------------------------------------- */

static uint64_t host_read(struct ax_gppt *g, uint32_t reg, uint32_t intid)
{
	if (!g->gic || !g->gic->read)
		return 0;
	g->stats.forwarded_reads++;
	return g->gic->read(g->gic_ctx, reg, intid);
}

static void host_write(struct ax_gppt *g, uint32_t reg, uint32_t intid, uint64_t value)
{
	if (!g->gic || !g->gic->write) {
		g->stats.unforwarded++;
		return;
	}
	g->stats.forwarded_writes++;
	g->gic->write(g->gic_ctx, reg, intid, value);
}

/* Fields of 1, 2 or 8 bits: the access covers width * 8 / bits INTIDs from `first`. */
static uint32_t read_fields(struct ax_gppt *g, const struct gppt_reg *reg, uint32_t off,
			    unsigned width)
{
	uint32_t bits = reg->field_bits, n = width * 8 / bits, first = off * 8 / bits, val = 0;

	for (uint32_t i = 0; i < n; i++)
		if (ax_gppt_assigned(g, first + i))
			val |= (uint32_t)(host_read(g, reg->read_reg, first + i) & reg->mask)
			       << (i * bits);
	return val;
}

static void write_fields(struct ax_gppt *g, const struct gppt_reg *reg, uint32_t off,
			 unsigned width, uint32_t val)
{
	uint32_t bits = reg->field_bits, n = width * 8 / bits, first = off * 8 / bits;
	uint32_t field_mask = (1u << bits) - 1, blocked = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t field = (val >> (i * bits)) & field_mask;

		if (reg->kind == F_SETCLEAR && !(field & reg->mask))
			continue; /* a 0 bit asks nothing */
		if (!ax_gppt_assigned(g, first + i))
			blocked++;
		else if (reg->kind == F_SETCLEAR)
			host_write(g, reg->write_reg, first + i, 1);
		else
			host_write(g, reg->write_reg, first + i, field & reg->mask);
	}
	g->stats.blocked_fields += blocked;
	if (blocked)
		g->stats.blocked_writes++;
}

/* IROUTER<n> at 8n: a 64-bit access is the field, a 32-bit one a half of it. */
static uint64_t read_router(struct ax_gppt *g, uint32_t off, unsigned width)
{
	uint32_t intid = off / 8;
	uint64_t v;

	if (!ax_gppt_assigned(g, intid))
		return 0;
	v = host_read(g, GICD_IROUTER, intid) & IROUTER_MASK;
	if (width == 8)
		return v;
	return (uint32_t)(v >> (off & 4 ? 32 : 0));
}

static void write_router(struct ax_gppt *g, uint32_t off, unsigned width, uint64_t val)
{
	uint32_t intid = off / 8;
	uint64_t v;

	if (!ax_gppt_assigned(g, intid)) {
		g->stats.blocked_fields++;
		g->stats.blocked_writes++;
		return;
	}
	if (width == 8) {
		v = val;
	} else {
		unsigned shift = off & 4 ? 32 : 0;

		v = host_read(g, GICD_IROUTER, intid);
		v = (v & ~(0xffffffffull << shift)) | ((val & 0xffffffffull) << shift);
	}
	host_write(g, GICD_IROUTER, intid, v & IROUTER_MASK);
}

/* ---- global (virtual) registers ------------------------------------------ */

static uint32_t read_ctlr(struct ax_gppt *g)
{
	return g->ctlr;
}

static void write_ctlr(struct ax_gppt *g, uint32_t val)
{
	g->ctlr = AX_GPPT_CTLR_RESET | (val & CTLR_WRITABLE);
}

static uint32_t read_typer(struct ax_gppt *g)
{
	/* ITLinesNumber [4:0]: 32 * (N + 1) lines reach the highest assigned INTID. */
	return (g->max_intid / 32) | TYPER_IDBITS_10;
}

static uint32_t read_iidr(struct ax_gppt *g)
{
	(void)g;
	return AX_GPPT_IIDR;
}

static uint32_t read_pidr2(struct ax_gppt *g)
{
	(void)g;
	return PIDR2_GICV3;
}

/* ---- register map -------------------------------------------------------- */

#define GLOBAL_REG(off, rd, wr)                                                                    \
	{                                                                                          \
		(off), (off) + 4, W32, F_GLOBAL, 0, 0, 0, 0, (rd), (wr)                            \
	}
#define PLAIN_REG(base, len, widths, bits, mask)                                                   \
	{                                                                                          \
		(base), (base) + (len), (widths), F_PLAIN, (bits), (base), (base), (mask), NULL,   \
			NULL                                                                       \
	}
#define SETCLEAR_REG(base, set_base)                                                               \
	{                                                                                          \
		(base), (base) + 0x80, W32, F_SETCLEAR, 1, (set_base), (base), 1, NULL, NULL       \
	}

/*
 * Sorted by offset; offsets not listed are reserved (RAZ/WI, 32-bit). Block
 * lengths cover INTIDs 0..1023 (IROUTER: 0..1019, its last field).
 */
static const struct gppt_reg gppt_regs[] = {
	GLOBAL_REG(GICD_CTLR, read_ctlr, write_ctlr),
	GLOBAL_REG(GICD_TYPER, read_typer, NULL),
	GLOBAL_REG(GICD_IIDR, read_iidr, NULL),
	PLAIN_REG(GICD_IGROUPR, 0x80, W32, 1, 1),
	SETCLEAR_REG(GICD_ISENABLER, GICD_ISENABLER),
	SETCLEAR_REG(GICD_ICENABLER, GICD_ISENABLER),
	SETCLEAR_REG(GICD_ISPENDR, GICD_ISPENDR),
	SETCLEAR_REG(GICD_ICPENDR, GICD_ISPENDR),
	SETCLEAR_REG(GICD_ISACTIVER, GICD_ISACTIVER),
	SETCLEAR_REG(GICD_ICACTIVER, GICD_ISACTIVER),
	PLAIN_REG(GICD_IPRIORITYR, 0x400, W8_W32, 8, 0xff),
	PLAIN_REG(GICD_ICFGR, 0x100, W32, 2, 2), /* Int_config[0] is RES0 */
	PLAIN_REG(GICD_IGRPMODR, 0x80, W32, 1, 1),
	{ GICD_IROUTER, GICD_IROUTER + 8 * (AX_GPPT_MAX_SPI + 1), W32_W64, F_ROUTER, 0, 0, 0, 0,
	  NULL, NULL },
	GLOBAL_REG(GICD_PIDR2, read_pidr2, NULL),
};

static const struct gppt_reg gppt_reserved = { 0, 0, W32, F_GLOBAL, 0, 0, 0, 0, NULL, NULL };

static const struct gppt_reg *gppt_find_reg(uint64_t offset)
{
	for (size_t i = 0; i < AX_ARRAY_SIZE(gppt_regs); i++)
		if (offset >= gppt_regs[i].start && offset < gppt_regs[i].end)
			return &gppt_regs[i];
	return &gppt_reserved;
}

/* ---- device ops ---------------------------------------------------------- */

static enum ax_err gppt_access(struct ax_gppt *g, const struct ax_access *acc, uint64_t *rval,
			       uint64_t wval)
{
	const struct gppt_reg *reg = gppt_find_reg(acc->offset);
	unsigned width = acc->width;
	uint32_t off = (uint32_t)(acc->offset - reg->start);

	ax_spin_lock(&g->lock, g->hooks);
	if ((acc->offset & (width - 1)) || !(reg->widths & (1u << width))) {
		g->stats.refused++;
		ax_spin_unlock(&g->lock);
		return AX_ERR_INVALID_INPUT;
	}
	switch (reg->kind) {
	case F_GLOBAL:
		if (rval)
			*rval = reg->read ? reg->read(g) : 0;
		else if (reg->write)
			reg->write(g, (uint32_t)wval);
		break;
	case F_ROUTER:
		if (rval)
			*rval = read_router(g, off, width);
		else
			write_router(g, off, width, wval);
		break;
	default:
		if (rval)
			*rval = read_fields(g, reg, off, width);
		else
			write_fields(g, reg, off, width, (uint32_t)wval);
		break;
	}
	ax_spin_unlock(&g->lock);
	return AX_OK;
}

static enum ax_err gppt_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return gppt_access(priv, acc, val, 0);
}

static enum ax_err gppt_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return gppt_access(priv, acc, NULL, val);
}

static void gppt_reset(void *priv)
{
	struct ax_gppt *g = priv;

	ax_spin_lock(&g->lock, g->hooks);
	g->ctlr = AX_GPPT_CTLR_RESET;
	if (g->gic && g->gic->write) {
		for (uint32_t intid = AX_GPPT_MIN_SPI; intid <= g->max_intid; intid++) {
			if (!ax_gppt_assigned(g, intid))
				continue;
			host_write(g, GICD_ICENABLER, intid, 1);
			host_write(g, GICD_ICPENDR, intid, 1);
			host_write(g, GICD_ICACTIVER, intid, 1);
		}
	}
	ax_spin_unlock(&g->lock);
}

static void gppt_destroy(void *priv)
{
	struct ax_gppt *g = priv;

	g->magic = 0;
	ax_free(g->hooks, g);
}

static const struct ax_device_ops gppt_ops = {
	.read = gppt_read,
	.write = gppt_write,
	.reset = gppt_reset,
	.destroy = gppt_destroy,
};

/* Checks the [first, count] pairs and fills the assignment map. */
static enum ax_err gppt_parse(struct ax_gppt *g, const struct ax_emu_config *cfg,
			      struct ax_diag *diag)
{
	if (cfg->cfg_len == 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list is empty, expected [first, count] pairs of "
			       "assigned SPIs",
			       cfg->name);
	if (cfg->cfg_len % 2 || cfg->cfg_len > 2 * AX_GPPT_MAX_PAIRS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected 1..%u [first, "
			       "count] pairs of assigned SPIs",
			       cfg->name, cfg->cfg_len, AX_GPPT_MAX_PAIRS);
	for (size_t p = 0; p < cfg->cfg_len / 2; p++) {
		uint64_t first = cfg->cfg_list[2 * p], count = cfg->cfg_list[2 * p + 1];

		if (first < AX_GPPT_MIN_SPI || first > AX_GPPT_MAX_SPI)
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": pair %zu: first INTID %llu is not an SPI "
				       "(%u..%u)",
				       cfg->name, p, (unsigned long long)first, AX_GPPT_MIN_SPI,
				       AX_GPPT_MAX_SPI);
		if (count == 0)
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": pair %zu: count is 0", cfg->name, p);
		if (count > AX_GPPT_MAX_SPI + 1 - first)
			return ax_fail(
				diag, AX_ERR_INVALID_INPUT,
				"device \"%s\": pair %zu: INTIDs %llu + %llu run past SPI %u",
				cfg->name, p, (unsigned long long)first, (unsigned long long)count,
				AX_GPPT_MAX_SPI);
		for (uint32_t intid = (uint32_t)first; intid < first + count; intid++) {
			if (ax_gppt_assigned(g, intid))
				return ax_fail(diag, AX_ERR_INVALID_INPUT,
					       "device \"%s\": pair %zu: INTID %u is already "
					       "assigned by an earlier pair",
					       cfg->name, p, intid);
			g->assigned[intid / 32] |= 1u << (intid % 32);
			if (intid > g->max_intid)
				g->max_intid = intid;
		}
	}
	return AX_OK;
}

enum ax_err ax_gppt_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			   struct ax_device_desc *out, struct ax_diag *diag)
{
	struct ax_gppt *g;
	enum ax_err err;

	if (cfg->length < AX_GPPT_SIZE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range length 0x%llx is below the 0x%x-byte "
			       "distributor frame",
			       cfg->name, (unsigned long long)cfg->length, AX_GPPT_SIZE);
	if (ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	g = ax_zalloc(env->hooks, sizeof(*g));
	if (!g)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	err = gppt_parse(g, cfg, diag);
	if (err != AX_OK) {
		ax_free(env->hooks, g);
		return err;
	}
	g->magic = GPPT_MAGIC;
	ax_spin_init(&g->lock);
	g->hooks = env->hooks;
	g->ctlr = AX_GPPT_CTLR_RESET;

	out->name = cfg->name;
	out->type = AX_EMU_GPPT;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_GPPT);
	out->nr_ranges = 1;
	out->ops = &gppt_ops;
	out->priv = g;
	return AX_OK;
}

/* ---- host API ------------------------------------------------------------ */

enum ax_err ax_gppt_from_device(struct ax_devices *set, uint32_t id, struct ax_gppt **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_GPPT, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_gppt *)priv)->magic != GPPT_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

void ax_gppt_set_host_gic(struct ax_gppt *gppt, const struct ax_gppt_host_gic *gic, void *ctx)
{
	ax_spin_lock(&gppt->lock, gppt->hooks);
	gppt->gic = gic;
	gppt->gic_ctx = ctx;
	ax_spin_unlock(&gppt->lock);
}

void ax_gppt_get_stats(struct ax_gppt *gppt, struct ax_gppt_stats *out)
{
	ax_spin_lock(&gppt->lock, gppt->hooks);
	*out = gppt->stats;
	ax_spin_unlock(&gppt->lock);
}
