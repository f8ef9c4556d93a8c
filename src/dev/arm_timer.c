/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm generic timer, Arm ARM D11/D12 (include/axdevice/arm_timer.h for the
 * guest-visible choices and the config).
 *
 * Each vCPU has a bank with its own spinlock and two timers (physical,
 * virtual), each with a host timer. The PPI level is recomputed under the
 * bank lock after every change and sent to the set's PPI sink only when it
 * changes (device lock -> GIC lock, as irq.h allows). The host timer fires
 * at the deadline; its callback just re-evaluates, so a late, early-replaced
 * or stale call is harmless.
 */
#include <axdevice/arm_timer.h>
#include <axdevice/sysreg.h>

#include "kinds.h"

#include "../core/irq.h"
#include "../core/util.h"

#define NS_PER_S 1000000000ull

#define CTL_ENABLE  (1u << 0)
#define CTL_IMASK   (1u << 1)
#define CTL_ISTATUS (1u << 2)

enum { PHYS = 0, VIRT = 1 };

/* Register numbers (op0 3, op1 3, CRn 14). */
#define R_CNTFRQ    AX_SYSREG_ARM64(3, 3, 14, 0, 0)
#define R_CNTPCT    AX_SYSREG_ARM64(3, 3, 14, 0, 1)
#define R_CNTVCT    AX_SYSREG_ARM64(3, 3, 14, 0, 2)
#define R_CNTP_TVAL AX_SYSREG_ARM64(3, 3, 14, 2, 0)
#define R_CNTP_CTL  AX_SYSREG_ARM64(3, 3, 14, 2, 1)
#define R_CNTP_CVAL AX_SYSREG_ARM64(3, 3, 14, 2, 2)
#define R_CNTV_TVAL AX_SYSREG_ARM64(3, 3, 14, 3, 0)
#define R_CNTV_CTL  AX_SYSREG_ARM64(3, 3, 14, 3, 1)
#define R_CNTV_CVAL AX_SYSREG_ARM64(3, 3, 14, 3, 2)

struct arm_timer;
struct timer_bank;

struct one_timer {
	struct timer_bank *bank;
	unsigned which;
	void *host_timer;
	uint32_t ctl; /* ENABLE, IMASK */
	uint64_t cval;
	bool level; /* last level sent to the PPI sink */
	bool armed;
};

struct timer_bank {
	struct ax_spinlock lock;
	struct arm_timer *dev;
	uint32_t vcpu;
	struct one_timer t[2];
};

struct arm_timer {
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *fabric;
	uint64_t freq;
	uint32_t nr_vcpus;
	struct timer_bank banks[];
};

static const uint32_t timer_ppi[2] = { AX_ARM_TIMER_PPI_PHYS, AX_ARM_TIMER_PPI_VIRT };

static uint64_t counter(const struct arm_timer *d)
{
	uint64_t now = d->hooks->now_ns(d->hooks->ctx);

	return now / NS_PER_S * d->freq + now % NS_PER_S * d->freq / NS_PER_S;
}

/* The first now_ns at which counter() >= cval; UINT64_MAX when beyond the clock. */
static uint64_t deadline_ns(const struct arm_timer *d, uint64_t cval)
{
	uint64_t secs = cval / d->freq, rem = cval % d->freq;

	if (secs > (UINT64_MAX - NS_PER_S) / NS_PER_S)
		return UINT64_MAX;
	return secs * NS_PER_S + (rem * NS_PER_S + d->freq - 1) / d->freq;
}

static bool istatus(const struct one_timer *t, uint64_t cnt)
{
	return (t->ctl & CTL_ENABLE) && cnt >= t->cval;
}

/* Under the bank lock: the PPI level and the host timer follow the registers. */
static void evaluate(struct one_timer *t, uint64_t cnt)
{
	struct arm_timer *d = t->bank->dev;
	const struct ax_host_hooks *h = d->hooks;
	bool st = istatus(t, cnt);
	bool level = st && !(t->ctl & CTL_IMASK);

	if (level != t->level) {
		t->level = level;
		ax_irq_fabric_set_ppi(d->fabric, t->bank->vcpu, timer_ppi[t->which], level);
	}
	if ((t->ctl & CTL_ENABLE) && !(t->ctl & CTL_IMASK) && !st) {
		uint64_t dl = deadline_ns(d, t->cval);

		if (dl != UINT64_MAX) {
			h->timer_arm(h->ctx, t->host_timer, dl);
			t->armed = true;
			return;
		}
	}
	if (t->armed) {
		h->timer_disarm(h->ctx, t->host_timer);
		t->armed = false;
	}
}

static void timer_fn(void *arg)
{
	struct one_timer *t = arg;
	struct timer_bank *b = t->bank;

	ax_spin_lock(&b->lock, b->dev->hooks);
	t->armed = false; /* one-shot: it fired (or is a stale call) */
	evaluate(t, counter(b->dev));
	ax_spin_unlock(&b->lock);
}

static enum ax_err timer_access(void *priv, const struct ax_access *acc, uint64_t *rval,
				uint64_t wval)
{
	struct arm_timer *d = priv;
	struct timer_bank *b;
	uint64_t reg = acc->addr, cnt;
	struct one_timer *t = NULL;

	if (acc->vcpu >= d->nr_vcpus)
		return AX_ERR_INVALID_INPUT;
	b = &d->banks[acc->vcpu];
	if (reg == R_CNTP_TVAL || reg == R_CNTP_CTL || reg == R_CNTP_CVAL)
		t = &b->t[PHYS];
	else if (reg == R_CNTV_TVAL || reg == R_CNTV_CTL || reg == R_CNTV_CVAL)
		t = &b->t[VIRT];
	ax_spin_lock(&b->lock, d->hooks);
	cnt = counter(d);
	if (rval) {
		uint64_t v = 0;

		if (reg == R_CNTFRQ)
			v = d->freq;
		else if (reg == R_CNTPCT || reg == R_CNTVCT)
			v = cnt;
		else if (reg == R_CNTP_CTL || reg == R_CNTV_CTL)
			v = t->ctl | (istatus(t, cnt) ? CTL_ISTATUS : 0);
		else if (reg == R_CNTP_CVAL || reg == R_CNTV_CVAL)
			v = t->cval;
		else if (reg == R_CNTP_TVAL || reg == R_CNTV_TVAL)
			v = (uint32_t)(t->cval - cnt);
		*rval = v;
	} else if (t) {
		if (reg == R_CNTP_CTL || reg == R_CNTV_CTL)
			t->ctl = (uint32_t)wval & (CTL_ENABLE | CTL_IMASK);
		else if (reg == R_CNTP_CVAL || reg == R_CNTV_CVAL)
			t->cval = wval;
		else
			t->cval = cnt + (uint64_t)(int64_t)(int32_t)(uint32_t)wval;
	}
	if (t)
		evaluate(t, cnt);
	ax_spin_unlock(&b->lock);
	return AX_OK;
}

static enum ax_err timer_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return timer_access(priv, acc, val, 0);
}

static enum ax_err timer_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return timer_access(priv, acc, NULL, val);
}

static void timer_reset(void *priv)
{
	struct arm_timer *d = priv;

	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct timer_bank *b = &d->banks[i];

		ax_spin_lock(&b->lock, d->hooks);
		for (unsigned w = 0; w < 2; w++) {
			b->t[w].ctl = 0;
			b->t[w].cval = 0;
			evaluate(&b->t[w], 0);
		}
		ax_spin_unlock(&b->lock);
	}
}

static void timer_free(struct arm_timer *d)
{
	const struct ax_host_hooks *h = d->hooks;

	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		for (unsigned w = 0; w < 2; w++) {
			struct one_timer *t = &d->banks[i].t[w];

			if (t->host_timer)
				h->timer_destroy(h->ctx, t->host_timer);
			if (t->level)
				ax_irq_fabric_set_ppi(d->fabric, i, timer_ppi[w], false);
		}
	}
	ax_free(h, d);
}

static void timer_destroy(void *priv)
{
	timer_free(priv);
}

static const struct ax_device_ops arm_timer_ops = {
	.read = timer_read,
	.write = timer_write,
	.reset = timer_reset,
	.destroy = timer_destroy,
};

enum ax_err ax_arm_timer_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *h = env->hooks;
	uint64_t hz = cfg->cfg_len > 0 ? cfg->cfg_list[0] : AX_ARM_TIMER_DEFAULT_HZ;
	struct arm_timer *d;

	if (cfg->cfg_len > 1)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected at most 1 "
			       "[freq_hz]",
			       cfg->name, cfg->cfg_len);
	if (hz < 1 || hz > AX_ARM_TIMER_MAX_HZ)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": freq_hz %llu is not in 1..%u", cfg->name,
			       (unsigned long long)hz, AX_ARM_TIMER_MAX_HZ);
	if (cfg->base_gpa != AX_ARM_TIMER_BASE || cfg->length < AX_ARM_TIMER_MIN_LEN ||
	    cfg->length > AX_ARM_TIMER_MAX_LEN)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": sysreg range base 0x%llx length 0x%llx: expected "
			       "base 0x%x (CNTFRQ_EL0), length 0x%x..0x%x",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length, AX_ARM_TIMER_BASE,
			       AX_ARM_TIMER_MIN_LEN, AX_ARM_TIMER_MAX_LEN);
	if (!h->now_ns || !h->timer_create || !h->timer_arm || !h->timer_disarm ||
	    !h->timer_destroy || !env->irq_fabric)
		return ax_fail(diag, AX_ERR_UNSUPPORTED,
			       "device \"%s\": the generic timer needs the host's clock and timer "
			       "hooks and the set's interrupt fabric",
			       cfg->name);
	if (ax_range_new(AX_BUS_SYSREG, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device \"%s\": bad sysreg range",
			       cfg->name);
	d = ax_zalloc(h, sizeof(*d) + sizeof(d->banks[0]) * env->max_vcpus);
	if (!d)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	d->hooks = h;
	d->fabric = env->irq_fabric;
	d->freq = hz;
	d->nr_vcpus = env->max_vcpus;
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		struct timer_bank *b = &d->banks[i];

		ax_spin_init(&b->lock);
		b->dev = d;
		b->vcpu = i;
		for (unsigned w = 0; w < 2; w++) {
			b->t[w].bank = b;
			b->t[w].which = w;
			b->t[w].host_timer = h->timer_create(h->ctx, timer_fn, &b->t[w]);
			if (!b->t[w].host_timer) {
				timer_free(d);
				return ax_fail(diag, AX_ERR_NO_MEMORY,
					       "device \"%s\": the host refused a timer",
					       cfg->name);
			}
		}
	}
	out->name = cfg->name;
	out->type = AX_EMU_ARM_TIMER;
	out->bus = AX_BUS_SYSREG;
	out->removable = ax_emu_type_removable(AX_EMU_ARM_TIMER);
	out->nr_ranges = 1;
	out->ops = &arm_timer_ops;
	out->priv = d;
	return AX_OK;
}
