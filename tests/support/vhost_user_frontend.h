/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake vhost-user front end for the tests of axvm's vhost-user back ends
 * (test_vhost_user.c, test_vhost_user_net.c): a socketpair for the control
 * channel, a memfd for guest memory and eventfds for kick, call and error.
 * Its message numbers, layouts and ring formats are written here from the
 * vhost-user spec (QEMU docs/interop/vhost-user.rst) and virtio 1.2, not
 * taken from the server's headers: an independent client, so a wrong
 * number or layout in the server cannot be mirrored here. It includes no
 * vmm/ header and links against nothing of the server's: the test hands it
 * the server as a step function and the server's message counter, and
 * passes the server's end of the socketpair on itself.
 *
 * The server runs on the test's thread: after each message the front end
 * steps it until it has read the message, then reads the reply. A broken
 * expectation (a short send, a reply of the wrong request or flags, a
 * missing interrupt) prints where and aborts.
 *
 * Guest memory: one memfd of VUF_MEM_SIZE, given to the server as two
 * regions: [0, HALF) at VUF_GPA and [HALF, MEM) at VUF_GPA + HALF (mmap
 * offset HALF). Queue q's split rings live at VUF_RING(q) in the first
 * region: descriptors +0, avail +0x1000, used +0x2000, VUF_QSIZE entries.
 */
#ifndef TESTS_SUPPORT_VHOST_USER_FRONTEND_H
#define TESTS_SUPPORT_VHOST_USER_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

/* vhost-user requests and header flags */
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
	GET_QUEUE_NUM = 17,
	SET_VRING_ENABLE = 18,
	GET_CONFIG = 24,
};
#define FLAG_V1		0x1u
#define FLAG_REPLY	0x4u
#define FLAG_NEED_REPLY 0x8u
#define NOFD		0x100u
#define F_PROTOCOL	(1ull << 30)
#define PF_MQ		(1ull << 0)
#define PF_REPLY_ACK	(1ull << 3)
#define PF_CONFIG	(1ull << 9)
#define BIT(n)		(1ull << (n))

/* virtio 1.2: device-independent feature bits, descriptor flags */
#define F_VERSION_1	  32
#define F_ACCESS_PLATFORM 33
#define F_RING_PACKED	  34
#define F_INDIRECT	  28
#define F_EVENT_IDX	  29
#define DESC_NEXT	  1u
#define DESC_WRITE	  2u

/* guest memory and rings */
#define VUF_MEM_SIZE   0x100000ull
#define VUF_HALF       (VUF_MEM_SIZE / 2)
#define VUF_GPA	       0x40000000ull
#define VUF_RING(q)    (0x4000u * (q)) /* queue q's rings */
#define VUF_DESC_OFF   0x0000u
#define VUF_AVAIL_OFF  0x1000u
#define VUF_USED_OFF   0x2000u
#define VUF_QSIZE      8
#define VUF_MAX_QUEUES 4 /* rings at VUF_RING(0..3): below 0x10000 */

/* The server under test, as the front end sees it. */
struct vuf_server {
	void *server;
	/* one step of at most timeout_ms: true while the session goes on */
	bool (*step)(void *server, int timeout_ms);
	const unsigned long *messages; /* the server's count of messages taken */
};

struct vuf {
	int sock; /* our end; the server has the other */
	int kick[VUF_MAX_QUEUES], call[VUF_MAX_QUEUES], err[VUF_MAX_QUEUES];
	int memfd;
	uint8_t *mem; /* our mapping of guest memory: its address is our "uva" */
	uint16_t avail_idx[VUF_MAX_QUEUES], used_seen[VUF_MAX_QUEUES];
	uint64_t protocol_features; /* offered, as vuf_negotiate saw them */
	const struct vuf_server *srv;
};

void vuf_put32(uint8_t *p, uint32_t v);
void vuf_put64(uint8_t *p, uint64_t v);
uint32_t vuf_get32(const uint8_t *p);
uint64_t vuf_get64(const uint8_t *p);

/* A new connection with fresh eventfds and guest memory (zeroed); returns the
 * server's end of the socketpair, for the test to hand to the server. */
int vuf_connect(struct vuf *f, const struct vuf_server *srv);
/* Our side's fds and mapping. */
void vuf_release(struct vuf *f);
/* Hangs up; the server must end the session. Then releases. */
void vuf_close(struct vuf *f);

/* Sends one raw message: header fields as given, payload, fds. */
void vuf_send_raw(struct vuf *f, uint32_t req, uint32_t flags, uint32_t size, const void *payload,
		  uint32_t len, const int *fds, unsigned nfds);
/* Steps the server until it has taken one more message: true while connected. */
bool vuf_serve_one(struct vuf *f);
/* Reads a reply if one is waiting: its payload size, or -1 when there is none. */
int vuf_reply(struct vuf *f, uint32_t req, void *payload, uint32_t cap);
/* A request whose reply (if any) is wanted; returns the reply size or -1. */
int vuf_call(struct vuf *f, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
	     const int *fds, unsigned nfds, void *reply, uint32_t cap);
/* A request without a reply of its own, with REPLY_ACK: the ack (0 success). */
uint64_t vuf_ack(struct vuf *f, uint32_t req, const void *payload, uint32_t len, const int *fds,
		 unsigned nfds);
uint64_t vuf_get_u64(struct vuf *f, uint32_t req);
void vuf_set_u64(struct vuf *f, uint32_t req, uint64_t v);
/* SET_VRING_NUM/BASE/ENABLE-style requests (index, num), with REPLY_ACK. */
uint64_t vuf_state(struct vuf *f, uint32_t req, uint32_t index, uint32_t num);
/* SET_VRING_KICK/CALL/ERR: fd < 0 sends the no-fd flag. */
uint64_t vuf_vring_fd(struct vuf *f, uint32_t req, uint32_t index, int fd);
uint64_t vuf_vring_addr(struct vuf *f, uint32_t q, uint64_t desc, uint64_t used, uint64_t avail);
/* Our address of guest memory offset `off`. */
uint64_t vuf_uva(const struct vuf *f, uint64_t off);

/* Negotiation: features (VERSION_1 and what the server offers of `extra`),
 * protocol features REPLY_ACK and CONFIG (the server must offer them and
 * nothing else but MQ) and MQ when offered, owner; the offered features.
 * f->protocol_features: the offered protocol features. */
uint64_t vuf_negotiate(struct vuf *f, uint64_t extra_features);
/* The two-region memory table. */
void vuf_mem_table(struct vuf *f);
/* Queue q: size VUF_QSIZE at `base`, rings at VUF_RING(q); started and enabled. */
void vuf_vring_setup(struct vuf *f, uint32_t q, uint16_t base);

/* Descriptor i of queue q. */
void vuf_desc(struct vuf *f, uint32_t q, unsigned i, uint64_t gpa, uint32_t len, uint16_t flags,
	      uint16_t next);
uint16_t vuf_used_idx(const struct vuf *f, uint32_t q);
/* Publishes chain head `head` on queue q and kicks. */
void vuf_publish(struct vuf *f, uint32_t q, uint16_t head);
/* Steps the server until queue q's used ring moves by one (another thread of
 * the server may be the one that moves it); takes the interrupt. */
void vuf_wait_used(struct vuf *f, uint32_t q);

#endif
