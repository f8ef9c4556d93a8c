/* SPDX-License-Identifier: Apache-2.0 */
#include "linear_dispatch.h"

enum ax_err linear_handle_read(const struct linear_set *set, uint32_t vcpu, uint64_t addr,
			       unsigned width, uint64_t *val)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct linear_dev *d = &set->devs[i];

		if (addr >= d->range.base && addr <= d->range.last) {
			struct ax_access acc = { .vcpu = vcpu,
						 .bus = AX_BUS_MMIO,
						 .width = (enum ax_width)width,
						 .addr = addr,
						 .offset = addr - d->range.base };

			return d->ops->read(d->priv, &acc, val);
		}
	}
	return AX_ERR_NOT_FOUND; /* upstream panics here */
}
