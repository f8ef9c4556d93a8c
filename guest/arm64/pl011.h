/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm PrimeCell UART (PL011), register map from DDI 0183. All of the
 * guest's text goes out through it.
 */
#ifndef GUEST_PL011_H
#define GUEST_PL011_H

#include <stdbool.h>
#include <stdint.h>

/* Register offsets. */
#define PL011_DR	0x000
#define PL011_RSR	0x004
#define PL011_FR	0x018
#define PL011_IBRD	0x024
#define PL011_FBRD	0x028
#define PL011_LCR_H	0x02c
#define PL011_CR	0x030
#define PL011_IFLS	0x034
#define PL011_IMSC	0x038
#define PL011_RIS	0x03c
#define PL011_MIS	0x040
#define PL011_ICR	0x044
#define PL011_DMACR	0x048
#define PL011_PERIPHID0 0xfe0
#define PL011_PERIPHID1 0xfe4
#define PL011_PERIPHID2 0xfe8
#define PL011_PCELLID0	0xff0
#define PL011_PCELLID1	0xff4
#define PL011_PCELLID2	0xff8
#define PL011_PCELLID3	0xffc

/* UARTFR */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

/* UARTLCR_H */
#define PL011_LCR_H_FEN	   (1u << 4)
#define PL011_LCR_H_WLEN_8 (3u << 5)

/* UARTCR */
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_LBE	(1u << 7)
#define PL011_CR_TXE	(1u << 8)
#define PL011_CR_RXE	(1u << 9)

/* UARTIMSC / RIS / MIS / ICR bits */
#define PL011_INT_RX  (1u << 4)
#define PL011_INT_TX  (1u << 5)
#define PL011_INT_RT  (1u << 6)
#define PL011_INT_ALL 0x7ffu

/* UARTDR: error flags above the data byte */
#define PL011_DR_DATA	0xffu
#define PL011_DR_ERRORS 0xf00u

uint32_t pl011_read(uint32_t reg);
void pl011_write(uint32_t reg, uint32_t value);

/* 8N1, FIFOs on, TX and RX enabled, interrupts masked. */
void pl011_init(void);

/* Writes bytes, waiting (bounded) while the TX FIFO is full. */
void pl011_write_bytes(const char *s, unsigned len);

/* Characters dropped because the TX FIFO never drained. */
unsigned pl011_tx_timeouts(void);

#endif
