/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int axvm_log_level = AXVM_LOG_WARN;

void axvm_log(enum axvm_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;

	if ((int)level > axvm_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line so that lines from several threads do not interleave */
	fprintf(stderr, "axvm: %s: %s\n", prefix[level], line);
}
