/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line (multiboot's on x86, the DTB's /chosen bootargs on arm64):
 * space-separated key=value words.
 */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Finds `key=value`; points value at it and sets len (not terminated). False when absent. */
bool cmdline_option(const char *cmdline, const char *key, const char **value, size_t *len);

/*
 * Copies option `key`'s value into buf (NUL-terminated, truncated to size - 1
 * characters) and returns buf, or returns `fallback` when absent. size > 0.
 */
const char *cmdline_word(const char *cmdline, const char *key, const char *fallback, char *buf,
			 size_t size);

#endif
