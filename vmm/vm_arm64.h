/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An arm64 VM (vm_arm64.c): the kernel Image and initrd placed by the boot
 * protocol, the device tree built from the config into guest RAM, the boot
 * vCPU's start state, and PSCI (arch/arm64/psci.c) wired to the accelerator:
 * CPU_ON starts a parked vCPU, CPU_OFF parks the caller, SYSTEM_OFF ends
 * the VM with the guest's status, SYSTEM_RESET ends it too (axvm does not
 * reboot).
 */
#ifndef AXVM_VM_ARM64_H
#define AXVM_VM_ARM64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct axvm;
struct axvm_vcpu;

/* Loads the Image (and initrd), writes the DTB, sets up PSCI and vm->arm64_boot. -1 with err. */
int axvm_arm64_load(struct axvm *vm, const uint8_t *image, size_t size, char *err, size_t err_len);

/* Checks that the config can describe an arm64 VM (the device tree's view): for `axvm check`. */
int axvm_arm64_check_config(const struct axvm *vm, char *err, size_t err_len);

/* An HVC (smc false) or SMC from `vcpu` with X0..X3: the value for X0. */
uint64_t axvm_arm64_hypercall(struct axvm_vcpu *vcpu, bool smc, const uint64_t regs[4]);

/* The accelerator started `vcpu` after a PSCI CPU_ON. */
void axvm_arm64_vcpu_started(struct axvm_vcpu *vcpu);

#endif
