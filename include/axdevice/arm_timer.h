/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm generic timer (EmuDeviceType arm-timer 0x44), Arm ARM D11/D12: the EL0
 * view of the system counter and the EL1 physical and virtual timers, per
 * vCPU, on the sysreg bus.
 *
 * Config: one entry on the sysreg bus whose range starts at CNTFRQ_EL0,
 * AX_SYSREG_ARM64(3, 3, 14, 0, 0) = AX_ARM_TIMER_BASE (0xdf00), and covers at
 * least up to CNTV_CVAL_EL0 (3, 3, 14, 3, 2) = 0xdf1a: length 0x1b..0x100
 * (the rest of op1 3 / CRn 14). cfg_list = [] or [freq_hz]: the counter
 * frequency, default AX_ARM_TIMER_DEFAULT_HZ (62.5 MHz, as QEMU's virt
 * board), 1 Hz..1 GHz. irq_id is not used: the timers raise PPIs 30
 * (physical, CNTP) and 27 (virtual, CNTV) of their vCPU through the set's
 * PPI sink (a GIC), as level interrupts.
 *
 * Registers (64-bit; 32-bit accesses see the low half): CNTFRQ_EL0 (reads
 * freq_hz; writes ignored), CNTPCT_EL0 and CNTVCT_EL0 (the counter, from the
 * host's now_ns: now_ns * freq_hz / 1e9; CNTVOFF is 0; writes ignored),
 * CNTP/CNTV_CTL_EL0 (ENABLE bit 0, IMASK bit 1, ISTATUS bit 2 read-only),
 * CNTP/CNTV_CVAL_EL0 (64-bit compare value), CNTP/CNTV_TVAL_EL0 (reads
 * (CVAL - counter)[31:0] zero-extended; a write sets CVAL = counter +
 * sign-extended value[31:0]). ISTATUS = ENABLE && counter >= CVAL (0 while
 * disabled). The PPI is high while ENABLE && !IMASK && ISTATUS. Other
 * numbers in the range read as zero and ignore writes. vCPU ids >= the
 * set's max_vcpus fail with InvalidInput.
 *
 * Time: the condition is re-evaluated at every register access and at the
 * deadline through the host's timer hooks (one host timer per vCPU and
 * timer, armed only while an enabled, unmasked timer has not fired yet);
 * a late or stale callback re-checks the condition. The set needs the
 * now_ns and timer hooks (Unsupported otherwise).
 */
#ifndef AXDEVICE_ARM_TIMER_H
#define AXDEVICE_ARM_TIMER_H

#include <stdint.h>

#define AX_ARM_TIMER_BASE	0xdf00u /* CNTFRQ_EL0 */
#define AX_ARM_TIMER_MIN_LEN	0x1bu	/* up to CNTV_CVAL_EL0 */
#define AX_ARM_TIMER_MAX_LEN	0x100u
#define AX_ARM_TIMER_DEFAULT_HZ 62500000u
#define AX_ARM_TIMER_MAX_HZ	1000000000u
#define AX_ARM_TIMER_PPI_PHYS	30u
#define AX_ARM_TIMER_PPI_VIRT	27u

#endif
