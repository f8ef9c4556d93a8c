/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The 8259A pair: the initialisation sequence every OS does, masks,
 * priorities and rotation, the cascade, EOI variants, AEOI, poll mode,
 * IRR/ISR reads, special mask and special fully nested modes, ELCR edge and
 * level lines, spurious IRQ7/IRQ15, INTR reports to the local APIC, config
 * errors and a threaded run. Lines come from fake devices in the set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/pic8259.h>

#include "fake_irq.h"
#include "host_posix.h"

#define M_CMD  0x20
#define M_DATA 0x21
#define S_CMD  0xa0
#define S_DATA 0xa1
#define ELCR0  0x4d0
#define ELCR1  0x4d1

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_irq_fabric *fabric;
	struct fake_lapic lapic;
	struct ax_pic8259 *pic;
	uint32_t pic_id;
	struct ax_irq_lines *lines[16];
	struct ax_diag diag;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ax_emu_config pic = {
		.name = "pic", .base_gpa = 0x20, .length = 2, .emu_type = AX_EMU_PIC8259
	};
	char name[8];

	if (fake_irq_set_create(&f->host, 2, &f->set, &f->lapic, &f->diag) != AX_OK)
		return -1;
	f->fabric = f->lapic.fabric;
	if (ax_devices_add_from_config(f->set, &pic, &f->pic_id, &f->diag) != AX_OK ||
	    ax_pic8259_from_device(f->set, f->pic_id, &f->pic) != AX_OK)
		return -1;
	/* one edge device per line except the cascade, level where ELCR may make it so */
	for (uint32_t line = 0; line < 16; line++) {
		uint64_t trig[] = { AX_IRQ_EDGE };
		struct ax_emu_config c = { .name = name,
					   .base_gpa = 0x100000 + line * 0x1000,
					   .length = 0x100,
					   .irq_id = line,
					   .emu_type = FAKE_LINE_KIND,
					   .cfg_list = trig,
					   .cfg_len = 1 };
		uint32_t id;

		snprintf(name, sizeof(name), "dev%u", line);
		if (ax_devices_add_from_config(f->set, &c, &id, &f->diag) != AX_OK)
			return -1;
		f->lines[line] = fake_line_lines(f->set, id);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_irq_set_destroy(&f->host, f->set, &f->lapic);
	free(f);
	return 0;
}

static uint8_t in8(struct fixture *f, uint16_t port)
{
	uint64_t v = 0xdead;

	assert_int_equal(ax_devices_handle_port_read(f->set, 0, port, AX_WIDTH_BYTE, &v), AX_OK);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void out8(struct fixture *f, uint16_t port, uint8_t v)
{
	assert_int_equal(ax_devices_handle_port_write(f->set, 0, port, AX_WIDTH_BYTE, v), AX_OK);
}

/* Linux's init_8259A(): remap to `mbase` / `sbase`, AEOI optional, then the masks. */
static void remap(struct fixture *f, uint8_t mbase, uint8_t sbase, bool aeoi, uint8_t mmask,
		  uint8_t smask)
{
	out8(f, M_DATA, 0xff); /* mask everything first */
	out8(f, S_DATA, 0xff);
	out8(f, M_CMD, 0x11); /* ICW1: edge, cascade, ICW4 needed */
	out8(f, M_DATA, mbase);
	out8(f, M_DATA, 0x04); /* ICW3: slave on IR2 */
	out8(f, M_DATA, aeoi ? 0x03 : 0x01);
	out8(f, S_CMD, 0x11);
	out8(f, S_DATA, sbase);
	out8(f, S_DATA, 0x02); /* ICW3: slave id 2 */
	out8(f, S_DATA, 0x01);
	out8(f, M_DATA, mmask);
	out8(f, S_DATA, smask);
}

static void pulse(struct fixture *f, uint32_t line)
{
	ax_irq_line_pulse(f->lines[line], line);
}

static struct ax_pic8259_chip_state chip(struct fixture *f, unsigned which)
{
	struct ax_pic8259_chip_state s;

	assert_int_equal(ax_pic8259_chip_state(f->pic, which, &s), AX_OK);
	return s;
}

/* The local APIC's view: INTR, and the acknowledge through the fabric. */
static bool intr(struct fixture *f)
{
	return ax_irq_fabric_pic_intr(f->fabric);
}

static uint8_t inta(struct fixture *f)
{
	return ax_irq_fabric_pic_ack(f->fabric);
}

static void eoi(struct fixture *f, uint16_t cmd_port)
{
	out8(f, cmd_port, 0x20);
}

/* --- initialisation ----------------------------------------------------------------- */

static void test_linux_remap_and_mask(void **state)
{
	struct fixture *f = *state;
	struct ax_pic8259_chip_state m, s;

	remap(f, 0x30, 0x38, false, 0xfb, 0xff);
	m = chip(f, 0);
	s = chip(f, 1);
	assert_int_equal(m.vector_base, 0x30);
	assert_int_equal(s.vector_base, 0x38);
	assert_false(m.initialising);
	assert_false(s.initialising);
	assert_false(m.auto_eoi);
	assert_int_equal(in8(f, M_DATA), 0xfb);
	assert_int_equal(in8(f, S_DATA), 0xff);
	/* masked: latched in IRR but no INTR */
	pulse(f, 1);
	assert_false(intr(f));
	assert_int_equal(chip(f, 0).irr, 0x02);
	out8(f, M_DATA, 0xf9);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x31);
	assert_false(intr(f));
	assert_int_equal(chip(f, 0).isr, 0x02);
	eoi(f, M_CMD);
	assert_int_equal(chip(f, 0).isr, 0);
	/* the vector base keeps bits 7:3 only */
	remap(f, 0x37, 0x3f, false, 0xfb, 0xfe);
	assert_int_equal(chip(f, 0).vector_base, 0x30);
	assert_int_equal(chip(f, 1).vector_base, 0x38);
	pulse(f, 8);
	assert_int_equal(inta(f), 0x38);
}

static void test_icw1_resets_chip(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	pulse(f, 3);
	assert_int_equal(inta(f), 0x23);
	out8(f, M_CMD, 0xc2); /* set priority: 2 lowest */
	/* ICW1 mid-flight: IMR, ISR, edge requests, rotation and reads go back */
	ax_irq_line_set_level(f->lines[5], 5, true);
	assert_int_equal(chip(f, 0).irr, 0x20);
	out8(f, M_CMD, 0x11);
	assert_true(chip(f, 0).initialising);
	assert_int_equal(chip(f, 0).isr, 0);
	assert_int_equal(chip(f, 0).irr, 0);
	assert_int_equal(in8(f, M_DATA), 0);
	out8(f, M_DATA, 0x40);
	out8(f, M_DATA, 0x04);
	assert_true(chip(f, 0).initialising);
	out8(f, M_DATA, 0x01);
	assert_false(chip(f, 0).initialising);
	/* the line that was high at ICW1 must fall and rise again */
	assert_false(intr(f));
	ax_irq_line_set_level(f->lines[5], 5, false);
	ax_irq_line_set_level(f->lines[5], 5, true);
	assert_int_equal(inta(f), 0x45);
	/* single mode without ICW4: ICW2 ends the sequence; the next data write is OCW1 */
	out8(f, M_CMD, 0x12);
	out8(f, M_DATA, 0x50);
	assert_false(chip(f, 0).initialising);
	out8(f, M_DATA, 0x0f);
	assert_int_equal(in8(f, M_DATA), 0x0f);
	assert_false(chip(f, 0).auto_eoi);
	/* single mode with ICW4: ICW2 then ICW4 */
	out8(f, M_CMD, 0x13);
	out8(f, M_DATA, 0x50);
	assert_true(chip(f, 0).initialising);
	out8(f, M_DATA, 0x03);
	assert_false(chip(f, 0).initialising);
	assert_true(chip(f, 0).auto_eoi);
	/* device reset: base 0, ELCR 0, nothing masked */
	out8(f, ELCR0, 0xf8);
	assert_int_equal(ax_devices_reset(f->set), AX_OK);
	assert_int_equal(chip(f, 0).vector_base, 0);
	assert_int_equal(chip(f, 0).elcr, 0);
	assert_int_equal(in8(f, M_DATA), 0);
}

/* --- priorities, cascade, EOI -------------------------------------------------------- */

static void test_priorities_and_nesting(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	pulse(f, 5);
	pulse(f, 3);
	assert_int_equal(inta(f), 0x23);
	/* 3 in service: 5 waits */
	assert_false(intr(f));
	/* a higher level nests */
	pulse(f, 0);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x20);
	assert_int_equal(chip(f, 0).isr, 0x09);
	eoi(f, M_CMD); /* non-specific: clears 0, the highest in service */
	assert_int_equal(chip(f, 0).isr, 0x08);
	assert_false(intr(f));
	eoi(f, M_CMD);
	assert_int_equal(inta(f), 0x25);
	out8(f, M_CMD, 0x65); /* specific EOI of 5 */
	assert_int_equal(chip(f, 0).isr, 0);
	/* specific EOI of a level not in service changes nothing */
	pulse(f, 6);
	assert_int_equal(inta(f), 0x26);
	out8(f, M_CMD, 0x64);
	assert_int_equal(chip(f, 0).isr, 0x40);
	out8(f, M_CMD, 0x40); /* OCW2 no-op */
	assert_int_equal(chip(f, 0).isr, 0x40);
	out8(f, M_CMD, 0x66);
	assert_int_equal(chip(f, 0).isr, 0);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;
	struct ax_pic8259_chip_state m, s;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	pulse(f, 12);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x2c);
	m = chip(f, 0);
	s = chip(f, 1);
	assert_int_equal(m.isr, 0x04);
	assert_int_equal(s.isr, 0x10);
	/* master IR1 outranks the whole slave; IR4 does not */
	pulse(f, 4);
	assert_false(intr(f));
	pulse(f, 1);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x21);
	eoi(f, M_CMD); /* IR1 */
	/* while IR2 is in service, a higher slave request waits (no SFNM) */
	pulse(f, 9);
	assert_false(intr(f));
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x29);
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_int_equal(inta(f), 0x24);
	eoi(f, M_CMD);
	assert_false(intr(f));
	/* two slave requests: the second is not lost behind the first */
	pulse(f, 14);
	pulse(f, 15);
	assert_int_equal(inta(f), 0x2e);
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_int_equal(inta(f), 0x2f);
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_false(intr(f));
	/* a masked slave line does not reach the master */
	out8(f, S_DATA, 0x01);
	pulse(f, 8);
	assert_false(intr(f));
	assert_int_equal(chip(f, 1).irr, 0x01);
	/* the cascade line itself is not a device line */
	ax_irq_line_pulse(f->lines[2], 2);
	assert_false(intr(f));
}

static void test_special_fully_nested(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	out8(f, M_CMD, 0x11);
	out8(f, M_DATA, 0x20);
	out8(f, M_DATA, 0x04);
	out8(f, M_DATA, 0x11); /* ICW4: SFNM */
	pulse(f, 12);
	assert_int_equal(inta(f), 0x2c);
	pulse(f, 9); /* higher on the slave: gets through IR2 in service */
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x29);
	pulse(f, 13); /* lower: the slave holds it back */
	assert_false(intr(f));
}

static void test_rotation(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	/* set priority: 3 lowest, so 4 highest */
	out8(f, M_CMD, 0xc3);
	pulse(f, 1);
	pulse(f, 5);
	assert_int_equal(inta(f), 0x25);
	eoi(f, M_CMD);
	assert_int_equal(inta(f), 0x21);
	/* rotate on non-specific EOI: 1 becomes lowest, 2 highest */
	out8(f, M_CMD, 0xa0);
	assert_int_equal(chip(f, 0).isr, 0);
	pulse(f, 1);
	pulse(f, 3);
	assert_int_equal(inta(f), 0x23);
	/* rotate on specific EOI of 3: 4 highest, so 1 after 4..7, 0 */
	out8(f, M_CMD, 0xe3);
	pulse(f, 0);
	assert_int_equal(inta(f), 0x20);
	out8(f, M_CMD, 0x60);
	assert_int_equal(inta(f), 0x21);
	out8(f, M_CMD, 0x61);
	/* non-specific EOI clears the highest-priority level in service under rotation */
	out8(f, M_CMD, 0xc7); /* back to 0 highest */
	pulse(f, 6);
	pulse(f, 7);
	assert_int_equal(inta(f), 0x26);
	out8(f, M_CMD, 0xc5); /* 6 highest, then 7: 7 nests? no, it ranks below 6 */
	assert_false(intr(f));
	eoi(f, M_CMD);
	assert_int_equal(chip(f, 0).isr, 0);
	assert_int_equal(inta(f), 0x27);
}

static void test_auto_eoi(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, true, 0x00, 0x00);
	assert_true(chip(f, 0).auto_eoi);
	pulse(f, 4);
	pulse(f, 6);
	assert_int_equal(inta(f), 0x24);
	assert_int_equal(chip(f, 0).isr, 0);
	assert_true(intr(f)); /* nothing in service: 6 is next */
	assert_int_equal(inta(f), 0x26);
	/* rotate in AEOI mode: each acknowledged level becomes the lowest */
	out8(f, M_CMD, 0x80);
	pulse(f, 1);
	pulse(f, 3);
	assert_int_equal(inta(f), 0x21); /* 1 now lowest: 2 highest */
	pulse(f, 1);
	assert_int_equal(inta(f), 0x23);
	assert_int_equal(inta(f), 0x21);
	out8(f, M_CMD, 0x00); /* rotate in AEOI: clear */
	out8(f, M_CMD, 0xc7);
	pulse(f, 5);
	pulse(f, 0);
	assert_int_equal(inta(f), 0x20);
	assert_int_equal(inta(f), 0x25);
}

/* --- reads, poll, special mask ------------------------------------------------------- */

static void test_ocw3_reads_and_poll(void **state)
{
	struct fixture *f = *state;
	struct ax_pic8259_stats st;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	pulse(f, 3);
	pulse(f, 5);
	assert_int_equal(in8(f, M_CMD), 0x28); /* IRR after ICW1 */
	out8(f, M_CMD, 0x0b);
	assert_int_equal(in8(f, M_CMD), 0x00); /* ISR */
	assert_int_equal(inta(f), 0x23);
	assert_int_equal(in8(f, M_CMD), 0x08);
	out8(f, M_CMD, 0x0a);
	assert_int_equal(in8(f, M_CMD), 0x20);
	out8(f, M_CMD, 0x08); /* OCW3 without RR: the selection stays */
	assert_int_equal(in8(f, M_CMD), 0x20);
	eoi(f, M_CMD);
	/* poll: one read is the poll word and acknowledges */
	out8(f, M_CMD, 0x0c);
	assert_int_equal(in8(f, M_CMD), 0x85);
	assert_int_equal(chip(f, 0).isr, 0x20);
	assert_int_equal(in8(f, M_CMD), 0x00); /* back to IRR */
	eoi(f, M_CMD);
	out8(f, M_CMD, 0x0c);
	assert_int_equal(in8(f, M_CMD), 0x00); /* nothing pending */
	/* polling the pair: master reports the cascade, then the slave its level */
	pulse(f, 11);
	out8(f, M_CMD, 0x0c);
	assert_int_equal(in8(f, M_CMD), 0x82);
	out8(f, S_CMD, 0x0c);
	assert_int_equal(in8(f, S_CMD), 0x83);
	assert_int_equal(chip(f, 1).isr, 0x08);
	ax_pic8259_stats(f->pic, &st);
	assert_int_equal(st.acks, 5);
	assert_int_equal(st.spurious, 0);
}

static void test_special_mask_mode(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	pulse(f, 5);
	assert_int_equal(inta(f), 0x25);
	pulse(f, 6);
	assert_false(intr(f));
	out8(f, M_CMD, 0x68); /* OCW3: set special mask mode */
	assert_true(chip(f, 0).special_mask);
	assert_false(intr(f)); /* 5 still unmasked: it holds 6 back */
	out8(f, M_DATA, 0x20); /* mask 5: in special mask mode it no longer inhibits */
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x26);
	out8(f, M_CMD, 0x48); /* reset special mask mode */
	assert_false(chip(f, 0).special_mask);
	out8(f, M_CMD, 0x66);
	out8(f, M_CMD, 0x65);
	assert_int_equal(chip(f, 0).isr, 0);
}

static void test_spurious(void **state)
{
	struct fixture *f = *state;
	struct ax_pic8259_stats st;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	/* nothing pending: IRQ7, nothing in service */
	assert_int_equal(inta(f), 0x27);
	assert_int_equal(chip(f, 0).isr, 0);
	/* a level request that went away before the acknowledge */
	out8(f, ELCR0, 0x08);
	ax_irq_line_set_level(f->lines[3], 3, true);
	assert_true(intr(f));
	ax_irq_line_set_level(f->lines[3], 3, false);
	assert_false(intr(f));
	assert_int_equal(inta(f), 0x27);
	/* a slave request gone after the master latched IR2: IRQ15, IR2 in service */
	out8(f, ELCR1, 0x02);
	ax_irq_line_set_level(f->lines[9], 9, true);
	assert_true(intr(f));
	ax_irq_line_set_level(f->lines[9], 9, false);
	assert_true(intr(f)); /* the master's IR2 latch */
	assert_int_equal(inta(f), 0x2f);
	assert_int_equal(chip(f, 0).isr, 0x04);
	assert_int_equal(chip(f, 1).isr, 0x00);
	eoi(f, M_CMD);
	ax_pic8259_stats(f->pic, &st);
	assert_int_equal(st.spurious, 3);
	/* the host-side acknowledge behaves the same */
	assert_int_equal(ax_pic8259_ack(f->pic), 0x27);
	pulse(f, 4);
	assert_true(ax_pic8259_intr(f->pic));
	assert_int_equal(ax_pic8259_ack(f->pic), 0x24);
}

/* --- ELCR ------------------------------------------------------------------------------- */

static void test_elcr(void **state)
{
	struct fixture *f = *state;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	out8(f, ELCR0, 0xff);
	out8(f, ELCR1, 0xff);
	/* IRQ 0, 1, 2, 8 and 13 are edge only */
	assert_int_equal(in8(f, ELCR0), 0xf8);
	assert_int_equal(in8(f, ELCR1), 0xde);
	/* level: requested while high, again after EOI; gone when the line falls */
	ax_irq_line_set_level(f->lines[10], 10, true);
	assert_int_equal(inta(f), 0x2a);
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x2a);
	ax_irq_line_set_level(f->lines[10], 10, false);
	eoi(f, S_CMD);
	eoi(f, M_CMD);
	assert_false(intr(f));
	/* edge (IRQ 1 cannot be level): one request per rising edge */
	ax_irq_line_set_level(f->lines[1], 1, true);
	assert_int_equal(inta(f), 0x21);
	eoi(f, M_CMD);
	assert_false(intr(f));
	ax_irq_line_set_level(f->lines[1], 1, false);
	/* an edge line switched to level while high requests at once */
	out8(f, ELCR0, 0x00);
	ax_irq_line_set_level(f->lines[6], 6, true);
	assert_int_equal(inta(f), 0x26);
	eoi(f, M_CMD);
	assert_false(intr(f));
	out8(f, ELCR0, 0x40);
	assert_true(intr(f));
	/* and back to edge: the request stays latched until acknowledged */
	out8(f, ELCR0, 0x00);
	assert_int_equal(inta(f), 0x26);
	eoi(f, M_CMD);
	assert_false(intr(f));
	/* ICW1.LTIM makes every line of the chip level */
	ax_irq_line_set_level(f->lines[6], 6, false);
	out8(f, M_CMD, 0x19);
	out8(f, M_DATA, 0x20);
	out8(f, M_DATA, 0x04);
	out8(f, M_DATA, 0x01);
	ax_irq_line_set_level(f->lines[0], 0, true);
	assert_int_equal(inta(f), 0x20);
	eoi(f, M_CMD);
	assert_true(intr(f));
	ax_irq_line_set_level(f->lines[0], 0, false);
	assert_false(intr(f));
}

/* --- wiring ------------------------------------------------------------------------------ */

static void test_intr_reaches_local_apic(void **state)
{
	struct fixture *f = *state;
	unsigned before;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	before = f->lapic.pic_changes;
	pulse(f, 4);
	assert_true(f->lapic.pic_changes > before);
	before = f->lapic.pic_changes;
	assert_int_equal(inta(f), 0x24); /* from the local APIC: no call back to it */
	assert_int_equal(f->lapic.pic_changes, before);
	out8(f, M_DATA, 0xff);
	eoi(f, M_CMD);
	before = f->lapic.pic_changes;
	pulse(f, 5); /* masked, INTR stays low: no report */
	assert_int_equal(f->lapic.pic_changes, before);
	out8(f, M_DATA, 0x00); /* INTR rises */
	assert_true(f->lapic.pic_changes > before);
	/* the host never sees lines a controller owns */
	assert_int_equal(f->host.irq_pulses[5], 0);
}

static void test_widths_and_ports(void **state)
{
	struct fixture *f = *state;
	uint64_t v;
	struct ax_device_info info;

	assert_int_equal(ax_devices_handle_port_read(f->set, 0, M_CMD, AX_WIDTH_WORD, &v),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_devices_handle_port_write(f->set, 0, ELCR0, AX_WIDTH_WORD, 0xffff),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(in8(f, ELCR0), 0);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_PORT, 0xa1, &info), AX_OK);
	assert_string_equal(info.name, "pic");
	assert_int_equal(info.nr_ranges, 3);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_PORT, 0x4d1, &info), AX_OK);
	assert_int_equal(ax_devices_find(f->set, AX_BUS_PORT, 0x22, &info), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_devices_remove(f->set, f->pic_id, NULL), AX_ERR_PERMISSION_DENIED);
	struct ax_pic8259_chip_state s;

	assert_int_equal(ax_pic8259_chip_state(f->pic, 2, &s), AX_ERR_INVALID_INPUT);
}

static void test_config(void **state)
{
	struct test_host host;
	struct ax_devices_params p = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct ax_devices *set;
	struct ax_diag diag = { 0 };
	uint64_t cfg[3] = { 0x1a0, 0 };
	struct ax_emu_config pic = { .name = "pic",
				     .base_gpa = 0x120,
				     .length = 2,
				     .emu_type = AX_EMU_PIC8259,
				     .cfg_list = cfg,
				     .cfg_len = 2 };
	struct ax_device_info info;
	uint32_t id;

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_OK);
	pic.cfg_len = 3;
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"pic\": cfg_list has 3 entries, expected at most "
				      "2 [slave_base, elcr_base]");
	pic.cfg_len = 2;
	pic.length = 4;
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"pic\": length 0x4, the master has 2 ports");
	pic.length = 2;
	cfg[0] = 0xffff;
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg,
			    "device \"pic\": slave ports 0xffff..0x10000 are beyond the port bus");
	cfg[0] = 0x121; /* overlapping its own master ports */
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_ERR_ADDR_IN_USE);
	/* a failed add left no registration behind: the same pic can come now */
	cfg[0] = 0x1a0;
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_OK);
	assert_int_equal(ax_devices_find_by_id(set, id, &info), AX_OK);
	assert_int_equal(info.nr_ranges, 2); /* no ELCR */
	assert_int_equal(ax_devices_find(set, AX_BUS_PORT, 0x1a1, &info), AX_OK);
	/* one 8259 pair per set */
	pic.name = "pic2";
	pic.base_gpa = 0x20;
	pic.cfg_len = 0;
	assert_int_equal(ax_devices_add_from_config(set, &pic, &id, &diag), AX_ERR_ALREADY_EXISTS);
	assert_string_equal(diag.msg,
			    "device \"pic2\": the set already has an 8259 pair, device \"pic\"");
	/* a device beyond its 16 lines is a config error */
	struct ax_emu_config uart = {
		.name = "uart", .base_gpa = 0x3f8, .length = 8, .irq_id = 16, .emu_type = 0
	};
	uint64_t port_bus[] = { 1 };

	uart.cfg_list = port_bus;
	uart.cfg_len = 1;
	assert_int_equal(ax_devices_add_from_config(set, &uart, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"uart\": irq line 16: the set's interrupt "
				      "controllers (\"pic\", 16 lines) have no such line");
	uart.irq_id = 4;
	assert_int_equal(ax_devices_add_from_config(set, &uart, &id, &diag), AX_OK);
	ax_devices_destroy(set);
	test_host_fini(&host);
}

/* With an I/O APIC in the set too, an ISA line reaches both, as on a PC. */
static void test_shared_with_ioapic(void **state)
{
	struct fixture *f = *state;
	struct ax_emu_config io = { .name = "ioapic",
				    .base_gpa = 0xfec00000,
				    .length = 0x1000,
				    .emu_type = AX_EMU_IOAPIC };

	assert_int_equal(ax_devices_add_from_config(f->set, &io, NULL, &f->diag), AX_OK);
	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	/* redirection entry 4: vector 0x44, unmasked, edge */
	assert_int_equal(
		ax_devices_handle_mmio_write(f->set, 0, 0xfec00000, AX_WIDTH_DWORD, 0x10 + 2 * 4),
		AX_OK);
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, 0xfec00010, AX_WIDTH_DWORD, 0x44),
			 AX_OK);
	pulse(f, 4);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	assert_int_equal(fake_lapic_last(&f->lapic).vector, 0x44);
	assert_true(intr(f));
	assert_int_equal(inta(f), 0x24);
}

/* --- threads ---------------------------------------------------------------------------- */
#define ITERS 20000

struct thread_arg {
	struct fixture *f;
	uint32_t line;
	_Atomic bool *stop;
	unsigned bad;
};

static void *raiser(void *p)
{
	struct thread_arg *a = p;
	unsigned s = a->line * 7919u + 1;

	for (unsigned i = 0; i < ITERS; i++) {
		s = s * 1103515245u + 12345u;
		if (a->line == 10) /* level on the ELCR */
			ax_irq_line_set_level(a->f->lines[a->line], a->line, (s >> 16) & 1);
		else
			ax_irq_line_pulse(a->f->lines[a->line], a->line);
	}
	ax_irq_line_set_level(a->f->lines[a->line], a->line, false);
	return NULL;
}

/* The local APIC side: acknowledge and EOI whatever comes. */
static void *acker(void *p)
{
	struct thread_arg *a = p;

	while (!atomic_load(a->stop)) {
		uint8_t v;

		if (!ax_irq_fabric_pic_intr(a->f->fabric))
			continue;
		v = ax_irq_fabric_pic_ack(a->f->fabric);
		if (v < 0x20 || v > 0x2f)
			a->bad++;
		if (v >= 0x28)
			assert_int_equal(ax_devices_handle_port_write(a->f->set, 1, S_CMD,
								      AX_WIDTH_BYTE, 0x20),
					 AX_OK);
		assert_int_equal(
			ax_devices_handle_port_write(a->f->set, 1, M_CMD, AX_WIDTH_BYTE, 0x20),
			AX_OK);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	static const uint32_t lines[] = { 1, 4, 10, 12 };
	pthread_t r[4], ack;
	struct thread_arg ra[4], aa;
	_Atomic bool stop = false;

	remap(f, 0x20, 0x28, false, 0x00, 0x00);
	out8(f, ELCR1, 0x04); /* line 10 level */
	aa = (struct thread_arg){ f, 0, &stop, 0 };
	assert_int_equal(pthread_create(&ack, NULL, acker, &aa), 0);
	for (unsigned i = 0; i < 4; i++) {
		ra[i] = (struct thread_arg){ f, lines[i], &stop, 0 };
		assert_int_equal(pthread_create(&r[i], NULL, raiser, &ra[i]), 0);
	}
	/* meanwhile the guest reprograms the masks */
	for (unsigned i = 0; i < 2000; i++) {
		uint64_t v;

		assert_int_equal(ax_devices_handle_port_write(f->set, 0, M_DATA, AX_WIDTH_BYTE,
							      (i & 1) ? 0x10 : 0x00),
				 AX_OK);
		assert_int_equal(ax_devices_handle_port_read(f->set, 0, S_CMD, AX_WIDTH_BYTE, &v),
				 AX_OK);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(r[i], NULL);
	out8(f, M_DATA, 0x00);
	atomic_store(&stop, true);
	pthread_join(ack, NULL);
	/* drain what is left (requests the acker's last in-service level held back) */
	for (unsigned i = 0; i < 64 && intr(f); i++) {
		uint8_t v = inta(f);

		assert_true(v >= 0x20 && v <= 0x2f);
		if (v >= 0x28)
			eoi(f, S_CMD);
		eoi(f, M_CMD);
	}
	assert_int_equal(aa.bad, 0);
	assert_false(intr(f));
	assert_int_equal(chip(f, 0).isr, 0);
	assert_int_equal(chip(f, 1).isr, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_linux_remap_and_mask),
		T(test_icw1_resets_chip),
		T(test_priorities_and_nesting),
		T(test_cascade),
		T(test_special_fully_nested),
		T(test_rotation),
		T(test_auto_eoi),
		T(test_ocw3_reads_and_poll),
		T(test_special_mask_mode),
		T(test_spurious),
		T(test_elcr),
		T(test_intr_reaches_local_apic),
		T(test_widths_and_ports),
		cmocka_unit_test(test_config),
		T(test_shared_with_ioapic),
		T(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
