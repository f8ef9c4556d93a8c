/* SPDX-License-Identifier: Apache-2.0 */
#include "interrupts.h"

#include "console.h"
#include "exit_device.h"
#include "lapic.h"

/* Code segment selector from entry.S's GDT. */
#define GDT_CODE_SELECTOR 0x08
/* Present, DPL 0, 32-bit interrupt gate (Intel SDM vol. 3, 6.11). */
#define IDT_GATE_INTERRUPT32 0x8e
#define ISR_STUB_SIZE	     16
#define IDT_ENTRIES	     256

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t zero;
	uint8_t type_attr;
	uint16_t offset_high;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

extern char isr_stubs[]; /* entry.S: IDT_ENTRIES stubs, ISR_STUB_SIZE bytes each */

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(8)));
static interrupt_handler handlers[IDT_ENTRIES];
volatile uint32_t interrupts_unexpected;

static const char *const exception_names[EXCEPTION_VECTORS] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack fault",
	"general protection",
	"page fault",
	"reserved",
	"x87 error",
	"alignment check",
	"machine check",
	"SIMD error",
	"virtualization",
	"control protection",
};

void interrupts_init(void)
{
	for (unsigned v = 0; v < IDT_ENTRIES; v++) {
		uint32_t stub = (uint32_t)(uintptr_t)(isr_stubs + v * ISR_STUB_SIZE);

		idt[v].offset_low = (uint16_t)stub;
		idt[v].selector = GDT_CODE_SELECTOR;
		idt[v].zero = 0;
		idt[v].type_attr = IDT_GATE_INTERRUPT32;
		idt[v].offset_high = (uint16_t)(stub >> 16);
	}
	interrupts_load();
}

void interrupts_load(void)
{
	struct idt_pointer ptr = { .limit = sizeof(idt) - 1, .base = (uint32_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

void interrupt_set_handler(uint8_t vector, interrupt_handler handler)
{
	handlers[vector] = handler;
}

interrupt_handler interrupt_handler_of(uint8_t vector)
{
	return handlers[vector];
}

static void report_exception(const struct interrupt_frame *f)
{
	const char *name = exception_names[f->vector] ? exception_names[f->vector] : "reserved";

	console_printf("guest: EXCEPTION %u (%s) error 0x%x at eip 0x%08x eflags 0x%x\n", f->vector,
		       name, f->error_code, f->eip, f->eflags);
	console_printf("FAIL: demo guest crashed\n");
	guest_exit(1);
}

void interrupt_dispatch(struct interrupt_frame *frame)
{
	uint32_t v = frame->vector;

	if (handlers[v]) {
		handlers[v](frame);
		return;
	}
	if (v < EXCEPTION_VECTORS)
		report_exception(frame);
	interrupts_unexpected++;
	/* A spurious vector and the (masked) PICs' spurious IRQs must not be EOI'd;
	 * anything else came through the local APIC and blocks lower priorities until EOI. */
	if (v != VECTOR_LAPIC_SPURIOUS && (v < VECTOR_PIC_BASE || v >= VECTOR_PIC_BASE + 16))
		lapic_eoi();
}
