/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host hooks: the only way the library reaches the outside world. A
 * bare-metal hypervisor fills them with its own allocator and primitives;
 * axvm and the tests fill them from libc.
 */
#ifndef AXDEVICE_HOST_H
#define AXDEVICE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

enum ax_log_level {
	AX_LOG_ERROR = 0,
	AX_LOG_WARN,
	AX_LOG_INFO,
	AX_LOG_DEBUG,
};

struct ax_host_hooks {
	void *ctx; /* passed back to every hook */

	/* Required. Zeroed memory of `size` bytes aligned to `align` (a power of two). */
	void *(*alloc)(void *ctx, size_t size, size_t align);
	/* Required. Releases what alloc returned; NULL is ignored. */
	void (*free)(void *ctx, void *ptr);

	/* Optional. One complete message, no trailing newline. */
	void (*log)(void *ctx, enum ax_log_level level, const char *msg);

	/* Optional. Called while a writer spins, waiting for accesses to drain. */
	void (*relax)(void *ctx);

	/*
	 * Optional asymmetric barrier: make every thread that may dispatch
	 * execute a full memory barrier before returning (Linux:
	 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED); bare metal: an IPI).
	 * With it, the dispatch path runs with only a compiler barrier; without
	 * it, every dispatch pays one full fence.
	 */
	void (*sync_cores)(void *ctx);

	/*
	 * Guest memory. Returns host memory backing [gpa, gpa + len) only if
	 * the whole range is guest RAM the host registered (and writable when
	 * `write`); NULL otherwise. Devices never turn a guest address into a
	 * pointer any other way. Required by models that touch guest memory.
	 */
	void *(*guest_mem)(void *ctx, uint64_t gpa, uint64_t len, bool write);

	/* Interrupt lines, by the irq number in the device config. */
	void (*irq_set_level)(void *ctx, uint32_t irq, bool level); /* level-triggered */
	void (*irq_pulse)(void *ctx, uint32_t irq);		    /* edge-triggered */

	/* Backends bound to a device's config name; NULL when there is none. */
	const struct ax_char_backend *(*char_backend)(void *ctx, const char *name);
	const struct ax_block_backend *(*block_backend)(void *ctx, const char *name);
};

#endif
