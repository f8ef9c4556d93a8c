/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's vhost-user-net back end (vmm/vhost_user/vhost_user_net.c), driven
 * by an in-process fake front end as in test_vhost_user.c (a socketpair for
 * the control channel, a memfd for guest memory, eventfds for kick and
 * call), with the tap replaced by a datagram socketpair (axvm_tap_open_fd):
 * its other end is "the network". Covered: feature negotiation (the net
 * features and VHOST_USER_F_PROTOCOL_FEATURES), GET_CONFIG (the MAC), the
 * memory table, rx and tx rings, a TX frame reaching the tap, an RX frame
 * reaching the ring from the tap's I/O thread, and hostile messages (ring
 * addresses outside the table, bad sizes, an unknown request) refused
 * without ending the session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "vhost_user/vhost_user_net.h"

/* vhost-user (QEMU docs/interop/vhost-user.rst) */
enum {
	GET_FEATURES = 1,
	SET_FEATURES = 2,
	SET_OWNER = 3,
	SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8,
	SET_VRING_ADDR = 9,
	SET_VRING_BASE = 10,
	GET_VRING_BASE = 11,
	SET_VRING_KICK = 12,
	SET_VRING_CALL = 13,
	SET_VRING_ERR = 14,
	GET_PROTOCOL_FEATURES = 15,
	SET_PROTOCOL_FEATURES = 16,
	SET_VRING_ENABLE = 18,
	GET_CONFIG = 24,
};
#define FLAG_V1		0x1u
#define FLAG_REPLY	0x4u
#define FLAG_NEED_REPLY 0x8u
#define NOFD		0x100u
#define F_PROTOCOL	(1ull << 30)
#define PF_REPLY_ACK	(1ull << 3)
#define PF_CONFIG	(1ull << 9)
#define BIT(n)		(1ull << (n))

/* virtio 1.2 */
#define F_VERSION_1	  32
#define F_ACCESS_PLATFORM 33
#define F_RING_PACKED	  34
#define F_INDIRECT	  28
#define F_EVENT_IDX	  29
#define NET_F_CSUM	  0
#define NET_F_MAC	  5
#define NET_F_MRG_RXBUF	  15
#define DESC_NEXT	  1u
#define DESC_WRITE	  2u

/* guest memory: one memfd, two regions */
#define MEM_SIZE  0x100000ull
#define HALF	  (MEM_SIZE / 2)
#define GPA	  0x40000000ull
#define RING(q)	  (0x4000u * (q)) /* queue q's rings */
#define DESC_OFF  0x0000u
#define AVAIL_OFF 0x1000u
#define USED_OFF  0x2000u
#define TX_BUF	  0x10000u
#define RX_BUF	  (HALF + 0x1000u) /* in the second region */
#define QSIZE	  8

struct fe {
	int sock; /* our end; the server has the other */
	int kick[2], call[2], err[2];
	int memfd;
	uint8_t *mem; /* our mapping of guest memory: its address is our "uva" */
	uint16_t avail_idx[2], used_seen[2];
};

static struct vhost_user_net net;
static int wire; /* the network's end of the tap socketpair */
static const uint8_t the_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* --- the fake front end ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Sends one raw message: header fields as given, payload, fds. */
static void fe_send_raw(struct fe *f, uint32_t req, uint32_t flags, uint32_t size,
			const void *payload, uint32_t len, const int *fds, unsigned nfds)
{
	uint8_t buf[12 + 4096];
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, 12 + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	assert_true(len <= 4096);
	put32(buf, req);
	put32(buf + 4, flags);
	put32(buf + 8, size);
	if (len)
		memcpy(buf + 12, payload, len);
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	assert_int_equal(sendmsg(f->sock, &mh, 0), (ssize_t)(12 + len));
}

/* Steps the server until it has taken one more message; its step result. */
static enum vu_step_result serve_one(void)
{
	unsigned long before = net.vu.messages;
	enum vu_step_result r = VU_CONNECTED;

	for (int i = 0; i < 100 && r == VU_CONNECTED && net.vu.messages == before; i++)
		r = vu_server_step(&net.vu, 100);
	return r;
}

/* Reads a reply if one is waiting: its payload size, or -1 when there is none. */
static int fe_reply(struct fe *f, uint32_t req, void *payload, uint32_t cap)
{
	uint8_t hdr[12];
	ssize_t n = recv(f->sock, hdr, sizeof(hdr), MSG_DONTWAIT);
	uint32_t size;

	if (n <= 0)
		return -1;
	assert_int_equal(n, 12);
	assert_int_equal(get32(hdr), req);
	assert_int_equal(get32(hdr + 4), FLAG_V1 | FLAG_REPLY);
	size = get32(hdr + 8);
	assert_true(size <= cap);
	if (size)
		assert_int_equal(recv(f->sock, payload, size, MSG_DONTWAIT), (ssize_t)size);
	return (int)size;
}

/* A request whose reply (if any) is wanted; returns the reply size or -1. */
static int fe_call(struct fe *f, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
		   const int *fds, unsigned nfds, void *reply, uint32_t cap)
{
	fe_send_raw(f, req, FLAG_V1 | flags, len, payload, len, fds, nfds);
	assert_int_equal(serve_one(), VU_CONNECTED);
	return fe_reply(f, req, reply, cap);
}

/* A request without a reply of its own, with REPLY_ACK: the ack (0 success). */
static uint64_t fe_ack(struct fe *f, uint32_t req, const void *payload, uint32_t len,
		       const int *fds, unsigned nfds)
{
	uint8_t r[8];

	assert_int_equal(fe_call(f, req, FLAG_NEED_REPLY, payload, len, fds, nfds, r, 8), 8);
	return get64(r);
}

static uint64_t fe_get_u64(struct fe *f, uint32_t req)
{
	uint8_t r[8];

	assert_int_equal(fe_call(f, req, 0, NULL, 0, NULL, 0, r, 8), 8);
	return get64(r);
}

static void fe_set_u64(struct fe *f, uint32_t req, uint64_t v)
{
	uint8_t p[8];

	put64(p, v);
	assert_int_equal(fe_call(f, req, 0, p, 8, NULL, 0, NULL, 0), -1);
}

static uint64_t fe_state(struct fe *f, uint32_t req, uint32_t index, uint32_t num)
{
	uint8_t p[8];

	put32(p, index);
	put32(p + 4, num);
	return fe_ack(f, req, p, 8, NULL, 0);
}

static uint64_t fe_vring_fd(struct fe *f, uint32_t req, uint32_t index, int fd)
{
	uint8_t p[8];

	put64(p, index | (fd < 0 ? NOFD : 0));
	return fe_ack(f, req, p, 8, &fd, fd < 0 ? 0 : 1);
}

static uint64_t uva(const struct fe *f, uint64_t off)
{
	return (uint64_t)(uintptr_t)f->mem + off;
}

/* A new connection with fresh eventfds and guest memory (zeroed). */
static void fe_connect(struct fe *f)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vu_server_connect(&net.vu, sv[0]), 0);
	f->sock = sv[1];
	for (unsigned q = 0; q < 2; q++) {
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->err[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_true(f->kick[q] >= 0 && f->call[q] >= 0 && f->err[q] >= 0);
	}
	f->memfd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, MEM_SIZE), 0);
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_true(f->mem != MAP_FAILED);
}

/* Our side's fds and mapping. */
static void fe_release(struct fe *f)
{
	close(f->sock);
	for (unsigned q = 0; q < 2; q++) {
		close(f->kick[q]);
		close(f->call[q]);
		close(f->err[q]);
	}
	close(f->memfd);
	munmap(f->mem, MEM_SIZE);
}

/* Hangs up; the server ends the session. */
static void fe_close(struct fe *f)
{
	shutdown(f->sock, SHUT_RDWR);
	assert_int_equal(serve_one(), VU_DISCONNECTED);
	fe_release(f);
}

/* Negotiation: features, protocol features with REPLY_ACK, owner. */
static void fe_negotiate(struct fe *f, uint64_t extra_features)
{
	uint64_t feat = fe_get_u64(f, GET_FEATURES);

	assert_true(feat & F_PROTOCOL);
	assert_true(feat & BIT(F_VERSION_1));
	assert_true(feat & BIT(NET_F_MAC));
	assert_true(feat & BIT(NET_F_MRG_RXBUF));
	fe_set_u64(f, SET_FEATURES, F_PROTOCOL | BIT(F_VERSION_1) | (feat & extra_features));
	assert_int_equal(fe_get_u64(f, GET_PROTOCOL_FEATURES), PF_REPLY_ACK | PF_CONFIG);
	fe_set_u64(f, SET_PROTOCOL_FEATURES, PF_REPLY_ACK | PF_CONFIG);
	assert_int_equal(fe_ack(f, SET_OWNER, NULL, 0, NULL, 0), 0);
}

/* Two regions of the memfd: [0, HALF) at GPA, [HALF, MEM) at GPA + HALF (mmap_offset HALF). */
static void fe_mem_table(struct fe *f)
{
	uint8_t p[8 + 2 * 32] = { 0 };
	int fds[2] = { f->memfd, f->memfd };

	put32(p, 2);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *r = p + 8 + 32 * i;

		put64(r, GPA + i * HALF);
		put64(r + 8, HALF);
		put64(r + 16, uva(f, i * HALF));
		put64(r + 24, i * HALF);
	}
	assert_int_equal(fe_ack(f, SET_MEM_TABLE, p, sizeof(p), fds, 2), 0);
}

static uint64_t fe_vring_addr_q(struct fe *f, uint32_t q, uint64_t desc, uint64_t used,
				uint64_t avail)
{
	uint8_t p[40] = { 0 };

	put32(p, q);
	put64(p + 8, desc);
	put64(p + 16, used);
	put64(p + 24, avail);
	return fe_ack(f, SET_VRING_ADDR, p, 40, NULL, 0);
}

/* Queue q: size 8 at 0, its rings at RING(q); started and enabled. */
static void fe_vring_setup(struct fe *f, uint32_t q)
{
	assert_int_equal(fe_state(f, SET_VRING_NUM, q, QSIZE), 0);
	assert_int_equal(fe_state(f, SET_VRING_BASE, q, 0), 0);
	assert_int_equal(fe_vring_addr_q(f, q, uva(f, RING(q) + DESC_OFF),
					 uva(f, RING(q) + USED_OFF), uva(f, RING(q) + AVAIL_OFF)),
			 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_CALL, q, f->call[q]), 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_ERR, q, f->err[q]), 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_KICK, q, f->kick[q]), 0);
	assert_int_equal(fe_state(f, SET_VRING_ENABLE, q, 1), 0);
	f->avail_idx[q] = 0;
	f->used_seen[q] = 0;
}

static void desc(struct fe *f, uint32_t q, unsigned i, uint64_t gpa, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = f->mem + RING(q) + DESC_OFF + 16 * i;

	put64(d, gpa);
	put32(d + 8, len);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t used_idx(const struct fe *f, uint32_t q)
{
	return __atomic_load_n((uint16_t *)(void *)(f->mem + RING(q) + USED_OFF + 2),
			       __ATOMIC_ACQUIRE);
}

/* Publishes chain head `head` on queue q and kicks. */
static void fe_publish(struct fe *f, uint32_t q, uint16_t head)
{
	uint64_t one = 1;

	memcpy(f->mem + RING(q) + AVAIL_OFF + 4 + 2 * (f->avail_idx[q] % QSIZE), &head, 2);
	f->avail_idx[q]++;
	__atomic_store_n((uint16_t *)(void *)(f->mem + RING(q) + AVAIL_OFF + 2), f->avail_idx[q],
			 __ATOMIC_RELEASE);
	assert_int_equal(write(f->kick[q], &one, 8), 8);
}

/* Steps the server until queue q's used ring moves (the tap thread may be the one). */
static void fe_wait_used(struct fe *f, uint32_t q)
{
	uint64_t count = 0;

	for (int i = 0; i < 200 && used_idx(f, q) == f->used_seen[q]; i++)
		assert_int_equal(vu_server_step(&net.vu, 10), VU_CONNECTED);
	assert_int_equal(used_idx(f, q), (uint16_t)(f->used_seen[q] + 1));
	f->used_seen[q]++;
	assert_int_equal(read(f->call[q], &count, 8), 8); /* the interrupt */
	assert_true(count >= 1);
}

static size_t make_frame(uint8_t *fr, unsigned seq, size_t len)
{
	memset(fr, 0xff, 6);
	memcpy(fr + 6, (const uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	fr[12] = 0x88;
	fr[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		fr[i] = (uint8_t)(seq + i);
	return len;
}

/* --- fixtures ------------------------------------------------------------------ */

static int setup(void **state)
{
	char err[256];
	int sv[2];
	struct axvm_tap *tap;

	(void)state;
	axvm_log_level = AXVM_LOG_ERROR; /* the hostile cases warn by design */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	wire = sv[1];
	tap = axvm_tap_open_fd(sv[0], "net0", the_mac, 1500, err, sizeof(err));
	if (!tap || vhost_user_net_open(&net, tap, -1, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vhost_user_net_close(&net);
	close(wire);
	return 0;
}

/* --- tests ----------------------------------------------------------------------- */

static void test_features_and_config(void **state)
{
	struct fe f;
	uint8_t p[12 + 6] = { 0 }, r[12 + 6];

	(void)state;
	fe_connect(&f);
	fe_negotiate(&f, BIT(NET_F_MRG_RXBUF));
	/* the MAC through GET_CONFIG (offset 0, 6 bytes) */
	put32(p, 0);
	put32(p + 4, 6);
	assert_int_equal(fe_call(&f, GET_CONFIG, 0, p, sizeof(p), NULL, 0, r, sizeof(r)), 18);
	assert_memory_equal(r + 12, the_mac, 6);
	/* features never offered are refused */
	fe_set_u64(&f, SET_FEATURES, F_PROTOCOL | BIT(F_VERSION_1) | BIT(F_RING_PACKED));
	assert_true(net.vu.refused >= 1);
	fe_close(&f);
}

/* TX: a frame the guest queues reaches the tap; RX: a frame from the tap reaches the ring. */
static void test_frames_both_ways(void **state)
{
	struct fe f;
	uint8_t frame[200], got[400];
	size_t len = make_frame(frame, 5, sizeof(frame));
	uint32_t used_len;
	struct axvm_tap_stats st;

	(void)state;
	fe_connect(&f);
	fe_negotiate(&f, BIT(NET_F_MRG_RXBUF));
	fe_mem_table(&f);
	fe_vring_setup(&f, 0);
	fe_vring_setup(&f, 1);

	/* TX: header (zeroes) and frame in two descriptors */
	memset(f.mem + TX_BUF, 0, 12);
	memcpy(f.mem + TX_BUF + 12, frame, len);
	desc(&f, 1, 0, GPA + TX_BUF, 12, DESC_NEXT, 1);
	desc(&f, 1, 1, GPA + TX_BUF + 12, (uint32_t)len, 0, 0);
	fe_publish(&f, 1, 0);
	fe_wait_used(&f, 1);
	assert_int_equal(recv(wire, got, sizeof(got), MSG_DONTWAIT), (ssize_t)(12 + len));
	assert_memory_equal(got + 12, frame, len);

	/* RX: one 2 KiB buffer posted, a frame from the network */
	desc(&f, 0, 0, GPA + RX_BUF, 2048, DESC_WRITE, 0);
	fe_publish(&f, 0, 0);
	assert_int_equal(vu_server_step(&net.vu, 10), VU_CONNECTED);
	memset(got, 0, 12);
	memcpy(got + 12, frame, len);
	got[12 + 14] = 0x77;
	assert_int_equal(send(wire, got, 12 + len, 0), (ssize_t)(12 + len));
	fe_wait_used(&f, 0);
	used_len = get32(f.mem + RING(0) + USED_OFF + 4 + 4);
	assert_int_equal(used_len, 12 + len);
	assert_int_equal(f.mem[RX_BUF + 12 + 14], 0x77);
	assert_int_equal(f.mem[RX_BUF + 10], 1); /* num_buffers (MRG_RXBUF) */
	assert_memory_equal(f.mem + RX_BUF + 12, got + 12, 14);

	axvm_tap_get_stats(net.tap, &st);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(st.rx_frames, 1);
	assert_int_equal(st.rx_bytes, len);
	fe_close(&f);
}

/* Broken requests are refused; the session goes on and still works. */
static void test_hostile_messages(void **state)
{
	struct fe f;
	uint8_t p[8] = { 0 };
	unsigned long refused;
	(void)state;
	fe_connect(&f);
	fe_negotiate(&f, 0);
	fe_mem_table(&f);
	refused = net.vu.refused;
	/* ring addresses outside the memory table */
	assert_int_not_equal(fe_vring_addr_q(&f, 0, 0x1000, 0x2000, 0x3000), 0);
	/* a ring that does not exist; a queue size that is not a power of two */
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 7, QSIZE), 0);
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 0, 3), 0);
	/* a kick for a ring without addresses cannot start it */
	assert_int_not_equal(fe_vring_fd(&f, SET_VRING_KICK, 1, f.kick[1]), 0);
	/* a wrong payload size, an unknown request */
	assert_int_not_equal(fe_ack(&f, SET_VRING_NUM, p, 4, NULL, 0), 0);
	assert_int_not_equal(fe_ack(&f, 99, NULL, 0, NULL, 0), 0);
	assert_true(net.vu.refused >= refused + 6);
	/* and the session still works */
	fe_vring_setup(&f, 1);
	fe_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_and_config),
		cmocka_unit_test(test_frames_both_ways),
		cmocka_unit_test(test_hostile_messages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
