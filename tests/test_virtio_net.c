/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net over virtio-mmio, driven end to end by the independent test
 * driver (tests/support/virtio_driver.c) through the device set, against a
 * fake net backend that records what it is given. Two virtio-net devices
 * sit in the set, each with its own RAM: hostile cases on the first must
 * leave the second working.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <axdevice/axdevice.h>
#include <axdevice/virtio.h>

#include "host_posix.h"
#include "virtio_driver.h"

#define RAM0_GPA  0x40000000ull
#define RAM0_SIZE 0x400000ull
#define RAM1_GPA  0x80000000ull
#define RAM1_SIZE 0x100000ull
#define NET0_BASE 0x10000000ull
#define NET1_BASE 0x10001000ull
#define NET0_IRQ  5
#define NET1_IRQ  6
#define QSIZE	  256
#define HDR	  VD_NET_HDR_LEN

#define TX_AREA	  (RAM0_GPA + 0x100000)
#define RX_AREA	  (RAM0_GPA + 0x200000)
#define RX_STRIDE 0x4000u
#define CTRL_AREA (RAM0_GPA + 0x3e0000)

#define FRAMES_MAX 64

struct fake_net {
	struct ax_net_backend be;
	unsigned nframes;
	size_t len[FRAMES_MAX];
	uint8_t *data[FRAMES_MAX];
	uint32_t iovcnt[FRAMES_MAX];
	unsigned block;	      /* WouldBlock this many times */
	enum ax_err fail;     /* returned (frame dropped) when not OK */
	atomic_uint rx_ready; /* calls */
	unsigned set_offloads_calls;
	uint32_t offloads;
};

struct fixture {
	struct test_host host;
	struct fake_net net0, net1;
	bool no_backend;
	struct ax_devices *set;
	uint8_t *ram0, *ram1;
	struct vdrv d0, d1;
	struct ax_virtio_net *n0, *n1;
	struct ax_diag diag;
};

static struct fixture *cur;

static const uint8_t MAC0[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t MAC1[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* --- fake backend ----------------------------------------------------------------------- */

static enum ax_err fake_transmit(void *ctx, const struct ax_iovec *iov, uint32_t iovcnt)
{
	struct fake_net *f = ctx;
	size_t total = 0, off = 0;

	if (f->block) {
		f->block--;
		return AX_ERR_WOULD_BLOCK;
	}
	if (f->fail != AX_OK)
		return f->fail;
	if (f->nframes == FRAMES_MAX)
		return AX_ERR_IO;
	for (uint32_t i = 0; i < iovcnt; i++)
		total += iov[i].len;
	f->data[f->nframes] = malloc(total ? total : 1);
	for (uint32_t i = 0; i < iovcnt; i++) {
		memcpy(f->data[f->nframes] + off, iov[i].base, iov[i].len);
		off += iov[i].len;
	}
	f->len[f->nframes] = total;
	f->iovcnt[f->nframes] = iovcnt;
	f->nframes++;
	return AX_OK;
}

static void fake_set_offloads(void *ctx, uint32_t off)
{
	struct fake_net *f = ctx;

	f->set_offloads_calls++;
	f->offloads = off;
}

static void fake_rx_ready(void *ctx)
{
	struct fake_net *f = ctx;

	atomic_fetch_add(&f->rx_ready, 1);
}

static void fake_init(struct fake_net *f, const uint8_t mac[6], uint32_t host_off,
		      uint32_t guest_off, uint16_t mtu)
{
	memset(f, 0, sizeof(*f));
	f->be.ctx = f;
	memcpy(f->be.mac, mac, 6);
	f->be.mtu = mtu;
	f->be.host_offloads = host_off;
	f->be.guest_offloads = guest_off;
	f->be.transmit = fake_transmit;
	f->be.set_offloads = fake_set_offloads;
	f->be.rx_ready = fake_rx_ready;
}

static void fake_fini(struct fake_net *f)
{
	for (unsigned i = 0; i < f->nframes; i++)
		free(f->data[i]);
	f->nframes = 0;
}

static const struct ax_net_backend *lookup_net(void *ctx, const char *name)
{
	(void)ctx;
	if (cur->no_backend)
		return NULL;
	if (strcmp(name, "eth0") == 0)
		return &cur->net0.be;
	if (strcmp(name, "eth1") == 0)
		return &cur->net1.be;
	return NULL;
}

/* --- fixture ------------------------------------------------------------------------------ */

#define ALL_OFF                                                                                    \
	(AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO4 | AX_NET_OFFLOAD_TSO6 | AX_NET_OFFLOAD_TSO_ECN)

static enum ax_err make_set(struct fixture *fx)
{
	const struct ax_emu_config emu[] = {
		{ "eth0", NET0_BASE, 0x1000, NET0_IRQ, AX_EMU_VIRTIO_NET, NULL, 0 },
		{ "eth1", NET1_BASE, 0x1000, NET1_IRQ, AX_EMU_VIRTIO_NET, NULL, 0 },
	};
	const struct ax_vm_device_config cfg = { emu, 2 };
	const struct ax_devices_params params = { .hooks = &fx->host.hooks, .max_vcpus = 2 };
	enum ax_err err = ax_devices_create(&params, &cfg, &fx->set, &fx->diag);

	if (err != AX_OK)
		return err;
	vdrv_attach(&fx->d0, fx->set, NET0_BASE, fx->ram0, RAM0_GPA, RAM0_SIZE);
	vdrv_attach(&fx->d1, fx->set, NET1_BASE, fx->ram1, RAM1_GPA, RAM1_SIZE);
	struct ax_device_info info;

	assert_int_equal(ax_devices_find_by_name(fx->set, "eth0", &info), AX_OK);
	assert_int_equal(ax_virtio_net_from_device(fx->set, info.id, &fx->n0), AX_OK);
	assert_int_equal(ax_devices_find_by_name(fx->set, "eth1", &info), AX_OK);
	assert_int_equal(ax_virtio_net_from_device(fx->set, info.id, &fx->n1), AX_OK);
	return AX_OK;
}

static struct fixture *new_fixture(uint32_t host_off, uint32_t guest_off, uint16_t mtu)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	cur = fx;
	test_host_init(&fx->host, false);
	fx->ram0 = test_host_add_ram(&fx->host, RAM0_GPA, RAM0_SIZE);
	fx->ram1 = test_host_add_ram(&fx->host, RAM1_GPA, RAM1_SIZE);
	fake_init(&fx->net0, MAC0, host_off, guest_off, mtu);
	fake_init(&fx->net1, MAC1, 0, 0, 0);
	fx->host.hooks.net_backend = lookup_net;
	return fx;
}

static int setup(void **state)
{
	struct fixture *fx = new_fixture(ALL_OFF, ALL_OFF, 1500);

	if (make_set(fx) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

static int setup_no_offloads(void **state)
{
	struct fixture *fx = new_fixture(0, 0, 0);

	if (make_set(fx) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->set)
		ax_devices_destroy(fx->set);
	fake_fini(&fx->net0);
	fake_fini(&fx->net1);
	test_host_fini(&fx->host);
	test_free(fx);
	return 0;
}

#define BASE_FEATURES                                                                              \
	(VD_F(VD_F_INDIRECT_DESC) | VD_F(VD_NET_F_MAC) | VD_F(VD_NET_F_STATUS) |                   \
	 VD_F(VD_NET_F_CTRL_VQ) | VD_F(VD_NET_F_CTRL_RX) | VD_F(VD_NET_F_CTRL_RX_EXTRA) |          \
	 VD_F(VD_NET_F_CTRL_MAC_ADDR))
#define OFFLOAD_FEATURES                                                                           \
	(VD_F(VD_NET_F_CSUM) | VD_F(VD_NET_F_GUEST_CSUM) | VD_F(VD_NET_F_GUEST_TSO4) |             \
	 VD_F(VD_NET_F_GUEST_TSO6) | VD_F(VD_NET_F_GUEST_ECN) | VD_F(VD_NET_F_HOST_TSO4) |         \
	 VD_F(VD_NET_F_HOST_TSO6) | VD_F(VD_NET_F_HOST_ECN))

static void init0(struct fixture *fx, uint64_t features)
{
	static const uint16_t sizes[3] = { QSIZE, QSIZE, 64 };
	unsigned nq = (features & VD_F(VD_NET_F_CTRL_VQ)) ? 3 : 2;

	assert_int_equal(vdrv_init_sizes(&fx->d0, features, nq, sizes), 0);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

/* A frame (header first) to `dst` of `len` bytes in all. */
static void make_frame(uint8_t *buf, size_t len, const uint8_t dst[6], unsigned seed)
{
	fill(buf, len, seed);
	memset(buf, 0, HDR);
	if (len >= HDR + 6)
		memcpy(buf + HDR, dst, 6);
}

static void stats(struct ax_virtio_net *n, struct ax_virtio_net_stats *s)
{
	assert_int_equal(ax_virtio_net_get_stats(n, s), AX_OK);
}

/* The device is stopped with NEEDS_RESET; eth1 still works; a reset brings eth0 back. */
static void assert_needs_reset(struct fixture *fx)
{
	uint8_t hdr[HDR] = { 0 }, frame[64];
	struct ax_net_rx rx;
	unsigned sent = fx->net1.nframes;

	assert_true(vdrv_read(&fx->d0, VD_STATUS) & VD_S_NEEDS_RESET);
	assert_true(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS) & 2);
	assert_true(strstr(fx->host.last_log, "eth0") != NULL);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_ERR_BAD_STATE);
	/* the other device is unaffected */
	assert_int_equal(vdrv_init(&fx->d1, BASE_FEATURES, 3, 16), 0); /* controlq max 64 */
	fill(frame, sizeof(frame), 3);
	vdrv_net_tx(&fx->d1, RAM1_GPA + 0x40000, hdr, frame, sizeof(frame), 0);
	assert_int_equal(fx->net1.nframes, sent + 1);
	assert_false(vdrv_read(&fx->d1, VD_STATUS) & VD_S_NEEDS_RESET);
	/* a reset brings eth0 back */
	init0(fx, BASE_FEATURES);
	assert_false(vdrv_read(&fx->d0, VD_STATUS) & VD_S_NEEDS_RESET);
	vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
	memset(frame, 0, HDR);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_OK);
}

/* --- identity, config, features -------------------------------------------------------- */

static uint64_t offered(struct vdrv *d)
{
	uint64_t f;

	vdrv_write(d, VD_DEVICE_FEAT_SEL, 0);
	f = vdrv_read(d, VD_DEVICE_FEATURES);
	vdrv_write(d, VD_DEVICE_FEAT_SEL, 1);
	return f | (uint64_t)vdrv_read(d, VD_DEVICE_FEATURES) << 32;
}

static void test_identity_and_config(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->d0;

	assert_int_equal(vdrv_read(d, VD_DEVICE_ID), 1);
	assert_int_equal(vdrv_read(d, VD_VENDOR_ID), AX_VIRTIO_MMIO_VENDOR_ID);
	assert_int_equal(offered(d), BASE_FEATURES | OFFLOAD_FEATURES | VD_F(VD_F_VERSION_1) |
					     VD_F(VD_F_EVENT_IDX) | VD_F(VD_NET_F_MTU) |
					     VD_F(VD_NET_F_MRG_RXBUF));
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vdrv_config(d, i, 1), MAC0[i]);
	assert_int_equal(vdrv_config(d, 6, 2), VD_NET_S_LINK_UP);
	assert_int_equal(vdrv_config(d, 8, 2), 1);
	assert_int_equal(vdrv_config(d, 10, 2), 1500);
	vdrv_config(d, 12, 2);
	assert_int_equal(d->last_err, AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_mmio_write(fx->set, 0, NET0_BASE + VD_CONFIG, 1, 0),
			 AX_ERR_PERMISSION_DENIED);
	for (unsigned q = 0; q < 3; q++) {
		vdrv_write(d, VD_QUEUE_SEL, q);
		assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), q == 2 ? 64 : 256);
	}
	vdrv_write(d, VD_QUEUE_SEL, 3);
	assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), 0);
	/* eth1: no offloads, no MTU */
	assert_int_equal(offered(&fx->d1), BASE_FEATURES | VD_F(VD_F_VERSION_1) |
						   VD_F(VD_F_EVENT_IDX) | VD_F(VD_NET_F_MRG_RXBUF));
	assert_int_equal(vdrv_config(&fx->d1, 10, 2), 0);
	/* the host API refuses the wrong device kind and NULLs */
	assert_int_equal(ax_virtio_net_from_device(fx->set, 12345, &fx->n0), AX_ERR_NOT_FOUND);
	assert_int_equal(ax_virtio_net_get_stats(NULL, NULL), AX_ERR_INVALID_INPUT);
}

static void test_partial_offloads(void **state)
{
	struct fixture *fx = new_fixture(AX_NET_OFFLOAD_TSO4 | AX_NET_OFFLOAD_TSO_ECN,
					 AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO_ECN, 0);
	uint64_t f;

	(void)state;
	assert_int_equal(make_set(fx), AX_OK);
	f = offered(&fx->d0);
	/* TSO without CSUM offers nothing; ECN without TSO neither */
	assert_false(f & (VD_F(VD_NET_F_CSUM) | VD_F(VD_NET_F_HOST_TSO4) | VD_F(VD_NET_F_HOST_ECN) |
			  VD_F(VD_NET_F_GUEST_ECN) | VD_F(VD_NET_F_MTU)));
	assert_true(f & VD_F(VD_NET_F_GUEST_CSUM));
	*state = fx;
	teardown(state);
}

static void test_no_backend(void **state)
{
	struct fixture *fx = new_fixture(0, 0, 0);

	(void)state;
	fx->no_backend = true;
	assert_int_equal(make_set(fx), AX_ERR_NOT_FOUND);
	assert_non_null(strstr(fx->diag.msg, "no net backend"));
	assert_non_null(strstr(fx->diag.msg, "eth0"));
	fx->no_backend = false;
	fx->net0.be.mtu = 10; /* below 68 */
	assert_int_equal(make_set(fx), AX_ERR_INVALID_INPUT);
	*state = fx;
	teardown(state);
}

/* Writes the features and FEATURES_OK; true when FEATURES_OK stuck. */
static bool try_features(struct vdrv *d, uint64_t f)
{
	f |= VD_F(VD_F_VERSION_1);
	vdrv_write(d, VD_STATUS, 0);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER);
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 0);
	vdrv_write(d, VD_DRIVER_FEATURES, (uint32_t)f);
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 1);
	vdrv_write(d, VD_DRIVER_FEATURES, (uint32_t)(f >> 32));
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);
	return vdrv_read(d, VD_STATUS) & VD_S_FEATURES_OK;
}

static void test_feature_dependencies(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->d0;
	static const struct {
		uint64_t bad, fixed;
	} cases[] = {
		{ VD_F(VD_NET_F_GUEST_TSO4), VD_F(VD_NET_F_GUEST_CSUM) },
		{ VD_F(VD_NET_F_GUEST_TSO6), VD_F(VD_NET_F_GUEST_CSUM) },
		{ VD_F(VD_NET_F_GUEST_ECN) | VD_F(VD_NET_F_GUEST_CSUM), VD_F(VD_NET_F_GUEST_TSO4) },
		{ VD_F(VD_NET_F_GUEST_ECN) | VD_F(VD_NET_F_GUEST_CSUM), VD_F(VD_NET_F_GUEST_TSO6) },
		{ VD_F(VD_NET_F_HOST_TSO4), VD_F(VD_NET_F_CSUM) },
		{ VD_F(VD_NET_F_HOST_TSO6), VD_F(VD_NET_F_CSUM) },
		{ VD_F(VD_NET_F_HOST_ECN) | VD_F(VD_NET_F_CSUM), VD_F(VD_NET_F_HOST_TSO4) },
		{ VD_F(VD_NET_F_HOST_ECN) | VD_F(VD_NET_F_CSUM), VD_F(VD_NET_F_HOST_TSO6) },
		{ VD_F(VD_NET_F_CTRL_RX), VD_F(VD_NET_F_CTRL_VQ) },
		{ VD_F(VD_NET_F_CTRL_MAC_ADDR), VD_F(VD_NET_F_CTRL_VQ) },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_false(try_features(d, cases[i].bad));
		assert_true(strstr(fx->host.last_log, "eth0") != NULL);
		assert_true(try_features(d, cases[i].bad | cases[i].fixed));
	}
	assert_true(try_features(d, BASE_FEATURES | OFFLOAD_FEATURES));
	assert_false(try_features(d, VD_F(VD_NET_F_CTRL_VLAN))); /* not offered */
	/* set_offloads at DRIVER_OK with the guest offloads accepted */
	init0(fx, BASE_FEATURES | VD_F(VD_NET_F_GUEST_CSUM) | VD_F(VD_NET_F_GUEST_TSO6) |
			  VD_F(VD_NET_F_HOST_TSO4) | VD_F(VD_NET_F_CSUM));
	assert_int_equal(fx->net0.set_offloads_calls, 1);
	assert_int_equal(fx->net0.offloads, AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO6);
	init0(fx, BASE_FEATURES);
	assert_int_equal(fx->net0.set_offloads_calls, 2);
	assert_int_equal(fx->net0.offloads, 0);
}

/* --- transmit ----------------------------------------------------------------------------- */

static void test_tx_shapes(void **state)
{
	struct fixture *fx = *state;
	static const unsigned shapes[] = { 0, VDRV_SPLIT, VDRV_INDIRECT,
					   VDRV_INDIRECT | VDRV_SPLIT };
	static const uint32_t lens[] = { 60, 1514, 5000, 0 };
	struct ax_virtio_net_stats s;
	uint64_t bytes = 0;
	unsigned n = 0;

	init0(fx, BASE_FEATURES | OFFLOAD_FEATURES);
	for (size_t i = 0; i < 4; i++) {
		for (size_t j = 0; j < 4; j++) {
			struct vdrv_net_hdr h = {
				VD_NET_HDR_F_NEEDS_CSUM, VD_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16, 0
			};
			uint8_t hdr[HDR], frame[5000], want[HDR + 5000];
			uint32_t id, len;
			uint16_t head;

			h.gso_size = (uint16_t)(i * 4 + j);
			vdrv_net_hdr_pack(&h, hdr);
			fill(frame, lens[j], (unsigned)(i * 4 + j));
			head = vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, lens[j], shapes[i]);
			assert_true(vdrv_used(&fx->d0, 1, &id, &len));
			assert_int_equal(id, head);
			assert_int_equal(len, 0);
			assert_int_equal(fx->net0.nframes, n + 1);
			assert_int_equal(fx->net0.len[n], HDR + lens[j]);
			memcpy(want, hdr, HDR);
			memcpy(want + HDR, frame, lens[j]);
			assert_memory_equal(fx->net0.data[n], want, HDR + lens[j]);
			if (shapes[i] & VDRV_SPLIT)
				assert_int_equal(fx->net0.iovcnt[n], 1 + (lens[j] + 511) / 512);
			n++;
			bytes += lens[j];
		}
	}
	stats(fx->n0, &s);
	assert_int_equal(s.tx_frames, n);
	assert_int_equal(s.tx_bytes, bytes);
	assert_int_equal(s.tx_dropped, 0);
	assert_true(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS) & 1);
}

static void test_tx_backpressure(void **state)
{
	struct fixture *fx = *state;
	uint8_t hdr[HDR] = { 0 }, frame[100];
	struct ax_virtio_net_stats s;
	uint32_t id, len;

	init0(fx, BASE_FEATURES);
	fill(frame, sizeof(frame), 1);
	fx->net0.block = 2;
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, sizeof(frame), 0);
	vdrv_net_tx(&fx->d0, TX_AREA + 0x1000, hdr, frame, 50, 0);
	assert_false(vdrv_used(&fx->d0, 1, &id, &len)); /* both kept */
	assert_int_equal(fx->net0.nframes, 0);
	/* the second kick retried once (block 1 left); tx_resume sends both, in order */
	assert_int_equal(fx->net0.block, 0);
	assert_int_equal(ax_virtio_net_tx_resume(fx->n0), AX_OK);
	assert_int_equal(fx->net0.nframes, 2);
	assert_int_equal(fx->net0.len[0], HDR + 100);
	assert_int_equal(fx->net0.len[1], HDR + 50);
	assert_true(vdrv_used(&fx->d0, 1, &id, &len));
	assert_true(vdrv_used(&fx->d0, 1, &id, &len));
	/* a backend error drops the frame (counted), the chain is used */
	fx->net0.fail = AX_ERR_IO;
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, 10, 0);
	assert_true(vdrv_used(&fx->d0, 1, &id, &len));
	stats(fx->n0, &s);
	assert_int_equal(s.tx_frames, 2);
	assert_int_equal(s.tx_dropped, 1);
	/* resume with nothing queued is harmless */
	assert_int_equal(ax_virtio_net_tx_resume(fx->n0), AX_OK);
	assert_int_equal(ax_virtio_net_tx_resume(NULL), AX_ERR_INVALID_INPUT);
}

/* --- receive ------------------------------------------------------------------------------ */

/* Copies `len` bytes of `frame` into a reservation's iovecs. */
static void fill_iov(const struct ax_net_rx *rx, const uint8_t *frame, size_t len)
{
	size_t off = 0;

	for (uint32_t i = 0; i < rx->iovcnt && off < len; i++) {
		size_t k = rx->iov[i].len < len - off ? rx->iov[i].len : len - off;

		memcpy(rx->iov[i].base, frame + off, k);
		off += k;
	}
	assert_int_equal(off, len);
}

static void check_rx_used(struct fixture *fx, uint16_t head, uint32_t want_len)
{
	uint32_t id, len;

	assert_true(vdrv_used(&fx->d0, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, want_len);
}

static void test_rx_copy_and_zero_copy(void **state)
{
	struct fixture *fx = *state;
	uint8_t frame[1600];
	struct vdrv_net_hdr h;
	struct ax_net_rx rx;
	struct ax_virtio_net_stats s;
	uint16_t head;
	unsigned raises;

	init0(fx, BASE_FEATURES);
	/* by copy, into a split buffer */
	head = vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, VDRV_SPLIT);
	vdrv_kick(&fx->d0, 0);
	make_frame(frame, 1000, MAC0, 5);
	frame[0] = 1; /* flags pass through */
	raises = fx->host.irq_raises[NET0_IRQ];
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 1000), AX_OK);
	check_rx_used(fx, head, 1000);
	assert_int_equal(fx->host.irq_raises[NET0_IRQ], raises + 1);
	vdrv_net_hdr_unpack(vdrv_ptr(&fx->d0, RX_AREA), &h);
	assert_int_equal(h.num_buffers, 1);
	assert_int_equal(h.flags, 1);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA), frame, 10);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + HDR), frame + HDR, 1000 - HDR);

	/* zero-copy, into an indirect buffer */
	head = vdrv_net_rx_post(&fx->d0, RX_AREA + RX_STRIDE, 1600, VDRV_INDIRECT | VDRV_SPLIT);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	assert_int_equal(rx.capacity, 1600);
	assert_int_equal(rx.iovcnt, 1 + (1600 - HDR + 511) / 512);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_ERR_RESOURCE_BUSY);
	make_frame(frame, 1600, MAC0, 9);
	fill_iov(&rx, frame, 1600);
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, 1600), AX_OK);
	check_rx_used(fx, head, 1600);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + RX_STRIDE + HDR), frame + HDR, 1600 - HDR);
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, 100), AX_ERR_BAD_STATE); /* none open */

	/* bad lengths give the buffer back */
	head = vdrv_net_rx_post(&fx->d0, RX_AREA, 512, 0);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, HDR - 1), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, 513), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	ax_virtio_net_rx_cancel(fx->n0);
	/* a frame longer than the only buffer (no MRG_RXBUF): dropped, counted, buffer kept */
	make_frame(frame, 600, MAC0, 1);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 600), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 500), AX_OK);
	check_rx_used(fx, head, 500);
	stats(fx->n0, &s);
	assert_int_equal(s.rx_frames, 3);
	assert_int_equal(s.rx_bytes, 1000 + 1600 + 500 - 3 * HDR);
	assert_int_equal(s.rx_no_buffers, 1);
}

static void test_rx_mergeable(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[HDR + AX_NET_MAX_FRAME];
	uint16_t heads[4];
	struct vdrv_net_hdr h;
	struct ax_net_rx rx;

	init0(fx, BASE_FEATURES | VD_F(VD_NET_F_MRG_RXBUF));
	for (unsigned i = 0; i < 4; i++)
		heads[i] = vdrv_net_rx_post(&fx->d0, RX_AREA + i * RX_STRIDE, 1000,
					    i & 1 ? VDRV_SPLIT : 0);
	/* a 2500-byte frame spans three buffers */
	make_frame(frame, 2500, MAC0, 4);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 2500), AX_OK);
	check_rx_used(fx, heads[0], 1000);
	check_rx_used(fx, heads[1], 1000);
	check_rx_used(fx, heads[2], 500);
	vdrv_net_hdr_unpack(vdrv_ptr(&fx->d0, RX_AREA), &h);
	assert_int_equal(h.num_buffers, 3);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + HDR), frame + HDR, 1000 - HDR);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + RX_STRIDE), frame + 1000, 1000);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + 2 * RX_STRIDE), frame + 2000, 500);
	/* the fourth buffer was given back: the next frame gets it */
	make_frame(frame, 100, MAC0, 6);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 100), AX_OK);
	check_rx_used(fx, heads[3], 100);
	vdrv_net_hdr_unpack(vdrv_ptr(&fx->d0, RX_AREA + 3 * RX_STRIDE), &h);
	assert_int_equal(h.num_buffers, 1);
	/* too few buffers for the frame: WouldBlock, then rx_ready when more come */
	heads[0] = vdrv_net_rx_post(&fx->d0, RX_AREA, 1000, 0);
	vdrv_kick(&fx->d0, 0);
	make_frame(frame, 1500, MAC0, 7);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 1500), AX_ERR_WOULD_BLOCK);
	heads[1] = vdrv_net_rx_post(&fx->d0, RX_AREA + RX_STRIDE, 1000, 0);
	vdrv_kick(&fx->d0, 0);
	assert_int_equal(atomic_load(&fx->net0.rx_ready), 1);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, 1500), AX_OK);
	check_rx_used(fx, heads[0], 1000);
	check_rx_used(fx, heads[1], 500);
	/* a reservation stops at 64 iovecs, or at the largest frame */
	for (unsigned i = 0; i < 70; i++)
		vdrv_net_rx_post(&fx->d0, RX_AREA + 0x40000 + i * 0x400, 1000, 0);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	assert_int_equal(rx.iovcnt, 64);
	assert_int_equal(rx.capacity, 64000);
	make_frame(frame, 64000, MAC0, 8);
	fill_iov(&rx, frame, 64000);
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, 64000), AX_OK);
	vdrv_net_hdr_unpack(vdrv_ptr(&fx->d0, RX_AREA + 0x40000), &h);
	assert_int_equal(h.num_buffers, 64);
	for (unsigned i = 0; i < 66; i++)
		vdrv_net_rx_post(&fx->d0, RX_AREA + 0x60000 + i * 0x1000, 0x1000, 0);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	assert_int_equal(rx.iovcnt, 6 + 15);
	assert_int_equal(rx.capacity, 6000 + 15 * 0x1000);
	make_frame(frame, sizeof(frame), MAC0, 9);
	fill_iov(&rx, frame, sizeof(frame));
	assert_int_equal(ax_virtio_net_rx_commit(fx->n0, sizeof(frame)), AX_OK);
	vdrv_net_hdr_unpack(vdrv_ptr(&fx->d0, RX_AREA + 0x40000 + 64 * 0x400), &h);
	assert_int_equal(h.num_buffers, 21);
	assert_memory_equal(vdrv_ptr(&fx->d0, RX_AREA + 0x60000 + 14 * 0x1000),
			    frame + 6000 + 14 * 0x1000, sizeof(frame) - 6000 - 14 * 0x1000);
}

static void test_rx_no_buffers(void **state)
{
	struct fixture *fx = *state;
	uint8_t frame[200];
	struct ax_net_rx rx;
	struct ax_virtio_net_stats s;

	/* before the driver is ready */
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_ERR_BAD_STATE);
	init0(fx, BASE_FEATURES | VD_F(VD_F_EVENT_IDX));
	make_frame(frame, sizeof(frame), BCAST, 1);
	for (unsigned i = 0; i < 1000; i++)
		assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)),
				 AX_ERR_WOULD_BLOCK);
	stats(fx->n0, &s);
	assert_int_equal(s.rx_no_buffers, 1000);
	assert_int_equal(atomic_load(&fx->net0.rx_ready), 0);
	/* TX and control work meanwhile */
	vdrv_net_tx(&fx->d0, TX_AREA, frame, frame + HDR, 50, 0);
	assert_int_equal(fx->net0.nframes, 1);
	assert_int_equal(vdrv_net_ctrl(&fx->d0, CTRL_AREA, 0, 0, "\0", 1), VD_NET_OK);
	/* with EVENT_IDX the device asked for a notification at the next buffer */
	assert_int_equal(vdrv_avail_event(&fx->d0, 0), 0);
	vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
	vdrv_kick(&fx->d0, 0);
	assert_int_equal(atomic_load(&fx->net0.rx_ready), 1);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_OK);
	vdrv_kick(&fx->d0, 0); /* no WouldBlock since: no rx_ready */
	assert_int_equal(atomic_load(&fx->net0.rx_ready), 1);
}

/* --- filtering and control ------------------------------------------------------------------ */

/* Delivers a frame to `dst` into a fresh buffer: true if it arrived. */
static bool rx_to(struct fixture *fx, const uint8_t dst[6])
{
	uint8_t frame[64];
	uint32_t id, len;
	struct ax_virtio_net_stats before, after;
	bool got;

	make_frame(frame, sizeof(frame), dst, 2);
	if (vdrv_used_idx(&fx->d0, 0) == fx->d0.q[0].avail_idx)
		vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
	stats(fx->n0, &before);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_OK);
	stats(fx->n0, &after);
	got = vdrv_used(&fx->d0, 0, &id, &len);
	assert_int_equal(after.rx_filtered, before.rx_filtered + !got);
	return got;
}

static int rx_cmd(struct fixture *fx, uint8_t cmd, uint8_t on)
{
	return vdrv_net_ctrl(&fx->d0, CTRL_AREA, VD_NET_CTRL_RX, cmd, &on, 1);
}

static void test_rx_filter(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t other_uc[6] = { 0x02, 0, 0, 0, 0, 9 };
	static const uint8_t table_uc[6] = { 0x02, 0, 0, 0, 0, 7 };
	static const uint8_t mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	static const uint8_t table_mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t table[1024];
	size_t tlen;

	init0(fx, BASE_FEATURES);
	/* power-on: promiscuous */
	assert_true(rx_to(fx, other_uc));
	assert_true(rx_to(fx, mc));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_PROMISC, 0), VD_NET_OK);
	assert_true(rx_to(fx, MAC0));
	assert_true(rx_to(fx, BCAST));
	assert_false(rx_to(fx, other_uc));
	assert_false(rx_to(fx, mc));
	/* the MAC table */
	tlen = vdrv_net_mac_table(table, &table_uc, 1, &table_mc, 1);
	assert_int_equal(vdrv_net_ctrl(&fx->d0, CTRL_AREA, VD_NET_CTRL_MAC,
				       VD_NET_CTRL_MAC_TABLE_SET, table, (uint32_t)tlen),
			 VD_NET_OK);
	assert_true(rx_to(fx, table_uc));
	assert_true(rx_to(fx, table_mc));
	assert_false(rx_to(fx, other_uc));
	assert_false(rx_to(fx, mc));
	/* allmulti, alluni */
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_ALLMULTI, 1), VD_NET_OK);
	assert_true(rx_to(fx, mc));
	assert_false(rx_to(fx, other_uc));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_ALLUNI, 1), VD_NET_OK);
	assert_true(rx_to(fx, other_uc));
	/* nomulti beats allmulti; nouni beats alluni and the device MAC; nobcast */
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_NOMULTI, 1), VD_NET_OK);
	assert_false(rx_to(fx, mc));
	assert_false(rx_to(fx, table_mc));
	assert_true(rx_to(fx, BCAST));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_NOUNI, 1), VD_NET_OK);
	assert_false(rx_to(fx, other_uc));
	assert_false(rx_to(fx, MAC0));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_NOBCAST, 1), VD_NET_OK);
	assert_false(rx_to(fx, BCAST));
	/* promiscuous beats everything */
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_PROMISC, 7), VD_NET_OK);
	assert_true(rx_to(fx, BCAST));
	assert_true(rx_to(fx, other_uc));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_PROMISC, 0), VD_NET_OK);
	for (uint8_t c = VD_NET_CTRL_RX_ALLMULTI; c <= VD_NET_CTRL_RX_NOBCAST; c++)
		assert_int_equal(rx_cmd(fx, c, 0), VD_NET_OK);
	assert_true(rx_to(fx, BCAST));
	assert_false(rx_to(fx, other_uc));
	/* ADDR_SET moves the device MAC, in config space too */
	assert_int_equal(vdrv_net_ctrl(&fx->d0, CTRL_AREA, VD_NET_CTRL_MAC,
				       VD_NET_CTRL_MAC_ADDR_SET, other_uc, 6),
			 VD_NET_OK);
	assert_true(rx_to(fx, other_uc));
	assert_false(rx_to(fx, MAC0));
	assert_int_equal(vdrv_config(&fx->d0, 5, 1), 9);
	/* a reset brings back the backend's MAC and promiscuous mode */
	init0(fx, BASE_FEATURES);
	assert_int_equal(vdrv_config(&fx->d0, 5, 1), MAC0[5]);
	assert_true(rx_to(fx, mc));
}

static void test_ctrl_errors(void **state)
{
	struct fixture *fx = *state;
	static uint8_t macs[65][6];
	uint8_t table[1024], on = 1;
	size_t tlen;
	struct vdrv *d = &fx->d0;

	init0(fx, BASE_FEATURES);
	/* unknown class and command, wrong data sizes */
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, 9, 0, NULL, 0), VD_NET_ERR);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_RX, 6, &on, 1), VD_NET_ERR);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_RX, 0, NULL, 0), VD_NET_ERR);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_RX, 0, "ab", 2), VD_NET_ERR);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, 2, NULL, 0), VD_NET_ERR);
	assert_int_equal(
		vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_ADDR_SET, "abcde", 5),
		VD_NET_ERR);
	/* MAC tables: 64 entries each are fine, 65 are not; lengths must add up */
	tlen = vdrv_net_mac_table(table, macs, 64, macs, 64);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen),
			 VD_NET_OK);
	tlen = vdrv_net_mac_table(table, macs, 65, macs, 0);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen),
			 VD_NET_ERR);
	tlen = vdrv_net_mac_table(table, macs, 0, macs, 65);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen),
			 VD_NET_ERR);
	tlen = vdrv_net_mac_table(table, macs, 2, macs, 1);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen - 1),
			 VD_NET_ERR);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen + 1),
			 VD_NET_ERR);
	assert_int_equal(
		vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET, table, 4),
		VD_NET_ERR);
	/* commands of features not negotiated */
	init0(fx, VD_F(VD_NET_F_CTRL_VQ) | VD_F(VD_NET_F_CTRL_RX));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_PROMISC, 1), VD_NET_OK);
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_ALLUNI, 1), VD_NET_ERR); /* RX_EXTRA */
	assert_int_equal(
		vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_ADDR_SET, MAC1, 6),
		VD_NET_ERR);
	init0(fx, VD_F(VD_NET_F_CTRL_VQ));
	assert_int_equal(rx_cmd(fx, VD_NET_CTRL_RX_PROMISC, 1), VD_NET_ERR);
	tlen = vdrv_net_mac_table(table, macs, 0, macs, 0);
	assert_int_equal(vdrv_net_ctrl(d, CTRL_AREA, VD_NET_CTRL_MAC, VD_NET_CTRL_MAC_TABLE_SET,
				       table, (uint32_t)tlen),
			 VD_NET_ERR);
	assert_false(vdrv_read(d, VD_STATUS) & VD_S_NEEDS_RESET);
}

/* --- link --------------------------------------------------------------------------------- */

static void test_link(void **state)
{
	struct fixture *fx = *state;
	uint8_t hdr[HDR] = { 0 }, frame[64];
	struct ax_net_rx rx;
	struct ax_virtio_net_stats s;
	uint32_t gen, id, len;

	init0(fx, BASE_FEATURES);
	vdrv_write(&fx->d0, VD_INTERRUPT_ACK, 3);
	gen = vdrv_read(&fx->d0, VD_CONFIG_GENERATION);
	assert_int_equal(ax_virtio_net_set_link(fx->n0, false), AX_OK);
	assert_int_equal(vdrv_config(&fx->d0, 6, 2), 0);
	assert_int_equal(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS), 2);
	assert_true(fx->host.irq_level[NET0_IRQ]);
	assert_int_not_equal(vdrv_read(&fx->d0, VD_CONFIG_GENERATION), gen);
	vdrv_write(&fx->d0, VD_INTERRUPT_ACK, 2);
	/* no change, no interrupt */
	assert_int_equal(ax_virtio_net_set_link(fx->n0, false), AX_OK);
	assert_int_equal(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS), 0);
	/* down: no receive, TX dropped (and used) */
	vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_ERR_BAD_STATE);
	fill(frame, sizeof(frame), 1);
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, sizeof(frame), 0);
	assert_true(vdrv_used(&fx->d0, 1, &id, &len));
	assert_int_equal(fx->net0.nframes, 0);
	stats(fx->n0, &s);
	assert_int_equal(s.tx_dropped, 1);
	/* up again */
	assert_int_equal(ax_virtio_net_set_link(fx->n0, true), AX_OK);
	assert_int_equal(vdrv_config(&fx->d0, 6, 2), VD_NET_S_LINK_UP);
	assert_true(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS) & 2);
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, sizeof(frame), 0);
	assert_int_equal(fx->net0.nframes, 1);
	make_frame(frame, sizeof(frame), MAC0, 1);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_OK);
	assert_int_equal(ax_virtio_net_set_link(NULL, true), AX_ERR_INVALID_INPUT);
}

/* --- hostile guests -------------------------------------------------------------------------- */

static void test_hostile_tx(void **state)
{
	struct fixture *fx = *state;
	uint8_t hdr[HDR] = { 0 };
	static uint8_t big[AX_NET_MAX_FRAME + 1];
	struct vdrv_seg segs[2];

	/* a bad chain: next outside the queue */
	init0(fx, BASE_FEATURES);
	vdrv_set_desc(&fx->d0, 1, 0, TX_AREA, 100, VD_DESC_NEXT, 999);
	vdrv_post_head(&fx->d0, 1, 0);
	vdrv_kick(&fx->d0, 1);
	assert_needs_reset(fx);
	/* shorter than the header */
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, NULL, 0, 0);
	assert_int_equal(fx->net0.nframes, 1);
	segs[0] = (struct vdrv_seg){ TX_AREA, HDR - 1, false };
	vdrv_post(&fx->d0, 1, segs, 1, false);
	vdrv_kick(&fx->d0, 1);
	assert_needs_reset(fx);
	/* a frame over the maximum */
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, big, sizeof(big), 0);
	assert_needs_reset(fx);
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, big, sizeof(big) - 1, VDRV_INDIRECT);
	assert_false(vdrv_read(&fx->d0, VD_STATUS) & VD_S_NEEDS_RESET);
	/* a writable descriptor */
	segs[0] = (struct vdrv_seg){ TX_AREA, 100, false };
	segs[1] = (struct vdrv_seg){ TX_AREA + 100, 100, true };
	vdrv_post(&fx->d0, 1, segs, 2, false);
	vdrv_kick(&fx->d0, 1);
	assert_needs_reset(fx);
	/* indirect without the feature */
	init0(fx, VD_F(VD_NET_F_MAC));
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, big, 60, VDRV_INDIRECT);
	assert_needs_reset(fx);
}

static void test_hostile_rx(void **state)
{
	struct fixture *fx = *state;
	uint8_t frame[64];
	struct vdrv_seg segs[2];

	make_frame(frame, sizeof(frame), MAC0, 1);
	/* a receive buffer shorter than the header */
	init0(fx, BASE_FEATURES);
	vdrv_net_rx_post(&fx->d0, RX_AREA, HDR - 1, 0);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_ERR_BAD_STATE);
	assert_needs_reset(fx);
	/* a readable receive buffer */
	segs[0] = (struct vdrv_seg){ RX_AREA, 100, false };
	segs[1] = (struct vdrv_seg){ RX_AREA + 100, 100, true };
	vdrv_post(&fx->d0, 0, segs, 2, false);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_ERR_BAD_STATE);
	assert_needs_reset(fx);
	/* a raw avail index far ahead */
	vdrv_post_head(&fx->d0, 0, 0);
	fx->d0.q[0].avail_idx += 1000;
	vdrv_post_head(&fx->d0, 0, 0);
	assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_ERR_BAD_STATE);
	assert_needs_reset(fx);
}

static void test_hostile_ctrl(void **state)
{
	struct fixture *fx = *state;
	struct vdrv_seg segs[2];
	uint8_t *p = vdrv_ptr(&fx->d0, CTRL_AREA);

	/* no writable ack byte */
	init0(fx, BASE_FEATURES);
	p[0] = VD_NET_CTRL_RX;
	p[1] = VD_NET_CTRL_RX_PROMISC;
	p[2] = 1;
	segs[0] = (struct vdrv_seg){ CTRL_AREA, 3, false };
	vdrv_post(&fx->d0, 2, segs, 1, false);
	vdrv_kick(&fx->d0, 2);
	assert_needs_reset(fx);
	/* shorter than class + command */
	segs[0] = (struct vdrv_seg){ CTRL_AREA, 1, false };
	segs[1] = (struct vdrv_seg){ CTRL_AREA + 4, 1, true };
	vdrv_post(&fx->d0, 2, segs, 2, false);
	vdrv_kick(&fx->d0, 2);
	assert_needs_reset(fx);
	/* a notification of a queue that does not exist */
	vdrv_kick(&fx->d0, 3);
	assert_needs_reset(fx);
}

/* --- reset during a reservation, EVENT_IDX ------------------------------------------------ */

struct reset_arg {
	struct fixture *fx;
	atomic_bool done;
};

static void *reset_thread(void *p)
{
	struct reset_arg *a = p;

	vdrv_write(&a->fx->d0, VD_STATUS, 0);
	atomic_store(&a->done, true);
	return NULL;
}

static void test_reset_waits_for_reservation(void **state)
{
	struct fixture *fx = *state;
	struct reset_arg arg = { .fx = fx };
	struct ax_net_rx rx;
	unsigned relaxes;
	pthread_t t;
	uint8_t frame[64];

	for (int round = 0; round < 2; round++) {
		init0(fx, BASE_FEATURES);
		vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
		assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
		atomic_store(&arg.done, false);
		relaxes = atomic_load(&fx->host.relaxes);
		assert_int_equal(pthread_create(&t, NULL, reset_thread, &arg), 0);
		/* the reset has begun once it relaxes in its wait (no sleep-and-hope) */
		while (atomic_load(&fx->host.relaxes) == relaxes)
			sched_yield();
		usleep(20000);
		assert_false(atomic_load(&arg.done)); /* waits for the reservation */
		make_frame(frame, sizeof(frame), MAC0, 1);
		memcpy(rx.iov[0].base, frame, sizeof(frame)); /* the buffers stay valid */
		if (round)
			assert_int_equal(ax_virtio_net_rx_commit(fx->n0, sizeof(frame)),
					 AX_ERR_BAD_STATE);
		else
			ax_virtio_net_rx_cancel(fx->n0);
		pthread_join(t, NULL);
		assert_true(atomic_load(&arg.done));
		assert_int_equal(vdrv_read(&fx->d0, VD_STATUS), 0);
		assert_int_equal(vdrv_used_idx(&fx->d0, 0), 0);
	}
	/* and destroy with a reservation open waits too */
	init0(fx, BASE_FEATURES);
	vdrv_net_rx_post(&fx->d0, RX_AREA, 2048, 0);
	assert_int_equal(ax_virtio_net_rx_begin(fx->n0, &rx), AX_OK);
	ax_virtio_net_rx_cancel(fx->n0);
}

struct rx_thread_arg {
	struct ax_virtio_net *n;
	atomic_bool stop;
	atomic_uint delivered;
};

static void *rx_thread(void *p)
{
	struct rx_thread_arg *a = p;
	uint8_t frame[100];

	memset(frame, 0, sizeof(frame));
	memset(frame + HDR, 0xff, 6);
	while (!atomic_load(&a->stop))
		if (ax_virtio_net_receive(a->n, frame, sizeof(frame)) == AX_OK)
			atomic_fetch_add(&a->delivered, 1);
		else
			sched_yield();
	return NULL;
}

/* An I/O thread receiving while the guest resets and re-initialises over and over. */
static void test_concurrent_rx_and_reset(void **state)
{
	struct fixture *fx = *state;
	struct rx_thread_arg arg = { .n = fx->n0 };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, rx_thread, &arg), 0);
	for (int i = 0; i < 200; i++) {
		init0(fx, BASE_FEATURES | VD_F(VD_NET_F_MRG_RXBUF));
		for (unsigned k = 0; k < 8; k++)
			vdrv_net_rx_post(&fx->d0, RX_AREA + k * RX_STRIDE, 256, 0);
		vdrv_kick(&fx->d0, 0);
		sched_yield();
	}
	for (int i = 0; i < 5000 && !atomic_load(&arg.delivered); i++)
		usleep(1000);
	atomic_store(&arg.stop, true);
	pthread_join(t, NULL);
	assert_true(atomic_load(&arg.delivered) > 0);
}

static void test_event_idx(void **state)
{
	struct fixture *fx = *state;
	uint8_t hdr[HDR] = { 0 }, frame[64];
	unsigned raises;

	init0(fx, BASE_FEATURES | VD_F(VD_F_EVENT_IDX));
	make_frame(frame, sizeof(frame), MAC0, 1);
	for (unsigned i = 0; i < 4; i++)
		vdrv_net_rx_post(&fx->d0, RX_AREA + i * RX_STRIDE, 2048, 0);
	/* the driver wants an interrupt only after the third used entry (used_event 2) */
	vdrv_set_used_event(&fx->d0, 0, 2);
	raises = fx->host.irq_raises[NET0_IRQ];
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ax_virtio_net_receive(fx->n0, frame, sizeof(frame)), AX_OK);
		if (i == 0) { /* the first signal always goes out */
			assert_int_equal(vdrv_read(&fx->d0, VD_INTERRUPT_STATUS), 1);
			vdrv_write(&fx->d0, VD_INTERRUPT_ACK, 1);
			raises = fx->host.irq_raises[NET0_IRQ];
		}
	}
	assert_int_equal(fx->host.irq_raises[NET0_IRQ], raises + 1);
	vdrv_write(&fx->d0, VD_INTERRUPT_ACK, 1);
	/* TX: used_event far away, no interrupt */
	vdrv_set_used_event(&fx->d0, 1, 100);
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, 60, 0);
	vdrv_net_tx(&fx->d0, TX_AREA, hdr, frame, 60, 0);
	assert_int_equal(vdrv_used_idx(&fx->d0, 1), 2);
	assert_int_equal(fx->host.irq_raises[NET0_IRQ], raises + 2); /* TX's first only */
	/* the device asks for a kick at the next TX entry */
	assert_int_equal(vdrv_avail_event(&fx->d0, 1), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_config, setup, teardown),
		cmocka_unit_test(test_partial_offloads),
		cmocka_unit_test(test_no_backend),
		cmocka_unit_test_setup_teardown(test_feature_dependencies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_copy_and_zero_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_errors, setup_no_offloads, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ctrl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_waits_for_reservation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_rx_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
