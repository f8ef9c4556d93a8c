/* SPDX-License-Identifier: Apache-2.0 */
#include <axdevice/error.h>

struct err_text {
	const char *name;
	const char *text;
};

static const struct err_text err_table[AX_ERR_COUNT] = {
	[AX_OK] = { "Ok", "success" },
	[AX_ERR_ADDR_IN_USE] = { "AddrInUse", "address range already in use" },
	[AX_ERR_ALREADY_EXISTS] = { "AlreadyExists", "entity already exists" },
	[AX_ERR_BAD_ADDRESS] = { "BadAddress", "bad address" },
	[AX_ERR_BAD_STATE] = { "BadState", "bad internal state" },
	[AX_ERR_INVALID_DATA] = { "InvalidData", "invalid data" },
	[AX_ERR_INVALID_INPUT] = { "InvalidInput", "invalid input parameter" },
	[AX_ERR_IO] = { "Io", "I/O error" },
	[AX_ERR_NO_MEMORY] = { "NoMemory", "out of memory" },
	[AX_ERR_NOT_FOUND] = { "NotFound", "entity not found" },
	[AX_ERR_PERMISSION_DENIED] = { "PermissionDenied", "permission denied" },
	[AX_ERR_RESOURCE_BUSY] = { "ResourceBusy", "resource busy" },
	[AX_ERR_STORAGE_FULL] = { "StorageFull", "no storage space" },
	[AX_ERR_UNSUPPORTED] = { "Unsupported", "operation not supported" },
	[AX_ERR_WOULD_BLOCK] = { "WouldBlock", "operation would block" },
};

static const struct err_text *lookup(int err)
{
	static const struct err_text unknown = { "Unknown", "unknown error" };

	return err >= 0 && err < AX_ERR_COUNT ? &err_table[err] : &unknown;
}

const char *ax_err_name(int err)
{
	return lookup(err)->name;
}

const char *ax_strerror(int err)
{
	return lookup(err)->text;
}
