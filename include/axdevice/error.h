/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes. Names mirror ArceOS' axerrno so that code ported from the
 * Rust crates keeps its meaning. Every fallible public function returns one.
 */
#ifndef AXDEVICE_ERROR_H
#define AXDEVICE_ERROR_H

enum ax_err {
	AX_OK = 0,
	AX_ERR_ADDR_IN_USE,	  /* an address range is already claimed */
	AX_ERR_ALREADY_EXISTS,	  /* a unique name or id is taken */
	AX_ERR_BAD_ADDRESS,	  /* address outside what the target covers */
	AX_ERR_BAD_STATE,	  /* operation not valid in the current state */
	AX_ERR_INVALID_DATA,	  /* malformed data (e.g. from a guest ring) */
	AX_ERR_INVALID_INPUT,	  /* bad argument or config value */
	AX_ERR_IO,		  /* a backend failed */
	AX_ERR_NO_MEMORY,	  /* the host allocator refused */
	AX_ERR_NOT_FOUND,	  /* nothing at that address / with that id */
	AX_ERR_PERMISSION_DENIED, /* e.g. removing a non-removable device */
	AX_ERR_RESOURCE_BUSY,	  /* temporarily unavailable */
	AX_ERR_STORAGE_FULL,	  /* a fixed-size table is full */
	AX_ERR_UNSUPPORTED,	  /* valid request we do not implement */
	AX_ERR_WOULD_BLOCK,	  /* would have to wait */
	AX_ERR_COUNT
};

/* axerrno-style name, e.g. "AlreadyExists"; "Unknown" for out-of-range codes. */
const char *ax_err_name(int err);

/* Human-readable text, e.g. "entity already exists". */
const char *ax_strerror(int err);

/*
 * Where a function can say more than a code (which device, which address,
 * which config entry and field), it takes an optional `struct ax_diag *`
 * and fills it on failure. Pass NULL when the detail is not wanted.
 */
#define AX_DIAG_MAX 256
struct ax_diag {
	enum ax_err err;
	char msg[AX_DIAG_MAX];
};

#endif
