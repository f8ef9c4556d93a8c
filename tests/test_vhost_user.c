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
 * addresses outside the table, unknown requests, a broken ring.
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
#include "vhost_user/vhost_user_blk.h"

/* virtio-blk (virtio 1.2 5.2) */
#define BLK_F_SEG_MAX  2
#define BLK_F_BLK_SIZE 6
#define BLK_F_FLUSH    9
#define BLK_T_IN       0
#define BLK_T_OUT      1

/* queue 0's request header and status beside its rings; data in the second region */
#define HDR_OFF	  0x3000u
#define STAT_OFF  0x3100u
#define DATA_OFF  (VUF_HALF + 0x1000u)
#define DISK_SIZE (1u << 20)

static struct vhost_user_blk blk;
static char disk_path[64];
static int disk_fd;

/* --- the front end's view of the server ------------------------------------------ */

static bool step(void *vu, int timeout_ms)
{
	return vu_server_step(vu, timeout_ms) == VU_CONNECTED;
}

static const struct vuf_server server = { &blk.vu, step, &blk.vu.messages };

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

/* One virtio-blk request of `len` data bytes at `sector`; returns the status byte. */
static uint8_t fe_blk(struct vuf *f, uint32_t type, uint64_t sector, uint32_t len)
{
	uint8_t *hdr = f->mem + HDR_OFF;
	const uint8_t *elem;
	uint32_t used_len;

	vuf_put32(hdr, type);
	vuf_put32(hdr + 4, 0);
	vuf_put64(hdr + 8, sector);
	f->mem[STAT_OFF] = 0xee;
	vuf_desc(f, 0, 0, VUF_GPA + HDR_OFF, 16, DESC_NEXT, 1);
	vuf_desc(f, 0, 1, VUF_GPA + DATA_OFF, len,
		 (uint16_t)(DESC_NEXT | (type == BLK_T_IN ? DESC_WRITE : 0)), 2);
	vuf_desc(f, 0, 2, VUF_GPA + STAT_OFF, 1, DESC_WRITE, 0);
	vuf_publish(f, 0, 0);
	vuf_wait_used(f, 0);
	elem = f->mem + VUF_USED_OFF + 4 + 8 * ((f->used_seen[0] - 1) % VUF_QSIZE);
	used_len = vuf_get32(elem + 4);
	assert_int_equal(vuf_get32(elem), 0);
	assert_int_equal(used_len, type == BLK_T_IN && f->mem[STAT_OFF] == 0 ? len + 1 : 1);
	return f->mem[STAT_OFF];
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
	if (vhost_user_blk_open(&blk, disk_path, -1, err, sizeof(err)) != 0) {
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
	vuf_negotiate(&f, 0);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_features_and_config),
		cmocka_unit_test(test_read_write),
		cmocka_unit_test(test_reconnect_resumes),
		cmocka_unit_test(test_broken_ring_and_reboot),
		cmocka_unit_test(test_hostile_messages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
