/* SPDX-License-Identifier: Apache-2.0 */
#include "boot/arm64_image.h"

#include "arch/arm64/fdt.h"
#include "le.h"

#include <stdio.h>
#include <string.h>

#define HDR_TEXT_OFFSET 0x08u
#define HDR_IMAGE_SIZE	0x10u
#define HDR_FLAGS	0x18u
#define HDR_MAGIC	0x38u

#define FLAG_BE	      0x1ull
#define FLAGS_DEFINED 0xfull /* bits 0-3: endianness, page size, placement */

#define PAGE_SIZE 0x1000ull
#define GIB	  0x40000000ull
#define INITRD_SPAN                                                                                \
	(32 * GIB) /* booting.rst: kernel and initrd in one 1 GiB aligned 32 GiB window */

bool arm64_image_detect(const uint8_t *image, size_t size)
{
	return size >= ARM64_IMAGE_HEADER_SIZE &&
	       le_load(image + HDR_MAGIC, 4) == ARM64_IMAGE_MAGIC;
}

int arm64_image_parse(const uint8_t *image, size_t size, struct arm64_image_header *h, char *why,
		      size_t why_len)
{
	uint64_t magic, text_offset, image_size, flags;

	if (size < ARM64_IMAGE_HEADER_SIZE) {
		snprintf(why, why_len,
			 "image too small for an arm64 Image header (%zu bytes, %u needed)", size,
			 ARM64_IMAGE_HEADER_SIZE);
		return -1;
	}
	magic = le_load(image + HDR_MAGIC, 4);
	if (magic != ARM64_IMAGE_MAGIC) {
		snprintf(why, why_len, "not an arm64 Image: magic 0x%08llx at 0x38, not 0x%08x",
			 (unsigned long long)magic, ARM64_IMAGE_MAGIC);
		return -1;
	}
	text_offset = le_load(image + HDR_TEXT_OFFSET, 8);
	image_size = le_load(image + HDR_IMAGE_SIZE, 8);
	flags = le_load(image + HDR_FLAGS, 8);
	if (flags & FLAG_BE) {
		snprintf(why, why_len,
			 "flags 0x%llx: bit 0 says big-endian kernel, only little-endian boots",
			 (unsigned long long)flags);
		return -1;
	}
	if (flags & ~FLAGS_DEFINED) {
		snprintf(why, why_len, "flags 0x%llx: reserved bits 4-63 set (0x%llx)",
			 (unsigned long long)flags, (unsigned long long)(flags & ~FLAGS_DEFINED));
		return -1;
	}
	if (image_size == 0) {
		/* pre-3.17: text_offset's byte order was unspecified; the doc says assume 0x80000
		 */
		text_offset = ARM64_IMAGE_OLD_TEXT_OFFSET;
		image_size = size;
	} else if (image_size < size) {
		snprintf(why, why_len, "image_size 0x%llx smaller than the file (0x%zx bytes)",
			 (unsigned long long)image_size, size);
		return -1;
	}
	/* booting.rst sets no bound or alignment on text_offset: only the sum must not wrap */
	if (text_offset > UINT64_MAX - image_size) {
		snprintf(why, why_len, "text_offset 0x%llx + image_size 0x%llx overflows 64 bits",
			 (unsigned long long)text_offset, (unsigned long long)image_size);
		return -1;
	}
	h->text_offset = text_offset;
	h->image_size = image_size;
	h->flags = flags;
	return 0;
}

static const struct guest_ram_region *lowest_region(const struct guest_ram *ram)
{
	const struct guest_ram_region *low = NULL;

	for (unsigned i = 0; i < ram->nr; i++)
		if (!low || ram->regions[i].gpa < low->gpa)
			low = &ram->regions[i];
	return low;
}

/* Where the kernel and the DTB go in region r; every sum checked (hostile header, odd RAM). */
static int place(const struct guest_ram_region *r, const struct arm64_image_header *h,
		 struct arm64_image_layout *l, char *why, size_t why_len)
{
	uint64_t end, base;

	if (r->size > UINT64_MAX - r->gpa) {
		snprintf(why, why_len,
			 "RAM region at 0x%llx (0x%llx bytes) wraps the address space",
			 (unsigned long long)r->gpa, (unsigned long long)r->size);
		return -1;
	}
	end = r->gpa + r->size;
	if (h->image_size > r->size) {
		snprintf(why, why_len,
			 "image_size 0x%llx larger than the RAM region [0x%llx, 0x%llx) (0x%llx "
			 "bytes)",
			 (unsigned long long)h->image_size, (unsigned long long)r->gpa,
			 (unsigned long long)end, (unsigned long long)r->size);
		return -1;
	}
	if (r->size < ARM64_FDT_MAX) {
		snprintf(why, why_len,
			 "RAM region [0x%llx, 0x%llx) smaller than the 0x%x bytes kept for the DTB",
			 (unsigned long long)r->gpa, (unsigned long long)end, ARM64_FDT_MAX);
		return -1;
	}
	l->dtb_gpa = (end - ARM64_FDT_MAX) & ~7ull; /* booting.rst: 8-byte aligned */
	if (l->dtb_gpa < r->gpa) {
		snprintf(why, why_len,
			 "no 8-byte aligned DTB room at the end of RAM [0x%llx, 0x%llx)",
			 (unsigned long long)r->gpa, (unsigned long long)end);
		return -1;
	}
	if (r->gpa > UINT64_MAX - (ARM64_IMAGE_ALIGN - 1)) {
		snprintf(why, why_len, "no 2 MiB aligned base in RAM [0x%llx, 0x%llx)",
			 (unsigned long long)r->gpa, (unsigned long long)end);
		return -1;
	}
	base = (r->gpa + ARM64_IMAGE_ALIGN - 1) & ~(uint64_t)(ARM64_IMAGE_ALIGN - 1);
	/* text_offset + image_size does not wrap (parse), the whole sum may */
	if (h->text_offset + h->image_size > UINT64_MAX - base ||
	    base + h->text_offset + h->image_size > l->dtb_gpa) {
		snprintf(why, why_len,
			 "kernel does not fit: 2 MiB base 0x%llx + text_offset 0x%llx + image_size "
			 "0x%llx goes past the DTB at 0x%llx (RAM [0x%llx, 0x%llx))",
			 (unsigned long long)base, (unsigned long long)h->text_offset,
			 (unsigned long long)h->image_size, (unsigned long long)l->dtb_gpa,
			 (unsigned long long)r->gpa, (unsigned long long)end);
		return -1;
	}
	l->kernel_gpa = base + h->text_offset;
	l->kernel_end = l->kernel_gpa + h->image_size;
	return 0;
}

/* The initrd as high as it can go: below the DTB and inside the kernel's 32 GiB window. */
static int place_initrd(struct arm64_image_layout *l, uint64_t size, char *why, size_t why_len)
{
	uint64_t window = l->kernel_gpa & ~(GIB - 1);
	uint64_t top = l->dtb_gpa;

	if (window <= UINT64_MAX - INITRD_SPAN && window + INITRD_SPAN < top)
		top = window + INITRD_SPAN;
	if (size > top || ((top - size) & ~(PAGE_SIZE - 1)) < l->kernel_end) {
		snprintf(why, why_len,
			 "initrd (0x%llx bytes) does not fit between the kernel end 0x%llx and "
			 "0x%llx (%s)",
			 (unsigned long long)size, (unsigned long long)l->kernel_end,
			 (unsigned long long)top,
			 top == l->dtb_gpa ? "the DTB" : "the end of the kernel's 32 GiB window");
		return -1;
	}
	l->initrd_gpa = (top - size) & ~(PAGE_SIZE - 1);
	l->initrd_size = size;
	return 0;
}

int arm64_image_load(struct guest_ram *ram, const uint8_t *image, size_t size,
		     const uint8_t *initrd, size_t initrd_size, struct arm64_image_layout *layout,
		     char *why, size_t why_len)
{
	struct arm64_image_header h;
	struct arm64_image_layout l = { 0 };
	const struct guest_ram_region *r = lowest_region(ram);
	uint8_t *kdst, *idst = NULL;

	if (arm64_image_parse(image, size, &h, why, why_len))
		return -1;
	if (!r) {
		snprintf(why, why_len, "no guest RAM to load the kernel into");
		return -1;
	}
	if (initrd_size && !initrd) {
		snprintf(why, why_len, "initrd of 0x%zx bytes without its data", initrd_size);
		return -1;
	}
	if (place(r, &h, &l, why, why_len))
		return -1;
	if (initrd_size && place_initrd(&l, initrd_size, why, why_len))
		return -1;
	/* every check is done before the first byte is written: a failed load leaves RAM as it was
	 */
	kdst = guest_ram_at(ram, l.kernel_gpa, h.image_size);
	if (initrd_size)
		idst = guest_ram_at(ram, l.initrd_gpa, initrd_size);
	if (!kdst || (initrd_size && !idst) || !guest_ram_at(ram, l.dtb_gpa, ARM64_FDT_MAX)) {
		snprintf(why, why_len,
			 "kernel 0x%llx, initrd 0x%llx or DTB 0x%llx not in guest RAM",
			 (unsigned long long)l.kernel_gpa, (unsigned long long)l.initrd_gpa,
			 (unsigned long long)l.dtb_gpa);
		return -1;
	}
	/* the file only: the kernel clears its own BSS (the rest of image_size) */
	memcpy(kdst, image, size);
	if (initrd_size)
		memcpy(idst, initrd, initrd_size);
	*layout = l;
	return 0;
}
