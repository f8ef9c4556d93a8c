/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KVM accelerator's own state and the pieces of it the unit tests
 * reach without /dev/kvm: exit decoding from a struct kvm_run, the CPUID
 * adjustments, the start state in KVM's register layout. Only accel/kvm/
 * and tests include this header; the rest of axvm sees struct axvm_accel.
 *
 *   kvm_vm.c        /dev/kvm, the VM (irqchip, memory slots), irq lines, selection probe
 *   kvm_vcpu.c      vCPU fd and kvm_run, CPUID, start state, KVM_RUN and exit decoding,
 *                   kick, profile samples, --stats
 *   kvm_stats.c     KVM's binary per-vCPU counters (KVM_GET_STATS_FD)
 *   x86_exception.c KVM emulation failures: #BP delivery, x86_insn.c instructions
 */
#ifndef AXVM_ACCEL_KVM_KVM_H
#define AXVM_ACCEL_KVM_KVM_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/accel.h"
#include "arch/x86/boot_state.h"
#include "arch/x86/x86_insn.h"
#include "axvm.h"

/* The KVM device node; tests point it at a path that does not exist, or /dev/null. */
extern const char *axvm_kvm_path;

struct axvm_kvm_vm {
	int kvm_fd; /* /dev/kvm */
	int vm_fd;
};

struct axvm_kvm_vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
	_Atomic uint64_t bp_delivered; /* #BP delivered by axvm for an int3 KVM could not run */
	_Atomic uint64_t insn_emulated[X86_INSN_KINDS]; /* executed by x86_insn.c, by kind */
	_Atomic uint64_t insn_emulated_if0;		/* ... of which with RFLAGS.IF clear */
};

static inline struct axvm_kvm_vcpu *axvm_kvm_vcpu(const struct axvm_vcpu *vcpu)
{
	return vcpu->accel;
}

/*
 * After KVM_RUN returned 0: turns vcpu's kvm_run into `exit`. Port I/O and
 * MMIO become AXVM_EXIT_IO / AXVM_EXIT_MMIO pointing into kvm_run (rep
 * ins/outs: `count` elements at io.data_offset); HLT and SHUTDOWN pass
 * through; an interrupted run is AXVM_EXIT_NONE. Everything else (system
 * event, internal error that x86_exception.c cannot resolve, failed entry,
 * unknown reason) requests the VM stop with the reason and is
 * AXVM_EXIT_FAILED; a resolved emulation failure is AXVM_EXIT_NONE.
 */
void axvm_kvm_decode_exit(struct axvm_vcpu *vcpu, struct axvm_exit *exit);

/*
 * KVM_GET_SUPPORTED_CPUID's table for vCPU `vcpu_id`: its own APIC id in
 * leaves 1, 0xb and 0x1f; for a Linux guest the features kvm_pvm cannot
 * emulate hidden and the hypervisor bit set (see kvm_vcpu.c).
 */
void axvm_kvm_cpuid_adjust(struct kvm_cpuid_entry2 *entries, uint32_t n, uint32_t vcpu_id,
			   bool linux_guest);

/*
 * A start state in KVM's layout. `sregs` comes from KVM_GET_SREGS (its IDT,
 * LDT, TR, APIC base and interrupt bitmap are kept); `regs` is overwritten.
 */
void axvm_kvm_state_from_boot(const struct x86_boot_state *s, struct kvm_sregs *sregs,
			      struct kvm_regs *regs);

/* KVM_IRQ_LINE on the in-kernel irqchip. */
void axvm_kvm_irq_line(struct axvm *vm, uint32_t irq, bool level);

/* The vCPU half of axvm_accel_kvm (kvm_vcpu.c), for kvm_vm.c's table. */
int axvm_kvm_vcpu_create(struct axvm_vcpu *vcpu, char *err, size_t err_len);
void axvm_kvm_vcpu_destroy(struct axvm_vcpu *vcpu);
int axvm_kvm_vcpu_set_state(struct axvm_vcpu *vcpu, const struct x86_boot_state *s, char *err,
			    size_t err_len);
int axvm_kvm_vcpu_set_waiting(struct axvm_vcpu *vcpu, char *err, size_t err_len);
void axvm_kvm_vcpu_run(struct axvm_vcpu *vcpu, struct axvm_exit *exit);
void axvm_kvm_vcpu_kick(struct axvm_vcpu *vcpu);
void axvm_kvm_vcpu_sample(struct axvm_vcpu *vcpu);
void axvm_kvm_print_stats(struct axvm_vcpu *vcpu, FILE *out, const char *prefix);

#endif
