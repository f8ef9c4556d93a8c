/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GIC register maps: GICv2 distributor and CPU interface (Arm IHI 0048B
 * 4.3, 4.4), GICv3 distributor and redistributor (Arm IHI 0069 12.9,
 * 12.10, 12.11). The GICv3 CPU interface is system registers (cpu.h).
 */
#ifndef GUEST_GIC_REGS_H
#define GUEST_GIC_REGS_H

/* Distributor, both versions. */
#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_IGROUPR	0x0080
#define GICD_ISENABLER	0x0100
#define GICD_ICENABLER	0x0180
#define GICD_ISPENDR	0x0200
#define GICD_ICPENDR	0x0280
#define GICD_ISACTIVER	0x0300
#define GICD_ICACTIVER	0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR	0x0800 /* v2 */
#define GICD_ICFGR	0x0c00
#define GICD_SGIR	0x0f00 /* v2 */
#define GICD_IROUTER	0x6000 /* v3: 64 bits per INTID, from INTID 0 (SPIs only) */
#define GICD_PIDR2_V2	0x0fe8
#define GICD_PIDR2_V3	0xffe8

#define GICD_TYPER_ITLINES_MASK 0x1fu /* (N + 1) * 32 interrupts */
#define GICD_TYPER_CPUS_SHIFT	5     /* v2: CPUNumber, CPUs - 1 */
#define GICD_TYPER_CPUS_MASK	0x7u

#define GICD_CTLR_ENABLE      (1u << 0) /* v2 */
#define GICD_CTLR_ENABLE_GRP1 (1u << 1) /* v3, non-secure view */
#define GICD_CTLR_ARE_NS      (1u << 4) /* v3, non-secure view */
#define GICD_CTLR_RWP	      (1u << 31)

#define GIC_PIDR2_ARCHREV_SHIFT 4
#define GIC_PIDR2_ARCHREV_MASK	0xfu

#define GICD_SGIR_TARGET_SHIFT 16 /* CPUTargetList, TargetListFilter 0: the list */

/* ICFGR: two bits per INTID, the upper one selects edge. */
#define GICD_ICFGR_EDGE 2u

/* GICv2 CPU interface. */
#define GICC_CTLR  0x0000
#define GICC_PMR   0x0004
#define GICC_BPR   0x0008
#define GICC_IAR   0x000c
#define GICC_EOIR  0x0010
#define GICC_RPR   0x0014
#define GICC_HPPIR 0x0018
#define GICC_IIDR  0x00fc

#define GICC_CTLR_ENABLE     (1u << 0)
#define GICC_IAR_INTID_MASK  0x3ffu
#define GICC_IAR_CPUID_SHIFT 10
#define GICC_IAR_CPUID_MASK  0x7u

/* GICv3 redistributor: RD_base frame, then SGI_base 64 KiB above it. */
#define GICR_CTLR	0x0000
#define GICR_IIDR	0x0004
#define GICR_TYPER	0x0008 /* 64 bits */
#define GICR_WAKER	0x0014
#define GICR_PIDR2	0xffe8
#define GICR_SGI_BASE	0x10000
#define GICR_IGROUPR0	(GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI_BASE + 0x0180)
#define GICR_ISPENDR0	(GICR_SGI_BASE + 0x0200)
#define GICR_ICPENDR0	(GICR_SGI_BASE + 0x0280)
#define GICR_ICACTIVER0 (GICR_SGI_BASE + 0x0380)
#define GICR_IPRIORITYR (GICR_SGI_BASE + 0x0400)
#define GICR_ICFGR1	(GICR_SGI_BASE + 0x0c04)

#define GICR_TYPER_LAST		   (1ull << 4)
#define GICR_TYPER_PROCESSOR_SHIFT 8
#define GICR_TYPER_PROCESSOR_MASK  0xffffu
#define GICR_TYPER_AFFINITY_SHIFT  32

#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

/* GICv3 CPU interface system register fields. */
#define ICC_SRE_SRE		(1u << 0)
#define ICC_IGRPEN1_ENABLE	(1u << 0)
#define ICC_IAR_INTID_MASK	0xffffffu
#define ICC_SGI1R_TARGETS_SHIFT 0
#define ICC_SGI1R_AFF1_SHIFT	16
#define ICC_SGI1R_INTID_SHIFT	24
#define ICC_SGI1R_AFF2_SHIFT	32
#define ICC_SGI1R_IRM		(1ull << 40)
#define ICC_SGI1R_AFF3_SHIFT	48

/* INTID ranges. */
#define GIC_FIRST_PPI	   16u
#define GIC_FIRST_SPI	   32u
#define GIC_SPURIOUS_FIRST 1020u
#define GIC_SPURIOUS	   1023u

#endif
