/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test backends: a RAM disk (struct ax_block_backend) that completes inside
 * submit or, when deferred, later on request; a capturing character sink
 * (struct ax_char_backend) with an optional byte budget for backpressure.
 * backends_install() binds them to device names through the host hooks.
 */
#ifndef TESTS_SUPPORT_BACKENDS_H
#define TESTS_SUPPORT_BACKENDS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/backend.h>

#include "host_posix.h"

#define RAM_DISK_MAX_PENDING 1024

/*
 * Set `deferred` (through ram_disk_set_deferred) and `fail_with` while no
 * request is in flight. A disk serves
 * one device, whose lock serialises submit (backend.h): the bookkeeping of
 * submit is a relaxed load and store, no lock and no read-modify-write, so
 * that a synchronous request costs what a memory backend costs; the pending
 * list of deferred requests, shared with the completing thread, is under `lock`.
 */
struct ram_disk {
	struct ax_block_backend be;
	uint8_t *data;
	bool deferred;	       /* ram_disk_set_deferred() */
	enum ax_err fail_with; /* AX_OK, or the result every request gets */
	pthread_mutex_t lock;  /* pending, nr_pending */
	struct ax_block_request *pending[RAM_DISK_MAX_PENDING];
	unsigned nr_pending;
	_Atomic unsigned count[AX_BLOCK_WRITE_ZEROES + 1]; /* requests seen, by op */
	_Atomic bool last_unmap;
};

/* `size` bytes of zeroed disk; discard and write-zeroes supported unless read-only. */
void ram_disk_init(struct ram_disk *d, uint64_t size, bool read_only);
void ram_disk_fini(struct ram_disk *d);

/* Deferred: requests wait for ram_disk_complete_pending(); otherwise they complete inside
 * submit, and the backend says so (completes_in_submit). The default is not deferred. */
void ram_disk_set_deferred(struct ram_disk *d, bool deferred);

/* Completes every deferred request (from the calling thread); returns how many. */
unsigned ram_disk_complete_pending(struct ram_disk *d);

#define CAPTURE_MAX 65536

struct capture_chr {
	struct ax_char_backend be;
	uint8_t buf[CAPTURE_MAX];
	size_t len;
	size_t budget; /* bytes still accepted; SIZE_MAX: no limit */
};

void capture_chr_init(struct capture_chr *c);

/* Binds backends to device names (at most 8 each) and sets the host's lookup hooks. */
void backends_install(struct test_host *host);
void backends_bind_block(const char *name, struct ram_disk *d);
void backends_bind_char(const char *name, struct capture_chr *c);
void backends_clear(void);

#endif
