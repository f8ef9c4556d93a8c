/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mode=hostile: the guest misbehaves on purpose (looping descriptor chain,
 * buffer outside RAM, notify of a missing queue, writes to read-only
 * registers, unmapped accesses) and checks the devices react as the library
 * documents: DEVICE_NEEDS_RESET plus a configuration-change interrupt, and a
 * device that works again after a reset.
 */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

/* Runs the hostile checks, prints HOSTILE: PASS/FAIL; returns the exit status. */
int hostile_run(void);

#endif
