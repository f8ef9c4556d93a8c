/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550 UART on MMIO with its registers (1 << reg_shift) bytes apart,
 * accessed 32 bits wide (the low byte carries the register): the
 * register map of uart16550_regs.h.
 */
#ifndef GUEST_UART16550_H
#define GUEST_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "uart16550_regs.h"

struct uart16550 {
	uintptr_t base;
	unsigned reg_shift;
	bool present;	      /* passed the scratch-register probe */
	unsigned tx_timeouts; /* characters dropped because THRE never came */
};

uint8_t uart16550_read(const struct uart16550 *u, unsigned reg);
void uart16550_write(const struct uart16550 *u, unsigned reg, uint8_t value);

/*
 * Probes (scratch round trip, with data aborts skipped: QEMU has nothing
 * there) and programs 115200 8N1, FIFOs, OUT2|RTS|DTR.
 */
bool uart16550_init(struct uart16550 *u);

void uart16550_write_bytes(struct uart16550 *u, const char *s, unsigned len);

/* Waits (bounded) until the transmitter is empty; returns the last LSR. */
uint8_t uart16550_drain(const struct uart16550 *u);

#endif
