/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `axvm vhost-user-blk --socket PATH --disk IMAGE[,ro]`: serves
 * libaxdevice's virtio-blk device model to a vhost-user front end (QEMU,
 * cloud-hypervisor, crosvm) over a unix socket.
 */
#ifndef AXVM_VHOST_USER_BLK_H
#define AXVM_VHOST_USER_BLK_H

/* argv[0] is "vhost-user-blk"; returns the process exit status. */
int vhost_user_blk_main(int argc, char **argv);

#endif
