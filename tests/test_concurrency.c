/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lock-free dispatch under concurrent add/remove: vCPU threads hammer
 * devices while another thread adds and removes them. A removed device must
 * be destroyed only after every access inside it has returned; devices
 * never removed must never go missing; counters must lose nothing.
 * Built plain, with ASan+UBSan and with TSan; each case runs both with the
 * reader-side fence and with the membarrier-based asymmetric barrier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <axdevice/axdevice.h>

#include "host_posix.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define CYCLES 300
#else
#define CYCLES 2000
#endif
#define READERS	    2 /* plus the add/remove thread: a little more than this machine's 2 cores */
#define VICTIM_BASE 0x10000000ull

struct victim {
	atomic_int inside; /* accesses currently in the callbacks */
	atomic_bool destroyed;
	atomic_int *violations; /* destroyed while inside, or used after destroy */
	uint64_t tag;
	uint64_t written_by[READERS]; /* one plain field per vCPU: they never race each other */
};

static enum ax_err victim_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct victim *v = priv;

	(void)acc;
	atomic_fetch_add(&v->inside, 1);
	if (atomic_load(&v->destroyed))
		atomic_fetch_add(v->violations, 1);
	for (int i = 0; i < 50; i++) /* stay inside long enough to race with remove */
		atomic_signal_fence(memory_order_seq_cst);
	*val = v->tag;
	atomic_fetch_sub(&v->inside, 1);
	return AX_OK;
}

static enum ax_err victim_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct victim *v = priv;

	/* a plain store: TSan flags it if dispatch lets it race with destroy */
	v->written_by[acc->vcpu] = val;
	return AX_OK;
}

static void victim_destroy(void *priv)
{
	struct victim *v = priv;

	if (atomic_load(&v->inside) != 0)
		atomic_fetch_add(v->violations, 1);
	atomic_store(&v->destroyed, true);
	free(v); /* ASan reports any later access */
}

static const struct ax_device_ops victim_ops = {
	.read = victim_read,
	.write = victim_write,
	.destroy = victim_destroy,
};

/* Adds a fresh victim device at VICTIM_BASE; returns its id. */
static uint32_t add_victim(struct ax_devices *set, atomic_int *violations, uint64_t tag)
{
	struct victim *v = calloc(1, sizeof(*v));
	struct ax_device_desc d = { .name = "victim",
				    .bus = AX_BUS_MMIO,
				    .removable = true,
				    .nr_ranges = 1,
				    .ops = &victim_ops,
				    .priv = v };
	uint32_t id = 0;

	v->violations = violations;
	v->tag = tag;
	d.ranges[0] = (struct ax_range){ VICTIM_BASE, VICTIM_BASE + 0xfff };
	assert_int_equal(ax_devices_add(set, &d, &id, NULL), AX_OK);
	return id;
}

struct shared {
	struct ax_devices *set;
	atomic_bool stop;
	atomic_int violations;
	atomic_uint_fast64_t hits, misses, stable_reads;
	atomic_uint_fast64_t live_hits,
		live_misses; /* updated per access, for the writer to wait on */
	uint64_t reads_by[READERS];
};

struct reader_arg {
	struct shared *sh;
	uint32_t vcpu;
};

/* Reads the churned device and the stable ones; stable devices must always answer. */
static void *reader(void *p)
{
	struct reader_arg *a = p;
	struct shared *sh = a->sh;
	uint64_t hits = 0, misses = 0, stable = 0, n = 0;

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		uint64_t v;
		enum ax_err err =
			ax_devices_handle_mmio_read(sh->set, a->vcpu, VICTIM_BASE + 4, 4, &v);

		n++;
		if (err == AX_OK) {
			hits++;
			atomic_fetch_add_explicit(&sh->live_hits, 1, memory_order_relaxed);
		} else if (err == AX_ERR_NOT_FOUND) {
			misses++;
			atomic_fetch_add_explicit(&sh->live_misses, 1, memory_order_relaxed);
		} else {
			atomic_fetch_add(&sh->violations, 1);
		}

		uint64_t s = (n * 7) % 8;

		err = ax_devices_handle_mmio_read(sh->set, a->vcpu, 0x1000 * (s + 1), 4, &v);
		n++;
		stable++;
		if (err != AX_OK || v != s + 1)
			atomic_fetch_add(&sh->violations, 1);
	}
	atomic_fetch_add(&sh->hits, hits);
	atomic_fetch_add(&sh->misses, misses);
	atomic_fetch_add(&sh->stable_reads, stable);
	sh->reads_by[a->vcpu] = n;
	return NULL;
}

static enum ax_err tag_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)acc;
	*val = (uint64_t)(uintptr_t)priv;
	return AX_OK;
}

static enum ax_err tag_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	(void)priv;
	(void)acc;
	(void)val;
	return AX_OK;
}

static const struct ax_device_ops tag_ops = { .read = tag_read, .write = tag_write };

static void add_stable_devices(struct ax_devices *set)
{
	for (uintptr_t i = 1; i <= 8; i++) {
		char name[16];
		struct ax_device_desc d = { .name = name,
					    .bus = AX_BUS_MMIO,
					    .nr_ranges = 1,
					    .ops = &tag_ops,
					    .priv = (void *)i };

		snprintf(name, sizeof(name), "stable%u", (unsigned)i);
		d.ranges[0] = (struct ax_range){ 0x1000 * i, 0x1000 * i + 0xfff };
		assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);
	}
}

/* Keeps the device published for a varying few microseconds; no yield, which costs a timeslice. */
static void pause_briefly(int cycle)
{
	for (int i = 0; i < 200 * (1 + cycle % 16); i++)
		atomic_signal_fence(memory_order_seq_cst);
}

static void churn(bool asym)
{
	struct test_host host;
	struct ax_devices_params params = { 0 };
	struct shared sh = { 0 };
	struct reader_arg args[READERS];
	pthread_t threads[READERS];
	struct ax_device_stats total = { 0 };

	test_host_init(&host, asym);
	if (asym && !host.hooks.sync_cores) {
		print_message("SKIP: membarrier not available, asymmetric mode untested\n");
		return;
	}
	params.hooks = &host.hooks;
	params.max_vcpus = READERS;
	assert_int_equal(ax_devices_create(&params, NULL, &sh.set, NULL), AX_OK);
	add_stable_devices(sh.set);
	for (uint32_t i = 0; i < READERS; i++) {
		args[i] = (struct reader_arg){ &sh, i };
		assert_int_equal(pthread_create(&threads[i], NULL, reader, &args[i]), 0);
	}

	for (int cycle = 0; cycle < CYCLES; cycle++) {
		uint64_t seen = atomic_load(&sh.live_hits);
		uint32_t id = add_victim(sh.set, &sh.violations, (uint64_t)cycle);

		/* remove only once readers are hitting it, so removal races live accesses */
		while (atomic_load(&sh.live_hits) == seen)
			sched_yield();
		pause_briefly(cycle);
		seen = atomic_load(&sh.live_misses);
		assert_int_equal(ax_devices_remove(sh.set, id, NULL), AX_OK);
		while (atomic_load(&sh.live_misses) == seen)
			sched_yield();
	}
	atomic_store(&sh.stop, true);
	for (uint32_t i = 0; i < READERS; i++)
		pthread_join(threads[i], NULL);

	assert_int_equal(atomic_load(&sh.violations), 0);
	/* every cycle saw both outcomes (the writer waited for them) */
	assert_true(atomic_load(&sh.hits) >= CYCLES);
	assert_true(atomic_load(&sh.misses) >= CYCLES);

	/* counters lose nothing: stable devices counted every stable read */
	for (uint32_t id = 1; id <= 8; id++) {
		struct ax_device_stats st;

		assert_int_equal(ax_devices_stats(sh.set, id, &st), AX_OK);
		total.reads += st.reads;
		total.errors += st.errors;
	}
	assert_true(total.reads == atomic_load(&sh.stable_reads));
	assert_int_equal(total.errors, 0);
	struct ax_device_stats unmapped;

	assert_int_equal(ax_devices_unmapped_stats(sh.set, AX_BUS_MMIO, &unmapped), AX_OK);
	assert_true(unmapped.reads == atomic_load(&sh.misses));
	print_message("%s: %d add/remove cycles, %llu hits, %llu misses, %llu stable reads\n",
		      asym ? "membarrier" : "reader fence", CYCLES,
		      (unsigned long long)atomic_load(&sh.hits),
		      (unsigned long long)atomic_load(&sh.misses),
		      (unsigned long long)atomic_load(&sh.stable_reads));
	ax_devices_destroy(sh.set);
	test_host_fini(&host);
}

static void test_remove_while_hammering_reader_fence(void **state)
{
	(void)state;
	churn(false);
}

static void test_remove_while_hammering_membarrier(void **state)
{
	(void)state;
	churn(true);
}

/* Writes race with remove too: the plain store in victim_write must never meet free(). */
struct writer_arg {
	struct ax_devices *set;
	atomic_bool *stop;
	uint32_t vcpu;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	uint64_t n = 0;

	while (!atomic_load_explicit(a->stop, memory_order_relaxed))
		(void)ax_devices_handle_mmio_write(a->set, a->vcpu, VICTIM_BASE, 8, n++);
	return NULL;
}

static void test_write_while_removing(void **state)
{
	struct test_host host;
	struct ax_devices_params params = { 0 };
	struct ax_devices *set;
	atomic_bool stop = false;
	atomic_int violations = 0;
	struct writer_arg args[2];
	pthread_t threads[2];

	(void)state;
	test_host_init(&host, false);
	params.hooks = &host.hooks;
	params.max_vcpus = 2;
	assert_int_equal(ax_devices_create(&params, NULL, &set, NULL), AX_OK);
	for (uint32_t i = 0; i < 2; i++) {
		args[i] = (struct writer_arg){ set, &stop, i };
		assert_int_equal(pthread_create(&threads[i], NULL, writer, &args[i]), 0);
	}
	for (int cycle = 0; cycle < CYCLES; cycle++) {
		uint32_t id = add_victim(set, &violations, 0);

		pause_briefly(cycle);
		assert_int_equal(ax_devices_remove(set, id, NULL), AX_OK);
	}
	atomic_store(&stop, true);
	for (uint32_t i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&violations), 0);
	ax_devices_destroy(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_while_hammering_reader_fence),
		cmocka_unit_test(test_remove_while_hammering_membarrier),
		cmocka_unit_test(test_write_while_removing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
