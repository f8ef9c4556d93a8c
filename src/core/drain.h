/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Draining accesses in flight, without a lock on the access path.
 *
 * Each vCPU owns a sequence counter that is odd while it is inside a
 * dispatch. A writer that unpublishes an index (and the devices only it
 * reaches) waits until every vCPU that was inside has left; only then does
 * it free them. A vCPU that enters later sees the new index.
 *
 * The reader stores its odd sequence, then loads the index: that
 * store-then-load needs a full barrier. Either the reader pays for it (one
 * fence per access), or the host provides sync_cores (membarrier / IPI), and
 * the writer forces the barrier onto every reader at the rare moment it
 * matters, leaving the access path with only a compiler barrier.
 */
#ifndef AXDEVICE_SRC_CORE_DRAIN_H
#define AXDEVICE_SRC_CORE_DRAIN_H

#include "set.h"

static inline uint64_t ax_drain_enter(struct ax_vcpu_slot *slot, bool fence)
{
	uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);

	atomic_store_explicit(&slot->seq, seq + 1, memory_order_relaxed);
	if (fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		atomic_signal_fence(memory_order_seq_cst);
	return seq;
}

static inline void ax_drain_exit(struct ax_vcpu_slot *slot, uint64_t seq)
{
	atomic_store_explicit(&slot->seq, seq + 2, memory_order_release);
}

/* Writer side: returns once no vCPU can still be using what was unpublished before the call. */
void ax_drain_wait(struct ax_devices *set);

#endif
