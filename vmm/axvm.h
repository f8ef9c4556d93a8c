/* SPDX-License-Identifier: Apache-2.0 */
/* One KVM virtual machine whose devices all come from libaxdevice. */
#ifndef AXVM_AXVM_H
#define AXVM_AXVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <axdevice/axdevice.h>

#include "backends/backends.h"
#include "boot/bzimage.h"
#include "guest_ram.h"
#include "profile.h"
#include "arch/x86/x86_insn.h"
#include "config/vm_config.h"

/* Exit statuses of axvm itself; a guest's own status (0..119) passes through. */
enum axvm_status {
	AXVM_STATUS_CONFIG = 120, /* bad command line or config */
	AXVM_STATUS_NO_KVM = 121, /* /dev/kvm missing or unusable */
	AXVM_STATUS_VCPU = 122,	  /* KVM or a vCPU failed */
	AXVM_STATUS_GUEST = 123,  /* the guest stopped without the exit device (shutdown, ...) */
	AXVM_STATUS_SIGNAL = 128, /* + signal number: stopped by SIGINT / SIGTERM */
};

enum axvm_exit_kind { EXIT_IO, EXIT_MMIO, EXIT_OTHER, EXIT_KINDS };

struct axvm_vcpu {
	struct axvm *vm;
	uint32_t id;
	void *accel; /* the accelerator's own vCPU state (accel/accel.h) */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	atomic_bool started; /* written by the main thread, read by whoever kicks */
	_Atomic uint64_t exits[EXIT_KINDS];
	_Atomic uint64_t bp_delivered; /* #BP delivered by axvm for an int3 KVM could not run */
	_Atomic uint64_t insn_emulated[X86_INSN_KINDS]; /* executed by x86_insn.c, by kind */
	_Atomic uint64_t insn_emulated_if0;		/* ... of which with RFLAGS.IF clear */
};

#define AXVM_UNMAPPED_LOG_SLOTS 256

struct axvm {
	const struct axvm_config *cfg;
	const struct axvm_accel *accel; /* KVM or TCG (accel/accel.h) */
	void *accel_vm;			/* the accelerator's own VM state */
	int kvm_fd;
	int vm_fd;
	struct guest_ram ram;
	struct axvm_backends backends;
	struct ax_host_hooks hooks;
	struct ax_devices *devices;
	struct axvm_vcpu *vcpus;
	uint32_t nr_vcpus;
	bool linux_guest;		  /* a bzImage: Linux CPUID mask, long-mode start */
	struct bzimage_entry linux_entry; /* valid when linux_guest */

	atomic_bool stop;
	atomic_int status; /* -1 until the first stop request */
	char stop_reason[512];
	double run_seconds;	      /* wall time the vCPUs ran */
	struct axvm_profile *profile; /* --profile: RIP samples, else NULL */

	/* addresses whose unmapped access was already logged */
	pthread_mutex_t unmapped_lock;
	uint64_t unmapped_seen[AXVM_UNMAPPED_LOG_SLOTS];
	unsigned nr_unmapped_seen;
};

/* Fills the host hooks with libc/KVM implementations; ctx is the VM. */
void axvm_hooks_init(struct axvm *vm);

/*
 * Builds the device set from the config, entry by entry, so that an error
 * names the entry's position: "path:line:col: message". Needs the backends
 * open; works without KVM (axvm check).
 */
int axvm_build_devices(struct axvm *vm, char *err, size_t err_len);

/* Creates the KVM VM: RAM, irqchip, kernel image, vCPUs. -1 with err; status says which kind. */
int axvm_create_kvm(struct axvm *vm, char *err, size_t err_len, int *status);

/* Runs the vCPU threads until the guest exits, a vCPU fails or a signal arrives; returns the exit
 * status. */
int axvm_run(struct axvm *vm);

void axvm_destroy(struct axvm *vm);

/* First caller wins: records status and reason, stops every vCPU. */
void axvm_request_stop(struct axvm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vCPU thread body (vcpu.c). */
void *axvm_vcpu_thread(void *arg);
int axvm_vcpu_create(struct axvm *vm, struct axvm_vcpu *vcpu, uint32_t id, char *err,
		     size_t err_len);
int axvm_vcpu_boot_state(struct axvm_vcpu *vcpu, uint32_t entry, uint32_t ebx, char *err,
			 size_t err_len);
/* 64-bit Linux boot protocol: long mode at e->entry, RSI = zero page, interrupts off. */
int axvm_vcpu_boot_state_linux(struct axvm_vcpu *vcpu, const struct bzimage_entry *e, char *err,
			       size_t err_len);
void axvm_vcpu_kick(struct axvm_vcpu *vcpu);

/* Logs an access nobody handled, once per address. */
void axvm_log_unmapped(struct axvm *vm, enum ax_bus bus, uint64_t addr, bool write,
		       enum ax_err err);

/* Prints per-device and per-vCPU counters to stderr (--stats). */
void axvm_print_stats(struct axvm *vm, double seconds);

#endif
