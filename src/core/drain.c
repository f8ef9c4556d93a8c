/* SPDX-License-Identifier: Apache-2.0 */
#include "drain.h"

void ax_drain_wait(struct ax_devices *set)
{
	const struct ax_host_hooks *hooks = set->hooks;
	uint64_t epoch = atomic_fetch_add_explicit(&set->epoch, 1, memory_order_seq_cst) + 1;

	if (!set->reader_fence)
		hooks->sync_cores(hooks->ctx);

	for (uint32_t v = 0; v < set->max_vcpus; v++) {
		_Atomic uint64_t *active = &set->vcpus[v].active;
		uint64_t seen = atomic_load_explicit(active, memory_order_seq_cst);

		/* 0: outside; >= epoch: entered after the swap, sees the new index */
		while (seen != 0 && seen < epoch) {
			if (hooks->relax)
				hooks->relax(hooks->ctx);
			seen = atomic_load_explicit(active, memory_order_acquire);
		}
	}
}
