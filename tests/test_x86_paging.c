/* SPDX-License-Identifier: Apache-2.0 */
/* The guest page walk axvm uses for the memory it touches on the guest's behalf (vmm/x86_paging.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "../vmm/x86_paging.h"

/* Guest physical memory holding the page tables: 64 KiB. */
#define PHYS_SIZE 0x10000u
static uint64_t phys[PHYS_SIZE / 8];

#define P	  0x1ull
#define RW	  0x2ull
#define US	  0x4ull
#define PS	  0x80ull
#define PAT_LARGE 0x1000ull /* bit 12 of a large page's entry: PAT, not address */

#define PML5 0x5000u
#define PML4 0x1000u
#define PDPT 0x2000u
#define PD   0x3000u
#define PT   0x4000u

static int read_phys(void *ctx, uint64_t gpa, uint64_t *value)
{
	(void)ctx;
	if (gpa >= PHYS_SIZE || (gpa & 7))
		return -1;
	*value = phys[gpa / 8];
	return 0;
}

static void set(uint64_t table, unsigned index, uint64_t entry)
{
	phys[(table + 8 * index) / 8] = entry;
}

/*
 * 0x400000..: 4 KiB pages (PT 0: RW, 1: read-only, 2: user RW, 3: absent,
 * 4: user read-only, 5: a table outside RAM is not relevant here);
 * 0x600000: a 2 MiB page; 0x40000000: a 1 GiB page with PAT set.
 */
static int setup(void **state)
{
	(void)state;
	memset(phys, 0, sizeof(phys));
	set(PML5, 0, PML4 | P | RW | US);
	set(PML4, 0, PDPT | P | RW | US);
	set(PML4, 1, 0x100000 | P | RW | US); /* a PDPT outside guest RAM */
	set(PML4, 2, 0x200000 | P | RW | PS); /* PS in a PML4E: reserved */
	set(PDPT, 0, PD | P | RW | US);
	set(PDPT, 1, 0x40000000 | PAT_LARGE | P | RW | PS);
	set(PD, 2, PT | P | RW | US);
	set(PD, 3, 0x200000 | P | PS); /* read-only 2 MiB, supervisor */
	set(PT, 0, 0x10000 | P | RW);
	set(PT, 1, 0x11000 | P);
	set(PT, 2, 0x12000 | P | RW | US);
	set(PT, 4, 0x14000 | P | US);
	return 0;
}

static struct x86_paging kernel(void)
{
	return (struct x86_paging){
		.cr0 = 0x80050033, /* PG, WP */
		.cr3 = PML4 | 0x5, /* PCID bits are not address */
		.cr4 = 0x20,	   /* PAE */
		.efer = 0xd00,	   /* LMA */
		.cpl = 0,
		.read_phys = read_phys,
	};
}

static void expect_ok(const struct x86_paging *pg, uint64_t gva, int write, uint64_t want)
{
	uint64_t gpa = 0;
	const char *why = NULL;

	assert_int_equal(x86_translate(pg, gva, write, &gpa, &why), 0);
	assert_true(gpa == want);
}

static void expect_fault(const struct x86_paging *pg, uint64_t gva, int write, const char *want)
{
	uint64_t gpa = 0xdead;
	const char *why = NULL;

	assert_int_equal(x86_translate(pg, gva, write, &gpa, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, want);
	assert_true(gpa == 0xdead);
}

static void test_page_sizes(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_ok(&pg, 0x400123, 0, 0x10123);
	expect_ok(&pg, 0x400fff, 1, 0x10fff);
	expect_ok(&pg, 0x601234, 0, 0x201234);
	expect_ok(&pg, 0x7fffff, 0, 0x3fffff);
	expect_ok(&pg, 0x40012345, 1, 0x40012345);
	expect_ok(&pg, 0x7fffffff, 0, 0x7fffffff);
}

static void test_not_present_and_outside(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_fault(&pg, 0x403000, 0, "not present");
	expect_fault(&pg, 0x800000, 0, "not present");	 /* PD 4 */
	expect_fault(&pg, 0xc0000000, 0, "not present"); /* PDPT 3 */
	expect_fault(&pg, 0x8000000000ull, 0, "a page-table entry is outside guest RAM");
	expect_fault(&pg, 0x10000000000ull, 0, "a large page above the PDPT (reserved bit)");
	expect_fault(&pg, 0xffff800000000000ull, 0, "not present"); /* PML4 256 */
}

static void test_write_protection(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_ok(&pg, 0x401010, 0, 0x11010);
	expect_fault(&pg, 0x401010, 1, "read-only");
	expect_fault(&pg, 0x600000, 1, "read-only"); /* the 2 MiB page */
	pg.cr0 &= ~0x10000ull;			     /* without CR0.WP the kernel may write */
	expect_ok(&pg, 0x401010, 1, 0x11010);
	pg.cpl = 3; /* ... but user mode never */
	expect_fault(&pg, 0x404000, 1, "read-only");
	expect_ok(&pg, 0x404000, 0, 0x14000);
}

static void test_user_and_smap(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.cpl = 3;
	expect_ok(&pg, 0x402008, 1, 0x12008);
	expect_fault(&pg, 0x400000, 0, "a supervisor page accessed from CPL 3");
	expect_fault(&pg, 0x600000, 0,
		     "a supervisor page accessed from CPL 3"); /* US clear in the PDE */
	pg = kernel();
	expect_ok(&pg, 0x402008, 1, 0x12008); /* no SMAP: the kernel may touch user pages */
	pg.cr4 |= 0x200000;
	expect_fault(&pg, 0x402008, 0, "a user page accessed by the kernel under SMAP");
	pg.rflags |= 0x40000; /* stac */
	expect_ok(&pg, 0x402008, 1, 0x12008);
}

static void test_five_levels(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.cr4 |= 0x1000; /* LA57 */
	pg.cr3 = PML5;
	expect_ok(&pg, 0x400123, 1, 0x10123);
	expect_fault(&pg, 1ull << 48, 0, "not present"); /* PML5 1 */
}

static void test_not_long_mode(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.efer = 0;
	expect_fault(&pg, 0x400000, 0, "not long-mode paging");
	pg = kernel();
	pg.cr0 &= ~0x80000000ull;
	expect_fault(&pg, 0x400000, 0, "not long-mode paging");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_page_sizes, setup),
		cmocka_unit_test_setup(test_not_present_and_outside, setup),
		cmocka_unit_test_setup(test_write_protection, setup),
		cmocka_unit_test_setup(test_user_and_smap, setup),
		cmocka_unit_test_setup(test_five_levels, setup),
		cmocka_unit_test_setup(test_not_long_mode, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
