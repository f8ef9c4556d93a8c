/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Arm demo machine as configs/demo-arm64.toml (GICv2) and
 * configs/demo-arm64-gicv3.toml (GICv3) describe it: QEMU virt's layout
 * plus a 16550 and the meta device. This is the guest's only knowledge of
 * the machine besides the device tree; keep it in step with both configs.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

/* RAM: 128 MiB at 1 GiB; the image is linked (and loaded) at its base. */
#define PLATFORM_RAM_BASE 0x40000000ul
#define PLATFORM_RAM_SIZE 0x08000000ul

#define PLATFORM_CPUS 2 /* plain: entry.S uses it too */

/* GIC distributor (either version), GICv2 CPU interface, GICv3 redistributors. */
#define PLATFORM_GICD_BASE	 0x08000000ul
#define PLATFORM_GICC_BASE	 0x08010000ul
#define PLATFORM_GICR_BASE	 0x080a0000ul
#define PLATFORM_GICR_FRAME_SIZE 0x20000ul /* RD_base + SGI_base, 64 KiB each */
#define PLATFORM_GIC_INTERRUPTS	 128u	   /* GICD_TYPER ITLinesNumber 3 */

/* PL011, SPI 1. */
#define PLATFORM_PL011_BASE  0x09000000ul
#define PLATFORM_PL011_INTID 33u

/* 16550 on MMIO, registers 4 bytes apart (32-bit accesses), SPI 2. */
#define PLATFORM_UART16550_BASE	     0x09040000ul
#define PLATFORM_UART16550_REG_SHIFT 2u
#define PLATFORM_UART16550_INTID     34u

/* virtio-mmio slots 0x200 apart, slot n on INTID 48 + n (edge rising). */
#define PLATFORM_VIRTIO_BASE	   0x0a000000ul
#define PLATFORM_VIRTIO_STRIDE	   0x200ul
#define PLATFORM_VIRTIO_SLOTS	   32u
#define PLATFORM_VIRTIO_INTID_BASE 48u

/* The meta device: reads 0, writes ignored. */
#define PLATFORM_META_BASE 0x0b000000ul

/* Nothing is mapped here: reads all ones, writes dropped. */
#define PLATFORM_UNMAPPED 0x0c000000ul

/* Generic timer: 62.5 MHz, virtual timer PPI INTID 27, non-secure physical INTID 30. */
#define PLATFORM_TIMER_HZ   62500000u
#define PLATFORM_CNTV_INTID 27u
#define PLATFORM_CNTP_INTID 30u

/* The demo disk made by tools/make-demo-disk.sh: 4 MiB; sectors 8..15 are ours to write. */
#define PLATFORM_DISK_SECTORS 8192u

#endif
