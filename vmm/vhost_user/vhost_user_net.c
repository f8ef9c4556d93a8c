/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm vhost-user-net: our virtio-net model (src/dev/virtio/net.c, the code
 * virtio-mmio serves) over axvm's tap backend, served to one vhost-user
 * front end at a time on a unix socket. The server's thread handles the
 * messages and the kicks (transmit happens there, into the tap); the tap's
 * I/O thread receives into the guest's buffers (zero-copy: readv into the
 * front end's memory) and resumes transmission after backpressure. When the
 * front end goes away the session is torn down (the model's reset waits
 * for an open receive reservation before the memory is unmapped) and the
 * next one accepted. SIGINT or SIGTERM ends the program with status 0.
 */
#include "vhost_user/vhost_user_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axvm.h"
#include "log.h"

static const char usage[] =
	"usage: axvm vhost-user-net --socket PATH --tap NAME [--mac XX:XX:XX:XX:XX:XX] [-v]\n"
	"  serves libaxdevice's virtio-net over the tap NAME (attached if it exists, else\n"
	"  created) to a vhost-user front end on the unix socket PATH (a stale socket file\n"
	"  is replaced); one front end at a time, until SIGINT/SIGTERM. The MAC is what the\n"
	"  device's config space says; QEMU's virtio-net shows its own (mac= of -device)\n";

int vhost_user_net_open(struct vhost_user_net *n, struct axvm_tap *tap, int stop_fd, char *err,
			size_t err_len)
{
	struct ax_virtio_dev *dev;
	struct ax_diag diag = { 0 };

	memset(n, 0, sizeof(*n));
	n->tap = tap;
	if (vu_server_init(&n->vu, stop_fd) != 0) {
		snprintf(err, err_len, "epoll: %s", strerror(errno));
		axvm_tap_close(tap);
		return -1;
	}
	if (ax_virtio_net_new(&n->vu.hooks, VHOST_USER_NET_NAME, axvm_tap_backend(tap),
			      VHOST_USER_NET_QUEUE_SIZE, &dev, &diag) != AX_OK) {
		snprintf(err, err_len, "%s", diag.msg);
		vu_server_fini(&n->vu);
		axvm_tap_close(tap);
		return -1;
	}
	vu_server_attach(&n->vu, dev);
	n->net = ax_virtio_net_of(dev);
	/* the bind step: receive into this model from here on */
	if (!n->net || axvm_tap_bind(tap, n->net) != 0) {
		snprintf(err, err_len, "cannot start the tap's I/O thread: %s", strerror(errno));
		vu_server_fini(&n->vu);
		axvm_tap_close(tap);
		return -1;
	}
	return 0;
}

void vhost_user_net_close(struct vhost_user_net *n)
{
	axvm_tap_stop(n->tap); /* it calls into the model: first */
	vu_server_fini(&n->vu);
	axvm_tap_close(n->tap);
	n->tap = NULL;
	n->net = NULL;
}

static int parse(int argc, char **argv, const char **sock, const char **tap, const char **mac)
{
	for (int i = 1; i < argc; i++) {
		if (vu_common_option(argc, argv, &i, usage, sock))
			continue;
		if (strcmp(argv[i], "--tap") == 0 && i + 1 < argc) {
			*tap = argv[++i];
		} else if (strcmp(argv[i], "--mac") == 0 && i + 1 < argc) {
			*mac = argv[++i];
		} else {
			fprintf(stderr, "axvm: vhost-user-net: unexpected '%s'\n%s", argv[i],
				usage);
			return -1;
		}
	}
	if (!*sock || !*tap || strchr(*tap, ',')) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

static void serving(void *arg, const char *sock)
{
	struct axvm_tap *tap = arg;
	const uint8_t *m = axvm_tap_backend(tap)->mac;

	fprintf(stderr,
		"axvm: vhost-user-net: serving tap %s (mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u) "
		"on %s\n",
		axvm_tap_ifname(tap), m[0], m[1], m[2], m[3], m[4], m[5],
		axvm_tap_backend(tap)->mtu, sock);
}

static void session_stats(void *arg, char *buf, size_t len)
{
	axvm_tap_format_stats(arg, buf, len);
}

int vhost_user_net_main(int argc, char **argv)
{
	static struct vhost_user_net net; /* large: keep it off the stack */
	const char *sock = NULL, *tap_name = NULL, *mac = NULL;
	char err[AXVM_ERR_MAX], args[128], stats[320];
	struct axvm_tap *tap;
	int sig_fd, status;

	if (parse(argc, argv, &sock, &tap_name, &mac) != 0)
		return AXVM_STATUS_CONFIG;
	if ((size_t)snprintf(args, sizeof(args), "%s%s%s", tap_name, mac ? ",mac=" : "",
			     mac ? mac : "") >= sizeof(args)) {
		fprintf(stderr, "axvm: vhost-user-net: --tap or --mac too long\n");
		return AXVM_STATUS_CONFIG;
	}
	/* before the tap's thread starts: it inherits the mask */
	sig_fd = vu_stop_signals("vhost-user-net");
	if (sig_fd < 0)
		return AXVM_STATUS_CONFIG;
	tap = axvm_tap_open(args, VHOST_USER_NET_NAME, err, sizeof(err));
	if (!tap || vhost_user_net_open(&net, tap, sig_fd, err, sizeof(err)) != 0) {
		fprintf(stderr, "axvm: vhost-user-net: %s\n", err);
		close(sig_fd);
		return AXVM_STATUS_CONFIG;
	}
	const struct vu_serve_ops ops = { "vhost-user-net", serving, session_stats, tap };

	status = vu_serve_socket(&net.vu, sock, sig_fd, &ops);
	if (status >= 0) {
		axvm_tap_format_stats(tap, stats, sizeof(stats));
		fprintf(stderr, "axvm: vhost-user-net: stopped: %s\n", stats);
	}
	vhost_user_net_close(&net);
	close(sig_fd);
	return status < 0 ? AXVM_STATUS_CONFIG : status;
}
