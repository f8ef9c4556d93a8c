/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bzImage loader (vmm/boot/bzimage.c) on synthetic images; `test_bzimage KERNEL`
 * runs the real-kernel check instead (tests/linux/run.sh, which builds the kernel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/bzimage.h"

#define MIB	 0x100000ull
#define RAM_SIZE (64 * MIB)
#define PM_SIZE	 0x3000u /* protected-mode part of the synthetic image */

static struct guest_ram ram;
static uint8_t image[0x400 + PM_SIZE]; /* setup_sects 1: 2 sectors, then the kernel */
static char err[256];

static uint64_t rd(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = len; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void wr(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint8_t *gpa(uint64_t addr, uint64_t len)
{
	uint8_t *p = guest_ram_at(&ram, addr, len);

	assert_non_null(p);
	return p;
}

/* A protocol 2.15 64-bit relocatable bzImage header, like a modern kernel's. */
static void make_image(void)
{
	memset(image, 0, sizeof(image));
	image[0x1f1] = 1; /* setup_sects */
	wr(image + 0x1fe, 2, 0xaa55);
	image[0x200] = 0xeb;
	image[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(image + 0x202, "HdrS", 4);
	wr(image + 0x206, 2, 0x020f);
	image[0x211] = 0x01;		  /* LOADED_HIGH */
	wr(image + 0x22c, 4, 0x7fffffff); /* initrd_addr_max */
	wr(image + 0x230, 4, 0x200000);	  /* kernel_alignment */
	image[0x234] = 1;		  /* relocatable */
	wr(image + 0x236, 2, 0x3);	  /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	wr(image + 0x238, 4, 2047);	  /* cmdline_size */
	wr(image + 0x258, 8, 0x1000000);  /* pref_address */
	wr(image + 0x260, 4, 0x800000);	  /* init_size */
	for (unsigned i = 0; i < PM_SIZE; i++)
		image[0x400 + i] = (uint8_t)(i * 7 + 1);
	image[0x26c] = 0x5a; /* past the header: must not reach the zero page */
}

static int setup(void **state)
{
	void *p = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	if (p == MAP_FAILED)
		return -1;
	ram.nr = 1;
	ram.regions[0] = (struct guest_ram_region){ 0, RAM_SIZE, p };
	make_image();
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ram.nr; i++)
		munmap(ram.regions[i].host, ram.regions[i].size);
	ram.nr = 0;
	return 0;
}

static int load(const struct bzimage_args *args, struct bzimage_entry *e)
{
	return bzimage_load(&ram, image, sizeof(image), args, e, err, sizeof(err));
}

static void expect_fail(size_t size, const struct bzimage_args *args, const char *needle)
{
	struct bzimage_entry e;

	assert_int_equal(bzimage_load(&ram, image, size, args, &e, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

/* --- good images ------------------------------------------------------------------------ */

static void test_detect(void **state)
{
	(void)state;
	assert_true(bzimage_detect(image, sizeof(image)));
	assert_false(bzimage_detect(image, 0x205));
	image[0x202] = 'X';
	assert_false(bzimage_detect(image, sizeof(image)));
}

static void test_zero_page(void **state)
{
	static const char cmdline[] = "console=ttyS0 root=/dev/vda";
	struct bzimage_args args = { .cmdline = cmdline, .acpi_rsdp = 0xe0000 };
	struct bzimage_entry e;
	const uint8_t *bp;

	(void)state;
	assert_int_equal(load(&args, &e), 0);
	assert_int_equal(e.protocol, 0x020f);
	/* relocatable and RAM allows: pref_address */
	assert_int_equal(e.load_addr, 0x1000000);
	assert_int_equal(e.entry, 0x1000200);
	assert_int_equal(e.zero_page, BZIMAGE_ZERO_PAGE_GPA);
	assert_int_equal(e.initrd_addr, 0);
	assert_memory_equal(gpa(0x1000000, PM_SIZE), image + 0x400, PM_SIZE);

	bp = gpa(e.zero_page, 0x1000);
	/* the setup header is copied: 0x1f1 .. 0x26c */
	assert_memory_equal(bp + 0x1f1, image + 0x1f1, 0x210 - 0x1f1);
	assert_memory_equal(bp + 0x22c, image + 0x22c, 0x26c - 0x22c);
	assert_int_equal(bp[0x26c], 0);
	assert_int_equal(bp[0x210], 0xff);			  /* type_of_loader */
	assert_int_equal(bp[0x211], 0x81);			  /* LOADED_HIGH | CAN_USE_HEAP */
	assert_int_equal(rd(bp + 0x214, 4), 0x1000000);		  /* code32_start */
	assert_int_equal(rd(bp + 0x218, 4), 0);			  /* ramdisk_image */
	assert_int_equal(rd(bp + 0x21c, 4), 0);			  /* ramdisk_size */
	assert_int_equal(rd(bp + 0x070, 8), 0xe0000);		  /* acpi_rsdp_addr */
	assert_int_equal(rd(bp + 0x228, 4), BZIMAGE_CMDLINE_GPA); /* cmd_line_ptr */
	assert_string_equal((const char *)gpa(BZIMAGE_CMDLINE_GPA, sizeof(cmdline)), cmdline);
}

static void test_e820(void **state)
{
	struct bzimage_args args = { 0 };
	struct bzimage_entry e;
	const uint8_t *t;
	static const uint64_t want[][3] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
		{ 0x100000000ull, 0x200000, 1 },
	};
	void *high =
		mmap(NULL, 0x200000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(high != MAP_FAILED);
	/* regions listed out of order: the map is sorted */
	ram.regions[1] = ram.regions[0];
	ram.regions[0] = (struct guest_ram_region){ 0x100000000ull, 0x200000, high };
	ram.nr = 2;
	assert_int_equal(load(&args, &e), 0);
	t = gpa(e.zero_page, 0x1000);
	assert_int_equal(t[0x1e8], 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(rd(t + 0x2d0 + 20 * i, 8), want[i][0]);
		assert_int_equal(rd(t + 0x2d0 + 20 * i + 8, 8), want[i][1]);
		assert_int_equal(rd(t + 0x2d0 + 20 * i + 16, 4), want[i][2]);
	}
	assert_int_equal(rd(t + 0x2d0 + 20 * 4, 8), 0);
}

static void test_long_mode_tables(void **state)
{
	struct bzimage_args args = { 0 };
	struct bzimage_entry e;
	const uint8_t *pml4, *pdpt, *gdt;

	(void)state;
	assert_int_equal(load(&args, &e), 0);
	assert_int_equal(e.cr3, BZIMAGE_PML4_GPA);
	pml4 = gpa(e.cr3, 0x1000);
	pdpt = gpa(rd(pml4, 8) & ~0xfffull, 0x1000);
	assert_int_equal(rd(pml4, 8) & 0xfff, 0x3);
	assert_int_equal(rd(pml4 + 8, 8), 0);
	for (unsigned d = 0; d < 4; d++) {
		const uint8_t *pd = gpa(rd(pdpt + 8 * d, 8) & ~0xfffull, 0x1000);

		assert_int_equal(rd(pdpt + 8 * d, 8) & 0xfff, 0x3);
		/* first and last 2 MiB pages of each GiB: identity, present, writable, large */
		assert_int_equal(rd(pd, 8), d * 0x40000000ull | 0x83);
		assert_int_equal(rd(pd + 511 * 8, 8), (d * 0x40000000ull + 511 * 0x200000) | 0x83);
	}
	assert_int_equal(rd(pdpt + 32, 8), 0);
	/* the boot protocol's selectors: 0x10 64-bit code (L set, D clear), 0x18 data */
	assert_int_equal(e.gdt_base, BZIMAGE_GDT_GPA);
	assert_int_equal(e.gdt_limit, 31);
	gdt = gpa(e.gdt_base, 32);
	assert_int_equal(rd(gdt + BZIMAGE_BOOT_CS, 8) >> 53 & 3, 1); /* L=1, D=0 */
	assert_int_equal(rd(gdt + BZIMAGE_BOOT_CS, 8) >> 40 & 0xff, 0x9b);
	assert_int_equal(rd(gdt + BZIMAGE_BOOT_DS, 8) >> 40 & 0xff, 0x93);
}

static void test_initrd_high(void **state)
{
	static uint8_t initrd[0x1801];
	struct bzimage_args args = { .initrd = initrd, .initrd_size = sizeof(initrd) };
	struct bzimage_entry e;
	const uint8_t *bp;

	(void)state;
	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	assert_int_equal(load(&args, &e), 0);
	/* highest page-aligned address where it ends inside RAM */
	assert_int_equal(e.initrd_addr, (RAM_SIZE - sizeof(initrd)) & ~0xfffull);
	assert_memory_equal(gpa(e.initrd_addr, sizeof(initrd)), initrd, sizeof(initrd));
	bp = gpa(e.zero_page, 0x1000);
	assert_int_equal(rd(bp + 0x218, 4), e.initrd_addr);
	assert_int_equal(rd(bp + 0x21c, 4), sizeof(initrd));

	/* initrd_addr_max below the end of RAM caps it */
	wr(image + 0x22c, 4, 0x2ffffff);
	assert_int_equal(load(&args, &e), 0);
	assert_int_equal(e.initrd_addr, (0x3000000 - sizeof(initrd)) & ~0xfffull);
}

static void test_initrd_below_kernel(void **state)
{
	static uint8_t initrd[0x100000];
	struct bzimage_args args = { .initrd = initrd, .initrd_size = sizeof(initrd) };
	struct bzimage_entry e;

	(void)state;
	/* the kernel [16 MiB, 24 MiB) fills RAM up to its end: the initrd goes below it */
	teardown(state);
	ram.regions[0].host =
		mmap(NULL, 24 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram.regions[0].host != MAP_FAILED);
	ram.regions[0].size = 24 * MIB;
	ram.nr = 1;
	assert_int_equal(load(&args, &e), 0);
	assert_int_equal(e.load_addr, 0x1000000);
	assert_int_equal(e.initrd_addr, 0x1000000 - sizeof(initrd));
}

static void test_low_load_when_pref_does_not_fit(void **state)
{
	struct bzimage_args args = { 0 };
	struct bzimage_entry e;

	(void)state;
	wr(image + 0x258, 8, 0x10000000); /* 256 MiB: outside the 64 MiB of RAM */
	assert_int_equal(load(&args, &e), 0);
	assert_int_equal(e.load_addr, 0x100000);
	assert_int_equal(e.entry, 0x100200);
	assert_memory_equal(gpa(0x100000, PM_SIZE), image + 0x400, PM_SIZE);
}

/* --- errors ----------------------------------------------------------------------------- */

static void test_errors(void **state)
{
	static uint8_t big[RAM_SIZE];
	struct bzimage_args none = { 0 };
	struct bzimage_args huge = { .initrd = big, .initrd_size = sizeof(big) };
	char line[3000];

	(void)state;
	expect_fail(0x100, &none, "too small");
	make_image();
	expect_fail(0x400, &none, "truncated"); /* nothing after the setup sectors */
	image[0x1f1] = 0;			/* 0 means 4 setup sectors: past the end */
	expect_fail(0x900, &none, "truncated");
	make_image();
	image[0x203] = 'x';
	expect_fail(sizeof(image), &none, "HdrS");
	make_image();
	wr(image + 0x206, 2, 0x0205);
	expect_fail(sizeof(image), &none, "too old");
	make_image();
	wr(image + 0x236, 2, 0x2); /* above 4G, but no 64-bit entry */
	expect_fail(sizeof(image), &none, "64-bit");
	make_image();
	wr(image + 0x206, 2, 0x020b); /* before xloadflags existed */
	expect_fail(sizeof(image), &none, "64-bit");
	make_image();
	expect_fail(sizeof(image), &huge, "initrd");
	make_image();
	wr(image + 0x1f1, 1, 1);
	wr(image + 0x260, 4, 0x8000000); /* init_size 128 MiB in 64 MiB of RAM */
	wr(image + 0x258, 8, 0x1000000);
	expect_fail(sizeof(image), &none, "does not fit");
	make_image();
	image[0x234] = 0; /* not relocatable, pref_address outside RAM */
	wr(image + 0x258, 8, 0x10000000);
	expect_fail(sizeof(image), &none, "does not fit");
	make_image();
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	none.cmdline = line;
	expect_fail(sizeof(image), &none, "command line");
	/* no low RAM */
	make_image();
	none.cmdline = NULL;
	ram.regions[0].gpa = 0x100000;
	expect_fail(sizeof(image), &none, "1 MiB");
	ram.regions[0].gpa = 0;
}

/* --- a kernel file: the synthetic image in the unit run, the real kernel from tests/linux --- */

/* Reads a whole file; fails the test loudly when it cannot. */
static uint8_t *read_kernel(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *k;
	long n;

	if (!f)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0x1000);
	rewind(f);
	k = malloc((size_t)n);
	assert_non_null(k);
	assert_int_equal(fread(k, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return k;
}

/* Loads the kernel in `path` into 512 MiB of RAM the way axvm does and checks where it went. */
static void check_kernel_file(void **state, const char *path)
{
	struct bzimage_args args = { .cmdline = "console=ttyS0" };
	struct bzimage_entry e;
	size_t size, pm_off;
	uint8_t *k = read_kernel(path, &size);

	teardown(state);
	ram.regions[0].host =
		mmap(NULL, 512 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram.regions[0].host != MAP_FAILED);
	ram.regions[0].gpa = 0;
	ram.regions[0].size = 512 * MIB;
	ram.nr = 1;

	assert_true(bzimage_detect(k, size));
	if (bzimage_load(&ram, k, size, &args, &e, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	assert_true(e.protocol >= 0x020c);
	assert_true(rd(k + 0x236, 2) & 1);
	assert_int_equal(e.load_addr, rd(k + 0x258, 8)); /* relocatable: pref_address */
	assert_int_equal(e.entry, e.load_addr + 0x200);
	pm_off = ((size_t)(k[0x1f1] ? k[0x1f1] : 4) + 1) * 512;
	assert_memory_equal(gpa(e.load_addr, 4096), k + pm_off, 4096);
	assert_int_equal(gpa(e.zero_page, 0x1000)[0x210], 0xff);
	free(k);
}

/* The unit run: the synthetic 2.15 image, written to a file, through the same checks. */
static void test_kernel_file(void **state)
{
	char path[] = "/tmp/axvm-bzimage-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(image, 1, sizeof(image), f), sizeof(image));
	assert_int_equal(fclose(f), 0);
	check_kernel_file(state, path);
	assert_int_equal(unlink(path), 0);
}

/*
 * `test_bzimage KERNEL`: only the real kernel (tests/linux/run.sh passes the one
 * tools/build-linux-guest.sh built). A unit run never looks for it, so it can
 * neither skip nor pass without having loaded it.
 */
static const char *real_kernel;

static void test_real_kernel(void **state)
{
	check_kernel_file(state, real_kernel);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest real[] = {
		cmocka_unit_test_setup_teardown(test_real_kernel, setup, teardown),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e820, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_mode_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_below_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_load_when_pref_does_not_fit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_file, setup, teardown),
	};

	if (argc > 2) {
		fprintf(stderr, "usage: %s [KERNEL]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		real_kernel = argv[1];
		return cmocka_run_group_tests_name("real kernel", real, NULL, NULL);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
