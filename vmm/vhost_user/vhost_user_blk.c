/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm vhost-user-blk: our virtio-blk model (src/dev/virtio/blk.c, the code
 * virtio-mmio serves) over axvm's file backend, served to one vhost-user
 * front end at a time on a unix socket. When the front end goes away (the
 * guest powered off, QEMU exited) the session is torn down and the next
 * one accepted. SIGINT or SIGTERM ends the program with status 0.
 */
#include "vhost_user/vhost_user_blk.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "axvm.h"
#include "log.h"

static const char usage[] =
	"usage: axvm vhost-user-blk --socket PATH --disk IMAGE[,ro] [-v]\n"
	"  serves libaxdevice's virtio-blk over vhost-user on the unix socket PATH\n"
	"  (a stale socket file is replaced); one front end at a time, until SIGINT/SIGTERM\n";

int vhost_user_blk_open(struct vhost_user_blk *b, const char *disk, int stop_fd, char *err,
			size_t err_len)
{
	struct axvm_config *cfg = calloc(1, sizeof(*cfg));
	struct ax_virtio_dev *dev;
	struct ax_diag diag = { 0 };
	int ret;

	memset(b, 0, sizeof(*b));
	if (!cfg) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (strlen(disk) + 6 > sizeof(cfg->backends[0].spec)) {
		snprintf(err, err_len, "--disk: path too long");
		free(cfg);
		return -1;
	}
	/* one virtio-blk entry bound to "file:IMAGE[,ro]", as `axvm run` would have it */
	cfg->nr_emu = 1;
	snprintf(cfg->emu_name[0], AX_NAME_MAX, "%s", VHOST_USER_BLK_NAME);
	cfg->emu[0] =
		(struct ax_emu_config){ .name = cfg->emu_name[0], .emu_type = AX_EMU_VIRTIO_BLK };
	cfg->nr_backends = 1;
	snprintf(cfg->backends[0].device, AX_NAME_MAX, "%s", VHOST_USER_BLK_NAME);
	snprintf(cfg->backends[0].spec, sizeof(cfg->backends[0].spec), "file:%s", disk);
	ret = axvm_backends_open(&b->backends, cfg, err, err_len);
	free(cfg);
	if (ret != 0)
		return -1;
	if (vu_server_init(&b->vu, stop_fd) != 0) {
		snprintf(err, err_len, "epoll: %s", strerror(errno));
		axvm_backends_close(&b->backends);
		return -1;
	}
	if (ax_virtio_blk_new(&b->vu.hooks, VHOST_USER_BLK_NAME,
			      axvm_backends_block(&b->backends, VHOST_USER_BLK_NAME),
			      AX_VIRTIO_BLK_QUEUE_SIZE_MAX, &dev, &diag) != AX_OK) {
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

/* Binds and listens on `path`, replacing a stale socket (never another kind of file). */
static int listen_on(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "axvm: vhost-user-blk: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "axvm: vhost-user-blk: %s exists and is not a socket\n",
				path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 1) != 0) {
		fprintf(stderr, "axvm: vhost-user-blk: cannot listen on %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int parse(int argc, char **argv, const char **sock, const char **disk)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-vv") == 0) {
			axvm_log_level += (int)strlen(argv[i]) - 1;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			*sock = argv[++i];
		} else if (strcmp(argv[i], "--disk") == 0 && i + 1 < argc) {
			*disk = argv[++i];
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

/* Waits for a front end; the connected fd, -2 on a stop signal, -1 on error. */
static int wait_for_front_end(int listen_fd, int sig_fd)
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

int vhost_user_blk_main(int argc, char **argv)
{
	static struct vhost_user_blk blk; /* large: keep it off the stack */
	const char *sock = NULL, *disk = NULL;
	char err[AXVM_ERR_MAX];
	const struct ax_block_backend *be;
	sigset_t stop;
	int sig_fd, listen_fd, status = 0;

	if (parse(argc, argv, &sock, &disk) != 0)
		return AXVM_STATUS_CONFIG;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sig_fd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (sig_fd < 0) {
		fprintf(stderr, "axvm: vhost-user-blk: signalfd: %s\n", strerror(errno));
		return AXVM_STATUS_CONFIG;
	}
	if (vhost_user_blk_open(&blk, disk, sig_fd, err, sizeof(err)) != 0) {
		fprintf(stderr, "axvm: vhost-user-blk: %s\n", err);
		close(sig_fd);
		return AXVM_STATUS_CONFIG;
	}
	listen_fd = listen_on(sock);
	if (listen_fd < 0) {
		vhost_user_blk_close(&blk);
		close(sig_fd);
		return AXVM_STATUS_CONFIG;
	}
	be = axvm_backends_block(&blk.backends, VHOST_USER_BLK_NAME);
	fprintf(stderr, "axvm: vhost-user-blk: serving %s (%llu bytes%s) on %s\n", disk,
		(unsigned long long)be->capacity, be->read_only ? ", read-only" : "", sock);
	for (;;) {
		enum vu_step_result r;
		int fd = wait_for_front_end(listen_fd, sig_fd);

		if (fd == -2)
			break;
		if (fd < 0) {
			fprintf(stderr, "axvm: vhost-user-blk: accept: %s\n", strerror(errno));
			status = 1;
			break;
		}
		axvm_info("vhost-user-blk: front end connected");
		if (vu_server_connect(&blk.vu, fd) != 0)
			continue;
		do
			r = vu_server_step(&blk.vu, -1);
		while (r == VU_CONNECTED);
		if (r == VU_STOP)
			break;
		char ops[160];

		axvm_backends_format_ops(&blk.backends, VHOST_USER_BLK_NAME, ops, sizeof(ops));
		/* always printed: the Linux test checks that FLUSH and DISCARD arrived */
		fprintf(stderr,
			"axvm: vhost-user-blk: front end disconnected (%lu messages, %lu refused): "
			"%s\n",
			blk.vu.messages, blk.vu.refused, ops);
	}
	vhost_user_blk_close(&blk);
	close(listen_fd);
	unlink(sock);
	close(sig_fd);
	return status;
}
