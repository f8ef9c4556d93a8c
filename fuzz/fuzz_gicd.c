/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the GICv2 distributor through the device set's dispatch.
 * Random register accesses (every width, aligned or not, any vCPU id),
 * host line levels, acknowledge and end-of-interrupt. After every step,
 * for every CPU interface:
 *  - pending, active and enabled bits read through the set registers equal
 *    those read through the clear registers;
 *  - ax_gicd_v2_highest_pending() returns exactly the interrupt the
 *    registers say is the best candidate (pending, enabled, not active,
 *    group enabled in CTLR, targeted at that CPU; lowest priority value,
 *    then lowest id), with its priority and, for an SGI, the lowest source
 *    CPU shown in SPENDSGIR; NotFound when there is none.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicd_v2.h>

#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x08000000ull

static struct ax_devices *set;
static uint32_t num_irqs, nr_ids, num_cpus;

static uint32_t rd(uint32_t cpu, uint32_t off, unsigned width)
{
	uint64_t v = 0;

	FUZZ_CHECK(ax_devices_handle_mmio_read(set, cpu, BASE + off, width, &v) == AX_OK);
	return (uint32_t)v;
}

static void check_cpu(struct ax_gicd_v2 *g, uint32_t cpu)
{
	uint32_t en[32], pend[32], act[32], grp[32];
	uint32_t ctlr = rd(cpu, 0x000, 4);
	uint32_t best = 1023, best_prio = 256, irq = 0, src = 0;
	uint8_t prio = 0;
	enum ax_err err;

	FUZZ_CHECK((ctlr & ~3u) == 0);
	for (uint32_t n = 0; n < num_irqs / 32; n++) {
		en[n] = rd(cpu, 0x100 + 4 * n, 4);
		FUZZ_CHECK(en[n] == rd(cpu, 0x180 + 4 * n, 4));
		pend[n] = rd(cpu, 0x200 + 4 * n, 4);
		FUZZ_CHECK(pend[n] == rd(cpu, 0x280 + 4 * n, 4));
		act[n] = rd(cpu, 0x300 + 4 * n, 4);
		FUZZ_CHECK(act[n] == rd(cpu, 0x380 + 4 * n, 4));
		grp[n] = rd(cpu, 0x080 + 4 * n, 4);
	}
	for (uint32_t id = 0; id < nr_ids; id++) {
		uint32_t bit = 1u << (id % 32), n = id / 32, p;
		bool g1 = grp[n] & bit;

		if (!(en[n] & bit) || !(pend[n] & bit) || (act[n] & bit))
			continue;
		if (!(ctlr & (g1 ? 2u : 1u)))
			continue;
		if (id >= 32 && !(rd(cpu, 0x800 + id, 1) & (1u << cpu)))
			continue;
		p = rd(cpu, 0x400 + id, 1);
		FUZZ_CHECK((p & ~AX_GICD_V2_PRIORITY_MASK) == 0);
		if (p < best_prio) {
			best_prio = p;
			best = id;
		}
	}
	err = ax_gicd_v2_highest_pending(g, cpu, &irq, &src, &prio);
	if (best == 1023) {
		FUZZ_CHECK(err == AX_ERR_NOT_FOUND);
		return;
	}
	FUZZ_CHECK(err == AX_OK);
	FUZZ_CHECK(irq == best && prio == best_prio);
	if (irq < 16) {
		uint8_t sources = (uint8_t)rd(cpu, 0xf20 + irq, 1);

		FUZZ_CHECK(sources == (uint8_t)rd(cpu, 0xf10 + irq, 1));
		FUZZ_CHECK(sources != 0 && src < 8 && (sources & (1u << src)) &&
			   (sources & ((1u << src) - 1)) == 0);
	} else {
		FUZZ_CHECK(src == 0);
	}
}

/* An offset biased towards the register blocks. */
static uint32_t gen_off(struct fin *in)
{
	static const uint16_t blocks[] = { 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380,
					   0x400, 0x800, 0xc00, 0xf00, 0xf10, 0xf20, 0xfd0, 0x004 };
	uint8_t sel = fin_u8(in);
	uint32_t off;

	if ((sel & 0xf0) == 0xf0)
		return fin_u16(in) & 0x1fff; /* anywhere, past the frame too */
	off = blocks[sel & 15] + (fin_u8(in) % (num_irqs / 8 + 4));
	if (!(sel & 0x10))
		off &= ~3u; /* usually aligned */
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t irq_choices[4] = { 32, 64, 96, 256 };
	struct fin in = { data, size };
	struct test_host host;
	struct ax_gicd_v2 *g = NULL;
	uint8_t cfgb = fin_u8(&in);
	uint64_t cfg_list[2];
	struct ax_emu_config emu = { "gicd", BASE, 0x2000, 0, AX_EMU_GICD_V2, cfg_list, 2 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 8 };
	unsigned steps = 0;

	num_irqs = irq_choices[cfgb & 3];
	if ((cfgb & 0x0c) == 0x0c)
		num_irqs = 1024;
	nr_ids = num_irqs > AX_GICD_V2_MAX_ID ? AX_GICD_V2_MAX_ID + 1 : num_irqs;
	num_cpus = 1 + ((cfgb >> 4) & 3);
	cfg_list[0] = num_irqs;
	cfg_list[1] = num_cpus;
	test_host_init(&host, false);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, NULL) == AX_OK);
	FUZZ_CHECK(ax_gicd_v2_from_device(set, 1, &g) == AX_OK);

	while (fin_left(&in) && steps++ < (num_irqs == 1024 ? 8u : 48u)) {
		uint8_t op = fin_u8(&in);
		uint32_t cpu = (op >> 5) % (num_cpus + 1); /* num_cpus: an absent CPU */

		switch (op & 7) {
		case 0:
		case 1:
		case 2: { /* guest write */
			uint32_t off = gen_off(&in);
			unsigned width = (op & 8) ? fin_width(&in) : 4;
			uint64_t val = fin_u32(&in);
			enum ax_err err =
				ax_devices_handle_mmio_write(set, cpu, BASE + off, width, val);

			if (!ax_width_valid(width) || (cpu >= num_cpus && off + width <= 0x2000))
				FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
			break;
		}
		case 3: { /* guest read: no side effects to check beyond the sanitizers */
			uint64_t v = 0;
			uint32_t off = gen_off(&in);
			unsigned width = (op & 8) ? fin_width(&in) : 4;
			enum ax_err err =
				ax_devices_handle_mmio_read(set, cpu, BASE + off, width, &v);

			if (err != AX_OK)
				FUZZ_CHECK(v == 0);
			if (!ax_width_valid(width) || (cpu >= num_cpus && off + width <= 0x2000))
				FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
			break;
		}
		case 4: { /* host line */
			uint32_t irq = (op & 8) ? fin_u16(&in) : 16 + fin_u8(&in) % (nr_ids - 16);
			bool level = fin_bool(&in);
			enum ax_err err = ax_gicd_v2_set_level(g, cpu, irq, level);

			if (irq < 16 || irq >= nr_ids || (irq < 32 && cpu >= num_cpus))
				FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
			else
				FUZZ_CHECK(err == AX_OK);
			break;
		}
		case 5: { /* acknowledge what is offered, or something else */
			uint32_t irq = 0, src = 0;

			if (ax_gicd_v2_highest_pending(g, cpu, &irq, &src, NULL) == AX_OK &&
			    !(op & 8)) {
				FUZZ_CHECK(ax_gicd_v2_acknowledge(g, cpu, irq, src) == AX_OK);
			} else {
				enum ax_err err = ax_gicd_v2_acknowledge(
					g, cpu, fin_u16(&in) % 1100, fin_u8(&in) % 10);

				FUZZ_CHECK(err == AX_OK || err == AX_ERR_BAD_STATE ||
					   err == AX_ERR_INVALID_INPUT);
			}
			break;
		}
		case 6: {
			enum ax_err err = ax_gicd_v2_end_of_interrupt(g, cpu, fin_u16(&in) % 1100);

			FUZZ_CHECK(err == AX_OK || err == AX_ERR_BAD_STATE ||
				   err == AX_ERR_INVALID_INPUT);
			if (cpu >= num_cpus)
				FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
			break;
		}
		default:
			if ((fin_u8(&in) & 15) == 0)
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
			else /* enable both groups: reach delivery quickly */
				FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, BASE, 4, 3) ==
					   AX_OK);
			break;
		}
		for (uint32_t c = 0; c < num_cpus; c++)
			check_cpu(g, c);
		FUZZ_CHECK(ax_gicd_v2_highest_pending(g, num_cpus, NULL, NULL, NULL) ==
			   AX_ERR_INVALID_INPUT);
	}
	ax_devices_destroy(set);
	set = NULL;
	test_host_fini(&host);
	return 0;
}
