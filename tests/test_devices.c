/* SPDX-License-Identifier: Apache-2.0 */
/* The VM device set: building from config, kinds, add/remove, routing contracts, counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "host_posix.h"
#include "probe_device.h"

struct fixture {
	struct probe probes[8]; /* outlive each test: teardown destroys the devices */
	struct test_host host;
	struct ax_devices *set;
	struct ax_diag diag;
};

static struct ax_devices_params params_for(struct test_host *host, uint32_t vcpus)
{
	struct ax_devices_params p = { .hooks = &host->hooks, .max_vcpus = vcpus };

	return p;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ax_devices_params p;

	test_host_init(&f->host, true);
	p = params_for(&f->host, 4);
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

static void assert_msg(const struct ax_diag *diag, const char *needle)
{
	if (!strstr(diag->msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", diag->msg, needle);
}

/* --- creation from config and the kind registry ----------------------------- */

static void test_create_from_config_builds_meta(void **state)
{
	struct test_host host;
	struct ax_emu_config entries[] = {
		{ .name = "meta0", .base_gpa = 0x1000, .length = 0x100, .emu_type = AX_EMU_META },
		{ .name = "meta1", .base_gpa = 0x2000, .length = 0x100, .emu_type = AX_EMU_META },
	};
	struct ax_vm_device_config cfg = { entries, 2 };
	struct ax_devices_params p = params_for(&host, 1);
	struct ax_devices *set;
	struct ax_device_info info;
	uint64_t v = 1;

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&p, &cfg, &set, NULL), AX_OK);
	assert_int_equal(ax_devices_count(set), 2);
	assert_int_equal(ax_devices_find(set, AX_BUS_MMIO, 0x20ff, &info), AX_OK);
	assert_string_equal(info.name, "meta1");
	assert_int_equal(info.id, 2);
	assert_int_equal(info.type, AX_EMU_META);
	assert_false(info.removable); /* upstream: meta is not removable */
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x1004, 4, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(ax_devices_handle_mmio_write(set, 0, 0x1004, 4, 7), AX_OK);
	ax_devices_destroy(set);
}

static void test_create_unsupported_type_names_entry(void **state)
{
	struct test_host host;
	struct ax_emu_config entries[] = {
		{ .name = "meta0", .base_gpa = 0x1000, .length = 0x100, .emu_type = AX_EMU_META },
		{ .name = "iommu0", .base_gpa = 0x2000, .length = 0x100, .emu_type = AX_EMU_IOMMU },
	};
	struct ax_vm_device_config cfg = { entries, 2 };
	struct ax_devices_params p = params_for(&host, 1);
	struct ax_devices *set = (struct ax_devices *)&host; /* must be reset to NULL */
	struct ax_diag diag = { 0 };

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_ERR_UNSUPPORTED);
	assert_null(set);
	assert_string_equal(
		diag.msg,
		"emu_devices[1]: device \"iommu0\": no device model for emu_type 6 (IOMMU)");
	/* a host kind number nobody registered */
	entries[1].emu_type = AX_EMU_TYPE_HOST_BASE + 1;
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_ERR_UNSUPPORTED);
	assert_msg(&diag, "no device model for emu_type 257 (host kind)");
}

static void test_create_invalid_config(void **state)
{
	struct test_host host;
	struct ax_emu_config entries[] = {
		{ .name = "a", .base_gpa = 0x1000, .length = 0x100, .emu_type = AX_EMU_META },
		{ .name = "b", .base_gpa = 0x10f0, .length = 0x100, .emu_type = AX_EMU_META },
	};
	struct ax_vm_device_config cfg = { entries, 2 };
	struct ax_devices_params p = params_for(&host, 1);
	struct ax_devices *set;
	struct ax_diag diag = { 0 };

	(void)state;
	test_host_init(&host, false);
	/* overlapping entries: the error names both devices */
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_ERR_ADDR_IN_USE);
	assert_string_equal(diag.msg, "emu_devices[1]: device \"b\": mmio range [0x10f0, 0x11ef] "
				      "overlaps device \"a\" range [0x1000, 0x10ff]");
	entries[1].base_gpa = 0x2000;
	entries[1].length = 0;
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "emu_devices[1] \"b\": length: must not be zero");
	/* bad parameters */
	p.max_vcpus = 0;
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_ERR_INVALID_INPUT);
	p.max_vcpus = AX_MAX_VCPUS + 1;
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_ERR_INVALID_INPUT);
	p.max_vcpus = 1;
	p.hooks = NULL;
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_create(NULL, NULL, &set, &diag), AX_ERR_INVALID_INPUT);
}

static enum ax_err ax_fail_for_test(struct ax_diag *diag)
{
	diag->err = AX_ERR_INVALID_INPUT;
	strcpy(diag->msg, "test kind: wants one cfg value");
	return AX_ERR_INVALID_INPUT;
}

static struct probe host_kind_probe;
static bool host_kind_destroyed;

static enum ax_err host_kind_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				    struct ax_device_desc *out, struct ax_diag *diag)
{
	(void)env;
	if (cfg->cfg_len != 1)
		return ax_fail_for_test(diag);
	host_kind_probe.destroyed = &host_kind_destroyed;
	*out = probe_desc(cfg->name, &host_kind_probe, AX_BUS_PORT, cfg->base_gpa, cfg->length);
	out->type = cfg->emu_type;
	return AX_OK;
}

static void test_host_kinds_registered_and_preferred(void **state)
{
	struct test_host host;
	static const uint64_t one[] = { 1 };
	const struct ax_device_kind kinds[] = {
		{ AX_EMU_TYPE_HOST_BASE, "exit", host_kind_create },
		{ AX_EMU_META, "meta", host_kind_create }, /* replaces the built-in */
	};
	struct ax_emu_config entries[] = {
		{ .name = "exit",
		  .base_gpa = 0x501,
		  .length = 1,
		  .emu_type = AX_EMU_TYPE_HOST_BASE,
		  .cfg_list = one,
		  .cfg_len = 1 },
	};
	struct ax_vm_device_config cfg = { entries, 1 };
	struct ax_devices_params p = params_for(&host, 1);
	struct ax_devices *set;
	struct ax_diag diag = { 0 };

	(void)state;
	test_host_init(&host, false);
	p.kinds = kinds;
	p.nr_kinds = 2;
	assert_int_equal(ax_devices_create(&p, &cfg, &set, &diag), AX_OK);
	assert_int_equal(ax_devices_handle_port_write(set, 0, 0x501, 1, 0x2a), AX_OK);
	assert_int_equal(host_kind_probe.last_write, 0x2a);
	assert_int_equal(host_kind_probe.last.bus, AX_BUS_PORT);
	/* add_from_config goes through the same registry: META now maps to the host kind */
	struct ax_emu_config m = { .name = "m",
				   .base_gpa = 0x600,
				   .length = 2,
				   .emu_type = AX_EMU_META,
				   .cfg_list = one,
				   .cfg_len = 1 };
	uint32_t id;
	struct ax_device_info info;

	host_kind_probe.destroyed = NULL;
	assert_int_equal(ax_devices_add_from_config(set, &m, &id, &diag), AX_OK);
	assert_int_equal(ax_devices_find_by_id(set, id, &info), AX_OK);
	assert_int_equal(info.bus, AX_BUS_PORT);
	/* a constructor's own error is passed through untouched */
	m.name = "m2";
	m.cfg_len = 0;
	assert_int_equal(ax_devices_add_from_config(set, &m, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "test kind: wants one cfg value");
	/* an entry on its own is named, never numbered */
	m.name = "m3";
	m.emu_type = AX_EMU_IOMMU;
	assert_int_equal(ax_devices_add_from_config(set, &m, &id, &diag), AX_ERR_UNSUPPORTED);
	assert_string_equal(diag.msg, "device \"m3\": no device model for emu_type 6 (IOMMU)");
	m.emu_type = AX_EMU_META;
	m.length = 0;
	assert_int_equal(ax_devices_add_from_config(set, &m, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"m3\": length: must not be zero");
	m.length = 2;
	/* a name already used */
	m.name = "exit";
	m.cfg_len = 1;
	assert_int_equal(ax_devices_add_from_config(set, &m, &id, &diag), AX_ERR_ALREADY_EXISTS);
	assert_msg(&diag, "\"exit\": name already in use");
	host_kind_destroyed = false;
	host_kind_probe.destroyed = &host_kind_destroyed;
	ax_devices_destroy(set);
	assert_true(host_kind_destroyed);
}

/* --- add / remove / find / foreach ----------------------------------------- */

static void test_add_rejects_overlaps_naming_both(void **state)
{
	struct fixture *f = *state;
	struct probe *a = &f->probes[0];
	struct probe *b = &f->probes[1];
	struct ax_device_desc da = probe_desc("uart", a, AX_BUS_MMIO, 0x1000, 0x100);
	struct ax_device_desc db = probe_desc("gic", b, AX_BUS_MMIO, 0x10ff, 0x10);
	uint32_t id;

	assert_int_equal(ax_devices_add(f->set, &da, &id, &f->diag), AX_OK);
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_ERR_ADDR_IN_USE);
	assert_string_equal(f->diag.msg, "device \"gic\": mmio range [0x10ff, 0x110e] overlaps "
					 "device \"uart\" range [0x1000, 0x10ff]");
	/* enclosing, and enclosed */
	db = probe_desc("gic", b, AX_BUS_MMIO, 0x0, 0x10000);
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_ERR_ADDR_IN_USE);
	db = probe_desc("gic", b, AX_BUS_MMIO, 0x1010, 1);
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_ERR_ADDR_IN_USE);
	/* adjacent is fine, and the same addresses on another bus are too */
	db = probe_desc("gic", b, AX_BUS_MMIO, 0x1100, 0x10);
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_OK);
	db = probe_desc("port", b, AX_BUS_PORT, 0x1000, 0x100);
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_OK);
	/* a device whose own ranges overlap */
	db = probe_desc("self", b, AX_BUS_MMIO, 0x8000, 0x100);
	db.nr_ranges = 2;
	db.ranges[1] = (struct ax_range){ 0x80f0, 0x8100 };
	assert_int_equal(ax_devices_add(f->set, &db, &id, &f->diag), AX_ERR_ADDR_IN_USE);
	assert_string_equal(f->diag.msg, "device \"self\": its ranges 0 and 1 overlap");
	assert_int_equal(ax_devices_count(f->set), 3);
}

static void test_add_rejects_bad_descriptors(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	struct ax_device_desc d;
	struct ax_device_ops no_read = { .write = probe_ops.write };
	uint32_t id;

	d = probe_desc("ok", p, AX_BUS_MMIO, 0x1000, 0x10);
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_OK);
	d = probe_desc("ok", p, AX_BUS_MMIO, 0x2000, 0x10);
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_ALREADY_EXISTS);
	assert_string_equal(f->diag.msg, "device \"ok\": name already in use");
	d.name = "has space";
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.name = NULL;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.name = "x";
	d.nr_ranges = 0;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.nr_ranges = AX_DEVICE_MAX_RANGES + 1;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.nr_ranges = 1;
	d.ranges[0] = (struct ax_range){ 0x20, 0x10 }; /* last < base */
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d = probe_desc("x", p, AX_BUS_PORT, 0xff00, 0x10);
	d.ranges[0].last = 0x10000; /* past the port bus */
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	assert_msg(&f->diag,
		   "device \"x\": port range [0xff00, 0x10000] is empty or beyond the bus");
	d = probe_desc("x", p, AX_BUS_MMIO, 0x2000, 0x10);
	d.ops = &no_read;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.ops = NULL;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	d.ops = &probe_ops;
	d.bus = AX_BUS_COUNT;
	assert_int_equal(ax_devices_add(f->set, &d, &id, &f->diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_add(f->set, NULL, &id, &f->diag), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_count(f->set), 1);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	struct probe *a = &f->probes[0], *b = &f->probes[1];
	static bool a_gone, b_gone; /* b is destroyed by teardown, after we return */
	struct ax_device_desc da = probe_desc("a", a, AX_BUS_MMIO, 0x1000, 0x100);
	struct ax_device_desc db = probe_desc("b", b, AX_BUS_MMIO, 0x2000, 0x100);
	uint32_t ida, idb;
	uint64_t v;

	a->destroyed = &a_gone;
	b->destroyed = &b_gone;
	db.removable = false;
	assert_int_equal(ax_devices_add(f->set, &da, &ida, NULL), AX_OK);
	assert_int_equal(ax_devices_add(f->set, &db, &idb, NULL), AX_OK);
	assert_int_not_equal(ida, idb);
	assert_int_equal(ax_devices_remove(f->set, idb, &f->diag), AX_ERR_PERMISSION_DENIED);
	assert_string_equal(f->diag.msg, "remove: device \"b\" is not removable");
	assert_false(b_gone);
	assert_int_equal(ax_devices_remove(f->set, 999, &f->diag), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_remove(f->set, ida, &f->diag), AX_OK);
	assert_true(a_gone);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, 4, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_remove(f->set, ida, &f->diag), AX_ERR_NOT_FOUND);
	/* the addresses are free again; ids are never reused */
	uint32_t id2;

	a->destroyed = NULL;
	assert_int_equal(ax_devices_add(f->set, &da, &id2, NULL), AX_OK);
	assert_true(id2 > idb);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, 4, &v), AX_OK);
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	struct ax_device_desc d = probe_desc("multi", p, AX_BUS_MMIO, 0x1000, 0x10);
	struct ax_device_info info;
	uint32_t id;

	d.nr_ranges = 2;
	d.ranges[1] = (struct ax_range){ 0x9000, 0x9fff };
	d.type = AX_EMU_GICD_V2;
	assert_int_equal(ax_devices_add(f->set, &d, &id, NULL), AX_OK);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_MMIO, 0x9abc, &info), AX_OK);
	assert_int_equal(info.id, id);
	assert_int_equal(info.nr_ranges, 2);
	assert_true(info.ranges[1].base == 0x9000 && info.ranges[1].last == 0x9fff);
	assert_int_equal(info.type, AX_EMU_GICD_V2);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_MMIO, 0x1010, &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_PORT, 0x1000, &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_name(f->set, "multi", &info), AX_OK);
	assert_int_equal(info.id, id);
	assert_int_equal(ax_devices_find_by_name(f->set, "nope", &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_id(f->set, id + 1, &info), AX_ERR_NOT_FOUND);
	void *priv;

	assert_int_equal(ax_devices_priv(f->set, id, &priv), AX_OK);
	assert_ptr_equal(priv, p);
	assert_int_equal(ax_devices_priv(f->set, id + 1, &priv), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_COUNT, 0, &info), AX_ERR_INVALID_INPUT);
}

struct visit_log {
	char names[8][AX_NAME_MAX];
	unsigned n;
	unsigned stop_after;
};

static enum ax_err visit(const struct ax_device_info *info, void *arg)
{
	struct visit_log *log = arg;

	strcpy(log->names[log->n++], info->name);
	return log->n == log->stop_after ? AX_ERR_RESOURCE_BUSY : AX_OK;
}

static void test_foreach_in_address_order(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	struct ax_device_desc d;
	struct visit_log log = { 0 };

	d = probe_desc("high", &p[0], AX_BUS_MMIO, 0x9000, 0x10);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	d = probe_desc("low", &p[1], AX_BUS_MMIO, 0x1000, 0x10);
	d.nr_ranges = 2; /* a second range must not visit the device twice */
	d.ranges[1] = (struct ax_range){ 0xa000, 0xa00f };
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	d = probe_desc("com1", &p[2], AX_BUS_PORT, 0x3f8, 8);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	d = probe_desc("sre", &p[3], AX_BUS_SYSREG, AX_SYSREG_ARM64(3, 0, 12, 12, 5), 1);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);

	assert_int_equal(ax_devices_foreach(f->set, AX_BUS_MMIO, visit, &log), AX_OK);
	assert_int_equal(log.n, 2);
	assert_string_equal(log.names[0], "low");
	assert_string_equal(log.names[1], "high");
	memset(&log, 0, sizeof(log));
	assert_int_equal(ax_devices_foreach(f->set, AX_BUS_COUNT, visit, &log), AX_OK);
	assert_int_equal(log.n, 4);
	assert_string_equal(log.names[2], "com1");
	assert_string_equal(log.names[3], "sre");
	memset(&log, 0, sizeof(log));
	log.stop_after = 1;
	assert_int_equal(ax_devices_foreach(f->set, AX_BUS_COUNT, visit, &log),
			 AX_ERR_RESOURCE_BUSY);
	assert_int_equal(log.n, 1);
}

/* --- the routing contracts -------------------------------------------------- */

static void test_unmapped_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	*p = (struct probe){ .read_value = 0x55 };
	struct ax_device_desc d = probe_desc("p", p, AX_BUS_MMIO, 0x1000, 0x100);
	struct ax_device_stats st;
	uint64_t v = 123;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, 4, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(v, 0);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 1, 0xfff, 1, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 2, 0x1100, 1, 0), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, UINT64_MAX, 1, &v),
			 AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x1000, 1, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_handle_sysreg_write(f->set, 0, 0x1000, 8, 1), AX_ERR_NOT_FOUND);
	assert_int_equal(p->reads + p->writes, 0);
	assert_int_equal(ax_devices_unmapped_stats(f->set, AX_BUS_MMIO, &st), AX_OK);
	assert_int_equal(st.reads, 3);
	assert_int_equal(st.writes, 1);
	assert_int_equal(ax_devices_unmapped_stats(f->set, AX_BUS_PORT, &st), AX_OK);
	assert_int_equal(st.reads, 1);
	assert_int_equal(ax_devices_unmapped_stats(f->set, AX_BUS_SYSREG, &st), AX_OK);
	assert_int_equal(st.writes, 1);
}

static void test_width_checked_before_device(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	struct ax_device_desc d = probe_desc("p", p, AX_BUS_MMIO, 0x1000, 0x100);
	static const unsigned bad[] = { 0, 3, 5, 6, 7, 9, 16, 64, 0x80000000u };
	uint64_t v;

	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, bad[i], &v),
				 AX_ERR_INVALID_INPUT);
		assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, 0x1000, bad[i], 0),
				 AX_ERR_INVALID_INPUT);
	}
	assert_int_equal(p->reads + p->writes, 0);
	for (unsigned w = 1; w <= 8; w *= 2)
		assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, w, &v), AX_OK);
	assert_int_equal(p->reads, 4);
}

static void test_access_must_lie_inside_one_device(void **state)
{
	struct fixture *f = *state;
	struct probe *a = &f->probes[0];
	struct probe *b = &f->probes[1];
	struct ax_device_desc da = probe_desc("a", a, AX_BUS_MMIO, 0x1000, 0x10);
	struct ax_device_desc db = probe_desc("b", b, AX_BUS_MMIO, 0x1010, 0x10);
	struct ax_device_stats st;
	uint32_t ida;
	uint64_t v;

	assert_int_equal(ax_devices_add(f->set, &da, &ida, NULL), AX_OK);
	assert_int_equal(ax_devices_add(f->set, &db, NULL, NULL), AX_OK);
	/* last bytes of a: fine at every width that fits */
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1008, 8, &v), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x100f, 1, &v), AX_OK);
	/* straddling into b, or off the end: BadAddress, and neither device is called */
	unsigned before = a->reads + b->reads;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x100c, 8, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, 0x100f, 2, 0), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x101f, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(a->reads + b->reads + a->writes + b->writes, before);
	assert_int_equal(ax_devices_stats(f->set, ida, &st), AX_OK);
	assert_int_equal(st.errors, 2);
}

static void test_access_at_top_of_address_space(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	*p = (struct probe){ .read_value = 0x1122334455667788ull };
	struct ax_device_desc d = probe_desc("top", p, AX_BUS_MMIO, UINT64_MAX - 7, 8);
	uint64_t v;

	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, UINT64_MAX - 7, 8, &v), AX_OK);
	assert_true(v == 0x1122334455667788ull);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, UINT64_MAX, 1, &v), AX_OK);
	/* an access that would wrap past 2^64 */
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, UINT64_MAX - 1, 4, &v),
			 AX_ERR_BAD_ADDRESS);
}

static void test_access_context_and_masking(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	*p = (struct probe){ .read_value = 0xa1b2c3d4e5f60718ull };
	struct ax_device_desc d = probe_desc("p", p, AX_BUS_MMIO, 0x4000, 0x100);
	uint64_t v;

	d.nr_ranges = 2;
	d.ranges[1] = (struct ax_range){ 0x8000, 0x80ff };
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 3, 0x8012, 2, &v), AX_OK);
	assert_int_equal(v, 0x0718);
	assert_int_equal(p->last.vcpu, 3);
	assert_int_equal(p->last.bus, AX_BUS_MMIO);
	assert_int_equal(p->last.width, AX_WIDTH_WORD);
	assert_int_equal(p->last.range, 1);
	assert_true(p->last.addr == 0x8012);
	assert_true(p->last.offset == 0x12);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x4000, 1, &v), AX_OK);
	assert_int_equal(v, 0x18);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x4000, 4, &v), AX_OK);
	assert_true(v == 0xe5f60718ull);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x4000, 8, &v), AX_OK);
	assert_true(v == 0xa1b2c3d4e5f60718ull);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 1, 0x4004, 1, 0xfffff), AX_OK);
	assert_true(p->last_write == 0xff);
	assert_int_equal(p->last.range, 0);
	assert_true(p->last.offset == 4);
	/* vcpu id out of range, bad bus, NULL out-pointer */
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 4, 0x4000, 4, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_read(f->set, AX_BUS_COUNT, 0, 0x4000, 4, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x4000, 4, NULL),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_mmio_read(NULL, 0, 0x4000, 4, &v), AX_ERR_INVALID_INPUT);
}

static void test_device_errors_pass_through_and_count(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];
	*p = (struct probe){ .read_value = 7, .fail_with = AX_ERR_UNSUPPORTED };
	struct ax_device_desc d = probe_desc("p", p, AX_BUS_MMIO, 0x1000, 0x100);
	struct ax_device_stats st;
	uint32_t id;
	uint64_t v = 9;

	assert_int_equal(ax_devices_add(f->set, &d, &id, NULL), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000, 4, &v), AX_ERR_UNSUPPORTED);
	assert_int_equal(v, 0); /* never a half-made value */
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 1, 0x1000, 4, 1), AX_ERR_UNSUPPORTED);
	p->fail_with = AX_OK;
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 2, 0x1000, 4, &v), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(f->set, 3, 0x1000, 4, &v), AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 3, 0x1000, 4, 1), AX_OK);
	assert_int_equal(ax_devices_stats(f->set, id, &st), AX_OK);
	assert_int_equal(st.reads, 3);
	assert_int_equal(st.writes, 2);
	assert_int_equal(st.errors, 2);
	assert_int_equal(ax_devices_stats(f->set, id + 1, &st), AX_ERR_NOT_FOUND);
}

static void test_port_and_sysreg_buses(void **state)
{
	struct fixture *f = *state;
	struct probe *uart = &f->probes[0];
	*uart = (struct probe){ .read_value = 0x60 };
	struct probe *sre = &f->probes[1];
	*sre = (struct probe){ .read_value = 0x7 };
	struct ax_device_desc d = probe_desc("com1", uart, AX_BUS_PORT, 0x3f8, 8);
	ax_sysreg_t icc_sre = AX_SYSREG_ARM64(3, 0, 12, 12, 5);
	uint64_t v;

	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	d = probe_desc("sre", sre, AX_BUS_SYSREG, icc_sre, 1);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x3fd, 1, &v), AX_OK);
	assert_int_equal(v, 0x60);
	assert_int_equal(uart->last.offset, 5);
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x3fe, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_port_read(f->set, 0, 0x3f7, 1, &v), AX_ERR_NOT_FOUND);
	/* a sysreg access names one register: an 8-byte value is not 8 registers */
	assert_int_equal(ax_devices_handle_sysreg_read(f->set, 1, icc_sre, 8, &v), AX_OK);
	assert_int_equal(v, 7);
	assert_int_equal(sre->last.bus, AX_BUS_SYSREG);
	assert_int_equal(ax_devices_handle_sysreg_write(f->set, 1, icc_sre, 4, 1), AX_OK);
	assert_int_equal(ax_devices_handle_sysreg_read(f->set, 1, icc_sre + 1, 8, &v),
			 AX_ERR_NOT_FOUND);
}

static void test_reset_calls_every_device(void **state)
{
	struct fixture *f = *state;
	struct probe *a = &f->probes[0];
	struct probe *b = &f->probes[1];
	struct ax_device_desc d = probe_desc("a", a, AX_BUS_MMIO, 0x1000, 1);

	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	d = probe_desc("b", b, AX_BUS_PORT, 0x10, 1);
	assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
	assert_int_equal(ax_devices_reset(f->set), AX_OK);
	assert_int_equal(a->resets, 1);
	assert_int_equal(b->resets, 1);
}

struct stats_visit {
	struct ax_devices *set;
	unsigned visited;
	uint64_t reads;
};

/* A visitor that uses the set: stats for every device, and removes the first one. */
static enum ax_err visit_and_use_set(const struct ax_device_info *info, void *arg)
{
	struct stats_visit *v = arg;
	struct ax_device_stats st;

	assert_int_equal(ax_devices_stats(v->set, info->id, &st), AX_OK);
	v->reads += st.reads;
	if (v->visited++ == 0)
		assert_int_equal(ax_devices_remove(v->set, info->id, NULL), AX_OK);
	return AX_OK;
}

static void test_foreach_callback_may_use_the_set(void **state)
{
	struct fixture *f = *state;
	struct ax_device_desc d;
	struct stats_visit v = { f->set, 0, 0 };
	uint64_t val;

	for (unsigned i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "p%u", i);
		d = probe_desc(name, &f->probes[i], AX_BUS_MMIO, 0x1000 * (i + 1), 0x10);
		assert_int_equal(ax_devices_add(f->set, &d, NULL, NULL), AX_OK);
		assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, 0x1000 * (i + 1), 4, &val),
				 AX_OK);
	}
	assert_int_equal(ax_devices_foreach(f->set, AX_BUS_MMIO, visit_and_use_set, &v), AX_OK);
	assert_int_equal(v.visited, 3);
	assert_int_equal(v.reads, 3);
	assert_int_equal(ax_devices_count(f->set), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_from_config_builds_meta),
		cmocka_unit_test(test_create_unsupported_type_names_entry),
		cmocka_unit_test(test_create_invalid_config),
		cmocka_unit_test(test_host_kinds_registered_and_preferred),
		T(test_add_rejects_overlaps_naming_both),
		T(test_add_rejects_bad_descriptors),
		T(test_remove),
		T(test_find),
		T(test_foreach_in_address_order),
		T(test_foreach_callback_may_use_the_set),
		T(test_unmapped_is_not_found),
		T(test_width_checked_before_device),
		T(test_access_must_lie_inside_one_device),
		T(test_access_at_top_of_address_space),
		T(test_access_context_and_masking),
		T(test_device_errors_pass_through_and_count),
		T(test_port_and_sysreg_buses),
		T(test_reset_calls_every_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
