/* SPDX-License-Identifier: Apache-2.0 */
#include "checks.h"

#include "gic_checks.h"
#include "mmio_checks.h"
#include "pl011_checks.h"
#include "uart16550_checks.h"
#include "virtio_checks.h"
#include "smp_checks.h"
#include "sysreg_checks.h"
#include "timer_checks.h"
#include "tap.h"
#include "wait.h"

void checks_run_all(bool gic_ok, const char *gic_why)
{
	check(gic_ok, "GIC CPU interface initialised", "%s", gic_why);
	if (gic_ok)
		wait_init();
	if (gic_ok) {
		pl011_checks_run();
		uart16550_checks_run();
		gic_checks_run();
		timer_checks_run();
		smp_checks_run();
		virtio_checks_run();
	}
	mmio_checks_run();
	sysreg_checks_run();
}
