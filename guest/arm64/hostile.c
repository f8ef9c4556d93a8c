/* SPDX-License-Identifier: Apache-2.0 */
#include "hostile.h"

#include "console.h"
#include "tap.h"

int hostile_run(bool gic_ok)
{
	check(gic_ok, "GIC up", "%s", "");
	if (tap_checks_failed() == 0) {
		console_printf("HOSTILE: PASS\n");
		return 0;
	}
	console_printf("HOSTILE: FAIL, %u of %u checks failed\n", tap_checks_failed(),
		       tap_checks_run());
	return 1;
}
