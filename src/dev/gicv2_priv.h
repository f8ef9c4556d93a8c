/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The GICv2 model's shared state: the distributor (gicd_v2.c) and the CPU
 * interface (gicc_v2.c) are one device, one lock. Private to src/dev.
 */
#ifndef AXDEVICE_SRC_DEV_GICV2_PRIV_H
#define AXDEVICE_SRC_DEV_GICV2_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <axdevice/gicd_v2.h>
#include <axdevice/kind.h>

#include "../core/irq.h"
#include "../core/util.h"
#include "irq_cands.h"

#define GICD_MAGIC   0x47494432u /* "GID2": priv really is a struct ax_gicd_v2 */
#define NR_SGIS	     16u
#define NR_PRIVATE   32u /* SGIs + PPIs, banked per CPU */
#define NR_SPIS_MAX  (AX_GICD_V2_MAX_IRQS - NR_PRIVATE)
#define NR_SPI_WORDS (NR_SPIS_MAX / 32)

struct irq_state {
	uint8_t priority;
	uint8_t targets; /* SPIs only: CPU interfaces it is forwarded to (reset: none) */
	bool enabled;
	bool group1;
	bool edge;
	bool active;
	bool latch; /* edge seen or software set-pending, until acknowledged */
	bool line;  /* input level driven by the host (PPIs, SPIs) */
};

/* One CPU interface (IHI 0048B 4.4), when the device has one. */
struct gicc_cpu {
	uint32_t ctlr;
	uint8_t pmr;
	uint8_t bpr;	/* GICC_BPR: Group 0 (and Group 1 with CBPR) */
	uint8_t abpr;	/* GICC_ABPR: Group 1 */
	uint32_t apr;	/* GICC_APR0: Group 0 active priorities, bit = priority >> 3 */
	uint32_t nsapr; /* GICC_NSAPR0: Group 1 active priorities */
};

struct cpu_bank {
	struct irq_state irqs[NR_PRIVATE];
	uint8_t sgi_sources[NR_SGIS]; /* pending SGIs: one bit per sending CPU */
	uint32_t cands;		      /* candidates among ids 0..31 (irq_cands.h) */
	struct gicc_cpu cc;
};

struct ax_gicd_v2 {
	uint32_t magic;
	struct ax_spinlock lock;
	const struct ax_host_hooks *hooks;
	uint32_t num_irqs; /* as configured; TYPER reports it */
	uint32_t nr_ids;   /* implemented ids: num_irqs without the special 1020..1023 */
	uint32_t num_cpus;
	uint8_t cpu_mask; /* one bit per implemented CPU interface */
	uint32_t ctlr;
	ax_gicd_v2_notify_fn notify;
	void *notify_ctx;
	/* CPU interface (cfg_list[2]): the set's CPU controller, PPI sink and SPI input */
	bool has_cpuif;
	struct ax_irq_fabric *fabric;
	bool reg_cpu_irq, reg_ppi, reg_input;
	struct cpu_bank cpus[AX_GICD_V2_MAX_CPUS];
	struct irq_state spis[NR_SPIS_MAX];
	struct irq_cands_spi spi_cands; /* marked by gicv2_note_change (irq_cands.h) */
	/* GICC_IAR / GICC_AIAR reads per CPU interface, by INTID class (kept across resets) */
	struct ax_irq_ack_stats acks[AX_GICD_V2_MAX_CPUS];
};

/* One access or host call in progress: the accessing CPU and CPUs to notify. */
struct gicd_op {
	struct ax_gicd_v2 *g;
	uint32_t cpu;
	uint8_t kick;
};

/* gicd_v2.c */
void gicv2_lock(struct ax_gicd_v2 *g);
void gicv2_unlock(struct gicd_op *op); /* then notifies the kicked CPUs */
struct irq_state *gicv2_irq_at(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq);
uint8_t gicv2_irq_targets(const struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq,
			  const struct irq_state *s);
bool gicv2_irq_deliverable(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq);
void gicv2_note_change(struct gicd_op *op, uint32_t cpu, uint32_t irq);
/* Drops irq from cpu's candidates when it is no longer enabled, pending and inactive. */
void gicv2_prune_candidate(struct ax_gicd_v2 *g, uint32_t cpu, uint32_t irq);
void gicv2_level_locked(struct gicd_op *op, uint32_t cpu, uint32_t irq, bool level);
/* pending -> active for `cpu`; BadState when not pending there */
enum ax_err gicv2_ack_locked(struct gicd_op *op, uint32_t cpu, uint32_t irq, uint32_t source_cpu);

/* gicc_v2.c */
#define AX_GICC_V2_SIZE 0x2000u
void gicc_v2_reset_locked(struct ax_gicd_v2 *g);
enum ax_err gicc_v2_access(struct ax_gicd_v2 *g, const struct ax_access *acc, uint64_t *rval,
			   uint32_t wval);
/* Registers with the set's fabric (no lock held); unwinds itself on failure. */
enum ax_err gicc_v2_attach(struct ax_gicd_v2 *g, struct ax_irq_fabric *fabric, const char *name,
			   struct ax_diag *diag);
void gicc_v2_detach(struct ax_gicd_v2 *g);

#endif
