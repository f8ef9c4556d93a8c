/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile mode, interrupt controllers: with interrupts off, every register
 * of the I/O APIC (IOREGSEL, then each index through IOWIN), the local APIC
 * (every 16-byte slot of its page) and the 8259 pair (both command and data
 * ports, the ELCR) is written with pseudo-random values. Whatever that left
 * pending is taken and counted, the controllers are reprogrammed, and they
 * must still work: the VMM kept running, read-only registers kept their
 * values, a self-IPI arrives, an I/O APIC entry reads back what was written.
 *
 * Not quite "any value", for the guest's own sake, not the VMM's: delivery
 * modes are forced to fixed (an INIT, SMI or NMI aimed at this CPU by a
 * random ICR, LVT or redirection entry would reset or divert the guest
 * itself, on KVM's irqchip as on ours), and vectors 16..31 are moved up by
 * 32 (an external interrupt on a vector whose exception pushes an error code
 * would unbalance the guest's stack frame). Vectors 0..15 stay: an APIC must
 * refuse them.
 */
#include "irqchip_hostile.h"

#include "clock.h"
#include "console.h"
#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "tap.h"

#define WRITES_PER_REGISTER 8u
#define LAPIC_PAGE_SLOTS    64u /* 0x000..0x3f0 */
#define IOAPIC_INDEXES	    0x40u
#define DRAIN_MS	    20u

#define LAPIC_REG_ICR_LOW  0x300u
#define LAPIC_REG_ICR_HIGH 0x310u
#define LAPIC_REG_LVT_CMCI 0x2f0u
#define LAPIC_ICR_SELF	   (1u << 18) /* destination shorthand: self */
#define DELIVERY_MODE_MASK (7u << 8)
#define VECTOR_SELF_TEST   0x61u

static uint32_t rng_state = 0x2545f491u;
static interrupt_handler saved_handlers[256];
static volatile uint32_t drained;
static volatile bool self_test_seen;

static uint32_t next_random(void)
{
	/* xorshift32: deterministic, so a failing run can be replayed */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* A value for an entry that carries a vector and a delivery mode (ICR, LVT, redirection). */
static uint32_t tame(uint32_t v)
{
	uint32_t vector = v & 0xffu;

	if (vector >= 16 && vector < 32)
		vector += 32;
	return (v & ~(DELIVERY_MODE_MASK | 0xffu)) | vector;
}

static bool lapic_carries_delivery(uint32_t reg)
{
	return reg == LAPIC_REG_ICR_LOW || reg == LAPIC_REG_LVT_CMCI ||
	       (reg >= LAPIC_REG_LVT_TIMER && reg <= LAPIC_REG_LVT_ERROR);
}

static void on_drain(struct interrupt_frame *frame)
{
	(void)frame;
	drained++;
	lapic_eoi();
}

static void on_self_test(struct interrupt_frame *frame)
{
	(void)frame;
	self_test_seen = true;
	lapic_eoi();
}

static void storm_ioapic(void)
{
	for (uint32_t index = 0; index < IOAPIC_INDEXES; index++)
		for (unsigned i = 0; i < WRITES_PER_REGISTER; i++) {
			uint32_t v = next_random();

			/* low dwords of redirection entries carry vector and delivery mode */
			if (index >= 0x10 && (index & 1) == 0)
				v = tame(v);
			ioapic_write(index, v);
			(void)ioapic_read(index);
		}
	/* IOREGSEL itself, with values no register has */
	for (unsigned i = 0; i < WRITES_PER_REGISTER; i++) {
		mmio_write32(IOAPIC_BASE, next_random());
		(void)mmio_read32(IOAPIC_BASE + 0x10);
	}
}

static void storm_lapic(void)
{
	for (uint32_t slot = 0; slot < LAPIC_PAGE_SLOTS; slot++) {
		uint32_t reg = slot * 0x10u;

		for (unsigned i = 0; i < WRITES_PER_REGISTER; i++) {
			uint32_t v = next_random();

			lapic_write(reg, lapic_carries_delivery(reg) ? tame(v) : v);
			(void)lapic_read(reg);
		}
	}
}

static void storm_pic(void)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };

	for (unsigned p = 0; p < sizeof(ports) / sizeof(ports[0]); p++)
		for (unsigned i = 0; i < WRITES_PER_REGISTER; i++) {
			outb(ports[p], (uint8_t)next_random());
			(void)inb(ports[p]);
		}
}

/* Back to the state main() set up: PICs remapped and masked, I/O APIC masked, APIC on. */
static void reprogram(unsigned entries)
{
	pic_remap_and_mask(VECTOR_PIC_BASE);
	outb(0x4d0, 0);
	outb(0x4d1, 0);
	for (unsigned gsi = 0; gsi < entries; gsi++)
		ioapic_mask(gsi);
	lapic_timer_stop();
	lapic_write(LAPIC_REG_LVT_LINT0, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_LINT1, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_LVT_CMCI, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_REG_ICR_HIGH, 0);
	(void)lapic_enable(VECTOR_LAPIC_SPURIOUS);
}

void irqchip_hostile_run(void)
{
	uint32_t version = lapic_read(LAPIC_REG_VERSION);
	uint32_t io_version = ioapic_read(0x01);
	unsigned entries = ioapic_redirection_entries();
	uint32_t unexpected = interrupts_unexpected;
	uint64_t deadline;

	tap_section("hostile mode: interrupt controllers");
	for (unsigned v = 32; v < 256; v++) {
		saved_handlers[v] = interrupt_handler_of((uint8_t)v);
		interrupt_set_handler((uint8_t)v, on_drain);
	}
	interrupts_disable();
	storm_ioapic();
	storm_lapic();
	storm_pic();
	reprogram(entries);
	/* take whatever the storm left pending, then put the usual handlers back */
	interrupts_enable();
	deadline = clock_deadline_ms(DRAIN_MS);
	while (!clock_expired(deadline))
		cpu_relax();
	interrupts_disable();
	for (unsigned v = 32; v < 256; v++)
		interrupt_set_handler((uint8_t)v, saved_handlers[v]);
	tap_note("%u interrupts the storm left pending were taken", drained);

	check_eq32(lapic_read(LAPIC_REG_VERSION), version, "local APIC version survived the storm");
	check_eq32(ioapic_read(0x01), io_version, "I/O APIC version survived the storm");
	check(interrupts_unexpected == unexpected, "no exception or stray vector during the storm",
	      "%u unexpected", interrupts_unexpected - unexpected);
	check(lapic_read(LAPIC_REG_SVR) & LAPIC_SVR_ENABLE, "local APIC re-enabled after the storm",
	      "SVR 0x%x", lapic_read(LAPIC_REG_SVR));

	interrupt_set_handler(VECTOR_SELF_TEST, on_self_test);
	lapic_write(LAPIC_REG_ICR_LOW, LAPIC_ICR_SELF | VECTOR_SELF_TEST);
	interrupts_enable();
	deadline = clock_deadline_ms(100);
	while (!self_test_seen && !clock_expired(deadline))
		cpu_relax();
	interrupts_disable();
	interrupt_set_handler(VECTOR_SELF_TEST, 0);
	check(self_test_seen, "a self-IPI arrives after the storm", "vector 0x%x not taken",
	      VECTOR_SELF_TEST);

	if (entries) {
		ioapic_route(entries - 1, 0x70, IOAPIC_LEVEL, IOAPIC_ACTIVE_LOW, 0);
		check_eq32(ioapic_entry_low(entries - 1) & 0x1ffffu,
			   0x70u | (1u << 13) | (1u << 15),
			   "I/O APIC entry reprogrammed after the storm reads back");
		ioapic_mask(entries - 1);
	}
}
