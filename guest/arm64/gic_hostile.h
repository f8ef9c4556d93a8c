/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile mode, the GIC: writes to read-only registers, INTIDs beyond the
 * implemented ones, EOIs of interrupts never acknowledged, garbage
 * priorities and targets (routes on v3) for unused SPIs, SGIs to CPUs that
 * do not exist, and on v3 accesses past the last redistributor frame.
 * Afterwards a pended SPI must still be delivered.
 */
#ifndef GUEST_GIC_HOSTILE_H
#define GUEST_GIC_HOSTILE_H

void gic_hostile_run(void);

/* A software-pended SPI 40 is delivered through the IRQ vector (also the final health check). */
void gic_hostile_check_delivery(const char *when);

#endif
