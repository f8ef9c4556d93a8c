/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm_accel_tcg: a software CPU (Unicorn 2, QEMU's TCG as a library) for
 * machines without a usable /dev/kvm, running x86-64 and arm64 guests.
 * Unicorn is a CPU only: axvm's device set provides every device, the
 * library's interrupt-controller models say what to take, and this
 * accelerator enters the guest's handler itself (tcg_x86.c: the IDT;
 * tcg_arm64.c: VBAR_EL1), sleeps on HLT/WFI and starts secondary vCPUs at
 * their startup IPI (x86) or PSCI CPU_ON (arm64).
 *
 * Limits: exceptions the guest raises itself (x86 #PF, #GP, INT n ...;
 * arm64 SVC, aborts, UDF) are not delivered, they stop the VM with their
 * vector and address, so operating systems with user space do not run
 * here; an interrupt that would change privilege (user code interrupted)
 * stops the VM too. The calls here come from any thread; everything that
 * touches an engine runs on its vCPU's thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "accel/tcg/tcg.h"

const char *tcg_engine_version(void)
{
	static char v[32];
	unsigned major, minor;

	uc_version(&major, &minor);
	snprintf(v, sizeof(v), "Unicorn %u.%u", major, minor);
	return v;
}

static bool tcg_available(char *err, size_t err_len)
{
	unsigned major, minor;

	uc_version(&major, &minor);
	if (major < 2) {
		snprintf(err, err_len, "Unicorn %u.%u is too old (2.0 or newer needed)", major,
			 minor);
		return false;
	}
	if (!uc_arch_supported(UC_ARCH_X86) || !uc_arch_supported(UC_ARCH_ARM64)) {
		snprintf(err, err_len, "this Unicorn lacks x86 or arm64 support");
		return false;
	}
	return true;
}

static int tcg_vm_create(struct axvm *vm, char *err, size_t err_len, int *status)
{
	struct tcg_vm *m = calloc(1, sizeof(*m));
	pthread_condattr_t attr;

	if (!m) {
		snprintf(err, err_len, "out of memory");
		*status = AXVM_STATUS_VCPU;
		return -1;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr,
				  CLOCK_MONOTONIC); /* the slice, whatever the wall clock does */
	pthread_cond_init(&m->turn, &attr);
	pthread_condattr_destroy(&attr);
	m->serialize = vm->nr_vcpus > 1;
	if (vm->arch == AXVM_ARCH_ARM64)
		tcg_arm64_scan_sysregs(m, vm->devices);
	vm->accel_vm = m; /* the rest is per vCPU: one engine each */
	return 0;
}

static void tcg_vm_destroy(struct axvm *vm)
{
	struct tcg_vm *m = vm->accel_vm;

	if (!m)
		return;
	pthread_cond_destroy(&m->turn);
	pthread_mutex_destroy(&m->lock);
	free(m);
	vm->accel_vm = NULL;
}

/* The slice a running vCPU keeps while another waits (unless that one woke up). */
#define TCG_SLICE_NS 2000000L

static void ask_to_yield(struct tcg_vm *m)
{
	if (m->holder)
		atomic_fetch_or_explicit(&m->holder->attn, TCG_ATTN_YIELD, memory_order_release);
}

void tcg_engine_lock(struct tcg_vcpu *t)
{
	struct tcg_vm *m = t->vcpu->vm->accel_vm;
	uint64_t ticket;

	if (!m || !m->serialize)
		return;
	pthread_mutex_lock(&m->lock);
	ticket = m->next_ticket++;
	if (ticket != m->now_serving && t->urgent)
		ask_to_yield(m);
	while (ticket != m->now_serving) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += TCG_SLICE_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&m->turn, &m->lock, &until) == ETIMEDOUT &&
		    ticket != m->now_serving)
			ask_to_yield(m);
	}
	m->holder = t;
	t->urgent = false;
	pthread_mutex_unlock(&m->lock);
}

void tcg_engine_unlock(struct tcg_vcpu *t)
{
	struct tcg_vm *m = t->vcpu->vm->accel_vm;

	if (!m || !m->serialize)
		return;
	pthread_mutex_lock(&m->lock);
	m->holder = NULL;
	m->now_serving++;
	pthread_cond_broadcast(&m->turn);
	pthread_mutex_unlock(&m->lock);
	/* a yield request meant for this turn is void now */
	atomic_fetch_and_explicit(&t->attn, ~TCG_ATTN_YIELD, memory_order_relaxed);
}

static void tcg_irq_notify(struct axvm_vcpu *vcpu)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (!t)
		return;
	/* the block hook looks at it before the next block; a HLT sleeper wakes */
	atomic_fetch_or_explicit(&t->attn, TCG_ATTN_IRQ, memory_order_release);
	tcg_wake(t);
}

static void tcg_vcpu_startup(struct axvm_vcpu *vcpu, uint8_t vector)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (!t)
		return;
	tcg_request_start(t, true, vector, 0, 0);
}

/* PSCI CPU_ON (vm_arm64.c): false when the vCPU is not parked (yet). */
static bool tcg_vcpu_power_on(struct axvm_vcpu *vcpu, uint64_t entry, uint64_t context)
{
	struct tcg_vcpu *t = vcpu->accel;

	return t && tcg_request_start(t, false, 0, entry, context);
}

/* PSCI CPU_OFF, on the vCPU's own thread, from its hypercall hook. */
static void tcg_vcpu_power_off(struct axvm_vcpu *vcpu)
{
	tcg_arm64_power_off(vcpu->accel);
}

static void tcg_vcpu_kick(struct axvm_vcpu *vcpu)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (!t)
		return;
	atomic_fetch_or_explicit(&t->attn, TCG_ATTN_KICK, memory_order_release);
	tcg_wake(t);
}

static void tcg_vcpu_sample(struct axvm_vcpu *vcpu)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (t)
		atomic_fetch_or_explicit(&t->attn, TCG_ATTN_SAMPLE, memory_order_release);
}

static void tcg_print_stats(struct axvm_vcpu *vcpu, FILE *out, const char *prefix)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (!t)
		return;
	/* key=value like the other stats lines; accesses are those the hooks passed on */
	fprintf(out,
		"%s tcg port=%llu mmio=%llu sysreg=%llu hypercalls=%llu irqs_injected=%llu "
		"hlt_sleeps=%llu engine_runs=%llu yields=%llu\n",
		prefix, (unsigned long long)atomic_load(&t->stats.pio),
		(unsigned long long)atomic_load(&t->stats.mmio),
		(unsigned long long)atomic_load(&t->stats.sysreg),
		(unsigned long long)atomic_load(&t->stats.hypercalls),
		(unsigned long long)atomic_load(&t->stats.irqs),
		(unsigned long long)atomic_load(&t->stats.hlt_sleeps),
		(unsigned long long)atomic_load(&t->stats.runs),
		(unsigned long long)atomic_load(&t->stats.yields));
}

const struct axvm_accel axvm_accel_tcg = {
	.name = "tcg",
	.arches = AXVM_ARCH_X86_64 | AXVM_ARCH_ARM64,
	.available = tcg_available,
	.uses_library_irqchip = true,
	.vm_create = tcg_vm_create,
	.vm_destroy = tcg_vm_destroy,
	.vcpu_create = tcg_vcpu_create,
	.vcpu_destroy = tcg_vcpu_destroy,
	.vcpu_set_state = tcg_vcpu_set_state,
	.vcpu_set_state_arm64 = tcg_vcpu_set_state_arm64,
	.vcpu_set_waiting = tcg_vcpu_set_waiting,
	.vcpu_power_on = tcg_vcpu_power_on,
	.vcpu_power_off = tcg_vcpu_power_off,
	.vcpu_run = tcg_vcpu_run,
	.vcpu_kick = tcg_vcpu_kick,
	.irq_line = NULL, /* every line belongs to a library model */
	.irq_notify = tcg_irq_notify,
	.vcpu_startup = tcg_vcpu_startup,
	.vcpu_sample = tcg_vcpu_sample,
	.print_stats = tcg_print_stats,
};
