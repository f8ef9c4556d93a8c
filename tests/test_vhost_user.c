/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's vhost-user-blk back end, driven by an in-process fake front end:
 * a socketpair for the control channel, a memfd for guest memory and
 * eventfds for kick and call. The front end's message numbers, layouts and
 * ring formats are written here from the vhost-user and virtio specs, not
 * taken from the server's headers (an independent client). The server runs
 * on this thread: after each message the test steps it until it has read
 * the message, then reads the reply.
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
#include "vhost_user/vhost_user_blk.h"

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
#define BLK_F_SEG_MAX	  2
#define BLK_F_BLK_SIZE	  6
#define BLK_F_FLUSH	  9
#define DESC_NEXT	  1u
#define DESC_WRITE	  2u
#define BLK_T_IN	  0
#define BLK_T_OUT	  1

/* guest memory: one memfd, two regions */
#define MEM_SIZE  0x100000ull
#define HALF	  (MEM_SIZE / 2)
#define GPA	  0x40000000ull
#define DESC_OFF  0x0000u
#define AVAIL_OFF 0x1000u
#define USED_OFF  0x2000u
#define HDR_OFF	  0x3000u
#define STAT_OFF  0x3100u
#define DATA_OFF  (HALF + 0x1000u) /* in the second region */
#define QSIZE	  8
#define DISK_SIZE (1u << 20)

struct fe {
	int sock; /* our end; the server has the other */
	int kick, call, err;
	int memfd;
	uint8_t *mem; /* our mapping of guest memory: its address is our "uva" */
	uint16_t avail_idx, used_seen;
};

static struct vhost_user_blk blk;
static char disk_path[64];
static int disk_fd;

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
	unsigned long before = blk.vu.messages;
	enum vu_step_result r = VU_CONNECTED;

	for (int i = 0; i < 100 && r == VU_CONNECTED && blk.vu.messages == before; i++)
		r = vu_server_step(&blk.vu, 100);
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

static uint64_t fe_vring_addr(struct fe *f, uint64_t desc, uint64_t used, uint64_t avail)
{
	uint8_t p[40] = { 0 };

	put64(p + 8, desc);
	put64(p + 16, used);
	put64(p + 24, avail);
	return fe_ack(f, SET_VRING_ADDR, p, 40, NULL, 0);
}

/* A new connection with fresh eventfds and guest memory (zeroed). */
static void fe_connect(struct fe *f)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(vu_server_connect(&blk.vu, sv[0]), 0);
	f->sock = sv[1];
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->memfd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(f->kick >= 0 && f->call >= 0 && f->err >= 0 && f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, MEM_SIZE), 0);
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_true(f->mem != MAP_FAILED);
}

/* Our side's fds and mapping. */
static void fe_release(struct fe *f)
{
	close(f->sock);
	close(f->kick);
	close(f->call);
	close(f->err);
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

/* Queue 0: size 8 at `base`, rings in the first region; started and enabled. */
static void fe_vring_setup(struct fe *f, uint16_t base)
{
	assert_int_equal(fe_state(f, SET_VRING_NUM, 0, QSIZE), 0);
	assert_int_equal(fe_state(f, SET_VRING_BASE, 0, base), 0);
	assert_int_equal(fe_vring_addr(f, uva(f, DESC_OFF), uva(f, USED_OFF), uva(f, AVAIL_OFF)),
			 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_CALL, 0, f->call), 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_ERR, 0, f->err), 0);
	assert_int_equal(fe_vring_fd(f, SET_VRING_KICK, 0, f->kick), 0);
	assert_int_equal(fe_state(f, SET_VRING_ENABLE, 0, 1), 0);
	f->avail_idx = base;
	f->used_seen = base;
}

static void fe_setup(struct fe *f, uint16_t base)
{
	fe_connect(f);
	fe_negotiate(f, 0);
	fe_mem_table(f);
	fe_vring_setup(f, base);
}

static void desc(struct fe *f, unsigned i, uint64_t gpa, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = f->mem + DESC_OFF + 16 * i;

	put64(d, gpa);
	put32(d + 8, len);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t used_idx(const struct fe *f)
{
	return __atomic_load_n((uint16_t *)(void *)(f->mem + USED_OFF + 2), __ATOMIC_ACQUIRE);
}

/* Publishes chain head 0 and kicks; steps the server until the used ring moves. */
static void fe_kick_and_wait(struct fe *f)
{
	uint64_t one = 1, count = 0;
	uint16_t head = 0;

	memcpy(f->mem + AVAIL_OFF + 4 + 2 * (f->avail_idx % QSIZE), &head, 2);
	f->avail_idx++;
	__atomic_store_n((uint16_t *)(void *)(f->mem + AVAIL_OFF + 2), f->avail_idx,
			 __ATOMIC_RELEASE);
	assert_int_equal(write(f->kick, &one, 8), 8);
	for (int i = 0; i < 100 && used_idx(f) == f->used_seen; i++)
		assert_int_equal(vu_server_step(&blk.vu, 100), VU_CONNECTED);
	assert_int_equal(used_idx(f), (uint16_t)(f->used_seen + 1));
	f->used_seen++;
	assert_int_equal(read(f->call, &count, 8), 8); /* the interrupt */
	assert_true(count >= 1);
}

/* One virtio-blk request of `len` data bytes at `sector`; returns the status byte. */
static uint8_t fe_blk(struct fe *f, uint32_t type, uint64_t sector, uint32_t len)
{
	uint8_t *hdr = f->mem + HDR_OFF;
	uint32_t used_len;

	put32(hdr, type);
	put32(hdr + 4, 0);
	put64(hdr + 8, sector);
	f->mem[STAT_OFF] = 0xee;
	desc(f, 0, GPA + HDR_OFF, 16, DESC_NEXT, 1);
	desc(f, 1, GPA + DATA_OFF, len, (uint16_t)(DESC_NEXT | (type == BLK_T_IN ? DESC_WRITE : 0)),
	     2);
	desc(f, 2, GPA + STAT_OFF, 1, DESC_WRITE, 0);
	fe_kick_and_wait(f);
	used_len = get32(f->mem + USED_OFF + 4 + 8 * ((f->used_seen - 1) % QSIZE) + 4);
	assert_int_equal(get32(f->mem + USED_OFF + 4 + 8 * ((f->used_seen - 1) % QSIZE)), 0);
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
	struct fe f;
	uint64_t feat;
	uint8_t p[12 + 60] = { 0 }, r[12 + 60];

	(void)state;
	fe_connect(&f);
	feat = fe_get_u64(&f, GET_FEATURES);
	assert_true(feat & BIT(F_VERSION_1));
	assert_true(feat & F_PROTOCOL);
	assert_true(feat & BIT(F_INDIRECT));
	assert_true(feat & BIT(F_EVENT_IDX));
	assert_true(feat & BIT(BLK_F_FLUSH));
	assert_true(feat & BIT(BLK_F_BLK_SIZE));
	assert_true(feat & BIT(BLK_F_SEG_MAX));
	assert_false(feat & BIT(F_RING_PACKED));
	assert_false(feat & BIT(F_ACCESS_PLATFORM));
	fe_negotiate(&f, 0);

	put32(p + 4, 60); /* offset 0, 60 bytes: struct virtio_blk_config up to write_zeroes */
	assert_int_equal(fe_call(&f, GET_CONFIG, 0, p, sizeof(p), NULL, 0, r, sizeof(r)), 12 + 60);
	assert_int_equal(get64(r + 12), DISK_SIZE / 512); /* capacity */
	assert_int_equal(get32(r + 12 + 20), 512);	  /* blk_size */
	fe_close(&f);
}

static void test_read_write(void **state)
{
	uint8_t buf[4096];
	struct fe f;

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

		assert_int_equal(fe_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
		assert_int_equal(get32(r), 0);
		assert_int_equal(get32(r + 4), 4);
	}
	/* a kick after the stop: the ring is no longer processed */
	{
		uint64_t one = 1;

		assert_int_equal(write(f.kick, &one, 8), 8);
		assert_int_equal(vu_server_step(&blk.vu, 10), VU_CONNECTED);
		assert_int_equal(used_idx(&f), 4);
	}
	fe_close(&f);
}

/* The same guest memory over a new connection: the ring resumes at its base. */
static void test_reconnect_resumes(void **state)
{
	struct fe f;
	uint8_t keep[MEM_SIZE / 2];

	(void)state;
	fe_setup(&f, 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 0, 512), 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 1, 512), 0);
	memcpy(keep, f.mem, sizeof(keep)); /* the rings live in the first half */
	fe_close(&f);

	fe_connect(&f);
	memcpy(f.mem, keep, sizeof(keep));
	fe_negotiate(&f, 0);
	fe_mem_table(&f);
	fe_vring_setup(&f, 2);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 5, 512), 0);
	for (uint32_t i = 0; i < 512; i++)
		assert_int_equal(f.mem[DATA_OFF + i], pattern(5 * 512 + i));
	assert_int_equal(used_idx(&f), 3);
	fe_close(&f);
}

/* A guest protocol error breaks the device; stopping and restarting the ring (a reboot) heals. */
static void test_broken_ring_and_reboot(void **state)
{
	struct fe f;
	uint64_t count = 0, one = 1;
	uint16_t bad_head = QSIZE + 3;
	uint8_t p[8] = { 0 }, r[8];

	(void)state;
	fe_setup(&f, 0);
	memcpy(f.mem + AVAIL_OFF + 4, &bad_head, 2);
	__atomic_store_n((uint16_t *)(void *)(f.mem + AVAIL_OFF + 2), 1, __ATOMIC_RELEASE);
	assert_int_equal(write(f.kick, &one, 8), 8);
	assert_int_equal(vu_server_step(&blk.vu, 100), VU_CONNECTED);
	assert_int_equal(read(f.err, &count, 8), 8); /* the error eventfd */
	assert_int_equal(used_idx(&f), 0);

	/* reboot: stop, zero the rings, set them up again from 0 */
	assert_int_equal(fe_call(&f, GET_VRING_BASE, 0, p, 8, NULL, 0, r, 8), 8);
	memset(f.mem, 0, HALF);
	fe_vring_setup(&f, 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 7, 512), 0);
	assert_int_equal(f.mem[DATA_OFF + 1], pattern(7 * 512 + 1));
	fe_close(&f);
}

static void test_hostile_messages(void **state)
{
	struct fe f;
	uint8_t big[8 + 9 * 32] = { 0 }, p[64] = { 0 }, r[300];
	unsigned long refused = blk.vu.refused;

	(void)state;
	fe_connect(&f);
	fe_negotiate(&f, 0);

	/* wrong payload sizes */
	assert_int_equal(fe_call(&f, SET_FEATURES, FLAG_NEED_REPLY, p, 4, NULL, 0, r, 8), 8);
	assert_int_not_equal(get64(r), 0);
	assert_int_equal(fe_call(&f, GET_FEATURES, 0, p, 8, NULL, 0, r, 8), 0); /* empty reply */
	/* nine regions; one region without its fd; a region that wraps */
	put32(big, 9);
	assert_int_not_equal(fe_ack(&f, SET_MEM_TABLE, big, sizeof(big), NULL, 0), 0);
	put32(p, 1);
	put64(p + 8, GPA);
	put64(p + 16, HALF);
	assert_int_not_equal(fe_ack(&f, SET_MEM_TABLE, p, 40, NULL, 0), 0);
	put64(p + 16, UINT64_MAX);
	assert_int_not_equal(fe_ack(&f, SET_MEM_TABLE, p, 40, &f.memfd, 1), 0);
	put64(p + 16, HALF);
	put64(p + 32, UINT64_MAX - 8); /* mmap_offset */
	assert_int_not_equal(fe_ack(&f, SET_MEM_TABLE, p, 40, &f.memfd, 1), 0);
	/* a memory table with two regions, then rings outside it */
	fe_mem_table(&f);
	assert_int_not_equal(fe_vring_addr(&f, 0x1000, uva(&f, USED_OFF), uva(&f, AVAIL_OFF)), 0);
	assert_int_not_equal(fe_vring_addr(&f, uva(&f, MEM_SIZE), uva(&f, 0), uva(&f, 0)), 0);
	/* queue sizes and indices */
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 0, 3), 0);
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 0, 4096), 0);
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 7, 8), 0);
	assert_int_not_equal(fe_state(&f, SET_VRING_BASE, 0, 0x10000), 0);
	assert_int_not_equal(fe_vring_fd(&f, SET_VRING_KICK, 0, -1), 0); /* polling */
	assert_int_not_equal(fe_vring_fd(&f, SET_VRING_CALL, 200, f.call), 0);
	/* a kick for a ring with no addresses does not start it */
	assert_int_equal(fe_state(&f, SET_VRING_NUM, 0, QSIZE), 0);
	assert_int_not_equal(fe_vring_fd(&f, SET_VRING_KICK, 0, f.kick), 0);
	/* GET_CONFIG beyond 256 bytes: an empty reply */
	put32(p, 0);
	put32(p + 4, 1000);
	assert_int_equal(fe_call(&f, GET_CONFIG, 0, p, 12, NULL, 0, r, sizeof(r)), 0);
	/* unknown requests: refused, acked as failures */
	assert_int_not_equal(fe_ack(&f, 999, NULL, 0, NULL, 0), 0);
	assert_int_not_equal(fe_ack(&f, 0, NULL, 0, NULL, 0), 0);
	assert_int_not_equal(fe_ack(&f, 6 /* SET_LOG_BASE */, p, 16, NULL, 0), 0);
	assert_true(blk.vu.refused >= refused + 17);
	/* still serving */
	assert_true(fe_get_u64(&f, GET_FEATURES) & BIT(F_VERSION_1));

	/* framing errors end the session; the server takes the next front end */
	fe_send_raw(&f, GET_FEATURES, 0x2, 0, NULL, 0, NULL, 0); /* version 2 */
	assert_int_equal(serve_one(), VU_DISCONNECTED);
	fe_release(&f);

	fe_connect(&f);
	fe_send_raw(&f, SET_FEATURES, FLAG_V1, 100000, NULL, 0, NULL, 0); /* oversized */
	assert_int_equal(serve_one(), VU_DISCONNECTED);
	fe_release(&f);

	/* and a clean session after all that */
	fe_setup(&f, 0);
	/* a running queue's size, base and ring addresses are not changed under it */
	assert_int_not_equal(fe_state(&f, SET_VRING_NUM, 0, QSIZE), 0);
	assert_int_not_equal(fe_state(&f, SET_VRING_BASE, 0, 0), 0);
	assert_int_not_equal(
		fe_vring_addr(&f, uva(&f, DESC_OFF), uva(&f, USED_OFF), uva(&f, AVAIL_OFF)), 0);
	assert_int_equal(fe_blk(&f, BLK_T_IN, 9, 512), 0);
	fe_close(&f);
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
