/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `axvm vhost-user-blk --socket PATH --disk IMAGE[,ro][,aio=...][,direct=...] [--queues N]`:
 * serves libaxdevice's virtio-blk device model to a vhost-user front end
 * (QEMU, cloud-hypervisor, crosvm) over a unix socket, with N request
 * queues (VIRTIO_BLK_F_MQ and protocol feature MQ; default 1).
 */
#ifndef AXVM_VHOST_USER_BLK_H
#define AXVM_VHOST_USER_BLK_H

#include <stddef.h>

#include "backends/backends.h"
#include "vhost_user/vhost_user.h"

#define VHOST_USER_BLK_NAME   "vhost-user-blk" /* device name: logs, GET_ID */
#define VHOST_USER_BLK_QUEUES 1u	       /* --queues' default */

/* The disk image's backend and the server of the virtio-blk device over it. */
struct vhost_user_blk {
	struct axvm_backends backends;
	struct vu_server vu;
};

/*
 * Opens `disk` ("IMAGE" or "IMAGE,ro") with axvm's file backend and builds
 * the virtio-blk model with `queues` request queues (1 to
 * AX_VIRTIO_BLK_QUEUES_MAX) behind a vhost-user server (stop_fd as in
 * vu_server_init). -1 with `err` set; nothing stays open then.
 */
int vhost_user_blk_open(struct vhost_user_blk *b, const char *disk, unsigned queues, int stop_fd,
			char *err, size_t err_len);
void vhost_user_blk_close(struct vhost_user_blk *b);

/* argv[0] is "vhost-user-blk"; returns the process exit status. */
int vhost_user_blk_main(int argc, char **argv);

#endif
