/* SPDX-License-Identifier: Apache-2.0 */
#include "gic_hostile.h"

#include "cpu.h"
#include "exceptions.h"
#include "format.h"
#include "gic.h"
#include "gic_regs.h"
#include "platform.h"
#include "tap.h"
#include "wait.h"

#define TEST_SPI	  40u
#define GARBAGE_FIRST_SPI 64u /* 64..127: no device uses them */
#define IRQ_TIMEOUT_MS	  1000u
#define SETTLE_MS	  20u
/* The word of enable bits for INTIDs 992..1023: beyond the 128 implemented. */
#define BEYOND_ENABLE_WORD (GICD_ISENABLER + 31 * 4)
#define BEYOND_PRIORITY	   (GICD_IPRIORITYR + 1000)

static uint32_t rng_state = 0x9e3779b9u;
static volatile uint32_t delivered;
static volatile uint32_t stray_sgis;

static uint32_t next_random(void)
{
	/* xorshift32: deterministic, so a failing run can be replayed */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void on_test_spi(unsigned intid, unsigned source)
{
	(void)intid;
	(void)source;
	delivered = 1;
}

static void on_stray_sgi(unsigned intid, unsigned source)
{
	(void)intid;
	(void)source;
	stray_sgis++;
}

void gic_hostile_check_delivery(const char *when)
{
	char what[96];

	delivered = 0;
	irq_set_handler(TEST_SPI, on_test_spi);
	gic_enable(TEST_SPI, true);
	gicd_write(GICD_ISPENDR + (TEST_SPI / 32) * 4, 1u << (TEST_SPI % 32));
	snprintf(what, sizeof(what), "%s: a pended SPI 40 is still delivered", when);
	check(wait_until(&delivered, IRQ_TIMEOUT_MS), what, "not within %u ms", IRQ_TIMEOUT_MS);
	gic_disable(TEST_SPI);
	irq_set_handler(TEST_SPI, 0);
}

static void read_only_registers(void)
{
	static const struct {
		uint32_t reg;
		const char *name;
	} regs[] = {
		{ GICD_TYPER, "GICD_TYPER" },
		{ GICD_IIDR, "GICD_IIDR" },
	};

	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		char what[64];
		uint32_t before = gicd_read(regs[i].reg);

		gicd_write(regs[i].reg, ~before);
		snprintf(what, sizeof(what), "%s unchanged by a write", regs[i].name);
		check_eq32(gicd_read(regs[i].reg), before, what);
	}
	{
		uint32_t reg = gic_version() == 3 ? GICD_PIDR2_V3 : GICD_PIDR2_V2;
		uint32_t before = gicd_read(reg);

		gicd_write(reg, 0);
		check_eq32(gicd_read(reg), before, "GICD_PIDR2 unchanged by a write");
	}
}

static void beyond_implemented(void)
{
	gicd_write(BEYOND_ENABLE_WORD, 0xffffffffu);
	check_eq32(gicd_read(BEYOND_ENABLE_WORD), 0,
		   "ISENABLER for INTIDs 992..1023 (not implemented) stays 0");
	gicd_write(BEYOND_PRIORITY, 0xffffffffu);
	check_eq32(gicd_read(BEYOND_PRIORITY), 0, "IPRIORITYR for INTID 1000 stays 0");
	gicd_write(GICD_ISPENDR + 31 * 4, 0xffffffffu);
	check_eq32(gicd_read(GICD_ISPENDR + 31 * 4), 0, "ISPENDR for INTIDs 992..1023 stays 0");
}

static void unacknowledged_eoi(void)
{
	uint32_t word = (TEST_SPI / 32) * 4, bit = 1u << (TEST_SPI % 32);

	/* Nothing is active: these EOIs must change nothing. */
	gic_eoi(TEST_SPI);
	gic_eoi(PLATFORM_CNTV_INTID);
	gic_eoi(5);
	gic_eoi(GIC_SPURIOUS);
	gic_eoi(0x3fe);
	check(!(gicd_read(GICD_ISACTIVER + word) & bit) && !(gicd_read(GICD_ISPENDR + word) & bit),
	      "EOIs of never-acknowledged interrupts leave SPI 40 inactive and not pending",
	      "ISACTIVER 0x%x ISPENDR 0x%x", gicd_read(GICD_ISACTIVER + word),
	      gicd_read(GICD_ISPENDR + word));
}

static void garbage_priorities_and_targets(void)
{
	for (unsigned i = GARBAGE_FIRST_SPI; i < PLATFORM_GIC_INTERRUPTS; i += 4) {
		gicd_write(GICD_IPRIORITYR + i, next_random());
		if (gic_version() == 2)
			gicd_write(GICD_ITARGETSR + i, next_random());
	}
	if (gic_version() == 3) {
		for (unsigned i = GARBAGE_FIRST_SPI; i < PLATFORM_GIC_INTERRUPTS; i++)
			mmio_write64(PLATFORM_GICD_BASE + GICD_IROUTER + 8 * i,
				     ((uint64_t)next_random() << 32) | next_random());
		tap_note("IROUTER of SPI 64 after garbage: 0x%llx",
			 (unsigned long long)mmio_read64(PLATFORM_GICD_BASE + GICD_IROUTER +
							 8 * GARBAGE_FIRST_SPI));
	} else {
		tap_note("ITARGETSR of SPIs 64..67 after garbage: 0x%x",
			 gicd_read(GICD_ITARGETSR + GARBAGE_FIRST_SPI));
	}
	/* Put them back the way gic_dist_init left them. */
	for (unsigned i = GARBAGE_FIRST_SPI; i < PLATFORM_GIC_INTERRUPTS; i += 4) {
		gicd_write(GICD_IPRIORITYR + i, GIC_PRIORITY_DEFAULT * 0x01010101u);
		if (gic_version() == 2)
			gicd_write(GICD_ITARGETSR + i, 0x01010101u);
	}
	for (unsigned i = GARBAGE_FIRST_SPI; gic_version() == 3 && i < PLATFORM_GIC_INTERRUPTS; i++)
		mmio_write64(PLATFORM_GICD_BASE + GICD_IROUTER + 8 * i, 0);
	check(gicd_read(GICD_IPRIORITYR + GARBAGE_FIRST_SPI) == GIC_PRIORITY_DEFAULT * 0x01010101u,
	      "priorities of SPIs 64..127 restored after garbage", "IPRIORITYR 0x%x",
	      gicd_read(GICD_IPRIORITYR + GARBAGE_FIRST_SPI));
}

/* SGI 9 aimed only at CPUs 2..7 (v2) or 2..15 (v3), which do not exist. */
static void sgis_to_nobody(void)
{
	stray_sgis = 0;
	irq_set_handler(9, on_stray_sgi);
	gic_enable(9, false);
	if (gic_version() == 3)
		write_sysreg_x(ICC_SGI1R_EL1, (9ull << ICC_SGI1R_INTID_SHIFT) | 0xfffcu);
	else
		gicd_write(GICD_SGIR, (0xfcu << GICD_SGIR_TARGET_SHIFT) | 9);
	isb();
	wait_ms(SETTLE_MS);
	check_eq32(stray_sgis, 0, "an SGI to CPUs that do not exist reaches nobody");
	gic_disable(9);
	irq_set_handler(9, 0);
}

/* Past the redistributor region (two frames): nothing answers, nothing breaks. */
static void beyond_redistributors(void)
{
	uintptr_t past = PLATFORM_GICR_BASE + PLATFORM_CPUS * PLATFORM_GICR_FRAME_SIZE;
	uint32_t typer;
	unsigned aborts;

	/* QEMU virt faults there: caught, and reported as a failure. */
	exceptions_probe_begin();
	mmio_write32(past + GICR_WAKER, 0);
	mmio_write32(past + GICR_ISENABLER0, 0xffffffffu);
	typer = mmio_read32(past + GICR_TYPER);
	aborts = exceptions_probe_end();
	check(aborts == 0 && typer == 0xffffffffu,
	      "GICR_TYPER past the last frame reads all ones (unmapped), no fault",
	      "read 0x%x, %u data aborts", typer, aborts);
	check_eq32(mmio_read32(gicr_this_cpu() + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP, 0,
		   "CPU 0's redistributor is still awake");
}

void gic_hostile_run(void)
{
	tap_section("hostile: GIC register storm");
	read_only_registers();
	beyond_implemented();
	unacknowledged_eoi();
	garbage_priorities_and_targets();
	sgis_to_nobody();
	if (gic_version() == 3)
		beyond_redistributors();
	gic_hostile_check_delivery("after the GIC storm");
}
