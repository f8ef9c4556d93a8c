/* SPDX-License-Identifier: Apache-2.0 */
/* The default mode's checks after the device tree, in order. */
#ifndef GUEST_CHECKS_H
#define GUEST_CHECKS_H

#include <stdbool.h>

void checks_run_all(bool gic_ok, const char *gic_why);

#endif
