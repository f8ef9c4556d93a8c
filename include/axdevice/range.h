/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Buses, address ranges and access widths.
 *
 * A range is built from (base, length) and stored as an inclusive
 * [base, last] pair so that a range may end exactly at the top of its bus
 * (last = the bus limit) without overflowing.
 */
#ifndef AXDEVICE_RANGE_H
#define AXDEVICE_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* The three address spaces a guest access can trap on. */
enum ax_bus {
	AX_BUS_MMIO = 0, /* 64-bit guest-physical addresses */
	AX_BUS_PORT,	 /* x86 I/O ports, 16-bit */
	AX_BUS_SYSREG,	 /* system registers, 32-bit encodings */
	AX_BUS_COUNT
};

typedef uint64_t ax_gpa_t;
typedef uint16_t ax_port_t;
typedef uint32_t ax_sysreg_t;

/* Highest address on each bus. */
#define AX_MMIO_LIMIT	UINT64_MAX
#define AX_PORT_LIMIT	UINT64_C(0xffff)
#define AX_SYSREG_LIMIT UINT64_C(0xffffffff)

/*
 * AArch64 system register encoding (op0, op1, CRn, CRm, op2), packed into
 * 16 bits in that order; ranges of consecutive encodings group register
 * families (e.g. all ICC_* registers). sysreg.h converts these numbers to and
 * from the ESR_EL2 syndrome layout of a trapped MSR/MRS.
 */
#define AX_SYSREG_ARM64(op0, op1, crn, crm, op2)                                                   \
	((ax_sysreg_t)((((op0)&3u) << 14) | (((op1)&7u) << 11) | (((crn)&15u) << 7) |              \
		       (((crm)&15u) << 3) | ((op2)&7u)))

/* Access width in bytes: the only four sizes a trapped access can have. */
enum ax_width {
	AX_WIDTH_BYTE = 1,
	AX_WIDTH_WORD = 2,
	AX_WIDTH_DWORD = 4,
	AX_WIDTH_QWORD = 8,
};

/* Converts a byte count to a width; anything but 1, 2, 4, 8 is InvalidInput. */
enum ax_err ax_width_from_bytes(uint64_t bytes, enum ax_width *out);

/* True when `bytes` is 1, 2, 4 or 8. */
static inline bool ax_width_valid(uint64_t bytes)
{
	return bytes - 1 < 8 && (bytes & (bytes - 1)) == 0;
}

struct ax_range {
	uint64_t base;
	uint64_t last; /* inclusive */
};

/* Short name of a bus: "mmio", "port", "sysreg" ("?" when out of range). */
const char *ax_bus_name(enum ax_bus bus);

/* Highest address on `bus`, or 0 for an invalid bus. */
uint64_t ax_bus_limit(enum ax_bus bus);

/*
 * Builds [base, base + length) on `bus`. InvalidInput for an invalid bus or a
 * zero length; BadAddress when the range wraps or ends past the bus limit.
 */
enum ax_err ax_range_new(enum ax_bus bus, uint64_t base, uint64_t length, struct ax_range *out);

/* Number of addresses covered; 0 stands for 2^64 (the whole MMIO bus). */
static inline uint64_t ax_range_length(const struct ax_range *r)
{
	return r->last - r->base + 1;
}

/* True when [addr, addr + span) lies wholly inside r (span >= 1). */
static inline bool ax_range_contains(const struct ax_range *r, uint64_t addr, uint64_t span)
{
	uint64_t off = addr - r->base;

	return addr >= r->base && off <= r->last - r->base && r->last - r->base - off >= span - 1;
}

static inline bool ax_range_overlaps(const struct ax_range *a, const struct ax_range *b)
{
	return a->base <= b->last && b->base <= a->last;
}

#endif
