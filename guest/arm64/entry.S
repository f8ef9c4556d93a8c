/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry points of the Arm demo guest: the arm64 Image header (Linux
 * Documentation/arch/arm64/booting.rst), the boot CPU's start, the
 * secondary CPUs' PSCI CPU_ON entry, and the EL1 exception vectors.
 * Runs with the MMU off throughout (physical = virtual, Device memory).
 */
#include "platform.h"

#define STACK_SIZE 0x4000
#define FRAME_SIZE (34 * 8) /* x0..x30, ELR, SPSR, padding: struct exception_frame */

	.section .text.head, "ax"
	.globl	_start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0			/* text_offset: at the 2 MiB aligned base of RAM */
	.quad	__image_size		/* image_size, BSS included */
	.quad	0xa			/* flags: little-endian, 4K pages, anywhere */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: no PE header */

primary_entry:
	mov	x19, x0			/* the DTB, for guest_main */

	/*
	 * Linked at the base of RAM. A loader that put us elsewhere (QEMU
	 * keeps its boot stub below 2 MiB and loads a text_offset 0 Image
	 * 2 MiB up) gets the image moved to where it was linked. Only
	 * PC-relative code until the jump.
	 */
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.eq	2f
	ldr	x3, =__load_end
	sub	x3, x3, x2
1:	ldr	x4, [x1], #8
	str	x4, [x2], #8
	subs	x3, x3, #8
	b.gt	1b
	dsb	sy
	ic	iallu
	dsb	sy
	isb
	ldr	x4, =2f
	br	x4
2:
	/* Zero the BSS (16-byte aligned at both ends by linker.ld). */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:
	ldr	x1, =cpu_stacks + STACK_SIZE
	mov	sp, x1
	ldr	x1, =exception_vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	guest_main
5:	wfi
	b	5b

/*
 * PSCI CPU_ON entry: EL1h, DAIF masked, MMU off, X0 = the context id the
 * boot CPU passed, which is this CPU's index (it picks the stack).
 */
	.text
	.globl	secondary_entry
secondary_entry:
	cmp	x0, #PLATFORM_CPUS
	b.hs	2f
	ldr	x1, =cpu_stacks + STACK_SIZE
	mov	x2, #STACK_SIZE
	madd	x1, x0, x2, x1
	mov	sp, x1
	ldr	x1, =exception_vectors
	msr	vbar_el1, x1
	isb
	bl	secondary_main
2:	wfi
	b	2b

/*
 * Exception vectors: 16 entries of 0x80 bytes, the table 2 KiB aligned.
 * Each entry saves x0/x1, puts its index (0..15) in x0 and joins the
 * common path, which saves the rest, calls exception_dispatch(index,
 * frame) and returns with ERET (the frame's ELR and SPSR, possibly changed).
 */
.macro vector index
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\index
	b	exception_common
.endm

	.balign	2048
	.globl	exception_vectors
exception_vectors:
	vector	0	/* current EL, SP_EL0: sync */
	vector	1	/* IRQ */
	vector	2	/* FIQ */
	vector	3	/* SError */
	vector	4	/* current EL, SP_ELx: sync */
	vector	5	/* IRQ (+0x280: the one we use) */
	vector	6	/* FIQ */
	vector	7	/* SError */
	vector	8	/* lower EL, AArch64 */
	vector	9
	vector	10
	vector	11
	vector	12	/* lower EL, AArch32 */
	vector	13
	vector	14
	vector	15

exception_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el1
	stp	x30, x1, [sp, #240]
	mrs	x1, spsr_el1
	str	x1, [sp, #256]
	mov	x1, sp
	bl	exception_dispatch
	ldp	x30, x1, [sp, #240]
	msr	elr_el1, x1
	ldr	x1, [sp, #256]
	msr	spsr_el1, x1
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #FRAME_SIZE
	eret

	.ltorg

	.bss
	.balign	16
	.globl	cpu_stacks
cpu_stacks:
	.space	STACK_SIZE * PLATFORM_CPUS
