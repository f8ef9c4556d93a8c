/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's vhost-user-net back end (vmm/vhost_user/vhost_user_net.c), driven
 * by the fake front end of tests/support/vhost_user_frontend.[ch] (a
 * socketpair for the control channel, a memfd for guest memory, eventfds
 * for kick and call), with the tap replaced by a datagram socketpair (axvm_tap_open_fd):
 * its other end is "the network". Covered: feature negotiation (the net
 * features and VHOST_USER_F_PROTOCOL_FEATURES), GET_CONFIG (the MAC), the
 * memory table, rx and tx rings, a TX frame reaching the tap, an RX frame
 * reaching the ring from the tap's I/O thread, and hostile messages (ring
 * addresses outside the table, bad sizes, an unknown request) refused
 * without ending the session.
 */
#include <stdarg.h>
#include <stdbool.h>
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
#include "vhost_user_frontend.h"
#include "vhost_user/vhost_user_net.h"

/* virtio-net (virtio 1.2 5.1) */
#define NET_F_CSUM	0
#define NET_F_MAC	5
#define NET_F_MRG_RXBUF 15

/* frame buffers: TX in the first region, RX in the second */
#define TX_BUF 0x10000u
#define RX_BUF (VUF_HALF + 0x1000u)

static struct vhost_user_net net;
static int wire; /* the network's end of the tap socketpair */
static const uint8_t the_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* --- the front end's view of the server ------------------------------------------ */

static bool step(void *vu, int timeout_ms)
{
	return vu_server_step(vu, timeout_ms) == VU_CONNECTED;
}

static const struct vuf_server server = { &net.vu, step, &net.vu.messages };

/* A new connection; negotiation, checking the net features offered. */
static void fe_connect(struct vuf *f, uint64_t extra_features)
{
	uint64_t feat;

	assert_int_equal(vu_server_connect(&net.vu, vuf_connect(f, &server)), 0);
	feat = vuf_negotiate(f, extra_features);
	assert_true(feat & BIT(F_VERSION_1));
	assert_true(feat & BIT(NET_F_MAC));
	assert_true(feat & BIT(NET_F_MRG_RXBUF));
	/* vhost-user MQ stays for virtio-blk: net's queues are not queue pairs here */
	assert_false(f->protocol_features & PF_MQ);
	assert_int_not_equal(vuf_ack(f, SET_PROTOCOL_FEATURES, (uint64_t[]){ PF_MQ }, 8, NULL, 0),
			     0);
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
	struct vuf f;
	uint8_t p[12 + 6] = { 0 }, r[12 + 6];

	(void)state;
	fe_connect(&f, BIT(NET_F_MRG_RXBUF));
	/* the MAC through GET_CONFIG (offset 0, 6 bytes) */
	vuf_put32(p, 0);
	vuf_put32(p + 4, 6);
	assert_int_equal(vuf_call(&f, GET_CONFIG, 0, p, sizeof(p), NULL, 0, r, sizeof(r)), 18);
	assert_memory_equal(r + 12, the_mac, 6);
	/* features never offered are refused */
	vuf_set_u64(&f, SET_FEATURES, F_PROTOCOL | BIT(F_VERSION_1) | BIT(F_RING_PACKED));
	assert_true(net.vu.refused >= 1);
	vuf_close(&f);
}

/* TX: a frame the guest queues reaches the tap; RX: a frame from the tap reaches the ring. */
static void test_frames_both_ways(void **state)
{
	struct vuf f;
	uint8_t frame[200], got[400];
	size_t len = make_frame(frame, 5, sizeof(frame));
	uint32_t used_len;
	struct axvm_tap_stats st;

	(void)state;
	fe_connect(&f, BIT(NET_F_MRG_RXBUF));
	vuf_mem_table(&f);
	vuf_vring_setup(&f, 0, 0);
	vuf_vring_setup(&f, 1, 0);

	/* TX: header (zeroes) and frame in two descriptors */
	memset(f.mem + TX_BUF, 0, 12);
	memcpy(f.mem + TX_BUF + 12, frame, len);
	vuf_desc(&f, 1, 0, VUF_GPA + TX_BUF, 12, DESC_NEXT, 1);
	vuf_desc(&f, 1, 1, VUF_GPA + TX_BUF + 12, (uint32_t)len, 0, 0);
	vuf_publish(&f, 1, 0);
	vuf_wait_used(&f, 1);
	assert_int_equal(recv(wire, got, sizeof(got), MSG_DONTWAIT), (ssize_t)(12 + len));
	assert_memory_equal(got + 12, frame, len);

	/* RX: one 2 KiB buffer posted, a frame from the network */
	vuf_desc(&f, 0, 0, VUF_GPA + RX_BUF, 2048, DESC_WRITE, 0);
	vuf_publish(&f, 0, 0);
	assert_int_equal(vu_server_step(&net.vu, 10), VU_CONNECTED);
	memset(got, 0, 12);
	memcpy(got + 12, frame, len);
	got[12 + 14] = 0x77;
	assert_int_equal(send(wire, got, 12 + len, 0), (ssize_t)(12 + len));
	vuf_wait_used(&f, 0);
	used_len = vuf_get32(f.mem + VUF_RING(0) + VUF_USED_OFF + 4 + 4);
	assert_int_equal(used_len, 12 + len);
	assert_int_equal(f.mem[RX_BUF + 12 + 14], 0x77);
	assert_int_equal(f.mem[RX_BUF + 10], 1); /* num_buffers (MRG_RXBUF) */
	assert_memory_equal(f.mem + RX_BUF + 12, got + 12, 14);

	axvm_tap_get_stats(net.tap, &st);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(st.rx_frames, 1);
	assert_int_equal(st.rx_bytes, len);
	vuf_close(&f);
}

/* Broken requests are refused; the session goes on and still works. */
static void test_hostile_messages(void **state)
{
	struct vuf f;
	uint8_t p[8] = { 0 };
	unsigned long refused;
	(void)state;
	fe_connect(&f, 0);
	vuf_mem_table(&f);
	refused = net.vu.refused;
	/* ring addresses outside the memory table */
	assert_int_not_equal(vuf_vring_addr(&f, 0, 0x1000, 0x2000, 0x3000), 0);
	/* a ring that does not exist; a queue size that is not a power of two */
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 7, VUF_QSIZE), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 0, 3), 0);
	/* a kick for a ring without addresses cannot start it */
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_KICK, 1, f.kick[1]), 0);
	/* a wrong payload size, an unknown request */
	assert_int_not_equal(vuf_ack(&f, SET_VRING_NUM, p, 4, NULL, 0), 0);
	assert_int_not_equal(vuf_ack(&f, 99, NULL, 0, NULL, 0), 0);
	assert_true(net.vu.refused >= refused + 6);
	/* and the session still works */
	vuf_vring_setup(&f, 1, 0);
	vuf_close(&f);
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
