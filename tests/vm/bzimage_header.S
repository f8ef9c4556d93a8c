/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The front of the tiny test kernels in tests/vm/ (bp_guest.S,
 * insn_guest.S, acpi_s5_guest.S): one setup sector with the Linux boot
 * protocol's setup header, so that axvm's bzImage loader places the rest at
 * 1 MiB and starts it in long mode at +0x200 (file offset 0x600), with
 * CS = 0x10, SS = 0x18, identity paging, interrupts off and RSI = the zero
 * page. Define BZ_PROTOCOL before including it to ask for a newer protocol
 * (2.12 by default).
 */
#ifndef BZ_PROTOCOL
#define BZ_PROTOCOL 0x020c
#endif

	.code64
	.text
	.globl	image_start
image_start:
	.org	0x1f1
	.byte	1			/* setup_sects */
	.org	0x1fe
	.word	0xaa55			/* boot_flag */
	.byte	0xeb, 0x66		/* jump: the header ends at 0x268 */
	.ascii	"HdrS"			/* 0x202 */
	.word	BZ_PROTOCOL		/* 0x206 */
	.org	0x234
	.byte	1			/* relocatable_kernel */
	.org	0x236
	.word	0x0001			/* xloadflags: XLF_KERNEL_64 */
	.long	255			/* 0x238 cmdline_size */
	.org	0x258
	.quad	0x100000		/* pref_address */
	.long	0x10000			/* 0x260 init_size */
	/* the protected-mode part, loaded at 1 MiB; entry at +0x200 */
	.org	0x600
