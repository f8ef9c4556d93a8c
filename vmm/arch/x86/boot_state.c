/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The three start states of boot_state.h. Values from the Intel SDM vol. 3A
 * (9.1.1 processor state after reset, 9.9 mode switching), the multiboot v1
 * specification (3.2 machine state) and Linux's Documentation/x86/boot.rst
 * (64-bit boot protocol).
 */
#include "arch/x86/boot_state.h"

#include <string.h>

#define CR0_PE	     0x1ull
#define CR0_ET	     0x10ull
#define CR0_NE	     0x20ull
#define CR0_NW	     0x20000000ull
#define CR0_CD	     0x40000000ull
#define CR0_PG	     0x80000000ull
#define CR4_PAE	     0x20ull
#define EFER_LME     0x100ull
#define EFER_LMA     0x400ull
#define RFLAGS_FIXED 0x2ull /* bit 1 always reads 1; IF clear: interrupts off */

#define SEG_CODE_XR_ACCESSED 0xbu /* execute/read, accessed */
#define SEG_DATA_RW_ACCESSED 0x3u /* read/write, accessed */

#define MULTIBOOT_EAX_MAGIC 0x2badb002u
#define MULTIBOOT_CS	    0x08u
#define MULTIBOOT_DS	    0x10u
#define LINUX_BOOT_CS	    0x10u /* __BOOT_CS */
#define LINUX_BOOT_DS	    0x18u /* __BOOT_DS */

static struct x86_segment flat32(uint16_t selector, uint8_t type)
{
	return (struct x86_segment){
		.base = 0,
		.limit = 0xffffffffu,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = 1,
		.s = 1,
		.l = 0,
		.g = 1,
	};
}

static void data_segments(struct x86_boot_state *s, struct x86_segment ds)
{
	s->ds = s->es = s->fs = s->gs = s->ss = ds;
}

void x86_boot_state_multiboot(struct x86_boot_state *s, uint32_t entry, uint32_t info)
{
	memset(s, 0, sizeof(*s));
	s->cs = flat32(MULTIBOOT_CS, SEG_CODE_XR_ACCESSED);
	data_segments(s, flat32(MULTIBOOT_DS, SEG_DATA_RW_ACCESSED));
	s->cr0 = CR0_PE | CR0_ET; /* paging off */
	s->rip = entry;
	s->rax = MULTIBOOT_EAX_MAGIC;
	s->rbx = info;
	s->rflags = RFLAGS_FIXED;
}

void x86_boot_state_linux64(struct x86_boot_state *s, uint64_t entry, uint64_t zero_page,
			    uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit)
{
	memset(s, 0, sizeof(*s));
	s->cs = flat32(LINUX_BOOT_CS, SEG_CODE_XR_ACCESSED);
	s->cs.l = 1; /* 64-bit code: L = 1 needs D = 0 */
	s->cs.db = 0;
	data_segments(s, flat32(LINUX_BOOT_DS, SEG_DATA_RW_ACCESSED));
	s->gdt_base = gdt_base;
	s->gdt_limit = gdt_limit;
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG; /* caches on: CD and NW clear */
	s->cr3 = cr3;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
	s->rip = entry;
	s->rsi = zero_page;
	s->rsp = zero_page - 0x10; /* the kernel sets its own stack; a sane one meanwhile */
	s->rflags = RFLAGS_FIXED;
}

void x86_boot_state_sipi(struct x86_boot_state *s, uint8_t vector)
{
	/* real mode, 64 KiB segments; CS.base = vector * 4 KiB, IP = 0 (SDM 8.4.4.1, 10.4.7.3) */
	struct x86_segment data = {
		.limit = 0xffff,
		.type = SEG_DATA_RW_ACCESSED,
		.present = 1,
		.s = 1,
	};

	memset(s, 0, sizeof(*s));
	data_segments(s, data);
	s->cs = data;
	s->cs.type = SEG_CODE_XR_ACCESSED;
	s->cs.selector = (uint16_t)(vector << 8);
	s->cs.base = (uint64_t)vector << 12;
	s->gdt_limit = 0xffff;
	s->cr0 = CR0_CD | CR0_NW | CR0_ET; /* the value after INIT */
	s->rflags = RFLAGS_FIXED;
}
