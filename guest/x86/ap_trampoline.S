/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where an application processor starts. A startup IPI with vector V starts
 * the AP in real mode at CS = V << 8, IP = 0 (Intel SDM vol. 3, 9.4.4), so
 * smp_checks.c copies ap_trampoline..ap_trampoline_end below 1 MiB (at
 * V << 12) and stores the boot CPU's GDTR (sgdt) in the copy's
 * ap_gdt_pointer before sending it. The trampoline loads that GDT,
 * enters protected mode and far-jumps to ap_entry32 in the kernel image,
 * which takes the stack the boot CPU left in ap_stack_top and calls ap_main.
 */

#define GDT_CODE_SELECTOR 0x08
#define GDT_DATA_SELECTOR 0x10
#define CR0_PE		  0x1

	.section .rodata
	.code16
	.globl ap_trampoline, ap_gdt_pointer, ap_trampoline_end
ap_trampoline:
	cli
	mov %cs, %ax
	mov %ax, %ds
	/* the pointer is addressed relative to the trampoline, wherever it was copied */
	lgdtl ap_gdt_pointer - ap_trampoline
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $GDT_CODE_SELECTOR, $ap_entry32

	.balign 4
ap_gdt_pointer:
	.word 0 /* limit and base: filled in by the boot CPU */
	.long 0
ap_trampoline_end:

	.text
	.code32
ap_entry32:
	mov $GDT_DATA_SELECTOR, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov ap_stack_top, %esp
	xor %ebp, %ebp
	call ap_main
	/* ap_main does not return; should it, wait for interrupts forever */
1:	sti
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
