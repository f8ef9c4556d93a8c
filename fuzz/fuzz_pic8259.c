/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the 8259A pair through the device set: port accesses (every
 * port of the three ranges, any width, ICW sequences, OCW2/OCW3 commands,
 * polls, ELCR), device lines (edge pulses and levels), acknowledge cycles
 * and resets. Oracle: a reference model written from the 8259A data sheet
 * and include/axdevice/pic8259.h, level by level (it walks the eight
 * priorities instead of masking bits), which predicts:
 *  - every port read (IMR, IRR/ISR, poll words, ELCR);
 *  - INTR after every step, and every acknowledged vector;
 *  - IRR, ISR, IMR, ELCR and the vector base of both chips (host API);
 * and as invariants independent of the reference: ISR bits appear only
 * through an acknowledge or a poll, a non-spurious vector names an IR level
 * that was unmasked, and every vector lies in a chip's base .. base + 7.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/pic8259.h>

#include "fake_irq.h"
#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- reference ---------------------------------------------------------------------------- */
struct rchip {
	bool req[8], serv[8], mask[8], level_cfg[8], elcr_ok[8], input[8];
	unsigned top; /* the level with the highest priority */
	unsigned base;
	int expect; /* next data write: 2 = ICW2, 3 = ICW3, 4 = ICW4, 0 = OCW1 */
	bool want_icw4, single, all_level, auto_eoi, rotate_auto, nested, smm, show_isr, poll;
};

static struct rchip rc[2];

static bool r_is_level(const struct rchip *c, unsigned l)
{
	return c->all_level || c->level_cfg[l];
}

static uint8_t r_bits(const bool *b)
{
	uint8_t v = 0;

	for (unsigned l = 0; l < 8; l++)
		v |= (uint8_t)(b[l] << l);
	return v;
}

/* The level INT is raised for, walking priorities from the top; -1 for none. */
static int r_pending(const struct rchip *c, bool master)
{
	for (unsigned k = 0; k < 8; k++) {
		unsigned l = (c->top + k) & 7;
		bool serv =
			c->serv[l] && !(c->smm && c->mask[l]) && !(master && c->nested && l == 2);

		if (serv)
			return -1; /* a level in service holds this one and all below back */
		if (c->req[l] && !c->mask[l])
			return (int)l;
	}
	return -1;
}

static void r_cascade(void)
{
	if (r_pending(&rc[1], false) >= 0)
		rc[0].req[2] = true;
}

static bool r_intr(void)
{
	r_cascade();
	return r_pending(&rc[0], true) >= 0;
}

static void r_line(unsigned chip, unsigned l, bool v)
{
	struct rchip *c = &rc[chip];

	if (v && (!c->input[l] || r_is_level(c, l)))
		c->req[l] = true;
	if (!v && r_is_level(c, l))
		c->req[l] = false;
	c->input[l] = v;
}

static void r_take(struct rchip *c, unsigned l)
{
	if (!r_is_level(c, l))
		c->req[l] = false;
	if (!c->auto_eoi)
		c->serv[l] = true;
	else if (c->rotate_auto)
		c->top = (l + 1) & 7;
}

static void r_icw1(struct rchip *c, uint8_t v)
{
	c->all_level = v & 8;
	c->single = v & 2;
	c->want_icw4 = v & 1;
	c->expect = 2;
	for (unsigned l = 0; l < 8; l++) {
		c->mask[l] = false;
		c->serv[l] = false;
		c->req[l] = c->input[l] && r_is_level(c, l);
	}
	c->top = 0;
	c->smm = c->show_isr = c->poll = c->auto_eoi = c->rotate_auto = c->nested = false;
}

static void r_reset(void)
{
	for (unsigned i = 0; i < 2; i++) {
		memset(rc[i].level_cfg, 0, sizeof(rc[i].level_cfg));
		r_icw1(&rc[i], 0);
		rc[i].expect = 0;
		rc[i].base = 0;
	}
}

static void r_ocw2(struct rchip *c, uint8_t v)
{
	unsigned cmd = v >> 5, l = v & 7;

	if (cmd == 0 || cmd == 4) {
		c->rotate_auto = cmd == 4;
	} else if (cmd == 1 || cmd == 5) {
		for (unsigned k = 0; k < 8; k++) {
			unsigned x = (c->top + k) & 7;

			if (c->serv[x]) {
				c->serv[x] = false;
				if (cmd == 5)
					c->top = (x + 1) & 7;
				break;
			}
		}
	} else if (cmd == 3 || cmd == 7) {
		c->serv[l] = false;
		if (cmd == 7)
			c->top = (l + 1) & 7;
	} else if (cmd == 6) {
		c->top = (l + 1) & 7;
	}
}

static void r_write(unsigned chip, bool data, uint8_t v)
{
	struct rchip *c = &rc[chip];

	if (!data) {
		if (v & 0x10) {
			r_icw1(c, v);
		} else if (v & 0x08) {
			if (v & 4)
				c->poll = true;
			if (v & 2)
				c->show_isr = v & 1;
			if (v & 0x40)
				c->smm = v & 0x20;
		} else {
			r_ocw2(c, v);
		}
		return;
	}
	switch (c->expect) {
	case 2:
		c->base = v & 0xf8;
		c->expect = c->single ? (c->want_icw4 ? 4 : 0) : 3;
		break;
	case 3:
		c->expect = c->want_icw4 ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = v & 2;
		c->nested = v & 0x10;
		c->expect = 0;
		break;
	default:
		for (unsigned l = 0; l < 8; l++)
			c->mask[l] = (v >> l) & 1;
	}
}

static void r_write_elcr(unsigned chip, uint8_t v)
{
	struct rchip *c = &rc[chip];

	for (unsigned l = 0; l < 8; l++) {
		c->level_cfg[l] = c->elcr_ok[l] && ((v >> l) & 1);
		if (r_is_level(c, l))
			c->req[l] = c->input[l];
	}
}

static uint8_t r_ack(bool *spurious)
{
	uint8_t vec;
	int l;

	r_cascade();
	l = r_pending(&rc[0], true);
	*spurious = false;
	if (l < 0) {
		*spurious = true;
		return (uint8_t)(rc[0].base + 7);
	}
	r_take(&rc[0], (unsigned)l);
	if (l != 2) {
		vec = (uint8_t)(rc[0].base + (unsigned)l);
	} else {
		int s = r_pending(&rc[1], false);

		rc[0].req[2] = false;
		if (s < 0) {
			*spurious = true;
			vec = (uint8_t)(rc[1].base + 7);
		} else {
			r_take(&rc[1], (unsigned)s);
			vec = (uint8_t)(rc[1].base + (unsigned)s);
		}
	}
	r_cascade();
	return vec;
}

static uint8_t r_read(unsigned chip, bool data)
{
	struct rchip *c = &rc[chip];

	if (data)
		return r_bits(c->mask);
	if (c->poll) {
		int l;

		c->poll = false;
		r_cascade();
		l = r_pending(c, chip == 0);
		if (l < 0)
			return 0;
		r_take(c, (unsigned)l);
		if (chip == 0 && l == 2)
			c->req[2] = false;
		r_cascade();
		return (uint8_t)(0x80 | l);
	}
	r_cascade();
	return c->show_isr ? r_bits(c->serv) : r_bits(c->req);
}

/* --- the model under test ------------------------------------------------------------------- */
static struct ax_devices *set;
static struct ax_pic8259 *pic;
static struct ax_irq_fabric *fabric;
static struct ax_irq_lines *lines[16];
static bool dev_level[16];

static const uint16_t ports[6] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };

static void check_state(void)
{
	FUZZ_CHECK(ax_pic8259_intr(pic) == r_intr());
	for (unsigned i = 0; i < 2; i++) {
		struct ax_pic8259_chip_state s;

		FUZZ_CHECK(ax_pic8259_chip_state(pic, i, &s) == AX_OK);
		FUZZ_CHECK(s.irr == r_bits(rc[i].req));
		FUZZ_CHECK(s.isr == r_bits(rc[i].serv));
		FUZZ_CHECK(s.imr == r_bits(rc[i].mask));
		FUZZ_CHECK(s.elcr == r_bits(rc[i].level_cfg));
		FUZZ_CHECK(s.vector_base == rc[i].base);
		FUZZ_CHECK(s.auto_eoi == rc[i].auto_eoi && s.special_mask == rc[i].smm);
		FUZZ_CHECK(s.initialising == (rc[i].expect != 0));
	}
}

static uint8_t isr_bits(unsigned chip)
{
	struct ax_pic8259_chip_state s;

	FUZZ_CHECK(ax_pic8259_chip_state(pic, chip, &s) == AX_OK);
	return s.isr;
}

/* A command byte biased towards the interesting ones. */
static uint8_t gen_command(struct fin *in)
{
	static const uint8_t cmds[16] = { 0x11, 0x13, 0x19, 0x12, 0x20, 0x60, 0xa0, 0xe0,
					  0xc0, 0x80, 0x00, 0x0a, 0x0b, 0x0c, 0x68, 0x48 };
	uint8_t sel = fin_u8(in);

	if (sel & 0x80)
		return fin_u8(in);
	return (uint8_t)(cmds[sel & 15] | ((sel >> 4) & 7 & ((cmds[sel & 15] & 0x18) ? 0 : 7)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ax_device_kind kinds[1];
	struct fin in = { data, size };
	struct test_host host;
	struct ax_diag diag = { 0 };
	struct ax_emu_config emu = { "pic", 0x20, 2, 0, AX_EMU_PIC8259, NULL, 0 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct fake_lapic lapic;
	uint32_t id;
	unsigned steps = 0;

	memset(rc, 0, sizeof(rc));
	for (unsigned l = 0; l < 8; l++) {
		rc[0].elcr_ok[l] = (0xf8 >> l) & 1;
		rc[1].elcr_ok[l] = (0xde >> l) & 1;
	}
	r_reset();
	memset(dev_level, 0, sizeof(dev_level));
	kinds[0] = fake_line_kind;
	params.kinds = kinds;
	params.nr_kinds = 1;
	test_host_init(&host, false);
	FUZZ_CHECK(ax_devices_create(&params, NULL, &set, &diag) == AX_OK);
	fabric = fake_set_fabric(set);
	fake_lapic_init(&lapic, fabric, "lapic");
	FUZZ_CHECK(ax_devices_add_from_config(set, &emu, &id, &diag) == AX_OK);
	FUZZ_CHECK(ax_pic8259_from_device(set, id, &pic) == AX_OK);
	for (uint32_t l = 0; l < 16; l++) {
		static const uint64_t lvl[1] = { AX_IRQ_LEVEL };
		char name[8] = { 'l', (char)('a' + l), 0 };
		struct ax_emu_config c = { name, 0x100000 + l * 0x1000u, 0x100,
					   l,	 FAKE_LINE_KIND,	 lvl,
					   1 };

		FUZZ_CHECK(ax_devices_add_from_config(set, &c, &id, &diag) == AX_OK);
		lines[l] = fake_line_lines(set, id);
	}

	while (fin_left(&in) && steps++ < 160) {
		uint8_t op = fin_u8(&in);
		uint8_t isr0 = isr_bits(0), isr1 = isr_bits(1);
		bool acked = false;

		switch (op & 7) {
		case 0:
		case 1: { /* a command or data byte, as drivers write them */
			unsigned chip = (op >> 3) & 1;
			bool is_data = (op >> 4) & 1;
			uint8_t v = is_data ? fin_u8(&in) : gen_command(&in);

			FUZZ_CHECK(ax_devices_handle_port_write(set, 0, ports[2 * chip + is_data],
								1, v) == AX_OK);
			r_write(chip, is_data, v);
			break;
		}
		case 2: { /* a read of any of the six ports */
			unsigned p = fin_u8(&in) % 6;
			uint64_t got = 0;
			uint8_t want;

			if (p < 4 && !(p & 1) && rc[p / 2].poll)
				acked = true; /* a poll read acknowledges */
			if (p >= 4)
				want = r_bits(rc[p - 4].level_cfg);
			else
				want = r_read(p / 2, p & 1);
			FUZZ_CHECK(ax_devices_handle_port_read(set, 0, ports[p], 1, &got) == AX_OK);
			FUZZ_CHECK(got == want);
			break;
		}
		case 3: { /* ELCR, or any width anywhere */
			if (op & 8) {
				unsigned width = fin_width(&in);
				uint16_t port = ports[fin_u8(&in) % 6];
				uint64_t v = 0;
				enum ax_err err =
					ax_devices_handle_port_read(set, 0, port, width, &v);

				if (width != 1)
					FUZZ_CHECK(err != AX_OK);
				else
					FUZZ_CHECK(err == AX_OK);
				if (width == 1 && port < 0x4d0 && !(port & 1) &&
				    rc[port == 0xa0].poll) {
					/* a poll read: keep the reference in step */
					FUZZ_CHECK(v == r_read(port == 0xa0, false));
					acked = true;
				} else if (width == 1 && port < 0x4d0) {
					FUZZ_CHECK(v == r_read(port >= 0xa0, port & 1));
				}
				break;
			}
			unsigned chip = (op >> 4) & 1;
			uint8_t v = fin_u8(&in);

			FUZZ_CHECK(ax_devices_handle_port_write(set, 0, ports[4 + chip], 1, v) ==
				   AX_OK);
			r_write_elcr(chip, v);
			break;
		}
		case 4:
		case 5: { /* a device line */
			uint32_t l = fin_u8(&in) & 15;

			if (op & 8) {
				ax_irq_line_pulse(lines[l], l);
				if (!dev_level[l] && l != 2) {
					r_line(l / 8, l % 8, true);
					r_cascade(); /* the master latches even a brief slave INT */
					r_line(l / 8, l % 8, false);
				}
			} else {
				bool v = fin_bool(&in);

				ax_irq_line_set_level(lines[l], l, v);
				if (l != 2 && v != dev_level[l])
					r_line(l / 8, l % 8, v);
				dev_level[l] = v;
			}
			break;
		}
		case 6: { /* the local APIC's acknowledge cycle */
			bool intr = r_intr(), spurious;
			uint8_t mask0 = r_bits(rc[0].mask), mask1 = r_bits(rc[1].mask);
			uint8_t want = r_ack(&spurious);
			uint8_t got =
				(op & 8) ? ax_pic8259_ack(pic) : ax_irq_fabric_pic_ack(fabric);

			FUZZ_CHECK(got == want);
			FUZZ_CHECK((got & 0xf8) == rc[0].base || (got & 0xf8) == rc[1].base);
			if (!spurious && (got & 0xf8) == rc[0].base && rc[0].base != rc[1].base)
				FUZZ_CHECK(!((mask0 >> (got & 7)) & 1));
			if (!spurious && (got & 0xf8) == rc[1].base && rc[0].base != rc[1].base)
				FUZZ_CHECK(!((mask1 >> (got & 7)) & 1));
			if (!intr)
				FUZZ_CHECK(spurious);
			acked = true;
			break;
		}
		default:
			if ((op & 0xf0) == 0xf0) {
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
				r_reset();
				acked = true; /* reset clears ISR: no new bits either way */
			}
			break;
		}
		if (!acked) {
			FUZZ_CHECK((isr_bits(0) & ~isr0) == 0);
			FUZZ_CHECK((isr_bits(1) & ~isr1) == 0);
		}
		check_state();
	}
	fake_lapic_fini(&lapic);
	ax_devices_destroy(set);
	test_host_fini(&host);
	return 0;
}
