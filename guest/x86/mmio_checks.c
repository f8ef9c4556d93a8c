/* SPDX-License-Identifier: Apache-2.0 */
#include "mmio_checks.h"

#include "cpu.h"
#include "platform.h"
#include "tap.h"

void mmio_checks_run(void)
{
	uint32_t before, after;

	tap_section("bus: meta device and unmapped space");
	mmio_write32(PLATFORM_NOOP_BASE, 0x12345678u);
	check_eq32(mmio_read32(PLATFORM_NOOP_BASE), 0, "meta device at 0xfe300000 reads 0");

	before = mmio_read32(PLATFORM_UNMAPPED_MMIO);
	mmio_write32(PLATFORM_UNMAPPED_MMIO, 0x12345678u);
	after = mmio_read32(PLATFORM_UNMAPPED_MMIO);
	check_eq32(before, 0xffffffffu, "unmapped MMIO read at 0xfd000000 returns all-ones");
	check_eq32(after, 0xffffffffu, "unmapped MMIO write at 0xfd000000 is dropped");
}
