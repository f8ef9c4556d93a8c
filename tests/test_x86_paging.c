/* SPDX-License-Identifier: Apache-2.0 */
/* The guest page walk axvm uses for the memory it touches on the guest's behalf (vmm/x86_paging.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/x86_paging.h"

/* Guest physical memory holding the page tables: 64 KiB. */
#define PHYS_SIZE 0x10000u
static uint64_t phys[PHYS_SIZE / 8];

#define P	  0x1ull
#define RW	  0x2ull
#define US	  0x4ull
#define PS	  0x80ull
#define PAT_LARGE 0x1000ull /* bit 12 of a large page's entry: PAT, not address */

#define R X86_ACCESS_READ
#define W X86_ACCESS_WRITE
#define X X86_ACCESS_FETCH

#define PML5 0x5000u
#define PML4 0x1000u
#define PDPT 0x2000u
#define PD   0x3000u
#define PT   0x4000u

static uint64_t *entry_at(void *ctx, uint64_t gpa)
{
	(void)ctx;
	if (gpa >= PHYS_SIZE || (gpa & 7))
		return NULL;
	return &phys[gpa / 8];
}

static uint64_t get(uint64_t table, unsigned index)
{
	return phys[(table + 8 * index) / 8];
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
		.entry = entry_at,
	};
}

static void expect_ok(const struct x86_paging *pg, uint64_t gva, enum x86_access access,
		      uint64_t want)
{
	uint64_t gpa = 0;
	const char *why = NULL;

	if (x86_translate(pg, gva, access, &gpa, &why) != 0)
		fail_msg("0x%llx: %s", (unsigned long long)gva, why);
	if (gpa != want)
		fail_msg("0x%llx: 0x%llx, want 0x%llx", (unsigned long long)gva,
			 (unsigned long long)gpa, (unsigned long long)want);
}

static void expect_fault(const struct x86_paging *pg, uint64_t gva, enum x86_access access,
			 const char *want)
{
	uint64_t gpa = 0xdead, before[PHYS_SIZE / 8];
	const char *why = NULL;

	memcpy(before, phys, sizeof(before));
	assert_int_equal(x86_translate(pg, gva, access, &gpa, &why), -1);
	assert_memory_equal(before, phys, sizeof(before)); /* no accessed or dirty flag set */
	assert_non_null(why);
	assert_string_equal(why, want);
	assert_true(gpa == 0xdead);
}

static void test_page_sizes(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_ok(&pg, 0x400123, R, 0x10123);
	expect_ok(&pg, 0x400fff, W, 0x10fff);
	expect_ok(&pg, 0x601234, R, 0x201234);
	expect_ok(&pg, 0x7fffff, R, 0x3fffff);
	expect_ok(&pg, 0x40012345, W, 0x40012345);
	expect_ok(&pg, 0x7fffffff, R, 0x7fffffff);
}

static void test_not_present_and_outside(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_fault(&pg, 0x403000, R, "not present");
	expect_fault(&pg, 0x800000, R, "not present");	 /* PD 4 */
	expect_fault(&pg, 0xc0000000, R, "not present"); /* PDPT 3 */
	expect_fault(&pg, 0x8000000000ull, R, "a page-table entry is outside guest RAM");
	expect_fault(&pg, 0x10000000000ull, R, "a large page above the PDPT (reserved bit)");
	expect_fault(&pg, 0xffff800000000000ull, R, "not present"); /* PML4 256 */
}

static void test_write_protection(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_ok(&pg, 0x401010, R, 0x11010);
	expect_fault(&pg, 0x401010, W, "read-only");
	expect_fault(&pg, 0x600000, W, "read-only"); /* the 2 MiB page */
	pg.cr0 &= ~0x10000ull;			     /* without CR0.WP the kernel may write */
	expect_ok(&pg, 0x401010, W, 0x11010);
	pg.cpl = 3; /* ... but user mode never */
	expect_fault(&pg, 0x404000, W, "read-only");
	expect_ok(&pg, 0x404000, R, 0x14000);
}

static void test_user_and_smap(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.cpl = 3;
	expect_ok(&pg, 0x402008, W, 0x12008);
	expect_fault(&pg, 0x400000, R, "a supervisor page accessed from CPL 3");
	expect_fault(&pg, 0x600000, R,
		     "a supervisor page accessed from CPL 3"); /* US clear in the PDE */
	pg = kernel();
	expect_ok(&pg, 0x402008, W, 0x12008); /* no SMAP: the kernel may touch user pages */
	pg.cr4 |= 0x200000;
	expect_fault(&pg, 0x402008, R, "a user page accessed by the kernel under SMAP");
	pg.rflags |= 0x40000; /* stac */
	expect_ok(&pg, 0x402008, W, 0x12008);
}

static void test_five_levels(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.cr4 |= 0x1000; /* LA57 */
	pg.cr3 = PML5;
	expect_ok(&pg, 0x400123, W, 0x10123);
	expect_fault(&pg, 1ull << 48, R, "not present"); /* PML5 1 */
}

static void test_not_long_mode(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	pg.efer = 0;
	expect_fault(&pg, 0x400000, R, "not long-mode paging");
	pg = kernel();
	pg.cr0 &= ~0x80000000ull;
	expect_fault(&pg, 0x400000, R, "not long-mode paging");
}

/* Restrictions anywhere on the path count, not only in the leaf. */
static void test_upper_level_permissions(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	set(PD, 5, 0x6000 | P | US); /* 0xa00000: read-only PDE over RW leaves */
	set(0x6000, 0, 0x15000 | P | RW | US);
	/* 0x18000000000: supervisor PML4E over user leaves */
	set(PML4, 3, 0x7000 | P | RW);
	set(0x7000, 0, 0x8000 | P | RW | US);
	set(0x8000, 0, 0x200000 | P | RW | US | PS);
	expect_fault(&pg, 0xa00000, W, "read-only");
	expect_ok(&pg, 0xa00000, R, 0x15000);
	pg.cpl = 3;
	expect_fault(&pg, 0x18000000000ull, R, "a supervisor page accessed from CPL 3");
	expect_fault(&pg, 0xa00000, W, "read-only");
	expect_ok(&pg, 0xa00000, R, 0x15000);
}

static void test_canonical(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	/* PML4 256 (the upper half) would translate: the address itself must be refused */
	set(PML4, 256, PDPT | P | RW);
	expect_fault(&pg, 0x0000800000400123ull, R, "not canonical");
	expect_fault(&pg, 0x7fff800000400000ull, R, "not canonical");
	expect_ok(&pg, 0xffff800000400123ull, R, 0x10123);
	pg.cr4 |= 0x1000; /* LA57: 57-bit addresses */
	pg.cr3 = PML5;
	expect_fault(&pg, 0x0100000000000000ull, R, "not canonical");
	expect_ok(&pg, 0x0000800000400123ull, R, 0x10123); /* canonical now: PML4 256 */
}

static void test_accessed_and_dirty(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	expect_ok(&pg, 0x400010, R, 0x10010);
	assert_true(get(PML4, 0) & 0x20);
	assert_true(get(PDPT, 0) & 0x20);
	assert_true(get(PD, 2) & 0x20);
	assert_true((get(PT, 0) & 0x60) == 0x20); /* accessed, not dirty */
	expect_ok(&pg, 0x400010, W, 0x10010);
	assert_true((get(PT, 0) & 0x60) == 0x60);
	assert_true(!(get(PD, 2) & 0x40)); /* D only in the leaf */
	expect_ok(&pg, 0x40012345, W, 0x40012345);
	assert_true((get(PDPT, 1) & 0x60) == 0x60); /* a 1 GiB leaf */
	assert_true(get(PDPT, 1) & PAT_LARGE);	    /* other bits kept */
}

/* Another vCPU rewrites an entry between the walk and the A/D update: walk again. */
static unsigned rewrites;

static uint64_t *entry_rewriting_pml4(void *ctx, uint64_t gpa)
{
	if (gpa == PT + 8 * 0 && rewrites++ == 0)
		phys[PML4 / 8] |= 0x200; /* an OS-owned bit, after the walk read the PML4E */
	return entry_at(ctx, gpa);
}

static void test_concurrent_change_walks_again(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	rewrites = 0;
	pg.entry = entry_rewriting_pml4;
	expect_ok(&pg, 0x400000, W, 0x10000);
	assert_int_equal(rewrites, 2);
	assert_true((get(PML4, 0) & 0x220) == 0x220); /* both the other bit and A */
}

static void test_fetch(void **state)
{
	struct x86_paging pg = kernel();

	(void)state;
	set(PT, 6, 0x16000 | P | 0x8000000000000000ull); /* XD */
	pg.efer &= ~0x800ull;
	expect_ok(&pg, 0x406000, X, 0x16000); /* without EFER.NXE, XD is ignored */
	pg.efer |= 0x800;
	expect_fault(&pg, 0x406000, X, "not executable (XD)");
	expect_ok(&pg, 0x406000, R, 0x16000);
	expect_ok(&pg, 0x402000, X, 0x12000); /* a user page, no SMEP */
	pg.cr4 |= 0x200000;		      /* SMAP does not apply to fetches */
	expect_ok(&pg, 0x402000, X, 0x12000);
	expect_fault(&pg, 0x402000, R, "a user page accessed by the kernel under SMAP");
	pg.cr4 |= 0x100000; /* SMEP */
	expect_fault(&pg, 0x402000, X, "a user page executed by the kernel under SMEP");
	pg.cpl = 3;
	expect_ok(&pg, 0x402000, X, 0x12000);
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
		cmocka_unit_test_setup(test_upper_level_permissions, setup),
		cmocka_unit_test_setup(test_canonical, setup),
		cmocka_unit_test_setup(test_accessed_and_dirty, setup),
		cmocka_unit_test_setup(test_concurrent_change_walks_again, setup),
		cmocka_unit_test_setup(test_fetch, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
