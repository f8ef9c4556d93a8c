/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/x86/x86_paging.h"

#define CR0_PG	  0x80000000ull
#define CR0_WP	  0x10000ull
#define CR4_PAE	  0x20ull
#define CR4_LA57  0x1000ull
#define CR4_SMEP  0x100000ull
#define CR4_SMAP  0x200000ull
#define EFER_LMA  0x400ull
#define EFER_NXE  0x800ull
#define RFLAGS_AC 0x40000ull

#define PTE_P	  0x1ull
#define PTE_RW	  0x2ull
#define PTE_US	  0x4ull
#define PTE_A	  0x20ull
#define PTE_D	  0x40ull
#define PTE_PS	  0x80ull
#define PTE_XD	  0x8000000000000000ull
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51:12: the next table or a 4 KiB page */

#define MAX_LEVELS 5
#define RETRIES	   8 /* another vCPU changing an entry under the walk: walk again */

struct walk {
	uint64_t *entry[MAX_LEVELS];
	uint64_t value[MAX_LEVELS];
	unsigned used;
	uint64_t gpa;
};

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* The walk and its checks, reading the entries only. */
static int walk(const struct x86_paging *pg, uint64_t gva, enum x86_access access, struct walk *w,
		const char **why)
{
	const unsigned levels = (pg->cr4 & CR4_LA57) ? 5 : 4;
	uint64_t table = pg->cr3 & ADDR_MASK;
	bool writable = true, user = true, executable = true;

	w->used = 0;
	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t *p = pg->entry(pg->ctx, table + 8 * ((gva >> shift) & 511));
		uint64_t e;

		if (!p)
			return fail(why, "a page-table entry is outside guest RAM");
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!(e & PTE_P))
			return fail(why, "not present");
		w->entry[w->used] = p;
		w->value[w->used++] = e;
		writable = writable && (e & PTE_RW);
		user = user && (e & PTE_US);
		executable = executable && !((pg->efer & EFER_NXE) && (e & PTE_XD));
		if (level == 1 || (e & PTE_PS)) {
			if (level > 3)
				return fail(why, "a large page above the PDPT (reserved bit)");
			uint64_t page_mask = (1ull << shift) - 1;

			/* bits 20:12 (2 MiB) or 29:12 (1 GiB) of a large page's entry hold PAT, not
			 * address */
			w->gpa = (e & ADDR_MASK & ~page_mask) | (gva & page_mask);
			break;
		}
		table = e & ADDR_MASK;
	}
	if (pg->cpl == 3 && !user)
		return fail(why, "a supervisor page accessed from CPL 3");
	if (access == X86_ACCESS_WRITE && !writable && (pg->cpl == 3 || (pg->cr0 & CR0_WP)))
		return fail(why, "read-only");
	if (access == X86_ACCESS_FETCH) {
		if (!executable)
			return fail(why, "not executable (XD)");
		if (pg->cpl < 3 && user && (pg->cr4 & CR4_SMEP))
			return fail(why, "a user page executed by the kernel under SMEP");
	} else if (pg->cpl < 3 && user && (pg->cr4 & CR4_SMAP) && !(pg->rflags & RFLAGS_AC)) {
		return fail(why, "a user page accessed by the kernel under SMAP");
	}
	return 0;
}

int x86_translate(const struct x86_paging *pg, uint64_t gva, enum x86_access access, uint64_t *gpa,
		  const char **why)
{
	struct walk w;

	if (!(pg->cr0 & CR0_PG) || !(pg->cr4 & CR4_PAE) || !(pg->efer & EFER_LMA))
		return fail(why, "not long-mode paging");
	if (!x86_canonical(gva, pg->cr4))
		return fail(why, "not canonical");
	for (unsigned attempt = 0; attempt < RETRIES; attempt++) {
		bool changed = false;

		if (walk(pg, gva, access, &w, why) != 0)
			return -1;
		/* A in every entry used, D in the leaf for a write; only if the entry is still the
		 * one checked */
		for (unsigned i = 0; i < w.used && !changed; i++) {
			uint64_t want = w.value[i] | PTE_A;

			if (i == w.used - 1 && access == X86_ACCESS_WRITE)
				want |= PTE_D;
			if (want != w.value[i])
				changed = !__atomic_compare_exchange_n(
					w.entry[i], &w.value[i], want, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE);
		}
		if (!changed) {
			*gpa = w.gpa;
			return 0;
		}
	}
	return fail(why, "the page tables kept changing during the walk");
}
