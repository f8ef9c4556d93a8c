/* SPDX-License-Identifier: Apache-2.0 */
/* axvm's exit device: one 8-bit port write of the status ends the VM. */
#ifndef GUEST_EXIT_DEVICE_H
#define GUEST_EXIT_DEVICE_H

#include <stdint.h>

/* Writes the status and, should the VM keep running, halts for good. */
void guest_exit(uint8_t status) __attribute__((noreturn));

#endif
