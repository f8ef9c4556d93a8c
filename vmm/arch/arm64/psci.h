/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSCI 1.0 as a guest's firmware (Arm DEN 0022, SMC calling convention DEN
 * 0028): the calls a guest makes with HVC #0 or SMC #0, function id in W0,
 * arguments in X1..X3, result in X0. The accelerator traps the call and
 * hands it here; this module keeps every vCPU's power state and decides,
 * the host only carries the decision out (struct psci_host).
 *
 * Calls: PSCI_VERSION (1.0), PSCI_FEATURES, CPU_ON, CPU_OFF,
 * AFFINITY_INFO, SYSTEM_OFF, SYSTEM_RESET, MIGRATE_INFO_TYPE (2: no
 * trusted OS), in their SMC32 and (where one exists) SMC64 ids. Anything
 * else returns NOT_SUPPORTED (-1).
 *
 * vCPUs are named by MPIDR_EL1 affinity: vCPU i has Aff0 = i % 16 and
 * Aff1 = i / 16 (at most 16 per cluster, as GICv3 SGIs target), Aff2 =
 * Aff3 = 0; psci_mpidr(i) gives the MPIDR value the accelerator sets. The
 * device tree's cpu@ reg and a target_cpu are its affinity fields only
 * (psci_mpidr(i) & 0xff00ffffff: bit 31 clear, as Linux and KVM require).
 * A target_cpu with bits outside that layout, or of a vCPU that does not
 * exist, is INVALID_PARAMETERS (-2).
 *
 * States: vCPU 0 starts ON, the others OFF. CPU_ON of an OFF vCPU marks it
 * ON_PENDING and calls host->cpu_on (entry, context id); the host makes it
 * ON with psci_cpu_started() once it runs the entry. CPU_ON of an ON vCPU is
 * ALREADY_ON (-4), of an ON_PENDING one ON_PENDING (-5); an entry address
 * that is not guest RAM (host->valid_entry false) is INVALID_ADDRESS (-9).
 * CPU_OFF marks the caller OFF and calls host->cpu_off (it never returns to
 * the guest; the host parks the vCPU until a later CPU_ON); DENIED (-3) when
 * it is the last ON vCPU (an ON_PENDING one counts as ON: it is about to
 * run). AFFINITY_INFO(target, level 0) returns 0 ON,
 * 1 OFF, 2 ON_PENDING; a lowest_affinity_level other than 0 is
 * INVALID_PARAMETERS. SYSTEM_OFF calls host->system_off with X1's low byte
 * as the exit status (axvm's extension: PSCI ignores X1, so a guest that
 * passes 0, as Linux does, exits 0); SYSTEM_RESET calls host->system_reset.
 *
 * Thread-safe: any vCPU may call at any time (state is atomic; CPU_ON races
 * resolve to exactly one winner).
 */
#ifndef AXVM_ARCH_ARM64_PSCI_H
#define AXVM_ARCH_ARM64_PSCI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Function ids (DEN 0022 table 5). */
#define PSCI_0_2_FN_PSCI_VERSION      0x84000000u
#define PSCI_0_2_FN_CPU_SUSPEND	      0x84000001u
#define PSCI_0_2_FN_CPU_OFF	      0x84000002u
#define PSCI_0_2_FN_CPU_ON	      0x84000003u
#define PSCI_0_2_FN_AFFINITY_INFO     0x84000004u
#define PSCI_0_2_FN_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_0_2_FN_SYSTEM_OFF	      0x84000008u
#define PSCI_0_2_FN_SYSTEM_RESET      0x84000009u
#define PSCI_1_0_FN_PSCI_FEATURES     0x8400000au
#define PSCI_0_2_FN64_CPU_SUSPEND     0xc4000001u
#define PSCI_0_2_FN64_CPU_ON	      0xc4000003u
#define PSCI_0_2_FN64_AFFINITY_INFO   0xc4000004u

/* Return codes. */
#define PSCI_RET_SUCCESS	    0
#define PSCI_RET_NOT_SUPPORTED	    -1
#define PSCI_RET_INVALID_PARAMETERS -2
#define PSCI_RET_DENIED		    -3
#define PSCI_RET_ALREADY_ON	    -4
#define PSCI_RET_ON_PENDING	    -5
#define PSCI_RET_INTERNAL_FAILURE   -6
#define PSCI_RET_INVALID_ADDRESS    -9

#define PSCI_VERSION_1_0 0x00010000u

#define PSCI_MAX_CPUS 64

enum psci_cpu_state {
	PSCI_CPU_ON = 0,
	PSCI_CPU_OFF = 1,
	PSCI_CPU_ON_PENDING = 2,
};

/* What the host does for a decision; ctx is psci_host.ctx. Called on the caller's thread. */
struct psci_host {
	void *ctx;
	/* Is `addr` guest RAM a vCPU may start at? */
	bool (*valid_entry)(void *ctx, uint64_t addr);
	/* Start vCPU `cpu` at `entry` (EL1h, DAIF masked, MMU off, X0 = context_id). */
	void (*cpu_on)(void *ctx, uint32_t cpu, uint64_t entry, uint64_t context_id);
	/* Park the calling vCPU (it is OFF now) until a later cpu_on. Another vCPU's
	 * CPU_ON may call cpu_on for it before cpu_off is called: keep that start. */
	void (*cpu_off)(void *ctx, uint32_t cpu);
	void (*system_off)(void *ctx, uint32_t caller, uint8_t status);
	void (*system_reset)(void *ctx, uint32_t caller);
};

struct psci {
	const struct psci_host *host;
	uint32_t nr_cpus;
	_Atomic uint8_t state[PSCI_MAX_CPUS]; /* enum psci_cpu_state */
};

/* nr_cpus 1..PSCI_MAX_CPUS; vCPU 0 ON, the rest OFF. -1 for a bad nr_cpus or
 * a host missing any callback. */
int psci_init(struct psci *p, const struct psci_host *host, uint32_t nr_cpus);

/* The MPIDR_EL1 value of vCPU `cpu` (bit 31 RES1 set; U = 0, MT = 0). */
uint64_t psci_mpidr(uint32_t cpu);

/*
 * One call from vCPU `caller`: regs[0] = X0 (function id in its low 32
 * bits) .. regs[3] = X3. Returns the value for X0 (a PSCI_RET_* code
 * sign-extended to 64 bits, or the call's result). An SMC32 id (bit 30
 * clear) uses only the low 32 bits of X1..X3. A `caller` that is not a vCPU
 * is INTERNAL_FAILURE (a host bug).
 */
uint64_t psci_call(struct psci *p, uint32_t caller, const uint64_t regs[4]);

/* The host started vCPU `cpu` after cpu_on: ON_PENDING -> ON. */
void psci_cpu_started(struct psci *p, uint32_t cpu);

/* OFF for a `cpu` that does not exist. */
enum psci_cpu_state psci_cpu_state(const struct psci *p, uint32_t cpu);

#endif
