/* SPDX-License-Identifier: Apache-2.0 */
#include "exit_device.h"

#include "console.h"
#include "cpu.h"
#include "platform.h"

void guest_exit(uint8_t status)
{
	/* Let both UARTs finish sending before the VM goes away. */
	uart_drain(&console_com1);
	uart_drain(&console_uart1);
	outb(PLATFORM_EXIT_PORT, status);
	console_printf("guest: exit device did not stop the VM; halting\n");
	cpu_halt_forever();
}
