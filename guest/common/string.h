/* SPDX-License-Identifier: Apache-2.0 */
/* The few string and memory routines a freestanding guest needs (the compiler may call mem*). */
#ifndef GUEST_STRING_H
#define GUEST_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* True when `s` (of length len, not necessarily terminated) equals the C string `word`. */
bool string_equals(const char *s, size_t len, const char *word);

/*
 * Parses an unsigned decimal or 0x-prefixed hexadecimal number occupying all
 * of s[0..len). Returns false on an empty string, another character, or overflow.
 */
bool parse_u32(const char *s, size_t len, uint32_t *out);

#endif
