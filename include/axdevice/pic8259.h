/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PC's pair of 8259A programmable interrupt controllers (emu type
 * "pic8259", 0x41): a master, a slave cascaded on the master's IR2, and the
 * edge/level control registers (ELCR) of PC chipsets.
 *
 * Config: ["pic", 0x20, 2, 0, "pic8259", []] on the port bus. base_gpa is
 * the master's two ports (length 2); cfg_list [] or [slave_base] or
 * [slave_base, elcr_base], defaults 0xa0 and 0x4d0; elcr_base 0 means no
 * ELCR ports (every line then edge-triggered unless ICW1.LTIM). The model
 * claims the three port ranges itself. irq_id is not used. It owns the
 * set's interrupt lines 0-15 (master IR0-7, slave IR0-7 as lines 8-15);
 * an I/O APIC model may own the same lines, as on a PC. Line 2 is the
 * cascade: the master's IR2 is the slave's INT output and a device's line 2
 * is ignored (PCs route ISA IRQ 2 to IRQ 9).
 *
 * Guest-visible choices:
 *  - Byte accesses only; any other width is InvalidInput (the host decides
 *    what the guest sees).
 *  - Initialisation: ICW1 (bit 4 set, written to the command port) resets
 *    the chip: IMR, ISR and priority rotation cleared, special mask mode
 *    off, reads return IRR, and the edge detectors are re-armed (a line
 *    already high must go low and high again). Then ICW2 (vector base, bits
 *    7:3), ICW3 unless ICW1.SNGL, ICW4 if ICW1.IC4 (AEOI, SFNM honoured;
 *    without IC4 they are cleared). ICW3 is stored but the wiring is fixed:
 *    the slave is on IR2. 8080/85 mode (ICW4 bit 0 clear) and buffered mode
 *    are treated as 8086 mode.
 *  - OCW1: IMR. OCW2: non-specific, specific, rotate-on-(non-)specific EOI,
 *    rotate in AEOI set/clear, set priority, no-op. OCW3: read IRR/ISR,
 *    poll (the next read of the command port is the poll word: bit 7 set
 *    and the level in bits 2:0 when something was pending, which it then
 *    acknowledges; 0 when nothing was), special mask mode.
 *  - Data port reads return IMR; command port reads IRR or ISR.
 *  - Edge lines: a rising edge sets IRR, which stays set until the
 *    acknowledge. Level lines (ELCR bit or ICW1.LTIM): IRR follows the line.
 *    IRR latches while masked. ELCR bits of lines 0, 1, 2, 8 and 13 are
 *    read-only zero (edge), as on PIIX-class chipsets.
 *  - Acknowledge with nothing deliverable: the spurious vector IRQ7 (master
 *    base + 7), or IRQ15 (slave base + 7) when the master chose the cascade
 *    and the slave then had nothing; in that case the master's IR2 stays in
 *    service, as on real hardware.
 *  - Reset: both chips as right after ICW1 with vector base 0, ELCR 0.
 *
 * INTR goes to the set's local APIC model through the interrupt fabric
 * (LINT0 in ExtINT mode), which acknowledges through it.
 */
#ifndef AXDEVICE_PIC8259_H
#define AXDEVICE_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

#define AX_PIC8259_MASTER_BASE 0x20u
#define AX_PIC8259_SLAVE_BASE  0xa0u
#define AX_PIC8259_ELCR_BASE   0x4d0u

struct ax_pic8259;

/* One chip's registers as the guest would read them (0 = master, 1 = slave). */
struct ax_pic8259_chip_state {
	uint8_t irr, isr, imr, elcr;
	uint8_t vector_base;
	bool auto_eoi;
	bool special_mask;
	bool initialising; /* between ICW1 and the last ICW */
};

struct ax_pic8259_stats {
	uint64_t acks;	   /* acknowledge cycles (INTA or poll) */
	uint64_t spurious; /* of those, spurious IRQ7 / IRQ15 */
};

/* The model behind device `id`; InvalidInput when it is not a built-in 8259 pair. */
enum ax_err ax_pic8259_from_device(struct ax_devices *set, uint32_t id, struct ax_pic8259 **out);

/* INTR: an interrupt is deliverable. */
bool ax_pic8259_intr(struct ax_pic8259 *pic);

/*
 * The interrupt-acknowledge cycle for a host that has no local APIC model
 * (the set's local APIC does it through the fabric): the vector, or the
 * spurious vector.
 */
uint8_t ax_pic8259_ack(struct ax_pic8259 *pic);

enum ax_err ax_pic8259_chip_state(struct ax_pic8259 *pic, unsigned chip,
				  struct ax_pic8259_chip_state *out);
void ax_pic8259_stats(struct ax_pic8259 *pic, struct ax_pic8259_stats *out);

#endif
