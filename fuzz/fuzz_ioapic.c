/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the I/O APIC through the device set: guest accesses (any
 * offset and width), device lines (shared level lines among several
 * claimants), EOI broadcasts and resets. Oracle: a small reference model
 * written from the 82093AA datasheet and include/axdevice/ioapic.h, which
 * predicts every register read and every message. After each step:
 *  - every guest read returns what the reference says;
 *  - every redirection entry and pin level (host API) equals the reference;
 *  - the messages the (fake) local APIC received are exactly the predicted
 *    ones, in order;
 * and as invariants independent of the reference: delivery status and
 * reserved bits read 0, remote IRR is only ever set on level entries with
 * fixed or lowest-priority delivery, a message never comes from a masked
 * entry, and its vector, mode, destination and trigger are the entry's.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/ioapic.h>

#include "fake_irq.h"
#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE	  0xfec00000ull
#define LEN	  0x1000u
#define MAX_PINS  120u
#define MAX_LINES 24u /* lines driven by devices */
#define NR_DEVS	  7   /* six cover 0..23, four lines each; one more shares 0..3 */
#define MAX_MSGS  1024

struct ref_pin {
	uint64_t rte;
	bool dev_level[NR_DEVS]; /* each claimant's level */
};

static struct {
	uint32_t nr_pins, regsel, id;
	struct ref_pin pins[MAX_PINS];
	struct ax_apic_msg exp[MAX_MSGS];
	unsigned nexp;
} ref;

static bool ref_line(const struct ref_pin *p)
{
	for (unsigned d = 0; d < NR_DEVS; d++)
		if (p->dev_level[d])
			return true;
	return false;
}

/* Polarity (bit 13) is read back only: the line is the devices' logical level. */
static bool ref_asserted(const struct ref_pin *p)
{
	return ref_line(p);
}

static unsigned ref_mode(uint64_t rte)
{
	return (unsigned)(rte >> 8) & 7;
}

static bool ref_masked(uint64_t rte)
{
	return (rte >> 16) & 1;
}

/* Level entries waiting for an EOI: fixed and lowest priority only. */
static bool ref_irr_entry(uint64_t rte)
{
	return ((rte >> 15) & 1) && ref_mode(rte) <= 1;
}

static void ref_send(struct ref_pin *p)
{
	struct ax_apic_msg m;

	if (ref_mode(p->rte) == 3 || ref_mode(p->rte) == 6)
		return;
	memset(&m, 0, sizeof(m));
	m.vector = (uint8_t)p->rte;
	m.delivery = (enum ax_apic_delivery)ref_mode(p->rte);
	m.logical = (p->rte >> 11) & 1;
	m.dest = (uint8_t)(p->rte >> 56);
	m.level_trigger = (p->rte >> 15) & 1;
	if (ref_irr_entry(p->rte))
		p->rte |= 1ull << 14;
	if (ref.nexp < MAX_MSGS)
		ref.exp[ref.nexp] = m;
	ref.nexp++;
}

static bool ref_wants_level_send(const struct ref_pin *p)
{
	return ref_irr_entry(p->rte) && !ref_masked(p->rte) && !((p->rte >> 14) & 1) &&
	       ref_asserted(p);
}

static void ref_set_dev_level(uint32_t pin, unsigned dev, bool level)
{
	struct ref_pin *p = &ref.pins[pin];
	bool before = ref_asserted(p);

	p->dev_level[dev] = level;
	if (ref_masked(p->rte))
		return;
	if (ref_irr_entry(p->rte)) {
		if (ref_wants_level_send(p))
			ref_send(p);
	} else if (!before && ref_asserted(p)) {
		ref_send(p);
	}
}

static void ref_write_half(uint32_t pin, bool high, uint32_t v)
{
	struct ref_pin *p = &ref.pins[pin];
	/* vector, mode, dest mode, polarity, trigger, mask; destination */
	const uint64_t writable = 0xffull << 56 | 0x1afffull;
	uint64_t want =
		high ? (p->rte & 0xffffffffull) | (uint64_t)v << 32 : (p->rte & ~0xffffffffull) | v;
	uint64_t rirr = p->rte & (1ull << 14);

	p->rte = want & writable;
	if (ref_irr_entry(p->rte))
		p->rte |= rirr;
	if (ref_wants_level_send(p))
		ref_send(p);
}

static uint32_t ref_read_index(uint32_t i)
{
	if (i == 0 || i == 2)
		return ref.id;
	if (i == 1)
		return 0x11u | (ref.nr_pins - 1) << 16;
	if (i >= 0x10 && i < 0x10 + 2 * ref.nr_pins) {
		uint64_t rte = ref.pins[(i - 0x10) / 2].rte;

		return (uint32_t)((i & 1) ? rte >> 32 : rte);
	}
	return 0;
}

static void ref_write_index(uint32_t i, uint32_t v)
{
	if (i == 0)
		ref.id = v & 0x0f000000u;
	else if (i >= 0x10 && i < 0x10 + 2 * ref.nr_pins)
		ref_write_half((i - 0x10) / 2, i & 1, v);
}

static void ref_eoi(uint8_t vector)
{
	for (uint32_t i = 0; i < ref.nr_pins; i++) {
		struct ref_pin *p = &ref.pins[i];

		if (!((p->rte >> 14) & 1) || (uint8_t)p->rte != vector)
			continue;
		p->rte &= ~(1ull << 14);
		if (ref_wants_level_send(p))
			ref_send(p);
	}
}

static void ref_reset(void)
{
	ref.regsel = 0;
	ref.id = 0;
	for (uint32_t i = 0; i < ref.nr_pins; i++)
		ref.pins[i].rte = 1ull << 16;
}

/* --- the device under test ------------------------------------------------------------ */

static struct ax_devices *set;
static struct ax_ioapic *io;
static struct fake_lapic lapic;
static struct ax_irq_lines *dev_lines[NR_DEVS];
static uint32_t dev_first[NR_DEVS], dev_count[NR_DEVS];
static unsigned seen; /* messages checked so far */

static void check_state(void)
{
	unsigned n = fake_lapic_count(&lapic);

	FUZZ_CHECK(n == ref.nexp);
	for (; seen < n && seen < MAX_MSGS && seen < FAKE_LAPIC_LOG; seen++) {
		const struct ax_apic_msg *got = &lapic.log[seen], *want = &ref.exp[seen];

		FUZZ_CHECK(got->vector == want->vector && got->delivery == want->delivery &&
			   got->logical == want->logical && got->dest == want->dest &&
			   got->level_trigger == want->level_trigger);
		FUZZ_CHECK(got->delivery != 3 && got->delivery != 6);
	}
	seen = n;
	for (uint32_t pin = 0; pin < ref.nr_pins; pin++) {
		uint64_t e = 0;
		bool lv = false;

		FUZZ_CHECK(ax_ioapic_entry(io, pin, &e) == AX_OK);
		if (e != ref.pins[pin].rte)
			fprintf(stderr, "pin %u: model 0x%llx reference 0x%llx\n", pin,
				(unsigned long long)e, (unsigned long long)ref.pins[pin].rte);
		FUZZ_CHECK(e == ref.pins[pin].rte);
		FUZZ_CHECK((e & (1ull << 12)) == 0);	      /* delivery status */
		FUZZ_CHECK((e & 0x00fffffffffe0000ull) == 0); /* reserved */
		if (e & (1ull << 14))
			FUZZ_CHECK(((e >> 15) & 1) && ((e >> 8) & 7) <= 1);
		FUZZ_CHECK(ax_ioapic_pin_level(io, pin, &lv) == AX_OK);
		FUZZ_CHECK(lv == ref_line(&ref.pins[pin]));
	}
}

/* Entries at the time of a message: it came from an unmasked entry with that vector. */
static void check_new_messages_came_from_unmasked(unsigned before)
{
	unsigned n = fake_lapic_count(&lapic);

	for (unsigned k = before; k < n && k < FAKE_LAPIC_LOG; k++) {
		const struct ax_apic_msg *m = &lapic.log[k];
		bool found = false;

		for (uint32_t pin = 0; pin < ref.nr_pins && !found; pin++) {
			uint64_t e = ref.pins[pin].rte;

			found = !ref_masked(e) && (uint8_t)e == m->vector &&
				ref_mode(e) == (unsigned)m->delivery;
		}
		FUZZ_CHECK(found);
	}
}

static void add_devices(struct ax_diag *diag)
{
	static const uint64_t triggers[4] = { AX_IRQ_LEVEL, AX_IRQ_LEVEL, AX_IRQ_LEVEL,
					      AX_IRQ_LEVEL };
	uint32_t lines = ref.nr_pins < MAX_LINES ? ref.nr_pins : MAX_LINES;

	for (unsigned d = 0; d < NR_DEVS; d++) {
		uint32_t first = d < NR_DEVS - 1 ? 4 * d : 0;
		uint32_t count = first >= lines ? 0 : (lines - first < 4 ? lines - first : 4);
		char name[8] = { 'd', (char)('0' + d), 0 };
		struct ax_emu_config c = { name,  0x100000 + d * 0x1000u, 0x100,
					   first, FAKE_LINE_KIND,	  triggers,
					   count };
		uint32_t id;

		dev_lines[d] = NULL;
		dev_first[d] = first;
		dev_count[d] = count;
		if (!count)
			continue;
		FUZZ_CHECK(ax_devices_add_from_config(set, &c, &id, diag) == AX_OK);
		dev_lines[d] = fake_line_lines(set, id);
	}
}

static uint64_t gen_offset(struct fin *in)
{
	switch (fin_u8(in) & 7) {
	case 0:
	case 1:
	case 2:
		return 0x00;
	case 3:
	case 4:
	case 5:
		return 0x10;
	default:
		return fin_u16(in) % LEN;
	}
}

static uint32_t gen_index(struct fin *in)
{
	uint8_t sel = fin_u8(in);

	if (sel & 0x80)
		return fin_u8(in);
	if (sel & 0x40)
		return sel & 3;
	return 0x10 + fin_u8(in) % (2 * ref.nr_pins + 2);
}

/* An entry value biased towards working ones. */
static uint32_t gen_low(struct fin *in)
{
	uint32_t v = fin_u32(in);

	if (v & 0x80000000u)
		v &= 0x1ffff; /* defined bits only */
	if ((v & 0x40000000u) && !(v & 0x20000000u))
		v &= ~(1u << 16); /* unmasked */
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t pin_choices[4] = { 24, 8, 16, 120 };
	static struct ax_device_kind kinds[1];
	struct fin in = { data, size };
	struct test_host host;
	struct ax_diag diag = { 0 };
	uint64_t pins_cfg[1];
	struct ax_emu_config emu = { "ioapic", BASE, LEN, 0, AX_EMU_IOAPIC, pins_cfg, 1 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 2 };
	uint32_t io_id;
	unsigned steps = 0;

	memset(&ref, 0, sizeof(ref));
	ref.nr_pins = pin_choices[fin_u8(&in) & 3];
	pins_cfg[0] = ref.nr_pins;
	ref_reset();
	seen = 0;
	kinds[0] = fake_line_kind;
	params.kinds = kinds;
	params.nr_kinds = 1;
	test_host_init(&host, false);
	FUZZ_CHECK(ax_devices_create(&params, NULL, &set, &diag) == AX_OK);
	fake_lapic_init(&lapic, fake_set_fabric(set), "lapic");
	FUZZ_CHECK(ax_devices_add_from_config(set, &emu, &io_id, &diag) == AX_OK);
	FUZZ_CHECK(ax_ioapic_from_device(set, io_id, &io) == AX_OK);
	add_devices(&diag);

	while (fin_left(&in) && steps++ < 128) {
		uint8_t op = fin_u8(&in);
		unsigned before = fake_lapic_count(&lapic);

		switch (op & 7) {
		case 0:
		case 1: { /* program a register the way a driver does: IOREGSEL then IOWIN */
			uint32_t index = gen_index(&in);
			uint32_t v = (index >= 0x10 && !(index & 1)) ? gen_low(&in) : fin_u32(&in);

			FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, BASE, 4, index) == AX_OK);
			ref.regsel = index & 0xff;
			FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, BASE + 0x10, 4, v) ==
				   AX_OK);
			ref_write_index(ref.regsel, v);
			break;
		}
		case 2: { /* any access */
			uint64_t off = gen_offset(&in);
			unsigned width = fin_width(&in);
			uint64_t v = fin_u64(&in), got = 0;
			bool write = op & 8;
			enum ax_err err = write ? ax_devices_handle_mmio_write(set, op >> 7,
									       BASE + off, width, v)
						: ax_devices_handle_mmio_read(
							  set, op >> 7, BASE + off, width, &got);

			if (!ax_width_valid(width)) {
				FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
				break;
			}
			if (off + width > LEN) {
				FUZZ_CHECK(err == AX_ERR_BAD_ADDRESS);
				break;
			}
			FUZZ_CHECK(err == AX_OK);
			if (width != 4 || (off != 0 && off != 0x10)) {
				FUZZ_CHECK(write || got == 0);
			} else if (off == 0) {
				if (write)
					ref.regsel = (uint32_t)v & 0xff;
				else
					FUZZ_CHECK(got == ref.regsel);
			} else if (write) {
				ref_write_index(ref.regsel, (uint32_t)v);
			} else {
				FUZZ_CHECK(got == ref_read_index(ref.regsel));
			}
			break;
		}
		case 3:
		case 4:
		case 5: { /* a device drives one of its lines */
			unsigned d = fin_u8(&in) % NR_DEVS;
			bool level = fin_bool(&in);
			uint32_t line;

			if (!dev_lines[d])
				break;
			line = dev_first[d] + fin_u8(&in) % dev_count[d];
			if (op & 0x10) { /* a pulse: an edge only when nobody holds the line */
				ax_irq_line_pulse(dev_lines[d], line);
				if (!ref_line(&ref.pins[line])) {
					ref_set_dev_level(line, d, true);
					ref_set_dev_level(line, d, false);
				}
			} else {
				ax_irq_line_set_level(dev_lines[d], line, level);
				ref_set_dev_level(line, d, level);
			}
			break;
		}
		case 6: { /* EOI broadcast, mostly of a vector in use */
			uint8_t v = fin_u8(&in);

			if (!(op & 8) && ref.nr_pins)
				v = (uint8_t)ref.pins[v % ref.nr_pins].rte;
			ax_irq_fabric_apic_eoi(fake_set_fabric(set), v);
			ref_eoi(v);
			break;
		}
		default:
			if ((op & 0xf0) == 0xf0) {
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
				ref_reset();
			}
			break;
		}
		check_new_messages_came_from_unmasked(before);
		check_state();
	}
	fake_lapic_fini(&lapic);
	ax_devices_destroy(set);
	test_host_fini(&host);
	return 0;
}
