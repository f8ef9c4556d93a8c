/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Queue depth of axvm's block engines (vmm/backends/): 4 KiB random reads
 * and writes through struct ax_block_backend, as the virtio-blk model submits them, on
 * one file (BENCH_BLK_DIR, /tmp by default; BENCH_BLK_MB MiB, 128),
 * for aio=sync and aio=uring, buffered and direct=on, at queue depth 1 and
 * 32: one thread keeps QD requests submitted and submits again as each
 * completes, for BENCH_BLK_SECONDS (1) per case. The synchronous engine
 * completes inside submit, so its depth is 1 whatever the submitter wants.
 * Prints
 *   blkdepth op=randread|randwrite engine=E direct=on|off qd=N iops=X inflight_max=M
 * and the QD32/QD1 ratio per engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backends.h"
#include "backends/uring.h"

#define BLOCK  4096u
#define QD_MAX 32u

struct slot {
	struct ax_block_request br;
	struct ax_iovec iov;
	struct slot *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct slot *free_slots;
static unsigned long long completed, errors;

static void on_complete(struct ax_block_request *br, enum ax_err err)
{
	struct slot *s = (struct slot *)br;

	pthread_mutex_lock(&lock);
	completed++;
	errors += err != AX_OK;
	s->next = free_slots;
	free_slots = s;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One case: IOPS, or -1 if the backend could not open. */
static double run_case(const char *path, const char *opts, enum ax_block_op op, unsigned qd,
		       double seconds, unsigned long long *inflight_max)
{
	static struct axvm_backends bs;
	static struct slot slots[QD_MAX];
	char err[AXVM_ERR_MAX], disk[AXVM_SPEC_MAX];
	const struct ax_block_backend *be;
	uint8_t *bufs;
	uint64_t blocks;
	double t0, t1;
	unsigned long long done0, iter = 0;

	snprintf(disk, sizeof(disk), "%s%s", path, opts);
	if (axvm_backends_open_disk(&bs, "vblk", disk, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_blk_depth: %s\n", err);
		return -1;
	}
	be = axvm_backends_block(&bs, "vblk");
	blocks = be->capacity / BLOCK;
	if (posix_memalign((void **)&bufs, BLOCK, (size_t)QD_MAX * BLOCK) != 0)
		abort();
	free_slots = NULL;
	for (unsigned i = 0; i < qd; i++) {
		slots[i].iov = (struct ax_iovec){ bufs + (size_t)i * BLOCK, BLOCK };
		slots[i].next = free_slots;
		free_slots = &slots[i];
	}
	completed = errors = 0;
	done0 = 0;
	t0 = now();
	t1 = t0;
	for (;;) {
		struct slot *s;

		pthread_mutex_lock(&lock);
		while (!free_slots)
			pthread_cond_wait(&cond, &lock);
		s = free_slots;
		free_slots = s->next;
		done0 = completed;
		pthread_mutex_unlock(&lock);
		if ((++iter & 63) == 0) {
			t1 = now();
			if (t1 - t0 >= seconds)
				break;
		}
		s->br = (struct ax_block_request){
			.op = op,
			.offset = (next_rand() % blocks) * BLOCK,
			.length = BLOCK,
			.iov = &s->iov,
			.iovcnt = 1,
			.complete = on_complete,
		};
		if (be->submit(be->ctx, &s->br) != AX_OK)
			abort();
	}
	if (bs.items[0].disk->uring) {
		struct axvm_uring_stats st;

		axvm_uring_get_stats(bs.items[0].disk->uring, &st);
		*inflight_max = st.inflight_max;
	} else {
		*inflight_max = 1;
	}
	axvm_backends_close(&bs); /* waits for the requests still in flight */
	free(bufs);
	if (errors)
		fprintf(stderr, "bench_blk_depth: %llu errors\n", errors);
	return (double)done0 / (t1 - t0);
}

static unsigned env_uint(const char *name, unsigned def)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? (unsigned)atoi(v) : def;
}

int main(void)
{
	static const struct {
		const char *engine, *opts, *direct;
	} cases[] = {
		{ "sync", ",aio=sync", "off" },
		{ "uring", ",aio=uring", "off" },
		{ "sync", ",aio=sync,direct=on", "on" },
		{ "uring", ",aio=uring,direct=on", "on" },
	};
	const char *dir = getenv("BENCH_BLK_DIR") ? getenv("BENCH_BLK_DIR") : "/tmp";
	unsigned mb = env_uint("BENCH_BLK_MB", 128);
	double seconds = env_uint("BENCH_BLK_SECONDS", 1);
	char path[512];
	uint8_t *chunk = malloc(1u << 20);
	int fd;

	snprintf(path, sizeof(path), "%s/bench-blk-depth-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || !chunk) {
		fprintf(stderr, "bench_blk_depth: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (unsigned i = 0; i < mb; i++) { /* real blocks, not holes: reads reach the disk */
		for (size_t j = 0; j < (1u << 20); j += 8)
			*(uint64_t *)(chunk + j) = next_rand();
		if (write(fd, chunk, 1u << 20) != 1 << 20) {
			fprintf(stderr, "bench_blk_depth: write %s: %s\n", path, strerror(errno));
			unlink(path);
			return 1;
		}
	}
	fdatasync(fd);
	close(fd);
	free(chunk);
	printf("# 4 KiB random reads and writes, %u MiB file in %s, %.0f s per case\n", mb, dir,
	       seconds);
	for (unsigned w = 0; w < 2; w++) {
		const char *name = w ? "randwrite" : "randread";

		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			double iops[2] = { -1, -1 };
			unsigned qds[2] = { 1, QD_MAX };

			for (unsigned q = 0; q < 2; q++) {
				unsigned long long im = 0;

				iops[q] = run_case(path, cases[c].opts,
						   w ? AX_BLOCK_WRITE : AX_BLOCK_READ, qds[q],
						   seconds, &im);
				if (iops[q] < 0)
					break;
				printf("blkdepth op=%s engine=%s direct=%s qd=%u iops=%.0f "
				       "inflight_max=%llu\n",
				       name, cases[c].engine, cases[c].direct, qds[q], iops[q], im);
			}
			if (iops[0] > 0 && iops[1] > 0)
				printf("blkdepth op=%s engine=%s direct=%s qd32/qd1=%.2f\n", name,
				       cases[c].engine, cases[c].direct, iops[1] / iops[0]);
		}
	}
	unlink(path);
	return 0;
}
