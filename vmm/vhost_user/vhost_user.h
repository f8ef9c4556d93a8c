/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The back-end side of the vhost-user protocol (QEMU docs/interop/
 * vhost-user.rst) for one of our transport-independent virtio devices.
 *
 * A struct vu_server owns the device's host hooks (guest memory is the
 * front end's memory table, mmapped from the fds it sends), the session
 * state of one connected front end and an epoll set of the control socket
 * and the kick eventfds. The caller creates the device with vu->hooks,
 * binds it with vu_server_attach, then for every front end it accepts calls
 * vu_server_connect and vu_server_step until the front end disconnects.
 * Everything runs on the caller's thread; backends that complete on other
 * threads only touch the device under its lock and the call eventfds.
 *
 * Offered: the device's virtio features plus VHOST_USER_F_PROTOCOL_FEATURES;
 * protocol features REPLY_ACK and CONFIG, and MQ when the caller sets
 * `offer_mq` (GET_QUEUE_NUM answers the device's queue count either way;
 * every ring index is checked against it). Each ring has its own kick, call
 * and error fds; one thread (the caller's) serves every ring. Not offered
 * (and refused if used): dirty logging, the back-end channel, inflight
 * tracking, memory slots, packed rings, IOTLB, polling rings (kick "no fd").
 *
 * Every message is validated (version, size, payload length per request,
 * queue index, fd count, region count <= 8, address arithmetic). A framing
 * error (bad version, payload over VU_MAX_PAYLOAD, more than 8 fds, short
 * read, an I/O timeout of 10 s mid-message) ends the session; a bad request
 * is logged and refused and the session goes on: a failure ack when the
 * front end asked for one (REPLY_ACK), and for a request that has a reply
 * (GET_*), a reply with an empty payload, so that the front end sees the
 * error and the stream stays in step. Unknown requests are refused alike.
 */
#ifndef AXVM_VHOST_USER_H
#define AXVM_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include <axdevice/host.h>
#include <axdevice/virtio_transport.h>

#include "guest_ram.h"

#define VU_MAX_REGIONS 8    /* VHOST_MEMORY_BASELINE_NREGIONS */
#define VU_MAX_PAYLOAD 4096 /* larger than any message we accept */
#define VU_MAX_CONFIG  256  /* VHOST_USER_MAX_CONFIG_SIZE */

/* Front-end requests (the spec's "front-end message types"). */
enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
	VU_RESET_DEVICE = 34,
};

#define VU_FLAG_VERSION	   0x1u
#define VU_FLAG_VERSION_M  0x3u
#define VU_FLAG_REPLY	   0x4u
#define VU_FLAG_NEED_REPLY 0x8u
#define VU_VRING_NOFD	   0x100u /* in the u64 of SET_VRING_KICK/CALL/ERR */
#define VU_VRING_IDX_MASK  0xffu

#define VU_F_PROTOCOL_FEATURES	30
#define VU_PROTOCOL_F_MQ	0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_CONFIG	9

struct vu_region {
	uint64_t gpa, size, uva;
	uint8_t *map; /* what mmap returned, mmap_offset before the region */
	size_t map_len;
};

struct vu_ring {
	uint16_t num;
	uint16_t base; /* next avail index while stopped */
	bool have_addr;
	uint64_t desc_uva, avail_uva, used_uva;
	int kick_fd, call_fd, err_fd;
	bool enabled;
	bool started;
};

struct vu_server {
	struct ax_host_hooks hooks; /* guest_mem translates through `ram` */
	struct ax_virtio_dev *dev;
	bool offer_mq; /* set before the first session: offer protocol feature MQ */
	int epoll_fd;
	int stop_fd; /* optional (-1): readable means stop */

	/* session */
	int conn_fd;
	bool owner;
	uint64_t features;	    /* acked, including VU_F_PROTOCOL_FEATURES */
	uint64_t protocol_features; /* acked */
	struct vu_region regions[VU_MAX_REGIONS];
	unsigned nr_regions;
	struct guest_ram ram; /* the same regions, for guest_ram_at */
	struct vu_ring rings[AX_VIRTIO_QUEUES_MAX];

	/* counters, for tests and logs */
	unsigned long messages, refused;
	unsigned long kicks[AX_VIRTIO_QUEUES_MAX]; /* per ring */
};

enum vu_step_result {
	VU_DISCONNECTED = 0, /* the session ended; the server is ready for another */
	VU_CONNECTED = 1,    /* still serving */
	VU_STOP = 2,	     /* stop_fd became readable */
};

/* Fills vu->hooks and the epoll set; -1 with errno. */
int vu_server_init(struct vu_server *vu, int stop_fd);

/* Binds a device built with &vu->hooks: the server becomes its transport. */
void vu_server_attach(struct vu_server *vu, struct ax_virtio_dev *dev);

/* Starts a session on a connected socket (the server owns it from here); -1 if busy. */
int vu_server_connect(struct vu_server *vu, int conn_fd);

/*
 * Waits up to timeout_ms (-1: forever) for the control socket, a kick or
 * stop_fd, and handles everything that is ready.
 */
enum vu_step_result vu_server_step(struct vu_server *vu, int timeout_ms);

/* Ends the session: rings stopped, device reset, memory unmapped, fds closed. */
void vu_server_disconnect(struct vu_server *vu);

/* Ends any session, destroys the device, closes the epoll set. */
void vu_server_fini(struct vu_server *vu);

/*
 * Binds and listens on the unix socket `path`, replacing a stale socket
 * (never another kind of file); the fd, or -1 after a message on stderr
 * prefixed with `who`.
 */
int vu_listen(const char *path, const char *who);
/* Waits for a front end: the connected fd, -2 when sig_fd is readable, -1 on error. */
int vu_wait_for_front_end(int listen_fd, int sig_fd);

/*
 * Serving one device over a socket until a signal: what the vhost-user
 * commands (axvm vhost-user-blk, vhost-user-net) share. `who` ("vhost-user-
 * blk") prefixes every message.
 */

/*
 * One of the options every command takes: --help/-h (prints `usage` to
 * stdout and exits 0), -v/-vv, --socket PATH. 1 when argv[*i] was one (*i
 * then past its value), 0 when it is the command's own to look at.
 */
int vu_common_option(int argc, char **argv, int *i, const char *usage, const char **sock);

/*
 * Ignores SIGPIPE and blocks SIGINT and SIGTERM (call it before any thread
 * starts: threads inherit the mask); a signalfd for the two, or -1 after a
 * message.
 */
int vu_stop_signals(const char *who);

struct vu_serve_ops {
	const char *who;
	/* listening: says what is served on `sock` */
	void (*serving)(void *arg, const char *sock);
	/* a session ended: the device's counters, after the server's own */
	void (*session_stats)(void *arg, char *buf, size_t len);
	void *arg;
};

/*
 * Listens on `sock` and serves `vu` to one front end at a time until sig_fd
 * (or the server's stop_fd) is readable; then closes and removes the
 * socket. 0 after a stop signal, 1 when accepting fails, -1 when the socket
 * could not be listened on (after a message).
 */
int vu_serve_socket(struct vu_server *vu, const char *sock, int sig_fd,
		    const struct vu_serve_ops *ops);

#endif
