/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSCI (Arm DEN 0022) over HVC #0: function id in W0, arguments in X1..X3,
 * result in X0. axvm takes SYSTEM_OFF's X1 low byte as the VM's exit status.
 */
#ifndef GUEST_PSCI_H
#define GUEST_PSCI_H

#include <stdint.h>

/* Function ids (DEN 0022 5.1). */
#define PSCI_FN_VERSION		  0x84000000u
#define PSCI_FN_CPU_SUSPEND	  0x84000001u
#define PSCI_FN_CPU_OFF		  0x84000002u
#define PSCI_FN_CPU_ON		  0x84000003u
#define PSCI_FN_AFFINITY_INFO	  0x84000004u
#define PSCI_FN_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_FN_SYSTEM_OFF	  0x84000008u
#define PSCI_FN_SYSTEM_RESET	  0x84000009u
#define PSCI_FN_FEATURES	  0x8400000au
#define PSCI_FN64_CPU_ON	  0xc4000003u
#define PSCI_FN64_AFFINITY_INFO	  0xc4000004u

/* Return codes (DEN 0022 5.2.2). */
#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	-1
#define PSCI_INVALID_PARAMETERS -2
#define PSCI_DENIED		-3
#define PSCI_ALREADY_ON		-4
#define PSCI_ON_PENDING		-5
#define PSCI_INTERNAL_FAILURE	-6
#define PSCI_INVALID_ADDRESS	-9

/* AFFINITY_INFO results. */
#define PSCI_AFFINITY_ON	 0
#define PSCI_AFFINITY_OFF	 1
#define PSCI_AFFINITY_ON_PENDING 2

#define PSCI_VERSION_1_0 0x00010000u

/* One call; the result as the signed value X0 holds. */
int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* SYSTEM_OFF with the exit status in X1; if it returns, the CPU parks. */
void psci_system_off(uint8_t status) __attribute__((noreturn));

#endif
