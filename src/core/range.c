/* SPDX-License-Identifier: Apache-2.0 */
#include <axdevice/range.h>

enum ax_err ax_width_from_bytes(uint64_t bytes, enum ax_width *out)
{
	if (!ax_width_valid(bytes))
		return AX_ERR_INVALID_INPUT;
	*out = (enum ax_width)bytes;
	return AX_OK;
}

const char *ax_bus_name(enum ax_bus bus)
{
	static const char *const names[AX_BUS_COUNT] = { "mmio", "port", "sysreg" };

	return (unsigned)bus < AX_BUS_COUNT ? names[bus] : "?";
}

uint64_t ax_bus_limit(enum ax_bus bus)
{
	static const uint64_t limits[AX_BUS_COUNT] = { AX_MMIO_LIMIT, AX_PORT_LIMIT,
						       AX_SYSREG_LIMIT };

	return (unsigned)bus < AX_BUS_COUNT ? limits[bus] : 0;
}

enum ax_err ax_range_new(enum ax_bus bus, uint64_t base, uint64_t length, struct ax_range *out)
{
	uint64_t limit = ax_bus_limit(bus);

	if ((unsigned)bus >= AX_BUS_COUNT || length == 0)
		return AX_ERR_INVALID_INPUT;
	/* base + length - 1 must neither wrap nor pass the top of the bus */
	if (base > limit || length - 1 > limit - base)
		return AX_ERR_BAD_ADDRESS;
	out->base = base;
	out->last = base + (length - 1);
	return AX_OK;
}
