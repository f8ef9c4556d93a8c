/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm GICv3 (IHI 0069) in affinity-routing mode: distributor, one
 * redistributor per vCPU and the CPU interface system registers, three
 * device kinds sharing one core per device set.
 *
 * Config (emu_devices entries):
 *  - "gicd-v3" (0x42): MMIO, length >= AX_GICV3_GICD_SIZE (64 KiB);
 *    cfg_list = [nr_irqs], default 256, a multiple of 32 in 64..1024 (ids
 *    1020..1023 are special, so 1024 gives SPIs 32..1019). SPIs are the
 *    set's lines 32..nr_irqs-1: a device with irq_id 40 raises SPI 40.
 *  - "gicr" (seed type 9): MMIO, one entry for every vCPU: length =
 *    max_vcpus * AX_GICV3_GICR_FRAME (128 KiB: RD_base then SGI_base);
 *    frame i is vCPU i's. cfg_list empty. Registers as the set's PPI sink.
 *  - "icc" (0x43): the whole ICC_*_EL1 set on the sysreg bus: base
 *    AX_GICV3_ICC_BASE (ICC_IAR0_EL1, (3,0,12,8,0)), length
 *    AX_GICV3_ICC_LEN (CRn 12, CRm 8..12: IAR1, EOIR1, DIR, HPPIR1, RPR,
 *    BPR1, CTLR, SRE, IGRPEN1, AP1R0, SGI1R ...); the model adds ICC_PMR_EL1
 *    (3,0,4,6,0) as its second range. Registers as the set's CPU interrupt
 *    controller (ax_devices_irq_pending). For a host without a GIC.
 *  - "icc-sre" (seed 7) and "sgir" (seed 8): one register each, base
 *    AX_GICV3_ICC_SRE (3,0,12,12,5) / AX_GICV3_ICC_SGI1R (3,0,12,11,5),
 *    length 1: what upstream traps when the hardware GIC runs the rest. A
 *    set has either "icc" or these (their ranges overlap "icc"'s; the set
 *    refuses the overlap naming both devices).
 * Sysreg numbers are our packed op0:op1:CRn:CRm:op2 (sysreg.h converts an
 * axvisor ESR-layout number). Any subset may be configured: without a
 * distributor nothing gates Group 1 and there are no SPIs.
 *
 * Guest-visible choices:
 *  - One security state: GICD_CTLR.DS (bit 6) and ARE (bit 4) read as one,
 *    writes ignored; EnableGrp1 (bit 1, EnableGrp1NS in the two-state
 *    naming) gates Group 1 delivery; EnableGrp0 (bit 0) is stored. RWP
 *    reads 0. Only Group 1 is signalled: Group 0 interrupts are never
 *    delivered (IAR0 reads 1023; IGRPEN0, BPR0, AP0R RAZ/WI); IGRPMODR and
 *    NSACR are RAZ/WI.
 *  - 5 priority bits (mask 0xf8); ICC_BPR1_EL1 minimum and reset 3 (writes
 *    below are raised to 3); ICC_AP1R0_EL1 bit n stands for group priority
 *    n << 3. ICC_CTLR_EL1: EOImode (bit 1) RW, PRIbits 4, IDbits 0, A3V 1,
 *    the rest RAZ/WI. ICC_SRE_EL1 reads 0x7 (SRE, DFB, DIB), writes ignored.
 *  - Affinity of vCPU i: Aff0 = i % 16, Aff1 = i / 16, Aff2 = Aff3 = 0
 *    (as KVM builds MPIDR_EL1; the host must give its vCPUs those MPIDRs).
 *    GICR_TYPER: that affinity in [63:32], Processor_Number i, Last on the
 *    final frame. ICC_SGI1R_EL1 with RS != 0, Aff2/Aff3 != 0 targets nobody.
 *  - GICD_TYPER: ITLinesNumber nr_irqs/32-1, CPUNumber min(vCPUs, 8)-1,
 *    IDbits 9, A3V 1. IIDR (GICD and GICR) AX_GICV3_IIDR. PIDR2 0x3b
 *    (ArchRev 3) at 0xffe8 of GICD and of each RD_base.
 *  - GICD registers of ids 0..31 are RAZ/WI (ARE): those live in the GICR.
 *    IROUTER keeps Aff3.Aff2.Aff1.Aff0 and IRM; IRM = 1 offers the SPI to
 *    every vCPU (the first to acknowledge takes it); an affinity matching no
 *    vCPU delivers nowhere. Reset: 0 (vCPU 0).
 *  - GICR_WAKER: ProcessorSleep resets to 1, ChildrenAsleep follows it at
 *    once. A sleeping redistributor forwards nothing.
 *  - SGIs are edge (ICFGR0 reads 0xaaaaaaaa), PPIs level (ICFGR1 reads 0),
 *    both read-only; SPIs reset level, ICFGR bit[1] of a field selects edge.
 *    Every interrupt resets disabled, Group 0, priority 0, not pending,
 *    inactive; PMR resets to 0 (everything masked), IGRPEN1 to 0.
 *  - CPU interface: IAR1 returns the highest-priority candidate (ties: the
 *    lowest id) if its priority is below PMR and its group priority below
 *    the running priority, else 1023; EOIR1 drops the highest active
 *    priority and, with EOImode 0, deactivates the id; with EOImode 1 DIR
 *    deactivates (DIR is ignored with EOImode 0). Ids 1020..1023 written to
 *    EOIR1/DIR are ignored. HPPIR1 reports the candidate without the PMR
 *    and running-priority checks. A level interrupt whose line is still
 *    high is pending again on deactivation.
 *  - Accesses: GICD/GICR registers are 32-bit (IPRIORITYR also bytes,
 *    IROUTER and GICR_TYPER also 64-bit), naturally aligned; system
 *    registers 64-bit (32-bit accepted). Else InvalidInput, as for a vCPU
 *    id beyond the set's vCPUs.
 *
 * Every function below and every guest access take the core's spinlock; the
 * host's irq_notify hook is called after it is dropped, for each vCPU that
 * may have gained a deliverable interrupt.
 */
#ifndef AXDEVICE_GICV3_H
#define AXDEVICE_GICV3_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"
#include "range.h"

#define AX_GICV3_GICD_SIZE     0x10000u
#define AX_GICV3_GICR_FRAME    0x20000u
#define AX_GICV3_MAX_IRQS      1024u
#define AX_GICV3_MAX_ID	       1019u
#define AX_GICV3_MAX_VCPUS     256u
#define AX_GICV3_IIDR	       0x4100043bu
#define AX_GICV3_PRIORITY_MASK 0xf8u
#define AX_GICV3_SPURIOUS      1023u

#define AX_GICV3_ICC_BASE  AX_SYSREG_ARM64(3, 0, 12, 8, 0)
#define AX_GICV3_ICC_LEN   0x28u
#define AX_GICV3_ICC_PMR   AX_SYSREG_ARM64(3, 0, 4, 6, 0)
#define AX_GICV3_ICC_SRE   AX_SYSREG_ARM64(3, 0, 12, 12, 5)
#define AX_GICV3_ICC_SGI1R AX_SYSREG_ARM64(3, 0, 12, 11, 5)

struct ax_gicv3;

/*
 * The GICv3 core behind device `id` of `set` (any of gicd-v3, gicr, icc,
 * icc-sre, sgir built by this library). InvalidInput for another device.
 */
enum ax_err ax_gicv3_from_device(struct ax_devices *set, uint32_t id, struct ax_gicv3 **out);

/*
 * Drives the input of PPI 16..31 of `vcpu`, or of SPI 32..nr_irqs-1
 * (`vcpu` ignored). InvalidInput for an SGI or an id out of range.
 */
enum ax_err ax_gicv3_set_level(struct ax_gicv3 *gic, uint32_t vcpu, uint32_t intid, bool level);

/* What ICC_HPPIR1_EL1 would read for `vcpu` and that interrupt's priority.
 * NotFound when it would read 1023. Either pointer may be NULL. */
enum ax_err ax_gicv3_highest_pending(struct ax_gicv3 *gic, uint32_t vcpu, uint32_t *intid,
				     uint8_t *priority);

/* ICC_RPR_EL1 of `vcpu` (0xff when idle); 0xff for a bad vCPU. */
uint8_t ax_gicv3_running_priority(struct ax_gicv3 *gic, uint32_t vcpu);

#endif
