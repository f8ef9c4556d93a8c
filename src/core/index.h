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
 * indexes are scanned directly: the entries follow the header at a fixed
 * offset, so the single-device case is one load of nr_scan and one range
 * check, with no pointer to chase.
 */
#ifndef AXDEVICE_SRC_CORE_INDEX_H
#define AXDEVICE_SRC_CORE_INDEX_H

#include <stdint.h>

#include <axdevice/device.h>
#include <axdevice/host.h>

#include "util.h"

struct ax_dev;

#define AX_INDEX_SCAN_MAX	   4   /* up to this many ranges: scan, no hash */
#define AX_INDEX_HASH_MAX_GRANULES 64u /* larger ranges go to the binary search */
#define AX_INDEX_EMPTY_KEY	   UINT64_MAX
#define AX_INDEX_HASH_MUL	   UINT64_C(0x9e3779b97f4a7c15) /* 2^64 / golden ratio */

struct ax_index_entry {
	uint64_t base;
	uint64_t span; /* last - base */
	uint64_t last; /* the straddle check's bound */
	enum ax_err (*read)(void *priv, const struct ax_access *acc, uint64_t *val);
	enum ax_err (*write)(void *priv, const struct ax_access *acc, uint64_t val);
	void *priv;
	struct ax_dev *dev; /* and its counters, one per vCPU */
	uint32_t range;	    /* index among the device's ranges */
} __attribute__((aligned(AX_CACHELINE)));

struct ax_index_slot {
	uint64_t key; /* granule number, or AX_INDEX_EMPTY_KEY */
	uint32_t first;
	uint32_t count;
};

struct ax_index {
	uint32_t nr_scan; /* nr_entries when 1..AX_INDEX_SCAN_MAX, else 0: use the hash */
	uint32_t nr_entries;
	uint32_t shift;	     /* granule = 1 << shift addresses */
	uint32_t hash_shift; /* 64 - log2(number of slots) */
	uint64_t slot_mask;
	uint32_t nr_large;
	const struct ax_index_slot *slots; /* also valid (all empty) for a scanned index */
	const uint32_t *large;		   /* entries not hashed, in address order */
	struct ax_index_entry entries[];   /* sorted by base, one cache line each */
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

/* The hashed lookup, for indexes that are not scanned (and the empty one). */
static inline const struct ax_index_entry *ax_index_hash_lookup(const struct ax_index *ix,
								uint64_t addr)
{
	uint64_t key = addr >> ix->shift;
	uint64_t h = (key * AX_INDEX_HASH_MUL) >> ix->hash_shift;

	for (;;) {
		const struct ax_index_slot *s = &ix->slots[h];

		if (s->key == key) {
			const struct ax_index_entry *e = &ix->entries[s->first];

			for (const struct ax_index_entry *end = e + s->count; e < end; e++)
				if (ax_index_entry_has(e, addr))
					return e;
			return NULL;
		}
		if (s->key == AX_INDEX_EMPTY_KEY)
			return ax_index_search_large(ix, addr);
		h = (h + 1) & ix->slot_mask;
	}
}

/* The range containing `addr`, or NULL. */
static inline const struct ax_index_entry *ax_index_lookup(const struct ax_index *ix, uint64_t addr)
{
	uint32_t n = ix->nr_scan;

	if (!n)
		return ax_index_hash_lookup(ix, addr);
	if (ax_likely(ax_index_entry_has(&ix->entries[0], addr)))
		return &ix->entries[0]; /* the common single-device case, without a loop */
	for (uint32_t i = 1; i < n; i++)
		if (ax_index_entry_has(&ix->entries[i], addr))
			return &ix->entries[i];
	return NULL;
}

/*
 * The common cases, inline: a scanned index, or a hash key found at its
 * first probe. NULL: not found here, ask ax_index_lookup.
 * On a hit, *off is addr minus the range's base.
 */
static inline const struct ax_index_entry *ax_index_lookup_fast(const struct ax_index *ix,
								uint64_t addr, uint64_t *off)
{
	if (ax_likely(ix->nr_scan)) {
		const struct ax_index_entry *e = ix->entries;

		*off = addr - e->base;
		if (ax_likely(*off <= e->span))
			return e; /* the single-device case, before any loop */
		for (const struct ax_index_entry *end = e + ix->nr_scan; ++e < end;) {
			*off = addr - e->base;
			if (*off <= e->span)
				return e;
		}
		return NULL;
	}

	uint64_t key = addr >> ix->shift;
	const struct ax_index_slot *s = &ix->slots[(key * AX_INDEX_HASH_MUL) >> ix->hash_shift];

	if (s->key != key)
		return NULL;
	const struct ax_index_entry *e = &ix->entries[s->first];

	for (const struct ax_index_entry *end = e + s->count; e < end; e++) {
		*off = addr - e->base;
		if (*off <= e->span)
			return e;
	}
	return NULL;
}

#endif
