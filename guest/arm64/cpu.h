/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AArch64 primitives. The MMU is off, so every access is to Device memory:
 * MMIO helpers are plain single-copy-atomic loads and stores of the given
 * width, and nothing may be unaligned (the build uses -mstrict-align).
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdbool.h>
#include <stdint.h>

#define read_sysreg(name)                                                                          \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #name : "=r"(v_));                                     \
		v_;                                                                                \
	})

#define write_sysreg(name, value)                                                                  \
	__asm__ volatile("msr " #name ", %0" : : "r"((uint64_t)(value)) : "memory")

/* GIC CPU interface system registers, by encoding (no assembler GIC feature needed). */
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_HPPIR1_EL1	S3_0_C12_C12_2
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5
#define ICC_RPR_EL1	S3_0_C12_C11_3

/* Expands the name before stringizing it. */
#define read_sysreg_x(name)	    read_sysreg(name)
#define write_sysreg_x(name, value) write_sysreg(name, value)

static inline void isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

/* Orders memory accesses (RAM and MMIO) against each other. */
static inline void memory_barrier(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

/* WFI wakes on a pending interrupt even with PSTATE.I set (Arm ARM D1.6). */
static inline void wait_for_interrupt(void)
{
	__asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

/* Lets a pending IRQ be taken, then masks again. */
static inline void irq_window(void)
{
	__asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	__asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t v;

	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
	__asm__ volatile("str %x0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint32_t v;

	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return (uint8_t)v;
}

static inline void mmio_write8(uintptr_t addr, uint8_t v)
{
	__asm__ volatile("strb %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

/* This CPU's index: MPIDR_EL1 Aff0 (the demo machine has one cluster). */
static inline unsigned cpu_index(void)
{
	return (unsigned)(read_sysreg(mpidr_el1) & 0xff);
}

#endif
