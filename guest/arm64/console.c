/* SPDX-License-Identifier: Apache-2.0 */
#include "console.h"

#include <stdarg.h>

#include "format.h"
#include "pl011.h"
#include "spinlock.h"

static struct spinlock console_lock;

void console_init(void)
{
	pl011_init();
}

void console_printf(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	spin_lock(&console_lock);
	pl011_write_bytes(line, (unsigned)n);
	spin_unlock(&console_lock);
}
