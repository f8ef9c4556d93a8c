/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Waiting for an interrupt with `sti; hlt`, bounded: a periodic local APIC
 * timer wakes the CPU so the deadline is checked even if the awaited
 * interrupt never comes.
 */
#ifndef GUEST_HALT_WAIT_H
#define GUEST_HALT_WAIT_H

#include <stdbool.h>
#include <stdint.h>

/* Installs the wake-up timer's handler; call once after interrupts_init(). */
void halt_wait_init(void);

/*
 * Halts until *flag becomes true (set by an interrupt handler) or
 * timeout_ms passes. Returns with interrupts disabled; returns *flag.
 */
bool halt_until(volatile bool *flag, uint32_t timeout_ms);

/* Timer wake-ups seen so far (shows whether the timer itself works). */
uint32_t halt_wait_timer_ticks(void);

#endif
