/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The synchronous block engine: each request done inside submit() with
 * pread/pwrite (short and interrupted calls retried), FLUSH as fdatasync (so
 * a completed flush is on stable storage), DISCARD as a punched hole,
 * WRITE_ZEROES as a punched hole (unmap), a zeroed range or written zeroes.
 * The fallback where io_uring is unavailable, and aio=sync.
 */
#ifndef AXVM_FILE_H
#define AXVM_FILE_H

#include "backends/disk.h"

/* Points d->block at the synchronous engine. */
void axvm_file_engine(struct axvm_disk *d);

#endif
