/* SPDX-License-Identifier: Apache-2.0 */
/* Hostile mode, PSCI: calls with ids and arguments the firmware must refuse, with the code DEN 0022
 * gives. */
#ifndef GUEST_PSCI_HOSTILE_H
#define GUEST_PSCI_HOSTILE_H

void psci_hostile_run(void);

#endif
