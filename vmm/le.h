/* SPDX-License-Identifier: Apache-2.0 */
/* Little-endian fields in guest memory and boot structures, whatever the host's byte order. */
#ifndef AXVM_LE_H
#define AXVM_LE_H

#include <stdint.h>

static inline uint64_t le_load(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = len; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static inline void le_store(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif
