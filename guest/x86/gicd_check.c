/* SPDX-License-Identifier: Apache-2.0 */
#include "gicd_check.h"

#include "cpu.h"
#include "platform.h"
#include "tap.h"

/* Distributor register map (ARM IHI 0048B, 4.1.2). */
#define GICD_CTLR	0x000
#define GICD_TYPER	0x004
#define GICD_IIDR	0x008
#define GICD_ISENABLER	0x100 /* n: + 4n, one bit per interrupt */
#define GICD_ICENABLER	0x180
#define GICD_ISPENDR	0x200
#define GICD_ICPENDR	0x280
#define GICD_IPRIORITYR 0x400 /* one byte per interrupt */
#define GICD_PIDR2	0xfe8

#define GICD_CTLR_ENABLE	 1u
#define GICD_TYPER_IT_LINES(v)	 ((v)&0x1f)
#define GICD_TYPER_CPU_NUMBER(v) (((v) >> 5) & 0x7)
#define GICD_PIDR2_ARCH_REV(v)	 (((v) >> 4) & 0xf)
#define GICD_ARCH_REV_GICV2	 2u

/* An SPI within the 64 configured interrupts: register 1 of each bit array, bit 8. */
#define TEST_INTERRUPT	  40u
#define TEST_BIT_REGISTER (4 * (TEST_INTERRUPT / 32))
#define TEST_BIT	  (1u << (TEST_INTERRUPT % 32))
#define TEST_PRIORITY	  0xa0u
/* At least 16 priority levels are implemented, so the top four bits always stick. */
#define PRIORITY_KEPT_BITS 0xf0u

static uint32_t gicd_read(uint32_t reg)
{
	return mmio_read32(PLATFORM_GICD_BASE + reg);
}

static void gicd_write(uint32_t reg, uint32_t value)
{
	mmio_write32(PLATFORM_GICD_BASE + reg, value);
}

/* Checks a set/clear register pair: set the test bit, see it in both, clear it, see it gone. */
static void check_set_clear_pair(uint32_t set_reg, uint32_t clear_reg, const char *set_name,
				 const char *clear_name, const char *what)
{
	uint32_t after_set_s, after_set_c, after_clear_s, after_clear_c;

	gicd_write(set_reg + TEST_BIT_REGISTER, TEST_BIT);
	after_set_s = gicd_read(set_reg + TEST_BIT_REGISTER);
	after_set_c = gicd_read(clear_reg + TEST_BIT_REGISTER);
	gicd_write(clear_reg + TEST_BIT_REGISTER, TEST_BIT);
	after_clear_s = gicd_read(set_reg + TEST_BIT_REGISTER);
	after_clear_c = gicd_read(clear_reg + TEST_BIT_REGISTER);

	check((after_set_s & TEST_BIT) && (after_set_c & TEST_BIT) && !(after_clear_s & TEST_BIT) &&
		      !(after_clear_c & TEST_BIT),
	      what, "after set: %s1=0x%x %s1=0x%x; after clear: 0x%x 0x%x", set_name, after_set_s,
	      clear_name, after_set_c, after_clear_s, after_clear_c);
}

void gicd_checks_run(void)
{
	uint32_t typer, iidr, pidr2, ctlr, prio8, prio32;
	const uint32_t it_lines = PLATFORM_GICD_INTERRUPTS / 32 - 1;

	tap_section("GICv2 distributor gicd");
	typer = gicd_read(GICD_TYPER);
	check(GICD_TYPER_IT_LINES(typer) == it_lines &&
		      GICD_TYPER_CPU_NUMBER(typer) == PLATFORM_GICD_CPUS - 1,
	      "TYPER: ITLinesNumber 1, CPUNumber 0", "TYPER 0x%x", typer);
	iidr = gicd_read(GICD_IIDR);
	check(iidr != 0 && iidr != 0xffffffffu, "IIDR is an implementer id", "IIDR 0x%x", iidr);
	pidr2 = gicd_read(GICD_PIDR2);
	check(GICD_PIDR2_ARCH_REV(pidr2) == GICD_ARCH_REV_GICV2, "PIDR2 ArchRev is 2 (GICv2)",
	      "PIDR2 0x%x", pidr2);

	gicd_write(GICD_CTLR, GICD_CTLR_ENABLE);
	ctlr = gicd_read(GICD_CTLR);
	gicd_write(GICD_CTLR, 0);
	check((ctlr & GICD_CTLR_ENABLE) && !(gicd_read(GICD_CTLR) & GICD_CTLR_ENABLE),
	      "CTLR enable bit sets and clears", "CTLR read 0x%x after enabling", ctlr);

	check_set_clear_pair(GICD_ISENABLER, GICD_ICENABLER, "ISENABLER", "ICENABLER",
			     "interrupt 40 enable via ISENABLER1, clear via ICENABLER1");
	check_set_clear_pair(GICD_ISPENDR, GICD_ICPENDR, "ISPENDR", "ICPENDR",
			     "interrupt 40 pending via ISPENDR1, clear via ICPENDR1");

	mmio_write8(PLATFORM_GICD_BASE + GICD_IPRIORITYR + TEST_INTERRUPT, TEST_PRIORITY);
	prio8 = mmio_read8(PLATFORM_GICD_BASE + GICD_IPRIORITYR + TEST_INTERRUPT);
	prio32 = gicd_read(GICD_IPRIORITYR + (TEST_INTERRUPT & ~3u));
	mmio_write8(PLATFORM_GICD_BASE + GICD_IPRIORITYR + TEST_INTERRUPT, 0);
	check((prio8 & PRIORITY_KEPT_BITS) == TEST_PRIORITY &&
		      ((prio32 >> (8 * (TEST_INTERRUPT & 3))) & PRIORITY_KEPT_BITS) ==
			      TEST_PRIORITY,
	      "IPRIORITYR byte for interrupt 40 keeps priority 0xa0",
	      "byte read 0x%x, IPRIORITYR10 read 0x%x", prio8, prio32);
}
