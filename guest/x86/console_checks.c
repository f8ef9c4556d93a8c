/* SPDX-License-Identifier: Apache-2.0 */
#include "console_checks.h"

#include "platform.h"
#include "string.h"
#include "tap.h"
#include "virtio_console.h"

#define GREETING "axdevice demo guest: hello through virtio-console\n"

static struct virtio_console console0;

void console_checks_run(void)
{
	uintptr_t base;

	tap_section("virtio-console console0");
	base = virtio_mmio_find(VIRTIO_ID_CONSOLE, PLATFORM_VIRTIO_BASE, PLATFORM_VIRTIO_SLOTS,
				PLATFORM_VIRTIO_STRIDE);
	if (!base) {
		tap_note("no virtio-console device in the first %u slots: skipped",
			 PLATFORM_VIRTIO_SLOTS);
		return;
	}
	tap_note("virtio-console at 0x%08x", (unsigned)base);
	if (!check(virtio_console_init(&console0, base),
		   "initialised (receiveq, transmitq, DRIVER_OK)", "%s", console0.mmio.error))
		return;
	check(virtio_console_write(&console0, GREETING, (uint32_t)strlen(GREETING)),
	      "a line sent through transmitq comes back used", "%s", console0.mmio.error);
}
