/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Draining accesses in flight, without a lock on the access path.
 *
 * The set keeps an epoch, bumped by every writer after it swaps an index.
 * A vCPU entering a dispatch announces the epoch it saw in its own slot and
 * clears the slot (0) when it leaves. A writer that swapped in a new index
 * bumps the epoch to E and then waits for every slot holding a value in
 * [1, E): those vCPUs may have loaded the old index. A vCPU that announced E
 * or later loaded the epoch after the swap, so it sees the new index. Only
 * then are the old index and the devices only it reached freed. The access
 * path has no read-modify-write of shared data and no dependency on its own
 * previous access.
 *
 * The announcement store and the index load need a full barrier between
 * them (a Dekker pattern with the writer's swap and slot loads). Either the
 * reader pays for it (a seq_cst exchange per access, pairing with the
 * writer's seq_cst operations), or the host provides sync_cores (membarrier
 * / IPI) and the writer forces the barrier onto every reader at the rare
 * moment it matters, leaving the access path with only a compiler barrier.
 */
#ifndef AXDEVICE_SRC_CORE_DRAIN_H
#define AXDEVICE_SRC_CORE_DRAIN_H

#include "set.h"

/* Announce for a set whose writer forces the barrier onto readers (sync_cores). */
static inline void ax_drain_enter_relaxed(const struct ax_devices *set, struct ax_vcpu_slot *slot)
{
	uint64_t epoch = atomic_load_explicit(&set->epoch, memory_order_acquire);

	atomic_store_explicit(&slot->active, epoch, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
}

/* Announce with the reader's own full barrier (no sync_cores). */
static inline void ax_drain_enter_fenced(const struct ax_devices *set, struct ax_vcpu_slot *slot)
{
	uint64_t epoch = atomic_load_explicit(&set->epoch, memory_order_acquire);

	atomic_exchange_explicit(&slot->active, epoch, memory_order_seq_cst);
}

static inline void ax_drain_exit(struct ax_vcpu_slot *slot)
{
	atomic_store_explicit(&slot->active, 0, memory_order_release);
}

/* The published index of a bus; seq_cst pairs with the writer's swap in fence mode. */
static inline const struct ax_index *ax_drain_index(struct ax_devices *set, enum ax_bus bus)
{
	return atomic_load_explicit(&set->index[bus], memory_order_seq_cst);
}

/*
 * Writer side, right after swapping an index with seq_cst: returns once no
 * vCPU can still be using what the old index reached.
 */
void ax_drain_wait(struct ax_devices *set);

#endif
