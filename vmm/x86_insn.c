/* SPDX-License-Identifier: Apache-2.0 */
#include "x86_insn.h"

#include <stdbool.h>

/* RFLAGS bits POPCNT writes (Intel SDM vol. 2B, POPCNT: ZF from the source, the rest cleared) */
#define RFLAGS_CF    0x0001ull
#define RFLAGS_PF    0x0004ull
#define RFLAGS_AF    0x0010ull
#define RFLAGS_ZF    0x0040ull
#define RFLAGS_SF    0x0080ull
#define RFLAGS_OF    0x0800ull
#define RFLAGS_AC    0x40000ull
#define CR0_MP	     0x2ull
#define CR0_TS	     0x8ull
#define FSW_ES	     0x80u /* x87 exception summary: an unmasked exception is pending */
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

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

static int emulate_popcnt(const uint8_t *code, size_t len, struct kvm_regs *r)
{
	size_t i = 0;
	bool opsize16 = false, rep = false;
	unsigned rex = 0, bits;

	for (; i < len && (code[i] == 0xf3 || code[i] == 0x66); i++) {
		rep |= code[i] == 0xf3;
		opsize16 |= code[i] == 0x66;
	}
	if (i < len && (code[i] & 0xf0) == 0x40)
		rex = code[i++];
	if (!rep || i + 3 > len || code[i] != 0x0f || code[i + 1] != 0xb8)
		return 0;
	uint8_t modrm = code[i + 2];

	if ((modrm >> 6) != 3)
		return 0; /* a memory operand: not supported */
	bits = (rex & 0x8) ? 64 : opsize16 ? 16 : 32;

	unsigned reg = ((modrm >> 3) & 7) | ((rex & 0x4) << 1);
	unsigned rm = (modrm & 7) | ((rex & 0x1) << 3);
	uint64_t src = *gpr(r, rm);

	if (bits < 64)
		src &= (1ull << bits) - 1;
	write_gpr(gpr(r, reg), bits, (uint64_t)__builtin_popcountll(src));
	r->rflags = (r->rflags & ~RFLAGS_ARITH) | (src == 0 ? RFLAGS_ZF : 0);
	r->rip += i + 3;
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

int x86_emulate_insn(const uint8_t *code, size_t len, const struct x86_insn_env *env,
		     struct kvm_regs *r)
{
	return emulate_popcnt(code, len, r) || emulate_clac_stac(code, len, env->cpl, r) ||
	       emulate_wait(code, len, env, r);
}
