/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: virtio-mmio + split virtqueues + virtio-net over a fake net
 * backend, driven by the tests' independent driver
 * (tests/support/virtio_driver.c) in a fake guest RAM, mixed with host-side
 * calls (receive by copy, rx_begin/commit/cancel, set_link, tx_resume) and
 * hostile operations: raw descriptors and avail heads on any queue, register
 * writes of any value and width, raw control commands.
 *
 * Invariants: no crash or leak (ASan/UBSan); InterruptStatus != 0 exactly
 * when the irq line is high; Status always reads what the status model
 * (virtio_status_model.h) says, FEATURES_OK refused exactly when the
 * driver's features break a dependency of virtio 1.2 §5.1.3.1, and
 * DEVICE_NEEDS_RESET appears only after a hostile operation. While only
 * well-formed traffic was posted since the last initialisation: every frame
 * the backend transmits is byte-exact the next one the driver queued
 * (header and frame, in order), unless the link went down or the backend
 * failed; every frame the host delivers lands byte-exact in the next
 * receive buffers in ring order with num_buffers right and used lengths
 * adding up to it; every well-formed control command gets OK or ERR.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/virtio.h>

#include "fuzz_input.h"
#include "host_posix.h"
#include "virtio_driver.h"
#include "virtio_status_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  0x100000ull
#define NET_BASE  0x10000000ull
#define NET_IRQ	  5
#define HDR	  VD_NET_HDR_LEN
#define TX_SLOTS  8
#define TX_BASE	  (RAM_GPA + 0x40000)
#define TX_SLOT	  0x4000u
#define RX_SLOTS  8
#define RX_BASE	  (RAM_GPA + 0x80000)
#define RX_SLOT	  0x4000u
#define CTRL_GPA  (RAM_GPA + 0xd0000)
#define FRAME_MAX 0x3000u
#define SENT_MAX  16

struct txq {
	uint32_t len; /* header included */
	unsigned descs;
	uint8_t bytes[FRAME_MAX];
};

struct rxbuf {
	uint32_t len;
	unsigned descs;
	uint16_t head;
};

struct state {
	struct test_host host;
	struct ax_net_backend be;
	struct ax_devices *set;
	struct ax_virtio_net *net;
	uint8_t *ram;
	struct vdrv d;
	bool ready, tainted, lossy, link_down;
	uint16_t qsize;
	unsigned block; /* backend: WouldBlock this many times */
	bool fail;	/* backend: refuse frames */
	bool in_begin;	/* a harness reservation is open */
	/* transmitted frames the driver queued, oldest first */
	struct txq tx[TX_SLOTS];
	unsigned tx_head, tx_n, tx_descs, tx_sent; /* sent: transmitted, not yet reaped */
	/* receive buffers posted, oldest first */
	struct rxbuf rx[RX_SLOTS];
	unsigned rx_head, rx_n, rx_descs, rx_slot;
	struct vstatus vs;
	uint64_t offered;
};

static struct state st;

static uint32_t reg_read(uint32_t off)
{
	uint64_t v = 0;

	ax_devices_handle_mmio_read(st.set, 0, NET_BASE + off, 4, &v);
	return (uint32_t)v;
}

/* virtio 1.2 §5.1.3.1, from the spec. */
static bool deps_ok(uint64_t f)
{
#define HAS(b) ((f & VD_F(b)) != 0)
	if ((HAS(VD_NET_F_GUEST_TSO4) || HAS(VD_NET_F_GUEST_TSO6)) && !HAS(VD_NET_F_GUEST_CSUM))
		return false;
	if (HAS(VD_NET_F_GUEST_ECN) && !HAS(VD_NET_F_GUEST_TSO4) && !HAS(VD_NET_F_GUEST_TSO6))
		return false;
	if ((HAS(VD_NET_F_HOST_TSO4) || HAS(VD_NET_F_HOST_TSO6)) && !HAS(VD_NET_F_CSUM))
		return false;
	if (HAS(VD_NET_F_HOST_ECN) && !HAS(VD_NET_F_HOST_TSO4) && !HAS(VD_NET_F_HOST_TSO6))
		return false;
	if ((HAS(VD_NET_F_CTRL_RX) || HAS(VD_NET_F_CTRL_MAC_ADDR) || HAS(VD_NET_F_CTRL_VLAN)) &&
	    !HAS(VD_NET_F_CTRL_VQ))
		return false;
#undef HAS
	return true;
}

static enum ax_err fake_transmit(void *ctx, const struct ax_iovec *iov, uint32_t iovcnt)
{
	uint8_t buf[FRAME_MAX + HDR];
	size_t total = 0;

	(void)ctx;
	if (st.block) {
		st.block--;
		return AX_ERR_WOULD_BLOCK;
	}
	for (uint32_t i = 0; i < iovcnt; i++) {
		FUZZ_CHECK(iov[i].len && iov[i].base);
		if (total + iov[i].len <= sizeof(buf))
			memcpy(buf + total, iov[i].base, iov[i].len);
		total += iov[i].len;
	}
	if (!st.tainted && !st.lossy) {
		struct txq *t = &st.tx[(st.tx_head + st.tx_sent) % TX_SLOTS];

		FUZZ_CHECK(st.tx_sent < st.tx_n);
		FUZZ_CHECK(total == t->len && memcmp(buf, t->bytes, total) == 0);
		st.tx_sent++;
	}
	return st.fail ? AX_ERR_IO : AX_OK;
}

static void fake_rx_ready(void *ctx)
{
	(void)ctx;
}

static const struct ax_net_backend *net_lookup(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "eth0") == 0 ? &st.be : NULL;
}

static void forget(void)
{
	st.tx_head = st.tx_n = st.tx_descs = st.tx_sent = 0;
	st.rx_head = st.rx_n = st.rx_descs = 0;
}

/* Collects the TX used ring: with nothing lost, everything handed over is used. */
static void reap_tx(void)
{
	uint32_t id, len;

	if (!st.ready || !st.d.q[1].size)
		return;
	while (vdrv_used(&st.d, 1, &id, &len)) {
		if (st.tainted)
			continue;
		FUZZ_CHECK(len == 0 && st.tx_n > 0);
		st.tx_descs -= st.tx[st.tx_head].descs;
		st.tx_head = (st.tx_head + 1) % TX_SLOTS;
		st.tx_n--;
		if (st.tx_sent)
			st.tx_sent--;
	}
}

static void check(void)
{
	uint32_t status = reg_read(VD_STATUS), isr = reg_read(VD_INTERRUPT_STATUS);

	FUZZ_CHECK(st.host.irq_level[NET_IRQ] == (isr != 0));
	FUZZ_CHECK((isr & ~3u) == 0);
	vstatus_check(&st.vs, status, st.tainted);
	if (st.ready && !st.tainted)
		FUZZ_CHECK(status ==
			   (VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK | VD_S_DRIVER_OK));
	reap_tx();
}

static void do_init(struct fin *in)
{
	static const uint16_t sizes[4] = { 8, 16, 32, 64 };
	uint8_t b = fin_u8(in);
	uint64_t wanted = st.offered & ~VD_F(VD_F_INDIRECT_DESC);
	uint16_t qs[3];
	unsigned nq;
	int ok;

	if (st.in_begin)
		ax_virtio_net_rx_cancel(st.net);
	st.in_begin = false;
	if (b & 0x80)
		wanted &= fin_u64(in);
	if (b & 0x40)
		wanted |= VD_F(VD_F_INDIRECT_DESC);
	st.qsize = sizes[b & 3];
	qs[0] = qs[1] = st.qsize;
	qs[2] = 16;
	nq = (wanted & VD_F(VD_NET_F_CTRL_VQ)) ? 3 : 2;
	ok = vdrv_init_sizes(&st.d, wanted, nq, qs);
	forget();
	st.tainted = false;
	st.lossy = st.link_down;
	st.fail = false;
	if (deps_ok(st.d.features)) {
		FUZZ_CHECK(ok == 0);
		st.ready = true;
		vstatus_driver_ready(&st.vs, st.d.features);
	} else {
		FUZZ_CHECK(ok != 0); /* FEATURES_OK refused */
		vdrv_write(&st.d, VD_STATUS, 0);
		vstatus_reset(&st.vs);
		st.ready = false;
	}
}

static void do_tx(struct fin *in)
{
	uint8_t b = fin_u8(in);
	uint32_t len = (b & 0x80) ? fin_u16(in) % (FRAME_MAX - HDR) : fin_u8(in);
	unsigned flags = (b >> 4) & 3, descs, slot;
	struct txq *t;

	if (!st.ready || st.tx_n == TX_SLOTS)
		return;
	if ((flags & VDRV_INDIRECT) && !(st.d.features & VD_F(VD_F_INDIRECT_DESC)))
		flags &= ~VDRV_INDIRECT;
	descs = (flags & VDRV_INDIRECT) ? 1 : (flags & VDRV_SPLIT) ? 1 + (len + 511) / 512 : 1;
	if (st.tx_descs + descs > st.qsize)
		return;
	slot = (st.tx_head + st.tx_n) % TX_SLOTS;
	t = &st.tx[slot];
	t->len = HDR + len;
	t->descs = descs;
	for (uint32_t i = 0; i < t->len; i++)
		t->bytes[i] = (uint8_t)(i * 13 + b);
	st.tx_n++;
	st.tx_descs += descs;
	vdrv_net_tx(&st.d, TX_BASE + slot * TX_SLOT, t->bytes, t->bytes + HDR, len, flags);
}

static void do_rx_post(struct fin *in)
{
	uint8_t b = fin_u8(in);
	uint32_t len = HDR + fin_u16(in) % (RX_SLOT - HDR);
	unsigned flags = (b >> 4) & 3, descs, slot;
	struct rxbuf *r;

	if (!st.ready || st.rx_n == RX_SLOTS || st.in_begin)
		return;
	if ((flags & VDRV_INDIRECT) && !(st.d.features & VD_F(VD_F_INDIRECT_DESC)))
		flags &= ~VDRV_INDIRECT;
	if ((flags & VDRV_SPLIT) && len > 60 * 512)
		flags &= ~VDRV_SPLIT;
	descs = (flags & VDRV_INDIRECT) ? 1
		: (flags & VDRV_SPLIT)	? 1 + (len - HDR + 511) / 512
					: 1;
	if (st.rx_descs + descs > st.qsize)
		return;
	slot = (st.rx_head + st.rx_n) % RX_SLOTS;
	r = &st.rx[slot];
	r->len = len;
	r->descs = descs;
	st.rx_n++;
	st.rx_descs += descs;
	r->head = vdrv_net_rx_post(&st.d, RX_BASE + slot * RX_SLOT, len, flags);
	if (b & 1)
		vdrv_kick(&st.d, 0);
}

/* After a delivery: the used entries are the next buffers, byte-exact. */
static void check_delivery(const uint8_t *frame, size_t len)
{
	size_t off = 0;
	unsigned nb = 0, first = st.rx_head;
	uint32_t id, ulen;

	while (off < len) {
		struct rxbuf *r = &st.rx[st.rx_head];
		const uint8_t *p = vdrv_ptr(&st.d, RX_BASE + st.rx_head * RX_SLOT);

		FUZZ_CHECK(st.rx_n > 0);
		FUZZ_CHECK(vdrv_used(&st.d, 0, &id, &ulen));
		FUZZ_CHECK(id == r->head);
		FUZZ_CHECK(ulen == (len - off < r->len ? len - off : r->len));
		for (uint32_t i = 0; i < ulen; i++)
			if (off + i < 10 || off + i >= 12)
				FUZZ_CHECK(p[i] == frame[off + i]);
		off += ulen;
		nb++;
		st.rx_descs -= r->descs;
		st.rx_head = (st.rx_head + 1) % RX_SLOTS;
		st.rx_n--;
	}
	FUZZ_CHECK(!vdrv_used(&st.d, 0, &id, &ulen));
	{
		const uint8_t *h = vdrv_ptr(&st.d, RX_BASE + first * RX_SLOT);

		FUZZ_CHECK((unsigned)(h[10] | h[11] << 8) == nb);
	}
	if (!(st.d.features & VD_F(VD_NET_F_MRG_RXBUF)))
		FUZZ_CHECK(nb == 1);
}

static void do_receive(struct fin *in)
{
	static uint8_t frame[FRAME_MAX];
	static const uint8_t dsts[4][6] = { { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
					    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
					    { 0x01, 0, 0x5e, 0, 0, 1 },
					    { 0x02, 0, 0, 0, 0, 9 } };
	uint8_t b = fin_u8(in);
	size_t len = (b & 0x80) ? fin_u16(in) % FRAME_MAX : HDR + fin_u8(in);
	struct ax_virtio_net_stats before, after;
	enum ax_err err;

	if (st.in_begin)
		return;
	for (size_t i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 5 + b);
	if (len >= HDR + 6)
		memcpy(frame + HDR, dsts[b & 3], 6);
	ax_virtio_net_get_stats(st.net, &before);
	err = ax_virtio_net_receive(st.net, frame, len);
	ax_virtio_net_get_stats(st.net, &after);
	if (len < HDR)
		FUZZ_CHECK(err == AX_ERR_INVALID_INPUT);
	if (!st.ready || st.tainted || len < HDR)
		return;
	if (st.link_down)
		FUZZ_CHECK(err == AX_ERR_BAD_STATE);
	if (err == AX_OK && after.rx_frames == before.rx_frames + 1)
		check_delivery(frame, len);
	else if (err == AX_OK)
		FUZZ_CHECK(after.rx_filtered == before.rx_filtered + 1);
	else if (err == AX_ERR_WOULD_BLOCK || (err == AX_ERR_INVALID_INPUT && len >= HDR))
		FUZZ_CHECK(after.rx_no_buffers == before.rx_no_buffers + 1);
}

static void do_zero_copy(struct fin *in)
{
	uint8_t b = fin_u8(in);
	struct ax_net_rx rx;

	if (!st.in_begin) {
		enum ax_err err = ax_virtio_net_rx_begin(st.net, &rx);

		st.in_begin = err == AX_OK;
		if (st.in_begin) {
			FUZZ_CHECK(rx.iovcnt > 0 && rx.iovcnt <= AX_NET_RX_MAX_IOV);
			FUZZ_CHECK(rx.capacity >= HDR);
			for (uint32_t i = 0; i < rx.iovcnt; i++)
				memset(rx.iov[i].base, b, rx.iov[i].len);
		}
		return;
	}
	st.in_begin = false;
	if (b & 1) {
		ax_virtio_net_rx_cancel(st.net);
	} else {
		ax_virtio_net_rx_commit(st.net, fin_u16(in));
		st.tainted = true; /* contents unknown to the oracle: stop checking RX */
	}
}

static void do_ctrl(struct fin *in)
{
	uint8_t b = fin_u8(in), cls = fin_u8(in) % 3, cmd = fin_u8(in) % 7;
	uint8_t data[64];
	uint32_t len = (b & 0x80) ? fin_u8(in) % sizeof(data) : (cls == 0 ? 1 : 6);
	int ack;

	if (!st.ready || !(st.d.features & VD_F(VD_NET_F_CTRL_VQ)))
		return;
	for (uint32_t i = 0; i < len; i++)
		data[i] = fin_u8(in);
	if (cls == 1 && cmd == 0 && (b & 0x40)) {
		uint8_t macs[4][6];

		memset(macs, b, sizeof(macs));
		len = (uint32_t)vdrv_net_mac_table(data, macs, b & 3, macs, (b >> 2) & 3);
	}
	ack = vdrv_net_ctrl(&st.d, CTRL_GPA, cls, cmd, data, len);
	if (!st.tainted)
		FUZZ_CHECK(ack == VD_NET_OK || ack == VD_NET_ERR);
}

static void do_raw_desc(struct fin *in)
{
	unsigned qi = fin_u8(in) % 3;
	uint64_t addr = fin_guest_addr(in, RAM_GPA, RAM_SIZE);
	uint32_t len = (fin_u8(in) & 1) ? fin_u32(in) : fin_u8(in);
	uint16_t flags = fin_u8(in) & 7, next = fin_u16(in);

	if (!st.d.q[qi].size)
		return;
	vdrv_set_desc(&st.d, qi, (uint16_t)(fin_u8(in) % st.d.q[qi].size), addr, len, flags,
		      next % (st.d.q[qi].size + 1));
	vdrv_post_head(&st.d, qi, fin_u16(in) % (st.d.q[qi].size + 1));
	st.tainted = true;
	vdrv_kick(&st.d, qi);
}

static void do_reg_write(struct fin *in)
{
	static const uint16_t regs[] = { 0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050,
					 0x064, 0x070, 0x080, 0x090, 0x0a0, 0x100, 0x106 };
	uint8_t b = fin_u8(in);
	uint32_t off = (b & 0x80) ? fin_u16(in) % 0x110
				  : regs[fin_u8(in) % (sizeof(regs) / sizeof(regs[0]))];
	unsigned width = (b & 0x40) ? fin_width(in) : 4;
	uint64_t val = (b & 0x20) ? fin_u64(in) : fin_u8(in);
	uint32_t before = st.vs.status;
	enum ax_err err, want = AX_OK;
	bool modelled;

	if (st.in_begin && (off & ~3u) == VD_STATUS) {
		ax_virtio_net_rx_cancel(st.net); /* a reset would wait for it */
		st.in_begin = false;
	}
	vstatus_check(&st.vs, reg_read(VD_STATUS), st.tainted);
	modelled = vstatus_write(&st.vs, off, width, val, &want);
	if (modelled && off == VD_STATUS && !(before & VD_S_FEATURES_OK) &&
	    (st.vs.status & VD_S_FEATURES_OK) && !deps_ok(st.vs.drv_features))
		st.vs.status &= ~(VD_S_FEATURES_OK | VD_S_DRIVER_OK);
	err = ax_devices_handle_mmio_write(st.set, 0, NET_BASE + off, width, val);
	if (modelled)
		FUZZ_CHECK(err == want);
	if (off == VD_INTERRUPT_ACK && width == 4)
		return;
	st.tainted = true;
	if (off == VD_STATUS) {
		forget();
		if ((val & 0xff) == 0)
			st.ready = false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t cfgb = fin_u8(&in);
	struct ax_emu_config emu = {
		"eth0", NET_BASE, 0x1000, NET_IRQ, AX_EMU_VIRTIO_NET, NULL, 0
	};
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &st.host.hooks, .max_vcpus = 1 };
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct ax_device_info info;
	unsigned steps = 0;

	memset(&st, 0, sizeof(st));
	test_host_init(&st.host, false);
	st.ram = test_host_add_ram(&st.host, RAM_GPA, RAM_SIZE);
	memcpy(st.be.mac, mac, 6);
	st.be.mtu = (cfgb & 1) ? 1500 : 0;
	st.be.host_offloads = (cfgb >> 1) & 15;
	st.be.guest_offloads = (cfgb >> 5) & 7;
	st.be.transmit = fake_transmit;
	st.be.rx_ready = fake_rx_ready;
	st.host.hooks.net_backend = net_lookup;
	FUZZ_CHECK(ax_devices_create(&params, &vm, &st.set, NULL) == AX_OK);
	FUZZ_CHECK(ax_devices_find_by_name(st.set, "eth0", &info) == AX_OK);
	FUZZ_CHECK(ax_virtio_net_from_device(st.set, info.id, &st.net) == AX_OK);
	vdrv_attach(&st.d, st.set, NET_BASE, st.ram, RAM_GPA, RAM_SIZE);
	st.offered = vstatus_read_offered(st.set, NET_BASE);
	vstatus_init(&st.vs, st.offered);
	if (cfgb & 0x80)
		do_init(&in);

	while (fin_left(&in) && steps++ < 256) {
		switch (fin_u8(&in) % 16) {
		case 0:
			do_init(&in);
			break;
		case 1:
		case 2:
			do_tx(&in);
			break;
		case 3:
		case 4:
			do_rx_post(&in);
			break;
		case 5:
		case 6:
			do_receive(&in);
			break;
		case 7:
			do_zero_copy(&in);
			break;
		case 8:
			do_ctrl(&in);
			break;
		case 9:
			do_raw_desc(&in);
			break;
		case 10:
			do_reg_write(&in);
			break;
		case 11: {
			bool down = fin_bool(&in);

			FUZZ_CHECK(ax_virtio_net_set_link(st.net, !down) == AX_OK);
			st.link_down = down;
			if (down)
				st.lossy = true;
			break;
		}
		case 12:
			st.block = fin_u8(&in) % 4;
			break;
		case 13:
			st.block = 0;
			FUZZ_CHECK(ax_virtio_net_tx_resume(st.net) == AX_OK);
			break;
		case 14:
			st.fail = fin_bool(&in);
			st.lossy |= st.fail;
			break;
		default:
			vdrv_write(&st.d, VD_INTERRUPT_ACK, reg_read(VD_INTERRUPT_STATUS));
			FUZZ_CHECK(reg_read(VD_INTERRUPT_STATUS) == 0);
			break;
		}
		check();
	}
	if (st.in_begin)
		ax_virtio_net_rx_cancel(st.net);
	ax_devices_destroy(st.set);
	test_host_fini(&st.host);
	return 0;
}
