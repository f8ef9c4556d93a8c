/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device the dispatch benchmarks call: a read returns the offset, a write
 * does nothing, so that what is measured is the path to the device.
 */
#ifndef BENCH_TRIVIAL_DEVICE_H
#define BENCH_TRIVIAL_DEVICE_H

#include <axdevice/axdevice.h>

extern const struct ax_device_ops bench_trivial_ops;

#endif
