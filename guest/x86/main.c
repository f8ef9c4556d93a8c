/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Demo guest for libaxdevice's device models, booted by axvm (or any
 * multiboot v1 loader). The command line picks the mode:
 *   (none)                                      numbered checks of every device
 *   mode=hostile                                protocol abuse, expected reactions
 *   mode=crash seed=<hex>                       flushed and unflushed writes until killed
 *   mode=bench target=noop|uart|virtio|uartport|noopport count=N
 *   mode=net                                    ARP + ICMP echo over virtio-net (demo-net.toml)
 * The VM's exit status (through the exit device) is 0 only if all went well.
 */
#include <stdint.h>

#include "bench.h"
#include "clock.h"
#include "console.h"
#include "console_checks.h"
#include "crash_mode.h"
#include "disk_checks.h"
#include "exit_device.h"
#include "gicd_check.h"
#include "halt_wait.h"
#include "hostile.h"
#include "interrupts.h"
#include "lapic.h"
#include "mmio_checks.h"
#include "multiboot.h"
#include "net_checks.h"
#include "pic.h"
#include "smp_checks.h"
#include "string.h"
#include "tap.h"
#include "uart_checks.h"

#define WORD_MAX 32

void guest_main(uint32_t magic, const struct multiboot_info *info) __attribute__((noreturn));

static int run_default_checks(void)
{
	unsigned failed;

	disk_checks_run();
	console_checks_run();
	gicd_checks_run();
	uart_checks_run();
	mmio_checks_run();
	smp_checks_run();

	failed = tap_checks_failed();
	console_printf("1..%u\n", tap_checks_run());
	if (failed == 0) {
		console_printf("PASS: demo guest, %u checks\n", tap_checks_run());
		return 0;
	}
	console_printf("FAIL: demo guest, %u of %u checks failed\n", failed, tap_checks_run());
	return 1;
}

static int run_bench(const char *cmdline)
{
	char target_buf[WORD_MAX], count_buf[WORD_MAX];
	const char *target =
		cmdline_word(cmdline, "target", "noop", target_buf, sizeof(target_buf));
	const char *count_text = cmdline_word(cmdline, "count", NULL, count_buf, sizeof(count_buf));
	uint32_t count = BENCH_DEFAULT_COUNT;

	if (count_text && !parse_u32(count_text, strlen(count_text), &count)) {
		console_printf("BENCH error: bad count '%s'\n", count_text);
		return 1;
	}
	return bench_run(target, count);
}

void guest_main(uint32_t magic, const struct multiboot_info *info)
{
	const char *cmdline = multiboot_cmdline(magic, info);
	char mode_buf[WORD_MAX];
	const char *mode = cmdline_word(cmdline, "mode", "default", mode_buf, sizeof(mode_buf));
	bool lapic_ok, clock_ok;
	int status;

	console_init();
	interrupts_init();
	pic_remap_and_mask(VECTOR_PIC_BASE);
	lapic_ok = lapic_enable(VECTOR_LAPIC_SPURIOUS);
	clock_ok = lapic_ok && clock_init();
	halt_wait_init();

	console_printf("axdevice demo guest: mode=%s cmdline=\"%s\"\n", mode, cmdline);
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		console_printf("# warning: boot magic 0x%x is not multiboot's 0x%x\n", magic,
			       MULTIBOOT_BOOTLOADER_MAGIC);
	else if (info->flags & MULTIBOOT_INFO_MEMORY)
		console_printf("# memory: %u KiB low, %u KiB above 1 MiB\n", info->mem_lower,
			       info->mem_upper);
	console_printf("# local APIC %s (id %u), TSC %u kHz%s\n", lapic_ok ? "enabled" : "MISSING",
		       lapic_ok ? lapic_id() : 0, clock_tsc_khz(),
		       clock_ok ? "" : " (assumed: calibration against the APIC timer failed)");

	if (string_equals(mode, strlen(mode), "default"))
		status = run_default_checks();
	else if (string_equals(mode, strlen(mode), "hostile"))
		status = hostile_run();
	else if (string_equals(mode, strlen(mode), "bench"))
		status = run_bench(cmdline);
	else if (string_equals(mode, strlen(mode), "crash"))
		status = crash_mode_run(cmdline);
	else if (string_equals(mode, strlen(mode), "net"))
		status = net_checks_run();
	else {
		console_printf("FAIL: unknown mode '%s' (default, hostile, bench, crash, net)\n",
			       mode);
		status = 1;
	}
	guest_exit((uint8_t)status);
}
