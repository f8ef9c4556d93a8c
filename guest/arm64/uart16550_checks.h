/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 3: the 16550 on MMIO at 0x09040000 (reg_shift 2): scratch
 * register, line control, FIFOs, output, loopback (MCR LOOP) and the THRE
 * interrupt through the GIC at INTID 34.
 */
#ifndef GUEST_UART16550_CHECKS_H
#define GUEST_UART16550_CHECKS_H

#include "uart16550.h"

extern struct uart16550 uart1;

void uart16550_checks_run(void);

#endif
