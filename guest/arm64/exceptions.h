/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the vectors in entry.S call. IRQs go to irq_dispatch (gic.c); any
 * other exception is unexpected: it is reported and the VM powers off
 * with status 2. One exception to that: while a probe is armed
 * (exceptions_probe_*), a synchronous external abort on a data access is
 * recorded and skipped, so a machine without a device there (QEMU has no
 * 16550 or meta device) gives a "not ok", not a dead guest.
 */
#ifndef GUEST_EXCEPTIONS_H
#define GUEST_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* Laid out by entry.S's exception_common. */
struct exception_frame {
	uint64_t x[31];
	uint64_t elr;
	uint64_t spsr;
	uint64_t pad;
};

void exception_dispatch(uint64_t index, struct exception_frame *frame);

/* Start and end a window in which data aborts are skipped; end returns how many there were. */
void exceptions_probe_begin(void);
unsigned exceptions_probe_end(void);

#endif
