/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The io_uring block engine (liburing): submit() turns a request into one
 * SQE (READV/WRITEV on the request's iovecs, FSYNC with DATASYNC for FLUSH,
 * FALLOCATE for DISCARD and WRITE_ZEROES) and returns; the engine's own
 * thread reaps the completions and calls req->complete(), never inside
 * anyone's submit(). A buffered READ or WRITE the page cache can serve at
 * once (RWF_NOWAIT; a small buffered write where the file system has no
 * RWF_NOWAIT writes, as io_uring would only run it on a worker thread) is
 * done inside submit() and completed there instead. Up to `depth` requests are
 * in the kernel at once; more wait in a FIFO of the engine's and go in as completions make room, so
 * submit() never blocks on the ring and never drops a request.
 */
#ifndef AXVM_URING_H
#define AXVM_URING_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/disk.h"

/* The ring's size: more than one virtio-blk queue's worth (128 by default). */
#define AXVM_URING_DEPTH 256u

struct axvm_uring_stats {
	unsigned long long inflight;	 /* accepted, complete() not yet returned */
	unsigned long long inflight_max; /* most SQEs in the kernel at once */
	unsigned long long queued_max;	 /* most requests waiting in the FIFO at once */
	unsigned long long resubmits;	 /* short transfers continued, EAGAIN/EINTR retried */
	unsigned long long fallbacks;	 /* O_DIRECT EINVAL retried buffered */
	unsigned long long inlined;	 /* done whole by the RWF_NOWAIT fast path */
};

/*
 * Sets the ring up and starts the reaper thread; points d->block at the
 * engine and sets d->uring. -1 with `why` (io_uring missing or refused, an
 * opcode the kernel lacks, no thread) and d untouched.
 */
int axvm_uring_start(struct axvm_disk *d, unsigned depth, char *why, size_t cap);
/* Waits for every request accepted to complete, stops the thread, frees. NULL is fine. */
void axvm_uring_stop(struct axvm_uring *u);

void axvm_uring_get_stats(const struct axvm_uring *u, struct axvm_uring_stats *out);
/* Turns the fast path of buffered READs and WRITEs on (the default) or off (tests: every
 * request through the ring). */
void axvm_uring_set_inline(struct axvm_uring *u, bool on);
/* " inline=N inflight_max=N queued_max=N resubmits=N fallbacks=N" (note the leading space). */
int axvm_uring_format_stats(const struct axvm_uring *u, char *buf, size_t len);

#endif
