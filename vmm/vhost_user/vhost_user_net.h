/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `axvm vhost-user-net --socket PATH --tap NAME [--mac MAC]`: serves
 * libaxdevice's virtio-net device model over a Linux tap (backends/tap.h)
 * to a vhost-user front end (QEMU's -netdev vhost-user) on a unix socket.
 * The front end keeps the control queue (QEMU handles it itself); the
 * back end serves receiveq 0 and transmitq 1.
 */
#ifndef AXVM_VHOST_USER_NET_H
#define AXVM_VHOST_USER_NET_H

#include <stddef.h>

#include "backends/tap.h"
#include "vhost_user/vhost_user.h"

#define VHOST_USER_NET_NAME	  "vhost-user-net" /* device name: logs, the default MAC */
#define VHOST_USER_NET_QUEUE_SIZE 1024u		   /* QEMU's largest rx/tx queue size */

/* The tap and the server of the virtio-net device over it. */
struct vhost_user_net {
	struct axvm_tap *tap;
	struct vu_server vu;
	struct ax_virtio_net *net;
};

/*
 * Builds the virtio-net model over `tap` (taken: closed by
 * vhost_user_net_close, or here on failure) behind a vhost-user server
 * (stop_fd as in vu_server_init), then the bind step: the tap's I/O thread
 * starts, delivering to the model. -1 with `err` set; nothing stays open.
 */
int vhost_user_net_open(struct vhost_user_net *n, struct axvm_tap *tap, int stop_fd, char *err,
			size_t err_len);
/* Stops the tap's thread, ends any session, destroys the model, closes the tap. */
void vhost_user_net_close(struct vhost_user_net *n);

/* argv[0] is "vhost-user-net"; returns the process exit status. */
int vhost_user_net_main(int argc, char **argv);

#endif
