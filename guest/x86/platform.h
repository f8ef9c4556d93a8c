/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The demo machine as configs/demo.toml describes it: where each device
 * sits and which interrupt line it drives. The guest learns nothing from
 * the library; these numbers are the contract with the VM configuration.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

/* com1: 16550 on the I/O port bus, registers one port apart. */
#define PLATFORM_COM1_PORT 0x3f8u
#define PLATFORM_COM1_IRQ  4u

/* uart1: 16550 on MMIO, reg_shift 2 (registers 4 bytes apart, 32-bit accesses). */
#define PLATFORM_UART1_BASE	 0xfe000000u
#define PLATFORM_UART1_REG_SHIFT 2u
#define PLATFORM_UART1_IRQ	 3u

/* virtio-mmio slots probed for devices, 4 KiB apart. */
#define PLATFORM_VIRTIO_BASE   0xfe100000u
#define PLATFORM_VIRTIO_STRIDE 0x1000u
#define PLATFORM_VIRTIO_SLOTS  4u
/* disk0 sits in the first slot and drives GSI 5. */
#define PLATFORM_DISK_IRQ 5u
/* configs/demo-net.toml only: net0 (virtio-net) in the third slot, GSI 7. */
#define PLATFORM_NET_BASE 0xfe102000u
#define PLATFORM_NET_IRQ  7u

/* GICv2 distributor model, configured for 64 interrupts and 1 CPU. */
#define PLATFORM_GICD_BASE	 0xfe200000u
#define PLATFORM_GICD_INTERRUPTS 64u
#define PLATFORM_GICD_CPUS	 1u

/* The meta device: reads 0, writes ignored; and one on the port bus. */
#define PLATFORM_NOOP_BASE 0xfe300000u
#define PLATFORM_NOOP_PORT 0x510u

/* Nothing is mapped here. */
#define PLATFORM_UNMAPPED_MMIO 0xfd000000u

/* axvm's exit device: an 8-bit write of the exit status ends the VM. */
#define PLATFORM_EXIT_PORT 0x501u

/* Guest RAM: 64 MiB at 0. */
#define PLATFORM_RAM_SIZE 0x4000000u

/* The demo disk made by tools/make-demo-disk.sh: 4 MiB. */
#define PLATFORM_DISK_SECTORS 8192u

#endif
