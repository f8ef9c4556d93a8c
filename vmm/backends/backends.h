/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's device backends, built from the config's binding specs:
 *   "file:PATH[,ro][,aio=uring|sync][,direct=on|off]"
 *                     a disk image for a block device (backends/disk.h; the
 *                     options: config/disk_spec.h), or an output file for a console
 *   "stdio"           console output to stdout (and input from stdin)
 *   "null"            console output discarded
 *   "tap:NAME[,mac=XX:XX:XX:XX:XX:XX]"
 *                     a Linux tap for a virtio-net device (backends/tap.h): attached
 *                     if it exists, else created; without mac=, 52:54:00 and three
 *                     bytes hashed from the device name
 */
#ifndef AXVM_BACKENDS_H
#define AXVM_BACKENDS_H

#include <stdbool.h>

#include <axdevice/backend.h>
#include <axdevice/emu_type.h>

#include "backends/disk.h"
#include "backends/tap.h"
#include "config/vm_config.h"

struct ax_devices;

struct axvm_backend {
	char device[AX_NAME_MAX];
	bool is_block;
	bool is_stdio;
	int fd;			/* a console's */
	struct axvm_tap *tap;	/* a net device's */
	struct axvm_disk *disk; /* a block device's */
	struct ax_char_backend chr;
};

struct axvm_backends {
	struct axvm_backend items[AXVM_MAX_BACKENDS];
	unsigned nr;
};

/*
 * Opens the backend of every binding, of the kind its device wants (block,
 * net or char). -1 with `err` naming the device, the spec and the reason.
 * Nothing stays open on failure.
 */
int axvm_backends_open(struct axvm_backends *b, const struct axvm_config *cfg, char *err,
		       size_t err_len);
/*
 * One virtio-blk device named `device` on the disk `disk` ("IMAGE[,options]", what
 * follows "file:" in a config's binding), opened as axvm_backends_open would: for hosts
 * of a single disk (axvm vhost-user-blk, the block-engine benchmark and tests).
 */
int axvm_backends_open_disk(struct axvm_backends *b, const char *device, const char *disk,
			    char *err, size_t err_len);
void axvm_backends_close(struct axvm_backends *b);

/*
 * The bind step, once the device set exists: every net backend's I/O thread
 * starts, delivering to the virtio-net model of its device (found by name).
 * -1 with `err` if a device is missing or not a virtio-net; the threads
 * already started keep running until axvm_backends_unbind.
 */
int axvm_backends_bind(struct axvm_backends *b, struct ax_devices *set, char *err, size_t err_len);
/* Stops the backends' I/O threads: before the devices they deliver to go away. */
void axvm_backends_unbind(struct axvm_backends *b);

const struct ax_block_backend *axvm_backends_block(const struct axvm_backends *b,
						   const char *device);
const struct ax_char_backend *axvm_backends_char(const struct axvm_backends *b, const char *device);
const struct ax_net_backend *axvm_backends_net(const struct axvm_backends *b, const char *device);

/*
 * "reads=N writes=N flushes=N discards=N write_zeroes=N aio=uring|sync
 * direct_ops=N" and for io_uring its queue counters (axvm_disk_format_ops) for a block
 * device's backend, the tap's counters for a net device's
 * (axvm_tap_format_stats); 0 when `device` has neither.
 */
int axvm_backends_format_ops(const struct axvm_backends *b, const char *device, char *buf,
			     size_t len);

#endif
