/* SPDX-License-Identifier: Apache-2.0 */
#include "sysreg_checks.h"

#include "cpu.h"
#include "gic.h"
#include "tap.h"
#include "timer.h"

#define CVAL_PATTERN 0x0123456789abcdefull
#define PMR_PROBE    0x80u

void sysreg_checks_run(void)
{
	uint64_t v;

	tap_section("system registers");
	timer_set_ctl(TIMER_VIRTUAL, TIMER_CTL_IMASK);
	timer_set_cval(TIMER_VIRTUAL, CVAL_PATTERN);
	v = timer_cval(TIMER_VIRTUAL);
	check(v == CVAL_PATTERN, "CNTV_CVAL_EL0 reads back 0x0123456789abcdef", "0x%llx",
	      (unsigned long long)v);
	check_eq32(timer_ctl(TIMER_VIRTUAL) & (TIMER_CTL_ENABLE | TIMER_CTL_IMASK), TIMER_CTL_IMASK,
		   "CNTV_CTL_EL0 reads back IMASK");
	timer_set_ctl(TIMER_VIRTUAL, 0);

	timer_set_cval(TIMER_PHYSICAL, ~CVAL_PATTERN);
	v = timer_cval(TIMER_PHYSICAL);
	check(v == ~CVAL_PATTERN, "CNTP_CVAL_EL0 reads back 0xfedcba9876543210", "0x%llx",
	      (unsigned long long)v);

	if (gic_version() != 3)
		return;
	write_sysreg_x(ICC_PMR_EL1, PMR_PROBE);
	isb();
	v = read_sysreg_x(ICC_PMR_EL1);
	write_sysreg_x(ICC_PMR_EL1, GIC_PMR_OPEN);
	isb();
	check(v == PMR_PROBE && read_sysreg_x(ICC_PMR_EL1) == GIC_PMR_OPEN,
	      "ICC_PMR_EL1 reads back 0x80, then 0xf0", "read 0x%llx, then 0x%llx",
	      (unsigned long long)v, (unsigned long long)read_sysreg_x(ICC_PMR_EL1));
}
