/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The I/O APIC model (82093AA): every register, redirection entries, edge
 * and level pins, masking, remote IRR and EOI, polarity, delivery modes,
 * shared lines, configuration errors, and a threaded run. Messages are
 * observed through a fake local APIC registered in the set's fabric.
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
#include <axdevice/ioapic.h>
#include <axdevice/uart16550.h>

#include "fake_irq.h"
#include "host_posix.h"

#define BASE	 0xfec00000ull
#define IOREGSEL 0x00
#define IOWIN	 0x10

#define MASKED (1u << 16)
#define LEVEL  (1u << 15)
#define RIRR   (1u << 14)
#define LOW    (1u << 13)

struct fixture {
	struct test_host host;
	struct ax_devices *set;
	struct ax_irq_fabric *fabric;
	struct fake_lapic lapic;
	struct ax_ioapic *io;
	uint32_t io_id;
	struct ax_diag diag;
	uint64_t next_base;
};

static int setup_pins(void **state, uint64_t nr_pins)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint64_t cfg[] = { nr_pins };
	struct ax_emu_config io = { .name = "ioapic",
				    .base_gpa = BASE,
				    .length = 0x1000,
				    .emu_type = AX_EMU_IOAPIC,
				    .cfg_list = cfg,
				    .cfg_len = nr_pins ? 1 : 0 };

	if (fake_irq_set_create(&f->host, 4, &f->set, &f->lapic, &f->diag) != AX_OK)
		return -1;
	f->fabric = f->lapic.fabric;
	if (ax_devices_add_from_config(f->set, &io, &f->io_id, &f->diag) != AX_OK) {
		fprintf(stderr, "%s\n", f->diag.msg);
		return -1;
	}
	if (ax_ioapic_from_device(f->set, f->io_id, &f->io) != AX_OK)
		return -1;
	f->next_base = 0x100000;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_pins(state, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_irq_set_destroy(&f->host, f->set, &f->lapic);
	free(f);
	return 0;
}

/* --- guest access helpers --------------------------------------------------------- */

static uint32_t rd(struct fixture *f, uint64_t off, enum ax_width w)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, BASE + off, w, &v), AX_OK);
	return (uint32_t)v;
}

static void wr(struct fixture *f, uint64_t off, enum ax_width w, uint32_t v)
{
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, BASE + off, w, v), AX_OK);
}

static uint32_t reg_read(struct fixture *f, uint32_t index)
{
	wr(f, IOREGSEL, AX_WIDTH_DWORD, index);
	return rd(f, IOWIN, AX_WIDTH_DWORD);
}

static void reg_write(struct fixture *f, uint32_t index, uint32_t v)
{
	wr(f, IOREGSEL, AX_WIDTH_DWORD, index);
	wr(f, IOWIN, AX_WIDTH_DWORD, v);
}

static void rte_write(struct fixture *f, uint32_t pin, uint32_t low, uint8_t dest)
{
	reg_write(f, 0x11 + 2 * pin, (uint32_t)dest << 24);
	reg_write(f, 0x10 + 2 * pin, low);
}

static uint32_t rte_low(struct fixture *f, uint32_t pin)
{
	return reg_read(f, 0x10 + 2 * pin);
}

/* A fake device driving `line` with `trigger`; returns its lines. */
static struct ax_irq_lines *line_dev(struct fixture *f, const char *name, uint32_t line,
				     enum ax_irq_trigger trigger)
{
	uint64_t t[] = { trigger };
	struct ax_emu_config c = { .name = name,
				   .base_gpa = f->next_base,
				   .length = 0x100,
				   .irq_id = line,
				   .emu_type = FAKE_LINE_KIND,
				   .cfg_list = t,
				   .cfg_len = 1 };
	uint32_t id;

	f->next_base += 0x1000;
	assert_int_equal(ax_devices_add_from_config(f->set, &c, &id, &f->diag), AX_OK);
	return fake_line_lines(f->set, id);
}

static struct ax_ioapic_stats stats(struct fixture *f)
{
	struct ax_ioapic_stats s;

	ax_ioapic_stats(f->io, &s);
	return s;
}

/* --- registers -------------------------------------------------------------------- */

static void test_id_version_arbitration(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ax_ioapic_nr_pins(f->io), 24);
	assert_int_equal(reg_read(f, 0x01), 0x00170011);
	reg_write(f, 0x01, 0xffffffff); /* read-only */
	assert_int_equal(reg_read(f, 0x01), 0x00170011);
	assert_int_equal(reg_read(f, 0x00), 0);
	reg_write(f, 0x00, 0xffffffff); /* only bits 27:24 */
	assert_int_equal(reg_read(f, 0x00), 0x0f000000);
	reg_write(f, 0x00, 0x05000000);
	assert_int_equal(reg_read(f, 0x00), 0x05000000);
	assert_int_equal(reg_read(f, 0x02), 0x05000000);
	reg_write(f, 0x02, 0x0a000000); /* arbitration is read-only */
	assert_int_equal(reg_read(f, 0x02), 0x05000000);
	/* IOREGSEL keeps bits 7:0 */
	wr(f, IOREGSEL, AX_WIDTH_DWORD, 0xffffff12);
	assert_int_equal(rd(f, IOREGSEL, AX_WIDTH_DWORD), 0x12);
	/* indexes with no register read 0, ignore writes, and are counted */
	uint64_t ign = stats(f).ignored;

	assert_int_equal(reg_read(f, 0x03), 0);
	assert_int_equal(reg_read(f, 0x0f), 0);
	assert_int_equal(reg_read(f, 0x10 + 48), 0); /* past 24 pins */
	reg_write(f, 0x40, 1);
	assert_int_equal(reg_read(f, 0x40), 0);
	assert_int_equal(stats(f).ignored, ign + 5);
	/* reset: ID 0, IOREGSEL 0, every entry masked */
	reg_write(f, 0x10, 0x31);
	assert_int_equal(ax_devices_reset(f->set), AX_OK);
	assert_int_equal(rd(f, IOREGSEL, AX_WIDTH_DWORD), 0);
	assert_int_equal(reg_read(f, 0x00), 0);
	assert_int_equal(rte_low(f, 0), MASKED);
}

static void test_widths_and_offsets(void **state)
{
	struct fixture *f = *state;
	uint64_t ign = stats(f).ignored;

	reg_write(f, 0x00, 0x03000000);
	/* only dword accesses at 0x00 and 0x10 reach a register */
	assert_int_equal(rd(f, IOREGSEL, AX_WIDTH_BYTE), 0);
	assert_int_equal(rd(f, IOWIN, AX_WIDTH_WORD), 0);
	wr(f, IOREGSEL, AX_WIDTH_BYTE, 0x01); /* ignored: IOREGSEL still 0 */
	assert_int_equal(rd(f, IOREGSEL, AX_WIDTH_DWORD), 0);
	uint64_t v = 1;

	assert_int_equal(ax_devices_handle_mmio_read(f->set, 0, BASE + IOWIN, AX_WIDTH_QWORD, &v),
			 AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(rd(f, 0x04, AX_WIDTH_DWORD), 0);
	assert_int_equal(rd(f, 0x14, AX_WIDTH_DWORD), 0);
	assert_int_equal(rd(f, 0x20, AX_WIDTH_DWORD), 0);
	assert_int_equal(rd(f, 0xffc, AX_WIDTH_DWORD), 0);
	wr(f, 0x40, AX_WIDTH_DWORD, 0x31); /* no EOI register in version 0x11 */
	assert_int_equal(stats(f).ignored, ign + 9);
	assert_int_equal(reg_read(f, 0x00), 0x03000000);
}

static void test_redirection_entry_bits(void **state)
{
	struct fixture *f = *state;
	uint64_t e;

	for (uint32_t pin = 0; pin < 24; pin++) {
		assert_int_equal(rte_low(f, pin), MASKED);
		assert_int_equal(reg_read(f, 0x11 + 2 * pin), 0);
	}
	/* every writable bit; delivery status, remote IRR and reserved bits stay 0 */
	reg_write(f, 0x10 + 2 * 5, 0xffffffff);
	assert_int_equal(rte_low(f, 5), 0x1afff);
	reg_write(f, 0x11 + 2 * 5, 0xffffffff);
	assert_int_equal(reg_read(f, 0x11 + 2 * 5), 0xff000000);
	assert_int_equal(ax_ioapic_entry(f->io, 5, &e), AX_OK);
	assert_int_equal(e, 0xff0000000001afffull);
	reg_write(f, 0x10 + 2 * 5, 0x000109a5);
	assert_int_equal(rte_low(f, 5), 0x000109a5);
	reg_write(f, 0x11 + 2 * 5, 0x12345678);
	assert_int_equal(reg_read(f, 0x11 + 2 * 5), 0x12000000);
	/* the pins do not bleed into each other */
	assert_int_equal(rte_low(f, 4), MASKED);
	assert_int_equal(rte_low(f, 6), MASKED);
	/* host API limits */
	assert_int_equal(ax_ioapic_entry(f->io, 24, &e), AX_ERR_INVALID_INPUT);
	bool lv;

	assert_int_equal(ax_ioapic_pin_level(f->io, 24, &lv), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_ioapic_pin_level(f->io, 23, &lv), AX_OK);
	assert_false(lv);
}

/* --- edge pins -------------------------------------------------------------------- */

static void test_edge_pin(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *l = line_dev(f, "timer", 2, AX_IRQ_EDGE);
	struct ax_apic_msg m;

	rte_write(f, 2, 0x30 | (AX_APIC_FIXED << 8), 3);
	ax_irq_line_pulse(l, 2);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	m = fake_lapic_last(&f->lapic);
	assert_int_equal(m.vector, 0x30);
	assert_int_equal(m.delivery, AX_APIC_FIXED);
	assert_false(m.logical);
	assert_int_equal(m.dest, 3);
	assert_false(m.level_trigger);
	assert_int_equal(rte_low(f, 2), 0x30); /* no remote IRR on an edge entry */
	/* set_level on an edge pin: one message per rising edge */
	ax_irq_line_set_level(l, 2, true);
	ax_irq_line_set_level(l, 2, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	ax_irq_line_set_level(l, 2, false);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	/* edges arriving while masked are lost; unmasking sends nothing */
	rte_write(f, 2, 0x30 | MASKED, 3);
	ax_irq_line_pulse(l, 2);
	ax_irq_line_set_level(l, 2, true);
	rte_write(f, 2, 0x30, 3);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	ax_irq_line_set_level(l, 2, false);
	ax_irq_line_pulse(l, 2);
	assert_int_equal(fake_lapic_count(&f->lapic), 3);
	/* logical destination, lowest priority */
	rte_write(f, 2, 0x41 | (1u << 11) | (AX_APIC_LOWEST << 8), 0x0f);
	ax_irq_line_pulse(l, 2);
	m = fake_lapic_last(&f->lapic);
	assert_true(m.logical);
	assert_int_equal(m.delivery, AX_APIC_LOWEST);
	assert_int_equal(m.dest, 0x0f);
	assert_int_equal(stats(f).sent, 4);
}

/* --- level pins ------------------------------------------------------------------- */

static void test_level_pin_remote_irr_and_eoi(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *l = line_dev(f, "disk", 10, AX_IRQ_LEVEL);
	struct ax_apic_msg m;
	bool lv;

	rte_write(f, 10, 0x51 | LEVEL, 0);
	ax_irq_line_set_level(l, 10, true);
	assert_int_equal(ax_ioapic_pin_level(f->io, 10, &lv), AX_OK);
	assert_true(lv);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	m = fake_lapic_last(&f->lapic);
	assert_int_equal(m.vector, 0x51);
	assert_true(m.level_trigger);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | RIRR);
	/* remote IRR is read-only: a guest write keeps it */
	reg_write(f, 0x10 + 2 * 10, 0x51 | LEVEL);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | RIRR);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	/* an EOI of another vector changes nothing */
	ax_irq_fabric_apic_eoi(f->fabric, 0x52);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | RIRR);
	/* EOI while the line is still asserted: sent again */
	ax_irq_fabric_apic_eoi(f->fabric, 0x51);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | RIRR);
	assert_int_equal(stats(f).eoi_resent, 1);
	/* the device lowers its line; the EOI then only clears remote IRR */
	ax_irq_line_set_level(l, 10, false);
	ax_irq_fabric_apic_eoi(f->fabric, 0x51);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL);
	/* masked level: nothing, and nothing latched; unmask with the level present: sent */
	rte_write(f, 10, 0x51 | LEVEL | MASKED, 0);
	ax_irq_line_set_level(l, 10, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | MASKED);
	rte_write(f, 10, 0x51 | LEVEL, 0);
	assert_int_equal(fake_lapic_count(&f->lapic), 3);
	/* masked, lowered, unmasked: no message */
	ax_irq_fabric_apic_eoi(f->fabric, 0x51);
	assert_int_equal(fake_lapic_count(&f->lapic), 4);
	rte_write(f, 10, 0x51 | LEVEL | MASKED, 0);
	ax_irq_fabric_apic_eoi(f->fabric, 0x51); /* masked: remote IRR clears, nothing sent */
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | MASKED);
	ax_irq_line_set_level(l, 10, false);
	rte_write(f, 10, 0x51 | LEVEL, 0);
	assert_int_equal(fake_lapic_count(&f->lapic), 4);
	/* switching an entry with remote IRR to edge drops remote IRR (Linux relies on it) */
	ax_irq_line_set_level(l, 10, true);
	assert_int_equal(rte_low(f, 10), 0x51 | LEVEL | RIRR);
	reg_write(f, 0x10 + 2 * 10, 0x51 | MASKED);
	assert_int_equal(rte_low(f, 10), 0x51 | MASKED);
	reg_write(f, 0x10 + 2 * 10, 0x51 | LEVEL);
	assert_int_equal(fake_lapic_count(&f->lapic), 6); /* still asserted: sent again */
	/* a changed vector: the EOI of the old one no longer matches */
	reg_write(f, 0x10 + 2 * 10, 0x61 | LEVEL);
	ax_irq_fabric_apic_eoi(f->fabric, 0x51);
	assert_int_equal(rte_low(f, 10), 0x61 | LEVEL | RIRR);
	ax_irq_fabric_apic_eoi(f->fabric, 0x61);
	assert_int_equal(fake_lapic_last(&f->lapic).vector, 0x61);
}

static void test_eoi_reaches_every_pin_of_the_vector(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *a = line_dev(f, "a", 16, AX_IRQ_LEVEL);
	struct ax_irq_lines *b = line_dev(f, "b", 17, AX_IRQ_LEVEL);

	rte_write(f, 16, 0x70 | LEVEL, 0);
	rte_write(f, 17, 0x70 | LEVEL, 0);
	ax_irq_line_set_level(a, 16, true);
	ax_irq_line_set_level(b, 17, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	ax_irq_line_set_level(a, 16, false);
	ax_irq_fabric_apic_eoi(f->fabric, 0x70);
	assert_int_equal(rte_low(f, 16), 0x70 | LEVEL);
	assert_int_equal(rte_low(f, 17), 0x70 | LEVEL | RIRR); /* resent */
	assert_int_equal(fake_lapic_count(&f->lapic), 3);
}

static void test_shared_level_line_is_or(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *a = line_dev(f, "a", 11, AX_IRQ_LEVEL);
	struct ax_irq_lines *b = line_dev(f, "b", 11, AX_IRQ_LEVEL);

	rte_write(f, 11, 0x5b | LEVEL, 0);
	ax_irq_line_set_level(a, 11, true);
	ax_irq_line_set_level(b, 11, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	ax_irq_line_set_level(a, 11, false);
	ax_irq_fabric_apic_eoi(f->fabric, 0x5b); /* b still holds it */
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	ax_irq_line_set_level(b, 11, false);
	ax_irq_fabric_apic_eoi(f->fabric, 0x5b);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	assert_false(f->host.irq_level[11]); /* the host never sees an owned line */
}

static void test_polarity(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *l = line_dev(f, "pci", 20, AX_IRQ_LEVEL);
	struct ax_irq_lines *e = line_dev(f, "edge", 21, AX_IRQ_EDGE);

	/* active low is stored and read back, but an idle (low) line is not asserted */
	rte_write(f, 20, 0x80 | LEVEL | LOW, 0);
	assert_int_equal(fake_lapic_count(&f->lapic), 0);
	assert_int_equal(rte_low(f, 20), 0x80 | LEVEL | LOW);
	/* the device asserting its line is an interrupt whatever the polarity */
	ax_irq_line_set_level(l, 20, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	assert_int_equal(rte_low(f, 20), 0x80 | LEVEL | LOW | RIRR);
	ax_irq_line_set_level(l, 20, false);
	ax_irq_fabric_apic_eoi(f->fabric, 0x80);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	assert_int_equal(rte_low(f, 20), 0x80 | LEVEL | LOW);
	/* active low, edge: the line's rising edge sends, its falling edge does not */
	rte_write(f, 21, 0x81 | LOW, 0);
	ax_irq_line_set_level(e, 21, true);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
	assert_int_equal(fake_lapic_last(&f->lapic).vector, 0x81);
	ax_irq_line_set_level(e, 21, false);
	assert_int_equal(fake_lapic_count(&f->lapic), 2);
}

static void test_delivery_modes(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *l = line_dev(f, "x", 7, AX_IRQ_LEVEL);
	static const unsigned modes[] = { AX_APIC_SMI, AX_APIC_NMI, AX_APIC_INIT, AX_APIC_EXTINT };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		unsigned before = fake_lapic_count(&f->lapic);

		/* level trigger without remote IRR: one message per rising edge */
		rte_write(f, 7, 0x20 | (modes[i] << 8) | LEVEL, 0);
		ax_irq_line_set_level(l, 7, true);
		assert_int_equal(fake_lapic_count(&f->lapic), before + 1);
		assert_int_equal(fake_lapic_last(&f->lapic).delivery, modes[i]);
		assert_int_equal(rte_low(f, 7), 0x20 | (modes[i] << 8) | LEVEL);
		ax_irq_fabric_apic_eoi(f->fabric, 0x20);
		assert_int_equal(fake_lapic_count(&f->lapic), before + 1);
		ax_irq_line_set_level(l, 7, false);
	}
	/* reserved modes send nothing */
	unsigned before = fake_lapic_count(&f->lapic);

	rte_write(f, 7, 0x20 | (3u << 8), 0);
	ax_irq_line_set_level(l, 7, true);
	ax_irq_line_set_level(l, 7, false);
	rte_write(f, 7, 0x20 | (6u << 8), 0);
	ax_irq_line_set_level(l, 7, true);
	assert_int_equal(fake_lapic_count(&f->lapic), before);
	assert_int_equal(stats(f).bad_mode, 2);
}

static void test_no_local_apic_drops(void **state)
{
	struct fixture *f = *state;
	struct ax_irq_lines *l = line_dev(f, "x", 3, AX_IRQ_EDGE);
	uint64_t dropped = ax_irq_fabric_dropped(f->fabric);

	fake_lapic_fini(&f->lapic);
	rte_write(f, 3, 0x33, 0);
	ax_irq_line_pulse(l, 3);
	assert_int_equal(ax_irq_fabric_dropped(f->fabric), dropped + 1);
	assert_int_equal(stats(f).sent, 1);
	fake_lapic_init(&f->lapic, f->fabric, "lapic"); /* for teardown */
}

/* A built-in device's line reaches the I/O APIC, not the host. */
static void test_uart_line_reaches_ioapic(void **state)
{
	struct fixture *f = *state;
	struct ax_emu_config u = { .name = "uart",
				   .base_gpa = 0x9000000,
				   .length = 8,
				   .irq_id = 4,
				   .emu_type = AX_EMU_CONSOLE };

	assert_int_equal(ax_devices_add_from_config(f->set, &u, NULL, &f->diag), AX_OK);
	rte_write(f, 4, 0x24 | LEVEL, 0);
	/* IER.ETBEI with an empty transmitter: THRE interrupt, line high */
	assert_int_equal(ax_devices_handle_mmio_write(f->set, 0, 0x9000001, AX_WIDTH_BYTE, 0x02),
			 AX_OK);
	assert_int_equal(fake_lapic_count(&f->lapic), 1);
	assert_int_equal(fake_lapic_last(&f->lapic).vector, 0x24);
	assert_false(f->host.irq_level[4]);
	assert_int_equal(f->host.irq_raises[4], 0);
}

/* --- configuration ----------------------------------------------------------------- */

static void test_config_errors(void **state)
{
	struct test_host host;
	struct ax_devices_params p = { .hooks = &host.hooks, .max_vcpus = 1 };
	struct ax_devices *set;
	struct ax_diag diag = { 0 };
	uint64_t pins[2] = { 0, 1 };
	struct ax_emu_config io = { .name = "io",
				    .base_gpa = BASE,
				    .length = 0x1000,
				    .emu_type = AX_EMU_IOAPIC,
				    .cfg_list = pins,
				    .cfg_len = 1 };
	uint32_t id;

	(void)state;
	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&p, NULL, &set, &diag), AX_OK);
	assert_int_equal(ax_devices_add_from_config(set, &io, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"io\": nr_pins 0 is not in 1..120");
	pins[0] = 121;
	assert_int_equal(ax_devices_add_from_config(set, &io, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"io\": nr_pins 121 is not in 1..120");
	io.cfg_len = 2;
	assert_int_equal(ax_devices_add_from_config(set, &io, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg,
			    "device \"io\": cfg_list has 2 entries, expected [] or [nr_pins]");
	io.cfg_len = 1;
	pins[0] = 120;
	io.length = 0x1f;
	assert_int_equal(ax_devices_add_from_config(set, &io, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"io\": range length 0x1f is below the 0x20 bytes "
				      "of IOREGSEL and IOWIN");
	io.length = 0x20;
	assert_int_equal(ax_devices_add_from_config(set, &io, &id, &diag), AX_OK);
	/* not removable */
	assert_int_equal(ax_devices_remove(set, id, &diag), AX_ERR_PERMISSION_DENIED);
	/* a second I/O APIC and an 8259-sized controller may share lines; a device beyond
	 * them both is a config error naming the controllers */
	struct ax_emu_config io2 = io;
	struct ax_emu_config uart = { .name = "uart",
				      .base_gpa = 0x3f8,
				      .length = 8,
				      .irq_id = 120,
				      .emu_type = AX_EMU_CONSOLE };
	uint64_t one[] = { 1 };

	io2.name = "io2";
	io2.base_gpa = BASE + 0x1000;
	pins[0] = 16;
	assert_int_equal(ax_devices_add_from_config(set, &io2, &id, &diag), AX_OK);
	uart.cfg_list = one;
	uart.cfg_len = 1;
	assert_int_equal(ax_devices_add_from_config(set, &uart, &id, &diag), AX_ERR_INVALID_INPUT);
	assert_string_equal(diag.msg, "device \"uart\": irq line 120: the set's interrupt "
				      "controllers (\"io\", 120 lines; \"io2\", 16 lines) have no "
				      "such line");
	ax_devices_destroy(set);
	test_host_fini(&host);
}

static void test_host_api_guards(void **state)
{
	struct fixture *f = *state;
	struct ax_ioapic *io;
	uint32_t id;
	struct ax_emu_config m = {
		.name = "meta", .base_gpa = 0x5000, .length = 0x10, .emu_type = AX_EMU_META
	};

	assert_int_equal(ax_devices_add_from_config(f->set, &m, &id, NULL), AX_OK);
	assert_int_equal(ax_ioapic_from_device(f->set, id, &io), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_ioapic_from_device(f->set, 999, &io), AX_ERR_NOT_FOUND);
}

static void test_emu_types(void **state)
{
	enum ax_emu_type t;
	static const struct {
		enum ax_emu_type type;
		unsigned number;
		const char *name, *short_name;
	} extra[] = {
		{ AX_EMU_IOAPIC, 0x23, "x86 I/O APIC", "ioapic" },
		{ AX_EMU_LAPIC, 0x40, "x86 local APIC", "lapic" },
		{ AX_EMU_PIC8259, 0x41, "x86 8259A PIC pair", "pic8259" },
		{ AX_EMU_GICD_V3, 0x42, "Arm interrupt controller V3 distributor", "gicd-v3" },
		{ AX_EMU_ICC, 0x43, "Arm GICv3 CPU interface system registers", "icc" },
		{ AX_EMU_ARM_TIMER, 0x44, "Arm generic timer", "arm-timer" },
	};
	unsigned n = 0, last = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		assert_int_equal(extra[i].type, extra[i].number);
		assert_int_equal(ax_emu_type_from_int(extra[i].number, &t), AX_OK);
		assert_int_equal(t, extra[i].type);
		assert_true(ax_emu_type_known(extra[i].number));
		assert_string_equal(ax_emu_type_name(t), extra[i].name);
		assert_string_equal(ax_emu_type_short_name(t), extra[i].short_name);
		assert_false(ax_emu_type_removable(t));
		assert_int_equal(ax_emu_type_from_short_name(extra[i].short_name, &t), AX_OK);
		assert_int_equal(t, extra[i].type);
	}
	/* every known type, ascending, each once */
	for (size_t i = 0; ax_emu_type_by_index(i, &t) == AX_OK; i++, n++) {
		assert_true(i == 0 || (unsigned)t > last);
		assert_non_null(ax_emu_type_short_name(t));
		last = t;
	}
	assert_int_equal(n, AX_EMU_TYPE_KNOWN);
	assert_int_equal(last, 0x44);
	for (unsigned v = 11; v < 0x100; v++)
		assert_int_equal(ax_emu_type_known(v), v == 0x23 || (v >= 0x40 && v <= 0x44));
	assert_int_equal(ax_emu_type_from_int(0x24, &t), AX_ERR_INVALID_INPUT);
	assert_null(ax_emu_type_name((enum ax_emu_type)0x45));
}

/* --- threads ---------------------------------------------------------------------- */
#define NR_RAISERS 4
#define ITERS	   20000

struct thread_arg {
	struct fixture *f;
	struct ax_irq_lines *lines;
	uint32_t line;
	unsigned seed;
	_Atomic bool *stop;
};

static void *raiser(void *p)
{
	struct thread_arg *a = p;
	unsigned s = a->seed;

	for (unsigned i = 0; i < ITERS; i++) {
		s = s * 1103515245u + 12345u;
		ax_irq_line_set_level(a->lines, a->line, (s >> 16) & 1);
	}
	ax_irq_line_set_level(a->lines, a->line, false);
	return NULL;
}

static void *programmer(void *p)
{
	struct thread_arg *a = p;
	unsigned s = a->seed, i = 0;

	while (!atomic_load(a->stop)) {
		uint32_t pin = 12 + (i++ % 2);
		uint32_t low = 0x90 + pin;

		s = s * 1103515245u + 12345u;
		if (s & 0x10000)
			low |= LEVEL;
		if (s & 0x20000)
			low |= MASKED;
		rte_write(a->f, pin, low, 0);
	}
	return NULL;
}

static void *eoier(void *p)
{
	struct thread_arg *a = p;

	while (!atomic_load(a->stop)) {
		ax_irq_fabric_apic_eoi(a->f->fabric, 0x9c);
		ax_irq_fabric_apic_eoi(a->f->fabric, 0x9d);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	pthread_t r[NR_RAISERS], prog, eoi;
	struct thread_arg ra[NR_RAISERS], pa, ea;
	_Atomic bool stop = false;
	char name[8];

	for (unsigned i = 0; i < NR_RAISERS; i++) {
		uint32_t line = 12 + i % 2; /* two devices share each line */

		snprintf(name, sizeof(name), "r%u", i);
		ra[i] = (struct thread_arg){ f, line_dev(f, name, line, AX_IRQ_LEVEL), line, i + 1,
					     &stop };
	}
	pa = (struct thread_arg){ f, NULL, 0, 99, &stop };
	ea = pa;
	assert_int_equal(pthread_create(&prog, NULL, programmer, &pa), 0);
	assert_int_equal(pthread_create(&eoi, NULL, eoier, &ea), 0);
	for (unsigned i = 0; i < NR_RAISERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, raiser, &ra[i]), 0);
	for (unsigned i = 0; i < NR_RAISERS; i++)
		pthread_join(r[i], NULL);
	atomic_store(&stop, true);
	pthread_join(prog, NULL);
	pthread_join(eoi, NULL);
	/* every message carried the vector of its pin */
	for (unsigned v = 0; v < 256; v++)
		if (v != 0x9c && v != 0x9d)
			assert_int_equal(f->lapic.by_vector[v], 0);
	/* all lines low: a fresh unmasked level entry sends nothing */
	bool lv;

	for (uint32_t pin = 12; pin < 14; pin++) {
		assert_int_equal(ax_ioapic_pin_level(f->io, pin, &lv), AX_OK);
		assert_false(lv);
	}
	unsigned n = fake_lapic_count(&f->lapic);

	ax_irq_fabric_apic_eoi(f->fabric, 0x9c);
	ax_irq_fabric_apic_eoi(f->fabric, 0x9d);
	rte_write(f, 12, 0x9c | LEVEL, 0);
	rte_write(f, 13, 0x9d | LEVEL, 0);
	assert_int_equal(fake_lapic_count(&f->lapic), n);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_id_version_arbitration),
		T(test_widths_and_offsets),
		T(test_redirection_entry_bits),
		T(test_edge_pin),
		T(test_level_pin_remote_irr_and_eoi),
		T(test_eoi_reaches_every_pin_of_the_vector),
		T(test_shared_level_line_is_or),
		T(test_polarity),
		T(test_delivery_modes),
		T(test_no_local_apic_drops),
		T(test_uart_line_reaches_ioapic),
		cmocka_unit_test(test_config_errors),
		T(test_host_api_guards),
		cmocka_unit_test(test_emu_types),
		T(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
