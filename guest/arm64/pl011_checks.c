/* SPDX-License-Identifier: Apache-2.0 */
#include "pl011_checks.h"

#include "cpu.h"
#include "gic.h"
#include "pl011.h"
#include "platform.h"
#include "tap.h"
#include "timer.h"
#include "wait.h"

/* DDI 0183 3.3.14-3.3.15: UARTPeriphID0/1 and the PrimeCell id bytes. */
#define PL011_PERIPHID0_VALUE 0x11u
#define PL011_PERIPHID1_VALUE 0x10u
static const uint8_t pcell_id[4] = { 0x0d, 0xf0, 0x05, 0xb1 };

#define POLL_MS	       100u
#define IRQ_TIMEOUT_MS 1000u
/* Sent through the loopback path: a TAP comment, should a model also send it out. */
#define LOOPBACK_TEXT "# pl011 loopback\n"
#define IRQ_TEST_CHAR '\n'

static volatile uint32_t rx_irq_seen;
static volatile uint32_t rx_irq_mis, rx_irq_data, rx_irq_mis_after;

static bool wait_flags(uint32_t mask, uint32_t want)
{
	uint64_t deadline = timer_deadline_ms(POLL_MS);

	while ((pl011_read(PL011_FR) & mask) != want) {
		if (timer_expired(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

static void drain_rx(void)
{
	for (unsigned i = 0; i < 64 && !(pl011_read(PL011_FR) & PL011_FR_RXFE); i++)
		(void)pl011_read(PL011_DR);
}

/* Reads the character (which lowers RXINTR), clears what MIS showed, and looks again. */
static void on_rx(unsigned intid, unsigned source)
{
	(void)intid;
	(void)source;
	rx_irq_mis = pl011_read(PL011_MIS);
	rx_irq_data = pl011_read(PL011_DR);
	pl011_write(PL011_ICR, rx_irq_mis);
	rx_irq_mis_after = pl011_read(PL011_MIS);
	pl011_write(PL011_IMSC, 0);
	rx_irq_seen = 1;
}

static void identification(void)
{
	bool cell_ok = true;

	check_eq32(pl011_read(PL011_PERIPHID0) & 0xff, PL011_PERIPHID0_VALUE,
		   "UARTPeriphID0 is 0x11 (part 0x011)");
	check_eq32(pl011_read(PL011_PERIPHID1) & 0xff, PL011_PERIPHID1_VALUE,
		   "UARTPeriphID1 is 0x10 (designer Arm)");
	for (unsigned i = 0; i < 4; i++)
		cell_ok = cell_ok && (pl011_read(PL011_PCELLID0 + 4 * i) & 0xff) == pcell_id[i];
	check(cell_ok, "UARTPCellID0..3 read 0d f0 05 b1", "0x%x 0x%x 0x%x 0x%x",
	      pl011_read(PL011_PCELLID0), pl011_read(PL011_PCELLID1), pl011_read(PL011_PCELLID2),
	      pl011_read(PL011_PCELLID3));
}

struct loopback_result {
	unsigned sent, matched;
	uint32_t last_dr, fr_full, fr_empty;
	bool irq_seen;
	uint32_t ris, mis, fr; /* when no interrupt came */
};

/*
 * Runs with CR.LBE set, when the console's output would loop back too:
 * results are kept and printed afterwards.
 */
static void loopback(struct loopback_result *r)
{
	const char *text = LOOPBACK_TEXT;

	/* One-character holding register (FIFOs off), loopback on. */
	wait_flags(PL011_FR_BUSY, 0);
	pl011_write(PL011_CR, 0);
	pl011_write(PL011_LCR_H, PL011_LCR_H_WLEN_8);
	pl011_write(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE);
	drain_rx();
	for (r->sent = 0; text[r->sent]; r->sent++) {
		pl011_write(PL011_DR, (uint8_t)text[r->sent]);
		if (!wait_flags(PL011_FR_RXFE, 0))
			break;
		r->fr_full = pl011_read(PL011_FR);
		r->last_dr = pl011_read(PL011_DR);
		r->fr_empty = pl011_read(PL011_FR);
		if ((r->last_dr & (PL011_DR_DATA | PL011_DR_ERRORS)) != (uint8_t)text[r->sent])
			break;
		r->matched++;
	}

	/* The receive interrupt: RXIM unmasked, one character through the loop. */
	rx_irq_seen = 0;
	rx_irq_mis = rx_irq_data = rx_irq_mis_after = 0;
	pl011_write(PL011_ICR, PL011_INT_ALL);
	irq_set_handler(PLATFORM_PL011_INTID, on_rx);
	gic_enable(PLATFORM_PL011_INTID, false);
	pl011_write(PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	pl011_write(PL011_DR, IRQ_TEST_CHAR);
	r->irq_seen = wait_until(&rx_irq_seen, IRQ_TIMEOUT_MS);
	r->ris = pl011_read(PL011_RIS);
	r->mis = pl011_read(PL011_MIS);
	r->fr = pl011_read(PL011_FR);
	gic_disable(PLATFORM_PL011_INTID);
	pl011_write(PL011_IMSC, 0);
	irq_set_handler(PLATFORM_PL011_INTID, 0);
	drain_rx();
	pl011_write(PL011_CR, 0);
	pl011_write(PL011_LCR_H, PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
	pl011_write(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

static void loopback_checks(void)
{
	struct loopback_result r = { 0 };

	loopback(&r);
	check(r.matched == r.sent && r.sent == sizeof(LOOPBACK_TEXT) - 1,
	      "CR.LBE loops every transmitted character back to DR",
	      "%u of %u characters came back, last DR 0x%x", r.matched, r.sent, r.last_dr);
	check(!(r.fr_full & PL011_FR_RXFE) && (r.fr_empty & PL011_FR_RXFE),
	      "FR.RXFE clears with a character received and sets once it is read",
	      "FR 0x%x with data, 0x%x after the read", r.fr_full, r.fr_empty);
	if (!check(r.irq_seen, "a looped-back character raises the RX interrupt at INTID 33",
		   "none in %u ms: RIS 0x%x MIS 0x%x FR 0x%x", IRQ_TIMEOUT_MS, r.ris, r.mis, r.fr))
		return;
	check(rx_irq_mis & (PL011_INT_RX | PL011_INT_RT),
	      "UARTMIS shows the receive interrupt in the handler", "MIS 0x%x", rx_irq_mis);
	check_eq32(rx_irq_data & PL011_DR_DATA, IRQ_TEST_CHAR,
		   "the handler reads the looped-back character");
	check_eq32(rx_irq_mis_after, 0, "UARTMIS reads 0 after the read and UARTICR");
}

void pl011_checks_run(void)
{
	uint32_t fr;

	tap_section("PL011 uart0 (0x09000000, INTID 33)");
	identification();
	wait_flags(PL011_FR_TXFE | PL011_FR_BUSY, PL011_FR_TXFE);
	fr = pl011_read(PL011_FR);
	check((fr & (PL011_FR_TXFE | PL011_FR_TXFF | PL011_FR_BUSY)) == PL011_FR_TXFE,
	      "FR shows TXFE (not TXFF, not BUSY) once output drained", "FR 0x%x", fr);
	check_eq32(pl011_read(PL011_CR) & (PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE),
		   PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE,
		   "CR reads back UARTEN | TXE | RXE");
	loopback_checks();
	check(pl011_tx_timeouts() == 0, "no character was dropped waiting for TX room",
	      "%u dropped", pl011_tx_timeouts());
}
