/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver behind bench/icount.sh: runs one operation N times, each time
 * through a harness function icount_<op>() that does exactly that one
 * operation and nothing else, so that callgrind's --toggle-collect on it
 * counts the operation's instructions and not the loop or the per-iteration
 * preparation (re-pending the GIC interrupt, putting a vector in service in
 * the local APIC), which run outside it.
 *
 *   bench_icount OP N     run OP N times (under callgrind, from icount.sh)
 *   bench_icount          ns per operation for every OP (the wall-clock
 *                         figures beside the instruction counts)
 *
 * OPs (the harness function is icount_<OP with '-' as '_'>):
 *   dispatch-axdevice-<D>, dispatch-linear-<D>  one 4-byte MMIO read of the
 *       middle of D trivial devices (bench_dispatch's set-up, pattern=same):
 *       ax_devices_handle_mmio_read, or the linear baseline
 *   virtio-blk-read4k   one 4 KiB virtio-blk read through the whole path,
 *       bench_virtio's loop body: the driver posts the chain and writes
 *       QueueNotify, the device walks it, copies from the RAM backend, fills
 *       the used ring, raises the line; the driver reads the used ring and
 *       status and writes InterruptACK; the host is axvm's (membarrier
 *       sync_cores when the kernel has it), as in bench_virtio
 *   uart-scratch        one 16550 SCR write and one SCR read (MMIO, 1 byte)
 *   gic-ack-eoi         GICv2 GICC_IAR read + GICC_EOIR write, SPI 40 pending
 *   lapic-eoi           one xAPIC EOI register write, vector 0x40 in service
 *
 * Every harness is called through a function pointer, so the compiler can
 * neither inline nor clone it: the symbol callgrind toggles on is the code
 * that runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <axdevice/axdevice.h>

#include "backends.h"
#include "host_posix.h"
#include "linear_dispatch.h"
#include "trivial_device.h"
#include "virtio_driver.h"

/* Under callgrind --instr-atstart=no (icount.sh), instrument only from the first op on: set-up of
 * 4096 devices would otherwise take a minute a run. A no-op natively and without the header. */
#if defined(__has_include) && !defined(__CPPCHECK__) /* cppcheck cannot evaluate it */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#endif

/* bench_dispatch's layout */
#define D_BASE	 0x40000000ull
#define D_STRIDE 0x1000ull
#define D_LEN	 0x200ull
/* bench_virtio's layout */
#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  0x100000ull
#define BLK_BASE  0x10000000ull
#define DISK_SIZE (8u << 20)
/* the others */
#define UART_BASE 0x09000000ull
#define GICD_BASE 0x08000000ull
#define GICC_BASE 0x08010000ull
#define GIC_SPI	  40u
#define APIC_BASE 0xfee00000ull
#define APIC_VEC  0x40u

/* IHI 0048B tables 4-1 and 4-2; SDM vol. 3 table 10-1 */
enum { GICD_CTLR = 0x000, GICD_ISENABLER = 0x100, GICD_ISPENDR = 0x200, GICD_IPRIORITYR = 0x400 };
enum { GICD_ITARGETSR = 0x800, GICC_CTLR = 0x00, GICC_PMR = 0x04, GICC_IAR = 0x0c };
enum { GICC_EOIR = 0x10, APIC_EOI = 0xb0, APIC_SVR = 0xf0, APIC_ICR_LO = 0x300 };
enum { UART_SCR = 7 };

struct ctx {
	struct test_host host;
	struct ax_devices *set;
	struct linear_set lin;
	uint64_t addr;
	struct vdrv drv;
	struct ram_disk disk;
	uint32_t req;
	uint64_t sink;
};

static void die(const char *what)
{
	fprintf(stderr, "bench_icount: %s\n", what);
	exit(1);
}

static void must(enum ax_err err, const char *what)
{
	if (err != AX_OK)
		die(what);
}

/* --- the harness functions: exactly one operation each ------------------------------------ */

void icount_dispatch_axdevice(struct ctx *c);
void icount_dispatch_linear(struct ctx *c);
void icount_virtio_blk_read4k(struct ctx *c);
void icount_uart_scratch(struct ctx *c);
void icount_gic_ack_eoi(struct ctx *c);
void icount_lapic_eoi(struct ctx *c);

__attribute__((noinline)) void icount_dispatch_axdevice(struct ctx *c)
{
	if (ax_devices_handle_mmio_read(c->set, 0, c->addr, 4, &c->sink) != AX_OK)
		abort();
}

__attribute__((noinline)) void icount_dispatch_linear(struct ctx *c)
{
	if (linear_handle_read(&c->lin, 0, c->addr, 4, &c->sink) != AX_OK)
		abort();
}

__attribute__((noinline)) void icount_virtio_blk_read4k(struct ctx *c)
{
	uint64_t sector = (uint64_t)(c->req % (DISK_SIZE / 4096)) * 8;
	const struct vdrv_blk_req r = { VD_BLK_T_IN, sector, NULL, 4096, 0, 0 };
	/* built, not copied from r: a copy of the struct just stored stalls on store forwarding */
	const struct vdrv_blk_req status_only = { VD_BLK_T_IN, sector, NULL, 0, 0, 0 };
	uint32_t id, len;

	vdrv_blk_start(&c->drv, &r);
	if (!vdrv_used(&c->drv, 0, &id, &len) || vdrv_blk_result(&c->drv, &status_only) != 0 ||
	    !c->host.irq_level[5])
		abort();
	vdrv_write(&c->drv, VD_INTERRUPT_ACK, 1);
	c->req++;
}

__attribute__((noinline)) void icount_uart_scratch(struct ctx *c)
{
	uint64_t v = 0;

	if (ax_devices_handle_mmio_write(c->set, 0, UART_BASE + UART_SCR, 1, 0x5a) != AX_OK ||
	    ax_devices_handle_mmio_read(c->set, 0, UART_BASE + UART_SCR, 1, &v) != AX_OK ||
	    v != 0x5a)
		abort();
}

__attribute__((noinline)) void icount_gic_ack_eoi(struct ctx *c)
{
	uint64_t iar = 0;

	if (ax_devices_handle_mmio_read(c->set, 0, GICC_BASE + GICC_IAR, 4, &iar) != AX_OK ||
	    iar != GIC_SPI ||
	    ax_devices_handle_mmio_write(c->set, 0, GICC_BASE + GICC_EOIR, 4, iar) != AX_OK)
		abort();
}

__attribute__((noinline)) void icount_lapic_eoi(struct ctx *c)
{
	if (ax_devices_handle_mmio_write(c->set, 0, APIC_BASE + APIC_EOI, 4, 0) != AX_OK)
		abort();
}

/* --- set-up and per-iteration preparation (not counted) ----------------------------------- */

static void wr32(struct ctx *c, uint64_t addr, uint32_t v)
{
	must(ax_devices_handle_mmio_write(c->set, 0, addr, 4, v), "mmio write");
}

static void setup_dispatch(struct ctx *c, unsigned n)
{
	struct ax_devices_params params = { .hooks = &c->host.hooks, .max_vcpus = 1 };

	test_host_init(&c->host, true);
	must(ax_devices_create(&params, NULL, &c->set, NULL), "create");
	c->lin.devs = calloc(n, sizeof(struct linear_dev));
	c->lin.n = n;
	if (!c->lin.devs)
		die("out of memory");
	for (unsigned i = 0; i < n; i++) {
		char name[16];
		struct ax_device_desc d = {
			.name = name, .bus = AX_BUS_MMIO, .nr_ranges = 1, .ops = &bench_trivial_ops
		};

		snprintf(name, sizeof(name), "dev%u", i);
		ax_range_new(AX_BUS_MMIO, D_BASE + i * D_STRIDE, D_LEN, &d.ranges[0]);
		must(ax_devices_add(c->set, &d, NULL, NULL), "add");
		c->lin.devs[i] = (struct linear_dev){ d.ranges[0], &bench_trivial_ops, NULL };
	}
	c->addr = D_BASE + (n / 2) * D_STRIDE + 8;
}

static void setup_one(struct ctx *c, const struct ax_emu_config *emu, uint32_t vcpus)
{
	const struct ax_vm_device_config cfg = { emu, 1 };
	const struct ax_devices_params params = { .hooks = &c->host.hooks, .max_vcpus = vcpus };
	struct ax_diag diag = { 0 };

	if (ax_devices_create(&params, &cfg, &c->set, &diag) != AX_OK)
		die(diag.msg);
}

static void setup_virtio(struct ctx *c)
{
	static const struct ax_emu_config emu = { "vda", BLK_BASE, 0x1000, 5, AX_EMU_VIRTIO_BLK,
						  NULL,	 0 };
	uint8_t *ram;

	/* axvm's host: sync_cores through membarrier when the kernel has it (as bench_virtio) */
	test_host_init(&c->host, true);
	c->host.hooks.log = NULL;
	ram = test_host_add_ram(&c->host, RAM_GPA, RAM_SIZE);
	ram_disk_init(&c->disk, DISK_SIZE, false);
	backends_bind_block("vda", &c->disk);
	backends_install(&c->host);
	setup_one(c, &emu, 1);
	vdrv_attach(&c->drv, c->set, BLK_BASE, ram, RAM_GPA, RAM_SIZE);
	if (vdrv_init(&c->drv, VD_F(VD_F_INDIRECT_DESC), 1, 128))
		die("virtio driver initialisation failed");
}

static void setup_uart(struct ctx *c)
{
	static const struct ax_emu_config emu = { "uart",	  UART_BASE, 0x1000, 33,
						  AX_EMU_CONSOLE, NULL,	     0 };

	test_host_init(&c->host, false);
	setup_one(c, &emu, 1);
}

static void setup_gic(struct ctx *c)
{
	static const uint64_t gic_cfg[4] = { 128, 1, GICC_BASE, 0x10000 };
	static const struct ax_emu_config emu = { "gic",	  GICD_BASE, 0x10000, 0,
						  AX_EMU_GICD_V2, gic_cfg,   4 };

	test_host_init(&c->host, false);
	setup_one(c, &emu, 1);
	must(ax_devices_handle_mmio_write(c->set, 0, GICD_BASE + GICD_IPRIORITYR + GIC_SPI, 1,
					  0xa0),
	     "priority");
	must(ax_devices_handle_mmio_write(c->set, 0, GICD_BASE + GICD_ITARGETSR + GIC_SPI, 1, 1),
	     "target");
	wr32(c, GICD_BASE + GICD_ISENABLER + GIC_SPI / 32 * 4, 1u << (GIC_SPI % 32));
	wr32(c, GICD_BASE + GICD_CTLR, 1);
	wr32(c, GICC_BASE + GICC_CTLR, 1);
	wr32(c, GICC_BASE + GICC_PMR, 0xf8);
}

static void setup_lapic(struct ctx *c)
{
	static const struct ax_emu_config emu = { "lapic",	APIC_BASE, 0x1000, 0,
						  AX_EMU_LAPIC, NULL,	   0 };

	test_host_init(&c->host, false);
	setup_one(c, &emu, 1);
	wr32(c, APIC_BASE + APIC_SVR, 0x100 | 0xff); /* software-enabled */
}

/* Before each GIC op: SPI 40 pending again. */
static void prep_gic(struct ctx *c)
{
	wr32(c, GICD_BASE + GICD_ISPENDR + GIC_SPI / 32 * 4, 1u << (GIC_SPI % 32));
}

/* Before each APIC op: a fixed self-IPI, acknowledged, so the vector is in service. */
static void prep_lapic(struct ctx *c)
{
	uint32_t vec = 0;

	wr32(c, APIC_BASE + APIC_ICR_LO, (1u << 18) | APIC_VEC);
	must(ax_devices_irq_ack(c->set, 0, &vec), "irq ack");
	if (vec != APIC_VEC)
		die("unexpected vector");
}

/* --- the operations ----------------------------------------------------------------------- */

typedef void (*op_fn)(struct ctx *c);

struct op {
	const char *name; /* dispatch ops take "-<devices>" */
	void (*prep)(struct ctx *c);
	int kind; /* 0 dispatch, 1 virtio, 2 uart, 3 gic, 4 lapic */
};

/* volatile: the calls go through memory, so no harness is inlined or cloned */
static op_fn volatile const harness[] = { icount_dispatch_axdevice, icount_dispatch_linear,
					  icount_virtio_blk_read4k, icount_uart_scratch,
					  icount_gic_ack_eoi,	    icount_lapic_eoi };

static const struct op ops[] = {
	{ "dispatch-axdevice", NULL, 0 }, { "dispatch-linear", NULL, 0 },
	{ "virtio-blk-read4k", NULL, 1 }, { "uart-scratch", NULL, 2 },
	{ "gic-ack-eoi", prep_gic, 3 },	  { "lapic-eoi", prep_lapic, 4 },
};
#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

static void setup(struct ctx *c, const struct op *op, unsigned devices)
{
	memset(c, 0, sizeof(*c));
	switch (op->kind) {
	case 0:
		setup_dispatch(c, devices);
		break;
	case 1:
		setup_virtio(c);
		break;
	case 2:
		setup_uart(c);
		break;
	case 3:
		setup_gic(c);
		break;
	default:
		setup_lapic(c);
		break;
	}
}

static void teardown(struct ctx *c, const struct op *op)
{
	ax_devices_destroy(c->set);
	free(c->lin.devs);
	if (op->kind == 1)
		ram_disk_fini(&c->disk);
	test_host_fini(&c->host);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs op `i` n times, each after its preparation; returns ns per op, the op alone timed
 * (less the cost of one clock read, `clock_ns`, which such timing adds). */
static double run(struct ctx *c, size_t i, unsigned long n, double clock_ns)
{
	const struct op *op = &ops[i];
	op_fn fn = harness[i];
	double t = 0;

	for (unsigned long k = 0; k < n; k++) {
		double t0;

		if (op->prep)
			op->prep(c);
		t0 = now_ns();
		fn(c);
		t += now_ns() - t0;
	}
	return t / (double)n - clock_ns;
}

/* Runs op `i` n times back to back (ops that need no preparation); returns ns per op. */
static double run_batch(struct ctx *c, size_t i, unsigned long n)
{
	op_fn fn = harness[i];
	double t0 = now_ns();

	for (unsigned long k = 0; k < n; k++)
		fn(c);
	return (now_ns() - t0) / (double)n;
}

static int ns_all(void)
{
	static const unsigned counts[] = { 1, 16, 256, 4096 };
	static struct ctx c;
	double t0 = now_ns(), clock_ns;

	for (int k = 0; k < 100000; k++)
		(void)now_ns();
	clock_ns = (now_ns() - t0) / 100000;
	printf("# bench_icount: ns per operation; instruction counts: bench/icount.sh\n");
	for (size_t i = 0; i < NR_OPS; i++) {
		const struct op *op = &ops[i];

		if (op->kind == 0) {
			for (size_t d = 0; d < sizeof(counts) / sizeof(counts[0]); d++) {
				unsigned long n = counts[d] >= 256 ? 20000 : 2000000;

				setup(&c, op, counts[d]);
				printf("ns op=dispatch-%u impl=%s ns=%.2f\n", counts[d],
				       i == 0 ? "axdevice" : "linear", run_batch(&c, i, n));
				teardown(&c, op);
			}
			continue;
		}
		setup(&c, op, 0);
		if (op->prep)
			printf("ns op=%s impl=axdevice ns=%.2f (timed one by one, less "
			       "clock_ns=%.2f)\n",
			       op->name, run(&c, i, 200000, clock_ns), clock_ns);
		else
			printf("ns op=%s impl=axdevice ns=%.2f\n", op->name,
			       run_batch(&c, i, op->kind == 1 ? 200000 : 2000000));
		teardown(&c, op);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	unsigned long n;
	unsigned devices = 0;
	char *end;

	if (argc == 1)
		return ns_all();
	if (argc != 3)
		die("usage: bench_icount [OP N]");
	n = strtoul(argv[2], &end, 10);
	if (*end || n == 0)
		die("bad N");
	for (size_t i = 0; i < NR_OPS; i++) {
		size_t len = strlen(ops[i].name);

		if (strncmp(argv[1], ops[i].name, len) != 0)
			continue;
		if (ops[i].kind == 0) {
			if (argv[1][len] != '-')
				continue;
			devices = (unsigned)strtoul(argv[1] + len + 1, &end, 10);
			if (*end || devices == 0)
				die("bad device count");
		} else if (argv[1][len]) {
			continue;
		}
		setup(&c, &ops[i], devices);
		if (ops[i].kind <= 1)
			printf("# dispatch mode: %s\n",
			       c.host.hooks.sync_cores ? "membarrier" : "reader fence");
		fflush(stdout);
		CALLGRIND_START_INSTRUMENTATION;
		(void)run(&c, i, n, 0);
		teardown(&c, &ops[i]);
		return 0;
	}
	die("unknown OP");
	return 1;
}
