/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vCPU exit loop, written once for every accelerator: accel->vcpu_run
 * until there is something for axvm, then route it. Port and MMIO accesses
 * go to the device set with the vCPU id in the access context
 * (axvm_vcpu_pio / axvm_vcpu_mmio, which TCG also calls inline from its
 * hooks). Unmapped (or refused) reads return all-ones and writes are
 * dropped, each logged once per address.
 */
#include <signal.h>

#include "axvm.h"
#include "le.h"

/* Only the vCPU's own thread counts its exits: a plain increment, no locked instruction
 * (TCG calls this inline for every port access; a lock add cost ~10 ns there). */
static inline void count_exit(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* One access by value; unmapped or refused reads read as all-ones. Not counted. */
static uint64_t access_read(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len)
{
	uint64_t v = 0;
	enum ax_err err = ax_devices_handle_read(vcpu->vm->devices, bus, vcpu->id, addr, len, &v);

	if (err == AX_OK)
		return v;
	axvm_log_unmapped(vcpu->vm, bus, addr, false, err);
	return ~UINT64_C(0);
}

static void access_write(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len,
			 uint64_t val)
{
	enum ax_err err = ax_devices_handle_write(vcpu->vm->devices, bus, vcpu->id, addr, len, val);

	if (err != AX_OK)
		axvm_log_unmapped(vcpu->vm, bus, addr, true, err);
}

static _Atomic uint64_t *exit_counter(struct axvm_vcpu *vcpu, enum ax_bus bus)
{
	return &vcpu->exits[bus == AX_BUS_PORT ? EXIT_IO : EXIT_MMIO];
}

uint64_t axvm_vcpu_read(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len)
{
	count_exit(exit_counter(vcpu, bus));
	return access_read(vcpu, bus, addr, len);
}

void axvm_vcpu_write(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len,
		     uint64_t val)
{
	count_exit(exit_counter(vcpu, bus));
	access_write(vcpu, bus, addr, len, val);
}

/* One access through a byte buffer (KVM's kvm_run), in guest (little-endian) order. */
static void route_access(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len,
			 bool write, uint8_t *data)
{
	if (write)
		access_write(vcpu, bus, addr, len, le_load(data, len));
	else
		le_store(data, len, access_read(vcpu, bus, addr, len));
}

void axvm_vcpu_pio(struct axvm_vcpu *vcpu, uint16_t port, unsigned size, bool write, uint8_t *data,
		   uint32_t count)
{
	count_exit(&vcpu->exits[EXIT_IO]);
	/* rep ins/outs: `count` elements back to back, one exit */
	for (uint32_t i = 0; i < count; i++, data += size)
		route_access(vcpu, AX_BUS_PORT, port, size, write, data);
}

void axvm_vcpu_mmio(struct axvm_vcpu *vcpu, uint64_t gpa, unsigned len, bool write, uint8_t *data)
{
	count_exit(&vcpu->exits[EXIT_MMIO]);
	route_access(vcpu, AX_BUS_MMIO, gpa, len, write, data);
}

void axvm_vcpu_exit(struct axvm_vcpu *vcpu, const struct axvm_exit *exit)
{
	struct axvm *vm = vcpu->vm;

	switch (exit->reason) {
	case AXVM_EXIT_IO:
		axvm_vcpu_pio(vcpu, exit->io.port, exit->io.size, exit->io.write, exit->io.data,
			      exit->io.count);
		break;
	case AXVM_EXIT_MMIO:
		axvm_vcpu_mmio(vcpu, exit->mmio.gpa, exit->mmio.len, exit->mmio.write,
			       exit->mmio.data);
		break;
	case AXVM_EXIT_HALT:
		axvm_request_stop(vm, AXVM_STATUS_GUEST,
				  "vCPU %u halted with interrupts disabled (nothing can wake it)",
				  vcpu->id);
		break;
	case AXVM_EXIT_SHUTDOWN:
		axvm_request_stop(vm, AXVM_STATUS_GUEST, "vCPU %u: guest shut down (triple fault?)",
				  vcpu->id);
		break;
	case AXVM_EXIT_NONE:
	case AXVM_EXIT_FAILED: /* the accelerator already requested the stop */
		break;
	}
}

void *axvm_vcpu_thread(void *arg)
{
	struct axvm_vcpu *vcpu = arg;
	struct axvm *vm = vcpu->vm;
	sigset_t kick;

	/* the main thread blocks SIGINT/SIGTERM for us; kicks (SIGUSR1) must get through */
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	while (!atomic_load(&vm->stop)) {
		struct axvm_exit exit = { .reason = AXVM_EXIT_NONE };

		vm->accel->vcpu_run(vcpu, &exit);
		axvm_vcpu_exit(vcpu, &exit);
	}
	return NULL;
}
