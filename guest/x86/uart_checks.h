/* SPDX-License-Identifier: Apache-2.0 */
/* Default-mode checks of both 16550 UARTs, including one interrupt through the I/O APIC. */
#ifndef GUEST_UART_CHECKS_H
#define GUEST_UART_CHECKS_H

void uart_checks_run(void);

#endif
