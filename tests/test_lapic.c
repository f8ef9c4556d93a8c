/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local APIC (xAPIC): every register's reset value, writable bits and
 * access rules; priorities, IRR/ISR/TMR, EOI reaching an I/O APIC, the
 * timer in each mode against a fake clock, IPIs, INIT/SIPI, ExtINT from an
 * 8259, and a threaded test. The APIC is built from a config entry in a
 * device set, so the interrupt fabric is exercised; a fake I/O APIC EOI
 * handler and a fake 8259 register with the fabric (src/core/irq.h).
 * Offsets and values come from the Intel SDM vol. 3 ch. 10.
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
#include <axdevice/ioapic.h>
#include <axdevice/lapic.h>

#include "core/irq.h"
#include "core/set.h"
#include "fake_clock.h"
#include "fake_irq.h"

#define BASE	 0xfee00000ull
#define NR_VCPUS 4u
#define T0	 1000000000ull /* the fake clock's start */

/* SDM vol. 3 table 10-1, spelled out here rather than taken from the model. */
enum {
	ID = 0x20,
	VER = 0x30,
	TPR = 0x80,
	APR = 0x90,
	PPR = 0xa0,
	EOI = 0xb0,
	RRD = 0xc0,
	LDR = 0xd0,
	DFR = 0xe0,
	SVR = 0xf0,
	ISR = 0x100,
	TMR = 0x180,
	IRR = 0x200,
	ESR = 0x280,
	CMCI = 0x2f0,
	ICR_LO = 0x300,
	ICR_HI = 0x310,
	LVT_TIMER = 0x320,
	LVT_THERMAL = 0x330,
	LVT_PERF = 0x340,
	LVT_LINT0 = 0x350,
	LVT_LINT1 = 0x360,
	LVT_ERROR = 0x370,
	TMICT = 0x380,
	TMCCT = 0x390,
	TDCR = 0x3e0,
};

#define MASKED	   0x10000u
#define PERIODIC   0x20000u
#define ENABLE	   0x100u
#define DIV_BY_1   0xbu
#define FIXED	   (0u << 8)
#define LOWEST	   (1u << 8)
#define NMI	   (4u << 8)
#define INIT	   (5u << 8)
#define STARTUP	   (6u << 8)
#define LOGICAL	   (1u << 11)
#define ASSERT	   (1u << 14)
#define LEVEL	   (1u << 15)
#define SELF	   (1u << 18)
#define ALL	   (2u << 18)
#define ALL_BUT	   (3u << 18)
#define EXTINT_LVT 0x700u

struct fixture {
	struct fake_clock clk;
	struct ax_devices *set;
	struct ax_lapic *lapic;
	struct ax_irq_fabric *fabric;
	/* fake I/O APIC: EOIs it saw */
	_Atomic unsigned eois[256];
	struct ax_ioapic_eoi eoi_reg;
	bool have_eoi;
	/* fake 8259 */
	_Atomic bool pic_intr;
	_Atomic unsigned pic_acks;
	uint8_t pic_vector;
	bool have_pic;
};

static void fake_eoi(void *priv, uint8_t vector)
{
	struct fixture *f = priv;

	atomic_fetch_add(&f->eois[vector], 1);
}

static bool fake_pic_intr(void *priv)
{
	struct fixture *f = priv;

	return atomic_load(&f->pic_intr);
}

static uint8_t fake_pic_ack(void *priv)
{
	struct fixture *f = priv;

	atomic_fetch_add(&f->pic_acks, 1);
	if (!atomic_exchange(&f->pic_intr, false))
		return 0x27; /* the 8259's spurious IRQ7 */
	return f->pic_vector;
}

static enum ax_err make_cfg(struct fixture *f, unsigned flags, const uint64_t *cfg, size_t cfg_len,
			    uint64_t length, uint32_t max_vcpus, struct ax_diag *diag)
{
	struct ax_emu_config emu = { .name = "lapic",
				     .base_gpa = BASE,
				     .length = length,
				     .emu_type = AX_EMU_LAPIC,
				     .cfg_list = cfg,
				     .cfg_len = cfg_len };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &f->clk.host.hooks, .max_vcpus = max_vcpus };
	enum ax_err err;

	memset(f, 0, sizeof(*f));
	fake_clock_init(&f->clk, T0, flags);
	err = ax_devices_create(&params, &vm, &f->set, diag);
	if (err != AX_OK) {
		fake_clock_fini(&f->clk);
		return err;
	}
	assert_int_equal(ax_lapic_from_device(f->set, 1, &f->lapic), AX_OK);
	f->fabric = f->set->irq_fabric;
	f->eoi_reg = (struct ax_ioapic_eoi){ f, fake_eoi };
	assert_int_equal(ax_irq_fabric_add_ioapic_eoi(f->fabric, &f->eoi_reg, NULL), AX_OK);
	f->have_eoi = true;
	return AX_OK;
}

static void setup_flags(struct fixture *f, unsigned flags)
{
	struct ax_diag diag = { 0 };

	if (make_cfg(f, flags, NULL, 0, 0x1000, NR_VCPUS, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
}

static void setup(struct fixture *f)
{
	setup_flags(f, 0);
}

static void add_pic(struct fixture *f)
{
	struct ax_pic_ops ops = { f, fake_pic_intr, fake_pic_ack };

	assert_int_equal(ax_irq_fabric_set_pic(f->fabric, "fake-pic", &ops, NULL), AX_OK);
	f->have_pic = true;
}

static void teardown(struct fixture *f)
{
	if (f->have_pic)
		ax_irq_fabric_clear_pic(f->fabric, f);
	if (f->have_eoi)
		ax_irq_fabric_remove_ioapic_eoi(f->fabric, f);
	ax_devices_destroy(f->set);
	fake_clock_fini(&f->clk);
}

static uint32_t rd(struct fixture *f, uint32_t vcpu, uint32_t off)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, vcpu, BASE + off, 4, &val), AX_OK);
	return (uint32_t)val;
}

static void wr(struct fixture *f, uint32_t vcpu, uint32_t off, uint32_t val)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, vcpu, BASE + off, 4, val), AX_OK);
}

static void enable(struct fixture *f, uint32_t vcpu)
{
	wr(f, vcpu, SVR, ENABLE | 0xff);
}

static void enable_all(struct fixture *f)
{
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		enable(f, v);
}

/* The vector vCPU `vcpu` takes now, or -1. */
static int ack(struct fixture *f, uint32_t vcpu)
{
	uint32_t vector = 0;
	enum ax_err err = ax_devices_irq_ack(f->set, vcpu, &vector);

	if (err == AX_ERR_NOT_FOUND)
		return -1;
	assert_int_equal(err, AX_OK);
	return (int)vector;
}

static bool pending(struct fixture *f, uint32_t vcpu)
{
	return ax_devices_irq_pending(f->set, vcpu);
}

static bool bit_in(struct fixture *f, uint32_t vcpu, uint32_t reg, unsigned vector)
{
	return (rd(f, vcpu, reg + vector / 32 * 0x10) >> (vector % 32)) & 1u;
}

/* What an I/O APIC sends. */
static void ioapic_msg(struct fixture *f, uint8_t vector, unsigned delivery, bool logical,
		       uint8_t dest, bool level)
{
	struct ax_apic_msg msg = { vector, (enum ax_apic_delivery)delivery, logical, dest, level };

	ax_irq_fabric_apic_deliver(f->fabric, &msg);
}

static uint32_t esr(struct fixture *f, uint32_t vcpu)
{
	wr(f, vcpu, ESR, 0); /* write-to-update */
	return rd(f, vcpu, ESR);
}

static struct ax_lapic_state snap(struct fixture *f, uint32_t vcpu)
{
	struct ax_lapic_state s;

	assert_int_equal(ax_lapic_snapshot(f->lapic, vcpu, &s), AX_OK);
	return s;
}

/* ---- registers --------------------------------------------------------------- */

static void check_reset_state(struct fixture *f, uint32_t vcpu, uint32_t id)
{
	assert_int_equal(rd(f, vcpu, ID), id);
	assert_int_equal(rd(f, vcpu, VER), 0x00060014);
	assert_int_equal(rd(f, vcpu, TPR), 0);
	assert_int_equal(rd(f, vcpu, APR), 0);
	assert_int_equal(rd(f, vcpu, PPR), 0);
	assert_int_equal(rd(f, vcpu, EOI), 0); /* write-only */
	assert_int_equal(rd(f, vcpu, RRD), 0);
	assert_int_equal(rd(f, vcpu, LDR), 0);
	assert_int_equal(rd(f, vcpu, DFR), 0xffffffff);
	assert_int_equal(rd(f, vcpu, SVR), 0xff);
	for (uint32_t n = 0; n < 8; n++) {
		assert_int_equal(rd(f, vcpu, ISR + 0x10 * n), 0);
		assert_int_equal(rd(f, vcpu, TMR + 0x10 * n), 0);
		assert_int_equal(rd(f, vcpu, IRR + 0x10 * n), 0);
	}
	assert_int_equal(rd(f, vcpu, ESR), 0);
	assert_int_equal(rd(f, vcpu, CMCI), MASKED);
	assert_int_equal(rd(f, vcpu, ICR_LO), 0);
	assert_int_equal(rd(f, vcpu, ICR_HI), 0);
	assert_int_equal(rd(f, vcpu, LVT_TIMER), MASKED);
	assert_int_equal(rd(f, vcpu, LVT_THERMAL), MASKED);
	assert_int_equal(rd(f, vcpu, LVT_PERF), MASKED);
	/* vCPU 0: virtual wire (ExtINT, unmasked), as firmware leaves a PC */
	assert_int_equal(rd(f, vcpu, LVT_LINT0), vcpu == 0 ? EXTINT_LVT : MASKED);
	assert_int_equal(rd(f, vcpu, LVT_LINT1), MASKED);
	assert_int_equal(rd(f, vcpu, LVT_ERROR), MASKED);
	assert_int_equal(rd(f, vcpu, TMICT), 0);
	assert_int_equal(rd(f, vcpu, TMCCT), 0);
	assert_int_equal(rd(f, vcpu, TDCR), 0);
}

static void test_reset_values(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		check_reset_state(&f, v, v << 24);
	assert_false(pending(&f, 0));
	assert_int_equal(ack(&f, 0), -1);
	teardown(&f);
}

static void test_writable_bits(void **state)
{
	static const struct {
		uint32_t off, mask;
	} rw[] = {
		{ ID, 0xff000000 },	  { TPR, 0xff },	  { LDR, 0xff000000 },
		{ SVR, 0x3ff },		  { CMCI, 0x107ff },	  { ICR_HI, 0xff000000 },
		{ LVT_TIMER, 0x300ff }, /* bit 18 (TSC-deadline) is not offered */
		{ LVT_THERMAL, 0x107ff }, { LVT_PERF, 0x107ff },  { LVT_LINT0, 0x1a7ff },
		{ LVT_LINT1, 0x1a7ff },	  { LVT_ERROR, 0x100ff }, { TDCR, 0xb },
	};
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 1);
	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		wr(&f, 1, rw[i].off, 0xffffffff);
		assert_int_equal(rd(&f, 1, rw[i].off), rw[i].mask);
		wr(&f, 1, rw[i].off, rw[i].off == SVR ? ENABLE : 0);
		assert_int_equal(rd(&f, 1, rw[i].off), rw[i].off == SVR ? ENABLE : 0);
	}
	/* DFR: the model bits only, 27:0 read as ones */
	wr(&f, 1, DFR, 0);
	assert_int_equal(rd(&f, 1, DFR), 0x0fffffff);
	wr(&f, 1, DFR, 0xffffffff);
	assert_int_equal(rd(&f, 1, DFR), 0xffffffff);
	/* TMICT holds any 32-bit count */
	wr(&f, 1, TMICT, 0xffffffff);
	assert_int_equal(rd(&f, 1, TMICT), 0xffffffff);
	wr(&f, 1, TMICT, 0);
	/* ICR low: the IPI bits; delivery status (12) reads idle (a fixed IPI to 0) */
	wr(&f, 1, ICR_LO, 0xfff3f8ff);
	assert_int_equal(rd(&f, 1, ICR_LO), 0x0000c8ff);
	/* banks are separate: vCPU 0 saw none of it */
	check_reset_state(&f, 0, 0);
	teardown(&f);
}

static void test_read_only_registers(void **state)
{
	static const uint32_t ro[] = { VER, APR, PPR, RRD, TMCCT };
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 0);
	ioapic_msg(&f, 0x61, AX_APIC_FIXED, false, 0, true);
	assert_int_equal(ack(&f, 0), 0x61);
	ioapic_msg(&f, 0x52, AX_APIC_FIXED, false, 0, false);
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = rd(&f, 0, ro[i]);

		wr(&f, 0, ro[i], 0xffffffff);
		wr(&f, 0, ro[i], 0);
		assert_int_equal(rd(&f, 0, ro[i]), before);
	}
	for (uint32_t n = 0; n < 8; n++) {
		uint32_t isr = rd(&f, 0, ISR + 0x10 * n), tmr = rd(&f, 0, TMR + 0x10 * n),
			 irr = rd(&f, 0, IRR + 0x10 * n);

		wr(&f, 0, ISR + 0x10 * n, 0xffffffff);
		wr(&f, 0, TMR + 0x10 * n, 0);
		wr(&f, 0, IRR + 0x10 * n, 0);
		assert_int_equal(rd(&f, 0, ISR + 0x10 * n), isr);
		assert_int_equal(rd(&f, 0, TMR + 0x10 * n), tmr);
		assert_int_equal(rd(&f, 0, IRR + 0x10 * n), irr);
	}
	assert_true(bit_in(&f, 0, ISR, 0x61) && bit_in(&f, 0, TMR, 0x61));
	assert_true(bit_in(&f, 0, IRR, 0x52) && !bit_in(&f, 0, TMR, 0x52));
	assert_int_equal(esr(&f, 0), 0); /* read-only writes are not errors */
	teardown(&f);
}

static void test_widths_and_offsets(void **state)
{
	static const unsigned widths[] = { 1, 2, 8 };
	struct fixture f;
	struct ax_lapic_stats st;
	struct ax_device_stats ds;
	uint64_t val = 0;
	uint32_t vector = 0;

	(void)state;
	setup(&f);
	wr(&f, 0, TPR, 0x20);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, BASE + TPR, widths[i], &val),
				 AX_ERR_INVALID_INPUT);
		assert_int_equal(
			ax_devices_handle_mmio_write(f.set, 0, BASE + TPR, widths[i], 0x50),
			AX_ERR_INVALID_INPUT);
	}
	for (uint32_t off = TPR + 1; off < TPR + 16; off++) {
		assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, BASE + off, 1, &val),
				 AX_ERR_INVALID_INPUT);
		if (off % 4 == 0)
			assert_int_equal(ax_devices_handle_mmio_write(f.set, 0, BASE + off, 4, 1),
					 AX_ERR_INVALID_INPUT);
	}
	assert_int_equal(rd(&f, 0, TPR), 0x20);
	ax_lapic_get_stats(f.lapic, &st);
	assert_int_equal(st.bad_accesses, 6 + 15 + 3);
	assert_int_equal(ax_devices_stats(f.set, 1, &ds), AX_OK);
	assert_int_equal(ds.errors, 6 + 15 + 3);
	/* reserved offsets: read 0, writes ignored, ESR bit 7 (illegal register address) */
	static const uint32_t reserved[] = { 0x00,  0x10,  0x40,  0x70,	 0x290, 0x2e0,
					     0x3a0, 0x3d0, 0x3f0, 0x400, 0xff0 };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		assert_int_equal(rd(&f, 0, reserved[i]), 0);
		assert_int_equal(esr(&f, 0), 0x80);
		wr(&f, 0, reserved[i], 0xffffffff);
		assert_int_equal(rd(&f, 0, reserved[i]), 0);
		assert_int_equal(esr(&f, 0), 0x80);
		assert_int_equal(esr(&f, 0), 0);
	}
	ax_lapic_get_stats(f.lapic, &st);
	assert_int_equal(st.reserved_accesses, 3 * 11);
	/* a vCPU the set does not have */
	assert_int_equal(ax_devices_handle_mmio_read(f.set, NR_VCPUS, BASE + TPR, 4, &val),
			 AX_ERR_INVALID_INPUT);
	assert_false(pending(&f, NR_VCPUS));
	assert_int_equal(ax_devices_irq_ack(f.set, NR_VCPUS, &vector), AX_ERR_NOT_FOUND);
	teardown(&f);
}

static void test_esr_write_to_update(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 0);
	ioapic_msg(&f, 7, AX_APIC_FIXED, false, 0, false); /* illegal vector received */
	assert_int_equal(rd(&f, 0, ESR), 0);		   /* not visible before a write */
	wr(&f, 0, ESR, 0xffffffff);
	assert_int_equal(rd(&f, 0, ESR), 0x40);
	assert_int_equal(rd(&f, 0, ESR), 0x40); /* reads do not clear */
	wr(&f, 0, ESR, 0);
	assert_int_equal(rd(&f, 0, ESR), 0); /* nothing new since */
	/* LVT Error unmasked: a new error raises its vector */
	wr(&f, 0, LVT_ERROR, 0x66);
	wr(&f, 0, ICR_LO, FIXED | SELF | 0x05); /* send illegal vector */
	assert_int_equal(esr(&f, 0), 0x20);
	assert_int_equal(ack(&f, 0), 0x66);
	/* an illegal LVT Error vector: logged, no error loop */
	wr(&f, 0, LVT_ERROR, 0x03);
	ioapic_msg(&f, 9, AX_APIC_FIXED, false, 0, false);
	assert_int_equal(esr(&f, 0), 0x40);
	assert_int_equal(ack(&f, 0), -1);
	teardown(&f);
}

/* ---- interrupt acceptance ----------------------------------------------------- */

static void test_priorities(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 0);
	fake_clock_clear_notifies(&f.clk);
	ioapic_msg(&f, 0x35, AX_APIC_FIXED, false, 0, false);
	assert_true(bit_in(&f, 0, IRR, 0x35));
	assert_true(pending(&f, 0));
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 1);
	assert_int_equal(fake_clock_notifies(&f.clk, 1), 0);
	/* TPR class 3 masks class 3 */
	wr(&f, 0, TPR, 0x30);
	assert_int_equal(rd(&f, 0, PPR), 0x30);
	assert_false(pending(&f, 0));
	assert_int_equal(ack(&f, 0), -1); /* NotFound, not the spurious vector */
	assert_true(bit_in(&f, 0, IRR, 0x35));
	/* APR: IRR class above TPR class */
	assert_int_equal(rd(&f, 0, APR), 0x30);
	fake_clock_clear_notifies(&f.clk);
	wr(&f, 0, TPR, 0x2f);
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 1); /* lowering TPR unmasks it */
	assert_int_equal(rd(&f, 0, PPR), 0x2f);
	assert_true(pending(&f, 0));
	assert_int_equal(ack(&f, 0), 0x35);
	assert_false(bit_in(&f, 0, IRR, 0x35));
	assert_true(bit_in(&f, 0, ISR, 0x35));
	assert_int_equal(rd(&f, 0, PPR), 0x30); /* ISRV class beats TPR */
	/* same class: held; higher class: deliverable */
	ioapic_msg(&f, 0x3f, AX_APIC_FIXED, false, 0, false);
	assert_false(pending(&f, 0));
	ioapic_msg(&f, 0x41, AX_APIC_FIXED, false, 0, false);
	ioapic_msg(&f, 0x40, AX_APIC_FIXED, false, 0, false);
	assert_int_equal(ack(&f, 0), 0x41); /* highest first */
	assert_int_equal(rd(&f, 0, PPR), 0x40);
	assert_false(pending(&f, 0)); /* 0x40 is class 4 too */
	wr(&f, 0, EOI, 0);	      /* EOI clears the highest ISR bit: 0x41 */
	assert_false(bit_in(&f, 0, ISR, 0x41));
	assert_true(bit_in(&f, 0, ISR, 0x35));
	assert_int_equal(ack(&f, 0), 0x40);
	wr(&f, 0, EOI, 0);
	assert_false(pending(&f, 0)); /* 0x3f still held by 0x35 in service */
	wr(&f, 0, EOI, 0);
	assert_int_equal(rd(&f, 0, PPR), 0x2f);
	assert_int_equal(ack(&f, 0), 0x3f);
	wr(&f, 0, EOI, 0);
	wr(&f, 0, EOI, 0); /* EOI with nothing in service: harmless */
	assert_int_equal(rd(&f, 0, ISR + 0x10), 0);
	/* the same vector twice while in IRR: one interrupt */
	ioapic_msg(&f, 0xe0, AX_APIC_FIXED, false, 0, false);
	ioapic_msg(&f, 0xe0, AX_APIC_FIXED, false, 0, false);
	assert_int_equal(ack(&f, 0), 0xe0);
	assert_int_equal(ack(&f, 0), -1);
	/* one in service and one pending of the same vector */
	ioapic_msg(&f, 0xe0, AX_APIC_FIXED, false, 0, false);
	assert_true(bit_in(&f, 0, IRR, 0xe0) && bit_in(&f, 0, ISR, 0xe0));
	assert_false(pending(&f, 0));
	wr(&f, 0, EOI, 0);
	assert_int_equal(ack(&f, 0), 0xe0);
	teardown(&f);
}

static void test_eoi_level_reaches_ioapic(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 1);
	ioapic_msg(&f, 0x50, AX_APIC_FIXED, false, 1, true);
	assert_true(bit_in(&f, 1, TMR, 0x50));
	assert_int_equal(ack(&f, 1), 0x50);
	assert_int_equal(atomic_load(&f.eois[0x50]), 0);
	wr(&f, 1, EOI, 0);
	assert_int_equal(atomic_load(&f.eois[0x50]), 1);
	/* edge: no EOI message; the TMR bit follows the last acceptance */
	ioapic_msg(&f, 0x50, AX_APIC_FIXED, false, 1, false);
	assert_false(bit_in(&f, 1, TMR, 0x50));
	assert_int_equal(ack(&f, 1), 0x50);
	wr(&f, 1, EOI, 0);
	assert_int_equal(atomic_load(&f.eois[0x50]), 1);
	/* the model is not on the other vCPU */
	assert_int_equal(ack(&f, 0), -1);
	teardown(&f);
}

static void test_illegal_vectors(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable_all(&f);
	for (unsigned v = 0; v < 16; v++)
		ioapic_msg(&f, (uint8_t)v, AX_APIC_FIXED, false, 2, v & 1);
	assert_int_equal(rd(&f, 2, IRR), 0);
	assert_false(pending(&f, 2));
	assert_int_equal(esr(&f, 2), 0x40);
	/* an IPI with an illegal vector is not sent: the sender logs it */
	wr(&f, 0, ICR_HI, 2u << 24);
	wr(&f, 0, ICR_LO, FIXED | 0x0f);
	assert_int_equal(esr(&f, 0), 0x20);
	assert_int_equal(esr(&f, 2), 0);
	assert_int_equal(rd(&f, 2, IRR), 0);
	/* an illegal timer vector is a receive error */
	wr(&f, 3, TDCR, DIV_BY_1);
	wr(&f, 3, LVT_TIMER, 0x02);
	wr(&f, 3, TMICT, 100);
	fake_clock_advance(&f.clk, 100);
	assert_int_equal(rd(&f, 3, IRR), 0);
	assert_int_equal(esr(&f, 3), 0x40);
	teardown(&f);
}

static void test_software_disable(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	/* reset: disabled; fixed messages are refused, LVT masks stick */
	ioapic_msg(&f, 0x40, AX_APIC_FIXED, false, 1, false);
	assert_int_equal(rd(&f, 1, IRR + 0x20), 0);
	wr(&f, 1, LVT_TIMER, 0x45);
	assert_int_equal(rd(&f, 1, LVT_TIMER), MASKED | 0x45);
	wr(&f, 1, LVT_LINT0, 0x700);
	assert_int_equal(rd(&f, 1, LVT_LINT0), MASKED | 0x700);
	/* enabled: LVTs can be unmasked */
	enable(&f, 1);
	wr(&f, 1, LVT_TIMER, 0x45);
	wr(&f, 1, LVT_ERROR, 0x46);
	wr(&f, 1, CMCI, 0x47);
	assert_int_equal(rd(&f, 1, LVT_TIMER), 0x45);
	ioapic_msg(&f, 0x40, AX_APIC_FIXED, false, 1, false);
	assert_true(bit_in(&f, 1, IRR, 0x40));
	/* disabling masks every LVT; what is in IRR stays deliverable */
	wr(&f, 1, SVR, 0xff);
	assert_int_equal(rd(&f, 1, LVT_TIMER), MASKED | 0x45);
	assert_int_equal(rd(&f, 1, LVT_ERROR), MASKED | 0x46);
	assert_int_equal(rd(&f, 1, CMCI), MASKED | 0x47);
	assert_int_equal(rd(&f, 1, LVT_THERMAL), MASKED);
	assert_true(pending(&f, 1));
	assert_int_equal(ack(&f, 1), 0x40);
	wr(&f, 1, EOI, 0);
	/* IPIs and lowest priority skip it; it can still send */
	wr(&f, 0, ICR_HI, 1u << 24);
	wr(&f, 0, ICR_LO, FIXED | 0x70);
	assert_false(bit_in(&f, 1, IRR, 0x70));
	enable(&f, 0);
	wr(&f, 1, ICR_HI, 0);
	wr(&f, 1, ICR_LO, FIXED | 0x71);
	assert_true(bit_in(&f, 0, IRR, 0x71));
	/* the spurious vector field is stored (all 8 bits) */
	wr(&f, 1, SVR, ENABLE | 0x3f);
	assert_int_equal(rd(&f, 1, SVR), ENABLE | 0x3f);
	teardown(&f);
}

/* ---- timer ------------------------------------------------------------------- */

static void timer_setup(struct fixture *f, uint32_t vcpu, uint32_t lvt, uint32_t tdcr)
{
	enable(f, vcpu);
	wr(f, vcpu, TDCR, tdcr);
	wr(f, vcpu, LVT_TIMER, lvt);
}

static void test_timer_oneshot(void **state)
{
	struct fixture f;
	struct ax_lapic_stats st;

	(void)state;
	setup(&f);
	timer_setup(&f, 1, 0x40, DIV_BY_1);
	fake_clock_clear_notifies(&f.clk);
	wr(&f, 1, TMICT, 1000); /* 1 GHz / 1: 1000 ns */
	assert_int_equal(rd(&f, 1, TMCCT), 1000);
	assert_int_equal(snap(&f, 1).timer_deadline_ns, T0 + 1000);
	fake_clock_advance(&f.clk, 250);
	assert_int_equal(rd(&f, 1, TMCCT), 750);
	fake_clock_advance(&f.clk, 749);
	assert_int_equal(rd(&f, 1, TMCCT), 1);
	assert_false(pending(&f, 1));
	assert_int_equal(fake_clock_notifies(&f.clk, 1), 0);
	fake_clock_advance(&f.clk, 1);
	assert_int_equal(rd(&f, 1, TMCCT), 0);
	assert_int_equal(fake_clock_notifies(&f.clk, 1), 1);
	assert_true(pending(&f, 1));
	assert_int_equal(ack(&f, 1), 0x40);
	wr(&f, 1, EOI, 0);
	assert_int_equal(atomic_load(&f.eois[0x40]), 0); /* edge */
	fake_clock_advance(&f.clk, 1000000);
	assert_int_equal(ack(&f, 1), -1); /* once */
	assert_int_equal(rd(&f, 1, TMCCT), 0);
	assert_int_equal(rd(&f, 1, TMICT), 1000);
	ax_lapic_get_stats(f.lapic, &st);
	assert_int_equal(st.timer_fires, 1);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), 0);
	/* a stale callback run (host.h allows one) fires nothing */
	wr(&f, 1, TMICT, 5000);
	fake_clock_fire_stale(&f.clk);
	assert_int_equal(ack(&f, 1), -1);
	/* re-arm: writing the count again restarts it */
	fake_clock_advance(&f.clk, 4000);
	wr(&f, 1, TMICT, 5000);
	fake_clock_advance(&f.clk, 4000);
	assert_int_equal(ack(&f, 1), -1);
	assert_int_equal(rd(&f, 1, TMCCT), 1000);
	fake_clock_advance(&f.clk, 1000);
	assert_int_equal(ack(&f, 1), 0x40);
	wr(&f, 1, EOI, 0);
	/* stop: initial count 0 */
	wr(&f, 1, TMICT, 5000);
	fake_clock_advance(&f.clk, 10);
	wr(&f, 1, TMICT, 0);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), 0);
	assert_int_equal(rd(&f, 1, TMCCT), 0);
	fake_clock_advance(&f.clk, 100000);
	assert_int_equal(ack(&f, 1), -1);
	teardown(&f);
}

static void test_timer_periodic(void **state)
{
	const uint64_t period = 250000; /* 250 us: 62500 ticks at 1 GHz / 4 */
	struct fixture f;
	uint64_t start;

	(void)state;
	setup(&f);
	timer_setup(&f, 2, PERIODIC | 0x41, 0x1); /* divide by 4 */
	fake_clock_advance(&f.clk, 3);		  /* any start */
	start = fake_clock_now(&f.clk);
	wr(&f, 2, TMICT, 62500);
	for (unsigned k = 1; k <= 20; k++) {
		assert_int_equal(snap(&f, 2).timer_deadline_ns, start + k * period);
		fake_clock_advance(&f.clk, period / 2);
		assert_int_equal(rd(&f, 2, TMCCT), 62500 - (period / 2) / 4);
		assert_int_equal(ack(&f, 2), -1);
		fake_clock_advance(&f.clk, period / 2);
		assert_int_equal(rd(&f, 2, TMCCT), 62500); /* reloaded */
		assert_int_equal(ack(&f, 2), 0x41);
		wr(&f, 2, EOI, 0);
	}
	/* no drift: after 20 periods the next deadline is exactly start + 21 P */
	assert_int_equal(snap(&f, 2).timer_deadline_ns, start + 21 * period);
	/* a late host: the missed periods are dropped, one interrupt for them */
	fake_clock_set_late(&f.clk, true);
	fake_clock_advance(&f.clk, 5 * period + period / 3);
	assert_int_equal(ack(&f, 2), 0x41);
	wr(&f, 2, EOI, 0);
	assert_int_equal(ack(&f, 2), -1);
	assert_int_equal(snap(&f, 2).timer_deadline_ns, start + 26 * period);
	fake_clock_set_late(&f.clk, false);
	fake_clock_advance(&f.clk, period);
	assert_int_equal(ack(&f, 2), 0x41);
	wr(&f, 2, EOI, 0);
	assert_int_equal(snap(&f, 2).timer_deadline_ns, start + 27 * period);
	/* switching to one-shot: the count loaded long ago has run out; no more expiries */
	wr(&f, 2, LVT_TIMER, 0x41);
	assert_int_equal(rd(&f, 2, TMCCT), 0);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), 0);
	fake_clock_advance(&f.clk, 10 * period);
	assert_int_equal(ack(&f, 2), -1);
	/* and back to periodic: on the grid of the original start again */
	wr(&f, 2, LVT_TIMER, PERIODIC | 0x41);
	assert_int_equal(snap(&f, 2).timer_deadline_ns, start + 37 * period); /* now: 36 1/3 P */
	teardown(&f);
}

static void test_timer_masked(void **state)
{
	struct fixture f;
	struct ax_lapic_stats st;

	(void)state;
	setup(&f);
	timer_setup(&f, 0, MASKED | PERIODIC | 0x42, DIV_BY_1);
	fake_clock_clear_notifies(&f.clk);
	wr(&f, 0, TMICT, 200000);
	fake_clock_advance(&f.clk, 1000000 + 50000); /* five expiries */
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 0);
	assert_int_equal(rd(&f, 0, IRR + 0x20), 0);
	assert_int_equal(rd(&f, 0, TMCCT), 150000); /* still counting and reloading */
	ax_lapic_get_stats(f.lapic, &st);
	assert_int_equal(st.timer_fires, 5);
	/* unmasking delivers from the next expiry on */
	wr(&f, 0, LVT_TIMER, PERIODIC | 0x42);
	assert_int_equal(ack(&f, 0), -1);
	fake_clock_advance(&f.clk, 150000);
	assert_int_equal(ack(&f, 0), 0x42);
	teardown(&f);
}

static void test_timer_divide(void **state)
{
	static const struct {
		uint32_t tdcr, div;
	} divs[] = { { 0x0, 2 },  { 0x1, 4 },  { 0x2, 8 },   { 0x3, 16 },
		     { 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 } };
	struct fixture f;

	(void)state;
	setup(&f);
	enable(&f, 3);
	wr(&f, 3, LVT_TIMER, 0x43);
	for (size_t i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
		wr(&f, 3, TDCR, divs[i].tdcr);
		assert_int_equal(rd(&f, 3, TDCR), divs[i].tdcr);
		wr(&f, 3, TMICT, 1000);
		fake_clock_advance(&f.clk, 128 * 3);
		assert_int_equal(rd(&f, 3, TMCCT), 1000 - 128 * 3 / divs[i].div);
		assert_int_equal(snap(&f, 3).timer_deadline_ns,
				 fake_clock_now(&f.clk) - 128 * 3 + 1000ull * divs[i].div);
		fake_clock_advance(&f.clk, 1000ull * divs[i].div);
		assert_int_equal(ack(&f, 3), 0x43);
		wr(&f, 3, EOI, 0);
	}
	/* a divide change applies at the next initial-count write */
	wr(&f, 3, TDCR, 0xb);
	wr(&f, 3, TMICT, 1000);
	wr(&f, 3, TDCR, 0xa);
	fake_clock_advance(&f.clk, 100);
	assert_int_equal(rd(&f, 3, TMCCT), 900);
	teardown(&f);
}

static void test_timer_hz_config(void **state)
{
	const uint64_t cfg[1] = { 100000000 }; /* 100 MHz: 10 ns a tick */
	struct fixture f;
	struct ax_diag diag = { 0 };

	(void)state;
	if (make_cfg(&f, 0, cfg, 1, 0x1000, NR_VCPUS, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	timer_setup(&f, 0, 0x44, DIV_BY_1);
	wr(&f, 0, TMICT, 100);
	fake_clock_advance(&f.clk, 500);
	assert_int_equal(rd(&f, 0, TMCCT), 50);
	fake_clock_advance(&f.clk, 499);
	assert_int_equal(ack(&f, 0), -1);
	fake_clock_advance(&f.clk, 1);
	assert_int_equal(ack(&f, 0), 0x44);
	teardown(&f);
}

static void test_timer_without_hooks(void **state)
{
	struct fixture f;

	(void)state;
	setup_flags(&f, FAKE_CLOCK_NO_TIME);
	timer_setup(&f, 0, 0x45, DIV_BY_1);
	wr(&f, 0, TMICT, 1000);
	assert_int_equal(rd(&f, 0, TMCCT), 0);
	assert_int_equal(rd(&f, 0, TMICT), 1000);
	assert_int_equal(f.clk.host.log_lines, 1);
	wr(&f, 0, TMICT, 1000);
	assert_int_equal(f.clk.host.log_lines, 1); /* once */
	assert_int_equal(ack(&f, 0), -1);
	teardown(&f);

	setup_flags(&f, FAKE_CLOCK_NO_TIMERS);
	timer_setup(&f, 0, 0x45, DIV_BY_1);
	wr(&f, 0, TMICT, 1000);
	fake_clock_advance(&f.clk, 400);
	assert_int_equal(rd(&f, 0, TMCCT), 600); /* counts */
	fake_clock_advance(&f.clk, 4000);
	assert_int_equal(rd(&f, 0, TMCCT), 0);
	assert_int_equal(ack(&f, 0), -1); /* never fires */
	assert_int_equal(f.clk.host.log_lines, 1);
	teardown(&f);
}

/* ---- IPIs -------------------------------------------------------------------- */

static uint32_t irr_mask(struct fixture *f, unsigned vector)
{
	uint32_t m = 0;

	for (uint32_t v = 0; v < NR_VCPUS; v++)
		if (bit_in(f, v, IRR, vector))
			m |= 1u << v;
	return m;
}

static void drain(struct fixture *f)
{
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		while (ack(f, v) >= 0)
			wr(f, v, EOI, 0);
}

static void send(struct fixture *f, uint32_t from, uint32_t lo, uint8_t dest)
{
	wr(f, from, ICR_HI, (uint32_t)dest << 24);
	wr(f, from, ICR_LO, lo);
}

static void test_ipi_physical_and_shorthands(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable_all(&f);
	fake_clock_clear_notifies(&f.clk);
	send(&f, 0, FIXED | 0x80, 2);
	assert_int_equal(irr_mask(&f, 0x80), 1u << 2);
	assert_int_equal(fake_clock_notifies(&f.clk, 2), 1);
	assert_false(bit_in(&f, 2, TMR, 0x80)); /* IPIs are edge */
	assert_int_equal(rd(&f, 0, ICR_LO), 0x80);
	assert_int_equal(rd(&f, 0, ICR_HI), 2u << 24);
	drain(&f);
	send(&f, 1, FIXED | SELF | 0x81, 3); /* dest ignored with a shorthand */
	assert_int_equal(irr_mask(&f, 0x81), 1u << 1);
	drain(&f);
	send(&f, 1, FIXED | ALL | 0x82, 0);
	assert_int_equal(irr_mask(&f, 0x82), 0xf);
	drain(&f);
	send(&f, 1, FIXED | ALL_BUT | 0x83, 0);
	assert_int_equal(irr_mask(&f, 0x83), 0xd);
	drain(&f);
	send(&f, 3, FIXED | 0x84, 0xff); /* physical broadcast */
	assert_int_equal(irr_mask(&f, 0x84), 0xf);
	drain(&f);
	send(&f, 3, FIXED | 0x85, 9); /* nobody */
	assert_int_equal(irr_mask(&f, 0x85), 0);
	/* a rewritten APIC ID is what physical destinations match */
	wr(&f, 2, ID, 0x09000000);
	send(&f, 3, FIXED | 0x86, 9);
	assert_int_equal(irr_mask(&f, 0x86), 1u << 2);
	send(&f, 3, FIXED | 0x87, 2);
	assert_int_equal(irr_mask(&f, 0x87), 0);
	drain(&f);
	/* the I/O APIC path reaches the same destinations */
	ioapic_msg(&f, 0x88, AX_APIC_FIXED, false, 0xff, false);
	assert_int_equal(irr_mask(&f, 0x88), 0xf);
	drain(&f);
	teardown(&f);
}

static void test_ipi_logical(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable_all(&f);
	/* flat: one bit each */
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		wr(&f, v, LDR, 1u << (24 + v));
	send(&f, 0, FIXED | LOGICAL | 0x90, 0x06);
	assert_int_equal(irr_mask(&f, 0x90), 0x6);
	send(&f, 0, FIXED | LOGICAL | 0x91, 0xff);
	assert_int_equal(irr_mask(&f, 0x91), 0xf);
	send(&f, 0, FIXED | LOGICAL | 0x92, 0x30); /* no such bits */
	assert_int_equal(irr_mask(&f, 0x92), 0);
	drain(&f);
	/* an LDR of 0 never matches */
	wr(&f, 3, LDR, 0);
	send(&f, 0, FIXED | LOGICAL | 0x93, 0xff);
	assert_int_equal(irr_mask(&f, 0x93), 0x7);
	drain(&f);
	/* cluster: cluster 1 = vCPUs 0, 1 (bits 0, 1); cluster 2 = vCPUs 2, 3 */
	for (uint32_t v = 0; v < NR_VCPUS; v++) {
		wr(&f, v, DFR, 0x0fffffff);
		wr(&f, v, LDR, ((v < 2 ? 1u : 2u) << 28) | (1u << (24 + v % 2)));
	}
	send(&f, 0, FIXED | LOGICAL | 0x94, 0x12); /* cluster 1, bit 1 */
	assert_int_equal(irr_mask(&f, 0x94), 0x2);
	send(&f, 0, FIXED | LOGICAL | 0x95, 0x23);
	assert_int_equal(irr_mask(&f, 0x95), 0xc);
	send(&f, 0, FIXED | LOGICAL | 0x96, 0xf1); /* every cluster, bit 0 */
	assert_int_equal(irr_mask(&f, 0x96), 0x5);
	send(&f, 0, FIXED | LOGICAL | 0x97, 0x31);
	assert_int_equal(irr_mask(&f, 0x97), 0);
	drain(&f);
	/* an I/O APIC message in logical mode, level-triggered */
	ioapic_msg(&f, 0x98, AX_APIC_FIXED, true, 0x21, true);
	assert_int_equal(irr_mask(&f, 0x98), 0x4);
	assert_true(bit_in(&f, 2, TMR, 0x98));
	assert_int_equal(ack(&f, 2), 0x98);
	wr(&f, 2, EOI, 0);
	assert_int_equal(atomic_load(&f.eois[0x98]), 1);
	/* a reserved DFR model matches nothing */
	wr(&f, 1, DFR, 0x5fffffff);
	send(&f, 0, FIXED | LOGICAL | 0x99, 0xff);
	assert_int_equal(irr_mask(&f, 0x99), 0xd);
	teardown(&f);
}

static void test_lowest_priority(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable_all(&f);
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		wr(&f, v, LDR, 1u << (24 + v));
	wr(&f, 0, TPR, 0x20);
	wr(&f, 1, TPR, 0x30);
	wr(&f, 2, TPR, 0x10);
	wr(&f, 3, TPR, 0x00);
	/* among 0..2 the lowest PPR is vCPU 2 */
	send(&f, 3, LOWEST | LOGICAL | 0xa0, 0x07);
	assert_int_equal(irr_mask(&f, 0xa0), 0x4);
	/* focus: whoever has the vector pending already takes it again */
	ioapic_msg(&f, 0xa1, AX_APIC_FIXED, false, 1, false);
	ioapic_msg(&f, 0xa1, AX_APIC_LOWEST, true, 0x07, false);
	assert_int_equal(irr_mask(&f, 0xa1), 0x2);
	/* focus checking off (SVR bit 9): priority decides */
	wr(&f, 1, SVR, 0x3ff);
	ioapic_msg(&f, 0xa1, AX_APIC_LOWEST, true, 0x07, false);
	assert_int_equal(irr_mask(&f, 0xa1), 0x6);
	drain(&f);
	/* ties go to the lowest index; a disabled APIC does not take part */
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		wr(&f, v, TPR, 0);
	wr(&f, 0, SVR, 0xff);
	send(&f, 3, LOWEST | LOGICAL | 0xa2, 0x0f);
	assert_int_equal(irr_mask(&f, 0xa2), 0x2);
	/* an in-service interrupt raises PPR */
	drain(&f);
	ioapic_msg(&f, 0xb0, AX_APIC_FIXED, false, 1, false);
	assert_int_equal(ack(&f, 1), 0xb0);
	send(&f, 3, LOWEST | LOGICAL | 0xa3, 0x06);
	assert_int_equal(irr_mask(&f, 0xa3), 0x4);
	teardown(&f);
}

static void test_init_sipi(void **state)
{
	struct fixture f;
	struct fake_startup st[4];

	(void)state;
	setup(&f);
	enable_all(&f);
	wr(&f, 1, TPR, 0x40);
	wr(&f, 1, LDR, 0x02000000);
	wr(&f, 1, ID, 0x05000000);
	/* a startup without INIT is ignored */
	send(&f, 0, STARTUP | 0x9a, 5);
	assert_int_equal(fake_clock_startups(&f.clk, st, 4), 0);
	/* INIT (assert) resets the target, ID kept */
	send(&f, 0, INIT | LEVEL | ASSERT, 5);
	assert_true(snap(&f, 1).wait_for_sipi);
	assert_false(snap(&f, 2).wait_for_sipi);
	check_reset_state(&f, 1, 0x05000000);
	/* INIT level de-assert: no effect */
	send(&f, 0, INIT | LEVEL, 0xff);
	assert_false(snap(&f, 2).wait_for_sipi);
	/* SIPI, SIPI: the first starts the vCPU, the second is ignored */
	send(&f, 0, STARTUP | 0x9a, 5);
	send(&f, 0, STARTUP | 0x9a, 5);
	assert_int_equal(fake_clock_startups(&f.clk, st, 4), 1);
	assert_int_equal(st[0].vcpu, 1);
	assert_int_equal(st[0].vector, 0x9a);
	assert_false(snap(&f, 1).wait_for_sipi);
	/* all-but-self, as Linux and firmware broadcast it */
	send(&f, 0, INIT | LEVEL | ASSERT | ALL_BUT, 0);
	send(&f, 0, STARTUP | ALL_BUT | 0x08, 0);
	assert_int_equal(fake_clock_startups(&f.clk, st, 4), 4);
	for (unsigned i = 1; i < 4; i++) {
		assert_int_equal(st[i].vcpu, i);
		assert_int_equal(st[i].vector, 0x08);
	}
	/* INIT stops a running timer */
	timer_setup(&f, 2, 0x40, DIV_BY_1);
	wr(&f, 2, TMICT, 100);
	send(&f, 0, INIT | ASSERT, 2);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), 0);
	teardown(&f);
}

static void test_unsupported_messages(void **state)
{
	struct fixture f;
	struct ax_lapic_stats st;

	(void)state;
	setup(&f);
	enable_all(&f);
	send(&f, 0, NMI | 0x02, 1);
	send(&f, 0, (2u << 8) | 0x00, 1); /* SMI */
	send(&f, 0, (3u << 8) | 0x40, 1); /* reserved */
	send(&f, 0, (7u << 8) | 0x40, 1); /* ExtINT in an ICR: reserved */
	ioapic_msg(&f, 0x30, AX_APIC_EXTINT, false, 0, false);
	ioapic_msg(&f, 0x02, AX_APIC_NMI, false, 0, false);
	ax_lapic_get_stats(f.lapic, &st);
	assert_int_equal(st.unsupported_msgs, 6);
	assert_int_equal(f.clk.host.log_lines, 1);
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		assert_false(pending(&f, v));
	teardown(&f);
}

/* ---- ExtINT through LINT0 ---------------------------------------------------------- */

static void test_extint(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	add_pic(&f);
	f.pic_vector = 0x20;
	fake_clock_clear_notifies(&f.clk);
	/* after reset the BSP takes the 8259 (virtual wire), even software-disabled */
	atomic_store(&f.pic_intr, true);
	ax_irq_fabric_pic_changed(f.fabric);
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 1);
	assert_true(pending(&f, 0));
	assert_false(pending(&f, 1));
	assert_int_equal(ack(&f, 0), 0x20);
	assert_int_equal(atomic_load(&f.pic_acks), 1);
	assert_int_equal(rd(&f, 0, ISR + 0x10), 0); /* not through IRR/ISR */
	assert_false(pending(&f, 0));
	/* ExtINT comes before the APIC's own vectors */
	enable(&f, 0);
	ioapic_msg(&f, 0xf0, AX_APIC_FIXED, false, 0, false);
	f.pic_vector = 0x21;
	atomic_store(&f.pic_intr, true);
	assert_int_equal(ack(&f, 0), 0x21);
	assert_int_equal(ack(&f, 0), 0xf0);
	wr(&f, 0, EOI, 0);
	/* masked LINT0: the 8259 does not get through */
	wr(&f, 0, LVT_LINT0, MASKED | EXTINT_LVT);
	atomic_store(&f.pic_intr, true);
	fake_clock_clear_notifies(&f.clk);
	ax_irq_fabric_pic_changed(f.fabric);
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 0);
	assert_false(pending(&f, 0));
	assert_int_equal(ack(&f, 0), -1);
	/* unmasking with INTR high notifies */
	wr(&f, 0, LVT_LINT0, EXTINT_LVT);
	assert_int_equal(fake_clock_notifies(&f.clk, 0), 1);
	/* the INTR went away between pending and ack: NotFound, nothing to deliver */
	assert_true(pending(&f, 0));
	atomic_store(&f.pic_intr, false);
	assert_int_equal(ack(&f, 0), -1);
	/* the 8259 answers INTA with its spurious IRQ7 when the request vanished inside it */
	atomic_store(&f.pic_intr, true);
	f.pic_vector = 0x27;
	assert_int_equal(ack(&f, 0), 0x27);
	/* LINT0 in fixed mode and on other vCPUs: not connected to the 8259 */
	wr(&f, 0, LVT_LINT0, 0x31);
	enable(&f, 1);
	wr(&f, 1, LVT_LINT0, EXTINT_LVT);
	atomic_store(&f.pic_intr, true);
	assert_false(pending(&f, 0));
	assert_false(pending(&f, 1));
	/* a set with no 8259 */
	ax_irq_fabric_clear_pic(f.fabric, &f);
	f.have_pic = false;
	wr(&f, 0, LVT_LINT0, EXTINT_LVT);
	assert_false(pending(&f, 0));
	teardown(&f);
}

/* ---- config, host API, reset ------------------------------------------------------------ */

static void test_config_errors(void **state)
{
	struct fixture f;
	struct ax_diag diag = { 0 };
	uint64_t cfg[2] = { 1000000000, 1 };

	(void)state;
	assert_int_equal(make_cfg(&f, 0, cfg, 2, 0x1000, NR_VCPUS, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "\"lapic\": cfg_list has 2 entries"));
	cfg[0] = 999;
	assert_int_equal(make_cfg(&f, 0, cfg, 1, 0x1000, NR_VCPUS, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "timer_hz 999 is not in"));
	cfg[0] = (1ull << 34) + 1;
	assert_int_equal(make_cfg(&f, 0, cfg, 1, 0x1000, NR_VCPUS, &diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(make_cfg(&f, 0, NULL, 0, 0x400, NR_VCPUS, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "below the 0x1000-byte register frame"));

	/* one local APIC per set */
	setup(&f);
	{
		struct ax_emu_config second = { .name = "lapic2",
						.base_gpa = 0xfed00000,
						.length = 0x1000,
						.emu_type = AX_EMU_LAPIC };
		struct ax_gicd_v2 *not_gicd = NULL;
		struct ax_lapic *l = NULL;

		assert_int_equal(ax_devices_add_from_config(f.set, &second, NULL, &diag),
				 AX_ERR_ALREADY_EXISTS);
		assert_non_null(strstr(diag.msg, "already has a local APIC"));
		assert_int_equal(ax_devices_count(f.set), 1);
		assert_int_equal(ax_lapic_from_device(f.set, 7, &l), AX_ERR_NOT_FOUND);
		assert_int_equal(ax_gicd_v2_from_device(f.set, 1, &not_gicd), AX_ERR_INVALID_INPUT);
		assert_int_equal(
			ax_lapic_snapshot(f.lapic, NR_VCPUS, &(struct ax_lapic_state){ 0 }),
			AX_ERR_INVALID_INPUT);
	}
	/* not removable: it is the CPUs' own controller */
	assert_int_equal(ax_devices_remove(f.set, 1, NULL), AX_ERR_PERMISSION_DENIED);
	teardown(&f);
}

static void test_reset_op(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	enable_all(&f);
	for (uint32_t v = 0; v < NR_VCPUS; v++) {
		wr(&f, v, ID, (v + 8) << 24);
		wr(&f, v, TPR, 0x10);
		wr(&f, v, LDR, 0xff000000);
		wr(&f, v, LVT_TIMER, PERIODIC | 0x40);
		wr(&f, v, TMICT, 300000);
		ioapic_msg(&f, 0x70, AX_APIC_FIXED, false, (uint8_t)(v + 8), true);
	}
	assert_int_equal(ack(&f, 2), 0x70);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), NR_VCPUS);
	assert_int_equal(ax_devices_reset(f.set), AX_OK);
	assert_int_equal(fake_clock_armed(&f.clk, NULL), 0);
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		check_reset_state(&f, v, v << 24);
	fake_clock_advance(&f.clk, 10000000);
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		assert_int_equal(ack(&f, v), -1);
	teardown(&f);
}

/* ---- threads ---------------------------------------------------------------------------- */

#define THREAD_ROUNDS 3000

struct thread_arg {
	struct fixture *f;
	uint32_t vcpu;
	_Atomic bool *stop;
	unsigned taken;
};

static void *vcpu_thread(void *p)
{
	struct thread_arg *a = p;
	struct fixture *f = a->f;
	uint32_t next = (a->vcpu + 1) % NR_VCPUS;

	for (unsigned i = 0; i < THREAD_ROUNDS; i++) {
		uint32_t vector = 0;

		/* an IPI to the next vCPU, sometimes to everyone else, sometimes level EOI work */
		send(f, a->vcpu, FIXED | (0x50 + a->vcpu), (uint8_t)next);
		if (i % 7 == 0)
			send(f, a->vcpu, FIXED | ALL_BUT | 0x60, 0);
		if (i % 11 == 0)
			ioapic_msg(f, 0x70, AX_APIC_FIXED, false, (uint8_t)a->vcpu, true);
		if (i % 13 == 0)
			wr(f, a->vcpu, TPR, (i / 13) % 2 ? 0x50 : 0);
		/* re-arm, stop and switch the timer while the timer thread fires it */
		if (i % 17 == 0)
			wr(f, a->vcpu, TMICT, (i / 17) % 5 ? 100000 + i : 0);
		if (i % 29 == 0)
			wr(f, a->vcpu, LVT_TIMER, ((i / 29) % 2 ? PERIODIC : 0) | 0x40);
		while (ax_devices_irq_pending(f->set, a->vcpu) &&
		       ax_devices_irq_ack(f->set, a->vcpu, &vector) == AX_OK) {
			assert_true(vector >= 0x40);
			a->taken++;
			wr(f, a->vcpu, EOI, 0);
		}
		(void)rd(f, a->vcpu, TMCCT);
	}
	wr(f, a->vcpu, TPR, 0);
	return NULL;
}

static void *timer_thread(void *p)
{
	struct thread_arg *a = p;

	for (unsigned n = 0; !atomic_load(a->stop); n++) {
		fake_clock_advance(&a->f->clk, 20000);
		if (n % 64 == 0)
			fake_clock_fire_stale(&a->f->clk);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture f;
	struct thread_arg args[NR_VCPUS + 1];
	pthread_t th[NR_VCPUS + 1];
	_Atomic bool stop = false;
	unsigned total = 0;

	(void)state;
	setup(&f);
	enable_all(&f);
	for (uint32_t v = 0; v < NR_VCPUS; v++) {
		wr(&f, v, TDCR, DIV_BY_1);
		wr(&f, v, LVT_TIMER, PERIODIC | 0x40);
		wr(&f, v, TMICT, 100000 + v * 10000);
	}
	for (uint32_t i = 0; i <= NR_VCPUS; i++) {
		args[i] = (struct thread_arg){ &f, i, &stop, 0 };
		assert_int_equal(pthread_create(&th[i], NULL,
						i < NR_VCPUS ? vcpu_thread : timer_thread,
						&args[i]),
				 0);
	}
	for (uint32_t i = 0; i < NR_VCPUS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	atomic_store(&stop, true);
	assert_int_equal(pthread_join(th[NR_VCPUS], NULL), 0);
	for (uint32_t v = 0; v < NR_VCPUS; v++) {
		struct ax_lapic_state s = snap(&f, v);

		total += args[v].taken;
		for (unsigned n = 0; n < 8; n++)
			assert_int_equal(s.isr[n], 0); /* every take was EOIed */
		assert_int_equal(s.tpr, 0);
	}
	assert_true(total > 0);
	drain(&f);
	teardown(&f);
}

/*
 * With the real I/O APIC of the set: a level line through a redirection
 * entry into IRR and TMR, EOI back to the I/O APIC (remote IRR), the line
 * still high sends again; an edge pin with lowest-priority logical delivery.
 */
static void ioapic_reg(struct fixture *f, uint64_t io_base, uint32_t index, uint32_t val)
{
	/* IOREGSEL at 0x00, IOWIN at 0x10 (82093AA) */
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, io_base, 4, index), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, io_base + 0x10, 4, val), AX_OK);
}

static void ioapic_rte(struct fixture *f, uint64_t io_base, uint32_t pin, uint32_t low,
		       uint8_t dest)
{
	ioapic_reg(f, io_base, 0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_reg(f, io_base, 0x10 + 2 * pin, low);
}

/*
 * A set of real models from `cfgs` (the local APIC first, so with id 1) and
 * devices of the host kind fake_line_kind, under the fake clock.
 */
static void setup_models(struct fixture *f, const struct ax_emu_config *cfgs, size_t n)
{
	struct ax_vm_device_config vm = { cfgs, n };
	struct ax_devices_params params = { .max_vcpus = NR_VCPUS,
					    .kinds = &fake_line_kind,
					    .nr_kinds = 1 };
	struct ax_diag diag = { 0 };

	memset(f, 0, sizeof(*f));
	fake_clock_init(&f->clk, T0, 0);
	params.hooks = &f->clk.host.hooks;
	if (ax_devices_create(&params, &vm, &f->set, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	assert_int_equal(ax_lapic_from_device(f->set, 1, &f->lapic), AX_OK);
}

static void test_with_ioapic(void **state)
{
	const uint64_t io_base = 0xfec00000;
	uint64_t level[] = { AX_IRQ_LEVEL }, edge[] = { AX_IRQ_EDGE };
	struct ax_emu_config cfgs[] = {
		{ .name = "lapic", .base_gpa = BASE, .length = 0x1000, .emu_type = AX_EMU_LAPIC },
		{ .name = "ioapic",
		  .base_gpa = io_base,
		  .length = 0x1000,
		  .emu_type = AX_EMU_IOAPIC },
		{ .name = "disk",
		  .base_gpa = 0x10000000,
		  .length = 0x100,
		  .irq_id = 10,
		  .emu_type = FAKE_LINE_KIND,
		  .cfg_list = level,
		  .cfg_len = 1 },
		{ .name = "timer",
		  .base_gpa = 0x10001000,
		  .length = 0x100,
		  .irq_id = 2,
		  .emu_type = FAKE_LINE_KIND,
		  .cfg_list = edge,
		  .cfg_len = 1 },
	};
	struct ax_irq_lines *disk, *timer;
	struct ax_ioapic *io;
	uint64_t rte = 0;
	struct fixture f;

	(void)state;
	setup_models(&f, cfgs, sizeof(cfgs) / sizeof(cfgs[0]));
	assert_int_equal(ax_ioapic_from_device(f.set, 2, &io), AX_OK);
	disk = fake_line_lines(f.set, 3);
	timer = fake_line_lines(f.set, 4);
	enable_all(&f);

	ioapic_rte(&f, io_base, 10, LEVEL | 0x5a, 1); /* fixed, physical vCPU 1 */
	fake_clock_clear_notifies(&f.clk);
	ax_irq_line_set_level(disk, 10, true);
	assert_int_equal(fake_clock_notifies(&f.clk, 1), 1);
	assert_true(bit_in(&f, 1, IRR, 0x5a) && bit_in(&f, 1, TMR, 0x5a));
	assert_int_equal(ack(&f, 1), 0x5a);
	assert_int_equal(ax_ioapic_entry(io, 10, &rte), AX_OK);
	assert_true(rte & AX_IOAPIC_RTE_REMOTE_IRR);
	wr(&f, 1, EOI, 0); /* the line is still high: sent again */
	assert_int_equal(ax_ioapic_entry(io, 10, &rte), AX_OK);
	assert_true(rte & AX_IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(ack(&f, 1), 0x5a);
	ax_irq_line_set_level(disk, 10, false);
	wr(&f, 1, EOI, 0);
	assert_int_equal(ax_ioapic_entry(io, 10, &rte), AX_OK);
	assert_false(rte & AX_IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(ack(&f, 1), -1);

	/* edge pin, lowest priority among vCPUs 2 and 3 (flat logical) */
	for (uint32_t v = 0; v < NR_VCPUS; v++)
		wr(&f, v, LDR, 1u << (24 + v));
	wr(&f, 2, TPR, 0x40);
	ioapic_rte(&f, io_base, 2, LOWEST | LOGICAL | 0x62, 0x0c);
	ax_irq_line_pulse(timer, 2);
	assert_int_equal(irr_mask(&f, 0x62), 0x8);
	assert_false(bit_in(&f, 3, TMR, 0x62));
	assert_int_equal(ack(&f, 3), 0x62);
	wr(&f, 3, EOI, 0);
	ax_devices_destroy(f.set);
	fake_clock_fini(&f.clk);
}

/* With the set's real 8259 pair behind LINT0 of vCPU 0 (virtual wire after reset). */
static void port_out(struct fixture *f, uint16_t port, uint8_t val)
{
	assert_int_equal(ax_devices_handle_port_write(f->set, 0, port, 1, val), AX_OK);
}

static void test_with_pic8259(void **state)
{
	uint64_t edge[] = { AX_IRQ_EDGE };
	struct ax_emu_config cfgs[] = {
		{ .name = "lapic", .base_gpa = BASE, .length = 0x1000, .emu_type = AX_EMU_LAPIC },
		{ .name = "pic", .base_gpa = 0x20, .length = 2, .emu_type = AX_EMU_PIC8259 },
		{ .name = "kbd",
		  .base_gpa = 0x10000000,
		  .length = 0x100,
		  .irq_id = 1,
		  .emu_type = FAKE_LINE_KIND,
		  .cfg_list = edge,
		  .cfg_len = 1 },
	};
	struct ax_irq_lines *kbd;
	struct fixture f;

	(void)state;
	setup_models(&f, cfgs, sizeof(cfgs) / sizeof(cfgs[0]));
	kbd = fake_line_lines(f.set, 3);
	/* 8259A initialisation as a PC BIOS does it: vectors 0x20 and 0x28, cascade on IR2 */
	port_out(&f, 0x20, 0x11);
	port_out(&f, 0x21, 0x20);
	port_out(&f, 0x21, 0x04);
	port_out(&f, 0x21, 0x01);
	port_out(&f, 0xa0, 0x11);
	port_out(&f, 0xa1, 0x28);
	port_out(&f, 0xa1, 0x02);
	port_out(&f, 0xa1, 0x01);
	port_out(&f, 0x21, 0xfd); /* only IRQ1 */
	port_out(&f, 0xa1, 0xff);
	fake_clock_clear_notifies(&f.clk);
	ax_irq_line_pulse(kbd, 1);
	assert_true(fake_clock_notifies(&f.clk, 0) >= 1);
	assert_int_equal(fake_clock_notifies(&f.clk, 1), 0);
	assert_true(pending(&f, 0));
	assert_false(pending(&f, 1));
	assert_int_equal(ack(&f, 0), 0x21);
	assert_int_equal(rd(&f, 0, ISR + 0x10), 0); /* ExtINT bypasses IRR/ISR */
	assert_false(pending(&f, 0));
	port_out(&f, 0x20, 0x20); /* non-specific EOI to the 8259 */
	/* LINT0 masked by the OS: the 8259 no longer reaches the CPU */
	enable(&f, 0);
	wr(&f, 0, LVT_LINT0, MASKED | EXTINT_LVT);
	ax_irq_line_pulse(kbd, 1);
	assert_false(pending(&f, 0));
	wr(&f, 0, LVT_LINT0, EXTINT_LVT);
	assert_true(pending(&f, 0));
	assert_int_equal(ack(&f, 0), 0x21);
	ax_devices_destroy(f.set);
	fake_clock_fini(&f.clk);
}

/* The largest set: 256 banks; vCPU 255 has the broadcast ID and hears only broadcasts. */
static void test_many_vcpus(void **state)
{
	struct fixture f;
	struct ax_diag diag = { 0 };
	const uint32_t n = AX_MAX_VCPUS;

	(void)state;
	if (make_cfg(&f, 0, NULL, 0, 0x1000, n, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	for (uint32_t v = 0; v < n; v++)
		enable(&f, v);
	assert_int_equal(rd(&f, 255, ID), 0xff000000);
	send(&f, 0, FIXED | 0x40, 200);
	for (uint32_t v = 0; v < n; v++)
		assert_int_equal(bit_in(&f, v, IRR, 0x40), v == 200);
	send(&f, 7, FIXED | 0x41, 0xff);
	send(&f, 7, FIXED | ALL_BUT | 0x42, 0);
	for (uint32_t v = 0; v < n; v++) {
		assert_true(bit_in(&f, v, IRR, 0x41));
		assert_int_equal(bit_in(&f, v, IRR, 0x42), v != 7);
	}
	assert_int_equal(ack(&f, 255), 0x42);
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_writable_bits),
		cmocka_unit_test(test_read_only_registers),
		cmocka_unit_test(test_widths_and_offsets),
		cmocka_unit_test(test_esr_write_to_update),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_eoi_level_reaches_ioapic),
		cmocka_unit_test(test_illegal_vectors),
		cmocka_unit_test(test_software_disable),
		cmocka_unit_test(test_timer_oneshot),
		cmocka_unit_test(test_timer_periodic),
		cmocka_unit_test(test_timer_masked),
		cmocka_unit_test(test_timer_divide),
		cmocka_unit_test(test_timer_hz_config),
		cmocka_unit_test(test_timer_without_hooks),
		cmocka_unit_test(test_ipi_physical_and_shorthands),
		cmocka_unit_test(test_ipi_logical),
		cmocka_unit_test(test_lowest_priority),
		cmocka_unit_test(test_init_sipi),
		cmocka_unit_test(test_unsupported_messages),
		cmocka_unit_test(test_extint),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_reset_op),
		cmocka_unit_test(test_with_ioapic),
		cmocka_unit_test(test_with_pic8259),
		cmocka_unit_test(test_many_vcpus),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
