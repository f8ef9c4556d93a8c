/* SPDX-License-Identifier: Apache-2.0 */
#include "x86_paging.h"

#define CR0_PG	  0x80000000ull
#define CR0_WP	  0x10000ull
#define CR4_PAE	  0x20ull
#define CR4_LA57  0x1000ull
#define CR4_SMAP  0x200000ull
#define EFER_LMA  0x400ull
#define RFLAGS_AC 0x40000ull

#define PTE_P	  0x1ull
#define PTE_RW	  0x2ull
#define PTE_US	  0x4ull
#define PTE_PS	  0x80ull
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51:12: the next table or a 4 KiB page */

int x86_translate(const struct x86_paging *pg, uint64_t gva, bool write, uint64_t *gpa,
		  const char **why)
{
	const unsigned levels = (pg->cr4 & CR4_LA57) ? 5 : 4;
	uint64_t table = pg->cr3 & ADDR_MASK, entry = 0, address = 0;
	bool writable = true, user = true;
	unsigned level;

	if (!(pg->cr0 & CR0_PG) || !(pg->cr4 & CR4_PAE) || !(pg->efer & EFER_LMA)) {
		*why = "not long-mode paging";
		return -1;
	}
	for (level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);

		if (pg->read_phys(pg->ctx, table + 8 * ((gva >> shift) & 511), &entry) != 0) {
			*why = "a page-table entry is outside guest RAM";
			return -1;
		}
		if (!(entry & PTE_P)) {
			*why = "not present";
			return -1;
		}
		writable = writable && (entry & PTE_RW);
		user = user && (entry & PTE_US);
		if (level == 1 || (entry & PTE_PS)) {
			if (level > 3) {
				*why = "a large page above the PDPT (reserved bit)";
				return -1;
			}
			uint64_t page_mask = (1ull << shift) - 1;

			/* bits 20:12 (2 MiB) or 29:12 (1 GiB) of a large page's entry hold PAT, not
			 * address */
			address = (entry & ADDR_MASK & ~page_mask) | (gva & page_mask);
			break;
		}
		table = entry & ADDR_MASK;
	}
	if (pg->cpl == 3 && !user) {
		*why = "a supervisor page accessed from CPL 3";
		return -1;
	}
	if (write && !writable && (pg->cpl == 3 || (pg->cr0 & CR0_WP))) {
		*why = "read-only";
		return -1;
	}
	if (pg->cpl < 3 && user && (pg->cr4 & CR4_SMAP) && !(pg->rflags & RFLAGS_AC)) {
		*why = "a user page accessed by the kernel under SMAP";
		return -1;
	}
	*gpa = address;
	return 0;
}
