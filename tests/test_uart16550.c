/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16550A UART model, driven like a guest driver through the device set.
 * Register offsets and bits below are taken from the PC16550D datasheet
 * (not from the model) so that a mistake is not shared by both sides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/uart16550.h>

#include "host_posix.h"

/* Registers (DLAB = 0), and the divisor latch (DLAB = 1). */
enum { RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
enum { DLL = 0, DLM = 1, EFR = 2 };

#define IIR_NONE    0x01
#define IIR_MODEM   0x00
#define IIR_THRE    0x02
#define IIR_RXDATA  0x04
#define IIR_RXLINE  0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO    0xc0

#define IER_RX	  0x01
#define IER_TX	  0x02
#define IER_LINE  0x04
#define IER_MODEM 0x08

#define FCR_ON	    0x01
#define FCR_CLR_RX  0x02
#define FCR_CLR_TX  0x04
#define FCR_64BYTE  0x20 /* 16750 only */
#define FCR_TRIG_1  0x00
#define FCR_TRIG_4  0x40
#define FCR_TRIG_8  0x80
#define FCR_TRIG_14 0xc0
#define LCR_DLAB    0x80
#define LCR_8N1	    0x03
#define LCR_CONF_B  0xbf /* Linux's UART_LCR_CONF_MODE_B: opens the EFR on 16650s */
#define MCR_DTR	    0x01
#define MCR_RTS	    0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define LSR_DR	    0x01
#define LSR_OE	    0x02
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define MSR_DCTS    0x01
#define MSR_DDSR    0x02
#define MSR_TERI    0x04
#define MSR_DDCD    0x08
#define MSR_CTS	    0x10
#define MSR_DSR	    0x20
#define MSR_RI	    0x40
#define MSR_DCD	    0x80

#define UART_IRQ  4
#define MMIO_BASE 0x10000000ull
#define COM1	  0x3f8

struct fixture {
	struct test_host host; /* first: hooks.ctx points here */
	struct ax_devices *set;
	struct ax_uart16550 *uart;
	enum ax_bus bus;
	uint64_t base;
	unsigned shift;
	/* interrupt line as the model reported it */
	bool level;
	unsigned level_calls, raises, redundant_calls;
	/* char backend */
	bool bind_backend;
	struct ax_char_backend backend;
	size_t budget; /* bytes the backend still takes; SIZE_MAX: all */
	uint8_t out[4096];
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
	size_t n = len < fx->budget ? len : fx->budget;

	if (n > sizeof(fx->out) - fx->out_len)
		n = sizeof(fx->out) - fx->out_len;
	memcpy(fx->out + fx->out_len, buf, n);
	fx->out_len += n;
	if (fx->budget != SIZE_MAX)
		fx->budget -= n;
	return n;
}

static const struct ax_char_backend *fx_char_backend(void *ctx, const char *name)
{
	struct fixture *fx = ctx;

	return fx->bind_backend && strcmp(name, "com1") == 0 ? &fx->backend : NULL;
}

static void fx_init_host(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	test_host_init(&fx->host, false);
	fx->host.hooks.irq_set_level = fx_irq_set_level;
	fx->host.hooks.char_backend = fx_char_backend;
	fx->backend.ctx = fx;
	fx->backend.write = fx_backend_write;
	fx->budget = SIZE_MAX;
	fx->bind_backend = true;
}

/* Builds a set holding one console "com1" from (base, length, cfg_list). */
static enum ax_err fx_try_create(struct fixture *fx, uint64_t base, uint64_t length,
				 const uint64_t *cfg, size_t cfg_len, struct ax_diag *diag)
{
	const struct ax_emu_config emu = {
		.name = "com1",
		.base_gpa = base,
		.length = length,
		.irq_id = UART_IRQ,
		.emu_type = AX_EMU_CONSOLE,
		.cfg_list = cfg,
		.cfg_len = cfg_len,
	};
	const struct ax_vm_device_config vm = { .emu_configs = &emu, .nr_emu_configs = 1 };
	const struct ax_devices_params params = { .hooks = &fx->host.hooks, .max_vcpus = 2 };

	return ax_devices_create(&params, &vm, &fx->set, diag);
}

static void fx_create(struct fixture *fx, uint64_t base, uint64_t length, const uint64_t *cfg,
		      size_t cfg_len)
{
	struct ax_diag diag = { 0 };
	struct ax_device_info info;

	fx_init_host(fx);
	assert_int_equal(fx_try_create(fx, base, length, cfg, cfg_len, &diag), AX_OK);
	assert_int_equal(ax_devices_find_by_name(fx->set, "com1", &info), AX_OK);
	assert_int_equal(info.type, AX_EMU_CONSOLE);
	assert_false(info.removable);
	fx->uart = NULL;
	assert_int_equal(ax_uart16550_from_device(fx->set, info.id, &fx->uart), AX_OK);
	assert_non_null(fx->uart);
	fx->bus = info.bus;
	fx->base = base;
	fx->shift = cfg_len > 1 ? (unsigned)cfg[1] : 0;
}

static int setup_mmio(void **state)
{
	static struct fixture fx;

	fx_create(&fx, MMIO_BASE, 8, NULL, 0);
	*state = &fx;
	return 0;
}

static int setup_port(void **state)
{
	static struct fixture fx;
	static const uint64_t cfg[] = { 1, 0 };

	fx_create(&fx, COM1, 8, cfg, 2);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ax_devices_destroy(fx->set);
	test_host_fini(&fx->host);
	return 0;
}

static uint8_t rd(struct fixture *fx, unsigned reg)
{
	uint64_t val = 0xdead;

	assert_int_equal(
		ax_devices_handle_read(fx->set, fx->bus, 0, fx->base + (reg << fx->shift), 1, &val),
		AX_OK);
	assert_true(val <= 0xff);
	return (uint8_t)val;
}

static void wr(struct fixture *fx, unsigned reg, uint8_t val)
{
	assert_int_equal(
		ax_devices_handle_write(fx->set, fx->bus, 0, fx->base + (reg << fx->shift), 1, val),
		AX_OK);
}

static size_t push(struct fixture *fx, const char *s, size_t n)
{
	return ax_uart16550_push_input(fx->uart, (const uint8_t *)s, n);
}

static struct ax_uart16550_status status(struct fixture *fx)
{
	struct ax_uart16550_status st;

	ax_uart16550_query(fx->uart, &st);
	return st;
}

static void assert_power_on_state(struct fixture *fx)
{
	assert_int_equal(rd(fx, IER), 0);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	assert_int_equal(rd(fx, LCR), 0);
	assert_int_equal(rd(fx, MCR), 0);
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
	assert_int_equal(rd(fx, SCR), 0);
	wr(fx, LCR, LCR_DLAB);
	assert_int_equal(rd(fx, DLL), 0x0c);
	assert_int_equal(rd(fx, DLM), 0x00);
	wr(fx, LCR, 0);
	assert_false(fx->level);
}

/* --- registers ----------------------------------------------------------- */

static void test_reset_values(void **state)
{
	struct fixture *fx = *state;
	struct ax_uart16550_status st = status(fx);

	assert_int_equal(st.fcr, 0);
	assert_int_equal(st.rx_capacity, 1);
	assert_power_on_state(fx);
}

static void test_reset_op_restores_power_on_state(void **state)
{
	struct fixture *fx = *state;

	wr(fx, FCR, FCR_ON | FCR_TRIG_8);
	wr(fx, IER, IER_RX | IER_TX | IER_LINE | IER_MODEM);
	wr(fx, MCR, MCR_DTR | MCR_OUT2);
	wr(fx, SCR, 0x5a);
	wr(fx, LCR, LCR_DLAB | LCR_8N1);
	wr(fx, DLL, 1);
	wr(fx, LCR, LCR_8N1);
	assert_int_equal(push(fx, "abc", 3), 3);
	assert_true(fx->level);

	assert_int_equal(ax_devices_reset(fx->set), AX_OK);
	assert_false(fx->level); /* the line drops with the reset */
	assert_int_equal(status(fx).rx_count, 0);
	assert_int_equal(status(fx).fcr, 0);
	assert_power_on_state(fx);
	assert_int_equal(fx->redundant_calls, 0);
}

static void test_scratch_and_lcr_hold_any_byte(void **state)
{
	struct fixture *fx = *state;

	for (unsigned v = 0; v < 256; v++) {
		wr(fx, SCR, (uint8_t)v);
		assert_int_equal(rd(fx, SCR), v);
	}
	for (unsigned v = 0; v < 256; v++) {
		wr(fx, LCR, (uint8_t)v);
		assert_int_equal(rd(fx, LCR), v);
	}
	wr(fx, LCR, 0);
}

static void test_ier_mcr_unused_bits_read_zero(void **state)
{
	struct fixture *fx = *state;

	wr(fx, IER, 0xff);
	assert_int_equal(rd(fx, IER), 0x0f);
	wr(fx, IER, 0);
	wr(fx, MCR, 0xe0);
	assert_int_equal(rd(fx, MCR), 0);
	wr(fx, MCR, 0xff);
	assert_int_equal(rd(fx, MCR), 0x1f);
	wr(fx, MCR, 0);
}

static void test_lsr_msr_writes_are_ignored(void **state)
{
	struct fixture *fx = *state;

	wr(fx, LSR, 0xff);
	wr(fx, MSR, 0xff);
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
}

static void test_dlab_switches_first_two_registers(void **state)
{
	struct fixture *fx = *state;

	wr(fx, IER, IER_RX | IER_LINE);
	wr(fx, LCR, LCR_DLAB | LCR_8N1);
	wr(fx, DLL, 0x01);
	wr(fx, DLM, 0x02);
	assert_int_equal(rd(fx, DLL), 0x01);
	assert_int_equal(rd(fx, DLM), 0x02);
	assert_int_equal(status(fx).divisor, 0x0201);
	/* IIR/FCR, LCR, ... are not banked */
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	assert_int_equal(rd(fx, LCR), LCR_DLAB | LCR_8N1);
	/* a write to DLL is not a transmission and a pushed byte stays unread */
	assert_int_equal(push(fx, "x", 1), 1);
	wr(fx, DLL, 0x03);
	assert_int_equal(fx->out_len, 0);
	assert_int_equal(rd(fx, DLL), 0x03);
	assert_int_equal(status(fx).rx_count, 1);

	wr(fx, LCR, LCR_8N1);
	assert_int_equal(rd(fx, IER), IER_RX | IER_LINE);
	assert_int_equal(rd(fx, RBR), 'x');
	wr(fx, LCR, LCR_DLAB);
	assert_int_equal(rd(fx, DLL), 0x03); /* the latch kept its value */
	assert_int_equal(rd(fx, DLM), 0x02);
	wr(fx, LCR, 0);
	wr(fx, IER, 0);
}

/* --- FIFOs --------------------------------------------------------------- */

static void test_fifo_enable_sets_iir_top_bits(void **state)
{
	struct fixture *fx = *state;

	wr(fx, FCR, FCR_ON);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
	/* the 16750's 64-byte bit does not show up in IIR bit 5 */
	wr(fx, FCR, FCR_ON | FCR_64BYTE);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
	wr(fx, FCR, 0);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
}

static void test_rx_fifo_holds_16_bytes_in_order(void **state)
{
	struct fixture *fx = *state;
	const char *in = "0123456789abcdefXYZ";

	wr(fx, FCR, FCR_ON);
	assert_int_equal(status(fx).rx_capacity, 16);
	assert_int_equal(push(fx, in, 19), 16); /* backpressure: the host keeps the rest */
	assert_int_equal(push(fx, in + 16, 3), 0);
	assert_int_equal(status(fx).rx_bytes, 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(rd(fx, LSR) & LSR_DR, LSR_DR);
		assert_int_equal(rd(fx, RBR), in[i]);
	}
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT); /* nothing lost, no overrun */
	assert_int_equal(rd(fx, RBR), 0);		    /* empty RBR reads 0 */
	assert_int_equal(push(fx, in + 16, 3), 3);
	for (int i = 16; i < 19; i++)
		assert_int_equal(rd(fx, RBR), in[i]);
	wr(fx, FCR, 0);
}

static void test_without_fifo_rbr_holds_one_byte(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(push(fx, "ab", 2), 1);
	assert_int_equal(push(fx, "b", 1), 0);
	assert_int_equal(rd(fx, LSR), LSR_DR | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, RBR), 'a');
	assert_int_equal(push(fx, "b", 1), 1);
	assert_int_equal(rd(fx, RBR), 'b');
	assert_int_equal(rd(fx, LSR) & LSR_DR, 0);
}

static void test_fifo_reset_bits_and_mode_switch_clear(void **state)
{
	struct fixture *fx = *state;

	wr(fx, FCR, FCR_ON);
	assert_int_equal(push(fx, "hello", 5), 5);
	wr(fx, FCR, FCR_ON | FCR_CLR_TX); /* TX reset leaves RX alone */
	assert_int_equal(status(fx).rx_count, 5);
	wr(fx, FCR, FCR_ON | FCR_CLR_RX);
	assert_int_equal(status(fx).rx_count, 0);
	assert_int_equal(rd(fx, LSR) & LSR_DR, 0);

	/* TX reset discards what the backend refused and sets THRE */
	fx->budget = 0;
	wr(fx, THR, 'a');
	wr(fx, THR, 'b');
	assert_int_equal(status(fx).tx_count, 2);
	assert_int_equal(rd(fx, LSR) & (LSR_THRE | LSR_TEMT), 0);
	wr(fx, FCR, FCR_ON | FCR_CLR_TX);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);

	/* switching FIFOs off (or on) empties both */
	assert_int_equal(push(fx, "xyz", 3), 3);
	wr(fx, THR, 'c');
	wr(fx, FCR, 0);
	assert_int_equal(status(fx).rx_count, 0);
	assert_int_equal(status(fx).tx_count, 0);
	assert_int_equal(push(fx, "q", 1), 1);
	wr(fx, FCR, FCR_ON);
	assert_int_equal(status(fx).rx_count, 0);
	/* FCR bits other than FCR0 are only programmed along with it */
	wr(fx, FCR, FCR_TRIG_14);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	assert_int_equal(status(fx).fcr, 0);
	assert_int_equal(fx->out_len, 0);
	fx->budget = SIZE_MAX;
}

static void test_rx_trigger_levels_and_timeout(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		uint8_t fcr;
		size_t level;
	} triggers[] = {
		{ FCR_TRIG_1, 1 },
		{ FCR_TRIG_4, 4 },
		{ FCR_TRIG_8, 8 },
		{ FCR_TRIG_14, 14 },
	};
	const char *data = "ABCDEFGHIJKLMNOP";

	wr(fx, IER, IER_RX);
	for (size_t t = 0; t < 4; t++) {
		size_t level = triggers[t].level;

		wr(fx, FCR, FCR_ON | FCR_CLR_RX | triggers[t].fcr);
		assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
		assert_false(fx->level);
		/* below the trigger: the character timeout reports the data */
		if (level > 1) {
			assert_int_equal(push(fx, data, level - 1), level - 1);
			assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_TIMEOUT);
			assert_true(fx->level);
		}
		/* reaching the trigger: received data available */
		assert_int_equal(push(fx, data, 1), 1);
		assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_RXDATA);
		assert_true(fx->level);
		rd(fx, RBR);
		if (level > 1)
			assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_TIMEOUT);
		while (rd(fx, LSR) & LSR_DR)
			rd(fx, RBR);
		assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
		assert_false(fx->level);
	}
	/* without FIFOs one byte is "data available", never a timeout */
	wr(fx, FCR, 0);
	assert_int_equal(push(fx, data, 1), 1);
	assert_int_equal(rd(fx, IIR), IIR_RXDATA);
	rd(fx, RBR);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	wr(fx, IER, 0);
	assert_int_equal(fx->redundant_calls, 0);
}

/* --- interrupts ---------------------------------------------------------- */

static void test_thre_interrupt_semantics(void **state)
{
	struct fixture *fx = *state;

	/* enabling ETBEI with an empty THR raises it at once */
	wr(fx, IER, IER_TX);
	assert_true(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_THRE);
	/* reading IIR with THRE as the source acknowledges it */
	assert_false(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	/* rewriting IER without a 0 -> 1 change of ETBEI does not re-raise */
	wr(fx, IER, IER_TX | IER_RX);
	assert_false(fx->level);
	/* ... a 0 -> 1 change does */
	wr(fx, IER, 0);
	wr(fx, IER, IER_TX);
	assert_true(fx->level);

	/* a THR write clears it; the byte leaves at once and THRE comes back */
	unsigned raises = fx->raises;
	wr(fx, THR, 'z');
	assert_int_equal(fx->out_len, 1);
	assert_int_equal(fx->out[0], 'z');
	assert_true(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_THRE);
	assert_false(fx->level);

	/* a backend that refuses keeps THRE clear until the byte is out */
	fx->budget = 0;
	wr(fx, THR, 'y');
	assert_false(fx->level);
	assert_int_equal(rd(fx, LSR), 0);
	assert_int_equal(rd(fx, IIR), IIR_NONE);
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 1);
	assert_false(fx->level);
	fx->budget = SIZE_MAX;
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 0);
	assert_true(fx->level); /* re-raised when the transmitter empties */
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, IIR), IIR_THRE);
	assert_int_equal(fx->out_len, 2);
	assert_int_equal(fx->raises, raises + 1);

	/* masking ETBEI lowers the line without acknowledging */
	wr(fx, IER, 0);
	wr(fx, IER, IER_TX);
	assert_true(fx->level);
	wr(fx, IER, 0);
	assert_false(fx->level);
	assert_int_equal(fx->redundant_calls, 0);
}

/* Every source pending at once: IIR reports them by priority. */
static void test_interrupt_priority(void **state)
{
	struct fixture *fx = *state;

	wr(fx, FCR, FCR_ON);
	wr(fx, MCR, MCR_LOOP); /* loopback: all modem lines drop (deltas) */
	for (int i = 0; i < 17; i++)
		wr(fx, THR, (uint8_t)('a' + i)); /* 17th byte overruns the RX FIFO */
	assert_int_equal(status(fx).rx_overruns, 1);
	assert_false(fx->level); /* IER = 0: nothing enabled */
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);

	wr(fx, IER, IER_RX | IER_TX | IER_LINE | IER_MODEM);
	assert_true(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_RXLINE);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_RXLINE); /* IIR does not clear it */
	assert_int_equal(rd(fx, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, LSR), LSR_DR | LSR_THRE | LSR_TEMT); /* OE cleared by reading */
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_RXDATA);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(fx, RBR), 'a' + i); /* the overrunning byte was lost */
	assert_true(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_THRE);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_MODEM);
	assert_true(fx->level);
	assert_int_equal(rd(fx, MSR), MSR_DDCD | MSR_DDSR | MSR_DCTS);
	assert_int_equal(rd(fx, MSR), 0);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
	assert_false(fx->level);
	assert_int_equal(fx->raises, 1);
	assert_int_equal(fx->redundant_calls, 0);
	assert_int_equal(fx->out_len, 0); /* loopback sends nothing out */
	wr(fx, IER, 0);
	wr(fx, MCR, 0);
	wr(fx, FCR, 0);
}

static void test_modem_status_interrupt(void **state)
{
	struct fixture *fx = *state;

	wr(fx, IER, IER_MODEM);
	assert_false(fx->level);
	ax_uart16550_set_modem_lines(fx->uart, MSR_DCD | MSR_DSR); /* CTS drops */
	assert_true(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_MODEM);
	assert_true(fx->level); /* IIR does not acknowledge it */
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_DCTS);
	assert_false(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_NONE);

	/* RI: only the trailing edge counts */
	ax_uart16550_set_modem_lines(fx->uart, MSR_DCD | MSR_DSR | MSR_RI);
	assert_false(fx->level);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_RI);
	ax_uart16550_set_modem_lines(fx->uart, MSR_DCD | MSR_DSR);
	assert_true(fx->level);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_TERI);

	ax_uart16550_set_modem_lines(fx->uart, 0x0f); /* low bits ignored: all lines off */
	assert_int_equal(rd(fx, MSR), MSR_DDCD | MSR_DDSR);
	ax_uart16550_set_modem_lines(fx->uart, AX_UART16550_LINES_CONNECTED);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_CTS | MSR_DDCD | MSR_DDSR | MSR_DCTS);
	assert_false(fx->level);
	wr(fx, IER, 0);
	assert_int_equal(fx->redundant_calls, 0);
}

/*
 * serial8250_interrupt() for one port: serial8250_handle_irq() until IIR
 * reads "no interrupt". Each pass drains RX, reads MSR and, when THRE is up
 * and ETBEI on, loads up to a FIFO of `*txq`, clearing ETBEI once it is
 * empty (__stop_tx).
 */
static void linux_isr(struct fixture *fx, const char **txq)
{
	while (!(rd(fx, IIR) & IIR_NONE)) {
		uint8_t lsr = rd(fx, LSR);

		while (lsr & LSR_DR) {
			rd(fx, RBR);
			lsr = rd(fx, LSR);
		}
		rd(fx, MSR);
		if ((lsr & LSR_THRE) && (rd(fx, IER) & IER_TX)) {
			const char *next = *txq;

			for (int n = 0; n < 16 && *next; n++)
				wr(fx, THR, (uint8_t)*next++);
			if (!*next)
				wr(fx, IER, rd(fx, IER) & ~IER_TX);
			*txq = next;
		}
	}
}

/*
 * Linux registers COM1's IRQ 4 as edge-triggered (8259, I/O APIC) and sees
 * only rising edges: the line must be low once IIR reads "no interrupt",
 * and every new source after that must raise it again.
 */
static void test_irq_edges_suit_an_edge_triggered_controller(void **state)
{
	struct fixture *fx = *state;
	const char *msg = "longer than one 16-byte FIFO load\n", *txq = "";
	unsigned raises;

	wr(fx, FCR, FCR_ON | FCR_TRIG_8);
	wr(fx, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	wr(fx, IER, IER_RX | IER_LINE | IER_MODEM);
	assert_false(fx->level);
	raises = fx->raises;

	assert_int_equal(push(fx, "a", 1), 1); /* below the trigger: character timeout */
	assert_int_equal(fx->raises, raises + 1);
	linux_isr(fx, &txq);
	assert_false(fx->level);
	assert_int_equal(push(fx, "0123456789", 10), 10); /* above it: data available */
	assert_int_equal(fx->raises, raises + 2);
	linux_isr(fx, &txq);
	assert_false(fx->level);
	ax_uart16550_set_modem_lines(fx->uart, MSR_DSR | MSR_CTS); /* carrier lost */
	assert_int_equal(fx->raises, raises + 3);
	linux_isr(fx, &txq);
	assert_false(fx->level);

	/* start_tx: setting ETBEI with an idle transmitter is the first edge */
	txq = msg;
	wr(fx, IER, rd(fx, IER) | IER_TX);
	assert_int_equal(fx->raises, raises + 4);
	linux_isr(fx, &txq);
	assert_false(fx->level);
	assert_int_equal(fx->out_len, strlen(msg));
	raises = fx->raises;

	/* a source arriving while the line is high is found by the same handler */
	assert_int_equal(push(fx, "b", 1), 1);
	ax_uart16550_set_modem_lines(fx->uart, AX_UART16550_LINES_CONNECTED);
	assert_int_equal(fx->raises, raises + 1);
	linux_isr(fx, &txq);
	assert_false(fx->level);
	/* ... and the next one after it is a new edge again */
	assert_int_equal(push(fx, "c", 1), 1);
	assert_int_equal(fx->raises, raises + 2);
	linux_isr(fx, &txq);
	assert_false(fx->level);

	/* an acknowledged THRE does not come back by itself */
	wr(fx, IER, IER_TX);
	assert_int_equal(fx->raises, raises + 3);
	assert_int_equal(rd(fx, IIR) & 0x0f, IIR_THRE);
	assert_false(fx->level);
	assert_int_equal(rd(fx, IIR) & 0x0f, IIR_NONE);
	wr(fx, IER, 0);
	wr(fx, MCR, 0);
	wr(fx, FCR, 0);
	assert_int_equal(fx->redundant_calls, 0);
}

/* --- loopback ------------------------------------------------------------ */

static void test_loopback_modem_lines_and_data(void **state)
{
	struct fixture *fx = *state;

	wr(fx, MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	assert_int_equal(rd(fx, MSR) & 0xf0, MSR_DCD | MSR_CTS);
	wr(fx, MCR, MCR_LOOP | MCR_OUT1 | MCR_DTR);
	assert_int_equal(rd(fx, MSR), MSR_RI | MSR_DSR | MSR_DDCD | MSR_DCTS | MSR_DDSR);
	wr(fx, MCR, MCR_LOOP | MCR_DTR); /* RI trailing edge */
	assert_int_equal(rd(fx, MSR), MSR_DSR | MSR_TERI);

	/* TX comes back as RX, nothing reaches the backend, the host is cut off */
	wr(fx, THR, 'L');
	assert_int_equal(rd(fx, LSR), LSR_DR | LSR_THRE | LSR_TEMT);
	assert_int_equal(push(fx, "h", 1), 0);
	assert_int_equal(rd(fx, RBR), 'L');
	assert_int_equal(fx->out_len, 0);

	/* without FIFOs an overrun overwrites the holding register */
	wr(fx, THR, '1');
	wr(fx, THR, '2');
	assert_int_equal(rd(fx, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(fx, RBR), '2');
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);

	/* leaving loopback shows the host's lines again */
	wr(fx, MCR, 0);
	assert_int_equal(rd(fx, MSR), MSR_DCD | MSR_DSR | MSR_CTS | MSR_DDCD | MSR_DCTS);
	wr(fx, THR, 'o');
	assert_int_equal(fx->out_len, 1);
	assert_int_equal(rd(fx, LSR) & LSR_DR, 0);
}

/* --- transmit ------------------------------------------------------------ */

static void test_tx_reaches_backend_in_order(void **state)
{
	struct fixture *fx = *state;
	const char *msg = "Hello, 16550A!\n";

	for (size_t i = 0; i < strlen(msg); i++)
		wr(fx, THR, (uint8_t)msg[i]);
	assert_int_equal(fx->out_len, strlen(msg));
	assert_memory_equal(fx->out, msg, strlen(msg));
	assert_int_equal(status(fx).tx_bytes, strlen(msg));
}

static void test_tx_without_backend_is_discarded_and_counted(void **state)
{
	struct fixture *fx = *state;

	fx->bind_backend = false;
	wr(fx, THR, 'a');
	wr(fx, THR, 'b');
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(status(fx).tx_discarded, 2);
	assert_int_equal(status(fx).tx_bytes, 0);
	/* a backend bound later is found on the next transmit */
	fx->bind_backend = true;
	wr(fx, THR, 'c');
	assert_int_equal(fx->out_len, 1);
	assert_int_equal(fx->out[0], 'c');
}

static void test_tx_backpressure_keeps_bytes(void **state)
{
	struct fixture *fx = *state;
	char msg[20];

	for (int i = 0; i < 20; i++)
		msg[i] = (char)('A' + i);
	wr(fx, FCR, FCR_ON);
	fx->budget = 3;
	wr(fx, THR, (uint8_t)msg[0]);
	wr(fx, THR, (uint8_t)msg[1]);
	wr(fx, THR, (uint8_t)msg[2]);
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	for (int i = 3; i < 20; i++)
		wr(fx, THR, (uint8_t)msg[i]); /* 16 fit; the last one is lost */
	assert_int_equal(status(fx).tx_count, 16);
	assert_int_equal(status(fx).tx_dropped, 1);
	assert_int_equal(rd(fx, LSR), 0);

	/* drain a few at a time, across the ring's wrap point */
	fx->budget = 5;
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 11);
	assert_int_equal(rd(fx, LSR), 0);
	fx->budget = 10;
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 1);
	fx->budget = SIZE_MAX;
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 0);
	assert_int_equal(rd(fx, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(fx->out_len, 19);
	assert_memory_equal(fx->out, msg, 19);
	assert_int_equal(status(fx).tx_bytes, 19);

	/* without FIFOs THR holds a single byte */
	wr(fx, FCR, 0);
	fx->budget = 0;
	wr(fx, THR, 'x');
	wr(fx, THR, 'y');
	assert_int_equal(status(fx).tx_count, 1);
	assert_int_equal(status(fx).tx_dropped, 2);
	fx->budget = SIZE_MAX;
	assert_int_equal(ax_uart16550_poll_tx(fx->uart), 0);
	assert_int_equal(fx->out[19], 'x');
}

/* --- bus, widths, config ------------------------------------------------- */

static void test_byte_registers_reject_other_widths(void **state)
{
	struct fixture *fx = *state;
	uint64_t val;

	for (unsigned width = 2; width <= 8; width *= 2) {
		assert_int_equal(ax_devices_handle_read(fx->set, fx->bus, 0, fx->base, width, &val),
				 AX_ERR_INVALID_INPUT);
		assert_int_equal(
			ax_devices_handle_write(fx->set, fx->bus, 0, fx->base + SCR - 1, width, 1),
			width == 2 ? AX_ERR_INVALID_INPUT : AX_ERR_BAD_ADDRESS);
	}
	assert_int_equal(rd(fx, SCR), 0);
}

static void test_port_bus_and_out2_gating(void **state)
{
	struct fixture *fx = *state;
	uint64_t val;

	assert_int_equal(fx->bus, AX_BUS_PORT);
	assert_int_equal(ax_devices_handle_port_read(fx->set, 0, COM1 + LSR, 1, &val), AX_OK);
	assert_int_equal(val, LSR_THRE | LSR_TEMT);
	assert_int_equal(ax_devices_handle_mmio_read(fx->set, 0, COM1 + LSR, 1, &val),
			 AX_ERR_NOT_FOUND);

	/* a PC COM port delivers its interrupt only with OUT2 set */
	wr(fx, IER, IER_TX);
	assert_int_equal(rd(fx, IIR), IIR_THRE);
	wr(fx, IER, 0);
	wr(fx, IER, IER_TX);
	assert_false(fx->level);
	wr(fx, MCR, MCR_OUT2);
	assert_true(fx->level);
	wr(fx, MCR, MCR_OUT2 | MCR_LOOP); /* loopback forces OUT2 inactive */
	assert_false(fx->level);
	wr(fx, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	assert_true(fx->level);
	wr(fx, MCR, MCR_DTR | MCR_RTS);
	assert_false(fx->level);
	assert_int_equal(rd(fx, IIR), IIR_THRE); /* still pending behind the gate */
	wr(fx, IER, 0);
	assert_int_equal(fx->redundant_calls, 0);
}

static void test_reg_shift_2(void **state)
{
	static const struct {
		uint64_t bus;
		uint64_t base;
	} cases[] = { { 0, MMIO_BASE }, { 1, 0x2f8 } };

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct fixture fx;
		const uint64_t cfg[] = { cases[c].bus, 2 };
		uint64_t val;

		fx_create(&fx, cases[c].base, 0x20, cfg, 2);
		assert_int_equal(fx.bus, cases[c].bus ? AX_BUS_PORT : AX_BUS_MMIO);
		assert_power_on_state(&fx);
		/* 4-byte accesses carry the register in the low byte */
		assert_int_equal(ax_devices_handle_write(fx.set, fx.bus, 0, fx.base + SCR * 4, 4,
							 0x12345678),
				 AX_OK);
		assert_int_equal(
			ax_devices_handle_read(fx.set, fx.bus, 0, fx.base + SCR * 4, 4, &val),
			AX_OK);
		assert_int_equal(val, 0x78);
		assert_int_equal(
			ax_devices_handle_read(fx.set, fx.bus, 0, fx.base + LSR * 4, 4, &val),
			AX_OK);
		assert_int_equal(val, LSR_THRE | LSR_TEMT);
		assert_int_equal(ax_devices_handle_write(fx.set, fx.bus, 0, fx.base + THR * 4, 4,
							 0xffffff41),
				 AX_OK);
		assert_int_equal(fx.out_len, 1);
		assert_int_equal(fx.out[0], 0x41);
		/* 2-byte accesses are refused, as are offsets between registers */
		assert_int_equal(
			ax_devices_handle_read(fx.set, fx.bus, 0, fx.base + SCR * 4, 2, &val),
			AX_ERR_INVALID_INPUT);
		assert_int_equal(
			ax_devices_handle_read(fx.set, fx.bus, 0, fx.base + LSR * 4, 8, &val),
			AX_ERR_INVALID_INPUT);
		for (unsigned off = 1; off < 4; off++) {
			assert_int_equal(ax_devices_handle_read(fx.set, fx.bus, 0,
								fx.base + SCR * 4 + off, 1, &val),
					 AX_ERR_BAD_ADDRESS);
			assert_int_equal(ax_devices_handle_write(fx.set, fx.bus, 0,
								 fx.base + SCR * 4 + off, 1, 0),
					 AX_ERR_BAD_ADDRESS);
		}
		assert_int_equal(rd(&fx, SCR), 0x78);
		ax_devices_destroy(fx.set);
		test_host_fini(&fx.host);
	}
}

static void test_length_beyond_registers(void **state)
{
	struct fixture fx;
	uint64_t val;

	(void)state;
	fx_create(&fx, MMIO_BASE, 0x1000, NULL, 0);
	assert_int_equal(ax_devices_handle_read(fx.set, fx.bus, 0, MMIO_BASE + 7, 1, &val), AX_OK);
	assert_int_equal(ax_devices_handle_read(fx.set, fx.bus, 0, MMIO_BASE + 8, 1, &val),
			 AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_write(fx.set, fx.bus, 0, MMIO_BASE + 0xfff, 1, 0),
			 AX_ERR_BAD_ADDRESS);
	ax_devices_destroy(fx.set);
	test_host_fini(&fx.host);
}

static void test_bad_config_is_refused_with_a_reason(void **state)
{
	static const struct {
		uint64_t base, length;
		uint64_t cfg[3];
		size_t cfg_len;
		const char *why;
	} bad[] = {
		{ MMIO_BASE, 8, { 2 }, 1, "bus" },
		{ MMIO_BASE, 8, { UINT64_MAX }, 1, "bus" },
		{ MMIO_BASE, 32, { 0, 1 }, 2, "reg_shift" },
		{ MMIO_BASE, 64, { 0, 3 }, 2, "reg_shift" },
		{ MMIO_BASE, 7, { 0 }, 1, "too small" },
		{ MMIO_BASE, 16, { 0, 2 }, 2, "too small" },
		{ COM1, 4, { 1, 0 }, 2, "too small" },
		{ 0xfffc, 8, { 1, 0 }, 2, "0xffff" },
		{ 0x10000, 8, { 1, 0 }, 2, "0xffff" },
		{ 0xfff0, 0x20, { 1, 2 }, 2, "0xffff" },
		{ MMIO_BASE, 8, { 0, 0, 0 }, 3, "at most 2" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fixture fx;
		struct ax_diag diag = { 0 };

		fx_init_host(&fx);
		fx.set = NULL;
		assert_int_not_equal(fx_try_create(&fx, bad[i].base, bad[i].length, bad[i].cfg,
						   bad[i].cfg_len, &diag),
				     AX_OK);
		assert_null(fx.set);
		if (!strstr(diag.msg, "com1") || !strstr(diag.msg, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"com1\" or \"%s\"", i, diag.msg,
				 bad[i].why);
		test_host_fini(&fx.host);
	}
	/* and the edges that are fine */
	{
		struct fixture fx;
		static const uint64_t top[] = { 1, 0 };

		fx_create(&fx, 0xfff8, 8, top, 2);
		assert_int_equal(rd(&fx, LSR), LSR_THRE | LSR_TEMT);
		ax_devices_destroy(fx.set);
		test_host_fini(&fx.host);
	}
}

static void test_from_device_rejects_other_devices(void **state)
{
	struct fixture *fx = *state;
	struct test_host host;
	struct ax_devices *set;
	struct ax_uart16550 *uart = NULL;
	const struct ax_emu_config emu = {
		.name = "meta", .base_gpa = 0x1000, .length = 0x1000, .emu_type = AX_EMU_META
	};
	const struct ax_vm_device_config vm = { .emu_configs = &emu, .nr_emu_configs = 1 };
	const struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };

	test_host_init(&host, false);
	assert_int_equal(ax_devices_create(&params, &vm, &set, NULL), AX_OK);
	assert_int_equal(ax_uart16550_from_device(set, 1, &uart), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_uart16550_from_device(set, 2, &uart), AX_ERR_NOT_FOUND);
	assert_null(uart);
	ax_devices_destroy(set);
	test_host_fini(&host);

	assert_int_equal(ax_uart16550_push_input(NULL, (const uint8_t *)"a", 1), 0);
	assert_int_equal(ax_uart16550_push_input(fx->uart, NULL, 1), 0);
	assert_int_equal(ax_uart16550_poll_tx(NULL), 0);
}

/* --- Linux 8250 autodetection replay -------------------------------------- */

/* The conclusions drivers/tty/serial/8250/8250_port.c can reach. */
enum linux_port {
	LINUX_NO_UART,
	LINUX_UNKNOWN,
	LINUX_8250,
	LINUX_16450,
	LINUX_16550,
	LINUX_16550A,
	LINUX_16550A_FSL64,
	LINUX_16650,
	LINUX_16650_EFR, /* anything reached through autoconfig_has_efr() */
	LINUX_NS16550A,
	LINUX_16750,
	LINUX_XSCALE,
	LINUX_U6_16550A,
};

/* size_fifo(): counts how many bytes loopback leaves in the RX FIFO. */
static int linux_size_fifo(struct fixture *fx)
{
	uint8_t old_lcr = rd(fx, LCR), old_fcr, old_mcr, old_dll, old_dlm;
	int count;

	wr(fx, LCR, 0);
	old_fcr = rd(fx, FCR); /* FCR is write-only: this reads IIR, as Linux does */
	old_mcr = rd(fx, MCR);
	wr(fx, FCR, FCR_ON | FCR_CLR_RX | FCR_CLR_TX);
	wr(fx, MCR, MCR_LOOP);
	wr(fx, LCR, LCR_DLAB);
	old_dll = rd(fx, DLL);
	old_dlm = rd(fx, DLM);
	wr(fx, DLL, 1);
	wr(fx, DLM, 0);
	wr(fx, LCR, LCR_8N1);
	for (count = 0; count < 256; count++)
		wr(fx, THR, (uint8_t)count);
	for (count = 0; (rd(fx, LSR) & LSR_DR) && count < 256; count++)
		rd(fx, RBR);
	wr(fx, FCR, old_fcr);
	wr(fx, MCR, old_mcr);
	wr(fx, LCR, LCR_DLAB);
	wr(fx, DLL, old_dll);
	wr(fx, DLM, old_dlm);
	wr(fx, LCR, old_lcr);
	return count;
}

/* autoconfig_16550a() with CONFIG_SERIAL_8250_16550A_VARIANTS: the full probe. */
static enum linux_port linux_autoconfig_16550a(struct fixture *fx)
{
	uint8_t status1, status2, ier_save;

	/* EFR behind LCR = 0x80: only ST16C650V1 */
	wr(fx, LCR, LCR_DLAB);
	if (rd(fx, EFR) == 0) {
		wr(fx, EFR, 0xa8);
		if (rd(fx, EFR) != 0)
			return LINUX_16650;
		wr(fx, LCR, 0);
		wr(fx, FCR, FCR_ON | FCR_64BYTE);
		status1 = rd(fx, IIR) >> 5;
		wr(fx, FCR, 0);
		wr(fx, LCR, 0);
		return status1 == 7 ? LINUX_16550A_FSL64 : LINUX_16550A;
	}
	/* EFR behind LCR = 0xbf */
	wr(fx, LCR, LCR_CONF_B);
	if (rd(fx, EFR) == 0)
		return LINUX_16650_EFR;
	/* National Semiconductor SuperIO: MCR.LOOP mirrored in bank 2's EXCR1 */
	wr(fx, LCR, 0);
	status1 = rd(fx, MCR);
	wr(fx, LCR, 0xe0);
	status2 = rd(fx, 2);
	if (!((status2 ^ status1) & MCR_LOOP)) {
		wr(fx, LCR, 0);
		wr(fx, MCR, status1 ^ MCR_LOOP);
		wr(fx, LCR, 0xe0);
		status2 = rd(fx, 2);
		wr(fx, LCR, 0);
		wr(fx, MCR, status1);
		if ((status2 ^ status1) & MCR_LOOP)
			return LINUX_NS16550A;
	}
	/* TI16750: IIR bit 5 follows FCR bit 5 only with DLAB set */
	wr(fx, LCR, 0);
	wr(fx, FCR, FCR_ON | FCR_64BYTE);
	status1 = rd(fx, IIR) >> 5;
	wr(fx, FCR, FCR_ON);
	wr(fx, LCR, LCR_DLAB);
	wr(fx, FCR, FCR_ON | FCR_64BYTE);
	status2 = rd(fx, IIR) >> 5;
	wr(fx, FCR, FCR_ON);
	wr(fx, LCR, 0);
	if (status1 == 6 && status2 == 7)
		return LINUX_16750;
	/* XScale: IER bit 6 (UUE) sticks */
	ier_save = rd(fx, IER);
	wr(fx, IER, ier_save & ~0x40);
	if (!(rd(fx, IER) & 0x40)) {
		wr(fx, IER, ier_save | 0x40);
		if (rd(fx, IER) & 0x40)
			return LINUX_XSCALE;
	}
	wr(fx, IER, ier_save);
	/* U6 16550A: a 64-byte FIFO */
	if (linux_size_fifo(fx) == 64)
		return LINUX_U6_16550A;
	return LINUX_16550A;
}

static enum linux_port linux_autoconfig(struct fixture *fx)
{
	uint8_t scratch, scratch2, scratch3, save_lcr, save_mcr, status1;
	enum linux_port type = LINUX_UNKNOWN;

	/* existence: IER[3:0] must hold what is written */
	scratch = rd(fx, IER);
	wr(fx, IER, 0);
	scratch2 = rd(fx, IER) & 0x0f;
	wr(fx, IER, 0x0f);
	scratch3 = rd(fx, IER) & 0x0f;
	wr(fx, IER, scratch);
	if (scratch2 != 0 || scratch3 != 0x0f)
		return LINUX_NO_UART;

	save_mcr = rd(fx, MCR);
	save_lcr = rd(fx, LCR);
	/* loopback: OUT2 -> DCD, RTS -> CTS */
	wr(fx, MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
	status1 = rd(fx, MSR) & 0xf0;
	wr(fx, MCR, save_mcr);
	if (status1 != 0x90)
		return LINUX_NO_UART;

	wr(fx, LCR, LCR_CONF_B);
	wr(fx, EFR, 0);
	wr(fx, LCR, 0);
	wr(fx, FCR, FCR_ON);
	scratch = rd(fx, IIR);
	switch (scratch >> 6) {
	case 0:
		/* autoconfig_8250(): a scratch register means 16450 */
		type = LINUX_8250;
		scratch = rd(fx, SCR);
		wr(fx, SCR, 0xa5);
		status1 = rd(fx, SCR);
		wr(fx, SCR, 0x5a);
		if (status1 == 0xa5 && rd(fx, SCR) == 0x5a)
			type = LINUX_16450;
		wr(fx, SCR, scratch);
		break;
	case 1:
		type = LINUX_UNKNOWN;
		break;
	case 2:
		type = LINUX_16550;
		break;
	case 3:
		type = linux_autoconfig_16550a(fx);
		break;
	}
	wr(fx, LCR, save_lcr);
	/* reset: MCR, clear_fifos, read RX, clear IER */
	wr(fx, MCR, save_mcr);
	wr(fx, FCR, FCR_ON);
	wr(fx, FCR, FCR_ON | FCR_CLR_RX | FCR_CLR_TX);
	wr(fx, FCR, 0);
	rd(fx, RBR);
	wr(fx, IER, 0);
	return type;
}

/* autoconfig_irq(): the UART must raise its line after these writes. */
static bool linux_autoconfig_irq_fires(struct fixture *fx)
{
	uint8_t save_mcr = rd(fx, MCR), save_ier = rd(fx, IER);
	unsigned raises;
	bool fired;

	wr(fx, MCR, MCR_OUT1 | MCR_OUT2);
	raises = fx->raises; /* probe_irq_on() */
	wr(fx, MCR, 0);
	wr(fx, MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	wr(fx, IER, 0x0f);
	rd(fx, LSR);
	rd(fx, RBR);
	rd(fx, IIR);
	rd(fx, MSR);
	wr(fx, THR, 0xff);
	fired = fx->raises > raises || fx->level; /* probe_irq_off() */
	wr(fx, MCR, save_mcr);
	wr(fx, IER, save_ier);
	return fired;
}

/*
 * serial8250_do_startup(): clear FIFOs and interrupts, then the THRE
 * re-assertion test (UART_BUG_THRE) and the TX-enable test (UART_BUG_TXEN).
 * Returns true when Linux would flag neither bug.
 */
static bool linux_startup_finds_no_bugs(struct fixture *fx)
{
	uint8_t iir1, iir, lsr;

	wr(fx, FCR, FCR_ON);
	wr(fx, FCR, FCR_ON | FCR_CLR_RX | FCR_CLR_TX);
	wr(fx, FCR, 0);
	rd(fx, LSR);
	rd(fx, RBR);
	rd(fx, IIR);
	rd(fx, MSR);
	if (rd(fx, LSR) == 0xff)
		return false;

	while (!(rd(fx, LSR) & LSR_THRE))
		;
	wr(fx, IER, IER_TX);
	iir1 = rd(fx, IIR);
	wr(fx, IER, 0);
	wr(fx, IER, IER_TX);
	iir = rd(fx, IIR);
	wr(fx, IER, 0);
	if (!(iir1 & IIR_NONE) && (iir & IIR_NONE))
		return false; /* UART_BUG_THRE */

	wr(fx, LCR, LCR_8N1);
	wr(fx, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
	wr(fx, IER, IER_TX);
	lsr = rd(fx, LSR);
	iir = rd(fx, IIR);
	wr(fx, IER, 0);
	if ((lsr & LSR_TEMT) && (iir & IIR_NONE))
		return false; /* UART_BUG_TXEN */
	rd(fx, LSR);
	rd(fx, RBR);
	rd(fx, IIR);
	rd(fx, MSR);
	return true;
}

static void test_linux_probe_finds_a_16550a(void **state)
{
	struct fixture *fx = *state;

	/* The guest may have scribbled on the UART first. */
	wr(fx, SCR, 0x33);
	assert_int_equal(linux_autoconfig(fx), LINUX_16550A);
	assert_int_equal(linux_size_fifo(fx), 16);
	assert_true(linux_autoconfig_irq_fires(fx));
	assert_true(linux_startup_finds_no_bugs(fx));

	/* then it talks: FIFOs at trigger 8 (Linux's 16550A setting), RX and TX interrupts */
	wr(fx, FCR, FCR_ON | FCR_TRIG_8);
	wr(fx, IER, IER_RX | IER_LINE);
	assert_int_equal(push(fx, "ok", 2), 2);
	assert_true(fx->level);
	uint8_t iir = rd(fx, IIR);
	assert_int_equal(iir, IIR_FIFO | IIR_TIMEOUT);
	assert_int_equal(rd(fx, RBR), 'o');
	assert_int_equal(rd(fx, RBR), 'k');
	assert_false(fx->level);
	size_t before = fx->out_len;
	wr(fx, THR, '!');
	assert_int_equal(fx->out_len, before + 1);
	assert_int_equal(fx->redundant_calls, 0);
}

/* --- threads ------------------------------------------------------------- */

#define STREAM_LEN 20000

static void *pusher(void *arg)
{
	struct fixture *fx = arg;
	size_t sent = 0;

	while (sent < STREAM_LEN) {
		uint8_t chunk[7];
		size_t n = STREAM_LEN - sent < sizeof(chunk) ? STREAM_LEN - sent : sizeof(chunk);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((sent + i) * 31);
		sent += ax_uart16550_push_input(fx->uart, chunk, n);
	}
	return NULL;
}

/* A host thread pushes while a vCPU reads: every byte arrives once, in order. */
static void test_input_from_another_thread(void **state)
{
	struct fixture *fx = *state;
	pthread_t thread;
	size_t got = 0;

	wr(fx, FCR, FCR_ON | FCR_TRIG_4);
	wr(fx, IER, IER_RX);
	assert_int_equal(pthread_create(&thread, NULL, pusher, fx), 0);
	while (got < STREAM_LEN) {
		uint64_t lsr, val;

		assert_int_equal(ax_devices_handle_mmio_read(fx->set, 1, MMIO_BASE + LSR, 1, &lsr),
				 AX_OK);
		assert_int_equal(lsr & LSR_OE, 0);
		if (!(lsr & LSR_DR))
			continue;
		assert_int_equal(ax_devices_handle_mmio_read(fx->set, 1, MMIO_BASE + RBR, 1, &val),
				 AX_OK);
		assert_int_equal(val, (uint8_t)(got * 31));
		got++;
	}
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(status(fx).rx_bytes, STREAM_LEN);
	assert_int_equal(rd(fx, IIR), IIR_FIFO | IIR_NONE);
	assert_false(fx->level);
}

#define MMIO_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_mmio, teardown)
#define PORT_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_port, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		MMIO_TEST(test_reset_values),
		MMIO_TEST(test_reset_op_restores_power_on_state),
		MMIO_TEST(test_scratch_and_lcr_hold_any_byte),
		MMIO_TEST(test_ier_mcr_unused_bits_read_zero),
		MMIO_TEST(test_lsr_msr_writes_are_ignored),
		MMIO_TEST(test_dlab_switches_first_two_registers),
		MMIO_TEST(test_fifo_enable_sets_iir_top_bits),
		MMIO_TEST(test_rx_fifo_holds_16_bytes_in_order),
		MMIO_TEST(test_without_fifo_rbr_holds_one_byte),
		MMIO_TEST(test_fifo_reset_bits_and_mode_switch_clear),
		MMIO_TEST(test_rx_trigger_levels_and_timeout),
		MMIO_TEST(test_thre_interrupt_semantics),
		MMIO_TEST(test_interrupt_priority),
		MMIO_TEST(test_modem_status_interrupt),
		MMIO_TEST(test_irq_edges_suit_an_edge_triggered_controller),
		PORT_TEST(test_irq_edges_suit_an_edge_triggered_controller),
		MMIO_TEST(test_loopback_modem_lines_and_data),
		MMIO_TEST(test_tx_reaches_backend_in_order),
		MMIO_TEST(test_tx_without_backend_is_discarded_and_counted),
		MMIO_TEST(test_tx_backpressure_keeps_bytes),
		MMIO_TEST(test_byte_registers_reject_other_widths),
		PORT_TEST(test_port_bus_and_out2_gating),
		cmocka_unit_test(test_reg_shift_2),
		cmocka_unit_test(test_length_beyond_registers),
		cmocka_unit_test(test_bad_config_is_refused_with_a_reason),
		MMIO_TEST(test_from_device_rejects_other_devices),
		MMIO_TEST(test_linux_probe_finds_a_16550a),
		PORT_TEST(test_linux_probe_finds_a_16550a),
		MMIO_TEST(test_input_from_another_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
