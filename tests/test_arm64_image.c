/* SPDX-License-Identifier: Apache-2.0 */
/* The arm64 Image loader (vmm/boot/arm64_image.c) on Images made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "arch/arm64/fdt.h"
#include "boot/arm64_image.h"

#define MIB	  0x100000ull
#define GIB	  0x40000000ull
#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  (128 * MIB)
#define FILE_SIZE 0x10000u
#define FILL	  0xa5
#define CHUNK	  (1u << 20)

static struct guest_ram ram;
static uint8_t *host;
static uint8_t image[FILE_SIZE];
static uint8_t initrd[0x23456];
static uint8_t fill[CHUNK];
static char why[256];

static void wr(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A modern (>= 3.17) little-endian Image header: 4K pages, placement bit 3 set. */
static void make_image(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	for (unsigned i = 0; i < FILE_SIZE; i++)
		image[i] = (uint8_t)(i * 13 + 5);
	wr(image + 0x00, 4, 0x91005a4d); /* code0: "MZ" + add, as an EFI-stub kernel */
	wr(image + 0x04, 4, 0x14000000); /* code1: b . */
	wr(image + 0x08, 8, text_offset);
	wr(image + 0x10, 8, image_size);
	wr(image + 0x18, 8, flags);
	memset(image + 0x20, 0, 0x18);
	wr(image + 0x38, 4, 0x644d5241);
	wr(image + 0x3c, 4, 0x40);
}

static int setup(void **state)
{
	void *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	if (p == MAP_FAILED)
		return -1;
	host = p;
	memset(host, FILL, RAM_SIZE);
	memset(fill, FILL, sizeof(fill));
	ram.nr = 1;
	ram.regions[0] = (struct guest_ram_region){ RAM_GPA, RAM_SIZE, host };
	make_image(0, 2 * MIB, 0xa);
	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7 + 3);
	why[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(host, RAM_SIZE);
	ram.nr = 0;
	return 0;
}

/* RAM [lo, hi) still holds the fill pattern. */
static void untouched(uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo; a < hi;) {
		uint64_t n = hi - a < CHUNK ? hi - a : CHUNK;

		if (memcmp(host + (a - RAM_GPA), fill, n) != 0)
			fail_msg("RAM in [0x%llx, 0x%llx) was written", (unsigned long long)a,
				 (unsigned long long)(a + n));
		a += n;
	}
}

static void expect_fail(size_t size, const uint8_t *rd, size_t rd_size, const char *a,
			const char *b)
{
	struct arm64_image_layout l;

	memset(&l, 0x77, sizeof(l));
	assert_int_equal(arm64_image_load(&ram, image, size, rd, rd_size, &l, why, sizeof(why)),
			 -1);
	if (!strstr(why, a) || (b && !strstr(why, b)))
		fail_msg("error \"%s\" does not mention \"%s\" and \"%s\"", why, a, b ? b : "");
	/* a failed load writes nothing */
	untouched(RAM_GPA, RAM_GPA + RAM_SIZE);
}

/* --- good Images ----------------------------------------------------------------------- */

static void test_detect(void **state)
{
	(void)state;
	assert_true(arm64_image_detect(image, FILE_SIZE));
	assert_true(arm64_image_detect(image, 64));
	assert_false(arm64_image_detect(image, 63));
	image[0x3b] = 0x65;
	assert_false(arm64_image_detect(image, FILE_SIZE));
}

static void test_parse_modern(void **state)
{
	struct arm64_image_header h;

	(void)state;
	make_image(0x80000, 0x1234000, 0xe);
	assert_int_equal(arm64_image_parse(image, FILE_SIZE, &h, why, sizeof(why)), 0);
	assert_int_equal(h.text_offset, 0x80000);
	assert_int_equal(h.image_size, 0x1234000);
	assert_int_equal(h.flags, 0xe);
	/* image_size equal to the file is fine; page sizes 0..3 all pass */
	for (uint64_t ps = 0; ps < 4; ps++) {
		make_image(0, FILE_SIZE, ps << 1);
		assert_int_equal(arm64_image_parse(image, FILE_SIZE, &h, why, sizeof(why)), 0);
		assert_int_equal(h.image_size, FILE_SIZE);
	}
}

static void test_load(void **state)
{
	struct arm64_image_layout l;

	(void)state;
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, NULL, 0, &l, why, sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40000000);
	assert_int_equal(l.kernel_end, 0x40200000);
	assert_int_equal(l.initrd_gpa, 0);
	assert_int_equal(l.initrd_size, 0);
	assert_int_equal(l.dtb_gpa, 0x47e00000);
	assert_memory_equal(host, image, FILE_SIZE);
	/* the BSS part of image_size and everything else: not written */
	untouched(RAM_GPA + FILE_SIZE, RAM_GPA + RAM_SIZE);
}

static void test_load_text_offset(void **state)
{
	struct arm64_image_layout l;

	(void)state;
	make_image(0x80000, 0x1000000, 0x2);
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, NULL, 0, &l, why, sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40080000);
	assert_int_equal(l.kernel_end, 0x41080000);
	assert_int_equal(l.dtb_gpa, 0x47e00000);
	assert_memory_equal(host + 0x80000, image, FILE_SIZE);
	untouched(RAM_GPA, 0x40080000);
	untouched(0x40080000 + FILE_SIZE, RAM_GPA + RAM_SIZE);
}

/* image_size 0: a pre-3.17 kernel; text_offset is 0x80000 whatever the field says. */
static void test_old_kernel(void **state)
{
	struct arm64_image_header h;
	struct arm64_image_layout l;

	(void)state;
	make_image(0x0000080000000000ull, 0, 0); /* 0x80000 stored big-endian */
	assert_int_equal(arm64_image_parse(image, FILE_SIZE, &h, why, sizeof(why)), 0);
	assert_int_equal(h.text_offset, ARM64_IMAGE_OLD_TEXT_OFFSET);
	assert_int_equal(h.image_size, FILE_SIZE);
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, NULL, 0, &l, why, sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40080000);
	assert_int_equal(l.kernel_end, 0x40080000 + FILE_SIZE);
	assert_memory_equal(host + 0x80000, image, FILE_SIZE);
	untouched(RAM_GPA, 0x40080000);
	untouched(0x40080000 + FILE_SIZE, RAM_GPA + RAM_SIZE);
}

static void test_initrd(void **state)
{
	struct arm64_image_layout l;

	(void)state;
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, initrd, sizeof(initrd), &l, why,
					  sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40000000);
	assert_int_equal(l.kernel_end, 0x40200000);
	assert_int_equal(l.dtb_gpa, 0x47e00000);
	/* 0x47e00000 - 0x23456 = 0x47ddcbaa, page aligned down */
	assert_int_equal(l.initrd_gpa, 0x47ddc000);
	assert_int_equal(l.initrd_size, sizeof(initrd));
	assert_memory_equal(host, image, FILE_SIZE);
	assert_memory_equal(host + (0x47ddc000 - RAM_GPA), initrd, sizeof(initrd));
	untouched(RAM_GPA + FILE_SIZE, 0x47ddc000);
	untouched(0x47ddc000 + sizeof(initrd), RAM_GPA + RAM_SIZE);
}

/* The initrd fills all the room between the kernel's image_size and the DTB; a byte more fails. */
static void test_initrd_exact_fit(void **state)
{
	struct arm64_image_layout l;
	size_t room = 0x47e00000 - 0x40200000;
	uint8_t *big = malloc(room + 1);

	(void)state;
	assert_non_null(big);
	memset(big, 0x3c, room + 1);
	expect_fail(FILE_SIZE, big, room + 1, "initrd (0x7c00001 bytes) does not fit",
		    "kernel end 0x40200000 and 0x47e00000 (the DTB)");
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, big, room, &l, why, sizeof(why)),
			 0);
	assert_int_equal(l.initrd_gpa, 0x40200000);
	assert_int_equal(l.initrd_size, room);
	assert_memory_equal(host + 0x200000, big, room);
	untouched(RAM_GPA + FILE_SIZE, 0x40200000);
	untouched(0x47e00000, RAM_GPA + RAM_SIZE);
	free(big);
}

/* The lowest region is used, its base rounded up to 2 MiB; the DTB is 8-byte aligned. */
static void test_unaligned_region(void **state)
{
	struct arm64_image_layout l;
	static uint8_t high[0x1000];

	(void)state;
	ram.regions[1] = ram.regions[0];
	ram.regions[0] = (struct guest_ram_region){ 0x100000000ull, sizeof(high), high };
	ram.regions[1].gpa = 0x40100000;
	ram.regions[1].size = RAM_SIZE - 0x13;
	ram.nr = 2;
	make_image(0x1000, 0x100000, 0);
	assert_int_equal(arm64_image_load(&ram, image, FILE_SIZE, NULL, 0, &l, why, sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40201000);
	assert_int_equal(l.kernel_end, 0x40301000);
	/* end 0x480fffed - 2 MiB = 0x47efffed, down to 8 bytes */
	assert_int_equal(l.dtb_gpa, 0x47efffe8);
	assert_memory_equal(host + (0x40201000 - 0x40100000), image, FILE_SIZE);
	ram.regions[0] = ram.regions[1];
	ram.regions[0].gpa = RAM_GPA;
	ram.nr = 1;
}

/* A region over 32 GiB: the initrd stays in the kernel's 1 GiB aligned 32 GiB window. */
static void test_initrd_32g_window(void **state)
{
	struct guest_ram big = { .nr = 1 };
	struct arm64_image_layout l;
	uint64_t size = 40 * GIB;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)state;
	if (p == MAP_FAILED)
		skip();
	big.regions[0] = (struct guest_ram_region){ RAM_GPA, size, p };
	assert_int_equal(arm64_image_load(&big, image, FILE_SIZE, initrd, sizeof(initrd), &l, why,
					  sizeof(why)),
			 0);
	assert_int_equal(l.kernel_gpa, 0x40000000);
	assert_int_equal(l.dtb_gpa, RAM_GPA + size - 2 * MIB);
	assert_int_equal(l.initrd_gpa, 0x840000000ull - 0x24000);
	assert_memory_equal((uint8_t *)p + (l.initrd_gpa - RAM_GPA), initrd, sizeof(initrd));
	munmap(p, size);
}

/* --- header errors --------------------------------------------------------------------- */

static void test_too_small(void **state)
{
	(void)state;
	expect_fail(63, NULL, 0, "too small", "63 bytes");
	expect_fail(0, NULL, 0, "too small", "0 bytes");
}

static void test_bad_magic(void **state)
{
	(void)state;
	wr(image + 0x38, 4, 0x016f2818); /* the 32-bit zImage magic */
	expect_fail(FILE_SIZE, NULL, 0, "magic 0x016f2818", "0x644d5241");
}

static void test_big_endian(void **state)
{
	(void)state;
	make_image(0, 2 * MIB, 0xb);
	expect_fail(FILE_SIZE, NULL, 0, "flags 0xb", "big-endian");
}

static void test_reserved_flags(void **state)
{
	(void)state;
	make_image(0, 2 * MIB, 0x1a);
	expect_fail(FILE_SIZE, NULL, 0, "reserved bits 4-63", "0x10");
	make_image(0, 2 * MIB, 0x8000000000000002ull);
	expect_fail(FILE_SIZE, NULL, 0, "reserved bits 4-63", "0x8000000000000000");
}

static void test_image_size_below_file(void **state)
{
	(void)state;
	make_image(0, FILE_SIZE - 1, 0);
	expect_fail(FILE_SIZE, NULL, 0, "image_size 0xffff smaller than the file", "0x10000");
}

static void test_overflow(void **state)
{
	(void)state;
	make_image(0xfffffffffff00000ull, 0x200000, 0);
	expect_fail(FILE_SIZE, NULL, 0, "text_offset 0xfffffffffff00000 + image_size 0x200000",
		    "overflows");
	/* no overflow in parse, but base + text_offset + image_size wraps */
	make_image(0xffffffffbfe00000ull, 0x100000, 0);
	expect_fail(FILE_SIZE, NULL, 0, "kernel does not fit", "text_offset 0xffffffffbfe00000");
}

static void test_image_size_absurd(void **state)
{
	(void)state;
	make_image(0, RAM_SIZE + 1, 0);
	expect_fail(FILE_SIZE, NULL, 0, "image_size 0x8000001 larger than the RAM region",
		    "0x8000000 bytes");
}

static void test_kernel_does_not_fit(void **state)
{
	(void)state;
	/* fits the region, not below the DTB */
	make_image(0, RAM_SIZE - 2 * MIB + 1, 0);
	expect_fail(FILE_SIZE, NULL, 0, "kernel does not fit", "past the DTB at 0x47e00000");
	make_image(0x7e00000, FILE_SIZE, 0);
	expect_fail(FILE_SIZE, NULL, 0, "kernel does not fit", "text_offset 0x7e00000");
}

static void test_initrd_does_not_fit(void **state)
{
	(void)state;
	/* 0x10000 bytes left between the kernel and the DTB */
	make_image(0, 0x7df0000, 0);
	expect_fail(FILE_SIZE, initrd, sizeof(initrd), "initrd (0x23456 bytes) does not fit",
		    "kernel end 0x47df0000");
	expect_fail(FILE_SIZE, NULL, 5, "initrd of 0x5 bytes without its data", NULL);
}

static void test_bad_ram(void **state)
{
	(void)state;
	ram.regions[0].size = 2 * MIB - 1;
	expect_fail(FILE_SIZE, NULL, 0, "image_size 0x200000 larger than the RAM region", NULL);
	make_image(0, FILE_SIZE, 0);
	expect_fail(FILE_SIZE, NULL, 0, "smaller than the 0x200000 bytes kept for the DTB",
		    "[0x40000000, 0x401fffff)");
	ram.regions[0].gpa = UINT64_MAX - 0x1000;
	ram.regions[0].size = RAM_SIZE;
	expect_fail(FILE_SIZE, NULL, 0, "wraps the address space", NULL);
	ram.regions[0].gpa = RAM_GPA;
	ram.nr = 0;
	expect_fail(FILE_SIZE, NULL, 0, "no guest RAM", NULL);
	ram.nr = 1;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_detect),
		T(test_parse_modern),
		T(test_load),
		T(test_load_text_offset),
		T(test_old_kernel),
		T(test_initrd),
		T(test_initrd_exact_fit),
		T(test_unaligned_region),
		T(test_initrd_32g_window),
		T(test_too_small),
		T(test_bad_magic),
		T(test_big_endian),
		T(test_reserved_flags),
		T(test_image_size_below_file),
		T(test_overflow),
		T(test_image_size_absurd),
		T(test_kernel_does_not_fit),
		T(test_initrd_does_not_fit),
		T(test_bad_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
