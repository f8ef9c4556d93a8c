/* SPDX-License-Identifier: Apache-2.0 */
/* The local APIC at its default base (Intel SDM vol. 3, chapter 11). */
#ifndef GUEST_LAPIC_H
#define GUEST_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_BASE 0xfee00000u

#define LAPIC_REG_ID		0x020
#define LAPIC_REG_VERSION	0x030
#define LAPIC_REG_TPR		0x080
#define LAPIC_REG_EOI		0x0b0
#define LAPIC_REG_SVR		0x0f0
#define LAPIC_REG_LVT_TIMER	0x320
#define LAPIC_REG_LVT_LINT0	0x350
#define LAPIC_REG_LVT_LINT1	0x360
#define LAPIC_REG_LVT_ERROR	0x370
#define LAPIC_REG_TIMER_INITIAL 0x380
#define LAPIC_REG_TIMER_CURRENT 0x390
#define LAPIC_REG_TIMER_DIVIDE	0x3e0

#define LAPIC_SVR_ENABLE	(1u << 8)
#define LAPIC_LVT_MASKED	(1u << 16)
#define LAPIC_TIMER_PERIODIC	(1u << 17)
#define LAPIC_TIMER_DIVIDE_BY_1 0xb

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);

/* Software-enables the local APIC with the given spurious vector; returns false if absent. */
bool lapic_enable(uint8_t spurious_vector);
uint8_t lapic_id(void);
void lapic_eoi(void);

/* Counts down `count` timer ticks (divide by 1), masked, once; for calibration. */
/* One-shot, divide by 1, masked; lapic_timer_load then starts it counting down. */
void lapic_timer_prepare_masked_oneshot(void);
void lapic_timer_load(uint32_t count);
/* Interrupts on `vector` every `count` ticks (divide by 1). */
void lapic_timer_start_periodic(uint8_t vector, uint32_t count);
void lapic_timer_stop(void);
uint32_t lapic_timer_current(void);

#endif
