/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AArch64 system-register numbers on the sysreg bus, and their conversion to
 * and from the ESR_EL2 syndrome of a trapped MSR/MRS.
 *
 * Our number packs the instruction's encoding fields into 16 bits, most
 * significant first: op0[15:14] op1[13:11] CRn[10:7] CRm[6:3] op2[2:0]
 * (AX_SYSREG_ARM64 in range.h), so that a register family is a range of
 * consecutive numbers.
 *
 * A trap of MSR, MRS or a System instruction (ESR_ELx.EC 0x18) reports the
 * same fields in a different order in ESR_ELx.ISS [24:0]:
 *   [24:22] RES0, Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10],
 *   Rt [9:5], CRm [4:1], Direction [0] (1 = read: MRS; 0 = write: MSR).
 * The ArceOS hypervisor (axvisor) numbers its system-register devices with
 * that layout, Rt and Direction zero: ICC_SGI1R_EL1 (3, 0, 12, 11, 5) is
 * 0x3a3016 there and AX_SYSREG_ARM64(3, 0, 12, 11, 5) = 0xc65d here;
 * CNTP_CTL_EL0 (3, 3, 14, 2, 1) is 0x32f804 there and 0xdf11 here.
 *
 * A bare-metal host that takes the trap itself converts the ISS with
 * ax_sysreg_from_esr_iss() and calls ax_devices_handle_sysreg_read/write with
 * the result; an axvisor number converts the same way (Direction 0, Rt 0).
 */
#ifndef AXDEVICE_SYSREG_H
#define AXDEVICE_SYSREG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "range.h"

/* Highest packed AArch64 number: every field all ones. */
#define AX_SYSREG_ARM64_MAX UINT32_C(0xffff)

/* Exception class of a trapped MSR, MRS or System instruction (ESR_ELx.EC). */
#define AX_ESR_EC_SYS64 0x18u

/* The encoding fields of one AArch64 system register. */
struct ax_sysreg_arm64 {
	uint8_t op0; /* 0..3 */
	uint8_t op1; /* 0..7 */
	uint8_t crn; /* 0..15 */
	uint8_t crm; /* 0..15 */
	uint8_t op2; /* 0..7 */
};

/* Packs `f` into our number; InvalidInput when a field is out of its range. */
enum ax_err ax_sysreg_arm64_pack(const struct ax_sysreg_arm64 *f, ax_sysreg_t *out);

/* Splits our number into its fields; InvalidInput when reg > AX_SYSREG_ARM64_MAX. */
enum ax_err ax_sysreg_arm64_unpack(ax_sysreg_t reg, struct ax_sysreg_arm64 *out);

/*
 * Decodes the ISS of an EC 0x18 trap (ESR_ELx bits [24:0], the caller has
 * checked EC): our register number, whether the guest reads (MRS) and the
 * general-purpose register it names (0..30, 31 = XZR). `is_read` and `rt`
 * may be NULL. InvalidInput, nothing written, when `reg` is NULL or `iss`
 * has a bit set at 22 or above (RES0, or not part of the ISS).
 */
enum ax_err ax_sysreg_from_esr_iss(uint32_t iss, ax_sysreg_t *reg, bool *is_read, unsigned *rt);

/*
 * The ISS layout of our number with Rt and Direction zero: axvisor's number
 * for the same register. InvalidInput when reg > AX_SYSREG_ARM64_MAX.
 */
enum ax_err ax_sysreg_to_esr_iss(ax_sysreg_t reg, uint32_t *iss);

#endif
