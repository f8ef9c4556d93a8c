/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interrupt fabric of one device set (src/core/irq.h): the line router
 * with its claims, and the APIC-bus plumbing between controller models.
 *
 * Line path. Every claimed line has one record, shared by its claimants
 * (refcounted on the control path). A device's level change takes only the
 * record's spinlock: it updates the count of asserting claimants and, when
 * the OR of them changes, calls the line's targets (controller inputs) or
 * the host hooks under that lock, so that two claimants racing on one line
 * can never deliver their edges out of order. Uncontended, that is one
 * atomic exchange per change; a call that leaves the claimant's level as it
 * is takes no lock at all. A device may instead keep a word of causes
 * (ax_irq_line_update): the word changes under the same lock, so its level
 * is always "word != 0" without a lock of the device's own.
 *
 * Bus path (lapic, 8259, I/O APIC EOI; on Arm the CPU interface and the PPI
 * sink, a set having either a local APIC or an Arm CPU interface). The registered ops live in the
 * fabric; callers announce themselves in an in-flight counter (sharded by
 * vCPU for the host's pending/ack) and read an atomic pointer; clearing a
 * registration stores NULL and waits for every shard to reach zero, after
 * which the model is never called again.
 *
 * Control path (inputs, claims, registrations): one fabric spinlock, taken
 * inside the set's lock.
 */
#include <axdevice/device.h>

#include "irq.h"
#include "set.h"
#include "util.h"

#define MAX_INPUTS  8 /* controller inputs per set */
#define MAX_EOIS    8 /* I/O APICs per set */
#define LINE_OWNERS 2 /* controller inputs owning one line */

/* Vector handed out by an acknowledge with no 8259 in the set (IRQ7 at the PC's 0x08 base). */
#define NO_PIC_SPURIOUS 0x0f

struct input_slot {
	bool used;
	struct ax_irq_input in;
	char name[AX_NAME_MAX];
};

struct line_rec {
	struct line_rec *next; /* fabric list, control path */
	uint32_t line;
	uint32_t nr_claims; /* refcount, control path */

	/* raise path, under `lock` (targets are also written under the control lock) */
	struct ax_spinlock lock;
	uint32_t asserted; /* claimants driving the line high */
	uint32_t nr_targets;
	struct input_slot *targets[LINE_OWNERS];
};

struct claim_slot {
	uint32_t line;
	enum ax_irq_trigger trigger;
	struct line_rec *rec;
	/* this claimant's own level: written under rec->lock, read without it to skip a
	 * call that changes nothing */
	_Atomic bool level;
};

struct ax_irq_lines {
	struct ax_irq_fabric *f;
	struct ax_irq_lines *next; /* fabric list of bound claim sets, control path */
	bool bound;
	_Atomic uint32_t nr; /* published after the slots are filled */
	struct claim_slot claims[AX_DEVICE_MAX_IRQS];
	atomic_flag warned; /* an unclaimed line was used: logged once */
	char name[AX_NAME_MAX];
};

/* A model the bus calls: the local APIC or the 8259 pair, one of each per set. */
struct named_model {
	union {
		struct ax_apic_ops apic;
		struct ax_pic_ops pic;
		struct ax_cpu_irq_ops cpu;
		struct ax_ppi_sink ppi;
	} ops;
	void *priv; /* the model, as its clear call names it */
	bool used;  /* control path */
	char name[AX_NAME_MAX];
};

/*
 * Bus calls in flight, in shards so that vCPUs asking for their interrupts
 * (pending/ack, by vCPU id) do not share one cache line.
 */
#define BUS_SHARDS 16

struct bus_shard {
	_Atomic uint32_t n;
} __attribute__((aligned(AX_CACHELINE)));

struct ax_irq_fabric {
	const struct ax_host_hooks *hooks;

	/* bus path */
	struct bus_shard inflight[BUS_SHARDS];
	_Atomic(struct named_model *) lapic, pic;
	_Atomic(struct named_model *) cpu_irq, ppi; /* Arm: CPU interface, PPI sink */
	_Atomic(struct ax_ioapic_eoi *) eois[MAX_EOIS];
	_Atomic uint64_t dropped;     /* APIC messages with no local APIC to take them */
	_Atomic uint64_t ppi_dropped; /* PPI levels with no sink to take them */

	/* control path, under `ctl` */
	struct ax_spinlock ctl;
	struct input_slot inputs[MAX_INPUTS];
	struct line_rec *recs;
	struct ax_irq_lines *bound;
	struct named_model lapic_store, pic_store, cpu_irq_store, ppi_store;
	struct ax_ioapic_eoi eoi_store[MAX_EOIS];
	bool eoi_used[MAX_EOIS];
};

/* --- control path ------------------------------------------------------------ */

struct ax_irq_fabric *ax_irq_fabric_create(const struct ax_host_hooks *hooks)
{
	struct ax_irq_fabric *f = ax_zalloc(hooks, sizeof(*f));

	if (!f)
		return NULL;
	f->hooks = hooks;
	ax_spin_init(&f->ctl);
	for (unsigned i = 0; i < BUS_SHARDS; i++)
		atomic_init(&f->inflight[i].n, 0);
	atomic_init(&f->lapic, NULL);
	atomic_init(&f->pic, NULL);
	atomic_init(&f->cpu_irq, NULL);
	atomic_init(&f->ppi, NULL);
	atomic_init(&f->dropped, 0);
	atomic_init(&f->ppi_dropped, 0);
	for (unsigned i = 0; i < MAX_EOIS; i++)
		atomic_init(&f->eois[i], NULL);
	return f;
}

void ax_irq_fabric_destroy(struct ax_irq_fabric *f)
{
	if (!f)
		return;
	/* every claim set and model is gone by now; free what a faulty caller left */
	while (f->recs) {
		struct line_rec *r = f->recs;

		f->recs = r->next;
		ax_free(f->hooks, r);
	}
	ax_free(f->hooks, f);
}

static void fabric_lock(struct ax_irq_fabric *f)
{
	ax_spin_lock(&f->ctl, f->hooks);
}

static void fabric_unlock(struct ax_irq_fabric *f)
{
	ax_spin_unlock(&f->ctl);
}

/* Lines [0, max) exist when at least one input is registered; 0 when none is. */
static uint32_t inputs_max_lines(const struct ax_irq_fabric *f, const struct ax_irq_input *extra)
{
	uint32_t max = extra ? extra->nr_lines : 0;

	for (unsigned i = 0; i < MAX_INPUTS; i++)
		if (f->inputs[i].used && f->inputs[i].in.nr_lines > max)
			max = f->inputs[i].in.nr_lines;
	return max;
}

/* `("ioapic", 24 lines; "pic", 16 lines)` for config errors. */
static void describe_inputs(const struct ax_irq_fabric *f, const struct ax_irq_input *extra,
			    char *buf, size_t cap)
{
	size_t n = ax_format(buf, cap, "(");
	bool first = true;

	for (unsigned i = 0; i <= MAX_INPUTS; i++) {
		const struct ax_irq_input *in =
			i < MAX_INPUTS ? (f->inputs[i].used ? &f->inputs[i].in : NULL) : extra;

		if (!in || n >= cap)
			continue;
		n += ax_format(buf + n, cap - n, "%s\"%s\", %u lines", first ? "" : "; ", in->name,
			       in->nr_lines);
		first = false;
	}
	if (n < cap)
		ax_format(buf + n, cap - n, ")");
}

static inline void route_level(struct ax_irq_fabric *f, struct line_rec *r, bool level)
{
	const struct ax_host_hooks *h = f->hooks;

	if (r->nr_targets == 0) {
		if (h->irq_set_level)
			h->irq_set_level(h->ctx, r->line, level);
		return;
	}
	for (uint32_t i = 0; i < r->nr_targets; i++)
		r->targets[i]->in.set_line(r->targets[i]->in.priv, r->line, level);
}

static void route_pulse(struct ax_irq_fabric *f, struct line_rec *r)
{
	const struct ax_host_hooks *h = f->hooks;

	if (r->nr_targets == 0) {
		if (h->irq_pulse) {
			h->irq_pulse(h->ctx, r->line);
		} else if (h->irq_set_level) {
			h->irq_set_level(h->ctx, r->line, true);
			h->irq_set_level(h->ctx, r->line, false);
		}
		return;
	}
	for (uint32_t i = 0; i < r->nr_targets; i++) {
		r->targets[i]->in.set_line(r->targets[i]->in.priv, r->line, true);
		r->targets[i]->in.set_line(r->targets[i]->in.priv, r->line, false);
	}
}

/* Gives `in` the lines it owns; lines asserted meanwhile reach it (and leave the host). */
static void attach_input(struct ax_irq_fabric *f, struct input_slot *s)
{
	for (struct line_rec *r = f->recs; r; r = r->next) {
		if (r->line >= s->in.nr_lines)
			continue;
		ax_spin_lock(&r->lock, f->hooks);
		if (r->asserted && r->nr_targets == 0 && f->hooks->irq_set_level)
			f->hooks->irq_set_level(f->hooks->ctx, r->line, false);
		if (r->nr_targets < LINE_OWNERS)
			r->targets[r->nr_targets++] = s;
		if (r->asserted)
			s->in.set_line(s->in.priv, r->line, true);
		ax_spin_unlock(&r->lock);
	}
}

static void targets_of(struct ax_irq_fabric *f, struct line_rec *r)
{
	r->nr_targets = 0;
	for (unsigned i = 0; i < MAX_INPUTS && r->nr_targets < LINE_OWNERS; i++)
		if (f->inputs[i].used && r->line < f->inputs[i].in.nr_lines)
			r->targets[r->nr_targets++] = &f->inputs[i];
}

enum ax_err ax_irq_fabric_add_input(struct ax_irq_fabric *f, const struct ax_irq_input *in,
				    struct ax_diag *diag)
{
	struct input_slot *slot = NULL;
	char ctrls[128];

	if (!f || !in || !in->name || !in->set_line || in->nr_lines == 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "irq fabric: an input needs a name, set_line and at least one line");
	fabric_lock(f);
	/* a third owner of a line: two registered inputs already share it */
	for (unsigned i = 0; i < MAX_INPUTS; i++) {
		for (unsigned j = i + 1; j < MAX_INPUTS; j++) {
			const struct input_slot *a = &f->inputs[i], *b = &f->inputs[j];

			if (!a->used || !b->used)
				continue;
			fabric_unlock(f);
			return ax_fail(diag, AX_ERR_ADDR_IN_USE,
				       "device \"%s\": irq line 0 is already owned by interrupt "
				       "controllers \"%s\" and \"%s\" (at most two per line)",
				       in->name, a->name, b->name);
		}
	}
	/* claims made before this controller came must fit the controllers now */
	uint32_t max = inputs_max_lines(f, in);

	for (const struct ax_irq_lines *l = f->bound; l; l = l->next) {
		uint32_t n = atomic_load_explicit(&l->nr, memory_order_relaxed);

		for (uint32_t c = 0; c < n; c++) {
			if (l->claims[c].line < max)
				continue;
			describe_inputs(f, in, ctrls, sizeof(ctrls));
			fabric_unlock(f);
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": device \"%s\" claims irq line %u: the set's "
				       "interrupt controllers %s have no such line",
				       in->name, l->name, l->claims[c].line, ctrls);
		}
	}
	for (unsigned i = 0; i < MAX_INPUTS && !slot; i++)
		if (!f->inputs[i].used)
			slot = &f->inputs[i];
	if (!slot) {
		fabric_unlock(f);
		return ax_fail(diag, AX_ERR_STORAGE_FULL,
			       "device \"%s\": the set has %d interrupt controller inputs already",
			       in->name, MAX_INPUTS);
	}
	slot->used = true;
	slot->in = *in;
	ax_strlcpy(slot->name, in->name, sizeof(slot->name));
	slot->in.name = slot->name;
	attach_input(f, slot);
	fabric_unlock(f);
	return AX_OK;
}

void ax_irq_fabric_remove_input(struct ax_irq_fabric *f, void *priv)
{
	if (!f)
		return;
	fabric_lock(f);
	for (unsigned i = 0; i < MAX_INPUTS; i++) {
		struct input_slot *s = &f->inputs[i];

		if (!s->used || s->in.priv != priv)
			continue;
		s->used = false;
		/* after the line lock is released no caller is inside s->in.set_line */
		for (struct line_rec *r = f->recs; r; r = r->next) {
			ax_spin_lock(&r->lock, f->hooks);
			targets_of(f, r);
			ax_spin_unlock(&r->lock);
		}
	}
	fabric_unlock(f);
}

struct ax_irq_lines *ax_irq_lines_create(struct ax_irq_fabric *f, const char *device_name)
{
	struct ax_irq_lines *l;

	if (!f)
		return NULL;
	l = ax_zalloc(f->hooks, sizeof(*l));
	if (!l)
		return NULL;
	l->f = f;
	atomic_init(&l->nr, 0);
	atomic_flag_clear(&l->warned);
	ax_strlcpy(l->name, device_name ? device_name : "", sizeof(l->name));
	return l;
}

static struct line_rec *rec_find(struct ax_irq_fabric *f, uint32_t line)
{
	for (struct line_rec *r = f->recs; r; r = r->next)
		if (r->line == line)
			return r;
	return NULL;
}

/* The first bound claim set holding `line`, and its claim. */
static const struct ax_irq_lines *claimant(const struct ax_irq_fabric *f, uint32_t line,
					   const struct claim_slot **claim)
{
	for (const struct ax_irq_lines *l = f->bound; l; l = l->next) {
		uint32_t n = atomic_load_explicit(&l->nr, memory_order_relaxed);

		for (uint32_t c = 0; c < n; c++) {
			if (l->claims[c].line == line) {
				*claim = &l->claims[c];
				return l;
			}
		}
	}
	return NULL;
}

static enum ax_err check_claims(struct ax_irq_fabric *f, const struct ax_irq_lines *l,
				const struct ax_irq_claim *claims, uint32_t nr,
				struct ax_diag *diag)
{
	uint32_t max = inputs_max_lines(f, NULL);
	char ctrls[128];

	for (uint32_t i = 0; i < nr; i++) {
		const struct ax_irq_claim *c = &claims[i];
		const struct claim_slot *other_claim = NULL;
		const struct ax_irq_lines *other;

		if (c->trigger != AX_IRQ_LEVEL && c->trigger != AX_IRQ_EDGE)
			return ax_fail(
				diag, AX_ERR_INVALID_INPUT,
				"device \"%s\": irq line %u: trigger %d is neither level nor "
				"edge",
				l->name, c->line, (int)c->trigger);
		for (uint32_t j = 0; j < i; j++)
			if (claims[j].line == c->line)
				return ax_fail(diag, AX_ERR_INVALID_INPUT,
					       "device \"%s\": claims irq line %u twice", l->name,
					       c->line);
		if (max && c->line >= max) {
			describe_inputs(f, NULL, ctrls, sizeof(ctrls));
			return ax_fail(
				diag, AX_ERR_INVALID_INPUT,
				"device \"%s\": irq line %u: the set's interrupt controllers "
				"%s have no such line",
				l->name, c->line, ctrls);
		}
		other = claimant(f, c->line, &other_claim);
		if (!other)
			continue;
		if (c->trigger == AX_IRQ_EDGE)
			return ax_fail(diag, AX_ERR_ADDR_IN_USE,
				       "device \"%s\": irq line %u (edge) is already claimed by "
				       "device \"%s\"",
				       l->name, c->line, other->name);
		if (other_claim->trigger == AX_IRQ_EDGE)
			return ax_fail(diag, AX_ERR_ADDR_IN_USE,
				       "device \"%s\": irq line %u is already claimed by device "
				       "\"%s\" as an edge line",
				       l->name, c->line, other->name);
	}
	return AX_OK;
}

enum ax_err ax_irq_lines_bind(struct ax_irq_lines *l, const struct ax_irq_claim *claims,
			      uint32_t nr, struct ax_diag *diag)
{
	struct ax_irq_fabric *f;
	struct line_rec *fresh[AX_DEVICE_MAX_IRQS] = { 0 };
	enum ax_err err;

	if (!l)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "irq lines: missing claim set");
	f = l->f;
	if (nr > AX_DEVICE_MAX_IRQS || (nr && !claims))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": %u irq lines, at most %d", l->name, nr,
			       AX_DEVICE_MAX_IRQS);
	if (l->bound)
		return ax_fail(diag, AX_ERR_BAD_STATE, "device \"%s\": irq lines bound twice",
			       l->name);
	/* allocate outside the lock: records for lines nobody claims yet */
	for (uint32_t i = 0; i < nr; i++) {
		fresh[i] = ax_zalloc(f->hooks, sizeof(*fresh[i]));
		if (!fresh[i]) {
			for (uint32_t j = 0; j < i; j++)
				ax_free(f->hooks, fresh[j]);
			return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory",
				       l->name);
		}
	}
	fabric_lock(f);
	err = check_claims(f, l, claims, nr, diag);
	for (uint32_t i = 0; i < nr && !err; i++) {
		struct line_rec *r = rec_find(f, claims[i].line);

		if (!r) {
			r = fresh[i];
			fresh[i] = NULL;
			r->line = claims[i].line;
			ax_spin_init(&r->lock);
			targets_of(f, r);
			r->next = f->recs;
			f->recs = r;
		}
		r->nr_claims++;
		l->claims[i].line = claims[i].line;
		l->claims[i].trigger = claims[i].trigger;
		l->claims[i].rec = r;
		atomic_init(&l->claims[i].level, false);
	}
	if (!err) {
		l->bound = true;
		l->next = f->bound;
		f->bound = l;
		/* the raise path reads nr first, then the slots */
		atomic_store_explicit(&l->nr, nr, memory_order_release);
	}
	fabric_unlock(f);
	for (uint32_t i = 0; i < nr; i++)
		ax_free(f->hooks, fresh[i]);
	return err;
}

void ax_irq_lines_destroy(struct ax_irq_lines *l)
{
	struct ax_irq_fabric *f;

	if (!l)
		return;
	f = l->f;
	fabric_lock(f);
	if (l->bound) {
		for (struct ax_irq_lines **pp = &f->bound; *pp; pp = &(*pp)->next) {
			if (*pp == l) {
				*pp = l->next;
				break;
			}
		}
	}
	for (uint32_t i = 0; i < atomic_load_explicit(&l->nr, memory_order_relaxed); i++) {
		struct claim_slot *c = &l->claims[i];
		struct line_rec *r = c->rec;

		/* the device is gone: its level leaves the OR */
		ax_spin_lock(&r->lock, f->hooks);
		if (atomic_load_explicit(&c->level, memory_order_relaxed)) {
			atomic_store_explicit(&c->level, false, memory_order_relaxed);
			if (--r->asserted == 0)
				route_level(f, r, false);
		}
		ax_spin_unlock(&r->lock);
		if (--r->nr_claims == 0) {
			for (struct line_rec **pp = &f->recs; *pp; pp = &(*pp)->next) {
				if (*pp == r) {
					*pp = r->next;
					break;
				}
			}
			ax_free(f->hooks, r);
		}
	}
	fabric_unlock(f);
	ax_free(f->hooks, l);
}

/* --- raise path ------------------------------------------------------------- */

__attribute__((cold, noinline)) static void warn_unclaimed(struct ax_irq_lines *l, uint32_t line)
{
	if (!atomic_flag_test_and_set_explicit(&l->warned, memory_order_relaxed))
		ax_log(l->f->hooks, AX_LOG_WARN, "device \"%s\": irq line %u is not claimed",
		       l->name, line);
}

static inline struct claim_slot *claim_of(struct ax_irq_lines *l, uint32_t line)
{
	uint32_t n = atomic_load_explicit(&l->nr, memory_order_acquire);

	for (uint32_t i = 0; i < n; i++)
		if (ax_likely(l->claims[i].line == line))
			return &l->claims[i];
	warn_unclaimed(l, line);
	return NULL;
}

/* Under r->lock: the claimant's level becomes `level`, routed if the line's OR changes. */
static inline void claim_set_level(struct ax_irq_fabric *f, struct claim_slot *c,
				   struct line_rec *r, bool level)
{
	if (atomic_load_explicit(&c->level, memory_order_relaxed) == level)
		return;
	atomic_store_explicit(&c->level, level, memory_order_relaxed);
	if (level ? r->asserted++ == 0 : --r->asserted == 0)
		route_level(f, r, level);
}

/*
 * A call that leaves the claimant's own level as it is changes nothing: one
 * load and a compare, no lock. Calls of one claimant racing each other may
 * take effect in either order; that one skips is the order "it came first".
 */
void ax_irq_line_set_level(struct ax_irq_lines *l, uint32_t line, bool level)
{
	struct claim_slot *c;
	struct line_rec *r;

	if (ax_unlikely(!l))
		return;
	c = claim_of(l, line);
	if (!c || atomic_load_explicit(&c->level, memory_order_relaxed) == level)
		return;
	r = c->rec;
	ax_spin_lock(&r->lock, l->f->hooks);
	claim_set_level(l->f, c, r, level);
	ax_spin_unlock(&r->lock);
}

/*
 * The raiser published something (a used-ring entry) and then looks at the word; the
 * acknowledger clears the word and then looks at what was published. Each side's store
 * must be ordered before its load (a store-load pair: only a full fence does it), or
 * both can miss the other: the raiser sees the bit still set and skips, the acknowledger
 * reads the old ring and the line is low with work published -- a lost interrupt.
 */
void ax_irq_line_update(struct ax_irq_lines *l, uint32_t line, _Atomic uint32_t *causes,
			uint32_t set, uint32_t clear)
{
	uint32_t old, now;
	struct claim_slot *c;
	struct line_rec *r;

	if (set)
		atomic_thread_fence(
			memory_order_seq_cst); /* the caller's publication, then the word */
	old = atomic_load_explicit(causes, memory_order_relaxed);
	if (((old | set) & ~clear) == old)
		return; /* no bit changes: neither can the line */
	c = l ? claim_of(l, line) : NULL;
	if (ax_unlikely(!c)) {
		/* seq_cst RMW: ordered with the fence above and the caller's later reads */
		while (!atomic_compare_exchange_weak_explicit(causes, &old, (old | set) & ~clear,
							      memory_order_seq_cst,
							      memory_order_relaxed))
			;
		return;
	}
	r = c->rec;
	/* the word changes only under the line's lock, so word and level change as one */
	ax_spin_lock(&r->lock, l->f->hooks);
	old = atomic_load_explicit(causes, memory_order_relaxed);
	now = (old | set) & ~clear;
	/* release: what the device published before raising is there when a reader sees it */
	atomic_store_explicit(causes, now, memory_order_release);
	claim_set_level(l->f, c, r, now != 0);
	ax_spin_unlock(&r->lock);
	if (clear)
		atomic_thread_fence(
			memory_order_seq_cst); /* the cleared word, then the caller's reads */
}

void ax_irq_line_pulse(struct ax_irq_lines *l, uint32_t line)
{
	struct claim_slot *c;
	struct line_rec *r;

	if (!l)
		return;
	c = claim_of(l, line);
	if (!c)
		return;
	r = c->rec;
	ax_spin_lock(&r->lock, l->f->hooks);
	/* a shared level line held high by someone shows no edge */
	if (r->asserted == 0)
		route_pulse(l->f, r);
	ax_spin_unlock(&r->lock);
}

/* --- bus path ---------------------------------------------------------------- */

/*
 * A caller announces itself (seq_cst) before loading a registration; a
 * writer stores NULL (seq_cst) before looking at the shards, so either the
 * writer sees the caller or the caller sees NULL.
 */
static void bus_enter(struct ax_irq_fabric *f, uint32_t shard)
{
	atomic_fetch_add_explicit(&f->inflight[shard % BUS_SHARDS].n, 1, memory_order_seq_cst);
}

static void bus_exit(struct ax_irq_fabric *f, uint32_t shard)
{
	atomic_fetch_sub_explicit(&f->inflight[shard % BUS_SHARDS].n, 1, memory_order_release);
}

/* After a registration was cleared: returns once no bus call can still use it. */
static void bus_drain(struct ax_irq_fabric *f)
{
	for (unsigned i = 0; i < BUS_SHARDS; i++)
		while (atomic_load_explicit(&f->inflight[i].n, memory_order_seq_cst))
			if (f->hooks->relax)
				f->hooks->relax(f->hooks->ctx);
}

/* Registers `m` (ops and priv filled) in `store` and publishes it; AlreadyExists names both. */
static enum ax_err model_set_excl(struct ax_irq_fabric *f, _Atomic(struct named_model *) *pub,
				  struct named_model *store, const char *what, const char *name,
				  const struct named_model *m, const struct named_model *rival,
				  const char *rival_what, struct ax_diag *diag)
{
	fabric_lock(f);
	if (store->used) {
		fabric_unlock(f);
		return ax_fail(diag, AX_ERR_ALREADY_EXISTS,
			       "device \"%s\": the set already has %s, device \"%s\"", name, what,
			       store->name);
	}
	if (rival && rival->used) {
		fabric_unlock(f);
		return ax_fail(diag, AX_ERR_ALREADY_EXISTS,
			       "device \"%s\": the set already has %s, device \"%s\" (one CPU "
			       "interrupt controller per set)",
			       name, rival_what, rival->name);
	}
	*store = *m;
	store->used = true;
	ax_strlcpy(store->name, name, sizeof(store->name));
	atomic_store_explicit(pub, store, memory_order_seq_cst);
	fabric_unlock(f);
	return AX_OK;
}

static enum ax_err model_set(struct ax_irq_fabric *f, _Atomic(struct named_model *) *pub,
			     struct named_model *store, const char *what, const char *name,
			     const struct named_model *m, struct ax_diag *diag)
{
	return model_set_excl(f, pub, store, what, name, m, NULL, NULL, diag);
}

/* Unpublishes `store` if it is `priv`'s and frees it once no bus call can still use it. */
static void model_clear(struct ax_irq_fabric *f, _Atomic(struct named_model *) *pub,
			struct named_model *store, void *priv)
{
	bool cleared = false;

	fabric_lock(f);
	if (store->used && store->priv == priv) {
		atomic_store_explicit(pub, NULL, memory_order_seq_cst);
		cleared = true;
	}
	fabric_unlock(f);
	if (!cleared)
		return;
	bus_drain(f);
	fabric_lock(f);
	store->used = false;
	fabric_unlock(f);
}

enum ax_err ax_irq_fabric_set_lapic(struct ax_irq_fabric *f, const char *name,
				    const struct ax_apic_ops *ops, struct ax_diag *diag)
{
	struct named_model m = { .priv = ops ? ops->priv : NULL };

	if (!f || !name || !ops || !ops->deliver || !ops->pending || !ops->ack)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "irq fabric: a local APIC needs a name, deliver, pending and ack");
	m.ops.apic = *ops;
	return model_set_excl(f, &f->lapic, &f->lapic_store, "a local APIC", name, &m,
			      &f->cpu_irq_store, "an Arm CPU interrupt controller", diag);
}

void ax_irq_fabric_clear_lapic(struct ax_irq_fabric *f, void *priv)
{
	if (f)
		model_clear(f, &f->lapic, &f->lapic_store, priv);
}

enum ax_err ax_irq_fabric_add_ioapic_eoi(struct ax_irq_fabric *f, const struct ax_ioapic_eoi *e,
					 struct ax_diag *diag)
{
	if (!f || !e || !e->eoi)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "irq fabric: an EOI handler needs eoi");
	fabric_lock(f);
	for (unsigned i = 0; i < MAX_EOIS; i++) {
		if (f->eoi_used[i])
			continue;
		f->eoi_used[i] = true;
		f->eoi_store[i] = *e;
		atomic_store_explicit(&f->eois[i], &f->eoi_store[i], memory_order_seq_cst);
		fabric_unlock(f);
		return AX_OK;
	}
	fabric_unlock(f);
	return ax_fail(diag, AX_ERR_STORAGE_FULL, "irq fabric: more than %d I/O APICs", MAX_EOIS);
}

void ax_irq_fabric_remove_ioapic_eoi(struct ax_irq_fabric *f, void *priv)
{
	int slot = -1;

	if (!f)
		return;
	fabric_lock(f);
	for (unsigned i = 0; i < MAX_EOIS && slot < 0; i++) {
		if (f->eoi_used[i] && f->eoi_store[i].priv == priv) {
			atomic_store_explicit(&f->eois[i], NULL, memory_order_seq_cst);
			slot = (int)i;
		}
	}
	fabric_unlock(f);
	if (slot < 0)
		return;
	bus_drain(f);
	fabric_lock(f);
	f->eoi_used[slot] = false;
	fabric_unlock(f);
}

enum ax_err ax_irq_fabric_set_pic(struct ax_irq_fabric *f, const char *name,
				  const struct ax_pic_ops *ops, struct ax_diag *diag)
{
	struct named_model m = { .priv = ops ? ops->priv : NULL };

	if (!f || !name || !ops || !ops->intr || !ops->ack)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "irq fabric: an 8259 needs a name, intr and ack");
	m.ops.pic = *ops;
	return model_set(f, &f->pic, &f->pic_store, "an 8259 pair", name, &m, diag);
}

void ax_irq_fabric_clear_pic(struct ax_irq_fabric *f, void *priv)
{
	if (f)
		model_clear(f, &f->pic, &f->pic_store, priv);
}

void ax_irq_fabric_apic_deliver(struct ax_irq_fabric *f, const struct ax_apic_msg *msg)
{
	const struct named_model *a;

	if (!f || !msg)
		return;
	bus_enter(f, 0);
	a = atomic_load_explicit(&f->lapic, memory_order_seq_cst);
	if (a)
		a->ops.apic.deliver(a->ops.apic.priv, msg);
	else
		atomic_fetch_add_explicit(&f->dropped, 1, memory_order_relaxed);
	bus_exit(f, 0);
}

void ax_irq_fabric_apic_eoi(struct ax_irq_fabric *f, uint8_t vector)
{
	if (!f)
		return;
	bus_enter(f, 0);
	for (unsigned i = 0; i < MAX_EOIS; i++) {
		const struct ax_ioapic_eoi *e =
			atomic_load_explicit(&f->eois[i], memory_order_seq_cst);

		if (e)
			e->eoi(e->priv, vector);
	}
	bus_exit(f, 0);
}

void ax_irq_fabric_pic_changed(struct ax_irq_fabric *f)
{
	const struct named_model *a;

	if (!f)
		return;
	bus_enter(f, 0);
	a = atomic_load_explicit(&f->lapic, memory_order_seq_cst);
	if (a && a->ops.apic.pic_changed)
		a->ops.apic.pic_changed(a->ops.apic.priv);
	bus_exit(f, 0);
}

bool ax_irq_fabric_pic_intr(struct ax_irq_fabric *f)
{
	const struct named_model *p;
	bool intr = false;

	if (!f)
		return false;
	bus_enter(f, 0);
	p = atomic_load_explicit(&f->pic, memory_order_seq_cst);
	if (p)
		intr = p->ops.pic.intr(p->ops.pic.priv);
	bus_exit(f, 0);
	return intr;
}

uint8_t ax_irq_fabric_pic_ack(struct ax_irq_fabric *f)
{
	const struct named_model *p;
	uint8_t vector = NO_PIC_SPURIOUS;

	if (!f)
		return vector;
	bus_enter(f, 0);
	p = atomic_load_explicit(&f->pic, memory_order_seq_cst);
	if (p)
		vector = p->ops.pic.ack(p->ops.pic.priv);
	bus_exit(f, 0);
	return vector;
}

/* --- Arm: CPU interface and PPI sink ------------------------------------------ */

enum ax_err ax_irq_fabric_set_cpu_irq(struct ax_irq_fabric *f, const char *name,
				      const struct ax_cpu_irq_ops *ops, struct ax_diag *diag)
{
	struct named_model m = { .priv = ops ? ops->priv : NULL };

	if (!f || !name || !ops || !ops->pending)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "irq fabric: a CPU interrupt controller needs a name and pending");
	m.ops.cpu = *ops;
	return model_set_excl(f, &f->cpu_irq, &f->cpu_irq_store, "an Arm CPU interrupt controller",
			      name, &m, &f->lapic_store, "a local APIC", diag);
}

void ax_irq_fabric_clear_cpu_irq(struct ax_irq_fabric *f, void *priv)
{
	if (f)
		model_clear(f, &f->cpu_irq, &f->cpu_irq_store, priv);
}

enum ax_err ax_irq_fabric_set_ppi_sink(struct ax_irq_fabric *f, const char *name,
				       const struct ax_ppi_sink *sink, struct ax_diag *diag)
{
	struct named_model m = { .priv = sink ? sink->priv : NULL };

	if (!f || !name || !sink || !sink->set_ppi)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "irq fabric: a PPI sink needs a name and set_ppi");
	m.ops.ppi = *sink;
	return model_set(f, &f->ppi, &f->ppi_store, "a PPI sink", name, &m, diag);
}

void ax_irq_fabric_clear_ppi_sink(struct ax_irq_fabric *f, void *priv)
{
	if (f)
		model_clear(f, &f->ppi, &f->ppi_store, priv);
}

void ax_irq_fabric_set_ppi(struct ax_irq_fabric *f, uint32_t vcpu, uint32_t intid, bool level)
{
	const struct named_model *p;

	if (!f)
		return;
	bus_enter(f, vcpu);
	p = atomic_load_explicit(&f->ppi, memory_order_seq_cst);
	if (p)
		p->ops.ppi.set_ppi(p->ops.ppi.priv, vcpu, intid, level);
	else
		atomic_fetch_add_explicit(&f->ppi_dropped, 1, memory_order_relaxed);
	bus_exit(f, vcpu);
}

uint64_t ax_irq_fabric_ppi_dropped(struct ax_irq_fabric *f)
{
	return f ? atomic_load_explicit(&f->ppi_dropped, memory_order_relaxed) : 0;
}

uint64_t ax_irq_fabric_dropped(struct ax_irq_fabric *f)
{
	return f ? atomic_load_explicit(&f->dropped, memory_order_relaxed) : 0;
}

/* --- host side -------------------------------------------------------------- */

bool ax_devices_irq_pending(struct ax_devices *set, uint32_t vcpu)
{
	struct ax_irq_fabric *f = set ? set->irq_fabric : NULL;
	const struct named_model *a;
	bool pending = false;

	if (!f)
		return false;
	bus_enter(f, vcpu);
	a = atomic_load_explicit(&f->lapic, memory_order_seq_cst);
	if (a) {
		pending = a->ops.apic.pending(a->ops.apic.priv, vcpu);
	} else {
		a = atomic_load_explicit(&f->cpu_irq, memory_order_seq_cst);
		if (a)
			pending = a->ops.cpu.pending(a->ops.cpu.priv, vcpu);
	}
	bus_exit(f, vcpu);
	return pending;
}

enum ax_err ax_devices_irq_ack(struct ax_devices *set, uint32_t vcpu, uint32_t *vector)
{
	struct ax_irq_fabric *f = set ? set->irq_fabric : NULL;
	const struct named_model *a;
	enum ax_err err = AX_ERR_NOT_FOUND;

	if (!f || !vector)
		return f ? AX_ERR_INVALID_INPUT : AX_ERR_NOT_FOUND;
	bus_enter(f, vcpu);
	a = atomic_load_explicit(&f->lapic, memory_order_seq_cst);
	if (a) {
		err = a->ops.apic.ack(a->ops.apic.priv, vcpu, vector);
	} else {
		a = atomic_load_explicit(&f->cpu_irq, memory_order_seq_cst);
		if (a)
			err = a->ops.cpu.ack ? a->ops.cpu.ack(a->ops.cpu.priv, vcpu, vector)
					     : AX_ERR_UNSUPPORTED;
	}
	bus_exit(f, vcpu);
	return err;
}

enum ax_err ax_devices_irq_ack_stats(struct ax_devices *set, uint32_t vcpu,
				     struct ax_irq_ack_stats *out)
{
	struct ax_irq_fabric *f = set ? set->irq_fabric : NULL;
	const struct named_model *a;
	enum ax_err err = AX_ERR_NOT_FOUND;

	if (!f || !out)
		return f ? AX_ERR_INVALID_INPUT : AX_ERR_NOT_FOUND;
	bus_enter(f, vcpu);
	if (atomic_load_explicit(&f->lapic, memory_order_seq_cst)) {
		err = AX_ERR_UNSUPPORTED; /* the local APIC does not count */
	} else {
		a = atomic_load_explicit(&f->cpu_irq, memory_order_seq_cst);
		if (a)
			err = a->ops.cpu.ack_stats
				      ? a->ops.cpu.ack_stats(a->ops.cpu.priv, vcpu, out)
				      : AX_ERR_UNSUPPORTED;
	}
	bus_exit(f, vcpu);
	return err;
}
