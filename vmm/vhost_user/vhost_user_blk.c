/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm vhost-user-blk: our virtio-blk model (src/dev/virtio/blk.c, the code
 * virtio-mmio serves) over axvm's file backend, served to one vhost-user
 * front end at a time on a unix socket. When the front end goes away (the
 * guest powered off, QEMU exited) the session is torn down and the next
 * one accepted. SIGINT or SIGTERM ends the program with status 0.
 *
 * --queues N builds the device with N request queues; the front end may use
 * up to N (QEMU: num-queues, which it checks against GET_QUEUE_NUM). One
 * thread, this one, serves every queue: the device model handles one request
 * at a time under its lock anyway, so a thread per queue would only wait on
 * that lock, and the file backend completes in submit.
 */
#include "vhost_user/vhost_user_blk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axvm.h"
#include "log.h"

static const char usage[] =
	"usage: axvm vhost-user-blk --socket PATH --disk IMAGE[,ro][,aio=uring|sync]"
	"[,direct=on|off] [--queues N] [-v]\n"
	"  serves libaxdevice's virtio-blk over vhost-user on the unix socket PATH\n"
	"  (a stale socket file is replaced); one front end at a time, until SIGINT/SIGTERM\n"
	"  --queues N  request queues (1 to 16, default 1): give at least the front end's\n"
	"              num-queues (QEMU's vhost-user-blk-pci defaults it to the vCPU count)\n";

int vhost_user_blk_open(struct vhost_user_blk *b, const char *disk, unsigned queues, int stop_fd,
			char *err, size_t err_len)
{
	struct ax_virtio_dev *dev;
	struct ax_diag diag = { 0 };

	memset(b, 0, sizeof(*b));
	/* the disk bound as "file:IMAGE[,options]", as `axvm run` would have it */
	if (axvm_backends_open_disk(&b->backends, VHOST_USER_BLK_NAME, disk, err, err_len) != 0)
		return -1;
	if (vu_server_init(&b->vu, stop_fd) != 0) {
		snprintf(err, err_len, "epoll: %s", strerror(errno));
		axvm_backends_close(&b->backends);
		return -1;
	}
	b->vu.offer_mq = true;
	if (ax_virtio_blk_new_mq(&b->vu.hooks, VHOST_USER_BLK_NAME,
				 axvm_backends_block(&b->backends, VHOST_USER_BLK_NAME),
				 AX_VIRTIO_BLK_QUEUE_SIZE_MAX, queues, &dev, &diag) != AX_OK) {
		snprintf(err, err_len, "%s", diag.msg);
		vu_server_fini(&b->vu);
		axvm_backends_close(&b->backends);
		return -1;
	}
	vu_server_attach(&b->vu, dev);
	return 0;
}

void vhost_user_blk_close(struct vhost_user_blk *b)
{
	vu_server_fini(&b->vu);
	axvm_backends_close(&b->backends);
}

/* --queues' value: a decimal count in [1, AX_VIRTIO_BLK_QUEUES_MAX]. */
static int parse_queues(const char *s, unsigned *out)
{
	char *end;
	uintmax_t v;

	errno = 0;
	v = strtoumax(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > AX_VIRTIO_BLK_QUEUES_MAX) {
		fprintf(stderr, "axvm: vhost-user-blk: --queues '%s' is not a count in [1, %u]\n",
			s, AX_VIRTIO_BLK_QUEUES_MAX);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse(int argc, char **argv, const char **sock, const char **disk, unsigned *queues)
{
	for (int i = 1; i < argc; i++) {
		if (vu_common_option(argc, argv, &i, usage, sock))
			continue;
		if (strcmp(argv[i], "--disk") == 0 && i + 1 < argc) {
			*disk = argv[++i];
		} else if (strcmp(argv[i], "--queues") == 0 && i + 1 < argc) {
			if (parse_queues(argv[++i], queues) != 0)
				return -1;
		} else {
			fprintf(stderr, "axvm: vhost-user-blk: unexpected '%s'\n%s", argv[i],
				usage);
			return -1;
		}
	}
	if (!*sock || !*disk) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

struct blk_main {
	struct vhost_user_blk *blk;
	const char *disk;
	unsigned queues;
};

static void serving(void *arg, const char *sock)
{
	const struct blk_main *m = arg;
	const struct ax_block_backend *be =
		axvm_backends_block(&m->blk->backends, VHOST_USER_BLK_NAME);

	fprintf(stderr, "axvm: vhost-user-blk: serving %s (%llu bytes%s, %u queue%s) on %s\n",
		m->disk, (unsigned long long)be->capacity, be->read_only ? ", read-only" : "",
		m->queues, m->queues == 1 ? "" : "s", sock);
}

/* the Linux test checks that FLUSH and DISCARD arrived */
static void session_stats(void *arg, char *buf, size_t len)
{
	const struct blk_main *m = arg;

	axvm_backends_format_ops(&m->blk->backends, VHOST_USER_BLK_NAME, buf, len);
}

int vhost_user_blk_main(int argc, char **argv)
{
	static struct vhost_user_blk blk; /* large: keep it off the stack */
	const char *sock = NULL, *disk = NULL;
	char err[AXVM_ERR_MAX];
	struct blk_main m = { &blk, NULL, VHOST_USER_BLK_QUEUES };
	const struct vu_serve_ops ops = { "vhost-user-blk", serving, session_stats, &m };
	int sig_fd, status;

	if (parse(argc, argv, &sock, &disk, &m.queues) != 0)
		return AXVM_STATUS_CONFIG;
	m.disk = disk;
	sig_fd = vu_stop_signals(ops.who);
	if (sig_fd < 0)
		return AXVM_STATUS_CONFIG;
	if (vhost_user_blk_open(&blk, disk, m.queues, sig_fd, err, sizeof(err)) != 0) {
		fprintf(stderr, "axvm: vhost-user-blk: %s\n", err);
		close(sig_fd);
		return AXVM_STATUS_CONFIG;
	}
	status = vu_serve_socket(&blk.vu, sock, sig_fd, &ops);
	vhost_user_blk_close(&blk);
	close(sig_fd);
	return status < 0 ? AXVM_STATUS_CONFIG : status;
}
