/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm PrimeCell UART PL011 (EmuDeviceType Console = 0, cfg_list model 1).
 * Register semantics follow the PL011 Technical Reference Manual (ARM DDI
 * 0183); what the host sees (config, wiring, backpressure, timeout, reset)
 * is described in include/axdevice/pl011.h.
 *
 * Transmission is instantaneous, as in the 16550 model: a DR write is handed
 * to the backend (or looped back) before the write returns. RIS holds
 * latched interrupt events (the PL011's RX and TX interrupts are events at a
 * FIFO level, not levels); MIS and the line are derived from it after every
 * change.
 */
#include <stdatomic.h>

#include <axdevice/pl011.h>

#include "kinds.h"

#include "../core/util.h"

#define PL011_MAGIC 0x504c3131u /* "PL11" */

/* Register offsets. */
#define REG_DR	  0x000
#define REG_RSR	  0x004
#define REG_FR	  0x018
#define REG_ILPR  0x020
#define REG_IBRD  0x024
#define REG_FBRD  0x028
#define REG_LCR_H 0x02c
#define REG_CR	  0x030
#define REG_IFLS  0x034
#define REG_IMSC  0x038
#define REG_RIS	  0x03c
#define REG_MIS	  0x040
#define REG_ICR	  0x044
#define REG_DMACR 0x048

/* DR: error bits above the data byte, as the RX FIFO stores them. */
#define DR_FE 0x100
#define DR_PE 0x200
#define DR_BE 0x400
#define DR_OE 0x800

/* RSR/ECR. */
#define RSR_OE	 0x08
#define RSR_MASK 0x0f

/* FR. */
#define FR_CTS	0x001
#define FR_DSR	0x002
#define FR_DCD	0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI	0x100

#define LCR_H_FEN 0x10

/* CR. */
#define CR_UARTEN 0x0001
#define CR_LBE	  0x0080
#define CR_TXE	  0x0100
#define CR_RXE	  0x0200
#define CR_DTR	  0x0400
#define CR_RTS	  0x0800
#define CR_OUT1	  0x1000
#define CR_OUT2	  0x2000
#define CR_MASK	  0xff87 /* bits 6:3 are reserved */
#define CR_RESET  (CR_RXE | CR_TXE)

#define IFLS_MASK  0x3f
#define IFLS_RESET 0x12 /* 1/2 for both */

/* Interrupt bits (IMSC, RIS, MIS, ICR). */
#define INT_RI	 0x001
#define INT_CTS	 0x002
#define INT_DCD	 0x004
#define INT_DSR	 0x008
#define INT_RX	 0x010
#define INT_TX	 0x020
#define INT_RT	 0x040
#define INT_OE	 0x400
#define INT_MASK 0x7ff

#define DMACR_MASK 0x07

/* Access widths, as masks of enum ax_width values. */
#define W_ANY  (AX_WIDTH_BYTE | AX_WIDTH_WORD | AX_WIDTH_DWORD)
#define W_WIDE (AX_WIDTH_WORD | AX_WIDTH_DWORD)

#define NS_PER_S	  1000000000ull
#define DEFAULT_RT_NS	  277778ull /* 32 bit periods at 115200 baud, rounded up */
#define RT_BITS_PER_CLOCK 8ull	    /* 32 bits x 16 clocks / 64 (FBRD's scale) */

struct rx_fifo {
	uint16_t data[AX_PL011_FIFO_SIZE]; /* character + DR error bits */
	uint8_t head;
	uint8_t count;
};

struct tx_fifo {
	uint8_t data[AX_PL011_FIFO_SIZE];
	uint8_t head;
	uint8_t count;
};

struct ax_pl011 {
	uint32_t magic;
	struct ax_spinlock lock; /* guards everything below */
	const struct ax_host_hooks *hooks;
	struct ax_irq_lines *lines; /* irq is claimed level-triggered in the descriptor */
	char name[AX_NAME_MAX];	    /* the char backend is looked up by it */
	uint32_t irq;
	bool have_timers;
	void *timer;

	uint16_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	uint16_t ibrd_latched, fbrd_latched;
	uint8_t host_lines;   /* AX_PL011_LINE_* set by the host */
	uint8_t lines_now;    /* what the guest sees (loopback: driven by CR) */
	bool oe_pending;      /* the next character stored carries DR.OE */
	bool irq_level;	      /* last level given to the line */
	uint64_t rt_deadline; /* receive timeout armed for this time; 0 none */
	struct rx_fifo rx;
	struct tx_fifo tx;

	uint64_t rx_bytes, tx_bytes, tx_discarded, tx_dropped, tx_while_disabled;
	uint64_t rx_overruns, rx_timeouts, bad_accesses, ignored_accesses;
};

/* --- lock ---------------------------------------------------------------- */

static void pl_lock(struct ax_pl011 *u)
{
	ax_spin_lock(&u->lock, u->hooks);
}

static void pl_unlock(struct ax_pl011 *u)
{
	ax_spin_unlock(&u->lock);
}

/* --- FIFOs and levels ---------------------------------------------------- */

static bool fifos_on(const struct ax_pl011 *u)
{
	return u->lcr_h & LCR_H_FEN;
}

static size_t fifo_capacity(const struct ax_pl011 *u)
{
	return fifos_on(u) ? AX_PL011_FIFO_SIZE : 1;
}

/* IFLS encodings 0-4: 1/8, 1/4, 1/2, 3/4, 7/8 of 32; 5-7 act as 7/8. */
static size_t level_of(unsigned sel)
{
	static const uint8_t levels[5] = { 4, 8, 16, 24, 28 };

	return levels[sel > 4 ? 4 : sel];
}

/* The RX interrupt fires at or above this many characters. */
static size_t rx_trigger(const struct ax_pl011 *u)
{
	return fifos_on(u) ? level_of((u->ifls >> 3) & 7) : 1;
}

/* The TX interrupt fires when data leaves and at most this many remain. */
static size_t tx_trigger(const struct ax_pl011 *u)
{
	return fifos_on(u) ? level_of(u->ifls & 7) : 0;
}

static bool loopback(const struct ax_pl011 *u)
{
	return u->cr & CR_LBE;
}

static void rx_push(struct rx_fifo *f, uint16_t entry)
{
	f->data[(f->head + f->count) % AX_PL011_FIFO_SIZE] = entry;
	f->count++;
}

static uint16_t rx_pop(struct rx_fifo *f)
{
	uint16_t entry = f->data[f->head];

	f->head = (uint8_t)((f->head + 1) % AX_PL011_FIFO_SIZE);
	f->count--;
	return entry;
}

static void tx_push(struct tx_fifo *f, uint8_t byte)
{
	f->data[(f->head + f->count) % AX_PL011_FIFO_SIZE] = byte;
	f->count++;
}

static uint8_t tx_pop(struct tx_fifo *f)
{
	uint8_t byte = f->data[f->head];

	f->head = (uint8_t)((f->head + 1) % AX_PL011_FIFO_SIZE);
	f->count--;
	return byte;
}

static void tx_drop(struct tx_fifo *f, size_t n)
{
	f->head = (uint8_t)((f->head + n) % AX_PL011_FIFO_SIZE);
	f->count = (uint8_t)(f->count - n);
}

/* --- interrupt line ------------------------------------------------------ */

static void update_irq(struct ax_pl011 *u)
{
	bool level = (u->ris & u->imsc) != 0;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	ax_irq_line_set_level(u->lines, u->irq, level);
}

/* --- receive timeout ----------------------------------------------------- */

/* 32 bit periods at the latched divisor: 32 * 16 * (IBRD + FBRD/64) / UARTCLK. */
static uint64_t rt_timeout_ns(const struct ax_pl011 *u)
{
	uint64_t div = (uint64_t)u->ibrd_latched * 64 + u->fbrd_latched;

	if (!u->ibrd_latched)
		return DEFAULT_RT_NS;
	return (div * RT_BITS_PER_CLOCK * NS_PER_S + AX_PL011_CLOCK_HZ - 1) / AX_PL011_CLOCK_HZ;
}

static void rt_raise(struct ax_pl011 *u)
{
	if (!(u->ris & INT_RT))
		u->rx_timeouts++;
	u->ris |= INT_RT;
}

static void rt_disarm(struct ax_pl011 *u)
{
	if (!u->rt_deadline)
		return;
	u->rt_deadline = 0;
	u->hooks->timer_disarm(u->hooks->ctx, u->timer);
}

/* A character arrived: the 32-bit-period silence starts again. */
static void rt_restart(struct ax_pl011 *u)
{
	const struct ax_host_hooks *h = u->hooks;

	if (!u->have_timers) {
		rt_raise(u); /* no clock: the timeout has zero length */
		return;
	}
	u->rt_deadline = h->now_ns(h->ctx) + rt_timeout_ns(u);
	h->timer_arm(h->ctx, u->timer, u->rt_deadline);
}

static void rt_fire(void *arg)
{
	struct ax_pl011 *u = arg;

	pl_lock(u);
	/* The host may run us late, or once more after a disarm or re-arm. */
	if (u->rt_deadline && u->hooks->now_ns(u->hooks->ctx) >= u->rt_deadline) {
		u->rt_deadline = 0;
		if (u->rx.count)
			rt_raise(u);
		update_irq(u);
	}
	pl_unlock(u);
}

/* --- modem lines --------------------------------------------------------- */

/* In loopback RTS drives CTS, DTR DSR, Out1 DCD and Out2 RI. */
static uint8_t current_lines(const struct ax_pl011 *u)
{
	uint8_t lines = 0;

	if (!loopback(u))
		return u->host_lines;
	if (u->cr & CR_RTS)
		lines |= AX_PL011_LINE_CTS;
	if (u->cr & CR_DTR)
		lines |= AX_PL011_LINE_DSR;
	if (u->cr & CR_OUT1)
		lines |= AX_PL011_LINE_DCD;
	if (u->cr & CR_OUT2)
		lines |= AX_PL011_LINE_RI;
	return lines;
}

static void refresh_lines(struct ax_pl011 *u)
{
	uint8_t now = current_lines(u);
	uint8_t changed = now ^ u->lines_now;

	if (changed & AX_PL011_LINE_CTS)
		u->ris |= INT_CTS;
	if (changed & AX_PL011_LINE_DSR)
		u->ris |= INT_DSR;
	if (changed & AX_PL011_LINE_DCD)
		u->ris |= INT_DCD;
	if (changed & AX_PL011_LINE_RI)
		u->ris |= INT_RI;
	u->lines_now = now;
}

/* --- receive and transmit ------------------------------------------------ */

/* A character reaching the receiver (host input or loopback). */
static void rx_arrive(struct ax_pl011 *u, uint8_t byte)
{
	if (u->rx.count >= fifo_capacity(u)) {
		/* Overrun: the FIFO keeps its contents, the character is lost. */
		u->rsr |= RSR_OE;
		u->ris |= INT_OE;
		u->oe_pending = true;
		u->rx_overruns++;
		return;
	}
	rx_push(&u->rx, (uint16_t)(byte | (u->oe_pending ? DR_OE : 0)));
	u->oe_pending = false;
	if (u->rx.count >= rx_trigger(u))
		u->ris |= INT_RX;
}

static void rx_flush(struct ax_pl011 *u)
{
	u->rx.head = 0;
	u->rx.count = 0;
	u->oe_pending = false;
	u->ris &= (uint16_t) ~(INT_RX | INT_RT);
	rt_disarm(u);
}

/* Data left the TX FIFO: the PL011 TX interrupt is this transition. */
static void tx_left(struct ax_pl011 *u)
{
	if (u->tx.count <= tx_trigger(u))
		u->ris |= INT_TX;
}

static void tx_flush(struct ax_pl011 *u)
{
	if (!u->tx.count)
		return;
	u->tx.head = 0;
	u->tx.count = 0;
	tx_left(u);
}

/* Offers the TX FIFO to the backend in contiguous chunks until it balks. */
static void tx_to_backend(struct ax_pl011 *u)
{
	const struct ax_char_backend *be = NULL;

	if (u->hooks->char_backend)
		be = u->hooks->char_backend(u->hooks->ctx, u->name);
	if (!be || !be->write) {
		u->tx_discarded += u->tx.count;
		u->tx.head = 0;
		u->tx.count = 0;
		return;
	}
	while (u->tx.count) {
		size_t chunk = AX_PL011_FIFO_SIZE - u->tx.head;
		size_t taken;

		if (chunk > u->tx.count)
			chunk = u->tx.count;
		taken = be->write(be->ctx, &u->tx.data[u->tx.head], chunk);
		if (taken > chunk)
			taken = chunk; /* a confused backend cannot take more than offered */
		tx_drop(&u->tx, taken);
		u->tx_bytes += taken;
		if (taken < chunk)
			break;
	}
}

static void tx_drain(struct ax_pl011 *u)
{
	size_t before = u->tx.count;

	if (!before)
		return;
	if (loopback(u)) {
		while (u->tx.count)
			rx_arrive(u, tx_pop(&u->tx));
		rt_restart(u);
	} else {
		tx_to_backend(u);
	}
	if (u->tx.count < before)
		tx_left(u);
}

/* --- registers ----------------------------------------------------------- */

static uint32_t dr_read(struct ax_pl011 *u)
{
	uint16_t entry;

	if (!u->rx.count)
		return 0;
	entry = rx_pop(&u->rx);
	/* RSR reports the errors of the character just read (OE is set at once). */
	u->rsr |= (uint16_t)((entry >> 8) & RSR_MASK);
	if (u->rx.count < rx_trigger(u))
		u->ris &= (uint16_t)~INT_RX;
	if (!u->rx.count) {
		u->ris &= (uint16_t)~INT_RT;
		rt_disarm(u);
	}
	return entry;
}

static void dr_write(struct ax_pl011 *u, uint32_t val)
{
	if ((u->cr & (CR_UARTEN | CR_TXE)) != (CR_UARTEN | CR_TXE))
		u->tx_while_disabled++;
	if (u->tx.count < fifo_capacity(u))
		tx_push(&u->tx, (uint8_t)val);
	else
		u->tx_dropped++;
	/* Filling above the level (a single write without FIFOs) clears TX. */
	if (u->tx.count > tx_trigger(u))
		u->ris &= (uint16_t)~INT_TX;
	tx_drain(u);
}

static uint32_t rsr_read(struct ax_pl011 *u)
{
	return u->rsr;
}

static void ecr_write(struct ax_pl011 *u, uint32_t val)
{
	(void)val;
	u->rsr = 0;
}

static uint16_t fr_value(const struct ax_pl011 *u)
{
	uint16_t fr = 0;

	if (u->lines_now & AX_PL011_LINE_CTS)
		fr |= FR_CTS;
	if (u->lines_now & AX_PL011_LINE_DSR)
		fr |= FR_DSR;
	if (u->lines_now & AX_PL011_LINE_DCD)
		fr |= FR_DCD;
	if (u->lines_now & AX_PL011_LINE_RI)
		fr |= FR_RI;
	if (u->tx.count)
		fr |= FR_BUSY; /* no shift register: busy while bytes wait */
	else
		fr |= FR_TXFE;
	if (!u->rx.count)
		fr |= FR_RXFE;
	if (u->tx.count >= fifo_capacity(u))
		fr |= FR_TXFF;
	if (u->rx.count >= fifo_capacity(u))
		fr |= FR_RXFF;
	return fr;
}

static uint32_t fr_read(struct ax_pl011 *u)
{
	return fr_value(u);
}

static uint32_t ilpr_read(struct ax_pl011 *u)
{
	return u->ilpr;
}

static void ilpr_write(struct ax_pl011 *u, uint32_t val)
{
	u->ilpr = (uint16_t)(val & 0xff);
}

static uint32_t ibrd_read(struct ax_pl011 *u)
{
	return u->ibrd;
}

static void ibrd_write(struct ax_pl011 *u, uint32_t val)
{
	u->ibrd = (uint16_t)val;
}

static uint32_t fbrd_read(struct ax_pl011 *u)
{
	return u->fbrd;
}

static void fbrd_write(struct ax_pl011 *u, uint32_t val)
{
	u->fbrd = (uint16_t)(val & 0x3f);
}

static uint32_t lcr_h_read(struct ax_pl011 *u)
{
	return u->lcr_h;
}

static void lcr_h_write(struct ax_pl011 *u, uint32_t val)
{
	bool fen_changed = ((u->lcr_h ^ val) & LCR_H_FEN) != 0;

	u->lcr_h = (uint16_t)(val & 0xff);
	/* The baud divisor registers take effect with an LCR_H write. */
	u->ibrd_latched = u->ibrd;
	u->fbrd_latched = u->fbrd;
	if (fen_changed) {
		rx_flush(u);
		tx_flush(u);
	}
}

static uint32_t cr_read(struct ax_pl011 *u)
{
	return u->cr;
}

static void cr_write(struct ax_pl011 *u, uint32_t val)
{
	u->cr = (uint16_t)(val & CR_MASK);
	refresh_lines(u);
	tx_drain(u); /* bytes held back by the backend follow the new path */
}

static uint32_t ifls_read(struct ax_pl011 *u)
{
	return u->ifls;
}

/* New levels apply to the FIFOs' current contents. */
static void ifls_write(struct ax_pl011 *u, uint32_t val)
{
	u->ifls = (uint16_t)(val & IFLS_MASK);
	if (u->rx.count && u->rx.count >= rx_trigger(u))
		u->ris |= INT_RX;
	else
		u->ris &= (uint16_t)~INT_RX;
	if (u->tx.count > tx_trigger(u))
		u->ris &= (uint16_t)~INT_TX;
}

static uint32_t imsc_read(struct ax_pl011 *u)
{
	return u->imsc;
}

static void imsc_write(struct ax_pl011 *u, uint32_t val)
{
	u->imsc = (uint16_t)(val & INT_MASK);
}

static uint32_t ris_read(struct ax_pl011 *u)
{
	return u->ris;
}

static uint32_t mis_read(struct ax_pl011 *u)
{
	return (uint32_t)(u->ris & u->imsc);
}

static void icr_write(struct ax_pl011 *u, uint32_t val)
{
	u->ris &= (uint16_t) ~(val & INT_MASK);
}

static uint32_t dmacr_read(struct ax_pl011 *u)
{
	return u->dmacr;
}

static void dmacr_write(struct ax_pl011 *u, uint32_t val)
{
	u->dmacr = (uint16_t)(val & DMACR_MASK);
}

struct pl011_reg {
	uint16_t offset;
	uint8_t widths; /* a mask of enum ax_width values */
	uint8_t id;	/* read-only constant (identification registers) */
	const char *name;
	uint32_t (*read)(struct ax_pl011 *u);		 /* NULL: write-only, reads 0 */
	void (*write)(struct ax_pl011 *u, uint32_t val); /* NULL: read-only, writes ignored */
};

/* The register map: offset, widths, id value, name, read, write. */
static const struct pl011_reg pl011_regs[] = {
	{ REG_DR, W_ANY, 0, "DR", dr_read, dr_write },
	{ REG_RSR, W_ANY, 0, "RSR/ECR", rsr_read, ecr_write },
	{ REG_FR, W_ANY, 0, "FR", fr_read, NULL },
	{ REG_ILPR, W_ANY, 0, "ILPR", ilpr_read, ilpr_write },
	{ REG_IBRD, W_WIDE, 0, "IBRD", ibrd_read, ibrd_write },
	{ REG_FBRD, W_ANY, 0, "FBRD", fbrd_read, fbrd_write },
	{ REG_LCR_H, W_ANY, 0, "LCR_H", lcr_h_read, lcr_h_write },
	{ REG_CR, W_WIDE, 0, "CR", cr_read, cr_write },
	{ REG_IFLS, W_ANY, 0, "IFLS", ifls_read, ifls_write },
	{ REG_IMSC, W_WIDE, 0, "IMSC", imsc_read, imsc_write },
	{ REG_RIS, W_WIDE, 0, "RIS", ris_read, NULL },
	{ REG_MIS, W_WIDE, 0, "MIS", mis_read, NULL },
	{ REG_ICR, W_WIDE, 0, "ICR", NULL, icr_write },
	{ REG_DMACR, W_ANY, 0, "DMACR", dmacr_read, dmacr_write },
	{ 0xfe0, W_ANY, 0x11, "PeriphID0", NULL, NULL },
	{ 0xfe4, W_ANY, 0x10, "PeriphID1", NULL, NULL },
	{ 0xfe8, W_ANY, 0x34, "PeriphID2", NULL, NULL },
	{ 0xfec, W_ANY, 0x00, "PeriphID3", NULL, NULL },
	{ 0xff0, W_ANY, 0x0d, "CellID0", NULL, NULL },
	{ 0xff4, W_ANY, 0xf0, "CellID1", NULL, NULL },
	{ 0xff8, W_ANY, 0x05, "CellID2", NULL, NULL },
	{ 0xffc, W_ANY, 0xb1, "CellID3", NULL, NULL },
};

static bool reg_is_id(const struct pl011_reg *reg)
{
	return reg->offset >= 0xfe0;
}

/* Finds the register of an access, counting what it refuses. */
static enum ax_err pl011_decode(struct ax_pl011 *u, const struct ax_access *acc,
				const struct pl011_reg **out)
{
	for (size_t i = 0; i < AX_ARRAY_SIZE(pl011_regs); i++) {
		if (pl011_regs[i].offset != acc->offset)
			continue;
		if (!(acc->width & pl011_regs[i].widths)) {
			u->bad_accesses++;
			return AX_ERR_INVALID_INPUT;
		}
		*out = &pl011_regs[i];
		return AX_OK;
	}
	u->bad_accesses++;
	return AX_ERR_BAD_ADDRESS; /* reserved, inside a register, or past the page */
}

static enum ax_err pl011_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct ax_pl011 *u = priv;
	const struct pl011_reg *reg;
	enum ax_err err;

	pl_lock(u);
	err = pl011_decode(u, acc, &reg);
	if (err == AX_OK) {
		if (reg_is_id(reg)) {
			*val = reg->id;
		} else if (reg->read) {
			*val = reg->read(u);
		} else {
			*val = 0;
			u->ignored_accesses++;
		}
		update_irq(u);
	}
	pl_unlock(u);
	return err;
}

static enum ax_err pl011_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct ax_pl011 *u = priv;
	const struct pl011_reg *reg;
	enum ax_err err;

	pl_lock(u);
	err = pl011_decode(u, acc, &reg);
	if (err == AX_OK) {
		/* A narrower write arrives zero-extended: APB has no byte lanes. */
		if (reg->write)
			reg->write(u, (uint32_t)val);
		else
			u->ignored_accesses++;
		update_irq(u);
	}
	pl_unlock(u);
	return err;
}

/* --- life cycle ---------------------------------------------------------- */

static void pl011_power_on(struct ax_pl011 *u)
{
	u->rsr = 0;
	u->ilpr = 0;
	u->ibrd = u->fbrd = 0;
	u->ibrd_latched = u->fbrd_latched = 0;
	u->lcr_h = 0;
	u->cr = CR_RESET;
	u->ifls = IFLS_RESET;
	u->imsc = 0;
	u->dmacr = 0;
	u->lines_now = u->host_lines;
	rx_flush(u);
	u->tx.head = 0;
	u->tx.count = 0;
	u->ris = 0;
}

static void pl011_reset(void *priv)
{
	struct ax_pl011 *u = priv;

	pl_lock(u);
	pl011_power_on(u);
	update_irq(u);
	pl_unlock(u);
}

static void pl011_destroy(void *priv)
{
	struct ax_pl011 *u = priv;

	/* Without the lock: timer_destroy waits for a running callback. */
	if (u->timer)
		u->hooks->timer_destroy(u->hooks->ctx, u->timer);
	u->magic = 0;
	ax_free(u->hooks, u);
}

static const struct ax_device_ops pl011_ops = {
	.read = pl011_read,
	.write = pl011_write,
	.reset = pl011_reset,
	.destroy = pl011_destroy,
};

/* cfg_list = [0 (mmio), 2 (reg_shift), 1 (model)] and a 4 KiB range. */
static enum ax_err pl011_parse_config(const struct ax_emu_config *cfg, struct ax_range *range,
				      struct ax_diag *diag)
{
	const char *name = cfg->name;

	if (cfg->cfg_len != 3 || !cfg->cfg_list || cfg->cfg_list[2] != AX_CONSOLE_MODEL_PL011)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": a PL011 console takes cfg_list [0 (mmio), 2 "
			       "(reg_shift), 1 (model PL011)]",
			       name);
	if (cfg->cfg_list[0] != 0)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list[0] (bus) is %llu; a PL011 is on the MMIO "
			       "bus only (0)",
			       name, (unsigned long long)cfg->cfg_list[0]);
	if (cfg->cfg_list[1] != AX_PL011_REG_SHIFT)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list[1] (reg_shift) is %llu; a PL011 has its "
			       "registers 4 bytes apart (reg_shift 2)",
			       name, (unsigned long long)cfg->cfg_list[1]);
	if (cfg->length < AX_PL011_MMIO_SIZE)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": length 0x%llx is too small for the PL011's register "
			       "page (needs 0x%x)",
			       name, (unsigned long long)cfg->length, AX_PL011_MMIO_SIZE);
	if (ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, range) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid on the "
			       "mmio bus",
			       name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	return AX_OK;
}

enum ax_err ax_pl011_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
			    struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *h = env->hooks;
	struct ax_pl011 *u;
	struct ax_range range;
	enum ax_err err;

	if (!cfg->name || !cfg->name[0] || ax_strnlen(cfg->name, AX_NAME_MAX) >= AX_NAME_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "console (PL011): device name is missing or longer than %d "
			       "characters",
			       AX_NAME_MAX - 1);
	err = pl011_parse_config(cfg, &range, diag);
	if (err != AX_OK)
		return err;

	u = ax_zalloc(h, sizeof(*u));
	if (!u)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	u->magic = PL011_MAGIC;
	ax_spin_init(&u->lock);
	u->hooks = h;
	u->lines = env->irq_lines;
	ax_strlcpy(u->name, cfg->name, sizeof(u->name));
	u->irq = cfg->irq_id;
	u->host_lines = AX_PL011_LINES_CONNECTED;
	if (h->now_ns && h->timer_create && h->timer_arm && h->timer_disarm && h->timer_destroy) {
		u->timer = h->timer_create(h->ctx, rt_fire, u);
		if (!u->timer) {
			ax_free(h, u);
			return ax_fail(diag, AX_ERR_NO_MEMORY,
				       "device \"%s\": the host could not create a timer",
				       cfg->name);
		}
		u->have_timers = true;
	}
	pl011_power_on(u);

	out->name = u->name;
	out->type = AX_EMU_CONSOLE;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable(AX_EMU_CONSOLE);
	out->nr_ranges = 1;
	out->ranges[0] = range;
	out->nr_irqs = 1;
	out->irqs[0] = (struct ax_irq_claim){ cfg->irq_id, AX_IRQ_LEVEL };
	out->ops = &pl011_ops;
	out->priv = u;
	return AX_OK;
}

/* --- host API ------------------------------------------------------------ */

enum ax_err ax_pl011_from_device(struct ax_devices *set, uint32_t id, struct ax_pl011 **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_CONSOLE, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_pl011 *)priv)->magic != PL011_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a 16550 console, or a host kind */
	*out = priv;
	return AX_OK;
}

size_t ax_pl011_push_input(struct ax_pl011 *uart, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	if (!uart || !buf)
		return 0;
	pl_lock(uart);
	/* A disabled receiver, or one in loopback, is cut off from the line. */
	if ((uart->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE) && !loopback(uart)) {
		size_t room = fifo_capacity(uart) - uart->rx.count;

		taken = len < room ? len : room;
		for (size_t i = 0; i < taken; i++)
			rx_arrive(uart, buf[i]);
		uart->rx_bytes += taken;
		if (taken)
			rt_restart(uart);
		update_irq(uart);
	}
	pl_unlock(uart);
	return taken;
}

size_t ax_pl011_poll_tx(struct ax_pl011 *uart)
{
	size_t left;

	if (!uart)
		return 0;
	pl_lock(uart);
	tx_drain(uart);
	update_irq(uart);
	left = uart->tx.count;
	pl_unlock(uart);
	return left;
}

void ax_pl011_set_modem_lines(struct ax_pl011 *uart, uint8_t lines)
{
	if (!uart)
		return;
	pl_lock(uart);
	uart->host_lines = lines & (AX_PL011_LINES_CONNECTED | AX_PL011_LINE_RI);
	refresh_lines(uart);
	update_irq(uart);
	pl_unlock(uart);
}

void ax_pl011_query(struct ax_pl011 *uart, struct ax_pl011_status *out)
{
	if (!uart || !out)
		return;
	pl_lock(uart);
	out->fr = fr_value(uart);
	out->rsr = uart->rsr;
	out->ilpr = uart->ilpr;
	out->ibrd = uart->ibrd;
	out->fbrd = uart->fbrd;
	out->lcr_h = uart->lcr_h;
	out->cr = uart->cr;
	out->ifls = uart->ifls;
	out->imsc = uart->imsc;
	out->ris = uart->ris;
	out->mis = (uint16_t)(uart->ris & uart->imsc);
	out->dmacr = uart->dmacr;
	out->ibrd_latched = uart->ibrd_latched;
	out->fbrd_latched = uart->fbrd_latched;
	out->irq_level = uart->irq_level;
	out->rx_count = uart->rx.count;
	out->rx_capacity = fifo_capacity(uart);
	out->tx_count = uart->tx.count;
	out->rx_timeout_ns = uart->have_timers ? rt_timeout_ns(uart) : 0;
	out->rx_timeout_armed = uart->rt_deadline != 0;
	out->rx_bytes = uart->rx_bytes;
	out->tx_bytes = uart->tx_bytes;
	out->tx_discarded = uart->tx_discarded;
	out->tx_dropped = uart->tx_dropped;
	out->tx_while_disabled = uart->tx_while_disabled;
	out->rx_overruns = uart->rx_overruns;
	out->rx_timeouts = uart->rx_timeouts;
	out->bad_accesses = uart->bad_accesses;
	out->ignored_accesses = uart->ignored_accesses;
	pl_unlock(uart);
}
