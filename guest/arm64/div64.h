/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 64-bit by 32-bit unsigned division, the interface of guest/x86/div64.h (which
 * avoids libgcc) for guest/common/format.c; AArch64 divides 64-bit values natively.
 */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include <stddef.h>
#include <stdint.h>

/* Returns n / divisor and stores n % divisor in *remainder (if not NULL). divisor != 0. */
static inline uint64_t div64_u32(uint64_t n, uint32_t divisor, uint32_t *remainder)
{
	if (remainder)
		*remainder = (uint32_t)(n % divisor);
	return n / divisor;
}

#endif
