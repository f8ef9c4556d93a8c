/* SPDX-License-Identifier: Apache-2.0 */
#ifndef GUEST_IRQCHIP_HOSTILE_H
#define GUEST_IRQCHIP_HOSTILE_H

/* Hostile mode, interrupt controllers: arbitrary writes to every register, then checks. */
void irqchip_hostile_run(void);

#endif
