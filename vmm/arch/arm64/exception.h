/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Taking an IRQ on AArch64 by hand (Arm ARM D1.10 "Exception entry"), for an
 * accelerator whose CPU does not take it itself (Unicorn): from the
 * interrupted state, the values to write back. Target EL1 always (HCR_EL2
 * routes nothing to EL2 for our guests, there is no EL2 or EL3 to them).
 *
 * Vector offsets from VBAR_EL1: current EL with SP_EL0 0x080, current EL
 * with SP_ELx 0x280, lower EL in AArch64 0x480 (IRQ entries of each group).
 * SPSR_EL1 = the interrupted PSTATE; ELR_EL1 = the interrupted PC;
 * new PSTATE = EL1h (M[3:0] = 0b0101), D, A, I and F set, NZCV kept (entry
 * does not touch the flags), SS = 0, IL = 0; PAN (FEAT_PAN) set to 1 when
 * SCTLR_EL1.SPAN is 0 and kept as it was when SPAN is 1; other fields 0.
 * An entry from AArch32 (PSTATE.nRW = 1) is refused: our guests are AArch64.
 */
#ifndef AXVM_ARCH_ARM64_EXCEPTION_H
#define AXVM_ARCH_ARM64_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

/* PSTATE / SPSR bits */
#define ARM64_PSTATE_M_MASK 0xfu
#define ARM64_PSTATE_EL0t   0x0u
#define ARM64_PSTATE_EL1t   0x4u
#define ARM64_PSTATE_EL1h   0x5u
#define ARM64_PSTATE_nRW    (1u << 4)
#define ARM64_PSTATE_F	    (1u << 6)
#define ARM64_PSTATE_I	    (1u << 7)
#define ARM64_PSTATE_A	    (1u << 8)
#define ARM64_PSTATE_D	    (1u << 9)
#define ARM64_PSTATE_IL	    (1u << 20)
#define ARM64_PSTATE_SS	    (1u << 21)
#define ARM64_PSTATE_PAN    (1u << 22)
#define ARM64_PSTATE_NZCV   0xf0000000u
#define ARM64_PSTATE_DAIF   (ARM64_PSTATE_D | ARM64_PSTATE_A | ARM64_PSTATE_I | ARM64_PSTATE_F)

#define ARM64_SCTLR_M	 (1u << 0)
#define ARM64_SCTLR_SPAN (1u << 23)

#define ARM64_VECTOR_IRQ_CUR_SP0 0x080u
#define ARM64_VECTOR_IRQ_CUR_SPX 0x280u
#define ARM64_VECTOR_IRQ_LOWER64 0x480u

struct arm64_irq_entry {
	uint64_t pc;	 /* VBAR_EL1 + vector offset */
	uint64_t spsr;	 /* for SPSR_EL1 */
	uint64_t elr;	 /* for ELR_EL1 */
	uint64_t pstate; /* the new PSTATE */
	bool from_el0;	 /* the stack pointer switches from SP_EL0 to SP_EL1 */
};

/* May an IRQ be taken in this state (PSTATE.I clear)? */
static inline bool arm64_irq_unmasked(uint64_t pstate)
{
	return !(pstate & ARM64_PSTATE_I);
}

/*
 * The IRQ entry from `pstate` at `pc` with VBAR_EL1 `vbar` and SCTLR_EL1
 * `sctlr`. false when it cannot be taken here: PSTATE.I set, an AArch32
 * state, an EL above 1, or a reserved M encoding (anything but EL0t, EL1t,
 * EL1h); the caller decides what that means. `out` is untouched then.
 */
bool arm64_irq_entry(uint64_t pstate, uint64_t pc, uint64_t vbar, uint64_t sctlr,
		     struct arm64_irq_entry *out);

#endif
