/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GICv3 core shared by its three front ends (gicd_v3.c: the distributor,
 * gicr.c: the redistributors, icc.c: the CPU interface system registers).
 * The guest-visible choices are documented in include/axdevice/gicv3.h.
 *
 * One core per device set. The first front end a set builds creates it, the
 * others find it by the set's interrupt fabric (a small registry keyed by
 * the fabric pointer, in gicv3_core.c); each front end holds a reference and
 * the last one to go frees it. The fabric pointer is stable for the life of
 * the set and outlives every device, so two sets never share a core.
 *
 * Locking: one spinlock per core guards every interrupt and CPU interface
 * field. An operation collects the vCPUs that may have gained a deliverable
 * interrupt and calls the host's irq_notify hook for them after dropping
 * the lock.
 */
#ifndef AXDEVICE_SRC_DEV_GICV3_CORE_H
#define AXDEVICE_SRC_DEV_GICV3_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/device.h>
#include <axdevice/gicv3.h>
#include <axdevice/irq.h>
#include <axdevice/kind.h>

#include "../core/util.h"
#include "irq_cands.h"

#define V3_NR_SGIS    16u
#define V3_NR_PRIV    32u
#define V3_NR_SPIS    (AX_GICV3_MAX_IRQS - V3_NR_PRIV)
#define V3_SPURIOUS   1023u
#define V3_KICK_WORDS ((AX_GICV3_MAX_VCPUS + 63) / 64)

/* Front-end magics: a device's priv starts with struct v3_front. */
#define V3_MAGIC_GICD 0x47445633u /* "GDV3" */
#define V3_MAGIC_GICR 0x47525633u
#define V3_MAGIC_ICC  0x49435633u

struct v3_irq {
	uint8_t priority;
	bool enabled;
	bool group1;
	bool edge;
	bool active;
	bool latch; /* edge seen or software set-pending, until acknowledged */
	bool line;  /* input level (PPIs, SPIs) */
};

struct v3_cpu {
	struct v3_irq priv[V3_NR_PRIV];
	bool sleep;	/* GICR_WAKER.ProcessorSleep */
	uint8_t pmr;	/* ICC_PMR_EL1 */
	uint8_t bpr1;	/* ICC_BPR1_EL1 (3..7) */
	bool eoimode;	/* ICC_CTLR_EL1.EOImode */
	bool igrpen1;	/* ICC_IGRPEN1_EL1.Enable */
	uint32_t ap1r0; /* ICC_AP1R0_EL1: bit n = group priority n << 3 active */
	uint32_t cands; /* candidates among ids 0..31 (irq_cands.h) */
	/* ICC_IAR1_EL1 / ICC_IAR0_EL1 reads by INTID class (icc.c; kept across resets) */
	struct ax_irq_ack_stats acks;
};

struct gicv3 {
	uint32_t magic;
	struct ax_spinlock lock;
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *fabric;
	uint32_t refs;	  /* front ends holding the core (registry lock) */
	uint32_t nr_cpus; /* the set's max_vcpus (at most AX_GICV3_MAX_VCPUS) */
	uint32_t nr_irqs; /* V3_NR_PRIV until a distributor sets it */
	bool has_gicd;	  /* a distributor gates delivery with its GICD_CTLR */
	uint32_t gicd_ctlr;
	struct v3_irq spis[V3_NR_SPIS];
	uint64_t route[V3_NR_SPIS];	/* GICD_IROUTER<n> */
	struct irq_cands_spi spi_cands; /* marked by v3_note (irq_cands.h) */
	struct v3_cpu cpus[];
};

struct v3_front {
	uint32_t magic;
	struct gicv3 *core;
};

/* One locked operation: the vCPUs to notify once the lock is dropped. */
struct v3_op {
	struct gicv3 *g;
	uint64_t kick[V3_KICK_WORDS];
};

/* The set's core (created on first use); gicv3_put releases the reference. */
enum ax_err gicv3_get(const struct ax_kind_env *env, const char *name, struct gicv3 **out,
		      struct ax_diag *diag);
void gicv3_put(struct gicv3 *g);

/* Power-on state of each front end's part (called with the lock held or before sharing). */
void v3_reset_dist(struct gicv3 *g);
void v3_reset_redist(struct gicv3 *g);
void v3_reset_cpuif(struct gicv3 *g);

void v3_lock(struct v3_op *op, struct gicv3 *g);
void v3_unlock(struct v3_op *op);

struct v3_irq *v3_irq_at(struct gicv3 *g, uint32_t cpu, uint32_t id);
/* Affinity of vCPU i: Aff0 = i % 16, Aff1 = i / 16, Aff2 = Aff3 = 0. */
uint64_t v3_cpu_affinity(uint32_t cpu); /* packed Aff3:Aff2:Aff1:Aff0 in bits 31:0 */

/* After a change to `id` as seen by `cpu`: notify the vCPUs that may take it. */
void v3_note(struct v3_op *op, uint32_t cpu, uint32_t id);
/* After a change to a CPU interface: notify it if it has something to take. */
void v3_note_cpu(struct v3_op *op, uint32_t cpu);
void v3_note_all(struct v3_op *op);

void v3_set_line(struct v3_op *op, uint32_t cpu, uint32_t id, bool level);

/* Highest-priority candidate for `cpu` (pending, enabled, Group 1, not active,
 * routed to it, groups enabled): its id, or V3_SPURIOUS. */
uint32_t v3_best(struct gicv3 *g, uint32_t cpu, uint8_t *priority);
/* The candidate if it also beats PMR and the running priority. */
uint32_t v3_deliverable(struct gicv3 *g, uint32_t cpu);
uint8_t v3_rpr(const struct gicv3 *g, uint32_t cpu);
uint32_t v3_ack(struct v3_op *op, uint32_t cpu);	  /* ICC_IAR1_EL1 */
void v3_eoi(struct v3_op *op, uint32_t cpu, uint32_t id); /* ICC_EOIR1_EL1 */
void v3_dir(struct v3_op *op, uint32_t cpu, uint32_t id); /* ICC_DIR_EL1 */
void v3_sgi1r(struct v3_op *op, uint32_t self, uint64_t val);

/* Per-interrupt register fields shared by GICD and GICR_SGI_base. */
enum v3_bits {
	V3_GROUP,
	V3_SET_ENABLE,
	V3_CLR_ENABLE,
	V3_SET_PEND,
	V3_CLR_PEND,
	V3_SET_ACTIVE,
	V3_CLR_ACTIVE,
};
uint32_t v3_bits_read(struct v3_op *op, uint32_t cpu, uint32_t first, enum v3_bits kind);
void v3_bits_write(struct v3_op *op, uint32_t cpu, uint32_t first, enum v3_bits kind, uint32_t val);
uint32_t v3_prio_read(struct v3_op *op, uint32_t cpu, uint32_t first, unsigned width);
void v3_prio_write(struct v3_op *op, uint32_t cpu, uint32_t first, unsigned width, uint32_t val);
uint32_t v3_cfg_read(struct v3_op *op, uint32_t cpu, uint32_t first);
void v3_cfg_write(struct v3_op *op, uint32_t cpu, uint32_t first, uint32_t val);

/* A register map entry of a front end. Widths: mask of (1 << bytes). */
struct v3_reg {
	uint32_t start, end; /* [start, end) */
	uint16_t widths;
	int arg;
	uint64_t (*read)(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
			 unsigned width);
	void (*write)(struct v3_op *op, const struct v3_reg *r, uint32_t cpu, uint32_t off,
		      unsigned width, uint64_t val);
};

#define V3_W8  (1u << 1)
#define V3_W32 (1u << 4)
#define V3_W64 (1u << 8)

/* Runs one access against a sorted table (unlisted offsets: RAZ/WI, 32-bit). */
enum ax_err v3_access(struct gicv3 *g, const struct v3_reg *tab, size_t n, uint32_t cpu,
		      uint64_t offset, unsigned width, uint64_t *rval, uint64_t wval);

/* The core behind device priv `priv` of one of the GICv3 types; NULL otherwise. */
struct gicv3 *v3_core_of(void *priv, uint32_t type);

#endif
