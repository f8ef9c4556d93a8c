/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 64-bit by 32-bit unsigned division without libgcc: two DIVL steps
 * (the high half first, so the second step's quotient always fits).
 */
#ifndef GUEST_DIV64_H
#define GUEST_DIV64_H

#include <stddef.h>
#include <stdint.h>

/* Returns n / divisor and stores n % divisor in *remainder (if not NULL). divisor != 0. */
static inline uint64_t div64_u32(uint64_t n, uint32_t divisor, uint32_t *remainder)
{
	uint32_t high = (uint32_t)(n >> 32);
	uint32_t low = (uint32_t)n;
	uint32_t q_high = high / divisor;
	uint32_t r = high % divisor;
	uint32_t q_low;

	__asm__("divl %[d]" : "=a"(q_low), "+d"(r) : "a"(low), [d] "rm"(divisor));
	if (remainder)
		*remainder = r;
	return ((uint64_t)q_high << 32) | q_low;
}

#endif
