/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time from the TSC, calibrated once against the local APIC timer (which
 * KVM and QEMU both run at 1 GHz). Every wait in the guest is bounded by a
 * deadline from here, so a missing or silent device yields a failure, not a hang.
 */
#ifndef GUEST_CLOCK_H
#define GUEST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Calibrates; returns false (and assumes 3 GHz) when the APIC timer did not count. */
bool clock_init(void);
uint32_t clock_tsc_khz(void);

uint64_t clock_deadline_ms(uint32_t ms);
bool clock_expired(uint64_t deadline);

/* Converts a TSC interval to nanoseconds. */
uint64_t clock_cycles_to_ns(uint64_t cycles);

#endif
