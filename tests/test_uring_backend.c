/* SPDX-License-Identifier: Apache-2.0 */
/*
 * axvm's block backends driven directly, as the virtio-blk model drives
 * them (struct ax_block_backend, tests at the contract): the io_uring engine
 * (vmm/backends/uring.c) above all, and the synchronous one (file.c) on the
 * same checks. The io_uring cases turn its RWF_NOWAIT fast path off (every
 * request through the ring) except test_inline, which checks that path. The image is a temporary
 * file; every result is compared with what pread sees in it.
 *
 * Covered: READ/WRITE/FLUSH/DISCARD/WRITE_ZEROES (with and without unmap)
 * against the file; queue depth (the first completion held in complete()
 * while 31 more are submitted: all accepted, none completed, the kernel
 * holding them together); the engine's FIFO when more requests come than
 * the ring takes (depth 4, 64 requests); short transfers continued (a read
 * across an end of file that moved, a write across RLIMIT_FSIZE) and
 * errors mapped to IOERR (EIO at end of file, EFBIG past the size limit,
 * EBADF on a descriptor that cannot write); O_DIRECT for aligned requests,
 * buffered for unaligned ones, and an O_DIRECT EINVAL retried buffered;
 * zeroes written where the file system cannot zero a range (tmpfs, when
 * /dev/shm is one); closing with requests in flight (waits for every
 * completion); completions on the engine's thread, never the submitter's;
 * a host without io_uring (io_uring_queue_init answering ENOSYS: aio=auto
 * falls back to the synchronous engine, aio=uring is an error); the spec's
 * options and their errors.
 *
 * SKIPs (saying so) where io_uring_queue_init fails (no io_uring, or
 * io_uring disabled), and the O_DIRECT part where the temporary directory's
 * file system refuses O_DIRECT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "backends/backends.h"
#include "backends/disk.h"
#include "backends/uring.h"
#include "config/disk_spec.h"
#include "log.h"

#define IMAGE_SIZE (1u << 20)
#define SECTOR	   512u
#define NREQ	   64

static const char *skip_reason; /* set in main when io_uring is missing */

/*
 * A host without io_uring, on demand: this definition takes the place of liburing's for
 * the whole program, and answers -ENOSYS while `no_uring` is set (else it calls the real
 * one). So the fallback of aio=auto and the error of aio=uring are tested on any host.
 */
static bool no_uring;

int io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags)
{
	int (*real)(unsigned, struct io_uring *, unsigned);

	if (no_uring)
		return -ENOSYS;
	*(void **)&real = dlsym(RTLD_NEXT, "io_uring_queue_init");
	return real ? real(entries, ring, flags) : -ENOSYS;
}

#define SKIP_WITHOUT_URING()                                                                       \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			print_message("SKIP: %s\n", skip_reason);                                  \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* --- completions ------------------------------------------------------------------- */

struct tracker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned done;
	bool hold;	   /* the next completion waits in complete() until released */
	bool holding;	   /* a completion is waiting there now */
	bool other_thread; /* every completion so far ran off the submitter's thread */
	pthread_t submitter;
};

static struct tracker tr = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

struct treq {
	struct ax_block_request br;
	struct ax_iovec iov[4];
	enum ax_err err;
	bool completed;
};

static void on_complete(struct ax_block_request *br, enum ax_err err)
{
	struct treq *r = (struct treq *)br;

	pthread_mutex_lock(&tr.lock);
	if (pthread_equal(pthread_self(), tr.submitter))
		tr.other_thread = false;
	r->err = err;
	r->completed = true;
	tr.done++;
	pthread_cond_broadcast(&tr.cond);
	if (tr.hold) {
		tr.hold = false;
		tr.holding = true;
		pthread_cond_broadcast(&tr.cond);
		while (tr.holding)
			pthread_cond_wait(&tr.cond, &tr.lock);
	}
	pthread_mutex_unlock(&tr.lock);
}

static void tracker_reset(void)
{
	pthread_mutex_lock(&tr.lock);
	tr.done = 0;
	tr.hold = tr.holding = false;
	tr.other_thread = true;
	tr.submitter = pthread_self();
	pthread_mutex_unlock(&tr.lock);
}

static void wait_done(unsigned n)
{
	pthread_mutex_lock(&tr.lock);
	while (tr.done < n)
		pthread_cond_wait(&tr.cond, &tr.lock);
	pthread_mutex_unlock(&tr.lock);
}

static unsigned done_count(void)
{
	unsigned n;

	pthread_mutex_lock(&tr.lock);
	n = tr.done;
	pthread_mutex_unlock(&tr.lock);
	return n;
}

static bool other_thread(void)
{
	bool b;

	pthread_mutex_lock(&tr.lock);
	b = tr.other_thread;
	pthread_mutex_unlock(&tr.lock);
	return b;
}

static void wait_holding(void)
{
	pthread_mutex_lock(&tr.lock);
	while (!tr.holding)
		pthread_cond_wait(&tr.cond, &tr.lock);
	pthread_mutex_unlock(&tr.lock);
}

static void release_hold(void)
{
	pthread_mutex_lock(&tr.lock);
	tr.holding = false;
	pthread_cond_broadcast(&tr.cond);
	pthread_mutex_unlock(&tr.lock);
}

/* --- the image and the backend ---------------------------------------------------- */

static char path[256];
static int check_fd = -1; /* the test's own view of the image */
static struct axvm_backends bs;

static uint8_t pattern_byte(uint64_t offset)
{
	return (uint8_t)(offset * 131u + (offset >> 9) * 7u + 1u);
}

/* A fresh image of `size` bytes of pattern in `dir`. */
static void make_image(const char *dir, size_t size)
{
	uint8_t *buf = malloc(size);

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/axvm-uring-XXXXXX", dir);
	check_fd = mkstemp(path);
	assert_true(check_fd >= 0);
	for (size_t i = 0; i < size; i++)
		buf[i] = pattern_byte(i);
	assert_int_equal(pwrite(check_fd, buf, size, 0), (ssize_t)size);
	free(buf);
}

static struct axvm_disk *open_spec(const char *options)
{
	char err[AXVM_ERR_MAX], disk[AXVM_SPEC_MAX];

	snprintf(disk, sizeof(disk), "%s%s", path, options);
	if (axvm_backends_open_disk(&bs, "vblk", disk, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_non_null(axvm_backends_block(&bs, "vblk"));
	tracker_reset();
	return bs.items[0].disk;
}

static void close_all(void)
{
	axvm_backends_close(&bs);
	if (check_fd >= 0) {
		close(check_fd);
		unlink(path);
	}
	check_fd = -1;
}

static int teardown(void **state)
{
	(void)state;
	close_all();
	return 0;
}

static const struct ax_block_backend *be(void)
{
	return axvm_backends_block(&bs, "vblk");
}

static void submit(struct treq *r, enum ax_block_op op, uint64_t offset, void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->br.op = op;
	r->br.offset = offset;
	r->br.length = len;
	r->br.complete = on_complete;
	if (buf && (op == AX_BLOCK_READ || op == AX_BLOCK_WRITE)) {
		r->iov[0] = (struct ax_iovec){ buf, len };
		r->br.iov = r->iov;
		r->br.iovcnt = 1;
	}
	assert_int_equal(be()->submit(be()->ctx, &r->br), AX_OK);
}

/* One request, waited for; its result. */
static enum ax_err run(enum ax_block_op op, uint64_t offset, void *buf, size_t len)
{
	struct treq r;
	unsigned before = done_count();

	submit(&r, op, offset, buf, len);
	wait_done(before + 1);
	assert_true(r.completed);
	return r.err;
}

static enum ax_err run_zeroes(uint64_t offset, size_t len, bool unmap)
{
	struct treq r;
	unsigned before = done_count();

	memset(&r, 0, sizeof(r));
	r.br.op = AX_BLOCK_WRITE_ZEROES;
	r.br.offset = offset;
	r.br.length = len;
	r.br.unmap = unmap;
	r.br.complete = on_complete;
	assert_int_equal(be()->submit(be()->ctx, &r.br), AX_OK);
	wait_done(before + 1);
	assert_true(r.completed);
	return r.err;
}

static void expect_file(uint64_t offset, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);

	assert_non_null(got);
	assert_int_equal(pread(check_fd, got, len, (off_t)offset), (ssize_t)len);
	assert_memory_equal(got, want, len);
	free(got);
}

static void expect_zeroes(uint64_t offset, size_t len)
{
	uint8_t *z = calloc(1, len);

	assert_non_null(z);
	expect_file(offset, z, len);
	free(z);
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed ^ (i * 29u));
}

/* io_uring: every request through the ring (no RWF_NOWAIT fast path), so that the ring's
 * behaviour is what the test sees; nothing for the synchronous engine. */
static void ring_only(void)
{
	if (bs.items[0].disk->uring)
		axvm_uring_set_inline(bs.items[0].disk->uring, false);
}

static void stats(struct axvm_uring_stats *s)
{
	assert_non_null(bs.items[0].disk->uring);
	axvm_uring_get_stats(bs.items[0].disk->uring, s);
}

/* --- correctness ------------------------------------------------------------------- */

/* Every op on an engine: `options` picks it. */
static void check_ops(const char *options, const char *aio)
{
	static uint8_t buf[3 * 4096], back[3 * 4096];
	char line[320];

	open_spec(options);
	ring_only();
	assert_int_equal(be()->capacity, IMAGE_SIZE);
	/* READ of the pattern */
	assert_int_equal(run(AX_BLOCK_READ, 8192, buf, sizeof(buf)), AX_OK);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], pattern_byte(8192 + i));
	/* WRITE, then FLUSH, then the file and a READ agree */
	fill(buf, sizeof(buf), 0x5a);
	assert_int_equal(run(AX_BLOCK_WRITE, 65536, buf, sizeof(buf)), AX_OK);
	assert_int_equal(run(AX_BLOCK_FLUSH, 0, NULL, 0), AX_OK);
	expect_file(65536, buf, sizeof(buf));
	assert_int_equal(run(AX_BLOCK_READ, 65536, back, sizeof(back)), AX_OK);
	assert_memory_equal(back, buf, sizeof(buf));
	/* a read in three segments */
	{
		struct treq r;
		unsigned before = done_count();

		memset(back, 0, sizeof(back));
		memset(&r, 0, sizeof(r));
		r.br.op = AX_BLOCK_READ;
		r.br.offset = 65536;
		r.br.length = sizeof(back);
		r.iov[0] = (struct ax_iovec){ back + 4096, 4096 };
		r.iov[1] = (struct ax_iovec){ back, 512 };
		r.iov[2] = (struct ax_iovec){ back + 512, 3584 + 4096 };
		r.br.iov = r.iov;
		r.br.iovcnt = 3;
		r.br.complete = on_complete;
		assert_int_equal(be()->submit(be()->ctx, &r.br), AX_OK);
		wait_done(before + 1);
		assert_int_equal(r.err, AX_OK);
		assert_memory_equal(back + 4096, buf, 4096);
		assert_memory_equal(back, buf + 4096, 512);
		assert_memory_equal(back + 512, buf + 4608, 3584 + 4096);
	}
	/* DISCARD: a hole, reading zeroes; WRITE_ZEROES with and without unmap */
	assert_int_equal(run(AX_BLOCK_DISCARD, 65536, NULL, 8192), AX_OK);
	expect_zeroes(65536, 8192);
	expect_file(65536 + 8192, buf + 8192, 4096);
	assert_int_equal(run_zeroes(131072, 4096, true), AX_OK);
	expect_zeroes(131072, 4096);
	assert_int_equal(run_zeroes(200704, 3 * 512, false), AX_OK);
	expect_zeroes(200704, 3 * 512);
	{
		uint8_t p = 0;

		assert_int_equal(pread(check_fd, &p, 1, 200704 + 3 * 512), 1);
		assert_int_equal(p, pattern_byte(200704 + 3 * 512));
	}
	/* counters: the --stats line names the engine */
	assert_true(axvm_backends_format_ops(&bs, "vblk", line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "reads=3 writes=1 flushes=1 discards=1 write_zeroes=2"));
	assert_non_null(strstr(line, aio));
	/* io_uring completes on its own thread; the synchronous engine inside submit */
	assert_int_equal(other_thread(), strcmp(aio, "aio=uring") == 0);
}

static void test_ops_uring(void **state)
{
	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	check_ops("", "aio=uring"); /* the default */
	close_all();
	make_image("/tmp", IMAGE_SIZE);
	check_ops(",aio=uring", "aio=uring");
}

static void test_ops_sync(void **state)
{
	(void)state;
	make_image("/tmp", IMAGE_SIZE);
	check_ops(",aio=sync", "aio=sync");
}

/* The fast path: a cached read and a small buffered write are done inside submit, on the
 * submitter's thread; the data is the same. */
static void test_inline(void **state)
{
	static uint8_t buf[8192];
	struct axvm_uring_stats s;

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	open_spec("");
	assert_int_equal(run(AX_BLOCK_READ, 8192, buf, sizeof(buf)), AX_OK); /* just written */
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], pattern_byte(8192 + i));
	stats(&s);
	assert_int_equal(s.inlined, 1);
	assert_false(other_thread());
	/* writes: RWF_NOWAIT where the file system takes it, else (ext4) the first one finds out
	 * and the next ones are plain pwritev inside submit */
	fill(buf, sizeof(buf), 0x42);
	assert_int_equal(run(AX_BLOCK_WRITE, 16384, buf, sizeof(buf)), AX_OK);
	fill(buf, sizeof(buf), 0x43);
	assert_int_equal(run(AX_BLOCK_WRITE, 32768, buf, sizeof(buf)), AX_OK);
	assert_int_equal(run(AX_BLOCK_FLUSH, 0, NULL, 0), AX_OK); /* through the ring */
	expect_file(32768, buf, sizeof(buf));
	fill(buf, sizeof(buf), 0x42);
	expect_file(16384, buf, sizeof(buf));
	stats(&s);
	assert_true(s.inlined >= 2);
	print_message("inline: %llu of 3 transfers done inside submit\n", s.inlined);
}

/* --- depth ------------------------------------------------------------------------------ */

static void test_depth(void **state)
{
	static struct treq r[32];
	static uint8_t bufs[32][4096];
	struct axvm_uring_stats s;

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	open_spec("");
	ring_only();
	pthread_mutex_lock(&tr.lock);
	tr.hold = true;
	pthread_mutex_unlock(&tr.lock);
	submit(&r[0], AX_BLOCK_READ, 0, bufs[0], 4096);
	wait_holding(); /* the engine's thread sits in the first complete() */
	for (unsigned i = 1; i < 32; i++)
		submit(&r[i], AX_BLOCK_READ, (uint64_t)i * 8192, bufs[i], 4096);
	/* all 32 accepted; only the held one has been completed */
	assert_int_equal(done_count(), 1);
	stats(&s);
	assert_int_equal(s.inflight, 32);
	/* 31 went into the kernel while nobody reaped: they were there together */
	assert_true(s.inflight_max >= 31);
	print_message("depth: 32 accepted, %llu in the kernel at once\n", s.inflight_max);
	release_hold();
	wait_done(32);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(r[i].err, AX_OK);
		for (unsigned j = 0; j < 4096; j += 511)
			assert_int_equal(bufs[i][j], pattern_byte((uint64_t)i * 8192 + j));
	}
	stats(&s);
	assert_int_equal(s.inflight, 0);
}

/* More requests than the ring holds: the rest wait in the engine's FIFO, none lost. */
static void test_fifo(void **state)
{
	static struct treq r[NREQ];
	static uint8_t bufs[NREQ][1024];
	struct axvm_disk *d;
	struct axvm_uring_stats s;
	char why[128];

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	d = open_spec(",aio=sync");
	assert_null(d->uring);
	assert_int_equal(axvm_uring_start(d, 4, why, sizeof(why)), 0); /* a 4-entry ring */
	ring_only();
	pthread_mutex_lock(&tr.lock);
	tr.hold = true;
	pthread_mutex_unlock(&tr.lock);
	for (unsigned i = 0; i < NREQ; i++) {
		fill(bufs[i], sizeof(bufs[i]), (uint8_t)i);
		submit(&r[i], AX_BLOCK_WRITE, (uint64_t)i * 4096, bufs[i], sizeof(bufs[i]));
		if (i == 0)
			wait_holding();
	}
	stats(&s);
	assert_true(s.inflight_max <= 4);
	assert_true(s.queued_max >= NREQ - 1 - 4);
	release_hold();
	wait_done(NREQ);
	for (unsigned i = 0; i < NREQ; i++) {
		assert_int_equal(r[i].err, AX_OK);
		expect_file((uint64_t)i * 4096, bufs[i], sizeof(bufs[i]));
	}
}

/* --- short transfers and errors ----------------------------------------------------------- */

static void test_short_read_eof(void **state)
{
	static uint8_t buf[8192];
	struct axvm_uring_stats s;
	const off_t end = IMAGE_SIZE - 8192 + 3000; /* the image shrinks under the backend */

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	open_spec("");
	ring_only();
	assert_int_equal(ftruncate(check_fd, end), 0);
	memset(buf, 0xee, sizeof(buf));
	/* 3000 bytes come, then end of file: IOERR, the part before EOF read in place */
	assert_int_equal(run(AX_BLOCK_READ, IMAGE_SIZE - 8192, buf, sizeof(buf)), AX_ERR_IO);
	for (unsigned i = 0; i < 3000; i++)
		assert_int_equal(buf[i], pattern_byte(IMAGE_SIZE - 8192 + i));
	stats(&s);
	assert_true(s.resubmits >= 1); /* the short read was continued, not taken as done */
}

static void test_short_write_fsize(void **state)
{
	static uint8_t buf[8192];
	struct axvm_uring_stats s;
	struct rlimit old, lim;
	const uint64_t at = 65536, limit = at + 4096 + 1000;

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	open_spec("");
	ring_only();
	fill(buf, sizeof(buf), 0x33);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	/* 5096 bytes go in, then EFBIG: a short write continued, then an error */
	assert_int_equal(run(AX_BLOCK_WRITE, at, buf, sizeof(buf)), AX_ERR_IO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	expect_file(at, buf, limit - at);
	{
		uint8_t p = 0;

		assert_int_equal(pread(check_fd, &p, 1, (off_t)limit), 1);
		assert_int_equal(p, pattern_byte(limit)); /* nothing past the limit */
	}
	stats(&s);
	assert_true(s.resubmits >= 1);
}

static void test_error_ebadf(void **state)
{
	static uint8_t buf[4096];
	struct axvm_disk *d;
	int ro, saved;

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	d = open_spec("");
	/* the image's descriptor becomes a read-only one: writes fail with EBADF */
	saved = dup(d->fd);
	ro = open(path, O_RDONLY);
	assert_true(saved >= 0 && ro >= 0);
	assert_true(dup2(ro, d->fd) >= 0);
	assert_int_equal(run(AX_BLOCK_WRITE, 4096, buf, sizeof(buf)), AX_ERR_IO);
	assert_int_equal(run(AX_BLOCK_DISCARD, 4096, NULL, 4096), AX_ERR_IO);
	assert_int_equal(run(AX_BLOCK_READ, 4096, buf, sizeof(buf)), AX_OK);
	assert_true(dup2(saved, d->fd) >= 0);
	close(saved);
	close(ro);
	assert_int_equal(run(AX_BLOCK_WRITE, 4096, buf, sizeof(buf)), AX_OK);
}

/* --- O_DIRECT ------------------------------------------------------------------------ */

static void test_direct(void **state)
{
	uint8_t *mem, *buf;
	struct axvm_disk *d;
	struct axvm_uring_stats s;
	unsigned long long before;
	uint32_t align;

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	d = open_spec(",direct=on");
	if (d->direct_fd < 0) {
		print_message("SKIP: /tmp's file system refuses O_DIRECT\n");
		skip();
	}
	assert_int_equal(posix_memalign((void **)&mem, 4096, 3 * 4096), 0);
	/* aligned: O_DIRECT */
	fill(mem, 8192, 0x11);
	assert_int_equal(run(AX_BLOCK_WRITE, 16384, mem, 8192), AX_OK);
	assert_int_equal(atomic_load(&d->direct_ops), 1);
	expect_file(16384, mem, 8192);
	/* unaligned buffer: buffered, the same bytes back (the page cache and the disk agree) */
	buf = mem + 8; /* 8-byte aligned only */
	memset(buf, 0, 8192);
	assert_int_equal(run(AX_BLOCK_READ, 16384, buf, 8192), AX_OK);
	assert_int_equal(atomic_load(&d->direct_ops), 1);
	for (unsigned i = 0; i < 8192; i++)
		assert_int_equal(buf[i], (uint8_t)(0x11 ^ (i * 29u)));
	/* a buffered write, then an O_DIRECT read of it */
	fill(buf, 4096, 0x77);
	assert_int_equal(run(AX_BLOCK_WRITE, 32768, buf, 4096), AX_OK);
	memset(mem, 0, 4096);
	assert_int_equal(run(AX_BLOCK_READ, 32768, mem, 4096), AX_OK);
	assert_int_equal(atomic_load(&d->direct_ops), 2);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(mem[i], (uint8_t)(0x77 ^ (i * 29u)));
	/* O_DIRECT refuses (the engine thought 1-byte buffers were fine): retried buffered */
	before = atomic_load(&d->direct_ops);
	align = d->mem_align;
	d->mem_align = 1;
	memset(buf, 0, 4096);
	assert_int_equal(run(AX_BLOCK_READ, 32768, buf, 4096), AX_OK);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(buf[i], (uint8_t)(0x77 ^ (i * 29u)));
	stats(&s);
	assert_true(s.fallbacks >= 1);
	assert_int_equal(atomic_load(&d->direct_ops), before);
	d->mem_align = align;
	assert_int_equal(run(AX_BLOCK_FLUSH, 0, NULL, 0), AX_OK);
	free(mem);
}

/* tmpfs zeroes no range (ZERO_RANGE: EOPNOTSUPP): zeroes are written, 1 MiB per SQE. */
static void test_zeroes_written(void **state)
{
	struct statfs fs;
	struct axvm_uring_stats s;

	(void)state;
	SKIP_WITHOUT_URING();
	if (statfs("/dev/shm", &fs) != 0 || fs.f_type != 0x01021994 /* TMPFS_MAGIC */) {
		print_message("SKIP: /dev/shm is no tmpfs: cannot make ZERO_RANGE fail\n");
		skip();
	}
	make_image("/dev/shm", 4u << 20);
	open_spec("");
	assert_int_equal(run_zeroes(512, (3u << 20) - 1024, false), AX_OK);
	expect_zeroes(512, (3u << 20) - 1024);
	{
		uint8_t p[2];

		assert_int_equal(pread(check_fd, &p[0], 1, 511), 1);
		assert_int_equal(pread(check_fd, &p[1], 1, (3u << 20) - 512), 1);
		assert_int_equal(p[0], pattern_byte(511));
		assert_int_equal(p[1], pattern_byte((3u << 20) - 512));
	}
	stats(&s);
	assert_true(s.resubmits >= 2); /* three 1 MiB writes: two continuations */
}

/* --- closing with requests in flight -------------------------------------------------- */

static void test_close_in_flight(void **state)
{
	static struct treq r[NREQ];
	static uint8_t bufs[NREQ][4096];

	(void)state;
	SKIP_WITHOUT_URING();
	make_image("/tmp", IMAGE_SIZE);
	open_spec("");
	ring_only();
	for (unsigned i = 0; i < NREQ; i++) {
		fill(bufs[i], sizeof(bufs[i]), (uint8_t)(i + 1));
		submit(&r[i], i % 2 ? AX_BLOCK_WRITE : AX_BLOCK_READ, (uint64_t)i * 8192, bufs[i],
		       sizeof(bufs[i]));
	}
	axvm_backends_close(&bs); /* returns once every request has completed */
	assert_int_equal(done_count(), NREQ);
	for (unsigned i = 0; i < NREQ; i++) {
		assert_true(r[i].completed);
		assert_int_equal(r[i].err, AX_OK);
		if (i % 2)
			expect_file((uint64_t)i * 8192, bufs[i], sizeof(bufs[i]));
	}
}

/* --- without io_uring ---------------------------------------------------------------- */

static void test_no_uring(void **state)
{
	char err[AXVM_ERR_MAX], disk[AXVM_SPEC_MAX];
	char line[320];
	struct axvm_disk *d;

	(void)state;
	make_image("/tmp", IMAGE_SIZE);
	no_uring = true;
	d = open_spec(""); /* aio=auto: the synchronous engine, with an info line */
	assert_null(d->uring);
	assert_int_equal(run(AX_BLOCK_READ, 0, (uint8_t[512]){ 0 }, 512), AX_OK);
	assert_true(axvm_backends_format_ops(&bs, "vblk", line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "aio=sync"));
	axvm_backends_close(&bs);
	/* aio=uring: an error naming the device and why */
	snprintf(disk, sizeof(disk), "%s,aio=uring", path);
	assert_int_equal(axvm_backends_open_disk(&bs, "vblk", disk, err, sizeof(err)), -1);
	no_uring = false;
	assert_string_equal(err, "vblk: aio=uring: io_uring unavailable (io_uring_queue_init: "
				 "Function not implemented)");
}

/* --- the spec -------------------------------------------------------------------------------- */

static void expect_spec_error(const char *spec, const char *why_want)
{
	struct axvm_disk_spec ds;
	char why[192] = "";

	assert_int_equal(axvm_disk_spec_parse(spec, &ds, why, sizeof(why)), -1);
	assert_string_equal(why, why_want);
}

static void test_spec(void **state)
{
	struct axvm_disk_spec ds;
	char why[192];
	char err[AXVM_ERR_MAX];

	(void)state;
	assert_int_equal(axvm_disk_spec_parse("d.img", &ds, why, sizeof(why)), 0);
	assert_string_equal(ds.path, "d.img");
	assert_false(ds.read_only || ds.direct);
	assert_int_equal(ds.aio, AXVM_AIO_AUTO);
	assert_int_equal(axvm_disk_spec_parse("d.img,direct=on,ro,aio=sync", &ds, why, sizeof(why)),
			 0);
	assert_string_equal(ds.path, "d.img");
	assert_true(ds.read_only && ds.direct);
	assert_int_equal(ds.aio, AXVM_AIO_SYNC);
	assert_int_equal(axvm_disk_spec_parse("a,b.img,aio=uring", &ds, why, sizeof(why)), 0);
	assert_string_equal(ds.path, "a,b.img"); /* a comma in a path still works */
	assert_int_equal(ds.aio, AXVM_AIO_URING);
	assert_int_equal(axvm_disk_spec_parse("dir/x=y", &ds, why, sizeof(why)), 0);
	assert_string_equal(ds.path, "dir/x=y");
	expect_spec_error(
		"d.img,aio=posix",
		"bad value \"posix\" for aio (options: ro, aio=uring|sync, direct=on|off)");
	expect_spec_error("d.img,direct=maybe", "bad value \"maybe\" for direct (options: ro, "
						"aio=uring|sync, direct=on|off)");
	expect_spec_error("d.img,cache=none", "unknown option \"cache=none\" (options: ro, "
					      "aio=uring|sync, direct=on|off)");
	expect_spec_error("d.img,ro,ro", "option \"ro\" given twice");
	expect_spec_error(",aio=sync", "\"file:\" needs a path");
	/* aio=uring where io_uring cannot start is an error, not a quiet fallback: not testable
	 * here; a missing image names the device and the path */
	assert_int_equal(axvm_backends_open_disk(&bs, "vblk", "/nonexistent/d.img,aio=uring", err,
						 sizeof(err)),
			 -1);
	assert_string_equal(err, "vblk: cannot open disk image /nonexistent/d.img: No such file or "
				 "directory");
	assert_int_equal(axvm_backends_open_disk(&bs, "vblk", "d.img,direct=1", err, sizeof(err)),
			 -1);
	assert_string_equal(err,
			    "vblk: invalid backend \"file:d.img,direct=1\": bad value \"1\" for "
			    "direct (options: ro, aio=uring|sync, direct=on|off)");
	/* a disk that does not fit a binding is refused, naming the device */
	char long_disk[AXVM_SPEC_MAX + 16];

	memset(long_disk, 'x', sizeof(long_disk) - 1);
	long_disk[sizeof(long_disk) - 1] = 0;
	assert_int_equal(axvm_backends_open_disk(&bs, "vblk", long_disk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "vblk: disk \"xxx"));
	assert_non_null(strstr(err, "is too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test_teardown(test_ops_uring, teardown),
		cmocka_unit_test_teardown(test_ops_sync, teardown),
		cmocka_unit_test_teardown(test_inline, teardown),
		cmocka_unit_test_teardown(test_depth, teardown),
		cmocka_unit_test_teardown(test_fifo, teardown),
		cmocka_unit_test_teardown(test_short_read_eof, teardown),
		cmocka_unit_test_teardown(test_short_write_fsize, teardown),
		cmocka_unit_test_teardown(test_error_ebadf, teardown),
		cmocka_unit_test_teardown(test_direct, teardown),
		cmocka_unit_test_teardown(test_zeroes_written, teardown),
		cmocka_unit_test_teardown(test_close_in_flight, teardown),
		cmocka_unit_test_teardown(test_no_uring, teardown),
	};
	struct io_uring ring;
	int rc = io_uring_queue_init(8, &ring, 0);

	if (rc == 0)
		io_uring_queue_exit(&ring);
	else if (rc == -ENOSYS || rc == -EPERM)
		skip_reason = rc == -ENOSYS ? "io_uring unavailable (io_uring_queue_init: ENOSYS)"
					    : "io_uring disabled (io_uring_queue_init: EPERM)";
	else
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-rc));
	axvm_log_level = AXVM_LOG_ERROR; /* the error cases warn by design */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
