/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 local APIC in xAPIC mode (emu type "lapic"), Intel SDM vol. 3 ch. 10.
 * The guest-visible choices and the host API are in include/axdevice/lapic.h.
 *
 * One device banks every vCPU. Each bank (one cache line or more, never
 * shared) has its own spinlock; no code path holds two bank locks, so IPIs
 * and I/O APIC messages lock their targets one after the other. ID, LDR
 * and DFR are also kept as relaxed atomics so destination matching needs
 * no lock; a message racing with a change of them sees the old or the new
 * value, as on a real bus.
 *
 * Lock order (src/core/irq.h): I/O APIC -> bank (deliver) and bank -> 8259
 * (pic_intr / pic_ack); the EOI broadcast to the I/O APICs is made after the
 * bank lock is dropped. irq_notify and vcpu_startup may be called with a
 * bank lock held (host.h allows it).
 */
#include <stdatomic.h>

#include <axdevice/lapic.h>

#include "kinds.h"

#include "../core/irq.h"
#include "../core/util.h"

#define LAPIC_MAGIC 0x4c415043u /* "LAPC": priv really is a struct ax_lapic */

/* Register offsets, SDM vol. 3 table 10-1. */
#define REG_ID	    0x020u
#define REG_VERSION 0x030u
#define REG_TPR	    0x080u
#define REG_APR	    0x090u
#define REG_PPR	    0x0a0u
#define REG_EOI	    0x0b0u
#define REG_RRD	    0x0c0u
#define REG_LDR	    0x0d0u
#define REG_DFR	    0x0e0u
#define REG_SVR	    0x0f0u
#define REG_ISR	    0x100u
#define REG_TMR	    0x180u
#define REG_IRR	    0x200u
#define REG_ESR	    0x280u
#define REG_CMCI    0x2f0u
#define REG_ICR_LO  0x300u
#define REG_ICR_HI  0x310u
#define REG_LVT0    0x320u /* timer, thermal, perf, LINT0, LINT1, error */
#define REG_TMICT   0x380u
#define REG_TMCCT   0x390u
#define REG_TDCR    0x3e0u
#define REG_MAPPED  0x400u /* everything from here on is reserved */

/* LVT indexes in struct lapic_bank.lvt */
enum { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, NR_LVT };

#define LVT_MASKED	   (1u << 16)
#define LVT_MODE(v)	   (((v) >> 8) & 7u)
#define LVT_TIMER_PERIODIC (1u << 17)
#define MODE_EXTINT	   7u

#define SVR_ENABLE   (1u << 8)
#define SVR_NO_FOCUS (1u << 9)
#define SVR_MASK     0x3ffu
#define DFR_FLAT     0xfu
#define DFR_CLUSTER  0x0u
#define ICR_LO_MASK  0x000ccfffu /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_LOGICAL  (1u << 11)
#define ICR_ASSERT   (1u << 14)
#define ICR_LEVEL    (1u << 15)
#define TDCR_MASK    0xbu

#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG	 (1u << 7)

#define NS_PER_S 1000000000ull

/* Writable bits of each LVT (SDM figure 10-8); TSC-deadline (bit 18) is not offered. */
static const uint32_t lvt_mask[NR_LVT] = {
	[LVT_CMCI] = 0x107ffu,	[LVT_TIMER] = 0x300ffu, [LVT_THERMAL] = 0x107ffu,
	[LVT_PERF] = 0x107ffu,	[LVT_LINT0] = 0x1a7ffu, [LVT_LINT1] = 0x1a7ffu,
	[LVT_ERROR] = 0x100ffu,
};

struct ax_lapic;

struct lapic_bank {
	struct ax_spinlock lock;
	struct ax_lapic *dev;
	uint32_t vcpu;
	/* matched by senders without the lock (see the top of the file) */
	_Atomic uint32_t id, ldr, dfr;
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t tpr, svr, esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[NR_LVT];
	uint32_t tmict, tdcr;
	unsigned timer_shift;	 /* log2 of the divisor of the running count */
	uint64_t timer_start;	 /* ns at the initial-count write */
	uint64_t timer_period;	 /* ns of one full count */
	uint64_t timer_deadline; /* next expiry armed; 0 none */
	bool timer_oneshot_done;
	bool wait_sipi;
	void *host_timer;
} __attribute__((aligned(AX_CACHELINE)));

struct ax_lapic {
	uint32_t magic;
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *fabric;
	uint32_t nr_vcpus;
	uint64_t timer_hz;
	bool have_clock;	     /* now_ns */
	bool have_timers;	     /* timer_create/arm/disarm/destroy */
	bool registered;	     /* with the fabric */
	struct ax_apic_ops apic_ops; /* registered with the fabric */
	atomic_flag logged_unsupported, logged_fire;
	/* counters on their own line: the fields above are read by every access */
	_Atomic uint64_t bad_accesses __attribute__((aligned(AX_CACHELINE)));
	_Atomic uint64_t reserved_accesses, unsupported_msgs, timer_fires;
	struct lapic_bank banks[]; /* nr_vcpus of them */
};

/* ---- helpers --------------------------------------------------------------- */

static void bank_lock(struct lapic_bank *b)
{
	ax_spin_lock(&b->lock, b->dev->hooks);
}

static void bank_unlock(struct lapic_bank *b)
{
	ax_spin_unlock(&b->lock);
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static bool test_bit(const uint32_t *bm, unsigned v)
{
	return (bm[v / 32] >> (v % 32)) & 1u;
}

static void set_bit(uint32_t *bm, unsigned v)
{
	bm[v / 32] |= 1u << (v % 32);
}

static void clear_bit(uint32_t *bm, unsigned v)
{
	bm[v / 32] &= ~(1u << (v % 32));
}

/* Highest set vector, or -1. */
static int highest(const uint32_t *bm)
{
	for (int i = 7; i >= 0; i--)
		if (bm[i])
			return i * 32 + 31 - __builtin_clz(bm[i]);
	return -1;
}

static uint32_t bank_ppr(const struct lapic_bank *b)
{
	int isrv = highest(b->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;

	return (b->tpr & 0xf0u) >= isr_class ? b->tpr & 0xffu : isr_class;
}

/* SDM 10.8.3.1 (Pentium 4 / Xeon arbitration priority). */
static uint32_t bank_apr(const struct lapic_bank *b)
{
	int isrv = highest(b->isr), irrv = highest(b->irr);
	uint32_t tpr_c = b->tpr & 0xf0u, isr_c = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0u;
	uint32_t irr_c = irrv < 0 ? 0 : (uint32_t)irrv & 0xf0u, c = tpr_c;

	if (tpr_c >= irr_c && tpr_c > isr_c)
		return b->tpr & 0xffu;
	if (isr_c > c)
		c = isr_c;
	if (irr_c > c)
		c = irr_c;
	return c;
}

static bool sw_enabled(const struct lapic_bank *b)
{
	return b->svr & SVR_ENABLE;
}

/* The IRR vector the CPU would take now, or -1. */
static int deliverable(const struct lapic_bank *b)
{
	int irrv = highest(b->irr);

	if (irrv < 0 || ((uint32_t)irrv & 0xf0u) <= (bank_ppr(b) & 0xf0u))
		return -1;
	return irrv;
}

/* LINT0 of the BSP in ExtINT mode, unmasked, and the 8259 asserting INTR. */
static bool extint_pending(const struct lapic_bank *b)
{
	uint32_t lvt = b->lvt[LVT_LINT0];

	return b->vcpu == 0 && !(lvt & LVT_MASKED) && LVT_MODE(lvt) == MODE_EXTINT &&
	       b->dev->fabric && ax_irq_fabric_pic_intr(b->dev->fabric);
}

static void kick(struct lapic_bank *b)
{
	const struct ax_host_hooks *h = b->dev->hooks;

	if (h->irq_notify)
		h->irq_notify(h->ctx, b->vcpu);
}

/* After a change that may make an interrupt deliverable. */
static void kick_if_pending(struct lapic_bank *b)
{
	if (deliverable(b) >= 0 || extint_pending(b))
		kick(b);
}

static void log_once(struct ax_lapic *l, atomic_flag *flag, const char *what)
{
	if (!atomic_flag_test_and_set(flag))
		ax_log(l->hooks, AX_LOG_WARN, "lapic: %s (logged once)", what);
}

static void unsupported(struct ax_lapic *l)
{
	count(&l->unsupported_msgs);
	log_once(l, &l->logged_unsupported,
		 "NMI, SMI, ExtINT and reserved delivery modes are not supported; dropped");
}

static void accept_vector(struct lapic_bank *b, unsigned vector, bool level);

/* Logs an error in the ESR and raises the LVT Error interrupt. */
static void apic_error(struct lapic_bank *b, uint32_t bits)
{
	uint32_t lvt = b->lvt[LVT_ERROR];

	b->esr_pending |= bits;
	if (lvt & LVT_MASKED)
		return;
	if ((lvt & 0xffu) < 16) {
		b->esr_pending |= ESR_RECV_ILLEGAL; /* no second error interrupt for it */
		return;
	}
	accept_vector(b, lvt & 0xffu, false);
}

/* A fixed interrupt reaches this APIC (SDM 10.8.1). */
static void accept_vector(struct lapic_bank *b, unsigned vector, bool level)
{
	if (vector < 16) {
		apic_error(b, ESR_RECV_ILLEGAL);
		return;
	}
	set_bit(b->irr, vector);
	if (level)
		set_bit(b->tmr, vector);
	else
		clear_bit(b->tmr, vector);
	if (deliverable(b) >= 0)
		kick(b);
}

/* ---- timer ------------------------------------------------------------------- */

/*
 * a * b / c without a 128-bit product: one of b, c is 10^9 and the other at
 * most AX_LAPIC_MAX_HZ (2^34), so r * b < 2^64. Saturates.
 */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q = a / c, r = a % c;

	if (q && q > UINT64_MAX / b)
		return UINT64_MAX;
	return q * b + r * b / c;
}

static uint64_t now_ns(const struct ax_lapic *l)
{
	return l->have_clock ? l->hooks->now_ns(l->hooks->ctx) : 0;
}

/* TDCR bits 3,1,0: 000 -> /2 ... 110 -> /128, 111 -> /1 (SDM figure 10-10). */
static unsigned tdcr_shift(uint32_t tdcr)
{
	unsigned v = ((tdcr >> 1) & 4u) | (tdcr & 3u);

	return (v + 1) & 7u;
}

static bool timer_periodic(const struct lapic_bank *b)
{
	return b->lvt[LVT_TIMER] & LVT_TIMER_PERIODIC;
}

static uint32_t timer_current(const struct lapic_bank *b)
{
	const struct ax_lapic *l = b->dev;
	uint64_t now, ticks;

	if (!b->tmict || !l->have_clock)
		return 0;
	now = now_ns(l);
	ticks = (now > b->timer_start ? muldiv(now - b->timer_start, l->timer_hz, NS_PER_S) : 0) >>
		b->timer_shift;
	if (timer_periodic(b))
		return b->tmict - (uint32_t)(ticks % b->tmict);
	return ticks >= b->tmict ? 0 : b->tmict - (uint32_t)ticks;
}

static void timer_set_deadline(struct lapic_bank *b, uint64_t deadline)
{
	const struct ax_host_hooks *h = b->dev->hooks;

	b->timer_deadline = deadline;
	if (!b->dev->have_timers)
		return;
	if (deadline)
		h->timer_arm(h->ctx, b->host_timer, deadline);
	else
		h->timer_disarm(h->ctx, b->host_timer);
}

/* The next expiry after `now` for the loaded count and the current mode. */
static void timer_schedule(struct lapic_bank *b, uint64_t now)
{
	uint64_t d = 0;

	if (b->tmict && b->dev->have_clock) {
		if (timer_periodic(b)) {
			uint64_t p = b->timer_period < AX_LAPIC_MIN_PERIOD_NS
					     ? AX_LAPIC_MIN_PERIOD_NS
					     : b->timer_period;
			uint64_t k = now > b->timer_start ? (now - b->timer_start) / p : 0;

			d = b->timer_start + (k + 1) * p;
		} else if (!b->timer_oneshot_done && b->timer_start + b->timer_period > now) {
			d = b->timer_start + b->timer_period;
		}
	}
	timer_set_deadline(b, d);
}

static void timer_load(struct lapic_bank *b, uint32_t count)
{
	struct ax_lapic *l = b->dev;
	uint64_t now = now_ns(l);

	b->tmict = count;
	b->timer_shift = tdcr_shift(b->tdcr);
	b->timer_start = now;
	b->timer_period = muldiv((uint64_t)count << b->timer_shift, NS_PER_S, l->timer_hz);
	if (!b->timer_period)
		b->timer_period = 1;
	b->timer_oneshot_done = false;
	if (count && !l->have_timers)
		log_once(l, &l->logged_fire,
			 l->have_clock
				 ? "no host timer hooks: the APIC timer counts but never fires"
				 : "no now_ns hook: the APIC timer reads 0 and never fires");
	timer_schedule(b, now);
}

static void timer_fn(void *arg)
{
	struct lapic_bank *b = arg;
	struct ax_lapic *l = b->dev;
	uint64_t now;

	bank_lock(b);
	now = now_ns(l);
	/* The host may run us late, or once more after a disarm or re-arm. */
	if (b->timer_deadline && now >= b->timer_deadline) {
		count(&l->timer_fires);
		if (!(b->lvt[LVT_TIMER] & LVT_MASKED))
			accept_vector(b, b->lvt[LVT_TIMER] & 0xffu, false);
		if (!timer_periodic(b))
			b->timer_oneshot_done = true;
		timer_schedule(b, now); /* periodic: skips the periods the host missed */
	}
	bank_unlock(b);
}

/* ---- reset ------------------------------------------------------------------- */

/* Power-on / INIT state (SDM 10.4.7.1); `keep_id` for INIT. */
static void bank_reset(struct lapic_bank *b, bool keep_id)
{
	ax_memset(b->irr, 0, sizeof(b->irr));
	ax_memset(b->isr, 0, sizeof(b->isr));
	ax_memset(b->tmr, 0, sizeof(b->tmr));
	if (!keep_id)
		atomic_store_explicit(&b->id, (b->vcpu & 0xffu) << 24, memory_order_relaxed);
	atomic_store_explicit(&b->ldr, 0, memory_order_relaxed);
	atomic_store_explicit(&b->dfr, 0xffffffffu, memory_order_relaxed);
	b->tpr = 0;
	b->svr = 0xff;
	b->esr = b->esr_pending = 0;
	b->icr_lo = b->icr_hi = 0;
	for (unsigned i = 0; i < NR_LVT; i++)
		b->lvt[i] = LVT_MASKED;
	if (b->vcpu == 0)
		b->lvt[LVT_LINT0] = MODE_EXTINT << 8; /* virtual wire, as firmware leaves it */
	b->tdcr = 0;
	b->tmict = 0;
	b->timer_shift = tdcr_shift(0);
	b->timer_start = b->timer_period = 0;
	b->timer_oneshot_done = false;
	b->wait_sipi = false;
	if (b->timer_deadline)
		timer_set_deadline(b, 0);
}

/* ---- messages (ICR and I/O APIC) ------------------------------------------------ */

/* Does this APIC match a destination (SDM 10.6.2)? No lock needed. */
static bool dest_match(const struct lapic_bank *b, uint8_t dest, bool logical)
{
	if (!logical)
		return dest == 0xff ||
		       dest == atomic_load_explicit(&b->id, memory_order_relaxed) >> 24;
	uint32_t ldr = atomic_load_explicit(&b->ldr, memory_order_relaxed) >> 24;
	uint32_t model = atomic_load_explicit(&b->dfr, memory_order_relaxed) >> 28;

	if (model == DFR_FLAT)
		return (dest & ldr) != 0;
	if (model == DFR_CLUSTER)
		return ((dest >> 4) == 0xfu || (dest >> 4) == (ldr >> 4)) &&
		       (dest & ldr & 0xfu) != 0;
	return false;
}

#define SH_NONE		0u
#define SH_SELF		1u
#define SH_ALL		2u
#define SH_ALL_BUT_SELF 3u

static bool targeted(const struct lapic_bank *b, const struct ax_apic_msg *msg, uint32_t shorthand,
		     uint32_t self)
{
	switch (shorthand) {
	case SH_SELF:
		return b->vcpu == self;
	case SH_ALL:
		return true;
	case SH_ALL_BUT_SELF:
		return b->vcpu != self;
	default:
		return dest_match(b, msg->dest, msg->logical);
	}
}

static void send_init(struct lapic_bank *b)
{
	bank_lock(b);
	bank_reset(b, true);
	b->wait_sipi = true;
	bank_unlock(b);
}

static void send_startup(struct lapic_bank *b, uint8_t vector)
{
	const struct ax_host_hooks *h = b->dev->hooks;

	bank_lock(b);
	if (b->wait_sipi) {
		b->wait_sipi = false;
		if (h->vcpu_startup)
			h->vcpu_startup(h->ctx, b->vcpu, vector);
	}
	bank_unlock(b);
}

static void send_fixed(struct lapic_bank *b, const struct ax_apic_msg *msg)
{
	bank_lock(b);
	if (sw_enabled(b))
		accept_vector(b, msg->vector, msg->level_trigger);
	bank_unlock(b);
}

/* Lowest priority arbitration (see lapic.h); -1 when no APIC takes it. */
static int lowest_priority_target(struct ax_lapic *l, const struct ax_apic_msg *msg,
				  uint32_t shorthand, uint32_t self)
{
	int best = -1;
	uint32_t best_ppr = 0x100;

	for (uint32_t i = 0; i < l->nr_vcpus; i++) {
		struct lapic_bank *b = &l->banks[i];
		bool focus;
		uint32_t ppr;

		if (!targeted(b, msg, shorthand, self))
			continue;
		bank_lock(b);
		if (!sw_enabled(b)) {
			bank_unlock(b);
			continue;
		}
		focus = !(b->svr & SVR_NO_FOCUS) && msg->vector >= 16 &&
			(test_bit(b->irr, msg->vector) || test_bit(b->isr, msg->vector));
		ppr = bank_ppr(b);
		bank_unlock(b);
		if (focus)
			return (int)i;
		if (ppr < best_ppr) {
			best_ppr = ppr;
			best = (int)i;
		}
	}
	return best;
}

/* Routes one message to the APICs it addresses. No bank lock held. */
static void route(struct ax_lapic *l, const struct ax_apic_msg *msg, uint32_t shorthand,
		  uint32_t self)
{
	switch (msg->delivery) {
	case AX_APIC_FIXED:
		for (uint32_t i = 0; i < l->nr_vcpus; i++)
			if (targeted(&l->banks[i], msg, shorthand, self))
				send_fixed(&l->banks[i], msg);
		break;
	case AX_APIC_LOWEST: {
		int t = lowest_priority_target(l, msg, shorthand, self);

		if (t >= 0)
			send_fixed(&l->banks[t], msg);
		break;
	}
	case AX_APIC_INIT:
		for (uint32_t i = 0; i < l->nr_vcpus; i++)
			if (targeted(&l->banks[i], msg, shorthand, self))
				send_init(&l->banks[i]);
		break;
	case AX_APIC_STARTUP:
		for (uint32_t i = 0; i < l->nr_vcpus; i++)
			if (targeted(&l->banks[i], msg, shorthand, self))
				send_startup(&l->banks[i], msg->vector);
		break;
	default:
		unsupported(l);
		break;
	}
}

/* An ICR low write: the IPI it describes (SDM 10.6.1). No bank lock held. */
static void send_ipi(struct lapic_bank *src, uint32_t lo, uint32_t hi)
{
	struct ax_lapic *l = src->dev;
	uint32_t mode = LVT_MODE(lo), shorthand = (lo >> 18) & 3u;
	struct ax_apic_msg msg = {
		.vector = (uint8_t)lo,
		.delivery = (enum ax_apic_delivery)mode,
		.logical = (lo & ICR_LOGICAL) != 0,
		.dest = (uint8_t)(hi >> 24),
		.level_trigger = false, /* IPIs are edge-triggered */
	};

	if ((mode == AX_APIC_FIXED || mode == AX_APIC_LOWEST) && msg.vector < 16) {
		bank_lock(src);
		apic_error(src, ESR_SEND_ILLEGAL);
		bank_unlock(src);
		return;
	}
	if (mode == AX_APIC_INIT && (lo & ICR_LEVEL) && !(lo & ICR_ASSERT))
		return; /* INIT level de-assert: arbitration IDs are not modelled */
	route(l, &msg, shorthand, src->vcpu);
}

/* ---- register map ---------------------------------------------------------------- */

/* One access in progress: the bank and what to do after the lock is dropped. */
struct lapic_op {
	struct lapic_bank *b;
	int eoi_vector; /* level vector to broadcast, or -1 */
	bool send;	/* an ICR low write: send the IPI */
	uint32_t icr_lo, icr_hi;
};

struct lapic_reg;
typedef uint32_t (*lapic_read_fn)(struct lapic_op *op, unsigned idx);
typedef void (*lapic_write_fn)(struct lapic_op *op, unsigned idx, uint32_t val);

struct lapic_reg {
	uint16_t start;
	uint16_t nr;	      /* consecutive 16-byte registers */
	lapic_read_fn read;   /* NULL: write-only, reads 0 */
	lapic_write_fn write; /* NULL: read-only, writes ignored */
};

static uint32_t rd_id(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return atomic_load_explicit(&op->b->id, memory_order_relaxed);
}

static void wr_id(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	atomic_store_explicit(&op->b->id, val & 0xff000000u, memory_order_relaxed);
}

static uint32_t rd_version(struct lapic_op *op, unsigned idx)
{
	(void)op;
	(void)idx;
	return AX_LAPIC_VERSION;
}

static uint32_t rd_tpr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->tpr;
}

static void wr_tpr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	op->b->tpr = val & 0xffu;
	kick_if_pending(op->b);
}

static uint32_t rd_apr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return bank_apr(op->b);
}

static uint32_t rd_ppr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return bank_ppr(op->b);
}

static void wr_eoi(struct lapic_op *op, unsigned idx, uint32_t val)
{
	struct lapic_bank *b = op->b;
	int v = highest(b->isr);

	(void)idx;
	(void)val;
	if (v < 0)
		return;
	clear_bit(b->isr, (unsigned)v);
	if (test_bit(b->tmr, (unsigned)v))
		op->eoi_vector = v;
	kick_if_pending(b);
}

static uint32_t rd_zero(struct lapic_op *op, unsigned idx)
{
	(void)op;
	(void)idx;
	return 0;
}

static uint32_t rd_ldr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return atomic_load_explicit(&op->b->ldr, memory_order_relaxed);
}

static void wr_ldr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	atomic_store_explicit(&op->b->ldr, val & 0xff000000u, memory_order_relaxed);
}

static uint32_t rd_dfr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return atomic_load_explicit(&op->b->dfr, memory_order_relaxed);
}

static void wr_dfr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	atomic_store_explicit(&op->b->dfr, (val & 0xf0000000u) | 0x0fffffffu, memory_order_relaxed);
}

static uint32_t rd_svr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->svr;
}

static void wr_svr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	struct lapic_bank *b = op->b;

	(void)idx;
	b->svr = val & SVR_MASK;
	if (!sw_enabled(b))
		for (unsigned i = 0; i < NR_LVT; i++)
			b->lvt[i] |= LVT_MASKED;
	kick_if_pending(b);
}

static uint32_t rd_isr(struct lapic_op *op, unsigned idx)
{
	return op->b->isr[idx];
}

static uint32_t rd_tmr(struct lapic_op *op, unsigned idx)
{
	return op->b->tmr[idx];
}

static uint32_t rd_irr(struct lapic_op *op, unsigned idx)
{
	return op->b->irr[idx];
}

static uint32_t rd_esr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->esr;
}

static void wr_esr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	(void)val;
	op->b->esr = op->b->esr_pending;
	op->b->esr_pending = 0;
}

static uint32_t rd_lvt_cmci(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->lvt[LVT_CMCI];
}

static uint32_t rd_lvt(struct lapic_op *op, unsigned idx)
{
	return op->b->lvt[LVT_TIMER + idx] /* 0x320 timer .. 0x370 error */;
}

static void write_lvt(struct lapic_op *op, unsigned lvt, uint32_t val)
{
	struct lapic_bank *b = op->b;
	uint32_t old = b->lvt[lvt];

	val &= lvt_mask[lvt];
	if (!sw_enabled(b))
		val |= LVT_MASKED; /* SDM 10.4.7.2: masks cannot be cleared while disabled */
	if (lvt == LVT_LINT0 || lvt == LVT_LINT1)
		val |= old & (1u << 14); /* remote IRR is read-only */
	b->lvt[lvt] = val;
	if (lvt == LVT_TIMER && ((old ^ val) & LVT_TIMER_PERIODIC))
		timer_schedule(b, now_ns(b->dev));
	if (lvt == LVT_LINT0 && extint_pending(b))
		kick(b);
}

static void wr_lvt_cmci(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	write_lvt(op, LVT_CMCI, val);
}

static void wr_lvt(struct lapic_op *op, unsigned idx, uint32_t val)
{
	write_lvt(op, LVT_TIMER + idx, val);
}

static uint32_t rd_icr(struct lapic_op *op, unsigned idx)
{
	return idx ? op->b->icr_hi : op->b->icr_lo; /* delivery status: always idle */
}

static void wr_icr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	struct lapic_bank *b = op->b;

	if (idx) {
		b->icr_hi = val & 0xff000000u;
		return;
	}
	b->icr_lo = val & ICR_LO_MASK;
	op->send = true;
	op->icr_lo = b->icr_lo;
	op->icr_hi = b->icr_hi;
}

static uint32_t rd_tmict(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->tmict;
}

static void wr_tmict(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	timer_load(op->b, val);
}

static uint32_t rd_tmcct(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return timer_current(op->b);
}

static uint32_t rd_tdcr(struct lapic_op *op, unsigned idx)
{
	(void)idx;
	return op->b->tdcr;
}

static void wr_tdcr(struct lapic_op *op, unsigned idx, uint32_t val)
{
	(void)idx;
	op->b->tdcr = val & TDCR_MASK;
}

/* Sorted by offset; offsets below REG_MAPPED not listed are reserved. */
static const struct lapic_reg lapic_regs[] = {
	{ REG_ID, 1, rd_id, wr_id },
	{ REG_VERSION, 1, rd_version, NULL },
	{ REG_TPR, 1, rd_tpr, wr_tpr },
	{ REG_APR, 1, rd_apr, NULL },
	{ REG_PPR, 1, rd_ppr, NULL },
	{ REG_EOI, 1, NULL, wr_eoi },
	{ REG_RRD, 1, rd_zero, NULL },
	{ REG_LDR, 1, rd_ldr, wr_ldr },
	{ REG_DFR, 1, rd_dfr, wr_dfr },
	{ REG_SVR, 1, rd_svr, wr_svr },
	{ REG_ISR, 8, rd_isr, NULL },
	{ REG_TMR, 8, rd_tmr, NULL },
	{ REG_IRR, 8, rd_irr, NULL },
	{ REG_ESR, 1, rd_esr, wr_esr },
	{ REG_CMCI, 1, rd_lvt_cmci, wr_lvt_cmci },
	{ REG_ICR_LO, 2, rd_icr, wr_icr },
	{ REG_LVT0, 6, rd_lvt, wr_lvt },
	{ REG_TMICT, 1, rd_tmict, wr_tmict },
	{ REG_TMCCT, 1, rd_tmcct, NULL },
	{ REG_TDCR, 1, rd_tdcr, wr_tdcr },
};

static const struct lapic_reg *find_reg(uint64_t offset)
{
	for (size_t i = 0; i < AX_ARRAY_SIZE(lapic_regs); i++)
		if (offset >= lapic_regs[i].start &&
		    offset < lapic_regs[i].start + 16u * lapic_regs[i].nr)
			return &lapic_regs[i];
	return NULL;
}

/* ---- device ops -------------------------------------------------------------------- */

static enum ax_err lapic_access(struct ax_lapic *l, const struct ax_access *acc, uint64_t *rval,
				uint32_t wval)
{
	const struct lapic_reg *reg;
	struct lapic_op op = { NULL, -1, false, 0, 0 };

	if (acc->vcpu >= l->nr_vcpus || acc->width != AX_WIDTH_DWORD || (acc->offset & 0xfu)) {
		count(&l->bad_accesses);
		return AX_ERR_INVALID_INPUT;
	}
	op.b = &l->banks[acc->vcpu];
	reg = acc->offset < REG_MAPPED ? find_reg(acc->offset) : NULL;
	bank_lock(op.b);
	if (!reg) {
		count(&l->reserved_accesses);
		apic_error(op.b, ESR_ILLEGAL_REG);
		if (rval)
			*rval = 0;
	} else if (rval) {
		*rval = reg->read ? reg->read(&op, (unsigned)(acc->offset - reg->start) / 16) : 0;
	} else if (reg->write) {
		reg->write(&op, (unsigned)(acc->offset - reg->start) / 16, wval);
	}
	bank_unlock(op.b);
	/* Calls into other banks and models: without our lock (src/core/irq.h). */
	if (op.eoi_vector >= 0 && l->fabric)
		ax_irq_fabric_apic_eoi(l->fabric, (uint8_t)op.eoi_vector);
	if (op.send)
		send_ipi(op.b, op.icr_lo, op.icr_hi);
	return AX_OK;
}

static enum ax_err lapic_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return lapic_access(priv, acc, val, 0);
}

static enum ax_err lapic_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return lapic_access(priv, acc, NULL, (uint32_t)val);
}

static void lapic_reset(void *priv)
{
	struct ax_lapic *l = priv;

	for (uint32_t i = 0; i < l->nr_vcpus; i++) {
		bank_lock(&l->banks[i]);
		bank_reset(&l->banks[i], false);
		kick_if_pending(&l->banks[i]);
		bank_unlock(&l->banks[i]);
	}
}

static void lapic_destroy(void *priv)
{
	struct ax_lapic *l = priv;
	const struct ax_host_hooks *h = l->hooks;

	if (l->registered)
		ax_irq_fabric_clear_lapic(l->fabric, l);
	/* Without any lock: timer_destroy waits for a running callback. */
	for (uint32_t i = 0; i < l->nr_vcpus; i++)
		if (l->banks[i].host_timer)
			h->timer_destroy(h->ctx, l->banks[i].host_timer);
	l->magic = 0;
	ax_free(h, l);
}

static const struct ax_device_ops lapic_ops = {
	.read = lapic_read,
	.write = lapic_write,
	.reset = lapic_reset,
	.destroy = lapic_destroy,
};

/* ---- fabric callbacks ---------------------------------------------------------------- */

static void apic_deliver(void *priv, const struct ax_apic_msg *msg)
{
	struct ax_lapic *l = priv;

	if (msg->delivery == AX_APIC_EXTINT) {
		unsupported(l);
		return;
	}
	route(l, msg, SH_NONE, UINT32_MAX);
}

static bool apic_pending(void *priv, uint32_t vcpu)
{
	struct ax_lapic *l = priv;
	struct lapic_bank *b;
	bool r;

	if (vcpu >= l->nr_vcpus)
		return false;
	b = &l->banks[vcpu];
	bank_lock(b);
	r = extint_pending(b) || deliverable(b) >= 0;
	bank_unlock(b);
	return r;
}

static enum ax_err apic_ack(void *priv, uint32_t vcpu, uint32_t *vector)
{
	struct ax_lapic *l = priv;
	struct lapic_bank *b;
	enum ax_err err = AX_OK;
	int v;

	if (vcpu >= l->nr_vcpus)
		return AX_ERR_NOT_FOUND;
	b = &l->banks[vcpu];
	bank_lock(b);
	if (extint_pending(b)) {
		*vector = ax_irq_fabric_pic_ack(l->fabric); /* not through IRR/ISR */
	} else if ((v = deliverable(b)) >= 0) {
		clear_bit(b->irr, (unsigned)v);
		set_bit(b->isr, (unsigned)v);
		*vector = (uint32_t)v;
	} else {
		err = AX_ERR_NOT_FOUND;
	}
	bank_unlock(b);
	return err;
}

static void apic_pic_changed(void *priv)
{
	struct ax_lapic *l = priv;
	struct lapic_bank *b = &l->banks[0];

	bank_lock(b);
	if (extint_pending(b))
		kick(b);
	bank_unlock(b);
}

/* ---- construction ---------------------------------------------------------------------- */

enum ax_err ax_lapic_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			    struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *h = env->hooks;
	uint64_t hz = cfg->cfg_len > 0 ? cfg->cfg_list[0] : AX_LAPIC_DEFAULT_HZ;
	struct ax_lapic *l;
	enum ax_err err;

	if (cfg->cfg_len > 1)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected at most 1 "
			       "[timer_hz]",
			       cfg->name, cfg->cfg_len);
	if (hz < AX_LAPIC_MIN_HZ || hz > AX_LAPIC_MAX_HZ)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": timer_hz %llu is not in %llu..%llu", cfg->name,
			       (unsigned long long)hz, (unsigned long long)AX_LAPIC_MIN_HZ,
			       (unsigned long long)AX_LAPIC_MAX_HZ);
	if (cfg->length < AX_LAPIC_SIZE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range length 0x%llx is below the 0x%x-byte "
			       "register frame",
			       cfg->name, (unsigned long long)cfg->length, AX_LAPIC_SIZE);
	if (!env->irq_fabric)
		return ax_fail(diag, AX_ERR_UNSUPPORTED,
			       "device \"%s\": the set has no interrupt fabric", cfg->name);
	if (ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);

	l = ax_zalloc(h, sizeof(*l) + sizeof(l->banks[0]) * env->max_vcpus);
	if (!l)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	l->magic = LAPIC_MAGIC;
	l->hooks = h;
	l->fabric = env->irq_fabric;
	l->nr_vcpus = env->max_vcpus;
	l->timer_hz = hz;
	l->have_clock = h->now_ns != NULL;
	l->have_timers = l->have_clock && h->timer_create && h->timer_arm && h->timer_disarm &&
			 h->timer_destroy;
	atomic_flag_clear(&l->logged_unsupported);
	atomic_flag_clear(&l->logged_fire);
	for (uint32_t i = 0; i < l->nr_vcpus; i++) {
		struct lapic_bank *b = &l->banks[i];

		ax_spin_init(&b->lock);
		b->dev = l;
		b->vcpu = i;
		bank_reset(b, false);
		if (l->have_timers) {
			b->host_timer = h->timer_create(h->ctx, timer_fn, b);
			if (!b->host_timer) {
				err = ax_fail(diag, AX_ERR_NO_MEMORY,
					      "device \"%s\": the host refused a timer", cfg->name);
				goto fail;
			}
		}
	}
	l->apic_ops =
		(struct ax_apic_ops){ l, apic_deliver, apic_pending, apic_ack, apic_pic_changed };
	err = ax_irq_fabric_set_lapic(l->fabric, cfg->name, &l->apic_ops, diag);
	if (err != AX_OK)
		goto fail;
	l->registered = true;

	out->name = cfg->name;
	out->type = AX_EMU_LAPIC;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_LAPIC); /* false: the CPUs' own */
	out->nr_ranges = 1;
	out->ops = &lapic_ops;
	out->priv = l;
	return AX_OK;
fail:
	lapic_destroy(l);
	return err;
}

/* ---- host API ------------------------------------------------------------------------------- */

enum ax_err ax_lapic_from_device(struct ax_devices *set, uint32_t id, struct ax_lapic **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_LAPIC, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_lapic *)priv)->magic != LAPIC_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

enum ax_err ax_lapic_snapshot(struct ax_lapic *l, uint32_t vcpu, struct ax_lapic_state *out)
{
	struct lapic_bank *b;

	if (vcpu >= l->nr_vcpus)
		return AX_ERR_INVALID_INPUT;
	b = &l->banks[vcpu];
	bank_lock(b);
	ax_memcpy(out->irr, b->irr, sizeof(out->irr));
	ax_memcpy(out->isr, b->isr, sizeof(out->isr));
	ax_memcpy(out->tmr, b->tmr, sizeof(out->tmr));
	out->id = atomic_load_explicit(&b->id, memory_order_relaxed);
	out->ldr = atomic_load_explicit(&b->ldr, memory_order_relaxed);
	out->dfr = atomic_load_explicit(&b->dfr, memory_order_relaxed);
	out->tpr = b->tpr;
	out->ppr = bank_ppr(b);
	out->svr = b->svr;
	out->esr = b->esr;
	out->esr_pending = b->esr_pending;
	out->lvt_timer = b->lvt[LVT_TIMER];
	out->lvt_lint0 = b->lvt[LVT_LINT0];
	out->lvt_lint1 = b->lvt[LVT_LINT1];
	out->lvt_error = b->lvt[LVT_ERROR];
	out->timer_initial = b->tmict;
	out->timer_deadline_ns = b->timer_deadline;
	out->wait_for_sipi = b->wait_sipi;
	bank_unlock(b);
	return AX_OK;
}

void ax_lapic_get_stats(struct ax_lapic *l, struct ax_lapic_stats *out)
{
	out->bad_accesses = atomic_load_explicit(&l->bad_accesses, memory_order_relaxed);
	out->reserved_accesses = atomic_load_explicit(&l->reserved_accesses, memory_order_relaxed);
	out->unsupported_msgs = atomic_load_explicit(&l->unsupported_msgs, memory_order_relaxed);
	out->timer_fires = atomic_load_explicit(&l->timer_fires, memory_order_relaxed);
}
