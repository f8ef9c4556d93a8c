/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Arm demo guest for libaxdevice's device models, booted by axvm (or
 * QEMU virt) as an arm64 Image. The command line, from the device tree's
 * /chosen bootargs, picks the mode:
 *   (none)        numbered checks of every device
 *   mode=hostile  protocol abuse, expected reactions
 * The VM leaves through PSCI SYSTEM_OFF with the status in X1: 0 only if all went well.
 */
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "dtb_checks.h"
#include "gic.h"
#include "hostile.h"
#include "psci.h"
#include "string.h"
#include "tap.h"
#include "timer.h"
#include "checks.h"

#define WORD_MAX 32

void guest_main(uint64_t dtb) __attribute__((noreturn));

static struct dtb_info dtb_info;

static int run_default_checks(uint64_t dtb, unsigned gic, bool gic_ok, const char *gic_why)
{
	unsigned failed;

	dtb_checks_run(&dtb_info, dtb, gic);
	checks_run_all(gic_ok, gic_why);

	failed = tap_checks_failed();
	console_printf("1..%u\n", tap_checks_run());
	if (failed == 0) {
		console_printf("PASS: arm64 demo guest, %u checks\n", tap_checks_run());
		return 0;
	}
	console_printf("FAIL: arm64 demo guest, %u of %u checks failed\n", failed,
		       tap_checks_run());
	return 1;
}

void guest_main(uint64_t dtb)
{
	char mode_buf[WORD_MAX], gic_why[96] = "";
	const char *cmdline, *mode;
	unsigned gic;
	bool gic_ok;
	int status;

	console_init();
	timer_init();
	dtb_read(dtb, &dtb_info);
	cmdline = dtb_info.bootargs;
	mode = cmdline_word(cmdline, "mode", "default", mode_buf, sizeof(mode_buf));
	gic = gic_detect();
	if (gic)
		gic_dist_init();
	gic_ok = gic && gic_cpu_init(gic_why, sizeof(gic_why));

	console_printf("axdevice arm64 demo guest: mode=%s cmdline=\"%s\"\n", mode, cmdline);
	console_printf("# GICv%u, counter %u Hz, MPIDR 0x%llx, DTB at 0x%llx\n", gic,
		       timer_frequency(), (unsigned long long)read_sysreg(mpidr_el1),
		       (unsigned long long)dtb);

	if (string_equals(mode, strlen(mode), "default"))
		status = run_default_checks(dtb, gic, gic_ok, gic_why);
	else if (string_equals(mode, strlen(mode), "hostile"))
		status = hostile_run(gic_ok);
	else {
		console_printf("FAIL: unknown mode '%s' (default, hostile)\n", mode);
		status = 1;
	}
	psci_system_off((uint8_t)status);
}
