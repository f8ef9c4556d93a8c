/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550 UART on MMIO with its registers (1 << reg_shift) bytes apart,
 * accessed 32 bits wide (the low byte carries the register): the
 * datasheet's register map.
 */
#ifndef GUEST_UART16550_H
#define GUEST_UART16550_H

#include <stdbool.h>
#include <stdint.h>

/* Register indexes, before reg_shift. */
#define UART_RBR 0 /* receive buffer (read, DLAB=0) */
#define UART_THR 0 /* transmit holding (write, DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_LCR_WORD_8BITS 0x03
#define UART_LCR_DLAB	    0x80

#define UART_FCR_ENABLE	  0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DATA_READY 0x01
#define UART_LSR_THRE	    0x20
#define UART_LSR_TEMT	    0x40

#define UART_IER_RDI  0x01
#define UART_IER_THRE 0x02

#define UART_IIR_NO_INTERRUPT 0x01
#define UART_IIR_ID_MASK      0x0e
#define UART_IIR_ID_THRE      0x02
#define UART_IIR_FIFO_ENABLED 0xc0

#define UART_DIVISOR_115200 1

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
