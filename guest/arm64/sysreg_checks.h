/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 10: system registers a VMM has to emulate (axvm's sysreg devices):
 * timer compare values and controls, and on GICv3 the ICC registers,
 * written and read back.
 */
#ifndef GUEST_SYSREG_CHECKS_H
#define GUEST_SYSREG_CHECKS_H

void sysreg_checks_run(void);

#endif
