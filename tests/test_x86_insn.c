/* SPDX-License-Identifier: Apache-2.0 */
/* Instructions axvm executes for the guest when the host KVM cannot (vmm/x86_insn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../vmm/x86_insn.h"

static const struct x86_insn_env ring0 = { .cpl = 0, .cr0 = 0x80050033 };

static struct kvm_regs regs(void)
{
	struct kvm_regs r;

	memset(&r, 0x5a, sizeof(r));
	r.rip = 0x1000;
	r.rflags = 0x2 | 0x1 | 0x80 | 0x800 | 0x200; /* CF, SF, OF and IF set */
	return r;
}

static void test_popcnt_64(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x48, 0x0f, 0xb8, 0xc7 }; /* popcnt %rdi,%rax */
	struct kvm_regs r = regs();

	(void)state;
	r.rdi = 0xf0f0f0f0f0f0f0f1ull;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), 1);
	assert_true(r.rax == 33);
	assert_true(r.rip == 0x1005);
	assert_true(r.rflags == (0x2 | 0x200)); /* arithmetic flags cleared, ZF clear, IF kept */
}

static void test_popcnt_zero_sets_zf(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x48, 0x0f, 0xb8, 0xc7 };
	struct kvm_regs r = regs();

	(void)state;
	r.rdi = 0;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), 1);
	assert_true(r.rax == 0);
	assert_true(r.rflags == (0x2 | 0x200 | 0x40));
}

static void test_popcnt_32_zero_extends(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x0f, 0xb8, 0xd9 }; /* popcnt %ecx,%ebx */
	struct kvm_regs r = regs();

	(void)state;
	r.rcx = 0xffffffff00000007ull; /* the upper half is not part of a 32-bit source */
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), 1);
	assert_true(r.rbx == 3);
	assert_true(r.rip == 0x1004);
}

static void test_popcnt_16_keeps_upper_bits(void **state)
{
	static const uint8_t code[] = { 0x66, 0xf3, 0x0f, 0xb8, 0xc1 }; /* popcnt %cx,%ax */
	struct kvm_regs r = regs();

	(void)state;
	r.rcx = 0xffff00ffull;
	r.rax = 0x1111222233334444ull;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), 1);
	assert_true(r.rax == 0x1111222233330008ull);
}

static void test_popcnt_extended_registers(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x4d, 0x0f, 0xb8, 0xc7 }; /* popcnt %r15,%r8 */
	struct kvm_regs r = regs();

	(void)state;
	r.r15 = 0x3;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), 1);
	assert_true(r.r8 == 2);
	assert_true(r.rdi == 0x5a5a5a5a5a5a5a5aull); /* rm = 7 without REX.B would be rdi */
}

static void test_unsupported_forms_change_nothing(void **state)
{
	static const uint8_t memory_form[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x07 }; /* popcnt (%rdi) */
	static const uint8_t no_rep[] = { 0x48, 0x0f, 0xb8, 0xc7 }; /* jmpe, not popcnt */
	static const uint8_t other[] = { 0x0f, 0x0b };		    /* ud2 */
	static const uint8_t xrstor[] = { 0x48, 0x0f, 0xae, 0x2f };
	struct kvm_regs r = regs(), before = regs();

	(void)state;
	assert_int_equal(x86_emulate_insn(memory_form, sizeof(memory_form), &ring0, &r), 0);
	assert_int_equal(x86_emulate_insn(no_rep, sizeof(no_rep), &ring0, &r), 0);
	assert_int_equal(x86_emulate_insn(other, sizeof(other), &ring0, &r), 0);
	assert_int_equal(x86_emulate_insn(xrstor, sizeof(xrstor), &ring0, &r), 0);
	/* truncated: the bytes end before the ModRM byte */
	assert_int_equal(x86_emulate_insn(memory_form, 4, &ring0, &r), 0);
	assert_int_equal(x86_emulate_insn(memory_form, 0, &ring0, &r), 0);
	assert_memory_equal(&r, &before, sizeof(r));
}

static void test_clac_stac(void **state)
{
	static const uint8_t clac[] = { 0x0f, 0x01, 0xca, 0xfc };
	static const uint8_t stac[] = { 0x0f, 0x01, 0xcb };
	struct kvm_regs r = regs(), before;

	(void)state;
	r.rflags |= 0x40000; /* AC */
	assert_int_equal(x86_emulate_insn(clac, sizeof(clac), &ring0, &r), 1);
	assert_true(r.rflags == (0x2 | 0x1 | 0x80 | 0x800 | 0x200)); /* only AC changed */
	assert_true(r.rip == 0x1003);
	assert_int_equal(x86_emulate_insn(stac, sizeof(stac), &ring0, &r), 1);
	assert_true(r.rflags & 0x40000);
	assert_true(r.rip == 0x1006);
	/* outside ring 0 both are #UD: left to the caller, nothing changed */
	before = r;
	struct x86_insn_env ring3 = ring0;

	ring3.cpl = 3;
	assert_int_equal(x86_emulate_insn(clac, sizeof(clac), &ring3, &r), 0);
	assert_int_equal(x86_emulate_insn(stac, 2, &ring0, &r), 0); /* truncated */
	assert_memory_equal(&r, &before, sizeof(r));
}

static void test_wait(void **state)
{
	static const uint8_t wait[] = { 0x9b, 0x65, 0x48 };
	struct kvm_regs r = regs(), before;
	struct x86_insn_env env = ring0;

	(void)state;
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), 1);
	assert_true(r.rip == 0x1001);
	before = r;
	env.fpu_status = 0x80; /* an unmasked x87 exception pending: #MF, not ours */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), 0);
	env.fpu_status = 0;
	env.cr0 |= 0x2 | 0x8; /* MP and TS: #NM */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), 0);
	env.cr0 &= ~0x2ull; /* TS alone does not fault WAIT */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), 1);
	assert_true(r.rip == before.rip + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_popcnt_64),
		cmocka_unit_test(test_popcnt_zero_sets_zf),
		cmocka_unit_test(test_popcnt_32_zero_extends),
		cmocka_unit_test(test_popcnt_16_keeps_upper_bits),
		cmocka_unit_test(test_popcnt_extended_registers),
		cmocka_unit_test(test_unsupported_forms_change_nothing),
		cmocka_unit_test(test_clac_stac),
		cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
