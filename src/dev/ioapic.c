/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 I/O APIC, after the Intel 82093AA datasheet. The guest-visible
 * choices are described in include/axdevice/ioapic.h.
 *
 * Two register maps, both tables: the MMIO window (IOREGSEL, IOWIN) and the
 * indirect registers IOWIN reaches by IOREGSEL index (ID, version,
 * arbitration, redirection table).
 *
 * Locking: one spinlock guards all state. Lines arrive from the interrupt
 * fabric (set_line, under the line's lock), EOIs from the local APIC (with
 * no local APIC lock held); messages leave through
 * ax_irq_fabric_apic_deliver with this lock held (I/O APIC -> local APIC is
 * the documented order).
 */
#include <axdevice/ioapic.h>
#include <axdevice/kind.h>

#include "kinds.h"

#include "../core/irq.h"
#include "../core/util.h"

#define IOAPIC_MAGIC 0x494f4150u /* "IOAP" */

/* MMIO offsets. */
#define IOREGSEL 0x00u
#define IOWIN	 0x10u

/* Indirect register indexes. */
#define REG_ID	   0x00u
#define REG_VER	   0x01u
#define REG_ARB	   0x02u
#define REG_REDTBL 0x10u

#define ID_MASK (0xfu << 24)

/* What a guest may write in a redirection entry. */
#define RTE_WRITABLE                                                                               \
	(AX_IOAPIC_RTE_VECTOR | AX_IOAPIC_RTE_DELIVERY | AX_IOAPIC_RTE_DEST_LOGICAL |              \
	 AX_IOAPIC_RTE_ACTIVE_LOW | AX_IOAPIC_RTE_LEVEL | AX_IOAPIC_RTE_MASKED |                   \
	 (0xffull << AX_IOAPIC_RTE_DEST_SHIFT))

struct pin {
	uint64_t rte;
	bool line; /* the line's level as it arrives */
};

struct ax_ioapic {
	uint32_t magic;
	struct ax_spinlock lock;
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *fabric;
	uint32_t nr_pins;
	uint32_t regsel;
	uint32_t id;
	struct ax_ioapic_stats stats;
	struct pin pins[AX_IOAPIC_MAX_PINS];
};

static void ioapic_lock(struct ax_ioapic *io)
{
	ax_spin_lock(&io->lock, io->hooks);
}

static void ioapic_unlock(struct ax_ioapic *io)
{
	ax_spin_unlock(&io->lock);
}

/* --- interrupt logic (lock held) ------------------------------------------------ */

/*
 * A line carries its devices' logical "asserted", not a wire voltage, so
 * the polarity bit is stored and read back but inverts nothing (KVM's and
 * QEMU's I/O APICs do the same): an OS that programs a pin active-low, as
 * MADT overrides and Linux's PCI routing do, must still get its interrupts,
 * and an idle pin must not fire.
 */
static bool pin_asserted(const struct pin *p)
{
	return p->line;
}

static unsigned rte_delivery(uint64_t rte)
{
	return (unsigned)(rte >> 8) & 7u;
}

/* Level entries whose delivery acknowledges with an EOI (fixed, lowest priority). */
static bool uses_remote_irr(uint64_t rte)
{
	return (rte & AX_IOAPIC_RTE_LEVEL) && rte_delivery(rte) <= AX_APIC_LOWEST;
}

static void send(struct ax_ioapic *io, struct pin *p)
{
	unsigned mode = rte_delivery(p->rte);
	struct ax_apic_msg msg;

	if (mode == 3 || mode == 6) {
		io->stats.bad_mode++;
		return;
	}
	msg.vector = (uint8_t)(p->rte & AX_IOAPIC_RTE_VECTOR);
	msg.delivery = (enum ax_apic_delivery)mode;
	msg.logical = (p->rte & AX_IOAPIC_RTE_DEST_LOGICAL) != 0;
	msg.dest = (uint8_t)(p->rte >> AX_IOAPIC_RTE_DEST_SHIFT);
	msg.level_trigger = (p->rte & AX_IOAPIC_RTE_LEVEL) != 0;
	if (uses_remote_irr(p->rte))
		p->rte |= AX_IOAPIC_RTE_REMOTE_IRR;
	io->stats.sent++;
	ax_irq_fabric_apic_deliver(io->fabric, &msg);
}

/* A level pin sends while asserted, unmasked and not waiting for its EOI. */
static bool level_wants_send(const struct pin *p)
{
	return uses_remote_irr(p->rte) &&
	       !(p->rte & (AX_IOAPIC_RTE_MASKED | AX_IOAPIC_RTE_REMOTE_IRR)) && pin_asserted(p);
}

static void pin_set_line(struct ax_ioapic *io, struct pin *p, bool level)
{
	bool was = pin_asserted(p);

	p->line = level;
	if (p->rte & AX_IOAPIC_RTE_MASKED)
		return; /* edges on a masked pin are lost; a level is looked at on unmask */
	if (uses_remote_irr(p->rte)) {
		if (level_wants_send(p))
			send(io, p);
	} else if (!was && pin_asserted(p)) {
		send(io, p);
	}
}

static void pin_write_rte(struct ax_ioapic *io, struct pin *p, uint64_t rte)
{
	uint64_t keep = p->rte & AX_IOAPIC_RTE_REMOTE_IRR;

	p->rte = (rte & RTE_WRITABLE) | keep;
	/* remote IRR means nothing to an edge entry (the guest switched it): drop it */
	if (!uses_remote_irr(p->rte))
		p->rte &= ~AX_IOAPIC_RTE_REMOTE_IRR;
	if (level_wants_send(p))
		send(io, p);
}

static void ioapic_reset_locked(struct ax_ioapic *io)
{
	io->regsel = 0;
	io->id = 0;
	for (uint32_t i = 0; i < io->nr_pins; i++)
		io->pins[i].rte = AX_IOAPIC_RTE_MASKED; /* the lines keep their levels */
}

/* --- indirect registers (by IOREGSEL index) ----------------------------------- */

typedef uint32_t (*reg_read_fn)(struct ax_ioapic *io, uint32_t index);
typedef void (*reg_write_fn)(struct ax_ioapic *io, uint32_t index, uint32_t val);

struct ioapic_reg {
	uint32_t first;
	uint32_t last; /* inclusive; redirection entries end at REG_REDTBL + 2 * nr_pins - 1 */
	reg_read_fn read;
	reg_write_fn write; /* NULL: read-only */
};

static uint32_t read_id(struct ax_ioapic *io, uint32_t index)
{
	(void)index;
	return io->id;
}

static void write_id(struct ax_ioapic *io, uint32_t index, uint32_t val)
{
	(void)index;
	io->id = val & ID_MASK;
}

static uint32_t read_ver(struct ax_ioapic *io, uint32_t index)
{
	(void)index;
	return AX_IOAPIC_VERSION | ((io->nr_pins - 1) << 16);
}

static uint32_t read_arb(struct ax_ioapic *io, uint32_t index)
{
	(void)index;
	return io->id; /* arbitration id = APIC id after an APIC-bus reset */
}

static uint32_t read_redtbl(struct ax_ioapic *io, uint32_t index)
{
	uint64_t rte = io->pins[(index - REG_REDTBL) / 2].rte;

	return (uint32_t)((index & 1) ? rte >> 32 : rte);
}

static void write_redtbl(struct ax_ioapic *io, uint32_t index, uint32_t val)
{
	struct pin *p = &io->pins[(index - REG_REDTBL) / 2];
	uint64_t rte = p->rte;

	if (index & 1)
		rte = (rte & 0xffffffffull) | ((uint64_t)val << 32);
	else
		rte = (rte & ~0xffffffffull) | val;
	pin_write_rte(io, p, rte);
}

static const struct ioapic_reg ioapic_regs[] = {
	{ REG_ID, REG_ID, read_id, write_id },
	{ REG_VER, REG_VER, read_ver, NULL },
	{ REG_ARB, REG_ARB, read_arb, NULL },
	{ REG_REDTBL, REG_REDTBL + 2 * AX_IOAPIC_MAX_PINS - 1, read_redtbl, write_redtbl },
};

static const struct ioapic_reg *find_reg(const struct ax_ioapic *io, uint32_t index)
{
	for (size_t i = 0; i < AX_ARRAY_SIZE(ioapic_regs); i++) {
		const struct ioapic_reg *r = &ioapic_regs[i];

		if (index < r->first || index > r->last)
			continue;
		if (r->first == REG_REDTBL && index >= REG_REDTBL + 2 * io->nr_pins)
			return NULL;
		return r;
	}
	return NULL;
}

/* --- the MMIO window ------------------------------------------------------------ */

typedef uint32_t (*win_read_fn)(struct ax_ioapic *io);
typedef void (*win_write_fn)(struct ax_ioapic *io, uint32_t val);

static uint32_t read_regsel(struct ax_ioapic *io)
{
	return io->regsel;
}

static void write_regsel(struct ax_ioapic *io, uint32_t val)
{
	io->regsel = val & 0xffu;
}

static uint32_t read_iowin(struct ax_ioapic *io)
{
	const struct ioapic_reg *r = find_reg(io, io->regsel);

	if (!r) {
		io->stats.ignored++;
		return 0;
	}
	return r->read(io, io->regsel);
}

static void write_iowin(struct ax_ioapic *io, uint32_t val)
{
	const struct ioapic_reg *r = find_reg(io, io->regsel);

	if (!r) {
		io->stats.ignored++;
		return;
	}
	if (r->write)
		r->write(io, io->regsel, val);
}

static const struct {
	uint64_t offset;
	win_read_fn read;
	win_write_fn write;
} ioapic_window[] = {
	{ IOREGSEL, read_regsel, write_regsel },
	{ IOWIN, read_iowin, write_iowin },
};

static enum ax_err ioapic_access(struct ax_ioapic *io, const struct ax_access *acc, uint64_t *rval,
				 uint64_t wval)
{
	ioapic_lock(io);
	if (rval)
		*rval = 0;
	for (size_t i = 0; i < AX_ARRAY_SIZE(ioapic_window); i++) {
		if (acc->offset != ioapic_window[i].offset || acc->width != AX_WIDTH_DWORD)
			continue;
		if (rval)
			*rval = ioapic_window[i].read(io);
		else
			ioapic_window[i].write(io, (uint32_t)wval);
		ioapic_unlock(io);
		return AX_OK;
	}
	io->stats.ignored++;
	ioapic_unlock(io);
	return AX_OK;
}

static enum ax_err ioapic_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	return ioapic_access(priv, acc, val, 0);
}

static enum ax_err ioapic_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return ioapic_access(priv, acc, NULL, val);
}

/* --- fabric callbacks ----------------------------------------------------------- */

static void ioapic_set_line(void *priv, uint32_t line, bool level)
{
	struct ax_ioapic *io = priv;

	ioapic_lock(io);
	if (line < io->nr_pins)
		pin_set_line(io, &io->pins[line], level);
	ioapic_unlock(io);
}

static void ioapic_eoi(void *priv, uint8_t vector)
{
	struct ax_ioapic *io = priv;

	ioapic_lock(io);
	for (uint32_t i = 0; i < io->nr_pins; i++) {
		struct pin *p = &io->pins[i];

		if (!(p->rte & AX_IOAPIC_RTE_REMOTE_IRR) ||
		    (p->rte & AX_IOAPIC_RTE_VECTOR) != vector)
			continue;
		p->rte &= ~AX_IOAPIC_RTE_REMOTE_IRR;
		if (level_wants_send(p)) {
			io->stats.eoi_resent++;
			send(io, p);
		}
	}
	ioapic_unlock(io);
}

/* --- device ops ------------------------------------------------------------------ */

static void ioapic_reset(void *priv)
{
	struct ax_ioapic *io = priv;

	ioapic_lock(io);
	ioapic_reset_locked(io);
	ioapic_unlock(io);
}

static void ioapic_destroy(void *priv)
{
	struct ax_ioapic *io = priv;

	/* after these return the fabric never calls us again */
	ax_irq_fabric_remove_input(io->fabric, io);
	ax_irq_fabric_remove_ioapic_eoi(io->fabric, io);
	ax_free(io->hooks, io);
}

static const struct ax_device_ops ioapic_ops = {
	.read = ioapic_read,
	.write = ioapic_write,
	.reset = ioapic_reset,
	.destroy = ioapic_destroy,
};

enum ax_err ax_ioapic_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			     struct ax_device_desc *out, struct ax_diag *diag)
{
	uint64_t nr_pins = cfg->cfg_len ? cfg->cfg_list[0] : AX_IOAPIC_DEFAULT_PINS;
	struct ax_ioapic *io;
	enum ax_err err;

	if (cfg->cfg_len > 1)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries, expected [] or [nr_pins]",
			       cfg->name, cfg->cfg_len);
	if (nr_pins < 1 || nr_pins > AX_IOAPIC_MAX_PINS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": nr_pins %llu is not in 1..%u", cfg->name,
			       (unsigned long long)nr_pins, AX_IOAPIC_MAX_PINS);
	if (cfg->length < AX_IOAPIC_MIN_SIZE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range length 0x%llx is below the 0x%x bytes of "
			       "IOREGSEL and IOWIN",
			       cfg->name, (unsigned long long)cfg->length, AX_IOAPIC_MIN_SIZE);
	if (ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	if (!env->irq_fabric)
		return ax_fail(diag, AX_ERR_UNSUPPORTED,
			       "device \"%s\": an I/O APIC needs a device set's interrupt fabric",
			       cfg->name);

	io = ax_zalloc(env->hooks, sizeof(*io));
	if (!io)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	io->magic = IOAPIC_MAGIC;
	ax_spin_init(&io->lock);
	io->hooks = env->hooks;
	io->fabric = env->irq_fabric;
	io->nr_pins = (uint32_t)nr_pins;
	ioapic_reset_locked(io);

	struct ax_ioapic_eoi eoi = { .priv = io, .eoi = ioapic_eoi };
	struct ax_irq_input in = {
		.name = cfg->name, .nr_lines = io->nr_pins, .set_line = ioapic_set_line, .priv = io
	};

	err = ax_irq_fabric_add_ioapic_eoi(io->fabric, &eoi, diag);
	if (err) {
		ax_diag_prefix(diag, "device \"%s\": ", cfg->name);
		ax_free(env->hooks, io);
		return err;
	}
	err = ax_irq_fabric_add_input(io->fabric, &in, diag);
	if (err) {
		ax_irq_fabric_remove_ioapic_eoi(io->fabric, io);
		ax_free(env->hooks, io);
		return err;
	}

	out->name = cfg->name;
	out->type = AX_EMU_IOAPIC;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_IOAPIC);
	out->nr_ranges = 1;
	out->ops = &ioapic_ops;
	out->priv = io;
	return AX_OK;
}

/* --- host API -------------------------------------------------------------------- */

enum ax_err ax_ioapic_from_device(struct ax_devices *set, uint32_t id, struct ax_ioapic **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_IOAPIC, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_ioapic *)priv)->magic != IOAPIC_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

uint32_t ax_ioapic_nr_pins(struct ax_ioapic *io)
{
	return io->nr_pins; /* fixed at creation */
}

enum ax_err ax_ioapic_entry(struct ax_ioapic *io, uint32_t pin, uint64_t *entry)
{
	if (pin >= io->nr_pins || !entry)
		return AX_ERR_INVALID_INPUT;
	ioapic_lock(io);
	*entry = io->pins[pin].rte;
	ioapic_unlock(io);
	return AX_OK;
}

enum ax_err ax_ioapic_pin_level(struct ax_ioapic *io, uint32_t pin, bool *level)
{
	if (pin >= io->nr_pins || !level)
		return AX_ERR_INVALID_INPUT;
	ioapic_lock(io);
	*level = io->pins[pin].line;
	ioapic_unlock(io);
	return AX_OK;
}

void ax_ioapic_stats(struct ax_ioapic *io, struct ax_ioapic_stats *out)
{
	ioapic_lock(io);
	*out = io->stats;
	ioapic_unlock(io);
}
