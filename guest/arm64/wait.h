/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded waits for something an interrupt handler (or the other CPU)
 * sets: WFI with IRQs masked (it still wakes on a pending interrupt, and
 * no interrupt can slip in between the test and the WFI), then a window
 * to take it. A one-shot "backstop" timer at the deadline guarantees a
 * wake-up, so a missing interrupt gives a timeout, never a hang. The
 * backstop is the physical timer, or the virtual one while the physical
 * timer is itself under test.
 */
#ifndef GUEST_WAIT_H
#define GUEST_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "timer.h"

/* Boot CPU, once the GIC is up: the backstop's PPI handlers. */
void wait_init(void);

void wait_set_backstop(enum timer_id t);

/* Until *flag is nonzero or ms pass; returns whether it became nonzero. */
bool wait_until(const volatile uint32_t *flag, uint32_t ms);

/* Until *counter >= target or ms pass. */
bool wait_for_count(const volatile uint32_t *counter, uint32_t target, uint32_t ms);

/* Takes interrupts (WFI-woken) until ms pass. */
void wait_ms(uint32_t ms);

#endif
