/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backends by spec: block devices get a disk image (backends/disk.h) under
 * the io_uring engine or the synchronous one, net devices a tap, consoles a
 * file descriptor.
 */
#include "backends/backends.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

static int open_block(struct axvm_backend *b, const char *spec, char *err, size_t err_len)
{
	struct axvm_disk_spec ds;
	char why[192];

	if (axvm_disk_spec_parse(spec, &ds, why, sizeof(why)) != 0) {
		snprintf(err, err_len, "%s: invalid backend \"file:%s\": %s", b->device, spec, why);
		return -1;
	}
	b->disk = axvm_disk_open(b->device, &ds, err, err_len);
	if (!b->disk)
		return -1;
	b->is_block = true;
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
	b->disk = NULL;
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
		struct axvm_disk_spec ds;
		char why[192];

		if (block)
			return open_block(b, spec + 5, err, err_len);
		/* an output file: the options of a disk mean nothing here, but "ro" was always
		 * taken off the path */
		if (axvm_disk_spec_parse(spec + 5, &ds, why, sizeof(why)) != 0) {
			snprintf(err, err_len, "%s: invalid backend \"%s\": %s", b->device, spec,
				 why);
			return -1;
		}
		b->fd = open(ds.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (b->fd < 0) {
			snprintf(err, err_len, "%s: cannot open output file %s: %s", b->device,
				 ds.path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (block) {
		snprintf(err, err_len,
			 "%s: a block device needs "
			 "\"file:PATH[,ro][,aio=uring|sync][,direct=on|off]\", "
			 "not \"%s\"",
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

int axvm_backends_open_disk(struct axvm_backends *b, const char *device, const char *disk,
			    char *err, size_t err_len)
{
	struct axvm_backend_binding bind;
	int n;

	memset(&bind, 0, sizeof(bind));
	snprintf(bind.device, sizeof(bind.device), "%s", device);
	n = snprintf(bind.spec, sizeof(bind.spec), "file:%s", disk);
	b->nr = 0;
	if (n < 0 || (size_t)n >= sizeof(bind.spec)) {
		snprintf(err, err_len, "%s: disk \"%.64s...\" is too long", device, disk);
		return -1;
	}
	b->nr = 1;
	if (open_one(&b->items[0], &bind, AX_EMU_VIRTIO_BLK, err, err_len) != 0) {
		axvm_backends_close(b);
		return -1;
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
		axvm_disk_close(b->items[i].disk); /* waits for its requests in flight */
		b->items[i].disk = NULL;
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

	return item && item->is_block ? &item->disk->block : NULL;
}

int axvm_backends_format_ops(const struct axvm_backends *b, const char *device, char *buf,
			     size_t len)
{
	const struct axvm_backend *item = find(b, device);

	if (item && item->tap)
		return axvm_tap_format_stats(item->tap, buf, len);
	if (!item || !item->is_block)
		return 0;
	return axvm_disk_format_ops(item->disk, buf, len);
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
