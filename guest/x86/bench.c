/* SPDX-License-Identifier: Apache-2.0 */
#include "bench.h"

#include "clock.h"
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "platform.h"
#include "string.h"
#include "uart.h"
#include "virtio_mmio.h"

/* uart1's scratch register: index 7, registers 4 bytes apart. */
#define BENCH_UART1_SCRATCH (PLATFORM_UART1_BASE + (UART_SCR << PLATFORM_UART1_REG_SHIFT))
#define BENCH_COM1_SCRATCH  (PLATFORM_COM1_PORT + UART_SCR)

static void mmio_read_loop(uintptr_t addr, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		(void)mmio_read32(addr);
}

/* Alternates an 8-bit write and an 8-bit read of the port. */
static void port_write_read_loop(uint16_t port, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		if (i & 1)
			(void)inb(port);
		else
			outb(port, (uint8_t)i);
	}
}

int bench_run(const char *target, uint32_t count)
{
	uint64_t start, cycles, ns;

	start = rdtsc();
	if (strlen(target) == 4 && memcmp(target, "noop", 4) == 0)
		mmio_read_loop(PLATFORM_NOOP_BASE, count);
	else if (strlen(target) == 4 && memcmp(target, "uart", 4) == 0)
		mmio_read_loop(BENCH_UART1_SCRATCH, count);
	else if (strlen(target) == 6 && memcmp(target, "virtio", 6) == 0)
		mmio_read_loop(PLATFORM_VIRTIO_BASE + VIRTIO_MMIO_MAGIC_VALUE, count);
	else if (strlen(target) == 8 && memcmp(target, "uartport", 8) == 0)
		port_write_read_loop(BENCH_COM1_SCRATCH, count);
	else if (strlen(target) == 8 && memcmp(target, "noopport", 8) == 0)
		port_write_read_loop(PLATFORM_NOOP_PORT, count);
	else {
		console_printf("BENCH error: unknown target '%s' (noop, uart, virtio, uartport, "
			       "noopport)\n",
			       target);
		return 1;
	}
	cycles = rdtsc() - start;
	ns = clock_cycles_to_ns(cycles);
	if (count) {
		uint32_t ns_per_access = (uint32_t)div64_u32(ns, count, NULL);

		console_printf("BENCH tsc_cycles=%llu ns=%llu ns_per_access=%u tsc_khz=%u\n",
			       (unsigned long long)cycles, (unsigned long long)ns, ns_per_access,
			       clock_tsc_khz());
	}
	console_printf("BENCH done target=%s count=%u\n", target, count);
	return 0;
}
