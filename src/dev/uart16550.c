/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550A UART (EmuDeviceType Console = 0). Register semantics follow the
 * National Semiconductor PC16550D datasheet; the behaviour the host sees
 * (wiring, backpressure, reset state) is described in
 * include/axdevice/uart16550.h.
 *
 * Transmission and reception are instantaneous: a THR write is handed to
 * the backend (or looped back) before the write returns. Everything the
 * guest can observe is derived from the two FIFOs and a handful of latched
 * bits, so IIR and the interrupt line are recomputed after every change.
 */
#include <stdatomic.h>

#include <axdevice/pl011.h>
#include <axdevice/uart16550.h>

#include "kinds.h"

#include "../core/util.h"

#define UART_MAGIC   0x31363535u /* "1655" */
#define UART_NR_REGS 8

/* Interrupt enable register. */
#define IER_RDI	 0x01 /* received data available (and char timeout) */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI	 0x08 /* modem status */
#define IER_MASK 0x0f /* bits 7:4 read 0 on a 16550A (Linux probes this) */

/* Interrupt identification register: the pending source, by priority. */
#define IIR_NO_INT  0x01
#define IIR_MSI	    0x00
#define IIR_THRI    0x02
#define IIR_RDI	    0x04
#define IIR_RLSI    0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFOS   0xc0 /* both set: "16550A with working FIFOs" */

/* FIFO control register (write-only). */
#define FCR_ENABLE	  0x01
#define FCR_CLEAR_RX	  0x02
#define FCR_CLEAR_TX	  0x04
#define FCR_DMA_MODE	  0x08
#define FCR_TRIGGER_SHIFT 6
#define FCR_STORED	  (FCR_ENABLE | FCR_DMA_MODE | 0xc0)

#define LCR_DLAB 0x80

/* Modem control register. */
#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f /* bits 7:5 read 0 on a 16550A (bit 5 is AFE on a 16750) */

/* Line status register. */
#define LSR_DR	   0x01
#define LSR_OE	   0x02
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI: what the line status interrupt reports */

/* Modem status register: deltas in the low half, lines in the high half. */
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_CTS	  AX_UART16550_LINE_CTS
#define MSR_DSR	  AX_UART16550_LINE_DSR
#define MSR_RI	  AX_UART16550_LINE_RI
#define MSR_DCD	  AX_UART16550_LINE_DCD
#define MSR_LINES 0xf0

#define POWER_ON_DIVISOR 0x000c

/* A ring of FIFO_SIZE bytes; in non-FIFO mode only one slot is used. */
struct uart_fifo {
	uint8_t data[AX_UART16550_FIFO_SIZE];
	uint8_t head;
	uint8_t count;
};

struct ax_uart16550 {
	uint32_t magic;
	struct ax_spinlock lock; /* guards everything below */
	const struct ax_host_hooks *hooks;
	struct ax_irq_lines *lines; /* irq is claimed level-triggered in the descriptor */
	char name[AX_NAME_MAX];	    /* the char backend is looked up by it */
	uint32_t irq;
	bool pc_irq_wiring;	/* port bus: OUT2 gates the line */
	uint8_t reg_shift;	/* 0 or 2 */
	uint8_t allowed_widths; /* a mask of enum ax_width values */

	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_errors; /* latched until LSR is read */
	uint8_t msr_lines;  /* modem lines the guest sees now */
	uint8_t msr_deltas; /* latched until MSR is read */
	uint8_t host_lines; /* modem inputs set by the host */
	bool thre_pending;  /* THRE interrupt latch (see uart_tx_emptied) */
	bool irq_level;	    /* last level given to the host */
	struct uart_fifo rx, tx;

	uint64_t rx_bytes, tx_bytes, tx_discarded, tx_dropped, rx_overruns;
};

/* --- lock ---------------------------------------------------------------- */

static void uart_lock(struct ax_uart16550 *u)
{
	ax_spin_lock(&u->lock, u->hooks);
}

static void uart_unlock(struct ax_uart16550 *u)
{
	ax_spin_unlock(&u->lock);
}

/* --- FIFOs --------------------------------------------------------------- */

static void fifo_push(struct uart_fifo *f, uint8_t byte)
{
	f->data[(f->head + f->count) % AX_UART16550_FIFO_SIZE] = byte;
	f->count++;
}

static uint8_t fifo_pop(struct uart_fifo *f)
{
	uint8_t byte = f->data[f->head];

	f->head = (uint8_t)((f->head + 1) % AX_UART16550_FIFO_SIZE);
	f->count--;
	return byte;
}

static void fifo_drop(struct uart_fifo *f, size_t n)
{
	f->head = (uint8_t)((f->head + n) % AX_UART16550_FIFO_SIZE);
	f->count = (uint8_t)(f->count - n);
}

static void fifo_clear(struct uart_fifo *f)
{
	f->head = 0;
	f->count = 0;
}

static bool uart_fifos_on(const struct ax_uart16550 *u)
{
	return u->fcr & FCR_ENABLE;
}

/* Without FIFOs, RBR and THR are single holding registers. */
static size_t uart_fifo_capacity(const struct ax_uart16550 *u)
{
	return uart_fifos_on(u) ? AX_UART16550_FIFO_SIZE : 1;
}

static size_t uart_rx_trigger(const struct ax_uart16550 *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };

	return uart_fifos_on(u) ? levels[u->fcr >> FCR_TRIGGER_SHIFT] : 1;
}

static bool uart_loopback(const struct ax_uart16550 *u)
{
	return u->mcr & MCR_LOOP;
}

/* --- interrupts ---------------------------------------------------------- */

/* The highest-priority enabled source, as IIR[3:0] encodes it. */
static uint8_t uart_pending_source(const struct ax_uart16550 *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr_errors & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx.count)
		return u->rx.count >= uart_rx_trigger(u) ? IIR_RDI : IIR_TIMEOUT;
	if ((u->ier & IER_THRI) && u->thre_pending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && u->msr_deltas)
		return IIR_MSI;
	return IIR_NO_INT;
}

static bool uart_irq_connected(const struct ax_uart16550 *u)
{
	return !u->pc_irq_wiring || ((u->mcr & MCR_OUT2) && !uart_loopback(u));
}

/* Drives the line to its new level; called with the lock held. */
static void uart_update_irq(struct ax_uart16550 *u)
{
	bool level = uart_pending_source(u) != IIR_NO_INT && uart_irq_connected(u);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	ax_irq_line_set_level(u->lines, u->irq, level);
}

/* --- modem lines --------------------------------------------------------- */

/* In loopback the four modem outputs drive the four inputs. */
static uint8_t uart_current_lines(const struct ax_uart16550 *u)
{
	uint8_t lines = 0;

	if (!uart_loopback(u))
		return u->host_lines;
	if (u->mcr & MCR_DTR)
		lines |= MSR_DSR;
	if (u->mcr & MCR_RTS)
		lines |= MSR_CTS;
	if (u->mcr & MCR_OUT1)
		lines |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		lines |= MSR_DCD;
	return lines;
}

static void uart_refresh_lines(struct ax_uart16550 *u)
{
	uint8_t now = uart_current_lines(u);
	uint8_t changed = now ^ u->msr_lines;

	if (changed & MSR_CTS)
		u->msr_deltas |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_deltas |= MSR_DDSR;
	if (changed & MSR_DCD)
		u->msr_deltas |= MSR_DDCD;
	if ((changed & MSR_RI) && !(now & MSR_RI))
		u->msr_deltas |= MSR_TERI; /* trailing edge only */
	u->msr_lines = now;
}

/* --- transmit and receive ------------------------------------------------ */

/* THRE raises its interrupt when the transmitter runs dry. */
static void uart_tx_emptied(struct ax_uart16550 *u)
{
	u->thre_pending = true;
}

static void uart_clear_tx(struct ax_uart16550 *u)
{
	if (!u->tx.count)
		return;
	fifo_clear(&u->tx);
	uart_tx_emptied(u);
}

/* A character arriving at the receiver from the loopback path. */
static void uart_rx_arrive(struct ax_uart16550 *u, uint8_t byte)
{
	if (u->rx.count < uart_fifo_capacity(u)) {
		fifo_push(&u->rx, byte);
		return;
	}
	/* Overrun: a FIFO keeps its contents, a holding register is overwritten. */
	u->lsr_errors |= LSR_OE;
	u->rx_overruns++;
	if (!uart_fifos_on(u))
		u->rx.data[u->rx.head] = byte;
}

/* Offers the TX FIFO to the backend in contiguous chunks until it balks. */
static void uart_tx_to_backend(struct ax_uart16550 *u)
{
	const struct ax_char_backend *be = NULL;

	if (u->hooks->char_backend)
		be = u->hooks->char_backend(u->hooks->ctx, u->name);
	if (!be || !be->write) {
		u->tx_discarded += u->tx.count;
		fifo_clear(&u->tx);
		return;
	}
	while (u->tx.count) {
		size_t chunk = AX_UART16550_FIFO_SIZE - u->tx.head;
		size_t taken;

		if (chunk > u->tx.count)
			chunk = u->tx.count;
		taken = be->write(be->ctx, &u->tx.data[u->tx.head], chunk);
		if (taken > chunk)
			taken = chunk; /* a confused backend cannot take more than offered */
		fifo_drop(&u->tx, taken);
		u->tx_bytes += taken;
		if (taken < chunk)
			break;
	}
}

static void uart_tx_drain(struct ax_uart16550 *u)
{
	if (!u->tx.count)
		return;
	if (uart_loopback(u)) {
		while (u->tx.count)
			uart_rx_arrive(u, fifo_pop(&u->tx));
	} else {
		uart_tx_to_backend(u);
	}
	if (!u->tx.count)
		uart_tx_emptied(u);
}

/* --- registers ----------------------------------------------------------- */

static uint8_t rbr_read(struct ax_uart16550 *u)
{
	return u->rx.count ? fifo_pop(&u->rx) : 0;
}

static void thr_write(struct ax_uart16550 *u, uint8_t val)
{
	if (u->tx.count < uart_fifo_capacity(u))
		fifo_push(&u->tx, val);
	else
		u->tx_dropped++;
	u->thre_pending = false;
	uart_tx_drain(u);
}

static uint8_t ier_read(struct ax_uart16550 *u)
{
	return u->ier;
}

static void ier_write(struct ax_uart16550 *u, uint8_t val)
{
	uint8_t enabled = (uint8_t)(val & ~u->ier);

	u->ier = val & IER_MASK;
	/* Enabling THRE interrupts with an empty transmitter raises one at once. */
	if ((enabled & IER_THRI) && !u->tx.count)
		uart_tx_emptied(u);
}

static uint8_t iir_read(struct ax_uart16550 *u)
{
	uint8_t source = uart_pending_source(u);

	if (source == IIR_THRI)
		u->thre_pending = false; /* reading IIR acknowledges THRE */
	return (uint8_t)(source | (uart_fifos_on(u) ? IIR_FIFOS : 0));
}

static void fcr_write(struct ax_uart16550 *u, uint8_t val)
{
	bool enable = val & FCR_ENABLE;

	if (enable != uart_fifos_on(u)) {
		/* Switching modes empties both FIFOs. */
		fifo_clear(&u->rx);
		uart_clear_tx(u);
	}
	if (!enable) {
		/* The other bits are programmed only together with FCR0 = 1. */
		u->fcr &= (uint8_t)~FCR_ENABLE;
		return;
	}
	if (val & FCR_CLEAR_RX)
		fifo_clear(&u->rx);
	if (val & FCR_CLEAR_TX)
		uart_clear_tx(u);
	u->fcr = val & FCR_STORED;
}

static uint8_t lcr_read(struct ax_uart16550 *u)
{
	return u->lcr;
}

static void lcr_write(struct ax_uart16550 *u, uint8_t val)
{
	u->lcr = val;
}

static uint8_t mcr_read(struct ax_uart16550 *u)
{
	return u->mcr;
}

static void mcr_write(struct ax_uart16550 *u, uint8_t val)
{
	u->mcr = val & MCR_MASK;
	uart_refresh_lines(u);
	uart_tx_drain(u); /* bytes held back by the backend follow the new path */
}

static uint8_t lsr_peek(const struct ax_uart16550 *u)
{
	uint8_t lsr = u->lsr_errors;

	if (u->rx.count)
		lsr |= LSR_DR;
	if (!u->tx.count)
		lsr |= LSR_THRE | LSR_TEMT; /* no shift register: it empties with the FIFO */
	return lsr;
}

static uint8_t lsr_read(struct ax_uart16550 *u)
{
	uint8_t lsr = lsr_peek(u);

	u->lsr_errors = 0;
	return lsr;
}

static uint8_t msr_peek(const struct ax_uart16550 *u)
{
	return (uint8_t)(u->msr_lines | u->msr_deltas);
}

static uint8_t msr_read(struct ax_uart16550 *u)
{
	uint8_t msr = msr_peek(u);

	u->msr_deltas = 0;
	return msr;
}

static uint8_t scr_read(struct ax_uart16550 *u)
{
	return u->scr;
}

static void scr_write(struct ax_uart16550 *u, uint8_t val)
{
	u->scr = val;
}

static uint8_t dll_read(struct ax_uart16550 *u)
{
	return u->dll;
}

static void dll_write(struct ax_uart16550 *u, uint8_t val)
{
	u->dll = val;
}

static uint8_t dlm_read(struct ax_uart16550 *u)
{
	return u->dlm;
}

static void dlm_write(struct ax_uart16550 *u, uint8_t val)
{
	u->dlm = val;
}

/* Writes to LSR (factory test) and MSR have no effect on a 16550A. */
static void ignore_write(struct ax_uart16550 *u, uint8_t val)
{
	(void)u;
	(void)val;
}

struct uart_reg {
	const char *name; /* read name / write name */
	uint8_t (*read)(struct ax_uart16550 *u);
	void (*write)(struct ax_uart16550 *u, uint8_t val);
};

/* Indexed by register number (offset >> reg_shift), LCR.DLAB = 0. */
static const struct uart_reg uart_regs[UART_NR_REGS] = {
	{ "RBR/THR", rbr_read, thr_write }, { "IER", ier_read, ier_write },
	{ "IIR/FCR", iir_read, fcr_write }, { "LCR", lcr_read, lcr_write },
	{ "MCR", mcr_read, mcr_write },	    { "LSR", lsr_read, ignore_write },
	{ "MSR", msr_read, ignore_write },  { "SCR", scr_read, scr_write },
};

/* With LCR.DLAB = 1 the first two registers become the divisor latch. */
static const struct uart_reg uart_dlab_regs[2] = {
	{ "DLL", dll_read, dll_write },
	{ "DLM", dlm_read, dlm_write },
};

static enum ax_err uart_decode(const struct ax_uart16550 *u, const struct ax_access *acc,
			       const struct uart_reg **reg)
{
	uint64_t stride_mask = ((uint64_t)1 << u->reg_shift) - 1;
	uint64_t index = acc->offset >> u->reg_shift;

	if (!(acc->width & u->allowed_widths))
		return AX_ERR_INVALID_INPUT;
	if ((acc->offset & stride_mask) || index >= UART_NR_REGS)
		return AX_ERR_BAD_ADDRESS;
	if ((u->lcr & LCR_DLAB) && index < AX_ARRAY_SIZE(uart_dlab_regs))
		*reg = &uart_dlab_regs[index];
	else
		*reg = &uart_regs[index];
	return AX_OK;
}

static enum ax_err uart_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct ax_uart16550 *u = priv;
	const struct uart_reg *reg;
	enum ax_err err;

	uart_lock(u); /* DLAB selects the register: decode under the lock */
	err = uart_decode(u, acc, &reg);
	if (err == AX_OK) {
		*val = reg->read(u);
		uart_update_irq(u);
	}
	uart_unlock(u);
	return err;
}

static enum ax_err uart_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct ax_uart16550 *u = priv;
	const struct uart_reg *reg;
	enum ax_err err;

	uart_lock(u);
	err = uart_decode(u, acc, &reg);
	if (err == AX_OK) {
		reg->write(u,
			   (uint8_t)val); /* a 4-byte access carries the register in its low byte */
		uart_update_irq(u);
	}
	uart_unlock(u);
	return err;
}

/* --- life cycle ---------------------------------------------------------- */

static void uart_power_on(struct ax_uart16550 *u)
{
	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->scr = 0;
	u->dll = POWER_ON_DIVISOR & 0xff;
	u->dlm = POWER_ON_DIVISOR >> 8;
	u->lsr_errors = 0;
	u->msr_lines = u->host_lines;
	u->msr_deltas = 0;
	u->thre_pending = false;
	fifo_clear(&u->rx);
	fifo_clear(&u->tx);
}

static void uart_reset(void *priv)
{
	struct ax_uart16550 *u = priv;

	uart_lock(u);
	uart_power_on(u);
	uart_update_irq(u);
	uart_unlock(u);
}

static void uart_destroy(void *priv)
{
	struct ax_uart16550 *u = priv;

	u->magic = 0;
	ax_free(u->hooks, u);
}

static const struct ax_device_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
	.reset = uart_reset,
	.destroy = uart_destroy,
};

/* Reads cfg_list = [bus, reg_shift] and the range, explaining any refusal. */
static enum ax_err uart_parse_config(const struct ax_emu_config *cfg, enum ax_bus *bus,
				     unsigned *reg_shift, struct ax_range *range,
				     struct ax_diag *diag)
{
	const char *name = cfg->name;
	uint64_t bus_cfg = 0, shift_cfg = 0, span;

	/* A third value selects another model (pl011.h); the 16550 is its absence. */
	if (cfg->cfg_len == 3)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has 3 entries; a 16550 console takes at "
			       "most 2 (bus, reg_shift): cfg_list[2] (model) is %llu, and only 1 "
			       "(PL011) may be given",
			       name, (unsigned long long)(cfg->cfg_list ? cfg->cfg_list[2] : 0));
	if (cfg->cfg_len > 3)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list has %zu entries; a console takes at most 2 "
			       "(bus, reg_shift), or 3 with model 1 (PL011)",
			       name, cfg->cfg_len);
	if (cfg->cfg_len && !cfg->cfg_list)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device \"%s\": cfg_list is missing",
			       name);
	if (cfg->cfg_len > 0)
		bus_cfg = cfg->cfg_list[0];
	if (cfg->cfg_len > 1)
		shift_cfg = cfg->cfg_list[1];

	if (bus_cfg == AX_UART16550_BUS_MMIO)
		*bus = AX_BUS_MMIO;
	else if (bus_cfg == AX_UART16550_BUS_PORT)
		*bus = AX_BUS_PORT;
	else
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list[0] (bus) is %llu; expected 0 (mmio) or "
			       "1 (port)",
			       name, (unsigned long long)bus_cfg);
	if (shift_cfg != 0 && shift_cfg != 2)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": cfg_list[1] (reg_shift) is %llu; expected 0 or 2",
			       name, (unsigned long long)shift_cfg);
	*reg_shift = (unsigned)shift_cfg;

	span = (uint64_t)UART_NR_REGS << shift_cfg;
	if (cfg->length < span)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": length 0x%llx is too small for 8 registers with "
			       "reg_shift %u (needs 0x%llx)",
			       name, (unsigned long long)cfg->length, *reg_shift,
			       (unsigned long long)span);
	if (*bus == AX_BUS_PORT &&
	    (cfg->base_gpa > AX_PORT_LIMIT || cfg->length - 1 > AX_PORT_LIMIT - cfg->base_gpa))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": ports 0x%llx + 0x%llx go beyond port 0xffff", name,
			       (unsigned long long)cfg->base_gpa, (unsigned long long)cfg->length);
	if (ax_range_new(*bus, cfg->base_gpa, cfg->length, range) != AX_OK)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid on the "
			       "%s bus",
			       name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length, ax_bus_name(*bus));
	return AX_OK;
}

enum ax_err ax_uart16550_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				struct ax_device_desc *out, struct ax_diag *diag)
{
	struct ax_uart16550 *u;
	struct ax_range range;
	enum ax_bus bus = AX_BUS_MMIO;
	unsigned reg_shift = 0;
	enum ax_err err;

	if (!cfg->name || !cfg->name[0] || ax_strnlen(cfg->name, AX_NAME_MAX) >= AX_NAME_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "console: device name is missing or longer than %d characters",
			       AX_NAME_MAX - 1);
	/* cfg_list[2] == 1 (AX_CONSOLE_MODEL_PL011): the console is a PL011. */
	if (cfg->cfg_len == 3 && cfg->cfg_list && cfg->cfg_list[2] == AX_CONSOLE_MODEL_PL011)
		return ax_pl011_create(env, cfg, out, diag);
	err = uart_parse_config(cfg, &bus, &reg_shift, &range, diag);
	if (err != AX_OK)
		return err;

	u = ax_zalloc(env->hooks, sizeof(*u));
	if (!u)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	u->magic = UART_MAGIC;
	ax_spin_init(&u->lock);
	u->hooks = env->hooks;
	u->lines = env->irq_lines;
	ax_strlcpy(u->name, cfg->name, sizeof(u->name));
	u->irq = cfg->irq_id;
	u->pc_irq_wiring = bus == AX_BUS_PORT;
	u->reg_shift = (uint8_t)reg_shift;
	u->allowed_widths = reg_shift ? AX_WIDTH_BYTE | AX_WIDTH_DWORD : AX_WIDTH_BYTE;
	u->host_lines = AX_UART16550_LINES_CONNECTED;
	uart_power_on(u);

	out->name = u->name;
	out->type = AX_EMU_CONSOLE;
	out->bus = bus;
	out->removable = ax_emu_type_removable(AX_EMU_CONSOLE);
	out->nr_ranges = 1;
	out->ranges[0] = range;
	out->nr_irqs = 1;
	out->irqs[0] = (struct ax_irq_claim){ cfg->irq_id, AX_IRQ_LEVEL };
	out->ops = &uart_ops;
	out->priv = u;
	return AX_OK;
}

/* --- host API ------------------------------------------------------------ */

enum ax_err ax_uart16550_from_device(struct ax_devices *set, uint32_t id, struct ax_uart16550 **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_CONSOLE, &priv);

	if (err != AX_OK)
		return err;
	if (((struct ax_uart16550 *)priv)->magic != UART_MAGIC)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = priv;
	return AX_OK;
}

size_t ax_uart16550_push_input(struct ax_uart16550 *uart, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	if (!uart || !buf)
		return 0;
	uart_lock(uart);
	/* In loopback the receiver is cut off from the line. */
	if (!uart_loopback(uart)) {
		size_t room = uart_fifo_capacity(uart) - uart->rx.count;

		taken = len < room ? len : room;
		for (size_t i = 0; i < taken; i++)
			fifo_push(&uart->rx, buf[i]);
		uart->rx_bytes += taken;
		uart_update_irq(uart);
	}
	uart_unlock(uart);
	return taken;
}

size_t ax_uart16550_poll_tx(struct ax_uart16550 *uart)
{
	size_t left;

	if (!uart)
		return 0;
	uart_lock(uart);
	uart_tx_drain(uart);
	uart_update_irq(uart);
	left = uart->tx.count;
	uart_unlock(uart);
	return left;
}

void ax_uart16550_set_modem_lines(struct ax_uart16550 *uart, uint8_t lines)
{
	if (!uart)
		return;
	uart_lock(uart);
	uart->host_lines = lines & MSR_LINES;
	uart_refresh_lines(uart);
	uart_update_irq(uart);
	uart_unlock(uart);
}

void ax_uart16550_query(struct ax_uart16550 *uart, struct ax_uart16550_status *out)
{
	if (!uart || !out)
		return;
	uart_lock(uart);
	out->ier = uart->ier;
	out->iir = (uint8_t)(uart_pending_source(uart) | (uart_fifos_on(uart) ? IIR_FIFOS : 0));
	out->fcr = uart->fcr;
	out->lcr = uart->lcr;
	out->mcr = uart->mcr;
	out->lsr = lsr_peek(uart);
	out->msr = msr_peek(uart);
	out->scr = uart->scr;
	out->divisor = (uint16_t)(uart->dlm << 8 | uart->dll);
	out->irq_level = uart->irq_level;
	out->rx_count = uart->rx.count;
	out->rx_capacity = uart_fifo_capacity(uart);
	out->tx_count = uart->tx.count;
	out->rx_bytes = uart->rx_bytes;
	out->tx_bytes = uart->tx_bytes;
	out->tx_discarded = uart->tx_discarded;
	out->tx_dropped = uart->tx_dropped;
	out->rx_overruns = uart->rx_overruns;
	uart_unlock(uart);
}
