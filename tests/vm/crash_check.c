/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crash_check ORIGINAL IMAGE SEED PASSES_DONE: the host half of
 * tests/vm/crash.sh. IMAGE is the disk of a demo guest run in mode=crash
 * and killed with SIGKILL; ORIGINAL is the same disk before the run; SEED
 * (hex) is the run's seed; PASSES_DONE is the last "CRASH pass N done" the
 * guest printed (0 if none). Checks, sector by sector:
 *   - sectors 64..1087 (written, then flushed before the guest said so)
 *     hold exactly their generation-0 pattern;
 *   - every sector of 2048..4095 (rewritten pass after pass, never flushed)
 *     is either its original content or, whole, its pattern of one pass:
 *     never torn, never another sector's or another run's data;
 *   - the passes found there read P for a prefix and P - 1 after it, since
 *     the guest writes the region in order, one request at a time; and no
 *     pass the guest reported done is missing (P - 1 >= PASSES_DONE).
 * Exit status 0 if all holds, 1 if not, 2 on a usage or I/O error.
 *
 * The sector layout, the contract with guest/x86/crash_mode.c (written again
 * here from its description, not shared), words little-endian:
 *   bytes   0..3    "CRSH"
 *   bytes   4..7    sector number
 *   bytes   8..11   seed
 *   bytes  12..15   generation (0 flushed region, pass number otherwise)
 *   bytes  16..507  123 words of xorshift32 (13, 17, 5) from
 *                   seed ^ generation * 0x85ebca6b ^ 0x9e3779b9 (1 if 0),
 *                   each word the state after one more step
 *   bytes 508..511  ~(sector number ^ seed)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR	      512u
#define FLUSHED_FIRST 64u
#define FLUSHED_LAST  1087u
#define LOOP_FIRST    2048u
#define LOOP_LAST     4095u
#define IMAGE_SECTORS (LOOP_LAST + 1u)
#define MAX_REPORTS   10u

static unsigned problems;

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void expected_sector(uint8_t *out, uint32_t seed, uint32_t sector, uint32_t generation)
{
	uint32_t state = seed ^ (generation * 0x85ebca6bu) ^ 0x9e3779b9u;

	if (state == 0)
		state = 1;
	memcpy(out, "CRSH", 4);
	put32(out + 4, sector);
	put32(out + 8, seed);
	put32(out + 12, generation);
	for (unsigned off = 16; off < SECTOR - 4; off += 4) {
		state ^= state << 13;
		state ^= state >> 17;
		state ^= state << 5;
		put32(out + off, state);
	}
	put32(out + SECTOR - 4, ~(sector ^ seed));
}

static void problem(uint32_t sector, const char *what, const char *detail)
{
	if (problems++ < MAX_REPORTS)
		printf("crash-check: sector %u: %s: %s\n", (unsigned)sector, what, detail);
}

static int first_difference(const uint8_t *a, const uint8_t *b)
{
	for (unsigned i = 0; i < SECTOR; i++)
		if (a[i] != b[i])
			return (int)i;
	return -1;
}

/* Reads the first IMAGE_SECTORS sectors of path. */
static uint8_t *read_image(const char *path)
{
	uint8_t *data = malloc((size_t)IMAGE_SECTORS * SECTOR);
	FILE *f = fopen(path, "rb");
	size_t got = 0;

	if (data && f)
		got = fread(data, SECTOR, IMAGE_SECTORS, f);
	if (!data || !f || got != IMAGE_SECTORS) {
		fprintf(stderr, "crash_check: %s: %s\n", path,
			!data ? "out of memory"
			: !f  ? strerror(errno)
			      : "shorter than 4096 sectors");
		free(data);
		data = NULL;
	}
	if (f)
		fclose(f);
	return data;
}

static unsigned long parse(const char *s, int base, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || end == s || *end || v > UINT32_MAX) {
		fprintf(stderr, "crash_check: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void check_flushed(const uint8_t *image, uint32_t seed)
{
	uint8_t want[SECTOR];
	unsigned exact = 0;

	for (uint32_t s = FLUSHED_FIRST; s <= FLUSHED_LAST; s++) {
		const uint8_t *got = image + (size_t)s * SECTOR;
		int at;
		char detail[96];

		expected_sector(want, seed, s, 0);
		at = first_difference(got, want);
		if (at < 0) {
			exact++;
			continue;
		}
		snprintf(detail, sizeof(detail), "byte %d is 0x%02x, want 0x%02x", at, got[at],
			 want[at]);
		problem(s, "flushed, but not as written", detail);
	}
	printf("crash-check: flushed sectors %u..%u: %u of %u exact\n", FLUSHED_FIRST, FLUSHED_LAST,
	       exact, FLUSHED_LAST - FLUSHED_FIRST + 1);
}

/* Returns the sector's pass (0: original content), or UINT32_MAX if it is neither. */
static uint32_t loop_sector_pass(const uint8_t *got, const uint8_t *original, uint32_t seed,
				 uint32_t sector, uint32_t passes_done)
{
	uint8_t want[SECTOR];
	uint32_t generation = get32(got + 12);
	char detail[128];
	int at;

	if (memcmp(got, original, SECTOR) == 0)
		return 0;
	if (generation == 0 || generation > passes_done + 1) {
		snprintf(detail, sizeof(detail), "generation word %u, last pass done %u",
			 (unsigned)generation, (unsigned)passes_done);
		problem(sector, "neither the original content nor a pass of this run", detail);
		return UINT32_MAX;
	}
	expected_sector(want, seed, sector, generation);
	at = first_difference(got, want);
	if (at >= 0) {
		snprintf(detail, sizeof(detail), "says pass %u but byte %d is 0x%02x, want 0x%02x",
			 (unsigned)generation, at, got[at], want[at]);
		problem(sector, "torn or foreign", detail);
		return UINT32_MAX;
	}
	return generation;
}

static void check_loop(const uint8_t *image, const uint8_t *original, uint32_t seed,
		       uint32_t passes_done)
{
	uint32_t top = 0, boundary = LOOP_LAST + 1, previous = UINT32_MAX;
	unsigned bad = 0;

	for (uint32_t s = LOOP_FIRST; s <= LOOP_LAST; s++) {
		size_t at = (size_t)s * SECTOR;
		uint32_t pass = loop_sector_pass(image + at, original + at, seed, s, passes_done);
		char detail[96];

		if (pass == UINT32_MAX) {
			bad++;
			continue;
		}
		if (s == LOOP_FIRST)
			top = pass;
		if (pass != top && boundary > LOOP_LAST)
			boundary = s;
		if ((previous != UINT32_MAX && pass > previous) || pass + 1 < top) {
			snprintf(detail, sizeof(detail), "pass %u after pass %u (first sector: %u)",
				 (unsigned)pass, (unsigned)previous, (unsigned)top);
			problem(s, "out of order", detail);
		}
		previous = pass;
	}
	if (bad == 0 && previous != UINT32_MAX && previous < passes_done) {
		char detail[96];

		snprintf(detail, sizeof(detail),
			 "holds pass %u, but the guest reported pass %u done", (unsigned)previous,
			 (unsigned)passes_done);
		problem(LOOP_LAST, "lost a completed write", detail);
	}
	printf("crash-check: rewritten sectors %u..%u: %u torn or foreign; ", LOOP_FIRST, LOOP_LAST,
	       bad);
	if (boundary > LOOP_LAST)
		printf("all at pass %u", (unsigned)top);
	else
		printf("pass %u up to %u, pass %u from %u", (unsigned)top, (unsigned)boundary - 1,
		       (unsigned)top - 1, (unsigned)boundary);
	printf(" (pass 0: original content; last pass reported done: %u)\n", (unsigned)passes_done);
}

int main(int argc, char **argv)
{
	uint8_t *original, *image;
	uint32_t seed, passes_done;

	if (argc != 5) {
		fprintf(stderr, "usage: %s ORIGINAL IMAGE SEED PASSES_DONE\n", argv[0]);
		return 2;
	}
	seed = (uint32_t)parse(argv[3], 16, "seed");
	passes_done = (uint32_t)parse(argv[4], 10, "pass count");
	original = read_image(argv[1]);
	image = read_image(argv[2]);
	if (!original || !image) {
		free(original);
		free(image);
		return 2;
	}
	check_flushed(image, seed);
	check_loop(image, original, seed, passes_done);
	if (problems > MAX_REPORTS)
		printf("crash-check: ... %u problems in all\n", problems);
	free(original);
	free(image);
	return problems ? 1 : 0;
}
