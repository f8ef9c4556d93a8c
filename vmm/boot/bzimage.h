/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linux x86 bzImage loader, 64-bit boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst): the protected-mode kernel is copied into
 * guest RAM, a zero page (struct boot_params) is built from the image's setup
 * header, and identity page tables plus a GDT are written so that the boot
 * vCPU can start directly in long mode at startup_64 (load address + 0x200)
 * with RSI pointing at the zero page. The real-mode setup code is never run.
 *
 * Guest memory used below 1 MiB (all of it RAM the kernel may reuse once it
 * has copied what it needs):
 *
 *   0x6000  GDT: null, null, 0x10 flat 64-bit code, 0x18 flat data
 *   0x7000  zero page (4 KiB)
 *   0x9000  PML4, 0xa000 PDPT, 0xb000..0xefff four page directories
 *           (2 MiB pages identity-mapping [0, 4 GiB))
 *   0x20000 kernel command line
 *
 * The e820 map lists the config's RAM with [0x9fc00, 0x100000) reserved
 * (EBDA, VGA hole, BIOS area: the ACPI tables go there, at BZIMAGE_ACPI_GPA).
 */
#ifndef AXVM_BZIMAGE_H
#define AXVM_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_ram.h"

#define BZIMAGE_GDT_GPA	      0x6000u
#define BZIMAGE_ZERO_PAGE_GPA 0x7000u
#define BZIMAGE_PML4_GPA      0x9000u
#define BZIMAGE_CMDLINE_GPA   0x20000u
#define BZIMAGE_CMDLINE_MAX   0x10000u /* room reserved for the command line */
#define BZIMAGE_ACPI_GPA      0xe0000u /* inside the reserved BIOS area */
#define BZIMAGE_ACPI_MAX      0x10000u
#define BZIMAGE_RESERVED_LO   0x9fc00u /* [LO, HI) is reserved in the e820 map */
#define BZIMAGE_RESERVED_HI   0x100000u

/* Selectors of the 64-bit boot protocol (__BOOT_CS, __BOOT_DS). */
#define BZIMAGE_BOOT_CS 0x10u
#define BZIMAGE_BOOT_DS 0x18u

#define BZIMAGE_MIN_PROTOCOL 0x0206u

/* e820 entry types */
#define E820_RAM      1u
#define E820_RESERVED 2u

struct bzimage_args {
	const char *cmdline;   /* NULL: empty */
	const uint8_t *initrd; /* NULL or initrd_size == 0: no initrd */
	size_t initrd_size;
	uint64_t acpi_rsdp; /* 0: none; else written to boot_params.acpi_rsdp_addr (2.14+) */
};

struct bzimage_entry {
	uint64_t entry;	      /* startup_64: load_addr + 0x200 */
	uint64_t zero_page;   /* RSI */
	uint64_t load_addr;   /* where the protected-mode kernel was copied */
	uint64_t initrd_addr; /* 0 without an initrd */
	uint64_t cr3;	      /* identity page tables */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t protocol; /* boot protocol version of the image, e.g. 0x020f */
};

/* True when the image carries the "HdrS" setup header signature (a bzImage of any protocol). */
bool bzimage_detect(const uint8_t *image, size_t size);

/*
 * Loads `image` (size bytes) into `ram`. -1 with `err` saying what is wrong:
 * a truncated image, no "HdrS" magic, a protocol older than 2.06, no 64-bit
 * entry point (xloadflags XLF_KERNEL_64), a kernel or initrd that does not fit
 * in guest RAM, a command line that is too long, or low RAM missing.
 */
int bzimage_load(const struct guest_ram *ram, const uint8_t *image, size_t size,
		 const struct bzimage_args *args, struct bzimage_entry *out, char *err,
		 size_t err_len);

#endif
