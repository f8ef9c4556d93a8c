/* SPDX-License-Identifier: Apache-2.0 */
#include "gic.h"

#include "cpu.h"
#include "exceptions.h"
#include "format.h"
#include "gic_regs.h"
#include "timer.h"

#define GIC_MAX_INTID	1020u
#define RWP_TIMEOUT_MS	100u
#define WAKE_TIMEOUT_MS 100u
/* Redistributor frames to look through (the region holds one per CPU). */
#define GICR_MAX_FRAMES 8u

static unsigned version;
static irq_handler handlers[PLATFORM_GIC_INTERRUPTS];
static uintptr_t redistributors[PLATFORM_CPUS];
static volatile unsigned unhandled[PLATFORM_CPUS];
static volatile unsigned spurious[PLATFORM_CPUS];

uint32_t gicd_read(uint32_t reg)
{
	return mmio_read32(PLATFORM_GICD_BASE + reg);
}

void gicd_write(uint32_t reg, uint32_t value)
{
	mmio_write32(PLATFORM_GICD_BASE + reg, value);
}

uint32_t gicc_read(uint32_t reg)
{
	return mmio_read32(PLATFORM_GICC_BASE + reg);
}

void gicc_write(uint32_t reg, uint32_t value)
{
	mmio_write32(PLATFORM_GICC_BASE + reg, value);
}

static unsigned archrev(uint32_t pidr2)
{
	return (pidr2 >> GIC_PIDR2_ARCHREV_SHIFT) & GIC_PIDR2_ARCHREV_MASK;
}

unsigned gic_detect(void)
{
	uint32_t v3_pidr2;

	/*
	 * The GICv2 location first: it is RAZ in a GICv3 distributor, while a
	 * GICv2 may not decode the GICv3 one at all (QEMU's aborts).
	 */
	if (archrev(gicd_read(GICD_PIDR2_V2)) == 2) {
		version = 2;
		return version;
	}
	exceptions_probe_begin();
	v3_pidr2 = gicd_read(GICD_PIDR2_V3);
	version = exceptions_probe_end() == 0 && archrev(v3_pidr2) == 3 ? 3 : 0;
	return version;
}

unsigned gic_version(void)
{
	return version;
}

static void wait_rwp(void)
{
	uint64_t deadline = timer_deadline_ms(RWP_TIMEOUT_MS);

	while ((gicd_read(GICD_CTLR) & GICD_CTLR_RWP) && !timer_expired(deadline))
		cpu_relax();
}

static unsigned dist_interrupts(void)
{
	unsigned n = ((gicd_read(GICD_TYPER) & GICD_TYPER_ITLINES_MASK) + 1) * 32;

	return n > GIC_MAX_INTID ? GIC_MAX_INTID : n;
}

void gic_dist_init(void)
{
	unsigned n = dist_interrupts();

	if (version == 3) {
		gicd_write(GICD_CTLR, 0);
		wait_rwp();
		for (unsigned i = GIC_FIRST_SPI; i < n; i += 32) {
			gicd_write(GICD_ICENABLER + i / 8, 0xffffffffu);
			gicd_write(GICD_ICPENDR + i / 8, 0xffffffffu);
			gicd_write(GICD_IGROUPR + i / 8, 0xffffffffu);
		}
		for (unsigned i = GIC_FIRST_SPI; i < n; i++)
			mmio_write64(PLATFORM_GICD_BASE + GICD_IROUTER + 8 * i, 0);
	} else {
		gicd_write(GICD_CTLR, 0);
		for (unsigned i = GIC_FIRST_SPI; i < n; i += 32) {
			gicd_write(GICD_ICENABLER + i / 8, 0xffffffffu);
			gicd_write(GICD_ICPENDR + i / 8, 0xffffffffu);
		}
		for (unsigned i = GIC_FIRST_SPI; i < n; i += 4)
			gicd_write(GICD_ITARGETSR + i, 0x01010101u);
	}
	for (unsigned i = GIC_FIRST_SPI; i < n; i += 4)
		gicd_write(GICD_IPRIORITYR + i, GIC_PRIORITY_DEFAULT * 0x01010101u);
	if (version == 3) {
		gicd_write(GICD_CTLR, GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_GRP1);
		wait_rwp();
	} else {
		gicd_write(GICD_CTLR, GICD_CTLR_ENABLE);
	}
}

uintptr_t gic_redistributor_of(uint64_t mpidr)
{
	uint64_t aff = (mpidr & 0xffffffull) | ((mpidr >> 8) & 0xff000000ull);

	for (unsigned i = 0; i < GICR_MAX_FRAMES; i++) {
		uintptr_t frame = PLATFORM_GICR_BASE + i * PLATFORM_GICR_FRAME_SIZE;
		uint64_t typer = mmio_read64(frame + GICR_TYPER);

		if ((typer >> GICR_TYPER_AFFINITY_SHIFT) == aff)
			return frame;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

uintptr_t gicr_this_cpu(void)
{
	return redistributors[cpu_index() % PLATFORM_CPUS];
}

static bool gicv3_cpu_init(char *why, unsigned why_len)
{
	uintptr_t rd = gic_redistributor_of(read_sysreg(mpidr_el1));
	uint64_t deadline;
	uint32_t waker;

	if (!rd) {
		snprintf(why, why_len, "no redistributor has this CPU's affinity");
		return false;
	}
	redistributors[cpu_index() % PLATFORM_CPUS] = rd;
	/* Wake the redistributor: clear ProcessorSleep, wait for ChildrenAsleep to clear. */
	mmio_write32(rd + GICR_WAKER, mmio_read32(rd + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	deadline = timer_deadline_ms(WAKE_TIMEOUT_MS);
	while ((waker = mmio_read32(rd + GICR_WAKER)) & GICR_WAKER_CHILDREN_ASLEEP) {
		if (timer_expired(deadline)) {
			snprintf(why, why_len, "GICR_WAKER stays 0x%x", waker);
			return false;
		}
		cpu_relax();
	}
	mmio_write32(rd + GICR_ICENABLER0, 0xffffffffu);
	mmio_write32(rd + GICR_ICPENDR0, 0xffffffffu);
	mmio_write32(rd + GICR_IGROUPR0, 0xffffffffu);
	for (unsigned i = 0; i < GIC_FIRST_SPI; i += 4)
		mmio_write32(rd + GICR_IPRIORITYR + i, GIC_PRIORITY_DEFAULT * 0x01010101u);

	write_sysreg_x(ICC_SRE_EL1, read_sysreg_x(ICC_SRE_EL1) | ICC_SRE_SRE);
	isb();
	if (!(read_sysreg_x(ICC_SRE_EL1) & ICC_SRE_SRE)) {
		snprintf(why, why_len, "ICC_SRE_EL1.SRE does not stick");
		return false;
	}
	write_sysreg_x(ICC_PMR_EL1, GIC_PMR_OPEN);
	write_sysreg_x(ICC_BPR1_EL1, 0);
	write_sysreg_x(ICC_IGRPEN1_EL1, ICC_IGRPEN1_ENABLE);
	isb();
	return true;
}

static bool gicv2_cpu_init(void)
{
	gicd_write(GICD_ICENABLER, 0xffff0000u); /* PPIs; SGIs may be always on */
	gicd_write(GICD_ICPENDR, 0xffffffffu);
	for (unsigned i = 0; i < GIC_FIRST_SPI; i += 4)
		gicd_write(GICD_IPRIORITYR + i, GIC_PRIORITY_DEFAULT * 0x01010101u);
	gicc_write(GICC_PMR, GIC_PMR_OPEN);
	gicc_write(GICC_BPR, 0);
	gicc_write(GICC_CTLR, GICC_CTLR_ENABLE);
	return true;
}

bool gic_cpu_init(char *why, unsigned why_len)
{
	if (version == 3)
		return gicv3_cpu_init(why, why_len);
	if (version == 2)
		return gicv2_cpu_init();
	snprintf(why, why_len, "no GIC found");
	return false;
}

/* The register holding `intid`'s bit, for the bank that serves this CPU. */
static uintptr_t bit_reg(uint32_t dist_reg, uint32_t rd_reg, unsigned intid)
{
	if (version == 3 && intid < GIC_FIRST_SPI)
		return gicr_this_cpu() + rd_reg;
	return PLATFORM_GICD_BASE + dist_reg + (intid / 32) * 4;
}

void gic_enable(unsigned intid, bool edge)
{
	if (intid >= GIC_FIRST_SPI) {
		uintptr_t cfg = PLATFORM_GICD_BASE + GICD_ICFGR + (intid / 16) * 4;
		unsigned shift = (intid % 16) * 2;
		uint32_t v = mmio_read32(cfg) & ~(3u << shift);

		mmio_write32(cfg, v | ((edge ? GICD_ICFGR_EDGE : 0) << shift));
	}
	mmio_write32(bit_reg(GICD_ISENABLER, GICR_ISENABLER0, intid), 1u << (intid % 32));
	if (version == 3 && intid >= GIC_FIRST_SPI)
		wait_rwp();
}

void gic_disable(unsigned intid)
{
	mmio_write32(bit_reg(GICD_ICENABLER, GICR_ICENABLER0, intid), 1u << (intid % 32));
	if (version == 3 && intid >= GIC_FIRST_SPI)
		wait_rwp();
}

void gic_clear_pending(unsigned intid)
{
	mmio_write32(bit_reg(GICD_ICPENDR, GICR_ICPENDR0, intid), 1u << (intid % 32));
}

bool gic_is_pending(unsigned intid)
{
	return mmio_read32(bit_reg(GICD_ISPENDR, GICR_ISPENDR0, intid)) & (1u << (intid % 32));
}

void gic_send_sgi(unsigned sgi, unsigned target_cpu)
{
	memory_barrier();
	if (version == 3) {
		/* One cluster: Aff1..3 = 0, the target list holds Aff0. */
		write_sysreg_x(ICC_SGI1R_EL1,
			       ((uint64_t)sgi << ICC_SGI1R_INTID_SHIFT) | (1ull << target_cpu));
		isb();
	} else {
		gicd_write(GICD_SGIR, (1u << (GICD_SGIR_TARGET_SHIFT + target_cpu)) | sgi);
	}
}

uint32_t gic_ack(void)
{
	uint32_t iar;

	if (version == 3) {
		iar = (uint32_t)read_sysreg_x(ICC_IAR1_EL1);
		/* The CPU interface's state must be read before the device's (IHI 0069 12.1.6). */
		__asm__ volatile("dsb sy" ::: "memory");
		return iar;
	}
	return gicc_read(GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
	memory_barrier();
	if (version == 3) {
		write_sysreg_x(ICC_EOIR1_EL1, iar);
		isb();
	} else {
		gicc_write(GICC_EOIR, iar);
	}
}

unsigned gic_iar_intid(uint32_t iar)
{
	return version == 3 ? (iar & ICC_IAR_INTID_MASK) : (iar & GICC_IAR_INTID_MASK);
}

void irq_set_handler(unsigned intid, irq_handler handler)
{
	if (intid < PLATFORM_GIC_INTERRUPTS)
		handlers[intid] = handler;
	memory_barrier();
}

void irq_dispatch(void)
{
	uint32_t iar = gic_ack();
	unsigned intid = gic_iar_intid(iar);
	unsigned cpu = cpu_index() % PLATFORM_CPUS;
	irq_handler h;

	if (intid >= GIC_SPURIOUS_FIRST) {
		spurious[cpu]++;
		return;
	}
	h = intid < PLATFORM_GIC_INTERRUPTS ? handlers[intid] : 0;
	if (h) {
		h(intid, version == 2 ? (iar >> GICC_IAR_CPUID_SHIFT) & GICC_IAR_CPUID_MASK : 0);
	} else {
		/* Nobody wants it: keep it from coming back. */
		unhandled[cpu]++;
		gic_disable(intid);
	}
	gic_eoi(iar);
}

unsigned irq_unhandled_count(unsigned cpu)
{
	return unhandled[cpu % PLATFORM_CPUS];
}

unsigned irq_spurious_count(unsigned cpu)
{
	return spurious[cpu % PLATFORM_CPUS];
}
