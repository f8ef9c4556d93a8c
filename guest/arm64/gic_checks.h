/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 4: the GIC's registers and its acknowledge/end protocol, for the
 * version found: GICv2 distributor + CPU interface, or GICv3 distributor,
 * redistributors and ICC system registers.
 */
#ifndef GUEST_GIC_CHECKS_H
#define GUEST_GIC_CHECKS_H

void gic_checks_run(void);

#endif
