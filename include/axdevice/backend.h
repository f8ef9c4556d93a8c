/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backends: where device models send bytes and blocks. The host binds them
 * to devices by config name (see struct ax_host_hooks).
 */
#ifndef AXDEVICE_BACKEND_H
#define AXDEVICE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Character stream (console output). Input is pushed by the host into the device model. */
struct ax_char_backend {
	void *ctx;
	/* Guest output; returns how many bytes were taken (fewer means backpressure). */
	size_t (*write)(void *ctx, const uint8_t *buf, size_t len);
};

enum ax_block_op {
	AX_BLOCK_READ = 0,
	AX_BLOCK_WRITE,
	AX_BLOCK_FLUSH,
	AX_BLOCK_DISCARD,
	AX_BLOCK_WRITE_ZEROES,
};

struct ax_iovec {
	void *base;
	size_t len;
};

/*
 * One block request. The device fills it and submits it; the backend calls
 * complete() exactly once, either before submit returns (synchronous
 * backends) or later from any thread (asynchronous ones such as io_uring).
 * The request and its buffers stay valid until complete() is called.
 * Inside submit() the device holds its lock: complete() may be called
 * there for that request only, never for another one (that would
 * deadlock); complete other requests from outside submit().
 */
struct ax_block_request {
	enum ax_block_op op;
	uint64_t offset; /* bytes; a multiple of 512 */
	uint64_t length; /* bytes; for READ/WRITE the sum of the iovecs */
	const struct ax_iovec *iov;
	uint32_t iovcnt;
	bool unmap; /* WRITE_ZEROES: the backend may deallocate */
	void (*complete)(struct ax_block_request *req, enum ax_err err);
	void *opaque; /* the device's */
};

struct ax_block_backend {
	void *ctx;
	uint64_t capacity; /* bytes; a multiple of 512 */
	bool read_only;
	bool can_discard;
	bool can_write_zeroes;
	/* Returns OK once the request is accepted (completion follows), else an error and no
	 * completion. */
	enum ax_err (*submit)(void *ctx, struct ax_block_request *req);
};

#endif
