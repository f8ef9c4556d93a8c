/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_clock.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A callback that keeps re-arming into the past would never let advance return. */
#define MAX_FIRES_PER_ADVANCE 1000000u

struct fake_timer {
	struct fake_timer *next;
	void (*fn)(void *arg);
	void *arg;
	uint64_t deadline;
	bool armed;
	unsigned running;
};

static struct fake_clock *clock_of(void *ctx)
{
	return (struct fake_clock *)((char *)ctx - offsetof(struct fake_clock, host));
}

static uint64_t hook_now(void *ctx)
{
	return fake_clock_now(clock_of(ctx));
}

static void *hook_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct fake_clock *c = clock_of(ctx);
	struct fake_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&c->lock);
	t->next = c->timers;
	c->timers = t;
	c->nr_timers++;
	pthread_mutex_unlock(&c->lock);
	return t;
}

static void hook_timer_arm(void *ctx, void *timer, uint64_t deadline)
{
	struct fake_clock *c = clock_of(ctx);
	struct fake_timer *t = timer;

	pthread_mutex_lock(&c->lock);
	t->deadline = deadline;
	t->armed = true;
	pthread_mutex_unlock(&c->lock);
}

static void hook_timer_disarm(void *ctx, void *timer)
{
	struct fake_clock *c = clock_of(ctx);
	struct fake_timer *t = timer;

	pthread_mutex_lock(&c->lock);
	t->armed = false;
	pthread_mutex_unlock(&c->lock);
}

static void hook_timer_destroy(void *ctx, void *timer)
{
	struct fake_clock *c = clock_of(ctx);
	struct fake_timer *t = timer, **pp;

	pthread_mutex_lock(&c->lock);
	for (pp = &c->timers; *pp && *pp != t; pp = &(*pp)->next)
		;
	if (!*pp) {
		fprintf(stderr, "fake_clock: destroying an unknown timer\n");
		abort();
	}
	*pp = t->next;
	c->nr_timers--;
	while (t->running) /* host.h: destroy waits for a running callback */
		pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
	free(t);
}

static void hook_irq_notify(void *ctx, uint32_t vcpu)
{
	struct fake_clock *c = clock_of(ctx);

	if (vcpu < FAKE_CLOCK_MAX_VCPUS)
		atomic_fetch_add(&c->notifies[vcpu], 1);
	atomic_fetch_add(&c->notify_total, 1);
	if (c->on_notify)
		c->on_notify(c->on_notify_arg, vcpu);
}

static void hook_vcpu_startup(void *ctx, uint32_t vcpu, uint8_t vector)
{
	struct fake_clock *c = clock_of(ctx);

	pthread_mutex_lock(&c->lock);
	if (c->nr_startups < FAKE_CLOCK_MAX_STARTUPS)
		c->startups[c->nr_startups] = (struct fake_startup){ vcpu, vector };
	c->nr_startups++;
	pthread_mutex_unlock(&c->lock);
}

void fake_clock_init(struct fake_clock *c, uint64_t start, unsigned flags)
{
	memset(c, 0, sizeof(*c));
	test_host_init(&c->host, false);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->idle, NULL);
	c->now = start;
	c->host.hooks.irq_notify = hook_irq_notify;
	c->host.hooks.vcpu_startup = hook_vcpu_startup;
	if (flags & FAKE_CLOCK_NO_TIME)
		return;
	c->host.hooks.now_ns = hook_now;
	if (flags & FAKE_CLOCK_NO_TIMERS)
		return;
	c->host.hooks.timer_create = hook_timer_create;
	c->host.hooks.timer_arm = hook_timer_arm;
	c->host.hooks.timer_disarm = hook_timer_disarm;
	c->host.hooks.timer_destroy = hook_timer_destroy;
}

void fake_clock_fini(struct fake_clock *c)
{
	if (c->timers) {
		fprintf(stderr, "fake_clock: %u timers were never destroyed\n", c->nr_timers);
		abort();
	}
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->lock);
	test_host_fini(&c->host);
}

uint64_t fake_clock_now(struct fake_clock *c)
{
	uint64_t now;

	pthread_mutex_lock(&c->lock);
	now = c->now;
	pthread_mutex_unlock(&c->lock);
	return now;
}

/* The armed timer with the earliest deadline <= limit, or NULL. Lock held. */
static struct fake_timer *earliest_due(struct fake_clock *c, uint64_t limit)
{
	struct fake_timer *best = NULL;

	for (struct fake_timer *t = c->timers; t; t = t->next)
		if (t->armed && t->deadline <= limit && (!best || t->deadline < best->deadline))
			best = t;
	return best;
}

/* Runs fn with the lock dropped; t stays valid: destroy waits while it runs. */
static void run_locked(struct fake_clock *c, struct fake_timer *t)
{
	t->running++;
	c->fires++;
	pthread_mutex_unlock(&c->lock);
	t->fn(t->arg);
	pthread_mutex_lock(&c->lock);
	t->running--;
	pthread_cond_broadcast(&c->idle);
}

void fake_clock_advance(struct fake_clock *c, uint64_t ns)
{
	struct fake_timer *t;
	unsigned fired = 0;
	uint64_t target;

	pthread_mutex_lock(&c->lock);
	target = c->now + ns;
	if (c->late)
		c->now = target;
	while ((t = earliest_due(c, target))) {
		if (++fired > MAX_FIRES_PER_ADVANCE) {
			fprintf(stderr, "fake_clock: a timer keeps re-arming before %llu\n",
				(unsigned long long)target);
			abort();
		}
		t->armed = false;
		if (t->deadline > c->now)
			c->now = t->deadline;
		run_locked(c, t);
	}
	if (c->now < target)
		c->now = target;
	pthread_mutex_unlock(&c->lock);
}

void fake_clock_set_late(struct fake_clock *c, bool late)
{
	pthread_mutex_lock(&c->lock);
	c->late = late;
	pthread_mutex_unlock(&c->lock);
}

void fake_clock_fire_stale(struct fake_clock *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct fake_timer *t = c->timers; t; t = t->next)
		run_locked(c, t); /* the list changes only under the lock; t is pinned by running */
	pthread_mutex_unlock(&c->lock);
}

unsigned fake_clock_armed(struct fake_clock *c, uint64_t *next_deadline)
{
	unsigned n = 0;
	uint64_t next = UINT64_MAX;

	pthread_mutex_lock(&c->lock);
	for (struct fake_timer *t = c->timers; t; t = t->next) {
		if (!t->armed)
			continue;
		n++;
		if (t->deadline < next)
			next = t->deadline;
	}
	pthread_mutex_unlock(&c->lock);
	if (next_deadline)
		*next_deadline = next;
	return n;
}

uint64_t fake_clock_fires(struct fake_clock *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->fires;
	pthread_mutex_unlock(&c->lock);
	return n;
}

unsigned fake_clock_notifies(struct fake_clock *c, uint32_t vcpu)
{
	return vcpu < FAKE_CLOCK_MAX_VCPUS ? atomic_load(&c->notifies[vcpu]) : 0;
}

void fake_clock_clear_notifies(struct fake_clock *c)
{
	for (unsigned i = 0; i < FAKE_CLOCK_MAX_VCPUS; i++)
		atomic_store(&c->notifies[i], 0);
	atomic_store(&c->notify_total, 0);
}

unsigned fake_clock_startups(struct fake_clock *c, struct fake_startup *out, unsigned max)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->nr_startups;
	for (unsigned i = 0; i < n && i < max && i < FAKE_CLOCK_MAX_STARTUPS; i++)
		out[i] = c->startups[i];
	pthread_mutex_unlock(&c->lock);
	return n;
}
