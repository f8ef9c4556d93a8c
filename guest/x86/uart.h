/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550 UART driver, for a UART on the I/O port bus or on MMIO with its
 * registers (1 << reg_shift) bytes apart (accessed 32 bits wide, the low
 * byte carrying the register). The register map is uart16550_regs.h.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "uart16550_regs.h"

enum uart_bus {
	UART_BUS_PORT,
	UART_BUS_MMIO32,
};

struct uart {
	const char *name;
	enum uart_bus bus;
	uintptr_t base;
	unsigned reg_shift;
	bool present;	      /* passed the scratch-register probe at init */
	unsigned tx_timeouts; /* characters dropped because THRE never came */
};

uint8_t uart_read(const struct uart *u, unsigned reg);
void uart_write(const struct uart *u, unsigned reg, uint8_t value);

/* Probes (scratch register round trip) and programs 115200 8N1, FIFOs, OUT2|RTS|DTR. */
bool uart_init(struct uart *u);

/* Writes bytes, waiting (bounded) for THRE before each; does nothing if not present. */
void uart_write_bytes(struct uart *u, const char *s, unsigned len);

/* Waits (bounded) until the transmitter is empty; returns the last LSR value seen. */
uint8_t uart_drain(const struct uart *u);

#endif
