/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instructions axvm executes for a guest when the host KVM cannot emulate
 * them (this project's nested kvm_pvm stops with an emulation failure on
 * some instructions a guest may not even know are trapped; CPUID masking
 * cannot hide them there). Pure functions over the instruction bytes and
 * the register file, so they are unit-tested without KVM.
 *
 * Supported, in 64-bit mode:
 *   POPCNT r16/32/64, r/m with a register operand (F3 [66] [REX] 0F B8 /r, mod = 11)
 *   CLAC (0F 01 CA) and STAC (0F 01 CB) at CPL 0
 *   WAIT/FWAIT (9B) when it neither faults (#NM: CR0.MP and CR0.TS) nor
 *   reports a pending x87 exception (#MF: FSW.ES)
 */
#ifndef AXVM_X86_INSN_H
#define AXVM_X86_INSN_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* The parts of the CPU state beyond the general registers that these instructions read. */
struct x86_insn_env {
	unsigned cpl;
	uint64_t cr0;
	uint16_t fpu_status; /* x87 FSW */
};

/*
 * Executes the instruction at code[0..len) against r (64-bit mode): updates
 * the destination, RFLAGS and RIP and returns 1; returns 0 when the
 * instruction is not one this file supports, or would fault (r is then
 * unchanged and the caller stops the VM).
 */
int x86_emulate_insn(const uint8_t *code, size_t len, const struct x86_insn_env *env,
		     struct kvm_regs *r);

#endif
