/* SPDX-License-Identifier: Apache-2.0 */
#include "uart16550_checks.h"

#include "gic.h"
#include "platform.h"
#include "string.h"
#include "tap.h"
#include "wait.h"

#define IRQ_TIMEOUT_MS 1000u
#define LOOP_CHAR      0x5au
#define GREETING       "axdevice arm64 demo guest: hello through the 16550 uart1\n"

struct uart16550 uart1 = {
	.base = PLATFORM_UART16550_BASE,
	.reg_shift = PLATFORM_UART16550_REG_SHIFT,
};

static volatile uint32_t thre_seen;
static volatile uint32_t irq_iir;

/* Reading IIR retires a THRE interrupt; clearing IER keeps it from coming back. */
static void on_uart1(unsigned intid, unsigned source)
{
	(void)intid;
	(void)source;
	irq_iir = uart16550_read(&uart1, UART_IIR);
	uart16550_write(&uart1, UART_IER, 0);
	if (!(irq_iir & UART_IIR_NO_INTERRUPT) && (irq_iir & UART_IIR_ID_MASK) == UART_IIR_ID_THRE)
		thre_seen = 1;
}

static void registers(void)
{
	uint8_t lsr, iir;
	bool scratch_ok;

	uart16550_write(&uart1, UART_SCR, 0x5a);
	scratch_ok = uart16550_read(&uart1, UART_SCR) == 0x5a;
	uart16550_write(&uart1, UART_SCR, 0xa5);
	scratch_ok = scratch_ok && uart16550_read(&uart1, UART_SCR) == 0xa5;
	check(scratch_ok, "scratch register keeps 0x5a and 0xa5", "read 0x%x",
	      uart16550_read(&uart1, UART_SCR));
	check_eq32(uart16550_read(&uart1, UART_LCR), UART_LCR_WORD_8BITS,
		   "LCR reads back 8N1 (0x03)");
	iir = uart16550_read(&uart1, UART_IIR);
	check((iir & UART_IIR_FIFO_ENABLED) == UART_IIR_FIFO_ENABLED, "IIR reports FIFOs enabled",
	      "IIR 0x%x", iir);
	uart16550_write_bytes(&uart1, GREETING, (unsigned)strlen(GREETING));
	lsr = uart16550_drain(&uart1);
	check((lsr & (UART_LSR_THRE | UART_LSR_TEMT)) == (UART_LSR_THRE | UART_LSR_TEMT) &&
		      uart1.tx_timeouts == 0,
	      "a line goes out: LSR shows THRE and TEMT after it, no THRE timeouts",
	      "LSR 0x%x, %u dropped", lsr, uart1.tx_timeouts);
}

static void loopback(void)
{
	uint8_t mcr = uart16550_read(&uart1, UART_MCR);
	uint8_t lsr, rbr;

	while (uart16550_read(&uart1, UART_LSR) & UART_LSR_DATA_READY)
		(void)uart16550_read(&uart1, UART_RBR);
	uart16550_write(&uart1, UART_MCR, mcr | UART_MCR_LOOP);
	uart16550_write(&uart1, UART_THR, LOOP_CHAR);
	uart16550_drain(&uart1);
	lsr = uart16550_read(&uart1, UART_LSR);
	rbr = uart16550_read(&uart1, UART_RBR);
	uart16550_write(&uart1, UART_MCR, mcr);
	check((lsr & UART_LSR_DATA_READY) && rbr == LOOP_CHAR,
	      "MCR LOOP: a transmitted 0x5a comes back in RBR with LSR DR set",
	      "LSR 0x%x, RBR 0x%x", lsr, rbr);
}

/* Enabling the THRE interrupt with an empty transmitter raises it at once. */
static void thre_interrupt(void)
{
	thre_seen = 0;
	irq_iir = 0;
	uart16550_drain(&uart1);
	irq_set_handler(PLATFORM_UART16550_INTID, on_uart1);
	gic_enable(PLATFORM_UART16550_INTID, false);
	uart16550_write(&uart1, UART_IER, UART_IER_THRE);
	check(wait_until(&thre_seen, IRQ_TIMEOUT_MS), "THRE interrupt arrives at INTID 34",
	      "none in %u ms: last IIR 0x%x, IIR now 0x%x", IRQ_TIMEOUT_MS, irq_iir,
	      uart16550_read(&uart1, UART_IIR));
	uart16550_write(&uart1, UART_IER, 0);
	gic_disable(PLATFORM_UART16550_INTID);
	irq_set_handler(PLATFORM_UART16550_INTID, 0);
}

void uart16550_checks_run(void)
{
	tap_section("16550 uart1 (MMIO 0x09040000, reg_shift 2, INTID 34)");
	if (!check(uart16550_init(&uart1), "answers the scratch-register probe",
		   "nothing at 0x%lx (QEMU virt has no 16550 there); skipping uart1",
		   (unsigned long)PLATFORM_UART16550_BASE))
		return;
	registers();
	loopback();
	thre_interrupt();
}
