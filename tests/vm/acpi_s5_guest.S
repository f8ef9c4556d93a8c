/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny 64-bit test kernel for tests/vm/acpi-s5.sh: powers the VM off the
 * way an OS does on a hardware-reduced ACPI platform, using only what axvm's
 * ACPI tables say. Built like bp_guest.S (cc -c, objcopy -O binary) into a
 * minimal "bzImage" (boot protocol 2.14 for boot_params.acpi_rsdp_addr,
 * XLF_KERNEL_64) that axvm starts in long mode at 1 MiB + 0x200 with RSI =
 * the zero page, identity paging and interrupts off.
 *
 * RSDP (zero page 0x070) -> XSDT -> FADT: SLEEP_CONTROL_REG (offset 244)
 * and SLEEP_STATUS_REG (256) must be SystemIO, 8 bits, offset 0, byte
 * access. DSDT: the bytes NameOp "_S5_" PackageOp, then the first element
 * (ZeroOp, OneOp or BytePrefix n) is SLP_TYPa. Then:
 *   'A' to COM1; SLP_EN with another type (axvm must refuse it and go on);
 *   'R'; WAK_STS (0x80) to the status register, which must then read with
 *   WAK_STS clear; (SLP_TYPa << 2) | SLP_EN to the control register:
 *   axvm must stop here with status 0.
 * Exit statuses (exit device, port 0x501) when something is wrong:
 *   2 no RSDP address, 3 bad RSDP, 4 bad XSDT, 5 no FADT, 6 FADT too short,
 *   7 a bad sleep register GAS, 8 no \_S5, 9 a bad \_S5 package,
 *   10 WAK_STS set, 11 the VM still runs after the S5 write.
 * A FADT without sleep registers (both GAS zero): exit 20 when the DSDT has
 * no \_S5 either (what axvm builds without an acpi-sleep device), else 21.
 */
#define COM1	 0x3f8
#define EXIT	 0x501
#define STACK	 0x90000
#define SLP_EN	 0x20
#define WAK_STS	 0x80

#define BZ_PROTOCOL 0x020e /* 2.14: acpi_rsdp_addr */
#include "bzimage_header.S"
startup_64:
	mov	$STACK, %rsp
	xor	%r15d, %r15d		/* 1: the FADT has no sleep registers */
	/* RSDP: "RSD PTR ", XSDT address at 24 */
	mov	0x70(%rsi), %rbx
	test	%rbx, %rbx
	jz	fail2
	movabs	$0x2052545020445352, %rax
	cmp	%rax, (%rbx)
	jne	fail3
	mov	24(%rbx), %r8
	cmpl	$0x54445358, (%r8)	/* "XSDT" */
	jne	fail4
	/* the FADT among the XSDT's (length - 36) / 8 entries */
	mov	4(%r8), %ecx
	sub	$36, %ecx
	shr	$3, %ecx
	lea	36(%r8), %rdx
1:	test	%ecx, %ecx
	jz	fail5
	mov	(%rdx), %r9
	cmpl	$0x50434146, (%r9)	/* "FACP" */
	je	2f
	add	$8, %rdx
	dec	%ecx
	jmp	1b
2:	cmpl	$268, 4(%r9)		/* up to the end of SLEEP_STATUS_REG */
	jb	fail6
	/* the two GAS: all zero means no sleep registers */
	mov	244(%r9), %rax
	or	248(%r9), %rax
	or	256(%r9), %rax
	or	260(%r9), %rax
	jnz	3f
	mov	$1, %r15d
	jmp	find_s5
3:	lea	244(%r9), %rdi
	call	check_gas
	mov	248(%r9), %r10		/* SLEEP_CONTROL_REG's port */
	lea	256(%r9), %rdi
	call	check_gas
	mov	260(%r9), %r11		/* SLEEP_STATUS_REG's port */

find_s5:
	/* NameOp "_S5_" PackageOp in the DSDT's AML (X_DSDT at 140) */
	mov	140(%r9), %r12
	mov	4(%r12), %ecx
	lea	(%r12, %rcx), %r13	/* the end of the table */
	lea	36(%r12), %rdx
4:	lea	8(%rdx), %rax		/* 6 bytes to match, then PkgLength and NumElements */
	cmp	%r13, %rax
	ja	no_s5
	cmpb	$0x08, (%rdx)
	jne	5f
	cmpl	$0x5f35535f, 1(%rdx)	/* "_S5_" */
	jne	5f
	cmpb	$0x12, 5(%rdx)
	je	found_s5
5:	inc	%rdx
	jmp	4b
no_s5:
	test	%r15d, %r15d
	jz	fail8
	mov	$20, %al		/* neither sleep registers nor \_S5 */
	jmp	exit
found_s5:
	test	%r15d, %r15d
	jnz	fail21
	/* PkgLength: bits 7:6 of its lead byte count the bytes that follow */
	movzbl	6(%rdx), %ecx
	shr	$6, %ecx
	lea	7(%rdx, %rcx), %rdx	/* NumElements */
	lea	3(%rdx), %rax
	cmp	%r13, %rax
	ja	fail9
	cmpb	$1, (%rdx)
	jb	fail9
	movzbl	1(%rdx), %eax		/* the first element: SLP_TYPa */
	cmp	$1, %al			/* ZeroOp, OneOp: the value itself */
	jbe	6f
	cmp	$0x0a, %al		/* BytePrefix */
	jne	fail9
	movzbl	2(%rdx), %eax
6:	cmp	$7, %eax		/* three bits */
	ja	fail9
	mov	%eax, %r14d

	mov	$'A', %al
	mov	$COM1, %dx
	outb	%al, %dx
	/* another sleep type: refused, the VM must go on */
	mov	%r14d, %eax
	xor	$1, %eax
	shl	$2, %eax
	or	$SLP_EN, %eax
	mov	%r10d, %edx
	outb	%al, %dx
	mov	$'R', %al
	mov	$COM1, %dx
	outb	%al, %dx
	/* as ACPICA: clear WAK_STS, write SLP_TYPa | SLP_EN, wait for WAK_STS */
	mov	$WAK_STS, %al
	mov	%r11d, %edx
	outb	%al, %dx
	inb	%dx, %al
	test	$WAK_STS, %al
	jnz	fail10
	mov	%r14d, %eax
	shl	$2, %eax
	or	$SLP_EN, %eax
	mov	%r10d, %edx
	outb	%al, %dx
	mov	$11, %al
	jmp	exit

/* The GAS at RDI: SystemIO, 8 bits at offset 0, byte access, a port 1..0xffff. */
check_gas:
	cmpl	$0x01000801, (%rdi)
	jne	fail7
	mov	4(%rdi), %rax
	test	%rax, %rax
	jz	fail7
	cmp	$0xffff, %rax
	ja	fail7
	ret

fail2:	mov	$2, %al
	jmp	exit
fail3:	mov	$3, %al
	jmp	exit
fail4:	mov	$4, %al
	jmp	exit
fail5:	mov	$5, %al
	jmp	exit
fail6:	mov	$6, %al
	jmp	exit
fail7:	mov	$7, %al
	jmp	exit
fail8:	mov	$8, %al
	jmp	exit
fail9:	mov	$9, %al
	jmp	exit
fail10:	mov	$10, %al
	jmp	exit
fail21:	mov	$21, %al
exit:
	mov	$EXIT, %dx
	outb	%al, %dx
	hlt
	jmp	exit
