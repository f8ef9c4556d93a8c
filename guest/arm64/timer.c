/* SPDX-License-Identifier: Apache-2.0 */
#include "timer.h"

#include "cpu.h"
#include "platform.h"

static uint32_t frequency = PLATFORM_TIMER_HZ;

void timer_init(void)
{
	uint32_t f = (uint32_t)read_sysreg(cntfrq_el0);

	if (f)
		frequency = f;
}

uint32_t timer_frequency(void)
{
	return frequency;
}

uint64_t timer_now(void)
{
	isb(); /* not earlier than the code before it */
	return read_sysreg(cntvct_el0);
}

uint64_t timer_ticks_from_ms(uint32_t ms)
{
	return (uint64_t)frequency * ms / 1000u;
}

uint64_t timer_deadline_ms(uint32_t ms)
{
	return timer_now() + timer_ticks_from_ms(ms);
}

bool timer_expired(uint64_t deadline)
{
	return (int64_t)(timer_now() - deadline) >= 0;
}

void timer_delay_ms(uint32_t ms)
{
	uint64_t deadline = timer_deadline_ms(ms);

	while (!timer_expired(deadline))
		cpu_relax();
}

unsigned timer_intid(enum timer_id t)
{
	return t == TIMER_VIRTUAL ? PLATFORM_CNTV_INTID : PLATFORM_CNTP_INTID;
}

uint32_t timer_ctl(enum timer_id t)
{
	return (uint32_t)(t == TIMER_VIRTUAL ? read_sysreg(cntv_ctl_el0)
					     : read_sysreg(cntp_ctl_el0));
}

void timer_set_ctl(enum timer_id t, uint32_t ctl)
{
	if (t == TIMER_VIRTUAL)
		write_sysreg(cntv_ctl_el0, ctl);
	else
		write_sysreg(cntp_ctl_el0, ctl);
	isb();
}

uint64_t timer_cval(enum timer_id t)
{
	return t == TIMER_VIRTUAL ? read_sysreg(cntv_cval_el0) : read_sysreg(cntp_cval_el0);
}

void timer_set_cval(enum timer_id t, uint64_t cval)
{
	if (t == TIMER_VIRTUAL)
		write_sysreg(cntv_cval_el0, cval);
	else
		write_sysreg(cntp_cval_el0, cval);
	isb();
}

void timer_set_tval(enum timer_id t, uint32_t tval)
{
	if (t == TIMER_VIRTUAL)
		write_sysreg(cntv_tval_el0, tval);
	else
		write_sysreg(cntp_tval_el0, tval);
	isb();
}

/* The counter each timer compares against. */
uint64_t timer_count(enum timer_id t)
{
	isb();
	return t == TIMER_VIRTUAL ? read_sysreg(cntvct_el0) : read_sysreg(cntpct_el0);
}
