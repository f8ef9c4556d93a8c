/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One virtual machine whose devices all come from libaxdevice and whose
 * CPUs run on an accelerator (accel/accel.h: KVM or TCG). vm.c: host hooks,
 * the device set, creation, the run loop of the main thread, stop, stats.
 * vcpu.c: the one vCPU exit loop shared by every accelerator.
 */
#ifndef AXVM_AXVM_H
#define AXVM_AXVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <axdevice/axdevice.h>

#include "accel/accel.h"
#include "arch/arm64/boot_state.h"
#include "arch/arm64/fdt.h"
#include "arch/arm64/psci.h"
#include "arch/x86/boot_state.h"
#include "backends/backends.h"
#include "boot/bzimage.h"
#include "config/vm_config.h"
#include "guest_ram.h"
#include "profile.h"

struct axvm_timers;

/* Exit statuses of axvm itself; a guest's own status (0..119) passes through. */
enum axvm_status {
	AXVM_STATUS_CONFIG = 120,   /* bad command line or config */
	AXVM_STATUS_NO_ACCEL = 121, /* the accelerator asked for cannot run here (no /dev/kvm) */
	AXVM_STATUS_VCPU = 122,	    /* the accelerator or a vCPU failed */
	AXVM_STATUS_GUEST = 123,    /* the guest stopped without the exit device (shutdown, ...) */
	AXVM_STATUS_SIGNAL = 128,   /* + signal number: stopped by SIGINT / SIGTERM */
};

enum axvm_exit_kind { EXIT_IO, EXIT_MMIO, EXIT_OTHER, EXIT_KINDS };

struct axvm_vcpu {
	struct axvm *vm;
	uint32_t id;
	void *accel; /* the accelerator's own vCPU state */
	pthread_t thread;
	atomic_bool started; /* written by the main thread, read by whoever kicks */
	/* port and MMIO accesses that reached axvm_vcpu_pio/mmio; other: exits nobody handles */
	_Atomic uint64_t exits[EXIT_KINDS];
};

#define AXVM_UNMAPPED_LOG_SLOTS 256

struct axvm {
	const struct axvm_config *cfg;
	const struct axvm_accel *accel; /* KVM or TCG; NULL for `axvm check` */
	void *accel_vm;			/* the accelerator's own VM state */
	struct guest_ram ram;
	struct axvm_backends backends;
	struct ax_host_hooks hooks;
	struct ax_devices *devices;
	struct axvm_timers *timers; /* the time hooks' service (timers.h) */
	struct axvm_vcpu *vcpus;
	uint32_t nr_vcpus;
	enum axvm_arch arch;		  /* of the kernel image (axvm_guest_arch) */
	bool linux_guest;		  /* a bzImage: Linux CPUID mask, long-mode start */
	struct bzimage_entry linux_entry; /* valid when linux_guest */
	struct x86_boot_state boot;	  /* the boot CPU's start state */
	/* arm64 (vm_arm64.c): the boot CPU's start state, the device tree's description, PSCI */
	struct arm64_boot_state arm64_boot;
	struct arm64_fdt_desc arm64_fdt;
	struct psci psci;
	struct psci_host psci_host;

	atomic_bool stop;
	atomic_int status; /* -1 until the first stop request */
	char stop_reason[512];
	double run_seconds;	      /* wall time the vCPUs ran */
	struct axvm_profile *profile; /* --profile: PC samples, else NULL */

	/* addresses whose unmapped access was already logged */
	pthread_mutex_t unmapped_lock;
	uint64_t unmapped_seen[AXVM_UNMAPPED_LOG_SLOTS];
	unsigned nr_unmapped_seen;
};

/* A VM with nothing in it yet (status -1, no fds): what axvm_destroy() accepts. */
void axvm_init(struct axvm *vm);

/*
 * The architecture of the config's kernel, by its content: an arm64 Image
 * ("ARM\x64" at 0x38) is arm64, anything else x86-64 (bzImage, multiboot).
 * -1 with err when the file cannot be read.
 */
int axvm_guest_arch(const struct axvm_config *cfg, enum axvm_arch *arch, char *err, size_t err_len);

/* Fills the host hooks: libc, guest RAM, and the accelerator's interrupt hooks; ctx is the VM. */
void axvm_hooks_init(struct axvm *vm);

/*
 * Builds the device set from the config, entry by entry, so that an error
 * names the entry's position: "path:line:col: message". Needs the backends
 * open; works without an accelerator (axvm check: every entry is built).
 * With an accelerator that has its own interrupt controllers
 * (!uses_library_irqchip: KVM's in-kernel irqchip), I/O APIC, local APIC and
 * 8259 entries are not built: they must sit where that irqchip does.
 */
int axvm_build_devices(struct axvm *vm, char *err, size_t err_len);

/*
 * Creates the guest on vm->accel: the accelerator's VM, the kernel image in
 * RAM, the vCPUs and their start state. -1 with err; status says which kind.
 */
int axvm_create(struct axvm *vm, char *err, size_t err_len, int *status);

/* Runs the vCPU threads until the guest exits, a vCPU fails or a signal arrives; returns the exit
 * status. */
int axvm_run(struct axvm *vm);

void axvm_destroy(struct axvm *vm);

/* First caller wins: records status and reason, stops every vCPU. */
void axvm_request_stop(struct axvm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vCPU thread body (vcpu.c): accel->vcpu_run and axvm_vcpu_exit until the VM stops. */
void *axvm_vcpu_thread(void *arg);
/* What the loop does with one exit (vcpu.c); exposed for tests. */
void axvm_vcpu_exit(struct axvm_vcpu *vcpu, const struct axvm_exit *exit);

/* Logs an access nobody handled, once per address. */
void axvm_log_unmapped(struct axvm *vm, enum ax_bus bus, uint64_t addr, bool write,
		       enum ax_err err);

/* Prints per-device and per-vCPU counters to stderr (--stats). */
void axvm_print_stats(struct axvm *vm, double seconds);

#endif
