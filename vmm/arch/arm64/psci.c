/* SPDX-License-Identifier: Apache-2.0 */
/* PSCI 1.0 for the guest: vCPU power states and the calls' decisions (see psci.h). */
#include "arch/arm64/psci.h"

#include <stddef.h>

/* MPIDR_EL1 bit 31 is RES1; target_cpu arguments carry affinity fields only. */
#define MPIDR_RES1	 (1ull << 31)
#define MPIDR_AFF0_CPUS	 16u
#define MPIDR_VALID_BITS 0xff0full /* Aff0 0..15, Aff1 0..255, nothing else */

/* SMC calling convention: bit 30 of the function id marks the SMC64 variant. */
#define SMCCC_SMC64 (1u << 30)

int psci_init(struct psci *p, const struct psci_host *host, uint32_t nr_cpus)
{
	if (!p || !host || nr_cpus == 0 || nr_cpus > PSCI_MAX_CPUS)
		return -1;
	if (!host->valid_entry || !host->cpu_on || !host->cpu_off || !host->system_off ||
	    !host->system_reset)
		return -1;
	p->host = host;
	p->nr_cpus = nr_cpus;
	for (uint32_t i = 0; i < PSCI_MAX_CPUS; i++)
		atomic_init(&p->state[i], i == 0 ? PSCI_CPU_ON : PSCI_CPU_OFF);
	return 0;
}

uint64_t psci_mpidr(uint32_t cpu)
{
	return MPIDR_RES1 | (uint64_t)(cpu / MPIDR_AFF0_CPUS) << 8 | cpu % MPIDR_AFF0_CPUS;
}

/* target_cpu -> vCPU index, or -1 when it names no vCPU of ours. */
static int64_t target_index(const struct psci *p, uint64_t target)
{
	if (target & ~MPIDR_VALID_BITS)
		return -1;
	uint64_t cpu = (target >> 8 & 0xff) * MPIDR_AFF0_CPUS + (target & 0xf);
	return cpu < p->nr_cpus ? (int64_t)cpu : -1;
}

static uint64_t ret(int64_t code)
{
	/* Two's complement: -2 becomes 0xfffffffffffffffe, as X0 must hold it. */
	return (uint64_t)code;
}

static bool supported(uint32_t fid)
{
	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
		return true;
	default:
		/* CPU_SUSPEND (both ids) included: we do not implement it, so we do not
		 * advertise it; a guest then idles with WFI instead. */
		return false;
	}
}

static uint64_t cpu_on(struct psci *p, uint64_t target, uint64_t entry, uint64_t context_id)
{
	int64_t cpu = target_index(p, target);
	if (cpu < 0)
		return ret(PSCI_RET_INVALID_PARAMETERS);
	if (!p->host->valid_entry(p->host->ctx, entry))
		return ret(PSCI_RET_INVALID_ADDRESS);
	/* Only the caller whose exchange moves OFF -> ON_PENDING starts the vCPU;
	 * a loser learns from `expected` what it raced against. */
	uint8_t expected = PSCI_CPU_OFF;
	if (!atomic_compare_exchange_strong(&p->state[cpu], &expected, PSCI_CPU_ON_PENDING))
		return ret(expected == PSCI_CPU_ON ? PSCI_RET_ALREADY_ON : PSCI_RET_ON_PENDING);
	p->host->cpu_on(p->host->ctx, (uint32_t)cpu, entry, context_id);
	return ret(PSCI_RET_SUCCESS);
}

static bool another_alive(const struct psci *p, uint32_t self)
{
	for (uint32_t i = 0; i < p->nr_cpus; i++) {
		if (i == self)
			continue;
		/* An ON_PENDING vCPU is about to run, so the guest keeps a CPU. */
		if (atomic_load(&p->state[i]) != PSCI_CPU_OFF)
			return true;
	}
	return false;
}

static uint64_t cpu_off(struct psci *p, uint32_t caller)
{
	uint8_t expected = PSCI_CPU_ON;
	if (!atomic_compare_exchange_strong(&p->state[caller], &expected, PSCI_CPU_OFF))
		return ret(PSCI_RET_DENIED); /* the caller is not ON: a host bug */
	/*
	 * Mark OFF first, then look at the others (all seq_cst): of two vCPUs
	 * racing to turn off, at least one sees the other OFF and stays on, so
	 * the guest never ends with no vCPU. A lock would need a field psci.h
	 * does not have.
	 */
	if (!another_alive(p, caller)) {
		expected = PSCI_CPU_OFF;
		if (atomic_compare_exchange_strong(&p->state[caller], &expected, PSCI_CPU_ON))
			return ret(PSCI_RET_DENIED);
		/* A CPU_ON for us landed in between: it is pending, so park and
		 * let the host restart us at the new entry. */
	}
	p->host->cpu_off(p->host->ctx, caller);
	return ret(PSCI_RET_SUCCESS); /* not seen by the guest: it restarts at an entry */
}

static uint64_t affinity_info(const struct psci *p, uint64_t target, uint64_t level)
{
	int64_t cpu = target_index(p, target);
	if (level != 0 || cpu < 0)
		return ret(PSCI_RET_INVALID_PARAMETERS);
	return atomic_load(&p->state[cpu]);
}

uint64_t psci_call(struct psci *p, uint32_t caller, const uint64_t regs[4])
{
	uint32_t fid = (uint32_t)regs[0];
	uint64_t a1 = regs[1], a2 = regs[2], a3 = regs[3];

	if (caller >= p->nr_cpus)
		return ret(PSCI_RET_INTERNAL_FAILURE);
	/* SMC32 calls pass 32-bit arguments; the upper halves are not theirs. */
	if (!(fid & SMCCC_SMC64)) {
		a1 &= 0xffffffffu;
		a2 &= 0xffffffffu;
		a3 &= 0xffffffffu;
	}
	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
		return PSCI_VERSION_1_0;
	case PSCI_1_0_FN_PSCI_FEATURES:
		return ret(supported((uint32_t)a1) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED);
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		return cpu_on(p, a1, a2, a3);
	case PSCI_0_2_FN_CPU_OFF:
		return cpu_off(p, caller);
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		return affinity_info(p, a1, a2);
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		return 2; /* no trusted OS that would need migrating */
	case PSCI_0_2_FN_SYSTEM_OFF:
		p->host->system_off(p->host->ctx, caller, (uint8_t)(a1 & 0xff));
		return ret(PSCI_RET_SUCCESS);
	case PSCI_0_2_FN_SYSTEM_RESET:
		p->host->system_reset(p->host->ctx, caller);
		return ret(PSCI_RET_SUCCESS);
	default:
		return ret(PSCI_RET_NOT_SUPPORTED);
	}
}

void psci_cpu_started(struct psci *p, uint32_t cpu)
{
	if (cpu >= p->nr_cpus)
		return;
	uint8_t expected = PSCI_CPU_ON_PENDING;
	atomic_compare_exchange_strong(&p->state[cpu], &expected, PSCI_CPU_ON);
}

enum psci_cpu_state psci_cpu_state(const struct psci *p, uint32_t cpu)
{
	if (cpu >= p->nr_cpus)
		return PSCI_CPU_OFF;
	return (enum psci_cpu_state)atomic_load(&p->state[cpu]);
}
