/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PC's cascaded pair of 8259A PICs and its ELCR, after the 8259A data
 * sheet. Guest-visible choices: include/axdevice/pic8259.h.
 *
 * Each chip keeps IRR, ISR, IMR, its input levels and its programming
 * state. Priority is resolved by rotation: `priority_add` is the IR level
 * with the highest priority (0 until a rotate command moves it). The
 * slave's INT output is the master's IR2 (see pair_update).
 *
 * Locking: one spinlock guards both chips. INTR changes are reported to the
 * fabric (ax_irq_fabric_pic_changed) after the lock is dropped: the local
 * APIC calls intr/ack with its own lock held (local APIC -> 8259), so the
 * 8259 never calls towards it holding its lock.
 */
#include <axdevice/kind.h>
#include <axdevice/pic8259.h>

#include "kinds.h"

#include "../core/irq.h"
#include "../core/util.h"

#define PIC_MAGIC 0x50494338u /* "PIC8" */

#define MASTER	0
#define SLAVE	1
#define CASCADE 2 /* the master's IR line the slave drives */

/* ELCR bits that exist: IRQ 0, 1, 2 and 8, 13 are always edge on PC chipsets. */
#define ELCR_MASK_MASTER 0xf8u
#define ELCR_MASK_SLAVE	 0xdeu

#define ICW1_IC4  0x01u
#define ICW1_SNGL 0x02u
#define ICW1_LTIM 0x08u
#define ICW1	  0x10u
#define OCW3	  0x08u
#define ICW4_AEOI 0x02u
#define ICW4_SFNM 0x10u

enum init_step { INIT_NONE, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

struct chip {
	uint8_t irr, isr, imr, elcr, elcr_mask;
	uint8_t lines; /* input levels */
	uint8_t base;  /* vector base (ICW2) */
	uint8_t icw3;
	uint8_t priority_add; /* the IR level with the highest priority */
	enum init_step init;
	bool ic4, single, ltim;
	bool aeoi, rotate_aeoi, sfnm, special_mask;
	bool read_isr, poll;
};

struct ax_pic8259 {
	uint32_t magic;
	struct ax_spinlock lock;
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *fabric;
	struct chip chips[2];
	bool intr_reported; /* INTR as last reported to the fabric */
	bool has_elcr;
	struct ax_pic8259_stats stats;
};

static void pic_lock(struct ax_pic8259 *p)
{
	ax_spin_lock(&p->lock, p->hooks);
}

/* --- one chip (lock held) ---------------------------------------------------- */

static uint8_t level_mask(const struct chip *c)
{
	return c->ltim ? 0xffu : c->elcr;
}

/* Distance from the highest-priority level to the first set bit of `mask`; 8 when empty. */
static unsigned priority_of(const struct chip *c, uint8_t mask)
{
	unsigned p = 0;

	if (!mask)
		return 8;
	while (!(mask & (1u << ((p + c->priority_add) & 7u))))
		p++;
	return p;
}

/* The IR level this chip would raise INT for now, or -1. */
static int chip_pending(const struct chip *c, bool master)
{
	unsigned req = priority_of(c, c->irr & (uint8_t)~c->imr);
	uint8_t in_service = c->isr;

	if (req == 8)
		return -1;
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr; /* masked levels do not hold others back */
	if (master && c->sfnm)
		in_service &= (uint8_t) ~(1u << CASCADE); /* nested slave requests get through */
	if (req < priority_of(c, in_service))
		return (int)((req + c->priority_add) & 7u);
	return -1;
}

static void chip_set_line(struct chip *c, unsigned irq, bool level)
{
	uint8_t m = (uint8_t)(1u << irq);

	if (level) {
		if (!(c->lines & m) || (level_mask(c) & m))
			c->irr |= m; /* a rising edge, or a level */
		c->lines |= m;
	} else {
		c->lines &= (uint8_t)~m;
		if (level_mask(c) & m)
			c->irr &= (uint8_t)~m;
	}
}

/* The acknowledge of level `irq`: IRR to ISR (or not, in AEOI mode). */
static void chip_intack(struct chip *c, unsigned irq)
{
	uint8_t m = (uint8_t)(1u << irq);

	if (!(level_mask(c) & m))
		c->irr &= (uint8_t)~m; /* a level stays requested while the line is high */
	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->priority_add = (uint8_t)((irq + 1) & 7u);
	} else {
		c->isr |= m;
	}
}

static void chip_icw1(struct chip *c, uint8_t val)
{
	c->ltim = val & ICW1_LTIM;
	c->single = val & ICW1_SNGL;
	c->ic4 = val & ICW1_IC4;
	c->init = INIT_ICW2;
	c->imr = 0;
	c->isr = 0;
	/* edge requests are forgotten (a high line must fall and rise again); levels stay */
	c->irr = c->lines & level_mask(c);
	c->priority_add = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->aeoi = false;
	c->rotate_aeoi = false;
	c->sfnm = false;
}

static void chip_reset(struct chip *c, uint8_t elcr_mask)
{
	c->elcr = 0;
	c->elcr_mask = elcr_mask;
	chip_icw1(c, 0);
	c->init = INIT_NONE;
	c->base = 0;
	c->icw3 = 0;
}

static void chip_ocw2(struct chip *c, uint8_t val)
{
	unsigned level = val & 7u, highest;

	switch (val >> 5) {
	case 0: /* rotate in AEOI mode: clear */
		c->rotate_aeoi = false;
		break;
	case 4: /* rotate in AEOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		highest = priority_of(c, c->isr);
		if (highest == 8)
			break;
		level = (highest + c->priority_add) & 7u;
		c->isr &= (uint8_t) ~(1u << level);
		if (val >> 5 == 5)
			c->priority_add = (uint8_t)((level + 1) & 7u);
		break;
	case 3: /* specific EOI */
		c->isr &= (uint8_t) ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= (uint8_t) ~(1u << level);
		c->priority_add = (uint8_t)((level + 1) & 7u);
		break;
	case 6: /* set priority: `level` becomes the lowest */
		c->priority_add = (uint8_t)((level + 1) & 7u);
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct chip *c, uint8_t val)
{
	if (val & 0x04u)
		c->poll = true;
	if (val & 0x02u)
		c->read_isr = val & 0x01u;
	if (val & 0x40u)
		c->special_mask = val & 0x20u;
}

static void chip_write_data(struct chip *c, uint8_t val)
{
	switch (c->init) {
	case INIT_ICW2:
		c->base = val & 0xf8u;
		c->init = c->single ? (c->ic4 ? INIT_ICW4 : INIT_NONE) : INIT_ICW3;
		break;
	case INIT_ICW3:
		c->icw3 = val; /* the wiring is fixed: slave on IR2 */
		c->init = c->ic4 ? INIT_ICW4 : INIT_NONE;
		break;
	case INIT_ICW4:
		c->aeoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init = INIT_NONE;
		break;
	default:
		c->imr = val; /* OCW1 */
		break;
	}
}

static void chip_write_elcr(struct chip *c, uint8_t val)
{
	c->elcr = val & c->elcr_mask;
	/* lines that are level now request while high */
	c->irr = (uint8_t)((c->irr & (uint8_t)~level_mask(c)) | (c->lines & level_mask(c)));
}

/* --- the pair (lock held) ------------------------------------------------------ */

/*
 * Feeds the slave's INT to the master's IR2 and returns INTR. The master
 * latches IR2 whenever the slave has something deliverable (so a second
 * slave request behind the first is never lost) and keeps it until the
 * acknowledge, even if the slave's request goes away meanwhile: that
 * acknowledge then gets the slave's spurious IRQ15, as on real hardware.
 */
static bool pair_update(struct ax_pic8259 *p)
{
	struct chip *m = &p->chips[MASTER];

	if (chip_pending(&p->chips[SLAVE], false) >= 0)
		m->irr |= 1u << CASCADE;
	return chip_pending(m, true) >= 0;
}

static uint8_t pair_ack(struct ax_pic8259 *p)
{
	struct chip *m = &p->chips[MASTER], *s = &p->chips[SLAVE];
	uint8_t vector;
	int irq;

	pair_update(p);
	irq = chip_pending(m, true);
	p->stats.acks++;
	if (irq < 0) {
		p->stats.spurious++;
		vector = m->base + 7; /* spurious IRQ7 */
	} else {
		chip_intack(m, (unsigned)irq);
		if (irq == CASCADE) {
			int irq2 = chip_pending(s, false);

			m->irr &= (uint8_t) ~(1u << CASCADE); /* a latch, even under LTIM */

			if (irq2 < 0) {
				p->stats.spurious++;
				vector = s->base + 7; /* spurious IRQ15; IR2 stays in service */
			} else {
				chip_intack(s, (unsigned)irq2);
				vector = s->base + (uint8_t)irq2;
			}
		} else {
			vector = m->base + (uint8_t)irq;
		}
	}
	pair_update(p);
	return vector;
}

/* Poll command: the poll word of one chip, acknowledging what it reports. */
static uint8_t chip_poll(struct ax_pic8259 *p, unsigned which)
{
	struct chip *c = &p->chips[which];
	int irq;

	c->poll = false;
	pair_update(p);
	irq = chip_pending(c, which == MASTER);
	p->stats.acks++;
	if (irq < 0)
		return 0;
	chip_intack(c, (unsigned)irq);
	if (which == MASTER && irq == CASCADE)
		c->irr &= (uint8_t) ~(1u << CASCADE);
	pair_update(p);
	return (uint8_t)(0x80u | (unsigned)irq);
}

/*
 * Drops the lock and tells the fabric when INTR changed or is asserted after
 * a change of state (the local APIC re-reads it; a spurious call is harmless).
 */
static void pic_unlock_notify(struct ax_pic8259 *p)
{
	bool intr = pair_update(p), notify = intr || intr != p->intr_reported;

	p->intr_reported = intr;
	ax_spin_unlock(&p->lock);
	if (notify)
		ax_irq_fabric_pic_changed(p->fabric);
}

/* --- port accesses ---------------------------------------------------------------- */

typedef uint8_t (*port_read_fn)(struct ax_pic8259 *p, unsigned chip);
typedef void (*port_write_fn)(struct ax_pic8259 *p, unsigned chip, uint8_t val);

static uint8_t read_command(struct ax_pic8259 *p, unsigned which)
{
	struct chip *c = &p->chips[which];

	if (c->poll)
		return chip_poll(p, which);
	return c->read_isr ? c->isr : c->irr;
}

static void write_command(struct ax_pic8259 *p, unsigned which, uint8_t val)
{
	struct chip *c = &p->chips[which];

	if (val & ICW1)
		chip_icw1(c, val);
	else if (val & OCW3)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
}

static uint8_t read_data(struct ax_pic8259 *p, unsigned which)
{
	return p->chips[which].imr;
}

static void write_data(struct ax_pic8259 *p, unsigned which, uint8_t val)
{
	chip_write_data(&p->chips[which], val);
}

static uint8_t read_elcr(struct ax_pic8259 *p, unsigned which)
{
	return p->chips[which].elcr;
}

static void write_elcr(struct ax_pic8259 *p, unsigned which, uint8_t val)
{
	chip_write_elcr(&p->chips[which], val);
}

/* Indexed by (range, offset): range 0 master, 1 slave, 2 ELCR. */
static const struct {
	port_read_fn read;
	port_write_fn write;
} pic_ports[3][2] = {
	{ { read_command, write_command }, { read_data, write_data } },
	{ { read_command, write_command }, { read_data, write_data } },
	{ { read_elcr, write_elcr }, { read_elcr, write_elcr } },
};

static enum ax_err pic_access(struct ax_pic8259 *p, const struct ax_access *acc, uint64_t *rval,
			      uint64_t wval)
{
	unsigned range = acc->range, off = (unsigned)acc->offset;
	/* the master's ports and the ELCR's first port drive chip 0 */
	unsigned which = range == 2 ? off : range;

	if (acc->width != AX_WIDTH_BYTE)
		return AX_ERR_INVALID_INPUT;
	if (range > 2 || off > 1)
		return AX_ERR_BAD_ADDRESS;
	pic_lock(p);
	if (rval)
		*rval = pic_ports[range][off].read(p, which);
	else
		pic_ports[range][off].write(p, which, (uint8_t)wval);
	pic_unlock_notify(p);
	return AX_OK;
}

static enum ax_err pic_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return pic_access(priv, acc, val, 0);
}

static enum ax_err pic_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return pic_access(priv, acc, NULL, val);
}

/* --- fabric callbacks ------------------------------------------------------------- */

static void pic_set_line(void *priv, uint32_t line, bool level)
{
	struct ax_pic8259 *p = priv;

	if (line >= 16 || line == CASCADE)
		return; /* line 2 is the cascade; PCs route ISA IRQ 2 to IRQ 9 */
	pic_lock(p);
	chip_set_line(&p->chips[line / 8], line % 8, level);
	pic_unlock_notify(p);
}

static bool pic_intr(void *priv)
{
	struct ax_pic8259 *p = priv;
	bool intr;

	pic_lock(p);
	intr = pair_update(p);
	ax_spin_unlock(&p->lock);
	return intr;
}

/* From the local APIC, its lock held: no call back towards it; it re-reads intr. */
static uint8_t pic_fabric_ack(void *priv)
{
	struct ax_pic8259 *p = priv;
	uint8_t vector;

	pic_lock(p);
	vector = pair_ack(p);
	p->intr_reported = pair_update(p);
	ax_spin_unlock(&p->lock);
	return vector;
}

/* --- device ops ------------------------------------------------------------------- */

static void pic_reset_locked(struct ax_pic8259 *p)
{
	chip_reset(&p->chips[MASTER], p->has_elcr ? ELCR_MASK_MASTER : 0);
	chip_reset(&p->chips[SLAVE], p->has_elcr ? ELCR_MASK_SLAVE : 0);
}

static void pic_reset(void *priv)
{
	struct ax_pic8259 *p = priv;

	pic_lock(p);
	pic_reset_locked(p);
	pic_unlock_notify(p);
}

static void pic_destroy(void *priv)
{
	struct ax_pic8259 *p = priv;

	ax_irq_fabric_clear_pic(p->fabric, p);
	ax_irq_fabric_remove_input(p->fabric, p);
	ax_free(p->hooks, p);
}

static const struct ax_device_ops pic_ops = {
	.read = pic_read,
	.write = pic_write,
	.reset = pic_reset,
	.destroy = pic_destroy,
};

static enum ax_err port_range(const struct ax_emu_config *cfg, const char *what, uint64_t base,
			      struct ax_range *out, struct ax_diag *diag)
{
	if (ax_range_new(AX_BUS_PORT, base, 2, out) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": %s ports 0x%llx..0x%llx are beyond the port bus",
			       cfg->name, what, (unsigned long long)base,
			       (unsigned long long)base + 1);
	return AX_OK;
}

enum ax_err ax_pic8259_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			      struct ax_device_desc *out, struct ax_diag *diag)
{
	uint64_t slave = cfg->cfg_len > 0 ? cfg->cfg_list[0] : AX_PIC8259_SLAVE_BASE;
	uint64_t elcr = cfg->cfg_len > 1 ? cfg->cfg_list[1] : AX_PIC8259_ELCR_BASE;
	struct ax_pic8259 *p;
	enum ax_err err;

	if (cfg->cfg_len > 2)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected at most 2 "
			       "[slave_base, elcr_base]",
			       cfg->name, cfg->cfg_len);
	if (cfg->length != 2)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": length 0x%llx, the master has 2 ports", cfg->name,
			       (unsigned long long)cfg->length);
	err = port_range(cfg, "master", cfg->base_gpa, &out->ranges[0], diag);
	if (!err)
		err = port_range(cfg, "slave", slave, &out->ranges[1], diag);
	if (!err && elcr)
		err = port_range(cfg, "ELCR", elcr, &out->ranges[2], diag);
	if (err)
		return err;
	if (!env->irq_fabric)
		return ax_fail(diag, AX_ERR_UNSUPPORTED,
			       "device \"%s\": an 8259 pair needs a device set's interrupt fabric",
			       cfg->name);

	p = ax_zalloc(env->hooks, sizeof(*p));
	if (!p)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	p->magic = PIC_MAGIC;
	ax_spin_init(&p->lock);
	p->hooks = env->hooks;
	p->fabric = env->irq_fabric;
	p->has_elcr = elcr != 0;
	pic_reset_locked(p);

	struct ax_pic_ops ops = { .priv = p, .intr = pic_intr, .ack = pic_fabric_ack };
	struct ax_irq_input in = {
		.name = cfg->name, .nr_lines = 16, .set_line = pic_set_line, .priv = p
	};

	err = ax_irq_fabric_set_pic(p->fabric, cfg->name, &ops, diag);
	if (!err) {
		err = ax_irq_fabric_add_input(p->fabric, &in, diag);
		if (err)
			ax_irq_fabric_clear_pic(p->fabric, p);
	}
	if (err) {
		ax_free(env->hooks, p);
		return err;
	}

	out->name = cfg->name;
	out->type = AX_EMU_PIC8259;
	out->bus = AX_BUS_PORT;
	out->removable = ax_emu_type_removable(AX_EMU_PIC8259);
	out->nr_ranges = elcr ? 3 : 2;
	out->ops = &pic_ops;
	out->priv = p;
	return AX_OK;
}

/* --- host API --------------------------------------------------------------------- */

enum ax_err ax_pic8259_from_device(struct ax_devices *set, uint32_t id, struct ax_pic8259 **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_PIC8259, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_pic8259 *)priv)->magic != PIC_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

bool ax_pic8259_intr(struct ax_pic8259 *pic)
{
	return pic_intr(pic);
}

uint8_t ax_pic8259_ack(struct ax_pic8259 *pic)
{
	uint8_t vector;

	pic_lock(pic);
	vector = pair_ack(pic);
	pic_unlock_notify(pic);
	return vector;
}

enum ax_err ax_pic8259_chip_state(struct ax_pic8259 *pic, unsigned chip,
				  struct ax_pic8259_chip_state *out)
{
	const struct chip *c;

	if (chip > SLAVE || !out)
		return AX_ERR_INVALID_INPUT;
	pic_lock(pic);
	pair_update(pic);
	c = &pic->chips[chip];
	out->irr = c->irr;
	out->isr = c->isr;
	out->imr = c->imr;
	out->elcr = c->elcr;
	out->vector_base = c->base;
	out->auto_eoi = c->aeoi;
	out->special_mask = c->special_mask;
	out->initialising = c->init != INIT_NONE;
	ax_spin_unlock(&pic->lock);
	return AX_OK;
}

void ax_pic8259_stats(struct ax_pic8259 *pic, struct ax_pic8259_stats *out)
{
	pic_lock(pic);
	*out = pic->stats;
	ax_spin_unlock(&pic->lock);
}
