/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny 64-bit test kernel for tests/vm/insn.sh, in the bzImage shape of
 * tests/vm/bp_guest.S (entry at 1 MiB + 0x200, long mode, interrupts off).
 *
 * It runs the instructions vmm/x86_insn.c executes when the host KVM
 * cannot (this project's kvm_pvm emulates every instruction of such a
 * guest, and its emulator lacks these) and checks their results. MXCSR is
 * checked across the boundary between axvm and the vCPU's real FPU state:
 * a value an LDMXCSR loads must be what FXSAVE (the CPU's or KVM's own
 * emulation) stores, and a value FXRSTOR loads must be what STMXCSR stores.
 * A failed check exits with its own status (2..10); success writes "IOK" to
 * COM1 and exits 0. Nothing here can fault: there is no IDT.
 */
#define COM1	0x3f8
#define EXIT	0x501
#define STACK	0x90000
#define SCRATCH	0x80000		/* 4-byte operands */
#define FXAREA	0x81000		/* 512 bytes, 16-aligned; MXCSR at +24 */

#include "bzimage_header.S"
startup_64:
	mov	$STACK, %rsp
	mov	$COM1, %dx
	mov	$0x49, %al		/* 'I' */
	outb	%al, %dx
	/* SSE on: CR0.EM clear, CR0.MP set; CR4.OSFXSR and OSXMMEXCPT */
	mov	%cr0, %rax
	and	$~0x4, %rax
	or	$0x2, %rax
	mov	%rax, %cr0
	mov	%cr4, %rax
	or	$0x600, %rax
	mov	%rax, %cr4

	/* POPCNT, register and memory forms */
	mov	$2, %bl
	mov	$0xf0f0f0f0f0f0f0f1, %rdi
	popcnt	%rdi, %rax
	cmp	$33, %rax
	jne	fail
	mov	$3, %bl
	movl	$0x80000003, SCRATCH
	mov	$SCRATCH, %rsi
	popcnt	(%rsi), %ecx
	cmp	$3, %ecx
	jne	fail
	/* in an STI shadow: axvm ends the shadow with the instruction */
	mov	$10, %bl
	sti
	popcnt	%rdi, %rdx
	cli
	cmp	$33, %rdx
	jne	fail

	/* LDMXCSR, then STMXCSR: the value goes through the vCPU's state */
	mov	$4, %bl
	movl	$0x3f80, SCRATCH	/* round down, all exceptions masked */
	ldmxcsr	SCRATCH
	movl	$0, SCRATCH + 4
	stmxcsr	SCRATCH + 4
	cmpl	$0x3f80, SCRATCH + 4
	jne	fail
	/* ... and it is the FPU's: FXSAVE stores it */
	mov	$5, %bl
	fxsave	FXAREA
	cmpl	$0x3f80, FXAREA + 24
	jne	fail
	/* the other way: FXRSTOR loads one, STMXCSR (SIB + disp8 form) stores it */
	mov	$6, %bl
	movl	$0x5f80, FXAREA + 24	/* round up */
	fxrstor	FXAREA
	movl	$0, SCRATCH + 12
	mov	$SCRATCH, %rcx
	xor	%eax, %eax
	stmxcsr	12(%rcx, %rax, 4)
	cmpl	$0x5f80, SCRATCH + 12
	jne	fail

	/* STAC / CLAC */
	mov	$7, %bl
	stac
	pushfq
	pop	%rax
	test	$0x40000, %eax
	jz	fail
	mov	$8, %bl
	clac
	pushfq
	pop	%rax
	test	$0x40000, %eax
	jnz	fail

	/* FWAIT with no x87 exception pending */
	mov	$9, %bl
	fninit
	fwait

	mov	$COM1, %dx
	mov	$0x4f, %al		/* 'O' */
	outb	%al, %dx
	mov	$0x4b, %al		/* 'K' */
	outb	%al, %dx
	mov	$0x0a, %al
	outb	%al, %dx
	xor	%ebx, %ebx
fail:
	mov	%bl, %al
	mov	$EXIT, %dx
	outb	%al, %dx
	hlt
	jmp	fail
