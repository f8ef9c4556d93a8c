/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhost-user back end for one transport-independent virtio device: message
 * framing and fd passing, the memory table, vring setup and the epoll loop
 * of kicks. See vhost_user.h for what is offered and how input is checked.
 *
 * Ring life cycle (per the spec): a ring is configured while stopped
 * (SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE), starts when it receives
 * its kick fd, is processed while started and enabled (enabled at start
 * unless VHOST_USER_F_PROTOCOL_FEATURES was negotiated, then by
 * SET_VRING_ENABLE), and stops at GET_VRING_BASE, which waits for backend
 * requests in flight and answers the next avail index. When a ring starts
 * while no ring runs, the device is first reset and given the acked
 * features: the vhost-user equivalent of the driver's status 0 -> DRIVER_OK
 * (a guest reboot shows as stop, then start).
 */
#include "vhost_user/vhost_user.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "host_hooks.h"
#include "log.h"

_Static_assert(VU_MAX_REGIONS <= AXVM_MAX_MEM_REGIONS, "guest_ram holds the memory table");

#define HDR_SIZE      12u
#define MAX_FDS	      VU_MAX_REGIONS
#define CONFIG_HDR    12u /* offset, size, flags */
#define VRING_ADDR_SZ 40u
#define REGION_SIZE   32u
#define VRING_F_LOG   1u
#define IO_TIMEOUT_S  10

#define VIRTIO_F_VERSION_1 32 /* virtio 1.2 §6: a modern (non-legacy) driver */

#define BASE_PROTOCOL_FEATURES                                                                     \
	((UINT64_C(1) << VU_PROTOCOL_F_REPLY_ACK) | (UINT64_C(1) << VU_PROTOCOL_F_CONFIG))
#define F_PROTOCOL (UINT64_C(1) << VU_F_PROTOCOL_FEATURES)

enum ev_kind {
	EV_CONN = 1,
	EV_KICK,
	EV_STOP,
};

struct vu_msg {
	uint32_t request, flags, size;
	uint8_t payload[VU_MAX_PAYLOAD] __attribute__((aligned(8)));
	int fds[MAX_FDS];
	unsigned nr_fds;
};

struct vu_reply {
	uint32_t size;
	uint8_t payload[CONFIG_HDR + VU_MAX_CONFIG] __attribute__((aligned(8)));
};

/* What a handler did with a request. */
enum vu_result {
	RES_OK,	  /* done; a reply (if any) is in `reply` */
	RES_FAIL, /* refused: logged, failure ack or empty reply */
};

/* --- little helpers --------------------------------------------------------- */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static uint64_t ev_data(enum ev_kind kind, unsigned index)
{
	return (uint64_t)kind << 32 | index;
}

static int watch(struct vu_server *vu, int fd, enum ev_kind kind, unsigned index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_data(kind, index) };

	return epoll_ctl(vu->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch(struct vu_server *vu, int fd)
{
	if (fd >= 0)
		epoll_ctl(vu->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

/* Signals an eventfd the front end gave us (call, err). */
static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		axvm_debug("vhost-user: eventfd write: %s", strerror(errno));
}

/* --- host hooks and the device's transport --------------------------------- */

/* The front end's memory, through the same bounds check as axvm's own guest RAM. */
static void *hook_guest_mem(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	struct vu_server *vu = ctx;

	(void)write; /* every region is mapped writable */
	return guest_ram_at(&vu->ram, gpa, len);
}

/* Transport callbacks: called with the device lock held, possibly from a backend thread. */
static void on_used(void *ctx, uint16_t index)
{
	struct vu_server *vu = ctx;

	if (index < AX_VIRTIO_QUEUES_MAX)
		signal_fd(vu->rings[index].call_fd);
}

static void on_config(void *ctx)
{
	(void)ctx;
	axvm_info("vhost-user: device config changed (no back-end channel to announce it)");
}

static void on_needs_reset(void *ctx)
{
	struct vu_server *vu = ctx;

	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++)
		if (vu->rings[i].started)
			signal_fd(vu->rings[i].err_fd);
}

/* --- message I/O ------------------------------------------------------------ */

static void close_msg_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nr_fds; i++)
		close_fd(&m->fds[i]);
	m->nr_fds = 0;
}

static int read_full(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 a message, 0 the front end closed the socket, -1 a framing or I/O error. */
static int read_msg(int fd, struct vu_msg *m)
{
	uint8_t hdr[HDR_SIZE];
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { hdr, sizeof(hdr) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	m->nr_fds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < count; i++) {
			int got;

			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (m->nr_fds < MAX_FDS)
				m->fds[m->nr_fds++] = got;
			else
				close(got);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		axvm_warn("vhost-user: more than %u fds with one message", MAX_FDS);
		goto bad;
	}
	if ((size_t)n < sizeof(hdr) && read_full(fd, hdr + n, sizeof(hdr) - (size_t)n) != 0)
		goto bad;
	m->request = get_u32(hdr);
	m->flags = get_u32(hdr + 4);
	m->size = get_u32(hdr + 8);
	if ((m->flags & VU_FLAG_VERSION_M) != VU_FLAG_VERSION) {
		axvm_warn("vhost-user: message %u has version %u, not 1", m->request,
			  m->flags & VU_FLAG_VERSION_M);
		goto bad;
	}
	if (m->size > VU_MAX_PAYLOAD) {
		axvm_warn("vhost-user: message %u has a %u-byte payload (at most %u)", m->request,
			  m->size, VU_MAX_PAYLOAD);
		goto bad;
	}
	if (m->size && read_full(fd, m->payload, m->size) != 0)
		goto bad;
	return 1;
bad:
	close_msg_fds(m);
	return -1;
}

static int send_msg(int fd, uint32_t request, uint32_t flags, const uint8_t *payload, uint32_t size)
{
	uint8_t buf[HDR_SIZE + sizeof(((struct vu_reply *)0)->payload)];
	size_t len = HDR_SIZE + size, done = 0;

	put_u32(buf, request);
	put_u32(buf + 4, flags);
	put_u32(buf + 8, size);
	memcpy(buf + HDR_SIZE, payload, size);
	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* --- memory table ------------------------------------------------------------ */

static bool uva_to_gpa(const struct vu_server *vu, uint64_t uva, uint64_t *gpa)
{
	for (unsigned i = 0; i < vu->nr_regions; i++) {
		const struct vu_region *r = &vu->regions[i];

		if (uva >= r->uva && uva - r->uva < r->size) {
			*gpa = r->gpa + (uva - r->uva);
			return true;
		}
	}
	return false;
}

static void unmap_regions(struct vu_region *regions, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		munmap(regions[i].map, regions[i].map_len);
}

/* The guest_ram view of the table, which guest_mem translates through. */
static void publish_ram(struct vu_server *vu)
{
	vu->ram.nr = vu->nr_regions;
	for (unsigned i = 0; i < vu->nr_regions; i++) {
		const struct vu_region *r = &vu->regions[i];

		vu->ram.regions[i] = (struct guest_ram_region){
			.gpa = r->gpa,
			.size = r->size,
			.host = r->map + (r->map_len - r->size),
		};
	}
}

/* --- rings ---------------------------------------------------------------- */

static bool queue_exists(const struct vu_server *vu, uint32_t index)
{
	return index < AX_VIRTIO_QUEUES_MAX && ax_virtio_dev_queue_max(vu->dev, index) != 0;
}

/* Takes what the driver made available, if the ring runs. */
static void ring_process(struct vu_server *vu, unsigned i)
{
	if (!vu->rings[i].started || !vu->rings[i].enabled)
		return;
	ax_virtio_dev_lock(vu->dev);
	ax_virtio_dev_notify(vu->dev, i);
	ax_virtio_dev_unlock(vu->dev);
}

/* Maps the ring at its current addresses and resumes at `base`. Locked. */
static bool ring_map(struct vu_server *vu, unsigned i, uint16_t base, char *why, size_t why_len)
{
	struct vu_ring *r = &vu->rings[i];
	uint64_t desc, avail, used;

	if (!r->have_addr) {
		snprintf(why, why_len, "no ring addresses (SET_VRING_ADDR)");
		return false;
	}
	if (!uva_to_gpa(vu, r->desc_uva, &desc) || !uva_to_gpa(vu, r->avail_uva, &avail) ||
	    !uva_to_gpa(vu, r->used_uva, &used)) {
		snprintf(why, why_len, "a ring address is outside the memory table");
		return false;
	}
	if (ax_virtio_dev_queue_set(vu->dev, i, r->num, desc, avail, used, false) != AX_OK) {
		snprintf(why, why_len, "queue size %u is not a power of two in [1, %u]", r->num,
			 ax_virtio_dev_queue_max(vu->dev, i));
		return false;
	}
	return ax_virtio_dev_queue_start(vu->dev, (uint16_t)i, base, why, why_len);
}

static bool ring_start(struct vu_server *vu, unsigned i, char *why, size_t why_len)
{
	struct vu_ring *r = &vu->rings[i];
	struct ax_virtio_dev *dev = vu->dev;
	bool ok = true;

	ax_virtio_dev_lock(dev);
	if (!ax_virtio_dev_running(dev)) {
		/* first ring of a (re)started device: power-on state, acked features */
		ax_virtio_dev_reset(dev);
		if (!ax_virtio_dev_accept_features(dev, vu->features & ~F_PROTOCOL)) {
			snprintf(why, why_len, "features 0x%llx cannot be accepted",
				 (unsigned long long)vu->features);
			ok = false;
		}
	}
	ok = ok && ring_map(vu, i, r->base, why, why_len);
	if (ok && ax_virtio_dev_queue_used_idx(dev, i) != r->base)
		axvm_warn("vhost-user: queue %u resumes at avail %u but used idx is %u", i, r->base,
			  ax_virtio_dev_queue_used_idx(dev, i));
	ax_virtio_dev_unlock(dev);
	if (!ok)
		return false;
	r->started = true;
	if (!(vu->features & F_PROTOCOL))
		r->enabled = true;
	return true;
}

/* GET_VRING_BASE: waits for requests in flight, returns the next avail index. */
static uint16_t ring_stop(struct vu_server *vu, unsigned i)
{
	struct vu_ring *r = &vu->rings[i];

	if (r->started) {
		ax_virtio_dev_lock(vu->dev);
		r->base = ax_virtio_dev_queue_stop(vu->dev, (uint16_t)i);
		ax_virtio_dev_unlock(vu->dev);
		r->started = false;
	}
	unwatch(vu, r->kick_fd);
	close_fd(&r->kick_fd);
	ax_virtio_dev_lock(vu->dev);
	close_fd(&r->call_fd);
	ax_virtio_dev_unlock(vu->dev);
	return r->base;
}

/* Every ring stopped and forgotten, the device at power-on; the memory table stays. */
static void reset_rings(struct vu_server *vu)
{
	ax_virtio_dev_lock(vu->dev);
	ax_virtio_dev_reset(vu->dev);
	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++) {
		struct vu_ring *r = &vu->rings[i];

		unwatch(vu, r->kick_fd);
		close_fd(&r->kick_fd);
		close_fd(&r->call_fd);
		close_fd(&r->err_fd);
		*r = (struct vu_ring){ .kick_fd = -1, .call_fd = -1, .err_fd = -1 };
	}
	ax_virtio_dev_unlock(vu->dev);
}

/* --- request handlers ------------------------------------------------------- */

typedef enum vu_result (*vu_handler)(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep);

static enum vu_result refuse(const struct vu_msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum vu_result refuse(const struct vu_msg *m, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	axvm_warn("vhost-user: request %u refused: %s", m->request, why);
	return RES_FAIL;
}

static enum vu_result reply_u64(struct vu_reply *rep, uint64_t v)
{
	rep->size = 8;
	put_u64(rep->payload, v);
	return RES_OK;
}

static enum vu_result h_get_features(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	(void)m;
	return reply_u64(rep, ax_virtio_dev_offered_features(vu->dev) | F_PROTOCOL);
}

static enum vu_result h_set_features(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint64_t f = get_u64(m->payload);
	uint64_t offered = ax_virtio_dev_offered_features(vu->dev) | F_PROTOCOL;

	(void)rep;
	if (f & ~offered)
		return refuse(m, "features 0x%llx were not offered",
			      (unsigned long long)(f & ~offered));
	if (!(f & (UINT64_C(1) << VIRTIO_F_VERSION_1)))
		return refuse(m, "VIRTIO_F_VERSION_1 not acked (legacy devices are not served)");
	vu->features = f;
	if (ax_virtio_dev_running(vu->dev))
		axvm_info("vhost-user: features changed while rings run; they apply at the next "
			  "start");
	return RES_OK;
}

static enum vu_result h_set_owner(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	(void)m;
	(void)rep;
	vu->owner = true;
	return RES_OK;
}

static enum vu_result h_reset_owner(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	(void)m;
	(void)rep;
	reset_rings(vu);
	vu->features = 0;
	return RES_OK;
}

static uint64_t offered_protocol_features(const struct vu_server *vu)
{
	return BASE_PROTOCOL_FEATURES | (vu->offer_mq ? UINT64_C(1) << VU_PROTOCOL_F_MQ : 0);
}

static enum vu_result h_get_protocol_features(struct vu_server *vu, struct vu_msg *m,
					      struct vu_reply *rep)
{
	(void)m;
	return reply_u64(rep, offered_protocol_features(vu));
}

static enum vu_result h_set_protocol_features(struct vu_server *vu, struct vu_msg *m,
					      struct vu_reply *rep)
{
	uint64_t f = get_u64(m->payload), offered = offered_protocol_features(vu);

	(void)rep;
	if (f & ~offered)
		return refuse(m, "protocol features 0x%llx were not offered",
			      (unsigned long long)(f & ~offered));
	vu->protocol_features = f;
	return RES_OK;
}

static enum vu_result h_get_queue_num(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	(void)m;
	return reply_u64(rep, ax_virtio_dev_nr_queues(vu->dev));
}

/* Checks one region of SET_MEM_TABLE and maps it from `fd`. */
static bool map_region(const uint8_t *p, int fd, struct vu_region *out, const struct vu_msg *m)
{
	uint64_t gpa = get_u64(p), size = get_u64(p + 8), uva = get_u64(p + 16);
	uint64_t offset = get_u64(p + 24);
	void *map;

	if (size == 0 || gpa + (size - 1) < gpa || uva + (size - 1) < uva ||
	    offset > UINT64_MAX - size || offset + size > SIZE_MAX) {
		refuse(m, "region gpa 0x%llx size 0x%llx uva 0x%llx offset 0x%llx is invalid",
		       (unsigned long long)gpa, (unsigned long long)size, (unsigned long long)uva,
		       (unsigned long long)offset);
		return false;
	}
	map = mmap(NULL, (size_t)(offset + size), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (map == MAP_FAILED) {
		refuse(m, "cannot map region gpa 0x%llx size 0x%llx: %s", (unsigned long long)gpa,
		       (unsigned long long)size, strerror(errno));
		return false;
	}
	*out = (struct vu_region){
		.gpa = gpa, .size = size, .uva = uva, .map = map, .map_len = (size_t)(offset + size)
	};
	return true;
}

static enum vu_result h_set_mem_table(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	struct vu_region fresh[VU_MAX_REGIONS], old[VU_MAX_REGIONS];
	unsigned n, nr_old = vu->nr_regions;
	bool started[AX_VIRTIO_QUEUES_MAX] = { false };
	uint16_t avail[AX_VIRTIO_QUEUES_MAX] = { 0 };

	(void)rep;
	if (m->size < 8)
		return refuse(m, "payload of %u bytes is too short", m->size);
	n = get_u32(m->payload);
	if (n == 0 || n > VU_MAX_REGIONS)
		return refuse(m, "%u regions (1 to %u)", n, VU_MAX_REGIONS);
	if (m->size != 8 + n * REGION_SIZE)
		return refuse(m, "%u regions need a %u-byte payload, got %u", n,
			      8 + n * REGION_SIZE, m->size);
	if (m->nr_fds != n)
		return refuse(m, "%u regions came with %u fds", n, m->nr_fds);
	for (unsigned i = 0; i < n; i++) {
		if (!map_region(m->payload + 8 + i * REGION_SIZE, m->fds[i], &fresh[i], m)) {
			unmap_regions(fresh, i);
			return RES_FAIL;
		}
	}

	/* Swap with no backend request in flight: their buffers point into the old maps. */
	ax_virtio_dev_lock(vu->dev);
	ax_virtio_dev_drain(vu->dev);
	memcpy(old, vu->regions, sizeof(old));
	memcpy(vu->regions, fresh, n * sizeof(fresh[0]));
	vu->nr_regions = n;
	publish_ram(vu);
	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++) {
		started[i] = vu->rings[i].started;
		if (started[i])
			avail[i] = ax_virtio_dev_queue_stop(vu->dev, (uint16_t)i);
	}
	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++) {
		char why[160];

		if (!started[i])
			continue;
		vu->rings[i].base = avail[i];
		if (!ring_map(vu, i, avail[i], why, sizeof(why))) {
			axvm_warn("vhost-user: queue %u stops with the new memory table: %s", i,
				  why);
			vu->rings[i].started = false;
			signal_fd(vu->rings[i].err_fd);
		}
	}
	ax_virtio_dev_unlock(vu->dev);
	unmap_regions(old, nr_old);
	return RES_OK;
}

/* The vring index of a {u32 index, u32 num} payload, if the queue exists. */
static bool vring_index(const struct vu_server *vu, const struct vu_msg *m, unsigned *index)
{
	uint32_t i = get_u32(m->payload);

	if (!queue_exists(vu, i)) {
		refuse(m, "queue %u does not exist", i);
		return false;
	}
	*index = i;
	return true;
}

/* The same, for the messages that may only change a queue that is not running. */
static bool stopped_vring_index(const struct vu_server *vu, const struct vu_msg *m, unsigned *index)
{
	if (!vring_index(vu, m, index))
		return false;
	if (vu->rings[*index].started) {
		refuse(m, "queue %u is running", *index);
		return false;
	}
	return true;
}

static enum vu_result h_set_vring_num(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t num = get_u32(m->payload + 4);
	unsigned i;

	(void)rep;
	if (!stopped_vring_index(vu, m, &i))
		return RES_FAIL;
	if (!ax_virtio_dev_queue_num_valid(vu->dev, i, num))
		return refuse(m, "queue size %u is not a power of two in [1, %u]", num,
			      ax_virtio_dev_queue_max(vu->dev, i));
	vu->rings[i].num = (uint16_t)num;
	return RES_OK;
}

static enum vu_result h_set_vring_addr(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t flags = get_u32(m->payload + 4);
	uint64_t desc = get_u64(m->payload + 8), used = get_u64(m->payload + 16);
	uint64_t avail = get_u64(m->payload + 24), gpa;
	struct vu_ring *r;
	unsigned i;

	(void)rep;
	if (!stopped_vring_index(vu, m, &i))
		return RES_FAIL;
	r = &vu->rings[i];
	if (flags & VRING_F_LOG)
		return refuse(m, "dirty logging was not offered");
	if (!uva_to_gpa(vu, desc, &gpa) || !uva_to_gpa(vu, avail, &gpa) ||
	    !uva_to_gpa(vu, used, &gpa))
		return refuse(m, "queue %u: ring address outside the memory table", i);
	r->desc_uva = desc;
	r->avail_uva = avail;
	r->used_uva = used;
	r->have_addr = true;
	return RES_OK;
}

static enum vu_result h_set_vring_base(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t base = get_u32(m->payload + 4);
	unsigned i;

	(void)rep;
	if (!stopped_vring_index(vu, m, &i))
		return RES_FAIL;
	if (base > UINT16_MAX)
		return refuse(m, "base %u is not a split-ring index", base);
	vu->rings[i].base = (uint16_t)base;
	return RES_OK;
}

static enum vu_result h_get_vring_base(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	unsigned i;

	if (!vring_index(vu, m, &i))
		return RES_FAIL;
	put_u32(rep->payload, i);
	put_u32(rep->payload + 4, ring_stop(vu, i));
	rep->size = 8;
	return RES_OK;
}

/* SET_VRING_KICK/CALL/ERR: the queue index and the fd (-1 for "no fd"). */
static bool vring_fd(struct vu_server *vu, struct vu_msg *m, unsigned *index, int *fd)
{
	uint64_t v = get_u64(m->payload);
	uint32_t i = (uint32_t)(v & VU_VRING_IDX_MASK);
	bool nofd = v & VU_VRING_NOFD;

	if (v & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD)) {
		refuse(m, "unknown bits in 0x%llx", (unsigned long long)v);
		return false;
	}
	if (!queue_exists(vu, i)) {
		refuse(m, "queue %u does not exist", i);
		return false;
	}
	if (nofd != (m->nr_fds == 0) || m->nr_fds > 1) {
		refuse(m, "queue %u: %u fds with the no-fd flag %s", i, m->nr_fds,
		       nofd ? "set" : "clear");
		return false;
	}
	*index = i;
	*fd = nofd ? -1 : m->fds[0];
	if (!nofd)
		m->fds[0] = -1; /* ours now */
	return true;
}

static enum vu_result h_set_vring_kick(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	struct vu_ring *r;
	char why[160];
	unsigned i;
	int fd;

	(void)rep;
	if (!vring_fd(vu, m, &i, &fd))
		return RES_FAIL;
	if (fd < 0)
		return refuse(m, "queue %u: polled rings (kick without fd) are not supported", i);
	r = &vu->rings[i];
	unwatch(vu, r->kick_fd);
	close_fd(&r->kick_fd);
	if (watch(vu, fd, EV_KICK, i) != 0) {
		close(fd);
		return refuse(m, "queue %u: kick fd cannot be polled: %s", i, strerror(errno));
	}
	r->kick_fd = fd;
	if (r->started) /* a new kick fd for a running ring */
		return RES_OK;
	if (!ring_start(vu, i, why, sizeof(why))) {
		unwatch(vu, r->kick_fd);
		close_fd(&r->kick_fd);
		return refuse(m, "queue %u cannot start: %s", i, why);
	}
	ring_process(vu, i); /* whatever the driver queued before the kick fd existed */
	return RES_OK;
}

static enum vu_result h_set_vring_call(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	unsigned i;
	int fd, *slot;

	(void)rep;
	if (!vring_fd(vu, m, &i, &fd))
		return RES_FAIL;
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	slot = m->request == VU_SET_VRING_CALL ? &vu->rings[i].call_fd : &vu->rings[i].err_fd;
	/* under the lock: a backend completing on another thread may be signalling */
	ax_virtio_dev_lock(vu->dev);
	close_fd(slot);
	*slot = fd;
	ax_virtio_dev_unlock(vu->dev);
	return RES_OK;
}

static enum vu_result h_set_vring_enable(struct vu_server *vu, struct vu_msg *m,
					 struct vu_reply *rep)
{
	uint32_t enable = get_u32(m->payload + 4);
	unsigned i;

	(void)rep;
	if (!vring_index(vu, m, &i))
		return RES_FAIL;
	if (enable > 1)
		return refuse(m, "enable value %u", enable);
	vu->rings[i].enabled = enable;
	if (enable)
		ring_process(vu, i);
	return RES_OK;
}

/* GET_CONFIG / SET_CONFIG: {offset, size, flags} and `size` bytes. */
static bool config_args(const struct vu_msg *m, uint32_t *offset, uint32_t *size)
{
	if (m->size < CONFIG_HDR) {
		refuse(m, "payload of %u bytes is too short", m->size);
		return false;
	}
	*offset = get_u32(m->payload);
	*size = get_u32(m->payload + 4);
	if (*size > VU_MAX_CONFIG || *offset > VU_MAX_CONFIG - *size ||
	    m->size != CONFIG_HDR + *size) {
		refuse(m, "config offset %u size %u in a %u-byte payload", *offset, *size, m->size);
		return false;
	}
	return true;
}

static enum vu_result h_get_config(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t offset, size;

	if (!config_args(m, &offset, &size))
		return RES_FAIL;
	memcpy(rep->payload, m->payload, CONFIG_HDR);
	memset(rep->payload + CONFIG_HDR, 0, size);
	ax_virtio_dev_lock(vu->dev);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t v;

		if (ax_virtio_dev_config_read(vu->dev, offset + i, 1, &v) == AX_OK)
			rep->payload[CONFIG_HDR + i] = (uint8_t)v;
	}
	ax_virtio_dev_unlock(vu->dev);
	rep->size = CONFIG_HDR + size;
	return RES_OK;
}

static enum vu_result h_set_config(struct vu_server *vu, struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t offset, size;
	enum ax_err err = AX_OK;

	(void)rep;
	if (!config_args(m, &offset, &size))
		return RES_FAIL;
	ax_virtio_dev_lock(vu->dev);
	for (uint32_t i = 0; i < size && err == AX_OK; i++)
		err = ax_virtio_dev_config_write(vu->dev, offset + i, 1,
						 m->payload[CONFIG_HDR + i]);
	ax_virtio_dev_unlock(vu->dev);
	if (err)
		return refuse(m, "config write at %u, %u bytes: %s", offset, size,
			      ax_err_name(err));
	return RES_OK;
}

#define ANY_SIZE UINT32_MAX

struct vu_request_info {
	const char *name;
	vu_handler handler;
	uint32_t size; /* exact payload size, or ANY_SIZE: the handler checks */
	bool has_reply;
};

static const struct vu_request_info requests[] = {
	[VU_GET_FEATURES] = { "GET_FEATURES", h_get_features, 0, true },
	[VU_SET_FEATURES] = { "SET_FEATURES", h_set_features, 8, false },
	[VU_SET_OWNER] = { "SET_OWNER", h_set_owner, 0, false },
	[VU_RESET_OWNER] = { "RESET_OWNER", h_reset_owner, 0, false },
	[VU_SET_MEM_TABLE] = { "SET_MEM_TABLE", h_set_mem_table, ANY_SIZE, false },
	[VU_SET_VRING_NUM] = { "SET_VRING_NUM", h_set_vring_num, 8, false },
	[VU_SET_VRING_ADDR] = { "SET_VRING_ADDR", h_set_vring_addr, VRING_ADDR_SZ, false },
	[VU_SET_VRING_BASE] = { "SET_VRING_BASE", h_set_vring_base, 8, false },
	[VU_GET_VRING_BASE] = { "GET_VRING_BASE", h_get_vring_base, 8, true },
	[VU_SET_VRING_KICK] = { "SET_VRING_KICK", h_set_vring_kick, 8, false },
	[VU_SET_VRING_CALL] = { "SET_VRING_CALL", h_set_vring_call, 8, false },
	[VU_SET_VRING_ERR] = { "SET_VRING_ERR", h_set_vring_call, 8, false },
	[VU_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES", h_get_protocol_features, 0, true },
	[VU_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES", h_set_protocol_features, 8, false },
	[VU_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", h_get_queue_num, 0, true },
	[VU_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", h_set_vring_enable, 8, false },
	[VU_GET_CONFIG] = { "GET_CONFIG", h_get_config, ANY_SIZE, true },
	[VU_SET_CONFIG] = { "SET_CONFIG", h_set_config, ANY_SIZE, false },
	[VU_RESET_DEVICE] = { "RESET_DEVICE", h_reset_owner, 0, false },
};

/* Handles one message; false when the session must end. */
static bool handle_msg(struct vu_server *vu, struct vu_msg *m)
{
	const struct vu_request_info *info =
		m->request < sizeof(requests) / sizeof(requests[0]) ? &requests[m->request] : NULL;
	struct vu_reply rep = { 0 };
	enum vu_result res;
	bool ack = (m->flags & VU_FLAG_NEED_REPLY) &&
		   (vu->protocol_features & (UINT64_C(1) << VU_PROTOCOL_F_REPLY_ACK));

	vu->messages++;
	if (!info || !info->handler)
		res = refuse(m, "unknown or unsupported request");
	else if (info->size != ANY_SIZE && m->size != info->size)
		res = refuse(m, "%s with a %u-byte payload (expected %u)", info->name, m->size,
			     info->size);
	else {
		axvm_debug("vhost-user: %s (%u bytes, %u fds)", info->name, m->size, m->nr_fds);
		res = info->handler(vu, m, &rep);
	}
	close_msg_fds(m); /* any the handler did not take */
	if (res == RES_FAIL)
		vu->refused++;
	if (info && info->handler && info->has_reply) {
		/* a failed request with a reply answers an empty payload: the front end sees
		 * the error and the stream stays in step */
		if (res == RES_FAIL)
			rep.size = 0;
		return send_msg(vu->conn_fd, m->request, VU_FLAG_VERSION | VU_FLAG_REPLY,
				rep.payload, rep.size) == 0;
	}
	if (ack) {
		uint8_t v[8];

		put_u64(v, res == RES_OK ? 0 : 1);
		return send_msg(vu->conn_fd, m->request, VU_FLAG_VERSION | VU_FLAG_REPLY, v, 8) ==
		       0;
	}
	return true;
}

/* --- the server --------------------------------------------------------------- */

int vu_server_init(struct vu_server *vu, int stop_fd)
{
	memset(vu, 0, sizeof(*vu));
	vu->conn_fd = -1;
	vu->stop_fd = stop_fd;
	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++)
		vu->rings[i] = (struct vu_ring){ .kick_fd = -1, .call_fd = -1, .err_fd = -1 };
	axvm_libc_hooks(&vu->hooks, vu);
	vu->hooks.guest_mem = hook_guest_mem;
	vu->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vu->epoll_fd < 0)
		return -1;
	if (stop_fd >= 0 && watch(vu, stop_fd, EV_STOP, 0) != 0) {
		close_fd(&vu->epoll_fd);
		return -1;
	}
	return 0;
}

void vu_server_attach(struct vu_server *vu, struct ax_virtio_dev *dev)
{
	vu->dev = dev;
	ax_virtio_dev_attach(dev, &(const struct ax_virtio_transport){
					  .ctx = vu,
					  .interrupt_used = on_used,
					  .interrupt_config = on_config,
					  .needs_reset = on_needs_reset,
				  });
}

int vu_server_connect(struct vu_server *vu, int conn_fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	if (vu->conn_fd >= 0 || !vu->dev) {
		close(conn_fd);
		return -1;
	}
	/* a front end that stops mid-message cannot hold the server forever */
	setsockopt(conn_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(conn_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (watch(vu, conn_fd, EV_CONN, 0) != 0) {
		close(conn_fd);
		return -1;
	}
	vu->conn_fd = conn_fd;
	return 0;
}

void vu_server_disconnect(struct vu_server *vu)
{
	if (vu->conn_fd < 0)
		return;
	unwatch(vu, vu->conn_fd);
	close_fd(&vu->conn_fd);
	/* reset drains backend requests before the memory they point into goes away */
	reset_rings(vu);
	unmap_regions(vu->regions, vu->nr_regions);
	vu->nr_regions = 0;
	vu->ram.nr = 0;
	vu->owner = false;
	vu->features = 0;
	vu->protocol_features = 0;
}

static void handle_kick(struct vu_server *vu, unsigned i)
{
	struct vu_ring *r = &vu->rings[i];
	uint64_t count;
	ssize_t n;

	if (i >= AX_VIRTIO_QUEUES_MAX || r->kick_fd < 0)
		return;
	n = read(r->kick_fd, &count, sizeof(count));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* not an eventfd, or its other end is gone: stop watching it */
		axvm_warn("vhost-user: queue %u: kick fd is unusable, ignored", i);
		unwatch(vu, r->kick_fd);
		return;
	}
	vu->kicks[i]++;
	ring_process(vu, i);
}

enum vu_step_result vu_server_step(struct vu_server *vu, int timeout_ms)
{
	struct epoll_event evs[AX_VIRTIO_QUEUES_MAX + 2];
	int n;

	if (vu->conn_fd < 0)
		return VU_DISCONNECTED;
	n = epoll_wait(vu->epoll_fd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout_ms);
	for (int e = 0; e < n; e++) {
		enum ev_kind kind = (enum ev_kind)(evs[e].data.u64 >> 32);
		unsigned index = (unsigned)evs[e].data.u64;

		if (kind == EV_STOP)
			return VU_STOP;
		if (kind == EV_KICK) {
			handle_kick(vu, index);
			continue;
		}
		if (kind == EV_CONN) {
			struct vu_msg msg;
			int got = read_msg(vu->conn_fd, &msg);

			if (got <= 0 || !handle_msg(vu, &msg)) {
				if (got < 0)
					axvm_warn("vhost-user: bad message or I/O error; closing "
						  "the connection");
				vu_server_disconnect(vu);
				return VU_DISCONNECTED;
			}
			/* the message may have closed fds of events later in this batch */
			return VU_CONNECTED;
		}
	}
	return VU_CONNECTED;
}

void vu_server_fini(struct vu_server *vu)
{
	vu_server_disconnect(vu);
	if (vu->dev)
		ax_virtio_dev_destroy(vu->dev);
	vu->dev = NULL;
	close_fd(&vu->epoll_fd);
}

int vu_listen(const char *path, const char *who)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "axvm: %s: socket path too long: %s\n", who, path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "axvm: %s: %s exists and is not a socket\n", who, path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 1) != 0) {
		fprintf(stderr, "axvm: %s: cannot listen on %s: %s\n", who, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int vu_wait_for_front_end(int listen_fd, int sig_fd)
{
	for (;;) {
		struct pollfd p[2] = { { listen_fd, POLLIN, 0 }, { sig_fd, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents)
			return -2;
		if (p[0].revents) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0 || (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN))
				return fd;
		}
	}
}

int vu_common_option(int argc, char **argv, int *i, const char *usage, const char **sock)
{
	const char *a = argv[*i];

	if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
		fputs(usage, stdout);
		exit(0);
	}
	if (strcmp(a, "-v") == 0 || strcmp(a, "-vv") == 0) {
		axvm_log_level += (int)strlen(a) - 1;
		return 1;
	}
	if (strcmp(a, "--socket") == 0 && *i + 1 < argc) {
		*sock = argv[++*i];
		return 1;
	}
	return 0;
}

int vu_stop_signals(const char *who)
{
	sigset_t stop;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	fd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "axvm: %s: signalfd: %s\n", who, strerror(errno));
	return fd;
}

/* " q0=N q1=M ...": the kicks of every ring that had one, so far */
static void format_kicks(const struct vu_server *vu, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX && at < len; i++) {
		int n;

		if (!vu->kicks[i])
			continue;
		n = snprintf(buf + at, len - at, " q%u=%lu", i, vu->kicks[i]);
		if (n < 0)
			break;
		at += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, " none");
}

int vu_serve_socket(struct vu_server *vu, const char *sock, int sig_fd,
		    const struct vu_serve_ops *ops)
{
	int listen_fd = vu_listen(sock, ops->who), status = 0;
	char stats[320], kicks[160];

	if (listen_fd < 0)
		return -1;
	ops->serving(ops->arg, sock);
	for (;;) {
		enum vu_step_result r;
		int fd = vu_wait_for_front_end(listen_fd, sig_fd);

		if (fd == -2)
			break;
		if (fd < 0) {
			fprintf(stderr, "axvm: %s: accept: %s\n", ops->who, strerror(errno));
			status = 1;
			break;
		}
		axvm_info("%s: front end connected", ops->who);
		if (vu_server_connect(vu, fd) != 0)
			continue;
		do
			r = vu_server_step(vu, -1);
		while (r == VU_CONNECTED);
		if (r == VU_STOP)
			break;
		ops->session_stats(ops->arg, stats, sizeof(stats));
		format_kicks(vu, kicks, sizeof(kicks));
		/* always printed: the Linux tests check what arrived */
		fprintf(stderr,
			"axvm: %s: front end disconnected (%lu messages, %lu refused, kicks%s): "
			"%s\n",
			ops->who, vu->messages, vu->refused, kicks, stats);
	}
	close(listen_fd);
	unlink(sock);
	return status;
}
