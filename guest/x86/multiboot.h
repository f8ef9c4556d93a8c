/* SPDX-License-Identifier: Apache-2.0 */
/* The multiboot v1 information structure (the fields the guest reads) and its command line. */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#include <stdint.h>

#include "cmdline.h" /* cmdline_option(), for the users of multiboot_cmdline() */

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

#define MULTIBOOT_INFO_MEMORY  (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB below 1 MiB */
	uint32_t mem_upper; /* KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
};

/* The command line, or "" when the loader passed none. */
const char *multiboot_cmdline(uint32_t magic, const struct multiboot_info *info);

#endif
