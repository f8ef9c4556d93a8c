/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An x86 vCPU's start state, independent of the accelerator: what the boot
 * loaders ask for (multiboot: 32-bit protected mode; the Linux boot
 * protocol: 64-bit long mode) and what an AP gets at a startup IPI (real
 * mode). Each accelerator loads it its own way (KVM_SET_SREGS/REGS,
 * uc_reg_write).
 */
#ifndef AXVM_ARCH_X86_BOOT_STATE_H
#define AXVM_ARCH_X86_BOOT_STATE_H

#include <stdint.h>

/* A segment register with its hidden part (Intel SDM vol. 3, 3.4.5). */
struct x86_segment {
	uint64_t base;
	uint32_t limit; /* in bytes (g = 1 scales nothing here: limit is the byte limit) */
	uint16_t selector;
	uint8_t type; /* 4-bit type field */
	uint8_t present, dpl, db, s, l, g;
};

struct x86_boot_state {
	uint64_t rip, rsp, rflags;
	uint64_t rax, rbx, rsi;
	uint64_t cr0, cr3, cr4, efer;
	struct x86_segment cs, ds, es, fs, gs, ss;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

/* multiboot v1: 32-bit protected mode, flat segments, paging off, EAX = magic, EBX = info. */
void x86_boot_state_multiboot(struct x86_boot_state *s, uint32_t entry, uint32_t info);
/* 64-bit Linux boot protocol: long mode, identity paging, RSI = zero page, interrupts off. */
void x86_boot_state_linux64(struct x86_boot_state *s, uint64_t entry, uint64_t zero_page,
			    uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit);
/* An AP after INIT + startup IPI: real mode at CS = vector << 8, IP = 0. */
void x86_boot_state_sipi(struct x86_boot_state *s, uint8_t vector);

#endif
