/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IDT: every vector has a stub (entry.S) that calls interrupt_dispatch();
 * a vector with a registered handler runs it, a CPU exception reports the
 * fault and exits the VM with status 1, and any other vector is counted.
 */
#ifndef GUEST_INTERRUPTS_H
#define GUEST_INTERRUPTS_H

#include <stdint.h>

/* What isr_common leaves on the stack (PUSHA order, then the stub's pushes, then the CPU's). */
struct interrupt_frame {
	uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	uint32_t vector;
	uint32_t error_code;
	uint32_t eip, cs, eflags;
};

typedef void (*interrupt_handler)(struct interrupt_frame *frame);

/* Vectors the guest uses. 0x20..0x2f: the (masked) legacy PICs after remapping. */
#define VECTOR_PIC_BASE	      0x20
#define VECTOR_DISK	      0x40
#define VECTOR_LAPIC_TIMER    0x41
#define VECTOR_UART	      0x42
#define VECTOR_LAPIC_SPURIOUS 0xff

#define EXCEPTION_VECTORS 32

void interrupts_init(void);
/* Loads the IDT on the calling CPU (interrupts_init does it for the boot CPU). */
void interrupts_load(void);
void interrupt_set_handler(uint8_t vector, interrupt_handler handler);
interrupt_handler interrupt_handler_of(uint8_t vector);

/* Interrupts that arrived on a vector without a handler (spurious PIC IRQs, stray vectors). */
extern volatile uint32_t interrupts_unexpected;

void interrupt_dispatch(struct interrupt_frame *frame);

#endif
