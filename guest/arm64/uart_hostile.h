/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile mode, the UARTs: the PL011's read-only and reserved registers
 * written, nonsense baud and line settings, every 16550 register written
 * with garbage (DLAB included). Both are then set up again and must work.
 */
#ifndef GUEST_UART_HOSTILE_H
#define GUEST_UART_HOSTILE_H

void uart_hostile_run(void);

#endif
