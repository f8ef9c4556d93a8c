/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 I/O APIC (emu type "ioapic", 0x23), after the Intel 82093AA datasheet.
 *
 * Config: ["ioapic", 0xfec0_0000, 0x1000, 0, "ioapic", []]; cfg_list [] or
 * [nr_pins], nr_pins 1..AX_IOAPIC_MAX_PINS (default 24). The range is at
 * least 0x20 bytes. irq_id is not used (the I/O APIC drives no line); the
 * model owns the set's interrupt lines [0, nr_pins) (pin n = GSI n), so an
 * 8259 model may share lines 0-15 with it, as on a PC.
 *
 * Guest-visible choices:
 *  - IOREGSEL at 0x00 (bits 7:0; the rest read as zero) and IOWIN at 0x10,
 *    32-bit accesses only, as the datasheet requires. Any other offset or
 *    width reads as zero and ignores writes (counted in `ignored`). So is an
 *    IOWIN access to an index with no register.
 *  - Registers: ID (0x00, bits 27:24 rw), version (0x01, read-only:
 *    0x11 | (nr_pins - 1) << 16), arbitration (0x02, read-only, bits 27:24
 *    follow the ID as after a reset of the APIC bus) and the redirection
 *    table (0x10 + 2n low dword, 0x11 + 2n high dword). No EOI register
 *    (that came with version 0x20).
 *  - Redirection entries: vector 7:0, delivery mode 10:8, destination mode
 *    11, polarity 13 (1 = active low), trigger 15 (1 = level), mask 16 and
 *    destination 63:56 are read/write; delivery status 12 always reads 0
 *    (a message is handed to the local APIC at once), remote IRR 14 is
 *    read-only; reserved bits 55:17 read as zero. Reset: every entry masked
 *    (0x10000), ID 0, IOREGSEL 0.
 *  - A pin's input is the level of its line (the OR of the devices driving
 *    it): a device's logical "asserted", not a wire voltage, so polarity
 *    (bit 13) is stored and read back but inverts nothing, as in KVM's and
 *    QEMU's I/O APICs. Edge trigger: a rising edge of the input on an
 *    unmasked pin sends one message; an edge arriving
 *    while the pin is masked is lost, as the datasheet says. Level trigger:
 *    while the input is asserted, the pin unmasked and remote IRR clear, a
 *    message is sent and remote IRR set; an EOI broadcast of the entry's
 *    vector (from the local APIC) clears remote IRR, and a still-asserted
 *    input sends again. Unmasking, or rewriting an entry, of an asserted
 *    level pin sends at once (the level is still there). Remote IRR is only
 *    used by level entries with fixed or lowest-priority delivery; other
 *    delivery modes send on each rising edge. Reserved delivery modes 3
 *    and 6 send nothing (counted in `bad_mode`).
 *
 * Messages go to the set's local APIC model through the interrupt fabric;
 * without one they are dropped (and counted there).
 *
 * Host side: every function takes the model's own lock; any thread.
 */
#ifndef AXDEVICE_IOAPIC_H
#define AXDEVICE_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

#define AX_IOAPIC_MAX_PINS     120u /* IOREGSEL indexes 0x10..0xff */
#define AX_IOAPIC_DEFAULT_PINS 24u
#define AX_IOAPIC_MIN_SIZE     0x20u
#define AX_IOAPIC_VERSION      0x11u

/* Redirection entry bits. */
#define AX_IOAPIC_RTE_VECTOR	   0xffull
#define AX_IOAPIC_RTE_DELIVERY	   (7ull << 8)
#define AX_IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define AX_IOAPIC_RTE_STATUS	   (1ull << 12)
#define AX_IOAPIC_RTE_ACTIVE_LOW   (1ull << 13)
#define AX_IOAPIC_RTE_REMOTE_IRR   (1ull << 14)
#define AX_IOAPIC_RTE_LEVEL	   (1ull << 15)
#define AX_IOAPIC_RTE_MASKED	   (1ull << 16)
#define AX_IOAPIC_RTE_DEST_SHIFT   56

struct ax_ioapic;

struct ax_ioapic_stats {
	uint64_t sent;	     /* messages handed to the fabric */
	uint64_t eoi_resent; /* of those, re-sent after an EOI found the level still asserted */
	uint64_t ignored;    /* accesses of another offset or width, or to no register */
	uint64_t bad_mode;   /* assertions of entries with a reserved delivery mode */
};

/* The model behind device `id`; InvalidInput when it is not a built-in I/O APIC. */
enum ax_err ax_ioapic_from_device(struct ax_devices *set, uint32_t id, struct ax_ioapic **out);

uint32_t ax_ioapic_nr_pins(struct ax_ioapic *io);

/* The 64-bit redirection entry of `pin` as the guest reads it; InvalidInput past the pins. */
enum ax_err ax_ioapic_entry(struct ax_ioapic *io, uint32_t pin, uint64_t *entry);

/* The level of `pin`'s line as it arrives (before polarity). */
enum ax_err ax_ioapic_pin_level(struct ax_ioapic *io, uint32_t pin, bool *level);

void ax_ioapic_stats(struct ax_ioapic *io, struct ax_ioapic_stats *out);

#endif
