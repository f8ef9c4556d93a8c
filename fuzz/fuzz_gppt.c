/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the GPPT front end through the device set's dispatch, over a
 * fake host GIC that holds one value per INTID field (seeded with the
 * "host's own" random values) and aborts on any access to an unassigned
 * INTID. The input first gives a cfg_list (raw values, often invalid); the
 * oracle says, by its own rules, whether creation must succeed. Then random
 * accesses (every width, aligned or not, anywhere in the frame), resets
 * and host GIC disconnects. Oracle, after every step:
 *  - no write and no read ever reaches the fake GIC for an unassigned INTID;
 *  - a refused access is exactly one that breaks the IHI 0069 width or
 *    alignment rules, and the refused counter says how many there were;
 *  - every read returns the fake GIC's fields for assigned INTIDs and zero
 *    for every other field (virtual registers: their own rules);
 *  - a write to a plain register round-trips: reading it back gives the
 *    written fields (masked) of assigned INTIDs and zero elsewhere;
 *  - a set/clear write changes exactly the assigned fields written as 1.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gppt.h>

#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x08000000ull

/* IHI 0069 offsets, spelled out here. */
enum {
	R_CTLR = 0x0000,
	R_TYPER = 0x0004,
	R_IIDR = 0x0008,
	R_IGROUPR = 0x0080,
	R_ISENABLER = 0x0100,
	R_ICENABLER = 0x0180,
	R_ISPENDR = 0x0200,
	R_ICPENDR = 0x0280,
	R_ISACTIVER = 0x0300,
	R_ICACTIVER = 0x0380,
	R_IPRIORITYR = 0x0400,
	R_ICFGR = 0x0c00,
	R_IGRPMODR = 0x0d00,
	R_IROUTER = 0x6000,
	R_IROUTER_END = 0x6000 + 8 * 1020,
	R_PIDR2 = 0xffe8,
};

struct fake {
	bool assigned[1024];
	uint8_t group[1024], enable[1024], pend[1024], active[1024], grpmod[1024];
	uint8_t prio[1024], cfg[1024];
	uint64_t router[1024];
};

static struct fake gic;
static struct ax_devices *set;
static uint64_t length;

static uint8_t *bitmap_in(struct fake *f, uint32_t reg)
{
	switch (reg) {
	case R_IGROUPR:
		return f->group;
	case R_ISENABLER:
	case R_ICENABLER:
		return f->enable;
	case R_ISPENDR:
	case R_ICPENDR:
		return f->pend;
	case R_ISACTIVER:
	case R_ICACTIVER:
		return f->active;
	case R_IGRPMODR:
		return f->grpmod;
	default:
		return NULL;
	}
}

static uint8_t *bitmap_of(uint32_t reg)
{
	return bitmap_in(&gic, reg);
}

static bool is_set_reg(uint32_t reg)
{
	return reg == R_ISENABLER || reg == R_ISPENDR || reg == R_ISACTIVER;
}

static bool is_clear_reg(uint32_t reg)
{
	return reg == R_ICENABLER || reg == R_ICPENDR || reg == R_ICACTIVER;
}

static uint64_t fake_read(void *ctx, uint32_t reg, uint32_t intid)
{
	(void)ctx;
	FUZZ_CHECK(intid < 1024 && gic.assigned[intid]);
	if (reg == R_IPRIORITYR)
		return gic.prio[intid];
	if (reg == R_ICFGR)
		return gic.cfg[intid];
	if (reg == R_IROUTER)
		return gic.router[intid];
	/* reads go to the set register of a pair */
	FUZZ_CHECK(reg == R_IGROUPR || reg == R_ISENABLER || reg == R_ISPENDR ||
		   reg == R_ISACTIVER || reg == R_IGRPMODR);
	return bitmap_of(reg)[intid];
}

static void fake_write(void *ctx, uint32_t reg, uint32_t intid, uint64_t value)
{
	(void)ctx;
	FUZZ_CHECK(intid < 1024 && gic.assigned[intid]);
	switch (reg) {
	case R_IPRIORITYR:
		FUZZ_CHECK(value <= 0xff);
		gic.prio[intid] = (uint8_t)value;
		break;
	case R_ICFGR:
		FUZZ_CHECK(value == 0 || value == 2); /* bit 0 is RES0 */
		gic.cfg[intid] = (uint8_t)value;
		break;
	case R_IROUTER:
		FUZZ_CHECK((value & ~0x000000ff80ffffffull) == 0);
		gic.router[intid] = value;
		break;
	case R_IGROUPR:
	case R_IGRPMODR:
		FUZZ_CHECK(value <= 1);
		bitmap_of(reg)[intid] = (uint8_t)value;
		break;
	case R_ISENABLER:
	case R_ISPENDR:
	case R_ISACTIVER:
	case R_ICENABLER:
	case R_ICPENDR:
	case R_ICACTIVER:
		FUZZ_CHECK(value == 1);
		bitmap_of(reg)[intid] = (reg & 0x80) ? 0 : 1;
		break;
	default:
		FUZZ_CHECK(!"write to an unknown register");
	}
}

static const struct ax_gppt_host_gic fake_ops = { fake_read, fake_write };
static bool connected;

/* The oracle's own width rules: IPRIORITYR 8/32, IROUTER 32/64, the rest 32; aligned. */
static bool access_ok(uint32_t off, unsigned width)
{
	unsigned ok = 1u << 4;

	if (off >= R_IPRIORITYR && off < R_IPRIORITYR + 0x400)
		ok |= 1u << 1;
	if (off >= R_IROUTER && off < R_IROUTER_END)
		ok |= 1u << 8;
	return ax_width_valid(width) && !(off & (width - 1)) && (ok & (1u << width));
}

/* Field layout of an offset: bits per field and the register block's base (0 if none). */
static uint32_t field_block(uint32_t off, unsigned *bits)
{
	static const uint32_t bitmaps[] = { R_IGROUPR, R_ISENABLER, R_ICENABLER, R_ISPENDR,
					    R_ICPENDR, R_ISACTIVER, R_ICACTIVER, R_IGRPMODR };

	for (size_t i = 0; i < sizeof(bitmaps) / sizeof(bitmaps[0]); i++)
		if (off >= bitmaps[i] && off < bitmaps[i] + 0x80) {
			*bits = 1;
			return bitmaps[i];
		}
	if (off >= R_IPRIORITYR && off < R_IPRIORITYR + 0x400) {
		*bits = 8;
		return R_IPRIORITYR;
	}
	if (off >= R_ICFGR && off < R_ICFGR + 0x100) {
		*bits = 2;
		return R_ICFGR;
	}
	*bits = 0;
	return 0;
}

static uint64_t field_value(uint32_t block, uint32_t intid)
{
	if (!connected || intid >= 1024 || !gic.assigned[intid])
		return 0;
	if (block == R_IPRIORITYR)
		return gic.prio[intid];
	if (block == R_ICFGR)
		return gic.cfg[intid] & 2;
	return bitmap_of(block)[intid];
}

/* What a valid read at off must return. */
static uint64_t expected_read(uint32_t off, unsigned width, uint32_t max_intid)
{
	unsigned bits;
	uint32_t block = field_block(off, &bits);
	uint64_t v = 0;

	if (off >= length)
		return 0;
	if (block) {
		uint32_t first = (off - block) * 8 / bits;

		for (uint32_t i = 0; i < width * 8 / bits; i++)
			v |= field_value(block, first + i) << (i * bits);
		return v;
	}
	if (off >= R_IROUTER && off < R_IROUTER_END) {
		uint32_t intid = (off - R_IROUTER) / 8;

		if (!connected || !gic.assigned[intid])
			return 0;
		v = gic.router[intid];
		return width == 8 ? v : (uint32_t)(v >> ((off & 4) ? 32 : 0));
	}
	if (off == R_TYPER)
		return (max_intid / 32) | (9u << 19);
	if (off == R_IIDR)
		return AX_GPPT_IIDR;
	if (off == R_PIDR2)
		return 0x3b;
	if (off == R_CTLR)
		return ~0ull; /* checked separately */
	return 0;
}

/* An offset biased towards the register blocks. */
static uint32_t gen_off(struct fin *in)
{
	static const uint16_t blocks[] = { 0x0000, 0x0080, 0x0100, 0x0180, 0x0200, 0x0280,
					   0x0300, 0x0380, 0x0400, 0x0c00, 0x0d00, 0x6000,
					   0x6100, 0x7f00, 0xffe0, 0x0004 };
	uint8_t sel = fin_u8(in);
	uint32_t off;

	if ((sel & 0xf0) == 0xf0)
		return fin_u32(in) % (uint32_t)length;
	off = blocks[sel & 15] + (fin_u16(in) % 0x100);
	if (!(sel & 0x10))
		off &= ~3u;
	return off;
}

/* The oracle's view of a cfg_list: true when valid, filling gic.assigned. */
static bool oracle_parse(const uint64_t *cfg, size_t len, uint32_t *max_intid)
{
	if (len == 0 || len % 2 || len > 16)
		return false;
	for (size_t p = 0; p < len; p += 2) {
		uint64_t first = cfg[p], count = cfg[p + 1];

		if (first < 32 || first > 1019 || count == 0 || count > 1020 - first)
			return false;
		for (uint64_t i = first; i < first + count; i++) {
			if (gic.assigned[i])
				return false;
			gic.assigned[i] = true;
			if (i > *max_intid)
				*max_intid = (uint32_t)i;
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct test_host host;
	struct ax_gppt *g = NULL;
	uint64_t cfg_list[16];
	size_t cfg_len = fin_u8(&in) % 18;
	struct ax_emu_config emu = { "gppt", BASE, 0, 0, AX_EMU_GPPT, cfg_list, 0 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 4 };
	uint32_t max_intid = 0, ctlr = 0x50;
	uint64_t refused = 0;
	struct ax_gppt_stats st;
	bool valid;
	unsigned steps = 0;
	enum ax_err err;

	if (cfg_len > 16)
		cfg_len = 16 - (cfg_len & 1) * 2; /* mostly even, full lists too */
	for (size_t i = 0; i < cfg_len; i++) {
		uint8_t k = fin_u8(&in);

		if (i % 2 == 0) /* first: mostly SPIs, sometimes anything */
			cfg_list[i] = (k & 0xc0) == 0xc0 ? fin_edge64(&in, ~0ull)
							 : 32 + fin_u16(&in) % 1000;
		else /* count */
			cfg_list[i] = (k & 0xc0) == 0xc0 ? fin_edge64(&in, ~0ull) : k % 40;
	}
	length = (fin_u8(&in) & 7) == 7 ? 0x8000 : 0x10000 << (fin_u8(&in) & 1);
	emu.length = length;
	emu.cfg_len = cfg_len;
	memset(&gic, 0, sizeof(gic));
	valid = oracle_parse(cfg_list, cfg_len, &max_intid) && length >= 0x10000;
	for (size_t i = 0; i < 1024; i++) { /* the host's own state, assigned or not */
		uint8_t r = (uint8_t)(i * 37 + 11);

		gic.group[i] = r & 1;
		gic.enable[i] = (r >> 1) & 1;
		gic.pend[i] = (r >> 2) & 1;
		gic.active[i] = (r >> 3) & 1;
		gic.grpmod[i] = (r >> 4) & 1;
		gic.prio[i] = r;
		gic.cfg[i] = r & 2;
		gic.router[i] = (uint64_t)r << 8;
	}

	test_host_init(&host, false);
	err = ax_devices_create(&params, &vm, &set, NULL);
	FUZZ_CHECK((err == AX_OK) == valid);
	if (err != AX_OK) {
		test_host_fini(&host);
		return 0;
	}
	FUZZ_CHECK(ax_gppt_from_device(set, 1, &g) == AX_OK);
	for (uint32_t i = 0; i < 1024; i++)
		FUZZ_CHECK(ax_gppt_assigned(g, i) == gic.assigned[i]);
	ax_gppt_set_host_gic(g, &fake_ops, NULL);
	connected = true;

	while (fin_left(&in) && steps++ < 64) {
		uint8_t op = fin_u8(&in);
		uint32_t vcpu = (op >> 5) & 3;
		uint32_t off = gen_off(&in);
		unsigned width = (op & 8) ? fin_width(&in) : 4;
		bool ok = access_ok(off, width);
		uint64_t v = 0, back = 0;

		if (ax_width_valid(width) &&
		    off + width > length) { /* outside: the set's business */
			FUZZ_CHECK(ax_devices_handle_mmio_read(set, vcpu, BASE + off, width, &v) !=
				   AX_OK);
			continue;
		}

		switch (op & 7) {
		case 0:
		case 1:
		case 2: { /* guest write, checked by reading it back */
			uint64_t val = (op & 0x10) ? fin_u64(&in) : fin_u32(&in);
			unsigned bits;
			uint32_t block = field_block(off, &bits);
			struct fake before = gic;

			if (width < 8)
				val &= (1ull << (8 * width)) - 1;
			err = ax_devices_handle_mmio_write(set, vcpu, BASE + off, width, val);
			if (!ax_width_valid(width))
				break; /* the dispatcher refuses it before the device */
			FUZZ_CHECK((err == AX_OK) == ok);
			if (!ok) {
				refused++;
				FUZZ_CHECK(memcmp(&before, &gic, sizeof(gic)) == 0);
				break;
			}
			if (off == R_CTLR)
				ctlr = 0x50 | ((uint32_t)val & 3);
			if (off >= length)
				break;
			FUZZ_CHECK(ax_devices_handle_mmio_read(set, vcpu, BASE + off, width,
							       &back) == AX_OK);
			if (is_set_reg(block) || is_clear_reg(block)) {
				/* 1 bits set (clear) assigned fields, 0 bits do nothing */
				const uint8_t *now = bitmap_of(block),
					      *was = bitmap_in(&before, block);
				uint32_t first = (off - block) * 8;

				for (uint32_t i = 0; i < 32; i++) {
					bool hit = connected && ((val >> i) & 1) &&
						   gic.assigned[first + i];

					FUZZ_CHECK(now[first + i] ==
						   (hit ? is_set_reg(block) : was[first + i]));
				}
				FUZZ_CHECK(back == expected_read(off, width, max_intid));
			} else if (block) { /* plain: round trip */
				uint64_t want = 0, fmask = (1u << bits) - 1;
				uint32_t first = (off - block) * 8 / bits;

				for (uint32_t i = 0; i < width * 8 / bits; i++) {
					uint64_t f = (val >> (i * bits)) & fmask;

					if (block == R_ICFGR)
						f &= 2;
					if (connected && gic.assigned[first + i])
						want |= f << (i * bits);
				}
				FUZZ_CHECK(back == want);
			} else if (off >= R_IROUTER && off < R_IROUTER_END) {
				uint32_t intid = (off - R_IROUTER) / 8;
				uint64_t want = 0;

				if (connected && gic.assigned[intid]) {
					uint64_t full =
						width == 8 ? val
						: (off & 4)
							? (before.router[intid] & 0xffffffffull) |
								  (val << 32)
							: (before.router[intid] & ~0xffffffffull) |
								  val;

					full &= 0x000000ff80ffffffull;
					want = width == 8
						       ? full
						       : (uint32_t)(full >> ((off & 4) ? 32 : 0));
				}
				FUZZ_CHECK(back == want);
			} else {
				FUZZ_CHECK(memcmp(&before, &gic, sizeof(gic)) == 0);
			}
			break;
		}
		case 3:
		case 4:
		case 5: /* guest read */
			err = ax_devices_handle_mmio_read(set, vcpu, BASE + off, width, &v);
			if (!ax_width_valid(width))
				break;
			FUZZ_CHECK((err == AX_OK) == ok);
			if (!ok) {
				refused++;
				break;
			}
			if (off == R_CTLR)
				FUZZ_CHECK(v == ctlr);
			else
				FUZZ_CHECK(v == expected_read(off, width, max_intid));
			break;
		case 6: /* reset: every assigned SPI disabled, not pending, not active */
			FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
			ctlr = 0x50;
			for (uint32_t i = 0; i < 1024; i++)
				if (gic.assigned[i] && connected)
					FUZZ_CHECK(!gic.enable[i] && !gic.pend[i] &&
						   !gic.active[i]);
			break;
		default: /* the host disconnects or reconnects its GIC */
			connected = !connected;
			ax_gppt_set_host_gic(g, connected ? &fake_ops : NULL, NULL);
			break;
		}
		ax_gppt_get_stats(g, &st);
		FUZZ_CHECK(st.refused == refused);
	}
	ax_devices_destroy(set);
	set = NULL;
	test_host_fini(&host);
	return 0;
}
