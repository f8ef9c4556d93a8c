/* SPDX-License-Identifier: Apache-2.0 */
#include "lapic.h"

#include "cpu.h"

#define LAPIC_VERSION_MASK 0xff

uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(LAPIC_BASE + reg, value);
}

bool lapic_enable(uint8_t spurious_vector)
{
	uint32_t version = lapic_read(LAPIC_REG_VERSION) & LAPIC_VERSION_MASK;

	/* Integrated APICs report 0x1X; all-ones or zero means nothing answered. */
	if (version == 0 || version == LAPIC_VERSION_MASK)
		return false;
	lapic_write(LAPIC_REG_TPR, 0);
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_ERROR, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_SVR, LAPIC_SVR_ENABLE | spurious_vector);
	return (lapic_read(LAPIC_REG_SVR) & LAPIC_SVR_ENABLE) != 0;
}

uint8_t lapic_id(void)
{
	return (uint8_t)(lapic_read(LAPIC_REG_ID) >> 24);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_REG_EOI, 0);
}

void lapic_timer_prepare_masked_oneshot(void)
{
	lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_1);
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
}

void lapic_timer_load(uint32_t count)
{
	lapic_write(LAPIC_REG_TIMER_INITIAL, count);
}

void lapic_timer_start_periodic(uint8_t vector, uint32_t count)
{
	lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_1);
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_TIMER_PERIODIC | vector);
	lapic_write(LAPIC_REG_TIMER_INITIAL, count);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
	lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_REG_TIMER_CURRENT);
}
