/* SPDX-License-Identifier: Apache-2.0 */
#include "boot/bzimage.h"

#include "le.h"

#include <stdio.h>
#include <string.h>

/* Offsets in the image's first sector and in struct boot_params (the same for the header). */
#define BP_ACPI_RSDP_ADDR  0x070u /* u64, protocol 2.14+ */
#define BP_E820_ENTRIES	   0x1e8u /* u8 */
#define BP_SENTINEL	   0x1efu
#define HDR_START	   0x1f1u /* struct setup_header */
#define HDR_SETUP_SECTS	   0x1f1u /* u8, 0 means 4 */
#define HDR_BOOT_FLAG	   0x1feu /* u16 0xaa55 */
#define HDR_JUMP	   0x200u /* u16: a short jump; its byte at 0x201 sizes the header */
#define HDR_MAGIC	   0x202u /* "HdrS" */
#define HDR_VERSION	   0x206u /* u16 */
#define HDR_TYPE_OF_LOADER 0x210u /* u8 */
#define HDR_LOADFLAGS	   0x211u /* u8 */
#define HDR_CODE32_START   0x214u /* u32 */
#define HDR_RAMDISK_IMAGE  0x218u /* u32 */
#define HDR_RAMDISK_SIZE   0x21cu /* u32 */
#define HDR_HEAP_END_PTR   0x224u /* u16 */
#define HDR_CMD_LINE_PTR   0x228u /* u32 */
#define HDR_INITRD_MAX	   0x22cu /* u32, 2.03+ */
#define HDR_RELOCATABLE	   0x234u /* u8, 2.05+ */
#define HDR_XLOADFLAGS	   0x236u /* u16, 2.12+ */
#define HDR_CMDLINE_SIZE   0x238u /* u32, 2.06+ */
#define HDR_PREF_ADDRESS   0x258u /* u64, 2.10+ */
#define HDR_INIT_SIZE	   0x260u /* u32, 2.10+ */
#define HDR_END_MAX	   0x290u /* where struct boot_params' header area ends */
#define BP_E820_TABLE	   0x2d0u /* 128 entries of 20 bytes */
#define BP_E820_MAX	   128u
#define BP_SIZE		   0x1000u

#define LOADFLAG_CAN_USE_HEAP 0x80u
#define XLF_KERNEL_64	      0x0001u
#define LOADER_UNDEFINED      0xffu /* type_of_loader: no assigned id */
#define LOW_KERNEL_ADDR	      0x100000u

#define PAGE_SIZE 0x1000u
#define GIB	  0x40000000ull

bool bzimage_detect(const uint8_t *image, size_t size)
{
	return size >= HDR_MAGIC + 4 && memcmp(image + HDR_MAGIC, "HdrS", 4) == 0;
}

/* --- e820 ---------------------------------------------------------------------------- */

struct e820 {
	uint64_t addr, size;
	uint32_t type;
};

static void e820_add(struct e820 *t, unsigned *n, uint64_t lo, uint64_t hi, uint32_t type)
{
	unsigned i = *n;

	if (hi <= lo)
		return;
	/* insertion in address order; regions never overlap (the config checks it) */
	while (i > 0 && t[i - 1].addr > lo) {
		t[i] = t[i - 1];
		i--;
	}
	t[i] = (struct e820){ lo, hi - lo, type };
	(*n)++;
}

/* RAM regions with the BIOS area carved out, plus the reserved BIOS area itself. */
static unsigned build_e820(const struct guest_ram *ram, struct e820 *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ram->nr; i++) {
		uint64_t lo = ram->regions[i].gpa, hi = lo + ram->regions[i].size;

		e820_add(t, &n, lo, hi < BZIMAGE_RESERVED_LO ? hi : BZIMAGE_RESERVED_LO, E820_RAM);
		e820_add(t, &n, lo > BZIMAGE_RESERVED_HI ? lo : BZIMAGE_RESERVED_HI, hi, E820_RAM);
	}
	e820_add(t, &n, BZIMAGE_RESERVED_LO, BZIMAGE_RESERVED_HI, E820_RESERVED);
	return n;
}

/* --- long mode ------------------------------------------------------------------------- */

static int write_long_mode(const struct guest_ram *ram, struct bzimage_entry *out)
{
	/* null, null, 0x10 code: 64-bit, present, ring 0, exec/read; 0x18 data: flat 4 GiB r/w */
	static const uint64_t gdt[] = { 0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
	uint8_t *g = guest_ram_at(ram, BZIMAGE_GDT_GPA, sizeof(gdt));
	uint8_t *pt = guest_ram_at(ram, BZIMAGE_PML4_GPA, 6 * PAGE_SIZE);

	if (!g || !pt)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		le_store(g + 8 * i, 8, gdt[i]);
	memset(pt, 0, 6 * PAGE_SIZE);
	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; each PD entry a 2 MiB page (P|RW|PS) */
	le_store(pt, 8, (BZIMAGE_PML4_GPA + PAGE_SIZE) | 0x3);
	for (unsigned d = 0; d < 4; d++) {
		uint64_t pd = BZIMAGE_PML4_GPA + (2 + d) * PAGE_SIZE;

		le_store(pt + PAGE_SIZE + 8 * d, 8, pd | 0x3);
		for (unsigned e = 0; e < 512; e++)
			le_store(pt + (2 + d) * PAGE_SIZE + 8 * e, 8,
				 ((uint64_t)d * GIB + (uint64_t)e * 0x200000) | 0x83);
	}
	out->cr3 = BZIMAGE_PML4_GPA;
	out->gdt_base = BZIMAGE_GDT_GPA;
	out->gdt_limit = sizeof(gdt) - 1;
	return 0;
}

/* --- initrd ---------------------------------------------------------------------------- */

/*
 * The highest page-aligned address where the initrd fits in one RAM entry,
 * below max_end (exclusive) and not overlapping the kernel's [klo, khi). 0: none.
 */
static uint64_t place_initrd(const struct e820 *t, unsigned n, uint64_t size, uint64_t max_end,
			     uint64_t klo, uint64_t khi)
{
	uint64_t best = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t lo = t[i].addr, hi = t[i].addr + t[i].size, top, at;

		if (t[i].type != E820_RAM || lo < BZIMAGE_RESERVED_HI)
			continue;
		top = hi < max_end ? hi : max_end;
		if (top > klo && lo < khi && top > khi && top - khi >= size)
			lo = khi; /* above the kernel */
		else if (top > klo && lo < khi)
			top = klo; /* below the kernel */
		if (top < lo || top - lo < size)
			continue;
		at = (top - size) & ~(uint64_t)(PAGE_SIZE - 1);
		if (at >= lo && at > best)
			best = at;
	}
	return best;
}

/* --- the image ------------------------------------------------------------------------- */

static int check_header(const uint8_t *image, size_t size, uint16_t *version, char *err,
			size_t err_len)
{
	if (size < HDR_END_MAX) {
		snprintf(err, err_len, "image too small for a bzImage (%zu bytes)", size);
		return -1;
	}
	if (!bzimage_detect(image, size)) {
		snprintf(err, err_len, "not a bzImage (no \"HdrS\" at 0x202)");
		return -1;
	}
	*version = (uint16_t)le_load(image + HDR_VERSION, 2);
	if (*version < BZIMAGE_MIN_PROTOCOL) {
		snprintf(err, err_len, "boot protocol %u.%02u is too old (2.06 or later needed)",
			 (unsigned)(*version >> 8), (unsigned)(*version & 0xffu));
		return -1;
	}
	if (*version < 0x020c || !(le_load(image + HDR_XLOADFLAGS, 2) & XLF_KERNEL_64)) {
		snprintf(err, err_len,
			 "the kernel has no 64-bit entry point (xloadflags "
			 "XLF_KERNEL_64 unset): not a 64-bit bzImage");
		return -1;
	}
	return 0;
}

static int load_kernel(const struct guest_ram *ram, const uint8_t *image, size_t size,
		       uint16_t version, uint64_t *load, uint64_t *kend, char *err, size_t err_len)
{
	unsigned setup_sects = image[HDR_SETUP_SECTS] ? image[HDR_SETUP_SECTS] : 4;
	size_t pm_off = (size_t)(setup_sects + 1) * 512;
	size_t pm_size;
	uint64_t need, pref = 0;
	uint8_t *dst;

	if (pm_off >= size) {
		snprintf(err, err_len,
			 "image truncated: %u setup sectors but only %zu bytes in the file",
			 setup_sects, size);
		return -1;
	}
	pm_size = size - pm_off;
	need = pm_size;
	if (version >= 0x020a) {
		pref = le_load(image + HDR_PREF_ADDRESS, 8);
		if (le_load(image + HDR_INIT_SIZE, 4) > need)
			need = le_load(image + HDR_INIT_SIZE, 4);
	}
	/* a relocatable kernel goes to pref_address when RAM allows, else to 1 MiB */
	if (pref && guest_ram_at(ram, pref, need))
		*load = pref;
	else if (pref && !image[HDR_RELOCATABLE])
		*load = pref; /* fails below: it can run nowhere else */
	else
		*load = LOW_KERNEL_ADDR;
	dst = guest_ram_at(ram, *load, need);
	if (!dst) {
		snprintf(err, err_len,
			 "kernel does not fit in guest RAM: [0x%llx, +0x%llx) (init_size) is not "
			 "RAM",
			 (unsigned long long)*load, (unsigned long long)need);
		return -1;
	}
	memcpy(dst, image + pm_off, pm_size);
	*kend = *load + need;
	return 0;
}

static int write_cmdline(const struct guest_ram *ram, const uint8_t *image, const char *cmdline,
			 char *err, size_t err_len)
{
	size_t len = strlen(cmdline);
	uint64_t max = le_load(image + HDR_CMDLINE_SIZE, 4); /* without the NUL */
	char *dst;

	if (max > BZIMAGE_CMDLINE_MAX - 1)
		max = BZIMAGE_CMDLINE_MAX - 1;
	if (len > max) {
		snprintf(err, err_len, "command line is %zu bytes, the kernel takes at most %llu",
			 len, (unsigned long long)max);
		return -1;
	}
	dst = guest_ram_at(ram, BZIMAGE_CMDLINE_GPA, len + 1);
	if (!dst) {
		snprintf(err, err_len, "no guest RAM at 0x%x for the command line",
			 BZIMAGE_CMDLINE_GPA);
		return -1;
	}
	memcpy(dst, cmdline, len + 1);
	return 0;
}

static int load_initrd(const struct guest_ram *ram, const uint8_t *image, uint16_t version,
		       const struct bzimage_args *args, const struct e820 *t, unsigned n,
		       uint64_t klo, uint64_t khi, uint64_t *at, char *err, size_t err_len)
{
	uint64_t max_end = version >= 0x0203 ? le_load(image + HDR_INITRD_MAX, 4) + 1 : 0x38000000;
	uint8_t *dst;

	if (max_end > 4 * GIB)
		max_end = 4 * GIB; /* ramdisk_image is 32 bits */
	*at = 0;
	if (!args->initrd || args->initrd_size == 0)
		return 0;
	*at = place_initrd(t, n, args->initrd_size, max_end, klo, khi);
	dst = *at ? guest_ram_at(ram, *at, args->initrd_size) : NULL;
	if (!dst) {
		snprintf(err, err_len,
			 "initrd (%zu bytes) does not fit in guest RAM above 1 MiB, below 0x%llx "
			 "(initrd_addr_max) and outside the kernel",
			 args->initrd_size, (unsigned long long)max_end);
		return -1;
	}
	memcpy(dst, args->initrd, args->initrd_size);
	return 0;
}

static void write_zero_page(uint8_t *bp, const uint8_t *image, const struct bzimage_entry *e,
			    uint64_t initrd_size, uint64_t rsdp, const struct e820 *t, unsigned n)
{
	size_t hdr_end = HDR_JUMP + 2 + image[HDR_JUMP + 1];

	if (hdr_end > HDR_END_MAX)
		hdr_end = HDR_END_MAX;
	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_START, image + HDR_START, hdr_end - HDR_START);
	bp[BP_SENTINEL] = 0;
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	/* the heap only matters to the real-mode setup code, which is skipped */
	bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	le_store(bp + HDR_HEAP_END_PTR, 2, 0xfe00u);
	le_store(bp + HDR_CODE32_START, 4, e->load_addr);
	le_store(bp + HDR_CMD_LINE_PTR, 4, BZIMAGE_CMDLINE_GPA);
	le_store(bp + HDR_RAMDISK_IMAGE, 4, e->initrd_addr);
	le_store(bp + HDR_RAMDISK_SIZE, 4, e->initrd_addr ? initrd_size : 0);
	if (rsdp && e->protocol >= 0x020e)
		le_store(bp + BP_ACPI_RSDP_ADDR, 8, rsdp);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = bp + BP_E820_TABLE + 20 * i;

		le_store(p, 8, t[i].addr);
		le_store(p + 8, 8, t[i].size);
		le_store(p + 16, 4, t[i].type);
	}
}

int bzimage_load(const struct guest_ram *ram, const uint8_t *image, size_t size,
		 const struct bzimage_args *args, struct bzimage_entry *out, char *err,
		 size_t err_len)
{
	struct e820 table[2 * AXVM_MAX_MEM_REGIONS + 1];
	unsigned n;
	uint16_t version;
	uint64_t kend;
	uint8_t *bp;

	memset(out, 0, sizeof(*out));
	if (check_header(image, size, &version, err, err_len) != 0)
		return -1;
	out->protocol = version;
	bp = guest_ram_at(ram, BZIMAGE_ZERO_PAGE_GPA, BP_SIZE);
	if (!bp || write_long_mode(ram, out) != 0) {
		snprintf(err, err_len, "a Linux guest needs guest RAM from 0 to at least 1 MiB");
		return -1;
	}
	n = build_e820(ram, table);
	if (load_kernel(ram, image, size, version, &out->load_addr, &kend, err, err_len) != 0 ||
	    write_cmdline(ram, image, args->cmdline ? args->cmdline : "", err, err_len) != 0 ||
	    load_initrd(ram, image, version, args, table, n, out->load_addr, kend,
			&out->initrd_addr, err, err_len) != 0)
		return -1;
	out->entry = out->load_addr + 0x200;
	out->zero_page = BZIMAGE_ZERO_PAGE_GPA;
	write_zero_page(bp, image, out, args->initrd_size, args->acpi_rsdp, table, n);
	return 0;
}
