/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatch index against a brute-force oracle: random layouts of small,
 * large, adjacent and granule-sharing ranges on every bus, probed at every
 * range edge and at random addresses, through the public dispatch path.
 */
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

#define MAX_DEVS 600

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct layout {
	struct ax_range ranges[MAX_DEVS];
	uint32_t ids[MAX_DEVS];
	struct probe probes[MAX_DEVS];
	unsigned n;
};

/* Index of the oracle range containing [addr, addr + extent), or -1; *partial when only addr is
 * inside. */
static int oracle(const struct layout *l, uint64_t addr, uint64_t extent, bool *partial)
{
	*partial = false;
	for (unsigned i = 0; i < l->n; i++) {
		if (addr >= l->ranges[i].base && addr <= l->ranges[i].last) {
			if (ax_range_contains(&l->ranges[i], addr, extent))
				return (int)i;
			*partial = true;
			return (int)i;
		}
	}
	return -1;
}

static uint64_t random_len(enum ax_bus bus)
{
	switch (rnd() % 8) {
	case 0:
		return 1;
	case 1:
		return 1 + rnd() % 16;
	case 2: /* spans many granules: served by the binary search */
		return bus == AX_BUS_MMIO ? (1 + rnd() % 64) << 20 : 1 + rnd() % 2048;
	case 3:
		return bus == AX_BUS_MMIO ? 0x1000 : 8;
	default:
		return 1 + rnd() % (bus == AX_BUS_MMIO ? 0x3000 : 64);
	}
}

static void build_layout(struct ax_devices *set, struct layout *l, enum ax_bus bus, unsigned want)
{
	uint64_t limit = ax_bus_limit(bus);
	/* cluster the ranges so that granules are shared and neighbours touch */
	uint64_t window = bus == AX_BUS_MMIO   ? (1ull << 32)
			  : bus == AX_BUS_PORT ? 0x10000
					       : 0x40000;
	uint64_t origin = bus == AX_BUS_MMIO ? 0xfe000000ull : 0;

	l->n = 0;
	for (unsigned tries = 0; l->n < want && tries < want * 20; tries++) {
		uint64_t len = random_len(bus);
		uint64_t base = rnd() % 4 == 0 && l->n ? l->ranges[rnd() % l->n].last + 1
						       : origin + rnd() % window;
		struct ax_device_desc d;
		char name[16];

		if (base > limit || len - 1 > limit - base)
			continue;
		snprintf(name, sizeof(name), "d%u", l->n);
		d = probe_desc(name, &l->probes[l->n], bus, base, len);
		if (ax_devices_add(set, &d, &l->ids[l->n], NULL) != AX_OK)
			continue; /* overlapped: the set refused, as it must */
		l->ranges[l->n++] = d.ranges[0];
	}
	assert_true(l->n >= want / 2);
}

static void probe_addr(struct ax_devices *set, const struct layout *l, enum ax_bus bus,
		       uint64_t addr, unsigned width)
{
	uint64_t extent = bus == AX_BUS_SYSREG ? 1 : width, v;
	bool partial;
	int want = oracle(l, addr, extent, &partial);
	enum ax_err err = ax_devices_handle_read(set, bus, 0, addr, width, &v);
	struct ax_device_info info;

	if (want < 0) {
		assert_int_equal(err, AX_ERR_NOT_FOUND);
		assert_int_equal(ax_devices_find(set, bus, addr, &info), AX_ERR_NOT_FOUND);
		return;
	}
	assert_int_equal(ax_devices_find(set, bus, addr, &info), AX_OK);
	assert_int_equal(info.id, l->ids[want]);
	if (partial) {
		assert_int_equal(err, AX_ERR_BAD_ADDRESS);
		return;
	}
	assert_int_equal(err, AX_OK);
	assert_true(l->probes[want].last.addr == addr);
	assert_true(l->probes[want].last.offset == addr - l->ranges[want].base);
}

/* sync_cores: the host's asymmetric barrier, so the set takes its inline fast path */
static void check_bus_mode(enum ax_bus bus, unsigned want, uint64_t seed, bool sync_cores)
{
	struct test_host host;
	struct ax_devices_params p = { 0 };
	struct ax_devices *set;
	struct layout *l = calloc(1, sizeof(*l));

	rng_state = seed;
	test_host_init(&host, sync_cores);
	p.hooks = &host.hooks;
	p.max_vcpus = 1;
	assert_int_equal(ax_devices_create(&p, NULL, &set, NULL), AX_OK);
	build_layout(set, l, bus, want);
	for (unsigned i = 0; i < l->n; i++) {
		const struct ax_range *r = &l->ranges[i];
		uint64_t edges[] = { r->base - 1, r->base, r->base + 1,
				     r->last - 1, r->last, r->last + 1 };

		for (unsigned e = 0; e < 6; e++)
			for (unsigned w = 1; w <= 8; w *= 2)
				probe_addr(set, l, bus, edges[e], w);
	}
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t addr = l->ranges[rnd() % l->n].base + rnd() % 0x4000 - 0x2000;

		probe_addr(set, l, bus, addr & ax_bus_limit(bus), 1u << (rnd() % 4));
	}
	/* remove half, then everything must still agree */
	for (unsigned i = 0; i < l->n; i += 2)
		assert_int_equal(ax_devices_remove(set, l->ids[i], NULL), AX_OK);
	unsigned k = 0;

	for (unsigned i = 1; i < l->n; i += 2, k++) {
		l->ranges[k] = l->ranges[i];
		l->ids[k] = l->ids[i];
	}
	l->n = k; /* survivors' probes stay where their devices point */
	for (unsigned i = 0; i < 5000; i++) {
		uint64_t addr = l->ranges[rnd() % l->n].base + rnd() % 0x100 - 0x80;
		bool partial;
		uint64_t v;
		int owner = oracle(l, addr & ax_bus_limit(bus), 1, &partial);
		enum ax_err err =
			ax_devices_handle_read(set, bus, 0, addr & ax_bus_limit(bus), 1, &v);

		assert_int_equal(err, owner < 0 ? AX_ERR_NOT_FOUND : AX_OK);
	}
	ax_devices_destroy(set);
	test_host_fini(&host);
	free(l);
}

static void check_bus(enum ax_bus bus, unsigned want, uint64_t seed)
{
	check_bus_mode(bus, want, seed, false);
}

static void test_mmio_layouts(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		check_bus(AX_BUS_MMIO, seed == 1 ? 3 : MAX_DEVS, seed * 0x9e3779b97f4a7c15ull);
}

static void test_port_layouts(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		check_bus(AX_BUS_PORT, 300, seed * 0x51ed2701ull);
}

static void test_sysreg_layouts(void **state)
{
	(void)state;
	check_bus(AX_BUS_SYSREG, 400, 0x1234567ull);
}

/* The same oracle through the fast path (readers do not fence themselves). */
static void test_layouts_fast_path(void **state)
{
	(void)state;
	if (!test_host_has_membarrier())
		skip(); /* SKIP: the host has no membarrier(2), so there is no fast path to test */
	for (uint64_t seed = 1; seed <= 4; seed++)
		check_bus_mode(AX_BUS_MMIO, seed == 1 ? 3 : MAX_DEVS, seed * 0x2545f4914f6cdd1dull,
			       true);
	check_bus_mode(AX_BUS_PORT, 300, 0x51ed2701ull, true);
	check_bus_mode(AX_BUS_SYSREG, 400, 0x7654321ull, true);
}

/* A range covering the whole MMIO space: an access past its top wraps and is refused. */
static void test_whole_space_range(void **state)
{
	struct test_host host;
	struct ax_devices_params p = { 0 };
	struct ax_devices *set;
	struct probe all = { 0 };
	struct ax_device_desc d;
	uint64_t v = 1;

	(void)state;
	for (int sync_cores = 0; sync_cores <= 1; sync_cores++) {
		test_host_init(&host, sync_cores);
		p.hooks = &host.hooks;
		p.max_vcpus = 1;
		assert_int_equal(ax_devices_create(&p, NULL, &set, NULL), AX_OK);
		d = probe_desc("all", &all, AX_BUS_MMIO, 0, 1);
		d.ranges[0].last = UINT64_MAX;
		assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);
		assert_int_equal(ax_devices_handle_mmio_read(set, 0, UINT64_MAX - 7, 8, &v), AX_OK);
		assert_int_equal(ax_devices_handle_mmio_read(set, 0, UINT64_MAX - 6, 8, &v),
				 AX_ERR_BAD_ADDRESS);
		assert_int_equal(v, 0);
		assert_int_equal(ax_devices_handle_mmio_read(set, 0, UINT64_MAX, 2, &v),
				 AX_ERR_BAD_ADDRESS);
		assert_int_equal(ax_devices_handle_mmio_write(set, 0, UINT64_MAX, 1, 0), AX_OK);
		assert_int_equal(ax_devices_handle_mmio_write(set, 0, UINT64_MAX - 2, 4, 0),
				 AX_ERR_BAD_ADDRESS);
		assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0, 8, &v), AX_OK);
		ax_devices_destroy(set);
		test_host_fini(&host);
	}
}

static void test_large_range_sharing_a_granule(void **state)
{
	struct test_host host;
	struct ax_devices_params p = { 0 };
	struct ax_devices *set;
	struct probe big = { 0 }, small[8] = { 0 };
	struct ax_device_desc d;
	uint64_t v;

	(void)state;
	test_host_init(&host, false);
	p.hooks = &host.hooks;
	p.max_vcpus = 1;
	assert_int_equal(ax_devices_create(&p, NULL, &set, NULL), AX_OK);
	/* a 1 GiB range ending mid-granule, and small devices right after it in that granule */
	d = probe_desc("big", &big, AX_BUS_MMIO, 0x40000000, 0x40000800);
	assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);
	for (unsigned i = 0; i < 8; i++) {
		char name[8];

		snprintf(name, sizeof(name), "s%u", i);
		d = probe_desc(name, &small[i], AX_BUS_MMIO, 0x80000800 + i * 0x100, 0x100);
		assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);
	}
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x800007fc, 4, &v), AX_OK);
	assert_int_equal(big.reads, 1);
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x80000904, 4, &v), AX_OK);
	assert_int_equal(small[1].reads, 1);
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x40000000, 8, &v), AX_OK);
	assert_int_equal(big.reads, 2);
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x3fffffff, 1, &v), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_handle_mmio_read(set, 0, 0x80001000, 1, &v), AX_ERR_NOT_FOUND);
	ax_devices_destroy(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio_layouts),
		cmocka_unit_test(test_port_layouts),
		cmocka_unit_test(test_sysreg_layouts),
		cmocka_unit_test(test_large_range_sharing_a_granule),
		cmocka_unit_test(test_layouts_fast_path),
		cmocka_unit_test(test_whole_space_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
