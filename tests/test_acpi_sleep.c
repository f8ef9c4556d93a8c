/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's acpi-sleep device (vmm/devices/acpi_sleep.c), built the way `axvm run`
 * builds it: a config parsed by axvm's loader, the device set made by
 * axvm_build_devices() with axvm's host kinds, accesses through the
 * library's port dispatch, and axvm's own stop request observed on a VM that
 * has no vCPUs. Register values come from the ACPI spec (6.x, 4.8.3.7-8:
 * SLP_TYPx bits 4:2, SLP_EN bit 5, WAK_STS bit 7) and from the S5 type the
 * DSDT declares (5), not from the device's source.
 *
 *   the power-off sequence ACPICA's acpi_hw_extended_sleep() performs
 *   other sleep types: refused, logged once per type, the VM keeps running
 *   SLP_EN clear, the status register, reserved bits, every width
 *   config errors, one device per VM, type names for --stats and the loader
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axvm.h"
#include "devices/host_kinds.h"

#define CONTROL 0x600 /* SLEEP_CONTROL_REG; SLEEP_STATUS_REG follows */
#define STATUS	0x601
#define SLP_EN	0x20
#define WAK_STS 0x80
#define S5	5

static struct axvm_config cfg; /* large: keep it off the stack */
static struct axvm vm;	       /* zeroed: what axvm_destroy() accepts */
static char err[AXVM_ERR_MAX];

/* The config, parsed, and axvm's device set built from it; -1 with err on an error. */
static int build(const char *devices)
{
	char text[1024];

	axvm_destroy(&vm);
	axvm_init(&vm);
	axvm_hooks_init(&vm);
	snprintf(text, sizeof(text),
		 "[base]\ncpu_num = 2\n[kernel]\nkernel_path = \"k\"\n"
		 "memory_regions = [[0, 0x1000, 7, 0]]\n[devices]\nemu_devices = [%s]\n",
		 devices);
	err[0] = '\0';
	if (axvm_config_parse("t.toml", text, strlen(text), &cfg, err, sizeof(err)) != 0)
		return -1;
	vm.cfg = &cfg;
	vm.nr_vcpus = cfg.cpu_num;
	return axvm_build_devices(&vm, err, sizeof(err));
}

static void build_ok(const char *devices)
{
	if (build(devices) != 0)
		fail_msg("%s", err);
}

static int teardown(void **state)
{
	(void)state;
	axvm_destroy(&vm);
	axvm_init(&vm);
	return 0;
}

static const char sleep_dev[] = "[\"pm\", 0x600, 2, 0, \"acpi-sleep\", []]";

static enum ax_err out(uint16_t port, unsigned width, uint64_t val)
{
	return ax_devices_handle_port_write(vm.devices, 1, port, width, val);
}

static enum ax_err in(uint16_t port, unsigned width, uint64_t *val)
{
	*val = 0xdead;
	return ax_devices_handle_port_read(vm.devices, 1, port, width, val);
}

static void assert_running(void)
{
	assert_false(atomic_load(&vm.stop));
	assert_int_equal(atomic_load(&vm.status), -1);
}

static void assert_powered_off(void)
{
	assert_true(atomic_load(&vm.stop));
	assert_int_equal(atomic_load(&vm.status), 0);
	if (!strstr(vm.stop_reason, "guest powered off (ACPI S5"))
		fail_msg("stop reason: %s", vm.stop_reason);
}

/* What ACPICA does for S5 on a hardware-reduced FADT, then its wait for WAK_STS. */
static void test_power_off(void **state)
{
	uint64_t v;

	(void)state;
	build_ok(sleep_dev);
	assert_int_equal(out(STATUS, 1, WAK_STS), AX_OK); /* clear WAK_STS */
	assert_running();
	assert_int_equal(in(STATUS, 1, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(out(CONTROL, 1, (S5 << 2) | SLP_EN), AX_OK); /* 0x34 */
	assert_powered_off();
	assert_non_null(strstr(vm.stop_reason, "vCPU 1"));
	/* WAK_STS never comes: the VM does not wake */
	assert_int_equal(in(STATUS, 1, &v), AX_OK);
	assert_int_equal(v, 0);
}

/* Reserved bits 0, 1, 6 and 7 do not change what the write means. */
static void test_reserved_bits_ignored(void **state)
{
	(void)state;
	build_ok(sleep_dev);
	assert_int_equal(out(CONTROL, 1, 0xc3 | (S5 << 2) | SLP_EN), AX_OK); /* 0xf7 */
	assert_powered_off();
}

/* Without SLP_EN, or on the status register, nothing happens, whatever the type bits. */
static void test_no_slp_en(void **state)
{
	uint64_t v;

	(void)state;
	build_ok(sleep_dev);
	for (unsigned val = 0; val < 0x100; val++) {
		if (!(val & SLP_EN))
			assert_int_equal(out(CONTROL, 1, val), AX_OK);
		assert_int_equal(out(STATUS, 1, val), AX_OK);
	}
	assert_running();
	/* both registers read as 0: SLP_EN is write-only, SLP_TYPx is not kept */
	assert_int_equal(in(CONTROL, 1, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(in(STATUS, 1, &v), AX_OK);
	assert_int_equal(v, 0);
}

/* Runs fn with stderr going to a file; returns what was written (static buffer). */
static const char *captured_stderr(void (*fn)(void))
{
	static char text[4096];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	dup2(fileno(f), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static unsigned count(const char *text, const char *what)
{
	unsigned n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* Every sleep type but S5, each twice. */
static void enter_other_types(void)
{
	for (int round = 0; round < 2; round++)
		for (unsigned t = 0; t < 8; t++)
			if (t != S5)
				assert_int_equal(out(CONTROL, 1, (t << 2) | SLP_EN),
						 AX_ERR_UNSUPPORTED);
}

static void test_other_types_refused(void **state)
{
	struct ax_device_info info;
	struct ax_device_stats st;
	const char *log;
	char what[64];

	(void)state;
	build_ok(sleep_dev);
	log = captured_stderr(enter_other_types);
	assert_running();
	/* one line per type, not per write */
	for (unsigned t = 0; t < 8; t++) {
		snprintf(what, sizeof(what), "asked for sleep type %u ", t);
		assert_int_equal(count(log, what), t == S5 ? 0 : 1);
	}
	assert_int_equal(count(log, "refused"), 7);
	assert_int_equal(ax_devices_find_by_name(vm.devices, "pm", &info), AX_OK);
	assert_int_equal(info.type, AXVM_ACPI_SLEEP_TYPE);
	assert_int_equal(ax_devices_stats(vm.devices, info.id, &st), AX_OK);
	assert_int_equal(st.writes, 14);
	assert_int_equal(st.errors, 14);
	/* S5 still works afterwards */
	assert_int_equal(out(CONTROL, 1, (S5 << 2) | SLP_EN), AX_OK);
	assert_powered_off();
}

/* Byte access only: wider ones are refused before they mean anything. */
static void test_widths(void **state)
{
	uint64_t v;

	(void)state;
	build_ok(sleep_dev);
	assert_int_equal(out(CONTROL, 2, (WAK_STS << 8) | (S5 << 2) | SLP_EN),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(in(CONTROL, 2, &v), AX_ERR_INVALID_INPUT);
	/* wider than the two ports, or straddling their end: the dispatcher says so */
	assert_int_equal(out(CONTROL, 4, (S5 << 2) | SLP_EN), AX_ERR_BAD_ADDRESS);
	assert_int_equal(out(CONTROL, 8, (S5 << 2) | SLP_EN), AX_ERR_BAD_ADDRESS);
	assert_int_equal(out(STATUS, 2, WAK_STS), AX_ERR_BAD_ADDRESS);
	assert_int_equal(in(STATUS, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_running();
	/* next to the device: nothing there */
	assert_int_equal(out(CONTROL - 1, 1, (S5 << 2) | SLP_EN), AX_ERR_NOT_FOUND);
	assert_int_equal(out(STATUS + 1, 1, (S5 << 2) | SLP_EN), AX_ERR_NOT_FOUND);
	assert_running();
}

static void expect_error(const char *devices, const char *msg)
{
	assert_int_not_equal(build(devices), 0);
	if (strcmp(err, msg) != 0)
		fail_msg("\n  got      %s\n  expected %s", err, msg);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_error(
		"[\"pm\", 0x600, 2, 0, \"acpi-sleep\", [5]]",
		"t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device takes no cfg "
		"values");
	expect_error("[\"pm\", 0x600, 1, 0, \"acpi-sleep\", []]",
		     "t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device is 2 ports "
		     "(SLEEP_CONTROL_REG, SLEEP_STATUS_REG): length must be 2, not 0x1");
	expect_error("[\"pm\", 0x600, 3, 0, \"acpi-sleep\", []]",
		     "t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device is 2 ports "
		     "(SLEEP_CONTROL_REG, SLEEP_STATUS_REG): length must be 2, not 0x3");
	expect_error(
		"[\"pm\", 0xfeb0_0000, 2, 0, \"acpi-sleep\", []]",
		"t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device is on the port "
		"bus, not MMIO: base 0xfeb00000 must be a port from 0x1 to 0xfffe");
	expect_error(
		"[\"pm\", 0xffff, 2, 0, \"acpi-sleep\", []]",
		"t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device is on the port "
		"bus, not MMIO: base 0xffff must be a port from 0x1 to 0xfffe");
	expect_error(
		"[\"pm\", 0, 2, 0, \"acpi-sleep\", []]",
		"t.toml:7:16: emu_devices[0]: device \"pm\": the acpi-sleep device is on the port "
		"bus, not MMIO: base 0x0 must be a port from 0x1 to 0xfffe");
	expect_error(
		"[\"pm\", 0x600, 2, 0, \"acpi-sleep\", []], [\"pm2\", 0x700, 2, 0, 0x101, []]",
		"t.toml:7:55: emu_devices[1]: device \"pm2\": a second acpi-sleep device "
		"(emu_devices[0] \"pm\" is the VM's): the FADT has one pair of sleep registers");
	/* overlaps are the device set's, as for any device */
	expect_error(
		"[\"x\", 0x601, 1, 0, \"exit\", []], [\"pm\", 0x600, 2, 0, \"acpi-sleep\", []]",
		"t.toml:7:48: emu_devices[1]: device \"pm\": port range [0x600, 0x601] overlaps "
		"device \"x\" range [0x601, 0x601]");
	/* the highest pair fits; alongside the exit device */
	build_ok("[\"pm\", 0xfffe, 2, 0, \"acpi-sleep\", []], [\"exit\", 0x501, 1, 0, \"exit\", "
		 "[]]");
	assert_int_equal(ax_devices_handle_port_write(vm.devices, 0, 0xfffe, 1, (S5 << 2) | SLP_EN),
			 AX_OK);
	assert_powered_off();
}

/* The loader's names and the kind table's agree, and --stats names every type. */
static void test_type_names(void **state)
{
	char dev[128];

	(void)state;
	assert_int_equal(axvm_nr_kinds, 2);
	for (size_t i = 0; i < axvm_nr_kinds; i++) {
		snprintf(dev, sizeof(dev), "[\"d\", 0x600, %u, 0, \"%s\", []]",
			 axvm_kinds[i].type == AXVM_ACPI_SLEEP_TYPE ? 2u : 1u,
			 axvm_kinds[i].short_name);
		build_ok(dev);
		assert_int_equal(cfg.emu[0].emu_type, axvm_kinds[i].type);
		assert_string_equal(axvm_kind_name(axvm_kinds[i].type), axvm_kinds[i].short_name);
	}
	assert_string_equal(axvm_kind_name(0x101), "acpi-sleep");
	assert_string_equal(axvm_kind_name(0x100), "exit");
	assert_string_equal(axvm_kind_name(3), "virtio-blk");
	assert_null(axvm_kind_name(0x102));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_power_off, teardown),
		cmocka_unit_test_teardown(test_reserved_bits_ignored, teardown),
		cmocka_unit_test_teardown(test_no_slp_en, teardown),
		cmocka_unit_test_teardown(test_other_types_refused, teardown),
		cmocka_unit_test_teardown(test_widths, teardown),
		cmocka_unit_test_teardown(test_config_errors, teardown),
		cmocka_unit_test_teardown(test_type_names, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
