/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/arch/arm64/psci.c: the guest's PSCI 1.0 calls, their states and every error code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "arch/arm64/psci.h"

#define RAM_BASE 0x40000000ull
#define RAM_END	 0x80000000ull

/* Sign-extended return codes as X0 holds them. */
#define R_NOT_SUPPORTED	     0xffffffffffffffffull
#define R_INVALID_PARAMETERS 0xfffffffffffffffeull
#define R_DENIED	     0xfffffffffffffffdull
#define R_ALREADY_ON	     0xfffffffffffffffcull
#define R_ON_PENDING	     0xfffffffffffffffbull
#define R_INTERNAL_FAILURE   0xfffffffffffffffaull
#define R_INVALID_ADDRESS    0xfffffffffffffff7ull

/* target_cpu of vCPU i: the MPIDR's affinity fields */
#define TARGET(i) (psci_mpidr(i) & 0xff00ffffffull)

struct fake_host {
	atomic_uint cpu_on_calls;
	uint32_t on_cpu;
	uint64_t on_entry, on_context;
	unsigned cpu_off_calls;
	uint32_t off_cpu;
	unsigned system_off_calls;
	uint32_t off_caller;
	uint8_t off_status;
	unsigned reset_calls;
	uint32_t reset_caller;
	_Atomic uint64_t last_checked; /* written by both racers */
};

static struct fake_host fh;

static bool valid_entry(void *ctx, uint64_t addr)
{
	struct fake_host *h = ctx;
	atomic_store(&h->last_checked, addr);
	return addr >= RAM_BASE && addr < RAM_END;
}

static void cpu_on(void *ctx, uint32_t cpu, uint64_t entry, uint64_t context_id)
{
	struct fake_host *h = ctx;
	/* the threaded test reads only the count */
	atomic_fetch_add(&h->cpu_on_calls, 1);
	h->on_cpu = cpu;
	h->on_entry = entry;
	h->on_context = context_id;
}

static void cpu_off(void *ctx, uint32_t cpu)
{
	struct fake_host *h = ctx;
	h->cpu_off_calls++;
	h->off_cpu = cpu;
}

static void system_off(void *ctx, uint32_t caller, uint8_t status)
{
	struct fake_host *h = ctx;
	h->system_off_calls++;
	h->off_caller = caller;
	h->off_status = status;
}

static void system_reset(void *ctx, uint32_t caller)
{
	struct fake_host *h = ctx;
	h->reset_calls++;
	h->reset_caller = caller;
}

static const struct psci_host host = {
	.ctx = &fh,
	.valid_entry = valid_entry,
	.cpu_on = cpu_on,
	.cpu_off = cpu_off,
	.system_off = system_off,
	.system_reset = system_reset,
};

static struct psci p;

static uint64_t call(uint32_t caller, uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3)
{
	const uint64_t regs[4] = { x0, x1, x2, x3 };
	return psci_call(&p, caller, regs);
}

static int setup4(void **state)
{
	(void)state;
	memset(&fh, 0, sizeof(fh));
	return psci_init(&p, &host, 4);
}

static void test_mpidr(void **state)
{
	(void)state;
	assert_int_equal(psci_mpidr(0), 0x80000000u);
	assert_int_equal(psci_mpidr(1), 0x80000001u);
	assert_int_equal(psci_mpidr(15), 0x8000000fu);
	assert_int_equal(psci_mpidr(16), 0x80000100u);
	assert_int_equal(psci_mpidr(17), 0x80000101u);
	assert_int_equal(psci_mpidr(63), 0x8000030fu);
}

static void test_init(void **state)
{
	(void)state;
	struct psci q;
	assert_int_equal(psci_init(&q, &host, 0), -1);
	assert_int_equal(psci_init(&q, &host, PSCI_MAX_CPUS + 1), -1);
	assert_int_equal(psci_init(&q, NULL, 2), -1);
	struct psci_host partial = host;
	partial.system_reset = NULL;
	assert_int_equal(psci_init(&q, &partial, 2), -1);
	partial = host;
	partial.valid_entry = NULL;
	assert_int_equal(psci_init(&q, &partial, 2), -1);

	assert_int_equal(psci_init(&q, &host, 1), 0);
	assert_int_equal(psci_cpu_state(&q, 0), PSCI_CPU_ON);
	assert_int_equal(psci_init(&q, &host, PSCI_MAX_CPUS), 0);
	assert_int_equal(q.nr_cpus, PSCI_MAX_CPUS);
	assert_int_equal(psci_cpu_state(&q, 0), PSCI_CPU_ON);
	for (uint32_t i = 1; i < PSCI_MAX_CPUS; i++)
		assert_int_equal(psci_cpu_state(&q, i), PSCI_CPU_OFF);
	/* beyond nr_cpus: OFF */
	assert_int_equal(psci_init(&q, &host, 2), 0);
	assert_int_equal(psci_cpu_state(&q, 2), PSCI_CPU_OFF);
}

static void test_version_and_migrate_info(void **state)
{
	(void)state;
	assert_int_equal(call(0, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), 0x10000);
	/* the function id is W0: X0's upper half is ignored */
	assert_int_equal(call(0, 0xdeadbeef00000000ull | PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0),
			 0x10000);
	assert_int_equal(call(0, PSCI_0_2_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
}

static void test_features(void **state)
{
	(void)state;
	static const uint32_t yes[] = {
		PSCI_0_2_FN_PSCI_VERSION,
		PSCI_0_2_FN_CPU_OFF,
		PSCI_0_2_FN_CPU_ON,
		PSCI_0_2_FN64_CPU_ON,
		PSCI_0_2_FN_AFFINITY_INFO,
		PSCI_0_2_FN64_AFFINITY_INFO,
		PSCI_0_2_FN_MIGRATE_INFO_TYPE,
		PSCI_0_2_FN_SYSTEM_OFF,
		PSCI_0_2_FN_SYSTEM_RESET,
		PSCI_1_0_FN_PSCI_FEATURES,
	};
	static const uint32_t no[] = {
		PSCI_0_2_FN_CPU_SUSPEND,
		PSCI_0_2_FN64_CPU_SUSPEND,
		0x84000005u, /* MIGRATE */
		0x8400000eu, /* SYSTEM_SUSPEND */
		0xc400000au, /* no SMC64 PSCI_FEATURES */
		0x80000000u, /* SMCCC_VERSION: not a PSCI call */
		0,
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(call(0, PSCI_1_0_FN_PSCI_FEATURES, yes[i], 0, 0), 0);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(call(0, PSCI_1_0_FN_PSCI_FEATURES, no[i], 0, 0), R_NOT_SUPPORTED);
	/* PSCI_FEATURES is SMC32: only W1 counts */
	assert_int_equal(
		call(0, PSCI_1_0_FN_PSCI_FEATURES, 0xffffffff00000000ull | 0x84000003u, 0, 0), 0);
}

static void test_unknown_function_ids(void **state)
{
	(void)state;
	static const uint32_t ids[] = {
		PSCI_0_2_FN_CPU_SUSPEND,
		PSCI_0_2_FN64_CPU_SUSPEND,
		0x84000005u,
		0x84000007u,
		0x8400000eu,
		0xc4000002u,
		0xc400000au,
		0x80000000u,
		0,
		0xffffffffu,
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(call(0, ids[i], 0, 0, 0), R_NOT_SUPPORTED);
	assert_int_equal(fh.cpu_on_calls + fh.cpu_off_calls + fh.system_off_calls + fh.reset_calls,
			 0);
}

static void test_cpu_on_and_affinity_info(void **state)
{
	(void)state;
	assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, TARGET(2), 0, 0), 1);
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(2), 0x40080000, 0x1234567890ull), 0);
	assert_int_equal(fh.cpu_on_calls, 1);
	assert_int_equal(fh.on_cpu, 2);
	assert_int_equal(fh.on_entry, 0x40080000);
	assert_int_equal(fh.on_context, 0x1234567890ull);
	assert_int_equal(psci_cpu_state(&p, 2), PSCI_CPU_ON_PENDING);
	assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, TARGET(2), 0, 0), 2);
	assert_int_equal(call(0, PSCI_0_2_FN_AFFINITY_INFO, TARGET(2), 0, 0), 2);

	/* a second CPU_ON while it is pending, then once it runs */
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(2), 0x40080000, 0), R_ON_PENDING);
	psci_cpu_started(&p, 2);
	assert_int_equal(psci_cpu_state(&p, 2), PSCI_CPU_ON);
	assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, TARGET(2), 0, 0), 0);
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(2), 0x40080000, 0), R_ALREADY_ON);
	assert_int_equal(call(2, PSCI_0_2_FN_CPU_ON, TARGET(0), 0x40080000, 0), R_ALREADY_ON);
	assert_int_equal(fh.cpu_on_calls, 1);

	/* psci_cpu_started of a vCPU that is not pending changes nothing */
	psci_cpu_started(&p, 3);
	assert_int_equal(psci_cpu_state(&p, 3), PSCI_CPU_OFF);
	psci_cpu_started(&p, 99);

	/* the booted vCPU starts another */
	assert_int_equal(call(2, PSCI_0_2_FN_CPU_ON, TARGET(3), 0x40000000, 7), 0);
	assert_int_equal(fh.on_cpu, 3);
	assert_int_equal(fh.on_context, 7);
}

static void test_cpu_on_invalid_parameters(void **state)
{
	(void)state;
	static const uint64_t bad[] = {
		4,		       /* no vCPU 4 */
		0x100,		       /* Aff1 1 = vCPU 16 */
		0x10,		       /* Aff0 16: beyond 16 per cluster */
		0x80000001ull,	       /* bit 31 is not an affinity field */
		0x10001ull,	       /* Aff2 */
		0x100000001ull,	       /* Aff3 */
		0x1000000000000001ull, /* above Aff3 */
		0x40000001ull,	       /* U */
		0x1000001ull,	       /* MT */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, bad[i], 0x40080000, 0),
				 R_INVALID_PARAMETERS);
		assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, bad[i], 0, 0),
				 R_INVALID_PARAMETERS);
	}
	/* the parameters are checked before the address */
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, 5, 0x1000, 0), R_INVALID_PARAMETERS);
	assert_int_equal(fh.cpu_on_calls, 0);
	for (uint32_t i = 1; i < 4; i++)
		assert_int_equal(psci_cpu_state(&p, i), PSCI_CPU_OFF);
}

static void test_cpu_on_cluster_one(void **state)
{
	(void)state;
	struct psci q;
	assert_int_equal(psci_init(&q, &host, 18), 0);
	const uint64_t regs[4] = { PSCI_0_2_FN64_CPU_ON, 0x101, 0x40080000, 0 };
	assert_int_equal(psci_call(&q, 0, regs), 0);
	assert_int_equal(fh.on_cpu, 17);
	assert_int_equal(psci_cpu_state(&q, 17), PSCI_CPU_ON_PENDING);
	/* Aff1 2 = vCPU 32: there are only 18 */
	const uint64_t regs2[4] = { PSCI_0_2_FN64_CPU_ON, 0x200, 0x40080000, 0 };
	assert_int_equal(psci_call(&q, 0, regs2), R_INVALID_PARAMETERS);
}

static void test_cpu_on_invalid_address(void **state)
{
	(void)state;
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(1), 0x1000, 0), R_INVALID_ADDRESS);
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(1), RAM_END, 0), R_INVALID_ADDRESS);
	assert_int_equal(fh.cpu_on_calls, 0);
	assert_int_equal(psci_cpu_state(&p, 1), PSCI_CPU_OFF);
	/* the address is checked before the state: an ON vCPU with a bad entry */
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(0), 0x1000, 0), R_INVALID_ADDRESS);
}

static void test_smc32_truncates_arguments(void **state)
{
	(void)state;
	/* SMC32 CPU_ON: X2's upper half would make the entry not RAM, X3's a larger id */
	assert_int_equal(call(0, PSCI_0_2_FN_CPU_ON, 0xffffffff00000000ull | TARGET(1),
			      0xdead000040080000ull, 0xbeef000000000042ull),
			 0);
	assert_int_equal(fh.last_checked, 0x40080000);
	assert_int_equal(fh.on_cpu, 1);
	assert_int_equal(fh.on_entry, 0x40080000);
	assert_int_equal(fh.on_context, 0x42);
	/* SMC64 keeps them: the same upper half makes the target invalid */
	assert_int_equal(
		call(0, PSCI_0_2_FN64_CPU_ON, 0xffffffff00000000ull | TARGET(2), 0x40080000, 0),
		R_INVALID_PARAMETERS);
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(2), 0x1000000040080000ull, 0),
			 R_INVALID_ADDRESS);
	assert_int_equal(fh.last_checked, 0x1000000040080000ull);
	/* AFFINITY_INFO SMC32: the level's upper half does not count either */
	assert_int_equal(call(0, PSCI_0_2_FN_AFFINITY_INFO, 0xffffffff00000000ull | TARGET(1),
			      0x100000000ull, 0),
			 2);
	assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, TARGET(1), 0x100000000ull, 0),
			 R_INVALID_PARAMETERS);
}

static void test_affinity_info_level(void **state)
{
	(void)state;
	for (uint64_t level = 1; level <= 3; level++) {
		assert_int_equal(call(0, PSCI_0_2_FN64_AFFINITY_INFO, TARGET(0), level, 0),
				 R_INVALID_PARAMETERS);
		assert_int_equal(call(0, PSCI_0_2_FN_AFFINITY_INFO, TARGET(0), level, 0),
				 R_INVALID_PARAMETERS);
	}
	assert_int_equal(call(0, PSCI_0_2_FN_AFFINITY_INFO, TARGET(0), 0, 0), 0);
	assert_int_equal(call(0, PSCI_0_2_FN_AFFINITY_INFO, TARGET(3), 0, 0), 1);
}

static void test_cpu_off(void **state)
{
	(void)state;
	/* the only ON vCPU */
	assert_int_equal(call(0, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), R_DENIED);
	assert_int_equal(psci_cpu_state(&p, 0), PSCI_CPU_ON);
	assert_int_equal(fh.cpu_off_calls, 0);

	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(1), 0x40080000, 0), 0);
	psci_cpu_started(&p, 1);
	assert_int_equal(call(0, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), 0);
	assert_int_equal(fh.cpu_off_calls, 1);
	assert_int_equal(fh.off_cpu, 0);
	assert_int_equal(psci_cpu_state(&p, 0), PSCI_CPU_OFF);
	assert_int_equal(call(1, PSCI_0_2_FN_AFFINITY_INFO, TARGET(0), 0, 0), 1);
	/* now vCPU 1 is the last */
	assert_int_equal(call(1, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), R_DENIED);
	assert_int_equal(psci_cpu_state(&p, 1), PSCI_CPU_ON);
	assert_int_equal(fh.cpu_off_calls, 1);

	/* vCPU 1 brings vCPU 0 back at a new entry; a pending vCPU keeps the guest alive */
	assert_int_equal(call(1, PSCI_0_2_FN64_CPU_ON, TARGET(0), 0x40100000, 9), 0);
	assert_int_equal(fh.on_cpu, 0);
	assert_int_equal(call(1, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), 0);
	assert_int_equal(fh.cpu_off_calls, 2);
	assert_int_equal(fh.off_cpu, 1);
	psci_cpu_started(&p, 0);
	assert_int_equal(psci_cpu_state(&p, 0), PSCI_CPU_ON);

	/* a caller that is not ON (a host bug) is denied, and one that is no vCPU fails */
	assert_int_equal(call(2, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), R_DENIED);
	assert_int_equal(psci_cpu_state(&p, 2), PSCI_CPU_OFF);
	assert_int_equal(call(4, PSCI_0_2_FN_CPU_OFF, 0, 0, 0), R_INTERNAL_FAILURE);
	assert_int_equal(call(4, PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0), R_INTERNAL_FAILURE);
	assert_int_equal(fh.cpu_off_calls, 2);
}

static void test_system_off_and_reset(void **state)
{
	(void)state;
	assert_int_equal(call(0, PSCI_0_2_FN64_CPU_ON, TARGET(3), 0x40080000, 0), 0);
	psci_cpu_started(&p, 3);
	assert_int_equal(call(3, PSCI_0_2_FN_SYSTEM_OFF, 0x1234, 0, 0), 0);
	assert_int_equal(fh.system_off_calls, 1);
	assert_int_equal(fh.off_caller, 3);
	assert_int_equal(fh.off_status, 0x34);
	/* Linux passes whatever X1 holds: 0 */
	assert_int_equal(call(0, PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0), 0);
	assert_int_equal(fh.off_status, 0);
	assert_int_equal(fh.off_caller, 0);
	assert_int_equal(call(0, PSCI_0_2_FN_SYSTEM_OFF, 0xffffffff000000ffull, 0, 0), 0);
	assert_int_equal(fh.off_status, 0xff);
	assert_int_equal(fh.system_off_calls, 3);

	assert_int_equal(call(3, PSCI_0_2_FN_SYSTEM_RESET, 0x55, 0, 0), 0);
	assert_int_equal(fh.reset_calls, 1);
	assert_int_equal(fh.reset_caller, 3);
	assert_int_equal(fh.system_off_calls, 3);
}

/* Two vCPUs CPU_ON the same vCPU at once, round after round. */
#define ROUNDS 2000

static pthread_barrier_t barrier;
static uint64_t results[2][ROUNDS];
static uint64_t off_results[ROUNDS];

static void *racer(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	uint32_t caller = id == 0 ? 0 : 2;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&barrier);
		const uint64_t regs[4] = { PSCI_0_2_FN64_CPU_ON, TARGET(1), 0x40080000, r };
		results[id][r] = psci_call(&p, caller, regs);
		pthread_barrier_wait(&barrier);
		if (id == 0) {
			/* vCPU 1 runs, then turns itself off for the next round */
			psci_cpu_started(&p, 1);
			const uint64_t off[4] = { PSCI_0_2_FN_CPU_OFF, 0, 0, 0 };
			off_results[r] = psci_call(&p, 1, off);
		}
	}
	return NULL;
}

static void test_cpu_on_race(void **state)
{
	(void)state;
	const uint64_t on2[4] = { PSCI_0_2_FN64_CPU_ON, TARGET(2), 0x40080000, 0 };
	assert_int_equal(psci_call(&p, 0, on2), 0);
	psci_cpu_started(&p, 2);
	atomic_store(&fh.cpu_on_calls, 0);

	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	pthread_t t[2];
	for (uintptr_t i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, (void *)i), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&barrier);

	unsigned wins[2] = { 0, 0 };
	for (int r = 0; r < ROUNDS; r++) {
		/* vCPU 1 turned off each round, vCPU 0 and 2 being ON */
		assert_int_equal(off_results[r], 0);
		uint64_t a = results[0][r], b = results[1][r];
		/* exactly one winner; the loser saw it pending (started only after the round) */
		if (a == 0) {
			assert_int_equal(b, R_ON_PENDING);
			wins[0]++;
		} else {
			assert_int_equal(b, 0);
			assert_int_equal(a, R_ON_PENDING);
			wins[1]++;
		}
	}
	assert_int_equal(wins[0] + wins[1], ROUNDS);
	assert_int_equal(atomic_load(&fh.cpu_on_calls), ROUNDS);
	assert_int_equal(psci_cpu_state(&p, 1), PSCI_CPU_OFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpidr),
		cmocka_unit_test_setup(test_init, setup4),
		cmocka_unit_test_setup(test_version_and_migrate_info, setup4),
		cmocka_unit_test_setup(test_features, setup4),
		cmocka_unit_test_setup(test_unknown_function_ids, setup4),
		cmocka_unit_test_setup(test_cpu_on_and_affinity_info, setup4),
		cmocka_unit_test_setup(test_cpu_on_invalid_parameters, setup4),
		cmocka_unit_test_setup(test_cpu_on_cluster_one, setup4),
		cmocka_unit_test_setup(test_cpu_on_invalid_address, setup4),
		cmocka_unit_test_setup(test_smc32_truncates_arguments, setup4),
		cmocka_unit_test_setup(test_affinity_info_level, setup4),
		cmocka_unit_test_setup(test_cpu_off, setup4),
		cmocka_unit_test_setup(test_system_off_and_reset, setup4),
		cmocka_unit_test_setup(test_cpu_on_race, setup4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
