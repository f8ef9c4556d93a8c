/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The POSIX time service behind the library's time hooks (host.h: now_ns,
 * timer_create/arm/disarm/destroy): CLOCK_MONOTONIC, and one-shot timers
 * run by one timer thread that sleeps on a condition variable until the
 * earliest deadline.
 *
 * Semantics are host.h's: a timer is one-shot; arming again replaces the
 * deadline; arm and disarm never wait for a running callback (the models
 * call them under the lock their callback takes), so a callback may run
 * once more after a disarm or re-arm that raced with it; destroy waits
 * until the callback is not running and guarantees it never runs again.
 * Callbacks run on the timer thread, one at a time, in deadline order.
 *
 * The functions take the hook signatures; ctx is the struct axvm_timers *.
 */
#ifndef AXVM_TIMERS_H
#define AXVM_TIMERS_H

#include <stdint.h>

struct axvm_timers;

/* Starts the timer thread; NULL with errno on failure. */
struct axvm_timers *axvm_timers_create(void);
/* Stops the thread (waiting for a running callback) and frees timers left behind. */
void axvm_timers_destroy(struct axvm_timers *ts);

uint64_t axvm_timers_now_ns(void *ctx);
/* NULL on allocation failure. */
void *axvm_timers_timer_create(void *ctx, void (*fn)(void *arg), void *arg);
void axvm_timers_timer_arm(void *ctx, void *timer, uint64_t deadline_ns);
void axvm_timers_timer_disarm(void *ctx, void *timer);
/* NULL is ignored. From the timer's own callback it does not wait (it cannot). */
void axvm_timers_timer_destroy(void *ctx, void *timer);

#endif
