/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mode=hostile: protocol abuse of the GIC, the UARTs, virtio and PSCI, each
 * with the reaction the specs (or axvm's documented choices) call for, and
 * a normal check at the end to show the VM was not hurt.
 */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include <stdbool.h>

/* Returns the exit status: 0 when every check passed. */
int hostile_run(bool gic_ok);

#endif
