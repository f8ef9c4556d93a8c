/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The generic timer (Arm ARM D11): the virtual counter CNTVCT_EL0 at
 * CNTFRQ_EL0 ticks per second is the guest's clock for every bounded wait;
 * the EL1 virtual (CNTV) and physical (CNTP) timers raise PPIs 27 and 30.
 */
#ifndef GUEST_TIMER_H
#define GUEST_TIMER_H

#include <stdbool.h>
#include <stdint.h>

/* CNTx_CTL_EL0 bits. */
#define TIMER_CTL_ENABLE  (1u << 0)
#define TIMER_CTL_IMASK	  (1u << 1)
#define TIMER_CTL_ISTATUS (1u << 2)

/* Reads CNTFRQ_EL0 once; falls back to the platform's 62.5 MHz when it reads 0. */
void timer_init(void);
uint32_t timer_frequency(void);

uint64_t timer_now(void);
uint64_t timer_ticks_from_ms(uint32_t ms);
uint64_t timer_deadline_ms(uint32_t ms);
bool timer_expired(uint64_t deadline);
void timer_delay_ms(uint32_t ms);

/* The two EL1 timers the guest uses, each on its own PPI. */
enum timer_id { TIMER_VIRTUAL, TIMER_PHYSICAL };

unsigned timer_intid(enum timer_id t);
uint32_t timer_ctl(enum timer_id t);
void timer_set_ctl(enum timer_id t, uint32_t ctl);
uint64_t timer_cval(enum timer_id t);
void timer_set_cval(enum timer_id t, uint64_t cval);
void timer_set_tval(enum timer_id t, uint32_t tval);
uint64_t timer_count(enum timer_id t);

#endif
