/* SPDX-License-Identifier: Apache-2.0 */
#include "uart.h"

#include "cpu.h"

/* How many LSR polls a character may wait for THRE before it is dropped. */
#define UART_THRE_POLLS 100000u

uint8_t uart_read(const struct uart *u, unsigned reg)
{
	if (u->bus == UART_BUS_PORT)
		return inb((uint16_t)(u->base + (reg << u->reg_shift)));
	return (uint8_t)mmio_read32(u->base + (reg << u->reg_shift));
}

void uart_write(const struct uart *u, unsigned reg, uint8_t value)
{
	if (u->bus == UART_BUS_PORT)
		outb((uint16_t)(u->base + (reg << u->reg_shift)), value);
	else
		mmio_write32(u->base + (reg << u->reg_shift), value);
}

static bool uart_scratch_round_trip(const struct uart *u, uint8_t value)
{
	uart_write(u, UART_SCR, value);
	return uart_read(u, UART_SCR) == value;
}

bool uart_init(struct uart *u)
{
	u->present = uart_scratch_round_trip(u, 0x55) && uart_scratch_round_trip(u, 0xaa);
	if (!u->present)
		return false;

	uart_write(u, UART_IER, 0);
	uart_write(u, UART_LCR, UART_LCR_DLAB);
	uart_write(u, UART_DLL, UART_DIVISOR_115200 & 0xff);
	uart_write(u, UART_DLM, UART_DIVISOR_115200 >> 8);
	uart_write(u, UART_LCR, UART_LCR_WORD_8BITS);
	uart_write(u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	uart_write(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
	return true;
}

static bool uart_wait_thre(const struct uart *u)
{
	for (unsigned i = 0; i < UART_THRE_POLLS; i++) {
		if (uart_read(u, UART_LSR) & UART_LSR_THRE)
			return true;
		cpu_relax();
	}
	return false;
}

void uart_write_bytes(struct uart *u, const char *s, unsigned len)
{
	if (!u->present)
		return;
	for (unsigned i = 0; i < len; i++) {
		if (!uart_wait_thre(u)) {
			u->tx_timeouts++;
			continue;
		}
		uart_write(u, UART_THR, (uint8_t)s[i]);
	}
}

uint8_t uart_drain(const struct uart *u)
{
	uint8_t lsr = 0;

	for (unsigned i = 0; i < UART_THRE_POLLS; i++) {
		lsr = uart_read(u, UART_LSR);
		if (lsr & UART_LSR_TEMT)
			break;
		cpu_relax();
	}
	return lsr;
}
