/* SPDX-License-Identifier: Apache-2.0 */
#include "wait.h"

#include "cpu.h"
#include "gic.h"

static enum timer_id backstop = TIMER_PHYSICAL;

/* The deadline passed: stop the timer, which lowers its level-triggered PPI. */
static void on_backstop(unsigned intid, unsigned source)
{
	(void)source;
	timer_set_ctl(intid == PLATFORM_CNTV_INTID ? TIMER_VIRTUAL : TIMER_PHYSICAL, 0);
}

void wait_init(void)
{
	irq_set_handler(timer_intid(backstop), on_backstop);
	gic_enable(timer_intid(backstop), false);
}

void wait_set_backstop(enum timer_id t)
{
	timer_set_ctl(backstop, 0);
	gic_disable(timer_intid(backstop));
	backstop = t;
	wait_init();
}

static bool wait_for(const volatile uint32_t *value, uint32_t target, uint32_t ms)
{
	uint64_t deadline = timer_deadline_ms(ms);

	/* The timers compare against their own counters: CNTPCT may be offset from CNTVCT. */
	timer_set_cval(backstop, timer_count(backstop) + timer_ticks_from_ms(ms));
	timer_set_ctl(backstop, TIMER_CTL_ENABLE);
	while (*value < target && !timer_expired(deadline)) {
		wait_for_interrupt();
		irq_window();
	}
	timer_set_ctl(backstop, 0);
	return *value >= target;
}

bool wait_until(const volatile uint32_t *flag, uint32_t ms)
{
	return wait_for(flag, 1, ms);
}

bool wait_for_count(const volatile uint32_t *counter, uint32_t target, uint32_t ms)
{
	return wait_for(counter, target, ms);
}

void wait_ms(uint32_t ms)
{
	static const volatile uint32_t never;

	wait_for(&never, 1, ms);
}
