/* SPDX-License-Identifier: Apache-2.0 */
/* Internal layout of the device set, shared by its control path and its dispatch path. */
#ifndef AXDEVICE_SRC_CORE_SET_H
#define AXDEVICE_SRC_CORE_SET_H

#include <stdatomic.h>

#include <axdevice/devices.h>

#include "index.h"
#include "irq.h"
#include "util.h"

/*
 * Per-vCPU counters of one device. Only the thread dispatching for that
 * vCPU writes them (plain load + store, no locked instruction); any thread
 * may read them. Padded to a cache line so vCPUs never share one.
 */
struct ax_dev_counters {
	_Atomic uint64_t reads;
	_Atomic uint64_t writes;
	_Atomic uint64_t errors;
} __attribute__((aligned(AX_CACHELINE)));

struct ax_dev {
	uint32_t id;
	uint32_t type;
	enum ax_bus bus;
	bool removable;
	uint32_t nr_ranges;
	struct ax_range ranges[AX_DEVICE_MAX_RANGES];
	const struct ax_device_ops *ops;
	void *priv;
	struct ax_irq_lines *irq_lines; /* its claimed lines; released after ops->destroy */
	char name[AX_NAME_MAX];
	struct ax_dev_counters counters[]; /* one per vCPU */
};

/*
 * Per-vCPU dispatch state: the epoch announced while an access is in flight
 * (0 outside, see drain.h) and counters of unmapped accesses. One cache
 * line each; written only by its vCPU's thread.
 */
struct ax_vcpu_slot {
	_Atomic uint64_t active;
	_Atomic uint64_t unmapped_reads[AX_BUS_COUNT];
	_Atomic uint64_t unmapped_writes[AX_BUS_COUNT];
} __attribute__((aligned(AX_CACHELINE)));

struct ax_devices {
	/* read by every dispatch: kept together, written only on add/remove */
	_Atomic(const struct ax_index *) index[AX_BUS_COUNT];
	_Atomic uint64_t epoch; /* bumped after every index swap; starts at 1 */
	uint32_t max_vcpus;
	uint32_t fast_vcpus; /* max_vcpus, or 0 with reader_fence: one compare picks the path */
	bool reader_fence;   /* no asymmetric barrier hook: readers fence themselves */

	/* control path, serialised by `lock` */
	struct ax_spinlock lock __attribute__((aligned(AX_CACHELINE)));
	const struct ax_host_hooks *hooks;
	struct ax_irq_fabric *irq_fabric; /* lines and controller models (irq.h) */
	const struct ax_device_kind *kinds;
	size_t nr_kinds;
	struct ax_dev **devs; /* in insertion order */
	uint32_t nr_devs;
	uint32_t cap_devs;
	uint32_t next_id;

	struct ax_vcpu_slot vcpus[]; /* max_vcpus of them, in the same allocation */
};

#endif
