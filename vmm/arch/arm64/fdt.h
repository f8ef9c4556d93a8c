/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flattened device tree an arm64 guest boots with, written with libfdt
 * from a description of the VM (struct arm64_fdt_desc), which
 * arm64_fdt_desc_from_config() derives from the config's device set.
 *
 * Nodes (root #address-cells = #size-cells = 2, compatible and model
 * "linux,dummy-virt", interrupt-parent = the GIC); node names as the Linux
 * bindings' $nodename patterns ask:
 *   memory@GPA            one per RAM region, device_type "memory"
 *   cpus/cpu@REG          /cpus #address-cells 1, #size-cells 0; compatible "arm,armv8"
 *                         (cpus.yaml; "arm,arm-v8" is no listed compatible), device_type
 *                         "cpu", reg = psci_mpidr(i) & 0xffffff (MPIDR[23:0]: the one-cell
 *                         form, Aff3 being 0), enable-method "psci"
 *   psci                  compatible "arm,psci-1.0", "arm,psci-0.2" (not "arm,psci": with
 *                         that PSCI 0.1 fallback psci.yaml requires the cpu_on / cpu_off
 *                         function ids); method "hvc" or "smc"
 *   interrupt-controller@GICD
 *                         GICv2: compatible "arm,cortex-a15-gic", reg = GICD, GICC;
 *                         GICv3: compatible "arm,gic-v3", reg = GICD, GICR region,
 *                         #redistributor-regions 1. #interrupt-cells 3,
 *                         interrupt-controller, #address-cells 0, phandle 1.
 *   timer                 compatible "arm,armv8-timer", always-on, interrupts: the
 *                         secure physical (PPI 13), non-secure physical (PPI 14, INTID
 *                         30), virtual (PPI 11, INTID 27), hypervisor (PPI 10) timers,
 *                         level high (GICv2: with the mask of nr_cpus CPUs in bits 15:8)
 *   clock-apb-pclk        fixed-clock 24 MHz, phandle 2, used by every PL011 (only
 *                         written when there is one)
 *   serial@BASE (PL011)   compatible "arm,pl011", "arm,primecell"; clocks apb_pclk twice,
 *                         clock-names "uartclk", "apb_pclk"; interrupts SPI level high
 *   serial@BASE (16550)   16550 on MMIO: compatible "ns16550a", reg-shift, reg-io-width 4
 *                         when reg_shift is 2, clock-frequency 1843200, interrupts SPI
 *                         level high
 *   virtio@BASE           compatible "virtio,mmio", dma-coherent, interrupts SPI level high
 *                         (the transport holds its line until InterruptACK)
 *   chosen                bootargs, stdout-path ("/serial@9000000" of the console chosen:
 *                         the first PL011, else the first 16550; none without either),
 *                         linux,initrd-start/-end (64-bit) when there is an initrd
 * Interrupt specifiers: <0 SPI-number flags> for INTID 32..1019 (SPI = INTID - 32),
 * <1 PPI-number flags> for 16..31.
 */
#ifndef AXVM_ARCH_ARM64_FDT_H
#define AXVM_ARCH_ARM64_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/vm_config.h"

#define ARM64_FDT_MAX	    (2u << 20) /* booting.rst: the DTB is at most 2 MiB */
#define ARM64_FDT_MAX_UARTS 8

struct arm64_fdt_range {
	uint64_t base, size;
};

enum arm64_fdt_uart_kind { ARM64_FDT_PL011, ARM64_FDT_NS16550 };

struct arm64_fdt_uart {
	enum arm64_fdt_uart_kind kind;
	uint64_t base, size;
	uint32_t intid;
	uint32_t reg_shift; /* 16550 only */
};

struct arm64_fdt_virtio {
	uint64_t base, size;
	uint32_t intid;
};

struct arm64_fdt_desc {
	uint32_t nr_cpus;
	struct arm64_fdt_range mem[AXVM_MAX_MEM_REGIONS];
	unsigned nr_mem;

	unsigned gic_version; /* 2 or 3 */
	struct arm64_fdt_range gicd;
	struct arm64_fdt_range gicc; /* v2 */
	struct arm64_fdt_range gicr; /* v3: the whole redistributor region */

	bool timer;    /* a generic timer device exists */
	bool psci_smc; /* method "smc", else "hvc" */

	struct arm64_fdt_uart uarts[ARM64_FDT_MAX_UARTS];
	unsigned nr_uarts;
	struct arm64_fdt_virtio virtio[AXVM_MAX_DEVICES];
	unsigned nr_virtio;

	const char *bootargs;		   /* NULL or "": none */
	uint64_t initrd_start, initrd_end; /* end == start: no initrd */
};

/*
 * From the config: its RAM, vCPUs, and devices. The GIC is the gicd-v2
 * entry (GICC base and length from its cfg_list [num_irqs, num_cpus,
 * gicc_base, gicc_length]) or gicd-v3 + gicr; the timer is the arm-timer
 * entry; UARTs are console (cfg bus 0: 16550 on MMIO; PL011 form [0, 2, 1]
 * as the README says) entries; virtio: virtio-blk / virtio-console (and
 * virtio-net); other entries (meta, gppt, icc, ...) are not described. -1
 * with err "path:line:col: emu_devices[i]: device \"name\": ..." when the
 * config cannot describe an arm64 VM: two GICs, a GICv2 without its CPU
 * interface (cfg_list shorter than 4) or with more than 8 vCPUs, a GICv3
 * without redistributors, a second gicr or a gicr with a GICv2, a console on
 * the port bus, an interrupt that is not an SPI (INTID 32..1019) on a UART or
 * virtio device; "path: no interrupt controller ..." when there is no GIC.
 * bootargs points into cfg; no initrd (the loader sets it).
 */
int arm64_fdt_desc_from_config(const struct axvm_config *cfg, struct arm64_fdt_desc *d, char *err,
			       size_t err_len);

/*
 * Writes the blob into buf (at most min(size, ARM64_FDT_MAX) bytes, packed:
 * totalsize is what was written). Its size, or -1 with err: a desc build
 * cannot describe, or "does not fit in N bytes" (nothing past size written).
 */
long arm64_fdt_build(const struct arm64_fdt_desc *d, void *buf, size_t size, char *err,
		     size_t err_len);

#endif
