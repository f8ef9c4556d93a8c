/* SPDX-License-Identifier: Apache-2.0 */
/* The I/O APIC at its default base (Intel 82093AA datasheet). */
#ifndef GUEST_IOAPIC_H
#define GUEST_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE 0xfec00000u

enum ioapic_trigger { IOAPIC_EDGE, IOAPIC_LEVEL };
enum ioapic_polarity { IOAPIC_ACTIVE_HIGH, IOAPIC_ACTIVE_LOW };

/* Number of redirection entries, or 0 when no I/O APIC answers. */
/* Indirect register access: IOREGSEL, then IOWIN. */
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t value);

unsigned ioapic_redirection_entries(void);

/* Routes `gsi` as a fixed, physical-destination interrupt to `vector` on APIC `dest`, unmasked. */
void ioapic_route(unsigned gsi, uint8_t vector, enum ioapic_trigger trigger,
		  enum ioapic_polarity polarity, uint8_t dest_apic_id);
void ioapic_mask(unsigned gsi);

/* The low 32 bits of a redirection entry (for reporting). */
uint32_t ioapic_entry_low(unsigned gsi);

#endif
