/* SPDX-License-Identifier: Apache-2.0 */
#include "vm_arm64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/psci.h"
#include "axvm.h"
#include "boot/arm64_image.h"
#include "log.h"

/* --- PSCI -------------------------------------------------------------------- */

static bool psci_valid_entry(void *ctx, uint64_t addr)
{
	struct axvm *vm = ctx;

	return (addr & 3) == 0 && guest_ram_at(&vm->ram, addr, 4) != NULL;
}

static void psci_cpu_on(void *ctx, uint32_t cpu, uint64_t entry, uint64_t context_id)
{
	struct axvm *vm = ctx;

	if (!vm->accel->vcpu_power_on(&vm->vcpus[cpu], entry, context_id))
		axvm_request_stop(vm, AXVM_STATUS_VCPU,
				  "PSCI CPU_ON of vCPU %u: it cannot take a start now", cpu);
}

static void psci_cpu_off(void *ctx, uint32_t cpu)
{
	struct axvm *vm = ctx;

	vm->accel->vcpu_power_off(&vm->vcpus[cpu]);
}

static void psci_system_off(void *ctx, uint32_t caller, uint8_t status)
{
	struct axvm *vm = ctx;

	/* the guest's status passes through like the exit device's; ours start at 120 */
	if (status >= AXVM_STATUS_CONFIG)
		axvm_request_stop(vm, AXVM_STATUS_GUEST,
				  "vCPU %u: PSCI SYSTEM_OFF with status %u (reserved for axvm: "
				  "exit %d)",
				  caller, status, AXVM_STATUS_GUEST);
	else
		axvm_request_stop(vm, status,
				  "vCPU %u: guest powered off (PSCI SYSTEM_OFF), status %u", caller,
				  status);
}

static void psci_system_reset(void *ctx, uint32_t caller)
{
	struct axvm *vm = ctx;

	axvm_request_stop(vm, AXVM_STATUS_GUEST,
			  "vCPU %u: guest asked for a reset (PSCI SYSTEM_RESET); axvm does not "
			  "reboot",
			  caller);
}

static const struct psci_host psci_ops = {
	.valid_entry = psci_valid_entry,
	.cpu_on = psci_cpu_on,
	.cpu_off = psci_cpu_off,
	.system_off = psci_system_off,
	.system_reset = psci_system_reset,
};

uint64_t axvm_arm64_hypercall(struct axvm_vcpu *vcpu, bool smc, const uint64_t regs[4])
{
	struct axvm *vm = vcpu->vm;

	/* the conduit the device tree names; the other one has no firmware behind it */
	if (smc != vm->arm64_fdt.psci_smc)
		return (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
	return psci_call(&vm->psci, vcpu->id, regs);
}

void axvm_arm64_vcpu_started(struct axvm_vcpu *vcpu)
{
	psci_cpu_started(&vcpu->vm->psci, vcpu->id);
}

/* --- boot ---------------------------------------------------------------------- */

int axvm_arm64_check_config(const struct axvm *vm, char *err, size_t err_len)
{
	struct arm64_fdt_desc *d = malloc(sizeof(*d));
	int ret;

	if (!d) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	ret = arm64_fdt_desc_from_config(vm->cfg, d, err, err_len);
	free(d);
	return ret;
}

static int read_initrd(const char *path, uint8_t **data, size_t *size, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*data = NULL;
	*size = 0;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, err_len, "ramdisk %s: cannot read it", path);
		if (f)
			fclose(f);
		return -1;
	}
	*data = malloc(n ? (size_t)n : 1);
	if (!*data || fread(*data, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, err_len, "ramdisk %s: short read", path);
		free(*data);
		*data = NULL;
		fclose(f);
		return -1;
	}
	fclose(f);
	*size = (size_t)n;
	return 0;
}

int axvm_arm64_load(struct axvm *vm, const uint8_t *image, size_t size, char *err, size_t err_len)
{
	const struct axvm_config *cfg = vm->cfg;
	struct arm64_fdt_desc *d = &vm->arm64_fdt;
	struct arm64_image_layout layout;
	uint8_t *initrd = NULL, *dtb;
	size_t initrd_size = 0;
	char why[256];
	long dtb_size;

	if (arm64_fdt_desc_from_config(cfg, d, err, err_len) != 0)
		return -1;
	if (cfg->ramdisk_path[0] &&
	    read_initrd(cfg->ramdisk_path, &initrd, &initrd_size, err, err_len) != 0)
		return -1;
	if (arm64_image_load(&vm->ram, image, size, initrd, initrd_size, &layout, why,
			     sizeof(why)) != 0) {
		free(initrd);
		snprintf(err, err_len, "kernel %s: %s", cfg->kernel_path, why);
		return -1;
	}
	free(initrd);
	d->bootargs = cfg->cmdline;
	d->initrd_start = layout.initrd_gpa;
	d->initrd_end = layout.initrd_gpa + layout.initrd_size;
	dtb = guest_ram_at(&vm->ram, layout.dtb_gpa, ARM64_FDT_MAX);
	if (!dtb) {
		snprintf(err, err_len, "no guest RAM for the device tree at 0x%llx",
			 (unsigned long long)layout.dtb_gpa);
		return -1;
	}
	dtb_size = arm64_fdt_build(d, dtb, ARM64_FDT_MAX, err, err_len);
	if (dtb_size < 0)
		return -1;
	vm->psci_host = psci_ops;
	vm->psci_host.ctx = vm;
	if (psci_init(&vm->psci, &vm->psci_host, vm->nr_vcpus) != 0) {
		snprintf(err, err_len, "PSCI: %u vCPUs (at most %d)", vm->nr_vcpus, PSCI_MAX_CPUS);
		return -1;
	}
	vm->arm64_boot =
		(struct arm64_boot_state){ .pc = layout.kernel_gpa, .x = { layout.dtb_gpa } };
	axvm_debug("arm64 Image: kernel at 0x%llx..0x%llx, DTB at 0x%llx (%ld bytes), initrd at "
		   "0x%llx (%zu bytes), GICv%u",
		   (unsigned long long)layout.kernel_gpa, (unsigned long long)layout.kernel_end,
		   (unsigned long long)layout.dtb_gpa, dtb_size,
		   (unsigned long long)layout.initrd_gpa, initrd_size, d->gic_version);
	return 0;
}
