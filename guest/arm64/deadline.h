/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bounded waits of guest/common/ (virtio): deadlines in milliseconds, here
 * from the generic timer's virtual counter (timer.h). Each guest provides its
 * own deadline.h.
 */
#ifndef GUEST_DEADLINE_H
#define GUEST_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "timer.h"

static inline uint64_t deadline_ms(uint32_t ms)
{
	return timer_deadline_ms(ms);
}

static inline bool deadline_expired(uint64_t deadline)
{
	return timer_expired(deadline);
}

#endif
