/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the arm64 Image loader (vmm/boot/arm64_image.c). Input: 8
 * bytes of setup (region placement and size, an optional second region,
 * the initrd size), then the Image file. The RAM is malloc'd and filled
 * with a pattern. Invariants: no crash; a failure leaves a NUL-terminated
 * reason and RAM unwritten; a success puts the kernel at the 2 MiB aligned
 * base of the lowest region + text_offset, kernel_end <= initrd < DTB,
 * everything inside the region, the file and initrd bytes exactly where the
 * layout says, and every other byte of RAM as it was.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "arch/arm64/fdt.h"
#include "boot/arm64_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILL	   0xa5
#define MIB	   0x100000ull
#define PAGE	   0x1000ull
#define SMALL_SIZE 0x10000ull
#define MAX_RAM	   (MIB + 1536 * PAGE)

static uint8_t fill[8 * MIB];

/* RAM host[from, to) still holds the pattern. */
static bool untouched(const uint8_t *host, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t n = to - from < sizeof(fill) ? to - from : sizeof(fill);

		if (memcmp(host + from, fill, n) != 0)
			return false;
		from += n;
	}
	return true;
}

/* Region bases: aligned, unaligned, 0, high, and ends that reach or wrap 2^64. */
static const uint64_t bases[8] = {
	0x40000000ull,	       0,
	0x40100000ull,	       0x40000003ull,
	0x80001000ull,	       0xfffffffffe000000ull,
	0xffffffffffc00000ull, 0xffffffffffffe000ull,
};

static void check_success(const struct guest_ram_region *r, const uint8_t *image, size_t size,
			  const uint8_t *initrd, size_t initrd_size,
			  const struct arm64_image_layout *l)
{
	struct arm64_image_header h;
	char why[256];
	uint64_t base = (r->gpa + ARM64_IMAGE_ALIGN - 1) & ~(uint64_t)(ARM64_IMAGE_ALIGN - 1);
	uint64_t end = r->gpa + r->size, k, i;

	FUZZ_CHECK(arm64_image_parse(image, size, &h, why, sizeof(why)) == 0);
	FUZZ_CHECK(h.image_size >= size);
	FUZZ_CHECK(r->size <= UINT64_MAX - r->gpa);
	FUZZ_CHECK(base >= r->gpa);
	FUZZ_CHECK(l->kernel_gpa == base + h.text_offset);
	FUZZ_CHECK((l->kernel_gpa - h.text_offset) % ARM64_IMAGE_ALIGN == 0);
	FUZZ_CHECK(l->kernel_end == l->kernel_gpa + h.image_size);
	FUZZ_CHECK(l->kernel_end > l->kernel_gpa);
	FUZZ_CHECK(l->dtb_gpa % 8 == 0);
	FUZZ_CHECK(l->dtb_gpa >= r->gpa && l->dtb_gpa + ARM64_FDT_MAX <= end);
	FUZZ_CHECK(end - (l->dtb_gpa + ARM64_FDT_MAX) < 8); /* the last 2 MiB */
	FUZZ_CHECK(l->kernel_end <= l->dtb_gpa);
	if (initrd_size) {
		FUZZ_CHECK(l->initrd_size == initrd_size);
		FUZZ_CHECK(l->initrd_gpa % PAGE == 0);
		FUZZ_CHECK(l->kernel_end <= l->initrd_gpa);
		FUZZ_CHECK(l->initrd_gpa < l->dtb_gpa);
		FUZZ_CHECK(l->initrd_gpa + initrd_size <= l->dtb_gpa);
	} else {
		FUZZ_CHECK(l->initrd_gpa == 0 && l->initrd_size == 0);
	}
	/* the bytes: the file at the kernel, the initrd at its place, nothing else */
	k = l->kernel_gpa - r->gpa;
	FUZZ_CHECK(memcmp(r->host + k, image, size) == 0);
	if (initrd_size) {
		i = l->initrd_gpa - r->gpa;
		FUZZ_CHECK(memcmp(r->host + i, initrd, initrd_size) == 0);
		FUZZ_CHECK(untouched(r->host, 0, k));
		FUZZ_CHECK(untouched(r->host, k + size, i));
		FUZZ_CHECK(untouched(r->host, i + initrd_size, r->size));
	} else {
		FUZZ_CHECK(untouched(r->host, 0, k));
		FUZZ_CHECK(untouched(r->host, k + size, r->size));
	}
}

/*
 * Buffers made once (filling megabytes every run made the target crawl):
 * the region and the initrd sit at the end of theirs, so ASan still catches
 * any access past their ends; after each run the loader's writes are undone.
 */
static uint8_t *ram_buf, *initrd_buf;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t mode = fin_u8(&in), *image, *initrd = NULL;
	struct guest_ram ram = { .nr = 1 };
	struct guest_ram_region *low;
	struct arm64_image_layout l;
	uint64_t gpa = bases[fin_u8(&in) & 7];
	/* 1 MiB .. 7 MiB, page multiples or not */
	uint16_t sz = fin_u16(&in);
	uint64_t ram_size =
		MIB + (uint64_t)(sz % 1536) * PAGE - ((sz & 0x8000) ? (sz >> 12 & 7) : 0);
	size_t initrd_size = fin_u32(&in) % (ram_size + PAGE);
	size_t image_size = in.n;
	char why[256];
	int rc;

	if (!ram_buf) {
		memset(fill, FILL, sizeof(fill));
		ram_buf = malloc(MAX_RAM);
		initrd_buf = malloc(MAX_RAM);
		FUZZ_CHECK(ram_buf && initrd_buf);
		memset(ram_buf, FILL, MAX_RAM);
		for (size_t j = 0; j < MAX_RAM; j++)
			initrd_buf[j] = (uint8_t)(j * 31 + 7);
	}
	/* an exact-size copy: ASan catches a read past it */
	image = malloc(image_size ? image_size : 1);
	FUZZ_CHECK(image != NULL);
	if (image_size)
		memcpy(image, in.p, image_size);
	if (mode & 4)
		initrd = initrd_buf + MAX_RAM - initrd_size;
	else
		initrd_size = 0;
	ram.regions[0] = (struct guest_ram_region){ gpa, ram_size, ram_buf + MAX_RAM - ram_size };
	if (mode & 1) {
		/* a small second region, above the first or (mode & 2) below it */
		uint64_t g = (mode & 2) ? gpa - 0x200000 : gpa + 0x10000000;

		ram.regions[1] = (struct guest_ram_region){ g, SMALL_SIZE, ram_buf };
		ram.nr = 2;
	}
	low = &ram.regions[0];
	if (ram.nr == 2 && ram.regions[1].gpa < low->gpa)
		low = &ram.regions[1];

	memset(why, 0x5a, sizeof(why));
	memset(&l, 0x77, sizeof(l));
	rc = arm64_image_load(&ram, image, image_size, initrd, initrd_size, &l, why, sizeof(why));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc) {
		FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		FUZZ_CHECK(untouched(ram_buf, 0, MAX_RAM));
	} else {
		FUZZ_CHECK(low == &ram.regions[0]); /* the small one cannot hold the DTB */
		check_success(low, image, image_size, initrd, initrd_size, &l);
		/* below the region, with the small one */
		FUZZ_CHECK(untouched(ram_buf, 0, MAX_RAM - ram_size));
		memset(low->host + (l.kernel_gpa - low->gpa), FILL, image_size);
		if (initrd_size)
			memset(low->host + (l.initrd_gpa - low->gpa), FILL, initrd_size);
	}
	free(image);
	return 0;
}
