/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's VM configuration: axvmconfig's TOML layout, loaded strictly.
 *
 *   [base]     id, name, vm_type, cpu_num, accel = "auto" | "kvm" | "tcg" (an axvm
 *              extension: the accelerator; `axvm run --accel` replaces it)
 *   [kernel]   kernel_path, kernel_load_addr, entry_point, memory_regions =
 *              [[gpa, size, flags, map_type], ...], cmdline, image_location = "fs",
 *              ramdisk_path (an axvm extension: the initrd of a Linux bzImage)
 *   [devices]  emu_devices = [["name", base_gpa, length, irq_id, emu_type, [cfg...]], ...]
 *              (emu_type: the seeds' number, a short name such as "virtio-blk",
 *              or a host kind: "exit", "acpi-sleep"), passthrough_devices = [] (must be
 *              empty: axvm passes nothing through), interrupt_mode =
 *              "no_irq" | "emulated" | "passthrough" (only the first two are supported),
 *              emu_type_numbering = "seeds" (the default) | "axvmconfig-2025" (an axvm
 *              extension: integer emu_types in upstream's July 2025 numbering, each
 *              mapped to ours by ax_emu_type_from_axvmconfig_2025() or refused;
 *              names mean ours either way)
 *   [backends] DEVICE_NAME = "SPEC", an axvm extension binding a backend to a
 *              device: "file:PATH" (block image, or char output file),
 *              "file:PATH,ro" (read-only image; more block options in
 *              config/disk_spec.h: aio=uring|sync, direct=on|off), "stdio", "null",
 *              "tap:NAME[,mac=MAC]" (virtio-net; the tap checks its own options)
 *
 * Anything else - an unknown table or key, a wrong type, a bad value - is an
 * error naming file:line:col and what was expected.
 */
#ifndef AXVM_VM_CONFIG_H
#define AXVM_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/config.h>
#include <axdevice/device.h>

#define AXVM_MAX_MEM_REGIONS 8
#define AXVM_MAX_DEVICES     64
#define AXVM_MAX_BACKENDS    64
#define AXVM_PATH_MAX	     1024
#define AXVM_CMDLINE_MAX     1024
#define AXVM_SPEC_MAX	     1100 /* "file:" + a path + ",ro,aio=uring,direct=off" */
#define AXVM_ERR_MAX	     512

/*
 * Host kind numbers (from AX_EMU_TYPE_HOST_BASE) and config names of axvm's
 * own devices (vmm/devices/host_kinds.c registers their constructors).
 */
#define AXVM_EXIT_DEVICE_TYPE 0x100u
#define AXVM_EXIT_DEVICE_NAME "exit"
#define AXVM_ACPI_SLEEP_TYPE  0x101u
#define AXVM_ACPI_SLEEP_NAME  "acpi-sleep"

/* Where something was written in the config file, for error messages (1-based). */
struct axvm_pos {
	unsigned line;
	unsigned col;
};

struct axvm_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t flags;	   /* axvmconfig's MappingFlags bits: 1 read, 2 write, 4 execute, ... */
	uint64_t map_type; /* 0 = allocated by the VMM, the only kind axvm supports */
	struct axvm_pos pos;
};

/* How an integer emu_type is read: [devices] emu_type_numbering. */
enum axvm_emu_numbering {
	AXVM_NUMBERING_SEEDS = 0,	/* "seeds" (the default): the seeds' EmuDeviceType */
	AXVM_NUMBERING_AXVMCONFIG_2025, /* "axvmconfig-2025": upstream's July 2025 numbers */
};

enum axvm_interrupt_mode {
	AXVM_IRQ_NONE = 0, /* "no_irq" */
	AXVM_IRQ_EMULATED, /* "emulated" (the default) */
};

struct axvm_backend_binding {
	char device[AX_NAME_MAX];
	char spec[AXVM_SPEC_MAX];
	struct axvm_pos pos;
};

struct axvm_config {
	char path[AXVM_PATH_MAX]; /* the file it came from */

	/* [base] */
	uint64_t id;
	char name[64];
	uint64_t vm_type;
	uint32_t cpu_num; /* 1..64 */
	char accel[8];	  /* "auto", "kvm", "tcg"; "" when the file does not say */

	/* [kernel] */
	char kernel_path[AXVM_PATH_MAX]; /* relative paths are relative to the current directory */
	uint64_t kernel_load_addr;
	uint64_t entry_point;
	bool has_entry_point;
	char cmdline[AXVM_CMDLINE_MAX];
	char ramdisk_path[AXVM_PATH_MAX]; /* bzImage initrd; "" for none; relative to the cwd */
	struct axvm_mem_region mem[AXVM_MAX_MEM_REGIONS];
	unsigned nr_mem;

	/* [devices] */
	struct ax_emu_config emu[AXVM_MAX_DEVICES]; /* names and cfg_lists point into this struct */
	char emu_name[AXVM_MAX_DEVICES][AX_NAME_MAX];
	uint64_t emu_cfg[AXVM_MAX_DEVICES][AX_CFG_LIST_MAX];
	struct axvm_pos emu_pos[AXVM_MAX_DEVICES]; /* of each entry's opening '[' */
	unsigned nr_emu;
	enum axvm_emu_numbering emu_numbering; /* as the file said; emu[].emu_type is ours */
	enum axvm_interrupt_mode interrupt_mode;

	/* [backends] */
	struct axvm_backend_binding backends[AXVM_MAX_BACKENDS];
	unsigned nr_backends;
};

/*
 * Parses `text` (len bytes, need not be NUL-terminated) as coming from
 * `path`. Returns 0, or -1 with `err` holding "path:line:col: message".
 * Checks syntax, types, required keys (cpu_num, kernel_path,
 * memory_regions, and each entry's six fields), value ranges that need no
 * device knowledge (cpu_num, non-empty and non-wrapping memory regions and
 * device ranges, names, cfg list length), unknown emu_type names, and
 * duplicate device names and backend bindings. Device-level checks
 * (overlaps, cfg_list meaning, missing backends) are the device set's.
 */
int axvm_config_parse(const char *path, const char *text, size_t len, struct axvm_config *out,
		      char *err, size_t err_len);

/* Reads the file and parses it; I/O errors are reported as "path: reason". */
int axvm_config_load(const char *path, struct axvm_config *out, char *err, size_t err_len);

/* The binding for a device name, or NULL. */
const struct axvm_backend_binding *axvm_config_backend(const struct axvm_config *cfg,
						       const char *device);

/*
 * Adds or replaces a binding from the command line ("NAME=SPEC"); -1 with
 * `err` set when the argument is malformed.
 */
int axvm_config_override_backend(struct axvm_config *cfg, const char *arg, char *err,
				 size_t err_len);

#endif
