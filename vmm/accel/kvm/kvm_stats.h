/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM's own per-vCPU counters (KVM_GET_STATS_FD, Linux 5.14+): how many
 * exits the kernel handled itself, page faults fixed, instructions emulated,
 * interrupts injected. `axvm run --stats` prints the non-zero ones next to
 * axvm's counts of the exits that reached user space: on a slow host they
 * say where the time goes. Only the owning process may read them (KVM
 * refuses another mm), hence here and not in a debugging tool.
 */
#ifndef AXVM_KVM_STATS_H
#define AXVM_KVM_STATS_H

#include <stdio.h>

/*
 * Prints "prefix name=value ..." (cumulative counters and peaks that are
 * non-zero, histograms summed) as one line; returns -1 when the kernel has
 * no binary stats for this fd (nothing printed).
 */
int axvm_kvm_stats_print(FILE *out, int vcpu_fd, const char *prefix);

#endif
