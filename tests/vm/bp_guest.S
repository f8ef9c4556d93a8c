/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny 64-bit test kernel for tests/vm/bp.sh: executes int3 and checks the
 * #BP frame. Built with `cc -c` and `objcopy -O binary` into a minimal
 * "bzImage" (boot protocol 2.12, XLF_KERNEL_64, one setup sector) that axvm's
 * bzImage loader starts in long mode at load + 0x200 (load = 1 MiB) with
 * CS = 0x10, SS = 0x18, identity paging and interrupts off.
 *
 * It builds an IDT with an interrupt gate for vector 3, runs int3 with an
 * unaligned stack, and in the handler writes 'B' to COM1 (0x3f8) and checks
 * the frame: saved RIP = the instruction after int3, CS = 0x10, SS = 0x18,
 * the saved RSP = the one before int3, RFLAGS.IF clear, the frame 16-byte
 * aligned. Then iretq back; after it 'K' and exit status 0 through the exit
 * device (port 0x501). A failed check exits with its own status (2..7).
 * Everything is position independent (RIP-relative); data lives at fixed
 * low addresses (IDT at 0x80000, stack below 0x90000).
 */
#define COM1	 0x3f8
#define EXIT	 0x501
#define IDT	 0x80000
#define STACK	 0x90000
#define BOOT_CS	 0x10
#define BOOT_DS	 0x18

#include "bzimage_header.S"
startup_64:
	mov	$STACK, %rsp
	/* gate 3: handler offset, selector 0x10, interrupt gate, present, DPL 0, IST 0 */
	lea	bp_handler(%rip), %rax
	mov	$IDT, %rdi
	xor	%ecx, %ecx
1:	movq	$0, (%rdi, %rcx, 8)
	inc	%ecx
	cmp	$64, %ecx
	jb	1b
	mov	%ax, 3 * 16(%rdi)
	movw	$BOOT_CS, 3 * 16 + 2(%rdi)
	movw	$0x8e00, 3 * 16 + 4(%rdi)
	shr	$16, %rax
	mov	%ax, 3 * 16 + 6(%rdi)
	shr	$16, %rax
	mov	%eax, 3 * 16 + 8(%rdi)
	/* IDTR (limit: 32 gates) just below the IDT */
	movw	$32 * 16 - 1, -16(%rdi)
	mov	%rdi, -14(%rdi)
	lidt	-16(%rdi)

	sub	$8, %rsp		/* unaligned: the CPU realigns the frame */
	mov	%rsp, %r12		/* the RSP the frame must save */
	lea	after_int3(%rip), %r13	/* the RIP it must save */
	int3
after_int3:
	cmp	%r12, %rsp		/* iretq restored RSP */
	mov	$7, %al
	jne	exit
	mov	$0x4b, %al		/* 'K' */
	mov	$COM1, %dx
	outb	%al, %dx
	mov	$0x0a, %al
	outb	%al, %dx
	xor	%eax, %eax
exit:
	mov	$EXIT, %dx
	outb	%al, %dx
	hlt
	jmp	exit

bp_handler:
	mov	%eax, %ebx
	mov	$0x42, %al		/* 'B' */
	mov	$COM1, %dx
	outb	%al, %dx
	mov	$2, %al
	cmp	%r13, 0(%rsp)		/* saved RIP: after int3 */
	jne	exit
	mov	$3, %al
	cmpq	$BOOT_CS, 8(%rsp)	/* saved CS */
	jne	exit
	mov	$4, %al
	testq	$0x200, 16(%rsp)	/* IF was clear */
	jnz	exit
	mov	$5, %al
	cmp	%r12, 24(%rsp)		/* saved RSP */
	jne	exit
	mov	$6, %al
	cmpq	$BOOT_DS, 32(%rsp)	/* saved SS */
	jne	exit
	lea	40(%rsp), %rcx		/* the aligned RSP before the pushes */
	test	$15, %cl
	jnz	exit
	pushfq				/* IF clear in the handler (interrupt gate) */
	pop	%rcx
	test	$0x200, %ecx
	jnz	exit
	iretq
