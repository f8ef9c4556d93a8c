/* SPDX-License-Identifier: Apache-2.0 */
#include "backends.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BINDINGS 8

struct binding {
	const char *name;
	void *backend;
};

static struct binding block_bindings[MAX_BINDINGS], char_bindings[MAX_BINDINGS];

/* Runs one request against the disk bytes; the device has already range-checked it. */
static enum ax_err ram_disk_execute(struct ram_disk *d, const struct ax_block_request *req)
{
	uint64_t off = req->offset;

	if (d->fail_with != AX_OK)
		return d->fail_with;
	if (req->op != AX_BLOCK_FLUSH &&
	    (off > d->be.capacity || req->length > d->be.capacity - off))
		return AX_ERR_BAD_ADDRESS; /* the device should never send this */
	switch (req->op) {
	case AX_BLOCK_READ:
	case AX_BLOCK_WRITE:
		for (uint32_t i = 0; i < req->iovcnt; i++) {
			const struct ax_iovec *v = &req->iov[i];

			if (req->op == AX_BLOCK_READ)
				memcpy(v->base, d->data + off, v->len);
			else
				memcpy(d->data + off, v->base, v->len);
			off += v->len;
		}
		return off - req->offset == req->length ? AX_OK : AX_ERR_INVALID_INPUT;
	case AX_BLOCK_DISCARD:
	case AX_BLOCK_WRITE_ZEROES:
		memset(d->data + off, 0, req->length);
		return AX_OK;
	case AX_BLOCK_FLUSH:
		return AX_OK;
	}
	return AX_ERR_UNSUPPORTED;
}

static enum ax_err ram_disk_submit(void *ctx, struct ax_block_request *req)
{
	struct ram_disk *d = ctx;

	/* one submit at a time (the device's lock): no read-modify-write needed */
	if ((unsigned)req->op <= AX_BLOCK_WRITE_ZEROES) {
		_Atomic unsigned *n = &d->count[req->op];

		atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&d->last_unmap, req->unmap, memory_order_relaxed);
	if (d->deferred) {
		pthread_mutex_lock(&d->lock);
		if (d->nr_pending == RAM_DISK_MAX_PENDING) {
			pthread_mutex_unlock(&d->lock);
			return AX_ERR_RESOURCE_BUSY;
		}
		d->pending[d->nr_pending++] = req;
		pthread_mutex_unlock(&d->lock);
		return AX_OK;
	}
	req->complete(req, ram_disk_execute(d, req));
	return AX_OK;
}

unsigned ram_disk_complete_pending(struct ram_disk *d)
{
	struct ax_block_request *reqs[RAM_DISK_MAX_PENDING];
	unsigned n;

	pthread_mutex_lock(&d->lock);
	n = d->nr_pending;
	memcpy(reqs, d->pending, n * sizeof(reqs[0]));
	d->nr_pending = 0;
	pthread_mutex_unlock(&d->lock);
	for (unsigned i = 0; i < n; i++)
		reqs[i]->complete(reqs[i], ram_disk_execute(d, reqs[i]));
	return n;
}

void ram_disk_init(struct ram_disk *d, uint64_t size, bool read_only)
{
	memset(d, 0, sizeof(*d));
	d->data = calloc(1, size ? size : 1);
	if (!d->data)
		abort();
	pthread_mutex_init(&d->lock, NULL);
	d->be.ctx = d;
	d->be.capacity = size;
	d->be.read_only = read_only;
	d->be.can_discard = !read_only;
	d->be.can_write_zeroes = !read_only;
	d->be.completes_in_submit = true;
	d->be.submit = ram_disk_submit;
}

void ram_disk_set_deferred(struct ram_disk *d, bool deferred)
{
	d->deferred = deferred;
	d->be.completes_in_submit = !deferred;
}

void ram_disk_fini(struct ram_disk *d)
{
	pthread_mutex_destroy(&d->lock);
	free(d->data);
	d->data = NULL;
}

static size_t capture_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct capture_chr *c = ctx;

	if (len > c->budget)
		len = c->budget;
	if (len > CAPTURE_MAX - c->len)
		len = CAPTURE_MAX - c->len;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	if (c->budget != SIZE_MAX)
		c->budget -= len;
	return len;
}

void capture_chr_init(struct capture_chr *c)
{
	memset(c, 0, sizeof(*c));
	c->be.ctx = c;
	c->be.write = capture_write;
	c->budget = SIZE_MAX;
}

static void *lookup(const char *name, const struct binding *table)
{
	for (unsigned i = 0; i < MAX_BINDINGS; i++)
		if (table[i].name && strcmp(table[i].name, name) == 0)
			return table[i].backend;
	return NULL;
}

static void bind(const char *name, void *backend, struct binding *table)
{
	for (unsigned i = 0; i < MAX_BINDINGS; i++)
		if (!table[i].name) {
			table[i].name = name;
			table[i].backend = backend;
			return;
		}
	abort();
}

static const struct ax_block_backend *lookup_block(void *ctx, const char *name)
{
	struct ram_disk *d = lookup(name, block_bindings);

	(void)ctx;
	return d ? &d->be : NULL;
}

static const struct ax_char_backend *lookup_char(void *ctx, const char *name)
{
	struct capture_chr *c = lookup(name, char_bindings);

	(void)ctx;
	return c ? &c->be : NULL;
}

void backends_install(struct test_host *host)
{
	host->hooks.block_backend = lookup_block;
	host->hooks.char_backend = lookup_char;
}

void backends_bind_block(const char *name, struct ram_disk *d)
{
	bind(name, d, block_bindings);
}

void backends_bind_char(const char *name, struct capture_chr *c)
{
	bind(name, c, char_bindings);
}

void backends_clear(void)
{
	memset(block_bindings, 0, sizeof(block_bindings));
	memset(char_bindings, 0, sizeof(char_bindings));
}
