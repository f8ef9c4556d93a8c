/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accelerators: what runs the guest's CPUs. One small interface, two
 * implementations — KVM (accel/kvm/) and TCG on Unicorn (accel/tcg/) — and
 * one vCPU loop (vcpu.c) written once for both: it turns every exit into
 * ax_devices_handle_* calls through axvm_vcpu_pio() / axvm_vcpu_mmio(),
 * which an accelerator may also call inline from its own hooks (TCG does,
 * so that a port access costs a callback, not a return from the engine).
 *
 * Interrupts: with KVM the in-kernel irqchip delivers (irq_line); with TCG
 * the library's interrupt-controller models decide and the accelerator
 * enters the guest's handler itself (irq_notify, ax_devices_irq_ack).
 */
#ifndef AXVM_ACCEL_ACCEL_H
#define AXVM_ACCEL_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <axdevice/range.h>

#include "arch/arm64/boot_state.h"
#include "arch/x86/boot_state.h"

struct axvm;
struct axvm_vcpu;

/* Guest architectures, chosen by the kernel image's content (axvm_guest_arch()). */
enum axvm_arch {
	AXVM_ARCH_X86_64 = 1u << 0,
	AXVM_ARCH_ARM64 = 1u << 1,
};

enum axvm_exit_reason {
	AXVM_EXIT_NONE,	    /* nothing for the loop (kicked, signal, handled inside) */
	AXVM_EXIT_IO,	    /* x86 port I/O for axvm_vcpu_pio() */
	AXVM_EXIT_MMIO,	    /* MMIO for axvm_vcpu_mmio() */
	AXVM_EXIT_HALT,	    /* HLT/WFI nothing can end (interrupts masked): the VM stops */
	AXVM_EXIT_SHUTDOWN, /* triple fault, reset request */
	AXVM_EXIT_FAILED,   /* the accelerator already called axvm_request_stop() */
};

struct axvm_exit {
	enum axvm_exit_reason reason;
	union {
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2, 4 */
			bool write;
			uint32_t count; /* rep ins/outs: `count` elements back to back */
			uint8_t *data;
		} io;
		struct {
			uint64_t gpa;
			uint8_t len;
			bool write;
			uint8_t *data;
		} mmio;
	};
};

struct axvm_accel {
	const char *name; /* "kvm", "tcg" */
	unsigned arches;  /* the guest architectures it runs: AXVM_ARCH_* bits */
	/* Can it run on this machine? If not, err says why. */
	bool (*available)(char *err, size_t err_len);
	/* Whether the library's interrupt-controller models deliver (TCG) or the accelerator's
	 * own irqchip does (KVM in-kernel: config entries for the I/O APIC, local APIC and 8259
	 * are then provided by it and not built). */
	bool uses_library_irqchip;

	/* After guest RAM exists, before the kernel is loaded. -1 with err; *status says which
	 * AXVM_STATUS_* applies. */
	int (*vm_create)(struct axvm *vm, char *err, size_t err_len, int *status);
	/* Called when vm->accel_vm is set, also after a vm_create that failed half-way. */
	void (*vm_destroy)(struct axvm *vm);

	/* vcpu->vm and vcpu->id are set; the accelerator keeps its state in vcpu->accel. */
	int (*vcpu_create)(struct axvm_vcpu *vcpu, char *err, size_t err_len);
	/* Called when vcpu->accel is set, also after a vcpu_create that failed half-way; the
	 * vCPU's thread has ended. */
	void (*vcpu_destroy)(struct axvm_vcpu *vcpu);
	int (*vcpu_set_state)(struct axvm_vcpu *vcpu, const struct x86_boot_state *s, char *err,
			      size_t err_len);
	/* arm64: the boot vCPU's start state (NULL when the accelerator runs no arm64 guest). */
	int (*vcpu_set_state_arm64)(struct axvm_vcpu *vcpu, const struct arm64_boot_state *s,
				    char *err, size_t err_len);
	/* A vCPU that should wait rather than run: an x86 AP for INIT/SIPI (KVM: in-kernel; TCG:
	 * sleeps), an arm64 secondary for PSCI CPU_ON. */
	int (*vcpu_set_waiting)(struct axvm_vcpu *vcpu, char *err, size_t err_len);
	/* arm64 PSCI, decided by vm_arm64.c: start a vCPU that is OFF at `entry` with X0 =
	 * context (any thread; false if it cannot take the start), and park the calling vCPU
	 * (CPU_OFF; on its own thread, from the hypercall). */
	bool (*vcpu_power_on)(struct axvm_vcpu *vcpu, uint64_t entry, uint64_t context);
	void (*vcpu_power_off)(struct axvm_vcpu *vcpu);

	/* On the vCPU's thread: runs the guest until there is something for the loop.
	 * Returns at once (AXVM_EXIT_NONE) once the VM is stopping. */
	void (*vcpu_run)(struct axvm_vcpu *vcpu, struct axvm_exit *exit);
	/* Any thread: make vcpu_run return soon (stop request). */
	void (*vcpu_kick)(struct axvm_vcpu *vcpu);

	/* Device-set hooks, any thread. irq_line: lines no library model owns (KVM:
	 * KVM_IRQ_LINE; TCG: none exist). irq_notify: "may have an interrupt to take".
	 * vcpu_startup: INIT + SIPI from the local APIC model. NULL when not used. */
	void (*irq_line)(struct axvm *vm, uint32_t irq, bool level);
	void (*irq_notify)(struct axvm_vcpu *vcpu);
	void (*vcpu_startup)(struct axvm_vcpu *vcpu, uint8_t vector);

	/* --profile: ask the vCPU's thread to record its PC with axvm_profile_sample() soon. */
	void (*vcpu_sample)(struct axvm_vcpu *vcpu);
	/* --stats: the accelerator's own per-vCPU counters, one or more lines with `prefix`. */
	void (*print_stats)(struct axvm_vcpu *vcpu, FILE *out, const char *prefix);
};

extern const struct axvm_accel axvm_accel_kvm;
extern const struct axvm_accel axvm_accel_tcg;

/*
 * The shared exit handlers (vcpu.c); unmapped or refused reads read as
 * all-ones. By value, for an accelerator's own hooks (TCG); each call is
 * counted as one exit of the vCPU:
 */
uint64_t axvm_vcpu_read(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len);
void axvm_vcpu_write(struct axvm_vcpu *vcpu, enum ax_bus bus, uint64_t addr, unsigned len,
		     uint64_t val);
/* ... and through a byte buffer, as KVM's kvm_run hands them over (one exit per call, a rep
 * count included): */
void axvm_vcpu_pio(struct axvm_vcpu *vcpu, uint16_t port, unsigned size, bool write, uint8_t *data,
		   uint32_t count);
void axvm_vcpu_mmio(struct axvm_vcpu *vcpu, uint64_t gpa, unsigned len, bool write, uint8_t *data);

/* "auto", "kvm" or "tcg": what --accel and [base] accel accept. */
bool axvm_accel_name_valid(const char *name);

/*
 * --accel auto|kvm|tcg (NULL: auto): the accelerator to use for a guest of
 * `arch`, or NULL with err and *status: AXVM_STATUS_CONFIG (120) for an
 * unknown name, AXVM_STATUS_NO_ACCEL (121) when the one asked for (or, for
 * auto, neither) can run here or runs no guest of that architecture. With
 * -v it says which it took, and for auto why not KVM.
 */
const struct axvm_accel *axvm_accel_select(const char *name, enum axvm_arch arch, char *err,
					   size_t err_len, int *status);

/* "x86-64", "arm64" */
const char *axvm_arch_name(enum axvm_arch arch);

#endif
