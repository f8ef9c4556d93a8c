/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PL011 UART model, driven like a guest driver through the device set.
 * Register offsets, bits and ID values below are taken from the PL011 TRM
 * (ARM DDI 0183), not from the model, so that a mistake is not shared by
 * both sides. Time comes from the fake clock (tests/support/fake_clock.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/pl011.h>
#include <axdevice/uart16550.h>

#include "fake_clock.h"

/* Registers. */
enum {
	DR = 0x000,
	RSR = 0x004,
	ECR = 0x004,
	FR = 0x018,
	ILPR = 0x020,
	IBRD = 0x024,
	FBRD = 0x028,
	LCR_H = 0x02c,
	CR = 0x030,
	IFLS = 0x034,
	IMSC = 0x038,
	RIS = 0x03c,
	MIS = 0x040,
	ICR = 0x044,
	DMACR = 0x048,
	PERIPHID0 = 0xfe0,
	CELLID0 = 0xff0,
};

#define DR_FE 0x100
#define DR_PE 0x200
#define DR_BE 0x400
#define DR_OE 0x800

#define RSR_FE 0x1
#define RSR_OE 0x8

#define FR_CTS	0x001
#define FR_DSR	0x002
#define FR_DCD	0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI	0x100

#define LCR_H_BRK   0x01
#define LCR_H_FEN   0x10
#define LCR_H_WLEN8 0x60

#define CR_UARTEN 0x0001
#define CR_LBE	  0x0080
#define CR_TXE	  0x0100
#define CR_RXE	  0x0200
#define CR_DTR	  0x0400
#define CR_RTS	  0x0800
#define CR_OUT1	  0x1000
#define CR_OUT2	  0x2000
#define CR_ON	  (CR_UARTEN | CR_TXE | CR_RXE)

#define IFLS_RX(sel) ((sel) << 3)
#define IFLS_TX(sel) (sel)

#define INT_RI	0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX	0x010
#define INT_TX	0x020
#define INT_RT	0x040
#define INT_FE	0x080
#define INT_PE	0x100
#define INT_BE	0x200
#define INT_OE	0x400
#define INT_ALL 0x7ff

#define UART_IRQ  33
#define MMIO_BASE 0x09000000ull
#define PAGE	  0x1000
#define T0	  1000000000ull

/* 115200 baud from a 24 MHz UARTCLK, as Linux computes it: 24e6 * 4 / 115200 = 833. */
#define IBRD_115200 13
#define FBRD_115200 1
/* 32 bit periods: 32 * 16 * 833 / 64 / 24 MHz = 277666.7 ns, rounded up. */
#define RT_115200_NS 277667ull

struct fixture {
	struct fake_clock clk; /* first: hooks.ctx points here */
	struct ax_devices *set;
	struct ax_pl011 *uart;
	/* interrupt line as the model reported it */
	bool level;
	unsigned level_calls, raises, redundant_calls;
	/* char backend */
	bool bind_backend;
	struct ax_char_backend backend;
	_Atomic size_t budget; /* bytes the backend still takes; SIZE_MAX: all */
	uint8_t out[8192];
	size_t out_len;
};

static void fx_irq_set_level(void *ctx, uint32_t irq, bool level)
{
	struct fixture *fx = ctx;

	assert_int_equal(irq, UART_IRQ);
	if (level == fx->level)
		fx->redundant_calls++;
	if (level && !fx->level)
		fx->raises++;
	fx->level = level;
	fx->level_calls++;
}

static size_t fx_backend_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct fixture *fx = ctx;
	size_t budget = atomic_load(&fx->budget);
	size_t n = len < budget ? len : budget;

	if (n > sizeof(fx->out) - fx->out_len)
		n = sizeof(fx->out) - fx->out_len;
	memcpy(fx->out + fx->out_len, buf, n);
	fx->out_len += n;
	if (budget != SIZE_MAX)
		atomic_store(&fx->budget, budget - n);
	return n;
}

static const struct ax_char_backend *fx_char_backend(void *ctx, const char *name)
{
	struct fixture *fx = ctx;

	return fx->bind_backend && strcmp(name, "uart0") == 0 ? &fx->backend : NULL;
}

static void fx_init_host(struct fixture *fx, unsigned clock_flags)
{
	memset(fx, 0, sizeof(*fx));
	fake_clock_init(&fx->clk, T0, clock_flags);
	fx->clk.host.hooks.irq_set_level = fx_irq_set_level;
	fx->clk.host.hooks.char_backend = fx_char_backend;
	fx->backend.ctx = fx;
	fx->backend.write = fx_backend_write;
	fx->budget = SIZE_MAX;
	fx->bind_backend = true;
}

/* Builds a set holding one console "uart0" from (length, cfg_list). */
static enum ax_err fx_try_create(struct fixture *fx, uint64_t base, uint64_t length,
				 const uint64_t *cfg, size_t cfg_len, struct ax_diag *diag)
{
	const struct ax_emu_config emu = {
		.name = "uart0",
		.base_gpa = base,
		.length = length,
		.irq_id = UART_IRQ,
		.emu_type = AX_EMU_CONSOLE,
		.cfg_list = cfg,
		.cfg_len = cfg_len,
	};
	const struct ax_vm_device_config vm = { .emu_configs = &emu, .nr_emu_configs = 1 };
	const struct ax_devices_params params = { .hooks = &fx->clk.host.hooks, .max_vcpus = 2 };

	return ax_devices_create(&params, &vm, &fx->set, diag);
}

static const uint64_t pl011_cfg[] = { 0, 2, 1 };

static void fx_create(struct fixture *fx, unsigned clock_flags, uint64_t length)
{
	struct ax_diag diag = { 0 };
	struct ax_device_info info;

	fx_init_host(fx, clock_flags);
	if (fx_try_create(fx, MMIO_BASE, length, pl011_cfg, 3, &diag) != AX_OK)
		fail_msg("create: %s", diag.msg);
	assert_int_equal(ax_devices_find_by_name(fx->set, "uart0", &info), AX_OK);
	assert_int_equal(info.type, AX_EMU_CONSOLE);
	assert_int_equal(info.bus, AX_BUS_MMIO);
	assert_false(info.removable);
	fx->uart = NULL;
	assert_int_equal(ax_pl011_from_device(fx->set, info.id, &fx->uart), AX_OK);
	assert_non_null(fx->uart);
}

static void fx_destroy(struct fixture *fx)
{
	ax_devices_destroy(fx->set);
	fake_clock_fini(&fx->clk);
}

static int setup(void **state)
{
	static struct fixture fx;

	fx_create(&fx, 0, PAGE);
	*state = &fx;
	return 0;
}

static int setup_no_time(void **state)
{
	static struct fixture fx;

	fx_create(&fx, FAKE_CLOCK_NO_TIME, PAGE);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fx_destroy(*state);
	return 0;
}

static enum ax_err rdw(struct fixture *fx, unsigned off, unsigned width, uint64_t *val)
{
	return ax_devices_handle_read(fx->set, AX_BUS_MMIO, 0, MMIO_BASE + off, width, val);
}

static enum ax_err wrw(struct fixture *fx, unsigned off, unsigned width, uint64_t val)
{
	return ax_devices_handle_write(fx->set, AX_BUS_MMIO, 0, MMIO_BASE + off, width, val);
}

static uint32_t rd(struct fixture *fx, unsigned off)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(rdw(fx, off, 4, &val), AX_OK);
	assert_true(val <= 0xffff);
	return (uint32_t)val;
}

static void wr(struct fixture *fx, unsigned off, uint32_t val)
{
	assert_int_equal(wrw(fx, off, 4, val), AX_OK);
}

static size_t push(struct fixture *fx, const char *s, size_t n)
{
	return ax_pl011_push_input(fx->uart, (const uint8_t *)s, n);
}

static struct ax_pl011_status status(struct fixture *fx)
{
	struct ax_pl011_status st;

	ax_pl011_query(fx->uart, &st);
	return st;
}

/* UART on, FIFOs on, 8 bits, 115200 baud, the given IFLS. */
static void enable_fifo_uart(struct fixture *fx, uint32_t ifls)
{
	wr(fx, IBRD, IBRD_115200);
	wr(fx, FBRD, FBRD_115200);
	wr(fx, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	wr(fx, IFLS, ifls);
	wr(fx, CR, CR_ON);
}

static void assert_reset_values(struct fixture *fx)
{
	assert_int_equal(rd(fx, DR), 0);
	assert_int_equal(rd(fx, RSR), 0);
	assert_int_equal(rd(fx, FR), FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD);
	assert_int_equal(rd(fx, ILPR), 0);
	assert_int_equal(rd(fx, IBRD), 0);
	assert_int_equal(rd(fx, FBRD), 0);
	assert_int_equal(rd(fx, LCR_H), 0);
	assert_int_equal(rd(fx, CR), CR_TXE | CR_RXE);
	assert_int_equal(rd(fx, IFLS), 0x12);
	assert_int_equal(rd(fx, IMSC), 0);
	assert_int_equal(rd(fx, RIS), 0);
	assert_int_equal(rd(fx, MIS), 0);
	assert_int_equal(rd(fx, DMACR), 0);
	assert_false(fx->level);
	assert_int_equal(status(fx).rx_count, 0);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(status(fx).rx_capacity, 1);
}

/* --- registers ----------------------------------------------------------- */

static void test_reset_values(void **state)
{
	struct fixture *fx = *state;
	uint64_t before = status(fx).ignored_accesses;

	assert_reset_values(fx);
	/* ICR is write-only: it reads 0 and the read is counted */
	assert_int_equal(rd(fx, ICR), 0);
	assert_int_equal(status(fx).ignored_accesses, before + 1);
	assert_int_equal(status(fx).bad_accesses, 0);
}

static void test_identification_registers(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t periph[4] = { 0x11, 0x10, 0x34, 0x00 };
	static const uint8_t cell[4] = { 0x0d, 0xf0, 0x05, 0xb1 };
	uint32_t pid = 0, cid = 0;

	for (unsigned i = 0; i < 4; i++) {
		for (unsigned w = 1; w <= 4; w *= 2) {
			uint64_t v = 0xdead;

			assert_int_equal(rdw(fx, PERIPHID0 + 4 * i, w, &v), AX_OK);
			assert_int_equal(v, periph[i]);
			assert_int_equal(rdw(fx, CELLID0 + 4 * i, w, &v), AX_OK);
			assert_int_equal(v, cell[i]);
		}
		/* writes are ignored, not refused */
		wr(fx, PERIPHID0 + 4 * i, 0xff);
		wr(fx, CELLID0 + 4 * i, 0xff);
		pid |= rd(fx, PERIPHID0 + 4 * i) << (8 * i);
		cid |= rd(fx, CELLID0 + 4 * i) << (8 * i);
	}
	/* what Linux's amba bus assembles and matches (id 0x00041011, mask 0x000fffff) */
	assert_int_equal(cid, 0xb105f00du);
	assert_int_equal(pid & 0x000fffffu, 0x00041011u);
	assert_int_equal((pid >> 20) & 0xf, 3); /* revision r1p5 reports as 3 */
	assert_int_equal(status(fx).ignored_accesses, 8);
}

static void test_register_bits_read_back(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		unsigned off;
		uint32_t mask;
	} rw[] = {
		{ ILPR, 0xff }, { IBRD, 0xffff }, { FBRD, 0x3f },  { LCR_H, 0xff },
		{ CR, 0xff87 }, { IFLS, 0x3f },	  { IMSC, 0x7ff }, { DMACR, 0x7 },
	};

	for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		wr(fx, rw[i].off, 0xffffffffu);
		assert_int_equal(rd(fx, rw[i].off), rw[i].mask);
		wr(fx, rw[i].off, 0);
		assert_int_equal(rd(fx, rw[i].off), 0);
		wr(fx, rw[i].off, 0x5a5a & rw[i].mask);
		assert_int_equal(rd(fx, rw[i].off), 0x5a5a & rw[i].mask);
	}
	wr(fx, ICR, INT_ALL); /* CR's loopback bits toggled the modem lines */
	/* read-only registers ignore writes and count them */
	{
		uint64_t before = status(fx).ignored_accesses;
		uint32_t fr = rd(fx, FR);

		wr(fx, FR, 0);
		wr(fx, RIS, INT_ALL);
		wr(fx, MIS, INT_ALL);
		assert_int_equal(rd(fx, FR), fr);
		assert_int_equal(rd(fx, RIS), 0);
		assert_int_equal(status(fx).ignored_accesses, before + 3);
	}
	/* DMACR is stored only: nothing else changes */
	wr(fx, DMACR, 0x7);
	assert_int_equal(rd(fx, DMACR), 0x7);
	assert_int_equal(rd(fx, RIS), 0);
}

static void test_access_widths_and_offsets(void **state)
{
	struct fixture *fx = *state;
	static const unsigned reserved[] = { 0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c, 0x050, 0x800,
					     0xfdc, 0x001, 0x002, 0x031, 0x03e, 0xfe1, 0xff9 };
	static const unsigned wide[] = { IBRD, CR, IMSC, RIS, MIS, ICR };
	static const unsigned narrow[] = { DR, RSR, FR, ILPR, FBRD, LCR_H, IFLS, DMACR };
	unsigned refused = 0;
	uint64_t v;

	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		assert_int_equal(rdw(fx, reserved[i], 4, &v), AX_ERR_BAD_ADDRESS);
		assert_int_equal(wrw(fx, reserved[i], 4, 0), AX_ERR_BAD_ADDRESS);
		assert_int_equal(rdw(fx, reserved[i], 1, &v), AX_ERR_BAD_ADDRESS);
		refused += 3;
	}
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		assert_int_equal(rdw(fx, wide[i], 1, &v), AX_ERR_INVALID_INPUT);
		assert_int_equal(wrw(fx, wide[i], 1, 0), AX_ERR_INVALID_INPUT);
		assert_int_equal(rdw(fx, wide[i], 8, &v), AX_ERR_INVALID_INPUT);
		assert_int_equal(rdw(fx, wide[i], 2, &v), AX_OK);
		refused += 3;
	}
	for (size_t i = 0; i < sizeof(narrow) / sizeof(narrow[0]); i++) {
		for (unsigned w = 1; w <= 4; w *= 2)
			assert_int_equal(rdw(fx, narrow[i], w, &v), AX_OK);
		assert_int_equal(wrw(fx, narrow[i], 8, 0), AX_ERR_INVALID_INPUT);
		refused++;
	}
	assert_int_equal(status(fx).bad_accesses, refused);

	/* 16-bit accesses carry the whole of a 16-bit register */
	assert_int_equal(wrw(fx, CR, 2, CR_ON | CR_RTS), AX_OK);
	assert_int_equal(rdw(fx, CR, 2, &v), AX_OK);
	assert_int_equal(v, CR_ON | CR_RTS);
	/* a narrow write zero-extends */
	assert_int_equal(wrw(fx, IFLS, 1, 0x2d), AX_OK);
	assert_int_equal(rd(fx, IFLS), 0x2d);
	assert_int_equal(wrw(fx, IBRD, 2, 0xabcd), AX_OK);
	assert_int_equal(rd(fx, IBRD), 0xabcd);
	/* a byte read of FR gets its low byte (the dispatcher masks) */
	assert_int_equal(rdw(fx, FR, 1, &v), AX_OK);
	assert_int_equal(v, (FR_TXFE | FR_RXFE | FR_CTS | FR_DSR | FR_DCD) & 0xff);
}

static void test_past_the_register_page(void **state)
{
	struct fixture fx;
	uint64_t v;

	(void)state;
	fx_create(&fx, 0, 2 * PAGE);
	assert_int_equal(rdw(&fx, PAGE, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(rdw(&fx, PAGE + CELLID0, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(status(&fx).bad_accesses, 2);
	assert_int_equal(rd(&fx, CELLID0), 0x0d);
	fx_destroy(&fx);
}

static void test_lcr_h_write_latches_divisor(void **state)
{
	struct fixture *fx = *state;
	struct ax_pl011_status st;

	assert_int_equal(status(fx).rx_timeout_ns, 277778); /* unprogrammed: 115200 */
	wr(fx, IBRD, IBRD_115200);
	wr(fx, FBRD, FBRD_115200 | 0xc0); /* FBRD keeps 6 bits */
	st = status(fx);
	assert_int_equal(st.ibrd, IBRD_115200);
	assert_int_equal(st.fbrd, FBRD_115200);
	assert_int_equal(st.ibrd_latched, 0);
	assert_int_equal(st.fbrd_latched, 0);
	wr(fx, LCR_H, LCR_H_WLEN8);
	st = status(fx);
	assert_int_equal(st.ibrd_latched, IBRD_115200);
	assert_int_equal(st.fbrd_latched, FBRD_115200);
	assert_int_equal(st.rx_timeout_ns, RT_115200_NS);
	/* 9600 baud: 24e6 * 4 / 9600 = 10000 = 156 * 64 + 16 */
	wr(fx, IBRD, 156);
	wr(fx, FBRD, 16);
	assert_int_equal(status(fx).rx_timeout_ns, RT_115200_NS);
	wr(fx, LCR_H, LCR_H_WLEN8);
	assert_int_equal(status(fx).rx_timeout_ns, 3333334); /* 32 bits at 9600 baud */
}

/* --- FIFOs --------------------------------------------------------------- */

static void test_rx_fifo_holds_32_in_order(void **state)
{
	struct fixture *fx = *state;
	char in[40];

	enable_fifo_uart(fx, 0x12);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)('A' + i);
	assert_int_equal(push(fx, in, sizeof(in)), AX_PL011_FIFO_SIZE);
	assert_int_equal(push(fx, in, 1), 0);
	assert_int_equal(status(fx).rx_count, 32);
	assert_int_equal(rd(fx, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	for (size_t i = 0; i < 32; i++) {
		assert_int_equal(rd(fx, DR), (uint8_t)in[i]);
		assert_int_equal(rd(fx, FR) & FR_RXFF, 0);
	}
	assert_int_equal(rd(fx, FR) & FR_RXFE, FR_RXFE);
	assert_int_equal(rd(fx, DR), 0); /* empty */
	assert_int_equal(rd(fx, RSR), 0);
	assert_int_equal(status(fx).rx_bytes, 32);
}

static void test_without_fifos_one_entry(void **state)
{
	struct fixture *fx = *state;

	wr(fx, LCR_H, LCR_H_WLEN8);
	wr(fx, CR, CR_ON);
	assert_int_equal(status(fx).rx_capacity, 1);
	assert_int_equal(push(fx, "xyz", 3), 1);
	assert_int_equal(rd(fx, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	assert_int_equal(rd(fx, DR), 'x');
	assert_int_equal(push(fx, "yz", 2), 1);
	assert_int_equal(rd(fx, DR), 'y');
	/* TX: one entry; a backend that takes nothing fills it */
	fx->budget = 0;
	wr(fx, DR, '1');
	assert_int_equal(rd(fx, FR) & (FR_TXFF | FR_TXFE | FR_BUSY), FR_TXFF | FR_BUSY);
	wr(fx, DR, '2');
	assert_int_equal(status(fx).tx_dropped, 1);
	fx->budget = SIZE_MAX;
	assert_int_equal(ax_pl011_poll_tx(fx->uart), 0);
	assert_int_equal(fx->out_len, 1);
	assert_int_equal(fx->out[0], '1');
	assert_int_equal(rd(fx, FR) & (FR_TXFF | FR_TXFE | FR_BUSY), FR_TXFE);
}

static void test_fen_change_empties_fifos(void **state)
{
	struct fixture *fx = *state;

	enable_fifo_uart(fx, 0x12);
	assert_int_equal(push(fx, "abcdef", 6), 6);
	fx->budget = 0;
	wr(fx, DR, 'q');
	assert_int_equal(status(fx).tx_count, 1);
	/* rewriting LCR_H with FEN unchanged keeps the data */
	wr(fx, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	assert_int_equal(status(fx).rx_count, 6);
	assert_int_equal(status(fx).tx_count, 1);
	wr(fx, LCR_H, LCR_H_WLEN8);
	assert_int_equal(status(fx).rx_count, 0);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(rd(fx, FR) & (FR_RXFE | FR_TXFE), FR_RXFE | FR_TXFE);
	assert_false(status(fx).rx_timeout_armed);
}

static void test_rx_trigger_levels(void **state)
{
	struct fixture *fx = *state;
	static const size_t level[8] = { 4, 8, 16, 24, 28, 28, 28, 28 };
	char buf[32];

	memset(buf, 'r', sizeof(buf));
	enable_fifo_uart(fx, 0);
	wr(fx, IMSC, INT_RX);
	for (unsigned sel = 0; sel < 8; sel++) {
		wr(fx, IFLS, IFLS_RX(sel) | IFLS_TX(2));
		assert_int_equal(rd(fx, IFLS), IFLS_RX(sel) | IFLS_TX(2));
		assert_int_equal(push(fx, buf, level[sel] - 1), level[sel] - 1);
		assert_int_equal(rd(fx, RIS) & INT_RX, 0);
		assert_false(fx->level);
		assert_int_equal(push(fx, buf, 1), 1);
		assert_int_equal(rd(fx, RIS) & INT_RX, INT_RX);
		assert_int_equal(rd(fx, MIS), INT_RX);
		assert_true(fx->level);
		/* reading one below the level clears it */
		rd(fx, DR);
		assert_int_equal(rd(fx, RIS) & INT_RX, 0);
		assert_false(fx->level);
		/* the next arrival at the level raises it again; ICR clears it */
		push(fx, buf, 1);
		assert_true(fx->level);
		wr(fx, ICR, INT_RX);
		assert_int_equal(rd(fx, RIS) & INT_RX, 0);
		assert_false(fx->level);
		while (!(rd(fx, FR) & FR_RXFE))
			rd(fx, DR);
	}
	/* without FIFOs one character is the level */
	wr(fx, LCR_H, LCR_H_WLEN8);
	push(fx, "z", 1);
	assert_int_equal(rd(fx, MIS), INT_RX);
	assert_int_equal(rd(fx, DR), 'z');
	assert_int_equal(rd(fx, MIS), 0);
	/* lowering the level below the FIFO's contents raises RX */
	wr(fx, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	wr(fx, IFLS, IFLS_RX(4));
	push(fx, buf, 5);
	assert_int_equal(rd(fx, MIS), 0);
	wr(fx, IFLS, IFLS_RX(0));
	assert_int_equal(rd(fx, MIS), INT_RX);
	wr(fx, IFLS, IFLS_RX(1));
	assert_int_equal(rd(fx, MIS), 0);
}

static void test_tx_interrupt_rules(void **state)
{
	struct fixture *fx = *state;
	static const size_t level[5] = { 4, 8, 16, 24, 28 };

	enable_fifo_uart(fx, IFLS_RX(2) | IFLS_TX(2));
	wr(fx, IMSC, INT_TX);
	/* a transition, not a level: an idle, enabled transmitter raises nothing */
	assert_int_equal(rd(fx, RIS), 0);
	assert_false(fx->level);
	/* data leaving the FIFO (at once here) raises it */
	wr(fx, DR, 'a');
	assert_int_equal(rd(fx, RIS), INT_TX);
	assert_true(fx->level);
	wr(fx, ICR, INT_TX);
	assert_false(fx->level);
	assert_int_equal(rd(fx, RIS), 0);

	/* with backpressure, each level: filling above it clears, draining to it raises */
	for (unsigned sel = 0; sel < 5; sel++) {
		wr(fx, IFLS, IFLS_RX(2) | IFLS_TX(sel));
		wr(fx, DR, 'b'); /* leaves at once: TX raised */
		assert_true(fx->level);
		fx->budget = 0;
		for (size_t i = 0; i < level[sel]; i++)
			wr(fx, DR, 'c');
		assert_true(fx->level); /* still at the level */
		wr(fx, DR, 'd');	/* above it */
		assert_int_equal(rd(fx, RIS) & INT_TX, 0);
		assert_false(fx->level);
		/* the backend takes all but level + 1: nothing crosses yet */
		fx->budget = 0;
		assert_int_equal(ax_pl011_poll_tx(fx->uart), level[sel] + 1);
		assert_false(fx->level);
		fx->budget = 1;
		assert_int_equal(ax_pl011_poll_tx(fx->uart), level[sel]);
		assert_true(fx->level);
		fx->budget = SIZE_MAX;
		assert_int_equal(ax_pl011_poll_tx(fx->uart), 0);
		wr(fx, ICR, INT_TX);
	}
	/* without FIFOs: a single write clears, the byte leaving raises */
	wr(fx, LCR_H, LCR_H_WLEN8);
	wr(fx, ICR, INT_ALL);
	fx->budget = 0;
	wr(fx, DR, 'e');
	assert_false(fx->level);
	fx->budget = SIZE_MAX;
	ax_pl011_poll_tx(fx->uart);
	assert_true(fx->level);
	wr(fx, DR, 'f'); /* a write clears it, the byte leaving raises it again */
	assert_true(fx->level);
	assert_int_equal(fx->redundant_calls, 0);
}

/* --- receive timeout ----------------------------------------------------- */

static void test_rx_timeout_against_fake_clock(void **state)
{
	struct fixture *fx = *state;
	uint64_t deadline;

	enable_fifo_uart(fx, IFLS_RX(2));
	wr(fx, IMSC, INT_RT | INT_RX);
	assert_int_equal(push(fx, "ls\r", 3), 3);
	assert_int_equal(rd(fx, RIS), 0);
	assert_int_equal(fake_clock_armed(&fx->clk, &deadline), 1);
	assert_int_equal(deadline, T0 + RT_115200_NS);
	fake_clock_advance(&fx->clk, RT_115200_NS - 1);
	assert_int_equal(rd(fx, RIS), 0);
	assert_false(fx->level);
	fake_clock_advance(&fx->clk, 1);
	assert_int_equal(rd(fx, RIS), INT_RT);
	assert_int_equal(rd(fx, MIS), INT_RT);
	assert_true(fx->level);
	assert_int_equal(status(fx).rx_timeouts, 1);
	/* reading leaves RT until the FIFO is empty */
	assert_int_equal(rd(fx, DR), 'l');
	assert_int_equal(rd(fx, DR), 's');
	assert_true(fx->level);
	assert_int_equal(rd(fx, DR), '\r');
	assert_int_equal(rd(fx, RIS), 0);
	assert_false(fx->level);

	/* every arrival starts the silence again */
	push(fx, "a", 1);
	fake_clock_advance(&fx->clk, RT_115200_NS / 2);
	push(fx, "b", 1);
	fake_clock_advance(&fx->clk, RT_115200_NS / 2 + 10);
	assert_false(fx->level);
	fake_clock_advance(&fx->clk, RT_115200_NS / 2);
	assert_true(fx->level);
	/* ICR clears RT with data still there; it stays clear until new data */
	wr(fx, ICR, INT_RT);
	assert_false(fx->level);
	fake_clock_advance(&fx->clk, 10 * RT_115200_NS);
	assert_false(fx->level);
	push(fx, "c", 1);
	fake_clock_advance(&fx->clk, RT_115200_NS);
	assert_true(fx->level);
	rd(fx, DR);
	rd(fx, DR);
	rd(fx, DR);
	assert_false(fx->level);

	/* emptying the FIFO before the deadline disarms it; a stale callback does nothing */
	push(fx, "d", 1);
	assert_int_equal(rd(fx, DR), 'd');
	assert_int_equal(fake_clock_armed(&fx->clk, NULL), 0);
	fake_clock_fire_stale(&fx->clk);
	fake_clock_advance(&fx->clk, 2 * RT_115200_NS);
	assert_int_equal(rd(fx, RIS), 0);
	/* a callback that comes early (re-armed since) does nothing either */
	push(fx, "e", 1);
	fake_clock_fire_stale(&fx->clk);
	assert_int_equal(rd(fx, RIS), 0);
	assert_true(status(fx).rx_timeout_armed);
	/* at or above the RX level both RX and RT may be pending */
	{
		char buf[16];

		memset(buf, 'f', sizeof(buf));
		push(fx, buf, 15);
		assert_int_equal(rd(fx, RIS), INT_RX);
		fake_clock_advance(&fx->clk, RT_115200_NS);
		assert_int_equal(rd(fx, RIS), INT_RX | INT_RT);
	}
	/* reset disarms */
	ax_devices_reset(fx->set);
	assert_int_equal(fake_clock_armed(&fx->clk, NULL), 0);
	assert_reset_values(fx);
}

static void test_rx_timeout_follows_the_baud_rate(void **state)
{
	struct fixture *fx = *state;

	wr(fx, IBRD, 156);
	wr(fx, FBRD, 16);
	wr(fx, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	wr(fx, CR, CR_ON);
	wr(fx, IMSC, INT_RT);
	push(fx, "x", 1);
	fake_clock_advance(&fx->clk, 3333333);
	assert_false(fx->level);
	fake_clock_advance(&fx->clk, 1);
	assert_true(fx->level);
}

static void test_rx_timeout_without_time_hooks(void **state)
{
	struct fixture *fx = *state;

	enable_fifo_uart(fx, IFLS_RX(2));
	wr(fx, IMSC, INT_RT);
	assert_int_equal(status(fx).rx_timeout_ns, 0);
	/* the timeout has zero length: RT comes with the character */
	push(fx, "k", 1);
	assert_int_equal(rd(fx, RIS), INT_RT);
	assert_true(fx->level);
	assert_false(status(fx).rx_timeout_armed);
	assert_int_equal(rd(fx, DR), 'k');
	assert_false(fx->level);
	assert_int_equal(status(fx).rx_timeouts, 1);
}

/* --- interrupts ---------------------------------------------------------- */

static void test_modem_interrupts_mis_imsc_icr(void **state)
{
	struct fixture *fx = *state;

	ax_pl011_set_modem_lines(fx->uart, AX_PL011_LINE_DSR); /* CTS and DCD drop */
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_DSR);
	assert_int_equal(rd(fx, RIS), INT_CTS | INT_DCD);
	assert_int_equal(rd(fx, MIS), 0);
	assert_false(fx->level);
	wr(fx, IMSC, INT_DCD);
	assert_int_equal(rd(fx, MIS), INT_DCD);
	assert_true(fx->level);
	ax_pl011_set_modem_lines(fx->uart, AX_PL011_LINE_DSR | AX_PL011_LINE_RI);
	assert_int_equal(rd(fx, FR) & FR_RI, FR_RI);
	assert_int_equal(rd(fx, RIS), INT_CTS | INT_DCD | INT_RI);
	wr(fx, IMSC, INT_ALL);
	assert_int_equal(rd(fx, MIS), INT_CTS | INT_DCD | INT_RI);
	wr(fx, ICR, INT_CTS | INT_RI);
	assert_int_equal(rd(fx, RIS), INT_DCD);
	assert_true(fx->level);
	wr(fx, IMSC, INT_ALL & ~INT_DCD);
	assert_int_equal(rd(fx, MIS), 0);
	assert_false(fx->level);
	wr(fx, IMSC, INT_ALL);
	assert_true(fx->level);
	wr(fx, ICR, 0xffff);
	assert_int_equal(rd(fx, RIS), 0);
	assert_false(fx->level);
	/* the same lines again: no change, no interrupt */
	ax_pl011_set_modem_lines(fx->uart, AX_PL011_LINE_DSR | AX_PL011_LINE_RI);
	assert_int_equal(rd(fx, RIS), 0);
	assert_int_equal(fx->redundant_calls, 0);
	/* reset keeps the host's lines */
	ax_devices_reset(fx->set);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_DSR | FR_RI);
	assert_int_equal(rd(fx, RIS), 0);
}

static void test_loopback(void **state)
{
	struct fixture *fx = *state;

	enable_fifo_uart(fx, IFLS_RX(0));
	wr(fx, CR, CR_ON | CR_LBE);
	wr(fx, IMSC, INT_RX);
	assert_int_equal(push(fx, "no", 2), 0); /* the receiver is cut off from the line */
	for (const char *p = "loop"; *p; p++)
		wr(fx, DR, (uint8_t)*p);
	assert_int_equal(fx->out_len, 0);
	assert_int_equal(status(fx).rx_count, 4);
	assert_true(fx->level);
	assert_int_equal(rd(fx, DR), 'l');
	assert_int_equal(rd(fx, DR), 'o');
	assert_int_equal(rd(fx, DR), 'o');
	assert_int_equal(rd(fx, DR), 'p');
	assert_false(fx->level);

	/* modem outputs drive the inputs: RTS->CTS, DTR->DSR, Out1->DCD, Out2->RI */
	wr(fx, ICR, INT_ALL);
	wr(fx, CR, CR_ON | CR_LBE);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), 0);
	wr(fx, CR, CR_ON | CR_LBE | CR_RTS);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_CTS);
	wr(fx, CR, CR_ON | CR_LBE | CR_DTR);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_DSR);
	wr(fx, CR, CR_ON | CR_LBE | CR_OUT1);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_DCD);
	wr(fx, CR, CR_ON | CR_LBE | CR_OUT2);
	assert_int_equal(rd(fx, FR) & (FR_CTS | FR_DSR | FR_DCD | FR_RI), FR_RI);
	assert_int_equal(rd(fx, RIS) & (INT_CTS | INT_DSR | INT_DCD | INT_RI),
			 INT_CTS | INT_DSR | INT_DCD | INT_RI);

	/* leaving loopback: bytes held back by the backend go to it now */
	wr(fx, CR, CR_ON);
	fx->budget = 0;
	wr(fx, DR, 'h');
	wr(fx, DR, 'i');
	fx->budget = SIZE_MAX;
	wr(fx, CR, CR_ON | CR_LBE);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(rd(fx, DR), 'h');
	assert_int_equal(rd(fx, DR), 'i');
	assert_int_equal(fx->out_len, 0);
}

static void test_overrun_in_loopback(void **state)
{
	struct fixture *fx = *state;

	wr(fx, LCR_H, LCR_H_WLEN8); /* one-entry holding register */
	wr(fx, CR, CR_ON | CR_LBE);
	wr(fx, IMSC, INT_OE);
	wr(fx, DR, '1');
	assert_int_equal(rd(fx, RSR), 0);
	wr(fx, DR, '2'); /* lost */
	assert_int_equal(rd(fx, RSR), RSR_OE);
	assert_int_equal(rd(fx, RIS) & INT_OE, INT_OE);
	assert_true(fx->level);
	assert_int_equal(status(fx).rx_overruns, 1);
	assert_int_equal(rd(fx, DR), '1');
	/* the next character stored carries OE in DR */
	wr(fx, DR, '3');
	assert_int_equal(rd(fx, DR), '3' | DR_OE);
	assert_int_equal(rd(fx, RSR), RSR_OE);
	wr(fx, ECR, 0);
	assert_int_equal(rd(fx, RSR), 0);
	assert_true(fx->level); /* RIS.OE until ICR */
	wr(fx, ICR, INT_OE);
	assert_false(fx->level);
	/* with FIFOs, the 33rd character overruns */
	wr(fx, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	for (unsigned i = 0; i < 33; i++)
		wr(fx, DR, 'a' + (i % 26));
	assert_int_equal(status(fx).rx_count, 32);
	assert_int_equal(status(fx).rx_overruns, 2);
	assert_int_equal(rd(fx, FR) & FR_RXFF, FR_RXFF);
	assert_int_equal(rd(fx, DR), 'a');
}

/* --- backend ------------------------------------------------------------- */

static void test_tx_reaches_backend_in_order(void **state)
{
	struct fixture *fx = *state;
	const char *msg = "Hello from the PL011\n";

	enable_fifo_uart(fx, 0x12);
	for (const char *p = msg; *p; p++)
		wr(fx, DR, (uint8_t)*p);
	assert_int_equal(fx->out_len, strlen(msg));
	assert_memory_equal(fx->out, msg, strlen(msg));
	assert_int_equal(status(fx).tx_bytes, strlen(msg));
	assert_int_equal(status(fx).tx_while_disabled, 0);
	/* byte and halfword writes to DR transmit the low byte */
	assert_int_equal(wrw(fx, DR, 1, '!'), AX_OK);
	assert_int_equal(wrw(fx, DR, 2, 0x0f00 | '?'), AX_OK);
	assert_int_equal(fx->out[fx->out_len - 2], '!');
	assert_int_equal(fx->out[fx->out_len - 1], '?');
}

static void test_tx_while_disabled_still_goes_out(void **state)
{
	struct fixture *fx = *state;

	/* reset CR: TXE|RXE without UARTEN, as Linux's earlycon may find it */
	wr(fx, DR, 'e');
	wr(fx, CR, 0);
	wr(fx, DR, 'c');
	assert_int_equal(fx->out_len, 2);
	assert_int_equal(status(fx).tx_while_disabled, 2);
	/* the receiver takes nothing until UARTEN and RXE are set */
	assert_int_equal(push(fx, "x", 1), 0);
	wr(fx, CR, CR_UARTEN | CR_TXE);
	assert_int_equal(push(fx, "x", 1), 0);
	wr(fx, CR, CR_UARTEN | CR_RXE);
	assert_int_equal(push(fx, "x", 1), 1);
}

static void test_tx_without_backend_is_discarded_and_counted(void **state)
{
	struct fixture *fx = *state;

	fx->bind_backend = false;
	wr(fx, CR, CR_ON);
	wr(fx, DR, 'x');
	wr(fx, DR, 'y');
	assert_int_equal(status(fx).tx_discarded, 2);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(rd(fx, FR) & (FR_TXFE | FR_BUSY), FR_TXFE);
	fx->bind_backend = true;
	wr(fx, DR, 'z');
	assert_int_equal(fx->out_len, 1);
}

static void test_tx_backpressure_keeps_bytes(void **state)
{
	struct fixture *fx = *state;
	char want[64];

	enable_fifo_uart(fx, 0x12);
	fx->budget = 5;
	for (unsigned i = 0; i < 40; i++) {
		want[i] = (char)('0' + i);
		wr(fx, DR, (uint8_t)want[i]);
	}
	/* 5 taken, 32 held, 3 lost */
	assert_int_equal(fx->out_len, 5);
	assert_int_equal(status(fx).tx_count, 32);
	assert_int_equal(status(fx).tx_dropped, 3);
	assert_int_equal(rd(fx, FR) & (FR_TXFF | FR_TXFE | FR_BUSY), FR_TXFF | FR_BUSY);
	fx->budget = 10;
	assert_int_equal(ax_pl011_poll_tx(fx->uart), 22);
	assert_int_equal(rd(fx, FR) & (FR_TXFF | FR_TXFE | FR_BUSY), FR_BUSY);
	fx->budget = SIZE_MAX;
	assert_int_equal(ax_pl011_poll_tx(fx->uart), 0);
	assert_int_equal(fx->out_len, 37);
	assert_memory_equal(fx->out, want, 37);
	assert_int_equal(rd(fx, FR) & (FR_TXFF | FR_TXFE | FR_BUSY), FR_TXFE);
	/* across the ring's end, still in order */
	fx->budget = 0;
	for (unsigned i = 0; i < 20; i++)
		wr(fx, DR, (uint8_t)('a' + i));
	fx->budget = SIZE_MAX;
	ax_pl011_poll_tx(fx->uart);
	assert_int_equal(fx->out_len, 57);
	assert_memory_equal(fx->out + 37, "abcdefghijklmnopqrst", 20);
	assert_int_equal(status(fx).tx_bytes, 57);
}

static void test_reset_restores_power_on_state(void **state)
{
	struct fixture *fx = *state;

	enable_fifo_uart(fx, 0x3f);
	wr(fx, ILPR, 7);
	wr(fx, DMACR, 3);
	wr(fx, IMSC, INT_ALL);
	push(fx, "data", 4);
	fx->budget = 0;
	wr(fx, DR, 'x');
	fake_clock_advance(&fx->clk, RT_115200_NS);
	assert_true(fx->level);
	ax_devices_reset(fx->set);
	assert_reset_values(fx);
	assert_int_equal(status(fx).ibrd_latched, 0);
	assert_int_equal(status(fx).rx_bytes, 4); /* counters are kept */
	assert_int_equal(fake_clock_armed(&fx->clk, NULL), 0);
}

/* --- config -------------------------------------------------------------- */

static void test_config_builds_and_refuses(void **state)
{
	static const struct {
		uint64_t length;
		uint64_t cfg[4];
		size_t cfg_len;
		const char *why;
	} bad[] = {
		{ PAGE, { 1, 2, 1 }, 3, "MMIO bus only" },
		{ PAGE, { 2, 2, 1 }, 3, "cfg_list[0] (bus)" },
		{ PAGE, { 0, 0, 1 }, 3, "reg_shift" },
		{ PAGE, { 0, 1, 1 }, 3, "4 bytes apart" },
		{ PAGE - 4, { 0, 2, 1 }, 3, "too small" },
		{ 0x100, { 0, 2, 1 }, 3, "register page" },
		{ PAGE, { 0, 2, 0 }, 3, "at most 2" },
		{ PAGE, { 0, 2, 2 }, 3, "only 1 (PL011)" },
		{ PAGE, { 0, 2, 1, 0 }, 4, "or 3 with model 1" },
	};
	struct fixture fx;
	struct ax_uart16550 *u16550 = NULL;
	struct ax_pl011 *pl = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ax_diag diag = { 0 };

		fx_init_host(&fx, 0);
		fx.set = NULL;
		assert_int_not_equal(fx_try_create(&fx, MMIO_BASE, bad[i].length, bad[i].cfg,
						   bad[i].cfg_len, &diag),
				     AX_OK);
		assert_null(fx.set);
		if (!strstr(diag.msg, "\"uart0\"") || !strstr(diag.msg, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"uart0\" or \"%s\"", i, diag.msg,
				 bad[i].why);
		fake_clock_fini(&fx.clk);
	}
	/* [0, 2, 1] is a PL011; the 16550 accessor refuses it, and the other way round */
	fx_create(&fx, 0, PAGE);
	assert_int_equal(ax_uart16550_from_device(fx.set, 1, &u16550), AX_ERR_INVALID_INPUT);
	assert_null(u16550);
	assert_int_equal(ax_pl011_from_device(fx.set, 99, &pl), AX_ERR_NOT_FOUND);
	assert_int_equal(rd(&fx, CELLID0 + 12), 0xb1);
	fx_destroy(&fx);
	{
		static const uint64_t cfg16550[] = { 0, 2 };
		struct ax_diag diag = { 0 };

		fx_init_host(&fx, 0);
		assert_int_equal(fx_try_create(&fx, MMIO_BASE, 32, cfg16550, 2, &diag), AX_OK);
		assert_int_equal(ax_pl011_from_device(fx.set, 1, &pl), AX_ERR_INVALID_INPUT);
		assert_null(pl);
		assert_int_equal(ax_uart16550_from_device(fx.set, 1, &u16550), AX_OK);
		fx_destroy(&fx);
	}
	/* the NULL-tolerant host API */
	assert_int_equal(ax_pl011_push_input(NULL, (const uint8_t *)"x", 1), 0);
	assert_int_equal(ax_pl011_poll_tx(NULL), 0);
	ax_pl011_set_modem_lines(NULL, 0);
	ax_pl011_query(NULL, NULL);
}

/* --- Linux's amba-pl011 driver, replayed --------------------------------- */

/*
 * What drivers/tty/serial/amba-pl011.c does, written from its behaviour: the
 * amba bus reads the IDs; probe masks and clears every interrupt; startup
 * (hwinit, IFLS, CR, enable_interrupts) and set_termios (CR off, IBRD, FBRD,
 * LCR_H, CR back); transmit through start_tx and the interrupt handler;
 * shutdown. Accesses are 16-bit (readw/writew) as the driver uses on an Arm
 * PL011; the interrupt handler loops on MIS.
 */
struct linux_drv {
	struct fixture *fx;
	uint16_t im;
	const char *xmit;
	size_t xmit_len, xmit_pos;
	char rx[512];
	size_t rx_len;
	unsigned isr_runs;
};

static uint16_t lrd(struct linux_drv *d, unsigned off)
{
	uint64_t v = 0;

	assert_int_equal(rdw(d->fx, off, 2, &v), AX_OK);
	return (uint16_t)v;
}

static void lwr(struct linux_drv *d, unsigned off, uint16_t v)
{
	assert_int_equal(wrw(d->fx, off, 2, v), AX_OK);
}

/* Returns true while characters remain. */
static bool linux_tx_chars(struct linux_drv *d, bool from_irq)
{
	int count = 32 >> 1;

	while (d->xmit_pos < d->xmit_len) {
		if (from_irq && count-- == 0)
			break;
		if (!from_irq && (lrd(d, FR) & FR_TXFF))
			break;
		lwr(d, DR, (uint8_t)d->xmit[d->xmit_pos++]);
	}
	if (d->xmit_pos == d->xmit_len) {
		d->im &= (uint16_t)~INT_TX; /* stop_tx */
		lwr(d, IMSC, d->im);
		return false;
	}
	return true;
}

static void linux_start_tx(struct linux_drv *d, const char *s)
{
	d->xmit = s;
	d->xmit_len = strlen(s);
	d->xmit_pos = 0;
	if (linux_tx_chars(d, false)) {
		d->im |= INT_TX;
		lwr(d, IMSC, d->im);
	}
}

static void linux_isr(struct linux_drv *d)
{
	unsigned pass = 256;
	uint16_t status = lrd(d, MIS);

	d->isr_runs++;
	while (status) {
		lwr(d, ICR, status & (uint16_t) ~(INT_TX | INT_RT | INT_RX));
		if (status & (INT_RT | INT_RX)) {
			for (unsigned max = 256; max--;) {
				uint16_t ch;

				if (lrd(d, FR) & FR_RXFE)
					break;
				ch = lrd(d, DR);
				assert_int_equal(ch & (DR_OE | DR_BE | DR_PE | DR_FE), 0);
				d->rx[d->rx_len++] = (char)ch;
			}
		}
		if (status & INT_TX)
			linux_tx_chars(d, true);
		if (pass-- == 0)
			break;
		status = lrd(d, MIS);
	}
}

static void test_linux_driver_replay(void **state)
{
	struct fixture *fx = *state;
	struct linux_drv d = { .fx = fx };
	uint32_t pid = 0, cid = 0;
	uint16_t cr;
	static const char banner[] = "[    0.000000] Booting Linux on physical CPU 0x0 "
				     "[0x410fd034]\n[    0.000000] Linux version 6.1.0\n";

	/* amba bus: the IDs, read as 32-bit words */
	for (unsigned i = 0; i < 4; i++) {
		pid |= (rd(fx, PERIPHID0 + 4 * i) & 0xff) << (8 * i);
		cid |= (rd(fx, CELLID0 + 4 * i) & 0xff) << (8 * i);
	}
	assert_int_equal(cid, 0xb105f00du);
	assert_int_equal(pid & 0x000fffffu, 0x00041011u);

	/* probe: mask and clear everything */
	lwr(&d, IMSC, 0);
	lwr(&d, ICR, 0xffff);

	/* startup: hwinit clears errors and RX interrupts, masks all */
	lwr(&d, ICR, INT_OE | INT_BE | INT_PE | INT_FE | INT_RT | INT_RX);
	d.im = lrd(&d, IMSC);
	lwr(&d, IMSC, 0);
	lwr(&d, IFLS, IFLS_RX(2) | IFLS_TX(2));
	cr = lrd(&d, CR) & (CR_RTS | CR_DTR);
	lwr(&d, CR, cr | CR_UARTEN | CR_RXE | CR_TXE);
	/* enable_interrupts: clear RX, drain stale input, unmask RT and RX */
	lwr(&d, ICR, INT_RT | INT_RX);
	for (unsigned i = 0; i < 64 && !(lrd(&d, FR) & FR_RXFE); i++)
		lrd(&d, DR);
	d.im = INT_RT | INT_RX;
	lwr(&d, IMSC, d.im);
	assert_false(fx->level);

	/* set_termios: 115200 8N1 with FIFOs, the UART off while it changes */
	cr = lrd(&d, CR);
	lwr(&d, CR, 0);
	lwr(&d, IBRD, IBRD_115200);
	lwr(&d, FBRD, FBRD_115200);
	lwr(&d, LCR_H, LCR_H_WLEN8 | LCR_H_FEN);
	lwr(&d, CR, cr);
	assert_int_equal(status(fx).rx_timeout_ns, RT_115200_NS);

	/* console output with a slow backend: start_tx fills the FIFO, the ISR the rest */
	fx->budget = 40;
	linux_start_tx(&d, banner);
	assert_true(lrd(&d, FR) & FR_TXFF);
	assert_true(d.im & INT_TX);
	assert_false(fx->level); /* the FIFO is above its level */
	while (d.xmit_pos < d.xmit_len || status(fx).tx_count) {
		fx->budget = 7;
		ax_pl011_poll_tx(fx->uart);
		while (fx->level)
			linux_isr(&d);
	}
	assert_int_equal(fx->out_len, strlen(banner));
	assert_memory_equal(fx->out, banner, strlen(banner));
	assert_int_equal(d.im & INT_TX, 0);
	assert_false(fx->level);
	fx->budget = SIZE_MAX;

	/* typing a short command: below the RX level, the timeout brings it in */
	assert_int_equal(push(fx, "ls\r", 3), 3);
	assert_false(fx->level);
	fake_clock_advance(&fx->clk, RT_115200_NS);
	assert_true(fx->level);
	linux_isr(&d);
	assert_false(fx->level);
	assert_int_equal(d.rx_len, 3);
	assert_memory_equal(d.rx, "ls\r", 3);
	/* a paste: the RX level raises it at once */
	assert_int_equal(push(fx, "0123456789abcdefghij", 20), 20);
	assert_true(fx->level);
	linux_isr(&d);
	assert_false(fx->level);
	assert_int_equal(d.rx_len, 23);
	assert_memory_equal(d.rx + 3, "0123456789abcdefghij", 20);
	assert_int_equal(fake_clock_armed(&fx->clk, NULL), 0);
	/* echo from the ISR's point of view: a short write, no TX interrupt left over */
	linux_start_tx(&d, "ls\r\n");
	assert_false(fx->level);

	/* shutdown: mask and clear, UART off keeping RTS/DTR, FIFOs and break off */
	d.im = 0;
	lwr(&d, IMSC, 0);
	lwr(&d, ICR, 0xffff);
	cr = lrd(&d, CR) & (CR_RTS | CR_DTR);
	lwr(&d, CR, cr | CR_UARTEN | CR_TXE);
	lwr(&d, LCR_H, lrd(&d, LCR_H) & (uint16_t) ~(LCR_H_BRK | LCR_H_FEN));
	assert_false(fx->level);
	assert_int_equal(push(fx, "x", 1), 0); /* RXE is off */
	assert_int_equal(fx->redundant_calls, 0);
}

/* --- threads ------------------------------------------------------------- */

#define STREAM_LEN 20000

struct thread_ctx {
	struct fixture *fx;
	atomic_bool done;
};

static void *pusher(void *arg)
{
	struct thread_ctx *t = arg;
	size_t sent = 0;

	while (sent < STREAM_LEN) {
		uint8_t chunk[7];
		size_t n = STREAM_LEN - sent < sizeof(chunk) ? STREAM_LEN - sent : sizeof(chunk);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((sent + i) * 31);
		sent += ax_pl011_push_input(t->fx->uart, chunk, n);
	}
	return NULL;
}

/* The host's timer thread: time moves and the receive timeout fires. */
static void *ticker(void *arg)
{
	struct thread_ctx *t = arg;

	while (!atomic_load(&t->done))
		fake_clock_advance(&t->fx->clk, RT_115200_NS / 3);
	return NULL;
}

/* A host thread pushes while a vCPU reads and time runs: every byte arrives once, in order. */
static void test_input_from_another_thread(void **state)
{
	struct fixture *fx = *state;
	struct thread_ctx t = { .fx = fx };
	pthread_t push_thread, tick_thread;
	size_t got = 0;

	enable_fifo_uart(fx, IFLS_RX(1));
	wr(fx, IMSC, INT_RX | INT_RT);
	assert_int_equal(pthread_create(&push_thread, NULL, pusher, &t), 0);
	assert_int_equal(pthread_create(&tick_thread, NULL, ticker, &t), 0);
	while (got < STREAM_LEN) {
		uint64_t fr, val;

		assert_int_equal(ax_devices_handle_mmio_read(fx->set, 1, MMIO_BASE + FR, 2, &fr),
				 AX_OK);
		if (fr & FR_RXFE)
			continue;
		assert_int_equal(ax_devices_handle_mmio_read(fx->set, 1, MMIO_BASE + DR, 2, &val),
				 AX_OK);
		assert_int_equal(val, (uint8_t)(got * 31));
		got++;
	}
	assert_int_equal(pthread_join(push_thread, NULL), 0);
	atomic_store(&t.done, true);
	assert_int_equal(pthread_join(tick_thread, NULL), 0);
	assert_int_equal(status(fx).rx_bytes, STREAM_LEN);
	assert_int_equal(status(fx).rx_overruns, 0);
	assert_int_equal(rd(fx, RIS) & (INT_RX | INT_RT), 0);
	assert_false(fx->level);
}

#define TEST(fn)	 cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TEST_NO_TIME(fn) cmocka_unit_test_setup_teardown(fn, setup_no_time, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_reset_values),
		TEST(test_identification_registers),
		TEST(test_register_bits_read_back),
		TEST(test_access_widths_and_offsets),
		cmocka_unit_test(test_past_the_register_page),
		TEST(test_lcr_h_write_latches_divisor),
		TEST(test_rx_fifo_holds_32_in_order),
		TEST(test_without_fifos_one_entry),
		TEST(test_fen_change_empties_fifos),
		TEST(test_rx_trigger_levels),
		TEST(test_tx_interrupt_rules),
		TEST(test_rx_timeout_against_fake_clock),
		TEST(test_rx_timeout_follows_the_baud_rate),
		TEST_NO_TIME(test_rx_timeout_without_time_hooks),
		TEST(test_modem_interrupts_mis_imsc_icr),
		TEST(test_loopback),
		TEST(test_overrun_in_loopback),
		TEST(test_tx_reaches_backend_in_order),
		TEST(test_tx_while_disabled_still_goes_out),
		TEST(test_tx_without_backend_is_discarded_and_counted),
		TEST(test_tx_backpressure_keeps_bytes),
		TEST(test_reset_restores_power_on_state),
		cmocka_unit_test(test_config_builds_and_refuses),
		TEST(test_linux_driver_replay),
		TEST(test_input_from_another_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
