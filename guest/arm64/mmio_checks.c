/* SPDX-License-Identifier: Apache-2.0 */
#include "mmio_checks.h"

#include "cpu.h"
#include "exceptions.h"
#include "platform.h"
#include "tap.h"

#define WRITE_PATTERN 0x12345678u

void mmio_checks_run(void)
{
	uint32_t first, after, meta, meta_after;
	uint8_t narrow;
	unsigned aborts;

	tap_section("unmapped MMIO and the meta device");
	exceptions_probe_begin();
	first = mmio_read32(PLATFORM_UNMAPPED);
	mmio_write32(PLATFORM_UNMAPPED, WRITE_PATTERN);
	after = mmio_read32(PLATFORM_UNMAPPED);
	narrow = mmio_read8(PLATFORM_UNMAPPED + 1);
	aborts = exceptions_probe_end();
	check(aborts == 0, "unmapped accesses at 0x0c000000 do not fault", "%u data aborts",
	      aborts);
	check_eq32(first, 0xffffffffu, "an unmapped 32-bit read returns all ones");
	check_eq32(after, 0xffffffffu, "a write there is dropped (still all ones)");
	check_eq32(narrow, 0xff, "an unmapped 8-bit read returns 0xff");

	exceptions_probe_begin();
	meta = mmio_read32(PLATFORM_META_BASE);
	mmio_write32(PLATFORM_META_BASE, WRITE_PATTERN);
	meta_after = mmio_read32(PLATFORM_META_BASE + 4) | mmio_read32(PLATFORM_META_BASE);
	aborts = exceptions_probe_end();
	check(aborts == 0 && meta == 0, "the meta device at 0x0b000000 reads 0",
	      "read 0x%x, %u data aborts", meta, aborts);
	check(aborts == 0 && meta_after == 0, "the meta device ignores a write (still reads 0)",
	      "read 0x%x, %u data aborts", meta_after, aborts);
}
