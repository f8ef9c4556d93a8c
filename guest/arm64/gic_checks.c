/* SPDX-License-Identifier: Apache-2.0 */
#include "gic_checks.h"

#include "cpu.h"
#include "gic.h"
#include "gic_regs.h"
#include "platform.h"
#include "tap.h"
#include "wait.h"

/* An SPI no device drives: the software-pended test interrupt. */
#define TEST_SPI       40u
#define IRQ_TIMEOUT_MS 1000u
#define PRIORITY_PROBE 0xffu
/* At least 5 priority bits are implemented (IHI 0048B 3.3, IHI 0069 4.8). */
#define PRIORITY_MIN_BITS 0xf8u

static volatile uint32_t test_spi_seen;

static void on_test_spi(unsigned intid, unsigned source)
{
	(void)source;
	if (intid == TEST_SPI)
		test_spi_seen = 1;
}

static uint8_t read_byte_reg(uint32_t base, unsigned intid)
{
	uint32_t word = gicd_read(base + (intid & ~3u));

	return (uint8_t)(word >> (8 * (intid & 3)));
}

static void write_byte_reg(uint32_t base, unsigned intid, uint8_t value)
{
	uint32_t reg = base + (intid & ~3u);
	unsigned shift = 8 * (intid & 3);
	uint32_t word = gicd_read(reg) & ~(0xffu << shift);

	gicd_write(reg, word | ((uint32_t)value << shift));
}

static void common_distributor_checks(void)
{
	uint32_t typer = gicd_read(GICD_TYPER);
	uint32_t bit = 1u << (TEST_SPI % 32);
	uint32_t word = (TEST_SPI / 32) * 4;
	uint8_t prio;

	check_eq32(typer & GICD_TYPER_ITLINES_MASK, PLATFORM_GIC_INTERRUPTS / 32 - 1,
		   "GICD_TYPER ITLinesNumber: 128 interrupts");

	gic_enable(TEST_SPI, true);
	check(gicd_read(GICD_ISENABLER + word) & bit, "ISENABLER shows SPI 40 enabled",
	      "ISENABLER1 0x%x", gicd_read(GICD_ISENABLER + word));
	gic_disable(TEST_SPI);
	check(!(gicd_read(GICD_ISENABLER + word) & bit), "ICENABLER disables SPI 40",
	      "ISENABLER1 0x%x", gicd_read(GICD_ISENABLER + word));

	write_byte_reg(GICD_IPRIORITYR, TEST_SPI, PRIORITY_PROBE);
	prio = read_byte_reg(GICD_IPRIORITYR, TEST_SPI);
	check((prio & PRIORITY_MIN_BITS) == PRIORITY_MIN_BITS,
	      "IPRIORITYR keeps at least 5 priority bits (0xff reads 0xf8..0xff)", "read 0x%x",
	      prio);
	write_byte_reg(GICD_IPRIORITYR, TEST_SPI, GIC_PRIORITY_DEFAULT);
	check_eq32(read_byte_reg(GICD_IPRIORITYR, TEST_SPI), GIC_PRIORITY_DEFAULT,
		   "IPRIORITYR of SPI 40 reads back 0xa0");
}

static void gicv2_checks(void)
{
	uint32_t typer = gicd_read(GICD_TYPER);

	check_eq32((typer >> GICD_TYPER_CPUS_SHIFT) & GICD_TYPER_CPUS_MASK, PLATFORM_CPUS - 1,
		   "GICD_TYPER CPUNumber: 2 CPUs");
	check_eq32(gicd_read(GICD_CTLR), GICD_CTLR_ENABLE, "GICD_CTLR reads back enabled");
	check_eq32(read_byte_reg(GICD_ITARGETSR, PLATFORM_CNTV_INTID), 0x01,
		   "ITARGETSR of a PPI reads this CPU's mask (0x01)");
	write_byte_reg(GICD_ITARGETSR, TEST_SPI, 0x02);
	check_eq32(read_byte_reg(GICD_ITARGETSR, TEST_SPI), 0x02,
		   "ITARGETSR of SPI 40 takes CPU 1 (0x02)");
	write_byte_reg(GICD_ITARGETSR, TEST_SPI, 0x01);
	check_eq32(gicc_read(GICC_PMR) & PRIORITY_MIN_BITS, GIC_PMR_OPEN,
		   "GICC_PMR reads back 0xf0");
	check_eq32(gicc_read(GICC_CTLR) & GICC_CTLR_ENABLE, GICC_CTLR_ENABLE,
		   "GICC_CTLR reads back enabled");
}

static void gicv3_checks(void)
{
	uintptr_t rd0 = gic_redistributor_of(0), rd1 = gic_redistributor_of(1);
	uint64_t route, typer0, typer1;
	uintptr_t irouter = PLATFORM_GICD_BASE + GICD_IROUTER + 8 * TEST_SPI;

	check((gicd_read(GICD_CTLR) & (GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP1)) ==
		      (GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP1),
	      "GICD_CTLR reads back ARE_NS | EnableGrp1", "0x%x", gicd_read(GICD_CTLR));
	if (!check(rd0 == PLATFORM_GICR_BASE &&
			   rd1 == PLATFORM_GICR_BASE + PLATFORM_GICR_FRAME_SIZE,
		   "GICR_TYPER affinity: CPU 0 in the first frame, CPU 1 in the second",
		   "CPU 0 at 0x%lx, CPU 1 at 0x%lx", (unsigned long)rd0, (unsigned long)rd1))
		return;
	typer0 = mmio_read64(rd0 + GICR_TYPER);
	typer1 = mmio_read64(rd1 + GICR_TYPER);
	check(((typer0 >> GICR_TYPER_PROCESSOR_SHIFT) & GICR_TYPER_PROCESSOR_MASK) == 0 &&
		      ((typer1 >> GICR_TYPER_PROCESSOR_SHIFT) & GICR_TYPER_PROCESSOR_MASK) == 1,
	      "GICR_TYPER Processor_Number 0 and 1", "TYPER 0x%llx, 0x%llx",
	      (unsigned long long)typer0, (unsigned long long)typer1);
	check(!(typer0 & GICR_TYPER_LAST) && (typer1 & GICR_TYPER_LAST),
	      "GICR_TYPER Last is set on the second frame only", "TYPER 0x%llx, 0x%llx",
	      (unsigned long long)typer0, (unsigned long long)typer1);
	check_eq32(mmio_read32(rd0 + GICR_WAKER) &
			   (GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP),
		   0, "GICR_WAKER: ProcessorSleep and ChildrenAsleep clear after the handshake");
	check(read_sysreg_x(ICC_SRE_EL1) & ICC_SRE_SRE, "ICC_SRE_EL1.SRE is set", "0x%llx",
	      (unsigned long long)read_sysreg_x(ICC_SRE_EL1));
	check_eq32((uint32_t)read_sysreg_x(ICC_IGRPEN1_EL1), ICC_IGRPEN1_ENABLE,
		   "ICC_IGRPEN1_EL1 reads back 1");

	mmio_write64(irouter, 1); /* Aff0 = 1: CPU 1 */
	route = mmio_read64(irouter);
	mmio_write64(irouter, 0);
	check(route == 1 && mmio_read64(irouter) == 0,
	      "GICD_IROUTER of SPI 40 takes CPU 1's affinity, then CPU 0's", "read 0x%llx",
	      (unsigned long long)route);
}

/* Pends SPI 40 by hand, with IRQs masked, and walks HPPIR, IAR, EOIR. */
static void acknowledge_by_hand(void)
{
	uint32_t word = (TEST_SPI / 32) * 4, bit = 1u << (TEST_SPI % 32);
	uint32_t hppir, iar;

	gic_enable(TEST_SPI, true);
	gicd_write(GICD_ISPENDR + word, bit);
	memory_barrier();
	hppir = gic_version() == 3 ? (uint32_t)read_sysreg_x(ICC_HPPIR1_EL1)
				   : gicc_read(GICC_HPPIR);
	check_eq32(hppir & 0x3ff, TEST_SPI, "HPPIR shows the pended SPI 40");
	iar = gic_ack();
	check_eq32(gic_iar_intid(iar), TEST_SPI, "IAR acknowledges SPI 40");
	check(gicd_read(GICD_ISACTIVER + word) & bit, "SPI 40 is active after IAR",
	      "ISACTIVER 0x%x", gicd_read(GICD_ISACTIVER + word));
	gic_eoi(iar);
	check(!(gicd_read(GICD_ISACTIVER + word) & bit) && !(gicd_read(GICD_ISPENDR + word) & bit),
	      "EOIR deactivates it (neither pending nor active)", "ISACTIVER 0x%x ISPENDR 0x%x",
	      gicd_read(GICD_ISACTIVER + word), gicd_read(GICD_ISPENDR + word));
	iar = gic_ack();
	check(gic_iar_intid(iar) >= GIC_SPURIOUS_FIRST, "IAR then reads spurious (1023)",
	      "INTID %u", gic_iar_intid(iar));
	if (gic_iar_intid(iar) < GIC_SPURIOUS_FIRST)
		gic_eoi(iar);
	gic_disable(TEST_SPI);
}

/* The same SPI, taken through VBAR_EL1 + 0x280. */
static void delivered_interrupt(void)
{
	test_spi_seen = 0;
	irq_set_handler(TEST_SPI, on_test_spi);
	gic_enable(TEST_SPI, true);
	gicd_write(GICD_ISPENDR + (TEST_SPI / 32) * 4, 1u << (TEST_SPI % 32));
	check(wait_until(&test_spi_seen, IRQ_TIMEOUT_MS),
	      "a pended SPI 40 is taken at the IRQ vector and handled", "not within %u ms",
	      IRQ_TIMEOUT_MS);
	gic_disable(TEST_SPI);
	irq_set_handler(TEST_SPI, 0);
}

void gic_checks_run(void)
{
	tap_section(gic_version() == 3 ? "GICv3: distributor, redistributors, ICC registers"
				       : "GICv2: distributor and CPU interface");
	common_distributor_checks();
	if (gic_version() == 3)
		gicv3_checks();
	else
		gicv2_checks();
	irq_disable();
	acknowledge_by_hand();
	delivered_interrupt();
}
