/* SPDX-License-Identifier: Apache-2.0 */
#include "psci.h"

#include "cpu.h"

int64_t psci_call(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC: X4..X17 may be clobbered too. */
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			   "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

void psci_system_off(uint8_t status)
{
	psci_call(PSCI_FN_SYSTEM_OFF, status, 0, 0);
	for (;;)
		wait_for_interrupt();
}
