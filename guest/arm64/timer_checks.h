/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 5: the generic timer. CNTFRQ_EL0, a 1 kHz virtual timer counted over
 * ~100 ms of CNTVCT_EL0 (within +-30%: the CPU may be emulated), and the
 * physical timer firing at least once.
 */
#ifndef GUEST_TIMER_CHECKS_H
#define GUEST_TIMER_CHECKS_H

void timer_checks_run(void);

#endif
