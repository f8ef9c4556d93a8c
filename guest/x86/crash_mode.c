/* SPDX-License-Identifier: Apache-2.0 */
#include "crash_mode.h"

#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "multiboot.h"
#include "platform.h"
#include "virtio_blk.h"

/* The flushed region: 1024 sectors (512 KiB). */
#define CRASH_FLUSHED_FIRST 64u
#define CRASH_FLUSHED_LAST  1087u
/* The region rewritten, never flushed, until the host kills the VM. */
#define CRASH_LOOP_FIRST 2048u
#define CRASH_LOOP_LAST	 4095u

/*
 * Sectors per write request: 8 KiB, two host pages, so a host killed in the
 * middle of a request may have written the first page only.
 */
#define CRASH_CHUNK_SECTORS 16u
#define CRASH_CHUNK_BYTES   (CRASH_CHUNK_SECTORS * VIRTIO_BLK_SECTOR_SIZE)

#define CRASH_MAGIC   0x48535243u /* "CRSH" read as a little-endian word */
#define CRASH_TRAILER 508u	  /* offset of the last word of a sector */

static struct virtio_blk disk;
static uint8_t chunk[CRASH_CHUNK_BYTES] __attribute__((aligned(512)));

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Guest instructions can be expensive (on the nested test machine a loop
 * iteration took ~8 us), so the pattern is built once per generation and a
 * request only patches the words that name its sectors.
 */
static void copy_words(void *dst, const void *src, uint32_t words)
{
	__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
}

/* Fills every sector of the chunk with the generation's pattern (sector words left for later). */
static void set_generation(uint32_t seed, uint32_t generation)
{
	uint32_t x = seed ^ (generation * 0x85ebca6bu) ^ 0x9e3779b9u;

	if (x == 0)
		x = 1;
	store_le32(chunk, CRASH_MAGIC);
	store_le32(chunk + 8, seed);
	store_le32(chunk + 12, generation);
	for (uint32_t off = 16; off < CRASH_TRAILER; off += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		store_le32(chunk + off, x);
	}
	for (uint32_t i = 1; i < CRASH_CHUNK_SECTORS; i++)
		copy_words(chunk + i * VIRTIO_BLK_SECTOR_SIZE, chunk, VIRTIO_BLK_SECTOR_SIZE / 4);
}

/* Names the chunk's sectors first, first + 1, ...: the sector number and the trailer. */
static void set_sectors(uint32_t seed, uint32_t first)
{
	for (uint32_t i = 0; i < CRASH_CHUNK_SECTORS; i++) {
		uint8_t *p = chunk + i * VIRTIO_BLK_SECTOR_SIZE;

		store_le32(p + 4, first + i);
		store_le32(p + CRASH_TRAILER, ~((first + i) ^ seed));
	}
}

/* 1 to 8 hex digits, with or without 0x. */
static bool parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0 || len > 8)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return false;
		v = (v << 4) | d;
	}
	*out = v;
	return true;
}

/* Issues one request and waits for it; false (after saying why) unless it completed OK. */
static bool request(uint32_t type, uint32_t sector, volatile void *data, uint32_t len)
{
	struct virtio_blk_completion c = virtio_blk_request(&disk, type, sector, data, len);

	if (c.completed && c.status == VIRTIO_BLK_S_OK)
		return true;
	console_printf("CRASH error: %s at sector %u: %s, status %u, device Status 0x%x\n",
		       type == VIRTIO_BLK_T_FLUSH ? "flush" : "write", sector,
		       c.completed ? "completed" : "no completion", c.status,
		       virtio_blk_device_status(&disk));
	return false;
}

/* Writes sectors first..last (a whole number of chunks) with one generation. */
static bool write_region(uint32_t seed, uint32_t first, uint32_t last, uint32_t generation)
{
	set_generation(seed, generation);
	for (uint32_t s = first; s <= last; s += CRASH_CHUNK_SECTORS) {
		set_sectors(seed, s);
		if (!request(VIRTIO_BLK_T_OUT, s, chunk, CRASH_CHUNK_BYTES))
			return false;
	}
	return true;
}

int crash_mode_run(const char *cmdline)
{
	const char *value;
	size_t len;
	uint32_t seed;
	uintptr_t base;

	if (!cmdline_option(cmdline, "seed", &value, &len) || !parse_hex32(value, len, &seed)) {
		console_printf("CRASH error: mode=crash needs seed=<1 to 8 hex digits>\n");
		return 1;
	}
	base = virtio_mmio_find(VIRTIO_ID_BLOCK, PLATFORM_VIRTIO_BASE, PLATFORM_VIRTIO_SLOTS,
				PLATFORM_VIRTIO_STRIDE);
	if (base == 0) {
		console_printf("CRASH error: no virtio-blk device at 0x%x\n", PLATFORM_VIRTIO_BASE);
		return 1;
	}
	if (!virtio_blk_init(&disk, base)) {
		console_printf("CRASH error: virtio-blk init: %s\n", disk.mmio.error);
		return 1;
	}
	if (!(disk.mmio.driver_features & (1ull << VIRTIO_BLK_F_FLUSH))) {
		console_printf("CRASH error: the device does not offer VIRTIO_BLK_F_FLUSH\n");
		return 1;
	}
	if (disk.capacity <= CRASH_LOOP_LAST) {
		console_printf("CRASH error: the disk has %u sectors, need %u\n",
			       (unsigned)disk.capacity, CRASH_LOOP_LAST + 1);
		return 1;
	}

	if (!write_region(seed, CRASH_FLUSHED_FIRST, CRASH_FLUSHED_LAST, 0) ||
	    !request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0))
		return 1;
	console_printf("CRASH flushed seed=%08x sectors=%u..%u\n", seed, CRASH_FLUSHED_FIRST,
		       CRASH_FLUSHED_LAST);

	/* Every line below is printed only after all of that pass's writes completed. */
	for (uint32_t pass = 1;; pass++) {
		if (!write_region(seed, CRASH_LOOP_FIRST, CRASH_LOOP_LAST, pass))
			return 1;
		console_printf("CRASH pass %u done sectors=%u..%u\n", pass, CRASH_LOOP_FIRST,
			       CRASH_LOOP_LAST);
	}
}
