/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: anonymous host mappings, and the only way to turn a guest address into a pointer. */
#ifndef AXVM_GUEST_RAM_H
#define AXVM_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/vm_config.h"

struct guest_ram_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_ram {
	struct guest_ram_region regions[AXVM_MAX_MEM_REGIONS];
	unsigned nr;
};

/* Maps every region of the config; -1 with errno on failure (nothing stays mapped). */
int guest_ram_map(struct guest_ram *ram, const struct axvm_config *cfg);
void guest_ram_unmap(struct guest_ram *ram);

/* Host memory for [gpa, gpa + len) if it lies wholly inside one region, else NULL. */
void *guest_ram_at(const struct guest_ram *ram, uint64_t gpa, uint64_t len);

/* Bytes of RAM from gpa 0 without a hole (for the multiboot memory fields). */
uint64_t guest_ram_low_size(const struct guest_ram *ram);

#endif
