/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest console: every message goes, whole, to each UART that answered
 * its probe (com1 on ports, uart1 on MMIO), one after the other, so their
 * outputs do not interleave character by character on a shared terminal.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "uart.h"

extern struct uart console_com1;
extern struct uart console_uart1;

/* Initialises both UARTs; returns how many answered. */
unsigned console_init(void);

void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
