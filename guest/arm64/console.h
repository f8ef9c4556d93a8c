/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest console: formatted text out through the PL011, a whole line at
 * a time under a lock, so the two CPUs' messages do not interleave.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

void console_init(void);

void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
