/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host hooks backed by libc, for tests and benchmarks: malloc, stderr
 * logging, sched_yield, membarrier, a fake guest RAM, recorded irq lines.
 */
#ifndef TESTS_SUPPORT_HOST_POSIX_H
#define TESTS_SUPPORT_HOST_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/host.h>

#define TEST_HOST_MAX_RAM 4
#define TEST_HOST_MAX_IRQ 1024

struct test_ram {
	uint64_t gpa;
	uint64_t size;
	uint8_t *mem;
};

struct test_host {
	struct ax_host_hooks hooks;
	struct test_ram ram[TEST_HOST_MAX_RAM];
	unsigned nr_ram;
	bool irq_level[TEST_HOST_MAX_IRQ];
	unsigned irq_pulses[TEST_HOST_MAX_IRQ];
	unsigned irq_raises[TEST_HOST_MAX_IRQ]; /* low -> high transitions */
	unsigned log_lines;
	char last_log[256];
	_Atomic unsigned relaxes; /* relax() calls: a library loop waiting for another thread */
};

/*
 * Fills host->hooks. With `asym_barrier`, sync_cores uses
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) when the kernel has it.
 */
void test_host_init(struct test_host *host, bool asym_barrier);
void test_host_fini(struct test_host *host);

/* Registers `size` bytes of zeroed fake guest RAM at `gpa`; returns its host address. */
uint8_t *test_host_add_ram(struct test_host *host, uint64_t gpa, uint64_t size);

/* True when membarrier-based sync_cores is available on this kernel. */
bool test_host_has_membarrier(void);

#endif
