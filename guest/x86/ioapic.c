/* SPDX-License-Identifier: Apache-2.0 */
#include "ioapic.h"

#include "cpu.h"

/* Indirect access: write a register index to IOREGSEL, then use IOWIN. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN	0x10

#define IOAPIC_REG_VERSION     0x01
#define IOAPIC_REG_REDIRECTION 0x10 /* entry n: low dword at 0x10 + 2n, high at 0x11 + 2n */

#define IOAPIC_VERSION_MAX_ENTRY_SHIFT 16

#define IOAPIC_ENTRY_DELIVERY_FIXED (0u << 8)
#define IOAPIC_ENTRY_DEST_PHYSICAL  (0u << 11)
#define IOAPIC_ENTRY_ACTIVE_LOW	    (1u << 13)
#define IOAPIC_ENTRY_LEVEL	    (1u << 15)
#define IOAPIC_ENTRY_MASKED	    (1u << 16)
#define IOAPIC_ENTRY_DEST_SHIFT	    24 /* in the high dword */

uint32_t ioapic_read(uint32_t reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_IOREGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_IOWIN);
}

void ioapic_write(uint32_t reg, uint32_t value)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_IOREGSEL, reg);
	mmio_write32(IOAPIC_BASE + IOAPIC_IOWIN, value);
}

unsigned ioapic_redirection_entries(void)
{
	uint32_t version = ioapic_read(IOAPIC_REG_VERSION);

	if (version == 0 || version == 0xffffffffu)
		return 0;
	return ((version >> IOAPIC_VERSION_MAX_ENTRY_SHIFT) & 0xff) + 1;
}

void ioapic_route(unsigned gsi, uint8_t vector, enum ioapic_trigger trigger,
		  enum ioapic_polarity polarity, uint8_t dest_apic_id)
{
	uint32_t low = vector | IOAPIC_ENTRY_DELIVERY_FIXED | IOAPIC_ENTRY_DEST_PHYSICAL;

	if (trigger == IOAPIC_LEVEL)
		low |= IOAPIC_ENTRY_LEVEL;
	if (polarity == IOAPIC_ACTIVE_LOW)
		low |= IOAPIC_ENTRY_ACTIVE_LOW;
	/* Mask while the destination is written, then unmask with the final low dword. */
	ioapic_write(IOAPIC_REG_REDIRECTION + 2 * gsi, IOAPIC_ENTRY_MASKED);
	ioapic_write(IOAPIC_REG_REDIRECTION + 2 * gsi + 1,
		     (uint32_t)dest_apic_id << IOAPIC_ENTRY_DEST_SHIFT);
	ioapic_write(IOAPIC_REG_REDIRECTION + 2 * gsi, low);
}

void ioapic_mask(unsigned gsi)
{
	ioapic_write(IOAPIC_REG_REDIRECTION + 2 * gsi, IOAPIC_ENTRY_MASKED);
}

uint32_t ioapic_entry_low(unsigned gsi)
{
	return ioapic_read(IOAPIC_REG_REDIRECTION + 2 * gsi);
}
