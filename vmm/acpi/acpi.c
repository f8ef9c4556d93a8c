/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI tables for an axvm guest; see acpi.h. Layouts from the ACPI 6.0 spec, chapter 5.2. */
#include "acpi/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/aml.h"

#define HDR_LEN		  36u  /* System Description Table Header */
#define RSDP_LEN	  36u  /* RSDP revision 2 */
#define RSDP_V1		  20u  /* bytes covered by the first checksum */
#define FADT_LEN	  276u /* ACPI 6.0 FADT (up to Hypervisor Vendor Identity) */
#define MADT_BASE	  44u  /* header, local APIC address, flags */
#define MADT_LAPIC_LEN	  8u
#define MADT_IOAPIC_LEN	  12u
#define MADT_OVERRIDE_LEN 10u
#define ALIGN		  16u
#define MAX_VIRTIO	  256u /* device names VR00..VRFF */

/* FADT fields (offsets) and values. */
#define FADT_DSDT	    40u
#define FADT_IAPC_BOOT_ARCH 109u
#define FADT_FLAGS	    112u
#define FADT_MINOR	    131u
#define FADT_X_DSDT	    140u
#define FADT_SLEEP_CONTROL  244u /* Generic Address Structures, 12 bytes each */
#define FADT_SLEEP_STATUS   256u
#define FADT_REVISION	    6u
#define FADT_MINOR_VERSION  0u	       /* ACPI 6.0: FADT_LEN is its layout */
#define FADT_HW_REDUCED	    (1u << 20) /* HW_REDUCED_ACPI */
/* IA-PC boot architecture flags: no VGA, no MSI (no PCI at all), no CMOS RTC; no 8042. */
#define IAPC_VGA_NOT_PRESENT   (1u << 2)
#define IAPC_MSI_NOT_SUPPORTED (1u << 3)
#define IAPC_CMOS_RTC_ABSENT   (1u << 5)

/* Generic Address Structure (ACPI 6.x, 5.2.3.2) of a one-byte I/O port register. */
#define GAS_SYSTEM_IO	1u
#define GAS_ACCESS_BYTE 1u
#define SLEEP_REG_BITS	8u

#define MADT_PCAT_COMPAT 1u
#define MADT_ENABLED	 1u

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* Stores the byte that makes p[0..len) sum to 0; p[at] must be 0 before. */
static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
	p[at] = (uint8_t)(0u - acpi_checksum(p, len));
}

static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t revision)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = revision;
	t[9] = 0; /* checksum, set last */
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, ACPI_CREATOR_REVISION);
}

static size_t align_up(size_t v)
{
	return (v + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static bool desc_ok(const struct acpi_vm_desc *d)
{
	if (d->nr_cpus < 1 || d->nr_cpus > ACPI_MAX_CPUS || d->nr_virtio > MAX_VIRTIO)
		return false;
	if ((d->nr_virtio && !d->virtio) || (d->nr_overrides && !d->overrides))
		return false;
	if (d->nr_overrides > ACPI_MAX_OVERRIDES)
		return false;
	if (d->sleep_port > UINT16_MAX - (ACPI_SLEEP_PORTS - 1))
		return false;
	for (unsigned i = 0; i < d->nr_overrides; i++) {
		if (d->overrides[i].source >= ACPI_MAX_OVERRIDES)
			return false;
	}
	for (unsigned i = 0; i < d->nr_virtio; i++) {
		const struct acpi_virtio_mmio *v = &d->virtio[i];

		if (v->size == 0 || v->base > UINT32_MAX || v->size > UINT32_MAX ||
		    v->size - 1 > UINT32_MAX - v->base)
			return false;
	}
	return true;
}

static void build_rsdp(uint8_t *t, uint64_t xsdt_gpa)
{
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, ACPI_OEM_ID, 6);
	t[15] = 2;	  /* revision: ACPI 2.0+ */
	put32(t + 16, 0); /* RsdtAddress: none, the XSDT is used */
	put32(t + 20, RSDP_LEN);
	put64(t + 24, xsdt_gpa);
	fix_checksum(t, RSDP_V1, 8);
	fix_checksum(t, RSDP_LEN, 32);
}

static void build_xsdt(uint8_t *t, uint64_t fadt_gpa, uint64_t madt_gpa)
{
	header(t, "XSDT", HDR_LEN + 16, 1);
	put64(t + HDR_LEN, fadt_gpa);
	put64(t + HDR_LEN + 8, madt_gpa);
	fix_checksum(t, HDR_LEN + 16, 9);
}

/* A GAS for one byte at an I/O port: bit width 8, bit offset 0, byte access. */
static void gas_io_byte(uint8_t *g, uint64_t port)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = SLEEP_REG_BITS;
	g[2] = 0;
	g[3] = GAS_ACCESS_BYTE;
	put64(g + 4, port);
}

static void build_fadt(uint8_t *t, uint64_t dsdt_gpa, uint16_t sleep_port)
{
	header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* FIRMWARE_CTRL/X_FIRMWARE_CTRL stay 0: no FACS in hardware-reduced ACPI. */
	put32(t + FADT_DSDT, 0); /* the 64-bit X_DSDT is used, so this must be 0 */
	put16(t + FADT_IAPC_BOOT_ARCH,
	      IAPC_VGA_NOT_PRESENT | IAPC_MSI_NOT_SUPPORTED | IAPC_CMOS_RTC_ABSENT);
	put32(t + FADT_FLAGS, FADT_HW_REDUCED);
	t[FADT_MINOR] = FADT_MINOR_VERSION;
	put64(t + FADT_X_DSDT, dsdt_gpa);
	/* No sleep registers: both GAS stay zero, which tells the OS there are none. */
	if (sleep_port) {
		gas_io_byte(t + FADT_SLEEP_CONTROL, sleep_port + ACPI_SLEEP_CONTROL_OFFSET);
		gas_io_byte(t + FADT_SLEEP_STATUS, sleep_port + ACPI_SLEEP_STATUS_OFFSET);
	}
	fix_checksum(t, FADT_LEN, 9);
}

static size_t madt_len(const struct acpi_vm_desc *d)
{
	return MADT_BASE + (size_t)d->nr_cpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       (size_t)d->nr_overrides * MADT_OVERRIDE_LEN;
}

static void build_madt(uint8_t *t, const struct acpi_vm_desc *d)
{
	size_t len = madt_len(d), o = MADT_BASE;

	header(t, "APIC", (uint32_t)len, 5); /* MADT revision 5: ACPI 6.0 */
	put32(t + 36, ACPI_LAPIC_ADDR);
	put32(t + 40, d->pcat_compat ? MADT_PCAT_COMPAT : 0);
	for (uint32_t i = 0; i < d->nr_cpus; i++, o += MADT_LAPIC_LEN) {
		t[o] = 0; /* Processor Local APIC */
		t[o + 1] = MADT_LAPIC_LEN;
		t[o + 2] = (uint8_t)i; /* ACPI processor UID */
		t[o + 3] = (uint8_t)i; /* APIC ID */
		put32(t + o + 4, MADT_ENABLED);
	}
	t[o] = 1; /* I/O APIC */
	t[o + 1] = MADT_IOAPIC_LEN;
	t[o + 2] = d->ioapic_id;
	t[o + 3] = 0;
	put32(t + o + 4, ACPI_IOAPIC_ADDR);
	put32(t + o + 8, 0); /* GSI base */
	o += MADT_IOAPIC_LEN;
	for (unsigned i = 0; i < d->nr_overrides; i++, o += MADT_OVERRIDE_LEN) {
		const struct acpi_irq_override *ov = &d->overrides[i];

		t[o] = 2; /* Interrupt Source Override */
		t[o + 1] = MADT_OVERRIDE_LEN;
		t[o + 2] = 0; /* bus: ISA */
		t[o + 3] = ov->source;
		put32(t + o + 4, ov->gsi);
		put16(t + o + 8, ov->flags);
	}
	fix_checksum(t, len, 9);
}

static void dsdt_com1(struct aml *a)
{
	size_t dev = aml_device_begin(a, "COM1"), buf;

	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_name_decl(a, "_CRS");
	buf = aml_buffer_begin(a);
	aml_res_io16(a, 0x3f8, 0x3f8, 0x00, 8);
	aml_res_irq_noflags(a, 1u << 4);
	aml_res_end(a);
	aml_buffer_end(a, buf);
	aml_block_end(a, dev);
}

static void dsdt_virtio(struct aml *a, unsigned n, const struct acpi_virtio_mmio *v)
{
	char name[5];
	size_t dev, buf;

	snprintf(name, sizeof(name), "VR%02X", n & 0xffu);
	dev = aml_device_begin(a, name);
	aml_name_decl(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name_decl(a, "_UID");
	aml_integer(a, n);
	aml_name_decl(a, "_CRS");
	buf = aml_buffer_begin(a);
	aml_res_memory32_fixed(a, true, (uint32_t)v->base, (uint32_t)v->size);
	aml_res_interrupt(a, false, false, false, v->gsi);
	aml_res_end(a);
	aml_buffer_end(a, buf);
	aml_block_end(a, dev);
}

/*
 * \_S5, a System State Package (ACPI 6.x, 7.4.2): SLP_TYPa, SLP_TYPb, then
 * reserved, written as four integers as QEMU and most firmware do (ACPICA's
 * acpi_get_sleep_type_data() takes the first two of two or more). A
 * hardware-reduced OS writes only SLP_TYPa, to SLEEP_CONTROL_REG; SLP_TYPb
 * (for PM1b_CNT, which this platform lacks) is 0.
 */
static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_name_decl(a, "_S5");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_block_end(a, pkg);
}

/* DSDT into t[0..cap): returns its length, or 0 when it does not fit. */
static size_t build_dsdt(uint8_t *t, size_t cap, const struct acpi_vm_desc *d)
{
	struct aml a;
	size_t scope;

	if (cap < HDR_LEN)
		return 0;
	aml_init(&a, t + HDR_LEN, cap - HDR_LEN);
	if (d->sleep_port) /* at the root of the namespace: the OS evaluates \_S5 */
		dsdt_s5(&a);
	scope = aml_scope_begin(&a, "\\_SB");
	if (d->com1)
		dsdt_com1(&a);
	for (unsigned i = 0; i < d->nr_virtio; i++)
		dsdt_virtio(&a, i, &d->virtio[i]);
	aml_block_end(&a, scope);
	if (aml_failed(&a) || a.len > UINT32_MAX - HDR_LEN)
		return 0;
	header(t, "DSDT", (uint32_t)(HDR_LEN + a.len), 2); /* revision 2: 64-bit integers */
	fix_checksum(t, HDR_LEN + a.len, 9);
	return HDR_LEN + a.len;
}

int acpi_build(const struct acpi_vm_desc *desc, uint8_t *buf, size_t size, uint64_t gpa,
	       struct acpi_layout *layout)
{
	struct acpi_layout l;

	if (!desc || (!buf && size) || !desc_ok(desc) || gpa % ALIGN) {
		errno = EINVAL;
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.rsdp = (struct acpi_table_pos){ 0, RSDP_LEN };
	l.xsdt = (struct acpi_table_pos){ align_up(RSDP_LEN), HDR_LEN + 16 };
	l.fadt = (struct acpi_table_pos){ align_up(l.xsdt.off + l.xsdt.len), FADT_LEN };
	l.madt = (struct acpi_table_pos){ align_up(l.fadt.off + l.fadt.len), madt_len(desc) };
	l.dsdt.off = align_up(l.madt.off + l.madt.len);
	/* Every table must be addressable: the DSDT, last, can use at most size bytes. */
	if (size > UINT64_MAX - gpa) {
		errno = EINVAL;
		return -1;
	}
	if (size < l.dsdt.off + HDR_LEN) {
		errno = ENOSPC;
		return -1;
	}
	memset(buf, 0, l.dsdt.off);
	l.dsdt.len = build_dsdt(buf + l.dsdt.off, size - l.dsdt.off, desc);
	if (l.dsdt.len == 0) {
		errno = ENOSPC;
		return -1;
	}
	l.total = l.dsdt.off + l.dsdt.len;
	build_madt(buf + l.madt.off, desc);
	build_fadt(buf + l.fadt.off, gpa + l.dsdt.off, desc->sleep_port);
	build_xsdt(buf + l.xsdt.off, gpa + l.fadt.off, gpa + l.madt.off);
	build_rsdp(buf + l.rsdp.off, gpa + l.xsdt.off);
	if (layout)
		*layout = l;
	return 0;
}
