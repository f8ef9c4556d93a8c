/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instructions axvm executes for a guest when the host KVM cannot emulate
 * them (this project's nested kvm_pvm stops with an emulation failure on
 * some instructions a guest may not even know are trapped; CPUID masking
 * cannot hide them there). Pure functions over the instruction bytes, the
 * register file and a guest-memory interface, so they are unit-tested
 * without KVM.
 *
 * Supported, in 64-bit mode:
 *   POPCNT r16/32/64, r/m16/32/64 (F3 [66] [REX] 0F B8 /r)
 *   CLAC (0F 01 CA) and STAC (0F 01 CB) at CPL 0
 *   WAIT/FWAIT (9B) when it neither faults (#NM: CR0.MP and CR0.TS) nor
 *   reports a pending x87 exception (#MF: FSW.ES)
 *   LDMXCSR m32 (0F AE /2) and STMXCSR m32 (0F AE /3), any 64-bit addressing
 *   form (SIB, RIP-relative, FS/GS override, 0x67 address size), when they
 *   do not fault (#UD: CR0.EM or !CR4.OSFXSR; #NM: CR0.TS; #GP: reserved
 *   MXCSR bits; #PF/#GP: the operand is not accessible guest memory)
 */
#ifndef AXVM_X86_INSN_H
#define AXVM_X86_INSN_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Guest linear memory as the instruction would see it. Each call is all or
 * nothing: 0 when every byte of [gva, gva + len) was read or written, -1
 * when any of it would fault (then nothing was written).
 */
struct x86_insn_mem {
	int (*read)(void *ctx, uint64_t gva, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t gva, const void *buf, size_t len);
	void *ctx;
};

/* The CPU state beyond the general registers that these instructions read or write. */
struct x86_insn_env {
	unsigned cpl;
	uint64_t cr0;
	uint64_t cr4;
	uint16_t fpu_status; /* x87 FSW */
	uint32_t mxcsr;	     /* in and out: LDMXCSR replaces it */
	uint32_t mxcsr_mask; /* MXCSR bits the CPU implements (FXSAVE's MXCSR_MASK) */
	uint64_t fs_base;
	uint64_t gs_base;
	struct x86_insn_mem mem;
};

/* What x86_emulate_insn() executed. */
enum x86_insn_kind {
	X86_INSN_NONE, /* nothing: unsupported, or it would fault */
	X86_INSN_POPCNT,
	X86_INSN_CLAC_STAC,
	X86_INSN_WAIT,
	X86_INSN_MXCSR, /* LDMXCSR, STMXCSR */
	X86_INSN_KINDS
};

/* "popcnt", "clac/stac", ... for statistics; "none" for X86_INSN_NONE. */
const char *x86_insn_kind_name(enum x86_insn_kind kind);

/*
 * Executes the instruction at code[0..len) (64-bit mode): updates r (the
 * destination, RFLAGS, RIP), env->mxcsr and guest memory as the CPU would,
 * and returns what it executed. Returns X86_INSN_NONE when the instruction
 * is not one this file supports or would fault: r, env and guest memory are
 * then unchanged and the caller stops the VM.
 */
enum x86_insn_kind x86_emulate_insn(const uint8_t *code, size_t len, struct x86_insn_env *env,
				    struct kvm_regs *r);

#endif
