/* SPDX-License-Identifier: Apache-2.0 */
#include "uart_checks.h"

#include "console.h"
#include "format.h"
#include "halt_wait.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "platform.h"
#include "tap.h"

#define UART_IRQ_TIMEOUT_MS 1000u

static struct uart *irq_uart;
static volatile bool thre_interrupt_seen;
static volatile uint8_t irq_iir;

/* Reading IIR retires a THRE interrupt; clearing IER keeps it from coming back. */
static void on_uart_interrupt(struct interrupt_frame *frame)
{
	(void)frame;
	irq_iir = uart_read(irq_uart, UART_IIR);
	uart_write(irq_uart, UART_IER, 0);
	if (!(irq_iir & UART_IIR_NO_INTERRUPT) && (irq_iir & UART_IIR_ID_MASK) == UART_IIR_ID_THRE)
		thre_interrupt_seen = true;
	lapic_eoi();
}

/* Enabling the THRE interrupt with an empty transmitter raises it at once (16550 datasheet). */
static void check_thre_interrupt(struct uart *u, unsigned gsi)
{
	char what[96];
	bool seen;

	snprintf(what, sizeof(what), "%s THRE interrupt arrives through I/O APIC GSI %u", u->name,
		 gsi);
	if (ioapic_redirection_entries() <= gsi) {
		check(false, what, "no I/O APIC entry for GSI %u", gsi);
		return;
	}
	irq_uart = u;
	thre_interrupt_seen = false;
	irq_iir = 0;
	uart_drain(u);
	interrupt_set_handler(VECTOR_UART, on_uart_interrupt);
	/* ISA-style line: edge-triggered, active high. */
	ioapic_route(gsi, VECTOR_UART, IOAPIC_EDGE, IOAPIC_ACTIVE_HIGH, lapic_id());
	uart_write(u, UART_IER, UART_IER_THRE);
	seen = halt_until(&thre_interrupt_seen, UART_IRQ_TIMEOUT_MS);
	uart_write(u, UART_IER, 0);
	ioapic_mask(gsi);
	interrupt_set_handler(VECTOR_UART, NULL);
	check(seen, what, "none within %u ms: last IIR 0x%x, IIR now 0x%x, %u timer wake-ups",
	      UART_IRQ_TIMEOUT_MS, irq_iir, uart_read(u, UART_IIR), halt_wait_timer_ticks());
}

static void check_one_uart(struct uart *u)
{
	char what[96];
	uint8_t lcr, lsr, iir;
	bool scratch_ok;

	snprintf(what, sizeof(what), "%s answered the scratch-register probe at boot", u->name);
	if (!check(u->present, what, "skipping %s", u->name))
		return;

	uart_write(u, UART_SCR, 0x5a);
	scratch_ok = uart_read(u, UART_SCR) == 0x5a;
	uart_write(u, UART_SCR, 0xa5);
	scratch_ok = scratch_ok && uart_read(u, UART_SCR) == 0xa5;
	snprintf(what, sizeof(what), "%s scratch register keeps 0x5a and 0xa5", u->name);
	check(scratch_ok, what, "read 0x%x", uart_read(u, UART_SCR));

	lcr = uart_read(u, UART_LCR);
	snprintf(what, sizeof(what), "%s LCR reads back 8N1 (0x03)", u->name);
	check_eq32(lcr, UART_LCR_WORD_8BITS, what);

	iir = uart_read(u, UART_IIR);
	snprintf(what, sizeof(what), "%s IIR reports FIFOs enabled", u->name);
	check((iir & UART_IIR_FIFO_ENABLED) == UART_IIR_FIFO_ENABLED, what, "IIR 0x%x", iir);

	console_printf("# output through %s and its sibling, then LSR is polled\n", u->name);
	lsr = uart_drain(u);
	snprintf(what, sizeof(what), "%s LSR shows THRE and TEMT after output", u->name);
	check((lsr & (UART_LSR_THRE | UART_LSR_TEMT)) == (UART_LSR_THRE | UART_LSR_TEMT), what,
	      "LSR 0x%x", lsr);

	snprintf(what, sizeof(what), "%s sent every character (no THRE timeouts)", u->name);
	check(u->tx_timeouts == 0, what, "%u characters dropped", u->tx_timeouts);
}

void uart_checks_run(void)
{
	tap_section("16550 UARTs com1 (port 0x3f8) and uart1 (MMIO 0xfe000000)");
	check_one_uart(&console_com1);
	check_one_uart(&console_uart1);
	if (console_com1.present)
		check_thre_interrupt(&console_com1, PLATFORM_COM1_IRQ);
	if (console_uart1.present)
		check_thre_interrupt(&console_uart1, PLATFORM_UART1_IRQ);
}
