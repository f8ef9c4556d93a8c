/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 2: the PL011 the console runs on: its identification registers,
 * flags, internal loopback (UARTCR.LBE) and the receive interrupt through
 * the GIC (UARTIMSC, UARTMIS, UARTICR).
 */
#ifndef GUEST_PL011_CHECKS_H
#define GUEST_PL011_CHECKS_H

void pl011_checks_run(void);

#endif
