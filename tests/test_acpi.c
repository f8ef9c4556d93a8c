/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's ACPI tables: layout, checksums and pointers of every table, MADT
 * entries, the FADT's sleep registers and the DSDT's \_S5 (present only with
 * a sleep port), clean failure for every too-small buffer and bad
 * description, and the DSDT's AML byte for byte against iasl (ACPICA's
 * compiler).
 *
 * The iasl comparison: for each description the test writes the equivalent
 * ASL source itself (Scope (\_SB) { Device (VR00) { Name (_HID, "LNRO0005")
 * ... } }), compiles it with `iasl -on` at test time and compares the
 * whole table except the checksum and the compiler's creator fields. The
 * ASL is generated rather than kept in files so that the same check covers
 * 0, 1, a few and hundreds of devices, i.e. 1-, 2- and 3-byte PkgLengths,
 * and every integer width. -on keeps iasl from shortening the root path
 * "\_SB_" to "_SB_" (both mean the same at the DSDT's root; we emit the
 * explicit path); iasl's other optimisations (shortest integers) are what
 * the emitter does too. iasl comes from Debian's acpica-tools: when it is
 * missing the test installs it if running as root, else that part SKIPs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/acpi.h"

#define GPA	 0xe0000u
#define BUF_SIZE (64u * 1024)

static uint8_t buf[BUF_SIZE];

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const struct acpi_virtio_mmio three[] = {
	{ 0xd0000000, 0x200, 5 },
	{ 0xd0000200, 0x200, 6 },
	{ 0xfeb00000, 0x1000, 300 },
};

static struct acpi_vm_desc base_desc(void)
{
	struct acpi_vm_desc d = { 0 };

	d.nr_cpus = 2;
	d.ioapic_id = 0;
	d.pcat_compat = true;
	d.virtio = three;
	d.nr_virtio = 3;
	d.com1 = true;
	return d;
}

static void build_ok(const struct acpi_vm_desc *d, struct acpi_layout *l)
{
	if (acpi_build(d, buf, sizeof(buf), GPA, l) != 0)
		fail_msg("acpi_build: %s", strerror(errno));
}

/* A table at offset `off` of the buffer: signature, length, checksum. */
static const uint8_t *table(size_t off, const char *sig, size_t len, uint8_t revision)
{
	const uint8_t *t = buf + off;

	assert_memory_equal(t, sig, 4);
	assert_int_equal(get32(t + 4), len);
	assert_int_equal(t[8], revision);
	assert_int_equal(acpi_checksum(t, len), 0);
	assert_memory_equal(t + 10, ACPI_OEM_ID, 6);
	assert_memory_equal(t + 28, ACPI_CREATOR_ID, 4);
	return t;
}

static void test_layout_and_checksums(void **state)
{
	struct acpi_vm_desc d = base_desc();
	struct acpi_layout l;
	const uint8_t *r, *x, *f;

	(void)state;
	build_ok(&d, &l);
	/* RSDP v2: both checksums, the XSDT's address. */
	r = buf + l.rsdp.off;
	assert_int_equal(l.rsdp.off, 0);
	assert_int_equal(l.rsdp.len, 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(r, 20), 0);
	assert_int_equal(acpi_checksum(r, 36), 0);
	assert_int_equal(r[15], 2);
	assert_int_equal(get32(r + 16), 0);
	assert_int_equal(get32(r + 20), 36);
	assert_int_equal(get64(r + 24), GPA + l.xsdt.off);
	/* XSDT: FADT and MADT. */
	x = table(l.xsdt.off, "XSDT", l.xsdt.len, 1);
	assert_int_equal(l.xsdt.len, 36 + 16);
	assert_int_equal(get64(x + 36), GPA + l.fadt.off);
	assert_int_equal(get64(x + 44), GPA + l.madt.off);
	/* FADT: revision 6.0, hardware-reduced, X_DSDT only. */
	f = table(l.fadt.off, "FACP", 276, 6);
	assert_int_equal(l.fadt.len, 276);
	assert_int_equal(get32(f + 112), 1u << 20);
	assert_int_equal(f[131], 0);
	assert_int_equal(get32(f + 36), 0);
	assert_int_equal(get32(f + 40), 0);
	assert_int_equal(get64(f + 140), GPA + l.dsdt.off);
	/* No sleep port: SLEEP_CONTROL_REG and SLEEP_STATUS_REG (244..267) all zero. */
	for (unsigned i = 244; i < 268; i++)
		assert_int_equal(f[i], 0);
	table(l.madt.off, "APIC", l.madt.len, 5);
	table(l.dsdt.off, "DSDT", l.dsdt.len, 2);
	/* In order, 16-byte aligned, not overlapping. */
	assert_true(l.xsdt.off >= l.rsdp.off + l.rsdp.len && l.xsdt.off % 16 == 0);
	assert_true(l.fadt.off >= l.xsdt.off + l.xsdt.len && l.fadt.off % 16 == 0);
	assert_true(l.madt.off >= l.fadt.off + l.fadt.len && l.madt.off % 16 == 0);
	assert_true(l.dsdt.off >= l.madt.off + l.madt.len && l.dsdt.off % 16 == 0);
	assert_int_equal(l.total, l.dsdt.off + l.dsdt.len);
}

static void test_madt(void **state)
{
	static const struct acpi_irq_override ov[] = { { 0, 2, 0 }, { 9, 9, 0x000d } };
	struct acpi_vm_desc d = base_desc();
	struct acpi_layout l;
	const uint8_t *m, *e;
	unsigned cpus = 0;

	(void)state;
	d.nr_cpus = 4;
	d.ioapic_id = 7;
	d.overrides = ov;
	d.nr_overrides = 2;
	build_ok(&d, &l);
	m = table(l.madt.off, "APIC", l.madt.len, 5);
	assert_int_equal(l.madt.len, 44 + 4 * 8 + 12 + 2 * 10);
	assert_int_equal(get32(m + 36), 0xfee00000u);
	assert_int_equal(get32(m + 40), 1); /* PCAT_COMPAT */
	e = m + 44;
	for (; cpus < 4; cpus++, e += 8) {
		assert_int_equal(e[0], 0);
		assert_int_equal(e[1], 8);
		assert_int_equal(e[2], cpus);
		assert_int_equal(e[3], cpus);
		assert_int_equal(get32(e + 4), 1);
	}
	assert_int_equal(e[0], 1);
	assert_int_equal(e[1], 12);
	assert_int_equal(e[2], 7);
	assert_int_equal(e[3], 0);
	assert_int_equal(get32(e + 4), 0xfec00000u);
	assert_int_equal(get32(e + 8), 0);
	e += 12;
	for (unsigned i = 0; i < 2; i++, e += 10) {
		assert_int_equal(e[0], 2);
		assert_int_equal(e[1], 10);
		assert_int_equal(e[2], 0);
		assert_int_equal(e[3], ov[i].source);
		assert_int_equal(get32(e + 4), ov[i].gsi);
		assert_int_equal(get16(e + 8), ov[i].flags);
	}
	assert_ptr_equal(e, m + l.madt.len);

	/* Without PICs or overrides; 255 CPUs (the most xAPIC IDs allow). */
	d.pcat_compat = false;
	d.nr_overrides = 0;
	d.nr_cpus = ACPI_MAX_CPUS;
	build_ok(&d, &l);
	m = table(l.madt.off, "APIC", l.madt.len, 5);
	assert_int_equal(l.madt.len, 44 + 255 * 8 + 12);
	assert_int_equal(get32(m + 40), 0);
	assert_int_equal(m[44 + 254 * 8 + 3], 254);
}

/* Where the bytes `what[0..n)` occur in p[0..len), or NULL. */
static const uint8_t *find_bytes(const uint8_t *p, size_t len, const void *what, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, what, n) == 0)
			return p + i;
	return NULL;
}

/*
 * Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero }): NameOp, "_S5_",
 * PackageOp, PkgLength 7, NumElements 4, BytePrefix 5, three ZeroOps (ACPI
 * 6.x, 20.2); the iasl comparison below checks the same from the ASL side.
 */
static const uint8_t s5_aml[] = { 0x08, '_',  'S',  '5',  '_',	0x12, 0x07,
				  0x04, 0x0a, 0x05, 0x00, 0x00, 0x00 };

/* One byte at an I/O port, as a Generic Address Structure (ACPI 6.x, 5.2.3.2). */
static void assert_gas_io_byte(const uint8_t *g, uint64_t port)
{
	assert_int_equal(g[0], 1); /* SystemIO */
	assert_int_equal(g[1], 8); /* register bit width */
	assert_int_equal(g[2], 0); /* bit offset */
	assert_int_equal(g[3], 1); /* access size: byte */
	assert_int_equal(get64(g + 4), port);
}

static void test_sleep_registers(void **state)
{
	struct acpi_vm_desc d = base_desc();
	struct acpi_layout l;
	const uint8_t *f, *dsdt;

	(void)state;
	/* Without a sleep port: no \_S5 either (Linux would not offer power-off anyway). */
	build_ok(&d, &l);
	dsdt = table(l.dsdt.off, "DSDT", l.dsdt.len, 2);
	assert_null(find_bytes(dsdt, l.dsdt.len, "_S5_", 4));

	/* FADT offsets 244 (SLEEP_CONTROL_REG) and 256 (SLEEP_STATUS_REG), within its 276 bytes. */
	d.sleep_port = 0x600;
	build_ok(&d, &l);
	f = table(l.fadt.off, "FACP", 276, 6);
	assert_gas_io_byte(f + 244, 0x600);
	assert_gas_io_byte(f + 256, 0x601);
	assert_int_equal(get32(f + 112), 1u << 20); /* still hardware-reduced, nothing else */
	for (unsigned i = 268; i < 276; i++)
		assert_int_equal(f[i], 0);
	/* \_S5 at the root, before \_SB (it is the DSDT's first object). */
	dsdt = table(l.dsdt.off, "DSDT", l.dsdt.len, 2);
	assert_memory_equal(dsdt + 36, s5_aml, sizeof(s5_aml));
	assert_ptr_equal(find_bytes(dsdt, l.dsdt.len, "_S5_", 4), dsdt + 37);
	assert_int_equal(dsdt[36 + sizeof(s5_aml)], 0x10); /* ScopeOp of \_SB */

	/* The highest port pair, 0xfffe and 0xffff. */
	d.sleep_port = 0xfffe;
	build_ok(&d, &l);
	f = buf + l.fadt.off;
	assert_gas_io_byte(f + 244, 0xfffe);
	assert_gas_io_byte(f + 256, 0xffff);
	assert_int_equal(acpi_checksum(f, 276), 0);
}

/* Every size below what the tables need fails with ENOSPC and writes nothing past it. */
static void check_too_small(const struct acpi_vm_desc *d)
{
	static uint8_t guard[BUF_SIZE];
	struct acpi_layout l;
	size_t need;

	build_ok(d, &l);
	need = l.total;
	assert_int_equal(acpi_build(d, guard, need, GPA, NULL), 0);
	assert_memory_equal(guard, buf, need);
	for (size_t size = 0; size < need; size++) {
		memset(guard, 0xa5, sizeof(guard));
		errno = 0;
		assert_int_equal(acpi_build(d, size ? guard : NULL, size, GPA, &l), -1);
		assert_int_equal(errno, ENOSPC);
		for (size_t i = size; i < sizeof(guard); i++) {
			if (guard[i] != 0xa5)
				fail_msg("size %zu: byte %zu written", size, i);
		}
	}
}

static void test_too_small(void **state)
{
	struct acpi_vm_desc d = base_desc();

	(void)state;
	check_too_small(&d);
	d.sleep_port = 0x600; /* \_S5 too */
	check_too_small(&d);
}

static void expect_einval(const struct acpi_vm_desc *d, uint64_t gpa)
{
	errno = 0;
	assert_int_equal(acpi_build(d, buf, sizeof(buf), gpa, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_invalid(void **state)
{
	static const struct acpi_virtio_mmio high = { 0x100000000ull, 0x200, 5 };
	static const struct acpi_virtio_mmio wraps = { 0xfffff000u, 0x2000, 5 };
	static const struct acpi_virtio_mmio empty = { 0xd0000000u, 0, 5 };
	static const struct acpi_virtio_mmio top = { 0xfffff000u, 0x1000, 5 };
	static const struct acpi_irq_override bad_ov = { 16, 16, 0 };
	struct acpi_vm_desc d = base_desc();

	(void)state;
	expect_einval(NULL, GPA);
	expect_einval(&d, GPA + 8);
	expect_einval(&d, UINT64_MAX - 15);
	d.nr_cpus = 0;
	expect_einval(&d, GPA);
	d.nr_cpus = ACPI_MAX_CPUS + 1;
	expect_einval(&d, GPA);
	d = base_desc();
	d.nr_virtio = 1;
	d.virtio = &high;
	expect_einval(&d, GPA);
	d.virtio = &wraps;
	expect_einval(&d, GPA);
	d.virtio = &empty;
	expect_einval(&d, GPA);
	d.virtio = NULL;
	expect_einval(&d, GPA);
	d.virtio = &top; /* ends exactly at 4 GiB: fine */
	assert_int_equal(acpi_build(&d, buf, sizeof(buf), GPA, NULL), 0);
	d.overrides = &bad_ov;
	d.nr_overrides = 1;
	expect_einval(&d, GPA);
	d.nr_overrides = ACPI_MAX_OVERRIDES + 1;
	expect_einval(&d, GPA);
	d = base_desc();
	d.sleep_port = 0xffff; /* SLEEP_STATUS_REG would be port 0x10000 */
	expect_einval(&d, GPA);
}

/* --- the DSDT against iasl --------------------------------------------- */

static char tmpdir[64];

static bool have_iasl(void)
{
	static int state = -1;

	if (state < 0) {
		state = system("command -v iasl >/dev/null 2>&1") == 0;
		if (!state && geteuid() == 0) {
			fprintf(stderr, "test_acpi: installing acpica-tools for iasl\n");
			state = system("DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
				       "acpica-tools >/dev/null 2>&1 && command -v iasl "
				       ">/dev/null") == 0;
		}
	}
	return state;
}

/* The ASL that should compile to what acpi_build() puts in the DSDT. */
static void write_asl(FILE *f, const struct acpi_vm_desc *d)
{
	fprintf(f, "DefinitionBlock (\"\", \"DSDT\", 2, \"%s\", \"%s\", %u)\n{\n", ACPI_OEM_ID,
		ACPI_OEM_TABLE_ID, ACPI_OEM_REVISION);
	if (d->sleep_port)
		fprintf(f, "  Name (_S5, Package (0x04) { 0x%02X, 0x00, 0x00, 0x00 })\n",
			ACPI_SLP_TYP_S5);
	fprintf(f, "  Scope (\\_SB)\n  {\n");
	if (d->com1)
		fprintf(f, "    Device (COM1)\n    {\n"
			   "      Name (_HID, EisaId (\"PNP0501\"))\n"
			   "      Name (_UID, 0)\n"
			   "      Name (_CRS, ResourceTemplate ()\n      {\n"
			   "        IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)\n"
			   "        IRQNoFlags () {4}\n"
			   "      })\n    }\n");
	for (unsigned i = 0; i < d->nr_virtio; i++)
		fprintf(f,
			"    Device (VR%02X)\n    {\n"
			"      Name (_HID, \"LNRO0005\")\n"
			"      Name (_UID, %u)\n"
			"      Name (_CRS, ResourceTemplate ()\n      {\n"
			"        Memory32Fixed (ReadWrite, 0x%08llX, 0x%08llX)\n"
			"        Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {%u}\n"
			"      })\n    }\n",
			i, i, (unsigned long long)d->virtio[i].base,
			(unsigned long long)d->virtio[i].size, d->virtio[i].gsi);
	fprintf(f, "  }\n}\n");
}

static size_t read_file(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fail_msg("%s: %s", path, strerror(errno));
		return 0;
	}
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}

static void compare_with_iasl(const struct acpi_vm_desc *d, const char *what)
{
	static uint8_t ref[BUF_SIZE];
	char asl[128], aml[128], cmd[512];
	struct acpi_layout l;
	const uint8_t *ours;
	size_t n;
	FILE *f;

	build_ok(d, &l);
	ours = buf + l.dsdt.off;
	snprintf(asl, sizeof(asl), "%s/dsdt.asl", tmpdir);
	snprintf(aml, sizeof(aml), "%s/dsdt.aml", tmpdir);
	f = fopen(asl, "w");
	assert_non_null(f);
	write_asl(f, d);
	fclose(f);
	unlink(aml);
	snprintf(cmd, sizeof(cmd), "iasl -on -p %s/dsdt %s >%s/iasl.log 2>&1", tmpdir, asl, tmpdir);
	if (system(cmd) != 0)
		fail_msg("%s: iasl failed, see %s/iasl.log", what, tmpdir);
	n = read_file(aml, ref, sizeof(ref));
	if (n != l.dsdt.len)
		fail_msg("%s: iasl made %zu bytes, we made %zu", what, n, l.dsdt.len);
	/* Signature, length, revision; OEM ID, table ID and revision; all the AML. */
	assert_memory_equal(ours, ref, 9);
	assert_memory_equal(ours + 10, ref + 10, 18);
	for (size_t i = 36; i < n; i++) {
		if (ours[i] != ref[i])
			fail_msg("%s: byte %zu: ours 0x%02x, iasl 0x%02x (ASL in %s)", what, i,
				 ours[i], ref[i], asl);
	}
	assert_int_equal(acpi_checksum(ref, n), 0);
}

static void remove_tmpdir(void)
{
	static const char *const files[] = { "dsdt.asl", "dsdt.aml", "iasl.log" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void test_dsdt_iasl(void **state)
{
	static struct acpi_virtio_mmio many[256];
	struct acpi_vm_desc d = base_desc();

	(void)state;
	if (!have_iasl()) {
		printf("SKIP: iasl (acpica-tools) not available, DSDT not compared\n");
		skip();
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_acpi.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));

	compare_with_iasl(&d, "COM1 + 3 virtio");
	d.com1 = false;
	d.nr_virtio = 0;
	compare_with_iasl(&d, "empty");
	d.nr_virtio = 1;
	compare_with_iasl(&d, "1 virtio");
	/* Integers of every width in _UID, bases, sizes and GSIs; 2- and 3-byte PkgLengths. */
	for (unsigned i = 0; i < 256; i++) {
		many[i].base = 0xd0000000u + i * 0x1000u;
		many[i].size = i % 2 ? 0x1000 : 0x10000 + i;
		many[i].gsi = i < 2 ? i : i * 0x10001u;
	}
	d.virtio = many;
	d.nr_virtio = 64;
	compare_with_iasl(&d, "64 virtio");
	d.nr_virtio = 256;
	d.com1 = true;
	compare_with_iasl(&d, "COM1 + 256 virtio");
	/* \_S5 with and without devices */
	d.sleep_port = 0x600;
	compare_with_iasl(&d, "_S5 + COM1 + 256 virtio");
	d = base_desc();
	d.sleep_port = 0x600;
	compare_with_iasl(&d, "_S5 + COM1 + 3 virtio");
	d.com1 = false;
	d.nr_virtio = 0;
	compare_with_iasl(&d, "_S5 only");

	remove_tmpdir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_checksums),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_sleep_registers),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_dsdt_iasl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
