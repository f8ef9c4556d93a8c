/* SPDX-License-Identifier: Apache-2.0 */
#include "host_hooks.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

static void *hook_alloc(void *ctx, size_t size, size_t align)
{
	void *p = NULL;

	(void)ctx;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	return memset(p, 0, size);
}

static void hook_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static void hook_log(void *ctx, enum ax_log_level level, const char *msg)
{
	(void)ctx;
	axvm_log((enum axvm_log_level)level, "%s", msg);
}

static void hook_relax(void *ctx)
{
	(void)ctx;
	sched_yield();
}

static void hook_sync_cores(void *ctx)
{
	(void)ctx;
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		abort(); /* registered before use; the kernel cannot take it back */
}

static bool membarrier_ready(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	       syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void axvm_libc_hooks(struct ax_host_hooks *hooks, void *ctx)
{
	*hooks = (struct ax_host_hooks){
		.ctx = ctx,
		.alloc = hook_alloc,
		.free = hook_free,
		.log = hook_log,
		.relax = hook_relax,
		.sync_cores = membarrier_ready() ? hook_sync_cores : NULL,
	};
}
