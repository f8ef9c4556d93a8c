/* SPDX-License-Identifier: Apache-2.0 */
#include "clock.h"

#include "cpu.h"
#include "div64.h"
#include "lapic.h"

/* The APIC timer's input clock under KVM and QEMU: 1 GHz, so 10^7 ticks = 10 ms. */
#define CALIBRATION_APIC_TICKS 10000000u
#define CALIBRATION_MS	       10u
#define CALIBRATION_WINDOWS    5u
#define CALIBRATION_MAX_POLLS  50000000u
#define FALLBACK_TSC_KHZ       3000000u
#define MIN_PLAUSIBLE_TSC_KHZ  100000u	 /* 100 MHz */
#define MAX_PLAUSIBLE_TSC_KHZ  20000000u /* 20 GHz */

static uint32_t tsc_khz = FALLBACK_TSC_KHZ;

/* TSC cycles in one CALIBRATION_MS window of the APIC timer, or 0 if it did not count down. */
static uint64_t measure_window(void)
{
	uint64_t start, cycles;
	uint32_t polls = 0;

	/* The TSC is read before the count is loaded, so that anything delaying
	 * the guest between the two (a slow MMIO write, a descheduled vCPU, a
	 * software CPU translating code) lengthens the window, never shortens it. */
	lapic_timer_prepare_masked_oneshot();
	start = rdtsc();
	lapic_timer_load(CALIBRATION_APIC_TICKS);
	while (lapic_timer_current() != 0 && polls < CALIBRATION_MAX_POLLS)
		polls++;
	cycles = rdtsc() - start;
	lapic_timer_stop();
	return polls >= CALIBRATION_MAX_POLLS ? 0 : cycles;
}

bool clock_init(void)
{
	uint64_t best = 0;
	uint64_t khz;

	/* A window can only come out too long (the vCPU was descheduled, or an
	 * emulated APIC read was slow), never too short: keep the shortest. */
	for (unsigned i = 0; i < CALIBRATION_WINDOWS; i++) {
		uint64_t cycles = measure_window();

		if (cycles == 0)
			return false;
		if (best == 0 || cycles < best)
			best = cycles;
	}
	khz = div64_u32(best, CALIBRATION_MS, NULL);
	if (khz < MIN_PLAUSIBLE_TSC_KHZ || khz > MAX_PLAUSIBLE_TSC_KHZ)
		return false;
	tsc_khz = (uint32_t)khz;
	return true;
}

uint32_t clock_tsc_khz(void)
{
	return tsc_khz;
}

uint64_t clock_deadline_ms(uint32_t ms)
{
	return rdtsc() + (uint64_t)tsc_khz * ms;
}

bool clock_expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

uint64_t clock_cycles_to_ns(uint64_t cycles)
{
	/* ns = cycles * 10^6 / khz; split to keep the product within 64 bits. */
	uint32_t rem;
	uint64_t whole = div64_u32(cycles, tsc_khz, &rem);

	return whole * 1000000u + div64_u32((uint64_t)rem * 1000000u, tsc_khz, NULL);
}
