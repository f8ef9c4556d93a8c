/* SPDX-License-Identifier: Apache-2.0 */
#include "arch/x86/x86_insn.h"

#include <stdbool.h>
#include <string.h>

#include "le.h"
#include "arch/x86/x86_paging.h"

/* RFLAGS bits POPCNT writes (Intel SDM vol. 2B, POPCNT: ZF from the source, the rest cleared) */
#define RFLAGS_CF    0x0001ull
#define RFLAGS_PF    0x0004ull
#define RFLAGS_AF    0x0010ull
#define RFLAGS_ZF    0x0040ull
#define RFLAGS_SF    0x0080ull
#define RFLAGS_OF    0x0800ull
#define RFLAGS_AC    0x40000ull
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define CR0_MP	     0x2ull
#define CR0_EM	     0x4ull
#define CR0_TS	     0x8ull
#define CR0_AM	     0x40000ull
#define CR4_OSFXSR   0x200ull
#define FSW_ES	     0x80u /* x87 exception summary: an unmasked exception is pending */

#define REX_B 0x1u
#define REX_X 0x2u
#define REX_R 0x4u
#define REX_W 0x8u

enum segment { SEG_DEFAULT, SEG_FS, SEG_GS }; /* the others have base 0 in 64-bit mode */

/* Legacy prefixes and REX in front of the opcode (SDM vol. 2A, 2.1.1 and 2.2.1). */
struct prefixes {
	size_t len; /* prefix bytes, REX included: the opcode starts here */
	bool opsize, addr32, lock, rep, repne;
	enum segment seg;
	unsigned rex;
};

/* A decoded ModRM operand; for memory, the linear address it names. */
struct modrm {
	unsigned reg; /* the reg field with REX.R */
	bool is_mem;
	unsigned rm; /* register operand: its number with REX.B */
	uint64_t linear;
	size_t end; /* instruction length */
};

/* General-purpose register by its encoding number (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..) */
static __u64 *gpr(struct kvm_regs *r, unsigned n)
{
	__u64 *const regs[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
				  &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
				  &r->r12, &r->r13, &r->r14, &r->r15 };

	return regs[n & 15];
}

/* Writes a result of `bits` to a register as the CPU does: 32-bit results zero-extend. */
static void write_gpr(__u64 *reg, unsigned bits, uint64_t value)
{
	if (bits == 16)
		*reg = (*reg & ~0xffffull) | (value & 0xffff);
	else if (bits == 32)
		*reg = value & 0xffffffffull;
	else
		*reg = value;
}

/* False when nothing but prefixes fits in code[0..len). */
static bool parse_prefixes(const uint8_t *code, size_t len, struct prefixes *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < len; i++) {
		switch (code[i]) {
		case 0x66:
			p->opsize = true;
			continue;
		case 0x67:
			p->addr32 = true;
			continue;
		case 0xf0:
			p->lock = true;
			continue;
		case 0xf2:
			p->repne = true;
			continue;
		case 0xf3:
			p->rep = true;
			continue;
		case 0x64:
			p->seg = SEG_FS;
			continue;
		case 0x65:
			p->seg = SEG_GS;
			continue;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			p->seg = SEG_DEFAULT;
			continue;
		default:
			break;
		}
		break;
	}
	/* REX counts only right before the opcode */
	if (i < len && (code[i] & 0xf0) == 0x40)
		p->rex = code[i++];
	p->len = i;
	return i < len;
}

static int64_t read_disp(const uint8_t *code, size_t n)
{
	if (n == 0)
		return 0;
	if (n == 1)
		return (int8_t)code[0];
	return (int32_t)((uint32_t)code[0] | (uint32_t)code[1] << 8 | (uint32_t)code[2] << 16 |
			 (uint32_t)code[3] << 24);
}

/*
 * Decodes the ModRM byte at code[pos] and what follows it (SDM vol. 2A,
 * 2.2.1: 64-bit addressing), with imm_len immediate bytes after the
 * displacement. False when the bytes are truncated or the address is not
 * canonical (#GP/#SS, left to the caller).
 */
static bool decode_modrm(const uint8_t *code, size_t len, size_t pos, size_t imm_len,
			 const struct prefixes *p, const struct x86_insn_env *env,
			 struct kvm_regs *r, struct modrm *m)
{
	if (pos >= len)
		return false;
	uint8_t byte = code[pos++];
	unsigned mod = byte >> 6, rm_low = byte & 7;
	size_t disp_len = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	bool rip_relative = false;
	uint64_t ea = 0;

	m->reg = ((byte >> 3) & 7) | ((p->rex & REX_R) << 1);
	m->is_mem = mod != 3;
	m->rm = rm_low | ((p->rex & REX_B) << 3);
	if (!m->is_mem) {
		m->end = pos + imm_len;
		return m->end <= len;
	}
	if (rm_low == 4) {
		if (pos >= len)
			return false;
		uint8_t sib = code[pos++];
		unsigned index = ((sib >> 3) & 7) | ((p->rex & REX_X) << 2), base_low = sib & 7;

		if (index != 4) /* 100b without REX.X: no index */
			ea += *gpr(r, index) << (sib >> 6);
		if (base_low == 5 && mod == 0)
			disp_len = 4; /* no base */
		else
			ea += *gpr(r, base_low | ((p->rex & REX_B) << 3));
	} else if (rm_low == 5 && mod == 0) {
		rip_relative = true;
		disp_len = 4;
	} else {
		ea += *gpr(r, m->rm);
	}
	if (pos + disp_len + imm_len > len)
		return false;
	m->end = pos + disp_len + imm_len;
	ea += (uint64_t)read_disp(code + pos, disp_len);
	if (rip_relative)
		ea += r->rip + m->end; /* relative to the next instruction */
	if (p->addr32)
		ea &= 0xffffffffull;
	if (p->seg == SEG_FS)
		ea += env->fs_base;
	else if (p->seg == SEG_GS)
		ea += env->gs_base;
	m->linear = ea;
	return x86_canonical(ea, env->cr4);
}

/* #AC: a misaligned access at CPL 3 with CR0.AM and RFLAGS.AC. */
static bool alignment_fault(const struct x86_insn_env *env, const struct kvm_regs *r,
			    uint64_t linear, unsigned size)
{
	return env->cpl == 3 && (env->cr0 & CR0_AM) && (r->rflags & RFLAGS_AC) &&
	       (linear & (size - 1)) != 0;
}

/* POPCNT r, r/m: F3 [66] [REX] 0F B8 /r */
static int emulate_popcnt(const uint8_t *code, size_t len, const struct prefixes *p,
			  struct x86_insn_env *env, struct kvm_regs *r)
{
	const uint8_t *op = code + p->len;
	struct modrm m;
	uint64_t src;

	if (!p->rep || p->repne || p->lock || p->len + 2 > len || op[0] != 0x0f || op[1] != 0xb8 ||
	    !decode_modrm(code, len, p->len + 2, 0, p, env, r, &m))
		return 0;

	unsigned bits = (p->rex & REX_W) ? 64 : p->opsize ? 16 : 32;

	if (m.is_mem) {
		uint8_t buf[8];

		if (alignment_fault(env, r, m.linear, bits / 8) ||
		    env->mem.read(env->mem.ctx, m.linear, buf, bits / 8) != 0)
			return 0;
		src = le_load(buf, bits / 8);
	} else {
		src = *gpr(r, m.rm);
		if (bits < 64)
			src &= (1ull << bits) - 1;
	}
	write_gpr(gpr(r, m.reg), bits, (uint64_t)__builtin_popcountll(src));
	r->rflags = (r->rflags & ~RFLAGS_ARITH) | (src == 0 ? RFLAGS_ZF : 0);
	r->rip += m.end;
	return 1;
}

/* CLAC / STAC: clear / set RFLAGS.AC; #UD outside ring 0, which we leave to the caller. */
static int emulate_clac_stac(const uint8_t *code, size_t len, unsigned cpl, struct kvm_regs *r)
{
	if (len < 3 || code[0] != 0x0f || code[1] != 0x01 || (code[2] != 0xca && code[2] != 0xcb) ||
	    cpl != 0)
		return 0;
	if (code[2] == 0xca)
		r->rflags &= ~RFLAGS_AC;
	else
		r->rflags |= RFLAGS_AC;
	r->rip += 3;
	return 1;
}

/* WAIT: #NM with CR0.MP and CR0.TS set, #MF with an exception pending, else nothing. */
static int emulate_wait(const uint8_t *code, size_t len, const struct x86_insn_env *env,
			struct kvm_regs *r)
{
	if (len < 1 || code[0] != 0x9b)
		return 0;
	if (((env->cr0 & CR0_MP) && (env->cr0 & CR0_TS)) || (env->fpu_status & FSW_ES))
		return 0;
	r->rip += 1;
	return 1;
}

/* LDMXCSR m32 (0F AE /2) and STMXCSR m32 (0F AE /3); SDM vol. 2A. */
static int emulate_mxcsr(const uint8_t *code, size_t len, const struct prefixes *p,
			 struct x86_insn_env *env, struct kvm_regs *r)
{
	const uint8_t *op = code + p->len;
	struct modrm m;
	uint8_t buf[4];

	if (p->opsize || p->rep || p->repne || p->lock || p->len + 2 > len || op[0] != 0x0f ||
	    op[1] != 0xae || !decode_modrm(code, len, p->len + 2, 0, p, env, r, &m) || !m.is_mem ||
	    ((m.reg & 7) != 2 && (m.reg & 7) != 3))
		return 0;
	if ((env->cr0 & CR0_EM) || !(env->cr4 & CR4_OSFXSR) || (env->cr0 & CR0_TS) ||
	    alignment_fault(env, r, m.linear, 4))
		return 0; /* #UD, #NM, #AC */
	if ((m.reg & 7) == 2) {
		if (env->mem.read(env->mem.ctx, m.linear, buf, 4) != 0)
			return 0;
		uint32_t value = (uint32_t)le_load(buf, 4);

		if (value & ~env->mxcsr_mask)
			return 0; /* #GP: a reserved bit */
		env->mxcsr = value;
	} else {
		le_store(buf, 4, env->mxcsr);
		if (env->mem.write(env->mem.ctx, m.linear, buf, 4) != 0)
			return 0;
	}
	r->rip += m.end;
	return 1;
}

const char *x86_insn_kind_name(enum x86_insn_kind kind)
{
	static const char *const names[X86_INSN_KINDS] = {
		[X86_INSN_NONE] = "none",
		[X86_INSN_POPCNT] = "popcnt",
		[X86_INSN_CLAC_STAC] = "clac/stac",
		[X86_INSN_WAIT] = "wait",
		[X86_INSN_MXCSR] = "ldmxcsr/stmxcsr",
	};

	return (unsigned)kind < X86_INSN_KINDS ? names[kind] : "?";
}

enum x86_insn_kind x86_emulate_insn(const uint8_t *code, size_t len, struct x86_insn_env *env,
				    struct kvm_regs *r)
{
	struct prefixes p;

	if (len > 15)
		len = 15; /* the architectural limit: longer is #GP */
	if (!parse_prefixes(code, len, &p))
		return X86_INSN_NONE;
	if (emulate_popcnt(code, len, &p, env, r))
		return X86_INSN_POPCNT;
	if (emulate_clac_stac(code, len, env->cpl, r))
		return X86_INSN_CLAC_STAC;
	if (emulate_wait(code, len, env, r))
		return X86_INSN_WAIT;
	if (emulate_mxcsr(code, len, &p, env, r))
		return X86_INSN_MXCSR;
	return X86_INSN_NONE;
}
