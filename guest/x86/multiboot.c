/* SPDX-License-Identifier: Apache-2.0 */
#include "multiboot.h"

const char *multiboot_cmdline(uint32_t magic, const struct multiboot_info *info)
{
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !info)
		return "";
	if (!(info->flags & MULTIBOOT_INFO_CMDLINE) || info->cmdline == 0)
		return "";
	return (const char *)(uintptr_t)info->cmdline;
}
