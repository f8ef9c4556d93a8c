/* SPDX-License-Identifier: Apache-2.0 */
#include "trivial_device.h"

static enum ax_err trivial_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	(void)priv;
	*val = acc->offset;
	return AX_OK;
}

static enum ax_err trivial_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	(void)priv;
	(void)acc;
	(void)val;
	return AX_OK;
}

const struct ax_device_ops bench_trivial_ops = { .read = trivial_read, .write = trivial_write };
