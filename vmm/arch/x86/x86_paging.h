/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's own translation of a linear address, as the CPU makes it for
 * an access (SDM vol. 3A, 4.5 to 4.8): canonical address, 4- or 5-level
 * paging in long mode, present, writable (for CPL 3 always, for CPL < 3
 * with CR0.WP), user (CPL 3), SMAP for data and SMEP and NX for fetches,
 * and the accessed and dirty flags set as the CPU sets them. axvm needs it
 * because KVM_TRANSLATE on x86 reports every mapping as writable: a store
 * axvm executes for the guest must fault where the CPU's would (a read-only
 * or copy-on-write page), not write through. Reserved bits and protection
 * keys are not checked.
 */
#ifndef AXVM_X86_PAGING_H
#define AXVM_X86_PAGING_H

#include <stdbool.h>
#include <stdint.h>

/* 48-bit linear addresses, 57-bit with 5-level paging (CR4.LA57): the rest a sign extension. */
static inline bool x86_canonical(uint64_t a, uint64_t cr4)
{
	unsigned bits = (cr4 & 0x1000u) ? 57 : 48;
	int64_t s = (int64_t)(a << (64 - bits)) >> (64 - bits);

	return (uint64_t)s == a;
}

enum x86_access { X86_ACCESS_READ, X86_ACCESS_WRITE, X86_ACCESS_FETCH };

struct x86_paging {
	uint64_t cr0, cr3, cr4, efer, rflags;
	unsigned cpl;
	/* the 8-byte entry at guest physical gpa (8-aligned) in host memory; NULL: not RAM */
	uint64_t *(*entry)(void *ctx, uint64_t gpa);
	void *ctx;
};

/*
 * The guest physical address of gva for an access at pg->cpl: 0 and *gpa,
 * with the accessed flags (and the dirty flag, for a write) set in the
 * entries used; or -1 and *why (a constant string naming the check that
 * failed: the CPU would raise #GP or #PF there, or the walk left RAM), with
 * no entry changed (but when other vCPUs kept rewriting the entries, some
 * accessed flags of the abandoned walks may be set).
 */
int x86_translate(const struct x86_paging *pg, uint64_t gva, enum x86_access access, uint64_t *gpa,
		  const char **why);

#endif
