/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ARM GICv2 distributor (EmuDeviceType GicdV2 = 1), after IHI 0048B §4.3.
 *
 * Config: cfg_list = [num_irqs, num_cpus], defaults [256, 1], or
 * [num_irqs, num_cpus, gicc_base, gicc_length] for a GIC with its CPU
 * interface (see below); three entries are an error. num_irqs is a
 * multiple of 32 in 32..1024; interrupt ids 1020..1023 are special in GICv2,
 * so with num_irqs = 1024 only ids 0..1019 exist and the rest read as zero.
 * num_cpus is 1..8. The range must be at least AX_GICD_V2_SIZE bytes; space
 * past the register map reads as zero and ignores writes.
 *
 * Guest-visible choices (all "implementation defined" in the spec):
 *  - No Security Extensions: GICD_CTLR has EnableGrp0 (bit 0) and EnableGrp1
 *    (bit 1); each gates forwarding of its group. IGROUPR bits are stored and
 *    only used for that gating.
 *  - GICD_IIDR = AX_GICD_V2_IIDR: implementer 0x43B (ARM's JEP106 code, as
 *    other GIC emulations use, so guests treat it as an ARM-architecture
 *    GIC), ProductID 0x41 ('A', axdevice), variant 0, revision 0.
 *  - PIDR/CIDR carry ARM's GIC-400 values (designer ARM, part 0x490,
 *    ArchRev 2 in PIDR2[7:4]) for guests that probe them.
 *  - 5 priority bits (32 levels): the low 3 bits of every IPRIORITYR byte are
 *    RAZ/WI, matching the 5-bit priority field of GICv2 list registers.
 *  - SGIs are enabled at reset (writable); everything else resets disabled,
 *    Group 0, priority 0, not pending, not active. SGIs are edge, PPIs are
 *    level (both read-only in ICFGR); SPIs reset level, ICFGR bit[1] of each
 *    field selects edge.
 *  - ITARGETSR 0..31 is read-only and returns the accessing CPU's own bit.
 *    With num_cpus = 1 every SPI targets CPU 0 and its ITARGETSR byte reads
 *    0x01 and ignores writes; otherwise SPIs reset to no target (0x00, as
 *    the spec's reset table says; the guest routes them) and target bits of
 *    absent CPUs are RAZ/WI.
 *  - GICD_ISPENDR0/ICPENDR0 bits of SGIs are read-only (GICv2 sets and clears
 *    SGI pending state per source CPU through SPENDSGIR/CPENDSGIR).
 *  - An SGI has one active state per target CPU, whichever source it came from.
 *  - Accesses are 32-bit (IPRIORITYR, ITARGETSR, CPENDSGIR, SPENDSGIR and
 *    reserved space also allow bytes) and naturally aligned; anything else,
 *    and any vCPU id >= num_cpus, fails with InvalidInput.
 *
 * Interrupt model: each interrupt has enable, active, a software/edge pending
 * latch and, for PPIs and SPIs, the input line level set by the host. An
 * edge interrupt pends on a rising line; a level interrupt is pending while
 * its line is high or its latch is set (ISPENDR sets the latch, ICPENDR and
 * acknowledge clear it). SGI/PPI state (0..31) is banked per CPU; SGI pending
 * state is kept per source CPU.
 *
 * CPU interface (IHI 0048B §4.4, src/dev/gicc_v2.c), with four cfg_list
 * entries: a second MMIO range of the same device at gicc_base, gicc_length
 * >= AX_GICC_V2_SIZE bytes (0x2000; QEMU's virt board uses 0x10000; space
 * past the frame reads as zero), registers GICC_CTLR .. GICC_DIR banked per
 * vCPU by the access context, 32-bit accesses only. The device then also
 * joins the set's interrupt fabric: it is the set's CPU interrupt
 * controller (ax_devices_irq_pending(vcpu) = that CPU interface would
 * signal an IRQ: an enabled, group-enabled interrupt above GICC_PMR and the
 * running priority; ax_devices_irq_ack is Unsupported, the guest
 * acknowledges through GICC_IAR), the PPI sink (PPIs 16..31 per vCPU as
 * level lines, e.g. from the generic timer) and the controller input of
 * lines [0, num_irqs) where a device's irq_id n drives SPI n (lines below
 * 32 are ignored). It tells the host "vCPU n may have an interrupt" through
 * the irq_notify hook, like the x86 local APIC. Without the CPU interface
 * the device stays outside the fabric, as before.
 *
 * Host side: get the model with ax_gicd_v2_from_device(), drive lines with
 * ax_gicd_v2_set_level(), and fill list registers with highest_pending ->
 * acknowledge -> (guest handles it) -> end_of_interrupt. Every function here
 * and every guest access take the device's own spinlock, so they may run on
 * any thread.
 */
#ifndef AXDEVICE_GICD_V2_H
#define AXDEVICE_GICD_V2_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

#define AX_GICD_V2_SIZE		 0x1000u /* distributor register frame */
#define AX_GICD_V2_MAX_CPUS	 8u
#define AX_GICD_V2_MAX_IRQS	 1024u /* largest num_irqs accepted */
#define AX_GICD_V2_MAX_ID	 1019u /* 1020..1023 are special ids */
#define AX_GICD_V2_PRIORITY_MASK 0xf8u /* implemented priority bits */
#define AX_GICD_V2_IIDR		 0x4100043bu

struct ax_gicd_v2;

/*
 * The distributor behind device `id` of `set`. InvalidInput when that device
 * is not a GICv2 distributor built by this library; NotFound for a bad id.
 */
enum ax_err ax_gicd_v2_from_device(struct ax_devices *set, uint32_t id, struct ax_gicd_v2 **out);

/*
 * Notification that `cpu` may have a newly deliverable interrupt (pending,
 * enabled, not active, its group enabled): a host kicks that vCPU, which then
 * calls ax_gicd_v2_highest_pending(). Called with no lock held, on the thread
 * that made the change (a vCPU in a guest write, or the host in set_level),
 * possibly spuriously. fn may call back into this API. NULL disables it.
 */
typedef void (*ax_gicd_v2_notify_fn)(void *ctx, uint32_t cpu);
void ax_gicd_v2_set_notify(struct ax_gicd_v2 *gicd, ax_gicd_v2_notify_fn fn, void *ctx);

/*
 * Drives the input line of interrupt `irq` (16..max id): `cpu` selects the
 * banked PPI (16..31) and is ignored for SPIs. InvalidInput for an SGI, an
 * id past num_irqs, or a PPI of a CPU >= num_cpus.
 */
enum ax_err ax_gicd_v2_set_level(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq, bool level);

/*
 * The highest-priority (lowest value; ties go to the lowest id) interrupt
 * that is pending, enabled, not active, targeted at `cpu`, in a group the
 * distributor forwards. For an SGI, *source_cpu is the lowest-numbered
 * sending CPU (0 for other interrupts). NotFound when there is none;
 * InvalidInput for cpu >= num_cpus. Any output pointer may be NULL.
 */
enum ax_err ax_gicd_v2_highest_pending(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t *irq,
				       uint32_t *source_cpu, uint8_t *priority);

/*
 * The CPU interface took `irq` (for an SGI, the one sent by `source_cpu`,
 * which is ignored otherwise): pending -> active. Clears the pending latch
 * (the SGI's source bit); a level interrupt whose line is still high stays
 * pending as well as active. BadState when it is not pending for `cpu`
 * (or, for an SPI, not targeted at it); InvalidInput for bad ids.
 */
enum ax_err ax_gicd_v2_acknowledge(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq,
				   uint32_t source_cpu);

/*
 * Deactivates `irq` on `cpu` (the CPU's banked copy for 0..31). A level
 * interrupt whose line is still high is then deliverable again, and the
 * notify hook says so. BadState when it was not active.
 */
enum ax_err ax_gicd_v2_end_of_interrupt(struct ax_gicd_v2 *gicd, uint32_t cpu, uint32_t irq);

#endif
