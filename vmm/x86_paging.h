/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's own translation of a linear address, with the permission
 * checks a data access makes (SDM vol. 3A, 4.5 and 4.6): 4- or 5-level
 * paging in long mode, present, writable (for CPL 3 always, for CPL < 3
 * with CR0.WP), user (CPL 3) and SMAP (CPL < 3 touching a user page with
 * CR4.SMAP and RFLAGS.AC clear). axvm needs it because KVM_TRANSLATE on
 * x86 reports every mapping as writable: a store axvm executes for the
 * guest must fault where the CPU's would (a read-only or copy-on-write
 * page), not write through.
 */
#ifndef AXVM_X86_PAGING_H
#define AXVM_X86_PAGING_H

#include <stdbool.h>
#include <stdint.h>

struct x86_paging {
	uint64_t cr0, cr3, cr4, efer, rflags;
	unsigned cpl;
	/* 8 bytes of guest physical memory at gpa (8-aligned); -1 when it is not RAM */
	int (*read_phys)(void *ctx, uint64_t gpa, uint64_t *value);
	void *ctx;
};

/*
 * The guest physical address of gva for a read or a write at pg->cpl: 0
 * and *gpa, or -1 and *why (a constant string naming the check that
 * failed: the CPU would raise #PF there, or the walk left RAM).
 */
int x86_translate(const struct x86_paging *pg, uint64_t gva, bool write, uint64_t *gpa,
		  const char **why);

#endif
