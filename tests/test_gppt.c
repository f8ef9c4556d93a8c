/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GPPT (partial passthrough interrupt controller): every filtered register
 * kind for assigned and unassigned INTIDs, byte/word/doubleword widths,
 * set/clear semantics, IROUTER halves, the counters, reset, bad cfg_lists,
 * two vCPUs at once, and a set built from a sample config file. The host's
 * GIC is a fake: an array of GICD registers (offsets from IHI 0069, spelled
 * out here rather than taken from the model) that also logs every write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/gppt.h>

#include "config/vm_config.h"
#include "host_posix.h"

#define BASE 0x08000000ull

enum {
	CTLR = 0x0000,
	TYPER = 0x0004,
	IIDR = 0x0008,
	STATUSR = 0x0010,
	SETSPI_NSR = 0x0040,
	IGROUPR = 0x0080,
	ISENABLER = 0x0100,
	ICENABLER = 0x0180,
	ISPENDR = 0x0200,
	ICPENDR = 0x0280,
	ISACTIVER = 0x0300,
	ICACTIVER = 0x0380,
	IPRIORITYR = 0x0400,
	ITARGETSR = 0x0800,
	ICFGR = 0x0c00,
	IGRPMODR = 0x0d00,
	NSACR = 0x0e00,
	SGIR = 0x0f00,
	IGROUPRE = 0x1000,
	IROUTER = 0x6000,
	PIDR2 = 0xffe8,
};

/* The host's GIC: GICD registers as 32-bit words, set/clear pairs kept at the set offset. */
struct fake_gic {
	pthread_mutex_t lock;
	uint32_t regs[0x10000 / 4];
	uint32_t assigned[32]; /* what the test configured: a write elsewhere is a bug */
	unsigned writes[1024];
	unsigned reads;
	unsigned total_writes;
};

static uint32_t *word(struct fake_gic *gic, uint32_t off)
{
	return &gic->regs[off / 4];
}

static bool fake_assigned(const struct fake_gic *gic, uint32_t intid)
{
	return intid < 1024 && (gic->assigned[intid / 32] >> (intid % 32)) & 1u;
}

static uint64_t fake_read(void *ctx, uint32_t reg, uint32_t intid)
{
	struct fake_gic *gic = ctx;
	uint64_t v = 0;

	pthread_mutex_lock(&gic->lock);
	if (!fake_assigned(gic, intid))
		fail_msg("read of unassigned INTID %u (reg 0x%x)", intid, reg);
	gic->reads++;
	switch (reg) {
	case IGROUPR:
	case ISENABLER:
	case ISPENDR:
	case ISACTIVER:
	case IGRPMODR:
		v = (*word(gic, reg + intid / 32 * 4) >> (intid % 32)) & 1u;
		break;
	case IPRIORITYR:
		v = ((uint8_t *)gic->regs)[IPRIORITYR + intid];
		break;
	case ICFGR:
		v = (*word(gic, ICFGR + intid / 16 * 4) >> (2 * (intid % 16))) & 3u;
		break;
	case IROUTER:
		v = *word(gic, IROUTER + 8 * intid) | (uint64_t)*word(gic, IROUTER + 8 * intid + 4)
							      << 32;
		break;
	default:
		fail_msg("read of register 0x%x", reg);
	}
	pthread_mutex_unlock(&gic->lock);
	return v;
}

static void fake_write(void *ctx, uint32_t reg, uint32_t intid, uint64_t value)
{
	struct fake_gic *gic = ctx;
	uint32_t *w, b = 1u << (intid % 32);

	pthread_mutex_lock(&gic->lock);
	if (!fake_assigned(gic, intid))
		fail_msg("write to unassigned INTID %u (reg 0x%x)", intid, reg);
	gic->writes[intid]++;
	gic->total_writes++;
	switch (reg) {
	case IGROUPR:
	case IGRPMODR:
		assert_true(value <= 1);
		w = word(gic, reg + intid / 32 * 4);
		*w = value ? *w | b : *w & ~b;
		break;
	case ISENABLER:
	case ISPENDR:
	case ISACTIVER:
		assert_int_equal(value, 1);
		*word(gic, reg + intid / 32 * 4) |= b;
		break;
	case ICENABLER:
	case ICPENDR:
	case ICACTIVER:
		assert_int_equal(value, 1);
		*word(gic, reg - 0x80 + intid / 32 * 4) &= ~b;
		break;
	case IPRIORITYR:
		assert_true(value <= 0xff);
		((uint8_t *)gic->regs)[IPRIORITYR + intid] = (uint8_t)value;
		break;
	case ICFGR:
		assert_true(value <= 3);
		w = word(gic, ICFGR + intid / 16 * 4);
		*w = (*w & ~(3u << (2 * (intid % 16)))) | (uint32_t)value << (2 * (intid % 16));
		break;
	case IROUTER:
		*word(gic, IROUTER + 8 * intid) = (uint32_t)value;
		*word(gic, IROUTER + 8 * intid + 4) = (uint32_t)(value >> 32);
		break;
	default:
		fail_msg("write to register 0x%x", reg);
	}
	pthread_mutex_unlock(&gic->lock);
}

static const struct ax_gppt_host_gic fake_ops = { fake_read, fake_write };

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_gppt *gppt;
	struct fake_gic gic;
};

static enum ax_err make(struct fixture *f, const uint64_t *cfg, size_t cfg_len, uint64_t length,
			struct ax_diag *diag)
{
	struct ax_emu_config emu = { .name = "gppt",
				     .base_gpa = BASE,
				     .length = length,
				     .emu_type = AX_EMU_GPPT,
				     .cfg_list = cfg,
				     .cfg_len = cfg_len };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &f->host.hooks, .max_vcpus = 4 };
	enum ax_err err;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->gic.lock, NULL);
	test_host_init(&f->host, false);
	err = ax_devices_create(&params, &vm, &f->set, diag);
	if (err != AX_OK) {
		test_host_fini(&f->host);
		pthread_mutex_destroy(&f->gic.lock);
		return err;
	}
	assert_int_equal(ax_gppt_from_device(f->set, 1, &f->gppt), AX_OK);
	for (size_t p = 0; p + 1 < cfg_len; p += 2)
		for (uint64_t i = cfg[p]; i < cfg[p] + cfg[p + 1]; i++)
			f->gic.assigned[i / 32] |= 1u << (i % 32);
	return AX_OK;
}

/* SPI 33 and SPIs 48..51, connected to the fake GIC. */
static void setup(struct fixture *f)
{
	static const uint64_t cfg[4] = { 33, 1, 48, 4 };
	struct ax_diag diag = { 0 };

	if (make(f, cfg, 4, AX_GPPT_SIZE, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	ax_gppt_set_host_gic(f->gppt, &fake_ops, &f->gic);
}

static void teardown(struct fixture *f)
{
	ax_devices_destroy(f->set);
	test_host_fini(&f->host);
	pthread_mutex_destroy(&f->gic.lock);
}

static uint64_t rd(struct fixture *f, uint32_t off, unsigned width)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, BASE + off, width, &val), AX_OK);
	return val;
}

static uint32_t rd32(struct fixture *f, uint32_t off)
{
	return (uint32_t)rd(f, off, 4);
}

static void wr(struct fixture *f, uint32_t off, unsigned width, uint64_t val)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, BASE + off, width, val), AX_OK);
}

static void wr32(struct fixture *f, uint32_t off, uint32_t val)
{
	wr(f, off, 4, val);
}

static struct ax_gppt_stats stats(struct fixture *f)
{
	struct ax_gppt_stats s;

	ax_gppt_get_stats(f->gppt, &s);
	return s;
}

/* Bits of SPIs 32..63 the guest owns: 33 and 48..51. */
#define OWN_BANK1 ((1u << 1) | (0xfu << 16))

static void test_globals(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	assert_int_equal(rd32(&f, CTLR), 0x50); /* DS, ARE */
	wr32(&f, CTLR, 0xffffffff);
	assert_int_equal(rd32(&f, CTLR), 0x53);
	wr32(&f, CTLR, 0);
	assert_int_equal(rd32(&f, CTLR), 0x50);
	/* ITLinesNumber 1 (64 lines reach SPI 51), IDbits 9 */
	assert_int_equal(rd32(&f, TYPER), 1 | (9u << 19));
	wr32(&f, TYPER, 0xffffffff);
	assert_int_equal(rd32(&f, TYPER), 1 | (9u << 19));
	assert_int_equal(rd32(&f, IIDR), AX_GPPT_IIDR);
	assert_int_equal(rd32(&f, IIDR) & 0xfff, 0x43b);
	assert_int_equal((rd32(&f, PIDR2) >> 4) & 0xf, 3); /* ArchRev: GICv3 */
	/* reserved here: RAZ/WI */
	static const uint32_t reserved[] = { STATUSR, SETSPI_NSR, ITARGETSR + 32, NSACR,
					     SGIR,    IGROUPRE,	  0x8000,	  0xffd0 };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		wr32(&f, reserved[i], 0xffffffff);
		assert_int_equal(rd32(&f, reserved[i]), 0);
	}
	/* nothing virtual ever reaches the host GIC */
	assert_int_equal(f.gic.total_writes, 0);
	assert_int_equal(f.gic.reads, 0);
	assert_int_equal(stats(&f).blocked_fields, 0);
	teardown(&f);
}

static void test_typer_lines(void **state)
{
	static const uint64_t cfg[2] = { 1000, 20 };
	struct fixture f;

	(void)state;
	assert_int_equal(make(&f, cfg, 2, AX_GPPT_SIZE, NULL), AX_OK);
	assert_int_equal(rd32(&f, TYPER) & 0x1f, 31); /* 1019 needs all 1024 lines */
	teardown(&f);
}

/* IGROUPR and IGRPMODR: plain bits, assigned ones forwarded both ways. */
static void check_plain_bitmap(struct fixture *f, uint32_t reg)
{
	struct ax_gppt_stats before = stats(f), after;

	f->gic.regs[(reg + 4) / 4] = 0x00000100; /* the host's own SPI 40 */
	wr32(f, reg + 4, 0xffffffff);
	assert_int_equal(f->gic.regs[(reg + 4) / 4], OWN_BANK1 | 0x100);
	assert_int_equal(rd32(f, reg + 4), OWN_BANK1); /* SPI 40 hidden */
	after = stats(f);
	assert_int_equal(after.forwarded_writes - before.forwarded_writes, 5);
	assert_int_equal(after.blocked_fields - before.blocked_fields, 27);
	assert_int_equal(after.blocked_writes - before.blocked_writes, 1);
	/* 0 is a value here: it clears the assigned bits, leaves the host's own */
	wr32(f, reg + 4, 0);
	assert_int_equal(f->gic.regs[(reg + 4) / 4], 0x100);
	assert_int_equal(rd32(f, reg + 4), 0);
	/* SGIs/PPIs and banks with nothing assigned: RAZ/WI, counted */
	before = stats(f);
	wr32(f, reg, 0xffffffff);
	wr32(f, reg + 8, 0x1);
	assert_int_equal(f->gic.regs[reg / 4], 0);
	assert_int_equal(f->gic.regs[(reg + 8) / 4], 0);
	assert_int_equal(rd32(f, reg), 0);
	after = stats(f);
	assert_int_equal(after.blocked_fields - before.blocked_fields, 64);
	assert_int_equal(after.blocked_writes - before.blocked_writes, 2);
	assert_int_equal(after.forwarded_writes, before.forwarded_writes);
}

static void test_group_and_grpmod(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	check_plain_bitmap(&f, IGROUPR);
	check_plain_bitmap(&f, IGRPMODR);
	teardown(&f);
}

/* A set/clear pair, enable/pending/active kept by the fake at the set offset. */
static void check_set_clear(struct fixture *f, uint32_t set, uint32_t clear)
{
	struct ax_gppt_stats before = stats(f), after;
	uint32_t *host = &f->gic.regs[(set + 4) / 4];

	*host = 0x100;	     /* the host's own SPI 40 */
	wr32(f, set + 4, 0); /* 0 bits ask nothing */
	wr32(f, clear + 4, 0);
	after = stats(f);
	assert_int_equal(after.forwarded_writes, before.forwarded_writes);
	assert_int_equal(after.blocked_fields, before.blocked_fields);
	assert_int_equal(*host, 0x100);

	wr32(f, set + 4, (1u << 1) | (1u << 17) | (1u << 8) | (1u << 9));
	assert_int_equal(*host, 0x100 | (1u << 1) | (1u << 17));
	assert_int_equal(rd32(f, set + 4), (1u << 1) | (1u << 17));
	assert_int_equal(rd32(f, clear + 4), (1u << 1) | (1u << 17));
	after = stats(f);
	assert_int_equal(after.forwarded_writes - before.forwarded_writes, 2);
	assert_int_equal(after.blocked_fields - before.blocked_fields, 2); /* 40 and 41 */
	assert_int_equal(after.blocked_writes - before.blocked_writes, 1);

	wr32(f, set + 4, 0xffffffff);
	assert_int_equal(rd32(f, set + 4), OWN_BANK1);
	wr32(f, clear + 4, 1u << 17);
	assert_int_equal(rd32(f, set + 4), OWN_BANK1 & ~(1u << 17));
	wr32(f, clear + 4, 0xffffffff); /* the host's SPI 40 survives */
	assert_int_equal(*host, 0x100);
	assert_int_equal(rd32(f, set + 4), 0);
	assert_int_equal(rd32(f, clear + 4), 0);
	/* SGIs: nothing reaches the host */
	wr32(f, set, 0xffffffff);
	wr32(f, clear, 0xffffffff);
	assert_int_equal(f->gic.regs[set / 4], 0);
	assert_int_equal(rd32(f, set), 0);
	*host = 0;
}

static void test_set_clear_registers(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	check_set_clear(&f, ISENABLER, ICENABLER);
	check_set_clear(&f, ISPENDR, ICPENDR);
	check_set_clear(&f, ISACTIVER, ICACTIVER);
	for (uint32_t i = 0; i < 1024; i++)
		if (!fake_assigned(&f.gic, i))
			assert_int_equal(f.gic.writes[i], 0);
	teardown(&f);
}

static void test_priority_bytes_and_words(void **state)
{
	uint8_t *host_bytes;
	struct fixture f;

	(void)state;
	setup(&f);
	host_bytes = (uint8_t *)f.gic.regs + IPRIORITYR;
	host_bytes[34] = 0x77; /* the host's own */
	wr(&f, IPRIORITYR + 33, 1, 0xa0);
	assert_int_equal(host_bytes[33], 0xa0);
	assert_int_equal(rd(&f, IPRIORITYR + 33, 1), 0xa0);
	wr(&f, IPRIORITYR + 34, 1, 0x10); /* unassigned byte */
	assert_int_equal(host_bytes[34], 0x77);
	assert_int_equal(rd(&f, IPRIORITYR + 34, 1), 0);
	assert_int_equal(stats(&f).blocked_fields, 1);
	/* a word over 32..35: only 33 */
	wr32(&f, IPRIORITYR + 32, 0x44332211);
	assert_int_equal(host_bytes[32], 0);
	assert_int_equal(host_bytes[33], 0x22);
	assert_int_equal(host_bytes[34], 0x77);
	assert_int_equal(rd32(&f, IPRIORITYR + 32), 0x2200);
	assert_int_equal(stats(&f).blocked_fields, 4);
	/* a word over 48..51: all four */
	wr32(&f, IPRIORITYR + 48, 0x80706050);
	assert_int_equal(rd32(&f, IPRIORITYR + 48), 0x80706050);
	assert_int_equal(rd(&f, IPRIORITYR + 50, 1), 0x70);
	assert_int_equal(host_bytes[51], 0x80);
	/* reads show the host's view, whatever bits it implements */
	host_bytes[49] = 0xf8;
	assert_int_equal(rd(&f, IPRIORITYR + 49, 1), 0xf8);
	teardown(&f);
}

static void test_icfgr(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	/* ICFGR2: INTIDs 32..47, 2 bits each; ICFGR3: 48..63 */
	wr32(&f, ICFGR + 8, 0xffffffff);
	assert_int_equal(f.gic.regs[(ICFGR + 8) / 4], 2u << 2); /* 33 edge, RES0 bit dropped */
	assert_int_equal(rd32(&f, ICFGR + 8), 2u << 2);
	wr32(&f, ICFGR + 12, 0x000000a0); /* 50, 51 edge; 48, 49 level */
	assert_int_equal(rd32(&f, ICFGR + 12), 0xa0);
	wr32(&f, ICFGR + 12, 0xffffff00); /* 48..51 level, the rest unassigned */
	assert_int_equal(rd32(&f, ICFGR + 12), 0);
	assert_int_equal(f.gic.regs[(ICFGR + 12) / 4], 0);
	wr32(&f, ICFGR, 0xffffffff); /* SGIs */
	assert_int_equal(rd32(&f, ICFGR), 0);
	assert_int_equal(f.gic.regs[ICFGR / 4], 0);
	/* unassigned fields: 15, 12, 12 and 16 */
	assert_int_equal(stats(&f).blocked_fields, 15 + 12 + 12 + 16);
	teardown(&f);
}

static void test_irouter(void **state)
{
	uint32_t lo = IROUTER + 8 * 33, hi = lo + 4;
	struct fixture f;

	(void)state;
	setup(&f);
	wr(&f, lo, 8, 0xffffffffffffffffull);
	assert_int_equal(rd(&f, lo, 8), 0x000000ff80ffffffull); /* Aff3, IRM, Aff2..0 */
	assert_int_equal(rd(&f, lo, 4), 0x80ffffff);
	assert_int_equal(rd(&f, hi, 4), 0xff);
	wr(&f, lo, 4, 0x00010203); /* low half: Aff3 kept */
	assert_int_equal(rd(&f, lo, 8), 0x000000ff00010203ull);
	wr(&f, hi, 4, 0x12);
	assert_int_equal(rd(&f, lo, 8), 0x0000001200010203ull);
	assert_int_equal(f.gic.regs[lo / 4], 0x00010203);
	assert_int_equal(f.gic.regs[hi / 4], 0x12);
	/* unassigned SPI 40, SGI 5 */
	wr(&f, IROUTER + 8 * 40, 8, 0x1);
	wr(&f, IROUTER + 8 * 40 + 4, 4, 0x1);
	wr(&f, IROUTER + 8 * 5, 8, 0x1);
	assert_int_equal(rd(&f, IROUTER + 8 * 40, 8), 0);
	assert_int_equal(rd(&f, IROUTER + 8 * 40 + 4, 4), 0);
	assert_int_equal(f.gic.regs[(IROUTER + 8 * 40) / 4], 0);
	assert_int_equal(stats(&f).blocked_fields, 3);
	assert_int_equal(stats(&f).blocked_writes, 3);
	/* 51, the last assigned */
	wr(&f, IROUTER + 8 * 51, 8, 0x80000000ull); /* IRM: any PE */
	assert_int_equal(rd(&f, IROUTER + 8 * 51, 8), 0x80000000ull);
	/* past IROUTER1019: reserved */
	assert_int_equal(rd32(&f, IROUTER + 8 * 1020), 0);
	teardown(&f);
}

static void test_refused_accesses(void **state)
{
	static const struct {
		uint32_t off;
		unsigned width;
	} bad[] = {
		{ CTLR, 1 },
		{ CTLR, 2 },
		{ CTLR, 8 },
		{ TYPER + 1, 4 },
		{ ISENABLER + 4, 1 },
		{ ISENABLER + 4, 2 },
		{ ISENABLER + 4, 8 },
		{ IGROUPR + 4, 1 },
		{ ICFGR + 8, 1 },
		{ IGRPMODR + 4, 8 },
		{ IPRIORITYR + 32, 2 },
		{ IPRIORITYR + 33, 4 },
		{ IPRIORITYR + 32, 8 },
		{ IROUTER + 8 * 33, 1 },
		{ IROUTER + 8 * 33, 2 },
		{ IROUTER + 8 * 33 + 4, 8 },
		{ IROUTER + 8 * 33 + 2, 4 },
		{ STATUSR, 8 },
		{ PIDR2, 1 },
	};
	struct fixture f;
	uint64_t v;

	(void)state;
	setup(&f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t addr = BASE + bad[i].off;

		assert_int_equal(ax_devices_handle_mmio_write(f.set, 0, addr, bad[i].width, ~0ull),
				 AX_ERR_INVALID_INPUT);
		assert_int_equal(ax_devices_handle_mmio_read(f.set, 0, addr, bad[i].width, &v),
				 AX_ERR_INVALID_INPUT);
	}
	assert_int_equal(stats(&f).refused, 2 * (sizeof(bad) / sizeof(bad[0])));
	assert_int_equal(f.gic.total_writes, 0);
	assert_int_equal(f.gic.reads, 0);
	assert_int_equal(rd32(&f, CTLR), 0x50);
	teardown(&f);
}

static void test_no_host_gic(void **state)
{
	static const uint64_t cfg[2] = { 33, 1 };
	struct fixture f;

	(void)state;
	assert_int_equal(make(&f, cfg, 2, AX_GPPT_SIZE, NULL), AX_OK);
	wr32(&f, ISENABLER + 4, 0xffffffff);
	wr(&f, IPRIORITYR + 33, 1, 0x80);
	assert_int_equal(rd32(&f, ISENABLER + 4), 0);
	assert_int_equal(rd(&f, IPRIORITYR + 33, 1), 0);
	assert_int_equal(stats(&f).unforwarded, 2);
	assert_int_equal(stats(&f).blocked_fields, 31);
	assert_int_equal(stats(&f).forwarded_writes, 0);
	/* connected later, then disconnected */
	ax_gppt_set_host_gic(f.gppt, &fake_ops, &f.gic);
	wr32(&f, ISENABLER + 4, 0x2);
	assert_int_equal(rd32(&f, ISENABLER + 4), 0x2);
	ax_gppt_set_host_gic(f.gppt, NULL, NULL);
	assert_int_equal(rd32(&f, ISENABLER + 4), 0);
	assert_int_equal(stats(&f).forwarded_writes, 1);
	teardown(&f);
}

static void test_reset(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f);
	wr32(&f, CTLR, 3);
	wr32(&f, ISENABLER + 4, OWN_BANK1);
	wr32(&f, ISPENDR + 4, 1u << 17);
	wr32(&f, ISACTIVER + 4, 1u << 18);
	wr(&f, IPRIORITYR + 33, 1, 0x40);
	f.gic.regs[(ISENABLER + 4) / 4] |= 0x100; /* the host's own SPI 40 */
	assert_int_equal(ax_devices_reset(f.set), AX_OK);
	assert_int_equal(rd32(&f, CTLR), 0x50);
	assert_int_equal(rd32(&f, ISENABLER + 4), 0);
	assert_int_equal(rd32(&f, ISPENDR + 4), 0);
	assert_int_equal(rd32(&f, ISACTIVER + 4), 0);
	assert_int_equal(f.gic.regs[(ISENABLER + 4) / 4], 0x100);
	assert_int_equal(rd(&f, IPRIORITYR + 33, 1), 0x40); /* host configuration stays */
	teardown(&f);
}

static void test_bad_configs(void **state)
{
	static const struct {
		uint64_t cfg[18];
		size_t len;
		uint64_t length;
		const char *msg;
	} cases[] = {
		{ { 0 }, 0, 0x10000, "cfg_list is empty, expected [first, count] pairs" },
		{ { 33 },
		  1,
		  0x10000,
		  "cfg_list has 1 entries, expected 1..8 [first, count] pairs" },
		{ { 33, 1, 40 }, 3, 0x10000, "cfg_list has 3 entries" },
		{ { 31, 1 }, 2, 0x10000, "pair 0: first INTID 31 is not an SPI (32..1019)" },
		{ { 0, 1 }, 2, 0x10000, "pair 0: first INTID 0 is not an SPI" },
		{ { 33, 1, 1020, 1 }, 4, 0x10000, "pair 1: first INTID 1020 is not an SPI" },
		{ { 33, 0 }, 2, 0x10000, "pair 0: count is 0" },
		{ { 1000, 21 }, 2, 0x10000, "pair 0: INTIDs 1000 + 21 run past SPI 1019" },
		{ { 40, 0xffffffffffffffffull }, 2, 0x10000, "run past SPI 1019" },
		{ { 48, 4, 32, 17 },
		  4,
		  0x10000,
		  "pair 1: INTID 48 is already assigned by an earlier pair" },
		{ { 33, 1, 33, 1 }, 4, 0x10000, "pair 1: INTID 33 is already assigned" },
		{ { 33, 1 }, 2, 0x1000, "range length 0x1000 is below the 0x10000-byte" },
	};
	struct fixture f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ax_diag diag = { 0 };

		assert_int_equal(make(&f, cases[i].cfg, cases[i].len, cases[i].length, &diag),
				 AX_ERR_INVALID_INPUT);
		if (!strstr(diag.msg, "device \"gppt\"") || !strstr(diag.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, diag.msg, cases[i].msg);
	}
	/* AX_CFG_LIST_MAX bounds the list before the model sees it */
	{
		uint64_t cfg[18];
		struct ax_diag diag = { 0 };

		for (int i = 0; i < 9; i++) {
			cfg[2 * i] = 100 + 2 * (uint64_t)i;
			cfg[2 * i + 1] = 1;
		}
		assert_int_equal(make(&f, cfg, 18, 0x10000, &diag), AX_ERR_INVALID_INPUT);
		assert_non_null(strstr(diag.msg, "gppt"));
		/* eight pairs, the most there is room for */
		assert_int_equal(make(&f, cfg, 16, 0x10000, &diag), AX_OK);
		for (int i = 0; i < 8; i++)
			assert_true(ax_gppt_assigned(f.gppt, 100 + 2 * (uint32_t)i));
		assert_false(ax_gppt_assigned(f.gppt, 101));
		teardown(&f);
	}
}

static void test_from_device(void **state)
{
	struct ax_emu_config emu[2] = {
		{ "gppt", BASE, AX_GPPT_SIZE, 0, AX_EMU_GPPT, (const uint64_t[]){ 33, 1 }, 2 },
		{ "gicd", BASE + 0x20000, 0x1000, 0, AX_EMU_GICD_V2, NULL, 0 },
	};
	struct ax_vm_device_config vm = { emu, 2 };
	struct test_host host;
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct ax_devices *set;
	struct ax_gppt *g = NULL;
	struct ax_device_info info;

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&params, &vm, &set, NULL), AX_OK);
	assert_int_equal(ax_gppt_from_device(set, 1, &g), AX_OK);
	assert_int_equal(ax_gppt_from_device(set, 2, &g), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_gppt_from_device(set, 99, &g), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_find_by_id(set, 1, &info), AX_OK);
	assert_int_equal(info.type, AX_EMU_GPPT);
	assert_true(ax_emu_type_removable(AX_EMU_GPPT));
	ax_devices_destroy(set);
	test_host_fini(&host);
}

/* Two vCPUs program different assigned SPIs at once; the host GIC ends with both. */
struct worker {
	struct fixture *f;
	uint32_t vcpu;
	uint32_t intid;
};

#define ROUNDS 2000

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t addr = BASE;
	uint32_t bank = w->intid / 32 * 4, b = 1u << (w->intid % 32);

	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t v = 0;

		assert_int_equal(ax_devices_handle_mmio_write(w->f->set, w->vcpu,
							      addr + ISENABLER + bank, 4, b),
				 AX_OK);
		assert_int_equal(ax_devices_handle_mmio_write(w->f->set, w->vcpu,
							      addr + IPRIORITYR + w->intid, 1,
							      (r & 0x7f) << 1),
				 AX_OK);
		assert_int_equal(ax_devices_handle_mmio_read(w->f->set, w->vcpu,
							     addr + ISENABLER + bank, 4, &v),
				 AX_OK);
		assert_true(v & b);
		if (r + 1 < ROUNDS)
			assert_int_equal(ax_devices_handle_mmio_write(
						 w->f->set, w->vcpu, addr + ICENABLER + bank, 4, b),
					 AX_OK);
		assert_int_equal(ax_devices_handle_mmio_write(w->f->set, w->vcpu,
							      addr + IROUTER + 8 * w->intid, 8,
							      w->vcpu),
				 AX_OK);
	}
	return NULL;
}

static void test_two_vcpus(void **state)
{
	struct fixture f;
	pthread_t t[2];
	struct worker w[2] = { { &f, 0, 48 }, { &f, 1, 49 } };
	uint8_t *prio;

	(void)state;
	setup(&f);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	prio = (uint8_t *)f.gic.regs + IPRIORITYR;
	assert_int_equal(f.gic.regs[(ISENABLER + 4) / 4], (1u << 16) | (1u << 17));
	assert_int_equal(prio[48], ((ROUNDS - 1) & 0x7f) << 1);
	assert_int_equal(prio[49], ((ROUNDS - 1) & 0x7f) << 1);
	assert_int_equal(f.gic.regs[(IROUTER + 8 * 48) / 4], 0);
	assert_int_equal(f.gic.regs[(IROUTER + 8 * 49) / 4], 1);
	assert_int_equal(stats(&f).blocked_fields, 0);
	assert_int_equal(stats(&f).forwarded_writes, 2u * (4 * ROUNDS - 1));
	teardown(&f);
}

/* tests/configs/good/gppt.toml through axvm's loader into a device set. */
static void test_sample_config(void **state)
{
	static struct axvm_config cfg;
	char err[AXVM_ERR_MAX] = "";
	const char *paths[] = { "tests/configs/good/gppt.toml", "../tests/configs/good/gppt.toml",
				"../../tests/configs/good/gppt.toml" };
	struct ax_vm_device_config vm;
	struct ax_devices_params params;
	struct test_host host;
	struct ax_devices *set;
	struct ax_gppt *g = NULL;
	struct fake_gic gic;
	struct ax_diag diag = { 0 };
	int loaded = -1;
	uint64_t v = 0;

	(void)state;
	for (size_t i = 0; i < 3 && loaded != 0; i++)
		loaded = axvm_config_load(paths[i], &cfg, err, sizeof(err));
	if (loaded != 0)
		fail_msg("tests/configs/good/gppt.toml: %s", err);
	assert_int_equal(cfg.nr_emu, 1);
	assert_int_equal(cfg.emu[0].emu_type, AX_EMU_GPPT);
	vm.emu_configs = cfg.emu;
	vm.nr_emu_configs = cfg.nr_emu;
	test_host_init(&host, false);
	params = (struct ax_devices_params){ .hooks = &host.hooks, .max_vcpus = cfg.cpu_num };
	if (ax_devices_create(&params, &vm, &set, &diag) != AX_OK)
		fail_msg("%s", diag.msg);
	assert_int_equal(ax_gppt_from_device(set, 1, &g), AX_OK);
	memset(&gic, 0, sizeof(gic));
	pthread_mutex_init(&gic.lock, NULL);
	gic.assigned[1] = OWN_BANK1;
	ax_gppt_set_host_gic(g, &fake_ops, &gic);
	assert_true(ax_gppt_assigned(g, 33) && ax_gppt_assigned(g, 51));
	assert_false(ax_gppt_assigned(g, 52) || ax_gppt_assigned(g, 32));
	assert_int_equal(ax_devices_handle_mmio_write(set, 1, 0x8000000 + ISENABLER + 4, 4, ~0u),
			 AX_OK);
	assert_int_equal(ax_devices_handle_mmio_read(set, 1, 0x8000000 + ISENABLER + 4, 4, &v),
			 AX_OK);
	assert_int_equal(v, OWN_BANK1);
	assert_int_equal(gic.regs[(ISENABLER + 4) / 4], OWN_BANK1);
	ax_devices_destroy(set);
	test_host_fini(&host);
	pthread_mutex_destroy(&gic.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_typer_lines),
		cmocka_unit_test(test_group_and_grpmod),
		cmocka_unit_test(test_set_clear_registers),
		cmocka_unit_test(test_priority_bytes_and_words),
		cmocka_unit_test(test_icfgr),
		cmocka_unit_test(test_irouter),
		cmocka_unit_test(test_refused_accesses),
		cmocka_unit_test(test_no_host_gic),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_from_device),
		cmocka_unit_test(test_two_vcpus),
		cmocka_unit_test(test_sample_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
