/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the fuzz harnesses: a cursor over libFuzzer's input that hands
 * out integers (zero once the input is used up), edge-biased values, and the
 * oracle check that turns a mismatch into a crash libFuzzer reports.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fin {
	const uint8_t *p;
	size_t n;
};

static inline bool fin_left(const struct fin *in)
{
	return in->n > 0;
}

static inline uint8_t fin_u8(struct fin *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static inline uint16_t fin_u16(struct fin *in)
{
	return (uint16_t)(fin_u8(in) | (unsigned)fin_u8(in) << 8);
}

static inline uint32_t fin_u32(struct fin *in)
{
	return (uint32_t)fin_u16(in) | (uint32_t)fin_u16(in) << 16;
}

static inline uint64_t fin_u64(struct fin *in)
{
	return (uint64_t)fin_u32(in) | (uint64_t)fin_u32(in) << 32;
}

static inline bool fin_bool(struct fin *in)
{
	return fin_u8(in) & 1;
}

/* An access width: mostly 1/2/4/8, sometimes 0, 3, 5..9 or 16. */
static inline unsigned fin_width(struct fin *in)
{
	static const unsigned widths[16] = { 1, 2, 4, 8, 1, 2, 4, 8, 1, 4, 4, 0, 3, 5, 9, 16 };

	return widths[fin_u8(in) & 15];
}

/* A 64-bit value biased towards the edges of `limit` (bus limits, 0, 1, powers of two). */
static inline uint64_t fin_edge64(struct fin *in, uint64_t limit)
{
	uint8_t sel = fin_u8(in);
	uint64_t small = fin_u8(in);

	switch (sel & 7) {
	case 0:
		return small;
	case 1:
		return limit - small;
	case 2:
		return (uint64_t)1 << (small & 63);
	case 3:
		return ((uint64_t)1 << (small & 63)) - 1;
	case 4:
		return limit / 2 + small - 128;
	default:
		return fin_u64(in) & limit;
	}
}

/* Oracle mismatch: say what and crash so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "oracle mismatch at %s:%d: %s\n", __FILE__, __LINE__,      \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * A guest physical address near the interesting places of a RAM window at
 * ram (size bytes): inside, at and past its end, just below it, wrapping
 * the address space, in the test driver's indirect tables (ram + 0x20000,
 * tests/support/virtio_driver.h), or anything.
 */
static inline uint64_t fin_guest_addr(struct fin *in, uint64_t ram, uint64_t size)
{
	uint8_t sel = fin_u8(in);
	uint64_t k = fin_u16(in);

	switch (sel & 7) {
	case 0:
		return ram + k * 16;
	case 1:
		return ram + size - (k & 0xff); /* at the end */
	case 2:
		return ram + size + (k & 0xff); /* past the end */
	case 3:
		return UINT64_MAX - (k & 0xfff); /* wraps */
	case 4:
		return ram - 1 - (k & 0xff);
	case 5:
		return ram + 0x20000 + (k & 0xff) * 16; /* the driver's indirect tables */
	default:
		return fin_u64(in);
	}
}

#endif
