/* SPDX-License-Identifier: Apache-2.0 */
#include "console.h"

#include <stdarg.h>

#include "format.h"
#include "platform.h"

struct uart console_com1 = {
	.name = "com1",
	.bus = UART_BUS_PORT,
	.base = PLATFORM_COM1_PORT,
	.reg_shift = 0,
};

struct uart console_uart1 = {
	.name = "uart1",
	.bus = UART_BUS_MMIO32,
	.base = PLATFORM_UART1_BASE,
	.reg_shift = PLATFORM_UART1_REG_SHIFT,
};

unsigned console_init(void)
{
	unsigned answered = 0;

	answered += uart_init(&console_com1);
	answered += uart_init(&console_uart1);
	return answered;
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

	uart_write_bytes(&console_com1, line, (unsigned)n);
	uart_write_bytes(&console_uart1, line, (unsigned)n);
}
