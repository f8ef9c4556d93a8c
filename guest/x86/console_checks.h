/* SPDX-License-Identifier: Apache-2.0 */
/* Default-mode checks of console0, the virtio-console device (optional in the machine). */
#ifndef GUEST_CONSOLE_CHECKS_H
#define GUEST_CONSOLE_CHECKS_H

void console_checks_run(void);

#endif
