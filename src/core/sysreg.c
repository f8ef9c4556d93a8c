/* SPDX-License-Identifier: Apache-2.0 */
/* AArch64 system-register numbers: packing and the ESR_ELx ISS (EC 0x18) layout. */
#include <axdevice/sysreg.h>

/* Field positions in the ISS of an EC 0x18 trap. */
#define ISS_DIR_SHIFT 0
#define ISS_CRM_SHIFT 1
#define ISS_RT_SHIFT  5
#define ISS_CRN_SHIFT 10
#define ISS_OP1_SHIFT 14
#define ISS_OP2_SHIFT 17
#define ISS_OP0_SHIFT 20
/* Bits [24:22] are RES0 and [31:25] are not part of the ISS. */
#define ISS_VALID_MASK ((UINT32_C(1) << 22) - 1)

enum ax_err ax_sysreg_arm64_pack(const struct ax_sysreg_arm64 *f, ax_sysreg_t *out)
{
	if (!f || !out || f->op0 > 3 || f->op1 > 7 || f->crn > 15 || f->crm > 15 || f->op2 > 7)
		return AX_ERR_INVALID_INPUT;
	*out = AX_SYSREG_ARM64(f->op0, f->op1, f->crn, f->crm, f->op2);
	return AX_OK;
}

enum ax_err ax_sysreg_arm64_unpack(ax_sysreg_t reg, struct ax_sysreg_arm64 *out)
{
	if (!out || reg > AX_SYSREG_ARM64_MAX)
		return AX_ERR_INVALID_INPUT;
	out->op0 = (uint8_t)((reg >> 14) & 3u);
	out->op1 = (uint8_t)((reg >> 11) & 7u);
	out->crn = (uint8_t)((reg >> 7) & 15u);
	out->crm = (uint8_t)((reg >> 3) & 15u);
	out->op2 = (uint8_t)(reg & 7u);
	return AX_OK;
}

enum ax_err ax_sysreg_from_esr_iss(uint32_t iss, ax_sysreg_t *reg, bool *is_read, unsigned *rt)
{
	if (!reg || (iss & ~ISS_VALID_MASK) != 0)
		return AX_ERR_INVALID_INPUT;
	*reg = AX_SYSREG_ARM64(iss >> ISS_OP0_SHIFT, iss >> ISS_OP1_SHIFT, iss >> ISS_CRN_SHIFT,
			       iss >> ISS_CRM_SHIFT, iss >> ISS_OP2_SHIFT);
	if (is_read)
		*is_read = ((iss >> ISS_DIR_SHIFT) & 1u) != 0;
	if (rt)
		*rt = (unsigned)((iss >> ISS_RT_SHIFT) & 31u);
	return AX_OK;
}

enum ax_err ax_sysreg_to_esr_iss(ax_sysreg_t reg, uint32_t *iss)
{
	struct ax_sysreg_arm64 f;

	if (!iss || ax_sysreg_arm64_unpack(reg, &f) != AX_OK)
		return AX_ERR_INVALID_INPUT;
	*iss = ((uint32_t)f.op0 << ISS_OP0_SHIFT) | ((uint32_t)f.op2 << ISS_OP2_SHIFT) |
	       ((uint32_t)f.op1 << ISS_OP1_SHIFT) | ((uint32_t)f.crn << ISS_CRN_SHIFT) |
	       ((uint32_t)f.crm << ISS_CRM_SHIFT);
	return AX_OK;
}
