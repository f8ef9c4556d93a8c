/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block backend on a file: synchronous pread/pwrite, FLUSH as fdatasync (so
 * a completed flush is on stable storage), DISCARD as a punched hole,
 * WRITE_ZEROES as a zeroed range. Char backends write to a file descriptor.
 */
#include "backends/backends.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <axdevice/devices.h>
#include <axdevice/virtio.h>

#include "log.h"

/* The emu type of `device`; a name the config lacks gets a char backend, as a console. */
static enum ax_emu_type device_type(const struct axvm_config *cfg, const char *device)
{
	for (unsigned i = 0; i < cfg->nr_emu; i++)
		if (strcmp(cfg->emu[i].name, device) == 0)
			return cfg->emu[i].emu_type;
	return AX_EMU_CONSOLE;
}

/* Full transfer of an iovec list at `offset`, retrying short and interrupted calls. */
static enum ax_err transfer(int fd, bool write, const struct ax_iovec *iov, uint32_t n,
			    uint64_t offset)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *p = iov[i].base;
		size_t left = iov[i].len;

		while (left) {
			ssize_t done = write ? pwrite(fd, p, left, (off_t)offset)
					     : pread(fd, p, left, (off_t)offset);

			if (done < 0 && errno == EINTR)
				continue;
			if (done <= 0)
				return AX_ERR_IO;
			p += done;
			left -= (size_t)done;
			offset += (uint64_t)done;
		}
	}
	return AX_OK;
}

/* vCPU threads take SIGUSR1 (kicks, --profile): a system call they make may see EINTR. */
static int fallocate_retry(int fd, int mode, uint64_t offset, uint64_t length)
{
	int rc;

	do
		rc = fallocate(fd, mode, (off_t)offset, (off_t)length);
	while (rc != 0 && errno == EINTR);
	return rc;
}

static int fdatasync_retry(int fd)
{
	int rc;

	do
		rc = fdatasync(fd);
	while (rc != 0 && errno == EINTR);
	return rc;
}

static enum ax_err zero_range(int fd, uint64_t offset, uint64_t length, bool unmap)
{
	static const uint8_t zeros[65536];

	if (unmap &&
	    fallocate_retry(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0)
		return AX_OK;
	if (fallocate_retry(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length) == 0)
		return AX_OK;
	while (length) { /* the file system supports neither: write zeroes */
		struct ax_iovec v = { (void *)zeros,
				      length < sizeof(zeros) ? length : sizeof(zeros) };

		if (transfer(fd, true, &v, 1, offset) != AX_OK)
			return AX_ERR_IO;
		offset += v.len;
		length -= v.len;
	}
	return AX_OK;
}

static enum ax_err file_submit(void *ctx, struct ax_block_request *req)
{
	struct axvm_backend *b = ctx;
	enum ax_err err;

	if ((unsigned)req->op <= AX_BLOCK_WRITE_ZEROES)
		atomic_fetch_add_explicit(&b->ops[req->op], 1, memory_order_relaxed);
	switch (req->op) {
	case AX_BLOCK_READ:
		err = transfer(b->fd, false, req->iov, req->iovcnt, req->offset);
		break;
	case AX_BLOCK_WRITE:
		err = transfer(b->fd, true, req->iov, req->iovcnt, req->offset);
		break;
	case AX_BLOCK_FLUSH:
		err = fdatasync_retry(b->fd) == 0 ? AX_OK : AX_ERR_IO;
		break;
	case AX_BLOCK_DISCARD:
		err = fallocate_retry(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      req->offset, req->length) == 0
			      ? AX_OK
			      : AX_ERR_IO;
		break;
	case AX_BLOCK_WRITE_ZEROES:
		err = zero_range(b->fd, req->offset, req->length, req->unmap);
		break;
	default:
		err = AX_ERR_UNSUPPORTED;
		break;
	}
	if (err)
		axvm_warn("%s: block %s at byte %llu failed: %s", b->device,
			  req->op == AX_BLOCK_READ ? "read" : "request",
			  (unsigned long long)req->offset, strerror(errno));
	req->complete(req, err);
	return AX_OK;
}

static size_t fd_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct axvm_backend *b = ctx;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(b->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a closed stdout: the rest is dropped, not retried forever */
		done += (size_t)n;
	}
	return len;
}

static size_t null_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	return len;
}

static int open_block(struct axvm_backend *b, const char *path, bool ro, char *err, size_t err_len)
{
	struct stat st;

	b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st) != 0) {
		snprintf(err, err_len, "%s: cannot open disk image %s: %s", b->device, path,
			 strerror(errno));
		return -1;
	}
	if (st.st_size < 512) {
		snprintf(err, err_len, "%s: disk image %s is smaller than one 512-byte sector",
			 b->device, path);
		return -1;
	}
	b->is_block = true;
	b->block = (struct ax_block_backend){
		.ctx = b,
		.capacity = (uint64_t)st.st_size & ~UINT64_C(511),
		.read_only = ro,
		.can_discard = !ro,
		.can_write_zeroes = !ro,
		.submit = file_submit,
	};
	return 0;
}

static int open_one(struct axvm_backend *b, const struct axvm_backend_binding *bind,
		    enum ax_emu_type type, char *err, size_t err_len)
{
	const char *spec = bind->spec;
	bool block = type == AX_EMU_VIRTIO_BLK;

	snprintf(b->device, sizeof(b->device), "%s", bind->device);
	b->fd = -1;
	b->is_block = b->is_stdio = false;
	b->tap = NULL;
	b->chr = (struct ax_char_backend){ .ctx = b, .write = fd_write };
	if (type == AX_EMU_VIRTIO_NET) {
		if (strncmp(spec, "tap:", 4) != 0) {
			snprintf(err, err_len,
				 "%s: a net device needs \"tap:NAME[,mac=XX:XX:XX:XX:XX:XX]\", "
				 "not \"%s\"",
				 b->device, spec);
			return -1;
		}
		b->tap = axvm_tap_open(spec + 4, b->device, err, err_len);
		return b->tap ? 0 : -1;
	}
	if (strncmp(spec, "tap:", 4) == 0) {
		snprintf(err, err_len, "%s: \"%s\" is for a virtio-net device, and this is none",
			 b->device, spec);
		return -1;
	}
	if (strncmp(spec, "file:", 5) == 0) {
		char path[AXVM_SPEC_MAX];
		size_t n = strlen(spec + 5);
		bool ro = n > 3 && strcmp(spec + 5 + n - 3, ",ro") == 0;

		snprintf(path, sizeof(path), "%.*s", (int)(ro ? n - 3 : n), spec + 5);
		if (block)
			return open_block(b, path, ro, err, err_len);
		b->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (b->fd < 0) {
			snprintf(err, err_len, "%s: cannot open output file %s: %s", b->device,
				 path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (block) {
		snprintf(err, err_len, "%s: a block device needs \"file:PATH[,ro]\", not \"%s\"",
			 b->device, spec);
		return -1;
	}
	if (strcmp(spec, "stdio") == 0) {
		b->fd = STDOUT_FILENO;
		b->is_stdio = true;
		return 0;
	}
	if (strcmp(spec, "null") == 0) {
		b->chr.write = null_write;
		return 0;
	}
	snprintf(err, err_len, "%s: unknown backend \"%s\" (expected file:PATH, stdio or null)",
		 b->device, spec);
	return -1;
}

int axvm_backends_open(struct axvm_backends *b, const struct axvm_config *cfg, char *err,
		       size_t err_len)
{
	b->nr = 0;
	for (unsigned i = 0; i < cfg->nr_backends; i++) {
		const struct axvm_backend_binding *bind = &cfg->backends[i];
		struct axvm_backend *item = &b->items[b->nr++];

		if (open_one(item, bind, device_type(cfg, bind->device), err, err_len) != 0) {
			axvm_backends_close(b);
			return -1;
		}
	}
	return 0;
}

void axvm_backends_close(struct axvm_backends *b)
{
	for (unsigned i = 0; i < b->nr; i++) {
		if (b->items[i].fd >= 0 && !b->items[i].is_stdio)
			close(b->items[i].fd);
		axvm_tap_close(b->items[i].tap); /* stops its thread first */
		b->items[i].tap = NULL;
	}
	b->nr = 0;
}

int axvm_backends_bind(struct axvm_backends *b, struct ax_devices *set, char *err, size_t err_len)
{
	for (unsigned i = 0; i < b->nr; i++) {
		struct axvm_backend *item = &b->items[i];
		struct ax_device_info info;
		struct ax_virtio_net *net;

		if (!item->tap)
			continue;
		if (ax_devices_find_by_name(set, item->device, &info) != AX_OK ||
		    ax_virtio_net_from_device(set, info.id, &net) != AX_OK) {
			snprintf(err, err_len, "%s: the tap's device is not a virtio-net",
				 item->device);
			return -1;
		}
		if (axvm_tap_bind(item->tap, net) != 0) {
			snprintf(err, err_len, "%s: cannot start the tap's I/O thread: %s",
				 item->device, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void axvm_backends_unbind(struct axvm_backends *b)
{
	for (unsigned i = 0; i < b->nr; i++)
		axvm_tap_stop(b->items[i].tap);
}

static const struct axvm_backend *find(const struct axvm_backends *b, const char *device)
{
	for (unsigned i = 0; i < b->nr; i++)
		if (strcmp(b->items[i].device, device) == 0)
			return &b->items[i];
	return NULL;
}

const struct ax_block_backend *axvm_backends_block(const struct axvm_backends *b,
						   const char *device)
{
	const struct axvm_backend *item = find(b, device);

	return item && item->is_block ? &item->block : NULL;
}

int axvm_backends_format_ops(const struct axvm_backends *b, const char *device, char *buf,
			     size_t len)
{
	const struct axvm_backend *item = find(b, device);

	if (item && item->tap)
		return axvm_tap_format_stats(item->tap, buf, len);
	if (!item || !item->is_block)
		return 0;
	return snprintf(
		buf, len, "reads=%llu writes=%llu flushes=%llu discards=%llu write_zeroes=%llu",
		atomic_load(&item->ops[AX_BLOCK_READ]), atomic_load(&item->ops[AX_BLOCK_WRITE]),
		atomic_load(&item->ops[AX_BLOCK_FLUSH]), atomic_load(&item->ops[AX_BLOCK_DISCARD]),
		atomic_load(&item->ops[AX_BLOCK_WRITE_ZEROES]));
}

const struct ax_char_backend *axvm_backends_char(const struct axvm_backends *b, const char *device)
{
	const struct axvm_backend *item = find(b, device);

	return item && !item->is_block && !item->tap ? &item->chr : NULL;
}

const struct ax_net_backend *axvm_backends_net(const struct axvm_backends *b, const char *device)
{
	const struct axvm_backend *item = find(b, device);

	return item && item->tap ? axvm_tap_backend(item->tap) : NULL;
}
