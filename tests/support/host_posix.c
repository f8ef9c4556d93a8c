/* SPDX-License-Identifier: Apache-2.0 */
#include "host_posix.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *host_alloc(void *ctx, size_t size, size_t align)
{
	void *p = NULL;

	(void)ctx;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static void host_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static void host_log(void *ctx, enum ax_log_level level, const char *msg)
{
	struct test_host *host = ctx;
	static const char *const names[] = { "error", "warn", "info", "debug" };

	host->log_lines++;
	snprintf(host->last_log, sizeof(host->last_log), "%s", msg);
	if (getenv("AX_TEST_LOG"))
		fprintf(stderr, "[%s] %s\n", names[level & 3], msg);
}

static void host_relax(void *ctx)
{
	struct test_host *host = ctx;

	atomic_fetch_add(&host->relaxes, 1);
	sched_yield();
}

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

bool test_host_has_membarrier(void)
{
	static int state; /* 0 unknown, 1 yes, -1 no */

	if (state == 0) {
		int cmds = membarrier(MEMBARRIER_CMD_QUERY);

		state = (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
			 membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
				? 1
				: -1;
	}
	return state > 0;
}

static void host_sync_cores(void *ctx)
{
	(void)ctx;
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
		abort(); /* registered in test_host_init; failing here is a test bug */
}

static void *host_guest_mem(void *ctx, uint64_t gpa, uint64_t len, bool write)
{
	struct test_host *host = ctx;

	(void)write;
	for (unsigned i = 0; i < host->nr_ram; i++) {
		struct test_ram *r = &host->ram[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->mem + (gpa - r->gpa);
	}
	return NULL;
}

static void host_irq_set_level(void *ctx, uint32_t irq, bool level)
{
	struct test_host *host = ctx;

	if (irq >= TEST_HOST_MAX_IRQ)
		return;
	if (level && !host->irq_level[irq])
		host->irq_raises[irq]++;
	host->irq_level[irq] = level;
}

static void host_irq_pulse(void *ctx, uint32_t irq)
{
	struct test_host *host = ctx;

	if (irq < TEST_HOST_MAX_IRQ)
		host->irq_pulses[irq]++;
}

void test_host_init(struct test_host *host, bool asym_barrier)
{
	memset(host, 0, sizeof(*host));
	host->hooks.ctx = host;
	host->hooks.alloc = host_alloc;
	host->hooks.free = host_free;
	host->hooks.log = host_log;
	host->hooks.relax = host_relax;
	if (asym_barrier && test_host_has_membarrier())
		host->hooks.sync_cores = host_sync_cores;
	host->hooks.guest_mem = host_guest_mem;
	host->hooks.irq_set_level = host_irq_set_level;
	host->hooks.irq_pulse = host_irq_pulse;
}

void test_host_fini(struct test_host *host)
{
	for (unsigned i = 0; i < host->nr_ram; i++)
		free(host->ram[i].mem);
	host->nr_ram = 0;
}

uint8_t *test_host_add_ram(struct test_host *host, uint64_t gpa, uint64_t size)
{
	struct test_ram *r;

	if (host->nr_ram == TEST_HOST_MAX_RAM)
		abort();
	r = &host->ram[host->nr_ram++];
	r->gpa = gpa;
	r->size = size;
	r->mem = calloc(1, size);
	if (!r->mem)
		abort();
	return r->mem;
}
