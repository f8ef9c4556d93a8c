/* SPDX-License-Identifier: Apache-2.0 */
/* The AArch64 IRQ exception entry to EL1, computed by hand (see exception.h). */
#include "arch/arm64/exception.h"

bool arm64_irq_entry(uint64_t pstate, uint64_t pc, uint64_t vbar, uint64_t sctlr,
		     struct arm64_irq_entry *out)
{
	uint64_t offset;
	bool from_el0 = false;

	if (!arm64_irq_unmasked(pstate) || (pstate & ARM64_PSTATE_nRW))
		return false;
	switch (pstate & ARM64_PSTATE_M_MASK) {
	case ARM64_PSTATE_EL0t:
		offset = ARM64_VECTOR_IRQ_LOWER64;
		from_el0 = true;
		break;
	case ARM64_PSTATE_EL1t:
		offset = ARM64_VECTOR_IRQ_CUR_SP0;
		break;
	case ARM64_PSTATE_EL1h:
		offset = ARM64_VECTOR_IRQ_CUR_SPX;
		break;
	default:
		/* EL2, EL3, or a reserved M encoding: not a state our EL1 target can interrupt. */
		return false;
	}

	/* The flags survive entry; SS, IL and everything not named below become 0. */
	uint64_t next = (pstate & ARM64_PSTATE_NZCV) | ARM64_PSTATE_EL1h | ARM64_PSTATE_DAIF;
	/* FEAT_PAN: SPAN == 0 sets PAN on entry to EL1; SPAN == 1 leaves it as it was. */
	if (!(sctlr & ARM64_SCTLR_SPAN))
		next |= ARM64_PSTATE_PAN;
	else
		next |= pstate & ARM64_PSTATE_PAN;

	out->pc = vbar + offset;
	out->spsr = pstate;
	out->elr = pc;
	out->pstate = next;
	out->from_el0 = from_el0;
	return true;
}
