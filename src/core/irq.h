/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interrupt fabric of one device set: how lines reach controller models
 * and how controller models reach each other and the vCPUs.
 *
 *   device --ax_irq_line_*--> line router --set_line--> I/O APIC pin / 8259 IR / GIC SPI
 *                                  `--(no model owns the line)--> host irq hooks
 *   I/O APIC --apic_deliver--> local APIC (all vCPU banks) --irq_notify hook--> host
 *   local APIC --apic_eoi (level vectors)--> I/O APICs (remote IRR)
 *   8259 INTR --pic_changed--> local APIC LINT0 (ExtINT) --> host
 *   host --ax_devices_irq_pending/ack--> the CPU controller registered here
 *
 * Controller models register in their constructor and unregister in their
 * destroy (after which the fabric never calls them). All calls may come
 * from any thread; the fabric takes no device lock, and its callbacks are
 * made with no fabric control lock held, so a model may call into the
 * fabric while holding its own lock only where noted. Exception: set_line
 * runs under the line's own spinlock (it orders the level changes of one
 * line) and, while a controller registers, under the control lock: from
 * set_line a model may take its lock and call apic_deliver / pic_changed,
 * but must not raise lines or (un)register anything. Register (add_input)
 * without holding your own lock: set_line may run before it returns, with
 * the levels of lines asserted before the controller came.
 *
 * Lock order (to avoid deadlock between models): a model must not call a
 * fabric function that calls *back into another model* while holding its
 * own lock, except apic_deliver (I/O APIC lock -> local APIC lock) and
 * apic_eoi is made WITHOUT the local APIC lock held (local APIC -> I/O
 * APIC). The 8259 calls pic_changed without its lock; the local APIC calls
 * pic_intr/pic_ack with its lock held (local APIC lock -> 8259 lock), so
 * the 8259 never calls into the fabric with its lock held.
 */
#ifndef AXDEVICE_SRC_CORE_IRQ_H
#define AXDEVICE_SRC_CORE_IRQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <axdevice/error.h>
#include <axdevice/host.h>
#include <axdevice/irq.h>

/* --- device side: a level line driven by a word of causes (internal models) --- */
/*
 * Drives a claimed level line from a word of interrupt causes the device
 * keeps (a status register such as virtio-mmio's InterruptStatus): sets the
 * bits `set`, clears the bits `clear`, and makes the device's level
 * "*causes != 0", as one step ordered with every other change of the line.
 * Threads may so change the causes without a lock of the device's own (an
 * acknowledge from a vCPU racing a completion), and the line always matches
 * the word. A raise (set) puts a full fence between what the caller published
 * before it and its look at the word; an acknowledge (clear) one between the
 * cleared word and the caller's reads after it: a raise that finds its bit
 * still set and skips is then always seen by the acknowledger's next read of
 * what was published (no lost interrupt). A call that changes no bit costs the
 * fence and one load. *causes must be changed only through this function;
 * read it with an atomic load. Without `lines` or a claim of `line` the word
 * is still updated.
 */
void ax_irq_line_update(struct ax_irq_lines *lines, uint32_t line, _Atomic uint32_t *causes,
			uint32_t set, uint32_t clear);

/* --- line inputs of a controller model (I/O APIC pins, 8259 IR lines, GIC SPIs) --- */
struct ax_irq_input {
	const char *name;  /* the controller's device name, for config errors */
	uint32_t nr_lines; /* it owns lines [0, nr_lines) */
	/* The line's level (the OR of its claimants) changed, or an edge: level 1 then 0. */
	void (*set_line)(void *priv, uint32_t line, bool level);
	void *priv;
};

/* At most two inputs own a line (the PC wires ISA lines 0-15 to both 8259 and I/O APIC). */
enum ax_err ax_irq_fabric_add_input(struct ax_irq_fabric *f, const struct ax_irq_input *in,
				    struct ax_diag *diag);
void ax_irq_fabric_remove_input(struct ax_irq_fabric *f, void *priv);

/* --- x86 APIC bus ------------------------------------------------------------ */
enum ax_apic_delivery {
	AX_APIC_FIXED = 0,
	AX_APIC_LOWEST = 1,
	AX_APIC_SMI = 2,
	AX_APIC_NMI = 4,
	AX_APIC_INIT = 5,
	AX_APIC_STARTUP = 6,
	AX_APIC_EXTINT = 7,
};

/* One interrupt message (I/O APIC redirection entry or ICR, Intel SDM vol. 3 10.6). */
struct ax_apic_msg {
	uint8_t vector;
	enum ax_apic_delivery delivery;
	bool logical;	    /* destination mode */
	uint8_t dest;	    /* xAPIC: physical APIC id (0xff broadcast) or logical mask */
	bool level_trigger; /* trigger mode: the local APIC sets TMR and reports EOI */
};

/* Registered by the local APIC model (one device banks every vCPU). */
struct ax_apic_ops {
	void *priv;
	/* Accept a message from the bus (called with the sender's lock held). */
	void (*deliver)(void *priv, const struct ax_apic_msg *msg);
	/* Host side: see ax_devices_irq_pending / ax_devices_irq_ack. */
	bool (*pending)(void *priv, uint32_t vcpu);
	enum ax_err (*ack)(void *priv, uint32_t vcpu, uint32_t *vector);
	/* The 8259's INTR output changed: re-evaluate LINT0 of the BSP. */
	void (*pic_changed)(void *priv);
};

/* Registered by the I/O APIC model(s): EOI broadcast of a level-triggered vector. */
struct ax_ioapic_eoi {
	void *priv;
	void (*eoi)(void *priv, uint8_t vector);
};

/*
 * Registered by the 8259 pair: its INTR output and its acknowledge cycle.
 * Both are called with the local APIC's lock held and never call back
 * (no pic_changed from ack): the local APIC re-reads intr when it needs it.
 */
struct ax_pic_ops {
	void *priv;
	bool (*intr)(void *priv);   /* INTR asserted */
	uint8_t (*ack)(void *priv); /* INTA: the vector (spurious IRQ7/15 vector if none) */
};

/*
 * One local APIC, one 8259 pair per set (AlreadyExists naming both). The
 * clear/remove functions wait until no fabric call that may reach the model
 * is in flight: call them from destroy, without the model's lock, never from
 * inside a fabric callback.
 */
enum ax_err ax_irq_fabric_set_lapic(struct ax_irq_fabric *f, const char *name,
				    const struct ax_apic_ops *ops, struct ax_diag *diag);
void ax_irq_fabric_clear_lapic(struct ax_irq_fabric *f, void *priv);
enum ax_err ax_irq_fabric_add_ioapic_eoi(struct ax_irq_fabric *f, const struct ax_ioapic_eoi *e,
					 struct ax_diag *diag);
void ax_irq_fabric_remove_ioapic_eoi(struct ax_irq_fabric *f, void *priv);
enum ax_err ax_irq_fabric_set_pic(struct ax_irq_fabric *f, const char *name,
				  const struct ax_pic_ops *ops, struct ax_diag *diag);
void ax_irq_fabric_clear_pic(struct ax_irq_fabric *f, void *priv);

/* I/O APIC -> local APIC. Dropped (and counted) when the set has no local APIC. */
void ax_irq_fabric_apic_deliver(struct ax_irq_fabric *f, const struct ax_apic_msg *msg);
/* Messages apic_deliver dropped so far (no local APIC registered). */
uint64_t ax_irq_fabric_dropped(struct ax_irq_fabric *f);
/* Local APIC -> every I/O APIC: EOI of a level-triggered vector. */
void ax_irq_fabric_apic_eoi(struct ax_irq_fabric *f, uint8_t vector);
/* 8259 -> local APIC: INTR may have changed. */
void ax_irq_fabric_pic_changed(struct ax_irq_fabric *f);
/* Local APIC -> 8259 (LINT0 in ExtINT mode): false / 0x0f (IRQ7 at the PC's base 0x08)
 * when the set has no 8259. */
bool ax_irq_fabric_pic_intr(struct ax_irq_fabric *f);
uint8_t ax_irq_fabric_pic_ack(struct ax_irq_fabric *f);

/* --- Arm: the GIC's CPU side and per-vCPU lines (contract; irq.c implements) --- */

/*
 * The set's CPU interrupt controller on Arm (a GICv2 CPU interface, or the
 * GICv3 ICC system registers): what ax_devices_irq_pending asks. One per set,
 * and a set has either this or a local APIC (the second is refused naming
 * both). pending: "would vCPU n take an IRQ if PSTATE.I allowed" (the guest
 * acknowledges through GICC_IAR / ICC_IAR1_EL1 itself). ack may be NULL
 * (ax_devices_irq_ack is then Unsupported). ack_stats: the guest's
 * acknowledges of vCPU n so far (ax_devices_irq_ack_stats: InvalidInput for
 * a vCPU the model lacks); may be NULL (Unsupported). Called with no fabric
 * lock held; it may take the model's lock.
 */
struct ax_cpu_irq_ops {
	void *priv;
	bool (*pending)(void *priv, uint32_t vcpu);
	enum ax_err (*ack)(void *priv, uint32_t vcpu, uint32_t *intid);
	enum ax_err (*ack_stats)(void *priv, uint32_t vcpu, struct ax_irq_ack_stats *out);
};
/* For the models' ack_stats: counts one acknowledge that returned `intid` (the INTID field). */
static inline void ax_irq_ack_count(struct ax_irq_ack_stats *s, uint32_t intid)
{
	if (intid < 16)
		s->sgi++;
	else if (intid < 32)
		s->ppi++;
	else if (intid < 1020)
		s->spi++;
	else
		s->spurious++;
}
enum ax_err ax_irq_fabric_set_cpu_irq(struct ax_irq_fabric *f, const char *name,
				      const struct ax_cpu_irq_ops *ops, struct ax_diag *diag);
void ax_irq_fabric_clear_cpu_irq(struct ax_irq_fabric *f, void *priv);

/*
 * Per-vCPU lines (Arm PPIs 16..31; SGIs are the GIC's own business). The
 * GIC that owns private interrupts registers a sink; a device such as the
 * generic timer drives (vcpu, intid) as a level. Without a sink the level
 * is dropped and counted. set_ppi runs with no fabric lock held and may take
 * the GIC's lock; a device may call ax_irq_fabric_set_ppi with its own lock
 * held (device -> GIC lock order).
 */
struct ax_ppi_sink {
	void *priv;
	void (*set_ppi)(void *priv, uint32_t vcpu, uint32_t intid, bool level);
};
enum ax_err ax_irq_fabric_set_ppi_sink(struct ax_irq_fabric *f, const char *name,
				       const struct ax_ppi_sink *sink, struct ax_diag *diag);
void ax_irq_fabric_clear_ppi_sink(struct ax_irq_fabric *f, void *priv);
void ax_irq_fabric_set_ppi(struct ax_irq_fabric *f, uint32_t vcpu, uint32_t intid, bool level);
/* PPI levels set_ppi dropped so far (no sink registered). */
uint64_t ax_irq_fabric_ppi_dropped(struct ax_irq_fabric *f);

/* --- owned by the device set (src/core/devices.c) -------------------------- */
struct ax_irq_fabric *ax_irq_fabric_create(const struct ax_host_hooks *hooks);
void ax_irq_fabric_destroy(struct ax_irq_fabric *f);
/*
 * A device's line connection, made before its constructor runs; the claims
 * are checked and bound once the constructor filled its descriptor (config
 * errors name both devices); released (its asserted levels dropped) when
 * the device is removed or its creation fails.
 */
struct ax_irq_lines *ax_irq_lines_create(struct ax_irq_fabric *f, const char *device_name);
enum ax_err ax_irq_lines_bind(struct ax_irq_lines *l, const struct ax_irq_claim *claims,
			      uint32_t nr, struct ax_diag *diag);
void ax_irq_lines_destroy(struct ax_irq_lines *l);

#endif
