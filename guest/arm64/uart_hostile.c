/* SPDX-License-Identifier: Apache-2.0 */
#include "uart_hostile.h"

#include "console.h"
#include "cpu.h"
#include "pl011.h"
#include "string.h"
#include "tap.h"
#include "uart16550_checks.h"

#define PL011_RESERVED 0x0f00u /* between the registers and the id block */
#define GARBAGE	       0xdeadbeefu
#define AFTER_16550    "axdevice arm64 demo guest: uart1 after the hostile writes\n"

static uint32_t rng_state = 0x2545f491u;

static uint32_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void pl011_abuse(void)
{
	uint32_t id0 = pl011_read(PL011_PERIPHID0);
	uint32_t fr;

	/* While the PL011 is garbled nothing may be printed: results are kept. */
	pl011_write(PL011_FR, GARBAGE);
	pl011_write(PL011_RIS, GARBAGE);
	pl011_write(PL011_MIS, GARBAGE);
	pl011_write(PL011_PERIPHID0, GARBAGE);
	pl011_write(PL011_PCELLID0, GARBAGE);
	pl011_write(PL011_RESERVED, GARBAGE);
	pl011_write(PL011_ICR, GARBAGE);
	pl011_write(PL011_IBRD, 0);
	pl011_write(PL011_FBRD, 0xff);
	pl011_write(PL011_LCR_H, 0xff);
	pl011_write(PL011_IFLS, GARBAGE);
	pl011_write(PL011_DMACR, GARBAGE);
	(void)pl011_read(PL011_RESERVED);
	(void)pl011_read(PL011_DR);
	pl011_init();
	fr = pl011_read(PL011_FR);
	tap_section("hostile: PL011 and 16550 register abuse");
	check_eq32(pl011_read(PL011_PERIPHID0), id0, "PL011 UARTPeriphID0 unchanged by a write");
	check(!(fr & PL011_FR_TXFF), "PL011 set up again after garbage: TX FIFO not full",
	      "FR 0x%x", fr);
	console_printf("# hostile: the PL011 still prints\n");
}

static void uart16550_abuse(void)
{
	if (!uart1.present) {
		check(false, "16550 uart1 present for abuse", "it did not answer its probe");
		return;
	}
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned reg = 0; reg < 8; reg++)
			uart16550_write(&uart1, reg, (uint8_t)next_random());
	}
	/* Wider than the registers, and past them. */
	mmio_write32(uart1.base + 0x20, GARBAGE);
	mmio_write32(uart1.base + 0xffc, GARBAGE);
	check(uart16550_init(&uart1), "16550 answers its probe again after garbage", "it does not");
	uart16550_write_bytes(&uart1, AFTER_16550, (unsigned)strlen(AFTER_16550));
	check(uart16550_drain(&uart1) & UART_LSR_TEMT && uart1.tx_timeouts == 0,
	      "16550 transmits after garbage (TEMT, no THRE timeouts)", "LSR 0x%x, %u dropped",
	      uart16550_read(&uart1, UART_LSR), uart1.tx_timeouts);
}

void uart_hostile_run(void)
{
	pl011_abuse();
	uart16550_abuse();
}
