/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the GICv2 CPU interface (gicd-v2 with cfg_list [num_irqs,
 * num_cpus, gicc_base, gicc_length]) through the device set's dispatch.
 * Random distributor and CPU interface accesses, SPI and PPI levels (the
 * latter through the set's fabric), resets. The oracle is recomputed from
 * the registers the guest can read, independently of the model:
 *  - a read of GICC_IAR / GICC_AIAR returns the highest-priority (then
 *    lowest id) interrupt that is pending, enabled, not active, targeted at
 *    the CPU and in a group enabled in both GICD_CTLR and GICC_CTLR, when
 *    its priority is below PMR and its group priority (binary point of its
 *    group) below the running priority; 1022 for a Group 1 one through IAR
 *    with AckCtl 0; 1023 exactly when there is none (or, for AIAR, the best
 *    is Group 0). An SGI carries its lowest pending source CPU. So never an
 *    interrupt of a disabled group.
 *  - after an acknowledge, the interrupt is active and RPR is its group
 *    priority;
 *  - at every step, GICC_RPR equals the highest active priority recorded in
 *    GICC_APR0 | GICC_NSAPR0 (0xff when none), and ax_devices_irq_pending()
 *    says whether IAR would return an IRQ-signalled interrupt.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicd_v2.h>

#include "core/irq.h"
#include "fake_irq.h"
#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DBASE 0x08000000ull
#define CBASE 0x08010000ull

static struct ax_devices *set;
static uint32_t num_irqs, num_cpus;

static uint32_t rd(uint64_t addr, uint32_t cpu, unsigned width)
{
	uint64_t v = 0;

	FUZZ_CHECK(ax_devices_handle_mmio_read(set, cpu, addr, width, &v) == AX_OK);
	return (uint32_t)v;
}

struct expect {
	uint32_t id;   /* 1023: none */
	uint32_t src;  /* SGI source */
	uint32_t prio; /* its priority */
	uint32_t gp;   /* its group priority */
	bool group1;
	bool signalled; /* below PMR and the running priority */
};

static uint32_t rpr_of(uint32_t cpu)
{
	uint32_t act = rd(CBASE + 0xd0, cpu, 4) | rd(CBASE + 0xe0, cpu, 4);

	return act ? (uint32_t)__builtin_ctz(act) << 3 : 0xff;
}

/* The best candidate for `cpu`; irq_only drops Group 0 while FIQEn. */
static struct expect model(uint32_t cpu, bool irq_only)
{
	struct expect e = { 1023, 0, 256, 0, false, false };
	uint32_t dctlr = rd(DBASE, cpu, 4), cctlr = rd(CBASE, cpu, 4);
	uint32_t pmr = rd(CBASE + 4, cpu, 4), bpr = rd(CBASE + 8, cpu, 4);
	uint32_t abpr = rd(CBASE + 0x1c, cpu, 4);
	uint32_t nr = num_irqs > 1020 ? 1020 : num_irqs;

	uint32_t en = 0, pend = 0, act = 0, grp = 0, tgt = 0, pri = 0;

	for (uint32_t id = 0; id < nr; id++) {
		uint32_t n = id / 32 * 4, bit = 1u << (id % 32);
		bool g1;
		uint32_t p;

		if (id % 32 == 0) {
			en = rd(DBASE + 0x100 + n, cpu, 4);
			pend = rd(DBASE + 0x200 + n, cpu, 4);
			act = rd(DBASE + 0x300 + n, cpu, 4);
			grp = rd(DBASE + 0x080 + n, cpu, 4);
		}
		if (id % 4 == 0) {
			tgt = rd(DBASE + 0x800 + id, cpu, 4);
			pri = rd(DBASE + 0x400 + id, cpu, 4);
		}
		g1 = grp & bit;
		if (!(en & bit) || !(pend & bit) || (act & bit))
			continue;
		if (!(dctlr & (g1 ? 2u : 1u)) || !(cctlr & (g1 ? 2u : 1u)))
			continue;
		if (irq_only && !g1 && (cctlr & 8u))
			continue;
		if (id >= 32 && !((tgt >> (8 * (id % 4))) & (1u << cpu)))
			continue;
		p = (pri >> (8 * (id % 4))) & 0xff;
		if (p < e.prio) {
			e.prio = p;
			e.id = id;
			e.group1 = g1;
		}
	}
	if (e.id == 1023)
		return e;
	if (e.id < 16)
		e.src = (uint32_t)__builtin_ctz(rd(DBASE + 0xf20 + e.id, cpu, 1));
	if (e.group1 && !(cctlr & 0x10u))
		e.gp = e.prio & (0xffu << abpr) & 0xff;
	else
		e.gp = e.prio & (0xffu << (bpr + 1)) & 0xff;
	e.signalled = e.prio < pmr && e.gp < rpr_of(cpu);
	return e;
}

static void check_iar(uint32_t cpu, bool alias)
{
	struct expect e = model(cpu, false);
	uint32_t cctlr = rd(CBASE, cpu, 4);
	uint32_t want, got = rd(CBASE + (alias ? 0x20 : 0x0c), cpu, 4);

	if (!e.signalled || (alias && !e.group1))
		want = 1023;
	else if (!alias && e.group1 && !(cctlr & 4u))
		want = 1022;
	else
		want = e.id | (e.id < 16 ? e.src << 10 : 0);
	FUZZ_CHECK(got == want);
	if (want < 1020) {
		uint32_t n = e.id / 32 * 4, bit = 1u << (e.id % 32);

		FUZZ_CHECK(rd(DBASE + 0x300 + n, cpu, 4) & bit);
		FUZZ_CHECK(rd(CBASE + 0x14, cpu, 4) == e.gp);
	}
}

static void check_cpu(uint32_t cpu)
{
	struct expect e = model(cpu, true);

	FUZZ_CHECK(rd(CBASE + 0x14, cpu, 4) == rpr_of(cpu));
	FUZZ_CHECK(ax_devices_irq_pending(set, cpu) == e.signalled);
	FUZZ_CHECK((rd(CBASE, cpu, 4) & ~0x3ffu) == 0);
}

static uint32_t gicd_off(struct fin *in)
{
	static const uint16_t blocks[] = { 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380,
					   0x400, 0x800, 0xc00, 0xf00, 0xf10, 0xf20, 0x100, 0x200 };
	uint8_t sel = fin_u8(in);

	return (blocks[sel & 15] + fin_u8(in) % (num_irqs / 8 + 4)) & ~3u;
}

static uint32_t gicc_off(struct fin *in)
{
	static const uint16_t regs[] = { 0x00,	 0x04, 0x08, 0x10, 0x1c, 0x24, 0xd0,   0xe0,
					 0x1000, 0x00, 0x04, 0x10, 0x10, 0x24, 0x1000, 0x40 };
	uint8_t sel = fin_u8(in);

	if ((sel & 0xf0) == 0xf0)
		return fin_u16(in) & 0x3ffc;
	return regs[sel & 15];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t irq_choices[4] = { 32, 64, 96, 128 };
	static struct ax_device_kind kinds[1];
	struct fin in = { data, size };
	struct test_host host;
	struct ax_irq_fabric *fabric;
	uint8_t cfgb = fin_u8(&in);
	uint64_t cfg_list[4];
	struct ax_emu_config emu = { "gic", DBASE, 0x10000, 0, AX_EMU_GICD_V2, cfg_list, 4 };
	struct ax_emu_config line = { "line", 0x09000000, 0x1000, 0, FAKE_LINE_KIND, NULL, 0 };
	struct ax_emu_config cfgs[2] = { emu, line };
	struct ax_vm_device_config vm = { cfgs, 2 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 8 };
	unsigned steps = 0;

	kinds[0] = fake_line_kind;
	params.kinds = kinds;
	params.nr_kinds = 1;
	num_irqs = irq_choices[cfgb & 3];
	num_cpus = 1 + ((cfgb >> 4) & 3);
	cfg_list[0] = num_irqs;
	cfg_list[1] = num_cpus;
	cfg_list[2] = CBASE;
	cfg_list[3] = 0x10000;
	cfgs[1].irq_id = num_irqs > 32 ? 32 + (uint32_t)(cfgb >> 6) * 8 % (num_irqs - 32) : 0;
	test_host_init(&host, false);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, NULL) == AX_OK);
	fabric = fake_set_fabric(set);
	FUZZ_CHECK(fabric != NULL);

	while (fin_left(&in) && steps++ < 40) {
		uint8_t op = fin_u8(&in);
		uint32_t cpu = (op >> 5) % num_cpus;

		switch (op & 7) {
		case 0:
		case 1: /* distributor write */
			FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, DBASE + gicd_off(&in), 4,
								fin_u32(&in)) == AX_OK);
			break;
		case 2: { /* CPU interface write, EOI-biased values */
			uint32_t off = gicc_off(&in);
			uint32_t val = (op & 8) ? fin_u32(&in) : fin_u16(&in) & 0x1fff;

			FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, CBASE + off, 4, val) ==
				   AX_OK);
			break;
		}
		case 3:
			check_iar(cpu, op & 8);
			break;
		case 4: /* PPI level through the fabric (any vCPU or intid) */
			ax_irq_fabric_set_ppi(fabric, (op & 8) ? fin_u8(&in) : cpu,
					      16 + fin_u8(&in) % 20, fin_bool(&in));
			break;
		case 5: { /* SPI level from the host API or a device's line */
			struct ax_gicd_v2 *g = NULL;

			FUZZ_CHECK(ax_gicd_v2_from_device(set, 1, &g) == AX_OK);
			if (op & 8)
				ax_irq_line_set_level(fake_line_lines(set, 2), cfgs[1].irq_id,
						      fin_bool(&in));
			else
				(void)ax_gicd_v2_set_level(g, cpu, 16 + fin_u8(&in) % num_irqs,
							   fin_bool(&in));
			break;
		}
		case 6: /* enable everything: reach delivery quickly */
			FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, DBASE, 4, 3) == AX_OK);
			FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, CBASE, 4,
								fin_u8(&in) & 0x1f) == AX_OK);
			FUZZ_CHECK(ax_devices_handle_mmio_write(set, cpu, CBASE + 4, 4, 0xf8) ==
				   AX_OK);
			break;
		default:
			if ((fin_u8(&in) & 15) == 0)
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
			else
				FUZZ_CHECK(ax_devices_handle_mmio_write(
						   set, cpu, DBASE + 0xf00, 4,
						   fin_u32(&in) & 0x03ff000f) == AX_OK);
			break;
		}
		for (uint32_t c = 0; c < num_cpus; c++)
			check_cpu(c);
	}
	ax_devices_destroy(set);
	set = NULL;
	test_host_fini(&host);
	return 0;
}
