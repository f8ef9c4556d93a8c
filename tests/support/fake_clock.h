/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake clock for the host time hooks (now_ns, timer_create/arm/disarm/
 * destroy): time moves only when the test advances it, and advancing fires
 * the timers that fall due in deadline order, each with the clock set to its
 * deadline (or, in "late" mode, to the end of the advance: a host that fell
 * behind). Plus recorders for the irq_notify and vcpu_startup hooks.
 * Thread-safe: any thread may advance, arm, disarm or destroy; timer
 * callbacks run on the advancing thread with no fake-clock lock held.
 *
 * The struct embeds a struct test_host (host_posix.h) as its first member:
 * host.hooks is a complete hook table whose ctx is &host.
 */
#ifndef TESTS_SUPPORT_FAKE_CLOCK_H
#define TESTS_SUPPORT_FAKE_CLOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "host_posix.h"

#define FAKE_CLOCK_MAX_VCPUS	256
#define FAKE_CLOCK_MAX_STARTUPS 64

/* fake_clock_init flags */
#define FAKE_CLOCK_NO_TIME   1u /* no now_ns and no timer hooks */
#define FAKE_CLOCK_NO_TIMERS 2u /* now_ns only */

struct fake_timer;

struct fake_startup {
	uint32_t vcpu;
	uint8_t vector;
};

struct fake_clock {
	struct test_host host; /* first: host.hooks.ctx == &host */
	pthread_mutex_t lock;
	pthread_cond_t idle; /* a callback finished */
	uint64_t now;
	bool late;
	struct fake_timer *timers;
	unsigned nr_timers;
	uint64_t fires; /* callbacks run */
	_Atomic unsigned notifies[FAKE_CLOCK_MAX_VCPUS];
	_Atomic unsigned notify_total;
	/* optional, called from irq_notify (any thread, maybe under a model's lock) */
	void (*on_notify)(void *arg, uint32_t vcpu);
	void *on_notify_arg;
	unsigned nr_startups;
	struct fake_startup startups[FAKE_CLOCK_MAX_STARTUPS];
};

/* Initialises the host (test_host_init) and installs the fake hooks; time starts at `start`. */
void fake_clock_init(struct fake_clock *c, uint64_t start, unsigned flags);
/* Frees what is left (timers the model did not destroy count as a test failure: abort). */
void fake_clock_fini(struct fake_clock *c);

uint64_t fake_clock_now(struct fake_clock *c);
/* Moves time forward by `ns`, firing due timers in deadline order. */
void fake_clock_advance(struct fake_clock *c, uint64_t ns);
/* "Late" mode: due timers fire with the clock already at the end of the advance. */
void fake_clock_set_late(struct fake_clock *c, bool late);
/* Calls every live timer's callback once now, armed or not (the run host.h allows after a disarm).
 */
void fake_clock_fire_stale(struct fake_clock *c);
/* Number of armed timers; the earliest deadline (UINT64_MAX when none). */
unsigned fake_clock_armed(struct fake_clock *c, uint64_t *next_deadline);
uint64_t fake_clock_fires(struct fake_clock *c);

unsigned fake_clock_notifies(struct fake_clock *c, uint32_t vcpu);
void fake_clock_clear_notifies(struct fake_clock *c);
/* Copies up to `max` recorded startups; returns how many were recorded. */
unsigned fake_clock_startups(struct fake_clock *c, struct fake_startup *out, unsigned max);

#endif
