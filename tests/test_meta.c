/* SPDX-License-Identifier: Apache-2.0 */
/* The meta device: reads zero, ignores writes, on the MMIO bus or (cfg [1]) the port bus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "host_posix.h"

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_diag diag;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ax_devices_params p = { .hooks = &f->host.hooks, .max_vcpus = 1 };

	test_host_init(&f->host, true);
	if (ax_devices_create(&p, NULL, &f->set, &f->diag) != AX_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
	free(f);
	return 0;
}

static enum ax_err add_meta(struct fixture *f, uint64_t base, uint64_t len, const uint64_t *cfg,
			    size_t cfg_len)
{
	struct ax_emu_config e = { .name = "noop",
				   .base_gpa = base,
				   .length = len,
				   .emu_type = AX_EMU_META,
				   .cfg_list = cfg,
				   .cfg_len = cfg_len };

	return ax_devices_add_from_config(f->set, &e, NULL, &f->diag);
}

static void test_mmio_by_default(void **state)
{
	struct fixture *f = *state;
	uint64_t v = 0x1234;

	assert_int_equal(add_meta(f, 0x1000, 0x100, NULL, 0), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1010, 4, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, 0x10f8, 8, ~0ull), AX_OK);
	/* nothing on the port bus at the same number */
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x1010, 1, &v), AX_ERR_NOT_FOUND);
}

static void test_port_bus(void **state)
{
	struct fixture *f = *state;
	const uint64_t cfg[] = { 1 };
	struct ax_device_stats st;
	struct ax_device_info info;
	uint64_t v = 0x55;

	assert_int_equal(add_meta(f, 0x510, 1, cfg, 1), AX_OK);
	assert_int_equal(ax_devices_handle_port_write(f->set, 0, 0x510, 1, 0xaa), AX_OK);
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x510, 1, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x510, 1, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_name(f->set, "noop", &info), AX_OK);
	assert_int_equal(info.bus, AX_BUS_PORT);
	assert_int_equal(ax_devices_stats(f->set, info.id, &st), AX_OK);
	assert_int_equal(st.reads, 1);
	assert_int_equal(st.writes, 1);
}

static void test_bad_cfg(void **state)
{
	struct fixture *f = *state;
	const uint64_t bad_bus[] = { 2 };
	const uint64_t too_many[] = { 0, 0 };

	assert_int_equal(add_meta(f, 0x510, 1, bad_bus, 1), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(f->diag.msg, "device \"noop\": cfg_list must be [] or [bus]"));
	assert_int_equal(add_meta(f, 0x510, 1, too_many, 2), AX_ERR_INVALID_INPUT);
	/* a port range beyond 64 KiB */
	assert_int_equal(add_meta(f, 0xffff, 2, (const uint64_t[]){ 1 }, 1), AX_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmio_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cfg, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
