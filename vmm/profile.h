/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the guest spends its time: `axvm run --profile FILE` interrupts
 * every vCPU about 1000 times a second (SIGUSR1 makes KVM_RUN return
 * EINTR), reads RIP and counts it. At exit FILE gets one "count rip" line
 * per address, most frequent first; tools/profile-symbols.sh folds them
 * into functions with a System.map. A development tool for slow guests:
 * sampling costs one extra exit per vCPU per millisecond. SIGUSR2 rewrites
 * FILE with the counts so far (compare two snapshots to see one phase).
 */
#ifndef AXVM_PROFILE_H
#define AXVM_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define AXVM_PROFILE_HZ 1000

struct axvm_profile;

/* NULL with err when FILE cannot be created. */
struct axvm_profile *axvm_profile_open(const char *path, char *err, size_t err_len);
/* One sample; any thread. */
void axvm_profile_sample(struct axvm_profile *p, uint64_t rip);
/* Rewrites FILE with the counts so far; sampling goes on. -1 with err on failure. */
int axvm_profile_snapshot(struct axvm_profile *p, char *err, size_t err_len);
/* Writes FILE and frees p; -1 with err when writing failed. */
int axvm_profile_close(struct axvm_profile *p, char *err, size_t err_len);

#endif
