/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GICv3 core: the interrupt state machine shared by the distributor, the
 * redistributors and the CPU interface (see gicv3_core.h), the registry
 * that lets the three front ends of one set find it, and the host API of
 * include/axdevice/gicv3.h.
 */
#include <stdatomic.h>

#include <axdevice/emu_type.h>

#include "gicv3_core.h"

#define CORE_MAGIC  0x47494333u /* "GIC3" */
#define CTLR_GRP1   (1u << 1)
#define IROUTER_IRM (1ull << 31)

/* ---- registry: one core per interrupt fabric --------------------------- */

#define REGISTRY_SLOTS 64
static struct ax_spinlock registry_lock = { ATOMIC_FLAG_INIT };
static struct gicv3 *registry[REGISTRY_SLOTS];

void v3_reset_redist(struct gicv3 *g)
{
	for (uint32_t c = 0; c < g->nr_cpus; c++) {
		struct v3_cpu *cpu = &g->cpus[c];

		for (uint32_t i = 0; i < V3_NR_PRIV; i++) {
			bool line = cpu->priv[i].line; /* an input, not GIC state */

			ax_memset(&cpu->priv[i], 0, sizeof(cpu->priv[i]));
			cpu->priv[i].line = line;
			cpu->priv[i].edge = i < V3_NR_SGIS;
		}
		cpu->cands = 0; /* every private id is disabled now */
		cpu->sleep = true;
	}
}

void v3_reset_cpuif(struct gicv3 *g)
{
	for (uint32_t c = 0; c < g->nr_cpus; c++) {
		struct v3_cpu *cpu = &g->cpus[c];

		cpu->pmr = 0;
		cpu->bpr1 = 3;
		cpu->eoimode = false;
		cpu->igrpen1 = false;
		cpu->ap1r0 = 0;
	}
}

void v3_reset_dist(struct gicv3 *g)
{
	g->gicd_ctlr = 0;
	for (uint32_t i = 0; i < V3_NR_SPIS; i++) {
		bool line = g->spis[i].line;

		ax_memset(&g->spis[i], 0, sizeof(g->spis[i]));
		g->spis[i].line = line;
		g->route[i] = 0;
	}
	irq_cands_clear_spi(&g->spi_cands); /* every SPI is disabled now */
}

enum ax_err gicv3_get(const struct ax_kind_env *env, const char *name, struct gicv3 **out,
		      struct ax_diag *diag)
{
	struct gicv3 *g = NULL;
	size_t free_slot = REGISTRY_SLOTS;

	if (env->max_vcpus > AX_GICV3_MAX_VCPUS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": the set has %u vCPUs, a GICv3 at most %u", name,
			       env->max_vcpus, AX_GICV3_MAX_VCPUS);
	ax_spin_lock(&registry_lock, env->hooks);
	for (size_t i = 0; i < REGISTRY_SLOTS; i++) {
		if (registry[i] && registry[i]->fabric == env->irq_fabric) {
			g = registry[i];
			break;
		}
		if (!registry[i] && free_slot == REGISTRY_SLOTS)
			free_slot = i;
	}
	if (!g && free_slot < REGISTRY_SLOTS) {
		g = ax_zalloc(env->hooks, sizeof(*g) + env->max_vcpus * sizeof(g->cpus[0]));
		if (g) {
			g->magic = CORE_MAGIC;
			ax_spin_init(&g->lock);
			g->hooks = env->hooks;
			g->fabric = env->irq_fabric;
			g->nr_cpus = env->max_vcpus;
			g->nr_irqs = V3_NR_PRIV;
			v3_reset_dist(g);
			v3_reset_redist(g);
			v3_reset_cpuif(g);
			registry[free_slot] = g;
		}
	}
	if (g)
		g->refs++;
	ax_spin_unlock(&registry_lock);
	if (!g)
		return ax_fail(diag, AX_ERR_NO_MEMORY,
			       "device \"%s\": no memory (or more than %d sets) for a GICv3", name,
			       REGISTRY_SLOTS);
	*out = g;
	return AX_OK;
}

void gicv3_put(struct gicv3 *g)
{
	bool last;

	ax_spin_lock(&registry_lock, g->hooks);
	last = --g->refs == 0;
	if (last)
		for (size_t i = 0; i < REGISTRY_SLOTS; i++)
			if (registry[i] == g)
				registry[i] = NULL;
	ax_spin_unlock(&registry_lock);
	if (last) {
		g->magic = 0;
		ax_free(g->hooks, g);
	}
}

/* ---- locking and notification ----------------------------------------- */

void v3_lock(struct v3_op *op, struct gicv3 *g)
{
	ax_memset(op, 0, sizeof(*op));
	op->g = g;
	ax_spin_lock(&g->lock, g->hooks);
}

void v3_unlock(struct v3_op *op)
{
	const struct ax_host_hooks *h = op->g->hooks;
	uint32_t n = op->g->nr_cpus;

	ax_spin_unlock(&op->g->lock);
	if (!h->irq_notify)
		return;
	for (uint32_t c = 0; c < n; c++)
		if (op->kick[c / 64] & (1ull << (c % 64)))
			h->irq_notify(h->ctx, c);
}

static void kick(struct v3_op *op, uint32_t cpu)
{
	op->kick[cpu / 64] |= 1ull << (cpu % 64);
}

/* ---- interrupt state -------------------------------------------------- */

struct v3_irq *v3_irq_at(struct gicv3 *g, uint32_t cpu, uint32_t id)
{
	return id < V3_NR_PRIV ? &g->cpus[cpu].priv[id] : &g->spis[id - V3_NR_PRIV];
}

uint64_t v3_cpu_affinity(uint32_t cpu)
{
	return (uint64_t)(cpu % 16) | (uint64_t)(cpu / 16) << 8;
}

static bool irq_pending(const struct v3_irq *s)
{
	return s->latch || (!s->edge && s->line);
}

/* IROUTER as a packed affinity (Aff3 moved down to [31:24]) or IRM. */
static bool spi_routed(const struct gicv3 *g, uint32_t cpu, uint32_t id)
{
	uint64_t r = g->route[id - V3_NR_PRIV];
	uint64_t aff = (r & 0xffffffull) | ((r >> 8) & 0xff000000ull);

	return (r & IROUTER_IRM) || aff == v3_cpu_affinity(cpu);
}

/* Enabled, pending and inactive: what makes an id one of the candidates (irq_cands.h). */
static bool irq_live(const struct v3_irq *s)
{
	return s->enabled && !s->active && irq_pending(s);
}

static bool candidate(struct gicv3 *g, uint32_t cpu, uint32_t id)
{
	const struct v3_irq *s = v3_irq_at(g, cpu, id);
	const struct v3_cpu *c = &g->cpus[cpu];

	if (!s->enabled || !s->group1 || s->active || !irq_pending(s))
		return false;
	if ((g->has_gicd && !(g->gicd_ctlr & CTLR_GRP1)) || c->sleep || !c->igrpen1)
		return false;
	return id < V3_NR_PRIV || spi_routed(g, cpu, id);
}

static uint8_t group_priority(const struct v3_cpu *c, uint8_t prio)
{
	return (uint8_t)(prio & (0xffu << c->bpr1) & AX_GICV3_PRIORITY_MASK);
}

uint8_t v3_rpr(const struct gicv3 *g, uint32_t cpu)
{
	uint32_t ap = g->cpus[cpu].ap1r0;

	return ap ? (uint8_t)(__builtin_ctz(ap) << 3) : 0xff;
}

uint32_t v3_best(struct gicv3 *g, uint32_t cpu, uint8_t *priority)
{
	uint32_t best = V3_SPURIOUS;
	uint8_t best_prio = 0xff;

	struct v3_cpu *c = &g->cpus[cpu];

	/* only the ids that may be enabled, pending and inactive, in ascending order */
	for (uint32_t id = irq_cands_next(c->cands, &g->spi_cands, 0); id < g->nr_irqs;
	     id = irq_cands_next(c->cands, &g->spi_cands, id + 1)) {
		if (!irq_live(v3_irq_at(g, cpu, id)))
			irq_cands_drop(&c->cands, &g->spi_cands, id);
		if (!candidate(g, cpu, id))
			continue;
		uint8_t p = v3_irq_at(g, cpu, id)->priority;

		if (best == V3_SPURIOUS || p < best_prio) {
			best = id;
			best_prio = p;
		}
	}
	if (priority)
		*priority = best_prio;
	return best;
}

static bool beats(const struct gicv3 *g, uint32_t cpu, uint8_t prio)
{
	const struct v3_cpu *c = &g->cpus[cpu];

	return prio < c->pmr && group_priority(c, prio) < v3_rpr(g, cpu);
}

uint32_t v3_deliverable(struct gicv3 *g, uint32_t cpu)
{
	uint8_t prio;
	uint32_t id = v3_best(g, cpu, &prio);

	return id != V3_SPURIOUS && beats(g, cpu, prio) ? id : V3_SPURIOUS;
}

void v3_note(struct v3_op *op, uint32_t cpu, uint32_t id)
{
	struct gicv3 *g = op->g;

	if (irq_live(v3_irq_at(g, cpu, id)))
		irq_cands_mark(&g->cpus[cpu].cands, &g->spi_cands, id);

	if (id < V3_NR_PRIV) {
		if (candidate(g, cpu, id) && beats(g, cpu, v3_irq_at(g, cpu, id)->priority))
			kick(op, cpu);
		return;
	}
	for (uint32_t c = 0; c < g->nr_cpus; c++)
		if (candidate(g, c, id) && beats(g, c, g->spis[id - V3_NR_PRIV].priority))
			kick(op, c);
}

void v3_note_cpu(struct v3_op *op, uint32_t cpu)
{
	if (v3_deliverable(op->g, cpu) != V3_SPURIOUS)
		kick(op, cpu);
}

void v3_note_all(struct v3_op *op)
{
	for (uint32_t c = 0; c < op->g->nr_cpus; c++)
		v3_note_cpu(op, c);
}

void v3_set_line(struct v3_op *op, uint32_t cpu, uint32_t id, bool level)
{
	struct v3_irq *s = v3_irq_at(op->g, cpu, id);

	if (s->edge && level && !s->line)
		s->latch = true;
	s->line = level;
	v3_note(op, cpu, id);
}

uint32_t v3_ack(struct v3_op *op, uint32_t cpu)
{
	struct gicv3 *g = op->g;
	uint32_t id = v3_deliverable(g, cpu);
	struct v3_cpu *c = &g->cpus[cpu];
	struct v3_irq *s;

	if (id == V3_SPURIOUS)
		return id;
	s = v3_irq_at(g, cpu, id);
	s->latch = false; /* a level line still high keeps it pending */
	s->active = true;
	c->ap1r0 |= 1u << (group_priority(c, s->priority) >> 3);
	return id;
}

static void deactivate(struct v3_op *op, uint32_t cpu, uint32_t id)
{
	if (id >= op->g->nr_irqs)
		return;
	v3_irq_at(op->g, cpu, id)->active = false;
	v3_note(op, cpu, id);
}

void v3_eoi(struct v3_op *op, uint32_t cpu, uint32_t id)
{
	struct v3_cpu *c = &op->g->cpus[cpu];

	if (id >= 1020)
		return;
	c->ap1r0 &= c->ap1r0 - 1; /* drop the highest active priority */
	if (!c->eoimode)
		deactivate(op, cpu, id);
	v3_note_cpu(op, cpu);
}

void v3_dir(struct v3_op *op, uint32_t cpu, uint32_t id)
{
	if (id < 1020 && op->g->cpus[cpu].eoimode)
		deactivate(op, cpu, id);
}

void v3_sgi1r(struct v3_op *op, uint32_t self, uint64_t val)
{
	struct gicv3 *g = op->g;
	uint32_t sgi = (uint32_t)(val >> 24) & 0xfu;
	uint32_t aff1 = (uint32_t)(val >> 16) & 0xffu, aff2 = (uint32_t)(val >> 32) & 0xffu;
	uint32_t aff3 = (uint32_t)(val >> 48) & 0xffu, rs = (uint32_t)(val >> 44) & 0xfu;

	for (uint32_t c = 0; c < g->nr_cpus; c++) {
		bool hit;

		if (val & (1ull << 40)) /* IRM: every PE but the sender */
			hit = c != self;
		else
			hit = rs == 0 && aff2 == 0 && aff3 == 0 && c / 16 == aff1 &&
			      ((val >> (c % 16)) & 1u);
		if (!hit)
			continue;
		g->cpus[c].priv[sgi].latch = true;
		v3_note(op, c, sgi);
	}
}

/* ---- shared per-interrupt registers ----------------------------------- */

static bool get_bit(struct gicv3 *g, uint32_t cpu, uint32_t id, enum v3_bits kind)
{
	const struct v3_irq *s = v3_irq_at(g, cpu, id);

	switch (kind) {
	case V3_GROUP:
		return s->group1;
	case V3_SET_ENABLE:
	case V3_CLR_ENABLE:
		return s->enabled;
	case V3_SET_PEND:
	case V3_CLR_PEND:
		return irq_pending(s);
	default:
		return s->active;
	}
}

static void put_bit(struct gicv3 *g, uint32_t cpu, uint32_t id, enum v3_bits kind, bool bit)
{
	struct v3_irq *s = v3_irq_at(g, cpu, id);

	if (kind == V3_GROUP) {
		s->group1 = bit;
		return;
	}
	if (!bit)
		return;
	switch (kind) {
	case V3_SET_ENABLE:
		s->enabled = true;
		break;
	case V3_CLR_ENABLE:
		s->enabled = false;
		break;
	case V3_SET_PEND:
		s->latch = true;
		break;
	case V3_CLR_PEND:
		s->latch = false;
		break;
	case V3_SET_ACTIVE:
		s->active = true;
		break;
	default:
		s->active = false;
		break;
	}
}

uint32_t v3_bits_read(struct v3_op *op, uint32_t cpu, uint32_t first, enum v3_bits kind)
{
	uint32_t val = 0;

	for (uint32_t i = 0; i < 32 && first + i < op->g->nr_irqs; i++)
		if (get_bit(op->g, cpu, first + i, kind))
			val |= 1u << i;
	return val;
}

void v3_bits_write(struct v3_op *op, uint32_t cpu, uint32_t first, enum v3_bits kind, uint32_t val)
{
	for (uint32_t i = 0; i < 32 && first + i < op->g->nr_irqs; i++) {
		put_bit(op->g, cpu, first + i, kind, (val >> i) & 1u);
		v3_note(op, cpu, first + i);
	}
}

uint32_t v3_prio_read(struct v3_op *op, uint32_t cpu, uint32_t first, unsigned width)
{
	uint32_t val = 0;

	for (unsigned i = 0; i < width; i++)
		if (first + i < op->g->nr_irqs)
			val |= (uint32_t)v3_irq_at(op->g, cpu, first + i)->priority << (8 * i);
	return val;
}

void v3_prio_write(struct v3_op *op, uint32_t cpu, uint32_t first, unsigned width, uint32_t val)
{
	for (unsigned i = 0; i < width; i++) {
		if (first + i >= op->g->nr_irqs)
			continue;
		v3_irq_at(op->g, cpu, first + i)->priority =
			(uint8_t)(val >> (8 * i)) & AX_GICV3_PRIORITY_MASK;
		v3_note(op, cpu, first + i);
	}
}

uint32_t v3_cfg_read(struct v3_op *op, uint32_t cpu, uint32_t first)
{
	uint32_t val = 0;

	for (uint32_t i = 0; i < 16 && first + i < op->g->nr_irqs; i++)
		if (v3_irq_at(op->g, cpu, first + i)->edge)
			val |= 2u << (2 * i);
	return val;
}

void v3_cfg_write(struct v3_op *op, uint32_t cpu, uint32_t first, uint32_t val)
{
	for (uint32_t i = 0; i < 16 && first + i < op->g->nr_irqs; i++) {
		if (first + i < V3_NR_PRIV)
			continue; /* SGIs edge, PPIs level: fixed */
		v3_irq_at(op->g, cpu, first + i)->edge = (val >> (2 * i + 1)) & 1u;
		v3_note(op, cpu, first + i);
	}
}

/* ---- register tables -------------------------------------------------- */

enum ax_err v3_access(struct gicv3 *g, const struct v3_reg *tab, size_t n, uint32_t cpu,
		      uint64_t offset, unsigned width, uint64_t *rval, uint64_t wval)
{
	static const struct v3_reg reserved = { 0, 0, V3_W32, 0, NULL, NULL };
	const struct v3_reg *r = &reserved;
	struct v3_op op;

	for (size_t i = 0; i < n; i++)
		if (offset >= tab[i].start && offset < tab[i].end) {
			r = &tab[i];
			break;
		}
	if ((offset & (width - 1)) || !(r->widths & (1u << width)))
		return AX_ERR_INVALID_INPUT;
	uint32_t off = (uint32_t)(offset - r->start);

	v3_lock(&op, g);
	if (rval)
		*rval = r->read ? r->read(&op, r, cpu, off, width) : 0;
	else if (r->write)
		r->write(&op, r, cpu, off, width, wval);
	v3_unlock(&op);
	return AX_OK;
}

struct gicv3 *v3_core_of(void *priv, uint32_t type)
{
	const struct v3_front *f = priv;

	if (!f)
		return NULL;
	switch (type) {
	case AX_EMU_GICD_V3:
		return f->magic == V3_MAGIC_GICD ? f->core : NULL;
	case AX_EMU_GICR:
		return f->magic == V3_MAGIC_GICR ? f->core : NULL;
	case AX_EMU_ICC:
	case AX_EMU_ICC_SRE:
	case AX_EMU_SGIR:
		return f->magic == V3_MAGIC_ICC ? f->core : NULL;
	default:
		return NULL;
	}
}

/* ---- host API ---------------------------------------------------------- */

enum ax_err ax_gicv3_from_device(struct ax_devices *set, uint32_t id, struct ax_gicv3 **out)
{
	struct ax_device_info info;
	void *priv = NULL;
	struct gicv3 *g;
	enum ax_err err = ax_devices_find_by_id(set, id, &info);

	if (err != AX_OK)
		return err;
	err = ax_devices_priv(set, id, &priv);
	if (err != AX_OK)
		return err;
	g = v3_core_of(priv, info.type);
	if (!g)
		return AX_ERR_INVALID_INPUT;
	*out = (struct ax_gicv3 *)g;
	return AX_OK;
}

enum ax_err ax_gicv3_set_level(struct ax_gicv3 *gic, uint32_t vcpu, uint32_t intid, bool level)
{
	struct gicv3 *g = (struct gicv3 *)gic;
	struct v3_op op;

	if (intid < V3_NR_SGIS || intid >= g->nr_irqs || (intid < V3_NR_PRIV && vcpu >= g->nr_cpus))
		return AX_ERR_INVALID_INPUT;
	v3_lock(&op, g);
	v3_set_line(&op, intid < V3_NR_PRIV ? vcpu : 0, intid, level);
	v3_unlock(&op);
	return AX_OK;
}

enum ax_err ax_gicv3_highest_pending(struct ax_gicv3 *gic, uint32_t vcpu, uint32_t *intid,
				     uint8_t *priority)
{
	struct gicv3 *g = (struct gicv3 *)gic;
	struct v3_op op;
	uint32_t id;
	uint8_t prio;

	if (vcpu >= g->nr_cpus)
		return AX_ERR_INVALID_INPUT;
	v3_lock(&op, g);
	id = v3_best(g, vcpu, &prio);
	v3_unlock(&op);
	if (id == V3_SPURIOUS)
		return AX_ERR_NOT_FOUND;
	if (intid)
		*intid = id;
	if (priority)
		*priority = prio;
	return AX_OK;
}

uint8_t ax_gicv3_running_priority(struct ax_gicv3 *gic, uint32_t vcpu)
{
	struct gicv3 *g = (struct gicv3 *)gic;
	struct v3_op op;
	uint8_t rpr;

	if (vcpu >= g->nr_cpus)
		return 0xff;
	v3_lock(&op, g);
	rpr = v3_rpr(g, vcpu);
	v3_unlock(&op);
	return rpr;
}
