/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interrupt lines and the CPU side of interrupt delivery.
 *
 * A device raises or lowers the lines it claimed (struct ax_irq_claim in its
 * descriptor) through its struct ax_irq_lines. A line goes to the interrupt
 * controller model of the same set that owns it (I/O APIC pin, 8259 IR
 * line, GIC SPI) or, when no model owns it, to the host's irq_set_level /
 * irq_pulse hooks (KVM's in-kernel irqchip, a hardware GIC).
 *
 * Level lines may be shared: the line is the OR of every claimant's level.
 * An edge-triggered line has exactly one claimant. Two devices claiming one
 * edge line, or a line beyond every controller model of the set, is a
 * config error naming both devices.
 *
 * The host learns only "vCPU n may have an interrupt to take" (the
 * irq_notify hook) and asks the set's CPU interrupt controller which one.
 */
#ifndef AXDEVICE_IRQ_H
#define AXDEVICE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct ax_devices;

enum ax_irq_trigger {
	AX_IRQ_LEVEL = 0,
	AX_IRQ_EDGE = 1,
};

/* One interrupt line a device drives, declared in its descriptor. */
struct ax_irq_claim {
	uint32_t line; /* the config's irq_id (GSI on x86, INTID on Arm) */
	enum ax_irq_trigger trigger;
};

#define AX_DEVICE_MAX_IRQS 4 /* lines one device may claim */

/*
 * A device's connection to its lines, handed to its constructor in
 * struct ax_kind_env. Valid until the device's destroy returns. Lines the
 * device did not claim are ignored (and logged once).
 */
struct ax_irq_lines;

/* Drives a claimed level line: the device's own level; the line is the OR. */
void ax_irq_line_set_level(struct ax_irq_lines *lines, uint32_t line, bool level);
/* One edge on a claimed edge line. */
void ax_irq_line_pulse(struct ax_irq_lines *lines, uint32_t line);

/*
 * The set's interrupt-controller plumbing (internal to the library; models
 * of interrupt controllers reach it through struct ax_kind_env).
 */
struct ax_irq_fabric;

/*
 * Host side of the CPU interrupt controller model (x86 local APIC, with
 * the 8259 behind its LINT0; Arm GIC CPU interface).
 *
 * ax_devices_irq_pending: would vCPU `vcpu` take an interrupt now, if its
 * own mask allowed (x86 RFLAGS.IF, Arm PSTATE.I)? Cheap; any thread.
 *
 * ax_devices_irq_ack (x86): the interrupt-acknowledge cycle. Takes the
 * highest-priority deliverable vector (IRR -> ISR in the local APIC, or the
 * 8259's vector through ExtINT) and stores it in *vector. NotFound when
 * nothing is deliverable any more (the host then delivers nothing).
 * On Arm the guest acknowledges through the GIC itself; ax_devices_irq_ack
 * forwards to the CPU interface model, Unsupported when it has no such path.
 * Both return NotFound / false when the set has no such model.
 */
bool ax_devices_irq_pending(struct ax_devices *set, uint32_t vcpu);
enum ax_err ax_devices_irq_ack(struct ax_devices *set, uint32_t vcpu, uint32_t *vector);

/* Interrupts one vCPU acknowledged, by INTID class (struct ax_irq_ack_stats). */
struct ax_irq_ack_stats {
	uint64_t sgi;	   /* INTIDs 0..15 */
	uint64_t ppi;	   /* INTIDs 16..31 */
	uint64_t spi;	   /* INTIDs 32..1019 */
	uint64_t spurious; /* INTIDs 1020..1023 (nothing to take, or the other group's) */
};

/*
 * Interrupts vCPU `vcpu` acknowledged through the set's CPU interrupt
 * controller model so far: a GIC CPU interface's IAR reads (GICv2 GICC_IAR /
 * GICC_AIAR, GICv3 ICC_IAR1_EL1 / ICC_IAR0_EL1) by the class of the INTID
 * each returned: SGI 0..15, PPI 16..31, SPI 32..1019, spurious 1020..1023.
 * Counted for the life of the model (a device reset keeps them); the host's
 * own acknowledges (ax_devices_irq_ack, ax_gicd_v2_acknowledge) are not
 * counted. NotFound when the set has no such model; Unsupported when its
 * model does not count (the x86 local APIC); InvalidInput for a vCPU the
 * model does not have or a NULL `out`. Any thread.
 */
enum ax_err ax_devices_irq_ack_stats(struct ax_devices *set, uint32_t vcpu,
				     struct ax_irq_ack_stats *out);

#endif
