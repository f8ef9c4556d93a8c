/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's tap backend (vmm/backends/tap.c) on a real Linux tap, in a network
 * namespace of its own (the test process unshares CLONE_NEWNET first:
 * nothing it sends can leave the machine). "The network" is an AF_PACKET
 * socket on the tap interface with PACKET_VNET_HDR, so the virtio-net
 * header is seen on the kernel's side too; "the device" is a fake port
 * standing for the virtio-net model (rx_begin hands out buffers split in
 * two iovecs, the header across the split).
 *
 * Covered: the spec (mac=, bad options, the default MAC), attaching to an
 * existing tap and its MTU, frames both ways with the header passing
 * through (NEEDS_CSUM and csum_start/offset), TUNSETOFFLOAD read back with
 * the ethtool ioctls, receive backpressure (no guest buffer: reading pauses,
 * the kernel queue holds the frames, rx_ready delivers them in order), frames
 * dropped while the driver is not running, a frame the tap refuses
 * (dropped, counted), transmit backpressure on a datagram fd (WouldBlock,
 * then EPOLLOUT and tx_resume), the counters and their --stats line.
 *
 * SKIPs (saying which) without /dev/net/tun or without the right to make a
 * network namespace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backends/backends.h"
#include "backends/tap.h"
#include "log.h"

#define IFNAME	   "axtap0"
#define SEQ_OFF	   42 /* the first byte of the UDP payload: the frame's sequence number */
#define NBUF	   16
#define BUF_SIZE   2048
#define SPLIT	   7 /* the first iovec holds 7 bytes: the header crosses the split */
#define TIMEOUT_MS 3000

static const uint8_t test_src[6] = { 0x02, 0, 0, 0, 0, 0x01 }; /* marks our frames */
static const char *skip_reason; /* set in main when the facilities are missing */

/* --- the fake device side ----------------------------------------------------- */

struct frame {
	uint8_t data[BUF_SIZE];
	size_t len;
};

struct fake_port {
	pthread_mutex_t lock;
	unsigned buffers;  /* receive buffers the "guest" posted */
	enum ax_err state; /* AX_OK, or what rx_begin answers (BadState) */
	bool open;
	uint8_t buf[BUF_SIZE];
	struct frame got[NBUF];
	unsigned nr_got, other; /* ours (from test_src), and the kernel's own frames */
	unsigned would_block, resumes;
};

static struct fake_port port;

static enum ax_err fake_rx_begin(void *ctx, struct ax_net_rx *rx)
{
	struct fake_port *p = ctx;
	enum ax_err err = AX_OK;

	pthread_mutex_lock(&p->lock);
	if (p->open)
		err = AX_ERR_RESOURCE_BUSY;
	else if (p->state != AX_OK)
		err = p->state;
	else if (p->buffers == 0) {
		p->would_block++;
		err = AX_ERR_WOULD_BLOCK;
	} else {
		p->open = true;
		memset(p->buf, 0xaa, sizeof(p->buf));
		rx->iov[0] = (struct ax_iovec){ p->buf, SPLIT };
		rx->iov[1] = (struct ax_iovec){ p->buf + SPLIT, BUF_SIZE - SPLIT };
		rx->iovcnt = 2;
		rx->capacity = BUF_SIZE;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

static enum ax_err fake_rx_commit(void *ctx, size_t len)
{
	struct fake_port *p = ctx;

	pthread_mutex_lock(&p->lock);
	assert_true(p->open);
	assert_true(len >= AX_NET_HDR_LEN + 14 && len <= BUF_SIZE);
	p->open = false;
	p->buffers--;
	if (memcmp(p->buf + AX_NET_HDR_LEN + 6, test_src, 6) == 0 && p->nr_got < NBUF) {
		memcpy(p->got[p->nr_got].data, p->buf, len);
		p->got[p->nr_got++].len = len;
	} else {
		p->other++; /* e.g. IPv6 router solicitations of the kernel */
	}
	pthread_mutex_unlock(&p->lock);
	return AX_OK;
}

static void fake_rx_cancel(void *ctx)
{
	struct fake_port *p = ctx;

	pthread_mutex_lock(&p->lock);
	p->open = false;
	pthread_mutex_unlock(&p->lock);
}

static enum ax_err fake_tx_resume(void *ctx)
{
	struct fake_port *p = ctx;

	pthread_mutex_lock(&p->lock);
	p->resumes++;
	pthread_mutex_unlock(&p->lock);
	return AX_OK;
}

static const struct axvm_net_port fake = {
	.ctx = &port,
	.rx_begin = fake_rx_begin,
	.rx_commit = fake_rx_commit,
	.rx_cancel = fake_rx_cancel,
	.tx_resume = fake_tx_resume,
};

static void port_reset(unsigned buffers)
{
	pthread_mutex_lock(&port.lock);
	port.buffers = buffers;
	port.state = AX_OK;
	port.open = false;
	port.nr_got = port.other = port.would_block = port.resumes = 0;
	pthread_mutex_unlock(&port.lock);
}

static unsigned port_read(const unsigned *field)
{
	unsigned v;

	pthread_mutex_lock(&port.lock);
	v = *field;
	pthread_mutex_unlock(&port.lock);
	return v;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits until *field >= want; false on timeout. */
static bool wait_for(const unsigned *field, unsigned want)
{
	for (unsigned t = 0; t < TIMEOUT_MS; t += 2) {
		if (port_read(field) >= want)
			return true;
		sleep_ms(2);
	}
	return false;
}

static bool wait_stat(const struct axvm_tap *tap, size_t offset, uint64_t want)
{
	for (unsigned t = 0; t < TIMEOUT_MS; t += 2) {
		struct axvm_tap_stats s;

		axvm_tap_get_stats(tap, &s);
		if (*(const uint64_t *)((const uint8_t *)&s + offset) >= want)
			return true;
		sleep_ms(2);
	}
	return false;
}

/* --- the network side ---------------------------------------------------------- */

static int ifindex(void)
{
	return (int)if_nametoindex(IFNAME);
}

static void if_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(s >= 0);
	strcpy(ifr.ifr_name, IFNAME);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

/* ETHTOOL_GTXCSUM or ETHTOOL_GTSO of the tap. */
static unsigned ethtool_get(uint32_t cmd)
{
	struct ethtool_value v = { .cmd = cmd };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(s >= 0);
	strcpy(ifr.ifr_name, IFNAME);
	ifr.ifr_data = (char *)&v;
	assert_int_equal(ioctl(s, SIOCETHTOOL, &ifr), 0);
	close(s);
	return v.data;
}

/* An AF_PACKET socket on the tap: incoming (the backend's writes) only, with vnet headers. */
static int net_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifindex() };
	int one = 1, s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	assert_true(s >= 0);
	assert_int_equal(setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return s;
}

/*
 * A test frame: broadcast from test_src, IPv4/UDP (so that a partial checksum
 * at csum_start 34, csum_offset 6 makes sense to the kernel), `seq` at
 * SEQ_OFF and a pattern; returns its length.
 */
static size_t make_frame(uint8_t *f, unsigned seq, size_t len)
{
	uint16_t type = htons(0x0800), tot = htons((uint16_t)(len - 14));
	uint16_t ulen = htons((uint16_t)(len - 34));

	memset(f, 0xff, 6);
	memcpy(f + 6, test_src, 6);
	memcpy(f + 12, &type, 2);
	memset(f + 14, 0, 28);
	f[14] = 0x45; /* IPv4, 20-byte header */
	memcpy(f + 16, &tot, 2);
	f[22] = 64; /* TTL */
	f[23] = 17; /* UDP */
	memcpy(f + 26, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 255 }, 8);
	f[34] = 0x30, f[35] = 0x39, f[36] = 0x30, f[37] = 0x39; /* ports 12345 */
	memcpy(f + 38, &ulen, 2);
	for (size_t i = SEQ_OFF; i < len; i++)
		f[i] = (uint8_t)(seq + i);
	f[SEQ_OFF] = (uint8_t)seq;
	return len;
}

/* Sends one frame into the tap's queue (towards the guest), with a vnet header. */
static void net_send(int s, const struct virtio_net_hdr *h, const uint8_t *f, size_t len)
{
	uint8_t buf[sizeof(*h) + BUF_SIZE];

	memcpy(buf, h, sizeof(*h));
	memcpy(buf + sizeof(*h), f, len);
	assert_int_equal(send(s, buf, sizeof(*h) + len, 0), (ssize_t)(sizeof(*h) + len));
}

/* Receives one frame of ours the backend wrote; its length, 0 on timeout. */
static size_t net_recv(int s, struct virtio_net_hdr *h, uint8_t *f)
{
	uint8_t buf[sizeof(*h) + BUF_SIZE];

	for (unsigned t = 0; t < TIMEOUT_MS; t += 2) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n < 0) {
			sleep_ms(2);
			continue;
		}
		assert_true((size_t)n >= sizeof(*h) + 14);
		if (memcmp(buf + sizeof(*h) + 6, test_src, 6) != 0)
			continue;
		memcpy(h, buf, sizeof(*h));
		memcpy(f, buf + sizeof(*h), (size_t)n - sizeof(*h));
		return (size_t)n - sizeof(*h);
	}
	return 0;
}

/* --- fixtures ------------------------------------------------------------------- */

struct ctx {
	struct axvm_tap *tap;
	const struct ax_net_backend *be;
	int net;
};

static int setup(void **state)
{
	static struct ctx c;
	char err[256];

	if (skip_reason)
		return 0;
	c.tap = axvm_tap_open(IFNAME, "net0", err, sizeof(err));
	if (!c.tap)
		fail_msg("%s", err);
	c.be = axvm_tap_backend(c.tap);
	if_up();
	c.net = net_open();
	port_reset(NBUF);
	assert_int_equal(axvm_tap_start(c.tap, &fake), 0);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (skip_reason || !c)
		return 0;
	axvm_tap_close(c->tap);
	close(c->net);
	*state = NULL;
	return 0;
}

#define NEED_TAP()                                                                                 \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			print_message("SKIP: %s\n", skip_reason);                                  \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* --- tests ---------------------------------------------------------------------- */

static void test_spec_and_mac(void **state)
{
	static const uint8_t want[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0xab };
	uint8_t mac[6], mac2[6];
	char err[256];
	struct axvm_tap *t;

	(void)state;
	/* the default: 52:54:00 and a hash of the device name, stable, different per name */
	axvm_default_mac("net0", mac);
	axvm_default_mac("net0", mac2);
	assert_memory_equal(mac, mac2, 6);
	assert_memory_equal(mac, want, 3);
	axvm_default_mac("net1", mac2);
	assert_memory_not_equal(mac, mac2, 6);
	assert_int_equal(axvm_parse_mac("52:54:00:12:34:AB", 17, mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(axvm_parse_mac("01:00:5e:00:00:01", 17, mac), -1); /* multicast */
	assert_int_equal(axvm_parse_mac("52:54:00:12:34", 14, mac), -1);
	assert_int_equal(axvm_parse_mac("52-54-00-12-34-56", 17, mac), -1);
	assert_int_equal(axvm_parse_mac("52:54:00:12:34:5g", 17, mac), -1);

	/* refused before any tap is touched */
	assert_null(axvm_tap_open("", "net0", err, sizeof(err)));
	assert_non_null(strstr(err, "net0: tap: an interface name"));
	assert_null(axvm_tap_open("a-name-much-too-long-for-linux", "net0", err, sizeof(err)));
	assert_null(axvm_tap_open("tapx,mac=nonsense", "net0", err, sizeof(err)));
	assert_non_null(strstr(err, "\"mac=nonsense\""));
	assert_null(axvm_tap_open("tapx,speed=10", "net0", err, sizeof(err)));
	assert_non_null(strstr(err, "\"speed=10\""));

	NEED_TAP();
	t = axvm_tap_open("axtap1,mac=52:54:00:12:34:ab", "net1", err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_memory_equal(axvm_tap_backend(t)->mac, want, 6);
	assert_string_equal(axvm_tap_ifname(t), "axtap1");
	axvm_tap_close(t);
}

/* An existing (persistent) tap is attached, and its MTU becomes the device's. */
static void test_existing_tap_mtu(void **state)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	char err[256];
	struct axvm_tap *t;
	int fd, s;

	(void)state;
	NEED_TAP();
	fd = open("/dev/net/tun", O_RDWR);
	assert_true(fd >= 0);
	strcpy(ifr.ifr_name, "axtap2");
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ifr.ifr_mtu = 4000;
	assert_int_equal(ioctl(s, SIOCSIFMTU, &ifr), 0);
	close(fd);

	t = axvm_tap_open("axtap2", "net2", err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(axvm_tap_backend(t)->mtu, 4000);
	assert_int_equal(axvm_tap_backend(t)->host_offloads,
			 AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO4 | AX_NET_OFFLOAD_TSO6 |
				 AX_NET_OFFLOAD_TSO_ECN);
	/* a second user of a tap without multiqueue is refused, with the reason */
	assert_null(axvm_tap_open("axtap2", "net3", err, sizeof(err)));
	assert_non_null(strstr(err, "TUNSETIFF"));
	assert_int_equal(ioctl(s, SIOCGIFINDEX, &ifr), 0);
	axvm_tap_close(t);
	close(s);
}

/* Guest -> network: the header's checksum request reaches the kernel as written. */
static void test_transmit(void **state)
{
	struct ctx *c = *state;
	uint8_t frame[BUF_SIZE], got[BUF_SIZE];
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	struct virtio_net_hdr h;
	struct axvm_tap_stats st;
	size_t len;

	NEED_TAP();
	len = make_frame(frame, 1, 100);
	/* header + frame as three iovecs, the header split across the first two */
	struct ax_iovec iov[3] = {
		{ &hdr, 5 },
		{ (uint8_t *)&hdr + 5, sizeof(hdr) - 5 },
		{ frame, len },
	};
	assert_int_equal(sizeof(hdr), AX_NET_HDR_LEN);
	assert_int_equal(c->be->transmit(c->be->ctx, iov, 3), AX_OK);
	assert_int_equal(net_recv(c->net, &h, got), len);
	assert_memory_equal(got, frame, len);
	assert_int_equal(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);

	/* a partial UDP checksum */
	len = make_frame(frame, 2, 200);
	hdr.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr.hdr.csum_start = 34;
	hdr.hdr.csum_offset = 6;
	iov[2].len = len;
	assert_int_equal(c->be->transmit(c->be->ctx, iov, 3), AX_OK);
	assert_int_equal(net_recv(c->net, &h, got), len);
	assert_int_equal(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 6);
	assert_memory_equal(got, frame, len);

	/* a header the kernel refuses (checksum past the frame): dropped and counted */
	hdr.hdr.csum_start = 190;
	hdr.hdr.csum_offset = 100;
	assert_int_equal(c->be->transmit(c->be->ctx, iov, 3), AX_ERR_IO);
	axvm_tap_get_stats(c->tap, &st);
	assert_int_equal(st.tx_frames, 2);
	assert_int_equal(st.tx_bytes, 300);
	assert_int_equal(st.tx_dropped, 1);
	assert_int_equal(st.tx_blocked, 0);
}

/* Network -> guest, with and without checksum offload to the guest. */
static void test_receive_and_offloads(void **state)
{
	struct ctx *c = *state;
	struct virtio_net_hdr h = { 0 }, got;
	uint8_t frame[BUF_SIZE];
	struct axvm_tap_stats st;
	size_t len = make_frame(frame, 3, 300);

	NEED_TAP();
	/* offloads start off: the kernel completes the checksum before the tap */
	assert_int_equal(ethtool_get(ETHTOOL_GTXCSUM), 0);
	assert_int_equal(ethtool_get(ETHTOOL_GTSO), 0);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = 34;
	h.csum_offset = 6;
	net_send(c->net, &h, frame, len);
	assert_true(wait_for(&port.nr_got, 1));
	memcpy(&got, port.got[0].data, sizeof(got));
	assert_int_equal(port.got[0].len, AX_NET_HDR_LEN + len);
	assert_int_equal(got.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	/* the 12-byte header came whole across the 7-byte first iovec (num_buffers is the
	 * model's to fill at commit, whatever the tap wrote there) */
	assert_int_not_equal(port.got[0].data[SPLIT], 0xaa);
	assert_memory_equal(port.got[0].data + AX_NET_HDR_LEN, frame, 34);

	/* the guest accepted checksum offload and TSO4: the tap passes partial checksums */
	c->be->set_offloads(c->be->ctx, AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO4);
	assert_int_equal(ethtool_get(ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get(ETHTOOL_GTSO), 1);
	net_send(c->net, &h, frame, len);
	assert_true(wait_for(&port.nr_got, 2));
	memcpy(&got, port.got[1].data, sizeof(got));
	assert_int_equal(got.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(got.csum_start, 34);
	assert_int_equal(got.csum_offset, 6);
	assert_memory_equal(port.got[1].data + AX_NET_HDR_LEN, frame, len);

	/* TSO without checksum offload means nothing (the kernel would refuse it) */
	c->be->set_offloads(c->be->ctx, AX_NET_OFFLOAD_TSO4);
	assert_int_equal(ethtool_get(ETHTOOL_GTXCSUM), 0);
	assert_int_equal(ethtool_get(ETHTOOL_GTSO), 0);
	c->be->set_offloads(c->be->ctx, AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO6);
	assert_int_equal(ethtool_get(ETHTOOL_GTXCSUM), 1);
	assert_int_equal(ethtool_get(ETHTOOL_GTSO), 1);
	c->be->set_offloads(c->be->ctx, 0);
	assert_int_equal(ethtool_get(ETHTOOL_GTXCSUM), 0);

	axvm_tap_get_stats(c->tap, &st);
	assert_true(st.rx_frames >= 2);
	assert_true(st.rx_bytes >= 2 * len);
}

/* No guest buffer: reading pauses, the kernel holds the frames, rx_ready delivers them. */
static void test_receive_backpressure(void **state)
{
	struct ctx *c = *state;
	struct virtio_net_hdr h = { 0 };
	uint8_t frame[BUF_SIZE];
	struct axvm_tap_stats st;

	NEED_TAP();
	port_reset(0);
	for (unsigned i = 0; i < 8; i++)
		net_send(c->net, &h, frame, make_frame(frame, 10 + i, 64 + i));
	assert_true(wait_stat(c->tap, offsetof(struct axvm_tap_stats, rx_paused), 1));
	sleep_ms(50); /* paused: nothing more is asked of the device */
	assert_int_equal(port_read(&port.would_block), 1);
	assert_int_equal(port_read(&port.nr_got), 0);

	pthread_mutex_lock(&port.lock);
	port.buffers = NBUF;
	pthread_mutex_unlock(&port.lock);
	c->be->rx_ready(c->be->ctx);
	assert_true(wait_for(&port.nr_got, 8));
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(port.got[i].len, AX_NET_HDR_LEN + 64 + i);
		assert_int_equal(port.got[i].data[AX_NET_HDR_LEN + SEQ_OFF], 10 + i); /* in order */
	}
	axvm_tap_get_stats(c->tap, &st);
	assert_int_equal(st.rx_dropped, 0);
}

/* The driver is not running: frames are read and dropped, not queued. */
static void test_receive_without_driver(void **state)
{
	struct ctx *c = *state;
	struct virtio_net_hdr h = { 0 };
	uint8_t frame[BUF_SIZE];

	NEED_TAP();
	pthread_mutex_lock(&port.lock);
	port.state = AX_ERR_BAD_STATE;
	pthread_mutex_unlock(&port.lock);
	for (unsigned i = 0; i < 3; i++)
		net_send(c->net, &h, frame, make_frame(frame, 20 + i, 80));
	assert_true(wait_stat(c->tap, offsetof(struct axvm_tap_stats, rx_dropped), 3));
	port_reset(NBUF);
	net_send(c->net, &h, frame, make_frame(frame, 30, 80));
	assert_true(wait_for(&port.nr_got, 1));
	assert_int_equal(port.got[0].data[AX_NET_HDR_LEN + SEQ_OFF], 30);
}

/* Transmit backpressure on a datagram fd: WouldBlock, then EPOLLOUT resumes. */
static void test_transmit_backpressure(void **state)
{
	int sv[2], size = 4096;
	char err[256], line[512];
	uint8_t hdr[AX_NET_HDR_LEN] = { 0 }, frame[1000], sink[2048];
	struct ax_iovec iov[2] = { { hdr, sizeof(hdr) }, { frame, sizeof(frame) } };
	struct axvm_tap *t;
	const struct ax_net_backend *be;
	struct axvm_tap_stats st;
	unsigned sent = 0;
	enum ax_err e;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	t = axvm_tap_open_fd(sv[0], "net9", NULL, 1500, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	be = axvm_tap_backend(t);
	assert_int_equal(be->host_offloads, 0);
	assert_int_equal(be->mtu, 1500);
	assert_string_equal(axvm_tap_ifname(t), "");
	port_reset(NBUF);
	assert_int_equal(axvm_tap_start(t, &fake), 0);
	assert_int_equal(axvm_tap_start(t, &fake), -1); /* once */
	make_frame(frame, 40, sizeof(frame));
	while ((e = be->transmit(be->ctx, iov, 2)) == AX_OK)
		assert_true(++sent < 10000);
	assert_int_equal(e, AX_ERR_WOULD_BLOCK);
	assert_int_equal(be->transmit(be->ctx, iov, 2), AX_ERR_WOULD_BLOCK);
	sleep_ms(20);
	assert_int_equal(port_read(&port.resumes), 0); /* still full */

	/* the network takes the frames: EPOLLOUT, tx_resume once */
	for (unsigned i = 0; i < sent; i++)
		assert_int_equal(recv(sv[1], sink, sizeof(sink), 0), AX_NET_HDR_LEN + 1000);
	assert_true(wait_for(&port.resumes, 1));
	sleep_ms(20);
	assert_int_equal(port_read(&port.resumes), 1);
	assert_int_equal(be->transmit(be->ctx, iov, 2), AX_OK);
	axvm_tap_get_stats(t, &st);
	assert_int_equal(st.tx_frames, sent + 1);
	assert_int_equal(st.tx_bytes, (uint64_t)(sent + 1) * 1000);
	assert_int_equal(st.tx_blocked, 2);
	assert_int_equal(st.tx_resumed, 1);
	assert_true(axvm_tap_format_stats(t, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "tx_blocked=2 tx_resumed=1"));

	/* the frames that are refused: too many iovecs */
	assert_int_equal(be->transmit(be->ctx, iov, 0), AX_ERR_INVALID_INPUT);
	axvm_tap_stop(t);
	axvm_tap_stop(t); /* idempotent */
	axvm_tap_close(t);
	close(sv[1]);
}

/* The config side: "tap:" specs open for virtio-net devices only; the --stats line. */
static void test_backends_spec(void **state)
{
	static struct axvm_config cfg;
	struct axvm_backends b;
	char err[512], line[512];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_emu = 2;
	snprintf(cfg.emu_name[0], AX_NAME_MAX, "net0");
	cfg.emu[0] =
		(struct ax_emu_config){ .name = cfg.emu_name[0], .emu_type = AX_EMU_VIRTIO_NET };
	snprintf(cfg.emu_name[1], AX_NAME_MAX, "con0");
	cfg.emu[1] = (struct ax_emu_config){ .name = cfg.emu_name[1],
					     .emu_type = AX_EMU_VIRTIO_CONSOLE };
	cfg.nr_backends = 1;
	snprintf(cfg.backends[0].device, AX_NAME_MAX, "net0");
	snprintf(cfg.backends[0].spec, AXVM_SPEC_MAX, "stdio");
	assert_int_equal(axvm_backends_open(&b, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "net0: a net device needs \"tap:NAME"));
	snprintf(cfg.backends[0].device, AX_NAME_MAX, "con0");
	snprintf(cfg.backends[0].spec, AXVM_SPEC_MAX, "tap:axtap3");
	assert_int_equal(axvm_backends_open(&b, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is for a virtio-net device"));

	NEED_TAP();
	snprintf(cfg.backends[0].device, AX_NAME_MAX, "net0");
	snprintf(cfg.backends[0].spec, AXVM_SPEC_MAX, "tap:axtap3,mac=52:54:00:00:00:07");
	if (axvm_backends_open(&b, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(axvm_backends_net(&b, "net0"));
	assert_int_equal(axvm_backends_net(&b, "net0")->mac[5], 7);
	assert_null(axvm_backends_char(&b, "net0"));
	assert_null(axvm_backends_block(&b, "net0"));
	assert_null(axvm_backends_net(&b, "con0"));
	assert_true(axvm_backends_format_ops(&b, "net0", line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "tx_frames=0 tx_bytes=0 tx_dropped=0"));
	axvm_backends_unbind(&b);
	axvm_backends_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_and_mac),
		cmocka_unit_test(test_existing_tap_mtu),
		cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_and_offloads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_without_driver, setup, teardown),
		cmocka_unit_test(test_transmit_backpressure),
		cmocka_unit_test(test_backends_spec),
	};
	int fd;

	axvm_log_level = AXVM_LOG_ERROR;
	pthread_mutex_init(&port.lock, NULL);
	/* this process's own network namespace: the taps and their frames stay in it */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		skip_reason = "/dev/net/tun cannot be opened (no tun driver or no permission)";
	else if (unshare(CLONE_NEWNET) != 0)
		skip_reason = "unshare(CLONE_NEWNET) refused: no right to make a network namespace";
	else {
		/* no IPv6 autoconfiguration chatter on the taps */
		int s = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);

		if (s >= 0) {
			if (write(s, "1", 1) != 1)
				fprintf(stderr, "note: cannot disable IPv6 on new interfaces\n");
			close(s);
		}
	}
	if (fd >= 0)
		close(fd);
	if (skip_reason)
		fprintf(stderr, "SKIP (tap tests): %s\n", skip_reason);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
