/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatch index of one bus: an immutable snapshot, built on add/remove
 * and published with release/acquire, that maps an address to the range
 * owning it.
 *
 * Layout: the ranges sorted by base (one cache line each, holding all the
 * access path needs), plus a hash table keyed by address granule (4 KiB on
 * MMIO) whose slots point at the run of ranges overlapping that granule.
 * A lookup is one multiply, one slot probe and one range check in the usual
 * case. A slot's run holds every range overlapping its granule, so a key
 * hit answers the lookup. Ranges spanning more than
 * AX_INDEX_HASH_MAX_GRANULES granules are not hashed: granules only they
 * cover are found by a binary search over those large ranges alone. Tiny
 * indexes are scanned directly.
 */
#ifndef AXDEVICE_SRC_CORE_INDEX_H
#define AXDEVICE_SRC_CORE_INDEX_H

#include <stdint.h>

#include <axdevice/device.h>
#include <axdevice/host.h>

#include "util.h"

struct ax_dev;
struct ax_dev_counters;

#define AX_INDEX_SCAN_MAX	   4   /* up to this many ranges: scan, no hash */
#define AX_INDEX_HASH_MAX_GRANULES 64u /* larger ranges go to the binary search */
#define AX_INDEX_EMPTY_KEY	   UINT64_MAX
#define AX_INDEX_HASH_MUL	   UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio */

struct ax_index_entry {
	uint64_t base;
	uint64_t span; /* last - base */
	enum ax_err (*read)(void *priv, const struct ax_access *acc, uint64_t *val);
	enum ax_err (*write)(void *priv, const struct ax_access *acc, uint64_t val);
	void *priv;
	struct ax_dev_counters *counters; /* the device's, one per vCPU */
	struct ax_dev *dev;
	uint32_t range; /* index among the device's ranges */
} __attribute__((aligned(AX_CACHELINE)));

struct ax_index_slot {
	uint64_t key; /* granule number, or AX_INDEX_EMPTY_KEY */
	uint32_t first;
	uint32_t count;
};

struct ax_index {
	uint32_t nr_entries;
	uint32_t shift;	     /* granule = 1 << shift addresses */
	uint32_t hash_shift; /* 64 - log2(number of slots) */
	uint64_t slot_mask;
	uint32_t nr_large;
	const struct ax_index_entry *entries;
	const struct ax_index_slot *slots;
	const uint32_t *large; /* entries not hashed, in address order */
};

/* The index of a bus with no devices; never freed. */
extern const struct ax_index ax_index_empty;

/* Granule shift used to hash each bus. */
uint32_t ax_index_shift(enum ax_bus bus);

/*
 * Builds an index over `entries` (copied; need not be sorted; must not
 * overlap). Returns NULL when the host allocator fails.
 */
struct ax_index *ax_index_build(const struct ax_host_hooks *hooks, enum ax_bus bus,
				const struct ax_index_entry *entries, uint32_t n);
void ax_index_free(const struct ax_host_hooks *hooks, const struct ax_index *ix);

/* Binary search of the large (unhashed) ranges: the slow path. */
const struct ax_index_entry *ax_index_search_large(const struct ax_index *ix, uint64_t addr);

static inline bool ax_index_entry_has(const struct ax_index_entry *e, uint64_t addr)
{
	return addr - e->base <= e->span; /* wraps for addr < base, so one compare */
}

/* The range containing `addr`, or NULL. */
static inline const struct ax_index_entry *ax_index_lookup(const struct ax_index *ix, uint64_t addr)
{
	const struct ax_index_entry *e = ix->entries;

	if (ix->nr_entries <= AX_INDEX_SCAN_MAX) {
		if (ax_likely(ix->nr_entries) && ax_index_entry_has(e, addr))
			return e; /* the common single-device case, without a loop */
		for (uint32_t i = 1; i < ix->nr_entries; i++)
			if (ax_index_entry_has(&e[i], addr))
				return &e[i];
		return NULL;
	}

	uint64_t key = addr >> ix->shift;
	uint64_t h = (key * AX_INDEX_HASH_MUL) >> ix->hash_shift;

	for (;;) {
		const struct ax_index_slot *s = &ix->slots[h];

		if (s->key == key) {
			for (uint32_t i = s->first; i < s->first + s->count; i++)
				if (ax_index_entry_has(&e[i], addr))
					return &e[i];
			return NULL;
		}
		if (s->key == AX_INDEX_EMPTY_KEY)
			return ax_index_search_large(ix, addr);
		h = (h + 1) & ix->slot_mask;
	}
}

#endif
