/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multiboot v1 loader: an ELF32 kernel with a multiboot header is copied
 * into guest RAM and given a multiboot information structure (memory
 * sizes, memory map, command line, loader name), as GRUB or QEMU would.
 */
#ifndef AXVM_MULTIBOOT_H
#define AXVM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "guest_ram.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

struct multiboot_entry {
	uint32_t entry; /* where the vCPU starts, in 32-bit protected mode */
	uint32_t info;	/* guest address of the multiboot information (EBX) */
};

/*
 * Loads `image` (size bytes, the file's contents). -1 with `err` saying what
 * is wrong with the image (not ELF32, no multiboot header, a segment outside
 * RAM, ...).
 */
int multiboot_load(const struct guest_ram *ram, const uint8_t *image, size_t size,
		   const char *cmdline, struct multiboot_entry *out, char *err, size_t err_len);

#endif
