/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake vhost-user front end of vhost_user_frontend.h: written from the
 * vhost-user and virtio specs alone (no vmm/ header).
 */
#include "vhost_user_frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define HDR_SIZE    12
#define MAX_PAYLOAD 4096

static void fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: vhost-user front end: %s\n", file, line, what);
	abort();
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			fail(__FILE__, __LINE__, #c);                                              \
	} while (0)

void vuf_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void vuf_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

uint32_t vuf_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

uint64_t vuf_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int vuf_connect(struct vuf *f, const struct vuf_server *srv)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->srv = srv;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	f->sock = sv[1];
	for (unsigned q = 0; q < VUF_MAX_QUEUES; q++) {
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->err[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK(f->kick[q] >= 0 && f->call[q] >= 0 && f->err[q] >= 0);
	}
	f->memfd = memfd_create("guest", MFD_CLOEXEC);
	CHECK(f->memfd >= 0);
	CHECK(ftruncate(f->memfd, VUF_MEM_SIZE) == 0);
	f->mem = mmap(NULL, VUF_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	CHECK(f->mem != MAP_FAILED);
	return sv[0];
}

void vuf_release(struct vuf *f)
{
	close(f->sock);
	for (unsigned q = 0; q < VUF_MAX_QUEUES; q++) {
		close(f->kick[q]);
		close(f->call[q]);
		close(f->err[q]);
	}
	close(f->memfd);
	munmap(f->mem, VUF_MEM_SIZE);
}

void vuf_close(struct vuf *f)
{
	shutdown(f->sock, SHUT_RDWR);
	CHECK(!vuf_serve_one(f));
	vuf_release(f);
}

void vuf_send_raw(struct vuf *f, uint32_t req, uint32_t flags, uint32_t size, const void *payload,
		  uint32_t len, const int *fds, unsigned nfds)
{
	uint8_t buf[HDR_SIZE + MAX_PAYLOAD];
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, HDR_SIZE + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	CHECK(len <= MAX_PAYLOAD && nfds <= 16);
	vuf_put32(buf, req);
	vuf_put32(buf + 4, flags);
	vuf_put32(buf + 8, size);
	if (len)
		memcpy(buf + HDR_SIZE, payload, len);
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
	CHECK(sendmsg(f->sock, &mh, 0) == (ssize_t)(HDR_SIZE + len));
}

bool vuf_serve_one(struct vuf *f)
{
	unsigned long before = *f->srv->messages;
	bool connected = true;

	for (int i = 0; i < 100 && connected && *f->srv->messages == before; i++)
		connected = f->srv->step(f->srv->server, 100);
	return connected;
}

int vuf_reply(struct vuf *f, uint32_t req, void *payload, uint32_t cap)
{
	uint8_t hdr[HDR_SIZE];
	ssize_t n = recv(f->sock, hdr, sizeof(hdr), MSG_DONTWAIT);
	uint32_t size;

	if (n <= 0)
		return -1;
	CHECK(n == HDR_SIZE);
	CHECK(vuf_get32(hdr) == req);
	CHECK(vuf_get32(hdr + 4) == (FLAG_V1 | FLAG_REPLY));
	size = vuf_get32(hdr + 8);
	CHECK(size <= cap);
	if (size)
		CHECK(recv(f->sock, payload, size, MSG_DONTWAIT) == (ssize_t)size);
	return (int)size;
}

int vuf_call(struct vuf *f, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
	     const int *fds, unsigned nfds, void *reply, uint32_t cap)
{
	vuf_send_raw(f, req, FLAG_V1 | flags, len, payload, len, fds, nfds);
	CHECK(vuf_serve_one(f));
	return vuf_reply(f, req, reply, cap);
}

uint64_t vuf_ack(struct vuf *f, uint32_t req, const void *payload, uint32_t len, const int *fds,
		 unsigned nfds)
{
	uint8_t r[8];

	CHECK(vuf_call(f, req, FLAG_NEED_REPLY, payload, len, fds, nfds, r, 8) == 8);
	return vuf_get64(r);
}

uint64_t vuf_get_u64(struct vuf *f, uint32_t req)
{
	uint8_t r[8];

	CHECK(vuf_call(f, req, 0, NULL, 0, NULL, 0, r, 8) == 8);
	return vuf_get64(r);
}

void vuf_set_u64(struct vuf *f, uint32_t req, uint64_t v)
{
	uint8_t p[8];

	vuf_put64(p, v);
	CHECK(vuf_call(f, req, 0, p, 8, NULL, 0, NULL, 0) == -1);
}

uint64_t vuf_state(struct vuf *f, uint32_t req, uint32_t index, uint32_t num)
{
	uint8_t p[8];

	vuf_put32(p, index);
	vuf_put32(p + 4, num);
	return vuf_ack(f, req, p, 8, NULL, 0);
}

uint64_t vuf_vring_fd(struct vuf *f, uint32_t req, uint32_t index, int fd)
{
	uint8_t p[8];

	vuf_put64(p, index | (fd < 0 ? NOFD : 0));
	return vuf_ack(f, req, p, 8, &fd, fd < 0 ? 0 : 1);
}

uint64_t vuf_vring_addr(struct vuf *f, uint32_t q, uint64_t desc, uint64_t used, uint64_t avail)
{
	uint8_t p[40] = { 0 };

	vuf_put32(p, q);
	vuf_put64(p + 8, desc);
	vuf_put64(p + 16, used);
	vuf_put64(p + 24, avail);
	return vuf_ack(f, SET_VRING_ADDR, p, 40, NULL, 0);
}

uint64_t vuf_uva(const struct vuf *f, uint64_t off)
{
	return (uint64_t)(uintptr_t)f->mem + off;
}

uint64_t vuf_negotiate(struct vuf *f, uint64_t extra_features)
{
	uint64_t feat = vuf_get_u64(f, GET_FEATURES);

	CHECK(feat & F_PROTOCOL);
	vuf_set_u64(f, SET_FEATURES, F_PROTOCOL | BIT(F_VERSION_1) | (feat & extra_features));
	f->protocol_features = vuf_get_u64(f, GET_PROTOCOL_FEATURES);
	CHECK((f->protocol_features & ~PF_MQ) == (PF_REPLY_ACK | PF_CONFIG));
	vuf_set_u64(f, SET_PROTOCOL_FEATURES, f->protocol_features);
	CHECK(vuf_ack(f, SET_OWNER, NULL, 0, NULL, 0) == 0);
	return feat;
}

void vuf_mem_table(struct vuf *f)
{
	uint8_t p[8 + 2 * 32] = { 0 };
	int fds[2] = { f->memfd, f->memfd };

	vuf_put32(p, 2);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *r = p + 8 + 32 * i;

		vuf_put64(r, VUF_GPA + i * VUF_HALF);
		vuf_put64(r + 8, VUF_HALF);
		vuf_put64(r + 16, vuf_uva(f, i * VUF_HALF));
		vuf_put64(r + 24, i * VUF_HALF);
	}
	CHECK(vuf_ack(f, SET_MEM_TABLE, p, sizeof(p), fds, 2) == 0);
}

void vuf_vring_setup(struct vuf *f, uint32_t q, uint16_t base)
{
	CHECK(q < VUF_MAX_QUEUES);
	CHECK(vuf_state(f, SET_VRING_NUM, q, VUF_QSIZE) == 0);
	CHECK(vuf_state(f, SET_VRING_BASE, q, base) == 0);
	CHECK(vuf_vring_addr(f, q, vuf_uva(f, VUF_RING(q) + VUF_DESC_OFF),
			     vuf_uva(f, VUF_RING(q) + VUF_USED_OFF),
			     vuf_uva(f, VUF_RING(q) + VUF_AVAIL_OFF)) == 0);
	CHECK(vuf_vring_fd(f, SET_VRING_CALL, q, f->call[q]) == 0);
	CHECK(vuf_vring_fd(f, SET_VRING_ERR, q, f->err[q]) == 0);
	CHECK(vuf_vring_fd(f, SET_VRING_KICK, q, f->kick[q]) == 0);
	CHECK(vuf_state(f, SET_VRING_ENABLE, q, 1) == 0);
	f->avail_idx[q] = base;
	f->used_seen[q] = base;
}

void vuf_desc(struct vuf *f, uint32_t q, unsigned i, uint64_t gpa, uint32_t len, uint16_t flags,
	      uint16_t next)
{
	uint8_t *d = f->mem + VUF_RING(q) + VUF_DESC_OFF + 16 * i;

	vuf_put64(d, gpa);
	vuf_put32(d + 8, len);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

uint16_t vuf_used_idx(const struct vuf *f, uint32_t q)
{
	return __atomic_load_n((uint16_t *)(void *)(f->mem + VUF_RING(q) + VUF_USED_OFF + 2),
			       __ATOMIC_ACQUIRE);
}

void vuf_publish(struct vuf *f, uint32_t q, uint16_t head)
{
	uint64_t one = 1;

	memcpy(f->mem + VUF_RING(q) + VUF_AVAIL_OFF + 4 + 2 * (f->avail_idx[q] % VUF_QSIZE), &head,
	       2);
	f->avail_idx[q]++;
	__atomic_store_n((uint16_t *)(void *)(f->mem + VUF_RING(q) + VUF_AVAIL_OFF + 2),
			 f->avail_idx[q], __ATOMIC_RELEASE);
	CHECK(write(f->kick[q], &one, 8) == 8);
}

void vuf_wait_used(struct vuf *f, uint32_t q)
{
	uint64_t count = 0;

	for (int i = 0; i < 1000 && vuf_used_idx(f, q) == f->used_seen[q]; i++)
		CHECK(f->srv->step(f->srv->server, 10));
	CHECK(vuf_used_idx(f, q) == (uint16_t)(f->used_seen[q] + 1));
	f->used_seen[q]++;
	CHECK(read(f->call[q], &count, 8) == 8); /* the interrupt */
	CHECK(count >= 1);
}
