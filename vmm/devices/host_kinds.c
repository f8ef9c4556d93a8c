/* SPDX-License-Identifier: Apache-2.0 */
/* The table of axvm's host kinds handed to the device set; see host_kinds.h. */
#include "devices/host_kinds.h"

#include <axdevice/emu_type.h>

#include "config/vm_config.h"

const struct ax_device_kind axvm_kinds[] = {
	{ AXVM_EXIT_DEVICE_TYPE, AXVM_EXIT_DEVICE_NAME, axvm_exit_device_create },
	{ AXVM_ACPI_SLEEP_TYPE, AXVM_ACPI_SLEEP_NAME, axvm_acpi_sleep_create },
};
const size_t axvm_nr_kinds = sizeof(axvm_kinds) / sizeof(axvm_kinds[0]);

const char *axvm_kind_name(uint32_t type)
{
	for (size_t i = 0; i < axvm_nr_kinds; i++)
		if (axvm_kinds[i].type == type)
			return axvm_kinds[i].short_name;
	return ax_emu_type_short_name((enum ax_emu_type)type);
}
