/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/arch/arm64/exception.c: the IRQ exception entry to EL1, by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arch/arm64/exception.h"

#define VBAR  0xffff800010000800ull
#define PC    0xffff800010123454ull
#define SPAN1 (ARM64_SCTLR_SPAN | ARM64_SCTLR_M)
#define SPAN0 ARM64_SCTLR_M

/* DAIF | EL1h: what every entry's new PSTATE holds at least. */
#define ENTRY_BASE 0x3c5u

static struct arm64_irq_entry take(uint64_t pstate, uint64_t sctlr)
{
	struct arm64_irq_entry e;
	memset(&e, 0xa5, sizeof(e));
	assert_true(arm64_irq_entry(pstate, PC, VBAR, sctlr, &e));
	return e;
}

static void test_from_el1h(void **state)
{
	(void)state;
	struct arm64_irq_entry e = take(ARM64_PSTATE_EL1h, SPAN1);
	assert_int_equal(e.pc, VBAR + 0x280);
	assert_int_equal(e.spsr, 0x5);
	assert_int_equal(e.elr, PC);
	assert_int_equal(e.pstate, ENTRY_BASE);
	assert_false(e.from_el0);
}

static void test_from_el1t(void **state)
{
	(void)state;
	/* F and A masked, D clear: all kept in SPSR, all set in the new PSTATE */
	uint64_t old = ARM64_PSTATE_EL1t | ARM64_PSTATE_F | ARM64_PSTATE_A;
	struct arm64_irq_entry e = take(old, SPAN1);
	assert_int_equal(e.pc, VBAR + 0x080);
	assert_int_equal(e.spsr, 0x144);
	assert_int_equal(e.elr, PC);
	assert_int_equal(e.pstate, ENTRY_BASE);
	assert_false(e.from_el0);
}

static void test_from_el0t(void **state)
{
	(void)state;
	struct arm64_irq_entry e = take(ARM64_PSTATE_EL0t, SPAN1);
	assert_int_equal(e.pc, VBAR + 0x480);
	assert_int_equal(e.spsr, 0);
	assert_int_equal(e.elr, PC);
	assert_int_equal(e.pstate, ENTRY_BASE);
	assert_true(e.from_el0);
}

static void test_nzcv_kept_ss_il_cleared(void **state)
{
	(void)state;
	uint64_t old = 0xa0000000u | ARM64_PSTATE_SS | ARM64_PSTATE_IL | ARM64_PSTATE_EL1h;
	struct arm64_irq_entry e = take(old, SPAN1);
	assert_int_equal(e.spsr, 0xa0300005u);
	assert_int_equal(e.pstate, 0xa0000000u | ENTRY_BASE);
	e = take(0xf0000000u | ARM64_PSTATE_EL0t, SPAN1);
	assert_int_equal(e.pstate, 0xf0000000u | ENTRY_BASE);
	assert_int_equal(e.spsr, 0xf0000000u);
}

static void test_span0_sets_pan(void **state)
{
	(void)state;
	struct arm64_irq_entry e = take(ARM64_PSTATE_EL1h, SPAN0);
	assert_int_equal(e.pstate, 0x400000u | ENTRY_BASE);
	assert_int_equal(e.spsr, 0x5);
	e = take(ARM64_PSTATE_EL0t, SPAN0);
	assert_int_equal(e.pstate, 0x400000u | ENTRY_BASE);
	/* already set: stays set, and SPSR records it */
	e = take(ARM64_PSTATE_EL1t | ARM64_PSTATE_PAN, SPAN0);
	assert_int_equal(e.pstate, 0x400000u | ENTRY_BASE);
	assert_int_equal(e.spsr, 0x400004u);
}

static void test_span1_keeps_pan(void **state)
{
	(void)state;
	struct arm64_irq_entry e = take(ARM64_PSTATE_EL1h | ARM64_PSTATE_PAN, SPAN1);
	assert_int_equal(e.pstate, 0x400000u | ENTRY_BASE);
	assert_int_equal(e.spsr, 0x400005u);
	e = take(ARM64_PSTATE_EL1h, SPAN1);
	assert_int_equal(e.pstate, ENTRY_BASE);
	e = take(ARM64_PSTATE_EL0t | ARM64_PSTATE_PAN, SPAN1);
	assert_int_equal(e.pstate, 0x400000u | ENTRY_BASE);
}

static void test_vbar_added(void **state)
{
	(void)state;
	struct arm64_irq_entry e;
	assert_true(arm64_irq_entry(ARM64_PSTATE_EL1h, 0x40080000, 0x40000000, 0, &e));
	assert_int_equal(e.pc, 0x40000280);
	assert_int_equal(e.elr, 0x40080000);
}

static void refused(uint64_t pstate)
{
	struct arm64_irq_entry e, before;
	memset(&e, 0x5a, sizeof(e));
	before = e;
	assert_false(arm64_irq_entry(pstate, PC, VBAR, SPAN1, &e));
	assert_memory_equal(&e, &before, sizeof(e));
}

static void test_refusals(void **state)
{
	(void)state;
	/* IRQs masked */
	assert_false(arm64_irq_unmasked(ARM64_PSTATE_EL1h | ARM64_PSTATE_I));
	assert_true(arm64_irq_unmasked(ARM64_PSTATE_EL1h | ARM64_PSTATE_F));
	refused(ARM64_PSTATE_EL1h | ARM64_PSTATE_I);
	refused(ARM64_PSTATE_EL0t | ARM64_PSTATE_I);
	refused(ARM64_PSTATE_DAIF | ARM64_PSTATE_EL1t);
	/* AArch32: usr (0x10) and svc (0x13) */
	refused(0x10);
	refused(0x13);
	/* EL2t, EL2h, EL3t, EL3h */
	refused(0x8);
	refused(0x9);
	refused(0xc);
	refused(0xd);
	/* reserved M encodings, among them "EL0h" */
	refused(0x1);
	refused(0x2);
	refused(0x7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_el1h),
		cmocka_unit_test(test_from_el1t),
		cmocka_unit_test(test_from_el0t),
		cmocka_unit_test(test_nzcv_kept_ss_il_cleared),
		cmocka_unit_test(test_span0_sets_pan),
		cmocka_unit_test(test_span1_keeps_pan),
		cmocka_unit_test(test_vbar_added),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
