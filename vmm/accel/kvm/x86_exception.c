/* SPDX-License-Identifier: Apache-2.0 */
/*
 * #BP delivery in software, 64-bit mode only (see x86_exception.h). The
 * steps follow the SDM's description of a software interrupt (INT3) through
 * a 64-bit IDT gate:
 *
 *   1. gate 3 = 16 bytes at IDTR.base + 3 * 16, inside IDTR.limit;
 *      type 0xE (interrupt) or 0xF (trap) else #GP; gate DPL < CPL: #GP
 *      (INT3 is a software interrupt); not present: #NP
 *   2. the gate's selector: a present 64-bit code segment (L = 1, D = 0) in
 *      the GDT with DPL <= CPL, else #GP / #NP; the new CPL is its DPL
 *      (a conforming segment keeps the CPL)
 *   3. the stack: IST n (TSS offset 0x24 + 8 * (n - 1)) when the gate's IST
 *      field is non-zero; else TSS.RSPn (offset 4 + 8 * n) on a privilege
 *      change to n; else the current RSP. Aligned down to 16 bytes.
 *   4. push SS, RSP, RFLAGS, CS, RIP (8 bytes each); int3 is a trap, so the
 *      saved RIP is the next instruction (RIP + 1)
 *   5. CS:RIP = gate selector (RPL = new CPL) : gate offset; on a privilege
 *      change SS = the null selector with RPL = new CPL; RFLAGS.TF, NT, RF
 *      (and VM) cleared, and IF too for an interrupt gate.
 *
 * Any fault the CPU would raise while delivering (#GP, #NP, #SS, #PF) is
 * not emulated: the VM stops with the check that failed. Guest memory is
 * reached through the guest's page tables (x86_paging.c, with its
 * permission checks; KVM_TRANSLATE would call every page writable) and
 * guest_ram_at() only. The LDT (a gate selector with TI = 1) is not
 * supported.
 */
#include "accel/kvm/x86_exception.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "le.h"
#include "arch/x86/x86_insn.h"
#include "arch/x86/x86_paging.h"

#define INT3_OPCODE 0xccu
#define INT3_VECTOR 3u

#define EFER_LMA 0x400ull

#define RFLAGS_TF 0x100ull
#define RFLAGS_IF 0x200ull
#define RFLAGS_NT 0x4000ull
#define RFLAGS_RF 0x10000ull
#define RFLAGS_VM 0x20000ull
#define RFLAGS_AC 0x40000ull

#define GATE_INTERRUPT 0xeu
#define GATE_TRAP      0xfu

#define TSS64_AVAILABLE 0x9u
#define TSS64_BUSY	0xbu
#define TSS_RSP0	0x04u
#define TSS_IST1	0x24u

#define FRAME_SLOTS 5u
#define PAGE	    0x1000ull

struct bp_ctx {
	struct axvm_vcpu *vcpu;
	struct axvm_kvm_vcpu *kvm; /* its KVM state: fd, counters */
	struct x86_paging paging;  /* at the current CPL */
	char why[200];
};

/* How an access is checked (x86_paging.h): a data read at the current CPL unless flagged. */
#define ACCESS_WRITE  0x1u
#define ACCESS_FETCH  0x2u /* instruction bytes */
#define ACCESS_SYSTEM 0x4u /* the CPU's own access: IDT, GDT, TSS, #BP frame */

static int bp_fail(struct bp_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bp_fail(struct bp_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t *page_table_entry(void *ctx, uint64_t gpa)
{
	/* 8-aligned in guest RAM, whose host mapping is page aligned: an aligned uint64_t */
	return (gpa & 7) ? NULL : (uint64_t *)(void *)guest_ram_at(ctx, gpa, 8);
}

/* Host memory for [gva, gva + len), which must not cross a page; NULL with c->why. */
static uint8_t *gva_ptr(struct bp_ctx *c, uint64_t gva, size_t len, unsigned access,
			const char *what)
{
	struct x86_paging pg = c->paging;
	const char *fault = NULL;
	uint64_t gpa;
	uint8_t *p;

	if (access & ACCESS_SYSTEM) {
		pg.cpl = 0;
		pg.rflags &= ~RFLAGS_AC; /* SMAP applies to implicit accesses whatever AC says */
	}
	enum x86_access kind = (access & ACCESS_WRITE)	 ? X86_ACCESS_WRITE
			       : (access & ACCESS_FETCH) ? X86_ACCESS_FETCH
							 : X86_ACCESS_READ;

	if (x86_translate(&pg, gva, kind, &gpa, &fault) != 0) {
		static const char *const names[] = { "read", "write", "fetch" };

		bp_fail(c, "%s: guest address 0x%llx: %s (a %s at CPL %u)", what,
			(unsigned long long)gva, fault, names[kind], pg.cpl);
		return NULL;
	}
	p = guest_ram_at(&c->vcpu->vm->ram, gpa, len);
	if (!p)
		bp_fail(c, "%s: guest address 0x%llx (physical 0x%llx, %zu bytes) is not guest RAM",
			what, (unsigned long long)gva, (unsigned long long)gpa, len);
	return p;
}

/* Reads len bytes at the guest virtual address gva, page by page. */
static int gva_read(struct bp_ctx *c, uint64_t gva, uint8_t *buf, size_t len, unsigned access,
		    const char *what)
{
	while (len > 0) {
		size_t chunk = (size_t)(PAGE - (gva & (PAGE - 1)));
		const uint8_t *p;

		if (chunk > len)
			chunk = len;
		p = gva_ptr(c, gva, chunk, access, what);
		if (!p)
			return -1;
		memcpy(buf, p, chunk);
		gva += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* The 8 bytes at offset off of the current 64-bit TSS (TR). */
static int tss_read(struct bp_ctx *c, const struct kvm_sregs *s, uint32_t off, uint64_t *v,
		    const char *what)
{
	uint8_t b[8];

	if (!s->tr.present || s->tr.unusable ||
	    (s->tr.type != TSS64_AVAILABLE && s->tr.type != TSS64_BUSY))
		return bp_fail(c, "%s: TR (selector 0x%x, type 0x%x) is not a 64-bit TSS", what,
			       s->tr.selector, s->tr.type);
	if ((uint64_t)off + 7 > s->tr.limit)
		return bp_fail(c, "%s: TSS offset 0x%x beyond TR limit 0x%x", what, off,
			       s->tr.limit);
	if (gva_read(c, s->tr.base + off, b, sizeof(b), ACCESS_SYSTEM, what) != 0)
		return -1;
	*v = le_load(b, 8);
	return 0;
}

struct gate {
	uint64_t offset;
	uint16_t selector;
	unsigned ist, type, dpl, present;
};

static int read_gate(struct bp_ctx *c, const struct kvm_sregs *s, struct gate *g)
{
	uint64_t at = s->idt.base + INT3_VECTOR * 16;
	uint8_t b[16];
	uint64_t lo, hi;

	if (INT3_VECTOR * 16 + 15 > s->idt.limit)
		return bp_fail(c, "IDT limit 0x%x does not cover gate 3 (needs 0x%x)", s->idt.limit,
			       INT3_VECTOR * 16 + 15);
	if (gva_read(c, at, b, sizeof(b), ACCESS_SYSTEM, "IDT gate 3") != 0)
		return -1;
	lo = le_load(b, 8);
	hi = le_load(b + 8, 8);
	g->offset = (lo & 0xffffu) | ((lo >> 32) & 0xffff0000u) | ((hi & 0xffffffffu) << 32);
	g->selector = (uint16_t)(lo >> 16);
	g->ist = (unsigned)(lo >> 32) & 7u;
	g->type = (unsigned)(lo >> 40) & 0xfu;
	g->dpl = (unsigned)(lo >> 45) & 3u;
	g->present = (unsigned)(lo >> 47) & 1u;
	return 0;
}

/* Gate checks, in the SDM's order for a software interrupt. */
static int check_gate(struct bp_ctx *c, const struct kvm_sregs *s, const struct gate *g,
		      unsigned cpl)
{
	uint64_t at = s->idt.base + INT3_VECTOR * 16;

	if (g->type != GATE_INTERRUPT && g->type != GATE_TRAP)
		return bp_fail(c, "IDT gate 3 at 0x%llx has type 0x%x, not interrupt/trap: #GP",
			       (unsigned long long)at, g->type);
	if (g->dpl < cpl)
		return bp_fail(c, "IDT gate 3 at 0x%llx: DPL %u < CPL %u: #GP",
			       (unsigned long long)at, g->dpl, cpl);
	if (!g->present)
		return bp_fail(c, "IDT gate 3 at 0x%llx is not present: #NP",
			       (unsigned long long)at);
	if (!x86_canonical(g->offset, s->cr4))
		return bp_fail(c, "IDT gate 3 at 0x%llx: offset 0x%llx is not canonical: #GP",
			       (unsigned long long)at, (unsigned long long)g->offset);
	return 0;
}

/* The handler's code segment from the GDT; *new_cpl is the CPL it runs at. */
static int target_cs(struct bp_ctx *c, const struct kvm_sregs *s, uint16_t sel, unsigned cpl,
		     struct kvm_segment *cs, unsigned *new_cpl)
{
	uint8_t b[8];
	uint64_t d;
	unsigned type, dpl;

	if ((sel & 0xfffcu) == 0)
		return bp_fail(c, "IDT gate 3: null code selector: #GP");
	if (sel & 4u)
		return bp_fail(c, "IDT gate 3: selector 0x%x is in the LDT (not supported)", sel);
	if ((uint32_t)(sel | 7u) > s->gdt.limit)
		return bp_fail(c, "IDT gate 3: selector 0x%x beyond GDT limit 0x%x: #GP", sel,
			       s->gdt.limit);
	if (gva_read(c, s->gdt.base + (sel & ~7u), b, sizeof(b), ACCESS_SYSTEM,
		     "GDT entry of the handler") != 0)
		return -1;
	d = le_load(b, 8);
	type = (unsigned)(d >> 40) & 0xfu;
	dpl = (unsigned)(d >> 45) & 3u;
	if (!((d >> 44) & 1u) || !(type & 8u))
		return bp_fail(c, "GDT selector 0x%x (0x%016llx) is not a code segment: #GP", sel,
			       (unsigned long long)d);
	if (dpl > cpl)
		return bp_fail(c, "GDT selector 0x%x: DPL %u > CPL %u: #GP", sel, dpl, cpl);
	if (!((d >> 47) & 1u))
		return bp_fail(c, "GDT selector 0x%x is not present: #NP", sel);
	if (!((d >> 53) & 1u) || ((d >> 54) & 1u))
		return bp_fail(c,
			       "GDT selector 0x%x (0x%016llx) is not 64-bit code (L=1, D=0): #GP",
			       sel, (unsigned long long)d);
	*new_cpl = (type & 4u) ? cpl : dpl; /* a conforming segment keeps the CPL */
	*cs = (struct kvm_segment){
		.base = ((d >> 16) & 0xffffffu) | (((d >> 56) & 0xffu) << 24),
		.limit = (uint32_t)((d & 0xffffu) | (((d >> 48) & 0xfu) << 16)),
		.selector = (uint16_t)((sel & ~3u) | *new_cpl),
		.type = (uint8_t)(type | 1u), /* accessed */
		.present = 1,
		.dpl = (uint8_t)dpl,
		.db = 0,
		.s = 1,
		.l = 1,
		.g = (uint8_t)((d >> 55) & 1u),
		.avl = (uint8_t)((d >> 52) & 1u),
	};
	if (cs->g)
		cs->limit = (cs->limit << 12) | 0xfffu;
	return 0;
}

static int new_stack(struct bp_ctx *c, const struct kvm_regs *r, const struct kvm_sregs *s,
		     const struct gate *g, unsigned cpl, unsigned new_cpl, uint64_t *rsp)
{
	char what[32];

	if (g->ist) {
		snprintf(what, sizeof(what), "TSS IST%u", g->ist);
		if (tss_read(c, s, TSS_IST1 + 8 * (g->ist - 1), rsp, what) != 0)
			return -1;
	} else if (new_cpl < cpl) {
		snprintf(what, sizeof(what), "TSS RSP%u", new_cpl);
		if (tss_read(c, s, TSS_RSP0 + 8 * new_cpl, rsp, what) != 0)
			return -1;
	} else {
		*rsp = r->rsp;
	}
	if (!x86_canonical(*rsp, s->cr4))
		return bp_fail(c, "new stack pointer 0x%llx is not canonical: #SS",
			       (unsigned long long)*rsp);
	*rsp &= ~(uint64_t)15;
	return 0;
}

static int deliver(struct bp_ctx *c, struct kvm_regs *r, struct kvm_sregs *s)
{
	unsigned cpl = s->cs.selector & 3u, new_cpl = 0;
	struct gate g = { 0 };
	struct kvm_segment cs;
	uint64_t rsp, frame[FRAME_SLOTS];
	uint8_t *slot[FRAME_SLOTS];

	if (!(s->efer & EFER_LMA) || !s->cs.l)
		return bp_fail(c,
			       "not in 64-bit mode (EFER 0x%llx, CS.L %u): #BP is emulated in "
			       "64-bit mode only",
			       (unsigned long long)s->efer, s->cs.l);
	if (read_gate(c, s, &g) != 0 || check_gate(c, s, &g, cpl) != 0 ||
	    target_cs(c, s, g.selector, cpl, &cs, &new_cpl) != 0 ||
	    new_stack(c, r, s, &g, cpl, new_cpl, &rsp) != 0)
		return -1;

	/* lowest address first: RIP, CS, RFLAGS, RSP, SS */
	frame[0] = r->rip + 1;
	frame[1] = s->cs.selector;
	frame[2] = r->rflags;
	frame[3] = r->rsp;
	frame[4] = s->ss.selector;
	rsp -= FRAME_SLOTS * 8;
	/* a kernel stack is the CPU's own write; a ring-3 handler's stack is a user write */
	unsigned frame_access = ACCESS_WRITE | (new_cpl < 3 ? ACCESS_SYSTEM : 0);

	/* every slot translated before anything is written; 8-aligned, so none crosses a page */
	for (unsigned i = 0; i < FRAME_SLOTS; i++) {
		slot[i] = gva_ptr(c, rsp + 8 * i, 8, frame_access, "#BP stack frame");
		if (!slot[i])
			return -1;
	}
	for (unsigned i = 0; i < FRAME_SLOTS; i++)
		for (unsigned k = 0; k < 8; k++)
			slot[i][k] = (uint8_t)(frame[i] >> (8 * k));

	s->cs = cs;
	if (new_cpl != cpl)
		s->ss = (struct kvm_segment){
			.selector = (uint16_t)new_cpl, /* null, RPL = new CPL */
			.limit = 0xffffffff,
			.type = 0x3,
			.present = 1,
			.dpl = (uint8_t)new_cpl,
			.db = 1,
			.s = 1,
			.g = 1,
		};
	r->rip = g.offset;
	r->rsp = rsp;
	r->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (g.type == GATE_INTERRUPT)
		r->rflags &= ~RFLAGS_IF;
	if (ioctl(c->kvm->fd, KVM_SET_SREGS, s) != 0)
		return bp_fail(c, "KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(c->kvm->fd, KVM_SET_REGS, r) != 0)
		return bp_fail(c, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

/* x86_insn.c's memory interface: guest linear memory through the guest's page tables. */
static int insn_mem_read(void *ctx, uint64_t gva, void *buf, size_t len)
{
	return gva_read(ctx, gva, buf, len, 0, "operand");
}

static int insn_mem_write(void *ctx, uint64_t gva, const void *buf, size_t len)
{
	struct bp_ctx *c = ctx;
	uint8_t *page[2];
	size_t first = (size_t)(PAGE - (gva & (PAGE - 1)));

	/* x86_insn.c writes at most 8 bytes: two pages at most, both translated before writing */
	if (len > 8)
		return -1;
	if (first > len)
		first = len;
	page[0] = gva_ptr(c, gva, first, ACCESS_WRITE, "operand");
	page[1] =
		first < len ? gva_ptr(c, gva + first, len - first, ACCESS_WRITE, "operand") : NULL;
	if (!page[0] || (first < len && !page[1]))
		return -1;
	memcpy(page[0], buf, first);
	if (first < len)
		memcpy(page[1], (const uint8_t *)buf + first, len - first);
	return 0;
}

/*
 * The guest's x87/SSE control state in KVM's XSAVE image (SDM vol. 1,
 * 13.4.1: the legacy region; 13.4.2: XSTATE_BV). KVM_GET_FPU/KVM_SET_FPU
 * cannot be used: on x86 they neither report nor load MXCSR.
 */
#define XSAVE_FSW	 2u   /* x87 status word, valid when XSTATE_BV has x87 */
#define XSAVE_MXCSR	 24u  /* valid when XSTATE_BV has SSE or AVX */
#define XSAVE_MXCSR_MASK 28u  /* the MXCSR bits this CPU implements; 0: 0xffbf */
#define XSAVE_XSTATE_BV	 512u /* which components are not in their initial state */
#define XSTATE_X87	 0x1ull
#define XSTATE_SSE	 0x2ull
#define XSTATE_AVX	 0x4ull
#define MXCSR_INIT	 0x1f80u

static void fpu_state_get(const struct kvm_xsave *x, struct x86_insn_env *env)
{
	const uint8_t *b = (const uint8_t *)x->region;
	uint64_t bv = le_load(b + XSAVE_XSTATE_BV, 8);
	uint32_t mask = (uint32_t)le_load(b + XSAVE_MXCSR_MASK, 4);

	env->fpu_status = (bv & XSTATE_X87) ? (uint16_t)le_load(b + XSAVE_FSW, 2) : 0;
	env->mxcsr = (bv & (XSTATE_SSE | XSTATE_AVX)) ? (uint32_t)le_load(b + XSAVE_MXCSR, 4)
						      : MXCSR_INIT;
	env->mxcsr_mask = mask ? mask : 0xffbf;
}

/* Stores a new MXCSR; the SSE component then is no longer in its initial state. */
static void fpu_state_set_mxcsr(struct kvm_xsave *x, uint32_t mxcsr)
{
	uint8_t *b = (uint8_t *)x->region;

	le_store(b + XSAVE_MXCSR, 4, mxcsr);
	le_store(b + XSAVE_XSTATE_BV, 8, le_load(b + XSAVE_XSTATE_BV, 8) | XSTATE_SSE);
}

/* An STI or MOV SS shadow covers one instruction: the one axvm just executed. */
static int end_interrupt_shadow(struct axvm_kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) != 0)
		return -1;
	if (!ev.interrupt.shadow)
		return 0;
	ev.interrupt.shadow = 0;
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	return ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
}

/* Executes an instruction from x86_insn.c at RIP; 1 when it did. */
static int emulate_at_rip(struct bp_ctx *c, struct kvm_regs *r, const struct kvm_sregs *s)
{
	uint8_t code[15];
	size_t len = sizeof(code);

	if (!(s->efer & EFER_LMA) || !s->cs.l)
		return 0; /* x86_insn.c decodes 64-bit mode only */
	if (r->rflags & RFLAGS_TF)
		return 0; /* single-stepping: the #DB after the instruction is not emulated */
	/* the instruction may end before an unmapped page: read up to the page end then */
	if (gva_read(c, r->rip, code, len, ACCESS_FETCH, "rip") != 0) {
		len = (size_t)(PAGE - (r->rip & (PAGE - 1)));
		if (len >= sizeof(code) || gva_read(c, r->rip, code, len, ACCESS_FETCH, "rip") != 0)
			return 0;
	}
	static _Thread_local struct kvm_xsave xsave; /* 4 KiB: off the vCPU thread's stack */

	if (ioctl(c->kvm->fd, KVM_GET_XSAVE, &xsave) != 0)
		return 0;

	struct x86_insn_env env = {
		.cpl = s->cs.selector & 3,
		.cr0 = s->cr0,
		.cr4 = s->cr4,
		.fs_base = s->fs.base,
		.gs_base = s->gs.base,
		.mem = { .read = insn_mem_read, .write = insn_mem_write, .ctx = c },
	};

	fpu_state_get(&xsave, &env);

	uint32_t mxcsr = env.mxcsr;
	uint64_t rflags = r->rflags;
	enum x86_insn_kind kind = x86_emulate_insn(code, len, &env, r);

	if (kind == X86_INSN_NONE)
		return 0;
	if (env.mxcsr != mxcsr) {
		fpu_state_set_mxcsr(&xsave, env.mxcsr);
		if (ioctl(c->kvm->fd, KVM_SET_XSAVE, &xsave) != 0)
			return 0;
	}
	r->rflags &= ~RFLAGS_RF; /* cleared when an instruction completes */
	if (ioctl(c->kvm->fd, KVM_SET_REGS, r) != 0 || end_interrupt_shadow(c->kvm) != 0)
		return 0;
	atomic_fetch_add_explicit(&c->kvm->insn_emulated[kind], 1, memory_order_relaxed);
	if (!(rflags & RFLAGS_IF))
		atomic_fetch_add_explicit(&c->kvm->insn_emulated_if0, 1, memory_order_relaxed);
	return 1;
}

int x86_handle_emulation_failure(struct axvm_vcpu *vcpu)
{
	struct bp_ctx c = { .vcpu = vcpu, .kvm = axvm_kvm_vcpu(vcpu) };
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t op;

	if (c.kvm->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    ioctl(c.kvm->fd, KVM_GET_REGS, &regs) != 0 ||
	    ioctl(c.kvm->fd, KVM_GET_SREGS, &sregs) != 0)
		return 0;
	c.paging = (struct x86_paging){
		.cr0 = sregs.cr0,
		.cr3 = sregs.cr3,
		.cr4 = sregs.cr4,
		.efer = sregs.efer,
		.rflags = regs.rflags,
		.cpl = sregs.cs.selector & 3u,
		.entry = page_table_entry,
		.ctx = &vcpu->vm->ram,
	};
	if (gva_read(&c, regs.rip, &op, 1, ACCESS_FETCH, "rip") != 0)
		return 0;
	if (op != INT3_OPCODE)
		return emulate_at_rip(&c, &regs, &sregs);
	if (deliver(&c, &regs, &sregs) != 0) {
		axvm_request_stop(
			vcpu->vm, AXVM_STATUS_VCPU,
			"vCPU %u: int3 at rip 0x%llx failed emulation; #BP not delivered: %s",
			vcpu->id, (unsigned long long)regs.rip, c.why);
		return -1;
	}
	atomic_fetch_add_explicit(&c.kvm->bp_delivered, 1, memory_order_relaxed);
	return 1;
}
