/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check 1: the device tree at X0. Its /chosen bootargs are the command
 * line; /cpus, /psci and the interrupt controller must describe the demo
 * machine, and the GIC it names must be the one GICD_PIDR2 reports.
 */
#ifndef GUEST_DTB_CHECKS_H
#define GUEST_DTB_CHECKS_H

#include <stdbool.h>
#include <stdint.h>

#define DTB_BOOTARGS_MAX 256u

struct dtb_info {
	bool valid;
	char bootargs[DTB_BOOTARGS_MAX];
	unsigned cpu_nodes;
	bool psci_found, psci_hvc;
	bool gic_found, gic_v2_compatible, gic_v3_compatible;
	char why[128];
};

/* Reads the blob (no output: the console may not be up yet). */
void dtb_read(uintptr_t addr, struct dtb_info *info);

/* The checks, for the GIC version found in the hardware. */
void dtb_checks_run(const struct dtb_info *info, uintptr_t addr, unsigned gic_version);

#endif
