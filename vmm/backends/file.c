/* SPDX-License-Identifier: Apache-2.0 */
#include "backends/file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdatomic.h>
#include <unistd.h>

/* Full transfer of an iovec list at `offset`, retrying short and interrupted calls. */
static int transfer(int fd, bool write, const struct ax_iovec *iov, uint32_t n, uint64_t offset)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = iov[i].base;
		size_t left = iov[i].len;

		while (left) {
			ssize_t done = write ? pwrite(fd, p, left, (off_t)offset)
					     : pread(fd, p, left, (off_t)offset);

			if (done < 0 && errno == EINTR)
				continue;
			if (done < 0)
				return errno;
			if (done == 0)
				return EIO; /* end of file: the image shrank under us */
			p += done;
			left -= (size_t)done;
			offset += (uint64_t)done;
		}
	}
	return 0;
}

/* vCPU threads take SIGUSR1 (kicks, --profile): a system call they make may see EINTR. */
static int fallocate_retry(int fd, int mode, uint64_t offset, uint64_t length)
{
	int rc;

	do
		rc = fallocate(fd, mode, (off_t)offset, (off_t)length);
	while (rc != 0 && errno == EINTR);
	return rc == 0 ? 0 : errno;
}

static int fdatasync_retry(int fd)
{
	int rc;

	do
		rc = fdatasync(fd);
	while (rc != 0 && errno == EINTR);
	return rc == 0 ? 0 : errno;
}

static int zero_range(int fd, uint64_t offset, uint64_t length, bool unmap)
{
	static const uint8_t zeros[65536];

	if (unmap &&
	    fallocate_retry(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0)
		return 0;
	if (fallocate_retry(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length) == 0)
		return 0;
	while (length) { /* the file system supports neither: write zeroes */
		struct ax_iovec v = { (void *)zeros,
				      length < sizeof(zeros) ? length : sizeof(zeros) };
		int e = transfer(fd, true, &v, 1, offset);

		if (e)
			return e;
		offset += v.len;
		length -= v.len;
	}
	return 0;
}

/* A READ or WRITE, through O_DIRECT when aligned; EINVAL there is retried buffered. */
static int read_write(struct axvm_disk *d, const struct ax_block_request *req)
{
	bool write = req->op == AX_BLOCK_WRITE;
	int fd = axvm_disk_fd_for(d, req);
	int e = transfer(fd, write, req->iov, req->iovcnt, req->offset);

	if (e == EINVAL && fd == d->direct_fd)
		return transfer(d->fd, write, req->iov, req->iovcnt, req->offset);
	if (e == 0 && fd == d->direct_fd)
		atomic_fetch_add_explicit(&d->direct_ops, 1, memory_order_relaxed);
	return e;
}

static enum ax_err file_submit(void *ctx, struct ax_block_request *req)
{
	struct axvm_disk *d = ctx;
	int e;

	axvm_disk_count(d, req);
	switch (req->op) {
	case AX_BLOCK_READ:
	case AX_BLOCK_WRITE:
		e = read_write(d, req);
		break;
	case AX_BLOCK_FLUSH:
		e = fdatasync_retry(d->fd);
		break;
	case AX_BLOCK_DISCARD:
		e = fallocate_retry(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, req->offset,
				    req->length);
		break;
	case AX_BLOCK_WRITE_ZEROES:
		e = zero_range(d->fd, req->offset, req->length, req->unmap);
		break;
	default:
		req->complete(req, AX_ERR_UNSUPPORTED);
		return AX_OK;
	}
	if (e)
		axvm_disk_warn(d, req, req->offset, e);
	req->complete(req, e ? AX_ERR_IO : AX_OK);
	return AX_OK;
}

void axvm_file_engine(struct axvm_disk *d)
{
	d->block.ctx = d;
	d->block.submit = file_submit;
	d->block.completes_in_submit = true; /* every path above completes before returning */
}
