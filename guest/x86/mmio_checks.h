/* SPDX-License-Identifier: Apache-2.0 */
/* Default-mode checks of the bus itself: the meta (noop) device and unmapped space. */
#ifndef GUEST_MMIO_CHECKS_H
#define GUEST_MMIO_CHECKS_H

void mmio_checks_run(void);

#endif
