/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Software delivery of #BP for a guest whose `int3` KVM cannot handle.
 *
 * The nested paravirtual KVM of this project (kvm_pvm) stops with
 * KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION when a 64-bit
 * guest executes int3 (0xCC) instead of raising #BP. axvm then does what
 * the CPU would do (Intel SDM vol. 3A, 6.12 and 6.14; AMD APM vol. 2, 8.9):
 * IDT gate 3, privilege and stack checks, the five-slot 64-bit frame, and
 * the handler's CS:RIP, RSP and RFLAGS. Only 64-bit mode is handled.
 */
#ifndef AXVM_X86_EXCEPTION_H
#define AXVM_X86_EXCEPTION_H

#include "accel/kvm/kvm.h"

/*
 * On KVM_EXIT_INTERNAL_ERROR: if it is an emulation failure on an int3,
 * delivers #BP to the guest; on an instruction arch/x86/x86_insn.c knows (64-bit
 * mode), executes it (a memory operand through the guest's page tables,
 * MXCSR through KVM_GET_XSAVE/KVM_SET_XSAVE). Returns 1 when done (run the vCPU
 * again; the vCPU's bp_delivered or insn_emulated count goes up). 0:
 * neither, nothing done (the caller reports the internal error). -1: an
 * int3 that could not be delivered; the VM stop was requested with the
 * reason (which check failed, with the addresses).
 */
int x86_handle_emulation_failure(struct axvm_vcpu *vcpu);

#endif
