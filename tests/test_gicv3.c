/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GICv3: distributor, redistributors and ICC system registers built from
 * config entries into one set, driven through the set's dispatch. Offsets,
 * encodings and values are spelled out here from IHI 0069, not taken from
 * the model. Random register traffic is checked against ICC_HPPIR1_EL1
 * computed from the registers read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicv3.h>

#include "fake_irq.h"
#include "host_posix.h"

#define GICD_BASE 0x08000000ull
#define GICR_BASE 0x080a0000ull
#define NR_VCPUS  4u
#define LINE_DEV  0x09000000ull

/* GICD (IHI 0069 Table 12-25) */
enum {
	GICD_CTLR = 0x0,
	GICD_TYPER = 0x4,
	GICD_IIDR = 0x8,
	GICD_IGROUPR = 0x80,
	GICD_ISENABLER = 0x100,
	GICD_ICENABLER = 0x180,
	GICD_ISPENDR = 0x200,
	GICD_ICPENDR = 0x280,
	GICD_ISACTIVER = 0x300,
	GICD_ICACTIVER = 0x380,
	GICD_IPRIORITYR = 0x400,
	GICD_ICFGR = 0xc00,
	GICD_IGRPMODR = 0xd00,
	GICD_IROUTER = 0x6000,
	GICD_PIDR2 = 0xffe8,
};
/* GICR RD_base and SGI_base (Tables 12-27, 12-29) */
enum {
	GICR_CTLR = 0x0,
	GICR_IIDR = 0x4,
	GICR_TYPER = 0x8,
	GICR_WAKER = 0x14,
	GICR_PIDR2 = 0xffe8,
	GICR_SGI = 0x10000,
	GICR_IGROUPR0 = GICR_SGI + 0x80,
	GICR_ISENABLER0 = GICR_SGI + 0x100,
	GICR_ICENABLER0 = GICR_SGI + 0x180,
	GICR_ISPENDR0 = GICR_SGI + 0x200,
	GICR_ICPENDR0 = GICR_SGI + 0x280,
	GICR_ISACTIVER0 = GICR_SGI + 0x300,
	GICR_ICACTIVER0 = GICR_SGI + 0x380,
	GICR_IPRIORITYR0 = GICR_SGI + 0x400,
	GICR_ICFGR0 = GICR_SGI + 0xc00,
	GICR_ICFGR1 = GICR_SGI + 0xc04,
};
/* op0:op1:CRn:CRm:op2 packed 2:3:4:4:3 */
#define SR(op0, op1, crn, crm, op2)                                                                \
	((uint32_t)((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))
#define ICC_PMR	    SR(3, 0, 4, 6, 0)
#define ICC_IAR0    SR(3, 0, 12, 8, 0)
#define ICC_AP1R0   SR(3, 0, 12, 9, 0)
#define ICC_DIR	    SR(3, 0, 12, 11, 1)
#define ICC_RPR	    SR(3, 0, 12, 11, 3)
#define ICC_SGI1R   SR(3, 0, 12, 11, 5)
#define ICC_IAR1    SR(3, 0, 12, 12, 0)
#define ICC_EOIR1   SR(3, 0, 12, 12, 1)
#define ICC_HPPIR1  SR(3, 0, 12, 12, 2)
#define ICC_BPR1    SR(3, 0, 12, 12, 3)
#define ICC_CTLR    SR(3, 0, 12, 12, 4)
#define ICC_SRE	    SR(3, 0, 12, 12, 5)
#define ICC_IGRPEN1 SR(3, 0, 12, 12, 7)

static unsigned kicks[NR_VCPUS];

static void notify(void *ctx, uint32_t vcpu)
{
	(void)ctx;
	assert_true(vcpu < NR_VCPUS);
	__atomic_add_fetch(&kicks[vcpu], 1, __ATOMIC_RELAXED);
}

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_gicv3 *gic;
};

static const uint64_t gicd_cfg[1] = { 128 };
static const uint64_t line_cfg[2] = { AX_IRQ_LEVEL, AX_IRQ_EDGE };

static void setup(struct fixture *f)
{
	struct ax_emu_config emu[4] = {
		{ .name = "gicd",
		  .base_gpa = GICD_BASE,
		  .length = 0x10000,
		  .emu_type = AX_EMU_GICD_V3,
		  .cfg_list = gicd_cfg,
		  .cfg_len = 1 },
		{ .name = "gicr",
		  .base_gpa = GICR_BASE,
		  .length = NR_VCPUS * 0x20000ull,
		  .emu_type = AX_EMU_GICR },
		{ .name = "icc",
		  .base_gpa = SR(3, 0, 12, 8, 0),
		  .length = 0x28,
		  .emu_type = AX_EMU_ICC },
		{ .name = "dev",
		  .base_gpa = LINE_DEV,
		  .length = 0x1000,
		  .irq_id = 40,
		  .emu_type = FAKE_LINE_KIND,
		  .cfg_list = line_cfg,
		  .cfg_len = 2 },
	};
	struct ax_vm_device_config vm = { emu, 4 };
	struct ax_devices_params params = { .max_vcpus = NR_VCPUS,
					    .kinds = &fake_line_kind,
					    .nr_kinds = 1 };
	struct ax_diag diag = { 0 };

	memset(f, 0, sizeof(*f));
	memset(kicks, 0, sizeof(kicks));
	test_host_init(&f->host, false);
	f->host.hooks.irq_notify = notify;
	params.hooks = &f->host.hooks;
	if (ax_devices_create(&params, &vm, &f->set, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	assert_int_equal(ax_gicv3_from_device(f->set, 1, &f->gic), AX_OK);
}

static void teardown(struct fixture *f)
{
	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
}

static uint64_t mrd(struct fixture *f, uint32_t vcpu, uint64_t addr, unsigned width)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, vcpu, addr, width, &v), AX_OK);
	return v;
}

static void mwr(struct fixture *f, uint32_t vcpu, uint64_t addr, unsigned width, uint64_t v)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, vcpu, addr, width, v), AX_OK);
}

static uint32_t drd(struct fixture *f, uint32_t off)
{
	return (uint32_t)mrd(f, 0, GICD_BASE + off, 4);
}

static void dwr(struct fixture *f, uint32_t off, uint32_t v)
{
	mwr(f, 0, GICD_BASE + off, 4, v);
}

static uint32_t rrd(struct fixture *f, uint32_t cpu, uint32_t off)
{
	return (uint32_t)mrd(f, 0, GICR_BASE + cpu * 0x20000ull + off, 4);
}

static void rwr(struct fixture *f, uint32_t cpu, uint32_t off, uint32_t v)
{
	mwr(f, 0, GICR_BASE + cpu * 0x20000ull + off, 4, v);
}

static uint64_t srd(struct fixture *f, uint32_t vcpu, uint32_t reg)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_sysreg_read(f->set, vcpu, reg, 8, &v), AX_OK);
	return v;
}

static void swr(struct fixture *f, uint32_t vcpu, uint32_t reg, uint64_t v)
{
	assert_int_equal(ax_devices_handle_sysreg_write(f->set, vcpu, reg, 8, v), AX_OK);
}

/* What Linux's gic_init_bases / gic_cpu_init / gic_cpu_sys_reg_init do, for every vCPU. */
static void linux_probe(struct fixture *f)
{
	/* distributor: disable, wait RWP, SPIs Group 1, disabled, priority 0xa0, route */
	dwr(f, GICD_CTLR, 0);
	assert_int_equal(drd(f, GICD_CTLR) & (1u << 31), 0);
	uint32_t lines = (drd(f, GICD_TYPER) & 0x1f) * 32 + 32;

	for (uint32_t i = 32; i < lines; i += 32) {
		dwr(f, GICD_IGROUPR + i / 8, ~0u);
		dwr(f, GICD_ICENABLER + i / 8, ~0u);
		dwr(f, GICD_ICACTIVER + i / 8, ~0u);
	}
	for (uint32_t i = 32; i < lines; i += 16)
		dwr(f, GICD_ICFGR + i / 4, 0);
	for (uint32_t i = 32; i < lines; i += 4)
		dwr(f, GICD_IPRIORITYR + i, 0xa0a0a0a0u);
	dwr(f, GICD_CTLR, (1u << 4) | (1u << 1) | (1u << 0));
	assert_int_equal(drd(f, GICD_CTLR) & (1u << 4), 1u << 4); /* ARE sticks */
	for (uint32_t i = 32; i < lines; i++)
		mwr(f, 0, GICD_BASE + GICD_IROUTER + 8ull * i, 8, 0); /* to the boot CPU */

	for (uint32_t cpu = 0; cpu < NR_VCPUS; cpu++) {
		/* find our redistributor: walk TYPER until affinity matches or Last */
		uint32_t frame = 0;
		uint64_t mpidr_aff = (cpu % 16) | (uint64_t)(cpu / 16) << 8;

		for (;; frame++) {
			uint64_t base = GICR_BASE + frame * 0x20000ull;

			assert_int_equal(mrd(f, cpu, base + GICR_PIDR2, 4) & 0xf0, 0x30);
			uint64_t typer = mrd(f, cpu, base + GICR_TYPER, 8);

			if ((typer >> 32) == mpidr_aff)
				break;
			assert_false(typer & (1u << 4)); /* not Last yet */
		}
		assert_int_equal(frame, cpu);
		/* wake up */
		uint64_t base = GICR_BASE + frame * 0x20000ull;
		uint32_t waker = (uint32_t)mrd(f, cpu, base + GICR_WAKER, 4);

		mwr(f, cpu, base + GICR_WAKER, 4, waker & ~(1u << 1));
		assert_int_equal(mrd(f, cpu, base + GICR_WAKER, 4) & (1u << 2), 0);
		/* SGIs/PPIs: Group 1, PPIs disabled, SGIs enabled, priority 0xa0 */
		mwr(f, cpu, base + GICR_IGROUPR0, 4, ~0u);
		mwr(f, cpu, base + GICR_ICACTIVER0, 4, ~0u);
		mwr(f, cpu, base + GICR_ICENABLER0, 4, 0xffff0000u);
		mwr(f, cpu, base + GICR_ISENABLER0, 4, 0x0000ffffu);
		for (uint32_t i = 0; i < 32; i += 4)
			mwr(f, cpu, base + GICR_IPRIORITYR0 + i, 4, 0xa0a0a0a0u);
		/* CPU interface */
		swr(f, cpu, ICC_SRE, srd(f, cpu, ICC_SRE) | 1);
		assert_int_equal(srd(f, cpu, ICC_SRE) & 1, 1);
		swr(f, cpu, ICC_PMR, 0xf0);
		swr(f, cpu, ICC_BPR1, 0);
		swr(f, cpu, ICC_CTLR, 0); /* EOImode 0: a guest without EL2 */
		swr(f, cpu, ICC_IGRPEN1, 1);
	}
}

/* Linux's gic_handle_irq loop: IAR1, handle, EOIR1 (and DIR with EOImode 1). */
static uint32_t linux_handle_one(struct fixture *f, uint32_t cpu)
{
	uint32_t irq = (uint32_t)srd(f, cpu, ICC_IAR1);

	if (irq >= 1020)
		return irq;
	swr(f, cpu, ICC_EOIR1, irq);
	if (srd(f, cpu, ICC_CTLR) & 2)
		swr(f, cpu, ICC_DIR, irq);
	return irq;
}

static void test_id_registers(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	assert_int_equal(drd(&f, GICD_PIDR2) & 0xf0, 0x30);
	assert_int_equal(drd(&f, GICD_IIDR), AX_GICV3_IIDR);
	uint32_t typer = drd(&f, GICD_TYPER);

	assert_int_equal(typer & 0x1f, 128 / 32 - 1);
	assert_int_equal((typer >> 19) & 0x1f, 9);		     /* IDbits: 10 bits */
	assert_int_equal((typer >> 24) & 1, 1);			     /* A3V */
	assert_int_equal(drd(&f, GICD_CTLR), (1u << 4) | (1u << 6)); /* ARE, DS */
	dwr(&f, GICD_CTLR, 0);
	assert_int_equal(drd(&f, GICD_CTLR), (1u << 4) | (1u << 6)); /* RAO/WI */
	dwr(&f, GICD_TYPER, 0);
	assert_int_equal(drd(&f, GICD_TYPER), typer); /* read-only */
	dwr(&f, GICD_IGRPMODR + 4, ~0u);
	assert_int_equal(drd(&f, GICD_IGRPMODR + 4), 0);
	/* ids 0..31 live in the redistributor: RAZ/WI here */
	dwr(&f, GICD_ISENABLER, ~0u);
	assert_int_equal(drd(&f, GICD_ISENABLER), 0);
	assert_int_equal(rrd(&f, 0, GICR_ISENABLER0), 0);
	/* GICR identification and TYPER of each frame */
	for (uint32_t c = 0; c < NR_VCPUS; c++) {
		assert_int_equal(rrd(&f, c, GICR_PIDR2) & 0xf0, 0x30);
		assert_int_equal(rrd(&f, c, GICR_IIDR), AX_GICV3_IIDR);
		assert_int_equal(rrd(&f, c, GICR_CTLR), 0);
		uint64_t t = mrd(&f, 3, GICR_BASE + c * 0x20000ull + GICR_TYPER, 8);

		assert_int_equal(t >> 32, c); /* Aff0 = c */
		assert_int_equal((t >> 8) & 0xffff, c);
		assert_int_equal((t >> 4) & 1, c == NR_VCPUS - 1);
		assert_int_equal(rrd(&f, c, GICR_TYPER + 4), c);
		assert_int_equal(rrd(&f, c, GICR_TYPER), (uint32_t)t);
	}
	/* widths: 16-bit and misaligned accesses are refused */
	uint64_t v;

	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, GICD_BASE + GICD_CTLR, 2, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, GICD_BASE + 2, 4, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, GICD_BASE + GICD_CTLR, 8, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 7, GICD_BASE + GICD_CTLR, 4, &v),
			 AX_ERR_INVALID_INPUT);
	/* ICC read-only values */
	assert_int_equal(srd(&f, 0, ICC_SRE), 7);
	swr(&f, 0, ICC_SRE, 0);
	assert_int_equal(srd(&f, 0, ICC_SRE), 7);
	assert_int_equal(srd(&f, 0, ICC_CTLR), (4u << 8) | (1u << 15));
	assert_int_equal(srd(&f, 0, ICC_IAR0), 1023);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xff);
	assert_int_equal(srd(&f, 0, ICC_BPR1), 3);
	swr(&f, 0, ICC_BPR1, 5);
	assert_int_equal(srd(&f, 0, ICC_BPR1), 5);
	swr(&f, 0, ICC_BPR1, 0);
	assert_int_equal(srd(&f, 0, ICC_BPR1), 3);
	swr(&f, 0, ICC_PMR, 0xff);
	assert_int_equal(srd(&f, 0, ICC_PMR), 0xf8);
	teardown(&f);
}

static void test_per_register_state(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	/* distributor bitmaps for SPIs 32..63 */
	dwr(&f, GICD_IGROUPR + 4, 0x0000ffffu);
	assert_int_equal(drd(&f, GICD_IGROUPR + 4), 0x0000ffffu);
	dwr(&f, GICD_ISENABLER + 4, 0x5u);
	dwr(&f, GICD_ISENABLER + 4, 0x8u);
	assert_int_equal(drd(&f, GICD_ISENABLER + 4), 0xdu);
	dwr(&f, GICD_ICENABLER + 4, 0x1u);
	assert_int_equal(drd(&f, GICD_ICENABLER + 4), 0xcu);
	dwr(&f, GICD_ISPENDR + 4, 0x30u);
	assert_int_equal(drd(&f, GICD_ISPENDR + 4), 0x30u);
	dwr(&f, GICD_ICPENDR + 4, 0x10u);
	assert_int_equal(drd(&f, GICD_ICPENDR + 4), 0x20u);
	dwr(&f, GICD_ISACTIVER + 4, 0x100u);
	assert_int_equal(drd(&f, GICD_ISACTIVER + 4), 0x100u);
	dwr(&f, GICD_ICACTIVER + 4, 0x100u);
	assert_int_equal(drd(&f, GICD_ICACTIVER + 4), 0);
	/* beyond nr_irqs (128): RAZ/WI */
	dwr(&f, GICD_ISENABLER + 16, ~0u);
	assert_int_equal(drd(&f, GICD_ISENABLER + 16), 0);
	/* priorities: bytes and words, 5 bits */
	mwr(&f, 0, GICD_BASE + GICD_IPRIORITYR + 33, 1, 0xff);
	assert_int_equal(drd(&f, GICD_IPRIORITYR + 32), 0xf800u);
	dwr(&f, GICD_IPRIORITYR + 36, 0x10203047u);
	assert_int_equal(drd(&f, GICD_IPRIORITYR + 36), 0x10203040u);
	assert_int_equal(drd(&f, GICD_IPRIORITYR + 0), 0); /* private: in the GICR */
	/* ICFGR: SPIs programmable */
	dwr(&f, GICD_ICFGR + 8, 0xaaaaaaaau);
	assert_int_equal(drd(&f, GICD_ICFGR + 8), 0xaaaaaaaau);
	dwr(&f, GICD_ICFGR + 0, 0);
	assert_int_equal(drd(&f, GICD_ICFGR + 0), 0);
	/* IROUTER: Aff3.Aff2.Aff1.Aff0 and IRM kept, the rest RES0; 32-bit halves */
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 40, 8, 0xffffffffffffffffull);
	assert_int_equal(mrd(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 40, 8), 0xff80ffffffull);
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 40 + 4, 4, 0x12);
	assert_int_equal(mrd(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 40, 8), 0x1280ffffffull);
	assert_int_equal(mrd(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 31, 8), 0);
	/* redistributor banks: frame 2 differs from frame 0 */
	rwr(&f, 2, GICR_ISENABLER0, 0x00010003u);
	assert_int_equal(rrd(&f, 2, GICR_ISENABLER0), 0x00010003u);
	assert_int_equal(rrd(&f, 0, GICR_ISENABLER0), 0);
	rwr(&f, 2, GICR_ICENABLER0, 0x1u);
	assert_int_equal(rrd(&f, 2, GICR_ICENABLER0), 0x00010002u);
	rwr(&f, 1, GICR_IGROUPR0, 0xffu);
	assert_int_equal(rrd(&f, 1, GICR_IGROUPR0), 0xffu);
	assert_int_equal(rrd(&f, 0, GICR_IGROUPR0), 0);
	mwr(&f, 0, GICR_BASE + 0x20000 + GICR_IPRIORITYR0 + 27, 1, 0x88);
	assert_int_equal(rrd(&f, 1, GICR_IPRIORITYR0 + 24), 0x88000000u);
	assert_int_equal(rrd(&f, 0, GICR_IPRIORITYR0 + 24), 0);
	rwr(&f, 3, GICR_ISPENDR0, 0x00020004u);
	assert_int_equal(rrd(&f, 3, GICR_ISPENDR0), 0x00020004u);
	rwr(&f, 3, GICR_ICPENDR0, 0x00020000u);
	assert_int_equal(rrd(&f, 3, GICR_ICPENDR0), 0x4u);
	rwr(&f, 3, GICR_ISACTIVER0, 0x80000000u);
	assert_int_equal(rrd(&f, 3, GICR_ISACTIVER0), 0x80000000u);
	rwr(&f, 3, GICR_ICACTIVER0, 0x80000000u);
	assert_int_equal(rrd(&f, 3, GICR_ICACTIVER0), 0);
	/* SGIs edge, PPIs level: read-only */
	assert_int_equal(rrd(&f, 0, GICR_ICFGR0), 0xaaaaaaaau);
	rwr(&f, 0, GICR_ICFGR1, 0xaaaaaaaau);
	assert_int_equal(rrd(&f, 0, GICR_ICFGR1), 0);
	/* WAKER */
	assert_int_equal(rrd(&f, 1, GICR_WAKER), 6);
	rwr(&f, 1, GICR_WAKER, 0);
	assert_int_equal(rrd(&f, 1, GICR_WAKER), 0);
	rwr(&f, 1, GICR_WAKER, 4); /* ChildrenAsleep is read-only */
	assert_int_equal(rrd(&f, 1, GICR_WAKER), 0);
	rwr(&f, 1, GICR_WAKER, 2);
	assert_int_equal(rrd(&f, 1, GICR_WAKER), 6);
	/* ICC banked per vCPU through the access context */
	swr(&f, 1, ICC_PMR, 0x80);
	swr(&f, 2, ICC_PMR, 0x40);
	assert_int_equal(srd(&f, 1, ICC_PMR), 0x80);
	assert_int_equal(srd(&f, 2, ICC_PMR), 0x40);
	assert_int_equal(srd(&f, 0, ICC_PMR), 0);
	swr(&f, 3, ICC_CTLR, 2);
	assert_int_equal(srd(&f, 3, ICC_CTLR) & 2, 2);
	assert_int_equal(srd(&f, 0, ICC_CTLR) & 2, 0);
	swr(&f, 1, ICC_IGRPEN1, 3);
	assert_int_equal(srd(&f, 1, ICC_IGRPEN1), 1);
	swr(&f, 1, ICC_AP1R0, 0x30);
	assert_int_equal(srd(&f, 1, ICC_AP1R0), 0x30);
	assert_int_equal(srd(&f, 1, ICC_RPR), 0x20);
	teardown(&f);
}

static void test_linux_probe_and_handler(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	linux_probe(&f);
	/* the device's level line 40 routed to vCPU 0 */
	dwr(&f, GICD_ISENABLER + 4, 1u << 8);
	memset(kicks, 0, sizeof(kicks));
	ax_irq_line_set_level(fake_line_lines(f.set, 4), 40, true);
	assert_true(kicks[0] > 0);
	assert_true(ax_devices_irq_pending(f.set, 0));
	assert_false(ax_devices_irq_pending(f.set, 1));
	assert_int_equal(srd(&f, 0, ICC_HPPIR1), 40);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 40);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xa0);
	assert_false(ax_devices_irq_pending(f.set, 0)); /* active */
	ax_irq_line_set_level(fake_line_lines(f.set, 4), 40, false);
	swr(&f, 0, ICC_EOIR1, 40);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xff);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);
	/* the edge line 41 (ICFGR2 field 9) */
	dwr(&f, GICD_ICFGR + 8, 2u << 18);
	dwr(&f, GICD_ISENABLER + 4, 1u << 9);
	ax_irq_line_pulse(fake_line_lines(f.set, 4), 41);
	assert_int_equal(linux_handle_one(&f, 0), 41);
	assert_int_equal(linux_handle_one(&f, 0), 1023);
	/* EOImode 1: EOIR drops priority, DIR deactivates */
	swr(&f, 0, ICC_CTLR, 2);
	ax_irq_line_pulse(fake_line_lines(f.set, 4), 41);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 41);
	swr(&f, 0, ICC_EOIR1, 41);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xff);
	assert_int_equal(drd(&f, GICD_ISACTIVER + 4), 1u << 9); /* still active */
	swr(&f, 0, ICC_DIR, 41);
	assert_int_equal(drd(&f, GICD_ISACTIVER + 4), 0);
	/* EOImode 0 ignores DIR */
	swr(&f, 0, ICC_CTLR, 0);
	dwr(&f, GICD_ISACTIVER + 4, 1u << 9);
	swr(&f, 0, ICC_DIR, 41);
	assert_int_equal(drd(&f, GICD_ISACTIVER + 4), 1u << 9);
	teardown(&f);
}

static void test_priorities_and_preemption(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	linux_probe(&f);
	/* SPIs 32 (0x80), 33 (0x40), 34 (0x40), 35 (0x10), all to vCPU 0 */
	dwr(&f, GICD_IPRIORITYR + 32, 0x10404080u);
	dwr(&f, GICD_ISENABLER + 4, 0xfu);
	dwr(&f, GICD_ISPENDR + 4, 0x1u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 32);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x80);
	/* same priority cannot preempt; higher can */
	dwr(&f, GICD_ISPENDR + 4, 0x6u);
	assert_int_equal(srd(&f, 0, ICC_HPPIR1), 33);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 33); /* 0x40 < 0x80 */
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x40);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023); /* 34 is 0x40: not below RPR */
	assert_int_equal(srd(&f, 0, ICC_HPPIR1), 34); /* still the candidate */
	dwr(&f, GICD_ISPENDR + 4, 0x8u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 35);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x10);
	assert_int_equal(srd(&f, 0, ICC_AP1R0), (1u << 2) | (1u << 8) | (1u << 16));
	swr(&f, 0, ICC_EOIR1, 35);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x40);
	swr(&f, 0, ICC_EOIR1, 33);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x80);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 34);
	swr(&f, 0, ICC_EOIR1, 34);
	swr(&f, 0, ICC_EOIR1, 32);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xff);
	/* PMR masks: priority must be below it */
	swr(&f, 0, ICC_PMR, 0x40);
	dwr(&f, GICD_ISPENDR + 4, 0x1u | 0x2u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);
	assert_false(ax_devices_irq_pending(f.set, 0));
	memset(kicks, 0, sizeof(kicks));
	swr(&f, 0, ICC_PMR, 0x50);
	assert_true(kicks[0] > 0);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 33);
	swr(&f, 0, ICC_EOIR1, 33);
	/* group priority by BPR1: 0x80 vs running 0x90 with BPR1 = 5 (mask 0xe0) */
	swr(&f, 0, ICC_PMR, 0xf0);
	swr(&f, 0, ICC_BPR1, 5);
	dwr(&f, GICD_ICPENDR + 4, ~0u);
	dwr(&f, GICD_IPRIORITYR + 32, 0x10409080u);
	dwr(&f, GICD_ISPENDR + 4, 0x2u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 33); /* 0x90: group 0x80 */
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x80);
	dwr(&f, GICD_ISPENDR + 4, 0x1u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023); /* 0x80: same group priority */
	swr(&f, 0, ICC_EOIR1, 33);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 32);
	swr(&f, 0, ICC_EOIR1, 32);
	/* spurious ids do not drop priority */
	dwr(&f, GICD_ISPENDR + 4, 0x8u);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 35);
	swr(&f, 0, ICC_EOIR1, 1023);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0x00);
	swr(&f, 0, ICC_EOIR1, 35);
	assert_int_equal(srd(&f, 0, ICC_RPR), 0xff);
	teardown(&f);
}

static void test_level_and_gating(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	linux_probe(&f);
	/* level PPI 27 from the host (timer-style) through the fabric's PPI sink */
	rwr(&f, 1, GICR_ISENABLER0, 1u << 27);
	ax_irq_fabric_set_ppi(fake_set_fabric(f.set), 1, 27, true);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 27);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);			    /* banked */
	assert_int_equal(rrd(&f, 1, GICR_ISPENDR0) & (1u << 27), 1u << 27); /* line high */
	swr(&f, 1, ICC_EOIR1, 27);
	memset(kicks, 0, sizeof(kicks));
	ax_irq_fabric_set_ppi(fake_set_fabric(f.set), 1, 27, true);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 27); /* re-asserted after EOI */
	ax_irq_fabric_set_ppi(fake_set_fabric(f.set), 1, 27, false);
	swr(&f, 1, ICC_EOIR1, 27);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	/* EOI with the line still high notifies */
	ax_gicv3_set_level(f.gic, 1, 27, true);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 27);
	memset(kicks, 0, sizeof(kicks));
	swr(&f, 1, ICC_EOIR1, 27);
	assert_true(kicks[1] > 0);
	assert_true(ax_devices_irq_pending(f.set, 1));
	/* gates: GICD EnableGrp1, Group 0, IGRPEN1, disabled, sleep */
	dwr(&f, GICD_CTLR, 1);
	assert_false(ax_devices_irq_pending(f.set, 1));
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	dwr(&f, GICD_CTLR, 2);
	assert_true(ax_devices_irq_pending(f.set, 1));
	rwr(&f, 1, GICR_IGROUPR0, 0);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	assert_int_equal(srd(&f, 1, ICC_HPPIR1), 1023);
	rwr(&f, 1, GICR_IGROUPR0, ~0u);
	swr(&f, 1, ICC_IGRPEN1, 0);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	swr(&f, 1, ICC_IGRPEN1, 1);
	rwr(&f, 1, GICR_WAKER, 2);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	rwr(&f, 1, GICR_WAKER, 0);
	rwr(&f, 1, GICR_ICENABLER0, 1u << 27);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	rwr(&f, 1, GICR_ISENABLER0, 1u << 27);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 27);
	/* host API */
	uint32_t id;
	uint8_t prio;

	assert_int_equal(ax_gicv3_running_priority(f.gic, 1), 0xa0);
	assert_int_equal(ax_gicv3_highest_pending(f.gic, 1, &id, &prio), AX_ERR_NOT_FOUND);
	ax_gicv3_set_level(f.gic, 1, 27, false);
	swr(&f, 1, ICC_EOIR1, 27);
	ax_gicv3_set_level(f.gic, 1, 27, true);
	assert_int_equal(ax_gicv3_highest_pending(f.gic, 1, &id, &prio), AX_OK);
	assert_int_equal(id, 27);
	assert_int_equal(prio, 0xa0);
	assert_int_equal(ax_gicv3_set_level(f.gic, 0, 3, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicv3_set_level(f.gic, 0, 128, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicv3_set_level(f.gic, 9, 20, true), AX_ERR_INVALID_INPUT);
	teardown(&f);
}

static void test_spi_routing(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	linux_probe(&f);
	dwr(&f, GICD_ISENABLER + 4, 0x3u);
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 32, 8, 2); /* Aff0 = 2: vCPU 2 */
	memset(kicks, 0, sizeof(kicks));
	dwr(&f, GICD_ISPENDR + 4, 0x1u);
	assert_true(kicks[2] > 0);
	assert_int_equal(kicks[0], 0);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);
	assert_int_equal(srd(&f, 2, ICC_IAR1), 32);
	swr(&f, 2, ICC_EOIR1, 32);
	/* affinity matching nobody */
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 32, 8, 0x100);
	dwr(&f, GICD_ISPENDR + 4, 0x1u);
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		assert_int_equal(srd(&f, c, ICC_HPPIR1), 1023);
	/* IRM: any vCPU, the first to acknowledge takes it */
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 32, 8, 1ull << 31);
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		assert_int_equal(srd(&f, c, ICC_HPPIR1), 32);
	assert_int_equal(srd(&f, 3, ICC_IAR1), 32);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 1023);
	swr(&f, 3, ICC_EOIR1, 32);
	teardown(&f);
}

static void test_sgi_targeting(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	linux_probe(&f);
	/* by list: SGI 5 to Aff1 0, Aff0 {1, 3} */
	memset(kicks, 0, sizeof(kicks));
	swr(&f, 0, ICC_SGI1R, (5ull << 24) | 0xa);
	assert_true(kicks[1] > 0 && kicks[3] > 0);
	assert_int_equal(kicks[0] + kicks[2], 0);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 5);
	assert_int_equal(srd(&f, 3, ICC_IAR1), 5);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);
	assert_int_equal(srd(&f, 2, ICC_IAR1), 1023);
	swr(&f, 1, ICC_EOIR1, 5);
	swr(&f, 3, ICC_EOIR1, 5);
	/* by affinity: Aff1 = 1 names vCPUs 16.. that do not exist; RS != 0 too */
	swr(&f, 0, ICC_SGI1R, (6ull << 24) | (1ull << 16) | 0x1);
	swr(&f, 0, ICC_SGI1R, (6ull << 24) | (1ull << 44) | 0x1);
	swr(&f, 0, ICC_SGI1R, (6ull << 24) | (1ull << 32) | 0x1);
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		assert_int_equal(srd(&f, c, ICC_IAR1), 1023);
	/* to self by list */
	swr(&f, 2, ICC_SGI1R, (7ull << 24) | 0x4);
	assert_int_equal(srd(&f, 2, ICC_IAR1), 7);
	swr(&f, 2, ICC_EOIR1, 7);
	/* IRM: everyone but the sender */
	swr(&f, 2, ICC_SGI1R, (1ull << 40) | (9ull << 24));
	assert_int_equal(srd(&f, 2, ICC_IAR1), 1023);
	for (uint32_t c = 0; c < NR_VCPUS; c++) {
		if (c == 2)
			continue;
		assert_int_equal(srd(&f, c, ICC_IAR1), 9);
		swr(&f, c, ICC_EOIR1, 9);
	}
	/* SGI pending bits are visible in the target's GICR */
	swr(&f, 0, ICC_SGI1R, (3ull << 24) | 0x2);
	assert_int_equal(rrd(&f, 1, GICR_ISPENDR0), 1u << 3);
	teardown(&f);
}

static void test_redistributor_last_and_waker(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	for (uint32_t c = 0; c < NR_VCPUS; c++) {
		assert_int_equal(rrd(&f, c, GICR_WAKER), 6); /* asleep at reset */
		assert_int_equal((rrd(&f, c, GICR_TYPER) >> 4) & 1, c == NR_VCPUS - 1);
	}
	/* a sleeping redistributor forwards nothing; waking it notifies */
	dwr(&f, GICD_CTLR, 2);
	rwr(&f, 0, GICR_IGROUPR0, ~0u);
	rwr(&f, 0, GICR_ISENABLER0, 1u);
	rwr(&f, 0, GICR_ISPENDR0, 1u);
	swr(&f, 0, ICC_PMR, 0xf0);
	swr(&f, 0, ICC_IGRPEN1, 1);
	assert_false(ax_devices_irq_pending(f.set, 0));
	memset(kicks, 0, sizeof(kicks));
	rwr(&f, 0, GICR_WAKER, 0);
	assert_true(kicks[0] > 0);
	assert_true(ax_devices_irq_pending(f.set, 0));
	/* reset of the set returns everything to power-on state */
	ax_devices_reset(f.set);
	assert_int_equal(rrd(&f, 0, GICR_WAKER), 6);
	assert_int_equal(rrd(&f, 0, GICR_ISENABLER0), 0);
	assert_int_equal(srd(&f, 0, ICC_PMR), 0);
	assert_int_equal(drd(&f, GICD_CTLR), (1u << 4) | (1u << 6));
	teardown(&f);
}

/* ---- acknowledge counters ------------------------------------------------- */

static struct ax_irq_ack_stats ack_stats(struct fixture *f, uint32_t vcpu)
{
	struct ax_irq_ack_stats st;

	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(ax_devices_irq_ack_stats(f->set, vcpu, &st), AX_OK);
	return st;
}

#define assert_acks(f, vcpu, nsgi, nppi, nspi, nspur)                                              \
	do {                                                                                       \
		struct ax_irq_ack_stats st_ = ack_stats((f), (vcpu));                              \
		assert_int_equal(st_.sgi, (nsgi));                                                 \
		assert_int_equal(st_.ppi, (nppi));                                                 \
		assert_int_equal(st_.spi, (nspi));                                                 \
		assert_int_equal(st_.spurious, (nspur));                                           \
	} while (0)

static void test_ack_stats(void **state)
{
	struct fixture f;
	struct ax_irq_lines *l;
	struct ax_irq_ack_stats st;

	(void)state;
	setup(&f);
	l = fake_line_lines(f.set, 4);
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		assert_acks(&f, c, 0, 0, 0, 0);
	linux_probe(&f);
	/* two SGIs to vCPU 1, from vCPUs 0 and 2, taken through ICC_IAR1_EL1 */
	swr(&f, 0, ICC_SGI1R, (5ull << 24) | 0x2);
	swr(&f, 2, ICC_SGI1R, (6ull << 24) | 0x2);
	assert_int_equal(srd(&f, 1, ICC_HPPIR1), 5); /* HPPIR is not an acknowledge */
	assert_int_equal(srd(&f, 1, ICC_IAR1), 5);
	swr(&f, 1, ICC_EOIR1, 5);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 6);
	swr(&f, 1, ICC_EOIR1, 6);
	/* the timer's PPI 27 on vCPU 1 */
	rwr(&f, 1, GICR_ISENABLER0, 1u << 27);
	assert_int_equal(ax_gicv3_set_level(f.gic, 1, 27, true), AX_OK);
	assert_int_equal(srd(&f, 1, ICC_IAR1), 27);
	assert_int_equal(ax_gicv3_set_level(f.gic, 1, 27, false), AX_OK);
	swr(&f, 1, ICC_EOIR1, 27);
	/* SPI 40 from the line device, routed to vCPU 0 by the probe */
	dwr(&f, GICD_ISENABLER + 4, 1u << 8);
	ax_irq_line_set_level(l, 40, true);
	assert_int_equal(srd(&f, 0, ICC_IAR1), 40);
	ax_irq_line_set_level(l, 40, false);
	swr(&f, 0, ICC_EOIR1, 40);
	/* spurious: IAR1 with nothing pending, IAR0 (Group 0 is never signalled) */
	assert_int_equal(srd(&f, 0, ICC_IAR1), 1023);
	assert_int_equal(srd(&f, 2, ICC_IAR0), 1023);
	assert_int_equal(srd(&f, 2, ICC_IAR0), 1023);
	/* each class on the right vCPU only */
	assert_acks(&f, 0, 0, 0, 1, 1);
	assert_acks(&f, 1, 2, 1, 0, 0);
	assert_acks(&f, 2, 0, 0, 0, 2);
	assert_acks(&f, 3, 0, 0, 0, 0);
	/* a reset of the set keeps them */
	ax_devices_reset(f.set);
	assert_acks(&f, 0, 0, 0, 1, 1);
	assert_acks(&f, 1, 2, 1, 0, 0);
	/* vCPUs the GIC lacks, no output */
	assert_int_equal(ax_devices_irq_ack_stats(f.set, NR_VCPUS, &st), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_irq_ack_stats(f.set, 1u << 20, &st), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_irq_ack_stats(f.set, 0, NULL), AX_ERR_INVALID_INPUT);
	teardown(&f);
}

/* ---- config --------------------------------------------------------------- */

static enum ax_err build(const struct ax_emu_config *emu, size_t n, struct ax_diag *diag,
			 struct ax_devices **set, struct test_host *host)
{
	struct ax_vm_device_config vm = { emu, n };
	struct ax_devices_params params = { .max_vcpus = 2 };

	test_host_init(host, false);
	params.hooks = &host->hooks;
	enum ax_err err = ax_devices_create(&params, &vm, set, diag);

	if (err != AX_OK)
		test_host_fini(host);
	return err;
}

static void test_config(void **state)
{
	struct test_host host;
	struct ax_devices *set;
	struct ax_diag diag = { 0 };
	struct ax_gicv3 *gic;

	(void)state;
	/* icc-sre + sgir alone: the rest is the hardware GIC's */
	struct ax_emu_config seeds[2] = {
		{ .name = "sre", .base_gpa = SR(3, 0, 12, 12, 5), .length = 1, .emu_type = 7 },
		{ .name = "sgir", .base_gpa = SR(3, 0, 12, 11, 5), .length = 1, .emu_type = 8 },
	};

	assert_int_equal(build(seeds, 2, &diag, &set, &host), AX_OK);
	uint64_t v = 0;

	assert_int_equal(ax_devices_handle_sysreg_read(set, 0, SR(3, 0, 12, 12, 5), 8, &v), AX_OK);
	assert_int_equal(v, 7);
	assert_int_equal(ax_devices_handle_sysreg_write(set, 1, SR(3, 0, 12, 11, 5), 8, 0x1),
			 AX_OK);
	assert_int_equal(ax_devices_handle_sysreg_read(set, 0, SR(3, 0, 12, 12, 0), 8, &v),
			 AX_ERR_NOT_FOUND); /* IAR1 is the hardware's */
	assert_int_equal(ax_gicv3_from_device(set, 2, &gic), AX_OK);
	assert_false(ax_devices_irq_pending(set, 0));
	{
		struct ax_irq_ack_stats st;

		/* no ICC model: the set has no CPU interface to count */
		assert_int_equal(ax_devices_irq_ack_stats(set, 0, &st), AX_ERR_NOT_FOUND);
	}
	ax_devices_destroy(set);
	test_host_fini(&host);

	/* icc with icc-sre: overlap, named */
	struct ax_emu_config both[2] = {
		{ .name = "icc", .base_gpa = SR(3, 0, 12, 8, 0), .length = 0x28, .emu_type = 0x43 },
		{ .name = "sre", .base_gpa = SR(3, 0, 12, 12, 5), .length = 1, .emu_type = 7 },
	};

	assert_int_not_equal(build(both, 2, &diag, &set, &host), AX_OK);
	assert_non_null(strstr(diag.msg, "icc"));
	assert_non_null(strstr(diag.msg, "sre"));

	/* bad shapes */
	struct ax_emu_config bad = {
		.name = "g", .base_gpa = 0, .length = 0x1000, .emu_type = 0x42
	};

	assert_int_equal(build(&bad, 1, &diag, &set, &host), AX_ERR_INVALID_INPUT);
	bad.emu_type = 9;
	bad.length = 0x20000; /* two vCPUs need two frames */
	assert_int_equal(build(&bad, 1, &diag, &set, &host), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "0x40000"));
	bad.emu_type = 7;
	bad.length = 1;
	assert_int_equal(build(&bad, 1, &diag, &set, &host), AX_ERR_INVALID_INPUT);
	const uint64_t irqs[1] = { 40 };
	struct ax_emu_config d = { .name = "g",
				   .base_gpa = 0,
				   .length = 0x10000,
				   .emu_type = 0x42,
				   .cfg_list = irqs,
				   .cfg_len = 1 };

	assert_int_equal(build(&d, 1, &diag, &set, &host), AX_ERR_INVALID_INPUT);
	/* two distributors */
	struct ax_emu_config two[2] = {
		{ .name = "d1", .base_gpa = 0, .length = 0x10000, .emu_type = 0x42 },
		{ .name = "d2", .base_gpa = 0x10000, .length = 0x10000, .emu_type = 0x42 },
	};

	assert_int_not_equal(build(two, 2, &diag, &set, &host), AX_OK);
	/* two sets do not share a core */
	struct ax_emu_config one = {
		.name = "d", .base_gpa = 0, .length = 0x10000, .emu_type = 0x42
	};
	struct test_host host2;
	struct ax_devices *set2;
	struct ax_gicv3 *gic2;

	assert_int_equal(build(&one, 1, &diag, &set, &host), AX_OK);
	assert_int_equal(build(&one, 1, &diag, &set2, &host2), AX_OK);
	assert_int_equal(ax_gicv3_from_device(set, 1, &gic), AX_OK);
	assert_int_equal(ax_gicv3_from_device(set2, 1, &gic2), AX_OK);
	assert_ptr_not_equal(gic, gic2);
	ax_devices_destroy(set2);
	test_host_fini(&host2);
	ax_devices_destroy(set);
	test_host_fini(&host);
}

/* ---- threads ------------------------------------------------------------ */

struct thread_arg {
	struct fixture *f;
	uint32_t cpu;
	unsigned handled;
};

#define ROUNDS 2000

/* Each vCPU sends SGI 1 to the next one and handles what it gets. */
static void *vcpu_thread(void *p)
{
	struct thread_arg *a = p;
	struct fixture *f = a->f;
	uint32_t next = (a->cpu + 1) % NR_VCPUS;

	for (unsigned i = 0; i < ROUNDS; i++) {
		swr(f, a->cpu, ICC_SGI1R, (1ull << 24) | (1ull << next));
		uint32_t id = linux_handle_one(f, a->cpu);

		if (id < 1020)
			a->handled++;
		ax_gicv3_set_level(f->gic, a->cpu, 20, i & 1);
		ax_irq_line_set_level(fake_line_lines(f->set, 4), 40, i & 1);
	}
	/* drain */
	for (unsigned i = 0; i < 100; i++)
		if (linux_handle_one(f, a->cpu) < 1020)
			a->handled++;
	return NULL;
}

/* --- the acknowledge's search against the register state ------------------ */

static uint64_t oracle_rng;

static uint32_t orand(uint32_t n)
{
	oracle_rng ^= oracle_rng << 13;
	oracle_rng ^= oracle_rng >> 7;
	oracle_rng ^= oracle_rng << 17;
	return (uint32_t)(oracle_rng % n);
}

#define O_IRQS 128u

/* A bit of the per-interrupt register at `off` for id, read where it lives for `cpu`. */
static uint32_t obit(struct fixture *f, uint32_t cpu, uint32_t off, uint32_t id)
{
	uint32_t v = id < 32 ? rrd(f, cpu, GICR_SGI + off) : drd(f, off + id / 32 * 4);

	return (v >> (id % 32)) & 1u;
}

static uint32_t oprio(struct fixture *f, uint32_t cpu, uint32_t id)
{
	uint32_t v = id < 32 ? rrd(f, cpu, GICR_IPRIORITYR0 + (id & ~3u))
			     : drd(f, GICD_IPRIORITYR + (id & ~3u));

	return (v >> (8 * (id & 3))) & 0xff;
}

/*
 * ICC_HPPIR1_EL1 as IHI 0069 defines it here (Group 1 only), from what the
 * registers read back: the highest-priority (lowest id on ties) interrupt
 * that is enabled, pending, inactive, Group 1 and routed to `cpu` (SPIs:
 * IROUTER.IRM or its affinity), with GICD_CTLR.EnableGrp1, the
 * redistributor awake and ICC_IGRPEN1_EL1 set.
 */
static uint32_t expected_hppir1(struct fixture *f, uint32_t cpu)
{
	uint32_t best = 1023, best_prio = 0;

	if (!(drd(f, GICD_CTLR) & 2u) || (rrd(f, cpu, GICR_WAKER) & 2u) ||
	    !(srd(f, cpu, ICC_IGRPEN1) & 1u))
		return 1023;
	for (uint32_t id = 0; id < O_IRQS; id++) {
		if (!obit(f, cpu, 0x100, id) || !obit(f, cpu, 0x200, id) ||
		    obit(f, cpu, 0x300, id) || !obit(f, cpu, 0x80, id))
			continue;
		if (id >= 32) {
			uint64_t r = mrd(f, cpu, GICD_BASE + GICD_IROUTER + 8ull * id, 8);

			if (!(r & (1ull << 31)) && (r & 0xff00ffffffull) != cpu)
				continue;
		}
		uint32_t prio = oprio(f, cpu, id);

		if (best == 1023 || prio < best_prio) {
			best = id;
			best_prio = prio;
		}
	}
	return best;
}

/* Mostly a few ids of each kind (so that they meet), sometimes any. */
static uint32_t oracle_id(void)
{
	static const uint32_t pool[] = { 2, 7, 19, 27, 32, 40, 63, 64, 77, 100, 127 };

	return orand(5) ? pool[orand(sizeof(pool) / sizeof(pool[0]))] : orand(O_IRQS);
}

static void oracle_step(struct fixture *f)
{
	static const uint32_t bits_regs[] = { 0x100, 0x180, 0x200, 0x280, 0x300, 0x380 };
	uint32_t cpu = orand(NR_VCPUS), id = oracle_id(), bit = 1u << (id % 32), v;

	switch (orand(13)) {
	case 0:
	case 1:
	case 2: /* set/clear enable, pending, active */
		v = bits_regs[orand(6)];
		if (id < 32)
			rwr(f, cpu, GICR_SGI + v, bit);
		else
			dwr(f, v + id / 32 * 4, bit);
		break;
	case 3:
		v = (uint32_t)orand(4) << 6;
		if (id < 32)
			mwr(f, cpu, GICR_BASE + cpu * 0x20000ull + GICR_IPRIORITYR0 + id, 1, v);
		else
			mwr(f, cpu, GICD_BASE + GICD_IPRIORITYR + id, 1, v);
		break;
	case 4: /* group */
		if (id < 32)
			rwr(f, cpu, GICR_IGROUPR0, rrd(f, cpu, GICR_IGROUPR0) ^ bit);
		else
			dwr(f, GICD_IGROUPR + id / 32 * 4,
			    drd(f, GICD_IGROUPR + id / 32 * 4) ^ bit);
		break;
	case 5: /* route: one vCPU, none of them, or any (IRM) */
		if (id >= 32)
			mwr(f, cpu, GICD_BASE + GICD_IROUTER + 8ull * id, 8,
			    orand(3) ? orand(NR_VCPUS + 1) : 1ull << 31);
		break;
	case 6: /* SGI to a target list, or to all but self */
		swr(f, cpu, ICC_SGI1R,
		    (uint64_t)orand(16) << 24 | (orand(4) ? orand(16) : 1ull << 40));
		break;
	case 7:
		if (id >= 32)
			dwr(f, GICD_ICFGR + id / 16 * 4, orand(2) << (2 * (id % 16) + 1));
		break;
	case 8:
		if (id >= 16)
			assert_int_equal(ax_gicv3_set_level(f->gic, cpu, id, orand(2)), AX_OK);
		break;
	case 9: /* acknowledge, and usually end it */
		v = (uint32_t)srd(f, cpu, ICC_IAR1);
		if (v < 1020 && orand(4))
			swr(f, cpu, ICC_EOIR1, v);
		break;
	case 10:
		swr(f, cpu, ICC_CTLR, orand(4) ? 0 : 2); /* EOImode */
		swr(f, cpu, ICC_DIR, oracle_id());
		break;
	case 11:
		if (orand(2))
			swr(f, cpu, ICC_IGRPEN1, orand(4) != 0);
		else
			rwr(f, cpu, GICR_WAKER, orand(4) ? 0 : 2);
		break;
	default:
		dwr(f, GICD_CTLR, (1u << 4) | (orand(4) ? 3u : 1u));
		break;
	}
}

/* Random register traffic; after each step ICC_HPPIR1_EL1 agrees with the register state. */
static void test_hppir1_matches_register_state(void **state)
{
	struct fixture f;

	(void)state;
	oracle_rng = 0x2545f4914f6cdd1dull;
	setup(&f);
	linux_probe(&f);
	for (unsigned step = 0; step < 4000; step++) {
		oracle_step(&f);
		if (step % 1000 == 999) {
			assert_int_equal(ax_devices_reset(f.set), AX_OK);
			linux_probe(&f);
		}
		for (uint32_t cpu = 0; cpu < NR_VCPUS; cpu++)
			assert_int_equal(srd(&f, cpu, ICC_HPPIR1), expected_hppir1(&f, cpu));
	}
	teardown(&f);
}

static void test_threads(void **state)
{
	struct fixture f;
	pthread_t th[NR_VCPUS];
	struct thread_arg args[NR_VCPUS];

	(void)state;
	setup(&f);
	linux_probe(&f);
	dwr(&f, GICD_ISENABLER + 4, 1u << 8);
	mwr(&f, 0, GICD_BASE + GICD_IROUTER + 8 * 40, 8, 1ull << 31);
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		rwr(&f, c, GICR_ISENABLER0, 1u << 20);
	for (uint32_t c = 0; c < NR_VCPUS; c++) {
		args[c] = (struct thread_arg){ &f, c, 0 };
		assert_int_equal(pthread_create(&th[c], NULL, vcpu_thread, &args[c]), 0);
	}
	for (uint32_t c = 0; c < NR_VCPUS; c++)
		pthread_join(th[c], NULL);
	for (uint32_t c = 0; c < NR_VCPUS; c++) {
		struct ax_irq_ack_stats st = ack_stats(&f, c);

		assert_true(args[c].handled > 0);
		/* every IAR1 that returned an interrupt, counted under contention */
		assert_int_equal(st.sgi + st.ppi + st.spi, args[c].handled);
		assert_true(st.spurious > 0); /* the drain's reads at least */
		assert_int_equal(srd(&f, c, ICC_RPR), 0xff);
	}
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_registers),
		cmocka_unit_test(test_per_register_state),
		cmocka_unit_test(test_linux_probe_and_handler),
		cmocka_unit_test(test_priorities_and_preemption),
		cmocka_unit_test(test_level_and_gating),
		cmocka_unit_test(test_spi_routing),
		cmocka_unit_test(test_sgi_targeting),
		cmocka_unit_test(test_redistributor_last_and_waker),
		cmocka_unit_test(test_ack_stats),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_hppir1_matches_register_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
