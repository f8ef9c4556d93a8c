/* SPDX-License-Identifier: Apache-2.0 */
#include "psci_hostile.h"

#include "platform.h"
#include "psci.h"
#include "smp_checks.h"
#include "tap.h"

#define UNKNOWN_FN	  0x840000ffu /* in the PSCI range, not a PSCI function */
#define SMC64_UNKNOWN_FN  0xc40000ffu
#define NO_SUCH_MPIDR	  0x100u	  /* Aff1 = 1: one cluster only */
#define FAR_MPIDR	  0xff00000000ull /* Aff3 = 0xff */
#define ENTRY_OUTSIDE_RAM 0x1000u
#define ENTRY_PAST_RAM	  (PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE)
#define SECONDARY	  1u

static void expect(int64_t got, int64_t want, const char *what)
{
	check(got == want, what, "returned %lld, expected %lld", (long long)got, (long long)want);
}

void psci_hostile_run(void)
{
	tap_section("hostile: PSCI calls that must be refused");
	expect(psci_call(UNKNOWN_FN, 0, 0, 0), PSCI_NOT_SUPPORTED,
	       "unknown function 0x840000ff is NOT_SUPPORTED (-1)");
	expect(psci_call(SMC64_UNKNOWN_FN, 1, 2, 3), PSCI_NOT_SUPPORTED,
	       "unknown function 0xc40000ff is NOT_SUPPORTED (-1)");
	expect(psci_call(PSCI_FN_FEATURES, UNKNOWN_FN, 0, 0), PSCI_NOT_SUPPORTED,
	       "PSCI_FEATURES of an unknown function is NOT_SUPPORTED (-1)");
	expect(psci_call(PSCI_FN64_CPU_ON, NO_SUCH_MPIDR, (uintptr_t)secondary_entry, 0),
	       PSCI_INVALID_PARAMETERS,
	       "CPU_ON of MPIDR 0x100 (no such CPU) is INVALID_PARAMETERS (-2)");
	expect(psci_call(PSCI_FN64_CPU_ON, FAR_MPIDR, (uintptr_t)secondary_entry, 0),
	       PSCI_INVALID_PARAMETERS, "CPU_ON of MPIDR Aff3 0xff is INVALID_PARAMETERS (-2)");
	expect(psci_call(PSCI_FN64_CPU_ON, SECONDARY, ENTRY_OUTSIDE_RAM, 0), PSCI_INVALID_ADDRESS,
	       "CPU_ON with entry 0x1000 (not RAM) is INVALID_ADDRESS (-9)");
	expect(psci_call(PSCI_FN64_CPU_ON, SECONDARY, ENTRY_PAST_RAM, 0), PSCI_INVALID_ADDRESS,
	       "CPU_ON with entry just past RAM is INVALID_ADDRESS (-9)");
	expect(psci_call(PSCI_FN64_AFFINITY_INFO, SECONDARY, 1, 0), PSCI_INVALID_PARAMETERS,
	       "AFFINITY_INFO at lowest level 1 is INVALID_PARAMETERS (-2)");
	expect(psci_call(PSCI_FN64_AFFINITY_INFO, NO_SUCH_MPIDR, 0, 0), PSCI_INVALID_PARAMETERS,
	       "AFFINITY_INFO of MPIDR 0x100 is INVALID_PARAMETERS (-2)");
	expect(psci_call(PSCI_FN64_AFFINITY_INFO, SECONDARY, 0, 0), PSCI_AFFINITY_OFF,
	       "after all that, CPU 1 is still OFF (AFFINITY_INFO 1)");
	expect(psci_call(PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2,
	       "MIGRATE_INFO_TYPE is 2 (no trusted OS to migrate)");
}
