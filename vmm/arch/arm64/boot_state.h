/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an arm64 vCPU starts: the boot CPU at the kernel's entry with the
 * DTB in X0 (Linux's booting.rst), a secondary at its PSCI CPU_ON entry
 * with the context id in X0. Always EL1h with D, A, I and F masked, the
 * MMU and caches off (SCTLR_EL1 at its reset value).
 */
#ifndef AXVM_ARCH_ARM64_BOOT_STATE_H
#define AXVM_ARCH_ARM64_BOOT_STATE_H

#include <stdint.h>

struct arm64_boot_state {
	uint64_t pc;
	uint64_t x[4]; /* X0..X3 */
};

#endif
