/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arm64 Linux Image boot protocol (Linux Documentation/arch/arm64/
 * booting.rst): a 64-byte header at offset 0
 *
 *   0x00 code0, 0x04 code1, 0x08 text_offset (LE64), 0x10 image_size (LE64),
 *   0x18 flags (LE64), 0x20 res2, 0x28 res3, 0x30 res4, 0x38 magic
 *   "ARM\x64" (0x644d5241 LE32), 0x3c res5 (PE header offset)
 *
 * flags: bit 0 big-endian kernel (refused: we boot little-endian only),
 * bits 1-2 page size (0 unspecified, 1 4K, 2 16K, 3 64K: all accepted),
 * bit 3 physical placement (0: the 2 MiB aligned base as close as possible
 * to the start of DRAM; 1: all image_size bytes within 48 bits of physical
 * address space; we place at the lowest region's base, which satisfies
 * both while RAM lies below 2^48), bits 4-63 reserved (must be 0).
 * text_offset: the Image goes text_offset bytes above a 2 MiB aligned base;
 * booting.rst sets no bound or alignment on it (only overflow is refused).
 * image_size 0 means an old kernel (< 3.17): text_offset is then assumed
 * 0x80000 (its byte order was unspecified) and the size is the file's.
 * image_size smaller than the file is refused.
 *
 * Placement in the lowest RAM region: the kernel at the region's base
 * rounded up to 2 MiB, plus text_offset; the DTB in the last 2 MiB of that
 * region (at the region end - ARM64_FDT_MAX, rounded down to 8 bytes:
 * booting.rst wants it 8-byte aligned and at most 2 MiB); the initrd just
 * below the DTB, page aligned, but never above the 1 GiB aligned 32 GiB
 * window that starts below the kernel (booting.rst: the initrd must lie in
 * such a window with the kernel). Everything must fit without overlap
 * (the kernel's image_size, which covers its BSS, counts). Only the file's
 * bytes are copied: the kernel clears its own BSS.
 * Entry: PC = the kernel's first byte, X0 = DTB, X1..X3 = 0, EL1h with DAIF
 * masked, MMU and caches off (the accelerator's start state).
 */
#ifndef AXVM_BOOT_ARM64_IMAGE_H
#define AXVM_BOOT_ARM64_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_ram.h"

#define ARM64_IMAGE_MAGIC	    0x644d5241u
#define ARM64_IMAGE_HEADER_SIZE	    64u
#define ARM64_IMAGE_ALIGN	    (2u << 20)
#define ARM64_IMAGE_OLD_TEXT_OFFSET 0x80000u

struct arm64_image_header {
	uint64_t text_offset;
	uint64_t image_size; /* as loaded: the header's, or the file size for an old kernel */
	uint64_t flags;
};

/* Does it start with an arm64 Image header (the magic at 0x38)? */
bool arm64_image_detect(const uint8_t *image, size_t size);

/* Header checks; -1 with why ("image_size 0x... smaller than the file (0x...)"). */
int arm64_image_parse(const uint8_t *image, size_t size, struct arm64_image_header *h, char *why,
		      size_t why_len);

struct arm64_image_layout {
	uint64_t kernel_gpa;		  /* = entry */
	uint64_t kernel_end;		  /* kernel_gpa + image_size */
	uint64_t initrd_gpa, initrd_size; /* 0, 0: none */
	uint64_t dtb_gpa;		  /* room for ARM64_FDT_MAX bytes */
};

/*
 * Parses, places and copies the kernel (and the initrd, if initrd_size) into
 * RAM; the caller then writes the DTB at layout->dtb_gpa. -1 with why.
 */
int arm64_image_load(struct guest_ram *ram, const uint8_t *image, size_t size,
		     const uint8_t *initrd, size_t initrd_size, struct arm64_image_layout *layout,
		     char *why, size_t why_len);

#endif
