/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Default-mode checks of the GICv2 distributor model. x86 has no GIC to
 * route to, so these only exercise its registers.
 */
#ifndef GUEST_GICD_CHECK_H
#define GUEST_GICD_CHECK_H

void gicd_checks_run(void);

#endif
