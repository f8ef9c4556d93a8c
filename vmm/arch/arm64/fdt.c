/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arm64 guest's device tree (fdt.h), written with libfdt's sequential
 * writer: fdt_finish() leaves a blob whose totalsize is exactly what was
 * written, so no fdt_pack() pass is needed. libfdt never writes past the
 * size it is given; running out of room is -FDT_ERR_NOSPACE, reported as an
 * error.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <axdevice/emu_type.h>
#include <libfdt.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/psci.h"

/* Phandles: fixed, so that a reader of the dts sees the same numbers every time. */
enum { PHANDLE_GIC = 1, PHANDLE_APB_PCLK = 2 };

/* Interrupt specifier cells (arm,gic.yaml). */
enum {
	GIC_SPI = 0,
	GIC_PPI = 1,
	IRQ_EDGE_RISING = 1,
	IRQ_LEVEL_HIGH = 4,
};

#define INTID_PPI_FIRST 16u
#define INTID_SPI_FIRST 32u
#define INTID_SPI_LAST	1019u
#define GICV2_MAX_CPUS	8u /* the GICv2 CPU target masks have 8 bits */
#define APB_PCLK_HZ	24000000u
#define NS16550_CLK_HZ	1843200u /* 115200 baud x 16 */

/* The generic timer's PPIs in arm,armv8-timer's order: secure, non-secure, virtual, hyp. */
static const uint32_t timer_intids[] = { 29, 30, 27, 26 };

/* The cpu node's reg: MPIDR[23:0] (/cpus #address-cells = 1, cpus.yaml; Aff3 is 0). */
static uint32_t cpu_reg(uint32_t i)
{
	return (uint32_t)(psci_mpidr(i) & 0xffffffu);
}

static bool intid_is_spi(uint32_t intid)
{
	return intid >= INTID_SPI_FIRST && intid <= INTID_SPI_LAST;
}

/* --- the VM description from the config ----------------------------------------- */

/* "path:line:col: emu_devices[i]: device "name": msg", as vm.c names an entry. */
static int entry_err(const struct axvm_config *cfg, unsigned i, char *err, size_t err_len,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int entry_err(const struct axvm_config *cfg, unsigned i, char *err, size_t err_len,
		     const char *fmt, ...)
{
	char msg[AXVM_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err && err_len)
		snprintf(err, err_len, "%s:%u:%u: emu_devices[%u]: device \"%s\": %s", cfg->path,
			 cfg->emu_pos[i].line, cfg->emu_pos[i].col, i, cfg->emu[i].name, msg);
	return -1;
}

static int second_gic(const struct axvm_config *cfg, unsigned i, unsigned first, char *err,
		      size_t err_len)
{
	return entry_err(cfg, i, err, err_len,
			 "a second interrupt controller (emu_devices[%u] \"%s\" is the VM's): "
			 "an arm64 VM has one GIC",
			 first, cfg->emu[first].name);
}

static int spi_of(const struct axvm_config *cfg, unsigned i, char *err, size_t err_len)
{
	uint32_t intid = cfg->emu[i].irq_id;

	if (intid_is_spi(intid))
		return 0;
	return entry_err(cfg, i, err, err_len,
			 "irq_id %" PRIu32 " is not an SPI (INTID %u..%u): the device tree "
			 "describes its interrupt as a shared peripheral interrupt",
			 intid, INTID_SPI_FIRST, INTID_SPI_LAST);
}

static int add_console(const struct axvm_config *cfg, unsigned i, struct arm64_fdt_desc *d,
		       char *err, size_t err_len)
{
	const struct ax_emu_config *e = &cfg->emu[i];
	uint64_t bus = e->cfg_len > 0 ? e->cfg_list[0] : 0;
	struct arm64_fdt_uart *u;

	if (bus != 0)
		return entry_err(cfg, i, err, err_len,
				 "a console on the port bus (cfg_list[0] = %" PRIu64
				 "): arm64 has no port I/O, use bus 0 (MMIO)",
				 bus);
	if (spi_of(cfg, i, err, err_len))
		return -1;
	if (d->nr_uarts == ARM64_FDT_MAX_UARTS)
		return entry_err(cfg, i, err, err_len, "more than %u UARTs", ARM64_FDT_MAX_UARTS);
	u = &d->uarts[d->nr_uarts++];
	/* README: [0, 2, 1] is a PL011; [bus, reg_shift] a 16550 */
	u->kind = e->cfg_len >= 3 && e->cfg_list[2] == 1 ? ARM64_FDT_PL011 : ARM64_FDT_NS16550;
	u->base = e->base_gpa;
	u->size = e->length;
	u->intid = e->irq_id;
	u->reg_shift = e->cfg_len >= 2 ? (uint32_t)e->cfg_list[1] : 0;
	return 0;
}

int arm64_fdt_desc_from_config(const struct axvm_config *cfg, struct arm64_fdt_desc *d, char *err,
			       size_t err_len)
{
	unsigned gic = UINT32_MAX, gicr = UINT32_MAX;

	memset(d, 0, sizeof(*d));
	d->nr_cpus = cfg->cpu_num;
	d->nr_mem = cfg->nr_mem;
	for (unsigned k = 0; k < cfg->nr_mem && k < AXVM_MAX_MEM_REGIONS; k++) {
		d->mem[k].base = cfg->mem[k].gpa;
		d->mem[k].size = cfg->mem[k].size;
	}

	for (unsigned i = 0; i < cfg->nr_emu; i++) {
		const struct ax_emu_config *e = &cfg->emu[i];

		switch (e->emu_type) {
		case AX_EMU_GICD_V2:
			if (gic != UINT32_MAX)
				return second_gic(cfg, i, gic, err, err_len);
			if (e->cfg_len < 4)
				return entry_err(cfg, i, err, err_len,
						 "a GICv2 without a CPU interface (cfg_list "
						 "[num_irqs, num_cpus] lacks gicc_base, "
						 "gicc_length): an arm64 guest needs one, e.g. "
						 "[128, 2, 0x0801_0000, 0x1_0000]");
			if (cfg->cpu_num > GICV2_MAX_CPUS)
				return entry_err(
					cfg, i, err, err_len,
					"a GICv2 serves at most %u CPUs, cpu_num is %" PRIu32,
					GICV2_MAX_CPUS, cfg->cpu_num);
			gic = i;
			d->gic_version = 2;
			d->gicd = (struct arm64_fdt_range){ e->base_gpa, e->length };
			d->gicc = (struct arm64_fdt_range){ e->cfg_list[2], e->cfg_list[3] };
			break;
		case AX_EMU_GICD_V3:
			if (gic != UINT32_MAX)
				return second_gic(cfg, i, gic, err, err_len);
			gic = i;
			d->gic_version = 3;
			d->gicd = (struct arm64_fdt_range){ e->base_gpa, e->length };
			break;
		case AX_EMU_GICR:
			if (gicr != UINT32_MAX)
				return entry_err(cfg, i, err, err_len,
						 "a second redistributor region (emu_devices[%u] "
						 "\"%s\" is the VM's)",
						 gicr, cfg->emu[gicr].name);
			gicr = i;
			d->gicr = (struct arm64_fdt_range){ e->base_gpa, e->length };
			break;
		case AX_EMU_ARM_TIMER:
			d->timer = true;
			break;
		case AX_EMU_CONSOLE:
			if (add_console(cfg, i, d, err, err_len))
				return -1;
			break;
		case AX_EMU_VIRTIO_BLK:
		case AX_EMU_VIRTIO_NET:
		case AX_EMU_VIRTIO_CONSOLE:
			if (spi_of(cfg, i, err, err_len))
				return -1;
			d->virtio[d->nr_virtio++] =
				(struct arm64_fdt_virtio){ e->base_gpa, e->length, e->irq_id };
			break;
		default: /* meta, gppt, icc, icc-sre, sgir, ...: nothing a guest discovers */
			break;
		}
	}

	if (gic == UINT32_MAX) {
		if (err && err_len)
			snprintf(err, err_len,
				 "%s: no interrupt controller: an arm64 VM needs a gicd-v2 entry "
				 "(with its CPU interface) or gicd-v3 and gicr entries",
				 cfg->path);
		return -1;
	}
	if (d->gic_version == 3 && gicr == UINT32_MAX)
		return entry_err(cfg, gic, err, err_len,
				 "a GICv3 distributor without redistributors: add a gicr entry, "
				 "one 0x2_0000 frame per vCPU");
	if (d->gic_version == 2 && gicr != UINT32_MAX)
		return entry_err(
			cfg, gicr, err, err_len,
			"redistributors with a GICv2 (emu_devices[%u] \"%s\"): they belong "
			"to a gicd-v3",
			gic, cfg->emu[gic].name);
	d->bootargs = cfg->cmdline;
	return 0;
}

/* --- the blob --------------------------------------------------------------------- */

struct writer {
	void *fdt;
	int rc;		/* the first libfdt error */
	char where[64]; /* the node being written when it happened */
	const struct arm64_fdt_desc *d;
};

static void note(struct writer *w, int rc)
{
	if (rc < 0 && w->rc == 0)
		w->rc = rc;
}

static void begin(struct writer *w, const char *name)
{
	if (w->rc == 0)
		snprintf(w->where, sizeof(w->where), "node \"%s\"", name);
	note(w, fdt_begin_node(w->fdt, name));
}

static void begin_at(struct writer *w, char *buf, size_t len, const char *name, uint64_t addr)
{
	snprintf(buf, len, "%s@%" PRIx64, name, addr);
	begin(w, buf);
}

static void end(struct writer *w)
{
	note(w, fdt_end_node(w->fdt));
}

static void prop(struct writer *w, const char *name, const void *val, size_t len)
{
	note(w, fdt_property(w->fdt, name, val, (int)len));
}

static void prop_u32(struct writer *w, const char *name, uint32_t val)
{
	note(w, fdt_property_u32(w->fdt, name, val));
}

static void prop_u64(struct writer *w, const char *name, uint64_t val)
{
	note(w, fdt_property_u64(w->fdt, name, val));
}

static void prop_str(struct writer *w, const char *name, const char *s)
{
	note(w, fdt_property_string(w->fdt, name, s));
}

static void prop_empty(struct writer *w, const char *name)
{
	note(w, fdt_property(w->fdt, name, NULL, 0));
}

/* A string list literal ("a\0b"), its final NUL included. */
#define PROP_STRS(w, name, lit) prop(w, name, lit, sizeof(lit))

static void prop_cells(struct writer *w, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t be[16];

	for (size_t k = 0; k < n; k++)
		be[k] = cpu_to_fdt32(cells[k]);
	prop(w, name, be, n * sizeof(be[0]));
}

/* reg of n ranges with the root's 2 address and 2 size cells. */
static void prop_reg(struct writer *w, const struct arm64_fdt_range *r, size_t n)
{
	uint32_t cells[16];

	for (size_t k = 0; k < n; k++) {
		cells[4 * k + 0] = (uint32_t)(r[k].base >> 32);
		cells[4 * k + 1] = (uint32_t)r[k].base;
		cells[4 * k + 2] = (uint32_t)(r[k].size >> 32);
		cells[4 * k + 3] = (uint32_t)r[k].size;
	}
	prop_cells(w, "reg", cells, 4 * n);
}

/* <type number flags>: SPI = INTID - 32, PPI = INTID - 16. */
static void irq_spec(uint32_t out[3], uint32_t intid, uint32_t flags)
{
	out[0] = intid >= INTID_SPI_FIRST ? GIC_SPI : GIC_PPI;
	out[1] = intid - (intid >= INTID_SPI_FIRST ? INTID_SPI_FIRST : INTID_PPI_FIRST);
	out[2] = flags;
}

static void prop_spi(struct writer *w, uint32_t intid, uint32_t flags)
{
	uint32_t cells[3];

	irq_spec(cells, intid, flags);
	prop_cells(w, "interrupts", cells, 3);
}

static void write_chosen(struct writer *w)
{
	const struct arm64_fdt_desc *d = w->d;
	const struct arm64_fdt_uart *out = NULL;
	char path[64];

	/* the first PL011, else the first 16550 */
	for (unsigned k = 0; k < d->nr_uarts && !out; k++)
		if (d->uarts[k].kind == ARM64_FDT_PL011)
			out = &d->uarts[k];
	for (unsigned k = 0; k < d->nr_uarts && !out; k++)
		out = &d->uarts[k];

	begin(w, "chosen");
	if (d->bootargs && d->bootargs[0])
		prop_str(w, "bootargs", d->bootargs);
	if (out) {
		snprintf(path, sizeof(path), "/serial@%" PRIx64, out->base);
		prop_str(w, "stdout-path", path);
	}
	if (d->initrd_end > d->initrd_start) {
		prop_u64(w, "linux,initrd-start", d->initrd_start);
		prop_u64(w, "linux,initrd-end", d->initrd_end);
	}
	end(w);
}

static void write_cpus(struct writer *w)
{
	const struct arm64_fdt_desc *d = w->d;
	char name[32];

	begin(w, "cpus");
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	for (uint32_t i = 0; i < d->nr_cpus; i++) {
		begin_at(w, name, sizeof(name), "cpu", cpu_reg(i));
		prop_str(w, "device_type", "cpu");
		prop_str(w, "compatible", "arm,armv8");
		prop_u32(w, "reg", cpu_reg(i));
		prop_str(w, "enable-method", "psci");
		end(w);
	}
	end(w);
}

static void write_gic(struct writer *w)
{
	const struct arm64_fdt_desc *d = w->d;
	char name[48];

	begin_at(w, name, sizeof(name), "interrupt-controller", d->gicd.base);
	if (d->gic_version == 2) {
		const struct arm64_fdt_range reg[] = { d->gicd, d->gicc };

		prop_str(w, "compatible", "arm,cortex-a15-gic");
		prop_reg(w, reg, 2);
	} else {
		const struct arm64_fdt_range reg[] = { d->gicd, d->gicr };

		prop_str(w, "compatible", "arm,gic-v3");
		prop_reg(w, reg, 2);
		prop_u32(w, "#redistributor-regions", 1);
	}
	prop_u32(w, "#interrupt-cells", 3);
	prop_u32(w, "#address-cells", 0);
	prop_empty(w, "interrupt-controller");
	prop_u32(w, "phandle", PHANDLE_GIC);
	end(w);
}

static void write_timer(struct writer *w)
{
	const struct arm64_fdt_desc *d = w->d;
	uint32_t flags = IRQ_LEVEL_HIGH, cells[3 * 4];
	size_t n = sizeof(timer_intids) / sizeof(timer_intids[0]);

	/* GICv2 PPI specifiers carry the mask of CPUs the PPI reaches (bits 15:8) */
	if (d->gic_version == 2)
		flags |= ((1u << d->nr_cpus) - 1u) << 8;
	for (size_t k = 0; k < n; k++)
		irq_spec(&cells[3 * k], timer_intids[k], flags);
	begin(w, "timer");
	PROP_STRS(w, "compatible", "arm,armv8-timer");
	prop_cells(w, "interrupts", cells, 3 * n);
	prop_empty(w, "always-on");
	end(w);
}

static void write_uart(struct writer *w, const struct arm64_fdt_uart *u)
{
	const struct arm64_fdt_range reg = { u->base, u->size };
	const uint32_t clocks[] = { PHANDLE_APB_PCLK, PHANDLE_APB_PCLK };
	char name[32];

	begin_at(w, name, sizeof(name), "serial", u->base);
	if (u->kind == ARM64_FDT_PL011) {
		PROP_STRS(w, "compatible", "arm,pl011\0arm,primecell");
		prop_reg(w, &reg, 1);
		prop_spi(w, u->intid, IRQ_LEVEL_HIGH);
		/* the amba bus refuses a primecell without apb_pclk */
		prop_cells(w, "clocks", clocks, 2);
		PROP_STRS(w, "clock-names", "uartclk\0apb_pclk");
	} else {
		prop_str(w, "compatible", "ns16550a");
		prop_reg(w, &reg, 1);
		prop_spi(w, u->intid, IRQ_LEVEL_HIGH);
		prop_u32(w, "reg-shift", u->reg_shift);
		if (u->reg_shift == 2)
			prop_u32(w, "reg-io-width", 4);
		prop_u32(w, "clock-frequency", NS16550_CLK_HZ);
	}
	end(w);
}

static void write_virtio(struct writer *w, const struct arm64_fdt_virtio *v)
{
	const struct arm64_fdt_range reg = { v->base, v->size };
	char name[32];

	begin_at(w, name, sizeof(name), "virtio", v->base);
	prop_str(w, "compatible", "virtio,mmio");
	prop_reg(w, &reg, 1);
	/* the transport holds its line until InterruptACK (src/dev/virtio/mmio.c): level */
	prop_spi(w, v->intid, IRQ_LEVEL_HIGH);
	prop_empty(w, "dma-coherent");
	end(w);
}

static void write_tree(struct writer *w)
{
	const struct arm64_fdt_desc *d = w->d;
	bool pl011 = false;
	char name[48];

	note(w, fdt_finish_reservemap(w->fdt));
	begin(w, "");
	prop_str(w, "compatible", "linux,dummy-virt");
	prop_str(w, "model", "linux,dummy-virt");
	prop_u32(w, "#address-cells", 2);
	prop_u32(w, "#size-cells", 2);
	prop_u32(w, "interrupt-parent", PHANDLE_GIC);

	write_chosen(w);
	for (unsigned k = 0; k < d->nr_mem; k++) {
		begin_at(w, name, sizeof(name), "memory", d->mem[k].base);
		prop_str(w, "device_type", "memory");
		prop_reg(w, &d->mem[k], 1);
		end(w);
	}
	write_cpus(w);

	begin(w, "psci");
	/* no "arm,psci": that 0.1 fallback would need the cpu_on/cpu_off function ids */
	PROP_STRS(w, "compatible", "arm,psci-1.0\0arm,psci-0.2");
	prop_str(w, "method", d->psci_smc ? "smc" : "hvc");
	end(w);

	write_gic(w);
	if (d->timer)
		write_timer(w);

	for (unsigned k = 0; k < d->nr_uarts; k++)
		pl011 |= d->uarts[k].kind == ARM64_FDT_PL011;
	if (pl011) {
		begin(w, "clock-apb-pclk");
		prop_str(w, "compatible", "fixed-clock");
		prop_u32(w, "#clock-cells", 0);
		prop_u32(w, "clock-frequency", APB_PCLK_HZ);
		prop_str(w, "clock-output-names", "apb_pclk");
		prop_u32(w, "phandle", PHANDLE_APB_PCLK);
		end(w);
	}
	for (unsigned k = 0; k < d->nr_uarts; k++)
		write_uart(w, &d->uarts[k]);
	for (unsigned k = 0; k < d->nr_virtio; k++)
		write_virtio(w, &d->virtio[k]);
	end(w);
	if (w->rc == 0)
		snprintf(w->where, sizeof(w->where), "the end of the tree");
	note(w, fdt_finish(w->fdt));
}

static long fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static long fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* What build() relies on: checked here, not trusted, since a desc may be hand-made. */
static long check_desc(const struct arm64_fdt_desc *d, char *err, size_t err_len)
{
	if (d->gic_version != 2 && d->gic_version != 3)
		return fail(err, err_len, "device tree: GIC version %u (2 or 3)", d->gic_version);
	if (d->nr_cpus == 0 || d->nr_cpus > PSCI_MAX_CPUS ||
	    (d->gic_version == 2 && d->nr_cpus > GICV2_MAX_CPUS))
		return fail(err, err_len, "device tree: %" PRIu32 " CPUs (1..%u with a GICv%u)",
			    d->nr_cpus, d->gic_version == 2 ? GICV2_MAX_CPUS : PSCI_MAX_CPUS,
			    d->gic_version);
	if (d->nr_mem > AXVM_MAX_MEM_REGIONS || d->nr_uarts > ARM64_FDT_MAX_UARTS ||
	    d->nr_virtio > AXVM_MAX_DEVICES)
		return fail(err, err_len, "device tree: too many memory regions or devices");
	if (d->gic_version == 3 && d->gicr.size == 0)
		return fail(err, err_len, "device tree: a GICv3 without redistributors");
	for (unsigned k = 0; k < d->nr_uarts; k++)
		if (!intid_is_spi(d->uarts[k].intid))
			return fail(err, err_len,
				    "device tree: UART at 0x%" PRIx64 ": INTID %" PRIu32
				    " is not an SPI",
				    d->uarts[k].base, d->uarts[k].intid);
	for (unsigned k = 0; k < d->nr_virtio; k++)
		if (!intid_is_spi(d->virtio[k].intid))
			return fail(err, err_len,
				    "device tree: virtio at 0x%" PRIx64 ": INTID %" PRIu32
				    " is not an SPI",
				    d->virtio[k].base, d->virtio[k].intid);
	if (d->initrd_end < d->initrd_start)
		return fail(err, err_len,
			    "device tree: initrd ends (0x%" PRIx64 ") before it starts (0x%" PRIx64
			    ")",
			    d->initrd_end, d->initrd_start);
	return 0;
}

long arm64_fdt_build(const struct arm64_fdt_desc *d, void *buf, size_t size, char *err,
		     size_t err_len)
{
	struct writer w = { .fdt = buf, .d = d, .where = "the header" };

	if (check_desc(d, err, err_len))
		return -1;
	if (size > ARM64_FDT_MAX)
		size = ARM64_FDT_MAX; /* never hand the guest more than booting.rst allows */
	note(&w, fdt_create(buf, (int)size));
	if (w.rc == 0)
		write_tree(&w);
	if (w.rc == -FDT_ERR_NOSPACE)
		return fail(err, err_len, "device tree: does not fit in %zu bytes (at %s)", size,
			    w.where);
	if (w.rc)
		return fail(err, err_len, "device tree: %s (at %s)", fdt_strerror(w.rc), w.where);
	return (long)fdt_totalsize(buf);
}
