/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mode=bench target=noop|uart|virtio|uartport|noopport count=N: a tight loop of
 * device accesses, each one a VM exit, for timing the exit path from the host.
 */
#ifndef GUEST_BENCH_H
#define GUEST_BENCH_H

#include <stdint.h>

#define BENCH_DEFAULT_COUNT 200000u

/* Runs the loop and prints "BENCH done target=<t> count=<N>"; returns the exit status. */
int bench_run(const char *target, uint32_t count);

#endif
