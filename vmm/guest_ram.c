/* SPDX-License-Identifier: Apache-2.0 */
#include "guest_ram.h"

#include <errno.h>
#include <sys/mman.h>

int guest_ram_map(struct guest_ram *ram, const struct axvm_config *cfg)
{
	ram->nr = 0;
	for (unsigned i = 0; i < cfg->nr_mem; i++) {
		void *p = mmap(NULL, cfg->mem[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			int saved = errno;

			guest_ram_unmap(ram);
			errno = saved;
			return -1;
		}
		ram->regions[ram->nr++] =
			(struct guest_ram_region){ cfg->mem[i].gpa, cfg->mem[i].size, p };
	}
	return 0;
}

void guest_ram_unmap(struct guest_ram *ram)
{
	for (unsigned i = 0; i < ram->nr; i++)
		munmap(ram->regions[i].host, ram->regions[i].size);
	ram->nr = 0;
}

void *guest_ram_at(const struct guest_ram *ram, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < ram->nr; i++) {
		const struct guest_ram_region *r = &ram->regions[i];
		uint64_t off = gpa - r->gpa;

		/* unsigned arithmetic: gpa below the region wraps to a huge offset */
		if (gpa >= r->gpa && off <= r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

uint64_t guest_ram_low_size(const struct guest_ram *ram)
{
	uint64_t end = 0;
	bool grew = true;

	while (grew) { /* regions may be listed in any order */
		grew = false;
		for (unsigned i = 0; i < ram->nr; i++) {
			if (ram->regions[i].gpa == end) {
				end += ram->regions[i].size;
				grew = true;
			}
		}
	}
	return end;
}
