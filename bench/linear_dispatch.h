/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline: what upstream axdevice does. Devices in a vector, each
 * access scans it for the first device whose range contains the address,
 * then calls it. No width or straddle checks, no counters, no concurrency.
 */
#ifndef BENCH_LINEAR_DISPATCH_H
#define BENCH_LINEAR_DISPATCH_H

#include <axdevice/axdevice.h>

struct linear_dev {
	struct ax_range range;
	const struct ax_device_ops *ops;
	void *priv;
};

struct linear_set {
	struct linear_dev *devs;
	size_t n;
};

enum ax_err linear_handle_read(const struct linear_set *set, uint32_t vcpu, uint64_t addr,
			       unsigned width, uint64_t *val);

#endif
