/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interrupt controller, GICv2 or GICv3 (found from GICD_PIDR2 by
 * gic_detect), behind one set of calls: the distributor is set up once by
 * the boot CPU, the CPU interface (and on v3 the redistributor) by each CPU.
 * All interrupts are level-free of groups on v2 (Group 0 signalled as IRQ,
 * no security extensions) and Group 1 on v3. SPIs go to CPU 0.
 */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"

/* Priority the guest gives every interrupt, and the mask that lets it through. */
#define GIC_PRIORITY_DEFAULT 0xa0u
#define GIC_PMR_OPEN	     0xf0u

/* intid: the interrupt; source: the sending CPU for an SGI on GICv2, else 0. */
typedef void (*irq_handler)(unsigned intid, unsigned source);

/* 2 or 3 from GICD_PIDR2 ArchRev (the v3 location first), 0 for neither. */
unsigned gic_detect(void);
unsigned gic_version(void);

/* Boot CPU: every SPI disabled, default priority, to CPU 0; distributor on. */
void gic_dist_init(void);

/* Each CPU: its interface on (v3: redistributor woken, SRE, PMR, Group 1). false with why. */
bool gic_cpu_init(char *why, unsigned why_len);

/* GICv3: the redistributor frame whose GICR_TYPER affinity is `mpidr`'s, or 0. */
uintptr_t gic_redistributor_of(uint64_t mpidr);

/* Enables an interrupt (SGIs and PPIs: the calling CPU's), with edge or level for SPIs. */
void gic_enable(unsigned intid, bool edge);
void gic_disable(unsigned intid);
/* Clears a pending state (the calling CPU's for SGIs and PPIs). */
void gic_clear_pending(unsigned intid);
bool gic_is_pending(unsigned intid);

void gic_send_sgi(unsigned sgi, unsigned target_cpu);

/* Acknowledge (IAR) and end (EOIR with the same value) by hand. */
uint32_t gic_ack(void);
void gic_eoi(uint32_t iar);
unsigned gic_iar_intid(uint32_t iar);

void irq_set_handler(unsigned intid, irq_handler handler);

/* From the IRQ vector: acknowledge, run the handler, EOI. */
void irq_dispatch(void);

/* IRQs taken without a handler (they were disabled), per CPU. */
unsigned irq_unhandled_count(unsigned cpu);
unsigned irq_spurious_count(unsigned cpu);

/* GICD / GICC / GICR access (GICR: the calling CPU's frame). */
uint32_t gicd_read(uint32_t reg);
void gicd_write(uint32_t reg, uint32_t value);
uint32_t gicc_read(uint32_t reg);
void gicc_write(uint32_t reg, uint32_t value);
uintptr_t gicr_this_cpu(void);

#endif
