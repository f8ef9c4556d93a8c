/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One timer thread, a mutex and two condition variables (the thread's
 * wake-up, and "a callback finished" for destroy). Armed timers sit on a
 * list scanned for the earliest deadline: models arm a handful of timers,
 * so a scan is cheaper than keeping a heap in order.
 */
#include "timers.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct axvm_timer {
	struct axvm_timers *ts;
	void (*fn)(void *arg);
	void *arg;
	uint64_t deadline;
	bool armed;
	struct axvm_timer *next, *prev; /* every live timer, armed or not */
};

struct axvm_timers {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC: the thread's timed wait */
	pthread_cond_t done; /* a callback returned */
	pthread_t thread;
	bool quit;
	struct axvm_timer *timers;
	struct axvm_timer *running; /* whose fn runs now, lock released */
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t axvm_timers_now_ns(void *ctx)
{
	(void)ctx;
	return mono_ns();
}

static struct axvm_timer *earliest(const struct axvm_timers *ts)
{
	struct axvm_timer *best = NULL;

	for (struct axvm_timer *t = ts->timers; t; t = t->next)
		if (t->armed && (!best || t->deadline < best->deadline))
			best = t;
	return best;
}

static void *timer_thread(void *arg)
{
	struct axvm_timers *ts = arg;

	pthread_mutex_lock(&ts->lock);
	while (!ts->quit) {
		struct axvm_timer *t = earliest(ts);
		uint64_t now;

		if (!t) {
			pthread_cond_wait(&ts->wake, &ts->lock);
			continue;
		}
		now = mono_ns();
		if (t->deadline > now) {
			struct timespec until = {
				.tv_sec = (time_t)(t->deadline / 1000000000u),
				.tv_nsec = (long)(t->deadline % 1000000000u),
			};

			pthread_cond_timedwait(&ts->wake, &ts->lock, &until);
			continue; /* the set may have changed: look again */
		}
		/* one-shot: disarmed before it runs, so fn may arm it again */
		t->armed = false;
		ts->running = t;
		pthread_mutex_unlock(&ts->lock);
		t->fn(t->arg);
		pthread_mutex_lock(&ts->lock);
		ts->running = NULL;
		pthread_cond_broadcast(&ts->done);
	}
	pthread_mutex_unlock(&ts->lock);
	return NULL;
}

struct axvm_timers *axvm_timers_create(void)
{
	struct axvm_timers *ts = calloc(1, sizeof(*ts));
	pthread_condattr_t attr;
	int err;

	if (!ts)
		return NULL;
	pthread_mutex_init(&ts->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ts->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&ts->done, NULL);
	err = pthread_create(&ts->thread, NULL, timer_thread, ts);
	if (err != 0) {
		pthread_cond_destroy(&ts->done);
		pthread_cond_destroy(&ts->wake);
		pthread_mutex_destroy(&ts->lock);
		free(ts);
		errno = err;
		return NULL;
	}
	return ts;
}

void axvm_timers_destroy(struct axvm_timers *ts)
{
	if (!ts)
		return;
	pthread_mutex_lock(&ts->lock);
	ts->quit = true;
	pthread_cond_signal(&ts->wake);
	pthread_mutex_unlock(&ts->lock);
	pthread_join(ts->thread, NULL);
	while (ts->timers) {
		struct axvm_timer *t = ts->timers;

		ts->timers = t->next;
		free(t);
	}
	pthread_cond_destroy(&ts->done);
	pthread_cond_destroy(&ts->wake);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

void *axvm_timers_timer_create(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct axvm_timers *ts = ctx;
	struct axvm_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ts = ts;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&ts->lock);
	t->next = ts->timers;
	if (ts->timers)
		ts->timers->prev = t;
	ts->timers = t;
	pthread_mutex_unlock(&ts->lock);
	return t;
}

void axvm_timers_timer_arm(void *ctx, void *timer, uint64_t deadline_ns)
{
	struct axvm_timers *ts = ctx;
	struct axvm_timer *t = timer;

	pthread_mutex_lock(&ts->lock);
	t->deadline = deadline_ns;
	t->armed = true;
	pthread_cond_signal(&ts->wake); /* it may be earlier than what the thread waits for */
	pthread_mutex_unlock(&ts->lock);
}

void axvm_timers_timer_disarm(void *ctx, void *timer)
{
	struct axvm_timers *ts = ctx;
	struct axvm_timer *t = timer;

	/* no wake-up: a thread waiting for this deadline finds nothing due and sleeps again */
	pthread_mutex_lock(&ts->lock);
	t->armed = false;
	pthread_mutex_unlock(&ts->lock);
}

void axvm_timers_timer_destroy(void *ctx, void *timer)
{
	struct axvm_timers *ts = ctx;
	struct axvm_timer *t = timer;
	bool own_thread;

	if (!t)
		return;
	own_thread = pthread_equal(pthread_self(), ts->thread);
	pthread_mutex_lock(&ts->lock);
	t->armed = false;
	/* off the list first: the thread can no longer pick it */
	if (t->prev)
		t->prev->next = t->next;
	else
		ts->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	while (ts->running == t && !own_thread)
		pthread_cond_wait(&ts->done, &ts->lock);
	if (ts->running == t)
		ts->running = NULL; /* its own callback: the thread must not touch t afterwards */
	pthread_mutex_unlock(&ts->lock);
	free(t);
}
