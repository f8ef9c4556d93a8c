/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 6, SMP through PSCI: versions and features, CPU 1 started with
 * CPU_ON (and refused a second time), its MPIDR, its GIC CPU interface,
 * SGIs both ways, and CPU_OFF seen through AFFINITY_INFO.
 */
#ifndef GUEST_SMP_CHECKS_H
#define GUEST_SMP_CHECKS_H

#include <stdint.h>

void smp_checks_run(void);

/* C entry of a CPU started by CPU_ON (entry.S's secondary_entry). */
void secondary_main(uint64_t context) __attribute__((noreturn));

/* entry.S */
extern char secondary_entry[];

#endif
