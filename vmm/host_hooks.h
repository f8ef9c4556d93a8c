/* SPDX-License-Identifier: Apache-2.0 */
/* The libc half of libaxdevice's host hooks, shared by the VM and the vhost-user server. */
#ifndef AXVM_HOST_HOOKS_H
#define AXVM_HOST_HOOKS_H

#include <axdevice/host.h>

/*
 * Fills hooks with ctx, alloc/free (posix_memalign, zeroed), log (axvm's
 * logger), relax (sched_yield) and sync_cores (membarrier, when the kernel
 * has it); the caller adds guest memory, irq lines and backends.
 */
void axvm_libc_hooks(struct ax_host_hooks *hooks, void *ctx);

#endif
