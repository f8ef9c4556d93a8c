/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, widths, ranges and emulated device types. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <axdevice/axdevice.h>

static void test_error_names_are_distinct(void **state)
{
	(void)state;
	assert_string_equal(ax_err_name(AX_OK), "Ok");
	assert_string_equal(ax_err_name(AX_ERR_ALREADY_EXISTS), "AlreadyExists");
	assert_string_equal(ax_err_name(AX_ERR_BAD_ADDRESS), "BadAddress");
	assert_string_equal(ax_err_name(AX_ERR_BAD_STATE), "BadState");
	assert_string_equal(ax_err_name(AX_ERR_INVALID_INPUT), "InvalidInput");
	assert_string_equal(ax_err_name(AX_ERR_NO_MEMORY), "NoMemory");
	assert_string_equal(ax_err_name(AX_ERR_NOT_FOUND), "NotFound");
	assert_string_equal(ax_err_name(AX_ERR_UNSUPPORTED), "Unsupported");
	assert_string_equal(ax_err_name(AX_ERR_RESOURCE_BUSY), "ResourceBusy");
	assert_string_equal(ax_err_name(AX_ERR_IO), "Io");
	for (int a = 0; a < AX_ERR_COUNT; a++) {
		assert_non_null(ax_strerror(a));
		assert_string_not_equal(ax_err_name(a), "Unknown");
		for (int b = 0; b < a; b++) {
			assert_string_not_equal(ax_err_name(a), ax_err_name(b));
			assert_string_not_equal(ax_strerror(a), ax_strerror(b));
		}
	}
}

static void test_error_unknown_code(void **state)
{
	(void)state;
	assert_string_equal(ax_err_name(AX_ERR_COUNT), "Unknown");
	assert_string_equal(ax_err_name(-1), "Unknown");
	assert_string_equal(ax_strerror(12345), "unknown error");
}

static void test_width_from_bytes(void **state)
{
	enum ax_width w = AX_WIDTH_BYTE;

	(void)state;
	assert_int_equal(ax_width_from_bytes(1, &w), AX_OK);
	assert_int_equal(w, AX_WIDTH_BYTE);
	assert_int_equal(ax_width_from_bytes(2, &w), AX_OK);
	assert_int_equal(w, AX_WIDTH_WORD);
	assert_int_equal(ax_width_from_bytes(4, &w), AX_OK);
	assert_int_equal(w, AX_WIDTH_DWORD);
	assert_int_equal(ax_width_from_bytes(8, &w), AX_OK);
	assert_int_equal(w, AX_WIDTH_QWORD);
	static const uint64_t bad[] = { 0, 3, 5, 6, 7, 9, 16, 32, UINT64_MAX, 1ull << 32 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = AX_WIDTH_QWORD;
		assert_int_equal(ax_width_from_bytes(bad[i], &w), AX_ERR_INVALID_INPUT);
		assert_int_equal(w, AX_WIDTH_QWORD); /* untouched on error */
	}
}

static void test_range_new(void **state)
{
	struct ax_range r;

	(void)state;
	assert_int_equal(ax_range_new(AX_BUS_MMIO, 0x1000, 0x100, &r), AX_OK);
	assert_int_equal(r.base, 0x1000);
	assert_int_equal(r.last, 0x10ff);
	assert_int_equal(ax_range_length(&r), 0x100);
	/* zero length */
	assert_int_equal(ax_range_new(AX_BUS_MMIO, 0x1000, 0, &r), AX_ERR_INVALID_INPUT);
	/* wrap-around */
	assert_int_equal(ax_range_new(AX_BUS_MMIO, UINT64_MAX - 0xf, 0x20, &r), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_range_new(AX_BUS_MMIO, 2, UINT64_MAX, &r), AX_ERR_BAD_ADDRESS);
	/* ending exactly at the top is not a wrap */
	assert_int_equal(ax_range_new(AX_BUS_MMIO, UINT64_MAX - 0xf, 0x10, &r), AX_OK);
	assert_true(r.last == UINT64_MAX);
	assert_int_equal(ax_range_new(AX_BUS_MMIO, 0, UINT64_MAX, &r), AX_OK);
	assert_int_equal(ax_range_new(AX_BUS_MMIO, 1, UINT64_MAX, &r), AX_OK); /* [1, 2^64) */
	/* bus limits */
	assert_int_equal(ax_range_new(AX_BUS_PORT, 0xfff8, 8, &r), AX_OK);
	assert_int_equal(ax_range_new(AX_BUS_PORT, 0xfff8, 9, &r), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_range_new(AX_BUS_PORT, 0x10000, 1, &r), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_range_new(AX_BUS_SYSREG, 0xffffffffull, 1, &r), AX_OK);
	assert_int_equal(ax_range_new(AX_BUS_SYSREG, 0xffffffffull, 2, &r), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_range_new(AX_BUS_COUNT, 0, 1, &r), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_range_new((enum ax_bus) - 1, 0, 1, &r), AX_ERR_INVALID_INPUT);
}

static void test_range_contains_and_overlaps(void **state)
{
	struct ax_range r = { 0x1000, 0x1007 };
	struct ax_range top = { UINT64_MAX - 7, UINT64_MAX };

	(void)state;
	assert_true(ax_range_contains(&r, 0x1000, 8));
	assert_true(ax_range_contains(&r, 0x1004, 4));
	assert_false(ax_range_contains(&r, 0x1005, 4)); /* straddles the end */
	assert_false(ax_range_contains(&r, 0xfff, 1));
	assert_false(ax_range_contains(&r, 0x1008, 1));
	assert_true(ax_range_contains(&top, UINT64_MAX - 7, 8));
	assert_false(ax_range_contains(&top, UINT64_MAX, 2)); /* would wrap */
	struct ax_range a = { 0, 9 }, b = { 9, 20 }, c = { 10, 20 };
	assert_true(ax_range_overlaps(&a, &b));
	assert_false(ax_range_overlaps(&a, &c));
	assert_true(ax_range_overlaps(&c, &b));
}

static void test_bus_names(void **state)
{
	(void)state;
	assert_string_equal(ax_bus_name(AX_BUS_MMIO), "mmio");
	assert_string_equal(ax_bus_name(AX_BUS_PORT), "port");
	assert_string_equal(ax_bus_name(AX_BUS_SYSREG), "sysreg");
	assert_string_equal(ax_bus_name(AX_BUS_COUNT), "?");
	assert_int_equal(AX_SYSREG_ARM64(3, 0, 12, 11, 5),
			 (3u << 14) | (12u << 7) | (11u << 3) | 5);
}

static void test_emu_type_numbers_and_names(void **state)
{
	static const struct {
		enum ax_emu_type type;
		int number;
		const char *name;
		const char *short_name;
		bool removable;
	} expected[] = {
		{ AX_EMU_CONSOLE, 0, "console", "console", false },
		{ AX_EMU_GICD_V2, 1, "Arm interrupt controller V2", "gicd-v2", true },
		{ AX_EMU_GPPT, 2, "partial passthrough interrupt controller", "gppt", true },
		{ AX_EMU_VIRTIO_BLK, 3, "virtio block", "virtio-blk", true },
		{ AX_EMU_VIRTIO_NET, 4, "virtio net", "virtio-net", true },
		{ AX_EMU_VIRTIO_CONSOLE, 5, "virtio console", "virtio-console", true },
		{ AX_EMU_IOMMU, 6, "IOMMU", "iommu", false },
		{ AX_EMU_ICC_SRE, 7, "interrupt ICC SRE", "icc-sre", true },
		{ AX_EMU_SGIR, 8, "interrupt ICC SGIR", "sgir", true },
		{ AX_EMU_GICR, 9, "interrupt controller gicr", "gicr", true },
		{ AX_EMU_META, 10, "meta device", "meta", false },
	};

	(void)state;
	assert_int_equal(AX_EMU_TYPE_COUNT, 11);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		enum ax_emu_type t;

		assert_int_equal(expected[i].type, expected[i].number);
		assert_int_equal(ax_emu_type_from_int((uint64_t)expected[i].number, &t), AX_OK);
		assert_int_equal(t, expected[i].type);
		assert_string_equal(ax_emu_type_name(t), expected[i].name);
		assert_string_equal(ax_emu_type_short_name(t), expected[i].short_name);
		assert_int_equal(ax_emu_type_removable(t), expected[i].removable);
		assert_int_equal(ax_emu_type_from_short_name(expected[i].short_name, &t), AX_OK);
		assert_int_equal(t, expected[i].type);
	}
}

static void test_emu_type_unknown(void **state)
{
	enum ax_emu_type t = AX_EMU_META;

	(void)state;
	assert_int_equal(ax_emu_type_from_int(11, &t), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_emu_type_from_int(UINT64_MAX, &t), AX_ERR_INVALID_INPUT);
	assert_int_equal(t, AX_EMU_META);
	assert_null(ax_emu_type_name((enum ax_emu_type)11));
	assert_null(ax_emu_type_short_name((enum ax_emu_type) - 1));
	assert_false(ax_emu_type_removable((enum ax_emu_type)99));
	assert_int_equal(ax_emu_type_from_short_name("virtio-blkx", &t), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_emu_type_from_short_name("", &t), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_emu_type_from_short_name(NULL, &t), AX_ERR_INVALID_INPUT);
}

/* Every number of upstream's July 2025 numbering: mapped to ours, or refused with a reason. */
static void test_emu_type_axvmconfig_2025(void **state)
{
	static const struct {
		uint64_t value;
		const char *upstream;
		enum ax_err err;
		enum ax_emu_type ours; /* when err == AX_OK */
		const char *why;       /* when err == AX_ERR_UNSUPPORTED */
	} expected[] = {
		{ 0x00, "Dummy", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0x01, "InterruptController", AX_ERR_UNSUPPORTED, 0,
		  "arch-generic upstream (a GICv2 or GICv3 on Arm, another controller elsewhere): "
		  "name the model instead, e.g. \"gicd-v2\", \"gicd-v3\" or \"ioapic\"" },
		{ 0x02, "Console", AX_OK, AX_EMU_CONSOLE, NULL },
		{ 0x03, "FwCfg", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0x0a, "IVCChannel", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0x20, "GPPTRedistributor", AX_ERR_UNSUPPORTED, 0,
		  "our gppt (2) is the partial-passthrough distributor only" },
		{ 0x21, "GPPTDistributor", AX_OK, AX_EMU_GPPT, NULL },
		{ 0x22, "GPPTITS", AX_ERR_UNSUPPORTED, 0,
		  "our gppt (2) is the partial-passthrough distributor only" },
		{ 0x23, "X86IoApic", AX_OK, AX_EMU_IOAPIC, NULL },
		{ 0x24, "X86Pit", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0x25, "LoongArchPchPic", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0x30, "PPPTGlobal", AX_ERR_UNSUPPORTED, 0, "no counterpart in libaxdevice" },
		{ 0xe1, "VirtioBlk", AX_OK, AX_EMU_VIRTIO_BLK, NULL },
		{ 0xe2, "VirtioNet", AX_OK, AX_EMU_VIRTIO_NET, NULL },
		{ 0xe3, "VirtioConsole", AX_OK, AX_EMU_VIRTIO_CONSOLE, NULL },
	};
	static const uint64_t not_upstream[] = { 4,    5,    9,	    0x0b,	    0x1f,
						 0x26, 0x2f, 0x31,  0x40,	    0x44,
						 0xe0, 0xe4, 0x100, 0x1000000e1ull, UINT64_MAX };
	const char *name = "x", *why = "x";
	enum ax_emu_type t;

	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		t = AX_EMU_META;
		assert_int_equal(
			ax_emu_type_from_axvmconfig_2025(expected[i].value, &t, &name, &why),
			expected[i].err);
		assert_string_equal(name, expected[i].upstream);
		if (expected[i].err == AX_OK) {
			assert_int_equal(t, expected[i].ours);
			assert_null(why);
		} else {
			assert_int_equal(t, AX_EMU_META); /* untouched */
			assert_string_equal(why, expected[i].why);
		}
		/* the name and reason are optional */
		assert_int_equal(
			ax_emu_type_from_axvmconfig_2025(expected[i].value, &t, NULL, NULL),
			expected[i].err);
	}
	for (size_t i = 0; i < sizeof(not_upstream) / sizeof(not_upstream[0]); i++) {
		t = AX_EMU_META;
		name = why = "x";
		assert_int_equal(ax_emu_type_from_axvmconfig_2025(not_upstream[i], &t, &name, &why),
				 AX_ERR_INVALID_INPUT);
		assert_null(name);
		assert_null(why);
		assert_int_equal(t, AX_EMU_META);
	}
	/* the default numbering is untouched: 0x21 and 0xe1 are no seeds' numbers */
	assert_int_equal(ax_emu_type_from_int(0x21, &t), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_emu_type_from_int(0xe1, &t), AX_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_names_are_distinct),
		cmocka_unit_test(test_error_unknown_code),
		cmocka_unit_test(test_width_from_bytes),
		cmocka_unit_test(test_range_new),
		cmocka_unit_test(test_range_contains_and_overlaps),
		cmocka_unit_test(test_bus_names),
		cmocka_unit_test(test_emu_type_numbers_and_names),
		cmocka_unit_test(test_emu_type_unknown),
		cmocka_unit_test(test_emu_type_axvmconfig_2025),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
