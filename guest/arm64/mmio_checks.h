/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks 8 and 9: nothing at 0x0c000000 (reads all ones, writes dropped,
 * no fault) and the meta device at 0x0b000000 (reads 0, ignores writes).
 * Data aborts are caught and reported (QEMU has neither behaviour).
 */
#ifndef GUEST_MMIO_CHECKS_H
#define GUEST_MMIO_CHECKS_H

void mmio_checks_run(void);

#endif
