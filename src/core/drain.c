/* SPDX-License-Identifier: Apache-2.0 */
#include "drain.h"

void ax_drain_wait(struct ax_devices *set)
{
	const struct ax_host_hooks *hooks = set->hooks;

	if (set->reader_fence)
		atomic_thread_fence(memory_order_seq_cst);
	else
		hooks->sync_cores(hooks->ctx);

	for (uint32_t v = 0; v < set->max_vcpus; v++) {
		_Atomic uint64_t *seq = &set->vcpus[v].seq;
		uint64_t seen = atomic_load_explicit(seq, memory_order_acquire);

		if (!(seen & 1))
			continue; /* not inside: any later access sees the new index */
		while (atomic_load_explicit(seq, memory_order_acquire) == seen) {
			if (hooks->relax)
				hooks->relax(hooks->ctx);
		}
	}
}
