/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the GICv3 distributor, redistributors and ICC system
 * registers of one set, through its dispatch. Random accesses (any offset,
 * width and vCPU, any ICC register), host line levels and PPIs, and IAR1
 * reads checked by an oracle built from the registers alone:
 *  - ICC_IAR1_EL1 returns exactly the best candidate (pending, enabled,
 *    Group 1, inactive, routed to that vCPU by IROUTER/IRM or its own
 *    redistributor, GICD_CTLR.EnableGrp1, IGRPEN1, awake; lowest priority
 *    value, then lowest id) when its priority is below PMR and its group
 *    priority below RPR, and 1023 exactly when there is none; afterwards the
 *    id is active and RPR is its group priority. So never a disabled or
 *    wrong-group interrupt;
 *  - ICC_RPR_EL1 is the highest active priority recorded in ICC_AP1R0_EL1;
 *  - read-only registers (GICD TYPER/IIDR/PIDR2, GICR TYPER/IIDR/PIDR2,
 *    ICC_SRE_EL1, ICC_CTLR_EL1's read-only fields) never change.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicv3.h>

#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GICD		  0x08000000ull
#define GICR		  0x080a0000ull
#define NR_CPUS		  2u
#define NR_IRQS		  96u
#define SR(crn, crm, op2) ((uint32_t)(3u << 14 | (crn) << 7 | (crm) << 3 | (op2)))
#define ICC_PMR		  SR(4, 6, 0)
#define ICC_AP1R0	  SR(12, 9, 0)
#define ICC_RPR		  SR(12, 11, 3)
#define ICC_IAR1	  SR(12, 12, 0)
#define ICC_BPR1	  SR(12, 12, 3)
#define ICC_CTLR	  SR(12, 12, 4)
#define ICC_SRE		  SR(12, 12, 5)
#define ICC_IGRPEN1	  SR(12, 12, 7)

static struct ax_devices *set;
static struct ax_gicv3 *gic;
static struct test_host host;

static uint64_t mrd(uint64_t addr, unsigned width)
{
	uint64_t v = 0;

	FUZZ_CHECK(ax_devices_handle_mmio_read(set, 0, addr, width, &v) == AX_OK);
	return v;
}

static uint64_t srd(uint32_t cpu, uint32_t reg)
{
	uint64_t v = 0;

	FUZZ_CHECK(ax_devices_handle_sysreg_read(set, cpu, reg, 8, &v) == AX_OK);
	return v;
}

static bool bit(uint64_t base, uint32_t id)
{
	return (mrd(base + id / 32 * 4, 4) >> (id % 32)) & 1u;
}

static uint8_t prio_of(uint32_t cpu, uint32_t id)
{
	if (id < 32)
		return (uint8_t)mrd(GICR + cpu * 0x20000ull + 0x10400 + id, 1);
	return (uint8_t)mrd(GICD + 0x400 + id, 1);
}

/* The best candidate for `cpu` from the registers, 1023 if none. */
static uint32_t oracle_best(uint32_t cpu, uint8_t *prio)
{
	uint64_t rd = GICR + cpu * 0x20000ull, sgi = rd + 0x10000;
	uint32_t best = 1023;

	*prio = 0xff;
	if (!(mrd(GICD, 4) & 2) || !(srd(cpu, ICC_IGRPEN1) & 1) || (mrd(rd + 0x14, 4) & 2))
		return best;
	for (uint32_t id = 0; id < NR_IRQS; id++) {
		uint64_t b = id < 32 ? sgi : GICD;

		if (!bit(b + 0x80, id) || !bit(b + 0x100, id) || !bit(b + 0x200, id) ||
		    bit(b + 0x300, id))
			continue;
		if (id >= 32) {
			uint64_t r = mrd(GICD + 0x6000 + 8ull * id, 8);

			if (!(r & (1ull << 31)) && (r & 0xff00ffffffull) != cpu)
				continue;
		}
		uint8_t p = prio_of(cpu, id);

		if (best == 1023 || p < *prio) {
			best = id;
			*prio = p;
		}
	}
	return best;
}

static uint8_t oracle_rpr(uint32_t cpu)
{
	uint32_t ap = (uint32_t)srd(cpu, ICC_AP1R0);

	return ap ? (uint8_t)(__builtin_ctz(ap) << 3) : 0xff;
}

static void check_iar(uint32_t cpu)
{
	uint8_t prio;
	uint32_t best = oracle_best(cpu, &prio);
	uint32_t bpr = (uint32_t)srd(cpu, ICC_BPR1);
	uint8_t gp = (uint8_t)(prio & (0xffu << bpr) & 0xf8u);
	bool ok = best != 1023 && prio < srd(cpu, ICC_PMR) && gp < srd(cpu, ICC_RPR);
	uint32_t got = (uint32_t)srd(cpu, ICC_IAR1);

	FUZZ_CHECK(got == (ok ? best : 1023u));
	if (ok) {
		uint64_t b = best < 32 ? GICR + cpu * 0x20000ull + 0x10000 : GICD;

		FUZZ_CHECK(bit(b + 0x300, best));
		FUZZ_CHECK(srd(cpu, ICC_RPR) == gp);
	}
}

struct ro {
	uint64_t gicd[3], gicr[NR_CPUS][3], sre, ctlr_ro;
};

static void read_ro(struct ro *r)
{
	r->gicd[0] = mrd(GICD + 0x4, 4);
	r->gicd[1] = mrd(GICD + 0x8, 4);
	r->gicd[2] = mrd(GICD + 0xffe8, 4);
	for (uint32_t c = 0; c < NR_CPUS; c++) {
		r->gicr[c][0] = mrd(GICR + c * 0x20000ull + 0x8, 8);
		r->gicr[c][1] = mrd(GICR + c * 0x20000ull + 0x4, 4);
		r->gicr[c][2] = mrd(GICR + c * 0x20000ull + 0xffe8, 4);
	}
	r->sre = srd(0, ICC_SRE);
	r->ctlr_ro = srd(1, ICC_CTLR) & ~2ull;
}

static void setup(void)
{
	static const uint64_t cfg[1] = { NR_IRQS };
	struct ax_emu_config emu[3] = {
		{ .name = "gicd",
		  .base_gpa = GICD,
		  .length = 0x10000,
		  .emu_type = AX_EMU_GICD_V3,
		  .cfg_list = cfg,
		  .cfg_len = 1 },
		{ .name = "gicr", .base_gpa = GICR, .length = NR_CPUS * 0x20000ull, .emu_type = 9 },
		{ .name = "icc", .base_gpa = SR(12, 8, 0), .length = 0x28, .emu_type = AX_EMU_ICC },
	};
	struct ax_vm_device_config vm = { emu, 3 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = NR_CPUS };
	struct ax_diag diag = { 0 };

	test_host_init(&host, false);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, &diag) == AX_OK);
	FUZZ_CHECK(ax_gicv3_from_device(set, 1, &gic) == AX_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct ro before, after;

	if (!set)
		setup();
	FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
	read_ro(&before);
	for (unsigned step = 0; step < 64 && fin_left(&in); step++) {
		uint8_t op = fin_u8(&in);
		uint32_t cpu = fin_u8(&in) % NR_CPUS;
		unsigned width = 1u << (fin_u8(&in) % 4);
		uint64_t val = fin_u64(&in), v;

		switch (op % 8) {
		case 0: /* distributor, mostly the interesting first pages and IROUTER */
			v = fin_u16(&in) % 0x1000;
			if (op & 0x80)
				v += 0x6000;
			ax_devices_handle_mmio_write(set, cpu, GICD + v, width, val);
			break;
		case 1: /* a redistributor frame */
			v = fin_u16(&in) % 0x1000 + ((op & 0x80) ? 0x10000 : 0) +
			    (fin_u8(&in) % NR_CPUS) * 0x20000ull;
			ax_devices_handle_mmio_write(set, cpu, GICR + v, width, val);
			break;
		case 2: /* any register of the ICC block or PMR */
			v = fin_u8(&in) % 0x29;
			ax_devices_handle_sysreg_write(
				set, cpu, v == 0x28 ? ICC_PMR : SR(12, 8, 0) + v, 8, val);
			break;
		case 3:
			ax_gicv3_set_level(gic, cpu, (uint32_t)(val % NR_IRQS), (op >> 7) & 1);
			break;
		case 4: /* a guest read anywhere (MMIO reads have no side effect) */
			ax_devices_handle_mmio_read(set, cpu, GICD + fin_u16(&in), width, &v);
			ax_devices_handle_sysreg_read(set, cpu, SR(12, 8, 0) + fin_u8(&in) % 0x28,
						      8, &v);
			break;
		case 5: /* a plausible setup step: enable everything for one id */
			v = val % NR_IRQS;
			ax_devices_handle_mmio_write(set, 0, GICD, 4, 2);
			ax_devices_handle_mmio_write(set, cpu, GICR + cpu * 0x20000ull + 0x14, 4,
						     0);
			ax_devices_handle_sysreg_write(set, cpu, ICC_IGRPEN1, 8, 1);
			ax_devices_handle_sysreg_write(set, cpu, ICC_PMR, 8, 0xf0);
			if (v < 32) {
				uint64_t sgi = GICR + cpu * 0x20000ull + 0x10000;

				ax_devices_handle_mmio_write(set, cpu, sgi + 0x80, 4, 1ull << v);
				ax_devices_handle_mmio_write(set, cpu, sgi + 0x100, 4, 1ull << v);
			} else {
				ax_devices_handle_mmio_write(set, cpu, GICD + 0x80 + v / 32 * 4, 4,
							     ~0u);
				ax_devices_handle_mmio_write(set, cpu, GICD + 0x100 + v / 32 * 4, 4,
							     1ull << (v % 32));
			}
			break;
		default: /* the oracle's turn */
			check_iar(cpu);
			break;
		}
		for (uint32_t c = 0; c < NR_CPUS; c++)
			FUZZ_CHECK(srd(c, ICC_RPR) == oracle_rpr(c));
	}
	for (uint32_t c = 0; c < NR_CPUS; c++)
		check_iar(c);
	read_ro(&after);
	FUZZ_CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	return 0;
}
