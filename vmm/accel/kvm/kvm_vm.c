/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KVM accelerator: /dev/kvm, the VM with its in-kernel irqchip (I/O
 * APIC, 8259 pair, local APICs) and memory slots, interrupt lines, and the
 * table axvm's accelerator layer sees (axvm_accel_kvm). The vCPU half is
 * kvm_vcpu.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/kvm/kvm.h"
#include "log.h"

const char *axvm_kvm_path = "/dev/kvm";

/* Opens the KVM device and creates a VM: both fds, or -1 with err. */
static int kvm_open(int *kvm_fd, int *vm_fd, char *err, size_t err_len)
{
	*vm_fd = -1;
	*kvm_fd = open(axvm_kvm_path, O_RDWR | O_CLOEXEC);
	if (*kvm_fd < 0) {
		snprintf(err, err_len, "%s: %s", axvm_kvm_path, strerror(errno));
		return -1;
	}
	if (ioctl(*kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		snprintf(err, err_len, "%s: not a KVM device (no KVM API version %d)",
			 axvm_kvm_path, KVM_API_VERSION);
		goto fail;
	}
	*vm_fd = ioctl(*kvm_fd, KVM_CREATE_VM, 0);
	if (*vm_fd < 0) {
		snprintf(err, err_len, "%s: KVM_CREATE_VM: %s", axvm_kvm_path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(*kvm_fd);
	*kvm_fd = -1;
	return -1;
}

static bool kvm_available(char *err, size_t err_len)
{
	int kvm_fd, vm_fd;

	if (kvm_open(&kvm_fd, &vm_fd, err, err_len) != 0)
		return false;
	close(vm_fd);
	close(kvm_fd);
	return true;
}

static void on_kick(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static int kvm_vm_create(struct axvm *vm, char *err, size_t err_len, int *status)
{
	struct sigaction kick = { .sa_handler = on_kick, .sa_flags = SA_RESTART };
	struct axvm_kvm_vm *kvm = calloc(1, sizeof(*kvm));

	*status = AXVM_STATUS_VCPU;
	if (!kvm) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	kvm->kvm_fd = kvm->vm_fd = -1;
	vm->accel_vm = kvm;
	*status = AXVM_STATUS_NO_ACCEL;
	if (kvm_open(&kvm->kvm_fd, &kvm->vm_fd, err, err_len) != 0)
		return -1;
	*status = AXVM_STATUS_VCPU;
	/* Intel needs these three pages below 4 GiB reserved; elsewhere they are harmless */
	if (ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) != 0)
		axvm_debug("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0) != 0) {
		snprintf(err, err_len, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < vm->ram.nr; i++) {
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = vm->ram.regions[i].gpa,
			.memory_size = vm->ram.regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)vm->ram.regions[i].host,
		};

		if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0) {
			snprintf(err, err_len, "memory region %u: KVM_SET_USER_MEMORY_REGION: %s",
				 i, strerror(errno));
			return -1;
		}
	}
	/* kicks and --profile samples: SIGUSR1 makes KVM_RUN return EINTR */
	sigaction(SIGUSR1, &kick, NULL);
	return 0;
}

static void kvm_vm_destroy(struct axvm *vm)
{
	struct axvm_kvm_vm *kvm = vm->accel_vm;

	if (!kvm)
		return;
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->kvm_fd >= 0)
		close(kvm->kvm_fd);
	free(kvm);
	vm->accel_vm = NULL;
}

void axvm_kvm_irq_line(struct axvm *vm, uint32_t irq, bool level)
{
	const struct axvm_kvm_vm *kvm = vm->accel_vm;
	struct kvm_irq_level line = { .irq = irq, .level = level };

	if (kvm && kvm->vm_fd >= 0 && ioctl(kvm->vm_fd, KVM_IRQ_LINE, &line) != 0)
		axvm_warn("irq %u: KVM_IRQ_LINE failed: %s", irq, strerror(errno));
}

const struct axvm_accel axvm_accel_kvm = {
	.name = "kvm",
	.arches = AXVM_ARCH_X86_64, /* built for x86-64 hosts */
	.available = kvm_available,
	.uses_library_irqchip = false,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.vcpu_create = axvm_kvm_vcpu_create,
	.vcpu_destroy = axvm_kvm_vcpu_destroy,
	.vcpu_set_state = axvm_kvm_vcpu_set_state,
	.vcpu_set_state_arm64 = NULL, /* x86 hosts only, so far */
	.vcpu_set_waiting = axvm_kvm_vcpu_set_waiting,
	.vcpu_run = axvm_kvm_vcpu_run,
	.vcpu_kick = axvm_kvm_vcpu_kick,
	.irq_line = axvm_kvm_irq_line,
	.irq_notify = NULL,   /* the in-kernel local APICs deliver */
	.vcpu_startup = NULL, /* INIT/SIPI stay inside KVM */
	.vcpu_sample = axvm_kvm_vcpu_sample,
	.print_stats = axvm_kvm_print_stats,
};
