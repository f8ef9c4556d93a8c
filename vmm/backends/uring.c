/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The io_uring engine (see uring.h). One lock guards the submission side
 * (SQ, FIFO, op pool, counts) and the reaping of CQEs; it is never held
 * while complete() runs, since complete() takes the device's lock and a
 * vCPU inside submit() holds that one while it waits for ours. The reaper
 * sleeps on an eventfd the ring signals at every CQE (io_uring_register_
 * eventfd), which stop() and a failed submission also write to wake it.
 *
 * Each request is one op of the engine's pool, which carries what the
 * kernel needs and what a continuation needs: a private copy of the iovecs
 * (advanced past what a short transfer moved), the next offset, the bytes
 * left, and the step of a multi-step request (WRITE_ZEROES: punch a hole,
 * else zero the range, else write zeroes). The guest sees the request
 * complete once, after the last step.
 *
 * FLUSH: virtio 1.2 (virtio-blk, device operation) makes a write stable
 * once it has completed and a FLUSH submitted after that completion has
 * completed; a write still in flight when the FLUSH arrives is promised
 * nothing. A write completes to the device only once the kernel has taken
 * all its bytes (its CQE reaped, or pwritev2 returned on the fast path; in
 * the page cache, or on the device for O_DIRECT), so a fdatasync submitted
 * afterwards covers it, and the FLUSH goes in at once with no
 * IOSQE_IO_DRAIN: draining the writes in flight would only delay the flush
 * for writes the guest has not yet been told about.
 */
#include "backends/uring.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ZERO_CHUNK	 65536u
#define ZERO_IOVS	 16u /* one zero-writing SQE: up to 1 MiB */
#define PUNCH_HOLE	 (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define ZERO_RANGE	 (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)
#define RETRY_DELAY	 1000000L /* ns: a submission the kernel refused is tried again after */
#define INLINE_IOVS	 64u /* the fast path copies the iovecs on the stack: up to this many */
#define INLINE_WRITE_MAX (256u << 10) /* the fast path's plain pwritev: up to this many bytes */

static const uint8_t zeros[ZERO_CHUNK];

enum step {
	STEP_RW,	 /* READV / WRITEV of the request's iovecs */
	STEP_FLUSH,	 /* FSYNC, DATASYNC */
	STEP_DISCARD,	 /* FALLOCATE punching a hole */
	STEP_PUNCH,	 /* WRITE_ZEROES with unmap: a hole, else ... */
	STEP_ZERO_RANGE, /* ... a zeroed range, else ... */
	STEP_ZERO_WRITE, /* ... zeroes written, 1 MiB per SQE */
};

struct op {
	struct ax_block_request *req;
	struct op *next; /* the free list, the FIFO or a list of finished ops */
	struct op *all;	 /* every op of the pool, to free them */
	enum step step;
	bool write;
	int fd;
	int err;	 /* errno of the failure; 0 */
	uint64_t offset; /* of the next transfer */
	uint64_t left;	 /* bytes still to move (STEP_RW, STEP_ZERO_WRITE) */
	struct iovec *iov;
	uint32_t iov_cap, first, count; /* iov[first, first + count) still to move */
};

struct axvm_uring {
	struct axvm_disk *d;
	struct io_uring ring;
	int efd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* outstanding dropped to 0 */
	unsigned depth;
	unsigned in_ring;	   /* SQEs prepared and not yet reaped */
	unsigned long outstanding; /* accepted; complete() not yet returned */
	unsigned long queued;	   /* in the FIFO */
	bool stopping;
	struct op *free_ops, *all_ops;
	struct op *fifo_head, **fifo_tail;
	atomic_bool inline_reads, inline_writes; /* the fast path (try_inline), per direction */
	atomic_bool nowait_writes;		 /* the file system takes RWF_NOWAIT writes */
	_Atomic unsigned long long inflight_max, queued_max, resubmits, fallbacks, inlined;
	_Atomic unsigned long long outstanding_now;
};

static void raise_max(_Atomic unsigned long long *max, unsigned long long v)
{
	if (v > atomic_load_explicit(max, memory_order_relaxed))
		atomic_store_explicit(max, v, memory_order_relaxed);
}

static void bump(_Atomic unsigned long long *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void wake(struct axvm_uring *u)
{
	uint64_t one = 1;

	while (write(u->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* An op of the pool with room for `iovcnt` iovecs, or NULL. Locked. */
static struct op *op_get(struct axvm_uring *u, uint32_t iovcnt)
{
	struct op *op = u->free_ops;

	if (!op) {
		op = calloc(1, sizeof(*op));
		if (!op)
			return NULL;
		op->all = u->all_ops;
		u->all_ops = op;
	} else {
		u->free_ops = op->next;
	}
	if (iovcnt > op->iov_cap) {
		struct iovec *iov = realloc(op->iov, iovcnt * sizeof(*iov));

		if (!iov) {
			op->next = u->free_ops;
			u->free_ops = op;
			return NULL;
		}
		op->iov = iov;
		op->iov_cap = iovcnt;
	}
	return op;
}

/* The op's next SQE; false if the SQ has no room (the caller keeps the op). Locked. */
static bool prep(struct axvm_uring *u, struct op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe)
		return false;
	switch (op->step) {
	case STEP_RW:
		if (op->write)
			io_uring_prep_writev(sqe, op->fd, op->iov + op->first, op->count,
					     op->offset);
		else
			io_uring_prep_readv(sqe, op->fd, op->iov + op->first, op->count,
					    op->offset);
		break;
	case STEP_FLUSH:
		io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC);
		break;
	case STEP_DISCARD:
	case STEP_PUNCH:
		io_uring_prep_fallocate(sqe, op->fd, PUNCH_HOLE, (off_t)op->req->offset,
					(off_t)op->req->length);
		break;
	case STEP_ZERO_RANGE:
		io_uring_prep_fallocate(sqe, op->fd, ZERO_RANGE, (off_t)op->req->offset,
					(off_t)op->req->length);
		break;
	case STEP_ZERO_WRITE: {
		uint64_t left = op->left;

		op->first = op->count = 0;
		while (left && op->count < ZERO_IOVS) {
			size_t n = left < ZERO_CHUNK ? (size_t)left : ZERO_CHUNK;

			op->iov[op->count++] = (struct iovec){ (void *)zeros, n };
			left -= n;
		}
		io_uring_prep_writev(sqe, op->fd, op->iov, op->count, op->offset);
		break;
	}
	}
	io_uring_sqe_set_data(sqe, op);
	u->in_ring++;
	raise_max(&u->inflight_max, u->in_ring);
	return true;
}

/* Into the ring if there is room and nobody waits before it, else to the FIFO. Locked. */
static void start(struct axvm_uring *u, struct op *op)
{
	if (!u->fifo_head && u->in_ring < u->depth && prep(u, op))
		return;
	op->next = NULL;
	*u->fifo_tail = op;
	u->fifo_tail = &op->next;
	u->queued++;
	raise_max(&u->queued_max, u->queued);
}

/* Moves FIFO ops into the ring while it has room. Locked. */
static void refill(struct axvm_uring *u)
{
	while (u->fifo_head && u->in_ring < u->depth) {
		struct op *op = u->fifo_head;

		if (!prep(u, op))
			return;
		u->fifo_head = op->next;
		if (!u->fifo_head)
			u->fifo_tail = &u->fifo_head;
		u->queued--;
	}
}

/*
 * Hands the prepared SQEs to the kernel. What it refuses (EAGAIN, EBUSY: out of
 * resources for now) stays in the SQ: the reaper is woken to try again. Locked.
 */
static void flush_sq(struct axvm_uring *u)
{
	int rc;

	if (!io_uring_sq_ready(&u->ring))
		return;
	do
		rc = io_uring_submit(&u->ring);
	while (rc == -EINTR);
	if (io_uring_sq_ready(&u->ring))
		wake(u);
}

/* Skips `n` bytes a short transfer moved. */
static void advance(struct op *op, uint64_t n)
{
	while (n && op->count) {
		struct iovec *v = &op->iov[op->first];

		if (n < v->iov_len) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= (size_t)n;
			return;
		}
		n -= v->iov_len;
		op->first++;
		op->count--;
	}
}

/* One CQE of `op`: true if the request is finished (op->err says how), false if it went
 * back in for its next step. Locked. */
static bool reaped(struct axvm_uring *u, struct op *op, int res)
{
	struct axvm_disk *d = u->d;

	if (res == -EAGAIN || res == -EINTR) { /* nothing happened: the same SQE again */
		bump(&u->resubmits);
		start(u, op);
		return false;
	}
	switch (op->step) {
	case STEP_RW:
		if (res == -EINVAL && op->fd == d->direct_fd) { /* O_DIRECT said no: buffered */
			bump(&u->fallbacks);
			op->fd = d->fd;
			start(u, op);
			return false;
		}
		/* fall through */
	case STEP_ZERO_WRITE:
		if (res <= 0) {
			op->err = res < 0 ? -res : EIO; /* 0: end of file, the image shrank */
			return true;
		}
		if ((uint64_t)res >= op->left) {
			if (op->step == STEP_RW && op->fd == d->direct_fd)
				bump(&d->direct_ops);
			return true;
		}
		op->left -= (uint64_t)res;
		op->offset += (uint64_t)res;
		if (op->step == STEP_RW)
			advance(op, (uint64_t)res);
		bump(&u->resubmits);
		start(u, op);
		return false;
	case STEP_PUNCH:
	case STEP_ZERO_RANGE:
		if (res == 0)
			return true;
		/* the file system cannot: the next way of making zeroes */
		if (op->step == STEP_PUNCH) {
			op->step = STEP_ZERO_RANGE;
		} else {
			op->step = STEP_ZERO_WRITE;
			op->offset = op->req->offset;
			op->left = op->req->length;
		}
		start(u, op);
		return false;
	case STEP_FLUSH:
	case STEP_DISCARD:
		break;
	}
	op->err = res < 0 ? -res : 0;
	return true;
}

/* Takes every CQE there is; finished ops are appended at *tail. Locked. */
static void reap(struct axvm_uring *u, struct op ***tail)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct op *op = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		u->in_ring--;
		if (reaped(u, op, res)) {
			op->next = NULL;
			**tail = op;
			*tail = &op->next;
		}
	}
}

/*
 * -vv traces every request at submit and at completion (tests/vm/crash.sh checks from it
 * that a FLUSH's fdatasync went in after the writes before it had completed, and that it
 * had succeeded before the guest wrote on).
 */
static void trace(const struct axvm_uring *u, const char *what, const struct ax_block_request *req,
		  const char *result)
{
	if (axvm_log_level >= AXVM_LOG_DEBUG)
		axvm_debug("%s: uring: %s %s at byte %llu, %llu bytes%s%s", u->d->device, what,
			   axvm_disk_op_name(req->op), (unsigned long long)req->offset,
			   (unsigned long long)req->length, result ? ": " : "",
			   result ? result : "");
}

/* complete() of each finished op, unlocked; then their ops go back to the pool. */
static void finish(struct axvm_uring *u, struct op *done)
{
	struct op *last = NULL;
	unsigned long n = 0;

	for (struct op *op = done; op; op = op->next) {
		if (op->err)
			axvm_disk_warn(u->d, op->req, op->offset, op->err);
		trace(u, "done", op->req, op->err ? strerror(op->err) : "ok");
		op->req->complete(op->req, op->err ? AX_ERR_IO : AX_OK);
		last = op;
		n++;
	}
	if (!n)
		return;
	pthread_mutex_lock(&u->lock);
	last->next = u->free_ops;
	u->free_ops = done;
	u->outstanding -= n;
	atomic_store_explicit(&u->outstanding_now, u->outstanding, memory_order_relaxed);
	if (!u->outstanding)
		pthread_cond_broadcast(&u->idle);
	pthread_mutex_unlock(&u->lock);
}

static void *reaper(void *arg)
{
	struct axvm_uring *u = arg;
	bool retry = false;

	for (;;) {
		struct op *done = NULL, **tail = &done;
		uint64_t v;
		bool stop;

		if (retry)
			nanosleep(&(struct timespec){ 0, RETRY_DELAY }, NULL);
		else if (read(u->efd, &v, sizeof(v)) < 0 && errno != EINTR)
			nanosleep(&(struct timespec){ 0, RETRY_DELAY }, NULL); /* never spin */
		pthread_mutex_lock(&u->lock);
		reap(u, &tail);
		refill(u);
		flush_sq(u);
		retry = io_uring_sq_ready(&u->ring) != 0;
		pthread_mutex_unlock(&u->lock);
		finish(u, done);
		pthread_mutex_lock(&u->lock);
		stop = u->stopping && !u->outstanding;
		pthread_mutex_unlock(&u->lock);
		if (stop)
			return NULL;
	}
}

/*
 * The fast path of a buffered READ or WRITE, done inside submit() as the
 * synchronous engine would, with the ring getting only what is left:
 *  - preadv2/pwritev2 with RWF_NOWAIT moves what the page cache can without
 *    waiting (a cached read, a write the file system takes at once). Through
 *    the ring, a cached read paid a wake-up of the reaper thread and a
 *    context switch: 10x fewer IOPS than pread on a cached image.
 *  - where the file system refuses RWF_NOWAIT for buffered writes (ext4:
 *    EOPNOTSUPP), a plain pwritev of up to INLINE_WRITE_MAX bytes. io_uring
 *    could only hand such a write to an io-wq worker, and it queues the
 *    buffered writes of one file behind each other on one worker (hashed by
 *    inode), so the ring added two thread hops and no depth: 3x fewer 4 KiB
 *    write IOPS than pwrite. Larger writes still go through the ring.
 * Returns the bytes moved (short: the ring does the rest; 0 also on an error,
 * which the ring meets again and reports).
 */
static uint64_t try_inline(struct axvm_uring *u, const struct ax_block_request *req, uint64_t bytes)
{
	bool write = req->op == AX_BLOCK_WRITE;
	struct iovec iov[INLINE_IOVS];
	int flags = RWF_NOWAIT;
	ssize_t n;

	if (req->iovcnt > INLINE_IOVS ||
	    !atomic_load_explicit(write ? &u->inline_writes : &u->inline_reads,
				  memory_order_relaxed))
		return 0;
	if (write && !atomic_load_explicit(&u->nowait_writes, memory_order_relaxed)) {
		if (bytes > INLINE_WRITE_MAX)
			return 0;
		flags = 0;
	}
	for (uint32_t i = 0; i < req->iovcnt; i++)
		iov[i] = (struct iovec){ req->iov[i].base, req->iov[i].len };
	do
		n = write ? pwritev2(u->d->fd, iov, (int)req->iovcnt, (off_t)req->offset, flags)
			  : preadv2(u->d->fd, iov, (int)req->iovcnt, (off_t)req->offset, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && flags && (errno == EOPNOTSUPP || errno == EINVAL)) { /* never here */
		if (!write)
			atomic_store_explicit(&u->inline_reads, false, memory_order_relaxed);
		else
			atomic_store_explicit(&u->nowait_writes, false, memory_order_relaxed);
	}
	if (n <= 0)
		return 0; /* EAGAIN (it would wait), an error or end of file: the ring says */
	return (uint64_t)n < bytes ? (uint64_t)n : bytes;
}

static enum ax_err uring_submit(void *ctx, struct ax_block_request *req)
{
	struct axvm_uring *u = ctx;
	struct axvm_disk *d = u->d;
	uint64_t bytes = 0, moved = 0;
	uint32_t iovs = 0;
	struct op *op;
	int fd = d->fd;

	axvm_disk_count(d, req);
	switch (req->op) {
	case AX_BLOCK_READ:
	case AX_BLOCK_WRITE:
		for (uint32_t i = 0; i < req->iovcnt; i++)
			bytes += req->iov[i].len;
		iovs = req->iovcnt;
		break;
	case AX_BLOCK_FLUSH:
		bytes = 1; /* has work */
		break;
	case AX_BLOCK_DISCARD:
	case AX_BLOCK_WRITE_ZEROES:
		bytes = req->length;
		iovs = req->op == AX_BLOCK_WRITE_ZEROES ? ZERO_IOVS : 0;
		break;
	default:
		req->complete(req, AX_ERR_UNSUPPORTED);
		return AX_OK;
	}
	if (!bytes) { /* nothing for the kernel to do (fallocate would say EINVAL) */
		req->complete(req, AX_OK);
		return AX_OK;
	}
	trace(u, "submit", req, NULL);
	if (req->op == AX_BLOCK_READ || req->op == AX_BLOCK_WRITE) {
		fd = axvm_disk_fd_for(d, req);
		if (fd == d->fd)
			moved = try_inline(u, req, bytes);
		if (moved == bytes) {
			bump(&u->inlined);
			trace(u, "done", req, "ok");
			req->complete(req, AX_OK);
			return AX_OK;
		}
	}
	pthread_mutex_lock(&u->lock);
	op = op_get(u, iovs);
	if (!op) {
		pthread_mutex_unlock(&u->lock);
		return AX_ERR_NO_MEMORY;
	}
	*op = (struct op){
		.req = req,
		.all = op->all,
		.fd = d->fd,
		.offset = req->offset,
		.left = bytes,
		.iov = op->iov,
		.iov_cap = op->iov_cap,
	};
	switch (req->op) {
	case AX_BLOCK_READ:
	case AX_BLOCK_WRITE:
		op->step = STEP_RW;
		op->write = req->op == AX_BLOCK_WRITE;
		op->fd = fd;
		for (uint32_t i = 0; i < req->iovcnt; i++)
			op->iov[i] = (struct iovec){ req->iov[i].base, req->iov[i].len };
		op->count = req->iovcnt;
		if (moved) { /* the fast path took the start: the ring does the rest */
			advance(op, moved);
			op->offset += moved;
			op->left -= moved;
		}
		break;
	case AX_BLOCK_FLUSH:
		op->step = STEP_FLUSH;
		break;
	case AX_BLOCK_DISCARD:
		op->step = STEP_DISCARD;
		break;
	default:
		op->step = req->unmap ? STEP_PUNCH : STEP_ZERO_RANGE;
		break;
	}
	u->outstanding++;
	atomic_store_explicit(&u->outstanding_now, u->outstanding, memory_order_relaxed);
	refill(u); /* whoever waits in the FIFO goes first */
	start(u, op);
	flush_sq(u);
	pthread_mutex_unlock(&u->lock);
	return AX_OK;
}

/* Whether the kernel has every opcode the engine uses; else `why`. */
static bool opcodes_ok(struct io_uring *ring, char *why, size_t cap)
{
	static const struct {
		int op;
		const char *name;
	} need[] = {
		{ IORING_OP_READV, "READV" },
		{ IORING_OP_WRITEV, "WRITEV" },
		{ IORING_OP_FSYNC, "FSYNC" },
		{ IORING_OP_FALLOCATE, "FALLOCATE" },
	};
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	bool ok = p != NULL;

	if (!p)
		snprintf(why, cap, "io_uring cannot probe its opcodes");
	for (size_t i = 0; ok && i < sizeof(need) / sizeof(need[0]); i++)
		if (!io_uring_opcode_supported(p, need[i].op)) {
			snprintf(why, cap, "io_uring has no %s", need[i].name);
			ok = false;
		}
	io_uring_free_probe(p);
	return ok;
}

int axvm_uring_start(struct axvm_disk *d, unsigned depth, char *why, size_t cap)
{
	struct axvm_uring *u = calloc(1, sizeof(*u));
	sigset_t all, old;
	int rc;

	if (!u) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	u->d = d;
	u->depth = depth;
	u->fifo_tail = &u->fifo_head;
	rc = io_uring_queue_init(depth, &u->ring, 0);
	if (rc < 0) {
		snprintf(why, cap, "io_uring unavailable (io_uring_queue_init: %s)", strerror(-rc));
		free(u);
		return -1;
	}
	u->efd = eventfd(0, EFD_CLOEXEC);
	if (u->efd < 0 || !opcodes_ok(&u->ring, why, cap) ||
	    (rc = io_uring_register_eventfd(&u->ring, u->efd)) < 0) {
		if (u->efd < 0)
			snprintf(why, cap, "eventfd: %s", strerror(errno));
		else if (rc < 0)
			snprintf(why, cap, "io_uring_register_eventfd: %s", strerror(-rc));
		goto fail;
	}
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->idle, NULL);
	/* the reaper takes no signal: SIGINT/SIGTERM stay the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&u->thread, NULL, reaper, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(why, cap, "cannot start the io_uring thread: %s", strerror(rc));
		pthread_cond_destroy(&u->idle);
		pthread_mutex_destroy(&u->lock);
		goto fail;
	}
	atomic_init(&u->inline_reads, true);
	atomic_init(&u->inline_writes, true);
	atomic_init(&u->nowait_writes, true);
	d->uring = u;
	d->block.ctx = u;
	d->block.submit = uring_submit;
	return 0;
fail:
	if (u->efd >= 0)
		close(u->efd);
	io_uring_queue_exit(&u->ring);
	free(u);
	return -1;
}

void axvm_uring_stop(struct axvm_uring *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->stopping = true;
	while (u->outstanding)
		pthread_cond_wait(&u->idle, &u->lock);
	pthread_mutex_unlock(&u->lock);
	wake(u);
	pthread_join(u->thread, NULL);
	io_uring_queue_exit(&u->ring);
	close(u->efd);
	while (u->all_ops) {
		struct op *op = u->all_ops;

		u->all_ops = op->all;
		free(op->iov);
		free(op);
	}
	pthread_cond_destroy(&u->idle);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void axvm_uring_get_stats(const struct axvm_uring *u, struct axvm_uring_stats *out)
{
	out->inflight = atomic_load(&u->outstanding_now);
	out->inflight_max = atomic_load(&u->inflight_max);
	out->queued_max = atomic_load(&u->queued_max);
	out->resubmits = atomic_load(&u->resubmits);
	out->fallbacks = atomic_load(&u->fallbacks);
	out->inlined = atomic_load(&u->inlined);
}

void axvm_uring_set_inline(struct axvm_uring *u, bool on)
{
	atomic_store(&u->inline_reads, on);
	atomic_store(&u->inline_writes, on);
}

int axvm_uring_format_stats(const struct axvm_uring *u, char *buf, size_t len)
{
	struct axvm_uring_stats s;

	axvm_uring_get_stats(u, &s);
	return snprintf(
		buf, len,
		" inline=%llu inflight_max=%llu queued_max=%llu resubmits=%llu fallbacks=%llu",
		s.inlined, s.inflight_max, s.queued_max, s.resubmits, s.fallbacks);
}
