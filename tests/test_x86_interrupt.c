/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/arch/x86/x86_interrupt.c: IDT delivery of an external interrupt, as a pure function. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/x86_interrupt.h"

/* Guest memory: 64 KiB at linear address 0 (paging is the caller's concern). */
#define MEM_SIZE 0x10000u
static uint8_t mem[MEM_SIZE];
static unsigned writes;

static int mem_read(void *ctx, uint64_t la, void *buf, size_t len, const char **why)
{
	(void)ctx;
	if (la >= MEM_SIZE || len > MEM_SIZE - la) {
		*why = "outside memory";
		return -1;
	}
	memcpy(buf, mem + la, len);
	return 0;
}

static int mem_write(void *ctx, uint64_t la, const void *buf, size_t len, const char **why)
{
	(void)ctx;
	if (la >= MEM_SIZE || len > MEM_SIZE - la) {
		*why = "outside memory";
		return -1;
	}
	memcpy(mem + la, buf, len);
	writes++;
	return 0;
}

static const struct x86_guest_mem gm = { .read = mem_read, .write = mem_write };

#define GDT 0x1000u
#define IDT 0x2000u

enum {
	SEL_CODE32 = 0x08,
	SEL_DATA = 0x10,
	SEL_CODE64 = 0x18,
	SEL_CODE32_DPL3 = 0x20,
	SEL_CODE32_NP = 0x28,
	SEL_CODE32_SMALL = 0x30, /* limit 0xfff */
	SEL_CONFORMING = 0x38,	 /* conforming, DPL 0 */
	GDT_LIMIT = 0x3f,
};

static void put(uint64_t at, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		mem[at + i] = (uint8_t)v;
}

static uint64_t get(uint64_t at, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | mem[at + i];
	return v;
}

/* A segment descriptor (SDM 3.4.5): access byte and flags nibble (G, D/B, L, AVL). */
static void seg(unsigned sel, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = (limit & 0xffffu) | (uint64_t)access << 40 |
		     (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)flags << 52;

	put(GDT + sel, 8, d);
}

/* A gate: 8 bytes in protected mode, 16 in IA-32e mode (type_attr: P, DPL, type). */
static void gate(bool lm, uint8_t vector, uint64_t offset, uint16_t sel, uint8_t type_attr,
		 uint8_t ist)
{
	uint64_t at = IDT + (uint64_t)vector * (lm ? 16 : 8);

	put(at, 2, offset & 0xffff);
	put(at + 2, 2, sel);
	put(at + 4, 1, ist);
	put(at + 5, 1, type_attr);
	put(at + 6, 2, (offset >> 16) & 0xffff);
	if (lm) {
		put(at + 8, 4, offset >> 32);
		put(at + 12, 4, 0);
	}
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	writes = 0;
	seg(SEL_CODE32, 0xfffff, 0x9b, 0xc);
	seg(SEL_DATA, 0xfffff, 0x93, 0xc);
	seg(SEL_CODE64, 0xfffff, 0x9b, 0xa);
	seg(SEL_CODE32_DPL3, 0xfffff, 0xfb, 0xc);
	seg(SEL_CODE32_NP, 0xfffff, 0x1b, 0xc);
	seg(SEL_CODE32_SMALL, 0xfff, 0x9b, 0x4);
	seg(SEL_CONFORMING, 0xfffff, 0x9f, 0xc);
	return 0;
}

static struct x86_int_cpu cpu32(void)
{
	return (struct x86_int_cpu){
		.rip = 0x1234,
		.rsp = 0x8000,
		.rflags = 0x202 | X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF | 0x1 /* CF */,
		.cr0 = 0x11,
		.cs = SEL_CODE32,
		.ss = SEL_DATA,
		.ss_base = 0,
		.ss_big = true,
		.idt_base = IDT,
		.idt_limit = 0x7ff,
		.gdt_base = GDT,
		.gdt_limit = GDT_LIMIT,
	};
}

static struct x86_int_cpu cpu64(void)
{
	struct x86_int_cpu c = cpu32();

	c.rip = 0xffffffff81000123ull;
	c.rsp = 0x8008; /* not 16-byte aligned */
	c.cr0 = 0x80000011;
	c.cr4 = 0x20;
	c.efer = 0x500;
	c.cs = SEL_CODE64;
	c.idt_limit = 0xfff;
	return c;
}

static int deliver(const struct x86_int_cpu *c, uint8_t vector, struct x86_int_entry *e, char *why,
		   size_t len)
{
	memset(why, 0, len);
	return x86_interrupt_deliver(c, &gm, vector, e, why, len);
}

static void test_32bit_interrupt_gate_frame(void **state)
{
	struct x86_int_cpu c = cpu32();
	struct x86_int_entry e;
	char why[256];

	(void)state;
	gate(false, 0x20, 0x00105000, SEL_CODE32, 0x8e, 0);
	assert_int_equal(deliver(&c, 0x20, &e, why, sizeof(why)), 0);
	/* EFLAGS, CS, EIP pushed: EIP lowest */
	assert_int_equal(get(0x8000 - 12, 4), 0x1234);
	assert_int_equal(get(0x8000 - 8, 4), SEL_CODE32);
	assert_int_equal(get(0x8000 - 4, 4), c.rflags);
	assert_int_equal(e.rip, 0x00105000);
	assert_int_equal(e.rsp, 0x8000 - 12);
	assert_int_equal(e.cs, SEL_CODE32);
	assert_false(e.cs_changed);
	assert_false(e.long_mode);
	/* interrupt gate: IF, TF, NT, RF cleared; the rest kept */
	assert_int_equal(e.rflags, 0x3);
}

static void test_32bit_trap_gate_keeps_if(void **state)
{
	struct x86_int_cpu c = cpu32();
	struct x86_int_entry e;
	char why[256];

	(void)state;
	gate(false, 0x21, 0x6000, SEL_CONFORMING, 0x8f, 0);
	assert_int_equal(deliver(&c, 0x21, &e, why, sizeof(why)), 0);
	assert_int_equal(e.rflags, 0x203);
	assert_int_equal(e.cs, SEL_CONFORMING);
	assert_true(e.cs_changed);
}

static void test_32bit_stack_segment_base(void **state)
{
	struct x86_int_cpu c = cpu32();
	struct x86_int_entry e;
	char why[256];

	(void)state;
	c.ss_base = 0x4000;
	c.rsp = 0x3000;
	gate(false, 0x22, 0x6000, SEL_CODE32, 0x8e, 0);
	assert_int_equal(deliver(&c, 0x22, &e, why, sizeof(why)), 0);
	assert_int_equal(e.rsp, 0x3000 - 12); /* relative to SS */
	assert_int_equal(get(0x7000 - 12, 4), 0x1234);
}

static void test_64bit_gate_frame_aligned(void **state)
{
	struct x86_int_cpu c = cpu64();
	struct x86_int_entry e;
	char why[256];

	(void)state;
	gate(true, 0xec, 0xffffffff81005678ull, SEL_CODE64, 0x8e, 0);
	assert_int_equal(deliver(&c, 0xec, &e, why, sizeof(why)), 0);
	/* aligned down to 0x8000, then SS, RSP, RFLAGS, CS, RIP */
	assert_int_equal(e.rsp, 0x8000 - 40);
	assert_int_equal(get(0x8000 - 40, 8), 0xffffffff81000123ull);
	assert_int_equal(get(0x8000 - 32, 8), SEL_CODE64);
	assert_int_equal(get(0x8000 - 24, 8), c.rflags);
	assert_int_equal(get(0x8000 - 16, 8), 0x8008);
	assert_int_equal(get(0x8000 - 8, 8), SEL_DATA);
	assert_int_equal(e.rip, 0xffffffff81005678ull);
	assert_int_equal(e.cs, SEL_CODE64);
	assert_true(e.long_mode);
	assert_int_equal(e.rflags, 0x3);
	/* a trap gate keeps IF */
	gate(true, 0xed, 0x5000, SEL_CODE64, 0x8f, 0);
	assert_int_equal(deliver(&c, 0xed, &e, why, sizeof(why)), 0);
	assert_int_equal(e.rflags, 0x203);
}

/* Every refusal: a reason, nothing written. */
static void refused(const struct x86_int_cpu *c, uint8_t vector, const char *reason)
{
	struct x86_int_entry e;
	char why[256];

	writes = 0;
	assert_int_equal(deliver(c, vector, &e, why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("want \"%s\" in \"%s\"", reason, why);
	assert_int_equal(writes, 0);
}

static void test_refusals_32bit(void **state)
{
	struct x86_int_cpu c = cpu32();

	(void)state;
	gate(false, 0x30, 0x6000, SEL_CODE32, 0x0e, 0); /* P = 0 */
	refused(&c, 0x30, "not present");
	c.idt_limit = 0x30 * 8 + 6; /* one byte short */
	gate(false, 0x30, 0x6000, SEL_CODE32, 0x8e, 0);
	refused(&c, 0x30, "beyond the IDT limit");
	c = cpu32();
	gate(false, 0x31, 0x6000, SEL_CODE32, 0x85, 0);
	refused(&c, 0x31, "task gate");
	gate(false, 0x32, 0x6000, SEL_CODE32, 0x86, 0);
	refused(&c, 0x32, "16-bit gate");
	gate(false, 0x33, 0x6000, 0x0, 0x8e, 0);
	refused(&c, 0x33, "null");
	gate(false, 0x34, 0x6000, 0x48, 0x8e, 0);
	refused(&c, 0x34, "beyond the GDT limit");
	gate(false, 0x35, 0x6000, SEL_DATA, 0x8e, 0);
	refused(&c, 0x35, "no code segment");
	gate(false, 0x36, 0x6000, SEL_CODE32_NP, 0x8e, 0);
	refused(&c, 0x36, "not present");
	gate(false, 0x37, 0x6000, SEL_CODE32_DPL3, 0x8e, 0);
	refused(&c, 0x37, "DPL 3 above CPL 0");
	gate(false, 0x38, 0x2000, SEL_CODE32_SMALL, 0x8e, 0);
	refused(&c, 0x38, "beyond the code segment limit");
	gate(false, 0x39, 0x6000, 0x0c, 0x8e, 0);
	refused(&c, 0x39, "LDT");
	gate(false, 0x3a, 0x6000, SEL_CODE32, 0x8e, 0);
	c.cs = SEL_CODE32_DPL3 | 3; /* user code interrupted */
	refused(&c, 0x3a, "privilege change CPL 3 -> 0");
	c = cpu32();
	c.rsp = 0x20000; /* frame outside memory */
	refused(&c, 0x3a, "unwritable");
	c.rsp = 8;
	refused(&c, 0x3a, "wraps");
	c = cpu32();
	c.ss_big = false;
	refused(&c, 0x3a, "16-bit stack");
	c = cpu32();
	c.cr0 = 0;
	refused(&c, 0x3a, "real mode");
	c = cpu32();
	c.rflags |= X86_RFLAGS_VM;
	refused(&c, 0x3a, "virtual-8086");
	c.rflags &= ~X86_RFLAGS_VM;
	c.idt_base = 0xfff8; /* the gate is read from outside memory */
	c.idt_limit = 0xffff;
	refused(&c, 0x3a, "unreadable");
}

static void test_refusals_64bit(void **state)
{
	struct x86_int_cpu c = cpu64();

	(void)state;
	gate(true, 0x40, 0x0000800000000000ull, SEL_CODE64, 0x8e, 0);
	refused(&c, 0x40, "not canonical (#GP)");
	gate(true, 0x41, 0x5000, SEL_CODE32, 0x8e, 0);
	refused(&c, 0x41, "no 64-bit segment");
	gate(true, 0x42, 0x5000, SEL_CODE64, 0x8e, 1);
	refused(&c, 0x42, "IST 1");
	gate(true, 0x43, 0x5000, SEL_CODE64, 0x8c, 0); /* a 32-bit call gate type */
	refused(&c, 0x43, "gate type 0xc");
	gate(true, 0x44, 0x5000, SEL_CODE64, 0x8e, 0);
	c.rsp = 0x0000800000000010ull; /* frame below it crosses into the canonical hole */
	refused(&c, 0x44, "not canonical (#SS)");
	c = cpu64();
	c.idt_limit = 0x44 * 16 + 8; /* a 64-bit gate needs 16 bytes */
	refused(&c, 0x44, "beyond the IDT limit");
	/* LA57: the same handler is canonical with 57-bit addresses */
	c = cpu64();
	c.cr4 |= 0x1000;
	gate(true, 0x45, 0x0000800000000000ull, SEL_CODE64, 0x8e, 0);
	struct x86_int_entry e;
	char why[256];
	assert_int_equal(deliver(&c, 0x45, &e, why, sizeof(why)), 0);
	assert_int_equal(e.rip, 0x0000800000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_32bit_interrupt_gate_frame, setup),
		cmocka_unit_test_setup(test_32bit_trap_gate_keeps_if, setup),
		cmocka_unit_test_setup(test_32bit_stack_segment_base, setup),
		cmocka_unit_test_setup(test_64bit_gate_frame_aligned, setup),
		cmocka_unit_test_setup(test_refusals_32bit, setup),
		cmocka_unit_test_setup(test_refusals_64bit, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
