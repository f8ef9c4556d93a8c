/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What tools/make-demo-disk.sh puts on the demo disk: sector 0 starts with
 * a banner, the rest of the sector is a byte pattern, every other sector is zero.
 */
#ifndef GUEST_DEMO_DISK_H
#define GUEST_DEMO_DISK_H

#include <stdint.h>

#define DEMO_DISK_BANNER "AXDEVICE DEMO DISK v1\n"

/* Byte i of sector 0 after the banner. */
static inline uint8_t demo_disk_pattern_byte(uint32_t i)
{
	return (uint8_t)((i * 7 + 3) & 0xff);
}

/*
 * Checks a copy of sector 0; returns -1 if it matches, else the offset of the
 * first wrong byte.
 */
int demo_disk_verify_sector0(const volatile uint8_t *sector);

#endif
