/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the PL011 UART through the device set's dispatch. Random
 * register accesses of every width and offset, host input, modem lines, TX
 * backpressure and polling, time passing on the fake clock (or no time
 * hooks at all), device reset. After every step the host-side snapshot
 * (ax_pl011_query, which has no side effects) must satisfy:
 *  - FR: RXFE iff the RX FIFO is empty, RXFF iff full, TXFE iff the TX FIFO
 *    is empty, BUSY iff not, TXFF iff full; capacity 32 with LCR_H.FEN, else
 *    1; the modem bits are the host's lines, or CR's outputs in loopback;
 *  - MIS == RIS & IMSC, the line level == (MIS != 0) as queried and as the
 *    host saw it; RIS.RX only at or above the RX trigger level, RIS.TX only
 *    at or below the TX level, RIS.RT only with data waiting;
 *  - registers hold only their defined bits;
 *  - DR returns the host's input in order (tracked until loopback feeds the
 *    receiver itself) with no error bits; push_input takes exactly what
 *    fits while the receiver is enabled and not in loopback, else nothing;
 *  - the identification registers never change, every access the register
 *    map allows succeeds, every other one the device sees is refused and
 *    counted, and the backend receives exactly tx_bytes bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/pl011.h>

#include "backends.h"
#include "fake_clock.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IRQ  33
#define BASE 0x09000000ull

/* From the TRM: register offsets, the widths each takes (bit w = width w). */
struct reg_rule {
	uint16_t off;
	uint8_t widths;
};

static const struct reg_rule rules[] = {
	{ 0x000, 0x16 }, { 0x004, 0x16 }, { 0x018, 0x16 }, { 0x020, 0x16 }, { 0x024, 0x14 },
	{ 0x028, 0x16 }, { 0x02c, 0x16 }, { 0x030, 0x14 }, { 0x034, 0x16 }, { 0x038, 0x14 },
	{ 0x03c, 0x14 }, { 0x040, 0x14 }, { 0x044, 0x14 }, { 0x048, 0x16 }, { 0xfe0, 0x16 },
	{ 0xfe4, 0x16 }, { 0xfe8, 0x16 }, { 0xfec, 0x16 }, { 0xff0, 0x16 }, { 0xff4, 0x16 },
	{ 0xff8, 0x16 }, { 0xffc, 0x16 },
};

static const uint8_t ids[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static const struct reg_rule *rule_at(uint64_t off)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].off == off)
			return &rules[i];
	return NULL;
}

struct model {
	uint8_t rx[64];
	size_t rx_len;
	bool rx_unknown; /* loopback fed the receiver: contents no longer tracked */
	uint8_t host_lines;
	bool level; /* as the host saw it */
	unsigned level_calls;
};

static struct model m;
static struct capture_chr chr;

static void fx_irq_set_level(void *ctx, uint32_t irq, bool level)
{
	(void)ctx;
	FUZZ_CHECK(irq == IRQ);
	FUZZ_CHECK(level != m.level); /* driven only on a change */
	m.level = level;
	m.level_calls++;
}

static size_t level_of(unsigned sel)
{
	static const uint8_t levels[5] = { 4, 8, 16, 24, 28 };

	return levels[sel > 4 ? 4 : sel];
}

static void check(struct ax_pl011 *u, bool have_chr)
{
	struct ax_pl011_status s;
	bool fen, loop;
	size_t cap, rx_trig, tx_trig;
	uint16_t lines;

	ax_pl011_query(u, &s);
	fen = s.lcr_h & 0x10;
	loop = s.cr & 0x80;
	cap = fen ? 32 : 1;
	rx_trig = fen ? level_of((s.ifls >> 3) & 7) : 1;
	tx_trig = fen ? level_of(s.ifls & 7) : 0;
	FUZZ_CHECK(s.rx_capacity == cap);
	FUZZ_CHECK(s.rx_count <= cap && s.tx_count <= cap);
	FUZZ_CHECK(!!(s.fr & 0x10) == (s.rx_count == 0));
	FUZZ_CHECK(!!(s.fr & 0x40) == (s.rx_count == cap));
	FUZZ_CHECK(!!(s.fr & 0x80) == (s.tx_count == 0));
	FUZZ_CHECK(!!(s.fr & 0x08) == (s.tx_count != 0));
	FUZZ_CHECK(!!(s.fr & 0x20) == (s.tx_count == cap));
	FUZZ_CHECK((s.fr & ~0x1ffu) == 0);
	if (loop)
		lines = (uint16_t)(((s.cr & 0x800) ? 0x01 : 0) | ((s.cr & 0x400) ? 0x02 : 0) |
				   ((s.cr & 0x1000) ? 0x04 : 0) | ((s.cr & 0x2000) ? 0x100 : 0));
	else
		lines = (uint16_t)((m.host_lines & 7) | ((m.host_lines & 8) ? 0x100 : 0));
	FUZZ_CHECK((s.fr & 0x107) == lines);

	FUZZ_CHECK(s.mis == (s.ris & s.imsc));
	FUZZ_CHECK(s.irq_level == (s.mis != 0));
	FUZZ_CHECK(m.level == s.irq_level);
	if (s.ris & 0x10)
		FUZZ_CHECK(s.rx_count >= rx_trig);
	if (s.ris & 0x20)
		FUZZ_CHECK(s.tx_count <= tx_trig);
	if (s.ris & 0x40)
		FUZZ_CHECK(s.rx_count > 0);
	FUZZ_CHECK((s.ris & 0x380) == 0); /* FE, PE, BE are never raised */

	FUZZ_CHECK(s.rsr <= 0xf && s.ilpr <= 0xff && s.fbrd <= 0x3f && s.lcr_h <= 0xff);
	FUZZ_CHECK((s.cr & 0x78) == 0 && s.ifls <= 0x3f && s.imsc <= 0x7ff && s.ris <= 0x7ff);
	FUZZ_CHECK(s.dmacr <= 7);
	if (!m.rx_unknown)
		FUZZ_CHECK(s.rx_count == m.rx_len);
	if (have_chr)
		FUZZ_CHECK(chr.len == s.tx_bytes);
}

static void rx_pop(void)
{
	memmove(m.rx, m.rx + 1, m.rx_len - 1);
	m.rx_len--;
}

/* What a successful write does to the tracked receiver. */
static void model_write(uint64_t off, uint64_t val, const struct ax_pl011_status *before)
{
	bool loop = before->cr & 0x80;

	if (off == 0x000 && loop)
		m.rx_unknown = true;
	if (off == 0x030 && (val & 0x80) && before->tx_count)
		m.rx_unknown = true; /* held-back TX bytes now loop back */
	if (off == 0x02c && ((val ^ before->lcr_h) & 0x10)) {
		m.rx_len = 0; /* FEN changed: both FIFOs emptied */
		if (!loop)
			m.rx_unknown = false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct fake_clock clk;
	struct ax_devices *set = NULL;
	struct ax_pl011 *u = NULL;
	uint8_t cfgb = fin_u8(&in);
	bool have_chr = !(cfgb & 1);
	uint64_t cfg_list[3] = { 0, 2, 1 };
	struct ax_emu_config emu = { "uart0", BASE, 0x1000, IRQ, AX_EMU_CONSOLE, cfg_list, 3 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &clk.host.hooks, .max_vcpus = 2 };
	unsigned steps = 0;

	memset(&m, 0, sizeof(m));
	m.host_lines = AX_PL011_LINES_CONNECTED;
	fake_clock_init(&clk, 1000, (cfgb & 2) ? FAKE_CLOCK_NO_TIME : 0);
	clk.host.hooks.irq_set_level = fx_irq_set_level;
	backends_clear();
	capture_chr_init(&chr);
	if (have_chr)
		backends_bind_char("uart0", &chr);
	backends_install(&clk.host);
	clk.host.hooks.irq_set_level = fx_irq_set_level;
	if (cfgb & 4)
		emu.length = 0x2000; /* room past the register page */
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, NULL) == AX_OK);
	FUZZ_CHECK(ax_pl011_from_device(set, 1, &u) == AX_OK);
	check(u, have_chr);

	while (fin_left(&in) && steps++ < 1024) {
		uint8_t op = fin_u8(&in);
		struct ax_pl011_status before;

		ax_pl011_query(u, &before);
		switch (op & 7) {
		case 0:
		case 1: { /* any access */
			uint8_t a = fin_u8(&in);
			uint64_t off =
				(a & 0x80) ? (fin_u16(&in) & 0x1fff)
					   : rules[(a & 0x7f) % (sizeof(rules) / sizeof(rules[0]))]
						     .off;
			unsigned width = (a & 0x40) ? fin_width(&in) : 4;
			uint64_t val = fin_u32(&in), v = 0x5555;
			const struct reg_rule *r = rule_at(off);
			bool allowed = r && width <= 4 && (r->widths & (1u << width));
			bool inside = width >= 1 && width <= 8 && !(width & (width - 1)) &&
				      off + width <= emu.length;
			enum ax_err err;

			if (op & 8)
				err = ax_devices_handle_write(set, AX_BUS_MMIO, op >> 7, BASE + off,
							      width, val);
			else
				err = ax_devices_handle_read(set, AX_BUS_MMIO, op >> 7, BASE + off,
							     width, &v);
			if (allowed) {
				FUZZ_CHECK(err == AX_OK);
			} else {
				struct ax_pl011_status after;

				FUZZ_CHECK(err != AX_OK);
				ax_pl011_query(u, &after);
				if (inside)
					FUZZ_CHECK(after.bad_accesses == before.bad_accesses + 1);
				else
					FUZZ_CHECK(after.bad_accesses == before.bad_accesses);
			}
			if (err != AX_OK)
				break;
			if (op & 8) {
				model_write(off,
					    width < 8 ? val & ((1ull << (8 * width)) - 1) : val,
					    &before);
				break;
			}
			FUZZ_CHECK(v <= 0xffff);
			if (off >= 0xfe0)
				FUZZ_CHECK(v ==
					   (ids[(off - 0xfe0) / 4] & ((1ull << (8 * width)) - 1)));
			if (off == 0x000 && !m.rx_unknown) {
				if (m.rx_len) {
					FUZZ_CHECK(v == m.rx[0]);
					rx_pop();
				} else {
					FUZZ_CHECK(v == 0);
				}
			}
			if (off == 0x018)
				FUZZ_CHECK(v == (before.fr & ((1ull << (8 * width)) - 1)));
			if (off == 0x040 && width >= 2)
				FUZZ_CHECK(v == before.mis);
			break;
		}
		case 2: { /* a write to a named register, the common way to reach states */
			static const uint16_t offs[] = { 0x02c, 0x030, 0x034, 0x038,
							 0x044, 0x000, 0x024, 0x028 };
			uint64_t off = offs[fin_u8(&in) % 8];
			uint64_t val = fin_u16(&in);

			/* keep the UART mostly enabled */
			if (off == 0x030 && (fin_u8(&in) & 3))
				val |= 0x301;
			FUZZ_CHECK(ax_devices_handle_write(set, AX_BUS_MMIO, 0, BASE + off, 4,
							   val) == AX_OK);
			model_write(off, val, &before);
			break;
		}
		case 3: { /* host input */
			uint8_t buf[40];
			size_t n = fin_u8(&in) % sizeof(buf), taken;
			bool open = (before.cr & 0x201) == 0x201 && !(before.cr & 0x80);

			for (size_t i = 0; i < n; i++)
				buf[i] = fin_u8(&in);
			taken = ax_pl011_push_input(u, buf, n);
			if (!open) {
				FUZZ_CHECK(taken == 0);
			} else {
				size_t room = before.rx_capacity - before.rx_count;

				FUZZ_CHECK(taken == (n < room ? n : room));
				if (!m.rx_unknown) {
					memcpy(m.rx + m.rx_len, buf, taken);
					m.rx_len += taken;
				}
			}
			break;
		}
		case 4:
			m.host_lines = fin_u8(&in) & 0x0f;
			ax_pl011_set_modem_lines(u, m.host_lines);
			break;
		case 5:
			chr.budget = (fin_u8(&in) & 3) == 0 ? SIZE_MAX : fin_u8(&in) % 8;
			if (before.cr & 0x80)
				m.rx_unknown = true;
			ax_pl011_poll_tx(u);
			break;
		case 6:
			fake_clock_advance(&clk, (uint64_t)fin_u8(&in) << (fin_u8(&in) & 15));
			break;
		default:
			if ((fin_u8(&in) & 7) == 0) {
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
				m.rx_len = 0;
				m.rx_unknown = false;
			} else {
				fake_clock_fire_stale(&clk);
			}
			break;
		}
		check(u, have_chr);
	}
	ax_devices_destroy(set);
	backends_clear();
	fake_clock_fini(&clk);
	return 0;
}
