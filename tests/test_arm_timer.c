/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm generic timer on the fake clock: CNTFRQ/CNTPCT/CNTVCT, the timer
 * condition with ENABLE/IMASK/ISTATUS, TVAL as a signed 32-bit countdown,
 * CVAL compare, the PPI level at a real GICv2 (INTID 30/27 at GICC_IAR),
 * late and stale host timer calls, and a replay of what Linux's
 * arm_arch_timer.c does. Register numbers are the Arm ARM's (op0 3, op1 3,
 * CRn 14), packed here by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "fake_clock.h"

/* op0 3 op1 3 CRn 14: 0xdf00 | CRm << 3 | op2 */
#define CNTFRQ	  0xdf00u
#define CNTPCT	  0xdf01u
#define CNTVCT	  0xdf02u
#define CNTP_TVAL 0xdf10u
#define CNTP_CTL  0xdf11u
#define CNTP_CVAL 0xdf12u
#define CNTV_TVAL 0xdf18u
#define CNTV_CTL  0xdf19u
#define CNTV_CVAL 0xdf1au

#define ENABLE	(1u << 0)
#define IMASK	(1u << 1)
#define ISTATUS (1u << 2)

#define DBASE 0x08000000ull
#define CBASE 0x08010000ull

#define START_NS 1000000000ull /* 1 s: counter 62 500 000 at 62.5 MHz */
#define TICK_NS	 16ull	       /* one tick at 62.5 MHz */

struct fixture {
	struct fake_clock clock;
	struct ax_devices *set;
};

static enum ax_err make(struct fixture *f, const uint64_t *tcfg, size_t tn, uint64_t base,
			uint64_t len, unsigned clock_flags, struct ax_diag *diag)
{
	const uint64_t gcfg[4] = { 64, 2, CBASE, 0x2000 };
	struct ax_emu_config emu[2] = {
		{ .name = "gic",
		  .base_gpa = DBASE,
		  .length = 0x1000,
		  .emu_type = AX_EMU_GICD_V2,
		  .cfg_list = gcfg,
		  .cfg_len = 4 },
		{ .name = "timer",
		  .base_gpa = base,
		  .length = len,
		  .emu_type = AX_EMU_ARM_TIMER,
		  .cfg_list = tcfg,
		  .cfg_len = tn },
	};
	struct ax_vm_device_config vm = { emu, 2 };
	struct ax_devices_params p = { .hooks = &f->clock.host.hooks, .max_vcpus = 2 };
	enum ax_err err;

	memset(f, 0, sizeof(*f));
	fake_clock_init(&f->clock, START_NS, clock_flags);
	err = ax_devices_create(&p, &vm, &f->set, diag);
	if (err != AX_OK)
		fake_clock_fini(&f->clock);
	return err;
}

static void setup(struct fixture *f)
{
	struct ax_diag diag = { 0 };

	if (make(f, NULL, 0, 0xdf00, 0x1b, 0, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
}

static void teardown(struct fixture *f)
{
	ax_devices_destroy(f->set);
	fake_clock_fini(&f->clock);
}

static uint64_t sr(struct fixture *f, uint32_t cpu, uint32_t reg)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_sysreg_read(f->set, cpu, reg, 8, &v), AX_OK);
	return v;
}

static void sw(struct fixture *f, uint32_t cpu, uint32_t reg, uint64_t v)
{
	assert_int_equal(ax_devices_handle_sysreg_write(f->set, cpu, reg, 8, v), AX_OK);
}

static uint32_t mr(struct fixture *f, uint32_t cpu, uint64_t addr)
{
	uint64_t v = 0;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, cpu, addr, 4, &v), AX_OK);
	return (uint32_t)v;
}

static void mw(struct fixture *f, uint32_t cpu, uint64_t addr, uint32_t v)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, cpu, addr, 4, v), AX_OK);
}

/* GIC on for both CPUs, PPIs 27 and 30 enabled at priority 0xa0. */
static void gic_on(struct fixture *f)
{
	mw(f, 0, DBASE, 1);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		mw(f, cpu, DBASE + 0x100, (1u << 27) | (1u << 30));
		mw(f, cpu, DBASE + 0x418, 0xa0a0a0a0); /* IPRIORITYR 24..27 */
		mw(f, cpu, DBASE + 0x41c, 0xa0a0a0a0); /* 28..31 */
		mw(f, cpu, CBASE, 1);
		mw(f, cpu, CBASE + 4, 0xf0);
	}
}

static bool ppi_pending(struct fixture *f, uint32_t cpu, uint32_t ppi)
{
	return (mr(f, cpu, DBASE + 0x200) >> ppi) & 1u;
}

static void test_counter_and_registers(void **state)
{
	struct fixture f;
	uint64_t v;

	(void)state;
	setup(&f);
	assert_int_equal(sr(&f, 0, CNTFRQ), 62500000);
	sw(&f, 0, CNTFRQ, 5);
	assert_int_equal(sr(&f, 0, CNTFRQ), 62500000);
	assert_int_equal(sr(&f, 0, CNTPCT), 62500000);
	assert_int_equal(sr(&f, 1, CNTVCT), 62500000);
	fake_clock_advance(&f.clock, TICK_NS * 10);
	assert_int_equal(sr(&f, 0, CNTPCT), 62500010);
	sw(&f, 0, CNTPCT, 0); /* read-only */
	assert_int_equal(sr(&f, 0, CNTPCT), 62500010);
	assert_int_equal(sr(&f, 0, CNTP_CTL), 0);
	assert_int_equal(sr(&f, 0, CNTV_CTL), 0);
	assert_int_equal(sr(&f, 0, CNTP_CVAL), 0);
	assert_int_equal(sr(&f, 0, CNTV_CVAL), 0);
	/* unimplemented numbers in the range: RAZ/WI */
	sw(&f, 0, 0xdf08, 1);
	assert_int_equal(sr(&f, 0, 0xdf08), 0);
	/* CTL: ENABLE, IMASK writable, ISTATUS read-only */
	sw(&f, 0, CNTP_CTL, 0xffffffff);
	assert_int_equal(sr(&f, 0, CNTP_CTL), ENABLE | IMASK | ISTATUS); /* CVAL 0 has passed */
	sw(&f, 0, CNTP_CTL, 0);
	assert_int_equal(sr(&f, 0, CNTP_CTL), 0); /* no ISTATUS while disabled */
	/* banked per vCPU, and per timer */
	sw(&f, 0, CNTP_CVAL, 123);
	assert_int_equal(sr(&f, 0, CNTP_CVAL), 123);
	assert_int_equal(sr(&f, 1, CNTP_CVAL), 0);
	assert_int_equal(sr(&f, 0, CNTV_CVAL), 0);
	/* a vCPU the set does not have */
	assert_int_equal(ax_devices_handle_sysreg_read(f.set, 2, CNTPCT, 8, &v),
			 AX_ERR_INVALID_INPUT);
	teardown(&f);
}

static void test_tval_countdown_and_cval(void **state)
{
	struct fixture f;
	uint64_t now;

	(void)state;
	setup(&f);
	now = sr(&f, 0, CNTPCT);
	sw(&f, 0, CNTP_TVAL, 1000);
	assert_int_equal(sr(&f, 0, CNTP_CVAL), now + 1000);
	assert_int_equal(sr(&f, 0, CNTP_TVAL), 1000);
	fake_clock_advance(&f.clock, TICK_NS * 8);
	assert_int_equal(sr(&f, 0, CNTP_TVAL), 992);
	fake_clock_advance(&f.clock, TICK_NS * 1000);
	assert_int_equal(sr(&f, 0, CNTP_TVAL), (uint32_t)-8); /* negative once past */
	/* a negative TVAL write sets CVAL in the past */
	now = sr(&f, 0, CNTPCT);
	sw(&f, 0, CNTP_TVAL, 0xfffffff0u);
	assert_int_equal(sr(&f, 0, CNTP_CVAL), now - 16);
	/* only the low 32 bits are a TVAL */
	sw(&f, 0, CNTP_TVAL, 0x100000005ull);
	assert_int_equal(sr(&f, 0, CNTP_CVAL), now + 5);
	/* CVAL compare drives ISTATUS */
	sw(&f, 0, CNTV_CTL, ENABLE);
	sw(&f, 0, CNTV_CVAL, now + 2);
	assert_int_equal(sr(&f, 0, CNTV_CTL), ENABLE);
	fake_clock_advance(&f.clock, TICK_NS);
	assert_int_equal(sr(&f, 0, CNTV_CTL), ENABLE);
	fake_clock_advance(&f.clock, TICK_NS);
	assert_int_equal(sr(&f, 0, CNTV_CTL), ENABLE | ISTATUS);
	sw(&f, 0, CNTV_CVAL, UINT64_MAX); /* beyond the clock: never */
	assert_int_equal(sr(&f, 0, CNTV_CTL), ENABLE);
	teardown(&f);
}

static void test_ppi_at_the_gic(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	gic_on(&f);
	/* physical timer of vCPU 1: due in 100 ticks */
	sw(&f, 1, CNTP_TVAL, 100);
	sw(&f, 1, CNTP_CTL, ENABLE);
	assert_false(ppi_pending(&f, 1, 30));
	assert_false(ax_devices_irq_pending(f.set, 1));
	fake_clock_advance(&f.clock, TICK_NS * 99);
	assert_false(ax_devices_irq_pending(f.set, 1));
	fake_clock_clear_notifies(&f.clock);
	fake_clock_advance(&f.clock, TICK_NS); /* the host timer fires at the deadline */
	assert_true(ppi_pending(&f, 1, 30));
	assert_true(fake_clock_notifies(&f.clock, 1) > 0);
	assert_true(ax_devices_irq_pending(f.set, 1));
	assert_false(ax_devices_irq_pending(f.set, 0));
	assert_int_equal(mr(&f, 1, CBASE + 0x0c), 30);
	/* IMASK lowers the level; the interrupt stays active until EOI */
	sw(&f, 1, CNTP_CTL, ENABLE | IMASK);
	assert_false(ppi_pending(&f, 1, 30));
	assert_int_equal(sr(&f, 1, CNTP_CTL), ENABLE | IMASK | ISTATUS);
	mw(&f, 1, CBASE + 0x10, 30);
	assert_int_equal(mr(&f, 1, CBASE + 0x0c), 1023);
	/* unmasked again while ISTATUS: high at once, no timer needed */
	sw(&f, 1, CNTP_CTL, ENABLE);
	assert_true(ppi_pending(&f, 1, 30));
	/* disabling lowers it */
	sw(&f, 1, CNTP_CTL, 0);
	assert_false(ppi_pending(&f, 1, 30));
	/* the virtual timer of vCPU 0 is PPI 27 */
	sw(&f, 0, CNTV_TVAL, 5);
	sw(&f, 0, CNTV_CTL, ENABLE);
	fake_clock_advance(&f.clock, TICK_NS * 5);
	assert_true(ppi_pending(&f, 0, 27));
	assert_false(ppi_pending(&f, 1, 27));
	assert_int_equal(mr(&f, 0, CBASE + 0x0c), 27);
	/* a device reset lowers every level */
	ax_devices_reset(f.set);
	assert_false(ppi_pending(&f, 0, 27));
	assert_int_equal(sr(&f, 0, CNTV_CTL), 0);
	teardown(&f);
}

static void test_late_and_stale_host_timers(void **state)
{
	struct fixture f;
	uint64_t dl = 0;

	(void)state;
	setup(&f);
	gic_on(&f);
	/* a stale callback before the deadline changes nothing */
	sw(&f, 0, CNTP_TVAL, 1000);
	sw(&f, 0, CNTP_CTL, ENABLE);
	assert_int_equal(fake_clock_armed(&f.clock, &dl), 1);
	assert_int_equal(dl, START_NS + 1000 * TICK_NS);
	fake_clock_fire_stale(&f.clock);
	assert_false(ppi_pending(&f, 0, 30));
	assert_int_equal(fake_clock_armed(&f.clock, &dl), 1); /* re-armed */
	/* masked or disabled: no host timer */
	sw(&f, 0, CNTP_CTL, ENABLE | IMASK);
	assert_int_equal(fake_clock_armed(&f.clock, NULL), 0);
	sw(&f, 0, CNTP_CTL, ENABLE);
	/* a late host still sees the condition */
	fake_clock_set_late(&f.clock, true);
	fake_clock_advance(&f.clock, TICK_NS * 5000);
	assert_true(ppi_pending(&f, 0, 30));
	assert_int_equal(fake_clock_armed(&f.clock, NULL), 0);
	/* moved into the future: level drops at the write, the timer comes back */
	sw(&f, 0, CNTP_TVAL, 10);
	assert_false(ppi_pending(&f, 0, 30));
	assert_int_equal(fake_clock_armed(&f.clock, NULL), 1);
	sw(&f, 0, CNTP_CTL, 0);
	fake_clock_fire_stale(&f.clock);
	assert_false(ppi_pending(&f, 0, 30));
	teardown(&f);
}

/* What Linux's arm_arch_timer.c does, written from its behaviour. */
static void linux_set_next_event(struct fixture *f, uint32_t cpu, uint32_t ctl_reg,
				 uint32_t tval_reg, uint32_t cval_reg, uint64_t evt, bool cval)
{
	uint64_t ctl = sr(f, cpu, ctl_reg);

	ctl |= ENABLE;
	ctl &= ~(uint64_t)IMASK;
	if (cval)
		sw(f, cpu, cval_reg, sr(f, cpu, CNTVCT) + evt);
	else
		sw(f, cpu, tval_reg, evt);
	sw(f, cpu, ctl_reg, ctl);
}

/* The handler: if ISTATUS, mask, and let the event handler program the next one. */
static bool linux_timer_handler(struct fixture *f, uint32_t cpu, uint32_t ctl_reg)
{
	uint64_t ctl = sr(f, cpu, ctl_reg);

	if (!(ctl & ISTATUS))
		return false;
	ctl |= IMASK;
	sw(f, cpu, ctl_reg, ctl);
	return true;
}

static void test_linux_replay(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	gic_on(&f);
	/* arch_timer_starting_cpu: the timer disabled (ctl 0) on each CPU */
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		sw(&f, cpu, CNTV_CTL, 0);
		assert_int_equal(sr(&f, cpu, CNTFRQ), 62500000);
	}
	for (int round = 0; round < 6; round++) {
		bool cval = round & 1; /* newer kernels program CVAL, older TVAL */
		uint32_t cpu = (uint32_t)round % 2;
		uint32_t irqstat;

		linux_set_next_event(&f, cpu, CNTV_CTL, CNTV_TVAL, CNTV_CVAL, 625, cval);
		assert_false(ax_devices_irq_pending(f.set, cpu));
		fake_clock_advance(&f.clock, TICK_NS * 625);
		assert_true(ax_devices_irq_pending(f.set, cpu));
		irqstat = mr(&f, cpu, CBASE + 0x0c);
		assert_int_equal(irqstat, 27);
		assert_true(linux_timer_handler(&f, cpu, CNTV_CTL));
		assert_false(ppi_pending(&f, cpu, 27));
		mw(&f, cpu, CBASE + 0x10, irqstat);
		assert_false(ax_devices_irq_pending(f.set, cpu));
		/* a spurious entry sees no ISTATUS once reprogrammed */
		linux_set_next_event(&f, cpu, CNTV_CTL, CNTV_TVAL, CNTV_CVAL, 100000, cval);
		assert_false(linux_timer_handler(&f, cpu, CNTV_CTL));
		sw(&f, cpu, CNTV_CTL, 0); /* shutdown */
	}
	teardown(&f);
}

static void test_config(void **state)
{
	struct fixture f;
	struct ax_diag diag = { 0 };
	const uint64_t hz[1] = { 24000000 };
	const uint64_t zero[1] = { 0 };
	const uint64_t two[2] = { 1, 2 };

	(void)state;
	assert_int_equal(make(&f, hz, 1, 0xdf00, 0x100, 0, &diag), AX_OK);
	assert_int_equal(sr(&f, 0, CNTFRQ), 24000000);
	assert_int_equal(sr(&f, 0, CNTPCT), 24000000);
	teardown(&f);
	assert_int_equal(make(&f, zero, 1, 0xdf00, 0x1b, 0, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "freq_hz 0"));
	assert_int_equal(make(&f, two, 2, 0xdf00, 0x1b, 0, &diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(make(&f, NULL, 0, 0xdf01, 0x1b, 0, &diag), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(diag.msg, "timer"));
	assert_int_equal(make(&f, NULL, 0, 0xdf00, 0x1a, 0, &diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(make(&f, NULL, 0, 0xdf00, 0x1b, FAKE_CLOCK_NO_TIMERS, &diag),
			 AX_ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_registers),
		cmocka_unit_test(test_tval_countdown_and_cval),
		cmocka_unit_test(test_ppi_at_the_gic),
		cmocka_unit_test(test_late_and_stale_host_timers),
		cmocka_unit_test(test_linux_replay),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
