/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCG accelerator's own state (vmm/accel/tcg/): one Unicorn engine per
 * vCPU, driven on the vCPU's thread. tcg_vm.c holds the accelerator table
 * and the calls any thread makes (notify, startup, kick, sample);
 * tcg_vcpu.c the engine, its memory map and hooks and the run loop;
 * tcg_x86.c what is x86 (start states, IDT delivery, the interrupt shadow,
 * exception names), tcg_arm64.c what is AArch64 (start states, IRQ entry
 * through VBAR_EL1, system registers, PSCI calls); struct tcg_arch is the
 * line between the two.
 */
#ifndef AXVM_ACCEL_TCG_H
#define AXVM_ACCEL_TCG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include <axdevice/sysreg.h>

#include "accel/accel.h"
#include "axvm.h"

/* Bits of tcg_vcpu.attn: why the block hook must look closer. */
#define TCG_ATTN_IRQ	1u /* irq_notify: an interrupt may be deliverable */
#define TCG_ATTN_KICK	2u /* vcpu_kick: the VM is stopping */
#define TCG_ATTN_SAMPLE 4u /* vcpu_sample: record the PC for --profile */
#define TCG_ATTN_YIELD	8u /* another vCPU waits for the engine lock */

struct tcg_vcpu;

/* What differs between guest architectures; the engine and run loop are shared. */
struct tcg_arch {
	const char *name; /* "x86", "arm64" */
	uc_arch uc_arch;
	/* Gaps between RAM regions are MMIO up to here (the CPU's physical address bits). */
	uint64_t phys_top;
	/* Non-zero: one more MMIO region, [2^64 - va_shadow, 2^64), see tcg_arm64.c. */
	uint64_t va_shadow;
	uint64_t (*pc)(struct tcg_vcpu *t);
	/* The CPU's own interrupt mask lets an interrupt in (RFLAGS.IF, !PSTATE.I). */
	bool (*interrupts_enabled)(struct tcg_vcpu *t);
	/* At the start of the block at `pc`, the block before having ended at prev_end (0:
	 * unknown): may an interrupt be taken here? */
	bool (*can_interrupt_at)(struct tcg_vcpu *t, uint64_t pc, uint64_t prev_end);
	/* Takes one interrupt if deliverable: 1 delivered, 0 nothing, -1 failed (stop
	 * requested). block_pc: the address of the block about to run when called from the
	 * block hook, else NULL (the PC register is exact). */
	int (*deliver)(struct tcg_vcpu *t, const uint64_t *block_pc);
	/* Non-NULL where the PC register is stale inside a block hook (arm64: measured): after
	 * a stop from the block hook, the PC is set to that block's address. (Writing it in the
	 * hook itself before uc_emu_stop makes the engine go on there instead: measured.) */
	void (*resume_at)(struct tcg_vcpu *t, uint64_t block_pc);
	/* Stops the VM for an exception the guest raised, or an engine error. */
	void (*fail)(struct tcg_vcpu *t, const char *what, int vector, uint64_t pc);
	int (*add_hooks)(struct tcg_vcpu *t, char *err, size_t err_len);
	/* A waiting vCPU was started (x86 startup IPI, arm64 PSCI CPU_ON): load its start
	 * state from t->start_*. On its own thread. */
	int (*start)(struct tcg_vcpu *t, char *err, size_t err_len);
	/* WFI ends when an interrupt is pending even while masked (arm64); HLT with
	 * interrupts masked never ends (x86). */
	bool halt_wakes_masked;
};

extern const struct tcg_arch tcg_arch_x86;
extern const struct tcg_arch tcg_arch_arm64;

/*
 * The engine lock (multi-vCPU VMs only). Unicorn runs each engine as if it
 * were alone: a LOCK-prefixed instruction (or XCHG with memory) is not
 * atomic against another engine running on another thread (measured: two
 * engines doing `lock inc` 10^7 times each on one word end at ~1.05*10^7,
 * not 2*10^7), so guest spinlocks would break. vCPUs therefore take turns:
 * one engine runs at a time, FIFO by ticket. A vCPU waiting for its turn
 * asks the running one to yield (TCG_ATTN_YIELD, taken at its next block
 * boundary, where a stop from the block hook leaves the block unexecuted and
 * the restart runs it exactly once: measured) at once when it woke from HLT
 * or its startup IPI (interrupt latency), else after a time slice.
 */
struct tcg_vm {
	pthread_mutex_t lock;
	pthread_cond_t turn;
	bool serialize; /* more than one vCPU */
	/* arm64: the sysreg numbers a device of the set claims, one bit each (built at VM
	 * creation: MRS/MSR of any other register runs in the engine itself) */
	uint8_t sysreg_claimed[(AX_SYSREG_ARM64_MAX + 1) / 8];
	uint64_t next_ticket, now_serving; /* lock */
	struct tcg_vcpu *holder;	   /* lock */
};

/* One MMIO region of an engine: a gap between RAM regions. */
struct tcg_mmio_region {
	struct tcg_vcpu *t;
	uint64_t base;
};

/* Counters: written by the vCPU thread only, read by print_stats. */
struct tcg_stats {
	_Atomic uint64_t pio, mmio, sysreg, hypercalls, irqs, hlt_sleeps, runs, yields;
};

/* arm64: an MRS/MSR the hook did, completed at the UNDEF the engine raises for it. */
struct tcg_sysreg_undef {
	bool pending;
	uint64_t pc;	/* of the MRS/MSR (the insn hook's PC is exact: measured) */
	int rt;		/* uc_arm64_reg to receive the value (XZR: none, an MSR) */
	uint64_t value; /* MRS: what the register read */
};

struct tcg_vcpu {
	struct axvm_vcpu *vcpu;
	const struct tcg_arch *arch;
	uc_engine *uc;
	uc_mode mode;
	uc_hook hooks[6];
	unsigned nr_hooks;
	struct tcg_mmio_region *regions;
	unsigned nr_regions;

	_Atomic unsigned attn; /* TCG_ATTN_*, any thread sets, the vCPU thread clears */

	/* HLT sleep and the wait for a startup IPI */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sleeping;	      /* lock */
	bool waiting;	      /* lock: an AP before its start (startup IPI, PSCI CPU_ON) */
	uint64_t wakes;	      /* lock: tcg_wake calls, for hlt_sleep */
	bool start_pending;   /* lock: a start for the waiting vCPU: */
	uint8_t start_vector; /* lock: x86, the SIPI vector */
	uint64_t start_entry, start_context; /* lock: arm64, CPU_ON's entry and X0 */

	/* vCPU thread only */
	uint64_t prev_block_end; /* linear end of the block that ran before: the STI shadow */
	bool stopped_by_hook;	 /* uc_emu_stop from our own hook: not a HLT */
	bool yielded;		 /* ... to let another vCPU run: resume at the same block */
	uint64_t yield_pc;	 /* ... whose address this is */
	bool urgent;		 /* next turn: ask the running vCPU to yield at once */
	int exception;		 /* -1, or the vector UC_HOOK_INTR reported */
	uint64_t exception_pc;
	uint32_t cpuid1[4]; /* an AP's native CPUID leaf 1 (EAX..EDX), for cpuid_hook */
	bool cpuid1_valid;
	uint64_t arm64_sctlr_reset;	      /* arm64: SCTLR_EL1 as the engine came, for CPU_ON */
	bool power_off;			      /* arm64: PSCI CPU_OFF from a hook: wait for CPU_ON */
	struct tcg_sysreg_undef sysreg_undef; /* arm64, vCPU thread only */

	struct tcg_stats stats;
};

static inline void tcg_count(_Atomic uint64_t *c)
{
	/* one writer: a plain increment, no locked instruction on the hot path */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* The bits of an access of `size` bytes (1, 2, 4 or 8): an unmapped read's all-ones. */
static inline uint64_t tcg_size_mask(unsigned size)
{
	return size >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (size * 8)) - 1;
}

/* tcg_vm.c: "Unicorn 2.0" */
const char *tcg_engine_version(void);
/* The engine lock around uc_emu_start (no-ops for a single vCPU). */
void tcg_engine_lock(struct tcg_vcpu *t);
void tcg_engine_unlock(struct tcg_vcpu *t);

/* One hook of an engine: UC_HOOK_* type, callback, and for UC_HOOK_INSN the instruction. */
struct tcg_hook_spec {
	int type;
	void *callback;
	int insn; /* -1: not an instruction hook */
};

/* tcg_vcpu.c */
/* Adds hooks with t as their user data (into t->hooks); -1 with err naming the failing one. */
int tcg_add_hooks(struct tcg_vcpu *t, const struct tcg_hook_spec *specs, size_t n, char *err,
		  size_t err_len);
int tcg_vcpu_create(struct axvm_vcpu *vcpu, char *err, size_t err_len);
void tcg_vcpu_destroy(struct axvm_vcpu *vcpu);
int tcg_vcpu_set_state(struct axvm_vcpu *vcpu, const struct x86_boot_state *s, char *err,
		       size_t err_len);
int tcg_vcpu_set_state_arm64(struct axvm_vcpu *vcpu, const struct arm64_boot_state *s, char *err,
			     size_t err_len);
int tcg_vcpu_set_waiting(struct axvm_vcpu *vcpu, char *err, size_t err_len);
void tcg_vcpu_run(struct axvm_vcpu *vcpu, struct axvm_exit *exit);
void tcg_wake(struct tcg_vcpu *t);
/* arm64 PSCI CPU_OFF, on the vCPU's thread from its hypercall hook: parks it until CPU_ON. */
void tcg_arm64_power_off(struct tcg_vcpu *t);
/* A start request (any thread): x86's vector, arm64's entry and X0. false when one is pending
 * already, or (only_waiting) the vCPU is not waiting for one. */
bool tcg_request_start(struct tcg_vcpu *t, bool only_waiting, uint8_t vector, uint64_t entry,
		       uint64_t context);

/* tcg_arm64.c */
int tcg_arm64_load_state(struct tcg_vcpu *t, const struct arm64_boot_state *s, char *err,
			 size_t err_len);
/* The sysreg numbers the device set claims, into m->sysreg_claimed. */
void tcg_arm64_scan_sysregs(struct tcg_vm *m, struct ax_devices *devices);

/* tcg_x86.c */
uc_mode tcg_x86_mode(const struct x86_boot_state *s);
/* A fresh 32-bit engine into real mode (before memory is mapped): for APs. */
int tcg_x86_enter_real_mode(struct tcg_vcpu *t, char *err, size_t err_len);
int tcg_x86_load_state(struct tcg_vcpu *t, const struct x86_boot_state *s, char *err,
		       size_t err_len);
uint64_t tcg_x86_pc(struct tcg_vcpu *t);
bool tcg_x86_interrupts_enabled(struct tcg_vcpu *t);
/* At an instruction boundary: may an interrupt be taken before the instruction at `pc`
 * (linear), the block before having ended at prev_end (0: unknown)? */
bool tcg_x86_can_interrupt_at(struct tcg_vcpu *t, uint64_t pc, uint64_t prev_end);
/* Takes one interrupt if deliverable: 1 delivered, 0 nothing, -1 failed (stop requested). */
int tcg_x86_deliver(struct tcg_vcpu *t);
/* Stops the VM for an exception the guest raised, or an engine error. */
void tcg_x86_fail(struct tcg_vcpu *t, const char *what, int vector, uint64_t pc);
int tcg_x86_add_hooks(struct tcg_vcpu *t, char *err, size_t err_len);

#endif
