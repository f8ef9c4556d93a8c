/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A probe of the host KVM, for tools/probe-user-entry.sh: can a guest's user
 * mode (CPL 3) enter its kernel? A tiny 64-bit kernel in the bzImage shape
 * of tests/vm/ sets up its own GDT (kernel and user segments, a TSS with
 * RSP0), 1 GiB of identity-mapped user pages, an IDT (#GP, #PF, and vector
 * 0x80 with DPL 3) and SYSCALL (EFER.SCE, STAR, LSTAR, SFMASK), drops to
 * CPL 3 with iretq and enters the kernel with SYSCALL (ENTRY_SYSCALL) or
 * INT $0x80 (ENTRY_INT80). The kernel side reads CS: 0x10 writes "K" to COM1
 * and exits 0; if the entry left CPL 3 in place, its first port write is a
 * #GP, whose handler writes "G" and the faulting CS and exits 0x40. A #PF
 * exits 0x41; a fault while delivering one shuts the VM down.
 */
#define COM1 0x3f8
#define EXIT 0x501
#define GDT  0x70000
#define IDT  0x71000
#define TSS  0x72000
#define PML4 0x73000
#define PDPT 0x74000
#define PD   0x75000
#define KSTACK 0x80000
#define USTACK 0x88000
#include "../tests/vm/bzimage_header.S"
startup_64:
	mov	$KSTACK, %rsp
	/* GDT: 0 null, 0x10 kcode64, 0x18 kdata, 0x20 ucode32 (unused), 0x28 udata, 0x30 ucode64, 0x40 TSS */
	mov	$GDT, %rdi
	movq	$0, 0x00(%rdi)
	movq	$0, 0x08(%rdi)
	movabs	$0x00af9b000000ffff, %rax
	mov	%rax, 0x10(%rdi)
	movabs	$0x00cf93000000ffff, %rax
	mov	%rax, 0x18(%rdi)
	movabs	$0x00cffb000000ffff, %rax
	mov	%rax, 0x20(%rdi)
	movabs	$0x00cff3000000ffff, %rax
	mov	%rax, 0x28(%rdi)
	movabs	$0x00affb000000ffff, %rax
	mov	%rax, 0x30(%rdi)
	movq	$0, 0x38(%rdi)
	/* TSS descriptor: base TSS, limit 0x67, type 9, present */
	mov	$TSS, %rax
	mov	%rax, %rdx
	shl	$16, %rdx
	movabs	$0xffffff0000, %rsi
	and	%rsi, %rdx
	or	$0x67, %rdx
	movabs	$0x890000000000, %rcx
	or	%rcx, %rdx
	mov	%rax, %rcx
	shr	$24, %rcx
	and	$0xff, %rcx
	shl	$56, %rcx
	or	%rcx, %rdx
	mov	%rdx, 0x40(%rdi)
	movq	$0, 0x48(%rdi)
	movq	$KSTACK, TSS + 4	/* RSP0 */
	movw	$0x68, TSS + 0x66	/* I/O map base beyond the limit */
	movw	$0x4f, GDT - 16
	movq	$GDT, GDT - 14
	lgdt	GDT - 16
	mov	$0x40, %ax
	ltr	%ax
	/* page tables: 1 GiB identity with 2 MiB pages, user + writable */
	mov	$PD, %rdi
	xor	%ecx, %ecx
1:	mov	%rcx, %rax
	shl	$21, %rax
	or	$0x87, %rax
	mov	%rax, (%rdi, %rcx, 8)
	inc	%ecx
	cmp	$512, %ecx
	jb	1b
	movq	$PD + 7, PDPT
	movq	$PDPT + 7, PML4
	mov	$PML4, %rax
	mov	%rax, %cr3
	/* IDT: 13, 14 -> fault (DPL 0), 0x80 -> int80 (DPL 3) */
	mov	$IDT, %rdi
	lea	fault13(%rip), %rax
	mov	$13, %ebx
	mov	$0x8e00, %edx
	call	gate
	lea	fault14(%rip), %rax
	mov	$14, %ebx
	call	gate
	lea	int80(%rip), %rax
	mov	$0x80, %ebx
	mov	$0xee00, %edx
	call	gate
	movw	$256 * 16 - 1, IDT - 16
	movq	$IDT, IDT - 14
	lidt	IDT - 16
	/* SYSCALL: EFER.SCE, STAR, LSTAR, SFMASK */
	mov	$0xc0000080, %ecx
	rdmsr
	or	$1, %eax
	wrmsr
	mov	$0xc0000081, %ecx
	xor	%eax, %eax
	mov	$0x00200010, %edx	/* SYSRET base 0x20 (CS 0x30, SS 0x28), SYSCALL CS 0x10 */
	wrmsr
	mov	$0xc0000082, %ecx
	lea	syscall_entry(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	wrmsr
	mov	$0xc0000084, %ecx
	mov	$0x200, %eax
	xor	%edx, %edx
	wrmsr
	/* to CPL 3 */
	pushq	$0x2b
	pushq	$USTACK
	pushq	$0x2
	pushq	$0x33
	lea	user(%rip), %rax
	push	%rax
	iretq

gate:	/* rax handler, rbx vector, edx type/attr; selector 0x10 */
	shl	$4, %rbx
	add	%rdi, %rbx
	mov	%ax, (%rbx)
	movw	$0x10, 2(%rbx)
	mov	%dx, 4(%rbx)
	mov	%rax, %rcx
	shr	$16, %rcx
	mov	%cx, 6(%rbx)
	shr	$32, %rax
	mov	%eax, 8(%rbx)
	movl	$0, 12(%rbx)
	ret

user:
#ifdef ENTRY_INT80
	int	$0x80
#else
	syscall
#endif
	jmp	user

int80:
syscall_entry:
	mov	%cs, %rax
	cmp	$0x10, %ax
	mov	$COM1, %dx
	mov	$0x4b, %al		/* "K": in the kernel at CPL 0 (a #GP at CPL 3) */
	outb	%al, %dx
	xor	%eax, %eax
	mov	$EXIT, %dx
	outb	%al, %dx
	hlt

fault13:
	mov	$0x40, %bl
	jmp	fault
fault14:
	mov	$0x41, %bl
fault:	mov	16(%rsp), %rcx		/* the faulting CS (after the error code and RIP) */
	mov	$COM1, %dx
	mov	$0x47, %al		/* "G" */
	outb	%al, %dx
	mov	%cl, %al
	shr	$4, %al
	add	$0x30, %al		/* the CS as two hex digits (0x10, 0x33) */
	outb	%al, %dx
	mov	%cl, %al
	and	$0xf, %al
	add	$0x30, %al
	outb	%al, %dx
	mov	%bl, %al
	mov	$EXIT, %dx
	outb	%al, %dx
	hlt
