/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the Arm generic timer with a GICv2 (CPU interface) in one
 * set, on the fake clock. Random register accesses of both timers of any
 * vCPU, clock advances (on time or late), stale host timer calls, resets.
 * Oracle after every step, for each vCPU and timer:
 *  - CTL.ISTATUS == ENABLE && counter >= CVAL, and CTL has no other bits
 *    than ENABLE | IMASK | ISTATUS;
 *  - TVAL reads (CVAL - counter)[31:0];
 *  - the PPI (30 physical, 27 virtual) is pending at the GIC (level) exactly
 *    when ENABLE && !IMASK && ISTATUS;
 *  - the counter never goes backwards and equals now_ns * freq / 1e9.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "fake_clock.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DBASE 0x08000000ull
#define CBASE 0x08010000ull
#define NCPU  2u
#define FREQ  62500000ull

static struct ax_devices *set;

static uint64_t sr(uint32_t cpu, uint32_t reg)
{
	uint64_t v = 0;

	FUZZ_CHECK(ax_devices_handle_sysreg_read(set, cpu, reg, 8, &v) == AX_OK);
	return v;
}

static void check(struct fake_clock *clk, uint64_t *last)
{
	static const uint32_t ctl[2] = { 0xdf11, 0xdf19 }, ppi[2] = { 30, 27 };

	for (uint32_t cpu = 0; cpu < NCPU; cpu++) {
		uint64_t cnt = sr(cpu, 0xdf01), now = fake_clock_now(clk);
		uint64_t pend = 0;

		FUZZ_CHECK(cnt ==
			   now / 1000000000ull * FREQ + now % 1000000000ull * FREQ / 1000000000ull);
		FUZZ_CHECK(cnt >= *last);
		*last = cnt;
		FUZZ_CHECK(ax_devices_handle_mmio_read(set, cpu, DBASE + 0x200, 4, &pend) == AX_OK);
		for (unsigned w = 0; w < 2; w++) {
			uint64_t c = sr(cpu, ctl[w]), cval = sr(cpu, ctl[w] + 1);
			bool st = (c & 1) && cnt >= cval;

			FUZZ_CHECK((c & ~7ull) == 0);
			FUZZ_CHECK(((c >> 2) & 1) == st);
			FUZZ_CHECK(sr(cpu, ctl[w] - 1) == (uint32_t)(cval - cnt));
			FUZZ_CHECK(((pend >> ppi[w]) & 1) == (st && !(c & 2)));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t regs[8] = { 0xdf10, 0xdf11, 0xdf12, 0xdf18,
					  0xdf19, 0xdf1a, 0xdf00, 0xdf05 };
	struct fin in = { data, size };
	static struct fake_clock clk;
	const uint64_t gcfg[4] = { 64, NCPU, CBASE, 0x2000 };
	struct ax_emu_config emu[2] = {
		{ "gic", DBASE, 0x1000, 0, AX_EMU_GICD_V2, gcfg, 4 },
		{ "timer", 0xdf00, 0x1b, 0, AX_EMU_ARM_TIMER, NULL, 0 },
	};
	struct ax_vm_device_config vm = { emu, 2 };
	struct ax_devices_params p = { .hooks = &clk.host.hooks, .max_vcpus = NCPU };
	uint64_t last = 0;
	unsigned steps = 0;

	fake_clock_init(&clk, fin_u32(&in), 0);
	FUZZ_CHECK(ax_devices_create(&p, &vm, &set, NULL) == AX_OK);
	while (fin_left(&in) && steps++ < 64) {
		uint8_t op = fin_u8(&in);
		uint32_t cpu = (op >> 4) % (NCPU + 1); /* NCPU: absent */

		switch (op & 7) {
		case 0:
		case 1:
		case 2: { /* register write: TVAL-sized or any 64-bit value */
			uint32_t reg = regs[fin_u8(&in) & 7];
			uint64_t v = (op & 8) ? fin_u64(&in) : (uint64_t)(fin_u16(&in) & 0x7ff);
			enum ax_err err = ax_devices_handle_sysreg_write(set, cpu, reg, 8, v);

			FUZZ_CHECK(err == (cpu < NCPU ? AX_OK : AX_ERR_INVALID_INPUT));
			break;
		}
		case 3: { /* CVAL near the counter */
			uint32_t c = cpu % NCPU;

			FUZZ_CHECK(ax_devices_handle_sysreg_write(
					   set, c, (op & 8) ? 0xdf1a : 0xdf12, 8,
					   sr(c, 0xdf01) + fin_u8(&in) - 64) == AX_OK);
			break;
		}
		case 4:
		case 5:
			fake_clock_set_late(&clk, op & 8);
			fake_clock_advance(&clk, (uint64_t)fin_u16(&in) * ((op & 1) ? 16 : 1));
			break;
		case 6:
			fake_clock_fire_stale(&clk);
			break;
		default:
			if (op & 8)
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
			else /* the guest takes the interrupt: IAR and EOIR */
			{
				uint64_t v = 0;
				uint32_t c = cpu % NCPU;

				FUZZ_CHECK(ax_devices_handle_mmio_read(set, c, CBASE + 0xc, 4,
								       &v) == AX_OK);
				FUZZ_CHECK(ax_devices_handle_mmio_write(set, c, CBASE + 0x10, 4,
									v) == AX_OK);
			}
			break;
		}
		check(&clk, &last);
	}
	ax_devices_destroy(set);
	set = NULL;
	fake_clock_fini(&clk);
	return 0;
}
