/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TAP-like reporting: each check prints "ok N - what" or
 * "not ok N - what (detail)"; sections print "# title".
 */
#ifndef GUEST_TAP_H
#define GUEST_TAP_H

#include <stdbool.h>
#include <stdint.h>

void tap_section(const char *title);

/* Records and prints one check; `detail_fmt` (may be NULL) is printed only on failure. */
bool check(bool ok, const char *what, const char *detail_fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A check that `actual` equals `expected`, printing both on failure. */
bool check_eq32(uint32_t actual, uint32_t expected, const char *what);

/* Informational line, not a check. */
void tap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

unsigned tap_checks_run(void);
unsigned tap_checks_failed(void);

#endif
