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
	 * A returned pointer stays valid until the device is reset or its
	 * queues are restarted (virtio: each queue asks once for an aligned
	 * block of up to 2 MiB of RAM around its buffers, with `write`, and
	 * translates buffers inside it itself), so a host must not unmap or
	 * move RAM under a running device, and one that tracks dirty pages per
	 * call must treat such a block as written.
	 */
	void *(*guest_mem)(void *ctx, uint64_t gpa, uint64_t len, bool write);

	/*
	 * Interrupt lines, by the irq number in the device config, for lines no
	 * interrupt controller model in the set owns (the host has its own
	 * controller: KVM's in-kernel irqchip, a hardware GIC). Lines an I/O
	 * APIC, 8259 or GIC model of the set owns never reach these hooks.
	 */
	void (*irq_set_level)(void *ctx, uint32_t irq, bool level); /* level-triggered */
	void (*irq_pulse)(void *ctx, uint32_t irq);		    /* edge-triggered */

	/*
	 * CPU interrupt delivery, for sets holding a CPU-side interrupt
	 * controller model (local APIC, GIC CPU interface). "vCPU `vcpu` may
	 * have an interrupt to take": the host wakes or kicks that vCPU and, at
	 * a point where the guest can take an interrupt, asks
	 * ax_devices_irq_pending() / ax_devices_irq_ack() (irq.h). Called from
	 * any thread, possibly with a device lock held: it must not call back
	 * into the set, nor wait for a lock the host holds while it calls into
	 * the set (asking ax_devices_irq_pending() under the lock this hook
	 * takes deadlocks). A spurious call is harmless.
	 */
	void (*irq_notify)(void *ctx, uint32_t vcpu);
	/* x86 INIT + startup IPI from a local APIC model: start vCPU `vcpu` in
	 * real mode at CS:IP = (vector << 8):0. Same calling rules as irq_notify. */
	void (*vcpu_startup)(void *ctx, uint32_t vcpu, uint8_t vector);

	/*
	 * Time, for time-driven models (local APIC timer, Arm generic timer,
	 * UART timeouts). now_ns: a monotonic clock in nanoseconds. A timer is
	 * one-shot: timer_arm(t, deadline) makes the host call fn(arg) once, on
	 * a host thread, no earlier than now_ns() >= deadline; arming again
	 * replaces the deadline. timer_arm and timer_disarm never wait for a
	 * running fn (they are called under the model's lock, which fn takes),
	 * so fn may run once more after a disarm or re-arm: models check their
	 * own deadline in fn. timer_destroy waits until fn is not running and
	 * guarantees it never runs again; call it without the model's lock.
	 * Tests drive all of this with a fake clock (tests/support).
	 */
	uint64_t (*now_ns)(void *ctx);
	void *(*timer_create)(void *ctx, void (*fn)(void *arg), void *arg);
	void (*timer_arm)(void *ctx, void *timer, uint64_t deadline_ns);
	void (*timer_disarm)(void *ctx, void *timer);
	void (*timer_destroy)(void *ctx, void *timer);

	/* Backends bound to a device's config name; NULL when there is none. */
	const struct ax_char_backend *(*char_backend)(void *ctx, const char *name);
	const struct ax_block_backend *(*block_backend)(void *ctx, const char *name);
	const struct ax_net_backend *(*net_backend)(void *ctx, const char *name);
};

#endif
