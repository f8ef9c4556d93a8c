/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GICv2 CPU interface (the gicd-v2 device with cfg_list [num_irqs, num_cpus,
 * gicc_base, gicc_length]): every GICC register, priorities, preemption and
 * the running priority, the EOImode split, pending -> active -> inactive
 * with level re-assertion, banking per vCPU, SGIs between vCPUs, the set's
 * fabric (CPU controller, PPI sink, SPI lines), a replay of what Linux's GIC
 * driver does at probe and in its handler, and vCPU threads. Offsets and
 * values come from IHI 0048B, written out here rather than taken from the
 * model; random register traffic checked against HPPIR computed from the
 * registers read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicd_v2.h>

#include "core/irq.h"
#include "fake_irq.h"
#include "host_posix.h"

#define DBASE 0x08000000ull
#define CBASE 0x08010000ull
#define NCPUS 4

/* IHI 0048B Table 4-1 (distributor) and Table 4-2 (CPU interface). */
enum {
	D_CTLR = 0x000,
	D_TYPER = 0x004,
	D_IGROUPR = 0x080,
	D_ISENABLER = 0x100,
	D_ICENABLER = 0x180,
	D_ISPENDR = 0x200,
	D_ICPENDR = 0x280,
	D_ISACTIVER = 0x300,
	D_ICACTIVER = 0x380,
	D_IPRIORITYR = 0x400,
	D_ITARGETSR = 0x800,
	D_ICFGR = 0xc00,
	D_SGIR = 0xf00,
};
enum {
	C_CTLR = 0x00,
	C_PMR = 0x04,
	C_BPR = 0x08,
	C_IAR = 0x0c,
	C_EOIR = 0x10,
	C_RPR = 0x14,
	C_HPPIR = 0x18,
	C_ABPR = 0x1c,
	C_AIAR = 0x20,
	C_AEOIR = 0x24,
	C_AHPPIR = 0x28,
	C_APR0 = 0xd0,
	C_NSAPR0 = 0xe0,
	C_IIDR = 0xfc,
	C_DIR = 0x1000,
};
#define SPURIOUS 1023u

struct fixture {
	struct test_host host; /* first: hooks.ctx points here */
	struct ax_devices *set;
	struct ax_irq_fabric *fabric;
	uint32_t gic_id, line_id;
	_Atomic unsigned kicks[NCPUS];
};

static void notify(void *ctx, uint32_t vcpu)
{
	struct fixture *f = ctx;

	assert_true(vcpu < NCPUS);
	atomic_fetch_add(&f->kicks[vcpu], 1);
}

static enum ax_err add_gic(struct fixture *f, const char *name, uint64_t dbase, const uint64_t *cfg,
			   size_t n, uint32_t *id, struct ax_diag *diag)
{
	struct ax_emu_config emu = { .name = name,
				     .base_gpa = dbase,
				     .length = 0x10000,
				     .emu_type = AX_EMU_GICD_V2,
				     .cfg_list = cfg,
				     .cfg_len = n };

	return ax_devices_add_from_config(f->set, &emu, id, diag);
}

static void setup_n(struct fixture *f, uint64_t ncpus)
{
	static struct ax_device_kind k[1];
	struct ax_devices_params p = { 0 };
	const uint64_t cfg[4] = { 128, ncpus, CBASE, 0x10000 };
	const uint64_t line_cfg[1] = { AX_IRQ_LEVEL };
	struct ax_emu_config line = { .name = "dev",
				      .base_gpa = 0x09000000,
				      .length = 0x1000,
				      .irq_id = 45,
				      .emu_type = FAKE_LINE_KIND,
				      .cfg_list = line_cfg,
				      .cfg_len = 1 };
	struct ax_diag diag = { 0 };

	memset(f, 0, sizeof(*f));
	test_host_init(&f->host, false);
	f->host.hooks.irq_notify = notify;
	k[0] = fake_line_kind;
	p.hooks = &f->host.hooks;
	p.max_vcpus = NCPUS;
	p.kinds = k;
	p.nr_kinds = 1;
	assert_int_equal(ax_devices_create(&p, NULL, &f->set, &diag), AX_OK);
	if (add_gic(f, "gic", DBASE, cfg, 4, &f->gic_id, &diag) != AX_OK)
		fail_msg("gic: %s", diag.msg);
	if (ax_devices_add_from_config(f->set, &line, &f->line_id, &diag) != AX_OK)
		fail_msg("line: %s", diag.msg);
	f->fabric = fake_set_fabric(f->set);
	assert_non_null(f->fabric);
}

static void teardown(struct fixture *f)
{
	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
}

static uint32_t rd(struct fixture *f, uint32_t cpu, uint64_t addr)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, cpu, addr, 4, &v), AX_OK);
	return (uint32_t)v;
}

static void wr(struct fixture *f, uint32_t cpu, uint64_t addr, uint32_t v)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, cpu, addr, 4, v), AX_OK);
}

#define drd(f, c, o)	rd((f), (c), DBASE + (o))
#define dwr(f, c, o, v) wr((f), (c), DBASE + (o), (v))
#define crd(f, c, o)	rd((f), (c), CBASE + (o))
#define cwr(f, c, o, v) wr((f), (c), CBASE + (o), (v))

static void set_prio(struct fixture *f, uint32_t cpu, uint32_t irq, uint8_t prio)
{
	assert_int_equal(
		ax_devices_handle_mmio_write(f->set, cpu, DBASE + D_IPRIORITYR + irq, 1, prio),
		AX_OK);
}

/* SPI `irq`: priority, targets CPU 0, enabled. */
static void spi(struct fixture *f, uint32_t irq, uint8_t prio)
{
	set_prio(f, 0, irq, prio);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, DBASE + D_ITARGETSR + irq, 1, 1),
			 AX_OK);
	dwr(f, 0, D_ISENABLER + irq / 32 * 4, 1u << (irq % 32));
}

static void pend(struct fixture *f, uint32_t irq)
{
	dwr(f, 0, D_ISPENDR + irq / 32 * 4, 1u << (irq % 32));
}

static bool active(struct fixture *f, uint32_t cpu, uint32_t irq)
{
	return (drd(f, cpu, D_ISACTIVER + irq / 32 * 4) >> (irq % 32)) & 1u;
}

static bool pending(struct fixture *f, uint32_t cpu, uint32_t irq)
{
	return (drd(f, cpu, D_ISPENDR + irq / 32 * 4) >> (irq % 32)) & 1u;
}

/* Distributor and CPU 0's interface on for Group 0, PMR open. */
static void enable(struct fixture *f, uint32_t cpu)
{
	dwr(f, 0, D_CTLR, 1);
	cwr(f, cpu, C_CTLR, 1);
	cwr(f, cpu, C_PMR, 0xf8);
}

/* --- registers ------------------------------------------------------------ */

static void test_registers(void **state)
{
	struct fixture f;
	uint64_t v;

	(void)state;
	setup_n(&f, 2);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		assert_int_equal(crd(&f, cpu, C_CTLR), 0);
		assert_int_equal(crd(&f, cpu, C_PMR), 0);
		assert_int_equal(crd(&f, cpu, C_BPR), 2);
		assert_int_equal(crd(&f, cpu, C_ABPR), 3);
		assert_int_equal(crd(&f, cpu, C_RPR), 0xff);
		assert_int_equal(crd(&f, cpu, C_IAR), SPURIOUS);
		assert_int_equal(crd(&f, cpu, C_AIAR), SPURIOUS);
		assert_int_equal(crd(&f, cpu, C_HPPIR), SPURIOUS);
		assert_int_equal(crd(&f, cpu, C_AHPPIR), SPURIOUS);
		for (uint32_t n = 0; n < 4; n++) {
			assert_int_equal(crd(&f, cpu, C_APR0 + 4 * n), 0);
			assert_int_equal(crd(&f, cpu, C_NSAPR0 + 4 * n), 0);
		}
		/* IIDR: implementer ARM 0x43b, architecture version 2 */
		assert_int_equal(crd(&f, cpu, C_IIDR) & 0xfff, 0x43b);
		assert_int_equal((crd(&f, cpu, C_IIDR) >> 16) & 0xf, 2);
		/* write-only registers read as zero */
		assert_int_equal(crd(&f, cpu, C_EOIR), 0);
		assert_int_equal(crd(&f, cpu, C_AEOIR), 0);
		assert_int_equal(crd(&f, cpu, C_DIR), 0);
	}
	/* CTLR: bits 0..9 (EOImode at 9), bit 10 and above RAZ/WI */
	cwr(&f, 0, C_CTLR, 0xffffffff);
	assert_int_equal(crd(&f, 0, C_CTLR), 0x3ff);
	assert_int_equal(crd(&f, 1, C_CTLR), 0); /* banked */
	/* PMR: 5 priority bits */
	cwr(&f, 0, C_PMR, 0xff);
	assert_int_equal(crd(&f, 0, C_PMR), 0xf8);
	cwr(&f, 0, C_PMR, 0x13);
	assert_int_equal(crd(&f, 0, C_PMR), 0x10);
	/* binary points saturate at their minimum */
	cwr(&f, 0, C_BPR, 0);
	assert_int_equal(crd(&f, 0, C_BPR), 2);
	cwr(&f, 0, C_BPR, 0xff);
	assert_int_equal(crd(&f, 0, C_BPR), 7);
	cwr(&f, 0, C_ABPR, 1);
	assert_int_equal(crd(&f, 0, C_ABPR), 3);
	cwr(&f, 0, C_ABPR, 5);
	assert_int_equal(crd(&f, 0, C_ABPR), 5);
	/* read-only registers ignore writes */
	cwr(&f, 0, C_RPR, 0);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	cwr(&f, 0, C_IIDR, 0);
	assert_int_not_equal(crd(&f, 0, C_IIDR), 0);
	cwr(&f, 0, C_HPPIR, 5);
	cwr(&f, 0, C_IAR, 5);
	/* APR0/NSAPR0 save and restore; the running priority follows them */
	cwr(&f, 0, C_APR0, 1u << 4);
	assert_int_equal(crd(&f, 0, C_APR0), 1u << 4);
	assert_int_equal(crd(&f, 0, C_RPR), 0x20);
	cwr(&f, 0, C_NSAPR0, 1u << 2);
	assert_int_equal(crd(&f, 0, C_RPR), 0x10);
	cwr(&f, 0, C_APR0, 0);
	cwr(&f, 0, C_NSAPR0, 0);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	cwr(&f, 0, C_APR0 + 4, 0xffffffff);
	assert_int_equal(crd(&f, 0, C_APR0 + 4), 0);
	/* reserved space and the rest of the 64 KiB window read as zero */
	assert_int_equal(crd(&f, 0, 0x40), 0);
	assert_int_equal(crd(&f, 0, 0x3000), 0);
	assert_int_equal(crd(&f, 0, 0xfffc), 0);
	/* 32-bit, aligned, existing CPUs only */
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, CBASE + C_PMR, 1, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, CBASE + 2, 4, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, CBASE + C_PMR, 8, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f.set, 2, CBASE + C_PMR, 4, &v),
			 AX_ERR_INVALID_INPUT);
	/* reset returns every interface to its reset state */
	ax_devices_reset(f.set);
	assert_int_equal(crd(&f, 0, C_CTLR), 0);
	assert_int_equal(crd(&f, 0, C_BPR), 2);
	teardown(&f);
}

/* --- acknowledge, priorities, preemption ----------------------------------- */

static void test_ack_eoi_cycle(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, 1);
	spi(&f, 40, 0xa0);
	pend(&f, 40);
	/* nothing is signalled while the interface is disabled or PMR masks it */
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	dwr(&f, 0, D_CTLR, 1);
	cwr(&f, 0, C_CTLR, 1);
	assert_false(ax_devices_irq_pending(f.set, 0)); /* PMR 0 masks everything */
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	assert_int_equal(crd(&f, 0, C_HPPIR), 40); /* HPPIR ignores the mask */
	cwr(&f, 0, C_PMR, 0xa0);		   /* equal priority: still masked */
	assert_false(ax_devices_irq_pending(f.set, 0));
	unsigned kicks = atomic_load(&f.kicks[0]);
	cwr(&f, 0, C_PMR, 0xa8);
	assert_true(atomic_load(&f.kicks[0]) > kicks);
	assert_true(ax_devices_irq_pending(f.set, 0));
	uint32_t id;
	assert_int_equal(ax_devices_irq_ack(f.set, 0, &id), AX_ERR_UNSUPPORTED);

	assert_int_equal(crd(&f, 0, C_IAR), 40);
	assert_true(active(&f, 0, 40));
	assert_false(pending(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_RPR), 0xa0);
	assert_int_equal(crd(&f, 0, C_APR0), 1u << (0xa0 >> 3));
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	/* pending again while active: not signalled until deactivated */
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	cwr(&f, 0, C_EOIR, 40);
	assert_false(active(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	assert_int_equal(crd(&f, 0, C_APR0), 0);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	cwr(&f, 0, C_EOIR, 40);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	/* EOIR of a spurious id is ignored */
	cwr(&f, 0, C_EOIR, SPURIOUS);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	teardown(&f);
}

static void test_priorities_and_preemption(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, 1);
	enable(&f, 0);
	spi(&f, 40, 0x80);
	spi(&f, 41, 0x40);
	spi(&f, 42, 0x60);
	spi(&f, 43, 0x40);
	/* the highest priority wins; ties go to the lowest id */
	pend(&f, 43);
	pend(&f, 41);
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_HPPIR), 41);
	assert_int_equal(crd(&f, 0, C_IAR), 41);
	/* 43 has the same group priority as the running one: no preemption */
	assert_int_equal(crd(&f, 0, C_HPPIR), 43);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	cwr(&f, 0, C_EOIR, 41);
	assert_int_equal(crd(&f, 0, C_IAR), 43);
	cwr(&f, 0, C_EOIR, 43);
	/* nesting: 40 runs, 42 (higher) preempts, 41 (higher still) preempts */
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	assert_int_equal(crd(&f, 0, C_RPR), 0x80);
	pend(&f, 42);
	assert_true(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), 42);
	assert_int_equal(crd(&f, 0, C_RPR), 0x60);
	pend(&f, 41);
	assert_int_equal(crd(&f, 0, C_IAR), 41);
	assert_int_equal(crd(&f, 0, C_RPR), 0x40);
	assert_int_equal(crd(&f, 0, C_APR0),
			 (1u << (0x80 >> 3)) | (1u << (0x60 >> 3)) | (1u << (0x40 >> 3)));
	/* EOIs unwind the running priority in order */
	cwr(&f, 0, C_EOIR, 41);
	assert_int_equal(crd(&f, 0, C_RPR), 0x60);
	cwr(&f, 0, C_EOIR, 42);
	assert_int_equal(crd(&f, 0, C_RPR), 0x80);
	cwr(&f, 0, C_EOIR, 40);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);

	/* binary point 5: group priority is bits [7:6] */
	cwr(&f, 0, C_BPR, 5);
	spi(&f, 44, 0xa0);
	spi(&f, 45, 0x90);
	pend(&f, 44);
	assert_int_equal(crd(&f, 0, C_IAR), 44);
	assert_int_equal(crd(&f, 0, C_RPR), 0x80); /* group priority of 0xa0 */
	pend(&f, 45);				   /* 0x90: same group 0x80 */
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	assert_false(ax_devices_irq_pending(f.set, 0));
	pend(&f, 42); /* 0x60: group 0x40 preempts */
	assert_int_equal(crd(&f, 0, C_IAR), 42);
	assert_int_equal(crd(&f, 0, C_RPR), 0x40);
	cwr(&f, 0, C_EOIR, 42);
	cwr(&f, 0, C_EOIR, 44);
	assert_int_equal(crd(&f, 0, C_IAR), 45);
	cwr(&f, 0, C_EOIR, 45);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	/* a disabled interrupt is never acknowledged */
	dwr(&f, 0, D_ICENABLER + 4, 1u << (40 % 32));
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	teardown(&f);
}

static void test_eoimode_split(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, 1);
	enable(&f, 0);
	cwr(&f, 0, C_CTLR, 1u | (1u << 9));
	spi(&f, 40, 0x80);
	spi(&f, 41, 0x90);
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	cwr(&f, 0, C_EOIR, 40); /* priority drop only */
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	assert_true(active(&f, 0, 40));
	/* lower-priority work runs after the drop, 40 itself waits for DIR */
	pend(&f, 40);
	pend(&f, 41);
	assert_int_equal(crd(&f, 0, C_IAR), 41);
	cwr(&f, 0, C_EOIR, 41);
	cwr(&f, 0, C_DIR, 41);
	assert_false(active(&f, 0, 41));
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	cwr(&f, 0, C_DIR, 40);
	assert_false(active(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	cwr(&f, 0, C_EOIR, 40);
	cwr(&f, 0, C_DIR, 40);
	assert_false(active(&f, 0, 40));
	/* EOImode 0: EOIR does both */
	cwr(&f, 0, C_CTLR, 1);
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	cwr(&f, 0, C_EOIR, 40);
	assert_false(active(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	teardown(&f);
}

static void test_level_line_reasserts(void **state)
{
	struct fixture f;
	struct ax_irq_lines *l;

	(void)state;
	setup_n(&f, 1);
	enable(&f, 0);
	spi(&f, 45, 0x80);
	l = fake_line_lines(f.set, f.line_id);
	unsigned kicks = atomic_load(&f.kicks[0]);
	/* a device's irq_id 45 reaches SPI 45 through the set's lines */
	ax_irq_line_set_level(l, 45, true);
	assert_true(atomic_load(&f.kicks[0]) > kicks);
	assert_true(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), 45);
	/* acknowledged while still asserted: pending and active */
	assert_true(active(&f, 0, 45));
	assert_true(pending(&f, 0, 45));
	assert_false(ax_devices_irq_pending(f.set, 0));
	kicks = atomic_load(&f.kicks[0]);
	cwr(&f, 0, C_EOIR, 45);
	assert_true(atomic_load(&f.kicks[0]) > kicks);
	/* the line is still high: pending again */
	assert_true(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), 45);
	ax_irq_line_set_level(l, 45, false);
	assert_false(pending(&f, 0, 45));
	cwr(&f, 0, C_EOIR, 45);
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	teardown(&f);
}

/* --- banking, PPIs, SGIs, groups --------------------------------------------- */

static void test_banking_and_ppis(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, 2);
	dwr(&f, 0, D_CTLR, 1);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		cwr(&f, cpu, C_CTLR, 1);
		dwr(&f, cpu, D_ISENABLER, 1u << 27);
		set_prio(&f, cpu, 27, 0x40);
	}
	cwr(&f, 0, C_PMR, 0x30); /* CPU 0 masks priority 0x40 */
	cwr(&f, 1, C_PMR, 0xf0);
	assert_int_equal(crd(&f, 0, C_PMR), 0x30);
	assert_int_equal(crd(&f, 1, C_PMR), 0xf0);
	/* the timer's PPI 27 of vCPU 1 reaches only vCPU 1 */
	ax_irq_fabric_set_ppi(f.fabric, 1, 27, true);
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_true(ax_devices_irq_pending(f.set, 1));
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	assert_int_equal(crd(&f, 1, C_IAR), 27);
	assert_int_equal(crd(&f, 1, C_RPR), 0x40);
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	ax_irq_fabric_set_ppi(f.fabric, 1, 27, false);
	cwr(&f, 1, C_EOIR, 27);
	assert_int_equal(crd(&f, 1, C_IAR), SPURIOUS);
	/* PPI 27 of vCPU 0, masked by its PMR until opened */
	ax_irq_fabric_set_ppi(f.fabric, 0, 27, true);
	assert_int_equal(crd(&f, 0, C_HPPIR), 27);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	cwr(&f, 0, C_PMR, 0xf0);
	assert_int_equal(crd(&f, 0, C_IAR), 27);
	ax_irq_fabric_set_ppi(f.fabric, 0, 27, false);
	cwr(&f, 0, C_EOIR, 27);
	/* out-of-range PPIs and vCPUs are ignored by the sink */
	ax_irq_fabric_set_ppi(f.fabric, 7, 27, true);
	ax_irq_fabric_set_ppi(f.fabric, 0, 5, true);
	ax_irq_fabric_set_ppi(f.fabric, 0, 40, true);
	assert_int_equal(crd(&f, 0, C_HPPIR), SPURIOUS);
	assert_false(ax_devices_irq_pending(f.set, 7));
	teardown(&f);
}

static void test_sgis_between_vcpus(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, NCPUS);
	for (uint32_t cpu = 0; cpu < NCPUS; cpu++)
		enable(&f, cpu);
	unsigned kicks = atomic_load(&f.kicks[2]);
	/* CPU 0 and CPU 1 each send SGI 5 to CPU 2 (target list) */
	dwr(&f, 0, D_SGIR, (1u << (16 + 2)) | 5);
	dwr(&f, 1, D_SGIR, (1u << (16 + 2)) | 5);
	assert_true(atomic_load(&f.kicks[2]) > kicks);
	assert_true(ax_devices_irq_pending(f.set, 2));
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 2, C_HPPIR), 5);
	assert_int_equal(crd(&f, 2, C_IAR), 5 | (0u << 10));
	cwr(&f, 2, C_EOIR, 5 | (0u << 10));
	assert_int_equal(crd(&f, 2, C_IAR), 5 | (1u << 10));
	cwr(&f, 2, C_EOIR, 5 | (1u << 10));
	assert_int_equal(crd(&f, 2, C_IAR), SPURIOUS);
	/* all but self from CPU 3 */
	dwr(&f, 3, D_SGIR, (1u << 24) | 9);
	for (uint32_t cpu = 0; cpu < 3; cpu++) {
		assert_int_equal(crd(&f, cpu, C_IAR), 9 | (3u << 10));
		cwr(&f, cpu, C_EOIR, 9 | (3u << 10));
	}
	assert_int_equal(crd(&f, 3, C_IAR), SPURIOUS);
	/* self */
	dwr(&f, 1, D_SGIR, (2u << 24) | 1);
	assert_int_equal(crd(&f, 1, C_IAR), 1 | (1u << 10));
	assert_true(active(&f, 1, 1));
	cwr(&f, 1, C_EOIR, 1 | (1u << 10));
	assert_false(active(&f, 1, 1));
	teardown(&f);
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

/*
 * HPPIR as IHI 0048B defines it, from what the registers read back: the
 * highest-priority (lowest id on ties) interrupt that is enabled, pending,
 * not active, targeted at `cpu` and in a group enabled in GICD_CTLR and
 * this GICC_CTLR; 1022 for Group 1 while AckCtl is 0; SGIs carry their
 * lowest pending source CPU.
 */
static uint32_t expected_hppir(struct fixture *f, uint32_t cpu)
{
	uint32_t dctlr = drd(f, cpu, D_CTLR), cctlr = crd(f, cpu, C_CTLR);
	uint32_t best = SPURIOUS, best_prio = 0, best_group = 0;

	for (uint32_t w = 0; w < O_IRQS / 32; w++) {
		uint32_t en = drd(f, cpu, D_ISENABLER + 4 * w),
			 pend = drd(f, cpu, D_ISPENDR + 4 * w);
		uint32_t act = drd(f, cpu, D_ISACTIVER + 4 * w),
			 grp = drd(f, cpu, D_IGROUPR + 4 * w);

		for (uint32_t b = 0; b < 32; b++) {
			uint32_t irq = 32 * w + b, g1 = (grp >> b) & 1u;
			uint32_t prio =
				(drd(f, cpu, D_IPRIORITYR + (irq & ~3u)) >> (8 * (irq & 3))) & 0xff;
			uint32_t tgt =
				(drd(f, cpu, D_ITARGETSR + (irq & ~3u)) >> (8 * (irq & 3))) & 0xff;

			if (!((en & pend & ~act) >> b & 1u) || !(tgt & (1u << cpu)) ||
			    !(dctlr & (1u << g1)) || !(cctlr & (1u << g1)))
				continue;
			if (best == SPURIOUS || prio < best_prio) {
				best = irq;
				best_prio = prio;
				best_group = g1;
			}
		}
	}
	if (best == SPURIOUS)
		return SPURIOUS;
	if (best_group && !(cctlr & (1u << 2)))
		return 1022;
	if (best < 16) {
		uint32_t src = (drd(f, cpu, 0xf20 + (best & ~3u)) >> (8 * (best & 3))) & 0xff;

		assert_true(src != 0);
		return best | (uint32_t)__builtin_ctz(src) << 10;
	}
	return best;
}

/* Mostly a few ids of each kind (so that they meet), sometimes any. */
static uint32_t oracle_irq(void)
{
	static const uint32_t pool[] = { 3, 9, 20, 27, 33, 45, 63, 64, 77, 100, 127 };

	return orand(5) ? pool[orand(sizeof(pool) / sizeof(pool[0]))] : orand(O_IRQS);
}

static void oracle_step(struct fixture *f, struct ax_gicd_v2 *g)
{
	uint32_t cpu = orand(NCPUS), irq = oracle_irq(), bit = 1u << (irq % 32), v;
	uint32_t word = irq / 32 * 4;

	switch (orand(16)) {
	case 0:
		dwr(f, cpu, D_ISENABLER + word, bit);
		break;
	case 1:
		dwr(f, cpu, D_ICENABLER + word, bit);
		break;
	case 2:
		dwr(f, cpu, D_ISPENDR + word, bit);
		break;
	case 3:
		dwr(f, cpu, D_ICPENDR + word, bit);
		break;
	case 4:
		dwr(f, cpu, orand(2) ? D_ISACTIVER + word : D_ICACTIVER + word, bit);
		break;
	case 5:
		set_prio(f, cpu, irq, (uint8_t)(orand(4) << 6));
		break;
	case 6:
		assert_int_equal(ax_devices_handle_mmio_write(
					 f->set, cpu, DBASE + D_ITARGETSR + irq, 1, orand(16)),
				 AX_OK);
		break;
	case 7:
		v = drd(f, cpu, D_IGROUPR + word);
		dwr(f, cpu, D_IGROUPR + word, v ^ bit);
		break;
	case 8: /* SGI: target list, all but self, self */
		dwr(f, cpu, D_SGIR, orand(3) << 24 | orand(16) << 16 | orand(16));
		break;
	case 9:
		assert_int_equal(ax_devices_handle_mmio_write(
					 f->set, cpu, DBASE + 0xf10 + orand(16), 1, orand(16)),
				 AX_OK);
		break;
	case 10:
		if (irq >= 32)
			dwr(f, cpu, D_ICFGR + irq / 16 * 4, orand(2) << (2 * (irq % 16) + 1));
		break;
	case 11:
		if (irq >= 16)
			assert_int_equal(ax_gicd_v2_set_level(g, cpu, irq, orand(2)), AX_OK);
		break;
	case 12: /* acknowledge, and usually end it */
		v = crd(f, cpu, orand(2) ? C_IAR : C_AIAR);
		if ((v & 0x3ff) < 1020 && orand(4))
			cwr(f, cpu, C_EOIR, v);
		break;
	case 13:
		cwr(f, cpu, C_DIR, orand(O_IRQS));
		break;
	case 14:
		dwr(f, 0, D_CTLR, orand(4));
		break;
	default:
		cwr(f, cpu, C_CTLR, orand(8) | (orand(4) ? 0 : 1u << 9));
		cwr(f, cpu, C_PMR, 0xf8);
		break;
	}
}

/* Random register traffic; after each step HPPIR agrees with the register state on every CPU. */
static void test_hppir_matches_register_state(void **state)
{
	struct fixture f;
	struct ax_gicd_v2 *g;

	(void)state;
	oracle_rng = 0x9e3779b97f4a7c15ull;
	setup_n(&f, NCPUS);
	assert_int_equal(ax_gicd_v2_from_device(f.set, f.gic_id, &g), AX_OK);
	for (uint32_t cpu = 0; cpu < NCPUS; cpu++)
		enable(&f, cpu);
	for (unsigned step = 0; step < 3000; step++) {
		oracle_step(&f, g);
		if (step % 1000 == 999)
			assert_int_equal(ax_devices_reset(f.set), AX_OK);
		for (uint32_t cpu = 0; cpu < NCPUS; cpu++)
			assert_int_equal(crd(&f, cpu, C_HPPIR), expected_hppir(&f, cpu));
	}
	teardown(&f);
}

static void test_groups_and_aliases(void **state)
{
	struct fixture f;

	(void)state;
	setup_n(&f, 1);
	spi(&f, 40, 0x80);
	spi(&f, 41, 0x40);
	dwr(&f, 0, D_IGROUPR + 4, 1u << (40 % 32)); /* 40 in Group 1 */
	dwr(&f, 0, D_CTLR, 3);
	cwr(&f, 0, C_PMR, 0xf8);
	pend(&f, 40);
	/* Group 1 disabled in the CPU interface: never acknowledged */
	cwr(&f, 0, C_CTLR, 1);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	assert_int_equal(crd(&f, 0, C_AIAR), SPURIOUS);
	assert_false(ax_devices_irq_pending(f.set, 0));
	/* enabled, AckCtl 0: IAR says 1022, the alias takes it */
	cwr(&f, 0, C_CTLR, 3);
	assert_true(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_HPPIR), 1022);
	assert_int_equal(crd(&f, 0, C_IAR), 1022);
	assert_false(active(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_AHPPIR), 40);
	assert_int_equal(crd(&f, 0, C_AIAR), 40);
	assert_int_equal(crd(&f, 0, C_NSAPR0), 1u << (0x80 >> 3));
	assert_int_equal(crd(&f, 0, C_APR0), 0);
	assert_int_equal(crd(&f, 0, C_RPR), 0x80);
	cwr(&f, 0, C_AEOIR, 40);
	assert_false(active(&f, 0, 40));
	assert_int_equal(crd(&f, 0, C_RPR), 0xff);
	/* AckCtl 1: IAR takes Group 1 too */
	cwr(&f, 0, C_CTLR, 7);
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	cwr(&f, 0, C_EOIR, 40);
	/* the alias never returns Group 0 */
	pend(&f, 41);
	assert_int_equal(crd(&f, 0, C_AHPPIR), SPURIOUS);
	assert_int_equal(crd(&f, 0, C_AIAR), SPURIOUS);
	assert_int_equal(crd(&f, 0, C_IAR), 41);
	cwr(&f, 0, C_EOIR, 41);
	/* ABPR governs Group 1 preemption; CBPR makes BPR govern both */
	set_prio(&f, 0, 40, 0xa0);
	cwr(&f, 0, C_ABPR, 7); /* Group 1: group priority is bit [7] */
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	assert_int_equal(crd(&f, 0, C_NSAPR0), 1u << (0x80 >> 3));
	cwr(&f, 0, C_EOIR, 40);
	cwr(&f, 0, C_CTLR, 7u | (1u << 4)); /* CBPR: BPR 2 governs Group 1, 0xa0 stays */
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), 40);
	assert_int_equal(crd(&f, 0, C_NSAPR0), 1u << (0xa0 >> 3));
	cwr(&f, 0, C_EOIR, 40);
	/* Group 0 with FIQEn would be an FIQ: IAR still takes it, the host is not told */
	cwr(&f, 0, C_CTLR, 1u | 8u);
	pend(&f, 41);
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(crd(&f, 0, C_IAR), 41);
	cwr(&f, 0, C_EOIR, 41);
	/* the distributor's group enable gates too */
	cwr(&f, 0, C_CTLR, 7);
	dwr(&f, 0, D_CTLR, 1);
	pend(&f, 40);
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	teardown(&f);
}

/* --- config and the set -------------------------------------------------------- */

static void test_config(void **state)
{
	struct fixture f;
	struct ax_diag diag = { 0 };
	uint32_t id;
	const uint64_t three[3] = { 64, 1, 0x08100000 };
	const uint64_t small[4] = { 64, 1, 0x08100000, 0x1000 };
	const uint64_t overlap[4] = { 64, 1, 0x0a000800, 0x2000 };
	const uint64_t wrap[4] = { 64, 1, UINT64_MAX - 0xfff, 0x2000 };
	const uint64_t good[4] = { 64, 1, 0x0a100000, 0x2000 };

	(void)state;
	setup_n(&f, 1);
	assert_int_equal(add_gic(&f, "g2", 0x0a000000, three, 3, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "cfg_list has 3 entries"));
	assert_int_equal(add_gic(&f, "g2", 0x0a000000, small, 4, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "length 0x1000"));
	assert_int_equal(add_gic(&f, "g2", 0x0a000000, overlap, 4, &id, &diag),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(add_gic(&f, "g2", 0x0a000000, wrap, 4, &id, &diag), AX_ERR_INVALID_INPUT);
	/* a second CPU interface in one set is refused, naming both */
	assert_int_equal(add_gic(&f, "g2", 0x0a000000, good, 4, &id, &diag), AX_ERR_ALREADY_EXISTS);
	assert_non_null(strstr(diag.msg, "\"g2\""));
	assert_non_null(strstr(diag.msg, "\"gic\""));
	/* a distributor without one still joins the set */
	assert_int_equal(add_gic(&f, "g3", 0x0a000000, good, 2, &id, &diag), AX_OK);
	/* removing the GIC unregisters it */
	assert_int_equal(ax_devices_remove(f.set, f.gic_id, &diag), AX_OK);
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(add_gic(&f, "g2", 0x0b000000, good, 4, &id, &diag), AX_OK);
	teardown(&f);
}

/* --- Linux irq-gic.c, as it behaves (written from the driver's behaviour) ------- */

/* gic_handle_irq: read IAR until spurious; EOI (split: EOI then DIR after handling). */
static unsigned linux_handler(struct fixture *f, uint32_t cpu, bool split, uint32_t *seen,
			      unsigned max)
{
	unsigned n = 0;

	for (;;) {
		uint32_t irqstat = crd(f, cpu, C_IAR);
		uint32_t irqnr = irqstat & 0x3ff;

		if (irqnr >= 1020)
			break;
		if (n < max)
			seen[n] = irqnr;
		n++;
		if (irqnr < 16) { /* IPI: EOI first, then handle (and DIR when split) */
			cwr(f, cpu, C_EOIR, irqstat);
			if (split)
				cwr(f, cpu, C_DIR, irqstat);
			continue;
		}
		if (split) { /* priority drop now, deactivate when the handler is done */
			cwr(f, cpu, C_EOIR, irqstat);
			cwr(f, cpu, C_DIR, irqstat);
		} else {
			cwr(f, cpu, C_EOIR, irqstat);
		}
	}
	return n;
}

static void linux_probe(struct fixture *f, uint32_t ncpus, bool split)
{
	uint32_t typer, nr, mask = 0;

	/* gic_dist_init */
	dwr(f, 0, D_CTLR, 0);
	typer = drd(f, 0, D_TYPER);
	nr = ((typer & 0x1f) + 1) * 32;
	assert_int_equal(nr, 128);
	for (uint32_t i = 0; i < 8; i++) /* its own CPU's mask from ITARGETSR0..7 */
		mask |= drd(f, 0, D_ITARGETSR + i * 4) & 0xff;
	assert_int_equal(mask, 1);
	mask |= mask << 8;
	mask |= mask << 16;
	for (uint32_t i = 32; i < nr; i += 4)
		dwr(f, 0, D_ITARGETSR + i, mask);
	for (uint32_t i = 32; i < nr; i += 16)
		dwr(f, 0, D_ICFGR + i / 4, 0); /* level */
	for (uint32_t i = 32; i < nr; i += 4)
		dwr(f, 0, D_IPRIORITYR + i, 0xa0a0a0a0);
	for (uint32_t i = 32; i < nr; i += 32) {
		dwr(f, 0, D_ICACTIVER + i / 8, 0xffffffff);
		dwr(f, 0, D_ICENABLER + i / 8, 0xffffffff);
	}
	dwr(f, 0, D_CTLR, 1);
	/* gic_cpu_init, on every CPU */
	for (uint32_t cpu = 0; cpu < ncpus; cpu++) {
		dwr(f, cpu, D_ICACTIVER, 0xffffffff);
		dwr(f, cpu, D_ICENABLER, 0xffff0000);
		dwr(f, cpu, D_ISENABLER, 0x0000ffff);
		for (uint32_t i = 0; i < 32; i += 4)
			dwr(f, cpu, D_IPRIORITYR + i, 0xa0a0a0a0);
		cwr(f, cpu, C_PMR, 0xf0);
		/* gic_cpu_if_up: keep the bypass bits, enable (and EOImode in HYP) */
		uint32_t bypass = crd(f, cpu, C_CTLR) & 0x1e0;
		cwr(f, cpu, C_CTLR, bypass | 1 | (split ? 1u << 9 : 0));
		/* APRs cleared at resume */
		cwr(f, cpu, C_APR0, 0);
	}
}

static void test_linux_replay(void **state)
{
	for (int split = 0; split < 2; split++) {
		struct fixture f;
		struct ax_irq_lines *l;
		uint32_t seen[8];

		(void)state;
		setup_n(&f, 2);
		linux_probe(&f, 2, split);
		/* request_irq: unmask the SPI (gic_unmask_irq) and the timer PPI per CPU */
		dwr(&f, 0, D_ISENABLER + 4, 1u << (45 % 32));
		dwr(&f, 1, D_ISENABLER, 1u << 27);
		l = fake_line_lines(f.set, f.line_id);
		ax_irq_line_set_level(l, 45, true);
		assert_true(ax_devices_irq_pending(f.set, 0));
		assert_false(ax_devices_irq_pending(f.set, 1));
		/* the handler reads IAR; the device drops its line while handled */
		uint32_t irqstat = crd(&f, 0, C_IAR);
		assert_int_equal(irqstat, 45);
		ax_irq_line_set_level(l, 45, false);
		cwr(&f, 0, C_EOIR, irqstat);
		if (split)
			cwr(&f, 0, C_DIR, irqstat);
		assert_int_equal(linux_handler(&f, 0, split, seen, 8), 0);
		assert_false(active(&f, 0, 45));
		/* an IPI (smp_cross_call: GICD_SGIR target list) from CPU 0 to CPU 1 */
		dwr(&f, 0, D_SGIR, (1u << (16 + 1)) | 2);
		ax_irq_fabric_set_ppi(f.fabric, 1, 27, true);
		assert_true(ax_devices_irq_pending(f.set, 1));
		/* same priority 0xa0: lowest id first, then the next after EOI */
		irqstat = crd(&f, 1, C_IAR);
		assert_int_equal(irqstat, 2);
		cwr(&f, 1, C_EOIR, irqstat);
		if (split)
			cwr(&f, 1, C_DIR, irqstat);
		irqstat = crd(&f, 1, C_IAR);
		assert_int_equal(irqstat, 27);
		ax_irq_fabric_set_ppi(f.fabric, 1, 27, false); /* the timer handler masks it */
		cwr(&f, 1, C_EOIR, irqstat);
		if (split)
			cwr(&f, 1, C_DIR, irqstat);
		assert_int_equal(linux_handler(&f, 1, split, seen, 8), 0);
		assert_int_equal(crd(&f, 1, C_RPR), 0xff);
		assert_int_equal(drd(&f, 1, D_ISACTIVER), 0);
		/* several at once: the loop takes them all */
		dwr(&f, 1, D_SGIR, (1u << (16 + 0)) | 1);
		dwr(&f, 0, D_ISPENDR + 4, 1u << (45 % 32));
		assert_int_equal(linux_handler(&f, 0, split, seen, 8), 2);
		assert_int_equal(seen[0], 1);
		assert_int_equal(seen[1], 45);
		assert_false(ax_devices_irq_pending(f.set, 0));
		teardown(&f);
	}
}

/* --- acknowledge counters ------------------------------------------------------------ */

static struct ax_irq_ack_stats ack_stats(struct fixture *f, uint32_t cpu)
{
	struct ax_irq_ack_stats st;

	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(ax_devices_irq_ack_stats(f->set, cpu, &st), AX_OK);
	return st;
}

#define assert_acks(f, cpu, nsgi, nppi, nspi, nspur)                                               \
	do {                                                                                       \
		struct ax_irq_ack_stats st_ = ack_stats((f), (cpu));                               \
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
	setup_n(&f, 3);
	l = fake_line_lines(f.set, f.line_id);
	for (uint32_t cpu = 0; cpu < 3; cpu++) {
		enable(&f, cpu);
		assert_acks(&f, cpu, 0, 0, 0, 0);
	}
	/* two SGIs to CPU 1 (from CPUs 0 and 2), taken through IAR */
	dwr(&f, 0, D_SGIR, (1u << (16 + 1)) | 3);
	dwr(&f, 2, D_SGIR, (1u << (16 + 1)) | 4);
	assert_int_equal(crd(&f, 1, C_HPPIR), 3); /* HPPIR is not an acknowledge */
	assert_int_equal(crd(&f, 1, C_IAR), 3 | (0u << 10));
	cwr(&f, 1, C_EOIR, 3 | (0u << 10));
	assert_int_equal(crd(&f, 1, C_IAR), 4 | (2u << 10));
	cwr(&f, 1, C_EOIR, 4 | (2u << 10));
	/* the timer's PPI 27 on CPU 1 */
	dwr(&f, 1, D_ISENABLER, 1u << 27);
	ax_irq_fabric_set_ppi(f.fabric, 1, 27, true);
	assert_int_equal(crd(&f, 1, C_IAR), 27);
	ax_irq_fabric_set_ppi(f.fabric, 1, 27, false);
	cwr(&f, 1, C_EOIR, 27);
	/* SPI 45 from the line device, to CPU 0 */
	spi(&f, 45, 0x80);
	ax_irq_line_set_level(l, 45, true);
	assert_int_equal(crd(&f, 0, C_IAR), 45);
	ax_irq_line_set_level(l, 45, false);
	cwr(&f, 0, C_EOIR, 45);
	/* spurious: IAR with nothing pending (1023), AIAR with nothing of Group 1 */
	assert_int_equal(crd(&f, 0, C_IAR), SPURIOUS);
	assert_int_equal(crd(&f, 1, C_AIAR), SPURIOUS);
	/* AIAR counts like IAR: a Group 1 SPI taken through the alias */
	dwr(&f, 0, D_CTLR, 3);
	cwr(&f, 0, C_CTLR, 3);
	dwr(&f, 0, D_IGROUPR + 4, 1u << (45 % 32));
	ax_irq_line_set_level(l, 45, true);
	assert_int_equal(crd(&f, 0, C_IAR), 1022); /* Group 1 through IAR, AckCtl 0 */
	assert_int_equal(crd(&f, 0, C_AIAR), 45);
	ax_irq_line_set_level(l, 45, false);
	cwr(&f, 0, C_AEOIR, 45);
	/* each class on the right vCPU only */
	assert_acks(&f, 0, 0, 0, 2, 2);
	assert_acks(&f, 1, 2, 1, 0, 1);
	assert_acks(&f, 2, 0, 0, 0, 0);
	/* the host's acknowledge (Unsupported here) does not count; a reset keeps the counters */
	{
		uint32_t v;

		assert_int_equal(ax_devices_irq_ack(f.set, 0, &v), AX_ERR_UNSUPPORTED);
	}
	ax_devices_reset(f.set);
	assert_acks(&f, 0, 0, 0, 2, 2);
	assert_acks(&f, 1, 2, 1, 0, 1);
	/* vCPUs the GIC lacks, no output */
	assert_int_equal(ax_devices_irq_ack_stats(f.set, 3, &st), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_irq_ack_stats(f.set, 1000, &st), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_irq_ack_stats(f.set, 0, NULL), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_irq_ack_stats(NULL, 0, &st), AX_ERR_NOT_FOUND);
	teardown(&f);
}

/* A distributor without a CPU interface, an empty set, a local APIC: no GIC counters. */
static void test_ack_stats_no_cpuif(void **state)
{
	struct test_host host;
	struct ax_devices *set;
	struct ax_diag diag = { 0 };
	struct ax_irq_ack_stats st;
	uint32_t id;
	const uint64_t cfg[2] = { 128, 2 };
	struct ax_emu_config gicd = { .name = "gicd",
				      .base_gpa = DBASE,
				      .length = 0x10000,
				      .emu_type = AX_EMU_GICD_V2,
				      .cfg_list = cfg,
				      .cfg_len = 2 };
	struct ax_emu_config lapic = { .name = "lapic",
				       .base_gpa = 0xfee00000ull,
				       .length = 0x1000,
				       .emu_type = AX_EMU_LAPIC };
	struct ax_devices_params p = { 0 };

	(void)state;
	test_host_init(&host, false);
	p.hooks = &host.hooks;
	p.max_vcpus = 2;
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_OK);
	assert_int_equal(ax_devices_irq_ack_stats(set, 0, &st), AX_ERR_NOT_FOUND);
	if (ax_devices_add_from_config(set, &gicd, &id, &diag) != AX_OK)
		fail_msg("gicd: %s", diag.msg);
	assert_int_equal(ax_devices_irq_ack_stats(set, 0, &st), AX_ERR_NOT_FOUND);
	ax_devices_destroy(set);
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_OK);
	if (ax_devices_add_from_config(set, &lapic, &id, &diag) != AX_OK)
		fail_msg("lapic: %s", diag.msg);
	assert_int_equal(ax_devices_irq_ack_stats(set, 0, &st), AX_ERR_UNSUPPORTED);
	assert_int_equal(ax_devices_irq_ack_stats(set, 1, &st), AX_ERR_UNSUPPORTED);
	ax_devices_destroy(set);
	test_host_fini(&host);
}

/* --- threads ---------------------------------------------------------------------- */

struct worker {
	struct fixture *f;
	uint32_t cpu;
	unsigned acks;
	bool ok;
};

static void *vcpu_thread(void *arg)
{
	struct worker *w = arg;
	struct ax_devices *set = w->f->set;

	w->ok = true;
	for (uint32_t i = 0; i < 3000; i++) {
		uint64_t v = 0;

		/* an SGI to the next CPU, a PPI level on ourselves */
		w->ok &= ax_devices_handle_mmio_write(set, w->cpu, DBASE + D_SGIR, 4,
						      (1u << (16 + (w->cpu + 1) % NCPUS)) |
							      (i % 16)) == AX_OK;
		ax_irq_fabric_set_ppi(w->f->fabric, w->cpu, 27, i & 1);
		if (!ax_devices_irq_pending(set, w->cpu) && (i & 3))
			continue;
		w->ok &= ax_devices_handle_mmio_read(set, w->cpu, CBASE + C_IAR, 4, &v) == AX_OK;
		if ((v & 0x3ff) >= 1020)
			continue;
		w->acks++;
		w->ok &= ax_devices_handle_mmio_write(set, w->cpu, CBASE + C_EOIR, 4, v) == AX_OK;
	}
	ax_irq_fabric_set_ppi(w->f->fabric, w->cpu, 27, false);
	return NULL;
}

static void *line_thread(void *arg)
{
	struct worker *w = arg;
	struct ax_irq_lines *l = fake_line_lines(w->f->set, w->f->line_id);

	w->ok = true;
	for (uint32_t i = 0; i < 3000; i++)
		ax_irq_line_set_level(l, 45, i & 1);
	ax_irq_line_set_level(l, 45, false);
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture f;
	pthread_t t[NCPUS + 1];
	struct worker w[NCPUS + 1];

	(void)state;
	setup_n(&f, NCPUS);
	for (uint32_t cpu = 0; cpu < NCPUS; cpu++) {
		enable(&f, cpu);
		dwr(&f, cpu, D_ISENABLER, 0xffffffffu);
	}
	spi(&f, 45, 0x80);
	for (uint32_t i = 0; i <= NCPUS; i++) {
		w[i] = (struct worker){ &f, i, 0, false };
		assert_int_equal(
			pthread_create(&t[i], NULL, i < NCPUS ? vcpu_thread : line_thread, &w[i]),
			0);
	}
	for (uint32_t i = 0; i <= NCPUS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(w[i].ok);
	}
	/* drain: everything left is taken, and afterwards nothing is active */
	for (uint32_t cpu = 0; cpu < NCPUS; cpu++) {
		for (;;) {
			uint32_t v = crd(&f, cpu, C_IAR);

			if ((v & 0x3ff) >= 1020)
				break;
			w[cpu].acks++;
			cwr(&f, cpu, C_EOIR, v);
		}
		assert_true(w[cpu].acks > 0);
		{
			struct ax_irq_ack_stats st = ack_stats(&f, cpu);

			/* every IAR that returned an interrupt, counted under contention */
			assert_int_equal(st.sgi + st.ppi + st.spi, w[cpu].acks);
			assert_true(st.spurious > 0); /* at least the drain's last read */
		}
		assert_int_equal(crd(&f, cpu, C_RPR), 0xff);
		assert_int_equal(drd(&f, cpu, D_ISACTIVER), 0);
		assert_false(ax_devices_irq_pending(f.set, cpu));
	}
	assert_false(active(&f, 0, 45));
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_ack_eoi_cycle),
		cmocka_unit_test(test_priorities_and_preemption),
		cmocka_unit_test(test_eoimode_split),
		cmocka_unit_test(test_level_line_reasserts),
		cmocka_unit_test(test_banking_and_ppis),
		cmocka_unit_test(test_sgis_between_vcpus),
		cmocka_unit_test(test_groups_and_aliases),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_linux_replay),
		cmocka_unit_test(test_ack_stats),
		cmocka_unit_test(test_ack_stats_no_cpuif),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_hppir_matches_register_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
