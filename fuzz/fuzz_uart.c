/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the 16550A UART through the device set's dispatch. Random
 * register accesses of every width (port or MMIO bus, reg_shift 0 or 2),
 * host input, modem lines, TX backpressure and polling, device reset.
 * After every step the host-side snapshot (ax_uart16550_query, which has no
 * side effects) must satisfy:
 *  - IIR names the highest-priority pending source given IER, LSR, MSR and
 *    the RX FIFO level (THRE's latch is not observable: when THRE interrupts
 *    are enabled and the transmitter is empty, "THRE" or the next lower
 *    source are both accepted); IIR[7:6] follows FCR.0;
 *  - the irq line level equals "a source is pending" (gated by OUT2 and
 *    loopback on the port bus), both as queried and as the host saw it;
 *  - LSR.DR / THRE / TEMT follow the FIFO counts; counts within capacity;
 *  - RBR returns the host's input bytes in order (tracked by the harness
 *    until loopback feeds the receiver itself), and the backend receives
 *    exactly tx_bytes bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/uart16550.h>

#include "backends.h"
#include "fuzz_input.h"
#include "host_posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IRQ 4

struct model {
	uint8_t rx[64];
	size_t rx_len;
	bool rx_unknown; /* loopback fed the receiver: contents no longer tracked */
};

static void rx_pop(struct model *m)
{
	memmove(m->rx, m->rx + 1, m->rx_len - 1);
	m->rx_len--;
}

static void check(struct ax_uart16550 *u, const struct test_host *host, bool port_bus,
		  const struct model *m, const struct capture_chr *chr, bool have_chr)
{
	struct ax_uart16550_status s;
	uint8_t src, want, trigger;
	static const uint8_t triggers[4] = { 1, 4, 8, 14 };
	bool fifos, connected, thre_possible;

	ax_uart16550_query(u, &s);
	fifos = s.fcr & 1;
	FUZZ_CHECK((s.iir & 0xc0) == (fifos ? 0xc0 : 0));
	FUZZ_CHECK((s.iir & 0x30) == 0);
	FUZZ_CHECK((s.ier & 0xf0) == 0 && (s.mcr & 0xe0) == 0);
	FUZZ_CHECK(s.rx_capacity == (fifos ? AX_UART16550_FIFO_SIZE : 1));
	FUZZ_CHECK(s.rx_count <= s.rx_capacity && s.tx_count <= s.rx_capacity);
	FUZZ_CHECK(!!(s.lsr & 0x01) == (s.rx_count > 0));
	FUZZ_CHECK(!!(s.lsr & 0x20) == (s.tx_count == 0));
	FUZZ_CHECK(!!(s.lsr & 0x40) == (s.tx_count == 0));
	if (s.mcr & 0x10) {
		uint8_t lines = (uint8_t)(((s.mcr & 1) ? 0x20 : 0) | ((s.mcr & 2) ? 0x10 : 0) |
					  ((s.mcr & 4) ? 0x40 : 0) | ((s.mcr & 8) ? 0x80 : 0));

		FUZZ_CHECK((s.msr & 0xf0) == lines);
	}

	src = s.iir & 0x0f;
	trigger = fifos ? triggers[s.fcr >> 6] : 1;
	thre_possible = (s.ier & 0x02) && s.tx_count == 0;
	if ((s.ier & 0x04) && (s.lsr & 0x1e))
		want = 0x06;
	else if ((s.ier & 0x01) && s.rx_count)
		want = s.rx_count >= trigger ? 0x04 : 0x0c;
	else if ((s.ier & 0x08) && (s.msr & 0x0f))
		want = 0x00;
	else
		want = 0x01;
	if (want == 0x06 || want == 0x04 || want == 0x0c)
		FUZZ_CHECK(src == want);
	else
		FUZZ_CHECK(src == want || (src == 0x02 && thre_possible));
	if (src == 0x0c)
		FUZZ_CHECK(fifos || trigger == 1);

	connected = !port_bus || ((s.mcr & 0x08) && !(s.mcr & 0x10));
	FUZZ_CHECK(s.irq_level == (src != 0x01 && connected));
	FUZZ_CHECK(host->irq_level[IRQ] == s.irq_level);

	if (!m->rx_unknown)
		FUZZ_CHECK(s.rx_count == m->rx_len);
	if (have_chr)
		FUZZ_CHECK(s.tx_bytes == chr->len);
	else
		FUZZ_CHECK(s.tx_bytes == 0);
}

/* Tracks what a successful write of `val` to register `reg` does to the receiver. */
static void model_write(struct model *m, int reg, uint8_t val,
			const struct ax_uart16550_status *before)
{
	bool loop = before->mcr & 0x10;

	if (reg < 0 || (before->lcr & 0x80 && reg < 2))
		return;
	if (reg == 0 && loop)
		m->rx_unknown = true; /* loopback into the receiver */
	if (reg == 4 && (val & 0x10) && before->tx_count)
		m->rx_unknown = true; /* held-back TX bytes now loop back */
	if (reg == 2 && ((val & 1) != (before->fcr & 1) || ((val & 1) && (val & 2)))) {
		m->rx_len = 0; /* mode switch or RX clear empties the receiver */
		if (!loop)
			m->rx_unknown = false;
	}
}

/* The register an access at `off` reaches, or -1. */
static int reg_at(uint64_t off, unsigned shift, unsigned width)
{
	if (width != 1 && !(shift == 2 && width == 4))
		return -1;
	if (off & ((1u << shift) - 1) || (off >> shift) >= 8)
		return -1;
	return (int)(off >> shift);
}

static struct capture_chr chr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	struct test_host host;
	struct ax_devices *set = NULL;
	struct ax_uart16550 *u = NULL;
	struct model m;
	uint8_t cfgb = fin_u8(&in);
	bool port_bus = cfgb & 1;
	unsigned shift = (cfgb & 2) ? 2 : 0;
	bool have_chr = !(cfgb & 4);
	uint64_t base = port_bus ? 0x3f8 : 0x10000000;
	uint64_t cfg_list[2] = { port_bus ? 1u : 0u, shift };
	struct ax_emu_config emu = { "ttyS0", base, 8u << shift, IRQ, AX_EMU_CONSOLE, cfg_list, 2 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 2 };
	unsigned steps = 0;

	memset(&m, 0, sizeof(m));
	test_host_init(&host, false);
	backends_clear();
	capture_chr_init(&chr);
	if (have_chr)
		backends_bind_char("ttyS0", &chr);
	backends_install(&host);
	if (cfgb & 8)
		emu.length = 0x1000; /* room past the registers */
	FUZZ_CHECK(ax_devices_create(&params, &vm, &set, NULL) == AX_OK);
	FUZZ_CHECK(ax_uart16550_from_device(set, 1, &u) == AX_OK);
	check(u, &host, port_bus, &m, &chr, have_chr);

	while (fin_left(&in) && steps++ < 1024) {
		uint8_t op = fin_u8(&in);
		struct ax_uart16550_status before;

		ax_uart16550_query(u, &before);
		switch (op & 7) {
		case 0:
		case 1:
		case 2: { /* guest access */
			uint8_t a = fin_u8(&in);
			unsigned width = (a & 0x80) ? fin_width(&in) : (shift ? 4u : 1u);
			uint64_t off =
				((uint64_t)(a & 7) << shift) + ((a & 0x40) ? (a >> 3 & 7) : 0);
			bool write = op & 8;
			uint64_t val = fin_u8(&in) | ((uint64_t)fin_u8(&in) << 8);
			enum ax_err err;
			bool plain = !(a & 0xc0);

			if (write) {
				err = ax_devices_handle_write(set,
							      port_bus ? AX_BUS_PORT : AX_BUS_MMIO,
							      op >> 7, base + off, width, val);
				if (err == AX_OK)
					model_write(&m, reg_at(off, shift, width), (uint8_t)val,
						    &before);
			} else {
				uint64_t v = 0x55;

				err = ax_devices_handle_read(set,
							     port_bus ? AX_BUS_PORT : AX_BUS_MMIO,
							     op >> 7, base + off, width, &v);
				int reg = reg_at(off, shift, width);

				if (err == AX_OK && reg == 0 && !(before.lcr & 0x80)) {
					if (!m.rx_unknown && m.rx_len) {
						FUZZ_CHECK(v == m.rx[0]);
						rx_pop(&m);
					} else if (!m.rx_unknown) {
						FUZZ_CHECK(v == 0);
					}
				}
				if (err == AX_OK)
					FUZZ_CHECK(v <= 0xff);
				if (err == AX_OK && reg == 5)
					FUZZ_CHECK(v == before.lsr);
				if (err == AX_OK && reg == 6)
					FUZZ_CHECK(v == before.msr);
				if (err == AX_OK && reg == 2)
					FUZZ_CHECK((v & 0xf) == (before.iir & 0xf) ||
						   (before.iir & 0xf) == 0x02);
			}
			if (plain)
				FUZZ_CHECK(err == AX_OK);
			else
				FUZZ_CHECK(err == AX_OK || err == AX_ERR_INVALID_INPUT ||
					   err == AX_ERR_BAD_ADDRESS || err == AX_ERR_NOT_FOUND);
			break;
		}
		case 3: { /* host input */
			uint8_t buf[24];
			size_t n = fin_u8(&in) % sizeof(buf), taken;

			for (size_t i = 0; i < n; i++)
				buf[i] = fin_u8(&in);
			taken = ax_uart16550_push_input(u, buf, n);
			if (before.mcr & 0x10) {
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
			ax_uart16550_set_modem_lines(u, fin_u8(&in));
			break;
		case 5:
			chr.budget = (fin_u8(&in) & 3) == 0 ? SIZE_MAX : fin_u8(&in) % 8;
			if (before.mcr & 0x10)
				m.rx_unknown = true;
			ax_uart16550_poll_tx(u);
			break;
		case 6:
			if ((fin_u8(&in) & 7) == 0) {
				FUZZ_CHECK(ax_devices_reset(set) == AX_OK);
				m.rx_len = 0;
				m.rx_unknown = false;
			} else {
				if (before.mcr & 0x10)
					m.rx_unknown = true;
				ax_uart16550_poll_tx(u);
			}
			break;
		default: { /* a write to a named register, the common way to reach states */
			static const uint8_t regs[] = { 1, 2, 3, 4, 0 };
			uint8_t r = regs[fin_u8(&in) % 5], v = fin_u8(&in);
			enum ax_err err;

			err = ax_devices_handle_write(set, port_bus ? AX_BUS_PORT : AX_BUS_MMIO, 0,
						      base + ((uint64_t)r << shift), shift ? 4 : 1,
						      v);
			FUZZ_CHECK(err == AX_OK);
			model_write(&m, r, v, &before);
			break;
		}
		}
		check(u, &host, port_bus, &m, &chr, have_chr);
	}
	ax_devices_destroy(set);
	backends_clear();
	test_host_fini(&host);
	return 0;
}
