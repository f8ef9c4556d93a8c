/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: virtio-mmio + split virtqueues + virtio-console. The tests'
 * independent driver sets the device up in a fake guest RAM; the input
 * then posts receive and transmit buffers (1..4 segments, direct or through
 * an indirect table), pushes host input, changes the capturing backend's
 * budget (backpressure), resumes transmission, resizes the console, and
 * mixes in hostile operations: raw descriptors (loops, nested indirect
 * tables, zero and huge lengths, addresses at, past and around the end of
 * RAM), raw avail heads, register writes of any value, width and order.
 *
 * Invariants: no crash or leak; InterruptStatus != 0 exactly when the irq
 * line is high; push_input never takes more than offered. While only
 * well-formed buffers were posted since the last initialisation: no
 * DEVICE_NEEDS_RESET, the bytes the guest receives (used lengths within its
 * buffers) are exactly the bytes push_input took, in order, and the backend
 * receives a prefix of the bytes the guest transmitted, all of them when
 * its budget is unlimited. At every step, Status reads what the status state
 * machine (virtio_status_model.h) says, before and after any register write,
 * whatever else happened: DEVICE_NEEDS_RESET only after a hostile operation,
 * and every Status, DriverFeatures(Sel) write returns what the model predicts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/virtio.h>

#include "backends.h"
#include "fuzz_input.h"
#include "host_posix.h"
#include "virtio_driver.h"
#include "virtio_status_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE 0x60000ull
#define CON_BASE 0x10001000ull
#define CON_IRQ	 6
#define BUF_BASE 0x40000u /* 64 buffers of 0x200 per queue */
#define STREAM	 CAPTURE_MAX

struct chain {
	bool busy;
	uint16_t head;
	unsigned ndesc;
	unsigned nseg;
	struct vdrv_seg seg[4];
};

struct state {
	struct test_host host;
	struct capture_chr chr;
	struct ax_devices *set;
	struct ax_virtio_console *con;
	uint8_t *ram;
	struct vdrv d;
	bool ready, tainted;
	uint16_t qsize;
	unsigned next_buf[2];
	struct chain chains[2][16];
	uint8_t rx_sent[STREAM], rx_got[STREAM]; /* taken by push_input / seen by the guest */
	size_t rx_sent_len, rx_got_len;
	uint8_t tx_posted[STREAM];
	size_t tx_posted_len;
	struct vstatus vs; /* the device status the spec allows */
};

static struct state st;

static uint32_t reg_read(uint32_t off)
{
	uint64_t v = 0;

	ax_devices_handle_mmio_read(st.set, 0, CON_BASE + off, 4, &v);
	return (uint32_t)v;
}

static unsigned inflight(unsigned qi)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 16; i++)
		if (st.chains[qi][i].busy)
			n += st.chains[qi][i].ndesc;
	return n;
}

static void reset_model(void)
{
	memset(st.chains, 0, sizeof(st.chains));
	st.rx_sent_len = st.rx_got_len = st.tx_posted_len = 0;
	st.chr.len = 0;
}

static void reap(void)
{
	uint32_t id, len;

	if (!st.ready)
		return;
	for (unsigned qi = 0; qi < 2; qi++) {
		if (!st.d.q[qi].size)
			continue;
		while (vdrv_used(&st.d, qi, &id, &len)) {
			struct chain *c = NULL;

			for (unsigned i = 0; i < 16; i++)
				if (st.chains[qi][i].busy && st.chains[qi][i].head == id)
					c = &st.chains[qi][i];
			if (!c) {
				FUZZ_CHECK(st.tainted);
				continue;
			}
			c->busy = false;
			if (qi != 0 || st.tainted)
				continue;
			/* received bytes: len within the chain, in segment order */
			for (unsigned s = 0; s < c->nseg && len; s++) {
				uint32_t n = len < c->seg[s].len ? len : c->seg[s].len;

				FUZZ_CHECK(st.rx_got_len + n <= STREAM);
				memcpy(st.rx_got + st.rx_got_len, vdrv_ptr(&st.d, c->seg[s].gpa),
				       n);
				st.rx_got_len += n;
				len -= n;
			}
			FUZZ_CHECK(len == 0);
		}
	}
}

static void check(void)
{
	uint32_t status = reg_read(VD_STATUS), isr = reg_read(VD_INTERRUPT_STATUS);

	FUZZ_CHECK(st.host.irq_level[CON_IRQ] == (isr != 0));
	vstatus_check(&st.vs, status, st.tainted);
	reap();
	if (!st.ready || st.tainted)
		return;
	FUZZ_CHECK(!(status & VD_S_NEEDS_RESET));
	FUZZ_CHECK(st.rx_got_len <= st.rx_sent_len);
	FUZZ_CHECK(memcmp(st.rx_got, st.rx_sent, st.rx_got_len) == 0);
	FUZZ_CHECK(st.chr.len <= st.tx_posted_len);
	FUZZ_CHECK(memcmp(st.chr.buf, st.tx_posted, st.chr.len) == 0);
}

static void do_init(struct fin *in)
{
	static const uint16_t sizes[4] = { 2, 4, 8, 16 };
	uint64_t wanted = VD_F(VD_F_INDIRECT_DESC) | VD_F(VD_F_EVENT_IDX) | VD_F(VD_CONSOLE_F_SIZE);
	uint8_t b = fin_u8(in);

	if (b & 0x80)
		wanted &= fin_u64(in);
	st.qsize = sizes[b & 3];
	reset_model();
	memset(st.next_buf, 0, sizeof(st.next_buf));
	st.ready = vdrv_init(&st.d, wanted, 2, st.qsize) == 0;
	st.tainted = false;
	FUZZ_CHECK(st.ready);
	vstatus_driver_ready(&st.vs, st.d.features);
}

static void do_post(struct fin *in)
{
	uint8_t b = fin_u8(in);
	unsigned qi = b & 1, nseg = 1 + ((b >> 1) & 3);
	bool indirect = b & 8;
	struct chain *c = NULL;
	unsigned ndesc = indirect ? 1 : nseg;

	if (!st.ready || !st.d.q[qi].size)
		return;
	for (unsigned i = 0; i < 16; i++)
		if (!st.chains[qi][i].busy)
			c = &st.chains[qi][i];
	if (!c)
		return;
	/* the driver allocates descriptors round-robin: never reuse a busy one */
	for (unsigned i = 0; i < 16 && !st.tainted; i++) {
		const struct chain *o = &st.chains[qi][i];

		for (unsigned k = 0; o->busy && k < o->ndesc; k++)
			for (unsigned j = 0; j < ndesc; j++)
				if ((o->head + k) % st.d.q[qi].size ==
				    (st.d.q[qi].next_desc + j) % st.d.q[qi].size)
					return;
	}
	c->nseg = nseg;
	for (unsigned s = 0; s < nseg; s++) {
		uint64_t gpa = RAM_GPA + BUF_BASE + qi * 0x8000u + st.next_buf[qi]++ % 64 * 0x200u;
		uint32_t len = fin_u8(in) % 0x201; /* 0..512, zero-length segments too */

		c->seg[s] = (struct vdrv_seg){ gpa, len, qi == 0 };
		if (qi == 1) {
			for (uint32_t k = 0; k < len; k++)
				st.ram[gpa - RAM_GPA + k] = (uint8_t)(k * 13 + s + b);
			if (st.tx_posted_len + len <= STREAM)
				memcpy(st.tx_posted + st.tx_posted_len, vdrv_ptr(&st.d, gpa), len);
			else
				st.tainted = true;
			st.tx_posted_len += len;
		}
	}
	if (indirect && !(st.d.features & VD_F(VD_F_INDIRECT_DESC)))
		st.tainted = true;
	if (ndesc + inflight(qi) > st.d.q[qi].size)
		st.tainted = true;
	c->busy = true;
	c->ndesc = ndesc;
	c->head = vdrv_post(&st.d, qi, c->seg, nseg, indirect);
	if (b & 0x10)
		vdrv_kick(&st.d, qi);
}

static void do_hostile(struct fin *in)
{
	uint8_t b = fin_u8(in);
	unsigned qi = (b >> 1) & 1;
	struct vdrv_queue *q = &st.d.q[qi];

	st.tainted = true;
	switch ((b >> 2) & 3) {
	case 0: { /* raw descriptor, in the ring or in an indirect table */
		static const uint32_t lens[8] = { 0,	  1,	       16,	    512,
						  0x1000, 0xffffffffu, 0x80000000u, 48 };
		uint64_t addr = fin_guest_addr(in, RAM_GPA, RAM_SIZE);
		uint32_t len = lens[fin_u8(in) & 7];
		uint16_t flags = fin_u8(in) & 7, next = fin_u16(in);

		if (b & 1) {
			uint8_t *p = st.ram + 0x20000 + (uint64_t)fin_u8(in) * 16;

			memcpy(p, &addr, 8);
			memcpy(p + 8, &len, 4);
			memcpy(p + 12, &flags, 2);
			memcpy(p + 14, &next, 2);
		} else if (q->size) {
			vdrv_set_desc(&st.d, qi, (uint16_t)(fin_u8(in) % q->size), addr, len, flags,
				      (b & 0x80) ? next : (uint16_t)(next % q->size));
		}
		break;
	}
	case 1: /* raw avail head or index */
		if (!q->size)
			break;
		if (b & 1) {
			vdrv_post_head(&st.d, qi, fin_u16(in) % (q->size + 2));
		} else {
			uint16_t idx = fin_u16(in);

			memcpy(st.ram + (q->avail - RAM_GPA) + 2, &idx, 2);
		}
		break;
	default: { /* any register, any width, any value */
		static const uint16_t regs[] = { 0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050,
						 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0,
						 0x0a4, 0x100, 0x104, 0x108, 0x10c, 0x0fc };
		uint32_t off = (b & 0x80) ? fin_u16(in) % 0x1004
					  : regs[fin_u8(in) % (sizeof(regs) / sizeof(regs[0]))];
		unsigned width = (b & 0x40) ? fin_width(in) : 4;
		uint64_t val = (b & 0x20) ? fin_u64(in) : fin_u8(in);
		enum ax_err err, want = AX_OK;
		bool modelled;

		vstatus_check(&st.vs, reg_read(VD_STATUS), true); /* tainted above */
		modelled = vstatus_write(&st.vs, off, width, val, &want);
		err = ax_devices_handle_mmio_write(st.set, 0, CON_BASE + off, width, val);
		if (modelled)
			FUZZ_CHECK(err == want);
		if (off == VD_STATUS)
			memset(st.chains, 0, sizeof(st.chains));
		break;
	}
	}
	if (b & 0x10)
		vdrv_kick(&st.d, qi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t cfgb = fin_u8(&in);
	struct ax_emu_config emu = { "hvc0", CON_BASE, 0x1000, CON_IRQ, AX_EMU_VIRTIO_CONSOLE,
				     NULL,   0 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &st.host.hooks, .max_vcpus = 1 };
	unsigned steps = 0;

	memset(&st, 0, sizeof(st));
	test_host_init(&st.host, false);
	st.ram = test_host_add_ram(&st.host, RAM_GPA, RAM_SIZE);
	capture_chr_init(&st.chr);
	backends_clear();
	if (!(cfgb & 1))
		backends_bind_char("hvc0", &st.chr);
	backends_install(&st.host);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &st.set, NULL) == AX_OK);
	FUZZ_CHECK(ax_virtio_console_from_device(st.set, 1, &st.con) == AX_OK);
	vdrv_attach(&st.d, st.set, CON_BASE, st.ram, RAM_GPA, RAM_SIZE);
	vstatus_init(&st.vs, vstatus_read_offered(st.set, CON_BASE));
	if (cfgb & 2)
		do_init(&in);
	if (cfgb & 1)
		st.tainted = true, st.chr.len = 0; /* no backend: output is discarded */

	while (fin_left(&in) && steps++ < 256) {
		uint8_t op = fin_u8(&in);

		switch (op % 10) {
		case 0:
			do_init(&in);
			if (cfgb & 1)
				st.tainted = true;
			break;
		case 1:
		case 2:
		case 3:
			do_post(&in);
			break;
		case 4: { /* host input */
			uint8_t buf[600];
			size_t n = fin_u16(&in) % sizeof(buf), taken;

			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)(fin_u8(&in) ^ i);
			taken = ax_virtio_console_push_input(st.con, buf, n);
			FUZZ_CHECK(taken <= n);
			if (st.rx_sent_len + taken <= STREAM) {
				memcpy(st.rx_sent + st.rx_sent_len, buf, taken);
				st.rx_sent_len += taken;
			} else {
				st.tainted = true;
			}
			break;
		}
		case 5: /* backend budget, then resume */
			st.chr.budget = (fin_u8(&in) & 1) ? SIZE_MAX : fin_u8(&in) % 64;
			FUZZ_CHECK(ax_virtio_console_tx_resume(st.con) == AX_OK);
			break;
		case 6:
			vdrv_kick(&st.d, op & 0x10 ? 1 : 0);
			break;
		case 7:
			do_hostile(&in);
			break;
		case 8:
			vdrv_write(&st.d, VD_INTERRUPT_ACK, reg_read(VD_INTERRUPT_STATUS));
			FUZZ_CHECK(reg_read(VD_INTERRUPT_STATUS) == 0);
			break;
		default:
			FUZZ_CHECK(ax_virtio_console_set_size(st.con, fin_u16(&in), fin_u16(&in)) ==
				   AX_OK);
			break;
		}
		check();
		if (st.ready && !st.tainted && st.chr.budget == SIZE_MAX && (steps & 7) == 0) {
			vdrv_kick(&st.d, 1);
			check();
			if (!st.tainted)
				FUZZ_CHECK(st.chr.len == st.tx_posted_len);
		}
	}
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "console: tainted %d rx %zu/%zu tx %zu/%zu\n", st.tainted,
			st.rx_got_len, st.rx_sent_len, st.chr.len, st.tx_posted_len);
	ax_devices_destroy(st.set);
	backends_clear();
	test_host_fini(&st.host);
	return 0;
}
