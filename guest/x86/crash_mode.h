/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mode=crash seed=<hex>: the guest half of the crash-consistency test
 * (tests/kvm/crash.sh). Writes a known pattern to sectors 64..1087, flushes,
 * prints "CRASH flushed seed=<seed> sectors=64..1087", then rewrites sectors
 * 2048..4095 pass after pass, never flushing, until the host kills the VM.
 *
 * Every sector written carries its identity, so that a sector that is torn,
 * misplaced or stale shows (the same layout is implemented, independently,
 * by tests/kvm/crash_check.c). Words are little-endian:
 *   bytes   0..3    "CRSH"
 *   bytes   4..7    sector number
 *   bytes   8..11   seed
 *   bytes  12..15   generation: 0 in the flushed region, the pass number
 *                   (1, 2, ...) in the rewritten region
 *   bytes  16..507  123 words of xorshift32 (shifts 13, 17, 5) started from
 *                   seed ^ generation * 0x85ebca6b ^ 0x9e3779b9 (1 if that
 *                   is 0); each word is the state after one more step
 *   bytes 508..511  ~(sector number ^ seed)
 */
#ifndef GUEST_CRASH_MODE_H
#define GUEST_CRASH_MODE_H

/* Returns only on an error (status 1); otherwise writes until the VM is killed. */
int crash_mode_run(const char *cmdline);

#endif
