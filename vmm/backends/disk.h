/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A disk image under a block backend: its file descriptors, capacity, the
 * alignment O_DIRECT needs, and the request counters. The I/O engines over
 * it: backends/file.h (synchronous) and backends/uring.h (io_uring).
 *
 * With direct=on the image is opened twice: buffered (always) and O_DIRECT
 * where the file system takes it. A READ or WRITE whose offset, segment
 * lengths and buffer addresses meet the direct alignment goes to the
 * O_DIRECT descriptor, any other to the buffered one (and so does one the
 * O_DIRECT descriptor refuses with EINVAL), so the guest never sees an
 * alignment error. The two stay coherent: Linux writes back and drops the
 * page-cache range around each direct transfer, and fdatasync works on the
 * inode, so a FLUSH through either descriptor covers writes through both.
 */
#ifndef AXVM_DISK_H
#define AXVM_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include <axdevice/backend.h>
#include <axdevice/device.h>

#include "config/disk_spec.h"

struct axvm_uring;

struct axvm_disk {
	char device[AX_NAME_MAX];
	char path[AXVM_PATH_MAX];
	int fd;		    /* buffered */
	int direct_fd;	    /* O_DIRECT, or -1 */
	uint32_t mem_align; /* direct_fd: buffer addresses, a power of two */
	uint32_t off_align; /* direct_fd: offsets and segment lengths, a power of two */
	struct ax_block_backend block;
	struct axvm_uring *uring; /* the engine: io_uring, or NULL for synchronous */
	_Atomic unsigned long long ops[AX_BLOCK_WRITE_ZEROES + 1]; /* requests by op */
	_Atomic unsigned long long direct_ops; /* READs and WRITEs done through direct_fd */
};

/*
 * Opens `spec`'s image for `device` and starts its engine: io_uring unless
 * aio=sync (aio=auto falls back to synchronous I/O with an info line when
 * io_uring cannot start; aio=uring makes that an error). NULL with `err`.
 */
struct axvm_disk *axvm_disk_open(const char *device, const struct axvm_disk_spec *spec, char *err,
				 size_t err_len);
/* Stops the engine (waiting for requests in flight) and closes the image. NULL is fine. */
void axvm_disk_close(struct axvm_disk *d);

/* The descriptor for a READ or WRITE: direct_fd if it has one and the request is aligned. */
int axvm_disk_fd_for(const struct axvm_disk *d, const struct ax_block_request *req);
void axvm_disk_count(struct axvm_disk *d, const struct ax_block_request *req);
/* "read", "write", "flush", "discard", "write-zeroes"; "request" for another number. */
const char *axvm_disk_op_name(enum ax_block_op op);
/* The warning of a failed request: device, what, the byte offset that failed, errno's text. */
void axvm_disk_warn(const struct axvm_disk *d, const struct ax_block_request *req, uint64_t offset,
		    int errnum);
/* "reads=N writes=N flushes=N discards=N write_zeroes=N aio=... direct=..." plus the engine's. */
int axvm_disk_format_ops(const struct axvm_disk *d, char *buf, size_t len);

#endif
