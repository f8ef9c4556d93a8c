/* SPDX-License-Identifier: Apache-2.0 */
#include "tap.h"

#include <stdarg.h>

#include "console.h"
#include "format.h"

static unsigned checks_run;
static unsigned checks_failed;

void tap_section(const char *title)
{
	console_printf("# %s\n", title);
}

bool check(bool ok, const char *what, const char *detail_fmt, ...)
{
	checks_run++;
	if (ok) {
		console_printf("ok %u - %s\n", checks_run, what);
		return true;
	}
	checks_failed++;
	if (!detail_fmt) {
		console_printf("not ok %u - %s\n", checks_run, what);
		return false;
	}
	char detail[256];
	va_list ap;

	va_start(ap, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, ap);
	va_end(ap);
	console_printf("not ok %u - %s (%s)\n", checks_run, what, detail);
	return false;
}

bool check_eq32(uint32_t actual, uint32_t expected, const char *what)
{
	return check(actual == expected, what, "got 0x%x, expected 0x%x", actual, expected);
}

void tap_note(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_printf("# %s\n", line);
}

unsigned tap_checks_run(void)
{
	return checks_run;
}

unsigned tap_checks_failed(void)
{
	return checks_failed;
}
