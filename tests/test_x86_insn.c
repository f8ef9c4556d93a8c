/* SPDX-License-Identifier: Apache-2.0 */
/* Instructions axvm executes for the guest when the host KVM cannot (vmm/x86_insn.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/x86_insn.h"

/* Guest linear memory for the tests: [MEM_BASE, MEM_BASE + MEM_SIZE), the last page read-only. */
#define MEM_BASE      0x10000ull
#define MEM_SIZE      0x4000ull
#define MEM_READ_ONLY (MEM_BASE + 0x3000)

static uint8_t memory[MEM_SIZE];
static unsigned writes;

static int mem_read(void *ctx, uint64_t gva, void *buf, size_t len)
{
	(void)ctx;
	if (gva < MEM_BASE || gva - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (gva - MEM_BASE))
		return -1;
	memcpy(buf, memory + (gva - MEM_BASE), len);
	return 0;
}

static int mem_write(void *ctx, uint64_t gva, const void *buf, size_t len)
{
	(void)ctx;
	if (gva < MEM_BASE || gva - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (gva - MEM_BASE) ||
	    gva + len > MEM_READ_ONLY)
		return -1;
	memcpy(memory + (gva - MEM_BASE), buf, len);
	writes++;
	return 0;
}

/* Ring 0, paging and SSE enabled (CR0 PE|MP|ET|NE|WP|AM|PG, CR4.OSFXSR), MXCSR at reset. */
static struct x86_insn_env ring0_env(void)
{
	struct x86_insn_env env = {
		.cpl = 0,
		.cr0 = 0x80050033,
		.cr4 = 0x6f0,
		.mxcsr = 0x1f80,
		.mxcsr_mask = 0xffff,
		.mem = { .read = mem_read, .write = mem_write },
	};

	memset(memory, 0xee, sizeof(memory));
	writes = 0;
	return env;
}

static void put32(uint64_t gva, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		memory[gva - MEM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(uint64_t gva)
{
	uint32_t v = 0;

	for (unsigned i = 4; i-- > 0;)
		v = v << 8 | memory[gva - MEM_BASE + i];
	return v;
}

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
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.rdi = 0xf0f0f0f0f0f0f0f1ull;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), X86_INSN_POPCNT);
	assert_true(r.rax == 33);
	assert_true(r.rip == 0x1005);
	assert_true(r.rflags == (0x2 | 0x200)); /* arithmetic flags cleared, ZF clear, IF kept */
}

static void test_popcnt_zero_sets_zf(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x48, 0x0f, 0xb8, 0xc7 };
	struct kvm_regs r = regs();
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.rdi = 0;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), X86_INSN_POPCNT);
	assert_true(r.rax == 0);
	assert_true(r.rflags == (0x2 | 0x200 | 0x40));
}

static void test_popcnt_32_zero_extends(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x0f, 0xb8, 0xd9 }; /* popcnt %ecx,%ebx */
	struct kvm_regs r = regs();
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.rcx = 0xffffffff00000007ull; /* the upper half is not part of a 32-bit source */
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), X86_INSN_POPCNT);
	assert_true(r.rbx == 3);
	assert_true(r.rip == 0x1004);
}

static void test_popcnt_16_keeps_upper_bits(void **state)
{
	static const uint8_t code[] = { 0x66, 0xf3, 0x0f, 0xb8, 0xc1 }; /* popcnt %cx,%ax */
	struct kvm_regs r = regs();
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.rcx = 0xffff00ffull;
	r.rax = 0x1111222233334444ull;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), X86_INSN_POPCNT);
	assert_true(r.rax == 0x1111222233330008ull);
}

static void test_popcnt_extended_registers(void **state)
{
	static const uint8_t code[] = { 0xf3, 0x4d, 0x0f, 0xb8, 0xc7 }; /* popcnt %r15,%r8 */
	struct kvm_regs r = regs();
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.r15 = 0x3;
	assert_int_equal(x86_emulate_insn(code, sizeof(code), &ring0, &r), X86_INSN_POPCNT);
	assert_true(r.r8 == 2);
	assert_true(r.rdi == 0x5a5a5a5a5a5a5a5aull); /* rm = 7 without REX.B would be rdi */
}

static void test_unsupported_forms_change_nothing(void **state)
{
	/* popcnt (%rdi) with rdi outside guest memory: the read would fault */
	static const uint8_t memory_form[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x07 };
	static const uint8_t no_rep[] = { 0x48, 0x0f, 0xb8, 0xc7 }; /* jmpe, not popcnt */
	static const uint8_t other[] = { 0x0f, 0x0b };		    /* ud2 */
	static const uint8_t xrstor[] = { 0x48, 0x0f, 0xae, 0x2f };
	struct kvm_regs r = regs(), before = regs();
	struct x86_insn_env ring0 = ring0_env(), env_before = ring0;

	(void)state;
	assert_int_equal(x86_emulate_insn(memory_form, sizeof(memory_form), &ring0, &r),
			 X86_INSN_NONE);
	assert_int_equal(x86_emulate_insn(no_rep, sizeof(no_rep), &ring0, &r), X86_INSN_NONE);
	assert_int_equal(x86_emulate_insn(other, sizeof(other), &ring0, &r), X86_INSN_NONE);
	assert_int_equal(x86_emulate_insn(xrstor, sizeof(xrstor), &ring0, &r), X86_INSN_NONE);
	/* truncated: the bytes end before the ModRM byte */
	r.rdi = MEM_BASE;
	before.rdi = MEM_BASE;
	assert_int_equal(x86_emulate_insn(memory_form, 4, &ring0, &r), X86_INSN_NONE);
	assert_int_equal(x86_emulate_insn(memory_form, 0, &ring0, &r), X86_INSN_NONE);
	assert_memory_equal(&r, &before, sizeof(r));
	assert_memory_equal(&ring0, &env_before, sizeof(ring0));
}

static void test_clac_stac(void **state)
{
	static const uint8_t clac[] = { 0x0f, 0x01, 0xca, 0xfc };
	static const uint8_t stac[] = { 0x0f, 0x01, 0xcb };
	struct kvm_regs r = regs(), before;
	struct x86_insn_env ring0 = ring0_env();

	(void)state;
	r.rflags |= 0x40000; /* AC */
	assert_int_equal(x86_emulate_insn(clac, sizeof(clac), &ring0, &r), X86_INSN_CLAC_STAC);
	assert_true(r.rflags == (0x2 | 0x1 | 0x80 | 0x800 | 0x200)); /* only AC changed */
	assert_true(r.rip == 0x1003);
	assert_int_equal(x86_emulate_insn(stac, sizeof(stac), &ring0, &r), X86_INSN_CLAC_STAC);
	assert_true(r.rflags & 0x40000);
	assert_true(r.rip == 0x1006);
	/* outside ring 0 both are #UD: left to the caller, nothing changed */
	before = r;
	struct x86_insn_env ring3 = ring0;

	ring3.cpl = 3;
	assert_int_equal(x86_emulate_insn(clac, sizeof(clac), &ring3, &r), X86_INSN_NONE);
	assert_int_equal(x86_emulate_insn(stac, 2, &ring0, &r), X86_INSN_NONE); /* truncated */
	assert_memory_equal(&r, &before, sizeof(r));
}

static void test_wait(void **state)
{
	static const uint8_t wait[] = { 0x9b, 0x65, 0x48 };
	struct kvm_regs r = regs(), before;
	struct x86_insn_env env = ring0_env();

	(void)state;
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), X86_INSN_WAIT);
	assert_true(r.rip == 0x1001);
	before = r;
	env.fpu_status = 0x80; /* an unmasked x87 exception pending: #MF, not ours */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), X86_INSN_NONE);
	env.fpu_status = 0;
	env.cr0 |= 0x2 | 0x8; /* MP and TS: #NM */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), X86_INSN_NONE);
	env.cr0 &= ~0x2ull; /* TS alone does not fault WAIT */
	assert_int_equal(x86_emulate_insn(wait, sizeof(wait), &env, &r), X86_INSN_WAIT);
	assert_true(r.rip == before.rip + 1);
}

static void test_popcnt_memory_operand(void **state)
{
	static const uint8_t p64[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x07 }; /* popcnt (%rdi),%rax */
	static const uint8_t p16[] = {
		0x66, 0xf3, 0x0f, 0xb8, 0x4e, 0x20
	}; /* popcnt 0x20(%rsi),%cx */
	struct kvm_regs r = regs();
	struct x86_insn_env env = ring0_env();

	(void)state;
	r.rdi = MEM_BASE + 0x100;
	put32(MEM_BASE + 0x100, 0x0000000f);
	put32(MEM_BASE + 0x104, 0x80000000);
	assert_int_equal(x86_emulate_insn(p64, sizeof(p64), &env, &r), X86_INSN_POPCNT);
	assert_true(r.rax == 5);
	assert_true(r.rip == 0x1005);
	r.rsi = MEM_BASE + 0x200 - 0x20;
	put32(MEM_BASE + 0x200, 0xffff0007);
	assert_int_equal(x86_emulate_insn(p16, sizeof(p16), &env, &r), X86_INSN_POPCNT);
	assert_true(r.rcx == 0x5a5a5a5a5a5a0003ull); /* 16-bit source, 16-bit result */
	assert_true(r.rip == 0x100b);
}

/* One LDMXCSR form: the operand at `where` is loaded and RIP advances by the length. */
static void check_ldmxcsr(const uint8_t *code, size_t len, struct kvm_regs r, uint64_t where,
			  struct x86_insn_env env)
{
	uint64_t rip = r.rip;

	put32(where, 0x9fc0);
	assert_int_equal(x86_emulate_insn(code, len, &env, &r), X86_INSN_MXCSR);
	assert_true(env.mxcsr == 0x9fc0);
	assert_true(r.rip == rip + len);
	assert_int_equal(writes, 0);
}

static void test_ldmxcsr_addressing_forms(void **state)
{
	struct x86_insn_env env = ring0_env();
	struct kvm_regs r = regs();

	(void)state;
	{ /* ldmxcsr 0x4(%rsp): what Linux's kernel_fpu_begin_mask() runs */
		static const uint8_t c[] = { 0x0f, 0xae, 0x54, 0x24, 0x04 };
		r.rsp = MEM_BASE + 0x800;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x804, env);
	}
	{ /* ldmxcsr 0x10(%rip): relative to the next instruction */
		static const uint8_t c[] = { 0x0f, 0xae, 0x15, 0x10, 0x00, 0x00, 0x00 };
		r.rip = MEM_BASE + 0x1000;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x1000 + 7 + 0x10, env);
		r.rip = 0x1000;
	}
	{ /* ldmxcsr 0x8(%rbx,%rcx,4) */
		static const uint8_t c[] = { 0x0f, 0xae, 0x54, 0x8b, 0x08 };
		r.rbx = MEM_BASE;
		r.rcx = 0x40;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x108, env);
	}
	{ /* ldmxcsr 0x2000(,%rcx,8): SIB without a base */
		static const uint8_t c[] = { 0x0f, 0xae, 0x14, 0xcd, 0x00, 0x20, 0x00, 0x00 };
		r.rcx = (MEM_BASE - 0x2000 + 0x300) / 8;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x300, env);
	}
	{ /* ldmxcsr 0x2000(,%r12,2): REX.X makes index 100b mean r12, not "none" */
		static const uint8_t c[] = { 0x42, 0x0f, 0xae, 0x14, 0x65, 0x00, 0x20, 0x00, 0x00 };
		r.r12 = (MEM_BASE - 0x2000 + 0x310) / 2;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x310, env);
	}
	{ /* ldmxcsr %gs:0x10: the GS base, as Linux's per-CPU variables */
		static const uint8_t c[] = { 0x65, 0x0f, 0xae, 0x14, 0x25, 0x10, 0x00, 0x00, 0x00 };
		struct x86_insn_env gs = env;

		gs.gs_base = MEM_BASE + 0x400;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x410, gs);
	}
	{ /* ldmxcsr (%eax): 0x67 truncates the address to 32 bits */
		static const uint8_t c[] = { 0x67, 0x0f, 0xae, 0x10 };
		r.rax = 0xffffffff00000000ull | (MEM_BASE + 0x500);
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x500, env);
	}
	{ /* ldmxcsr -0x8(%rbp): disp8 is signed */
		static const uint8_t c[] = { 0x0f, 0xae, 0x55, 0xf8 };
		r.rbp = MEM_BASE + 0x608;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x600, env);
	}
	{ /* ldmxcsr 0x0(%r13): r13 as a base needs mod 01 and a disp8 (mod 00 would be
	     RIP-relative) */
		static const uint8_t c[] = { 0x41, 0x0f, 0xae, 0x55, 0x00 };
		r.r13 = MEM_BASE + 0x700;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x700, env);
	}
	{ /* 41 0f ae 15 disp32: with REX.B, mod 00 r/m 101 is still RIP-relative, not r13 */
		static const uint8_t c[] = { 0x41, 0x0f, 0xae, 0x15, 0x20, 0x00, 0x00, 0x00 };
		r.rip = MEM_BASE + 0x1000;
		r.r13 = 0;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x1000 + 8 + 0x20, env);
		r.rip = 0x1000;
	}
	{ /* 41 0f ae 14 25 disp32: SIB base 101 with mod 00 is "no base" even with REX.B */
		static const uint8_t c[] = { 0x41, 0x0f, 0xae, 0x14, 0x25, 0x40, 0x09, 0x01, 0x00 };
		r.r13 = 0x100000;
		check_ldmxcsr(c, sizeof(c), r, 0x10940, env);
	}
	{ /* ldmxcsr 0x8(%r13,%rcx,1): SIB base r13 with mod 01 is r13 */
		static const uint8_t c[] = { 0x41, 0x0f, 0xae, 0x54, 0x0d, 0x08 };
		r.r13 = MEM_BASE + 0x900;
		r.rcx = 0x10;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x918, env);
	}
	{ /* ldmxcsr -0x10(%r12): r/m 100 with REX.B still takes a SIB byte */
		static const uint8_t c[] = { 0x41, 0x0f, 0xae, 0x94, 0x24, 0xf0, 0xff, 0xff, 0xff };
		r.r12 = MEM_BASE + 0x720;
		check_ldmxcsr(c, sizeof(c), r, MEM_BASE + 0x710, env);
	}
}

static void test_stmxcsr(void **state)
{
	static const uint8_t st[] = { 0x0f, 0xae, 0x18 }; /* stmxcsr (%rax) */
	static const uint8_t st_fs[] = { 0x64, 0x0f, 0xae, 0x5a,
					 0xfc }; /* stmxcsr %fs:-0x4(%rdx) */
	struct x86_insn_env env = ring0_env();
	struct kvm_regs r = regs();

	(void)state;
	env.mxcsr = 0x1fa0;
	r.rax = MEM_BASE + 0x20;
	assert_int_equal(x86_emulate_insn(st, sizeof(st), &env, &r), X86_INSN_MXCSR);
	assert_true(get32(MEM_BASE + 0x20) == 0x1fa0);
	assert_true(memory[0x24] == 0xee); /* exactly four bytes */
	assert_true(r.rip == 0x1003);
	assert_true(env.mxcsr == 0x1fa0);
	env.fs_base = MEM_BASE + 0x1000;
	r.rdx = 0x44;
	assert_int_equal(x86_emulate_insn(st_fs, sizeof(st_fs), &env, &r), X86_INSN_MXCSR);
	assert_true(get32(MEM_BASE + 0x1040) == 0x1fa0);
	/* crossing into the read-only page: nothing is written */
	r.rax = MEM_READ_ONLY - 2;
	assert_int_equal(x86_emulate_insn(st, sizeof(st), &env, &r), X86_INSN_NONE);
	assert_int_equal(writes, 2);
	assert_true(memory[MEM_READ_ONLY - MEM_BASE - 2] == 0xee);
}

/* Every fault LDMXCSR/STMXCSR would raise is left to the caller with nothing changed. */
static void test_mxcsr_faults_change_nothing(void **state)
{
	static const uint8_t ld[] = { 0x0f, 0xae, 0x10 };		    /* ldmxcsr (%rax) */
	static const uint8_t st[] = { 0x0f, 0xae, 0x18 };		    /* stmxcsr (%rax) */
	static const uint8_t lock[] = { 0xf0, 0x0f, 0xae, 0x10 };	    /* #UD */
	static const uint8_t opsize[] = { 0x66, 0x0f, 0xae, 0x10 };	    /* not LDMXCSR */
	static const uint8_t wrfsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xd0 }; /* mod 11: not ours */
	static const uint8_t fxrstor[] = { 0x0f, 0xae, 0x08 };		    /* /1 */
	struct x86_insn_env env = ring0_env(), e;
	struct kvm_regs r = regs(), before;

	(void)state;
	r.rax = MEM_BASE + 0x40;
	put32(MEM_BASE + 0x40, 0x1f80);
	before = r;
#define REFUSED(code, env_)                                                                        \
	do {                                                                                       \
		struct x86_insn_env copy = (env_);                                                 \
		assert_int_equal(x86_emulate_insn(code, sizeof(code), &copy, &r), X86_INSN_NONE);  \
		assert_memory_equal(&copy, &(env_), sizeof(copy));                                 \
		assert_memory_equal(&r, &before, sizeof(r));                                       \
		assert_int_equal(writes, 0);                                                       \
	} while (0)
	e = env;
	e.mxcsr_mask = 0xffbf; /* no DAZ on this CPU */
	put32(MEM_BASE + 0x40, 0x1fc0);
	REFUSED(ld, e); /* #GP: DAZ is reserved here */
	put32(MEM_BASE + 0x40, 0x11f80);
	REFUSED(ld, env); /* #GP: bit 16 is reserved everywhere */
	put32(MEM_BASE + 0x40, 0x1f80);
	e = env;
	e.cr0 |= 0x8; /* TS: #NM */
	REFUSED(ld, e);
	REFUSED(st, e);
	e = env;
	e.cr0 |= 0x4; /* EM: #UD */
	REFUSED(ld, e);
	e = env;
	e.cr4 &= ~0x200ull; /* no OSFXSR: #UD */
	REFUSED(st, e);
	REFUSED(lock, env);
	REFUSED(opsize, env);
	REFUSED(wrfsbase, env);
	REFUSED(fxrstor, env);
	/* #AC: misaligned at CPL 3 with CR0.AM and RFLAGS.AC */
	e = env;
	e.cpl = 3;
	r.rax = before.rax = MEM_BASE + 0x41;
	put32(MEM_BASE + 0x41, 0x1f80); /* a valid value: only the alignment can refuse it */
	r.rflags = before.rflags |= 0x40000;
	REFUSED(ld, e);
	/* #PF: outside guest memory; #GP: not canonical */
	r.rax = before.rax = MEM_BASE + MEM_SIZE - 2;
	REFUSED(ld, env);
	r.rax = before.rax = 0x0000800000000000ull;
	REFUSED(ld, env);
	/* truncated: the displacement is cut off */
	static const uint8_t cut[] = { 0x0f, 0xae, 0x15, 0x10, 0x00 };
	REFUSED(cut, env);
#undef REFUSED
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(x86_insn_kind_name(X86_INSN_NONE), "none");
	assert_string_equal(x86_insn_kind_name(X86_INSN_MXCSR), "ldmxcsr/stmxcsr");
	for (int k = 0; k < X86_INSN_KINDS; k++)
		assert_non_null(x86_insn_kind_name((enum x86_insn_kind)k));
	assert_string_equal(x86_insn_kind_name(X86_INSN_KINDS), "?");
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
		cmocka_unit_test(test_popcnt_memory_operand),
		cmocka_unit_test(test_ldmxcsr_addressing_forms),
		cmocka_unit_test(test_stmxcsr),
		cmocka_unit_test(test_mxcsr_faults_change_nothing),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
