/* SPDX-License-Identifier: Apache-2.0 */
#include "halt_wait.h"

#include "clock.h"
#include "cpu.h"
#include "interrupts.h"
#include "lapic.h"

/* 10^7 ticks of the 1 GHz APIC timer: a wake-up every 10 ms. */
#define WAKEUP_PERIOD_APIC_TICKS 10000000u

static volatile uint32_t timer_ticks;

static void on_wakeup_timer(struct interrupt_frame *frame)
{
	(void)frame;
	timer_ticks++;
	lapic_eoi();
}

void halt_wait_init(void)
{
	interrupt_set_handler(VECTOR_LAPIC_TIMER, on_wakeup_timer);
}

bool halt_until(volatile bool *flag, uint32_t timeout_ms)
{
	uint64_t deadline = clock_deadline_ms(timeout_ms);

	interrupts_disable();
	lapic_timer_start_periodic(VECTOR_LAPIC_TIMER, WAKEUP_PERIOD_APIC_TICKS);
	while (!*flag && !clock_expired(deadline))
		interrupts_enable_and_halt();
	lapic_timer_stop();
	return *flag;
}

uint32_t halt_wait_timer_ticks(void)
{
	return timer_ticks;
}
