/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 primitives: port I/O, MMIO accesses that compile to exactly one
 * plain mov (so a VMM's instruction decoder sees a simple access), the
 * time-stamp counter, and interrupt-flag control.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
	return value;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t value;
	__asm__ volatile("movl (%1), %0" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(value), "r"(addr) : "memory");
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint8_t value;
	__asm__ volatile("movb (%1), %0" : "=q"(value) : "r"(addr) : "memory");
	return value;
}

static inline void mmio_write8(uintptr_t addr, uint8_t value)
{
	__asm__ volatile("movb %0, (%1)" : : "q"(value), "r"(addr) : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Orders normal memory (virtqueue rings) against each other and against MMIO. */
static inline void memory_barrier(void)
{
	__asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline void interrupts_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void interrupts_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/*
 * Enables interrupts and halts in one step: an interrupt that becomes
 * pending between the caller's check and the halt still wakes the CPU,
 * because STI defers delivery until after the next instruction.
 * Returns with interrupts disabled again.
 */
static inline void interrupts_enable_and_halt(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

__attribute__((noreturn)) static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" : : : "memory");
}

#endif
