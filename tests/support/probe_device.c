/* SPDX-License-Identifier: Apache-2.0 */
#include "probe_device.h"

#include <stdlib.h>

static enum ax_err probe_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct probe *p = priv;

	p->last = *acc;
	p->reads++;
	*val = p->read_value;
	return p->fail_with;
}

static enum ax_err probe_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct probe *p = priv;

	p->last = *acc;
	p->last_write = val;
	p->writes++;
	return p->fail_with;
}

static void probe_reset(void *priv)
{
	((struct probe *)priv)->resets++;
}

static void probe_destroy(void *priv)
{
	struct probe *p = priv;

	if (p->destroyed)
		*p->destroyed = true;
	if (p->heap)
		free(p);
}

const struct ax_device_ops probe_ops = {
	.read = probe_read,
	.write = probe_write,
	.reset = probe_reset,
	.destroy = probe_destroy,
};

struct ax_device_desc probe_desc(const char *name, struct probe *p, enum ax_bus bus, uint64_t base,
				 uint64_t len)
{
	struct ax_device_desc d = {
		.name = name,
		.type = AX_EMU_META,
		.bus = bus,
		.removable = true,
		.nr_ranges = 1,
		.ops = &probe_ops,
		.priv = p,
	};

	if (ax_range_new(bus, base, len, &d.ranges[0]) != AX_OK)
		abort(); /* a test bug */
	return d;
}
