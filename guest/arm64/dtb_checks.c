/* SPDX-License-Identifier: Apache-2.0 */
#include "dtb_checks.h"

#include "fdt.h"
#include "platform.h"
#include "string.h"
#include "tap.h"

/* Property names and values (Devicetree Specification, Linux bindings). */
#define GIC_V2_COMPATIBLE "arm,cortex-a15-gic"
#define GIC_V3_COMPATIBLE "arm,gic-v3"

static bool path_is_child_of(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	return memcmp(path, parent, n) == 0 && path[n] == '/';
}

static void visit(void *ctx, unsigned depth, const char *path, const char *prop,
		  const uint8_t *value, uint32_t len)
{
	struct dtb_info *info = ctx;
	size_t plen = strlen(path);

	if (depth == 1 && string_equals(path, plen, "/chosen") &&
	    string_equals(prop, strlen(prop), "bootargs")) {
		uint32_t n = len < DTB_BOOTARGS_MAX ? len : DTB_BOOTARGS_MAX - 1;

		memcpy(info->bootargs, value, n);
		info->bootargs[n] = '\0';
	}
	if (depth == 2 && path_is_child_of(path, "/cpus") &&
	    string_equals(prop, strlen(prop), "device_type") &&
	    fdt_stringlist_contains(value, len, "cpu"))
		info->cpu_nodes++;
	if (depth == 1 && string_equals(path, plen, "/psci") &&
	    string_equals(prop, strlen(prop), "method")) {
		info->psci_found = true;
		info->psci_hvc = fdt_stringlist_contains(value, len, "hvc");
	}
	/* The interrupt controller: a top-level node whose compatible names a GIC. */
	if (depth == 1 && string_equals(prop, strlen(prop), "compatible")) {
		if (fdt_stringlist_contains(value, len, GIC_V2_COMPATIBLE)) {
			info->gic_found = true;
			info->gic_v2_compatible = true;
		}
		if (fdt_stringlist_contains(value, len, GIC_V3_COMPATIBLE)) {
			info->gic_found = true;
			info->gic_v3_compatible = true;
		}
	}
}

void dtb_read(uintptr_t addr, struct dtb_info *info)
{
	struct fdt f;

	memset(info, 0, sizeof(*info));
	info->valid = fdt_open(&f, addr, info->why, sizeof(info->why)) &&
		      fdt_walk(&f, visit, info, info->why, sizeof(info->why));
}

void dtb_checks_run(const struct dtb_info *info, uintptr_t addr, unsigned gic_version)
{
	tap_section("device tree (X0) and GIC version");
	if (!check(info->valid, "X0 points at a valid device tree (magic 0xd00dfeed, blocks)",
		   "X0 0x%llx: %s", (unsigned long long)addr, info->why))
		return;
	check(info->cpu_nodes == PLATFORM_CPUS, "/cpus has 2 cpu nodes", "%u cpu nodes",
	      info->cpu_nodes);
	check(info->psci_found && info->psci_hvc, "/psci method is \"hvc\"", "psci node %s, hvc %s",
	      info->psci_found ? "found" : "missing", info->psci_hvc ? "yes" : "no");
	check(gic_version == 2 || gic_version == 3, "GICD_PIDR2 ArchRev reports GICv2 or GICv3",
	      "ArchRev %u", gic_version);
	check(info->gic_found &&
		      (gic_version == 3 ? info->gic_v3_compatible && !info->gic_v2_compatible
					: info->gic_v2_compatible && !info->gic_v3_compatible),
	      "the interrupt controller's compatible matches the GIC version found",
	      "GICv%u; DT says v2 %s, v3 %s", gic_version, info->gic_v2_compatible ? "yes" : "no",
	      info->gic_v3_compatible ? "yes" : "no");
}
