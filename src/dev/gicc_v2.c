/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ARM GICv2 CPU interface, IHI 0048B §4.4, as the second register range of
 * the gicd-v2 device (cfg_list [num_irqs, num_cpus, gicc_base, gicc_length];
 * include/axdevice/gicd_v2.h).
 *
 * One interface per CPU, banked by the access's vCPU id, sharing the
 * distributor's lock and interrupt state (gicv2_priv.h). A GIC without the
 * Security Extensions: GICC_CTLR has EnableGrp0/1, AckCtl, FIQEn, CBPR, the
 * four bypass-disable bits and EOImode (bit 9); bit 10 is RAZ/WI.
 *
 * Priorities have 5 bits (like the distributor): the minimum binary point is
 * 2 for GICC_BPR and 3 for GICC_ABPR, so there are 32 preemption levels and
 * GICC_APR0 / GICC_NSAPR0 hold one bit per level (bit n = group priority
 * n << 3) for Group 0 / Group 1; APR1..3 and NSAPR1..3 are RAZ/WI.
 *
 * Acknowledge (IAR/AIAR) takes the highest-priority pending interrupt
 * (ties: lowest id; SGIs: lowest source CPU) that is enabled, targeted at
 * this CPU and in a group enabled in both GICD_CTLR and GICC_CTLR, when its
 * priority is above GICC_PMR and its group priority (by the binary point of
 * its group) above the running priority. It becomes active (and stays
 * pending for a level line still high) and its group priority is set in
 * the active priorities. EOIR/AEOIR drop the highest active priority and,
 * with EOImode 0, deactivate the id written; with EOImode 1 GICC_DIR
 * deactivates (DIR deactivates in either mode). A deactivated level
 * interrupt whose line is still high is pending again and signalled.
 * Every IAR/AIAR read is counted per CPU by the class of the INTID it
 * returned, spurious ones included (ax_devices_irq_ack_stats).
 *
 * GIC without Security Extensions, accesses treated as Secure: IAR/HPPIR
 * return 1022 for a Group 1 interrupt while AckCtl is 0; AIAR/AHPPIR only
 * return Group 1 interrupts (1023 when the highest is Group 0). HPPIR and
 * AHPPIR ignore PMR and the running priority. The host is told "vCPU n has
 * an IRQ" (irq_notify) for Group 1 and for Group 0 while FIQEn is 0; a Group
 * 0 interrupt with FIQEn set would be an FIQ, which the host hooks cannot
 * signal: it is still acknowledged through IAR but not reported pending.
 */
#include <axdevice/gicd_v2.h>

#include "gicv2_priv.h"

/* Register offsets, IHI 0048B Table 4-2. */
#define GICC_CTLR   0x000u
#define GICC_PMR    0x004u
#define GICC_BPR    0x008u
#define GICC_IAR    0x00cu
#define GICC_EOIR   0x010u
#define GICC_RPR    0x014u
#define GICC_HPPIR  0x018u
#define GICC_ABPR   0x01cu
#define GICC_AIAR   0x020u
#define GICC_AEOIR  0x024u
#define GICC_AHPPIR 0x028u
#define GICC_APR0   0x0d0u
#define GICC_NSAPR0 0x0e0u
#define GICC_IIDR   0x0fcu
#define GICC_DIR    0x1000u

#define CTLR_ENABLE_GRP0 (1u << 0)
#define CTLR_ENABLE_GRP1 (1u << 1)
#define CTLR_ACKCTL	 (1u << 2)
#define CTLR_FIQEN	 (1u << 3)
#define CTLR_CBPR	 (1u << 4)
#define CTLR_EOIMODE	 (1u << 9)
#define CTLR_MASK	 0x3ffu /* bits 0..9 */

#define GICD_CTLR_GRP0 (1u << 0)
#define GICD_CTLR_GRP1 (1u << 1)

#define BPR_MIN	 2u
#define ABPR_MIN 3u

#define SPURIOUS     1023u
#define GRP1_AT_GRP0 1022u /* IAR with AckCtl 0 and a Group 1 interrupt highest */
#define IDLE_PRIO    0xffu

/* ProductID 0x041 [31:20], architecture 2 [19:16], revision 0, implementer ARM 0x43b. */
#define GICC_IIDR_VALUE 0x0412043bu

void gicc_v2_reset_locked(struct ax_gicd_v2 *g)
{
	for (uint32_t cpu = 0; cpu < AX_GICD_V2_MAX_CPUS; cpu++) {
		struct gicc_cpu *c = &g->cpus[cpu].cc;

		c->ctlr = 0;
		c->pmr = 0;
		c->bpr = BPR_MIN;
		c->abpr = ABPR_MIN;
		c->apr = 0;
		c->nsapr = 0;
	}
}

/* Group priority mask of an interrupt of `group1` (IHI 0048B 3.3.3). */
static uint8_t group_mask(const struct gicc_cpu *c, bool group1)
{
	if (group1 && !(c->ctlr & CTLR_CBPR))
		return (uint8_t)(0xffu << c->abpr);
	return (uint8_t)(0xffu << (c->bpr + 1));
}

static uint8_t running_priority(const struct gicc_cpu *c)
{
	uint32_t act = c->apr | c->nsapr;

	return act ? (uint8_t)(__builtin_ctz(act) << 3) : IDLE_PRIO;
}

struct hp {
	uint32_t irq; /* SPURIOUS when none */
	uint32_t source;
	uint8_t priority;
	bool group1;
};

/*
 * The highest-priority interrupt pending for `cpu` and forwardable by both
 * the distributor and this CPU interface. irq_only: skip Group 0 while FIQEn
 * (what the host's IRQ signal covers). Looks at the candidates only
 * (irq_cands.h), so its cost follows what is pending, not nr_ids.
 */
static struct hp highest(struct ax_gicd_v2 *g, uint32_t cpu, bool irq_only)
{
	const struct gicc_cpu *c = &g->cpus[cpu].cc;
	struct hp best = { SPURIOUS, 0, 0, false };

	/* only the candidates (enabled, pending, inactive), in ascending id order */
	for (uint32_t i = irq_cands_next(g->cpus[cpu].cands, &g->spi_cands, 0); i < g->nr_ids;
	     i = irq_cands_next(g->cpus[cpu].cands, &g->spi_cands, i + 1)) {
		const struct irq_state *s = gicv2_irq_at(g, cpu, i);

		gicv2_prune_candidate(g, cpu, i);
		if (!(c->ctlr & (s->group1 ? CTLR_ENABLE_GRP1 : CTLR_ENABLE_GRP0)))
			continue;
		if (irq_only && !s->group1 && (c->ctlr & CTLR_FIQEN))
			continue;
		if (!(gicv2_irq_targets(g, cpu, i, s) & (1u << cpu)) ||
		    !gicv2_irq_deliverable(g, cpu, i))
			continue;
		if (best.irq == SPURIOUS || s->priority < best.priority) {
			best.irq = i;
			best.priority = s->priority;
			best.group1 = s->group1;
		}
	}
	if (best.irq < NR_SGIS)
		best.source = (uint32_t)__builtin_ctz(g->cpus[cpu].sgi_sources[best.irq]);
	return best;
}

/* Above the priority mask and preempting the running priority. */
static bool signalled(const struct gicc_cpu *c, const struct hp *h)
{
	return h->irq != SPURIOUS && h->priority < c->pmr &&
	       (uint8_t)(h->priority & group_mask(c, h->group1)) < running_priority(c);
}

static uint32_t iar_value(const struct hp *h)
{
	return h->irq | (h->irq < NR_SGIS ? h->source << 10 : 0);
}

static uint32_t ack_iar(struct gicd_op *op, bool alias)
{
	struct ax_gicd_v2 *g = op->g;
	struct gicc_cpu *c = &g->cpus[op->cpu].cc;
	struct hp h = highest(g, op->cpu, false);
	uint8_t gp;

	if (!signalled(c, &h))
		return SPURIOUS;
	if (alias && !h.group1)
		return SPURIOUS;
	if (!alias && h.group1 && !(c->ctlr & CTLR_ACKCTL))
		return GRP1_AT_GRP0;
	if (gicv2_ack_locked(op, op->cpu, h.irq, h.source) != AX_OK)
		return SPURIOUS;
	gp = (uint8_t)(h.priority & group_mask(c, h.group1));
	if (h.group1)
		c->nsapr |= 1u << (gp >> 3);
	else
		c->apr |= 1u << (gp >> 3);
	return iar_value(&h);
}

/* IAR / AIAR: the acknowledge, counted by the class of the INTID returned. */
static uint32_t read_iar(struct gicd_op *op, bool alias)
{
	uint32_t v = ack_iar(op, alias);

	ax_irq_ack_count(&op->g->acks[op->cpu], v & 0x3ffu);
	return v;
}

static uint32_t read_hppir(struct gicd_op *op, bool alias)
{
	const struct gicc_cpu *c = &op->g->cpus[op->cpu].cc;
	struct hp h = highest(op->g, op->cpu, false);

	if (h.irq == SPURIOUS || (alias && !h.group1))
		return SPURIOUS;
	if (!alias && h.group1 && !(c->ctlr & CTLR_ACKCTL))
		return GRP1_AT_GRP0;
	return iar_value(&h);
}

static void deactivate(struct gicd_op *op, uint32_t irq)
{
	struct irq_state *s = gicv2_irq_at(op->g, op->cpu, irq);

	if (!s->active)
		return;
	s->active = false;
	gicv2_note_change(op, op->cpu, irq);
}

static void write_eoir(struct gicd_op *op, uint32_t val)
{
	struct gicc_cpu *c = &op->g->cpus[op->cpu].cc;
	uint32_t irq = val & 0x3ffu, act = c->apr | c->nsapr;

	if (irq >= op->g->nr_ids)
		return; /* spurious ids and ids the GIC lacks: ignored */
	if (act) {
		uint32_t bit = 1u << __builtin_ctz(act);
		bool group1 = gicv2_irq_at(op->g, op->cpu, irq)->group1;

		/* priority drop: the highest active priority (its group's, if both) */
		if ((c->apr & bit) && (c->nsapr & bit))
			*(group1 ? &c->nsapr : &c->apr) &= ~bit;
		else if (c->apr & bit)
			c->apr &= ~bit;
		else
			c->nsapr &= ~bit;
	}
	if (!(c->ctlr & CTLR_EOIMODE))
		deactivate(op, irq);
	op->kick |= (uint8_t)(1u << op->cpu);
}

static void write_dir(struct gicd_op *op, uint32_t val)
{
	uint32_t irq = val & 0x3ffu;

	if (irq >= op->g->nr_ids)
		return;
	deactivate(op, irq);
	op->kick |= (uint8_t)(1u << op->cpu);
}

static uint32_t gicc_read(struct gicd_op *op, uint32_t off)
{
	const struct gicc_cpu *c = &op->g->cpus[op->cpu].cc;

	switch (off) {
	case GICC_CTLR:
		return c->ctlr;
	case GICC_PMR:
		return c->pmr;
	case GICC_BPR:
		return c->bpr;
	case GICC_IAR:
		return read_iar(op, false);
	case GICC_RPR:
		return running_priority(c);
	case GICC_HPPIR:
		return read_hppir(op, false);
	case GICC_ABPR:
		return c->abpr;
	case GICC_AIAR:
		return read_iar(op, true);
	case GICC_AHPPIR:
		return read_hppir(op, true);
	case GICC_APR0:
		return c->apr;
	case GICC_NSAPR0:
		return c->nsapr;
	case GICC_IIDR:
		return GICC_IIDR_VALUE;
	default:
		return 0; /* write-only, reserved, APR1..3, NSAPR1..3 */
	}
}

static void gicc_write(struct gicd_op *op, uint32_t off, uint32_t val)
{
	struct gicc_cpu *c = &op->g->cpus[op->cpu].cc;

	switch (off) {
	case GICC_CTLR:
		c->ctlr = val & CTLR_MASK;
		break;
	case GICC_PMR:
		c->pmr = (uint8_t)(val & AX_GICD_V2_PRIORITY_MASK);
		break;
	case GICC_BPR:
		c->bpr = (uint8_t)((val & 7u) < BPR_MIN ? BPR_MIN : (val & 7u));
		break;
	case GICC_ABPR:
		c->abpr = (uint8_t)((val & 7u) < ABPR_MIN ? ABPR_MIN : (val & 7u));
		break;
	case GICC_EOIR:
	case GICC_AEOIR:
		write_eoir(op, val);
		return;
	case GICC_DIR:
		write_dir(op, val);
		return;
	case GICC_APR0:
		c->apr = val;
		break;
	case GICC_NSAPR0:
		c->nsapr = val;
		break;
	default:
		return; /* read-only or reserved: ignored */
	}
	/* a mask, enable or running priority may have opened: let the host look */
	op->kick |= (uint8_t)(1u << op->cpu);
}

enum ax_err gicc_v2_access(struct ax_gicd_v2 *g, const struct ax_access *acc, uint64_t *rval,
			   uint32_t wval)
{
	struct gicd_op op = { g, acc->vcpu, 0 };

	/* every GICC register is 32-bit; the dispatcher keeps the access in the 8 KiB range */
	if (acc->vcpu >= g->num_cpus || acc->width != 4 || (acc->offset & 3u))
		return AX_ERR_INVALID_INPUT;
	if (acc->offset >= AX_GICC_V2_SIZE) { /* past the frame, inside the configured length */
		if (rval)
			*rval = 0;
		return AX_OK;
	}
	gicv2_lock(g);
	if (rval)
		*rval = gicc_read(&op, (uint32_t)acc->offset);
	else
		gicc_write(&op, (uint32_t)acc->offset, wval);
	gicv2_unlock(&op);
	return AX_OK;
}

/* ---- the set's fabric ------------------------------------------------------ */

static bool cpu_pending(void *priv, uint32_t vcpu)
{
	struct ax_gicd_v2 *g = priv;
	struct gicd_op op = { g, vcpu, 0 };
	bool pending;

	if (vcpu >= g->num_cpus)
		return false;
	gicv2_lock(g);
	{
		struct hp h = highest(g, vcpu, true);

		pending = signalled(&g->cpus[vcpu].cc, &h);
	}
	gicv2_unlock(&op);
	return pending;
}

static enum ax_err cpu_ack_stats(void *priv, uint32_t vcpu, struct ax_irq_ack_stats *out)
{
	struct ax_gicd_v2 *g = priv;
	struct gicd_op op = { g, vcpu, 0 };

	if (vcpu >= g->num_cpus)
		return AX_ERR_INVALID_INPUT;
	gicv2_lock(g);
	*out = g->acks[vcpu];
	gicv2_unlock(&op);
	return AX_OK;
}

static void ppi_set(void *priv, uint32_t vcpu, uint32_t intid, bool level)
{
	struct ax_gicd_v2 *g = priv;
	struct gicd_op op = { g, vcpu, 0 };

	if (vcpu >= g->num_cpus || intid < NR_SGIS || intid >= NR_PRIVATE)
		return; /* not a PPI of an existing CPU interface */
	gicv2_lock(g);
	gicv2_level_locked(&op, vcpu, intid, level);
	gicv2_unlock(&op);
}

static void spi_set_line(void *priv, uint32_t line, bool level)
{
	struct ax_gicd_v2 *g = priv;
	struct gicd_op op = { g, 0, 0 };

	if (line < NR_PRIVATE || line >= g->nr_ids)
		return; /* lines 0..31 are SGIs/PPIs: devices reach PPIs through set_ppi */
	gicv2_lock(g);
	gicv2_level_locked(&op, 0, line, level);
	gicv2_unlock(&op);
}

enum ax_err gicc_v2_attach(struct ax_gicd_v2 *g, struct ax_irq_fabric *fabric, const char *name,
			   struct ax_diag *diag)
{
	struct ax_cpu_irq_ops cpu = {
		.priv = g, .pending = cpu_pending, .ack = NULL, .ack_stats = cpu_ack_stats
	};
	struct ax_ppi_sink ppi = { .priv = g, .set_ppi = ppi_set };
	struct ax_irq_input in = {
		.name = name, .nr_lines = g->nr_ids, .set_line = spi_set_line, .priv = g
	};
	enum ax_err err;

	g->fabric = fabric;
	err = ax_irq_fabric_set_cpu_irq(fabric, name, &cpu, diag);
	if (err != AX_OK)
		goto fail;
	g->reg_cpu_irq = true;
	err = ax_irq_fabric_set_ppi_sink(fabric, name, &ppi, diag);
	if (err != AX_OK)
		goto fail;
	g->reg_ppi = true;
	err = ax_irq_fabric_add_input(fabric, &in, diag);
	if (err != AX_OK)
		goto fail;
	g->reg_input = true;
	return AX_OK;
fail:
	gicc_v2_detach(g);
	return err;
}

void gicc_v2_detach(struct ax_gicd_v2 *g)
{
	if (g->reg_input)
		ax_irq_fabric_remove_input(g->fabric, g);
	if (g->reg_ppi)
		ax_irq_fabric_clear_ppi_sink(g->fabric, g);
	if (g->reg_cpu_irq)
		ax_irq_fabric_clear_cpu_irq(g->fabric, g);
	g->reg_input = g->reg_ppi = g->reg_cpu_irq = false;
}
