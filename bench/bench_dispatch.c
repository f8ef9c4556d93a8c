/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ns per dispatched MMIO read (lookup + call of a trivial device) for our
 * dispatcher and for the upstream-style linear scan, side by side in one
 * run, at 1, 16, 256 and 4096 devices, hitting one device over and over
 * (`same`) or uniformly random devices (`random`).
 *
 * Devices are 0x200 bytes at a 4 KiB stride. `same` hits the middle device
 * (the linear scan's average cost). `random` replays a precomputed list of
 * addresses, identical for both implementations. Each figure is the median
 * of 11 timed runs, ours and the baseline interleaved. Our set runs in its production mode
 * (membarrier-based sync_cores when the kernel has it); `--fence` measures the reader-fence mode
 * instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <axdevice/axdevice.h>

#include "host_posix.h"
#include "linear_dispatch.h"
#include "trivial_device.h"

#define BASE	   0x40000000ull
#define STRIDE	   0x1000ull
#define DEV_LEN	   0x200ull
#define NR_ADDRS   65536
#define RUNS	   11
#define OURS_ITERS 4000000 /* ~20 ms a run: warm-up after the baseline's run is noise */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static volatile uint64_t sink;

typedef enum ax_err (*read_fn)(void *ctx, uint64_t addr, uint64_t *val);

static enum ax_err ours(void *ctx, uint64_t addr, uint64_t *val)
{
	return ax_devices_handle_mmio_read(ctx, 0, addr, 4, val);
}

static enum ax_err linear(void *ctx, uint64_t addr, uint64_t *val)
{
	return linear_handle_read(ctx, 0, addr, 4, val);
}

/* ns per access of one timed run of `iters` accesses cycling through addrs. */
static double run_once(read_fn fn, void *ctx, const uint64_t *addrs, size_t iters)
{
	uint64_t acc = 0, v;
	double t0 = now_ns();

	for (size_t i = 0; i < iters; i++) {
		if (fn(ctx, addrs[i & (NR_ADDRS - 1)], &v) != AX_OK)
			abort();
		acc += v;
	}
	sink = acc;
	return (now_ns() - t0) / (double)iters;
}

/*
 * Medians over RUNS runs, ours and the baseline interleaved run by run so
 * that frequency drift and noise from neighbours hit both alike.
 */
static void measure_pair(void *ours_ctx, void *lin_ctx, const uint64_t *addrs, size_t lin_iters,
			 double *ours_ns, double *lin_ns)
{
	double a[RUNS], b[RUNS];

	for (int r = 0; r < RUNS; r++) {
		a[r] = run_once(ours, ours_ctx, addrs, OURS_ITERS);
		b[r] = run_once(linear, lin_ctx, addrs, lin_iters);
	}
	qsort(a, RUNS, sizeof(a[0]), cmp_double);
	qsort(b, RUNS, sizeof(b[0]), cmp_double);
	*ours_ns = a[RUNS / 2];
	*lin_ns = b[RUNS / 2];
}

int main(int argc, char **argv)
{
	static const unsigned counts[] = { 1, 16, 256, 4096 };
	bool fence = argc > 1 && strcmp(argv[1], "--fence") == 0;
	struct test_host host;
	uint64_t *same = malloc(NR_ADDRS * sizeof(uint64_t));
	uint64_t *random = malloc(NR_ADDRS * sizeof(uint64_t));
	uint64_t rng = 0x2545f4914f6cdd1dull;

	test_host_init(&host, !fence);
	printf("# mode: %s\n",
	       host.hooks.sync_cores ? "membarrier (no fence on the access path)" : "reader fence");
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];
		struct ax_devices_params params = { .hooks = &host.hooks, .max_vcpus = 1 };
		struct ax_devices *set;
		struct linear_set lin = { calloc(n, sizeof(struct linear_dev)), n };
		/* about 20 ms a run for the baseline too */
		size_t iters = n >= 4096 ? 20000 : n >= 256 ? 300000 : 4000000;

		if (ax_devices_create(&params, NULL, &set, NULL) != AX_OK)
			return 1;
		for (unsigned i = 0; i < n; i++) {
			char name[16];
			struct ax_device_desc d = { .name = name,
						    .bus = AX_BUS_MMIO,
						    .nr_ranges = 1,
						    .ops = &bench_trivial_ops };

			snprintf(name, sizeof(name), "dev%u", i);
			ax_range_new(AX_BUS_MMIO, BASE + i * STRIDE, DEV_LEN, &d.ranges[0]);
			if (ax_devices_add(set, &d, NULL, NULL) != AX_OK)
				return 1;
			lin.devs[i] = (struct linear_dev){ d.ranges[0], &bench_trivial_ops, NULL };
		}
		for (size_t i = 0; i < NR_ADDRS; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			same[i] = BASE + (n / 2) * STRIDE + 8 * (i % 8);
			random[i] = BASE + (rng % n) * STRIDE + 8 * ((rng >> 32) % 8);
		}
		double ax_same, lin_same, ax_rand, lin_rand;

		measure_pair(set, &lin, same, iters, &ax_same, &lin_same);
		measure_pair(set, &lin, random, iters, &ax_rand, &lin_rand);

		printf("dispatch impl=axdevice devices=%u pattern=same ns=%.2f\n", n, ax_same);
		printf("dispatch impl=linear devices=%u pattern=same ns=%.2f\n", n, lin_same);
		printf("dispatch impl=axdevice devices=%u pattern=random ns=%.2f\n", n, ax_rand);
		printf("dispatch impl=linear devices=%u pattern=random ns=%.2f\n", n, lin_rand);
		printf("# devices=%u speedup same=%.1fx random=%.1fx (axdevice-linear same=%+.2f "
		       "ns)\n",
		       n, lin_same / ax_same, lin_rand / ax_rand, ax_same - lin_same);
		fflush(stdout);
		ax_devices_destroy(set);
		free(lin.devs);
	}
	free(same);
	free(random);
	return 0;
}
