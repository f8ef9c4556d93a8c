/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AArch64 side of the TCG accelerator: start states, IRQ entry through
 * VBAR_EL1 at safe points, MRS/MSR of the registers a device of the set
 * claims (GICv3 ICC_*, the generic timer) onto the sysreg bus, PSCI calls
 * (HVC/SMC), and what the engine cannot deliver.
 *
 * Facts about Unicorn 2.0.1 this relies on (measured here):
 * - The engine starts at EL1h with DAIF masked, SCR_EL3.RW = 0 and
 *   HCR_EL2.RW = 0: every ERET then sets PSTATE.IL and an EL1 with the MMU
 *   on is walked as AArch32. Both RW bits (and SCR_EL3.HCE, else HVC is
 *   UNDEFINED) are set before the first instruction.
 * - UC_HOOK_INSN with UC_ARM64_INS_MRS / MSR fires for every system
 *   register access, modelled or not (TPIDR_EL1 too); the callback gets
 *   op0/op1/CRn/CRm/op2, Rt's register id and, for MSR, the value.
 *   Returning 1 skips the access of a register the engine models; for one
 *   it does not (every ICC_*) see engine_models() below.
 * - HVC and SMC reach UC_HOOK_INTR (11, 13) with the PC already past the
 *   instruction; the engine then goes on there, so X0 written in the hook
 *   is the call's result. Other exceptions the guest raises (SVC, aborts,
 *   UDF) arrive there too, without syndrome or fault address, and are not
 *   entered through VBAR_EL1: they stop the VM (so user space cannot run).
 * - WFI returns from uc_emu_start with the PC after it.
 * - Inside a block hook the PC register is stale (it holds some earlier
 *   block's address): the hook's own address argument is the block's.
 *   Writing PSTATE, SPSR_EL1 (UC_ARM64_REG_CP_REG 3,0,4,0,0), ELR_EL1 =
 *   that address and the PC from the block hook enters an IRQ handler
 *   before the block's first instruction; a stop from there writes the
 *   PC first, so that the next start resumes at that block.
 * - Every engine is CPU 0: MPIDR_EL1 reads 0x80000000 on all of them, so
 *   the MRS hook answers it with the vCPU's own affinity (psci_mpidr()).
 * - Reading CNTVCT_EL0 through UC_ARM64_REG_CP_REG aborts the process (an
 *   assertion in the engine): nothing here reads counter registers that
 *   way; the guest's reads go to the arm-timer model.
 * - 2.0.1 checks the *virtual* address of a load, store or fetch against
 *   its list of mapped (physical) regions before translating it (fixed in
 *   Unicorn 2.1): a kernel that turns its MMU on stops with UC_ERR_MAP at
 *   its first high virtual address, even when an unmapped-access hook says
 *   "handled". So the map covers every address a 48-bit VA kernel uses:
 *   the physical space (44 bits) is RAM or MMIO gaps (tcg_vcpu.c), and
 *   [2^64 - 2^48, 2^64), the TTBR1 half, is one more MMIO region, a
 *   shadow the check finds; the access itself is then translated through
 *   the guest's page tables as usual and lands on its physical address.
 *   No physical address lies in the shadow, so its callbacks never run for
 *   a translated access; with the MMU off an access there is physical and
 *   reaches the dispatcher as an unmapped one (all-ones, logged), where a
 *   real CPU would raise an address-size fault. The check runs on the slow
 *   path only, not on TLB hits.
 */
#include "accel/tcg/tcg.h"

#include <stdio.h>
#include <string.h>

#include "arch/arm64/exception.h"
#include "arch/arm64/psci.h"
#include "vm_arm64.h"

#define EXCP_UDEF 1u
#define EXCP_SVC  2u
#define EXCP_HVC  11u
#define EXCP_SMC  13u

#define SCR_EL3_HCE (1ull << 8)
#define SCR_EL3_RW  (1ull << 10)
#define HCR_EL2_RW  (1ull << 31)

/* A system register for UC_ARM64_REG_CP_REG. */
#define CP_REG(o0, o1, n, m, o2)                                                                   \
	{                                                                                          \
		.op0 = (o0), .op1 = (o1), .crn = (n), .crm = (m), .op2 = (o2)                      \
	}
static const uc_arm64_cp_reg reg_scr_el3 = CP_REG(3, 6, 1, 1, 0);
static const uc_arm64_cp_reg reg_hcr_el2 = CP_REG(3, 4, 1, 1, 0);
static const uc_arm64_cp_reg reg_sctlr_el1 = CP_REG(3, 0, 1, 0, 0);
static const uc_arm64_cp_reg reg_spsr_el1 = CP_REG(3, 0, 4, 0, 0);

#define SYSREG_MPIDR_EL1 AX_SYSREG_ARM64(3, 0, 0, 0, 5)

static uint64_t rd(struct tcg_vcpu *t, int id)
{
	uint64_t v = 0;

	uc_reg_read(t->uc, id, &v);
	return v;
}

static bool wr(struct tcg_vcpu *t, int id, uint64_t v)
{
	return uc_reg_write(t->uc, id, &v) == UC_ERR_OK;
}

static uint64_t cp_read(struct tcg_vcpu *t, const uc_arm64_cp_reg *r)
{
	uc_arm64_cp_reg v = *r;

	v.val = 0;
	uc_reg_read(t->uc, UC_ARM64_REG_CP_REG, &v);
	return v.val;
}

static bool cp_write(struct tcg_vcpu *t, const uc_arm64_cp_reg *r, uint64_t val)
{
	uc_arm64_cp_reg v = *r;

	v.val = val;
	return uc_reg_write(t->uc, UC_ARM64_REG_CP_REG, &v) == UC_ERR_OK;
}

static uint64_t arm64_pc(struct tcg_vcpu *t)
{
	return rd(t, UC_ARM64_REG_PC);
}

static bool arm64_interrupts_enabled(struct tcg_vcpu *t)
{
	return arm64_irq_unmasked(rd(t, UC_ARM64_REG_PSTATE));
}

/* Every block start is an instruction boundary with no shadow on AArch64. */
static bool arm64_can_interrupt_at(struct tcg_vcpu *t, uint64_t pc, uint64_t prev_end)
{
	(void)t;
	(void)pc;
	(void)prev_end;
	return true;
}

/* ---- start states ---- */

/* Once per engine: AArch64 at EL2 and EL1 below a firmware that does not exist. */
static int enable_aarch64_els(struct tcg_vcpu *t, char *err, size_t err_len)
{
	if (!cp_write(t, &reg_scr_el3, cp_read(t, &reg_scr_el3) | SCR_EL3_RW | SCR_EL3_HCE) ||
	    !cp_write(t, &reg_hcr_el2, cp_read(t, &reg_hcr_el2) | HCR_EL2_RW)) {
		snprintf(err, err_len, "vCPU %u: TCG: cannot set SCR_EL3/HCR_EL2", t->vcpu->id);
		return -1;
	}
	t->arm64_sctlr_reset = cp_read(t, &reg_sctlr_el1);
	return 0;
}

int tcg_arm64_load_state(struct tcg_vcpu *t, const struct arm64_boot_state *s, char *err,
			 size_t err_len)
{
	static const int x[31] = {
		UC_ARM64_REG_X0,  UC_ARM64_REG_X1,  UC_ARM64_REG_X2,  UC_ARM64_REG_X3,
		UC_ARM64_REG_X4,  UC_ARM64_REG_X5,  UC_ARM64_REG_X6,  UC_ARM64_REG_X7,
		UC_ARM64_REG_X8,  UC_ARM64_REG_X9,  UC_ARM64_REG_X10, UC_ARM64_REG_X11,
		UC_ARM64_REG_X12, UC_ARM64_REG_X13, UC_ARM64_REG_X14, UC_ARM64_REG_X15,
		UC_ARM64_REG_X16, UC_ARM64_REG_X17, UC_ARM64_REG_X18, UC_ARM64_REG_X19,
		UC_ARM64_REG_X20, UC_ARM64_REG_X21, UC_ARM64_REG_X22, UC_ARM64_REG_X23,
		UC_ARM64_REG_X24, UC_ARM64_REG_X25, UC_ARM64_REG_X26, UC_ARM64_REG_X27,
		UC_ARM64_REG_X28, UC_ARM64_REG_X29, UC_ARM64_REG_X30,
	};
	bool ok = true;

	for (unsigned i = 0; i < 31; i++)
		ok &= wr(t, x[i], i < 4 ? s->x[i] : 0);
	/* EL1h, DAIF masked; MMU and caches off as at reset (a CPU_ON after CPU_OFF too) */
	ok &= wr(t, UC_ARM64_REG_PSTATE, ARM64_PSTATE_DAIF | ARM64_PSTATE_EL1h);
	ok &= cp_write(t, &reg_sctlr_el1, t->arm64_sctlr_reset);
	ok &= wr(t, UC_ARM64_REG_PC, s->pc);
	if (!ok) {
		snprintf(err, err_len, "vCPU %u: TCG: cannot load the arm64 start state",
			 t->vcpu->id);
		return -1;
	}
	return 0;
}

/* PSCI CPU_ON: the entry and context id the call named. */
static int arm64_start(struct tcg_vcpu *t, char *err, size_t err_len)
{
	struct arm64_boot_state s = { .pc = t->start_entry, .x = { t->start_context } };

	if (tcg_arm64_load_state(t, &s, err, err_len) != 0)
		return -1;
	axvm_arm64_vcpu_started(t->vcpu);
	return 0;
}

/* ---- interrupts ---- */

static void arm64_resume_at(struct tcg_vcpu *t, uint64_t block_pc)
{
	wr(t, UC_ARM64_REG_PC, block_pc);
}

static int arm64_deliver(struct tcg_vcpu *t, const uint64_t *block_pc)
{
	struct axvm_vcpu *vcpu = t->vcpu;
	struct arm64_irq_entry e;
	uint64_t pstate = rd(t, UC_ARM64_REG_PSTATE), pc;

	if (!arm64_irq_unmasked(pstate) || !ax_devices_irq_pending(vcpu->vm->devices, vcpu->id))
		return 0;
	/* in the block hook the PC register still holds some earlier value: the block's
	 * address is where the interrupted code resumes */
	pc = block_pc ? *block_pc : arm64_pc(t);
	if (!arm64_irq_entry(pstate, pc, rd(t, UC_ARM64_REG_VBAR_EL1), cp_read(t, &reg_sctlr_el1),
			     &e) ||
	    (pstate & ARM64_PSTATE_M_MASK) != ARM64_PSTATE_EL1h) {
		/*
		 * Only EL1h is entered by hand: from EL1t or EL0 the stack pointer
		 * would switch banks, which the register API does not do, and EL0
		 * cannot run here anyway (its SVCs are not delivered).
		 */
		axvm_request_stop(vcpu->vm, AXVM_STATUS_VCPU,
				  "vCPU %u: TCG: an interrupt at pc 0x%llx in PSTATE 0x%llx: only "
				  "EL1h (kernel with SP_EL1) takes interrupts on the software CPU",
				  vcpu->id, (unsigned long long)pc, (unsigned long long)pstate);
		return -1;
	}
	cp_write(t, &reg_spsr_el1, e.spsr);
	wr(t, UC_ARM64_REG_ELR_EL1, e.elr);
	wr(t, UC_ARM64_REG_PSTATE, e.pstate);
	/* last: in the block hook, this abandons the block and goes on at the vector */
	wr(t, UC_ARM64_REG_PC, e.pc);
	tcg_count(&t->stats.irqs);
	return 1;
}

/* ---- exceptions and engine errors ---- */

static const char *exception_name(int intno)
{
	/* the engine's (QEMU's) EXCP_* numbers */
	static const struct {
		int intno;
		const char *name;
	} names[] = {
		{ 1, "undefined instruction" },
		{ 2, "SVC" },
		{ 3, "prefetch abort" },
		{ 4, "data abort" },
		{ 7, "breakpoint" },
		{ 12, "hypervisor trap" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].intno == intno)
			return names[i].name;
	return "exception";
}

static void arm64_fail(struct tcg_vcpu *t, const char *what, int intno, uint64_t pc)
{
	uint8_t *code = guest_ram_at(&t->vcpu->vm->ram, pc, 4);
	char insn[32] = "";
	char vec[64] = "";

	/* with the MMU on the PC is virtual and usually not the RAM address it names */
	if (code && !(cp_read(t, &reg_sctlr_el1) & ARM64_SCTLR_M))
		snprintf(insn, sizeof(insn), ", instruction 0x%08x",
			 (unsigned)(code[0] | code[1] << 8 | code[2] << 16 |
				    (uint32_t)code[3] << 24));
	if (intno >= 0)
		snprintf(vec, sizeof(vec), " %s (%d)", exception_name(intno), intno);
	axvm_request_stop(t->vcpu->vm, AXVM_STATUS_VCPU,
			  "vCPU %u: TCG: %s%s at pc 0x%llx%s (PSTATE 0x%llx, SCTLR_EL1 0x%llx): "
			  "the software CPU does not deliver exceptions the guest raises itself",
			  t->vcpu->id, what, vec, (unsigned long long)pc, insn,
			  (unsigned long long)rd(t, UC_ARM64_REG_PSTATE),
			  (unsigned long long)cp_read(t, &reg_sctlr_el1));
}

/* ---- hooks ---- */

static bool claimed(const struct tcg_vcpu *t, ax_sysreg_t reg)
{
	const struct tcg_vm *m = t->vcpu->vm->accel_vm;

	return (m->sysreg_claimed[reg / 8] >> (reg % 8)) & 1u;
}

static ax_sysreg_t sysreg_number(const uc_arm64_cp_reg *cp)
{
	return AX_SYSREG_ARM64(cp->op0, cp->op1, cp->crn, cp->crm, cp->op2);
}

/*
 * MRS/MSR of a register a device claims is done here, in the hook. For
 * one the engine models too (the EL0 generic-timer registers) returning 1
 * skips the engine's own access. For any other (the GIC CPU interface,
 * absent without a GIC device; an unallocated encoding inside a claimed
 * range, which the engine UNDEFs) returning 1 makes the engine re-run the
 * instruction forever, and moving the PC from the hook is worse: the
 * engine goes on with the rest of the block and then restarts at the PC
 * written, running those instructions twice (measured). So for those the
 * hook returns 0 and the engine raises UNDEF, precisely at the
 * instruction: interrupt_hook then completes the access (Rt for an MRS)
 * and resumes after it, if the UNDEF is at that same instruction.
 * (A claimed register the engine models natively but this table misses
 * would see the device's access and the engine's value: none exists.)
 */
static bool engine_models(const uc_arm64_cp_reg *cp)
{
	/* MPIDR_EL1; CNTFRQ/CNTPCT/CNTVCT (CRm 0), CNTP_* (CRm 2), CNTV_* (CRm 3): TVAL, CTL,
	 * CVAL */
	return sysreg_number(cp) == SYSREG_MPIDR_EL1 ||
	       (cp->op0 == 3 && cp->op1 == 3 && cp->crn == 14 &&
		(cp->crm == 0 || cp->crm == 2 || cp->crm == 3) && cp->op2 <= 2);
}

static uint32_t mrs_hook(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *user)
{
	struct tcg_vcpu *t = user;
	ax_sysreg_t reg = sysreg_number(cp);
	uint64_t v;

	(void)uc;
	if (reg == SYSREG_MPIDR_EL1)
		v = psci_mpidr(t->vcpu->id);
	else if (claimed(t, reg))
		v = axvm_vcpu_read(t->vcpu, AX_BUS_SYSREG, reg, 8);
	else
		return 0; /* the engine's own register */
	tcg_count(&t->stats.sysreg);
	if (!engine_models(cp)) {
		t->sysreg_undef = (struct tcg_sysreg_undef){
			.pending = true, .pc = arm64_pc(t), .rt = rt, .value = v
		};
		return 0;
	}
	if (rt != UC_ARM64_REG_XZR)
		wr(t, rt, v);
	return 1;
}

static uint32_t msr_hook(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *user)
{
	struct tcg_vcpu *t = user;
	ax_sysreg_t reg = sysreg_number(cp);

	(void)uc;
	(void)rt;
	if (!claimed(t, reg))
		return 0;
	tcg_count(&t->stats.sysreg);
	axvm_vcpu_write(t->vcpu, AX_BUS_SYSREG, reg, 8, cp->val);
	if (!engine_models(cp)) {
		t->sysreg_undef = (struct tcg_sysreg_undef){ .pending = true,
							     .pc = arm64_pc(t),
							     .rt = UC_ARM64_REG_XZR };
		return 0;
	}
	return 1;
}

/* HVC/SMC: a PSCI call (vm_arm64.c decides); anything else the guest raised: stop. */
static void interrupt_hook(uc_engine *uc, uint32_t intno, void *user)
{
	struct tcg_vcpu *t = user;

	if (intno == EXCP_HVC || intno == EXCP_SMC) {
		uint64_t regs[4] = { rd(t, UC_ARM64_REG_X0), rd(t, UC_ARM64_REG_X1),
				     rd(t, UC_ARM64_REG_X2), rd(t, UC_ARM64_REG_X3) };

		tcg_count(&t->stats.hypercalls);
		wr(t, UC_ARM64_REG_X0, axvm_arm64_hypercall(t->vcpu, intno == EXCP_SMC, regs));
		return;
	}
	if (intno == EXCP_UDEF && t->sysreg_undef.pending && t->sysreg_undef.pc == arm64_pc(t)) {
		/* the end of an MRS/MSR the hook did (see engine_models) */
		if (t->sysreg_undef.rt != UC_ARM64_REG_XZR)
			wr(t, t->sysreg_undef.rt, t->sysreg_undef.value);
		t->sysreg_undef.pending = false;
		wr(t, UC_ARM64_REG_PC, arm64_pc(t) + 4);
		return;
	}
	t->sysreg_undef.pending = false; /* whatever this is, it is not that access's end */
	if (t->exception < 0) {
		/* SVC's (like HVC's) PC is already past the instruction, UDEF's at it */
		t->exception = (int)intno;
		t->exception_pc = arm64_pc(t) - (intno == EXCP_SVC ? 4 : 0);
	}
	uc_emu_stop(uc);
}

static int arm64_add_hooks(struct tcg_vcpu *t, char *err, size_t err_len)
{
	static const struct tcg_hook_spec hooks[] = {
		{ UC_HOOK_INSN, (void *)mrs_hook, UC_ARM64_INS_MRS },
		{ UC_HOOK_INSN, (void *)msr_hook, UC_ARM64_INS_MSR },
		{ UC_HOOK_INTR, (void *)interrupt_hook, -1 },
	};

	if (tcg_add_hooks(t, hooks, sizeof(hooks) / sizeof(hooks[0]), err, err_len) != 0)
		return -1;
	return enable_aarch64_els(t, err, err_len);
}

static enum ax_err mark_claimed(const struct ax_device_info *info, void *arg)
{
	struct tcg_vm *m = arg;

	for (uint32_t r = 0; r < info->nr_ranges; r++)
		for (uint64_t n = info->ranges[r].base;
		     n <= info->ranges[r].last && n <= AX_SYSREG_ARM64_MAX; n++)
			m->sysreg_claimed[n / 8] |= (uint8_t)(1u << (n % 8));
	return AX_OK;
}

void tcg_arm64_scan_sysregs(struct tcg_vm *m, struct ax_devices *devices)
{
	memset(m->sysreg_claimed, 0, sizeof(m->sysreg_claimed));
	ax_devices_foreach(devices, AX_BUS_SYSREG, mark_claimed, m);
}

const struct tcg_arch tcg_arch_arm64 = {
	.name = "arm64",
	.uc_arch = UC_ARCH_ARM64,
	/* the engine's Cortex-A72: 44-bit PAs (ID_AA64MMFR0_EL1.PARange 4, measured) */
	.phys_top = UINT64_C(1) << 44,
	.va_shadow = UINT64_C(1) << 48,
	.pc = arm64_pc,
	.interrupts_enabled = arm64_interrupts_enabled,
	.can_interrupt_at = arm64_can_interrupt_at,
	.deliver = arm64_deliver,
	.resume_at = arm64_resume_at,
	.fail = arm64_fail,
	.add_hooks = arm64_add_hooks,
	.start = arm64_start,
	.halt_wakes_masked = true,
};
