/* SPDX-License-Identifier: Apache-2.0 */
/* Default-mode checks of disk0, the virtio-blk device: init, read, write+flush, interrupt. */
#ifndef GUEST_DISK_CHECKS_H
#define GUEST_DISK_CHECKS_H

void disk_checks_run(void);

#endif
