/* SPDX-License-Identifier: Apache-2.0 */
/* A test device that records every access and can be told to fail. */
#ifndef TESTS_SUPPORT_PROBE_DEVICE_H
#define TESTS_SUPPORT_PROBE_DEVICE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <axdevice/axdevice.h>

struct probe {
	struct ax_access last; /* last access seen */
	uint64_t last_write;   /* value of the last write */
	uint64_t read_value;   /* what reads return (unmasked) */
	enum ax_err fail_with; /* returned by every access when set */
	unsigned reads, writes, resets;
	bool *destroyed; /* set on destroy when non-NULL */
	bool heap;	 /* free() on destroy */
};

extern const struct ax_device_ops probe_ops;

/* A descriptor for a probe with one range on `bus`. */
struct ax_device_desc probe_desc(const char *name, struct probe *p, enum ax_bus bus, uint64_t base,
				 uint64_t len);

#endif
