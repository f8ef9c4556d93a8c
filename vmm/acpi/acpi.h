/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACPI tables for an axvm guest (x86, ACPI 6.0 hardware-reduced), built from
 * a small description into one buffer that the caller places in guest RAM:
 *
 *   RSDP (v2)  -> XSDT -> FADT (HW_REDUCED_ACPI, X_DSDT, sleep registers) -> DSDT
 *                      -> MADT (local APICs, one I/O APIC, overrides)
 *
 * The DSDT describes, in \_SB, one Device per virtio-mmio transport
 * (_HID "LNRO0005", _UID n, _CRS Memory32Fixed + Interrupt): Linux finds
 * virtio-mmio devices this way (drivers/virtio/virtio_mmio.c's ACPI match
 * table), and optionally COM1 (PNP0501, I/O 0x3f8..0x3ff, ISA IRQ 4).
 *
 * Power-off, optional: a hardware-reduced platform has no PM1 registers, so
 * the OS enters S5 through the FADT's SLEEP_CONTROL_REG and SLEEP_STATUS_REG
 * (ACPI 6.x, 4.8.3.7-8), which vmm/devices/acpi_sleep.c implements on two I/O ports,
 * with the SLP_TYP value the DSDT's \_S5 package gives. Linux offers ACPI
 * power-off on such a platform only when both registers are set and \_S5
 * evaluates (acpi_sleep_state_supported()).
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

/*
 * The sleep registers as vmm/devices/acpi_sleep.c lays them out: one byte each,
 * SLEEP_CONTROL_REG at the port given in acpi_vm_desc.sleep_port and
 * SLEEP_STATUS_REG right after it; the SLP_TYP that \_S5 declares (any 3-bit
 * value will do: 5 reads as "S5" in a trace, as in QEMU's and
 * cloud-hypervisor's hardware-reduced machines).
 */
#define ACPI_SLEEP_CONTROL_OFFSET 0u
#define ACPI_SLEEP_STATUS_OFFSET  1u
#define ACPI_SLEEP_PORTS	  2u
#define ACPI_SLP_TYP_S5		  5u

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
	/*
	 * 0: no sleep registers and no \_S5. Else the I/O port of
	 * SLEEP_CONTROL_REG (SLEEP_STATUS_REG at sleep_port + 1; both must fit
	 * below 0x10000) and the DSDT declares \_S5.
	 */
	uint16_t sleep_port;
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
 * of a non-ISA IRQ, a window above 4 GiB or empty, sleep registers past
 * port 0xffff, a misaligned gpa, a buffer that would wrap the address
 * space), ENOSPC when the buffer is too small (its contents are then
 * unspecified; nothing is written outside it).
 */
int acpi_build(const struct acpi_vm_desc *desc, uint8_t *buf, size_t size, uint64_t gpa,
	       struct acpi_layout *layout);

/* Sum of the bytes modulo 256: 0 for a table with a correct checksum. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

#endif
