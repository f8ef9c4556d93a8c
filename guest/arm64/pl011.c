/* SPDX-License-Identifier: Apache-2.0 */
#include "pl011.h"

#include "cpu.h"
#include "platform.h"

/* How many FR polls a character may wait for room before it is dropped. */
#define PL011_TX_POLLS 1000000u

/* 115200 baud from QEMU virt's 24 MHz UARTCLK: 24e6 / (16 * 115200) = 13.02. */
#define PL011_IBRD_115200 13u
#define PL011_FBRD_115200 1u

static unsigned tx_timeouts;

uint32_t pl011_read(uint32_t reg)
{
	return mmio_read32(PLATFORM_PL011_BASE + reg);
}

void pl011_write(uint32_t reg, uint32_t value)
{
	mmio_write32(PLATFORM_PL011_BASE + reg, value);
}

void pl011_init(void)
{
	pl011_write(PL011_CR, 0);
	pl011_write(PL011_IMSC, 0);
	pl011_write(PL011_ICR, PL011_INT_ALL);
	pl011_write(PL011_IBRD, PL011_IBRD_115200);
	pl011_write(PL011_FBRD, PL011_FBRD_115200);
	pl011_write(PL011_LCR_H, PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN);
	pl011_write(PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

void pl011_write_bytes(const char *s, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned polls = 0;

		while ((pl011_read(PL011_FR) & PL011_FR_TXFF) && polls < PL011_TX_POLLS) {
			polls++;
			cpu_relax();
		}
		if (polls == PL011_TX_POLLS) {
			tx_timeouts++;
			continue;
		}
		pl011_write(PL011_DR, (uint8_t)s[i]);
	}
}

unsigned pl011_tx_timeouts(void)
{
	return tx_timeouts;
}
