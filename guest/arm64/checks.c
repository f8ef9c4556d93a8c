/* SPDX-License-Identifier: Apache-2.0 */
#include "checks.h"

#include "smp_checks.h"
#include "tap.h"
#include "wait.h"

void checks_run_all(bool gic_ok, const char *gic_why)
{
	check(gic_ok, "GIC CPU interface initialised", "%s", gic_why);
	if (gic_ok)
		wait_init();
	smp_checks_run();
}
