/* SPDX-License-Identifier: Apache-2.0 */
#include "uart16550.h"

#include "cpu.h"
#include "exceptions.h"

#define UART_THRE_POLLS 100000u

uint8_t uart16550_read(const struct uart16550 *u, unsigned reg)
{
	return (uint8_t)mmio_read32(u->base + (reg << u->reg_shift));
}

void uart16550_write(const struct uart16550 *u, unsigned reg, uint8_t value)
{
	mmio_write32(u->base + (reg << u->reg_shift), value);
}

static bool scratch_round_trip(const struct uart16550 *u, uint8_t value)
{
	uart16550_write(u, UART_SCR, value);
	return uart16550_read(u, UART_SCR) == value;
}

bool uart16550_init(struct uart16550 *u)
{
	bool ok;

	exceptions_probe_begin();
	ok = scratch_round_trip(u, 0x55) && scratch_round_trip(u, 0xaa);
	u->present = exceptions_probe_end() == 0 && ok;
	if (!u->present)
		return false;
	uart16550_write(u, UART_IER, 0);
	uart16550_write(u, UART_LCR, UART_LCR_DLAB);
	uart16550_write(u, UART_DLL, UART_DIVISOR_115200 & 0xff);
	uart16550_write(u, UART_DLM, UART_DIVISOR_115200 >> 8);
	uart16550_write(u, UART_LCR, UART_LCR_WORD_8BITS);
	uart16550_write(u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	uart16550_write(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
	return true;
}

static bool wait_thre(const struct uart16550 *u)
{
	for (unsigned i = 0; i < UART_THRE_POLLS; i++) {
		if (uart16550_read(u, UART_LSR) & UART_LSR_THRE)
			return true;
		cpu_relax();
	}
	return false;
}

void uart16550_write_bytes(struct uart16550 *u, const char *s, unsigned len)
{
	if (!u->present)
		return;
	for (unsigned i = 0; i < len; i++) {
		if (!wait_thre(u)) {
			u->tx_timeouts++;
			continue;
		}
		uart16550_write(u, UART_THR, (uint8_t)s[i]);
	}
}

uint8_t uart16550_drain(const struct uart16550 *u)
{
	uint8_t lsr = 0;

	for (unsigned i = 0; i < UART_THRE_POLLS; i++) {
		lsr = uart16550_read(u, UART_LSR);
		if (lsr & UART_LSR_TEMT)
			break;
		cpu_relax();
	}
	return lsr;
}
