/* SPDX-License-Identifier: Apache-2.0 */
#include "index.h"

/* Two empty slots: a hash lookup in the empty index ends at its first probe. */
static const struct ax_index_slot empty_slots[2] = { { AX_INDEX_EMPTY_KEY, 0, 0 },
						     { AX_INDEX_EMPTY_KEY, 0, 0 } };

const struct ax_index ax_index_empty = { .hash_shift = 63, .slot_mask = 1, .slots = empty_slots };

uint32_t ax_index_shift(enum ax_bus bus)
{
	/* about one device per granule in typical layouts */
	static const uint32_t shifts[AX_BUS_COUNT] = { 12, 3, 0 };

	return (unsigned)bus < AX_BUS_COUNT ? shifts[bus] : 0;
}

static void sift_down(struct ax_index_entry *e, uint32_t root, uint32_t n)
{
	for (;;) {
		uint32_t child = 2 * root + 1;

		if (child >= n)
			return;
		if (child + 1 < n && e[child + 1].base > e[child].base)
			child++;
		if (e[root].base >= e[child].base)
			return;
		struct ax_index_entry tmp = e[root];

		e[root] = e[child];
		e[child] = tmp;
		root = child;
	}
}

/* Heapsort by base: in place, O(n log n), no recursion. */
static void sort_entries(struct ax_index_entry *e, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift_down(e, i, n);
	for (uint32_t end = n; end-- > 1;) {
		struct ax_index_entry tmp = e[0];

		e[0] = e[end];
		e[end] = tmp;
		sift_down(e, 0, end);
	}
}

/* First entry whose last address is >= addr (entries sorted, disjoint). */
static uint32_t first_reaching(const struct ax_index_entry *e, uint32_t n, uint64_t addr)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e[mid].base + e[mid].span < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ax_index_entry *ax_index_search_large(const struct ax_index *ix, uint64_t addr)
{
	uint32_t lo = 0, hi = ix->nr_large;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct ax_index_entry *e = &ix->entries[ix->large[mid]];

		if (e->base + e->span < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->nr_large && ax_index_entry_has(&ix->entries[ix->large[lo]], addr))
		return &ix->entries[ix->large[lo]];
	return NULL;
}

static uint64_t granules(const struct ax_index_entry *e, uint32_t shift)
{
	return ((e->base + e->span) >> shift) - (e->base >> shift) + 1;
}

static bool hashed(const struct ax_index_entry *e, uint32_t shift)
{
	return granules(e, shift) <= AX_INDEX_HASH_MAX_GRANULES;
}

static struct ax_index_slot *probe(struct ax_index *ix, struct ax_index_slot *slots, uint64_t key)
{
	uint64_t h = (key * AX_INDEX_HASH_MUL) >> ix->hash_shift;

	while (slots[h].key != key && slots[h].key != AX_INDEX_EMPTY_KEY)
		h = (h + 1) & ix->slot_mask;
	return &slots[h];
}

struct ax_index *ax_index_build(const struct ax_host_hooks *hooks, enum ax_bus bus,
				const struct ax_index_entry *entries, uint32_t n)
{
	uint32_t shift = ax_index_shift(bus);
	uint64_t keys = 0, nr_slots = 2;
	uint32_t nr_large = 0;
	unsigned log2_slots = 1;

	for (uint32_t i = 0; i < n; i++) {
		if (hashed(&entries[i], shift))
			keys += granules(&entries[i], shift);
		else
			nr_large++;
	}
	while (nr_slots < 2 * keys) { /* load factor <= 1/2 keeps probes short */
		nr_slots <<= 1;
		log2_slots++;
	}

	size_t slots_off = sizeof(struct ax_index) + (size_t)n * sizeof(struct ax_index_entry);
	size_t large_off = slots_off + nr_slots * sizeof(struct ax_index_slot);
	struct ax_index *ix = ax_zalloc(hooks, large_off + (size_t)nr_large * sizeof(uint32_t));

	if (!ix)
		return NULL;
	struct ax_index_entry *e = ix->entries;
	struct ax_index_slot *slots = (struct ax_index_slot *)((char *)ix + slots_off);
	uint32_t *large = (uint32_t *)((char *)ix + large_off);

	ax_memcpy(e, entries, (size_t)n * sizeof(*e));
	sort_entries(e, n);
	ix->nr_scan = n <= AX_INDEX_SCAN_MAX ? n : 0;
	ix->nr_entries = n;
	ix->shift = shift;
	ix->hash_shift = 64 - log2_slots;
	ix->slot_mask = nr_slots - 1;
	ix->nr_large = nr_large;
	ix->slots = slots;
	ix->large = large;
	for (uint64_t s = 0; s < nr_slots; s++)
		slots[s].key = AX_INDEX_EMPTY_KEY;

	for (uint32_t i = 0, k = 0; i < n; i++) {
		if (!hashed(&e[i], shift)) {
			large[k++] = i;
			continue;
		}
		for (uint64_t g = e[i].base >> shift; g <= (e[i].base + e[i].span) >> shift; g++) {
			struct ax_index_slot *slot = probe(ix, slots, g);

			if (slot->key == g)
				continue; /* granule shared with an earlier range */
			/* the run: every range overlapping granule g, hashed or not */
			uint64_t lo = g << shift, hi = lo + ((UINT64_C(1) << shift) - 1);
			uint32_t first = first_reaching(e, n, lo), end = first;

			while (end < n && e[end].base <= hi)
				end++;
			slot->key = g;
			slot->first = first;
			slot->count = end - first;
		}
	}
	return ix;
}

void ax_index_free(const struct ax_host_hooks *hooks, const struct ax_index *ix)
{
	if (ix != &ax_index_empty)
		ax_free(hooks, (void *)ix);
}
