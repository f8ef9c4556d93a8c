/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test-and-set lock for the two CPUs. With the MMU off all memory is
 * Device memory, where exclusives (LDAXR/STXR, what the __atomic builtins
 * compile to with -mno-outline-atomics) still work.
 */
#ifndef GUEST_SPINLOCK_H
#define GUEST_SPINLOCK_H

#include <stdint.h>

#include "cpu.h"

struct spinlock {
	uint32_t locked;
};

/* Bounded: a lock held by a CPU that died is taken anyway after a while. */
#define SPINLOCK_SPINS 10000000u

static inline void spin_lock(struct spinlock *l)
{
	for (unsigned i = 0; i < SPINLOCK_SPINS; i++) {
		if (__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE) == 0)
			return;
		cpu_relax();
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0u, __ATOMIC_RELEASE);
}

#endif
