/* SPDX-License-Identifier: Apache-2.0 */
/*
 * printf-style formatting into a buffer. Supports %d %i %u %x %X %c %s %p %%,
 * the flags '0' and '-', a field width, and the length modifiers l, ll, z.
 */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Like C's: always terminates (size > 0), returns the length it would have written. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
