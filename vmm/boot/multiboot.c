/* SPDX-License-Identifier: Apache-2.0 */
#include "boot/multiboot.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_SEARCH       8192 /* the header lies in the first 8 KiB, 4-byte aligned */

/* Where the information structure and its strings go: low RAM, below the EBDA. */
#define INFO_GPA    0x9000u
#define MMAP_GPA    0x9100u
#define NAME_GPA    0x9200u
#define CMDLINE_GPA 0x9400u
#define CMDLINE_MAX 0x1000u

enum {
	INFO_MEMORY = 1u << 0,
	INFO_CMDLINE = 1u << 2,
	INFO_MMAP = 1u << 6,
	INFO_LOADER_NAME = 1u << 9,
};

struct mb_header {
	uint32_t magic, flags, checksum;
};

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

struct mb_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static int find_header(const uint8_t *image, size_t size)
{
	size_t limit = size < MULTIBOOT_SEARCH ? size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + sizeof(struct mb_header) <= limit; off += 4) {
		struct mb_header h;

		memcpy(&h, image + off, sizeof(h));
		if (h.magic == MULTIBOOT_HEADER_MAGIC && h.magic + h.flags + h.checksum == 0)
			return 0;
	}
	return -1;
}

static int load_segments(const struct guest_ram *ram, const uint8_t *image, size_t size,
			 const Elf32_Ehdr *eh, char *err, size_t err_len)
{
	if (eh->e_phentsize != sizeof(Elf32_Phdr) || eh->e_phoff > size ||
	    (size_t)eh->e_phnum * sizeof(Elf32_Phdr) > size - eh->e_phoff) {
		snprintf(err, err_len, "program headers lie outside the file");
		return -1;
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, image + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset) {
			snprintf(err, err_len, "segment %u lies outside the file", i);
			return -1;
		}
		dst = guest_ram_at(ram, ph.p_paddr, ph.p_memsz);
		if (!dst) {
			snprintf(err, err_len, "segment %u [0x%x, +0x%x) is not inside guest RAM",
				 i, ph.p_paddr, ph.p_memsz);
			return -1;
		}
		memcpy(dst, image + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

static int write_info(const struct guest_ram *ram, const char *cmdline, char *err, size_t err_len)
{
	static const char loader[] = "axvm";
	uint64_t low = guest_ram_low_size(ram);
	struct mb_info *info = guest_ram_at(ram, INFO_GPA, sizeof(*info));
	struct mb_mmap_entry *mmap = guest_ram_at(ram, MMAP_GPA, 2 * sizeof(*mmap));
	char *name = guest_ram_at(ram, NAME_GPA, sizeof(loader));
	size_t cmd_len = strlen(cmdline) + 1;
	char *cmd = guest_ram_at(ram, CMDLINE_GPA, CMDLINE_MAX);

	if (!info || !mmap || !name || !cmd || low < 0x100000) {
		snprintf(err, err_len, "multiboot needs guest RAM from 0 to at least 1 MiB");
		return -1;
	}
	if (cmd_len > CMDLINE_MAX) {
		snprintf(err, err_len, "command line longer than %u bytes", CMDLINE_MAX - 1);
		return -1;
	}
	memset(info, 0, sizeof(*info));
	info->flags = INFO_MEMORY | INFO_CMDLINE | INFO_MMAP | INFO_LOADER_NAME;
	info->mem_lower = 640;
	/* mem_upper is a 32-bit KiB count starting at 1 MiB */
	info->mem_upper = (uint32_t)((low > 0x100000000ull ? 0x100000000ull : low) / 1024 - 1024);
	mmap[0] = (struct mb_mmap_entry){ 20, 0, 0x9fc00, 1 };
	mmap[1] = (struct mb_mmap_entry){ 20, 0x100000, low - 0x100000, 1 };
	info->mmap_addr = MMAP_GPA;
	info->mmap_length = 2 * sizeof(*mmap);
	memcpy(name, loader, sizeof(loader));
	info->boot_loader_name = NAME_GPA;
	memcpy(cmd, cmdline, cmd_len);
	info->cmdline = CMDLINE_GPA;
	return 0;
}

int multiboot_load(const struct guest_ram *ram, const uint8_t *image, size_t size,
		   const char *cmdline, struct multiboot_entry *out, char *err, size_t err_len)
{
	Elf32_Ehdr eh;

	if (size < sizeof(eh) || memcmp(image, ELFMAG, SELFMAG) != 0) {
		snprintf(err, err_len, "not an ELF file");
		return -1;
	}
	memcpy(&eh, image, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386 || eh.e_type != ET_EXEC) {
		snprintf(err, err_len, "not a 32-bit x86 ELF executable (multiboot v1 needs one)");
		return -1;
	}
	if (find_header(image, size) != 0) {
		snprintf(err, err_len, "no multiboot v1 header in the first %d bytes",
			 MULTIBOOT_SEARCH);
		return -1;
	}
	if (load_segments(ram, image, size, &eh, err, err_len) != 0 ||
	    write_info(ram, cmdline, err, err_len) != 0)
		return -1;
	out->entry = eh.e_entry;
	out->info = INFO_GPA;
	return 0;
}
