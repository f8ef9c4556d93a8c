/* SPDX-License-Identifier: Apache-2.0 */
#include "hostile.h"

#include "console.h"
#include "gic_hostile.h"
#include "psci_hostile.h"
#include "tap.h"
#include "uart16550_checks.h"
#include "uart_hostile.h"
#include "virtio_hostile.h"
#include "wait.h"

int hostile_run(bool gic_ok)
{
	bool have_disk;

	if (!check(gic_ok, "GIC CPU interface initialised", "cannot run the hostile checks"))
		goto out;
	wait_init();
	uart16550_init(&uart1);
	gic_hostile_run();
	uart_hostile_run();
	have_disk = virtio_hostile_run();
	psci_hostile_run();

	/* The VM is not hurt: the ordinary things still work. */
	tap_section("hostile: after all that");
	gic_hostile_check_delivery("at the end");
	if (have_disk)
		virtio_hostile_check_device("at the end");
	console_printf("# hostile: the console still prints\n");
out:
	console_printf("1..%u\n", tap_checks_run());
	if (tap_checks_failed() == 0) {
		console_printf("HOSTILE: PASS\n");
		return 0;
	}
	console_printf("HOSTILE: FAIL, %u of %u checks failed\n", tap_checks_failed(),
		       tap_checks_run());
	return 1;
}
