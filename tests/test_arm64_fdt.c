/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arm64 device tree (vmm/arch/arm64/fdt.c): built from the two Arm demo
 * configs and read back twice, with libfdt (nodes and properties by path,
 * exact values) and with dtc (`dtc -I dtb -O dts` must accept it without a
 * warning). Expected values come from the configs and the Linux bindings,
 * written out here rather than derived from the code under test. Then every
 * config the tree cannot describe, and buffers too small for the blob.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfdt.h>

#include "arch/arm64/fdt.h"

#define DEMO_V2 "configs/demo-arm64.toml"
#define DEMO_V3 "configs/demo-arm64-gicv3.toml"

/* --- helpers ------------------------------------------------------------------------ */

static struct axvm_config *load(const char *path)
{
	struct axvm_config *cfg = calloc(1, sizeof(*cfg));
	char err[AXVM_ERR_MAX];

	assert_non_null(cfg);
	if (axvm_config_load(path, cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return cfg;
}

/* Builds the blob of cfg's desc (after `tweak`, if any) into a fresh ARM64_FDT_MAX buffer. */
static void *build(const struct axvm_config *cfg, void (*tweak)(struct arm64_fdt_desc *))
{
	struct arm64_fdt_desc d;
	char err[AXVM_ERR_MAX] = "";
	void *fdt = malloc(ARM64_FDT_MAX);
	long n;

	assert_non_null(fdt);
	if (arm64_fdt_desc_from_config(cfg, &d, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (tweak)
		tweak(&d);
	n = arm64_fdt_build(&d, fdt, ARM64_FDT_MAX, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_int_equal(fdt_check_header(fdt), 0);
	assert_int_equal(fdt_totalsize(fdt), (uint32_t)n);
	assert_true(n <= (long)ARM64_FDT_MAX);
	return fdt;
}

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("node %s: %s", path, fdt_strerror(off));
	return off;
}

static const void *get(const void *fdt, const char *path, const char *name, int *len)
{
	const void *v = fdt_getprop(fdt, node(fdt, path), name, len);

	if (!v)
		fail_msg("%s: no property %s", path, name);
	return v;
}

static void assert_absent(const void *fdt, const char *path, const char *name)
{
	int len;

	if (fdt_getprop(fdt, node(fdt, path), name, &len))
		fail_msg("%s: unexpected property %s", path, name);
}

static void assert_cells(const void *fdt, const char *path, const char *name, const uint32_t *want,
			 size_t n)
{
	int len;
	const fdt32_t *v = get(fdt, path, name, &len);

	if ((size_t)len != n * 4)
		fail_msg("%s %s: %d bytes, want %zu cells", path, name, len, n);
	for (size_t k = 0; k < n; k++)
		if (fdt32_to_cpu(v[k]) != want[k])
			fail_msg("%s %s cell %zu: 0x%x, want 0x%x", path, name, k,
				 fdt32_to_cpu(v[k]), want[k]);
}

#define ASSERT_CELLS(fdt, path, name, ...)                                                         \
	do {                                                                                       \
		const uint32_t want_[] = { __VA_ARGS__ };                                          \
		assert_cells(fdt, path, name, want_, sizeof(want_) / sizeof(want_[0]));            \
	} while (0)

/* A string or string list, given as a literal ("a\0b"), its final NUL included. */
static void assert_bytes(const void *fdt, const char *path, const char *name, const char *want,
			 size_t n)
{
	int len;
	const char *v = get(fdt, path, name, &len);

	if ((size_t)len != n || memcmp(v, want, n) != 0)
		fail_msg("%s %s: \"%.*s\" (%d bytes), want \"%s\" (%zu)", path, name, len, v, len,
			 want, n);
}

#define ASSERT_STRS(fdt, path, name, lit) assert_bytes(fdt, path, name, lit, sizeof(lit))

static uint64_t get_u64(const void *fdt, const char *path, const char *name)
{
	int len;
	const void *v = get(fdt, path, name, &len);
	fdt64_t be;

	assert_int_equal(len, 8);
	memcpy(&be, v, sizeof(be)); /* properties are only 4-byte aligned */
	return fdt64_to_cpu(be);
}

static unsigned count_subnodes(const void *fdt, const char *path)
{
	unsigned n = 0;
	int off;

	fdt_for_each_subnode(off, fdt, node(fdt, path)) n++;
	return n;
}

/* --- what both demo trees share ------------------------------------------------------- */

static void check_common(const void *fdt)
{
	ASSERT_STRS(fdt, "/", "compatible", "linux,dummy-virt");
	ASSERT_CELLS(fdt, "/", "#address-cells", 2);
	ASSERT_CELLS(fdt, "/", "#size-cells", 2);
	ASSERT_CELLS(fdt, "/", "interrupt-parent", 1); /* the GIC's phandle */

	ASSERT_STRS(fdt, "/memory@40000000", "device_type", "memory");
	ASSERT_CELLS(fdt, "/memory@40000000", "reg", 0, 0x40000000, 0, 0x8000000);

	ASSERT_CELLS(fdt, "/cpus", "#address-cells", 1);
	ASSERT_CELLS(fdt, "/cpus", "#size-cells", 0);
	assert_int_equal(count_subnodes(fdt, "/cpus"), 2);
	ASSERT_CELLS(fdt, "/cpus/cpu@0", "reg", 0);
	ASSERT_CELLS(fdt, "/cpus/cpu@1", "reg", 1);
	ASSERT_STRS(fdt, "/cpus/cpu@1", "device_type", "cpu");
	ASSERT_STRS(fdt, "/cpus/cpu@1", "compatible", "arm,armv8");
	ASSERT_STRS(fdt, "/cpus/cpu@1", "enable-method", "psci");

	ASSERT_STRS(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2");
	ASSERT_STRS(fdt, "/psci", "method", "hvc");

	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "phandle", 1);
	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "#interrupt-cells", 3);
	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "#address-cells", 0);
	assert_bytes(fdt, "/interrupt-controller@8000000", "interrupt-controller", "", 0);
	assert_int_equal(fdt_node_offset_by_phandle(fdt, 1),
			 node(fdt, "/interrupt-controller@8000000"));

	ASSERT_STRS(fdt, "/timer", "compatible", "arm,armv8-timer");
	assert_bytes(fdt, "/timer", "always-on", "", 0);

	/* the PL011's clocks: the 24 MHz fixed clock, phandle 2, named twice */
	ASSERT_STRS(fdt, "/clock-apb-pclk", "compatible", "fixed-clock");
	ASSERT_CELLS(fdt, "/clock-apb-pclk", "clock-frequency", 24000000);
	ASSERT_CELLS(fdt, "/clock-apb-pclk", "#clock-cells", 0);
	ASSERT_CELLS(fdt, "/clock-apb-pclk", "phandle", 2);
	assert_int_equal(fdt_node_offset_by_phandle(fdt, 2), node(fdt, "/clock-apb-pclk"));

	/* uart0: PL011, INTID 33 = SPI 1, level high */
	ASSERT_STRS(fdt, "/serial@9000000", "compatible", "arm,pl011\0arm,primecell");
	ASSERT_CELLS(fdt, "/serial@9000000", "reg", 0, 0x9000000, 0, 0x1000);
	ASSERT_CELLS(fdt, "/serial@9000000", "interrupts", 0, 1, 4);
	ASSERT_CELLS(fdt, "/serial@9000000", "clocks", 2, 2);
	ASSERT_STRS(fdt, "/serial@9000000", "clock-names", "uartclk\0apb_pclk");

	/* uart1: 16550 with registers 4 bytes apart, INTID 34 = SPI 2 */
	ASSERT_STRS(fdt, "/serial@9040000", "compatible", "ns16550a");
	ASSERT_CELLS(fdt, "/serial@9040000", "reg", 0, 0x9040000, 0, 0x1000);
	ASSERT_CELLS(fdt, "/serial@9040000", "interrupts", 0, 2, 4);
	ASSERT_CELLS(fdt, "/serial@9040000", "reg-shift", 2);
	ASSERT_CELLS(fdt, "/serial@9040000", "reg-io-width", 4);
	ASSERT_CELLS(fdt, "/serial@9040000", "clock-frequency", 1843200);
	assert_absent(fdt, "/serial@9040000", "clocks");

	/* disk0 and console0: INTID 48 and 49 = SPI 16 and 17 */
	ASSERT_STRS(fdt, "/virtio@a000000", "compatible", "virtio,mmio");
	ASSERT_CELLS(fdt, "/virtio@a000000", "reg", 0, 0xa000000, 0, 0x200);
	ASSERT_CELLS(fdt, "/virtio@a000000", "interrupts", 0, 16, 4);
	assert_bytes(fdt, "/virtio@a000000", "dma-coherent", "", 0);
	ASSERT_CELLS(fdt, "/virtio@a000200", "reg", 0, 0xa000200, 0, 0x200);
	ASSERT_CELLS(fdt, "/virtio@a000200", "interrupts", 0, 17, 4);

	/* cmdline "" and no initrd: neither is described */
	ASSERT_STRS(fdt, "/chosen", "stdout-path", "/serial@9000000");
	assert_absent(fdt, "/chosen", "bootargs");
	assert_absent(fdt, "/chosen", "linux,initrd-start");
	assert_absent(fdt, "/chosen", "linux,initrd-end");

	/*
	 * chosen, memory, cpus, psci, GIC, timer, clock, two UARTs, two virtio: the
	 * meta device and the sysreg-bus entries (timer registers, icc) have no node.
	 */
	assert_int_equal(count_subnodes(fdt, "/"), 11);
}

/* --- dtc ---------------------------------------------------------------------------- */

/* The dts text of `fdt` by dtc, which must exit 0 and print nothing on stderr. */
static char *dtc_dts(const void *fdt)
{
	char blob[] = "/tmp/test_arm64_fdt-XXXXXX", errs[] = "/tmp/test_arm64_fdt-err-XXXXXX";
	char cmd[256], *text;
	size_t len = 0, cap = 1 << 16, n;
	int fd, efd, status;
	FILE *p, *ef;

	if (system("command -v dtc >/dev/null 2>&1") != 0)
		fail_msg("dtc not found: the device tree is checked with dtc, a test dependency: "
			 "apt-get install device-tree-compiler");
	fd = mkstemp(blob);
	efd = mkstemp(errs);
	assert_true(fd >= 0 && efd >= 0);
	assert_int_equal(write(fd, fdt, fdt_totalsize(fdt)), (ssize_t)fdt_totalsize(fdt));
	close(fd);
	close(efd);

	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s 2>%s", blob, errs);
	p = popen(cmd, "r");
	assert_non_null(p);
	text = malloc(cap);
	assert_non_null(text);
	while ((n = fread(text + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *more = realloc(text, cap * 2);

			assert_non_null(more);
			text = more;
			cap *= 2;
		}
	}
	text[len] = '\0';
	status = pclose(p);
	unlink(blob);

	ef = fopen(errs, "r");
	assert_non_null(ef);
	{
		char msg[1024];
		size_t m = fread(msg, 1, sizeof(msg) - 1, ef);

		msg[m] = '\0';
		fclose(ef);
		unlink(errs);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("dtc failed (status 0x%x): %s", status, msg);
		if (m)
			fail_msg("dtc warned: %s", msg);
	}
	return text;
}

static void assert_line(const char *dts, const char *line)
{
	if (!strstr(dts, line))
		fail_msg("dtc output lacks \"%s\":\n%s", line, dts);
}

/* --- the demo configs ----------------------------------------------------------------- */

static void test_demo_gicv2(void **state)
{
	struct axvm_config *cfg = load(DEMO_V2);
	void *fdt = build(cfg, NULL);
	char *dts;

	(void)state;
	check_common(fdt);
	ASSERT_STRS(fdt, "/interrupt-controller@8000000", "compatible", "arm,cortex-a15-gic");
	/* GICD, then the GICC from cfg_list [128, 2, 0x0801_0000, 0x1_0000] */
	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "reg", 0, 0x8000000, 0, 0x10000, 0,
		     0x8010000, 0, 0x10000);
	/* PPIs 13, 14, 11, 10, level high (4) for CPUs 0 and 1 (mask 0x3 in bits 15:8) */
	ASSERT_CELLS(fdt, "/timer", "interrupts", 1, 13, 0x304, 1, 14, 0x304, 1, 11, 0x304, 1, 10,
		     0x304);

	dts = dtc_dts(fdt);
	assert_line(dts, "\tinterrupt-controller@8000000 {\n");
	assert_line(dts, "compatible = \"arm,cortex-a15-gic\";");
	assert_line(dts, "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x10000>;");
	assert_line(dts, "interrupts = <0x01 0x0d 0x304 0x01 0x0e 0x304 0x01 0x0b 0x304 0x01 "
			 "0x0a 0x304>;");
	assert_line(dts, "\tserial@9000000 {\n");
	assert_line(dts, "compatible = \"arm,pl011\\0arm,primecell\";");
	assert_line(dts, "clock-names = \"uartclk\\0apb_pclk\";");
	assert_line(dts, "stdout-path = \"/serial@9000000\";");
	assert_line(dts, "compatible = \"arm,psci-1.0\\0arm,psci-0.2\";");
	free(dts);
	free(fdt);
	free(cfg);
}

static void test_demo_gicv3(void **state)
{
	struct axvm_config *cfg = load(DEMO_V3);
	void *fdt = build(cfg, NULL);
	char *dts;

	(void)state;
	check_common(fdt);
	ASSERT_STRS(fdt, "/interrupt-controller@8000000", "compatible", "arm,gic-v3");
	/* GICD, then the whole gicr entry: two 128 KiB frames */
	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "reg", 0, 0x8000000, 0, 0x10000, 0,
		     0x80a0000, 0, 0x40000);
	ASSERT_CELLS(fdt, "/interrupt-controller@8000000", "#redistributor-regions", 1);
	/* GICv3 PPI specifiers carry no CPU mask */
	ASSERT_CELLS(fdt, "/timer", "interrupts", 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4);

	dts = dtc_dts(fdt);
	assert_line(dts, "compatible = \"arm,gic-v3\";");
	assert_line(dts, "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>;");
	assert_line(dts, "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a "
			 "0x04>;");
	assert_line(dts, "\tvirtio@a000200 {\n");
	assert_line(dts, "interrupts = <0x00 0x11 0x04>;");
	free(dts);
	free(fdt);
	free(cfg);
}

static void with_boot(struct arm64_fdt_desc *d)
{
	d->bootargs = "console=ttyAMA0 earlycon";
	d->initrd_start = 0x48000000;
	d->initrd_end = 0x48123456;
	d->psci_smc = true;
}

static void test_chosen_bootargs_initrd(void **state)
{
	struct axvm_config *cfg = load(DEMO_V2);
	void *fdt = build(cfg, with_boot);
	char *dts;

	(void)state;
	ASSERT_STRS(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon");
	assert_true(get_u64(fdt, "/chosen", "linux,initrd-start") == 0x48000000);
	assert_true(get_u64(fdt, "/chosen", "linux,initrd-end") == 0x48123456);
	ASSERT_STRS(fdt, "/psci", "method", "smc");

	dts = dtc_dts(fdt);
	assert_line(dts, "bootargs = \"console=ttyAMA0 earlycon\";");
	assert_line(dts, "linux,initrd-start = <0x00 0x48000000>;");
	assert_line(dts, "linux,initrd-end = <0x00 0x48123456>;");
	free(dts);
	free(fdt);
	free(cfg);
}

/* Without a PL011 the 16550 is the console, and no clock node is written. */
static void only_16550(struct arm64_fdt_desc *d)
{
	d->uarts[0] = d->uarts[1];
	d->nr_uarts = 1;
}

static void test_stdout_16550(void **state)
{
	struct axvm_config *cfg = load(DEMO_V2);
	void *fdt = build(cfg, only_16550);

	(void)state;
	ASSERT_STRS(fdt, "/chosen", "stdout-path", "/serial@9040000");
	assert_true(fdt_path_offset(fdt, "/clock-apb-pclk") < 0);
	assert_true(fdt_path_offset(fdt, "/serial@9000000") < 0);
	free(fdt);
	free(cfg);
}

/* 20 vCPUs: MPIDR Aff0 = i % 16, Aff1 = i / 16, so vCPU 16 is cpu@100. */
static void many_cpus(struct arm64_fdt_desc *d)
{
	d->nr_cpus = 20;
}

static void test_cpu_affinity(void **state)
{
	struct axvm_config *cfg = load(DEMO_V3);
	void *fdt = build(cfg, many_cpus);
	char *dts;

	(void)state;
	assert_int_equal(count_subnodes(fdt, "/cpus"), 20);
	ASSERT_CELLS(fdt, "/cpus/cpu@f", "reg", 0xf);
	ASSERT_CELLS(fdt, "/cpus/cpu@100", "reg", 0x100);
	ASSERT_CELLS(fdt, "/cpus/cpu@103", "reg", 0x103);
	assert_true(fdt_path_offset(fdt, "/cpus/cpu@10") < 0);
	dts = dtc_dts(fdt);
	assert_line(dts, "\t\tcpu@103 {\n");
	free(dts);
	free(fdt);
	free(cfg);
}

/* --- configs the tree cannot describe ------------------------------------------------- */

/* Entry i of `entries` is on line FIRST_ENTRY_LINE + i, its '[' in column 2. */
#define FIRST_ENTRY_LINE 19
static const char config_head[] = "[base]\n"
				  "id = 1\n"
				  "name = \"t\"\n"
				  "vm_type = 1\n"
				  "cpu_num = %u\n"
				  "\n"
				  "[kernel]\n"
				  "kernel_path = \"k.img\"\n"
				  "kernel_load_addr = 0x4000_0000\n"
				  "entry_point = 0x4000_0000\n"
				  "image_location = \"fs\"\n"
				  "cmdline = \"\"\n"
				  "memory_regions = [[0x4000_0000, 0x800_0000, 0x7, 0]]\n"
				  "\n"
				  "[devices]\n"
				  "interrupt_mode = \"emulated\"\n"
				  "passthrough_devices = []\n"
				  "emu_devices = [\n"
				  "%s]\n";

#define GICV2                                                                                      \
	"\t[\"gicd\", 0x800_0000, 0x1_0000, 0, \"gicd-v2\", [128, 2, 0x801_0000, 0x1_0000]],\n"
#define GICV3 "\t[\"gicd\", 0x800_0000, 0x1_0000, 0, \"gicd-v3\", [128]],\n"
#define GICR  "\t[\"gicr\", 0x80a_0000, 0x4_0000, 0, \"gicr\", []],\n"
#define UART  "\t[\"uart0\", 0x900_0000, 0x1000, 33, \"console\", [0, 2, 1]],\n"

/* desc_from_config must fail, and err must contain `want`. */
static void expect_error(unsigned cpus, const char *entries, const char *want)
{
	struct axvm_config *cfg = calloc(1, sizeof(*cfg));
	struct arm64_fdt_desc d;
	char text[4096], err[AXVM_ERR_MAX] = "";

	assert_non_null(cfg);
	snprintf(text, sizeof(text), config_head, cpus, entries);
	if (axvm_config_parse("t.toml", text, strlen(text), cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	assert_int_equal(arm64_fdt_desc_from_config(cfg, &d, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	free(cfg);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_error(2, UART "\t[\"timer\", 0xdf00, 0x1b, 0, \"arm-timer\", []],\n",
		     "t.toml: no interrupt controller");
	expect_error(2, GICV2 "\t[\"gicd3\", 0x810_0000, 0x1_0000, 0, \"gicd-v3\", []],\n" GICR,
		     "t.toml:20:2: emu_devices[1]: device \"gicd3\": a second interrupt controller "
		     "(emu_devices[0] \"gicd\" is the VM's)");
	expect_error(2, "\t[\"gicd\", 0x800_0000, 0x1_0000, 0, \"gicd-v2\", [128, 2]],\n" UART,
		     "t.toml:19:2: emu_devices[0]: device \"gicd\": a GICv2 without a CPU "
		     "interface");
	expect_error(9, GICV2,
		     "t.toml:19:2: emu_devices[0]: device \"gicd\": a GICv2 serves at "
		     "most 8 CPUs, cpu_num is 9");
	expect_error(2, UART GICV3,
		     "t.toml:20:2: emu_devices[1]: device \"gicd\": a GICv3 distributor without "
		     "redistributors");
	expect_error(
		2, GICV3 GICR "\t[\"gicr2\", 0x90a_0000, 0x4_0000, 0, \"gicr\", []],\n",
		"t.toml:21:2: emu_devices[2]: device \"gicr2\": a second redistributor region");
	expect_error(2, GICV2 GICR,
		     "t.toml:20:2: emu_devices[1]: device \"gicr\": redistributors with a GICv2");
	expect_error(2, GICV2 "\t[\"com1\", 0x3f8, 8, 36, \"console\", [1, 0]],\n",
		     "t.toml:20:2: emu_devices[1]: device \"com1\": a console on the port bus");
	expect_error(2,
		     GICV3 GICR "\t[\"uart0\", 0x900_0000, 0x1000, 27, \"console\", [0, 2, 1]],\n",
		     "t.toml:21:2: emu_devices[2]: device \"uart0\": irq_id 27 is not an SPI");
	expect_error(2, GICV2 "\t[\"uart1\", 0x904_0000, 0x1000, 0, \"console\", [0, 2]],\n",
		     "device \"uart1\": irq_id 0 is not an SPI");
	expect_error(2, GICV2 "\t[\"disk0\", 0xa00_0000, 0x200, 1020, \"virtio-blk\", []],\n",
		     "t.toml:20:2: emu_devices[1]: device \"disk0\": irq_id 1020 is not an SPI");
	expect_error(2, GICV2 "\t[\"con\", 0xa00_0200, 0x200, 31, \"virtio-console\", []],\n",
		     "device \"con\": irq_id 31 is not an SPI");
}

/* A GICv2 config with its CPU interface and nothing else is enough. */
static void test_minimal_config(void **state)
{
	struct axvm_config *cfg = calloc(1, sizeof(*cfg));
	char text[4096], err[AXVM_ERR_MAX] = "";
	void *fdt;

	(void)state;
	assert_non_null(cfg);
	snprintf(text, sizeof(text), config_head, 1u, GICV2);
	if (axvm_config_parse("t.toml", text, strlen(text), cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	fdt = build(cfg, NULL);
	assert_true(fdt_path_offset(fdt, "/timer") < 0);
	assert_absent(fdt, "/chosen", "stdout-path");
	assert_int_equal(count_subnodes(fdt, "/cpus"), 1);
	free(fdt);
	free(cfg);
}

/* A hand-made desc is checked too. */
static void test_bad_desc(void **state)
{
	struct axvm_config *cfg = load(DEMO_V2);
	struct arm64_fdt_desc d, bad;
	char err[AXVM_ERR_MAX] = "", buf[4096];

	(void)state;
	assert_int_equal(arm64_fdt_desc_from_config(cfg, &d, err, sizeof(err)), 0);

	bad = d;
	bad.gic_version = 4;
	assert_int_equal(arm64_fdt_build(&bad, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "GIC version 4"));

	bad = d;
	bad.nr_cpus = 9; /* GICv2 */
	assert_int_equal(arm64_fdt_build(&bad, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "9 CPUs"));

	bad = d;
	bad.virtio[1].intid = 20;
	assert_int_equal(arm64_fdt_build(&bad, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "virtio at 0xa000200: INTID 20 is not an SPI"));

	bad = d;
	bad.initrd_start = 0x2000;
	bad.initrd_end = 0x1000;
	assert_int_equal(arm64_fdt_build(&bad, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "initrd ends"));
	free(cfg);
}

/* --- buffers too small ------------------------------------------------------------------ */

#define GUARD 256

static void test_small_buffer(void **state)
{
	struct axvm_config *cfg = load(DEMO_V3);
	struct arm64_fdt_desc d;
	char err[AXVM_ERR_MAX];
	unsigned char *buf;
	long full;
	const size_t sizes[] = { 0, 8, 39, 40, 100, 1000 };

	(void)state;
	assert_int_equal(arm64_fdt_desc_from_config(cfg, &d, err, sizeof(err)), 0);
	buf = malloc(ARM64_FDT_MAX);
	assert_non_null(buf);
	full = arm64_fdt_build(&d, buf, ARM64_FDT_MAX, err, sizeof(err));
	assert_true(full > 1000);

	/* every size short of the blob fails and leaves the bytes past it alone */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]) + 1; k++) {
		size_t size = k < sizeof(sizes) / sizeof(sizes[0]) ? sizes[k] : (size_t)full - 1;

		memset(buf, 0xa5, size + GUARD);
		strcpy(err, "");
		assert_int_equal(arm64_fdt_build(&d, buf, size, err, sizeof(err)), -1);
		if (!strstr(err, "does not fit"))
			fail_msg("size %zu: error \"%s\"", size, err);
		for (size_t b = size; b < size + GUARD; b++)
			if (buf[b] != 0xa5)
				fail_msg("size %zu: byte %zu written", size, b);
	}

	/* exactly enough */
	memset(buf, 0xa5, (size_t)full + GUARD);
	assert_int_equal(arm64_fdt_build(&d, buf, (size_t)full, err, sizeof(err)), full);
	assert_int_equal(fdt_check_header(buf), 0);
	for (size_t b = (size_t)full; b < (size_t)full + GUARD; b++)
		assert_int_equal(buf[b], 0xa5);
	free(buf);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_gicv2),
		cmocka_unit_test(test_demo_gicv3),
		cmocka_unit_test(test_chosen_bootargs_initrd),
		cmocka_unit_test(test_stdout_16550),
		cmocka_unit_test(test_cpu_affinity),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_minimal_config),
		cmocka_unit_test(test_bad_desc),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
