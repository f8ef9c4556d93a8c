/* SPDX-License-Identifier: Apache-2.0 */
#include "smp_checks.h"

#include "console.h"
#include "cpu.h"
#include "gic.h"
#include "platform.h"
#include "psci.h"
#include "tap.h"
#include "timer.h"
#include "wait.h"

#define SECONDARY	 1u
#define SGI_TO_SECONDARY 1u
#define SGI_TO_BOOT	 2u
#define SGI_STOP	 3u
#define SGI_ROUNDS	 3u
#define START_TIMEOUT_MS 5000u
#define SGI_TIMEOUT_MS	 2000u
#define OFF_TIMEOUT_MS	 5000u
#define MPIDR_AFF_MASK	 0xff00ffffffull
#define MPIDR_RES1	 (1ull << 31)

/* Written by the secondary, read by the boot CPU (and the reverse for stop). */
static volatile uint32_t secondary_alive;
static volatile uint32_t secondary_gic_ok;
static volatile uint64_t secondary_mpidr;
static volatile uint64_t secondary_context;
static volatile uint32_t secondary_stop;
/* What CPU_OFF returned, if it ever did (it must not). */
#define CPU_OFF_NOT_RETURNED 1
static volatile int64_t secondary_cpu_off_result = CPU_OFF_NOT_RETURNED;
static volatile uint32_t secondary_stopping;
static char secondary_gic_why[96];
/* SGIs received, counted with exclusives (both CPUs touch the lines). */
static volatile uint32_t sgis_at_secondary, sgis_at_boot;
static volatile uint32_t wrong_sgis;
static volatile uint32_t boot_sgi_source; /* GICv2 IAR CPUID of the last SGI_TO_BOOT */

static void count(volatile uint32_t *counter)
{
	__atomic_fetch_add(counter, 1u, __ATOMIC_SEQ_CST);
}

static void on_sgi(unsigned intid, unsigned source)
{
	if (cpu_index() == SECONDARY) {
		if (intid == SGI_TO_SECONDARY) {
			count(&sgis_at_secondary);
			gic_send_sgi(SGI_TO_BOOT, 0);
		} else if (intid == SGI_STOP) {
			secondary_stop = 1;
		} else {
			count(&wrong_sgis);
		}
	} else if (intid == SGI_TO_BOOT) {
		boot_sgi_source = source;
		count(&sgis_at_boot);
	} else {
		count(&wrong_sgis);
	}
}

void secondary_main(uint64_t context)
{
	secondary_mpidr = read_sysreg(mpidr_el1);
	secondary_context = context;
	secondary_gic_ok = gic_cpu_init(secondary_gic_why, sizeof(secondary_gic_why));
	gic_enable(SGI_TO_SECONDARY, false);
	gic_enable(SGI_STOP, false);
	__atomic_store_n(&secondary_alive, 1u, __ATOMIC_RELEASE);
	while (!secondary_stop) {
		wait_for_interrupt();
		irq_window();
	}
	gic_disable(SGI_TO_SECONDARY);
	gic_disable(SGI_STOP);
	secondary_stopping = 1;
	secondary_cpu_off_result = psci_call(PSCI_FN_CPU_OFF, 0, 0, 0);
	for (;;)
		wait_for_interrupt();
}

static int64_t affinity_info(uint64_t mpidr)
{
	return psci_call(PSCI_FN64_AFFINITY_INFO, mpidr, 0, 0);
}

static void psci_basics(void)
{
	int64_t r;

	r = psci_call(PSCI_FN_VERSION, 0, 0, 0);
	check(r == PSCI_VERSION_1_0, "PSCI_VERSION is 1.0 (0x10000)", "0x%llx",
	      (unsigned long long)r);
	r = psci_call(PSCI_FN_FEATURES, PSCI_FN64_CPU_ON, 0, 0);
	check(r == 0, "PSCI_FEATURES(CPU_ON) is 0 (supported)", "%lld", (long long)r);
	r = affinity_info(SECONDARY);
	check(r == PSCI_AFFINITY_OFF, "AFFINITY_INFO(MPIDR 1, level 0) is 1 (OFF) before CPU_ON",
	      "%lld", (long long)r);
}

static bool start_secondary(void)
{
	int64_t r;

	r = psci_call(PSCI_FN64_CPU_ON, SECONDARY, (uint64_t)(uintptr_t)secondary_entry, SECONDARY);
	if (!check(r == PSCI_SUCCESS, "CPU_ON(MPIDR 1, secondary_entry, context 1) is 0", "%lld",
		   (long long)r))
		return false;
	r = psci_call(PSCI_FN64_CPU_ON, SECONDARY, (uint64_t)(uintptr_t)secondary_entry, SECONDARY);
	check(r == PSCI_ALREADY_ON || r == PSCI_ON_PENDING,
	      "CPU_ON again is ALREADY_ON (-4) or ON_PENDING (-5)", "%lld", (long long)r);
	if (!check(wait_until(&secondary_alive, START_TIMEOUT_MS), "CPU 1 runs its C entry",
		   "no sign of life in %u ms, AFFINITY_INFO %lld", START_TIMEOUT_MS,
		   (long long)affinity_info(SECONDARY)))
		return false;
	check((secondary_mpidr & MPIDR_AFF_MASK) == SECONDARY && (secondary_mpidr & MPIDR_RES1),
	      "CPU 1 reads MPIDR_EL1 Aff0 = 1 (RES1 bit 31 set)", "MPIDR 0x%llx",
	      (unsigned long long)secondary_mpidr);
	check(secondary_context == SECONDARY, "CPU 1 got context id 1 in X0", "0x%llx",
	      (unsigned long long)secondary_context);
	check(affinity_info(SECONDARY) == PSCI_AFFINITY_ON, "AFFINITY_INFO(MPIDR 1) is 0 (ON)",
	      "%lld", (long long)affinity_info(SECONDARY));
	return check(secondary_gic_ok, "CPU 1 initialised its GIC CPU interface", "%s",
		     secondary_gic_why);
}

static void sgis_both_ways(void)
{
	bool ok = true;

	for (uint32_t i = 1; i <= SGI_ROUNDS && ok; i++) {
		gic_send_sgi(SGI_TO_SECONDARY, SECONDARY);
		ok = wait_for_count(&sgis_at_boot, i, SGI_TIMEOUT_MS);
	}
	check(ok && sgis_at_secondary == SGI_ROUNDS && sgis_at_boot == SGI_ROUNDS,
	      "3 SGIs to CPU 1 (INTID 1), each answered with an SGI to CPU 0 (INTID 2)",
	      "CPU 1 counted %u, CPU 0 counted %u", sgis_at_secondary, sgis_at_boot);
	if (gic_version() == 2)
		check(boot_sgi_source == SECONDARY, "GICC_IAR names CPU 1 as the SGI's source",
		      "CPUID %u", boot_sgi_source);
	check(wrong_sgis == 0, "no other SGI arrived", "%u", wrong_sgis);
}

static void stop_secondary(void)
{
	uint64_t deadline = timer_deadline_ms(OFF_TIMEOUT_MS);
	int64_t r;

	gic_send_sgi(SGI_STOP, SECONDARY);
	while ((r = affinity_info(SECONDARY)) != PSCI_AFFINITY_OFF && !timer_expired(deadline))
		timer_delay_ms(1);
	check(secondary_stopping, "CPU 1 took the stop SGI and called CPU_OFF", "it did not");
	check(secondary_cpu_off_result == CPU_OFF_NOT_RETURNED, "CPU_OFF did not return",
	      "it returned %lld", (long long)secondary_cpu_off_result);
	check(r == PSCI_AFFINITY_OFF, "after CPU 1's CPU_OFF, AFFINITY_INFO(MPIDR 1) is 1 again",
	      "%lld", (long long)r);
}

void smp_checks_run(void)
{
	tap_section("SMP: PSCI CPU_ON / CPU_OFF, SGIs both ways");
	check((read_sysreg(mpidr_el1) & MPIDR_AFF_MASK) == 0, "CPU 0 reads MPIDR_EL1 Aff0 = 0",
	      "MPIDR 0x%llx", (unsigned long long)read_sysreg(mpidr_el1));
	psci_basics();
	irq_set_handler(SGI_TO_SECONDARY, on_sgi);
	irq_set_handler(SGI_TO_BOOT, on_sgi);
	irq_set_handler(SGI_STOP, on_sgi);
	gic_enable(SGI_TO_BOOT, false);
	if (start_secondary())
		sgis_both_ways();
	stop_secondary();
	gic_disable(SGI_TO_BOOT);
}
