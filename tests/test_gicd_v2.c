/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GICv2 distributor: every register's reset value and semantics, widths,
 * per-vCPU banking, SGI generation, and the host-side interrupt model, all
 * driven through a device set. Offsets and values come from IHI 0048B.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicd_v2.h>

#include "host_posix.h"

#define BASE 0x08000000ull

/* IHI 0048B Table 4-1, spelled out here rather than taken from the model. */
enum {
	CTLR = 0x000,
	TYPER = 0x004,
	IIDR = 0x008,
	IGROUPR = 0x080,
	ISENABLER = 0x100,
	ICENABLER = 0x180,
	ISPENDR = 0x200,
	ICPENDR = 0x280,
	ISACTIVER = 0x300,
	ICACTIVER = 0x380,
	IPRIORITYR = 0x400,
	ITARGETSR = 0x800,
	ICFGR = 0xc00,
	SGIR = 0xf00,
	CPENDSGIR = 0xf10,
	SPENDSGIR = 0xf20,
	PIDR4 = 0xfd0,
	PIDR0 = 0xfe0,
	PIDR2 = 0xfe8,
	CIDR0 = 0xff0,
};

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_gicd_v2 *gicd;
	unsigned kicks[8];
};

static void notify(void *ctx, uint32_t cpu)
{
	struct fixture *f = ctx;

	assert_true(cpu < 8);
	__atomic_add_fetch(&f->kicks[cpu], 1, __ATOMIC_RELAXED); /* any thread may notify */
}

static enum ax_err make(struct fixture *f, const uint64_t *cfg, size_t cfg_len, uint64_t length,
			struct ax_diag *diag)
{
	struct ax_emu_config emu = { .name = "gicd",
				     .base_gpa = BASE,
				     .length = length,
				     .emu_type = AX_EMU_GICD_V2,
				     .cfg_list = cfg,
				     .cfg_len = cfg_len };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &f->host.hooks, .max_vcpus = 8 };
	enum ax_err err;

	memset(f, 0, sizeof(*f));
	test_host_init(&f->host, false);
	err = ax_devices_create(&params, &vm, &f->set, diag);
	if (err != AX_OK) {
		test_host_fini(&f->host);
		return err;
	}
	assert_int_equal(ax_gicd_v2_from_device(f->set, 1, &f->gicd), AX_OK);
	ax_gicd_v2_set_notify(f->gicd, notify, f);
	return AX_OK;
}

static void setup(struct fixture *f, uint64_t num_irqs, uint64_t num_cpus)
{
	const uint64_t cfg[2] = { num_irqs, num_cpus };
	struct ax_diag diag = { 0 };

	if (make(f, cfg, 2, 0x1000, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
}

static void teardown(struct fixture *f)
{
	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
}

static uint64_t rd(struct fixture *f, uint32_t vcpu, uint32_t off, unsigned width)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, vcpu, BASE + off, width, &val), AX_OK);
	return val;
}

static uint32_t rd32(struct fixture *f, uint32_t vcpu, uint32_t off)
{
	return (uint32_t)rd(f, vcpu, off, 4);
}

static void wr(struct fixture *f, uint32_t vcpu, uint32_t off, unsigned width, uint64_t val)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, vcpu, BASE + off, width, val), AX_OK);
}

static void wr32(struct fixture *f, uint32_t vcpu, uint32_t off, uint32_t val)
{
	wr(f, vcpu, off, 4, val);
}

static uint32_t bank_off(uint32_t base, uint32_t irq)
{
	return base + irq / 32 * 4;
}

static uint32_t bit(uint32_t irq)
{
	return 1u << (irq % 32);
}

/* The highest pending interrupt of `cpu`, or -1 when there is none. */
static int highest(struct fixture *f, uint32_t cpu, uint32_t *source, uint8_t *priority)
{
	uint32_t irq = 0;
	enum ax_err err = ax_gicd_v2_highest_pending(f->gicd, cpu, &irq, source, priority);

	if (err == AX_ERR_NOT_FOUND)
		return -1;
	assert_int_equal(err, AX_OK);
	return (int)irq;
}

static void test_reset_values(void **state)
{
	struct fixture f;
	static const uint8_t ids[12] = {
		0x04, 0, 0, 0, 0x90, 0xb4, 0x2b, 0, 0x0d, 0xf0, 0x05, 0xb1
	};

	(void)state;
	setup(&f, 96, 4);
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		uint32_t own = 0x01010101u << cpu;

		assert_int_equal(rd32(&f, cpu, CTLR), 0);
		/* ITLinesNumber = 96/32 - 1, CPUNumber = 4 - 1, SecurityExtn = 0 */
		assert_int_equal(rd32(&f, cpu, TYPER), 2 | (3 << 5));
		assert_int_equal(rd32(&f, cpu, IIDR), 0x4100043b);
		assert_int_equal(rd32(&f, cpu, IIDR) & 0xfff, 0x43b);
		for (uint32_t n = 0; n < 32; n++) {
			uint32_t sgis_on = n == 0 ? 0x0000ffffu : 0; /* SGIs reset enabled */

			assert_int_equal(rd32(&f, cpu, IGROUPR + 4 * n), 0);
			assert_int_equal(rd32(&f, cpu, ISENABLER + 4 * n), sgis_on);
			assert_int_equal(rd32(&f, cpu, ICENABLER + 4 * n), sgis_on);
			assert_int_equal(rd32(&f, cpu, ISPENDR + 4 * n), 0);
			assert_int_equal(rd32(&f, cpu, ICPENDR + 4 * n), 0);
			assert_int_equal(rd32(&f, cpu, ISACTIVER + 4 * n), 0);
			assert_int_equal(rd32(&f, cpu, ICACTIVER + 4 * n), 0);
		}
		for (uint32_t n = 0; n < 255; n++) {
			assert_int_equal(rd32(&f, cpu, IPRIORITYR + 4 * n), 0);
			/* private: own CPU bit; SPIs: no target (Table 4-1: 0x00000000) */
			uint32_t targets = n < 8 ? own : 0;

			assert_int_equal(rd32(&f, cpu, ITARGETSR + 4 * n), targets);
		}
		for (uint32_t n = 0; n < 64; n++)
			assert_int_equal(rd32(&f, cpu, ICFGR + 4 * n), n == 0 ? 0xaaaaaaaau : 0);
		assert_int_equal(rd32(&f, cpu, SGIR), 0); /* write-only */
		for (uint32_t n = 0; n < 4; n++) {
			assert_int_equal(rd32(&f, cpu, CPENDSGIR + 4 * n), 0);
			assert_int_equal(rd32(&f, cpu, SPENDSGIR + 4 * n), 0);
		}
		for (uint32_t n = 0; n < 12; n++)
			assert_int_equal(rd32(&f, cpu, PIDR4 + 4 * n), ids[n]);
		assert_int_equal((rd32(&f, cpu, PIDR2) >> 4) & 0xf, 2); /* ArchRev: GICv2 */
	}
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	/* an SPI nobody routed yet reaches no CPU */
	wr32(&f, 0, CTLR, 1);
	wr32(&f, 0, ISENABLER + 4, bit(40));
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 40, true), AX_OK);
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		assert_int_equal(highest(&f, cpu, NULL, NULL), -1);
		assert_int_equal(f.kicks[cpu], 0);
	}
	wr(&f, 0, ITARGETSR + 40, 1, 0x04);
	assert_int_equal(highest(&f, 2, NULL, NULL), 40);
	assert_int_equal(f.kicks[2], 1);
	teardown(&f);
}

static void test_typer_extremes(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 32, 1);
	assert_int_equal(rd32(&f, 0, TYPER), 0);
	teardown(&f);
	setup(&f, 1024, 8);
	assert_int_equal(rd32(&f, 0, TYPER), 31 | (7 << 5));
	/* 1020..1023 are special ids: not implemented even with num_irqs = 1024 */
	wr32(&f, 0, bank_off(ISENABLER, 1000), 0xffffffff);
	assert_int_equal(rd32(&f, 0, bank_off(ISENABLER, 1000)), 0x0fffffff);
	wr32(&f, 0, IPRIORITYR + 1016, 0xf8f8f8f8);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 1016), 0xf8f8f8f8);
	assert_int_equal(rd(&f, 0, IPRIORITYR + 1019, 1), 0xf8);
	assert_int_equal(rd(&f, 0, IPRIORITYR + 1020, 1), 0);
	/* the last ITARGETSR byte is 1019's; 0xbfc (1020..1023) is reserved */
	wr(&f, 7, ITARGETSR + 1019, 1, 0xff);
	assert_int_equal(rd32(&f, 0, ITARGETSR + 1016), 0xff000000);
	wr32(&f, 0, ITARGETSR + 1020, 0xffffffff);
	assert_int_equal(rd32(&f, 0, ITARGETSR + 1020), 0);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 1020, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 1019, true), AX_OK);
	teardown(&f);
}

static void test_ctlr_and_group(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	wr32(&f, 0, CTLR, 0xffffffff);
	assert_int_equal(rd32(&f, 1, CTLR), 3); /* EnableGrp0 | EnableGrp1, not banked */
	wr32(&f, 1, CTLR, 0);
	assert_int_equal(rd32(&f, 0, CTLR), 0);
	/* read-only identification registers ignore writes */
	wr32(&f, 0, TYPER, 0);
	wr32(&f, 0, IIDR, 0);
	wr32(&f, 0, PIDR2, 0);
	assert_int_equal(rd32(&f, 0, TYPER), 1 | (1 << 5));
	assert_int_equal(rd32(&f, 0, IIDR), 0x4100043b);
	assert_int_equal(rd32(&f, 0, PIDR2), 0x2b);
	/* IGROUPR is read/write; 0 is banked, SPIs are shared */
	wr32(&f, 0, IGROUPR, 0x80000001);
	wr32(&f, 1, IGROUPR + 4, 0x00010000);
	assert_int_equal(rd32(&f, 0, IGROUPR), 0x80000001);
	assert_int_equal(rd32(&f, 1, IGROUPR), 0);
	assert_int_equal(rd32(&f, 0, IGROUPR + 4), 0x00010000);
	wr32(&f, 0, IGROUPR, 0);
	assert_int_equal(rd32(&f, 0, IGROUPR), 0);
	teardown(&f);
}

/* One set/clear pair on an SPI and a PPI. */
static void check_set_clear(struct fixture *f, uint32_t set_base, uint32_t clear_base)
{
	static const uint32_t irqs[] = { 16, 31, 33, 63 };

	for (size_t i = 0; i < 4; i++) {
		uint32_t irq = irqs[i];
		uint32_t before = rd32(f, 0, bank_off(set_base, irq));

		wr32(f, 0, bank_off(set_base, irq), bit(irq));
		assert_int_equal(rd32(f, 0, bank_off(set_base, irq)), before | bit(irq));
		assert_int_equal(rd32(f, 0, bank_off(clear_base, irq)), before | bit(irq));
		wr32(f, 0, bank_off(set_base, irq), 0); /* zeros change nothing */
		wr32(f, 0, bank_off(clear_base, irq), 0);
		assert_int_equal(rd32(f, 0, bank_off(set_base, irq)), before | bit(irq));
		wr32(f, 0, bank_off(clear_base, irq), bit(irq));
		assert_int_equal(rd32(f, 0, bank_off(set_base, irq)), before);
		assert_int_equal(rd32(f, 0, bank_off(clear_base, irq)), before);
	}
}

static void test_set_clear_pairs(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 1);
	check_set_clear(&f, ISENABLER, ICENABLER);
	check_set_clear(&f, ISPENDR, ICPENDR);
	check_set_clear(&f, ISACTIVER, ICACTIVER);
	/* SGI enables are writable too */
	wr32(&f, 0, ICENABLER, 0x0000000f);
	assert_int_equal(rd32(&f, 0, ISENABLER), 0x0000fff0);
	wr32(&f, 0, ISENABLER, 0xffffffff);
	assert_int_equal(rd32(&f, 0, ISENABLER), 0xffffffff);
	/* SGI pending bits in ISPENDR0/ICPENDR0 are read-only in GICv2 */
	wr32(&f, 0, ISPENDR, 0x0000ffff);
	assert_int_equal(rd32(&f, 0, ISPENDR), 0);
	wr(&f, 0, SPENDSGIR, 1, 1);
	assert_int_equal(rd32(&f, 0, ISPENDR), 1);
	wr32(&f, 0, ICPENDR, 0x0000ffff);
	assert_int_equal(rd32(&f, 0, ISPENDR), 1);
	teardown(&f);
}

static void test_banking_per_vcpu(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	wr32(&f, 0, ICENABLER, 0xffffffff);
	wr32(&f, 0, ISENABLER, 0x00010002); /* SGI 1, PPI 16 on CPU 0 */
	wr32(&f, 1, ICENABLER, 0x0000ffff);
	wr32(&f, 1, ISENABLER, 0x80000004); /* SGI 2, PPI 31 on CPU 1 */
	assert_int_equal(rd32(&f, 0, ISENABLER), 0x00010002);
	assert_int_equal(rd32(&f, 1, ISENABLER), 0x80000004);

	wr32(&f, 0, ISPENDR, 0x00020000);
	wr32(&f, 1, ISPENDR, 0x00040000);
	assert_int_equal(rd32(&f, 0, ISPENDR), 0x00020000);
	assert_int_equal(rd32(&f, 1, ICPENDR), 0x00040000);

	wr32(&f, 0, ISACTIVER, 0x00080000);
	assert_int_equal(rd32(&f, 0, ISACTIVER), 0x00080000);
	assert_int_equal(rd32(&f, 1, ISACTIVER), 0);

	wr(&f, 0, IPRIORITYR + 16, 1, 0x40);
	wr32(&f, 1, IPRIORITYR + 16, 0xa0a0a0a0);
	wr32(&f, 1, IPRIORITYR, 0x10203040);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 16), 0x40);
	assert_int_equal(rd32(&f, 1, IPRIORITYR + 16), 0xa0a0a0a0);
	assert_int_equal(rd32(&f, 0, IPRIORITYR), 0);
	assert_int_equal(rd32(&f, 1, IPRIORITYR), 0x10203040);

	/* SPI state is shared */
	wr32(&f, 0, ISENABLER + 4, 0x1);
	assert_int_equal(rd32(&f, 1, ISENABLER + 4), 0x1);
	wr(&f, 1, IPRIORITYR + 40, 1, 0x88);
	assert_int_equal(rd(&f, 0, IPRIORITYR + 40, 1), 0x88);
	teardown(&f);
}

static void test_priority_bits(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 1);
	/* 5 bits implemented: the low 3 bits of every byte are RAZ/WI */
	wr32(&f, 0, IPRIORITYR + 32, 0xffffffff);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 32), 0xf8f8f8f8);
	wr(&f, 0, IPRIORITYR + 33, 1, 0x17);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 32), 0xf8f810f8);
	assert_int_equal(rd(&f, 0, IPRIORITYR + 33, 1), 0x10);
	/* a byte in the middle of a word leaves the others alone */
	wr(&f, 0, IPRIORITYR + 35, 1, 0);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 32), 0x00f810f8);
	teardown(&f);
}

static void test_itargetsr(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 3);
	for (uint32_t cpu = 0; cpu < 3; cpu++) {
		for (uint32_t n = 0; n < 8; n++) {
			wr32(&f, cpu, ITARGETSR + 4 * n, 0xffffffff);
			assert_int_equal(rd32(&f, cpu, ITARGETSR + 4 * n), 0x01010101u << cpu);
		}
		assert_int_equal(rd(&f, cpu, ITARGETSR + 17, 1), 1u << cpu);
	}
	/* SPIs: targets of absent CPUs are RAZ/WI */
	wr32(&f, 0, ITARGETSR + 32, 0xff070201);
	assert_int_equal(rd32(&f, 1, ITARGETSR + 32), 0x07070201);
	wr(&f, 2, ITARGETSR + 34, 1, 0x04);
	assert_int_equal(rd32(&f, 0, ITARGETSR + 32), 0x07040201);
	teardown(&f);

	/* uniprocessor: everything targets CPU 0, writes ignored */
	setup(&f, 64, 1);
	wr32(&f, 0, ITARGETSR + 32, 0);
	assert_int_equal(rd32(&f, 0, ITARGETSR + 32), 0x01010101);
	assert_int_equal(rd32(&f, 0, ITARGETSR), 0x01010101);
	teardown(&f);
}

static void test_icfgr(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	/* SGIs fixed edge, PPIs fixed level */
	wr32(&f, 0, ICFGR, 0);
	wr32(&f, 0, ICFGR + 4, 0xffffffff);
	assert_int_equal(rd32(&f, 0, ICFGR), 0xaaaaaaaa);
	assert_int_equal(rd32(&f, 0, ICFGR + 4), 0);
	/* SPIs: only bit[1] of each field is writable */
	wr32(&f, 0, ICFGR + 8, 0xffffffff);
	assert_int_equal(rd32(&f, 1, ICFGR + 8), 0xaaaaaaaa);
	wr32(&f, 0, ICFGR + 12, 0x00000009);
	assert_int_equal(rd32(&f, 0, ICFGR + 12), 0x00000008);
	wr32(&f, 0, ICFGR + 8, 0);
	assert_int_equal(rd32(&f, 0, ICFGR + 8), 0);
	/* past num_irqs */
	wr32(&f, 0, ICFGR + 16, 0xffffffff);
	assert_int_equal(rd32(&f, 0, ICFGR + 16), 0);
	teardown(&f);
}

static void test_sgir_filters(void **state)
{
	struct fixture f;
	uint32_t src = 99;

	(void)state;
	setup(&f, 64, 4);
	/* list: CPUs 1 and 3 (and absent CPU 5, dropped), SGI 5 from CPU 2 */
	wr32(&f, 2, SGIR, (0u << 24) | (0x2au << 16) | 5);
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		bool hit = cpu == 1 || cpu == 3;

		assert_int_equal(rd32(&f, cpu, ISPENDR), hit ? 1u << 5 : 0);
		assert_int_equal(rd(&f, cpu, SPENDSGIR + 5, 1), hit ? 1u << 2 : 0);
	}
	/* all but self: SGI 7 from CPU 1 */
	wr32(&f, 1, SGIR, (1u << 24) | (0x02u << 16) | 7);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		assert_int_equal(rd(&f, cpu, SPENDSGIR + 7, 1), cpu == 1 ? 0 : 1u << 1);
	/* self: SGI 15 from CPU 3, target list ignored */
	wr32(&f, 3, SGIR, (2u << 24) | (0x01u << 16) | 15);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		assert_int_equal(rd(&f, cpu, SPENDSGIR + 15, 1), cpu == 3 ? 1u << 3 : 0);
	/* reserved filter: nothing */
	wr32(&f, 0, SGIR, (3u << 24) | (0x0fu << 16) | 9);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		assert_int_equal(rd(&f, cpu, SPENDSGIR + 9, 1), 0);
	/* a second source for the same SGI accumulates */
	wr32(&f, 0, SGIR, (0u << 24) | (0x02u << 16) | 5);
	assert_int_equal(rd(&f, 1, SPENDSGIR + 5, 1), 0x05);

	/* delivery carries the source CPU, the lowest first */
	wr32(&f, 0, CTLR, 1);
	assert_int_equal(highest(&f, 1, &src, NULL), 5);
	assert_int_equal(src, 0);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 1, 5, 0), AX_OK);
	assert_int_equal(rd(&f, 1, SPENDSGIR + 5, 1), 0x04);
	assert_int_equal(rd32(&f, 1, ISACTIVER), (1u << 5));
	assert_int_equal(highest(&f, 1, &src, NULL), -1); /* 5 (from CPU 2) waits: 5 is active */
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 1, 5, 2), AX_ERR_BAD_STATE);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 1, 5), AX_OK);
	assert_int_equal(highest(&f, 1, &src, NULL), 5);
	assert_int_equal(src, 2);
	teardown(&f);
}

static void test_cpendsgir_spendsgir(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	/* one byte per SGI, one bit per source; absent sources are RAZ/WI */
	wr32(&f, 0, SPENDSGIR + 4, 0x00ff0301);
	assert_int_equal(rd32(&f, 0, SPENDSGIR + 4), 0x00030301);
	assert_int_equal(rd32(&f, 0, CPENDSGIR + 4), 0x00030301);
	assert_int_equal(rd32(&f, 0, ISPENDR), (1u << 4) | (1u << 5) | (1u << 6));
	assert_int_equal(rd32(&f, 1, SPENDSGIR + 4), 0); /* banked */
	wr(&f, 0, CPENDSGIR + 5, 1, 0x01);
	assert_int_equal(rd32(&f, 0, SPENDSGIR + 4), 0x00030201);
	wr32(&f, 0, CPENDSGIR + 4, 0xffffffff);
	assert_int_equal(rd32(&f, 0, SPENDSGIR + 4), 0);
	assert_int_equal(rd32(&f, 0, ISPENDR), 0);
	wr(&f, 1, SPENDSGIR + 15, 1, 0x02);
	assert_int_equal(rd32(&f, 1, SPENDSGIR + 12), 0x02000000);
	assert_int_equal(rd32(&f, 1, ICPENDR), 1u << 15);
	teardown(&f);
}

static void test_access_widths(void **state)
{
	struct fixture f;
	uint64_t val = 1;

	(void)state;
	setup(&f, 64, 1);
	struct {
		uint32_t off;
		unsigned width;
		bool ok;
	} cases[] = {
		{ CTLR, 1, false },	      { CTLR, 2, false },
		{ CTLR, 8, false },	      { TYPER, 1, false },
		{ ISENABLER, 1, false },      { ISENABLER + 2, 2, false },
		{ ICENABLER, 1, false },      { ISPENDR + 4, 1, false },
		{ ICACTIVER, 2, false },      { IGROUPR, 1, false },
		{ ICFGR + 8, 1, false },      { SGIR, 1, false },
		{ PIDR2, 1, false },	      { IPRIORITYR, 2, false },
		{ IPRIORITYR, 8, false },     { ITARGETSR, 2, false },
		{ SPENDSGIR, 2, false },      { CPENDSGIR, 8, false },
		{ IPRIORITYR + 1, 4, false }, /* misaligned */
		{ ISENABLER + 2, 4, false },  { IPRIORITYR + 3, 1, true },
		{ ITARGETSR + 33, 1, true },  { SPENDSGIR + 1, 1, true },
		{ CPENDSGIR + 2, 1, true },   { ISENABLER, 4, true },
		{ 0x00c, 1, true }, /* reserved */
		{ 0x00c, 4, true },	      { 0x00c, 2, false },
		{ 0x00c, 8, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ax_err want = cases[i].ok ? AX_OK : AX_ERR_INVALID_INPUT;
		uint64_t addr = BASE + cases[i].off;

		if (ax_devices_handle_mmio_read(f.set, 0, addr, cases[i].width, &val) != want)
			fail_msg("read 0x%x width %u", cases[i].off, cases[i].width);
		if (ax_devices_handle_mmio_write(f.set, 0, addr, cases[i].width, 0xff) != want)
			fail_msg("write 0x%x width %u", cases[i].off, cases[i].width);
	}
	/* the rejected byte write to ISENABLER changed nothing */
	assert_int_equal(rd32(&f, 0, ISENABLER + 4), 0);
	/* the accepted byte writes did their job */
	assert_int_equal(rd(&f, 0, IPRIORITYR + 3, 1), 0xf8);
	teardown(&f);
}

static void test_reserved_and_beyond(void **state)
{
	struct fixture f;
	static const uint32_t reserved[] = { 0x00c, 0x07c, 0xd00, 0xdfc, 0xe00,
					     0xefc, 0xf04, 0xf0c, 0xf30, 0xfcc };

	(void)state;
	setup(&f, 64, 1);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		wr32(&f, 0, reserved[i], 0xffffffff);
		assert_int_equal(rd32(&f, 0, reserved[i]), 0);
		wr(&f, 0, reserved[i] + 1, 1, 0xff);
		assert_int_equal(rd(&f, 0, reserved[i] + 1, 1), 0);
	}
	/* registers for interrupts 64.. do not exist */
	static const uint32_t beyond[] = { IGROUPR + 8,	     ISENABLER + 8,	ICENABLER + 8,
					   ISPENDR + 8,	     ICPENDR + 8,	ISACTIVER + 8,
					   ICACTIVER + 0x7c, IPRIORITYR + 64,	ITARGETSR + 64,
					   ICFGR + 16,	     IPRIORITYR + 0x3f8 };
	for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++) {
		wr32(&f, 0, beyond[i], 0xffffffff);
		assert_int_equal(rd32(&f, 0, beyond[i]), 0);
	}
	/* no stray state appeared */
	wr32(&f, 0, CTLR, 3);
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	teardown(&f);
}

static void test_larger_range_is_reserved_past_4k(void **state)
{
	struct fixture f;
	const uint64_t cfg[] = { 64 };

	(void)state;
	assert_int_equal(make(&f, cfg, 1, 0x10000, NULL), AX_OK);
	assert_int_equal(rd32(&f, 0, TYPER), 1); /* num_cpus defaults to 1 */
	wr32(&f, 0, 0x1000, 0xffffffff);
	assert_int_equal(rd32(&f, 0, 0x1000), 0);
	assert_int_equal(rd32(&f, 0, 0xfffc), 0);
	teardown(&f);
}

static void test_highest_pending(void **state)
{
	struct fixture f;
	uint8_t prio = 0;

	(void)state;
	setup(&f, 128, 2);
	wr32(&f, 0, ISENABLER + 4, 0xffffffff);
	wr32(&f, 0, ISENABLER + 8, 0xffffffff);
	wr32(&f, 0, ICENABLER, 0xffffffff);
	wr32(&f, 1, ICENABLER, 0xffffffff);
	/* 40 and 70 pending, priority 0x80 and 0x40, both on CPU 0 */
	wr(&f, 0, ITARGETSR + 40, 1, 0x01);
	wr(&f, 0, ITARGETSR + 70, 1, 0x01);
	wr(&f, 0, IPRIORITYR + 40, 1, 0x80);
	wr(&f, 0, IPRIORITYR + 70, 1, 0x40);
	wr32(&f, 0, ISPENDR + 4, bit(40));
	wr32(&f, 0, ISPENDR + 8, bit(70));
	/* distributor disabled: nothing forwarded */
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	wr32(&f, 0, CTLR, 1);
	assert_int_equal(highest(&f, 0, NULL, &prio), 70);
	assert_int_equal(prio, 0x40);
	assert_int_equal(highest(&f, 1, NULL, NULL), -1); /* not targeted */
	/* ties go to the lowest id */
	wr(&f, 0, IPRIORITYR + 40, 1, 0x40);
	assert_int_equal(highest(&f, 0, NULL, NULL), 40);
	/* retarget 40 to CPU 1 only */
	wr(&f, 0, ITARGETSR + 40, 1, 0x02);
	assert_int_equal(highest(&f, 0, NULL, NULL), 70);
	assert_int_equal(highest(&f, 1, NULL, NULL), 40);
	/* disabled or active interrupts are skipped */
	wr32(&f, 0, ICENABLER + 8, bit(70));
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	wr32(&f, 0, ISENABLER + 8, bit(70));
	wr32(&f, 0, ISACTIVER + 8, bit(70));
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	wr32(&f, 0, ICACTIVER + 8, bit(70));
	assert_int_equal(highest(&f, 0, NULL, NULL), 70);
	/* group 1 needs EnableGrp1 */
	wr32(&f, 0, IGROUPR + 8, bit(70));
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	wr32(&f, 0, CTLR, 2);
	assert_int_equal(highest(&f, 0, NULL, NULL), 70);
	assert_int_equal(highest(&f, 1, NULL, NULL), -1); /* 40 is group 0 */
	wr32(&f, 0, CTLR, 3);
	/* a banked PPI of CPU 1 beats the SPI on priority */
	wr32(&f, 1, ISENABLER, bit(20));
	wr(&f, 1, IPRIORITYR + 20, 1, 0x08);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 1, 20, true), AX_OK);
	assert_int_equal(highest(&f, 1, NULL, &prio), 20);
	assert_int_equal(prio, 0x08);
	assert_int_equal(highest(&f, 0, NULL, NULL), 70);
	assert_int_equal(ax_gicd_v2_highest_pending(f.gicd, 0, NULL, NULL, NULL), AX_OK);
	assert_int_equal(ax_gicd_v2_highest_pending(f.gicd, 2, NULL, NULL, NULL),
			 AX_ERR_INVALID_INPUT);
	teardown(&f);
}

static void test_level_ack_eoi(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 1);
	wr32(&f, 0, CTLR, 1);
	wr32(&f, 0, ISENABLER + 4, bit(40));
	assert_int_equal(f.kicks[0], 0); /* nothing pending yet */
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 40, true), AX_OK);
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(40));
	assert_int_equal(f.kicks[0], 1);
	assert_int_equal(highest(&f, 0, NULL, NULL), 40);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 40, 0), AX_OK);
	/* line still high: active and pending, but not offered again */
	assert_int_equal(rd32(&f, 0, ISACTIVER + 4), bit(40));
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(40));
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 40, 0), AX_ERR_BAD_STATE);
	/* EOI with the line still high re-pends and notifies */
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 40), AX_OK);
	assert_int_equal(f.kicks[0], 2);
	assert_int_equal(highest(&f, 0, NULL, NULL), 40);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 40, 0), AX_OK);
	/* line drops: no longer pending; EOI leaves it idle */
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 40, false), AX_OK);
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), 0);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 40), AX_OK);
	assert_int_equal(f.kicks[0], 2);
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 40), AX_ERR_BAD_STATE);
	/* software pending on a level interrupt latches until cleared or taken */
	wr32(&f, 0, ISPENDR + 4, bit(40));
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(40));
	assert_int_equal(f.kicks[0], 3);
	/* ICPENDR clears the latch, not a high line */
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 40, true), AX_OK);
	wr32(&f, 0, ICPENDR + 4, bit(40));
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(40));
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 40, false), AX_OK);
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), 0);
	/* acknowledging something not pending is refused */
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 40, 0), AX_ERR_BAD_STATE);
	teardown(&f);
}

static void test_edge_ack_eoi(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 1);
	wr32(&f, 0, CTLR, 1);
	wr32(&f, 0, ICFGR + 8, 2u << (2 * (41 - 32))); /* 41 edge */
	wr32(&f, 0, ISENABLER + 4, bit(41));
	assert_int_equal(f.kicks[0], 0);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, true), AX_OK);
	assert_int_equal(f.kicks[0], 1);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 41, 0), AX_OK);
	/* the edge was consumed although the line stays high */
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), 0);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, true), AX_OK); /* no new edge */
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), 0);
	/* a new edge while active: active and pending, offered after EOI */
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, false), AX_OK);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, true), AX_OK);
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(41));
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 41), AX_OK);
	assert_int_equal(highest(&f, 0, NULL, NULL), 41);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 41, 0), AX_OK);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 41), AX_OK);
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	/* an edge on a disabled interrupt is remembered */
	wr32(&f, 0, ICENABLER + 4, bit(41));
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, false), AX_OK);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 41, true), AX_OK);
	assert_int_equal(highest(&f, 0, NULL, NULL), -1);
	unsigned before = f.kicks[0];

	wr32(&f, 0, ISENABLER + 4, bit(41));
	assert_int_equal(f.kicks[0], before + 1);
	assert_int_equal(highest(&f, 0, NULL, NULL), 41);
	teardown(&f);
}

static void test_notify_targets(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 4);
	wr32(&f, 0, ISENABLER + 4, bit(50));
	wr(&f, 0, ITARGETSR + 50, 1, 0x0a); /* CPUs 1 and 3 */
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 50, true), AX_OK);
	for (int cpu = 0; cpu < 4; cpu++)
		assert_int_equal(f.kicks[cpu], 0); /* distributor off */
	wr32(&f, 0, CTLR, 1);			   /* only the targets of pending work are told */
	assert_int_equal(f.kicks[0], 0);
	assert_int_equal(f.kicks[1], 1);
	assert_int_equal(f.kicks[2], 0);
	assert_int_equal(f.kicks[3], 1);
	memset(f.kicks, 0, sizeof(f.kicks));
	wr32(&f, 2, SGIR, (0u << 24) | (0x01u << 16) | 3);
	assert_int_equal(f.kicks[0], 1);
	assert_int_equal(f.kicks[2], 0);
	/* 1-of-N: once CPU 1 takes it, CPU 3 no longer sees it */
	assert_int_equal(highest(&f, 3, NULL, NULL), 50);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 1, 50, 0), AX_OK);
	assert_int_equal(highest(&f, 3, NULL, NULL), -1);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 50, 0), AX_ERR_BAD_STATE);
	ax_gicd_v2_set_notify(f.gicd, NULL, NULL);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 1, 50), AX_OK);
	assert_int_equal(f.kicks[1], 0);
	teardown(&f);
}

static void test_host_api_bad_input(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 15, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 64, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 2, 16, true), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 99, 40, true), AX_OK); /* cpu unused */
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 2, 40, 0), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 64, 0), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 3, 2), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_acknowledge(f.gicd, 0, 3, 1), AX_ERR_BAD_STATE);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 2, 3), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_end_of_interrupt(f.gicd, 0, 1020), AX_ERR_INVALID_INPUT);
	teardown(&f);
}

static void test_vcpu_out_of_range(void **state)
{
	struct fixture f;
	uint64_t val = 7;

	(void)state;
	setup(&f, 64, 2);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 2, BASE + ISENABLER, 4, &val),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(val, 0);
	assert_int_equal(ax_devices_handle_mmio_write(f.set, 7, BASE + SGIR, 4, 0x00ff0001),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_write(f.set, 5, BASE + CTLR, 4, 1),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(rd32(&f, 0, CTLR), 0);
	assert_int_equal(rd32(&f, 0, ISPENDR), 0);
	teardown(&f);
}

static void test_bad_config(void **state)
{
	struct fixture f;
	struct {
		uint64_t cfg[3];
		size_t len;
		uint64_t length;
		const char *needle;
	} cases[] = {
		{ { 0, 1 }, 2, 0x1000, "num_irqs 0 " },
		{ { 48, 1 }, 2, 0x1000, "num_irqs 48 " },
		{ { 1056, 1 }, 2, 0x1000, "num_irqs 1056 " },
		{ { 1020, 1 }, 2, 0x1000, "num_irqs 1020 " },
		{ { 1ull << 40, 1 }, 2, 0x1000, "num_irqs 1099511627776 " },
		{ { 64, 0 }, 2, 0x1000, "num_cpus 0 " },
		{ { 64, 9 }, 2, 0x1000, "num_cpus 9 " },
		{ { 64, 1, 0 }, 3, 0x1000, "cfg_list has 3 entries" },
		{ { 64, 1 }, 2, 0xfff, "range length 0xfff" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_diag diag = { 0 };

		assert_int_equal(make(&f, cases[i].cfg, cases[i].len, cases[i].length, &diag),
				 AX_ERR_INVALID_INPUT);
		if (!strstr(diag.msg, cases[i].needle) || !strstr(diag.msg, "gicd"))
			fail_msg("message \"%s\" lacks \"%s\"", diag.msg, cases[i].needle);
	}
	/* defaults: 256 interrupts, 1 CPU */
	assert_int_equal(make(&f, NULL, 0, 0x1000, NULL), AX_OK);
	assert_int_equal(rd32(&f, 0, TYPER), 7);
	teardown(&f);
}

static void test_from_device_checks_type(void **state)
{
	struct test_host host;
	struct ax_devices *set;
	struct ax_gicd_v2 *gicd = NULL;
	struct ax_emu_config emu = {
		.name = "meta", .base_gpa = 0x1000, .length = 0x1000, .emu_type = AX_EMU_META
	};
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&params, &vm, &set, NULL), AX_OK);
	assert_int_equal(ax_gicd_v2_from_device(set, 1, &gicd), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gicd_v2_from_device(set, 2, &gicd), AX_ERR_NOT_FOUND);
	assert_null(gicd);
	ax_devices_destroy(set);
	test_host_fini(&host);
}

static void test_reset_op(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, 64, 2);
	wr32(&f, 0, CTLR, 3);
	wr32(&f, 1, ISENABLER, 0xffffffff);
	wr32(&f, 0, ISENABLER + 4, 0xffffffff);
	wr32(&f, 0, IPRIORITYR + 32, 0x80808080);
	wr32(&f, 0, ITARGETSR + 32, 0x02020202);
	wr32(&f, 0, SGIR, (2u << 24) | 1);
	assert_int_equal(ax_gicd_v2_set_level(f.gicd, 0, 33, true), AX_OK);
	assert_int_equal(ax_devices_reset(f.set), AX_OK);
	assert_int_equal(rd32(&f, 0, CTLR), 0);
	assert_int_equal(rd32(&f, 1, ISENABLER), 0x0000ffff);
	assert_int_equal(rd32(&f, 0, ISENABLER + 4), 0);
	assert_int_equal(rd32(&f, 0, IPRIORITYR + 32), 0);
	assert_int_equal(rd32(&f, 0, ITARGETSR + 32), 0);
	assert_int_equal(rd32(&f, 0, SPENDSGIR), 0);
	/* the input line is outside the distributor: still high, so still pending */
	assert_int_equal(rd32(&f, 0, ISPENDR + 4), bit(33));
	teardown(&f);
}

/* Concurrent vCPUs and a host thread: banked state stays private, nothing is lost. */
struct worker {
	struct fixture *f;
	uint32_t cpu;
	bool ok;
};

static void *vcpu_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t val = 0;

	w->ok = true;
	for (uint32_t i = 0; i < 2000; i++) {
		uint32_t prio = (i * 8 + w->cpu * 8) & 0xf8;
		uint32_t off = IPRIORITYR + 16 + w->cpu;

		w->ok &= ax_devices_handle_mmio_write(w->f->set, w->cpu, BASE + off, 1, prio) ==
			 AX_OK;
		w->ok &= ax_devices_handle_mmio_read(w->f->set, w->cpu, BASE + off, 1, &val) ==
			 AX_OK;
		w->ok &= val == prio;
		/* SGI (i % 16) to every other CPU; each sender owns its source bit */
		w->ok &= ax_devices_handle_mmio_write(w->f->set, w->cpu, BASE + SGIR, 4,
						      (1u << 24) | (i % 16)) == AX_OK;
	}
	return NULL;
}

static void *host_thread(void *arg)
{
	struct worker *w = arg;

	w->ok = true;
	for (uint32_t i = 0; i < 2000; i++) {
		w->ok &= ax_gicd_v2_set_level(w->f->gicd, 0, 32 + i % 32, (i / 32) & 1) == AX_OK;
		(void)ax_gicd_v2_highest_pending(w->f->gicd, i % 4, NULL, NULL, NULL);
	}
	return NULL;
}

static void test_concurrent_access(void **state)
{
	struct fixture f;
	pthread_t threads[5];
	struct worker workers[5];

	(void)state;
	setup(&f, 64, 4);
	wr32(&f, 0, CTLR, 3);
	for (uint32_t t = 0; t < 5; t++) {
		workers[t] = (struct worker){ &f, t, false };
		assert_int_equal(pthread_create(&threads[t], NULL,
						t < 4 ? vcpu_thread : host_thread, &workers[t]),
				 0);
	}
	for (uint32_t t = 0; t < 5; t++) {
		assert_int_equal(pthread_join(threads[t], NULL), 0);
		assert_true(workers[t].ok);
	}
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		uint32_t others = 0x0f & ~(1u << cpu);
		uint32_t want = others * 0x01010101u;

		for (uint32_t n = 0; n < 4; n++)
			assert_int_equal(rd32(&f, cpu, SPENDSGIR + 4 * n), want);
	}
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_typer_extremes),
		cmocka_unit_test(test_ctlr_and_group),
		cmocka_unit_test(test_set_clear_pairs),
		cmocka_unit_test(test_banking_per_vcpu),
		cmocka_unit_test(test_priority_bits),
		cmocka_unit_test(test_itargetsr),
		cmocka_unit_test(test_icfgr),
		cmocka_unit_test(test_sgir_filters),
		cmocka_unit_test(test_cpendsgir_spendsgir),
		cmocka_unit_test(test_access_widths),
		cmocka_unit_test(test_reserved_and_beyond),
		cmocka_unit_test(test_larger_range_is_reserved_past_4k),
		cmocka_unit_test(test_highest_pending),
		cmocka_unit_test(test_level_ack_eoi),
		cmocka_unit_test(test_edge_ack_eoi),
		cmocka_unit_test(test_notify_targets),
		cmocka_unit_test(test_host_api_bad_input),
		cmocka_unit_test(test_vcpu_out_of_range),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_from_device_checks_type),
		cmocka_unit_test(test_reset_op),
		cmocka_unit_test(test_concurrent_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
