/* SPDX-License-Identifier: Apache-2.0 */
/* axvm's VM config loader: every table and key, every error with its exact message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <axdevice/emu_type.h>

#include "config/vm_config.h"

/* Five lines that make a valid config; cases append to it from line 6 on. */
#define HEAD                                                                                       \
	"[base]\ncpu_num = 1\n[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 0x1000, 7, "    \
	"0]]\n"

static struct axvm_config cfg; /* large: keep it off the stack */

static void parse_ok(const char *text)
{
	char err[AXVM_ERR_MAX] = "";

	if (axvm_config_parse("t.toml", text, strlen(text), &cfg, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s\n--- in:\n%s", err, text);
}

static void expect_error(const char *text, const char *msg)
{
	char err[AXVM_ERR_MAX] = "";

	if (axvm_config_parse("t.toml", text, strlen(text), &cfg, err, sizeof(err)) == 0)
		fail_msg("parsed, expected %s\n--- in:\n%s", msg, text);
	if (strcmp(err, msg) != 0)
		fail_msg("\n  got      %s\n  expected %s\n--- in:\n%s", err, msg, text);
}

/* --- valid configs ---------------------------------------------------------------------- */

static const char full[] =
	"# every key\n"
	"[base]\nid = 7\nname = \"demo\"\nvm_type = 1\ncpu_num = 4\n"
	"[kernel]\nkernel_path = 'guest.elf'\nkernel_load_addr = 0x10_0000\n"
	"entry_point = 0x10_000c\ncmdline = \"console=ttyS0\"\nimage_location = \"fs\"\n"
	"memory_regions = [\n  [0, 0x800_0000, 7, 0],\n  [0x1_0000_0000, 0x1000, 0x3f, 0],\n]\n"
	"[devices]\npassthrough_devices = []\ninterrupt_mode = \"no_irq\"\n"
	"emu_devices = [\n"
	"  [\"com1\", 0x3f8, 8, 4, \"console\", [1]],\n"
	"  [\"vblk\", 0xfeb0_0000, 0x200, 10, 3, [128, ]],\n"
	"  [\"exit\", 0x501, 1, 0xffff_ffff, \"exit\", []],\n"
	"  [\"vcon\", 0xfeb0_1000, 0x200, 11, \"virtio-console\", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
	"10, 11, 12, 13, 14, 15]],\n"
	"]\n"
	"[backends]\ncom1 = \"stdio\"\nvblk = \"file:disk.img,ro\"\n'vcon' = 'file:out.txt'\n";

static void test_full_config(void **state)
{
	const struct axvm_backend_binding *b;

	(void)state;
	parse_ok(full);
	assert_string_equal(cfg.path, "t.toml");
	assert_int_equal(cfg.id, 7);
	assert_string_equal(cfg.name, "demo");
	assert_int_equal(cfg.vm_type, 1);
	assert_int_equal(cfg.cpu_num, 4);
	assert_string_equal(cfg.kernel_path, "guest.elf");
	assert_int_equal(cfg.kernel_load_addr, 0x100000);
	assert_true(cfg.has_entry_point);
	assert_int_equal(cfg.entry_point, 0x10000c);
	assert_string_equal(cfg.cmdline, "console=ttyS0");
	assert_int_equal(cfg.nr_mem, 2);
	assert_int_equal(cfg.mem[0].gpa, 0);
	assert_int_equal(cfg.mem[0].size, 0x8000000);
	assert_int_equal(cfg.mem[0].flags, 7);
	assert_int_equal(cfg.mem[0].map_type, 0);
	assert_int_equal(cfg.mem[0].pos.line, 14);
	assert_int_equal(cfg.mem[0].pos.col, 3);
	assert_true(cfg.mem[1].gpa == 0x100000000ull);
	assert_int_equal(cfg.mem[1].flags, 0x3f);
	assert_int_equal(cfg.interrupt_mode, AXVM_IRQ_NONE);

	assert_int_equal(cfg.nr_emu, 4);
	assert_string_equal(cfg.emu[0].name, "com1");
	assert_ptr_equal(cfg.emu[0].name, cfg.emu_name[0]);
	assert_int_equal(cfg.emu[0].base_gpa, 0x3f8);
	assert_int_equal(cfg.emu[0].length, 8);
	assert_int_equal(cfg.emu[0].irq_id, 4);
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_CONSOLE);
	assert_int_equal(cfg.emu[0].cfg_len, 1);
	assert_ptr_equal(cfg.emu[0].cfg_list, cfg.emu_cfg[0]);
	assert_int_equal(cfg.emu[0].cfg_list[0], 1);
	assert_int_equal(cfg.emu_pos[0].line, 21);
	assert_int_equal(cfg.emu_pos[0].col, 3);
	assert_int_equal(cfg.emu[1].emu_type, AX_EMU_VIRTIO_BLK);
	assert_int_equal(cfg.emu[1].cfg_len, 1);
	assert_int_equal(cfg.emu[1].cfg_list[0], 128);
	assert_int_equal(cfg.emu[2].emu_type, AXVM_EXIT_DEVICE_TYPE);
	assert_int_equal(cfg.emu[2].irq_id, UINT32_MAX);
	assert_int_equal(cfg.emu[2].cfg_len, 0);
	assert_int_equal(cfg.emu[3].emu_type, AX_EMU_VIRTIO_CONSOLE);
	assert_int_equal(cfg.emu[3].cfg_len, AX_CFG_LIST_MAX);
	assert_int_equal(cfg.emu[3].cfg_list[15], 15);
	for (unsigned i = 0; i < cfg.nr_emu; i++)
		assert_int_equal(ax_emu_config_validate(&cfg.emu[i], i, NULL), AX_OK);

	assert_int_equal(cfg.nr_backends, 3);
	b = axvm_config_backend(&cfg, "vblk");
	assert_non_null(b);
	assert_string_equal(b->spec, "file:disk.img,ro");
	assert_int_equal(b->pos.line, 28);
	assert_int_equal(b->pos.col, 8);
	assert_string_equal(axvm_config_backend(&cfg, "com1")->spec, "stdio");
	assert_string_equal(axvm_config_backend(&cfg, "vcon")->spec, "file:out.txt");
	assert_null(axvm_config_backend(&cfg, "exit"));
}

static void test_minimal_config_defaults(void **state)
{
	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg)); /* nothing may survive from a previous parse */
	parse_ok(HEAD);
	assert_int_equal(cfg.id, 0);
	assert_string_equal(cfg.name, "");
	assert_int_equal(cfg.cpu_num, 1);
	assert_false(cfg.has_entry_point);
	assert_string_equal(cfg.cmdline, "");
	assert_int_equal(cfg.nr_mem, 1);
	assert_int_equal(cfg.nr_emu, 0);
	assert_int_equal(cfg.nr_backends, 0);
	assert_int_equal(cfg.interrupt_mode, AXVM_IRQ_EMULATED);
	assert_string_equal(cfg.accel, ""); /* not said: the command line or auto decides */
}

/* [base] accel, axvm's extension: the three names, nothing else. */
static void test_accel(void **state)
{
	static const char *const names[] = { "auto", "kvm", "tcg" };
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text), "[base]\naccel = \"%s\"\n%s", names[i], HEAD + 7);
		parse_ok(text);
		assert_string_equal(cfg.accel, names[i]);
	}
	expect_error("[base]\naccel = \"KVM\"\n",
		     "t.toml:2:9: expected \"auto\", \"kvm\" or \"tcg\" for accel, found \"KVM\"");
	expect_error("[base]\naccel = \"\"\n",
		     "t.toml:2:9: expected \"auto\", \"kvm\" or \"tcg\" for accel, found \"\"");
	expect_error("[base]\naccel = 1\n",
		     "t.toml:2:9: expected a string for accel, found an integer");
	expect_error("[base]\naccel = \"kvm\"\naccel = \"tcg\"\n",
		     "t.toml:3:1: duplicate key 'accel' (first set at 2:1)");
}

static void test_accepted_variants(void **state)
{
	(void)state;
	/* tables in any order; [backends] before the devices it names */
	parse_ok("[backends]\nd = \"null\"\n[devices]\nemu_devices = [[\"d\", 0, 1, 0, 0, []]]\n"
		 "[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 1, 0, 0]]\n"
		 "[base]\ncpu_num = 64\n");
	assert_int_equal(cfg.nr_backends, 1);
	/* regions and devices touching the top of the address space; adjacent regions */
	parse_ok("[base]\ncpu_num = 1\n[kernel]\nkernel_path = \"k\"\nmemory_regions = ["
		 "[0xffff_ffff_ffff_f000, 0x1000, 0, 0], [0, 0x1000, 0, 0], [0x1000, 1, 0, 0]]\n"
		 "[devices]\nemu_devices = [[\"top\", 0xffff_ffff_ffff_ffff, 1, 0, 0x100, []]]\n"
		 "interrupt_mode = \"emulated\"\n");
	assert_int_equal(cfg.nr_mem, 3);
	assert_int_equal(cfg.emu[0].emu_type, 0x100);
	assert_int_equal(cfg.interrupt_mode, AXVM_IRQ_EMULATED);
	/* every short name the library knows */
	for (unsigned t = 0; t < AX_EMU_TYPE_COUNT; t++) {
		char text[512];

		snprintf(text, sizeof(text),
			 HEAD "[devices]\nemu_devices = [[\"d\", 0, 1, 0, \"%s\", []]]\n",
			 ax_emu_type_short_name((enum ax_emu_type)t));
		parse_ok(text);
		assert_int_equal(cfg.emu[0].emu_type, t);
	}
	/* exactly AXVM_MAX_MEM_REGIONS regions, strings at their limits */
	parse_ok("[base]\ncpu_num = 1\nname = \"123456789012345678901234567890123456789012345678901"
		 "234567890123\"\n[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 1, 0, 0], "
		 "[1, 1, 0, 0], [2, 1, 0, 0], [3, 1, 0, 0], [4, 1, 0, 0], [5, 1, 0, 0], [6, 1, 0, "
		 "0], "
		 "[7, 1, 0, 0]]\n");
	assert_int_equal(cfg.nr_mem, AXVM_MAX_MEM_REGIONS);
	assert_int_equal(strlen(cfg.name), 63);
}

static void test_max_devices(void **state)
{
	size_t cap = 64 + AXVM_MAX_DEVICES * 48 + sizeof(HEAD), len;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, HEAD "[devices]\nemu_devices = [\n");
	for (unsigned i = 0; i < AXVM_MAX_DEVICES; i++)
		len += (size_t)snprintf(text + len, cap - len, "[\"d%u\", %u, 1, 0, 10, []],\n", i,
					i);
	snprintf(text + len, cap - len, "]\n");
	parse_ok(text);
	assert_int_equal(cfg.nr_emu, AXVM_MAX_DEVICES);
	assert_string_equal(cfg.emu[63].name, "d63");
	snprintf(text + len, cap - len, "[\"one-more\", 99, 1, 0, 10, []]]\n");
	expect_error(text, "t.toml:72:1: too many emu_devices (at most 64)");
	free(text);
}

/* --- errors: syntax comes through with its position ------------------------------------------ */

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("[base]\ncpu_num = 1.5\n",
		     "t.toml:2:11: floats are not supported (found '1.5')");
	expect_error("[base]\ncpu_num = 1\ncpu_num = 2\n",
		     "t.toml:3:1: duplicate key 'cpu_num' (first set at 2:1)");
	expect_error("[base]\n[base]\n",
		     "t.toml:2:2: table [base] is defined twice (first at 1:2)");
	expect_error(HEAD "[devices]\nemu_devices = [[\"a\", 1, 2, 3, 4, []]\n",
		     "t.toml:8:1: expected ']' or ',' after array element, found end of file "
		     "(array opened at 7:15)");
	/* the message stays on one line even when a key holds a newline */
	expect_error("[base]\n\"a\\nb\" = 1\n", "t.toml:2:1: unsupported key 'a?b' in [base]");
}

/* --- errors: structure ----------------------------------------------------------------------- */

static void test_structure_errors(void **state)
{
	(void)state;
	expect_error("x = 1\n" HEAD,
		     "t.toml:1:1: unsupported key 'x' outside any table (expected [base], "
		     "[kernel], [devices] or [backends] first)");
	expect_error(HEAD "[network]\n",
		     "t.toml:6:2: unsupported table [network] (expected [base], [kernel], "
		     "[devices] or [backends])");
	expect_error("[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 1, 0, 0]]\n",
		     "t.toml:1:1: missing table [base] (it must set cpu_num)");
	expect_error(
		"[base]\nid = 1\n[kernel]\nkernel_path = \"k\"\nmemory_regions = [[0, 1, 0, 0]]\n",
		"t.toml:1:2: missing required key 'cpu_num' in [base]");
	expect_error("[base]\ncpu_num = 1\n",
		     "t.toml:1:1: missing table [kernel] (it must set kernel_path)");
	expect_error("[base]\ncpu_num = 1\n[kernel]\nmemory_regions = [[0, 1, 0, 0]]\n",
		     "t.toml:3:2: missing required key 'kernel_path' in [kernel]");
	expect_error("[base]\ncpu_num = 1\n[ kernel ]\nkernel_path = \"k\"\n",
		     "t.toml:3:3: missing required key 'memory_regions' in [kernel]");
	expect_error("[base]\ncpu_num = 1\nphys_cpu_ids = [0]\n",
		     "t.toml:3:1: unsupported key 'phys_cpu_ids' in [base]");
	expect_error(HEAD "dtb_path = \"d\"\n",
		     "t.toml:6:1: unsupported key 'dtb_path' in [kernel]");
	expect_error(HEAD "[devices]\n  emu_device = []\n",
		     "t.toml:7:3: unsupported key 'emu_device' in [devices]");
}

/* --- errors: [base] and [kernel] values
 * ----------------------------------------------------------- */

static void test_base_errors(void **state)
{
	(void)state;
	expect_error("[base]\ncpu_num = \"2\"\n",
		     "t.toml:2:11: expected an integer for cpu_num, found a string");
	expect_error("[base]\ncpu_num = 0\n",
		     "t.toml:2:11: cpu_num must be between 1 and 64, found 0");
	expect_error("[base]\ncpu_num = 65\n",
		     "t.toml:2:11: cpu_num must be between 1 and 64, found 65");
	expect_error("[base]\ncpu_num = -1\n",
		     "t.toml:2:11: expected a non-negative integer for cpu_num, found -1");
	expect_error("[base]\nid = true\n",
		     "t.toml:2:6: expected an integer for id, found a boolean");
	expect_error("[base]\nvm_type = []\n",
		     "t.toml:2:11: expected an integer for vm_type, found an array");
	expect_error("[base]\nname = 5\n",
		     "t.toml:2:8: expected a string for name, found an integer");
	expect_error("[base]\nname = "
		     "\"1234567890123456789012345678901234567890123456789012345678901234\"\n",
		     "t.toml:2:8: name is longer than 63 characters");
}

static void test_kernel_errors(void **state)
{
	char text[2200];

	(void)state;
	expect_error("[kernel]\nkernel_path = ''\n", "t.toml:2:15: kernel_path must not be empty");
	expect_error("[kernel]\nkernel_path = 1\n",
		     "t.toml:2:15: expected a string for kernel_path, found an integer");
	snprintf(text, sizeof(text), "[kernel]\nkernel_path = \"%01024d\"\n", 0);
	expect_error(text, "t.toml:2:15: kernel_path is longer than 1023 characters");
	snprintf(text, sizeof(text), "[kernel]\ncmdline = '%01024d'\n", 0);
	expect_error(text, "t.toml:2:11: cmdline is longer than 1023 characters");
	expect_error("[kernel]\nentry_point = -0x1\n",
		     "t.toml:2:15: a sign is only allowed on decimal integers");
	expect_error("[kernel]\nentry_point = -16\n",
		     "t.toml:2:15: expected a non-negative integer for entry_point, found -16");
	expect_error("[kernel]\nkernel_load_addr = 'x'\n",
		     "t.toml:2:20: expected an integer for kernel_load_addr, found a string");
	expect_error(
		"[kernel]\nimage_location = \"memory\"\n",
		"t.toml:2:18: image_location \"memory\" is not supported by axvm (only \"fs\")");
	expect_error("[kernel]\nimage_location = false\n",
		     "t.toml:2:18: expected a string for image_location, found a boolean");
}

/* [kernel] ramdisk_path, axvm's extension for a bzImage's initrd. */
static void test_ramdisk_path(void **state)
{
	char text[2200];

	(void)state;
	parse_ok(HEAD);
	assert_string_equal(cfg.ramdisk_path, "");
	parse_ok("[base]\ncpu_num = 1\n[kernel]\nkernel_path = \"build/linux/vmlinuz\"\n"
		 "ramdisk_path = 'build/linux/initramfs.gz'\nmemory_regions = [[0, 0x1000, 7, "
		 "0]]\n");
	assert_string_equal(cfg.ramdisk_path, "build/linux/initramfs.gz");
	assert_string_equal(cfg.kernel_path, "build/linux/vmlinuz");
	expect_error("[kernel]\nramdisk_path = ''\n",
		     "t.toml:2:16: ramdisk_path must not be empty");
	expect_error("[kernel]\nramdisk_path = 7\n",
		     "t.toml:2:16: expected a string for ramdisk_path, found an integer");
	snprintf(text, sizeof(text), "[kernel]\nramdisk_path = \"%01024d\"\n", 0);
	expect_error(text, "t.toml:2:16: ramdisk_path is longer than 1023 characters");
}

static void test_memory_region_errors(void **state)
{
	(void)state;
	expect_error("[kernel]\nmemory_regions = 5\n",
		     "t.toml:2:18: expected an array for memory_regions, found an integer");
	expect_error("[kernel]\nmemory_regions = []\n",
		     "t.toml:2:18: memory_regions must list at least one region");
	expect_error("[kernel]\nmemory_regions = [0x1000]\n",
		     "t.toml:2:19: expected an array [gpa, size, flags, map_type] for "
		     "memory_regions[0], found an integer");
	expect_error("[kernel]\nmemory_regions = [[0, 0x1000, 7]]\n",
		     "t.toml:2:19: memory_regions[0] has 3 fields, expected 4: [gpa, size, flags, "
		     "map_type]");
	expect_error(
		"[kernel]\nmemory_regions = [[0, '1', 7, 0]]\n",
		"t.toml:2:23: expected an integer for size in memory_regions[0], found a string");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 7, -1]]\n",
		     "t.toml:2:29: expected a non-negative integer for map_type in "
		     "memory_regions[0], found -1");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 0, 0], [0x1000, 0, 7, 0]]\n",
		     "t.toml:2:42: memory_regions[1]: size must not be zero");
	expect_error("[kernel]\nmemory_regions = [[0xffff_ffff_ffff_f000, 0x1001, 7, 0]]\n",
		     "t.toml:2:43: memory_regions[0]: gpa 0xfffffffffffff000 + size 0x1001 wraps "
		     "around the address space");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 0x47, 0]]\n",
		     "t.toml:2:26: memory_regions[0]: flags 0x47 has unknown bits (known: 0x1 "
		     "read, 0x2 write, 0x4 execute, 0x8 user, 0x10 device, 0x20 uncached)");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 7, 1]]\n",
		     "t.toml:2:29: map_type 1 (identical) is not supported by axvm");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 7, 2]]\n",
		     "t.toml:2:29: map_type 2 is not supported by axvm (only 0, memory it "
		     "allocates)");
	expect_error("[kernel]\nmemory_regions = [\n  [0x1000, 0x1000, 7, 0],\n"
		     "  [0x0, 0x1001, 7, 0],\n]\n",
		     "t.toml:4:3: memory_regions[1] [0x0, 0x1000] overlaps memory_regions[0] "
		     "[0x1000, 0x1fff]");
	expect_error("[kernel]\nmemory_regions = [[0, 0x10, 0, 0], [0x8, 1, 0, 0]]\n",
		     "t.toml:2:36: memory_regions[1] [0x8, 0x8] overlaps memory_regions[0] [0x0, "
		     "0xf]");
	expect_error("[kernel]\nmemory_regions = [[0, 1, 0, 0], [1, 1, 0, 0], [2, 1, 0, 0], "
		     "[3, 1, 0, 0], [4, 1, 0, 0], [5, 1, 0, 0], [6, 1, 0, 0], [7, 1, 0, 0], "
		     "[8, 1, 0, 0]]\n",
		     "t.toml:2:131: too many memory regions (at most 8)");
}

/* --- errors: [devices] ---------------------------------------------------------------------- */

/* An error in `emu_devices = [ENTRY]` on line 7 (the entry starts at column 16). */
static void expect_entry_error(const char *entry, const char *msg)
{
	char text[1024];

	snprintf(text, sizeof(text), HEAD "[devices]\nemu_devices = [%s]\n", entry);
	expect_error(text, msg);
}

static void test_emu_device_type_errors(void **state)
{
	(void)state;
	expect_error(HEAD "[devices]\nemu_devices = 1\n",
		     "t.toml:7:15: expected an array for emu_devices, found an integer");
	expect_entry_error("\"uart\"",
			   "t.toml:7:16: expected an array [name, base_gpa, length, "
			   "irq_id, emu_type, cfg_list] for emu_devices[0], found a string");
	expect_entry_error("[\"a\", 0, 1, 0, 0]",
			   "t.toml:7:16: emu_devices[0] has 5 fields, expected 6: [name, base_gpa, "
			   "length, irq_id, emu_type, cfg_list]");
	expect_entry_error("[\"a\", 0, 1, 0, 0, [], 7]",
			   "t.toml:7:16: emu_devices[0] has 7 fields, expected 6: [name, base_gpa, "
			   "length, irq_id, emu_type, cfg_list]");
	expect_entry_error("[1, 0, 1, 0, 0, []]",
			   "t.toml:7:17: expected a string for name in emu_devices[0], found an "
			   "integer");
	expect_entry_error("[\"a\", \"0\", 1, 0, 0, []]",
			   "t.toml:7:22: expected an integer for base_gpa in emu_devices[0], found "
			   "a string");
	expect_entry_error(
		"[\"a\", 0, [1], 0, 0, []]",
		"t.toml:7:25: expected an integer for length in emu_devices[0], found an "
		"array");
	expect_entry_error("[\"a\", 0, -1, 0, 0, []]",
			   "t.toml:7:25: expected a non-negative integer for length in "
			   "emu_devices[0], found -1");
	expect_entry_error("[\"a\", 0, 1, 0x1_0000_0000, 0, []]",
			   "t.toml:7:28: irq_id in emu_devices[0] does not fit in 32 bits (found "
			   "0x100000000)");
	expect_entry_error("[\"a\", 0, 1, 0, true, []]",
			   "t.toml:7:31: expected an integer or a string for emu_type in "
			   "emu_devices[0], found a boolean");
	expect_entry_error("[\"a\", 0, 1, 0, 0x1_0000_0000, []]",
			   "t.toml:7:31: emu_type in emu_devices[0] does not fit in 32 bits (found "
			   "0x100000000)");
	expect_entry_error(
		"[\"a\", 0, 1, 0, \"virtio-gpu\", []]",
		"t.toml:7:31: unknown emu_type \"virtio-gpu\" in emu_devices[0] (known: "
		"console, gicd-v2, gppt, virtio-blk, virtio-net, virtio-console, iommu, "
		"icc-sre, sgir, gicr, meta, ioapic, lapic, pic8259, gicd-v3, icc, arm-timer, exit, "
		"acpi-sleep)");
	expect_entry_error(
		"[\"a\", 0, 1, 0, 0, 5]",
		"t.toml:7:34: expected an array for cfg_list in emu_devices[0], found an "
		"integer");
	expect_entry_error("[\"a\", 0, 1, 0, 0, [1, \"2\"]]",
			   "t.toml:7:38: expected an integer for cfg_list[1] in emu_devices[0], "
			   "found a string");
	expect_entry_error("[\"a\", 0, 1, 0, 0, [[1]]]",
			   "t.toml:7:35: expected an integer for cfg_list[0] in emu_devices[0], "
			   "found an array");
}

static void test_emu_device_value_errors(void **state)
{
	(void)state;
	/* the library's own checks, at the entry's '[' */
	expect_entry_error("[\"\", 0, 1, 0, 0, []]",
			   "t.toml:7:16: emu_devices[0]: name: must not be empty");
	expect_entry_error("[\"abcdefghijabcdefghijabcdefghijab\", 0, 1, 0, 0, []]",
			   "t.toml:7:16: emu_devices[0]: name: longer than 31 characters");
	expect_entry_error("[\"bad name\", 0, 1, 0, 0, []]",
			   "t.toml:7:16: emu_devices[0] \"bad name\": name: character ' ' not "
			   "allowed (use A-Z a-z 0-9 _ - .)");
	expect_entry_error("[\"a\", 0x1000, 0, 0, 0, []]",
			   "t.toml:7:16: emu_devices[0] \"a\": length: must not be zero");
	expect_entry_error("[\"a\", 0xffff_ffff_ffff_f000, 0x1001, 0, 0, []]",
			   "t.toml:7:16: emu_devices[0] \"a\": length: base_gpa 0xfffffffffffff000 "
			   "+ length 0x1001 wraps around the address space");
	expect_entry_error("[\"a\", 0, 1, 0, 11, []]",
			   "t.toml:7:16: emu_devices[0] \"a\": emu_type: 11 is not a device type "
			   "(0..10, 0x23, 0x40, 0x41, or a host kind from 256)");
	expect_entry_error("[\"a\", 0, 1, 0, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, "
			   "14, 15, 16]]",
			   "t.toml:7:16: emu_devices[0] \"a\": cfg_list: 17 values, at most 16 "
			   "allowed");
	expect_entry_error(
		"[\"a\", 0, 1, 0, 0, []], [\"b\", 1, 1, 0, 0, []], [\"a\", 2, 1, 0, 0, []]",
		"t.toml:7:62: emu_devices[2] \"a\": name: already used by emu_devices[0]");
	/* adjacent copies: the loop must reach the entry just before */
	expect_entry_error(
		"[\"a\", 0, 1, 0, 0, []], [\"a\", 2, 1, 0, 0, []]",
		"t.toml:7:39: emu_devices[1] \"a\": name: already used by emu_devices[0]");
	expect_entry_error(
		"[\"b\", 0, 1, 0, 0, []], [\"a\", 1, 1, 0, 0, []], [\"a\", 2, 1, 0, 0, []]",
		"t.toml:7:62: emu_devices[2] \"a\": name: already used by emu_devices[1]");
}

static void test_devices_other_errors(void **state)
{
	(void)state;
	expect_error(HEAD "[devices]\npassthrough_devices = [[\"pci\", 0, 0x1000]]\n",
		     "t.toml:7:24: passthrough_devices are not supported by axvm: the list must be "
		     "empty");
	expect_error(HEAD "[devices]\npassthrough_devices = \"none\"\n",
		     "t.toml:7:23: expected an array for passthrough_devices, found a string");
	expect_error(HEAD "[devices]\ninterrupt_mode = \"passthrough\"\n",
		     "t.toml:7:18: interrupt_mode \"passthrough\" is not supported by axvm");
	expect_error(HEAD "[devices]\ninterrupt_mode = \"msi\"\n",
		     "t.toml:7:18: expected \"no_irq\", \"emulated\" or \"passthrough\" for "
		     "interrupt_mode, found \"msi\"");
	expect_error(HEAD "[devices]\ninterrupt_mode = 0\n",
		     "t.toml:7:18: expected a string for interrupt_mode, found an integer");
}

/* --- emu_type_numbering ---------------------------------------------------------------- */

/* HEAD, then [devices] on line 6, the switch on line 7 and one entry on line 8. */
#define NUMBERING_2025 "[devices]\nemu_type_numbering = \"axvmconfig-2025\"\n"
#define ENTRY_2025(type)                                                                           \
	HEAD NUMBERING_2025 "emu_devices = [[\"dev\", 0x1000, 0x1000, 0, " type ", []]]\n"
#define NO_COUNTERPART "no counterpart in libaxdevice"
#define GPPT_DIST_ONLY "our gppt (2) is the partial-passthrough distributor only"

/* Every number of upstream's July 2025 numbering, mapped to ours or refused where it stands. */
static void test_numbering_axvmconfig_2025(void **state)
{
	static const struct {
		const char *number;
		uint32_t ours; /* when mapped */
		const char *msg;
	} cases[] = {
		{ "0x0", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x0 is upstream's Dummy "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "1", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x1 is upstream's "
		  "InterruptController (emu_type_numbering = \"axvmconfig-2025\"): arch-generic "
		  "upstream (a GICv2 or GICv3 on Arm, another controller elsewhere): name the "
		  "model "
		  "instead, e.g. \"gicd-v2\", \"gicd-v3\" or \"ioapic\"" },
		{ "2", AX_EMU_CONSOLE, NULL },
		{ "0x3", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x3 is upstream's FwCfg "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "0xA", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0xa is upstream's IVCChannel "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "0x20", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x20 is upstream's "
		  "GPPTRedistributor (emu_type_numbering = \"axvmconfig-2025\"): " GPPT_DIST_ONLY },
		{ "0x21", AX_EMU_GPPT, NULL },
		{ "0x22", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x22 is upstream's GPPTITS "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " GPPT_DIST_ONLY },
		{ "0x23", AX_EMU_IOAPIC, NULL },
		{ "0x24", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x24 is upstream's X86Pit "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "0x25", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x25 is upstream's "
		  "LoongArchPchPic (emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "0x30", 0,
		  "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x30 is upstream's PPPTGlobal "
		  "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART },
		{ "0xE1", AX_EMU_VIRTIO_BLK, NULL },
		{ "0xe2", AX_EMU_VIRTIO_NET, NULL }, /* no model yet: the device set says so */
		{ "227", AX_EMU_VIRTIO_CONSOLE, NULL },
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 HEAD NUMBERING_2025
			 "emu_devices = [[\"dev\", 0x1000, 0x1000, 0, %s, []]]\n",
			 cases[i].number);
		if (cases[i].msg) {
			expect_error(text, cases[i].msg);
			continue;
		}
		parse_ok(text);
		assert_int_equal(cfg.emu_numbering, AXVM_NUMBERING_AXVMCONFIG_2025);
		assert_int_equal(cfg.nr_emu, 1);
		assert_int_equal(cfg.emu[0].emu_type, cases[i].ours);
	}
	/* numbers upstream's 2025 numbering does not use, our own extra ones included */
	expect_error(ENTRY_2025("4"),
		     "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x4 is not a device type in "
		     "upstream's 2025 numbering (emu_type_numbering = \"axvmconfig-2025\"; our "
		     "own types keep their names, e.g. \"lapic\")");
	expect_error(ENTRY_2025("0x40"),
		     "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x40 is not a device type in "
		     "upstream's 2025 numbering (emu_type_numbering = \"axvmconfig-2025\"; our "
		     "own types keep their names, e.g. \"lapic\")");
	expect_error(ENTRY_2025("0x100"),
		     "t.toml:8:43: emu_devices[0] \"dev\": emu_type 0x100 is not a device type "
		     "in upstream's 2025 numbering (emu_type_numbering = \"axvmconfig-2025\"; our "
		     "own types keep their names, e.g. \"lapic\")");
	/* the loader's own checks still come first */
	expect_error(ENTRY_2025("0x1_0000_00e1"),
		     "t.toml:8:43: emu_type in emu_devices[0] does not fit in 32 bits (found "
		     "0x1000000e1)");
	expect_error(ENTRY_2025("-2"), "t.toml:8:43: expected a non-negative integer for "
				       "emu_type in emu_devices[0], found -2");
	/* the entry named in the message is the one at fault */
	expect_error(HEAD NUMBERING_2025 "emu_devices = [\n"
					 "  [\"com1\", 0x3f8, 8, 4, 2, []],\n"
					 "  [\"pit\", 0x40, 4, 0, 0x24, []],\n]\n",
		     "t.toml:10:23: emu_devices[1] \"pit\": emu_type 0x24 is upstream's X86Pit "
		     "(emu_type_numbering = \"axvmconfig-2025\"): " NO_COUNTERPART);
}

/* Names mean ours in both numberings; the switch may follow emu_devices; "seeds" is the default. */
static void test_numbering_names_and_default(void **state)
{
	char text[512];
	enum ax_emu_type t;

	(void)state;
	for (size_t i = 0; ax_emu_type_by_index(i, &t) == AX_OK; i++) {
		snprintf(text, sizeof(text),
			 HEAD NUMBERING_2025 "emu_devices = [[\"d\", 0, 1, 0, \"%s\", []]]\n",
			 ax_emu_type_short_name(t));
		parse_ok(text);
		assert_int_equal(cfg.emu[0].emu_type, t);
	}
	parse_ok(ENTRY_2025("\"exit\""));
	assert_int_equal(cfg.emu[0].emu_type, AXVM_EXIT_DEVICE_TYPE);
	/* after emu_devices, in either table order */
	parse_ok(HEAD "[devices]\nemu_devices = [[\"vblk\", 0x1000, 0x200, 5, 0xe1, []]]\n"
		      "emu_type_numbering = \"axvmconfig-2025\"\n");
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_VIRTIO_BLK);
	parse_ok("[devices]\nemu_devices = [[\"con\", 0x3f8, 8, 4, 2, []]]\n"
		 "emu_type_numbering = \"axvmconfig-2025\"\n" HEAD);
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_CONSOLE);

	/* the same upstream-numbered entries without the switch: the seeds' types */
	parse_ok(HEAD "[devices]\nemu_devices = [[\"con\", 0x3f8, 8, 4, 2, []], "
		      "[\"intc\", 0x8000000, 0x10000, 0, 1, []], "
		      "[\"net\", 0x9000000, 0x200, 6, 4, []]]\n");
	assert_int_equal(cfg.emu_numbering, AXVM_NUMBERING_SEEDS);
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_GPPT);    /* not the console */
	assert_int_equal(cfg.emu[1].emu_type, AX_EMU_GICD_V2); /* the seeds' GicdV2 */
	assert_int_equal(cfg.emu[2].emu_type, AX_EMU_VIRTIO_NET);
	expect_error(HEAD "[devices]\nemu_devices = [[\"vblk\", 0x1000, 0x200, 5, 0xe1, []]]\n",
		     "t.toml:7:16: emu_devices[0] \"vblk\": emu_type: 225 is not a device type "
		     "(0..10, 0x23, 0x40, 0x41, or a host kind from 256)");
	/* "seeds" said explicitly is the default */
	parse_ok(HEAD "[devices]\nemu_type_numbering = \"seeds\"\n"
		      "emu_devices = [[\"con\", 0x3f8, 8, 4, 2, []]]\n");
	assert_int_equal(cfg.emu_numbering, AXVM_NUMBERING_SEEDS);
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_GPPT);
}

static void test_numbering_errors(void **state)
{
	(void)state;
	expect_error(HEAD "[devices]\nemu_type_numbering = \"axvmconfig-2024\"\n",
		     "t.toml:7:22: expected \"seeds\" or \"axvmconfig-2025\" for "
		     "emu_type_numbering, found \"axvmconfig-2024\"");
	expect_error(HEAD "[devices]\nemu_type_numbering = \"\"\n",
		     "t.toml:7:22: expected \"seeds\" or \"axvmconfig-2025\" for "
		     "emu_type_numbering, found \"\"");
	expect_error(HEAD "[devices]\nemu_type_numbering = \"Seeds\"\n",
		     "t.toml:7:22: expected \"seeds\" or \"axvmconfig-2025\" for "
		     "emu_type_numbering, found \"Seeds\"");
	expect_error(HEAD "[devices]\nemu_type_numbering = 2025\n",
		     "t.toml:7:22: expected a string for emu_type_numbering, found an integer");
	/* reported before the entries it would have changed */
	expect_error(HEAD "[devices]\nemu_devices = [[\"con\", 0x3f8, 8, 4, 2, []]]\n"
			  "emu_type_numbering = \"2025\"\n",
		     "t.toml:8:22: expected \"seeds\" or \"axvmconfig-2025\" for "
		     "emu_type_numbering, found \"2025\"");
	expect_error(HEAD NUMBERING_2025 "emu_type_numbering = \"seeds\"\n",
		     "t.toml:8:1: duplicate key 'emu_type_numbering' (first set at 7:1)");
	/* [base] and [kernel] know no such key */
	expect_error("[base]\nemu_type_numbering = \"seeds\"\n",
		     "t.toml:2:1: unsupported key 'emu_type_numbering' in [base]");
}

/* --- errors: [backends] --------------------------------------------------------------------- */

#define DEVS HEAD "[devices]\nemu_devices = [[\"blk\", 0, 0x200, 0, \"virtio-blk\", []]]\n"

static void test_backend_errors(void **state)
{
	char text[1400];

	(void)state;
	expect_error(DEVS "[backends]\nnet0 = \"null\"\n",
		     "t.toml:9:1: backend for unknown device 'net0' (not in emu_devices)");
	expect_error(HEAD "[backends]\n  blk = \"null\"\n",
		     "t.toml:7:3: backend for unknown device 'blk' (not in emu_devices)");
	expect_error(DEVS "[backends]\nblk = 1\n",
		     "t.toml:9:7: expected a string for the backend of 'blk', found an integer");
	expect_error(DEVS "[backends]\nblk = \"tcp:1234\"\n",
		     "t.toml:9:7: invalid backend \"tcp:1234\" for 'blk': expected \"stdio\", "
		     "\"null\", \"file:PATH\", \"file:PATH,ro\" or \"tap:NAME[,mac=MAC]\"");
	expect_error(DEVS "[backends]\nblk = \"\"\n",
		     "t.toml:9:7: invalid backend \"\" for 'blk': expected \"stdio\", \"null\", "
		     "\"file:PATH\", \"file:PATH,ro\" or \"tap:NAME[,mac=MAC]\"");
	expect_error(DEVS "[backends]\nblk = \"file:\"\n",
		     "t.toml:9:7: invalid backend \"file:\" for 'blk': \"file:\" needs a path");
	expect_error(DEVS "[backends]\nblk = \"file:,ro\"\n",
		     "t.toml:9:7: invalid backend \"file:,ro\" for 'blk': \"file:\" needs a path");
	snprintf(text, sizeof(text), DEVS "[backends]\nblk = \"file:%01024d\"\n", 0);
	expect_error(text, "t.toml:9:7: invalid backend \"file:00000000000000000000000000000000000"
			   "000000000000000000000000\" for 'blk': the path is longer than 1023 "
			   "characters");
	/* a block image's options (config/disk_spec.h): an unknown or badly valued one */
	expect_error(DEVS "[backends]\nblk = \"file:d.img,aio=posix\"\n",
		     "t.toml:9:7: invalid backend \"file:d.img,aio=posix\" for 'blk': bad value "
		     "\"posix\" for aio (options: ro, aio=uring|sync, direct=on|off)");
	expect_error(DEVS "[backends]\nblk = \"file:d.img,ro,cache=none\"\n",
		     "t.toml:9:7: invalid backend \"file:d.img,ro,cache=none\" for 'blk': unknown "
		     "option \"cache=none\" (options: ro, aio=uring|sync, direct=on|off)");
	parse_ok(DEVS "[backends]\nblk = \"file:d.img,ro,aio=sync,direct=on\"\n");
	expect_error(DEVS "[backends]\nblk = \"null\"\n\"blk\" = \"stdio\"\n",
		     "t.toml:10:1: duplicate key 'blk' (first set at 9:1)");
}

/* --- command-line overrides ------------------------------------------------------------------ */

static void expect_override_error(const char *arg, const char *msg)
{
	char err[AXVM_ERR_MAX] = "";

	assert_int_equal(axvm_config_override_backend(&cfg, arg, err, sizeof(err)), -1);
	assert_string_equal(err, msg);
}

static void test_override_backend(void **state)
{
	char err[AXVM_ERR_MAX] = "";
	const struct axvm_backend_binding *b;

	(void)state;
	parse_ok(DEVS "[backends]\nblk = \"file:a.img\"\n");
	assert_int_equal(axvm_config_override_backend(&cfg, "blk=file:b.img,ro", err, sizeof(err)),
			 0);
	assert_int_equal(cfg.nr_backends, 1);
	b = axvm_config_backend(&cfg, "blk");
	assert_string_equal(b->spec, "file:b.img,ro");
	assert_int_equal(b->pos.line, 0); /* from the command line */
	expect_override_error(
		"blk=file:b.img,direct=yes",
		"backend override \"blk=file:b.img,direct=yes\": bad value \"yes\" for "
		"direct (options: ro, aio=uring|sync, direct=on|off)");
	/* a spec may itself contain '=' */
	assert_int_equal(axvm_config_override_backend(&cfg, "blk=file:x=y", err, sizeof(err)), 0);
	assert_string_equal(axvm_config_backend(&cfg, "blk")->spec, "file:x=y");

	parse_ok(DEVS);
	assert_null(axvm_config_backend(&cfg, "blk"));
	assert_int_equal(axvm_config_override_backend(&cfg, "blk=null", err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_backends, 1);
	assert_string_equal(axvm_config_backend(&cfg, "blk")->spec, "null");

	expect_override_error("blk", "backend override \"blk\": expected NAME=SPEC");
	expect_override_error("=null", "backend override \"=null\": expected NAME=SPEC");
	expect_override_error("net=null",
			      "backend override \"net=null\": no device named \"net\" in t.toml");
	expect_override_error("abcdefghijabcdefghijabcdefghijabc=null",
			      "backend override \"abcdefghijabcdefghijabcdefghijabc=null\": no "
			      "device named \"abcdefghijabcdefghijabcdefghijabc\" in t.toml");
	expect_override_error("blk=disk.img",
			      "backend override \"blk=disk.img\": expected \"stdio\", \"null\", "
			      "\"file:PATH\", \"file:PATH,ro\" or \"tap:NAME[,mac=MAC]\"");
	expect_override_error("blk=file:",
			      "backend override \"blk=file:\": \"file:\" needs a path");
	assert_string_equal(axvm_config_backend(&cfg, "blk")->spec, "null");
}

/* --- hostile input and the error buffer ------------------------------------------------------ */

static void test_hostile_input(void **state)
{
	static const char nul_inside[] = "[base]\ncpu_num = 1\0\n";
	char err[AXVM_ERR_MAX];
	char small[12];

	(void)state;
	assert_int_equal(axvm_config_parse("t.toml", nul_inside, sizeof(nul_inside) - 1, &cfg, err,
					   sizeof(err)),
			 -1);
	assert_string_equal(err, "t.toml:2:12: expected end of line after value, found byte 0x00");
	assert_int_equal(axvm_config_parse("t.toml", NULL, 0, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "t.toml:1:1: missing table [base] (it must set cpu_num)");
	/* a short buffer gets a truncated, terminated message; none at all is fine too */
	assert_int_equal(axvm_config_parse("t.toml", "x", 1, &cfg, small, sizeof(small)), -1);
	assert_string_equal(small, "t.toml:1:2:");
	assert_int_equal(axvm_config_parse("t.toml", "x", 1, &cfg, NULL, 0), -1);
	/* every prefix of the full config: an error or success, never a crash */
	for (size_t len = 0; len < sizeof(full); len++) {
		char *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, full, len);
		if (axvm_config_parse("t.toml", copy, len, &cfg, err, sizeof(err)) != 0)
			assert_true(strncmp(err, "t.toml:", 7) == 0);
		free(copy);
	}
}

/* --- files -------------------------------------------------------------------------------------
 */

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/axvm-config-XXXXXX", path[64], err[AXVM_ERR_MAX], msg[256];
	char *big;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.toml", dir);
	write_file(path, full, sizeof(full) - 1);
	assert_int_equal(axvm_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.nr_emu, 4);

	write_file(path, "[base]\ncpu_num = x\n", 19);
	assert_int_equal(axvm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg),
		 "%s:2:11: expected a value (string, integer, boolean or array), found 'x'", path);
	assert_string_equal(err, msg);

	/* 1 MiB is the limit */
	big = calloc(1, (1u << 20) + 1);
	assert_non_null(big);
	memset(big, '\n', (1u << 20) + 1);
	write_file(path, big, (1u << 20) + 1);
	assert_int_equal(axvm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: larger than 1048576 bytes, not a VM config", path);
	assert_string_equal(err, msg);
	write_file(path, big, 1u << 20);
	assert_int_equal(axvm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s:1:1: missing table [base] (it must set cpu_num)", path);
	assert_string_equal(err, msg);
	free(big);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(axvm_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
	assert_string_equal(err, msg);
	assert_int_equal(axvm_config_load(dir, &cfg, err, sizeof(err)), -1);
	snprintf(msg, sizeof(msg), "%s: Is a directory", dir);
	assert_string_equal(err, msg);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * The source tree's tests/configs: from the working directory (make runs the tests
 * from the top of the tree), else from above this binary (build/tests/, build/asan/tests/).
 * Fails the test when neither has it: a run that cannot see the samples must not pass.
 */
static const char *configs_dir(void)
{
	static char path[4096];
	DIR *d = opendir("tests/configs");
	ssize_t n;
	char *slash;

	if (d) {
		closedir(d);
		return "tests/configs";
	}
	n = readlink("/proc/self/exe", path, sizeof(path) - sizeof("/tests/configs"));
	if (n <= 0)
		fail_msg("tests/configs: not in the working directory, and /proc/self/exe "
			 "unreadable");
	path[n] = '\0';
	while ((slash = strrchr(path, '/')) && slash != path) {
		*slash = '\0';
		size_t len = strlen(path);

		memcpy(path + len, "/tests/configs", sizeof("/tests/configs"));
		d = opendir(path);
		if (d) {
			closedir(d);
			return path;
		}
		path[len] = '\0';
	}
	fail_msg("tests/configs: not in the working directory nor above this binary; run from "
		 "the source tree");
	return NULL;
}

/*
 * One folder of sample configs: good/ loads, bad/ fails with its "# expect:" text,
 * and bad-devices/ passes this loader (its errors belong to the device set, checked
 * by check-configs.sh). A missing or empty folder fails.
 */
static void check_dir(const char *root, const char *sub, int want)
{
	char dir[4200];
	DIR *d;
	struct dirent *e;
	unsigned files = 0;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	d = opendir(dir);
	if (!d)
		fail_msg("%s: cannot open", dir);
	while ((e = readdir(d))) {
		char path[4500], err[AXVM_ERR_MAX], line[512] = "", *expect;
		size_t n = strlen(e->d_name);
		FILE *f;

		if (n < 5 || strcmp(e->d_name + n - 5, ".toml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		if (axvm_config_load(path, &cfg, err, sizeof(err)) != want)
			fail_msg("%s: %s", path, want ? "loaded, expected an error" : err);
		expect = strstr(line, "# expect: ");
		if (want && (!expect || !strstr(err, expect + 10)))
			fail_msg("%s:\n  error  %s\n  lacks  %s", path, err,
				 expect ? expect + 10 : "(no # expect: line)");
		files++;
	}
	closedir(d);
	if (files == 0)
		fail_msg("%s: no .toml file", dir);
}

static void test_sample_configs(void **state)
{
	const char *root = configs_dir();

	(void)state;
	check_dir(root, "good", 0);
	check_dir(root, "bad-devices", 0);
	check_dir(root, "bad", -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_config_defaults),
		cmocka_unit_test(test_accel),
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_max_devices),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_base_errors),
		cmocka_unit_test(test_kernel_errors),
		cmocka_unit_test(test_ramdisk_path),
		cmocka_unit_test(test_memory_region_errors),
		cmocka_unit_test(test_emu_device_type_errors),
		cmocka_unit_test(test_emu_device_value_errors),
		cmocka_unit_test(test_devices_other_errors),
		cmocka_unit_test(test_numbering_axvmconfig_2025),
		cmocka_unit_test(test_numbering_names_and_default),
		cmocka_unit_test(test_numbering_errors),
		cmocka_unit_test(test_backend_errors),
		cmocka_unit_test(test_override_backend),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_sample_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
