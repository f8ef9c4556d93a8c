/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the device set (add, remove, dispatch, counters) against an
 * oracle the harness keeps itself: the live ranges per bus, what each
 * device must have seen and every counter.
 *
 * Input: byte 0 picks max_vcpus, then a sequence of operations (add with
 * 1..4 (base, length) ranges at edge values or next to live ones, remove by
 * a live or random id, read/write at edge addresses, inside, straddling or
 * outside live ranges, with any width and vCPU id). Checked after each:
 *  - add succeeds exactly when every range is valid and overlaps neither
 *    another of its ranges nor a live one (InvalidInput / AddrInUse);
 *  - an unmapped access is NotFound, a straddling one BadAddress (the device
 *    is not called), a mapped one reaches the right device with the right
 *    range, offset, width, vCPU and masked value;
 *  - per-device and unmapped counters, find, count, and destroy exactly once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEVS 24

struct hdev {
	unsigned slot;
	unsigned *destroyed; /* counter in the oracle */
	unsigned fail_mod;   /* fail accesses whose offset % 7 == fail_mod (7: never) */
	unsigned calls;
	struct ax_access last;
	uint64_t last_val;
};

struct odev {
	bool live;
	uint32_t id;
	char name[16];
	enum ax_bus bus;
	bool removable;
	uint32_t nr;
	struct ax_range r[AX_DEVICE_MAX_RANGES];
	struct hdev *h;
	struct ax_device_stats st;
	unsigned destroyed;
};

struct oracle {
	struct odev d[MAX_DEVS * 8]; /* every device ever added this run */
	unsigned nr;
	unsigned names;
	uint32_t max_vcpus;
	struct ax_device_stats unmapped[AX_BUS_COUNT];
};

static uint64_t pattern(const struct hdev *h, uint64_t offset)
{
	return 0xa5c3000000000000ull ^ ((uint64_t)h->slot << 40) ^ (offset * 0x9e3779b97f4a7c15ull);
}

static enum ax_err h_access(struct hdev *h, const struct ax_access *acc, uint64_t val)
{
	h->calls++;
	h->last = *acc;
	h->last_val = val;
	return acc->offset % 7 == h->fail_mod ? AX_ERR_IO : AX_OK;
}

static enum ax_err h_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct hdev *h = priv;
	enum ax_err err = h_access(h, acc, 0);

	*val = pattern(h, acc->offset);
	return err;
}

static enum ax_err h_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	return h_access(priv, acc, val);
}

static void h_destroy(void *priv)
{
	struct hdev *h = priv;

	(*h->destroyed)++;
	free(h);
}

static const struct ax_device_ops h_ops = { h_read, h_write, NULL, h_destroy };

static bool range_valid(enum ax_bus bus, const struct ax_range *r)
{
	return r->base <= r->last && r->last <= ax_bus_limit(bus);
}

static struct odev *live_at(struct oracle *o, enum ax_bus bus, uint64_t addr, uint32_t *ri)
{
	for (unsigned i = 0; i < o->nr; i++) {
		struct odev *d = &o->d[i];

		if (!d->live || d->bus != bus)
			continue;
		for (uint32_t r = 0; r < d->nr; r++)
			if (addr >= d->r[r].base && addr <= d->r[r].last) {
				*ri = r;
				return d;
			}
	}
	return NULL;
}

static struct odev *pick_live(struct oracle *o, struct fin *in)
{
	unsigned n = 0, k;

	for (unsigned i = 0; i < o->nr; i++)
		n += o->d[i].live;
	if (!n)
		return NULL;
	k = fin_u8(in) % n;
	for (unsigned i = 0; i < o->nr; i++)
		if (o->d[i].live && k-- == 0)
			return &o->d[i];
	return NULL;
}

static unsigned live_count(const struct oracle *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < o->nr; i++)
		n += o->d[i].live;
	return n;
}

/* A range (base, last) for `bus`: edge values, next to or over a live range, or raw. */
static struct ax_range gen_range(struct oracle *o, struct fin *in, enum ax_bus bus)
{
	uint64_t limit = bus < AX_BUS_COUNT ? ax_bus_limit(bus) : UINT64_MAX;
	uint8_t how = fin_u8(in);
	uint64_t base, len;
	struct odev *d;
	struct ax_range r, chk;
	enum ax_err err;

	base = fin_edge64(in, limit);
	len = (how & 8) ? fin_edge64(in, limit) : (uint64_t)fin_u8(in) + 1;
	d = (how & 3) == 1 ? pick_live(o, in) : NULL;
	if (d) {
		const struct ax_range *lr = &d->r[fin_u8(in) % d->nr];

		switch (fin_u8(in) & 3) {
		case 0:
			base = lr->last + 1; /* just above */
			break;
		case 1:
			base = lr->base - len; /* just below */
			break;
		case 2:
			base = lr->last; /* touching the last byte */
			break;
		default:
			base = lr->base +
			       (fin_u8(in) % (ax_range_length(lr) ? ax_range_length(lr) : 1));
			break;
		}
	}
	if ((how & 3) == 2) {
		/* raw pair, possibly inverted or past the bus */
		r.base = base;
		r.last = fin_edge64(in, UINT64_MAX);
		return r;
	}
	r.base = base;
	r.last = base + len - 1;
	/* ax_range_new agrees with the (base, length) rules */
	if (bus < AX_BUS_COUNT) {
		bool ok = len != 0 && base <= limit && len - 1 <= limit - base;

		err = ax_range_new(bus, base, len, &chk);
		FUZZ_CHECK((err == AX_OK) == ok);
		if (ok)
			FUZZ_CHECK(chk.base == r.base && chk.last == r.last);
	}
	return r;
}

static void do_add(struct ax_devices *set, struct oracle *o, struct fin *in)
{
	struct ax_device_desc desc;
	struct odev *nd, *dup = NULL;
	uint8_t flags = fin_u8(in);
	enum ax_bus bus = (enum ax_bus)(flags & 3);
	uint32_t nr = 1 + ((flags >> 2) & 3);
	bool bad_name = false, invalid = false, overlap = false;
	struct hdev *h;
	uint32_t id = 0;
	struct ax_diag diag;
	enum ax_err err, want;

	if (o->nr == MAX_DEVS * 8 || live_count(o) >= MAX_DEVS)
		return;
	if ((flags & 0x30) == 0x30)
		nr = (flags & 0x40) ? 0 : 5;
	nd = &o->d[o->nr];
	memset(nd, 0, sizeof(*nd));
	memset(&desc, 0, sizeof(desc));
	if ((flags & 0xc0) == 0xc0 && (dup = pick_live(o, in)) != NULL) {
		snprintf(nd->name, sizeof(nd->name), "%s", dup->name);
	} else if ((flags & 0xc0) == 0x80 && (fin_u8(in) & 7) == 0) {
		snprintf(nd->name, sizeof(nd->name), "bad name");
		bad_name = true;
	} else {
		snprintf(nd->name, sizeof(nd->name), "d%u", o->names++);
	}
	desc.name = nd->name;
	desc.type = AX_EMU_META;
	desc.bus = bus;
	desc.removable = fin_bool(in);
	desc.nr_ranges = nr;
	for (uint32_t r = 0; r < nr && r < AX_DEVICE_MAX_RANGES; r++) {
		desc.ranges[r] = gen_range(o, in, bus);
		if (bus >= AX_BUS_COUNT)
			continue;
		if (!range_valid(bus, &desc.ranges[r])) {
			invalid = true;
			continue;
		}
		for (uint32_t q = 0; q < r; q++)
			if (range_valid(bus, &desc.ranges[q]) &&
			    ax_range_overlaps(&desc.ranges[r], &desc.ranges[q]))
				overlap = true;
		for (unsigned i = 0; i < o->nr; i++) {
			if (!o->d[i].live || o->d[i].bus != bus)
				continue;
			for (uint32_t q = 0; q < o->d[i].nr; q++)
				if (ax_range_overlaps(&desc.ranges[r], &o->d[i].r[q]))
					overlap = true;
		}
	}
	h = calloc(1, sizeof(*h));
	FUZZ_CHECK(h);
	h->slot = o->nr;
	h->destroyed = &nd->destroyed;
	h->fail_mod = fin_u8(in) & 7;
	desc.ops = &h_ops;
	desc.priv = h;

	err = ax_devices_add(set, &desc, &id, &diag);
	if (bad_name || bus >= AX_BUS_COUNT || nr == 0 || nr > AX_DEVICE_MAX_RANGES)
		want = AX_ERR_INVALID_INPUT;
	else if (dup)
		want = AX_ERR_ALREADY_EXISTS;
	else if (invalid || overlap)
		want = invalid ? AX_ERR_INVALID_INPUT : AX_ERR_ADDR_IN_USE;
	else
		want = AX_OK;
	if (!bad_name && !dup && bus < AX_BUS_COUNT && nr >= 1 && nr <= 4 && invalid && overlap)
		FUZZ_CHECK(err == AX_ERR_INVALID_INPUT || err == AX_ERR_ADDR_IN_USE);
	else
		FUZZ_CHECK(err == want);
	if (err != AX_OK) {
		FUZZ_CHECK(diag.err == err && memchr(diag.msg, '\0', sizeof(diag.msg)));
		FUZZ_CHECK(nd->destroyed == 0);
		free(h);
		return;
	}
	nd->live = true;
	nd->id = id;
	nd->bus = bus;
	nd->removable = desc.removable;
	nd->nr = nr;
	memcpy(nd->r, desc.ranges, sizeof(nd->r));
	nd->h = h;
	for (unsigned i = 0; i < o->nr; i++)
		FUZZ_CHECK(o->d[i].id != id);
	o->nr++;
}

static void do_remove(struct ax_devices *set, struct oracle *o, struct fin *in)
{
	struct odev *d = NULL;
	uint32_t id;
	enum ax_err err;

	if (fin_u8(in) & 3)
		d = pick_live(o, in);
	if (d) {
		id = d->id;
	} else {
		id = fin_u32(in);
		for (unsigned i = 0; i < o->nr; i++)
			if (o->d[i].live && o->d[i].id == id)
				d = &o->d[i];
	}
	err = ax_devices_remove(set, id, NULL);
	if (!d) {
		FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
		return;
	}
	if (!d->removable) {
		FUZZ_CHECK(err == AX_ERR_PERMISSION_DENIED);
		return;
	}
	FUZZ_CHECK(err == AX_OK);
	FUZZ_CHECK(d->destroyed == 1);
	d->live = false;
	d->h = NULL;
}

static uint64_t gen_addr(struct oracle *o, struct fin *in, enum ax_bus bus)
{
	uint8_t how = fin_u8(in);
	uint64_t limit = bus < AX_BUS_COUNT ? ax_bus_limit(bus) : UINT64_MAX;
	struct odev *d = (how & 3) ? pick_live(o, in) : NULL;

	if (d) {
		const struct ax_range *r = &d->r[fin_u8(in) % d->nr];
		uint64_t k = fin_u8(in) & 15;

		switch ((how >> 2) & 3) {
		case 0:
			return r->base + k;
		case 1:
			return r->last - k;
		case 2:
			return r->last + 1 + k;
		default:
			return r->base - 1 - k;
		}
	}
	if (how & 0x80)
		return fin_edge64(in, UINT64_MAX); /* may be past the bus */
	return fin_edge64(in, limit);
}

static void do_access(struct ax_devices *set, struct oracle *o, struct fin *in, bool write)
{
	uint8_t flags = fin_u8(in);
	enum ax_bus bus = (enum ax_bus)(flags & 3);
	unsigned width = fin_width(in);
	uint32_t vcpu = (flags & 0x80) ? fin_u32(in) : (uint32_t)((flags >> 2) & 7);
	uint64_t addr, val = write ? fin_u64(in) : 0x1234, got = 0xdeadbeef;
	uint64_t mask;
	bool args_ok;
	uint32_t ri = 0;
	struct odev *d;
	unsigned calls_before = 0;
	enum ax_err err;

	if (flags & 0x40)
		bus = (enum ax_bus)(fin_u8(in) % 3);
	addr = gen_addr(o, in, bus);
	if ((flags & 0x20) && bus == AX_BUS_PORT)
		addr &= 0xffff;
	d = bus < AX_BUS_COUNT ? live_at(o, bus, addr, &ri) : NULL;
	if (d)
		calls_before = d->h->calls;
	if (write)
		err = ax_devices_handle_write(set, bus, vcpu, addr, width, val);
	else
		err = ax_devices_handle_read(set, bus, vcpu, addr, width, &got);

	args_ok = bus < AX_BUS_COUNT && ax_width_valid(width) && vcpu < o->max_vcpus;
	if (!args_ok) {
		FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
		FUZZ_CHECK(write || got == 0);
		return;
	}
	mask = width == 8 ? ~0ull : ((1ull << (8 * width)) - 1);
	if (!d) {
		FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
		FUZZ_CHECK(write || got == 0);
		if (write)
			o->unmapped[bus].writes++;
		else
			o->unmapped[bus].reads++;
		return;
	}
	if (write)
		d->st.writes++;
	else
		d->st.reads++;
	{
		const struct ax_range *r = &d->r[ri];
		uint64_t extent = bus == AX_BUS_SYSREG ? 1 : width;
		bool fits = r->last - addr >= extent - 1;

		if (!fits) {
			FUZZ_CHECK(err == AX_ERR_BAD_ADDRESS);
			FUZZ_CHECK(d->h->calls == calls_before);
			FUZZ_CHECK(write || got == 0);
			d->st.errors++;
			return;
		}
	}
	{
		struct hdev *h = d->h;
		uint64_t off = addr - d->r[ri].base;
		bool fail = off % 7 == h->fail_mod;

		FUZZ_CHECK(h->calls == calls_before + 1);
		FUZZ_CHECK(h->last.vcpu == vcpu && h->last.bus == bus);
		FUZZ_CHECK(h->last.width == (enum ax_width)width);
		FUZZ_CHECK(h->last.range == ri && h->last.addr == addr && h->last.offset == off);
		if (write)
			FUZZ_CHECK(h->last_val == (val & mask));
		if (fail) {
			FUZZ_CHECK(err == AX_ERR_IO);
			FUZZ_CHECK(write || got == 0);
			d->st.errors++;
		} else {
			FUZZ_CHECK(err == AX_OK);
			FUZZ_CHECK(write || got == (pattern(h, off) & mask));
		}
	}
}

static void check_all(struct ax_devices *set, struct oracle *o, struct fin *in)
{
	struct ax_device_stats st;
	struct ax_device_info info;

	FUZZ_CHECK(ax_devices_count(set) == live_count(o));
	for (unsigned i = 0; i < o->nr; i++) {
		struct odev *d = &o->d[i];
		enum ax_err err = ax_devices_stats(set, d->id, &st);

		if (!d->live) {
			FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
			FUZZ_CHECK(ax_devices_find_by_id(set, d->id, &info) == AX_ERR_NOT_FOUND);
			continue;
		}
		FUZZ_CHECK(err == AX_OK);
		FUZZ_CHECK(st.reads == d->st.reads && st.writes == d->st.writes &&
			   st.errors == d->st.errors);
		FUZZ_CHECK(ax_devices_find_by_name(set, d->name, &info) == AX_OK);
		FUZZ_CHECK(info.id == d->id && info.bus == d->bus && info.nr_ranges == d->nr);
	}
	for (unsigned b = 0; b < AX_BUS_COUNT; b++) {
		FUZZ_CHECK(ax_devices_unmapped_stats(set, (enum ax_bus)b, &st) == AX_OK);
		FUZZ_CHECK(st.reads == o->unmapped[b].reads && st.writes == o->unmapped[b].writes &&
			   st.errors == 0);
	}
	/* find agrees with the oracle at one address */
	{
		enum ax_bus bus = (enum ax_bus)(fin_u8(in) % 3);
		uint64_t addr = gen_addr(o, in, bus);
		uint32_t ri;
		struct odev *d = live_at(o, bus, addr, &ri);
		enum ax_err err = ax_devices_find(set, bus, addr, &info);

		if (d)
			FUZZ_CHECK(err == AX_OK && info.id == d->id);
		else
			FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
	}
}

static struct oracle o;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct test_host host;
	struct ax_devices *set = NULL;
	struct ax_devices_params params;
	unsigned steps = 0;

	memset(&o, 0, sizeof(o));
	test_host_init(&host, false);
	o.max_vcpus = 1 + (fin_u8(&in) & 3);
	memset(&params, 0, sizeof(params));
	params.hooks = &host.hooks;
	params.max_vcpus = o.max_vcpus;
	FUZZ_CHECK(ax_devices_create(&params, NULL, &set, NULL) == AX_OK);

	while (fin_left(&in) && steps++ < 512) {
		switch (fin_u8(&in) & 7) {
		case 0:
		case 1:
			do_add(set, &o, &in);
			break;
		case 2:
			do_remove(set, &o, &in);
			break;
		case 3:
		case 4:
		case 5:
			do_access(set, &o, &in, false);
			break;
		default:
			do_access(set, &o, &in, true);
			break;
		}
		if ((steps & 7) == 0)
			check_all(set, &o, &in);
	}
	check_all(set, &o, &in);
	if (getenv("FUZZ_DEBUG")) {
		struct ax_device_stats total = { 0 }, st;

		for (unsigned i = 0; i < o.nr; i++)
			if (o.d[i].live && ax_devices_stats(set, o.d[i].id, &st) == AX_OK) {
				total.reads += st.reads;
				total.writes += st.writes;
				total.errors += st.errors;
			}
		fprintf(stderr, "dispatch: added %u live %u hits %llu errors %llu\n", o.nr,
			live_count(&o), (unsigned long long)(total.reads + total.writes),
			(unsigned long long)total.errors);
	}
	ax_devices_destroy(set);
	for (unsigned i = 0; i < o.nr; i++)
		FUZZ_CHECK(o.d[i].destroyed == 1);
	test_host_fini(&host);
	return 0;
}
