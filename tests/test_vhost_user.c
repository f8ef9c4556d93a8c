/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's vhost-user-blk back end, driven by an in-process fake front end:
 * a socketpair for the control channel, a memfd for guest memory and
 * eventfds for kick and call (tests/support/vhost_user_frontend.[ch]: an
 * independent client written from the vhost-user and virtio specs, not from
 * the server's headers). The server runs on this thread: after each message
 * the front end steps it until it has read the message, then reads the
 * reply.
 *
 * Covered: feature and protocol-feature negotiation, GET_CONFIG, a memory
 * table of two regions of one memfd (one with an mmap offset), vring setup,
 * virtio-blk reads and writes checked against a temporary disk image, the
 * call eventfd, GET_VRING_BASE, disconnect and reconnect (resuming the ring
 * and restarting it from zero, as after a guest reboot), and hostile
 * messages: bad sizes and versions, too many regions, missing fds, ring
 * addresses outside the table, unknown requests, a broken ring. Multiqueue
 * (a second server with MQ_QUEUES request queues): protocol feature MQ,
 * GET_QUEUE_NUM, VIRTIO_BLK_F_MQ and config num_queues, requests and
 * interrupts on every ring, GET_VRING_BASE per ring, ring indices beyond the
 * count refused, a broken ring 2 stopping the device and a reboot healing
 * it, a reconnect resuming every ring.
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

#include "axvm.h"
#include "log.h"
#include "vhost_user_frontend.h"
#include "vhost_user/vhost_user_blk.h"

/* virtio-blk (virtio 1.2 5.2) */
#define BLK_F_SEG_MAX  2
#define BLK_F_BLK_SIZE 6
#define BLK_F_FLUSH    9
#define BLK_F_MQ       12
#define BLK_CFG_NUM_Q  34 /* le16 num_queues in struct virtio_blk_config */
#define BLK_T_IN       0
#define BLK_T_OUT      1

/* queue q's request header and status beside its rings; data in the second region */
#define HDR_AT(q)  (VUF_RING(q) + 0x3000u)
#define STAT_AT(q) (VUF_RING(q) + 0x3100u)
#define DATA_AT(q) (VUF_HALF + 0x1000u + 0x2000u * (q)) /* up to 8 KiB */
#define HDR_OFF	   HDR_AT(0)
#define STAT_OFF   STAT_AT(0)
#define DATA_OFF   DATA_AT(0)
#define DISK_SIZE  (1u << 20)
#define MQ_QUEUES  VUF_MAX_QUEUES

static struct vhost_user_blk blk, blk_mq;
static char disk_path[64];
static int disk_fd;

/* --- the front end's view of the server ------------------------------------------ */

static bool step(void *vu, int timeout_ms)
{
	return vu_server_step(vu, timeout_ms) == VU_CONNECTED;
}

static const struct vuf_server server = { &blk.vu, step, &blk.vu.messages };
static const struct vuf_server mq_server = { &blk_mq.vu, step, &blk_mq.vu.messages };

static void fe_connect(struct vuf *f)
{
	assert_int_equal(vu_server_connect(&blk.vu, vuf_connect(f, &server)), 0);
}

static void fe_setup(struct vuf *f, uint16_t base)
{
	fe_connect(f);
	vuf_negotiate(f, 0);
	vuf_mem_table(f);
	vuf_vring_setup(f, 0, base);
}

/* One virtio-blk request on queue q of `len` data bytes at `sector`; the status byte. */
static uint8_t fe_blk_q(struct vuf *f, uint32_t q, uint32_t type, uint64_t sector, uint32_t len)
{
	uint8_t *hdr = f->mem + HDR_AT(q);
	const uint8_t *elem;
	uint32_t used_len;

	vuf_put32(hdr, type);
	vuf_put32(hdr + 4, 0);
	vuf_put64(hdr + 8, sector);
	f->mem[STAT_AT(q)] = 0xee;
	vuf_desc(f, q, 0, VUF_GPA + HDR_AT(q), 16, DESC_NEXT, 1);
	vuf_desc(f, q, 1, VUF_GPA + DATA_AT(q), len,
		 (uint16_t)(DESC_NEXT | (type == BLK_T_IN ? DESC_WRITE : 0)), 2);
	vuf_desc(f, q, 2, VUF_GPA + STAT_AT(q), 1, DESC_WRITE, 0);
	vuf_publish(f, q, 0);
	vuf_wait_used(f, q); /* also takes queue q's interrupt (its call eventfd) */
	elem = f->mem + VUF_RING(q) + VUF_USED_OFF + 4 + 8 * ((f->used_seen[q] - 1) % VUF_QSIZE);
	used_len = vuf_get32(elem + 4);
	assert_int_equal(vuf_get32(elem), 0);
	assert_int_equal(used_len, type == BLK_T_IN && f->mem[STAT_AT(q)] == 0 ? len + 1 : 1);
	return f->mem[STAT_AT(q)];
}

static uint8_t fe_blk(struct vuf *f, uint32_t type, uint64_t sector, uint32_t len)
{
	return fe_blk_q(f, 0, type, sector, len);
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

/* --- fixtures ------------------------------------------------------------------ */

static int setup(void **state)
{
	char err[256];
	uint8_t *img = malloc(DISK_SIZE);

	(void)state;
	axvm_log_level = AXVM_LOG_ERROR; /* the hostile cases warn by design */
	snprintf(disk_path, sizeof(disk_path), "/tmp/axvm-vu-test-XXXXXX");
	disk_fd = mkstemp(disk_path);
	if (disk_fd < 0 || !img)
		return -1;
	for (uint32_t i = 0; i < DISK_SIZE; i++)
		img[i] = pattern(i);
	if (write(disk_fd, img, DISK_SIZE) != DISK_SIZE)
		return -1;
	free(img);
	if (vhost_user_blk_open(&blk, disk_path, 1, -1, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vhost_user_blk_close(&blk);
	close(disk_fd);
	unlink(disk_path);
	return 0;
}

/* --- tests ----------------------------------------------------------------------- */

static void test_features_and_config(void **state)
{
	struct vuf f;
	uint64_t feat;
	uint8_t p[12 + 60] = { 0 }, r[12 + 60];

	(void)state;
	fe_connect(&f);
	feat = vuf_get_u64(&f, GET_FEATURES);
	assert_true(feat & BIT(F_VERSION_1));
	assert_true(feat & F_PROTOCOL);
	assert_true(feat & BIT(F_INDIRECT));
	assert_true(feat & BIT(F_EVENT_IDX));
	assert_true(feat & BIT(BLK_F_FLUSH));
	assert_true(feat & BIT(BLK_F_BLK_SIZE));
	assert_true(feat & BIT(BLK_F_SEG_MAX));
	assert_false(feat & BIT(F_RING_PACKED));
	assert_false(feat & BIT(F_ACCESS_PLATFORM));
	assert_false(feat & BIT(BLK_F_MQ)); /* one request queue */
	vuf_negotiate(&f, 0);
	assert_true(f.protocol_features & PF_MQ);
	assert_int_equal(vuf_get_u64(&f, GET_QUEUE_NUM), 1);

	vuf_put32(p + 4, 60); /* offset 0, 60 bytes: struct virtio_blk_config up to write_zeroes */
	assert_int_equal(vuf_call(&f, GET_CONFIG, 0, p, sizeof(p), NULL, 0, r, sizeof(r)), 12 + 60);
	assert_int_equal(vuf_get64(r + 12), DISK_SIZE / 512); /* capacity */
	assert_int_equal(vuf_get32(r + 12 + 20), 512);	      /* blk_size */
	vuf_close(&f);
}

static void test_read_write(void **state)
{
	uint8_t buf[4096];
	struct vuf f;

	(void)state;
	fe_setup(&f, 0);
	/* read 8 sectors from sector 3 */
	assert_int_equal(fe_blk(&f, BLK_T_IN, 3, 4096), 0);
	for (uint32_t i = 0; i < 4096; i++)
		assert_int_equal(f.mem[DATA_OFF + i], pattern(3 * 512 + i));
	/* write 2 sectors at sector 100 and find them in the image */
	for (uint32_t i = 0; i < 1024; i++)
		f.mem[DATA_OFF + i] = (uint8_t)(0xa5 ^ i);
	assert_int_equal(fe_blk(&f, BLK_T_OUT, 100, 1024), 0);
	assert_int_equal(pread(disk_fd, buf, 1024, 100 * 512), 1024);
	assert_memory_equal(buf, f.mem + DATA_OFF, 1024);
	/* beyond the capacity: IOERR, and the ring goes on */
	assert_int_equal(fe_blk(&f, BLK_T_IN, DISK_SIZE / 512, 512), 1);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 0, 512), 0);

	/* GET_VRING_BASE stops the ring and answers the next avail index */
	{
		uint8_t p[8] = { 0 }, r[8];

		assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
		assert_int_equal(vuf_get32(r), 0);
		assert_int_equal(vuf_get32(r + 4), 4);
	}
	/* a kick after the stop: the ring is no longer processed */
	{
		uint64_t one = 1;

		assert_int_equal(write(f.kick[0], &one, 8), 8);
		assert_int_equal(vu_server_step(&blk.vu, 10), VU_CONNECTED);
		assert_int_equal(vuf_used_idx(&f, 0), 4);
	}
	vuf_close(&f);
}

/* The same guest memory over a new connection: the ring resumes at its base. */
static void test_reconnect_resumes(void **state)
{
	struct vuf f;
	uint8_t keep[VUF_MEM_SIZE / 2];

	(void)state;
	fe_setup(&f, 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 0, 512), 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 1, 512), 0);
	memcpy(keep, f.mem, sizeof(keep)); /* the rings live in the first half */
	vuf_close(&f);

	fe_connect(&f);
	memcpy(f.mem, keep, sizeof(keep));
	vuf_negotiate(&f, 0);
	vuf_mem_table(&f);
	vuf_vring_setup(&f, 0, 2);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 5, 512), 0);
	for (uint32_t i = 0; i < 512; i++)
		assert_int_equal(f.mem[DATA_OFF + i], pattern(5 * 512 + i));
	assert_int_equal(vuf_used_idx(&f, 0), 3);
	vuf_close(&f);
}

/* A guest protocol error breaks the device; stopping and restarting the ring (a reboot) heals. */
static void test_broken_ring_and_reboot(void **state)
{
	struct vuf f;
	uint64_t count = 0, one = 1;
	uint16_t bad_head = VUF_QSIZE + 3;
	uint8_t p[8] = { 0 }, r[8];

	(void)state;
	fe_setup(&f, 0);
	memcpy(f.mem + VUF_AVAIL_OFF + 4, &bad_head, 2);
	__atomic_store_n((uint16_t *)(void *)(f.mem + VUF_AVAIL_OFF + 2), 1, __ATOMIC_RELEASE);
	assert_int_equal(write(f.kick[0], &one, 8), 8);
	assert_int_equal(vu_server_step(&blk.vu, 100), VU_CONNECTED);
	assert_int_equal(read(f.err[0], &count, 8), 8); /* the error eventfd */
	assert_int_equal(vuf_used_idx(&f, 0), 0);

	/* reboot: stop, zero the rings, set them up again from 0 */
	assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
	memset(f.mem, 0, VUF_HALF);
	vuf_vring_setup(&f, 0, 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 7, 512), 0);
	assert_int_equal(f.mem[DATA_OFF + 1], pattern(7 * 512 + 1));
	vuf_close(&f);
}

static void test_hostile_messages(void **state)
{
	struct vuf f;
	uint8_t big[8 + 9 * 32] = { 0 }, p[64] = { 0 }, r[300];
	unsigned long refused = blk.vu.refused;

	(void)state;
	fe_connect(&f);
	vuf_negotiate(&f, 0);

	/* wrong payload sizes */
	assert_int_equal(vuf_call(&f, SET_FEATURES, FLAG_NEED_REPLY, p, 4, NULL, 0, r, 8), 8);
	assert_int_not_equal(vuf_get64(r), 0);
	assert_int_equal(vuf_call(&f, GET_FEATURES, 0, p, 8, NULL, 0, r, 8), 0); /* empty reply */
	/* nine regions; one region without its fd; a region that wraps */
	vuf_put32(big, 9);
	assert_int_not_equal(vuf_ack(&f, SET_MEM_TABLE, big, sizeof(big), NULL, 0), 0);
	vuf_put32(p, 1);
	vuf_put64(p + 8, VUF_GPA);
	vuf_put64(p + 16, VUF_HALF);
	assert_int_not_equal(vuf_ack(&f, SET_MEM_TABLE, p, 40, NULL, 0), 0);
	vuf_put64(p + 16, UINT64_MAX);
	assert_int_not_equal(vuf_ack(&f, SET_MEM_TABLE, p, 40, &f.memfd, 1), 0);
	vuf_put64(p + 16, VUF_HALF);
	vuf_put64(p + 32, UINT64_MAX - 8); /* mmap_offset */
	assert_int_not_equal(vuf_ack(&f, SET_MEM_TABLE, p, 40, &f.memfd, 1), 0);
	/* a memory table with two regions, then rings outside it */
	vuf_mem_table(&f);
	assert_int_not_equal(vuf_vring_addr(&f, 0, 0x1000, vuf_uva(&f, VUF_USED_OFF),
					    vuf_uva(&f, VUF_AVAIL_OFF)),
			     0);
	assert_int_not_equal(
		vuf_vring_addr(&f, 0, vuf_uva(&f, VUF_MEM_SIZE), vuf_uva(&f, 0), vuf_uva(&f, 0)),
		0);
	/* queue sizes and indices */
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 0, 3), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 0, 4096), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 7, 8), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_BASE, 0, 0x10000), 0);
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_KICK, 0, -1), 0); /* polling */
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_CALL, 200, f.call[0]), 0);
	/* a kick for a ring with no addresses does not start it */
	assert_int_equal(vuf_state(&f, SET_VRING_NUM, 0, VUF_QSIZE), 0);
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_KICK, 0, f.kick[0]), 0);
	/* GET_CONFIG beyond 256 bytes: an empty reply */
	vuf_put32(p, 0);
	vuf_put32(p + 4, 1000);
	assert_int_equal(vuf_call(&f, GET_CONFIG, 0, p, 12, NULL, 0, r, sizeof(r)), 0);
	/* unknown requests: refused, acked as failures */
	assert_int_not_equal(vuf_ack(&f, 999, NULL, 0, NULL, 0), 0);
	assert_int_not_equal(vuf_ack(&f, 0, NULL, 0, NULL, 0), 0);
	assert_int_not_equal(vuf_ack(&f, 6 /* SET_LOG_BASE */, p, 16, NULL, 0), 0);
	assert_true(blk.vu.refused >= refused + 17);
	/* still serving */
	assert_true(vuf_get_u64(&f, GET_FEATURES) & BIT(F_VERSION_1));

	/* framing errors end the session; the server takes the next front end */
	vuf_send_raw(&f, GET_FEATURES, 0x2, 0, NULL, 0, NULL, 0); /* version 2 */
	assert_false(vuf_serve_one(&f));
	vuf_release(&f);

	fe_connect(&f);
	vuf_send_raw(&f, SET_FEATURES, FLAG_V1, 100000, NULL, 0, NULL, 0); /* oversized */
	assert_false(vuf_serve_one(&f));
	vuf_release(&f);

	/* and a clean session after all that */
	fe_setup(&f, 0);
	/* a running queue's size, base and ring addresses are not changed under it */
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, 0, VUF_QSIZE), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_BASE, 0, 0), 0);
	assert_int_not_equal(vuf_vring_addr(&f, 0, vuf_uva(&f, VUF_DESC_OFF),
					    vuf_uva(&f, VUF_USED_OFF), vuf_uva(&f, VUF_AVAIL_OFF)),
			     0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 9, 512), 0);
	vuf_close(&f);
}

/* --- multiqueue ------------------------------------------------------------------ */

static void mq_open(void)
{
	char err[256];

	assert_int_equal(vhost_user_blk_open(&blk_mq, disk_path, MQ_QUEUES, -1, err, sizeof(err)),
			 0);
}

static void mq_setup(struct vuf *f, uint16_t base)
{
	assert_int_equal(vu_server_connect(&blk_mq.vu, vuf_connect(f, &mq_server)), 0);
	vuf_negotiate(f, BIT(BLK_F_MQ));
	vuf_mem_table(f);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		vuf_vring_setup(f, q, base);
}

/* No interrupt is pending on any ring's call eventfd. */
static void assert_no_calls(struct vuf *f)
{
	uint64_t count;

	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		assert_int_equal(read(f->call[q], &count, 8), -1);
}

static void test_mq_negotiation(void **state)
{
	uint8_t p[12 + 60] = { 0 }, r[12 + 60];
	uint64_t feat;
	struct vuf f;

	(void)state;
	mq_open();
	assert_int_equal(vu_server_connect(&blk_mq.vu, vuf_connect(&f, &mq_server)), 0);
	feat = vuf_negotiate(&f, BIT(BLK_F_MQ));
	assert_true(feat & BIT(BLK_F_MQ));
	assert_true(f.protocol_features & PF_MQ);
	assert_int_equal(vuf_get_u64(&f, GET_QUEUE_NUM), MQ_QUEUES);
	/* GET_QUEUE_NUM takes no payload: with one, an empty reply, and the session goes on */
	assert_int_equal(vuf_call(&f, GET_QUEUE_NUM, 0, p, 8, NULL, 0, r, 8), 0);
	vuf_put32(p + 4, 60);
	assert_int_equal(vuf_call(&f, GET_CONFIG, 0, p, sizeof(p), NULL, 0, r, sizeof(r)), 12 + 60);
	assert_int_equal(r[12 + BLK_CFG_NUM_Q] | r[12 + BLK_CFG_NUM_Q + 1] << 8, MQ_QUEUES);
	assert_int_equal(vuf_get64(r + 12), DISK_SIZE / 512);
	vuf_close(&f);
	vhost_user_blk_close(&blk_mq);
}

static void test_mq_requests(void **state)
{
	uint8_t p[8] = { 0 }, r[8], buf[1024];
	unsigned long refused;
	struct vuf f;

	(void)state;
	mq_open();
	mq_setup(&f, 0);
	/* a read on every ring, last to first: each completes on its own used ring and call fd */
	for (uint32_t q = MQ_QUEUES; q-- > 0;) {
		assert_int_equal(fe_blk_q(&f, q, BLK_T_IN, 10 + q, 512), 0);
		for (uint32_t i = 0; i < 512; i++)
			assert_int_equal(f.mem[DATA_AT(q) + i], pattern((10 + q) * 512 + i));
		for (uint32_t o = 0; o < MQ_QUEUES; o++)
			assert_int_equal(vuf_used_idx(&f, o), o >= q ? 1 : 0);
		assert_no_calls(&f);
	}
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		assert_true(blk_mq.vu.kicks[q] >= 1); /* the per-ring counter the logs show */
	/* a write on ring 3, read back on ring 1 */
	for (uint32_t i = 0; i < 1024; i++)
		f.mem[DATA_AT(3) + i] = (uint8_t)(0x5a ^ i);
	assert_int_equal(fe_blk_q(&f, 3, BLK_T_OUT, 200, 1024), 0);
	assert_int_equal(pread(disk_fd, buf, 1024, 200 * 512), 1024);
	assert_memory_equal(buf, f.mem + DATA_AT(3), 1024);
	assert_int_equal(fe_blk_q(&f, 1, BLK_T_IN, 200, 1024), 0);
	assert_memory_equal(f.mem + DATA_AT(1), f.mem + DATA_AT(3), 1024);
	/* a new memory table while every ring runs: each is remapped and goes on */
	vuf_mem_table(&f);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		assert_int_equal(fe_blk_q(&f, q, BLK_T_IN, 30 + q, 512), 0);
	assert_int_equal(f.mem[DATA_AT(3) + 5], pattern(33 * 512 + 5));

	/* ring indices at and beyond the count are refused; the session goes on */
	refused = blk_mq.vu.refused;
	assert_int_not_equal(vuf_state(&f, SET_VRING_NUM, MQ_QUEUES, VUF_QSIZE), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_BASE, MQ_QUEUES, 0), 0);
	assert_int_not_equal(vuf_state(&f, SET_VRING_ENABLE, MQ_QUEUES, 1), 0);
	assert_int_not_equal(vuf_vring_addr(&f, MQ_QUEUES, vuf_uva(&f, 0), vuf_uva(&f, 0x2000),
					    vuf_uva(&f, 0x1000)),
			     0);
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_CALL, MQ_QUEUES, f.call[0]), 0);
	assert_int_not_equal(vuf_vring_fd(&f, SET_VRING_KICK, 16, f.kick[0]), 0);
	vuf_put32(p, MQ_QUEUES);
	assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 0); /* empty */
	assert_int_equal(blk_mq.vu.refused, refused + 7);
	assert_int_equal(fe_blk_q(&f, 2, BLK_T_IN, 0, 512), 0);

	/* GET_VRING_BASE per ring: each stops alone with its own next avail index */
	vuf_put32(p, 3);
	assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
	assert_int_equal(vuf_get32(r), 3);
	assert_int_equal(vuf_get32(r + 4), 3);			/* its three requests */
	assert_int_equal(fe_blk_q(&f, 0, BLK_T_IN, 1, 512), 0); /* ring 0 still runs */
	vuf_put32(p, 1);
	assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
	assert_int_equal(vuf_get32(r + 4), 3);
	vuf_close(&f);
	vhost_user_blk_close(&blk_mq);
}

/* --queues on the command line: a count in [1, 16], else a usage error before anything opens. */
static void test_mq_queues_option(void **state)
{
	static const char *const bad[] = { "0", "17", "x", "2x", "-1", "", "99999999999999999999" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "vhost-user-blk", "--socket", "/nonexistent/s", "--disk",
				 disk_path,	   "--queues", (char *)bad[i],	 NULL };

		assert_int_equal(vhost_user_blk_main(7, argv), AXVM_STATUS_CONFIG);
	}
}

/* A bad chain on ring 2 stops the whole device; a reboot (all rings restarted) heals it. */
static void test_mq_broken_ring_and_reboot(void **state)
{
	uint16_t bad_head = VUF_QSIZE + 3;
	uint64_t count = 0, one = 1;
	uint8_t p[8] = { 0 }, r[8];
	struct vuf f;

	(void)state;
	mq_open();
	mq_setup(&f, 0);
	assert_int_equal(fe_blk_q(&f, 0, BLK_T_IN, 0, 512), 0);
	memcpy(f.mem + VUF_RING(2) + VUF_AVAIL_OFF + 4, &bad_head, 2);
	__atomic_store_n((uint16_t *)(void *)(f.mem + VUF_RING(2) + VUF_AVAIL_OFF + 2), 1,
			 __ATOMIC_RELEASE);
	assert_int_equal(write(f.kick[2], &one, 8), 8);
	assert_int_equal(vu_server_step(&blk_mq.vu, 100), VU_CONNECTED);
	assert_int_equal(read(f.err[2], &count, 8), 8);
	assert_int_equal(vuf_used_idx(&f, 2), 0);
	/* the other rings stop with it: a request on ring 1 is not taken */
	vuf_desc(&f, 1, 0, VUF_GPA + HDR_AT(1), 16, DESC_NEXT, 1);
	vuf_desc(&f, 1, 1, VUF_GPA + STAT_AT(1), 1, DESC_WRITE, 0);
	vuf_put32(f.mem + HDR_AT(1), BLK_T_IN);
	vuf_publish(&f, 1, 0);
	assert_int_equal(vu_server_step(&blk_mq.vu, 50), VU_CONNECTED);
	assert_int_equal(vuf_used_idx(&f, 1), 0);

	/* reboot: every ring stopped, zeroed, set up again from 0 */
	for (uint32_t q = 0; q < MQ_QUEUES; q++) {
		vuf_put32(p, q);
		assert_int_equal(vuf_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
	}
	memset(f.mem, 0, VUF_HALF);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		vuf_vring_setup(&f, q, 0);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		assert_int_equal(fe_blk_q(&f, q, BLK_T_IN, 7 + q, 512), 0);
	assert_int_equal(f.mem[DATA_AT(2) + 1], pattern(9 * 512 + 1));
	vuf_close(&f);
	vhost_user_blk_close(&blk_mq);
}

/* The same guest memory over a new connection: every ring resumes at its base. */
static void test_mq_reconnect_resumes(void **state)
{
	static uint8_t keep[VUF_HALF];
	struct vuf f;

	(void)state;
	mq_open();
	mq_setup(&f, 0);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		assert_int_equal(fe_blk_q(&f, q, BLK_T_IN, q, 512), 0);
	memcpy(keep, f.mem, sizeof(keep));
	vuf_close(&f);

	assert_int_equal(vu_server_connect(&blk_mq.vu, vuf_connect(&f, &mq_server)), 0);
	memcpy(f.mem, keep, sizeof(keep));
	vuf_negotiate(&f, BIT(BLK_F_MQ));
	vuf_mem_table(&f);
	for (uint32_t q = 0; q < MQ_QUEUES; q++)
		vuf_vring_setup(&f, q, 1);
	for (uint32_t q = 0; q < MQ_QUEUES; q++) {
		assert_int_equal(fe_blk_q(&f, q, BLK_T_IN, 20 + q, 512), 0);
		assert_int_equal(vuf_used_idx(&f, q), 2);
		assert_int_equal(f.mem[DATA_AT(q) + 3], pattern((20 + q) * 512 + 3));
	}
	vuf_close(&f);
	vhost_user_blk_close(&blk_mq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_and_config),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_reconnect_resumes),
		cmocka_unit_test(test_broken_ring_and_reboot),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_mq_negotiation),
		cmocka_unit_test(test_mq_queues_option),
		cmocka_unit_test(test_mq_requests),
		cmocka_unit_test(test_mq_broken_ring_and_reboot),
		cmocka_unit_test(test_mq_reconnect_resumes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
