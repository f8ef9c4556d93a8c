/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Demo guest entry: multiboot v1 header, flat GDT, stack, and the
 * interrupt stubs that funnel every vector into interrupt_dispatch().
 *
 * Boot state (multiboot v1 spec, "Machine state"): 32-bit protected mode,
 * paging off, interrupts off, EAX = 0x2BADB002, EBX = multiboot info.
 */

#define MULTIBOOT_HEADER_MAGIC	   0x1BADB002
#define MULTIBOOT_FLAG_PAGE_ALIGN  (1 << 0)
#define MULTIBOOT_FLAG_MEMORY_INFO (1 << 1)
#define MULTIBOOT_HEADER_FLAGS	   (MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO)

#define GDT_CODE_SELECTOR 0x08
#define GDT_DATA_SELECTOR 0x10

#define BOOT_STACK_SIZE 0x10000

/* Vectors for which the CPU pushes an error code (Intel SDM vol. 3, 6.13). */
#define HAS_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

/* Each stub is padded to this many bytes, so C finds stub v at isr_stubs + v * 16. */
#define ISR_STUB_SIZE 16

	.code32

/* _start is the load address (0x100000): a loader that jumps to the load
 * address and one that uses the ELF entry point end up in the same place. */
	.section .multiboot, "ax"
	.globl _start
_start:
	jmp boot_entry

	.balign 4
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.text
boot_entry:
	cli
	cld
	/* Keep the boot magic and info pointer while .bss is cleared. */
	mov %eax, %esi
	mov %ebx, %edx

	lgdt gdt_descriptor
	ljmp $GDT_CODE_SELECTOR, $reload_data_segments
reload_data_segments:
	mov $GDT_DATA_SELECTOR, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss

	/* A loader should zero .bss; do not rely on it. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov $boot_stack_top, %esp
	xor %ebp, %ebp
	push %edx /* multiboot info address */
	push %esi /* boot magic */
	call guest_main
1:	cli
	hlt
	jmp 1b

/* Every vector gets a stub that normalises the stack to
 * [vector, error code, eip, cs, eflags] and jumps to isr_common. */
	.balign ISR_STUB_SIZE
	.globl isr_stubs
isr_stubs:
	.set isr_vector, 0
	.rept 256
	.balign ISR_STUB_SIZE
	.if HAS_ERROR_CODE(isr_vector)
	.else
	pushl $0
	.endif
	pushl $isr_vector
	jmp isr_common
	.set isr_vector, isr_vector + 1
	.endr

/* Saves the general registers (struct interrupt_frame), calls
 * interrupt_dispatch(frame), restores, and returns from the interrupt.
 *
 * The return does by hand what IRET does for a same-privilege return:
 * restore EFLAGS, then a far return to CS:EIP that also drops the saved
 * EFLAGS slot. Under kvm_pvm (the KVM of the machine axvm is developed on)
 * this 32-bit guest's IRET is handed to KVM's instruction emulator, which
 * implements IRET for real mode only: the VM died with
 * KVM_INTERNAL_ERROR_EMULATION at the IRET. POPF and far RET the emulator
 * does implement. An interrupt taken between the two nests on this stack,
 * which is harmless: every handler has acknowledged its source by then. */
isr_common:
	pusha
	cld
	mov %esp, %eax
	push %eax
	call interrupt_dispatch
	add $4, %esp
	popa
	add $8, %esp /* vector and error code: [eip, cs, eflags] remain */
	pushl 8(%esp) /* the saved EFLAGS (address taken before the push) */
	popfl
	lret $4

	.data
	.balign 8
gdt:
	.quad 0			 /* null descriptor */
	.quad 0x00CF9A000000FFFF /* 0x08: code, base 0, limit 4 GiB, 32-bit, execute/read */
	.quad 0x00CF92000000FFFF /* 0x10: data, base 0, limit 4 GiB, read/write */
gdt_end:

	.balign 4
gdt_descriptor:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.balign 16
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
