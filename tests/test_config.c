/* SPDX-License-Identifier: Apache-2.0 */
/* Config validation: every message names the entry and the field. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <axdevice/axdevice.h>

static const struct ax_emu_config good = {
	.name = "uart0", .base_gpa = 0x9000000, .length = 0x1000, .irq_id = 33, .emu_type = 0
};

static void expect(const struct ax_emu_config *cfg, enum ax_err err, const char *needle)
{
	struct ax_diag diag = { 0 };

	assert_int_equal(ax_emu_config_validate(cfg, 3, &diag), err);
	assert_int_equal(diag.err, err);
	if (!strstr(diag.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", diag.msg, needle);
}

static void test_valid_entry(void **state)
{
	struct ax_diag diag = { 0 };
	struct ax_emu_config host_kind = good;
	uint64_t cfg[AX_CFG_LIST_MAX] = { 0 };

	(void)state;
	assert_int_equal(ax_emu_config_validate(&good, 0, &diag), AX_OK);
	host_kind.emu_type = AX_EMU_TYPE_HOST_BASE + 7;
	host_kind.cfg_list = cfg;
	host_kind.cfg_len = AX_CFG_LIST_MAX;
	assert_int_equal(ax_emu_config_validate(&host_kind, 0, NULL), AX_OK);
	/* a range ending at the very top of the address space is fine */
	host_kind.base_gpa = UINT64_MAX - 0xfff;
	host_kind.length = 0x1000;
	assert_int_equal(ax_emu_config_validate(&host_kind, 0, NULL), AX_OK);
}

static void test_bad_names(void **state)
{
	struct ax_emu_config c = good;

	(void)state;
	c.name = NULL;
	expect(&c, AX_ERR_INVALID_INPUT, "emu_devices[3]: name: must not be empty");
	c.name = "";
	expect(&c, AX_ERR_INVALID_INPUT, "emu_devices[3]: name: must not be empty");
	c.name = "0123456789012345678901234567890123";
	expect(&c, AX_ERR_INVALID_INPUT, "emu_devices[3]: name: longer than 31 characters");
	c.name = "bad name";
	expect(&c, AX_ERR_INVALID_INPUT, "emu_devices[3] \"bad name\": name: character ' '");
	c.name = "tab\there";
	expect(&c, AX_ERR_INVALID_INPUT, "character '?'");
}

static void test_bad_ranges(void **state)
{
	struct ax_emu_config c = good;

	(void)state;
	c.length = 0;
	expect(&c, AX_ERR_INVALID_INPUT, "emu_devices[3] \"uart0\": length: must not be zero");
	c.base_gpa = UINT64_MAX - 0xf;
	c.length = 0x11;
	expect(&c, AX_ERR_INVALID_INPUT, "length: base_gpa 0xfffffffffffffff0 + length 0x11 wraps");
}

static void test_bad_type_and_cfg_list(void **state)
{
	struct ax_emu_config c = good;
	uint64_t list[AX_CFG_LIST_MAX + 1] = { 0 };

	(void)state;
	c.emu_type = 11;
	expect(&c, AX_ERR_INVALID_INPUT, "emu_type: 11 is not a device type");
	c.emu_type = AX_EMU_TYPE_HOST_BASE - 1;
	expect(&c, AX_ERR_INVALID_INPUT, "emu_type: 255 is not a device type");
	c.emu_type = 0;
	c.cfg_list = list;
	c.cfg_len = AX_CFG_LIST_MAX + 1;
	expect(&c, AX_ERR_INVALID_INPUT, "cfg_list: 17 values, at most 16");
	c.cfg_list = NULL;
	c.cfg_len = 2;
	expect(&c, AX_ERR_INVALID_INPUT, "cfg_list: 2 values but no array");
}

static void test_vm_config_duplicate_names(void **state)
{
	struct ax_emu_config entries[3] = { good, good, good };
	struct ax_vm_device_config cfg = { entries, 3 };
	struct ax_diag diag = { 0 };

	(void)state;
	entries[1].name = "gic";
	entries[1].base_gpa = 0x8000000;
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_ERR_ALREADY_EXISTS);
	assert_string_equal(diag.msg,
			    "emu_devices[2] \"uart0\": name: already used by emu_devices[0]");
	entries[2].name = "uart1";
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_OK);
	entries[2].length = 0;
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "emu_devices[2] \"uart1\": length: must not be zero");
	cfg.emu_configs = NULL;
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_vm_device_config_validate(NULL, &diag), AX_ERR_INVALID_INPUT);
}

/* Copies side by side: the duplicate loop must compare an entry with the one just before it. */
static void test_vm_config_adjacent_duplicate_names(void **state)
{
	struct ax_emu_config entries[3] = { good, good, good };
	struct ax_vm_device_config cfg = { entries, 2 };
	struct ax_diag diag = { 0 };

	(void)state;
	entries[1].base_gpa = 0xa000000;
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_ERR_ALREADY_EXISTS);
	assert_int_equal(diag.err, AX_ERR_ALREADY_EXISTS);
	assert_string_equal(diag.msg,
			    "emu_devices[1] \"uart0\": name: already used by emu_devices[0]");
	/* [gic, uart0, uart0]: the pair later in the list */
	entries[0].name = "gic";
	entries[2].base_gpa = 0xb000000;
	cfg.nr_emu_configs = 3;
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_ERR_ALREADY_EXISTS);
	assert_string_equal(diag.msg,
			    "emu_devices[2] \"uart0\": name: already used by emu_devices[1]");
	entries[2].name = "uart1";
	assert_int_equal(ax_vm_device_config_validate(&cfg, &diag), AX_OK);
}

static void test_single_entry_check_names_the_device(void **state)
{
	struct ax_emu_config c = good;
	struct ax_diag diag = { 0 };

	(void)state;
	assert_int_equal(ax_emu_config_check(&c, &diag), AX_OK);
	c.length = 0;
	assert_int_equal(ax_emu_config_check(&c, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"uart0\": length: must not be zero");
	c.length = 1;
	c.name = "";
	assert_int_equal(ax_emu_config_check(&c, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device: name: must not be empty");
	c.name = "a\x01b";
	assert_int_equal(ax_emu_config_check(&c, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg,
			    "device: name: character '?' not allowed (use A-Z a-z 0-9 _ - .)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_entry),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_bad_type_and_cfg_list),
		cmocka_unit_test(test_vm_config_duplicate_names),
		cmocka_unit_test(test_vm_config_adjacent_duplicate_names),
		cmocka_unit_test(test_single_entry_check_names_the_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
