/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TCG vCPU: its Unicorn engine, the guest's memory map in it, the hooks
 * that reach the device set inline, and the run loop.
 *
 * Memory: every RAM region is mapped zero-copy (uc_mem_map_ptr on axvm's
 * own host buffer, so virtqueues work as on KVM), and every gap between
 * RAM regions, from 0 to the CPU's physical top (x86 1 TiB, arm64 16 TiB),
 * is an MMIO region whose callbacks call
 * axvm_vcpu_mmio(): devices need no mapping of their own, and an access
 * nobody claims reaches the dispatcher, is logged and reads as all-ones,
 * as on KVM.
 *
 * What a guest sees of MMIO widths (measured on Unicorn 2.0.1): an 8-byte
 * load or store reaches the callbacks as two 4-byte accesses, low half
 * first; an unaligned load is widened into the aligned loads of its size
 * that cover it (a 4-byte load at 0x...2 reads 0x...0 and 0x...4 and keeps
 * the middle bytes); an unaligned store is split into single bytes. The
 * dispatcher still checks every piece, so no device sees an access that
 * straddles its range or a width that piece does not have: a device that
 * only takes 8-byte accesses sees none (its register reads as all-ones),
 * and an unaligned load may read a register next to the one meant (a read
 * side effect the guest did not ask for). Aligned 1-, 2- and 4-byte
 * accesses, which is what drivers make, arrive exactly as made.
 *
 * Guest RAM written through the host pointer (virtio DMA, the loader) is
 * invisible to the engine's translated-code cache: a guest that runs code
 * a device wrote over code it already ran would run the old code. The
 * kernel is loaded before the first translation; our guests run no DMA'd
 * code.
 */
#include "accel/tcg/tcg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCG_PAGE_MASK UINT64_C(0xfff)

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	struct tcg_mmio_region *r = user;

	(void)uc;
	tcg_count(&r->t->stats.mmio);
	return axvm_vcpu_read(r->t->vcpu, AX_BUS_MMIO, r->base + offset, size) &
	       tcg_size_mask(size);
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
	struct tcg_mmio_region *r = user;

	(void)uc;
	tcg_count(&r->t->stats.mmio);
	axvm_vcpu_write(r->t->vcpu, AX_BUS_MMIO, r->base + offset, size, value);
}

/* The block hook's slow path: something is asked of this vCPU. */
static __attribute__((noinline)) void block_attention(struct tcg_vcpu *t, uc_engine *uc,
						      uint64_t address, uint64_t prev_end)
{
	unsigned attn = atomic_exchange_explicit(&t->attn, 0, memory_order_acquire);

	if (attn & TCG_ATTN_SAMPLE) {
		struct axvm_profile *p = t->vcpu->vm->profile;

		if (p)
			axvm_profile_sample(p, address);
	}
	/*
	 * A kick only makes us look: the engine stops for the VM's stop, and is then never
	 * started again, so no question arises of what a restart at the PC read back would
	 * run twice.
	 */
	if (atomic_load(&t->vcpu->vm->stop) || t->power_off) {
		t->stopped_by_hook = true;
		uc_emu_stop(uc);
		return;
	}
	if (attn & TCG_ATTN_YIELD) {
		/* this block stays unexecuted: the next turn resumes at it, after the same
		 * predecessor (the shadow check), with the interrupt request kept */
		if (attn & TCG_ATTN_IRQ)
			atomic_fetch_or_explicit(&t->attn, TCG_ATTN_IRQ, memory_order_relaxed);
		t->prev_block_end = prev_end;
		t->stopped_by_hook = true;
		t->yielded = true;
		t->yield_pc = address;
		uc_emu_stop(uc);
		return;
	}
	if (!(attn & TCG_ATTN_IRQ))
		return;
	/* IF first: a guest running masked with something pending comes here every block */
	if (!t->arch->interrupts_enabled(t) || !t->arch->can_interrupt_at(t, address, prev_end) ||
	    t->arch->deliver(t, &address) == 0) {
		/* masked, in a shadow or nothing left: look again at the next block while the
		 * controller still has something, so that an STI is noticed */
		if (ax_devices_irq_pending(t->vcpu->vm->devices, t->vcpu->id))
			atomic_fetch_or_explicit(&t->attn, TCG_ATTN_IRQ, memory_order_relaxed);
		return;
	}
	/* delivered (the PC moved), or failed and the stop is requested */
	if (atomic_load(&t->vcpu->vm->stop)) {
		t->stopped_by_hook = true;
		uc_emu_stop(uc);
	}
}

/*
 * Every translated block starts with this call: the one safe point where
 * another thread's request (an interrupt, a stop, a profile sample) is
 * taken without leaving the engine. Writing the PC here abandons the block
 * before its first instruction; the engine carries on at the new PC. The
 * fast path is a store and a relaxed load (no counter: it runs for every
 * block).
 */
static void block_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct tcg_vcpu *t = user;
	uint64_t prev_end = t->prev_block_end;

	t->prev_block_end = address + size;
	if (__builtin_expect(atomic_load_explicit(&t->attn, memory_order_relaxed) != 0, 0))
		block_attention(t, uc, address, prev_end);
}

static int map_gap(struct tcg_vcpu *t, uint64_t base, uint64_t size, char *err, size_t err_len)
{
	struct tcg_mmio_region *r = &t->regions[t->nr_regions];
	uc_err e;

	if (size == 0)
		return 0;
	r->t = t;
	r->base = base;
	e = uc_mmio_map(t->uc, base, size, mmio_read, r, mmio_write, r);
	if (e != UC_ERR_OK) {
		snprintf(err, err_len, "vCPU %u: uc_mmio_map(0x%llx, 0x%llx): %s", t->vcpu->id,
			 (unsigned long long)base, (unsigned long long)size, uc_strerror(e));
		return -1;
	}
	t->nr_regions++;
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct guest_ram_region *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static int map_memory(struct tcg_vcpu *t, char *err, size_t err_len)
{
	const struct guest_ram *ram = &t->vcpu->vm->ram;
	struct guest_ram_region sorted[AXVM_MAX_MEM_REGIONS];
	uint64_t cursor = 0;

	memcpy(sorted, ram->regions, ram->nr * sizeof(sorted[0]));
	qsort(sorted, ram->nr, sizeof(sorted[0]), cmp_region);
	t->regions = calloc(ram->nr + 2, sizeof(*t->regions));
	if (!t->regions) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < ram->nr; i++) {
		const struct guest_ram_region *g = &sorted[i];
		uc_err e;

		if ((g->gpa | g->size) & TCG_PAGE_MASK) {
			snprintf(err, err_len,
				 "RAM region 0x%llx+0x%llx: TCG maps RAM in 4 KiB pages only",
				 (unsigned long long)g->gpa, (unsigned long long)g->size);
			return -1;
		}
		if (map_gap(t, cursor, g->gpa - cursor, err, err_len) != 0)
			return -1;
		e = uc_mem_map_ptr(t->uc, g->gpa, g->size, UC_PROT_ALL, g->host);
		if (e != UC_ERR_OK) {
			snprintf(err, err_len, "vCPU %u: uc_mem_map_ptr(0x%llx, 0x%llx): %s",
				 t->vcpu->id, (unsigned long long)g->gpa,
				 (unsigned long long)g->size, uc_strerror(e));
			return -1;
		}
		cursor = g->gpa + g->size;
	}
	if (cursor < t->arch->phys_top &&
	    map_gap(t, cursor, t->arch->phys_top - cursor, err, err_len) != 0)
		return -1;
	/* see tcg_arm64.c: the engine checks virtual addresses against this map */
	if (t->arch->va_shadow) {
		uint64_t base = 0 - t->arch->va_shadow;
		uc_err e;

		if (map_gap(t, base, t->arch->va_shadow, err, err_len) != 0)
			return -1;
		/* fetches are checked against it too: kernel code runs from there */
		e = uc_mem_protect(t->uc, base, t->arch->va_shadow, UC_PROT_ALL);
		if (e != UC_ERR_OK) {
			snprintf(err, err_len, "vCPU %u: uc_mem_protect(0x%llx): %s", t->vcpu->id,
				 (unsigned long long)base, uc_strerror(e));
			return -1;
		}
	}
	return 0;
}

int tcg_add_hooks(struct tcg_vcpu *t, const struct tcg_hook_spec *specs, size_t n, char *err,
		  size_t err_len)
{
	for (size_t i = 0; i < n; i++) {
		uc_err e = UC_ERR_NOMEM; /* no room left in t->hooks */
		uc_hook h;

		if (t->nr_hooks < sizeof(t->hooks) / sizeof(t->hooks[0]))
			e = specs[i].insn >= 0
				    ? uc_hook_add(t->uc, &h, specs[i].type, specs[i].callback, t, 1,
						  0, specs[i].insn)
				    : uc_hook_add(t->uc, &h, specs[i].type, specs[i].callback, t, 1,
						  0);
		if (e != UC_ERR_OK) {
			snprintf(err, err_len, "vCPU %u: TCG: adding %s hook %zu failed: %s",
				 t->vcpu->id, t->arch->name, i, uc_strerror(e));
			return -1;
		}
		t->hooks[t->nr_hooks++] = h;
	}
	return 0;
}

/* The engine, made on first need: its mode follows the first start state. */
static int open_engine(struct tcg_vcpu *t, const struct tcg_arch *arch, uc_mode mode,
		       bool real_mode, char *err, size_t err_len)
{
	uc_hook h;
	uc_err e;

	if (t->uc)
		return 0;
	t->arch = arch;
	e = uc_open(arch->uc_arch, mode, &t->uc);
	if (e != UC_ERR_OK) {
		t->uc = NULL;
		snprintf(err, err_len, "vCPU %u: uc_open: %s", t->vcpu->id, uc_strerror(e));
		return -1;
	}
	t->mode = mode;
	if (real_mode && tcg_x86_enter_real_mode(t, err, err_len) != 0)
		return -1;
	if (map_memory(t, err, err_len) != 0)
		return -1;
	e = uc_hook_add(t->uc, &h, UC_HOOK_BLOCK, (void *)block_hook, t, 1, 0);
	if (e != UC_ERR_OK) {
		snprintf(err, err_len, "vCPU %u: block hook: %s", t->vcpu->id, uc_strerror(e));
		return -1;
	}
	t->hooks[t->nr_hooks++] = h;
	return arch->add_hooks(t, err, err_len);
}

int tcg_vcpu_create(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	struct tcg_vcpu *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	t->vcpu = vcpu;
	t->exception = -1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	vcpu->accel = t;
	return 0;
}

void tcg_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (!t)
		return;
	if (t->uc)
		uc_close(t->uc);
	free(t->regions);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	vcpu->accel = NULL;
}

int tcg_vcpu_set_state(struct axvm_vcpu *vcpu, const struct x86_boot_state *s, char *err,
		       size_t err_len)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (open_engine(t, &tcg_arch_x86, tcg_x86_mode(s), false, err, err_len) != 0)
		return -1;
	return tcg_x86_load_state(t, s, err, err_len);
}

int tcg_vcpu_set_state_arm64(struct axvm_vcpu *vcpu, const struct arm64_boot_state *s, char *err,
			     size_t err_len)
{
	struct tcg_vcpu *t = vcpu->accel;

	if (open_engine(t, &tcg_arch_arm64, UC_MODE_ARM, false, err, err_len) != 0)
		return -1;
	return tcg_arm64_load_state(t, s, err, err_len);
}

int tcg_vcpu_set_waiting(struct axvm_vcpu *vcpu, char *err, size_t err_len)
{
	struct tcg_vcpu *t = vcpu->accel;

	/* an x86 AP starts in real mode: a 32-bit engine (segment writes load real-mode bases);
	 * an arm64 one waits for PSCI CPU_ON */
	if (vcpu->vm->arch == AXVM_ARCH_ARM64) {
		if (open_engine(t, &tcg_arch_arm64, UC_MODE_ARM, false, err, err_len) != 0)
			return -1;
	} else if (open_engine(t, &tcg_arch_x86, UC_MODE_32, true, err, err_len) != 0) {
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	t->waiting = true;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void tcg_wake(struct tcg_vcpu *t)
{
	pthread_mutex_lock(&t->lock);
	t->wakes++;
	if (t->sleeping || t->waiting)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

bool tcg_request_start(struct tcg_vcpu *t, bool only_waiting, uint8_t vector, uint64_t entry,
		       uint64_t context)
{
	bool taken;

	/* A running x86 CPU ignores SIPI (only_waiting). PSCI decided a CPU_ON for a vCPU it
	 * marked OFF, which may still be on its way to parking: the start is kept for then. */
	pthread_mutex_lock(&t->lock);
	taken = (t->waiting || !only_waiting) && !t->start_pending;
	if (taken) {
		t->start_pending = true;
		t->start_vector = vector;
		t->start_entry = entry;
		t->start_context = context;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return taken;
}

/* A waiting vCPU: sleeps until its start (or the stop), then loads the start state. */
static int wait_for_startup(struct tcg_vcpu *t)
{
	struct axvm *vm = t->vcpu->vm;
	char err[256];
	bool started;

	pthread_mutex_lock(&t->lock);
	while (!t->start_pending && !atomic_load(&vm->stop))
		pthread_cond_wait(&t->cond, &t->lock);
	started = t->start_pending;
	if (started)
		t->waiting = false;
	pthread_mutex_unlock(&t->lock);
	if (!started)
		return -1;
	t->urgent = true;
	if (t->arch->start(t, err, sizeof(err)) != 0) {
		axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: start: %s", t->vcpu->id, err);
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	t->start_pending = false;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void tcg_arm64_power_off(struct tcg_vcpu *t)
{
	/* waiting from now on: a CPU_ON that comes before the engine stops is kept */
	pthread_mutex_lock(&t->lock);
	t->waiting = true;
	pthread_mutex_unlock(&t->lock);
	t->power_off = true;
	t->stopped_by_hook = true;
	uc_emu_stop(t->uc);
}

/*
 * HLT with interrupts enabled: sleep until the controller has something
 * for this vCPU or the VM stops. The controller is asked without our lock:
 * it notifies (tcg_wake, which takes our lock) with its own lock held, so
 * asking it under ours could deadlock. It publishes its state before it
 * notifies, so a notification after the `wakes` snapshot ends the wait and
 * one before it is seen by the check: no wake-up is missed.
 */
static void hlt_sleep(struct tcg_vcpu *t)
{
	struct axvm *vm = t->vcpu->vm;
	uint64_t seen;

	tcg_count(&t->stats.hlt_sleeps);
	pthread_mutex_lock(&t->lock);
	t->sleeping = true;
	for (;;) {
		seen = t->wakes;
		pthread_mutex_unlock(&t->lock);
		if (atomic_load(&vm->stop) || ax_devices_irq_pending(vm->devices, t->vcpu->id)) {
			pthread_mutex_lock(&t->lock);
			break;
		}
		pthread_mutex_lock(&t->lock);
		while (t->wakes == seen && !atomic_load(&vm->stop))
			pthread_cond_wait(&t->cond, &t->lock);
	}
	t->sleeping = false;
	pthread_mutex_unlock(&t->lock);
}

void tcg_vcpu_run(struct axvm_vcpu *vcpu, struct axvm_exit *exit)
{
	struct tcg_vcpu *t = vcpu->accel;
	struct axvm *vm = vcpu->vm;
	bool waiting;
	uc_err e;

	exit->reason = AXVM_EXIT_NONE;
	if (atomic_load(&vm->stop))
		return;
	pthread_mutex_lock(&t->lock);
	waiting = t->waiting;
	pthread_mutex_unlock(&t->lock);
	if (waiting && wait_for_startup(t) != 0) {
		if (!atomic_load(&vm->stop))
			exit->reason = AXVM_EXIT_FAILED;
		return;
	}
	if (!t->uc) {
		axvm_request_stop(vm, AXVM_STATUS_VCPU, "vCPU %u: TCG: no start state", vcpu->id);
		exit->reason = AXVM_EXIT_FAILED;
		return;
	}

	if (t->yielded) {
		/* resuming a block our yield left unexecuted: the block hook decides about
		 * interrupts there, knowing the block before (the STI shadow) */
		t->yielded = false;
		if (ax_devices_irq_pending(vm->devices, vcpu->id))
			atomic_fetch_or_explicit(&t->attn, TCG_ATTN_IRQ, memory_order_relaxed);
	} else {
		/* a safe point outside any shadow: first entry, or after a HLT */
		if (t->arch->deliver(t, NULL) < 0) {
			exit->reason = AXVM_EXIT_FAILED;
			return;
		}
		/* still masked with something pending (a fresh start, a CPU_ON): the block hook
		 * looks again at every block until the guest unmasks */
		if (ax_devices_irq_pending(vm->devices, vcpu->id))
			atomic_fetch_or_explicit(&t->attn, TCG_ATTN_IRQ, memory_order_relaxed);
		t->prev_block_end = 0;
	}
	t->stopped_by_hook = false;
	t->exception = -1;
	tcg_engine_lock(t);
	if (atomic_load(&vm->stop)) {
		tcg_engine_unlock(t);
		return;
	}
	tcg_count(&t->stats.runs);
	e = uc_emu_start(t->uc, t->arch->pc(t), UINT64_MAX, 0, 0);
	tcg_engine_unlock(t);
	if (t->yielded) {
		tcg_count(&t->stats.yields);
		if (t->arch->resume_at)
			t->arch->resume_at(t, t->yield_pc);
	}

	if (t->exception >= 0) {
		t->arch->fail(t, "guest exception", t->exception, t->exception_pc);
		exit->reason = AXVM_EXIT_FAILED;
		return;
	}
	if (e != UC_ERR_OK) {
		t->arch->fail(t, uc_strerror(e), -1, t->arch->pc(t));
		exit->reason = AXVM_EXIT_FAILED;
		return;
	}
	if (t->power_off) {
		/* PSCI CPU_OFF: the next call waits for CPU_ON */
		t->power_off = false;
		return;
	}
	if (t->stopped_by_hook || atomic_load(&vm->stop))
		return;
	/* Unicorn returns by itself only after a HLT or WFI, with the PC past it */
	if (!t->arch->halt_wakes_masked && !t->arch->interrupts_enabled(t)) {
		exit->reason = AXVM_EXIT_HALT;
		return;
	}
	if (!ax_devices_irq_pending(vm->devices, vcpu->id))
		hlt_sleep(t);
	/* woken: the next call delivers at the PC after the HLT, without waiting for another
	 * vCPU's slice */
	t->urgent = true;
}
