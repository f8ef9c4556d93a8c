/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A block backend's spec after "file:": PATH, then options, comma-separated:
 *   ro               read-only image
 *   aio=uring|sync   io_uring at queue depth (the default where the host has
 *                    io_uring) or synchronous pread/pwrite
 *   direct=on|off    O_DIRECT where the file system and each request's
 *                    alignment allow it, buffered otherwise (off: the default)
 * Options are read from the end: a trailing ",WORD" is an option if WORD is
 * "ro" or holds '=' and no '/', so a path may still contain commas
 * ("file:a,b.img"); an option that looks like one but is unknown or badly
 * valued is an error, never part of the path.
 */
#ifndef AXVM_DISK_SPEC_H
#define AXVM_DISK_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "config/vm_config.h"

enum axvm_aio {
	AXVM_AIO_AUTO = 0, /* io_uring where io_uring_queue_init works, else sync */
	AXVM_AIO_URING,	   /* io_uring or an error */
	AXVM_AIO_SYNC,
};

struct axvm_disk_spec {
	char path[AXVM_PATH_MAX];
	bool read_only;
	bool direct;
	enum axvm_aio aio;
};

/* Parses `spec` (what follows "file:"). 0, or -1 with `why` saying what is wrong. */
int axvm_disk_spec_parse(const char *spec, struct axvm_disk_spec *out, char *why, size_t cap);

#endif
