/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACPI tables for an axvm guest (x86, ACPI 6.0 hardware-reduced), built from
 * a small description into one buffer that the caller places in guest RAM:
 *
 *   RSDP (v2)  -> XSDT -> FADT (HW_REDUCED_ACPI, X_DSDT) -> DSDT
 *                      -> MADT (local APICs, one I/O APIC, overrides)
 *
 * The DSDT describes, in \_SB, one Device per virtio-mmio transport
 * (_HID "LNRO0005", _UID n, _CRS Memory32Fixed + Interrupt): Linux finds
 * virtio-mmio devices this way (drivers/virtio/virtio_mmio.c's ACPI match
 * table), and optionally COM1 (PNP0501, I/O 0x3f8..0x3ff, ISA IRQ 4).
 *
 * Interrupt source overrides: none by default. An ISA IRQ without an
 * override is identity-mapped to the same GSI (ACPI 6.x, 5.2.12.5), which
 * is what KVM's default GSI routing does (GSI n -> I/O APIC pin n, and the
 * in-kernel PIT raises GSI 0). QEMU's "IRQ 0 -> GSI 2" override exists
 * because QEMU installs its own routing (GSI 0 -> pin 2); a VMM that does
 * the same passes that override in acpi_vm_desc.overrides.
 *
 * Layout inside the buffer: RSDP at offset 0 (so a buffer at 0xe0000 is
 * found by the BIOS-area scan; the caller may instead pass its address in
 * boot_params.acpi_rsdp_addr), then XSDT, FADT, MADT, DSDT, each 16-byte
 * aligned. The caller gives the guest physical address of the buffer's
 * first byte (16-byte aligned); with guest RAM that is
 * buf = guest_ram_at(ram, gpa, size).
 */
#ifndef AXVM_ACPI_H
#define AXVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_LAPIC_ADDR	   0xfee00000u
#define ACPI_IOAPIC_ADDR   0xfec00000u
#define ACPI_MAX_CPUS	   255u /* xAPIC IDs 0..254 (255 is the broadcast ID) */
#define ACPI_MAX_OVERRIDES 16u	/* one per ISA IRQ 0..15 */

/* Identification in every table header (padded with spaces). */
#define ACPI_OEM_ID	      "AXVM  "
#define ACPI_OEM_TABLE_ID     "AXVM    "
#define ACPI_OEM_REVISION     1u
#define ACPI_CREATOR_ID	      "AXVM"
#define ACPI_CREATOR_REVISION 1u

struct acpi_virtio_mmio {
	uint64_t base; /* the whole window must lie below 4 GiB (Memory32Fixed) */
	uint64_t size; /* nonzero */
	uint32_t gsi;  /* level-triggered, active-high, exclusive */
};

/* MADT Interrupt Source Override (ISA bus): source IRQ (0..15) -> GSI, MPS INTI flags. */
struct acpi_irq_override {
	uint8_t source;
	uint32_t gsi;
	uint16_t flags; /* 0: conforms to the bus (ISA: edge, active high) */
};

struct acpi_vm_desc {
	uint32_t nr_cpus;  /* 1..ACPI_MAX_CPUS; processor UID n has local APIC ID n */
	uint8_t ioapic_id; /* at ACPI_IOAPIC_ADDR, GSI base 0 */
	bool pcat_compat;  /* the VM also has dual 8259 PICs (KVM's in-kernel irqchip does) */
	const struct acpi_virtio_mmio *virtio;
	unsigned nr_virtio; /* devices VR00, VR01, ... with _UID 0, 1, ... */
	const struct acpi_irq_override *overrides;
	unsigned nr_overrides;
	bool com1; /* Device COM1: PNP0501, IO 0x3f8 length 8, IRQ 4 */
};

struct acpi_table_pos {
	size_t off; /* from the start of the buffer */
	size_t len;
};

struct acpi_layout {
	struct acpi_table_pos rsdp, xsdt, fadt, madt, dsdt;
	size_t total; /* bytes used from the start of the buffer */
};

/*
 * Builds all tables into buf[0..size), which the guest sees at gpa. Returns
 * 0 and fills *layout (may be NULL), or -1 with errno: EINVAL for a bad
 * description (no CPUs, too many CPUs, devices or overrides, an override
 * of a non-ISA IRQ, a window above 4 GiB or empty, a misaligned gpa, a
 * buffer that would wrap the address space), ENOSPC when the buffer is too small (its
 * contents are then unspecified; nothing is written outside it).
 */
int acpi_build(const struct acpi_vm_desc *desc, uint8_t *buf, size_t size, uint64_t gpa,
	       struct acpi_layout *layout);

/* Sum of the bytes modulo 256: 0 for a table with a correct checksum. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
