/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/timers.c: the POSIX time service behind the library's time hooks (host.h's semantics). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "timers.h"

#define MS 1000000ull

static void sleep_ns(uint64_t ns)
{
	struct timespec t = { .tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u) };

	nanosleep(&t, NULL);
}

/* Waits (up to 5 s) until *v reaches want. */
static bool wait_for(atomic_int *v, int want)
{
	for (int i = 0; i < 5000; i++) {
		if (atomic_load(v) >= want)
			return true;
		sleep_ns(MS);
	}
	return false;
}

struct rec {
	struct axvm_timers *ts;
	int id;
	uint64_t deadline;
	uint64_t fired_at;
	atomic_int count;
	atomic_int *order_pos;
	int *order;
};

static void rec_fn(void *arg)
{
	struct rec *r = arg;

	r->fired_at = axvm_timers_now_ns(r->ts);
	if (r->order)
		r->order[atomic_fetch_add(r->order_pos, 1)] = r->id;
	atomic_fetch_add(&r->count, 1);
}

static void test_now_is_monotonic(void **state)
{
	uint64_t a = axvm_timers_now_ns(NULL), b;

	(void)state;
	sleep_ns(2 * MS);
	b = axvm_timers_now_ns(NULL);
	assert_true(b >= a + 2 * MS);
}

static void test_fire_in_deadline_order_not_early(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	const uint64_t delay[3] = { 30 * MS, 10 * MS, 20 * MS };
	struct rec r[3] = { 0 };
	atomic_int pos = 0;
	int order[3] = { -1, -1, -1 };
	void *t[3];
	uint64_t now = axvm_timers_now_ns(ts);

	(void)state;
	assert_non_null(ts);
	for (int i = 0; i < 3; i++) {
		r[i] = (struct rec){ .ts = ts, .id = i, .order_pos = &pos, .order = order };
		t[i] = axvm_timers_timer_create(ts, rec_fn, &r[i]);
		assert_non_null(t[i]);
	}
	for (int i = 0; i < 3; i++) {
		r[i].deadline = now + delay[i];
		axvm_timers_timer_arm(ts, t[i], r[i].deadline);
	}
	for (int i = 0; i < 3; i++)
		assert_true(wait_for(&r[i].count, 1));
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 0);
	for (int i = 0; i < 3; i++) {
		assert_true(r[i].fired_at >= r[i].deadline);
		assert_int_equal(atomic_load(&r[i].count), 1); /* one-shot */
	}
	for (int i = 0; i < 3; i++)
		axvm_timers_timer_destroy(ts, t[i]);
	axvm_timers_destroy(ts);
}

static void test_rearm_replaces_deadline(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct rec r = { .ts = ts };
	void *t = axvm_timers_timer_create(ts, rec_fn, &r);
	uint64_t now = axvm_timers_now_ns(ts);

	(void)state;
	axvm_timers_timer_arm(ts, t, now + 10000 * MS); /* far away ... */
	axvm_timers_timer_arm(ts, t, now + 5 * MS);	/* ... replaced by an earlier one */
	assert_true(wait_for(&r.count, 1));
	assert_true(r.fired_at - now < 5000 * MS);
	/* and a later one replaces an earlier one */
	now = axvm_timers_now_ns(ts);
	axvm_timers_timer_arm(ts, t, now + 5 * MS);
	axvm_timers_timer_arm(ts, t, now + 60 * MS);
	sleep_ns(30 * MS);
	assert_int_equal(atomic_load(&r.count), 1);
	assert_true(wait_for(&r.count, 2));
	assert_true(r.fired_at >= now + 60 * MS);
	axvm_timers_timer_destroy(ts, t);
	axvm_timers_destroy(ts);
}

static void test_disarm_and_past_deadline(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct rec r = { .ts = ts };
	void *t = axvm_timers_timer_create(ts, rec_fn, &r);

	(void)state;
	axvm_timers_timer_arm(ts, t, axvm_timers_now_ns(ts) + 20 * MS);
	axvm_timers_timer_disarm(ts, t);
	axvm_timers_timer_disarm(ts, t); /* twice is harmless */
	sleep_ns(60 * MS);
	assert_int_equal(atomic_load(&r.count), 0);
	/* a deadline already past fires at once */
	axvm_timers_timer_arm(ts, t, 0);
	assert_true(wait_for(&r.count, 1));
	axvm_timers_timer_destroy(ts, t);
	axvm_timers_timer_destroy(ts, NULL);
	axvm_timers_destroy(ts);
}

/* A model's timer: the callback takes the model's lock, re-arms for a period, counts. */
struct model {
	struct axvm_timers *ts;
	pthread_mutex_t lock;
	void *timer;
	uint64_t deadline; /* 0: not armed (the model's own view) */
	atomic_int fired, stale;
	atomic_int in_fn;
	uint64_t hold_ns; /* time the callback spends inside */
	bool periodic;
};

static void model_fn(void *arg)
{
	struct model *m = arg;

	atomic_fetch_add(&m->in_fn, 1);
	pthread_mutex_lock(&m->lock);
	/* host.h: fn may run once more after a disarm or re-arm; models check their deadline */
	if (m->deadline == 0 || axvm_timers_now_ns(m->ts) < m->deadline) {
		atomic_fetch_add(&m->stale, 1);
	} else {
		atomic_fetch_add(&m->fired, 1);
		m->deadline = 0;
		if (m->periodic) {
			m->deadline = axvm_timers_now_ns(m->ts) + MS;
			axvm_timers_timer_arm(m->ts, m->timer, m->deadline);
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (m->hold_ns)
		sleep_ns(m->hold_ns);
	atomic_fetch_sub(&m->in_fn, 1);
}

static void model_init(struct model *m, struct axvm_timers *ts)
{
	*m = (struct model){ .ts = ts };
	pthread_mutex_init(&m->lock, NULL);
	m->timer = axvm_timers_timer_create(ts, model_fn, m);
	assert_non_null(m->timer);
}

static void test_fn_rearms_itself(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct model m;

	(void)state;
	model_init(&m, ts);
	m.periodic = true;
	pthread_mutex_lock(&m.lock);
	m.deadline = axvm_timers_now_ns(ts) + MS;
	axvm_timers_timer_arm(ts, m.timer, m.deadline);
	pthread_mutex_unlock(&m.lock);
	assert_true(wait_for(&m.fired, 10));
	axvm_timers_timer_destroy(ts, m.timer); /* while it keeps re-arming itself */
	int after = atomic_load(&m.fired);
	sleep_ns(20 * MS);
	assert_int_equal(atomic_load(&m.fired), after); /* never again */
	assert_int_equal(atomic_load(&m.in_fn), 0);
	pthread_mutex_destroy(&m.lock);
	axvm_timers_destroy(ts);
}

/* arm and disarm are called under the model's lock, which a running fn waits for:
 * if they waited for fn, this would deadlock. */
static void test_arm_disarm_never_wait_for_fn(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct model m;

	(void)state;
	model_init(&m, ts);
	pthread_mutex_lock(&m.lock);
	axvm_timers_timer_arm(ts, m.timer, 0);
	assert_true(wait_for(&m.in_fn, 1)); /* fn is running, blocked on our lock */
	axvm_timers_timer_arm(ts, m.timer, axvm_timers_now_ns(ts) + 1000 * MS);
	axvm_timers_timer_disarm(ts, m.timer);
	m.deadline = 0; /* the model disarmed: the running fn must see a stale call */
	pthread_mutex_unlock(&m.lock);
	sleep_ns(20 * MS);
	assert_int_equal(atomic_load(&m.stale), 1);
	assert_int_equal(atomic_load(&m.fired), 0);
	axvm_timers_timer_destroy(ts, m.timer);
	pthread_mutex_destroy(&m.lock);
	axvm_timers_destroy(ts);
}

static void test_destroy_waits_for_running_fn(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct model m;

	(void)state;
	model_init(&m, ts);
	m.hold_ns = 50 * MS;
	axvm_timers_timer_arm(ts, m.timer, 0);
	assert_true(wait_for(&m.in_fn, 1));
	axvm_timers_timer_destroy(ts, m.timer);
	assert_int_equal(atomic_load(&m.in_fn), 0); /* returned only once fn was done */
	pthread_mutex_destroy(&m.lock);
	axvm_timers_destroy(ts);
}

static void test_destroy_armed_never_fires(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct rec r = { .ts = ts };
	void *t = axvm_timers_timer_create(ts, rec_fn, &r);

	(void)state;
	axvm_timers_timer_arm(ts, t, axvm_timers_now_ns(ts) + 10 * MS);
	axvm_timers_timer_destroy(ts, t);
	sleep_ns(40 * MS);
	assert_int_equal(atomic_load(&r.count), 0);
	/* timers left behind are freed with the service (no leak under ASan) */
	t = axvm_timers_timer_create(ts, rec_fn, &r);
	axvm_timers_timer_arm(ts, t, axvm_timers_now_ns(ts) + 1000 * MS);
	axvm_timers_destroy(ts);
}

struct self {
	struct axvm_timers *ts;
	void *timer;
	atomic_int done;
};

static void self_destroy_fn(void *arg)
{
	struct self *s = arg;

	axvm_timers_timer_destroy(s->ts, s->timer);
	atomic_store(&s->done, 1);
}

static void test_destroy_from_own_fn(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	struct self s = { .ts = ts };

	(void)state;
	s.timer = axvm_timers_timer_create(ts, self_destroy_fn, &s);
	axvm_timers_timer_arm(ts, s.timer, 0);
	assert_true(wait_for(&s.done, 1));
	axvm_timers_destroy(ts);
}

/* Threads arm, disarm and re-arm model timers while they fire: TSan's case. */
#define STRESS_MODELS 4
static struct model stress_models[STRESS_MODELS];

static void *stress_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		struct model *m = &stress_models[rand_r(&seed) % STRESS_MODELS];

		pthread_mutex_lock(&m->lock);
		if (rand_r(&seed) % 3 == 0) {
			m->deadline = 0;
			axvm_timers_timer_disarm(m->ts, m->timer);
		} else {
			m->deadline = axvm_timers_now_ns(m->ts) + (rand_r(&seed) % 50) * 1000u;
			axvm_timers_timer_arm(m->ts, m->timer, m->deadline);
		}
		pthread_mutex_unlock(&m->lock);
		if (i % 64 == 0)
			sleep_ns(100000);
	}
	return NULL;
}

static void test_stress_arm_disarm_destroy(void **state)
{
	struct axvm_timers *ts = axvm_timers_create();
	pthread_t th[3];
	int total = 0;

	(void)state;
	for (int i = 0; i < STRESS_MODELS; i++)
		model_init(&stress_models[i], ts);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, (void *)(uintptr_t)i),
				 0);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < STRESS_MODELS; i++) {
		axvm_timers_timer_destroy(ts, stress_models[i].timer);
		assert_int_equal(atomic_load(&stress_models[i].in_fn), 0);
		total += atomic_load(&stress_models[i].fired);
		pthread_mutex_destroy(&stress_models[i].lock);
	}
	assert_true(total > 0);
	axvm_timers_destroy(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_is_monotonic),
		cmocka_unit_test(test_fire_in_deadline_order_not_early),
		cmocka_unit_test(test_rearm_replaces_deadline),
		cmocka_unit_test(test_disarm_and_past_deadline),
		cmocka_unit_test(test_fn_rearms_itself),
		cmocka_unit_test(test_arm_disarm_never_wait_for_fn),
		cmocka_unit_test(test_destroy_waits_for_running_fn),
		cmocka_unit_test(test_destroy_armed_never_fires),
		cmocka_unit_test(test_destroy_from_own_fn),
		cmocka_unit_test(test_stress_arm_disarm_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
