/* SPDX-License-Identifier: Apache-2.0 */
#include "demo_disk.h"

#include "string.h"
#include "virtio_blk.h"

int demo_disk_verify_sector0(const volatile uint8_t *sector)
{
	const char *banner = DEMO_DISK_BANNER;
	uint32_t banner_len = (uint32_t)strlen(banner);

	for (uint32_t i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++) {
		uint8_t expected = i < banner_len ? (uint8_t)banner[i] : demo_disk_pattern_byte(i);

		if (sector[i] != expected)
			return (int)i;
	}
	return -1;
}
