/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delivery of an external interrupt through the guest's IDT, as the CPU
 * does it (Intel SDM vol. 3A, 6.10 to 6.14): for an accelerator that has no
 * interrupt input of its own (TCG on Unicorn). Pure: registers in, new
 * registers out, guest memory through the caller's linear-address access
 * (which does the paging), so it is tested without a CPU.
 *
 * Covered: protected mode (32-bit interrupt and trap gates, the
 * EFLAGS/CS/EIP frame) and IA-32e mode (64-bit gates, the SS/RSP/RFLAGS/
 * CS/RIP frame on a 16-byte aligned stack), both without a privilege
 * change: the interrupted code and the handler run at the same CPL, which
 * is where a kernel without user space takes its interrupts. Refused, with
 * a reason, where the CPU would fault (#GP, #NP, #SS, #PF: a guest bug that
 * we do not turn into a nested exception) and what is not implemented:
 * real and virtual-8086 mode, task and 16-bit gates, LDT selectors, a
 * privilege change (the TSS stack switch) and IST stacks.
 */
#ifndef AXVM_X86_INTERRUPT_H
#define AXVM_X86_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Guest memory by linear address; translation and its checks are the caller's. */
struct x86_guest_mem {
	/* 0, or -1 with *why (a constant string) when the range is not accessible */
	int (*read)(void *ctx, uint64_t la, void *buf, size_t len, const char **why);
	int (*write)(void *ctx, uint64_t la, const void *buf, size_t len, const char **why);
	void *ctx;
};

/* What delivery reads of the interrupted CPU. */
struct x86_int_cpu {
	uint64_t rip, rsp, rflags;
	uint64_t cr0, cr4, efer;
	uint16_t cs, ss;  /* selectors; CPL is CS.RPL */
	uint64_t ss_base; /* protected mode: the stack's linear base */
	bool ss_big;	  /* protected mode: SS.B, a 32-bit stack pointer */
	uint64_t idt_base, gdt_base;
	uint16_t idt_limit, gdt_limit;
};

/* The handler's state; the frame is already in guest memory. */
struct x86_int_entry {
	uint64_t rip, rsp, rflags;
	uint16_t cs;
	bool cs_changed; /* the gate names another code segment than the current one */
	bool long_mode;	 /* 64-bit gate and frame */
};

#define X86_RFLAGS_TF 0x100ull
#define X86_RFLAGS_IF 0x200ull
#define X86_RFLAGS_NT 0x4000ull
#define X86_RFLAGS_RF 0x10000ull
#define X86_RFLAGS_VM 0x20000ull

/*
 * Delivers `vector` as an external interrupt (no error code): reads the
 * gate and the target code segment's descriptor, writes the frame, fills
 * *entry. 0 on success; -1 with a message in why (what failed, with the
 * addresses) and guest memory untouched.
 */
int x86_interrupt_deliver(const struct x86_int_cpu *cpu, const struct x86_guest_mem *mem,
			  uint8_t vector, struct x86_int_entry *entry, char *why, size_t why_len);

#endif
