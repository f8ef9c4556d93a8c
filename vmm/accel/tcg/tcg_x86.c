/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86 side of the TCG accelerator: start states into Unicorn's
 * registers, port I/O hooks, interrupt delivery through the guest's IDT at
 * safe points, the interrupt shadow, and exceptions the engine cannot
 * deliver.
 *
 * Facts about Unicorn 2.0.1 this relies on (measured):
 * - UC_MODE_32: writing a segment register in protected mode loads the
 *   descriptor from the guest's GDT (a selector beyond the limit fails with
 *   UC_ERR_EXCEPTION); in real mode it loads base = selector << 4. The
 *   engine resets to flat 32-bit protected mode, which is the multiboot
 *   state except that the selectors read 0 until the guest loads its own
 *   GDT (multiboot leaves their values undefined).
 * - UC_MODE_64: resets to long mode with paging off; segment writes set
 *   the selector only (the hidden parts stay flat 64-bit). CR3, CR4, EFER
 *   (UC_X86_REG_MSR) and CR0.PG written in that order give the guest's
 *   page tables.
 * - uc_emu_start's `begin` is the EIP/RIP (CS.base is added); the block
 *   hook's address is linear.
 * - HLT makes uc_emu_start return UC_ERR_OK with the PC after the HLT.
 * - STI and MOV SS end a translated block, and the one instruction after
 *   them is a block of its own: the block hook then runs at an address in
 *   the interrupt shadow (see tcg_x86_can_interrupt_at).
 * - #GP, #PF, #DE, INT n, INT3 ... reach UC_HOOK_INTR and are not
 *   delivered through the IDT; UD2 and other invalid opcodes make
 *   uc_emu_start return UC_ERR_INSN_INVALID.
 * - RDTSC returns the host's TSC (about 2.1 GHz here, steady): the demo
 *   guest's calibration against the APIC timer sees a sane rate.
 */
#include "accel/tcg/tcg.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86/x86_interrupt.h"
#include "arch/x86/x86_paging.h"

#define CR0_PE	 0x1ull
#define CR0_PG	 0x80000000ull
#define EFER_LMA 0x400ull
#define MSR_EFER 0xc0000080u

#define INSN_HLT    0xf4u
#define INSN_STI    0xfbu
#define INSN_POP_SS 0x17u
#define INSN_MOV_SR 0x8eu

uc_mode tcg_x86_mode(const struct x86_boot_state *s)
{
	return (s->efer & EFER_LMA) ? UC_MODE_64 : UC_MODE_32;
}

static bool is64(const struct tcg_vcpu *t)
{
	return t->mode == UC_MODE_64;
}

static uint64_t reg(struct tcg_vcpu *t, int id32, int id64)
{
	uint64_t v = 0; /* a 32-bit engine writes the low 4 bytes */

	uc_reg_read(t->uc, is64(t) ? id64 : id32, &v);
	return v;
}

static int reg_set(struct tcg_vcpu *t, int id32, int id64, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (is64(t))
		return uc_reg_write(t->uc, id64, &v) == UC_ERR_OK ? 0 : -1;
	return uc_reg_write(t->uc, id32, &v32) == UC_ERR_OK ? 0 : -1;
}

uint64_t tcg_x86_pc(struct tcg_vcpu *t)
{
	return reg(t, UC_X86_REG_EIP, UC_X86_REG_RIP);
}

bool tcg_x86_interrupts_enabled(struct tcg_vcpu *t)
{
	return (reg(t, UC_X86_REG_EFLAGS, UC_X86_REG_RFLAGS) & X86_RFLAGS_IF) != 0;
}

static uint64_t efer(struct tcg_vcpu *t)
{
	uc_x86_msr m = { .rid = MSR_EFER };

	uc_reg_read(t->uc, UC_X86_REG_MSR, &m);
	return m.value;
}

/* ---- guest memory by linear address, through the guest's own paging ---- */

struct lin {
	struct tcg_vcpu *t;
	struct x86_paging pg;
	bool paging, lm;
};

static uint64_t *pt_entry(void *ctx, uint64_t gpa)
{
	struct tcg_vcpu *t = ctx;

	return guest_ram_at(&t->vcpu->vm->ram, gpa, 8);
}

static void lin_init(struct lin *l, struct tcg_vcpu *t)
{
	l->t = t;
	l->pg = (struct x86_paging){
		.cr0 = reg(t, UC_X86_REG_CR0, UC_X86_REG_CR0),
		.cr3 = reg(t, UC_X86_REG_CR3, UC_X86_REG_CR3),
		.cr4 = reg(t, UC_X86_REG_CR4, UC_X86_REG_CR4),
		.efer = efer(t),
		.rflags = reg(t, UC_X86_REG_EFLAGS, UC_X86_REG_RFLAGS),
		.cpl = (unsigned)reg(t, UC_X86_REG_CS, UC_X86_REG_CS) & 3u,
		.entry = pt_entry,
		.ctx = t,
	};
	l->paging = (l->pg.cr0 & CR0_PG) != 0;
	l->lm = (l->pg.efer & EFER_LMA) != 0;
}

static int lin_access(struct lin *l, uint64_t la, uint8_t *buf, size_t len, bool write,
		      const char **why)
{
	while (len > 0) {
		size_t chunk = 0x1000 - (la & 0xfff);
		uint64_t gpa = la;
		uint8_t *host;

		if (chunk > len)
			chunk = len;
		if (!l->lm)
			gpa = (uint32_t)la;
		if (l->paging &&
		    x86_translate(&l->pg, la, write ? X86_ACCESS_WRITE : X86_ACCESS_READ, &gpa,
				  why) != 0)
			return -1;
		host = guest_ram_at(&l->t->vcpu->vm->ram, gpa, chunk);
		if (!host) {
			*why = "not guest RAM";
			return -1;
		}
		if (write)
			memcpy(host, buf, chunk);
		else
			memcpy(buf, host, chunk);
		la += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

static int lin_read(void *ctx, uint64_t la, void *buf, size_t len, const char **why)
{
	return lin_access(ctx, la, buf, len, false, why);
}

static int lin_write(void *ctx, uint64_t la, const void *buf, size_t len, const char **why)
{
	return lin_access(ctx, la, (uint8_t *)buf, len, true, why);
}

/* ---- start states ---- */

/*
 * Runs `code` (ending in HLT) from a scratch page at 0 of a fresh engine,
 * before guest memory is mapped there, then forgets the page and its
 * translation (only that block: a whole flush costs ~0.2 s of page zeroing).
 */
static uc_err run_stub(struct tcg_vcpu *t, const uint8_t *code, size_t len)
{
	uc_err e = uc_mem_map(t->uc, 0, 0x1000, UC_PROT_ALL);

	if (e != UC_ERR_OK)
		return e;
	e = uc_mem_write(t->uc, 0, code, len);
	if (e == UC_ERR_OK)
		e = uc_emu_start(t->uc, 0, len, 0, 0);
	if (e == UC_ERR_OK)
		e = uc_ctl_remove_cache(t->uc, 0, 0x1000);
	uc_mem_unmap(t->uc, 0, 0x1000);
	return e;
}

/*
 * Every engine is CPU 0 to Unicorn: CPUID reports APIC ID 0 on all of them.
 * An AP's engine learns its leaf 1 here (cpuid; hlt) and its CPUID hook
 * answers leaf 1 with the vCPU's own APIC ID in EBX[31:24], as KVM's CPUID
 * table does; other leaves run natively.
 */
static int cpuid_hook(uc_engine *uc, void *user)
{
	struct tcg_vcpu *t = user;
	uint32_t leaf = 0, ebx;

	uc_reg_read(uc, UC_X86_REG_EAX, &leaf);
	if (leaf != 1 || !t->cpuid1_valid)
		return 0;
	ebx = (t->cpuid1[1] & 0x00ffffffu) | t->vcpu->id << 24;
	uc_reg_write(uc, UC_X86_REG_EAX, &t->cpuid1[0]);
	uc_reg_write(uc, UC_X86_REG_EBX, &ebx);
	uc_reg_write(uc, UC_X86_REG_ECX, &t->cpuid1[2]);
	uc_reg_write(uc, UC_X86_REG_EDX, &t->cpuid1[3]);
	return 1; /* done: the engine skips the instruction */
}

static int capture_cpuid1(struct tcg_vcpu *t, char *err, size_t err_len)
{
	static const uint8_t stub[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2, 0xf4 };
	static const int regs[4] = { UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX,
				     UC_X86_REG_EDX };
	uc_err e = run_stub(t, stub, sizeof(stub)); /* mov eax, 1; cpuid; hlt */

	if (e != UC_ERR_OK) {
		snprintf(err, err_len, "vCPU %u: TCG: reading CPUID failed: %s", t->vcpu->id,
			 uc_strerror(e));
		return -1;
	}
	for (unsigned i = 0; i < 4; i++)
		uc_reg_read(t->uc, regs[i], &t->cpuid1[i]);
	t->cpuid1_valid = true;
	return 0;
}

/*
 * Unicorn's CR0 write leaves the translator's protected-mode flag set (a
 * real-mode MOV DS, AX then raises #GP), while a MOV CR0 the engine
 * executes updates it. So a fresh engine that must start in real mode runs
 * `mov eax, cr0; and eax, ~1; mov cr0, eax; hlt` as a stub. It also learns
 * its CPUID leaf 1 first (an AP: see cpuid_hook).
 */
int tcg_x86_enter_real_mode(struct tcg_vcpu *t, char *err, size_t err_len)
{
	static const uint8_t stub[] = {
		0x0f, 0x20, 0xc0, 0x83, 0xe0, 0xfe, 0x0f, 0x22, 0xc0, 0xf4
	};
	uint64_t cr0 = 0;
	uc_err e;

	if (capture_cpuid1(t, err, err_len) != 0)
		return -1;
	e = run_stub(t, stub, sizeof(stub));
	uc_reg_read(t->uc, UC_X86_REG_CR0, &cr0);
	if (e != UC_ERR_OK || (cr0 & CR0_PE)) {
		snprintf(err, err_len, "vCPU %u: TCG: entering real mode failed: %s", t->vcpu->id,
			 uc_strerror(e));
		return -1;
	}
	return 0;
}

static int seg_write(struct tcg_vcpu *t, int id, uint16_t sel, char *err, size_t err_len)
{
	uint64_t v = sel;
	uc_err e = uc_reg_write(t->uc, id, &v);

	if (e == UC_ERR_OK)
		return 0;
	snprintf(err, err_len, "vCPU %u: segment selector 0x%x: %s", t->vcpu->id, sel,
		 uc_strerror(e));
	return -1;
}

int tcg_x86_load_state(struct tcg_vcpu *t, const struct x86_boot_state *s, char *err,
		       size_t err_len)
{
	static const int seg_ids[] = { UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_FS, UC_X86_REG_GS,
				       UC_X86_REG_SS };
	const struct x86_segment *segs[] = { &s->ds, &s->es, &s->fs, &s->gs, &s->ss };
	bool lm = (s->efer & EFER_LMA) != 0;

	if (lm != is64(t)) {
		snprintf(err, err_len, "vCPU %u: TCG: a %s start on a %s engine", t->vcpu->id,
			 lm ? "64-bit" : "32-bit", is64(t) ? "64-bit" : "32-bit");
		return -1;
	}
	if (s->gdt_limit) {
		uc_x86_mmr gdtr = { .base = s->gdt_base, .limit = s->gdt_limit };

		uc_reg_write(t->uc, UC_X86_REG_GDTR, &gdtr);
	}
	if (lm) {
		uc_x86_msr m = { .rid = MSR_EFER, .value = s->efer };

		/* page tables before paging: CR3, CR4 (PAE), EFER, then CR0.PG */
		reg_set(t, UC_X86_REG_CR3, UC_X86_REG_CR3, s->cr3);
		reg_set(t, UC_X86_REG_CR4, UC_X86_REG_CR4, s->cr4);
		uc_reg_write(t->uc, UC_X86_REG_MSR, &m);
	}
	reg_set(t, UC_X86_REG_CR0, UC_X86_REG_CR0, s->cr0);
	/*
	 * Protected mode without a GDT in guest memory (multiboot): a selector write would
	 * load a descriptor from nowhere. The engine's reset state is already flat.
	 */
	if (!(s->cr0 & CR0_PE) || s->gdt_limit) {
		if (seg_write(t, UC_X86_REG_CS, s->cs.selector, err, err_len) != 0)
			return -1;
		for (unsigned i = 0; i < 5; i++)
			if (seg_write(t, seg_ids[i], segs[i]->selector, err, err_len) != 0)
				return -1;
	}
	if (reg_set(t, UC_X86_REG_EAX, UC_X86_REG_RAX, s->rax) != 0 ||
	    reg_set(t, UC_X86_REG_EBX, UC_X86_REG_RBX, s->rbx) != 0 ||
	    reg_set(t, UC_X86_REG_ESI, UC_X86_REG_RSI, s->rsi) != 0 ||
	    reg_set(t, UC_X86_REG_ESP, UC_X86_REG_RSP, s->rsp) != 0 ||
	    reg_set(t, UC_X86_REG_EFLAGS, UC_X86_REG_RFLAGS, s->rflags) != 0 ||
	    reg_set(t, UC_X86_REG_EIP, UC_X86_REG_RIP, s->rip) != 0) {
		snprintf(err, err_len, "vCPU %u: TCG: writing the start registers failed",
			 t->vcpu->id);
		return -1;
	}
	return 0;
}

/* ---- interrupts ---- */

/*
 * The interrupt shadow (SDM vol. 3A 6.8.3): after STI, MOV SS and POP SS
 * the CPU takes no interrupt before the next instruction completes.
 * Unicorn keeps that flag to itself, but it ends a block after such an
 * instruction and runs the next one alone, so the block hook sees the
 * shadowed instruction at the start of a block that begins exactly where
 * the previous one ended (no jump between them) and whose last bytes are
 * STI (fb), POP SS (17) or MOV SS, r16 (8e d0..d7). Those bytes can also
 * end another instruction (an immediate, a displacement): then delivery
 * waits one more block, which is harmless; a jump in between never
 * matches, so a loop cannot keep delivery off. Not caught: MOV SS from
 * memory (rare and used with interrupts off).
 *
 * HLT: an interrupt taken before `sti; hlt`'s HLT would be handled and
 * then the CPU would halt with nothing left to wake it. So a block that
 * starts with HLT never takes one: the HLT returns from the engine and the
 * interrupt is delivered there, with the address after the HLT pushed, as
 * the CPU does when an interrupt ends a halt.
 */
bool tcg_x86_can_interrupt_at(struct tcg_vcpu *t, uint64_t pc, uint64_t prev_end)
{
	struct lin l;
	uint8_t b[2];
	const char *why;

	lin_init(&l, t);
	if (lin_read(&l, pc, b, 1, &why) == 0 && b[0] == INSN_HLT)
		return false;
	if (prev_end != pc || prev_end < 2 || lin_read(&l, prev_end - 2, b, 2, &why) != 0)
		return true;
	if (b[1] == INSN_STI || (b[1] == INSN_POP_SS && !is64(t)))
		return false;
	return !(b[0] == INSN_MOV_SR && (b[1] & 0xf8u) == 0xd0u);
}

/* SS's base and B flag from its descriptor (protected mode, not long mode). */
static void stack_segment(struct tcg_vcpu *t, struct lin *l, struct x86_int_cpu *c)
{
	uint8_t d[8];
	const char *why;

	c->ss_base = 0;
	c->ss_big = true; /* the engine's reset state, before the guest loads SS */
	if ((c->ss & ~7u) == 0 || (c->ss & 4u) || (c->ss | 7u) > c->gdt_limit ||
	    lin_read(l, c->gdt_base + (c->ss & ~7u), d, 8, &why) != 0)
		return;
	(void)t;
	c->ss_base =
		(uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24;
	c->ss_big = (d[6] >> 6) & 1;
}

int tcg_x86_deliver(struct tcg_vcpu *t)
{
	struct axvm_vcpu *vcpu = t->vcpu;
	struct x86_guest_mem mem = { .read = lin_read, .write = lin_write };
	struct x86_int_cpu c;
	struct x86_int_entry e;
	uc_x86_mmr idtr = { 0 }, gdtr = { 0 };
	struct lin l;
	uint32_t vector;
	char why[256];

	c.rflags = reg(t, UC_X86_REG_EFLAGS, UC_X86_REG_RFLAGS);
	if (!(c.rflags & X86_RFLAGS_IF) || !ax_devices_irq_pending(vcpu->vm->devices, vcpu->id))
		return 0;
	if (ax_devices_irq_ack(vcpu->vm->devices, vcpu->id, &vector) != AX_OK)
		return 0;

	lin_init(&l, t);
	if (l.lm && !is64(t)) {
		/* the 32-bit engine's register API has no 64-bit registers (they read 0) */
		axvm_request_stop(
			vcpu->vm, AXVM_STATUS_VCPU,
			"vCPU %u: TCG: an AP in long mode (its engine started in real mode "
			"as a 32-bit one): not supported",
			vcpu->id);
		return -1;
	}
	mem.ctx = &l;
	uc_reg_read(t->uc, UC_X86_REG_IDTR, &idtr);
	uc_reg_read(t->uc, UC_X86_REG_GDTR, &gdtr);
	c.rip = tcg_x86_pc(t);
	c.rsp = reg(t, UC_X86_REG_ESP, UC_X86_REG_RSP);
	c.cr0 = l.pg.cr0;
	c.cr4 = l.pg.cr4;
	c.efer = l.pg.efer;
	c.cs = (uint16_t)reg(t, UC_X86_REG_CS, UC_X86_REG_CS);
	c.ss = (uint16_t)reg(t, UC_X86_REG_SS, UC_X86_REG_SS);
	c.idt_base = idtr.base;
	c.idt_limit = (uint16_t)idtr.limit;
	c.gdt_base = gdtr.base;
	c.gdt_limit = (uint16_t)gdtr.limit;
	stack_segment(t, &l, &c);
	if (x86_interrupt_deliver(&c, &mem, (uint8_t)vector, &e, why, sizeof(why)) != 0) {
		axvm_request_stop(vcpu->vm, AXVM_STATUS_VCPU,
				  "vCPU %u: TCG: cannot deliver interrupt %u at rip 0x%llx: %s",
				  vcpu->id, vector, (unsigned long long)c.rip, why);
		return -1;
	}
	reg_set(t, UC_X86_REG_EFLAGS, UC_X86_REG_RFLAGS, e.rflags);
	reg_set(t, UC_X86_REG_ESP, UC_X86_REG_RSP, e.rsp);
	if (e.cs_changed) {
		uint64_t cs = e.cs;

		uc_reg_write(t->uc, UC_X86_REG_CS, &cs);
	}
	/* last: in the block hook, this abandons the block and goes on at the handler */
	reg_set(t, UC_X86_REG_EIP, UC_X86_REG_RIP, e.rip);
	tcg_count(&t->stats.irqs);
	return 1;
}

/* ---- exceptions and engine errors ---- */

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "-",   "#TS",
	"#NP", "#SS", "#GP", "#PF", "-",   "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void tcg_x86_fail(struct tcg_vcpu *t, const char *what, int vector, uint64_t pc)
{
	struct lin l;
	uint8_t b[16];
	char bytes[64] = "";
	char vec[64] = "";
	const char *why = "";
	uint64_t la = pc;

	lin_init(&l, t);
	if (!(l.pg.cr0 & CR0_PE)) /* real mode: CS.base = selector << 4 */
		la = (reg(t, UC_X86_REG_CS, UC_X86_REG_CS) << 4) + (pc & 0xffff);
	for (unsigned n = 16; n > 0; n /= 2) {
		if (lin_read(&l, la, b, n, &why) == 0) {
			size_t used = 0;

			for (unsigned i = 0; i < n; i++)
				used += (size_t)snprintf(bytes + used, sizeof(bytes) - used,
							 " %02x", b[i]);
			break;
		}
	}
	if (vector >= 0) {
		const char *name =
			vector < 32 && exception_names[vector] ? exception_names[vector] : "INT n";

		snprintf(vec, sizeof(vec), " %s (vector %d%s)", name, vector,
			 vector == 14 ? ", see CR2" : "");
	}
	axvm_request_stop(t->vcpu->vm, AXVM_STATUS_VCPU,
			  "vCPU %u: TCG: %s%s at rip 0x%llx%s%s (cr0 0x%llx, cr2 0x%llx, rflags "
			  "0x%llx): the software CPU does not deliver exceptions the guest raises "
			  "itself",
			  t->vcpu->id, what, vec, (unsigned long long)pc, bytes[0] ? ", bytes" : "",
			  bytes, (unsigned long long)l.pg.cr0,
			  (unsigned long long)reg(t, UC_X86_REG_CR2, UC_X86_REG_CR2),
			  (unsigned long long)l.pg.rflags);
}

/* ---- hooks ---- */

/* Values as little-endian host integers: tcg_vcpu.c checks the host's byte order. */
static uint32_t port_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	struct tcg_vcpu *t = user;
	(void)uc;
	tcg_count(&t->stats.pio);
	return (uint32_t)(axvm_vcpu_read(t->vcpu, AX_BUS_PORT, port & 0xffffu, (unsigned)size) &
			  tcg_size_mask((unsigned)size));
}

static void port_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	struct tcg_vcpu *t = user;

	(void)uc;
	tcg_count(&t->stats.pio);
	axvm_vcpu_write(t->vcpu, AX_BUS_PORT, port & 0xffffu, (unsigned)size, value);
}

/* An exception or INT n: the engine would not deliver it; stop where it happened. */
static void interrupt_hook(uc_engine *uc, uint32_t intno, void *user)
{
	struct tcg_vcpu *t = user;

	if (t->exception < 0) {
		t->exception = (int)intno;
		t->exception_pc = tcg_x86_pc(t);
	}
	uc_emu_stop(uc);
}

int tcg_x86_add_hooks(struct tcg_vcpu *t, char *err, size_t err_len)
{
	static const struct tcg_hook_spec hooks[] = {
		{ UC_HOOK_INSN, (void *)port_in, UC_X86_INS_IN },
		{ UC_HOOK_INSN, (void *)port_out, UC_X86_INS_OUT },
		{ UC_HOOK_INTR, (void *)interrupt_hook, -1 },
	};
	static const struct tcg_hook_spec cpuid = { UC_HOOK_INSN, (void *)cpuid_hook,
						    UC_X86_INS_CPUID };

	if (tcg_add_hooks(t, hooks, sizeof(hooks) / sizeof(hooks[0]), err, err_len) != 0)
		return -1;
	return t->cpuid1_valid ? tcg_add_hooks(t, &cpuid, 1, err, err_len) : 0;
}

/* The block hook's address is linear; EIP/RIP is exact in x86 hooks, so it is not needed. */
static int x86_deliver(struct tcg_vcpu *t, const uint64_t *block_pc)
{
	(void)block_pc;
	return tcg_x86_deliver(t);
}

/* A startup IPI: real mode at CS:IP = (vector << 8):0. */
static int x86_start(struct tcg_vcpu *t, char *err, size_t err_len)
{
	struct x86_boot_state s;

	x86_boot_state_sipi(&s, t->start_vector);
	return tcg_x86_load_state(t, &s, err, err_len);
}

const struct tcg_arch tcg_arch_x86 = {
	.name = "x86",
	.uc_arch = UC_ARCH_X86,
	.phys_top = UINT64_C(1) << 40, /* qemu64: 40 physical address bits */
	.pc = tcg_x86_pc,
	.interrupts_enabled = tcg_x86_interrupts_enabled,
	.can_interrupt_at = tcg_x86_can_interrupt_at,
	.deliver = x86_deliver,
	.fail = tcg_x86_fail,
	.add_hooks = tcg_x86_add_hooks,
	.start = x86_start,
	.halt_wakes_masked = false,
};
