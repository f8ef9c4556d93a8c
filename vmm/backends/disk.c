/* SPDX-License-Identifier: Apache-2.0 */
#include "backends/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/file.h"
#include "backends/uring.h"
#include "log.h"

/* Alignment when the file system does not say (statx without STATX_DIOALIGN): a page
 * satisfies every Linux file system's O_DIRECT rules. */
#define DIRECT_ALIGN_UNKNOWN 4096u

static const char *const op_names[] = {
	[AX_BLOCK_READ] = "read",
	[AX_BLOCK_WRITE] = "write",
	[AX_BLOCK_FLUSH] = "flush",
	[AX_BLOCK_DISCARD] = "discard",
	[AX_BLOCK_WRITE_ZEROES] = "write-zeroes",
};

static bool power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* The O_DIRECT descriptor and its alignment, or direct_fd -1 with an info line saying why. */
static void open_direct(struct axvm_disk *d, bool ro)
{
	struct statx sx;

	d->direct_fd = open(d->path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_DIRECT);
	if (d->direct_fd < 0) {
		axvm_info("%s: direct=on: %s cannot be opened with O_DIRECT (%s): buffered I/O",
			  d->device, d->path, strerror(errno));
		return;
	}
	d->mem_align = d->off_align = DIRECT_ALIGN_UNKNOWN;
	if (statx(d->direct_fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN)) {
		if (!sx.stx_dio_offset_align) { /* the file system says: no direct I/O here */
			axvm_info("%s: direct=on: the file system of %s has no direct I/O: "
				  "buffered I/O",
				  d->device, d->path);
			close(d->direct_fd);
			d->direct_fd = -1;
			return;
		}
		if (power_of_two(sx.stx_dio_mem_align) && power_of_two(sx.stx_dio_offset_align)) {
			d->mem_align = sx.stx_dio_mem_align;
			d->off_align = sx.stx_dio_offset_align;
		}
	}
	axvm_info("%s: direct=on: O_DIRECT for requests aligned to %u bytes (buffers to %u)",
		  d->device, d->off_align, d->mem_align);
}

static int open_image(struct axvm_disk *d, const struct axvm_disk_spec *spec, char *err,
		      size_t err_len)
{
	struct stat st;

	d->fd = open(spec->path, (spec->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &st) != 0) {
		snprintf(err, err_len, "%s: cannot open disk image %s: %s", d->device, spec->path,
			 strerror(errno));
		return -1;
	}
	if (st.st_size < 512) {
		snprintf(err, err_len, "%s: disk image %s is smaller than one 512-byte sector",
			 d->device, spec->path);
		return -1;
	}
	d->block = (struct ax_block_backend){
		.capacity = (uint64_t)st.st_size & ~UINT64_C(511),
		.read_only = spec->read_only,
		.can_discard = !spec->read_only,
		.can_write_zeroes = !spec->read_only,
	};
	if (spec->direct)
		open_direct(d, spec->read_only);
	return 0;
}

struct axvm_disk *axvm_disk_open(const char *device, const struct axvm_disk_spec *spec, char *err,
				 size_t err_len)
{
	struct axvm_disk *d = calloc(1, sizeof(*d));
	char why[256];

	if (!d) {
		snprintf(err, err_len, "%s: out of memory", device);
		return NULL;
	}
	snprintf(d->device, sizeof(d->device), "%s", device);
	snprintf(d->path, sizeof(d->path), "%s", spec->path);
	d->fd = d->direct_fd = -1;
	if (open_image(d, spec, err, err_len) != 0) {
		axvm_disk_close(d);
		return NULL;
	}
	if (spec->aio == AXVM_AIO_SYNC) {
		axvm_file_engine(d);
		return d;
	}
	if (axvm_uring_start(d, AXVM_URING_DEPTH, why, sizeof(why)) == 0)
		return d;
	if (spec->aio == AXVM_AIO_URING) {
		snprintf(err, err_len, "%s: aio=uring: %s", device, why);
		axvm_disk_close(d);
		return NULL;
	}
	axvm_info("%s: %s: synchronous I/O instead", device, why);
	axvm_file_engine(d);
	return d;
}

void axvm_disk_close(struct axvm_disk *d)
{
	if (!d)
		return;
	axvm_uring_stop(d->uring);
	d->uring = NULL;
	if (d->direct_fd >= 0)
		close(d->direct_fd);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static bool aligned(uint64_t v, uint32_t align)
{
	return (v & (align - 1)) == 0;
}

int axvm_disk_fd_for(const struct axvm_disk *d, const struct ax_block_request *req)
{
	if (d->direct_fd < 0 || !aligned(req->offset, d->off_align))
		return d->fd;
	for (uint32_t i = 0; i < req->iovcnt; i++)
		if (!aligned((uintptr_t)req->iov[i].base, d->mem_align) ||
		    !aligned(req->iov[i].len, d->off_align))
			return d->fd;
	return d->direct_fd;
}

void axvm_disk_count(struct axvm_disk *d, const struct ax_block_request *req)
{
	if ((unsigned)req->op <= AX_BLOCK_WRITE_ZEROES)
		atomic_fetch_add_explicit(&d->ops[req->op], 1, memory_order_relaxed);
}

const char *axvm_disk_op_name(enum ax_block_op op)
{
	return (unsigned)op <= AX_BLOCK_WRITE_ZEROES ? op_names[op] : "request";
}

void axvm_disk_warn(const struct axvm_disk *d, const struct ax_block_request *req, uint64_t offset,
		    int errnum)
{
	axvm_warn("%s: block %s at byte %llu failed: %s", d->device, axvm_disk_op_name(req->op),
		  (unsigned long long)offset, strerror(errnum));
}

int axvm_disk_format_ops(const struct axvm_disk *d, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "reads=%llu writes=%llu flushes=%llu discards=%llu write_zeroes=%llu "
			 "aio=%s direct_ops=%llu",
			 atomic_load(&d->ops[AX_BLOCK_READ]), atomic_load(&d->ops[AX_BLOCK_WRITE]),
			 atomic_load(&d->ops[AX_BLOCK_FLUSH]),
			 atomic_load(&d->ops[AX_BLOCK_DISCARD]),
			 atomic_load(&d->ops[AX_BLOCK_WRITE_ZEROES]), d->uring ? "uring" : "sync",
			 atomic_load(&d->direct_ops));

	if (d->uring && n >= 0 && (size_t)n < len)
		n += axvm_uring_format_stats(d->uring, buf + n, len - (size_t)n);
	return n;
}
