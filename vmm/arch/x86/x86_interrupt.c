/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IDT delivery of an external interrupt. Layouts from the Intel SDM vol. 3A:
 * gate descriptors (6.11 figure 6-2, 6.14.1 figure 6-8), segment
 * descriptors (3.4.5), the frames (6.12.1 figure 6-4, 6.14.2 figure 6-9)
 * and the flags an interrupt or trap gate clears (6.12.1.3).
 */
#include "arch/x86/x86_interrupt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/x86_paging.h"

#define CR0_PE	 0x1ull
#define EFER_LMA 0x400ull

#define GATE_TASK   0x5u
#define GATE_INT16  0x6u
#define GATE_TRAP16 0x7u
#define GATE_INT    0xeu /* 32-bit, or 64-bit in IA-32e mode */
#define GATE_TRAP   0xfu

#define DESC_TYPE_CODE	     0x8u
#define DESC_TYPE_CONFORMING 0x4u

static int fail(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t le64(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

struct gate {
	uint64_t offset;
	uint16_t selector;
	uint8_t type, present, ist;
};

static int read_gate(const struct x86_int_cpu *cpu, const struct x86_guest_mem *mem, uint8_t vector,
		     bool lm, struct gate *g, char *why, size_t why_len)
{
	unsigned size = lm ? 16 : 8;
	uint64_t off = (uint64_t)vector * size;
	uint8_t d[16];
	const char *w = "";

	if (off + size - 1 > cpu->idt_limit)
		return fail(why, why_len,
			    "vector %u: gate beyond the IDT limit 0x%x (IDT at 0x%llx)", vector,
			    cpu->idt_limit, (unsigned long long)cpu->idt_base);
	if (mem->read(mem->ctx, cpu->idt_base + off, d, size, &w) != 0)
		return fail(why, why_len, "vector %u: gate at 0x%llx unreadable: %s", vector,
			    (unsigned long long)(cpu->idt_base + off), w);
	g->offset = le64(d, 2) | le64(d + 6, 2) << 16;
	if (lm)
		g->offset |= le64(d + 8, 4) << 32;
	g->selector = (uint16_t)le64(d + 2, 2);
	g->type = d[5] & 0x1f; /* with S, which must be 0 for a gate */
	g->present = d[5] >> 7;
	g->ist = lm ? (d[4] & 7) : 0;
	if (!g->present)
		return fail(why, why_len, "vector %u: gate not present (the CPU raises #NP)",
			    vector);
	if (g->type == GATE_TASK)
		return fail(why, why_len, "vector %u: task gate (not supported)", vector);
	if (!lm && (g->type == GATE_INT16 || g->type == GATE_TRAP16))
		return fail(why, why_len, "vector %u: 16-bit gate (not supported)", vector);
	if (g->type != GATE_INT && g->type != GATE_TRAP)
		return fail(why, why_len,
			    "vector %u: gate type 0x%x is no %s interrupt or trap gate", vector,
			    g->type, lm ? "64-bit" : "32-bit");
	if (g->ist)
		return fail(why, why_len, "vector %u: IST %u stack switch (not supported)", vector,
			    g->ist);
	return 0;
}

struct code_seg {
	uint32_t limit;
	uint8_t type, dpl, present, s, l, db;
};

static int read_code_seg(const struct x86_int_cpu *cpu, const struct x86_guest_mem *mem,
			 uint8_t vector, uint16_t sel, struct code_seg *c, char *why,
			 size_t why_len)
{
	uint64_t off = sel & ~7u;
	uint8_t d[8];
	const char *w = "";

	if (off == 0)
		return fail(why, why_len, "vector %u: gate selector 0x%x is null", vector, sel);
	if (sel & 4)
		return fail(why, why_len,
			    "vector %u: gate selector 0x%x is in the LDT (not supported)", vector,
			    sel);
	if (off + 7 > cpu->gdt_limit)
		return fail(why, why_len, "vector %u: gate selector 0x%x beyond the GDT limit 0x%x",
			    vector, sel, cpu->gdt_limit);
	if (mem->read(mem->ctx, cpu->gdt_base + off, d, 8, &w) != 0)
		return fail(why, why_len, "vector %u: descriptor 0x%x at 0x%llx unreadable: %s",
			    vector, sel, (unsigned long long)(cpu->gdt_base + off), w);
	c->type = d[5] & 0xf;
	c->s = (d[5] >> 4) & 1;
	c->dpl = (d[5] >> 5) & 3;
	c->present = d[5] >> 7;
	c->l = (d[6] >> 5) & 1;
	c->db = (d[6] >> 6) & 1;
	c->limit = (uint32_t)(le64(d, 2) | (uint64_t)(d[6] & 0xf) << 16);
	if (d[6] & 0x80) /* G: 4 KiB granularity */
		c->limit = (c->limit << 12) | 0xfff;
	if (!c->s || !(c->type & DESC_TYPE_CODE))
		return fail(why, why_len, "vector %u: selector 0x%x is no code segment", vector,
			    sel);
	if (!c->present)
		return fail(why, why_len, "vector %u: code segment 0x%x not present", vector, sel);
	return 0;
}

int x86_interrupt_deliver(const struct x86_int_cpu *cpu, const struct x86_guest_mem *mem,
			  uint8_t vector, struct x86_int_entry *entry, char *why, size_t why_len)
{
	bool lm = (cpu->efer & EFER_LMA) != 0;
	unsigned cpl = cpu->cs & 3u;
	struct gate g = { 0 };
	struct code_seg c = { 0 };
	uint8_t frame[40];
	unsigned frame_len;
	uint64_t sp, la;
	const char *w = "";

	if (!(cpu->cr0 & CR0_PE))
		return fail(why, why_len, "vector %u: real mode (not supported)", vector);
	if (cpu->rflags & X86_RFLAGS_VM)
		return fail(why, why_len, "vector %u: virtual-8086 mode (not supported)", vector);
	if (read_gate(cpu, mem, vector, lm, &g, why, why_len) != 0 ||
	    read_code_seg(cpu, mem, vector, g.selector, &c, why, why_len) != 0)
		return -1;
	/* the handler's CPL: a conforming segment keeps the current one */
	if (!(c.type & DESC_TYPE_CONFORMING) && c.dpl < cpl)
		return fail(why, why_len,
			    "vector %u: privilege change CPL %u -> %u needs the TSS stack switch "
			    "(not supported)",
			    vector, cpl, c.dpl);
	if (c.dpl > cpl)
		return fail(why, why_len, "vector %u: code segment 0x%x DPL %u above CPL %u (#GP)",
			    vector, g.selector, c.dpl, cpl);

	if (lm) {
		if (!c.l || c.db)
			return fail(
				why, why_len,
				"vector %u: code segment 0x%x is no 64-bit segment (L %u, D %u)",
				vector, g.selector, c.l, c.db);
		if (!x86_canonical(g.offset, cpu->cr4))
			return fail(why, why_len, "vector %u: handler 0x%llx not canonical (#GP)",
				    vector, (unsigned long long)g.offset);
		/* SS, RSP, RFLAGS, CS, RIP on a stack aligned to 16 bytes (6.14.2) */
		frame_len = 40;
		sp = (cpu->rsp & ~0xfull) - frame_len;
		put_le(frame + 0, 8, cpu->rip);
		put_le(frame + 8, 8, cpu->cs);
		put_le(frame + 16, 8, cpu->rflags);
		put_le(frame + 24, 8, cpu->rsp);
		put_le(frame + 32, 8, cpu->ss);
		la = sp;
		if (!x86_canonical(la, cpu->cr4) || !x86_canonical(la + frame_len - 1, cpu->cr4))
			return fail(why, why_len, "vector %u: stack 0x%llx not canonical (#SS)",
				    vector, (unsigned long long)la);
	} else {
		uint32_t esp = (uint32_t)cpu->rsp;

		if (g.offset > c.limit)
			return fail(why, why_len,
				    "vector %u: handler 0x%llx beyond the code segment limit 0x%x "
				    "(#GP)",
				    vector, (unsigned long long)g.offset, c.limit);
		if (!cpu->ss_big)
			return fail(why, why_len, "vector %u: 16-bit stack segment (not supported)",
				    vector);
		/* EFLAGS, CS, EIP (6.12.1) */
		frame_len = 12;
		if (esp < frame_len)
			return fail(why, why_len, "vector %u: stack pointer 0x%x wraps (#SS)",
				    vector, esp);
		sp = esp - frame_len;
		put_le(frame + 0, 4, (uint32_t)cpu->rip);
		put_le(frame + 4, 4, cpu->cs);
		put_le(frame + 8, 4, (uint32_t)cpu->rflags);
		la = (uint32_t)(cpu->ss_base + sp);
	}
	if (mem->write(mem->ctx, la, frame, frame_len, &w) != 0)
		return fail(why, why_len, "vector %u: frame at 0x%llx (%u bytes) unwritable: %s",
			    vector, (unsigned long long)la, frame_len, w);

	entry->rip = g.offset;
	entry->rsp = sp;
	entry->cs = (uint16_t)((g.selector & ~3u) | cpl);
	entry->cs_changed = entry->cs != cpu->cs;
	entry->long_mode = lm;
	/* both gates clear TF, NT, RF (and VM); an interrupt gate also IF (6.12.1.3) */
	entry->rflags =
		cpu->rflags & ~(X86_RFLAGS_TF | X86_RFLAGS_NT | X86_RFLAGS_RF | X86_RFLAGS_VM);
	if (g.type == GATE_INT)
		entry->rflags &= ~X86_RFLAGS_IF;
	return 0;
}
