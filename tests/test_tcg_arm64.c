/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCG accelerator's arm64 side (vmm/accel/tcg/tcg_arm64.c) end to end:
 * tiny hand-assembled AArch64 guests (machine-code words below, the assembly
 * in the comments) packed into an arm64 Image and loaded by axvm_arm64_load()
 * (so PSCI over HVC is wired as in axvm), on a real device set built from a
 * TOML config (a GICv2 or a GICv3, and the arm generic timer), the real vCPU
 * threads and axvm_run(), with a watchdog so that a bug cannot hang the suite.
 *
 * Memory map: RAM 16 MiB at 0x4000_0000, the Image at its base (header at
 * IMAGE, code at IMAGE + 0x40, a second vCPU's entry at IMAGE + 0x400 and
 * its entry after a CPU_OFF at IMAGE + 0x600, VBAR_EL1 = IMAGE + 0x800, so
 * the IRQ entry of "current EL with SP_EL1" is at IMAGE + 0xa80), results
 * at DATA = 0x4010_0000; GICD at 0x0800_0000, GICC at 0x0801_0000. The
 * guests pass their observations to the test through DATA and end with PSCI
 * SYSTEM_OFF (X1 = exit status). The GICv3 machine
 * (configs/demo-arm64-gicv3.toml's GIC) has GICD at 0x0800_0000, the
 * redistributors at 0x080a_0000 (vCPU 0's SGI_base at 0x080b_0000) and the
 * ICC_*_EL1 registers on the sysreg bus.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <axdevice/axdevice.h>
#include <axdevice/gicv3.h>
#include <axdevice/irq.h>

#include "accel/accel.h"
#include "accel/tcg/tcg.h"
#include "arch/arm64/exception.h"
#include "axvm.h"
#include "config/vm_config.h"
#include "guest_ram.h"
#include "timers.h"
#include "vm_arm64.h"

#define IMAGE	   0x40000000u
#define IMAGE_SIZE 0x1000u
#define MAIN_AT	   0x40u  /* code0 branches here */
#define AP_AT	   0x400u /* vCPU 1's entry (PSCI CPU_ON) */
#define AP2_AT	   0x600u /* ... its entry after a CPU_OFF */
#define VBAR_AT	   0x800u
#define DATA	   0x40100000u
#define TIMER_HZ   62500000u

/* The address of word i of a guest piece placed at IMAGE + at. */
#define INSN_ADDR(at, i) (IMAGE + (at) + 4u * (i))

/* ---- guest code ---- */

/*
 * Shared guest-code fragments: each expands to a comma-separated run of machine-code
 * words (no trailing comma), so that a guest lists `FRAGMENT,` among its own words.
 * The encodings with an immediate are built by the A64_* helpers below.
 */
/* mov xN, #imm16 */
#define A64_MOVZ_X(rd, imm16) (0xd2800000u | ((uint32_t)(imm16) << 5) | (rd))
/* mov xRD, #(imm16 << 16) */
#define A64_MOVZ_X_LSL16(rd, imm16) (0xd2a00000u | ((uint32_t)(imm16) << 5) | (rd))
/* ldr w17, [x20, #off], str w17, [x20, #off], str w2, [x20, #off] */
#define A64_LDR_W17_X20(off) (0xb9400291u | ((uint32_t)(off) / 4u) << 10)
#define A64_STR_W17_X20(off) (0xb9000291u | ((uint32_t)(off) / 4u) << 10)
#define A64_STR_W2_X20(off)  (0xb9000282u | ((uint32_t)(off) / 4u) << 10)

/* PSCI SYSTEM_OFF with X1 = status, then hang: b hang */
#define G_SYSTEM_OFF(status)                                                                       \
	0x52800100,		       /* mov w0, #0x8 */                                          \
		0x72b08000,	       /* movk w0, #0x8400, lsl #16 */                             \
		A64_MOVZ_X(1, status), /* mov x1, #status */                                       \
		0xd4000002,	       /* hvc #0x0 */                                              \
		0x14000000	       /* hang: b hang */

/* PSCI AFFINITY_INFO(1): X0 = 0 ON, 1 OFF */
#define G_PSCI_AFFINITY_INFO_1                                                                     \
	0x52800080,	    /* mov w0, #0x4 */                                                     \
		0x72b88000, /* movk w0, #0xc400, lsl #16 */                                        \
		0xd2800021, /* mov x1, #0x1 */                                                     \
		0xd2800002, /* mov x2, #0x0 */                                                     \
		0xd4000002  /* hvc #0x0 */

/* the arguments of PSCI CPU_ON(1, IMAGE + at, ...): the guest sets X3 and calls */
#define G_PSCI_CPU_ON_1_AT(at)                                                                     \
	0x52800060,		   /* mov w0, #0x3 */                                              \
		0x72b88000,	   /* movk w0, #0xc400, lsl #16 */                                 \
		0xd2800021,	   /* mov x1, #0x1 */                                              \
		A64_MOVZ_X(2, at), /* mov x2, #at */                                               \
		0xf2a80002	   /* movk x2, #0x4000, lsl #16 */

/* PSCI CPU_OFF (must not return) */
#define G_PSCI_CPU_OFF                                                                             \
	0x52800040,	    /* mov w0, #0x2 */                                                     \
		0x72b08000, /* movk w0, #0x8400, lsl #16 */                                        \
		0xd4000002  /* hvc #0x0 */

/* a flag for the other vCPU: DATA + off = 1 */
#define G_SET_FLAG(off)                                                                            \
	0x52800022,		    /* mov w2, #0x1 */                                             \
		A64_STR_W2_X20(off) /* str w2, [x20, #off] */

/* park: wfi; b park */
#define G_PARK                                                                                     \
	0xd503207f,	   /* park: wfi */                                                         \
		0x17ffffff /* b park */

/* DATA + off += 1 (through w17) */
#define G_COUNT(off)                                                                               \
	A64_LDR_W17_X20(off),	     /* ldr w17, [x20, #off] */                                    \
		0x11000631,	     /* add w17, w17, #0x1 */                                      \
		A64_STR_W17_X20(off) /* str w17, [x20, #off] */

/* x20 = DATA, x21 = GICD, x22 = GICC (GICv2) */
#define G_GICV2_BASES                                                                              \
	0xd2a80214,	    /* mov x20, #0x40100000 */                                             \
		0xd2a10015, /* mov x21, #0x8000000 */                                              \
		0xd2a10036  /* mov x22, #0x8010000 */

/* VBAR_EL1 = IMAGE + VBAR_AT */
#define G_SET_VBAR                                                                                 \
	0xd2810000,	    /* mov x0, #0x800 */                                                   \
		0xf2a80000, /* movk x0, #0x4000, lsl #16 */                                        \
		0xd518c000, /* msr vbar_el1, x0 */                                                 \
		0xd5033fdf  /* isb */

/* GICD_CTLR = 1, PPI 27 in GICD_ISENABLER0, GICC_PMR = 0xff, GICC_CTLR = 1 */
#define G_GICV2_ENABLE_PPI27                                                                       \
	0x52800020,	    /* mov w0, #0x1 */                                                     \
		0xb90002a0, /* str w0, [x21] */                                                    \
		0x52a10000, /* mov w0, #0x8000000 */                                               \
		0xb90102a0, /* str w0, [x21, #256] */                                              \
		0x52801fe0, /* mov w0, #0xff */                                                    \
		0xb90006c0, /* str w0, [x22, #4] */                                                \
		0x52800020, /* mov w0, #0x1 */                                                     \
		0xb90002c0  /* str w0, [x22] */

/* the virtual timer: CNTV_TVAL_EL0 = tval, CNTV_CTL_EL0 = ENABLE */
#define G_TIMER_START(tval)                                                                        \
	A64_MOVZ_X(0, tval), /* mov x0, #tval */                                                   \
		0xd51be300,  /* msr cntv_tval_el0, x0 */                                           \
		0xd2800020,  /* mov x0, #0x1 */                                                    \
		0xd51be320   /* msr cntv_ctl_el0, x0 */
/* the same with tval = tval64k << 16 ticks (65536 ticks: 1.05 ms at 62.5 MHz) */
#define G_TIMER_START_LSL16(tval64k)                                                               \
	A64_MOVZ_X_LSL16(0, tval64k), /* mov x0, #(tval64k << 16) */                               \
		0xd51be300,	      /* msr cntv_tval_el0, x0 */                                  \
		0xd2800020,	      /* mov x0, #0x1 */                                           \
		0xd51be320	      /* msr cntv_ctl_el0, x0 */

/* x10 = x11 = x12 = 0, then PSTATE.I clear */
#define G_SUMS_ZERO_UNMASK                                                                         \
	0xd280000a,	    /* mov x10, #0x0 */                                                    \
		0xd280000b, /* mov x11, #0x0 */                                                    \
		0xd280000c, /* mov x12, #0x0 */                                                    \
		0xd50342ff  /* msr daifclr, #0x2 */

/* loop: one step of the busy loop (x10, x11 both sum x12), w0 = the interrupt count */
#define G_SUMS_STEP                                                                                \
	0x9100058c,	    /* loop: add x12, x12, #0x1 */                                         \
		0x8b0c014a, /* add x10, x10, x12 */                                                \
		0x8b0c016b, /* add x11, x11, x12 */                                                \
		0xb9400280  /* ldr w0, [x20] */

/* x12, x10, x11 to DATA + 0x40, 0x48, 0x50 */
#define G_SUMS_STORE                                                                               \
	0xf900228c,	    /* str x12, [x20, #64] */                                              \
		0xf900268a, /* str x10, [x20, #72] */                                              \
		0xf9002a8b  /* str x11, [x20, #80] */

/* GICv2 IRQ entry: ELR, SPSR, DAIF and GICC_IAR (w16) to DATA + 0x18/0x20/0x28/0x30 */
#define G_GICV2_IRQ_RECORD                                                                         \
	0xd538402d,	    /* mrs x13, elr_el1 */                                                 \
		0xd538400e, /* mrs x14, spsr_el1 */                                                \
		0xd53b422f, /* mrs x15, daif */                                                    \
		0xb9400ed0, /* ldr w16, [x22, #12] */                                              \
		0xf9000e8d, /* str x13, [x20, #24] */                                              \
		0xf900128e, /* str x14, [x20, #32] */                                              \
		0xf900168f, /* str x15, [x20, #40] */                                              \
		0xb9003290  /* str w16, [x20, #48] */

/* GICv2 IRQ exit: GICC_EOIR = w16, DATA + count += 1, eret */
#define G_GICV2_IRQ_EOI_COUNT_ERET(count)                                                          \
	0xb90012d0,		/* str w16, [x22, #16] */                                          \
		G_COUNT(count), /* DATA + count += 1 */                                            \
		0xd69f03e0	/* eret */

/*
 * PSCI and MPIDR_EL1 (two vCPUs). vCPU 0 records X0 at entry (the DTB), its
 * MPIDR_EL1, PSCI_VERSION, an unknown function id (0x840000ff),
 * AFFINITY_INFO(1) before CPU_ON, CPU_ON(1, IMAGE + 0x400, context
 * 0x1122334455667788), waits for vCPU 1's flag, AFFINITY_INFO(1) again, a
 * second CPU_ON(1) (ALREADY_ON), then SYSTEM_OFF with X1 = 7.
 * vCPU 1 records X0 (the context id) and its MPIDR_EL1, sets the flag and
 * parks in WFI.
 */
/* at IMAGE + 0x40 */
static const uint32_t psci_main[] = {
	0xaa0003f3,		   /* mov x19, x0 */
	0xd2a80214,		   /* mov x20, #0x40100000 */
	0xf9001a93,		   /* str x19, [x20, #48] */
	0xd53800a1,		   /* mrs x1, mpidr_el1 */
	0xf9000281,		   /* str x1, [x20] */
	0x52b08000,		   /* mov w0, #0x84000000 */
	0xd4000002,		   /* hvc #0x0 */
	0xf9000680,		   /* str x0, [x20, #8] */
	0x52801fe0,		   /* mov w0, #0xff */
	0x72b08000,		   /* movk w0, #0x8400, lsl #16 */
	0xd4000002,		   /* hvc #0x0 */
	0xf9000a80,		   /* str x0, [x20, #16] */
	G_PSCI_AFFINITY_INFO_1,	   /* PSCI AFFINITY_INFO(1) */
	0xf9000e80,		   /* str x0, [x20, #24] */
	G_PSCI_CPU_ON_1_AT(AP_AT), /* PSCI CPU_ON(1, ...) arguments */
	0xd28ef103,		   /* mov x3, #0x7788 */
	0xf2aaacc3,		   /* movk x3, #0x5566, lsl #16 */
	0xf2c66883,		   /* movk x3, #0x3344, lsl #32 */
	0xf2e22443,		   /* movk x3, #0x1122, lsl #48 */
	0xd4000002,		   /* hvc #0x0 */
	0xf9001280,		   /* str x0, [x20, #32] */
	0xb9410284,		   /* wait: ldr w4, [x20, #256] */
	0x34ffffe4,		   /* cbz w4, wait */
	G_PSCI_AFFINITY_INFO_1,	   /* PSCI AFFINITY_INFO(1) */
	0xf9001680,		   /* str x0, [x20, #40] */
	G_PSCI_CPU_ON_1_AT(AP_AT), /* PSCI CPU_ON(1, ...) arguments */
	0xd2800003,		   /* mov x3, #0x0 */
	0xd4000002,		   /* hvc #0x0 */
	0xf9001e80,		   /* str x0, [x20, #56] */
	G_SYSTEM_OFF(7),	   /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0x400 */
static const uint32_t psci_ap[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xf9008680,	 /* str x0, [x20, #264] */
	0xd53800a1,	 /* mrs x1, mpidr_el1 */
	0xf9008a81,	 /* str x1, [x20, #272] */
	G_SET_FLAG(256), /* flag = 1 */
	G_PARK,		 /* wfi loop */
};

/*
 * MRS/MSR: claimed registers (the arm-timer's CNTFRQ_EL0, CNTV_CVAL_EL0) go to the
 * sysreg bus, TPIDR_EL1 (claimed by nobody) stays in the engine, MPIDR_EL1 is answered
 * per vCPU. x9 counts the `add x9, x9, #1` after every access: an access the hook
 * skipped wrongly (or ran twice) shows in it. The loop runs one MRS 100 times from
 * one translated block; the last MRS is followed by a branch over an add.
 */
/* at IMAGE + 0x40 */
static const uint32_t sysregs_main[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xd2800009,	 /* mov x9, #0x0 */
	0xd53be001,	 /* mrs x1, cntfrq_el0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000281,	 /* str x1, [x20] */
	0xd28acf02,	 /* mov x2, #0x5678 */
	0xf2a24682,	 /* movk x2, #0x1234, lsl #16 */
	0xf2d579a2,	 /* movk x2, #0xabcd, lsl #32 */
	0xd51be342,	 /* msr cntv_cval_el0, x2 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd53be343,	 /* mrs x3, cntv_cval_el0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000683,	 /* str x3, [x20, #8] */
	0xd297dde4,	 /* mov x4, #0xbeef */
	0xf2bbd5a4,	 /* movk x4, #0xdead, lsl #16 */
	0xf2f95fc4,	 /* movk x4, #0xcafe, lsl #48 */
	0xd518d084,	 /* msr tpidr_el1, x4 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd538d085,	 /* mrs x5, tpidr_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000a85,	 /* str x5, [x20, #16] */
	0xd53be01f,	 /* mrs xzr, cntfrq_el0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd2800c8a,	 /* mov x10, #0x64 */
	0xd53be006,	 /* loop: mrs x6, cntfrq_el0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf100054a,	 /* subs x10, x10, #0x1 */
	0x54ffffa1,	 /* b.ne loop */
	0xd53be347,	 /* mrs x7, cntv_cval_el0 */
	0x14000002,	 /* b skip */
	0x91019129,	 /* add x9, x9, #0x64 */
	0x91000529,	 /* skip: add x9, x9, #0x1 */
	0xf9000e89,	 /* str x9, [x20, #24] */
	0xf9001286,	 /* str x6, [x20, #32] */
	0xf9001687,	 /* str x7, [x20, #40] */
	G_SYSTEM_OFF(0), /* PSCI SYSTEM_OFF */
};

/*
 * IRQ entry into a busy loop: GICD_CTLR = 1, PPI 27 enabled in GICD_ISENABLER0,
 * GICC_PMR = 0xff, GICC_CTLR = 1, the virtual timer every 100 us (TVAL 6250), then
 * with PSTATE.I clear x12 counts iterations and x10, x11 both sum x12: a lost,
 * replayed or corrupted instruction makes them differ from n(n+1)/2. After 200
 * interrupts: masked, timer off, SYSTEM_OFF 0.
 * DATA: +0x00 interrupts taken, +0x08 ELR outside [loop, done], +0x0c SPSR with I set,
 * +0x10 handler running with DAIF.I clear, +0x14 IAR not 27; +0x18/0x20/0x28/0x30 the
 * last ELR, SPSR, DAIF and IAR; +0x40/0x48/0x50 x12, x10, x11 at the end.
 */
/* at IMAGE + 0x40 */
static const uint32_t irq_main[] = {
	G_GICV2_BASES,	      /* x20 DATA, x21 GICD, x22 GICC */
	G_SET_VBAR,	      /* VBAR_EL1 */
	G_GICV2_ENABLE_PPI27, /* GIC on, PPI 27 enabled */
	G_TIMER_START(6250),  /* timer on */
	G_SUMS_ZERO_UNMASK,   /* x10 = x11 = x12 = 0, unmask */
	G_SUMS_STEP,	      /* loop: x12++, x10 += x12, x11 += x12 */
	0x7103201f,	      /* cmp w0, #0xc8 */
	0x54ffff63,	      /* b.cc loop */
	0xd50342df,	      /* done: msr daifset, #0x2 */
	0xd51be33f,	      /* msr cntv_ctl_el0, xzr */
	G_SUMS_STORE,	      /* x12, x10, x11 out */
	G_SYSTEM_OFF(0),      /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0xa80 */
static const uint32_t irq_irq[] = {
	G_GICV2_IRQ_RECORD,	       /* ELR, SPSR, DAIF, IAR out */
	0x10ffaff1,		       /* adr x17, loop */
	0xeb1101bf,		       /* cmp x13, x17 */
	0x54000083,		       /* b.cc bad_elr */
	0x10ffb051,		       /* adr x17, done */
	0xeb1101bf,		       /* cmp x13, x17 */
	0x54000089,		       /* b.ls elr_ok */
	G_COUNT(8),		       /* bad_elr: count += 1 */
	0x3638008e,		       /* elr_ok: tbz w14, #7, spsr_ok */
	G_COUNT(12),		       /* count += 1 */
	0x3738008f,		       /* spsr_ok: tbnz w15, #7, daif_ok */
	G_COUNT(16),		       /* count += 1 */
	0x71006e1f,		       /* daif_ok: cmp w16, #0x1b */
	0x54000080,		       /* b.eq intid_ok */
	G_COUNT(20),		       /* count += 1 */
	0xd2830d51,		       /* intid_ok: mov x17, #0x186a */
	0xd51be311,		       /* msr cntv_tval_el0, x17 */
	G_GICV2_IRQ_EOI_COUNT_ERET(0), /* EOI, count, eret */
};
#define IRQ_LOOP 23 /* word index of `loop` in irq_main */
#define IRQ_DONE 29 /* ... of `done` */

/*
 * WFI with PSTATE.I set (as the vCPU starts): the virtual timer fires after 50 ms
 * (long enough that a vCPU thread descheduled on a loaded host still reaches the
 * WFI first, so the WFI does sleep); WFI returns (pending interrupts wake it even
 * when masked) without the interrupt being taken; the guest records the count
 * (+0x40, 0) and CNTV_CTL_EL0 (+0x48:
 * ENABLE | ISTATUS, the timer did fire), then unmasks: the interrupt is taken at the
 * first instruction after `msr daifclr` (ELR = poll, x3 = 1 at +0x50). The handler
 * turns the timer off and counts.
 */
/* at IMAGE + 0x40 */
static const uint32_t wfi_main[] = {
	G_GICV2_BASES,		 /* x20 DATA, x21 GICD, x22 GICC */
	G_SET_VBAR,		 /* VBAR_EL1 */
	G_GICV2_ENABLE_PPI27,	 /* GIC on, PPI 27 enabled */
	G_TIMER_START_LSL16(48), /* timer on: 48 << 16 ticks, 50.3 ms */
	0xd503207f,		 /* wfi */
	0xb9400281,		 /* ldr w1, [x20] */
	0xb9004281,		 /* str w1, [x20, #64] */
	0xd53be322,		 /* mrs x2, cntv_ctl_el0 */
	0xf9002682,		 /* str x2, [x20, #72] */
	0xd2800003,		 /* mov x3, #0x0 */
	0xd50342ff,		 /* msr daifclr, #0x2 */
	0x91000463,		 /* poll: add x3, x3, #0x1 */
	0xb9400281,		 /* ldr w1, [x20] */
	0x34ffffc1,		 /* cbz w1, poll */
	0xd50342df,		 /* msr daifset, #0x2 */
	0xf9002a83,		 /* str x3, [x20, #80] */
	G_SYSTEM_OFF(0),	 /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0xa80 */
static const uint32_t wfi_irq[] = {
	G_GICV2_IRQ_RECORD,	       /* ELR, SPSR, DAIF, IAR out */
	0xd51be33f,		       /* msr cntv_ctl_el0, xzr */
	G_GICV2_IRQ_EOI_COUNT_ERET(0), /* EOI, count, eret */
};
#define WFI_POLL 26 /* word index of `poll` in wfi_main */

/*
 * Exceptions the guest raises itself: UDF and SVC stop the VM (not entered via VBAR).
 * The reason names the faulting instruction's own address and word, for SVC too
 * (the engine reports an SVC with the PC already past it, its return address).
 */
/* at IMAGE + 0x40 */
static const uint32_t exc_udf[] = {
	0xd2a80214, /* mov x20, #0x40100000 */
	0x52800021, /* mov w1, #0x1 */
	0xb9000281, /* str w1, [x20] */
	0x00000000, /* fault: udf #0 */
	0x52800041, /* mov w1, #0x2 */
	0xb9000281, /* str w1, [x20] */
	0x14000000, /* hang: b hang */
};
/* at IMAGE + 0x40 (a VM of its own) */
static const uint32_t exc_svc[] = {
	0xd2a80214, /* mov x20, #0x40100000 */
	0x52800021, /* mov w1, #0x1 */
	0xb9000281, /* str w1, [x20] */
	0xd4000001, /* call: svc #0x0 */
	0x52800041, /* mov w1, #0x2 */
	0xb9000281, /* str w1, [x20] */
	0x14000000, /* hang2: b hang2 */
};
#define EXC_UDF 3 /* word index of the UDF in exc_udf */
#define EXC_SVC 3 /* ... of the SVC in exc_svc */

/*
 * An interrupt at EL1t: the timer fires at once (TVAL 1), the guest selects SP_EL0
 * (`msr spsel, #0`), unmasks and spins. The vector for "current EL with SP_EL0"
 * (+0x080) records a marker at DATA + 8 if it were ever entered.
 */
/* at IMAGE + 0x40 */
static const uint32_t el1t_main[] = {
	G_GICV2_BASES,	      /* x20 DATA, x21 GICD, x22 GICC */
	G_SET_VBAR,	      /* VBAR_EL1 */
	G_GICV2_ENABLE_PPI27, /* GIC on, PPI 27 enabled */
	0xd2800020,	      /* mov x0, #0x1 */
	0xd51be300,	      /* msr cntv_tval_el0, x0 */
	0xd51be320,	      /* msr cntv_ctl_el0, x0 */
	0xd50040bf,	      /* msr spsel, #0x0 */
	0xd50342ff,	      /* msr daifclr, #0x2 */
	0x9100058c,	      /* spin: add x12, x12, #0x1 */
	0x17ffffff,	      /* b spin */
};
/* at IMAGE + 0x880 */
static const uint32_t el1t_irq_sp0[] = {
	0x52800031, /* mov w17, #0x1 */
	0xb9000a91, /* str w17, [x20, #8] */
	0xd69f03e0, /* eret */
};
#define EL1T_SPIN 20 /* word index of `spin` in el1t_main */

/*
 * The GICv3 CPU interface (ICC_*_EL1), which the engine does not model: the MRS/MSR
 * hook does the access and returns 0, the engine raises UNDEF at the instruction and
 * interrupt_hook completes it (Rt for an MRS) and resumes after it. x9 counts the
 * `add x9, x9, #1` after every access: a replayed block or a lost instruction shows
 * in it. Accesses in the middle of a block, back to back (two MRS in a row), to XZR
 * (SP must not change), first in a branch target's block, 200 in a loop of one
 * block (PMR read and written back), and the last before a branch over an add.
 * DATA: +0x00 SRE, +0x08 PMR, +0x10 IGRPEN1, +0x18 PMR (back to back), +0x20 SRE
 * (branch target), +0x28 loop iterations, +0x30 PMR (loop), +0x38 IGRPEN1, +0x40 x9,
 * +0x48 SP after the MRS to XZR.
 */
/* at IMAGE + 0x40 */
static const uint32_t gicv3_sysregs_main[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xd2a80400,	 /* mov x0, #0x40200000 */
	0x9100001f,	 /* mov sp, x0 */
	0xd2800009,	 /* mov x9, #0x0 */
	0xd28000e0,	 /* mov x0, #0x7 */
	0xd518cca0,	 /* msr icc_sre_el1, x0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd538cca1,	 /* mrs x1, icc_sre_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000281,	 /* str x1, [x20] */
	0xd2801e00,	 /* mov x0, #0xf0 */
	0xd5184600,	 /* msr icc_pmr_el1, x0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd5384602,	 /* mrs x2, icc_pmr_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000682,	 /* str x2, [x20, #8] */
	0xd2800020,	 /* mov x0, #0x1 */
	0xd518cce0,	 /* msr icc_igrpen1_el1, x0 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd538cce3,	 /* mrs x3, icc_igrpen1_el1 */
	0xd5384604,	 /* mrs x4, icc_pmr_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000a83,	 /* str x3, [x20, #16] */
	0xf9000e84,	 /* str x4, [x20, #24] */
	0xd538461f,	 /* mrs xzr, icc_pmr_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd538ccbf,	 /* mrs xzr, icc_sre_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0x910003eb,	 /* mov x11, sp */
	0xf900268b,	 /* str x11, [x20, #72] */
	0x14000002,	 /* b target */
	0x91019129,	 /* add x9, x9, #0x64 */
	0xd538cca5,	 /* target: mrs x5, icc_sre_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9001285,	 /* str x5, [x20, #32] */
	0xd2800c8a,	 /* mov x10, #0x64 */
	0xd2800006,	 /* mov x6, #0x0 */
	0x910004c6,	 /* loop: add x6, x6, #0x1 */
	0xd5384607,	 /* mrs x7, icc_pmr_el1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd5184607,	 /* msr icc_pmr_el1, x7 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf100054a,	 /* subs x10, x10, #0x1 */
	0x54ffff41,	 /* b.ne loop */
	0xf9001686,	 /* str x6, [x20, #40] */
	0xf9001a87,	 /* str x7, [x20, #48] */
	0xd538cce8,	 /* mrs x8, icc_igrpen1_el1 */
	0x14000002,	 /* b skip */
	0x91019129,	 /* add x9, x9, #0x64 */
	0x91000529,	 /* skip: add x9, x9, #0x1 */
	0xf9001e88,	 /* str x8, [x20, #56] */
	0xf9002289,	 /* str x9, [x20, #64] */
	G_SYSTEM_OFF(0), /* PSCI SYSTEM_OFF */
};

/*
 * GICv3 interrupts: the redistributor woken (GICR_WAKER.ProcessorSleep cleared, then
 * ChildrenAsleep polled until clear), GICD_CTLR = ARE | EnableGrp1, PPI 27 and SGI 5
 * Group 1 and enabled in the SGI frame, SRE = 7, PMR = 0xf0, IGRPEN1 = 1, the virtual
 * timer every 100 us. The busy loop as in irq_main (x10 and x11 both sum x12) until
 * GICV3_IRQS timer interrupts; the handler acknowledges with ICC_IAR1_EL1, re-arms
 * the timer (turns it off at the last one) and ends with ICC_EOIR1_EL1. Then an SGI
 * to self (ICC_SGI1R_EL1 = SGI 5, Aff1 0, target list bit 0), taken once unmasked.
 * DATA: +0x00 timer interrupts, +0x04 SGIs, +0x08 timer ELR outside [loop, done],
 * +0x0c SPSR with I set, +0x10 IAR neither 27 nor 5; +0x18/0x20/0x30 the last ELR,
 * SPSR and IAR; +0x38 the SGI's ELR; +0x40/0x48/0x50 x12, x10, x11; +0x58 x1 (poll
 * iterations); +0x60/0x64 GICR_WAKER before/after; +0x68 GICD_CTLR read back; +0x70
 * ICC_RPR_EL1 at the end; +0x74 CNTV_CTL_EL0 at the end.
 */
#define GICV3_IRQS 100 /* the `cmp w17, #0x64` below and `cmp w0, #0x64` above */
/* at IMAGE + 0x40 */
static const uint32_t gicv3_irq_main[] = {
	0xd2a80214,	     /* mov x20, #0x40100000 */
	0xd2a10015,	     /* mov x21, #0x8000000 */
	0xd2a10156,	     /* mov x22, #0x80a0000 */
	0x914042d7,	     /* add x23, x22, #0x10, lsl #12 */
	G_SET_VBAR,	     /* VBAR_EL1 */
	0xb94016c0,	     /* ldr w0, [x22, #20] */
	0xb9006280,	     /* str w0, [x20, #96] */
	0x121e7800,	     /* and w0, w0, #0xfffffffd */
	0xb90016c0,	     /* str w0, [x22, #20] */
	0xb94016c0,	     /* wake: ldr w0, [x22, #20] */
	0x3717ffe0,	     /* tbnz w0, #2, wake */
	0xb9006680,	     /* str w0, [x20, #100] */
	0x52800240,	     /* mov w0, #0x12 */
	0xb90002a0,	     /* str w0, [x21] */
	0xb94002a0,	     /* ldr w0, [x21] */
	0xb9006a80,	     /* str w0, [x20, #104] */
	0x52a10000,	     /* mov w0, #0x8000000 */
	0x321b0000,	     /* orr w0, w0, #0x20 */
	0xb90082e0,	     /* str w0, [x23, #128] */
	0xb90102e0,	     /* str w0, [x23, #256] */
	0xd28000e0,	     /* mov x0, #0x7 */
	0xd518cca0,	     /* msr icc_sre_el1, x0 */
	0xd5033fdf,	     /* isb */
	0xd2801e00,	     /* mov x0, #0xf0 */
	0xd5184600,	     /* msr icc_pmr_el1, x0 */
	0xd2800020,	     /* mov x0, #0x1 */
	0xd518cce0,	     /* msr icc_igrpen1_el1, x0 */
	0xd5033fdf,	     /* isb */
	G_TIMER_START(6250), /* timer on */
	G_SUMS_ZERO_UNMASK,  /* x10 = x11 = x12 = 0, unmask */
	G_SUMS_STEP,	     /* loop: x12++, x10 += x12, x11 += x12 */
	0x7101901f,	     /* cmp w0, #0x64 */
	0x54ffff63,	     /* b.cc loop */
	0xd50342df,	     /* done: msr daifset, #0x2 */
	G_SUMS_STORE,	     /* x12, x10, x11 out */
	0xd2a0a000,	     /* mov x0, #0x5000000 */
	0xb2400000,	     /* orr x0, x0, #0x1 */
	0xd518cba0,	     /* msr icc_sgi1r_el1, x0 */
	0xd5033fdf,	     /* isb */
	0xd2800001,	     /* mov x1, #0x0 */
	0xd50342ff,	     /* msr daifclr, #0x2 */
	0x91000421,	     /* poll: add x1, x1, #0x1 */
	0xb9400680,	     /* ldr w0, [x20, #4] */
	0x34ffffc0,	     /* cbz w0, poll */
	0xd50342df,	     /* msr daifset, #0x2 */
	0xf9002e81,	     /* str x1, [x20, #88] */
	0xd538cb62,	     /* mrs x2, icc_rpr_el1 */
	0xb9007282,	     /* str w2, [x20, #112] */
	0xd53be323,	     /* mrs x3, cntv_ctl_el0 */
	0xb9007683,	     /* str w3, [x20, #116] */
	G_SYSTEM_OFF(0),     /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0xa80 */
static const uint32_t gicv3_irq_irq[] = {
	0xd538402d,  /* mrs x13, elr_el1 */
	0xd538400e,  /* mrs x14, spsr_el1 */
	0xd538cc10,  /* mrs x16, icc_iar1_el1 */
	0xf9000e8d,  /* str x13, [x20, #24] */
	0xf900128e,  /* str x14, [x20, #32] */
	0xb9003290,  /* str w16, [x20, #48] */
	0x3638008e,  /* tbz w14, #7, spsr_ok */
	G_COUNT(12), /* count += 1 */
	0x71006e1f,  /* spsr_ok: cmp w16, #0x1b */
	0x54000281,  /* b.ne not_timer */
	0x10ffb171,  /* adr x17, loop */
	0xeb1101bf,  /* cmp x13, x17 */
	0x54000083,  /* b.cc bad_elr */
	0x10ffb1d1,  /* adr x17, done */
	0xeb1101bf,  /* cmp x13, x17 */
	0x54000089,  /* b.ls elr_ok */
	G_COUNT(8),  /* bad_elr: count += 1 */
	G_COUNT(0),  /* elr_ok: count += 1 */
	0x7101923f,  /* cmp w17, #0x64 */
	0x54000082,  /* b.cs last */
	0xd2830d51,  /* mov x17, #0x186a */
	0xd51be311,  /* msr cntv_tval_el0, x17 */
	0x1400000d,  /* b eoi */
	0xd51be33f,  /* last: msr cntv_ctl_el0, xzr */
	0x1400000b,  /* b eoi */
	0x7100161f,  /* not_timer: cmp w16, #0x5 */
	0x540000c1,  /* b.ne bad_iar */
	0xf9001e8d,  /* str x13, [x20, #56] */
	G_COUNT(4),  /* count += 1 */
	0x14000004,  /* b eoi */
	G_COUNT(16), /* bad_iar: count += 1 */
	0xd518cc30,  /* eoi: msr icc_eoir1_el1, x16 */
	0xd69f03e0,  /* eret */
};
#define GICV3_POLL 55 /* word index of `poll` in gicv3_irq_main */

/*
 * CPU_OFF, then CPU_ON again (two vCPUs; vCPU 1's second entry at IMAGE + 0x600).
 * vCPU 0: CPU_ON(1, IMAGE + 0x400, context A = 0xa4a4a3a3a2a2a1a1) (+0x00), waits for
 * vCPU 1's flag, polls AFFINITY_INFO(1) until it reads 1, OFF (+0x08), CPU_ON(1,
 * IMAGE + 0x600, context B = 0xb4b4b3b3b2b2b1b1) (+0x10), waits for the second flag,
 * AFFINITY_INFO(1) once more (+0x18, ON), then SYSTEM_OFF with X1 = 5.
 * vCPU 1, first start: records X0 (+0x108), MPIDR_EL1 (+0x110) and SCTLR_EL1 (+0x118),
 * then dirties what a start must reset: SCTLR_EL1.DZE (bit 14) set, X5 and X19 set,
 * DAIF all clear, SPSel 0 (EL1t); it records DAIF (+0x130), SPSel (+0x138) and SCTLR_EL1
 * (+0x140) as they now are, sets the flag (+0x100) and calls CPU_OFF, which must not
 * return: if it does, +0x120 = 1 and +0x128 its X0.
 * vCPU 1, second start: records X5 (+0x238), X19 (+0x240) first, then X0 (+0x208),
 * MPIDR_EL1 (+0x210), SCTLR_EL1 (+0x218), DAIF (+0x220), CurrentEL (+0x228) and SPSel
 * (+0x230), sets its flag (+0x200) and parks in WFI.
 */
/* at IMAGE + 0x40 */
static const uint32_t off_main[] = {
	0xd2a80214,		    /* mov x20, #0x40100000 */
	G_PSCI_CPU_ON_1_AT(AP_AT),  /* PSCI CPU_ON(1, ...) arguments */
	0xd2943423,		    /* mov x3, #0xa1a1 */
	0xf2b45443,		    /* movk x3, #0xa2a2, lsl #16 */
	0xf2d47463,		    /* movk x3, #0xa3a3, lsl #32 */
	0xf2f49483,		    /* movk x3, #0xa4a4, lsl #48 */
	0xd4000002,		    /* hvc #0 */
	0xf9000280,		    /* str x0, [x20] */
	0xb9410284,		    /* wait1: ldr w4, [x20, #256] */
	0x34ffffe4,		    /* cbz w4, wait1 */
	G_PSCI_AFFINITY_INFO_1,	    /* aff: PSCI AFFINITY_INFO(1) */
	0xf100041f,		    /* cmp x0, #0x1 */
	0x54ffff41,		    /* b.ne aff */
	0xf9000680,		    /* str x0, [x20, #8] */
	G_PSCI_CPU_ON_1_AT(AP2_AT), /* PSCI CPU_ON(1, ...) arguments */
	0xd2963623,		    /* mov x3, #0xb1b1 */
	0xf2b65643,		    /* movk x3, #0xb2b2, lsl #16 */
	0xf2d67663,		    /* movk x3, #0xb3b3, lsl #32 */
	0xf2f69683,		    /* movk x3, #0xb4b4, lsl #48 */
	0xd4000002,		    /* hvc #0 */
	0xf9000a80,		    /* str x0, [x20, #16] */
	0xb9420284,		    /* wait2: ldr w4, [x20, #512] */
	0x34ffffe4,		    /* cbz w4, wait2 */
	G_PSCI_AFFINITY_INFO_1,	    /* PSCI AFFINITY_INFO(1) */
	0xf9000e80,		    /* str x0, [x20, #24] */
	G_SYSTEM_OFF(5),	    /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0x400 */
static const uint32_t off_ap1[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xf9008680,	 /* str x0, [x20, #264] */
	0xd53800a1,	 /* mrs x1, mpidr_el1 */
	0xf9008a81,	 /* str x1, [x20, #272] */
	0xd5381001,	 /* mrs x1, sctlr_el1 */
	0xf9008e81,	 /* str x1, [x20, #280] */
	0xb2720021,	 /* orr x1, x1, #0x4000 */
	0xd5181001,	 /* msr sctlr_el1, x1 */
	0xd5033fdf,	 /* isb */
	0xd28aaaa5,	 /* mov x5, #0x5555 */
	0xd2832333,	 /* mov x19, #0x1919 */
	0xd5034fff,	 /* msr daifclr, #0xf */
	0xd50040bf,	 /* msr spsel, #0 */
	0xd53b4221,	 /* mrs x1, daif */
	0xf9009a81,	 /* str x1, [x20, #304] */
	0xd5384201,	 /* mrs x1, spsel */
	0xf9009e81,	 /* str x1, [x20, #312] */
	0xd5381001,	 /* mrs x1, sctlr_el1 */
	0xf900a281,	 /* str x1, [x20, #320] */
	G_SET_FLAG(256), /* flag = 1 */
	G_PSCI_CPU_OFF,	 /* PSCI CPU_OFF */
	G_SET_FLAG(288), /* flag = 1 */
	0xf9009680,	 /* str x0, [x20, #296] */
	G_PARK,		 /* wfi loop */
};
/* at IMAGE + 0x600 */
static const uint32_t off_ap2[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xf9011e85,	 /* str x5, [x20, #568] */
	0xf9012293,	 /* str x19, [x20, #576] */
	0xf9010680,	 /* str x0, [x20, #520] */
	0xd53800a1,	 /* mrs x1, mpidr_el1 */
	0xf9010a81,	 /* str x1, [x20, #528] */
	0xd5381001,	 /* mrs x1, sctlr_el1 */
	0xf9010e81,	 /* str x1, [x20, #536] */
	0xd53b4221,	 /* mrs x1, daif */
	0xf9011281,	 /* str x1, [x20, #544] */
	0xd5384241,	 /* mrs x1, currentel */
	0xf9011681,	 /* str x1, [x20, #552] */
	0xd5384201,	 /* mrs x1, spsel */
	0xf9011a81,	 /* str x1, [x20, #560] */
	G_SET_FLAG(512), /* flag = 1 */
	G_PARK,		 /* park2: wfi loop */
};

/*
 * The race psci.c documents: CPU_OFF marks the caller OFF before the host parks it, so
 * a CPU_ON made as soon as AFFINITY_INFO reads OFF may reach a vCPU that is still on its
 * way to parking (the start is kept for then). vCPU 0, 50 rounds: CPU_ON(1, IMAGE +
 * 0x400, context = the round number), a failed CPU_ON counted at +0x04 (its result at
 * +0x08), then AFFINITY_INFO(1) polled until OFF and straight into the next CPU_ON;
 * the round count at +0x10, then SYSTEM_OFF 0.
 * vCPU 1 per start: a context id other than the number of rounds counted so far
 * counted at +0x104, the round counted at +0x100, CPU_OFF; a return from it counted at
 * +0x108 (its X0 at +0x110).
 */
/* at IMAGE + 0x40 */
static const uint32_t race_main[] = {
	0xd2a80214,		   /* mov x20, #0x40100000 */
	0xd2800015,		   /* mov x21, #0x0 */
	G_PSCI_CPU_ON_1_AT(AP_AT), /* round: PSCI CPU_ON(1, ...) arguments */
	0xaa1503e3,		   /* mov x3, x21 */
	0xd4000002,		   /* hvc #0 */
	0xb40000a0,		   /* cbz x0, on_ok */
	0xb9400684,		   /* ldr w4, [x20, #4] */
	0x11000484,		   /* add w4, w4, #0x1 */
	0xb9000684,		   /* str w4, [x20, #4] */
	0xf9000680,		   /* str x0, [x20, #8] */
	G_PSCI_AFFINITY_INFO_1,	   /* on_ok: PSCI AFFINITY_INFO(1) */
	0xf100041f,		   /* cmp x0, #0x1 */
	0x54ffff41,		   /* b.ne on_ok */
	0x910006b5,		   /* add x21, x21, #0x1 */
	0xf100cabf,		   /* cmp x21, #0x32 */
	0x54fffd61,		   /* b.ne round */
	0xf9000a95,		   /* str x21, [x20, #16] */
	G_SYSTEM_OFF(0),	   /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0x400 */
static const uint32_t race_ap[] = {
	0xd2a80214,	/* mov x20, #0x40100000 */
	0xb9410281,	/* ldr w1, [x20, #256] */
	0xeb01001f,	/* cmp x0, x1 */
	0x54000080,	/* b.eq ctx_ok */
	0xb9410682,	/* ldr w2, [x20, #260] */
	0x11000442,	/* add w2, w2, #0x1 */
	0xb9010682,	/* str w2, [x20, #260] */
	0x11000421,	/* ctx_ok: add w1, w1, #0x1 */
	0xb9010281,	/* str w1, [x20, #256] */
	G_PSCI_CPU_OFF, /* PSCI CPU_OFF */
	0xb9410a82,	/* ldr w2, [x20, #264] */
	0x11000442,	/* add w2, w2, #0x1 */
	0xb9010a82,	/* str w2, [x20, #264] */
	0xf9008a80,	/* str x0, [x20, #272] */
	G_PARK,		/* wfi loop */
};

/*
 * An interrupt pending across CPU_OFF and CPU_ON (GICv2, two vCPUs). vCPU 0 starts vCPU 1
 * (+0x00, the result), polls AFFINITY_INFO(1) until OFF, starts it again at IMAGE + 0x600
 * (+0x08), waits for its flag (+0x200), SYSTEM_OFF 0.
 * vCPU 1, first start (DAIF masked): GICD_CTLR = 1, PPI 27 enabled in its own bank of
 * GICD_ISENABLER0, its GICC_PMR = 0xff and GICC_CTLR = 1, CNTV_CVAL_EL0 = 0 (in the past)
 * and CNTV_CTL_EL0 = 1: its virtual timer interrupt is pending at once; CNTV_CTL_EL0
 * recorded (+0x108), the flag (+0x100), CPU_OFF (a return: +0x110 = 1).
 * vCPU 1, second start (DAIF masked again): VBAR_EL1, CNTV_CTL_EL0 (+0x208) and DAIF
 * (+0x210) recorded, then `msr daifclr, #2` and a poll loop (no WFI) that counts x3 until
 * the handler's count (+0x300) is non-zero, at most 1000 spins; x3 at +0x218, the flag.
 * The handler records ELR_EL1 (+0x308), SPSR_EL1 (+0x310) and GICC_IAR (+0x318), turns
 * the timer off, ends the interrupt and counts.
 */
/* at IMAGE + 0x40 */
static const uint32_t pend_main[] = {
	0xd2a80214,		    /* mov x20, #0x40100000 */
	G_PSCI_CPU_ON_1_AT(AP_AT),  /* PSCI CPU_ON(1, ...) arguments */
	0xd2800003,		    /* mov x3, #0x0 */
	0xd4000002,		    /* hvc #0 */
	0xf9000280,		    /* str x0, [x20] */
	G_PSCI_AFFINITY_INFO_1,	    /* aff: PSCI AFFINITY_INFO(1) */
	0xf100041f,		    /* cmp x0, #0x1 */
	0x54ffff41,		    /* b.ne aff */
	G_PSCI_CPU_ON_1_AT(AP2_AT), /* PSCI CPU_ON(1, ...) arguments */
	0xd2800003,		    /* mov x3, #0x0 */
	0xd4000002,		    /* hvc #0 */
	0xf9000680,		    /* str x0, [x20, #8] */
	0xb9420284,		    /* wait: ldr w4, [x20, #512] */
	0x34ffffe4,		    /* cbz w4, wait */
	G_SYSTEM_OFF(0),	    /* PSCI SYSTEM_OFF */
};
/* at IMAGE + 0x400 */
static const uint32_t pend_ap1[] = {
	G_GICV2_BASES,	      /* x20 DATA, x21 GICD, x22 GICC */
	G_GICV2_ENABLE_PPI27, /* GIC on, PPI 27 enabled */
	0xd51be35f,	      /* msr cntv_cval_el0, xzr */
	0xd2800020,	      /* mov x0, #0x1 */
	0xd51be320,	      /* msr cntv_ctl_el0, x0 */
	0xd53be321,	      /* mrs x1, cntv_ctl_el0 */
	0xf9008681,	      /* str x1, [x20, #264] */
	G_SET_FLAG(256),      /* flag = 1 */
	G_PSCI_CPU_OFF,	      /* PSCI CPU_OFF */
	G_SET_FLAG(272),      /* flag = 1 */
	G_PARK,		      /* wfi loop */
};
/* at IMAGE + 0x600 */
static const uint32_t pend_ap2[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xd2a10036,	 /* mov x22, #0x8010000 */
	G_SET_VBAR,	 /* VBAR_EL1 */
	0xd53be321,	 /* mrs x1, cntv_ctl_el0 */
	0xf9010681,	 /* str x1, [x20, #520] */
	0xd53b4221,	 /* mrs x1, daif */
	0xf9010a81,	 /* str x1, [x20, #528] */
	0xd2800003,	 /* mov x3, #0x0 */
	0xd50342ff,	 /* msr daifclr, #0x2 */
	0x91000463,	 /* poll: add x3, x3, #0x1 */
	0xb9430281,	 /* ldr w1, [x20, #768] */
	0x35000061,	 /* cbnz w1, got */
	0xf10fa07f,	 /* cmp x3, #0x3e8 */
	0x54ffff83,	 /* b.lo poll */
	0xd50342df,	 /* got: msr daifset, #0x2 */
	0xf9010e83,	 /* str x3, [x20, #536] */
	G_SET_FLAG(512), /* flag = 1 */
	G_PARK,		 /* park2: wfi loop */
};
/* at IMAGE + 0xa80 */
static const uint32_t pend_irq[] = {
	0xd538402d,			 /* mrs x13, elr_el1 */
	0xd538400e,			 /* mrs x14, spsr_el1 */
	0xb9400ed0,			 /* ldr w16, [x22, #12] */
	0xf901868d,			 /* str x13, [x20, #776] */
	0xf9018a8e,			 /* str x14, [x20, #784] */
	0xb9031a90,			 /* str w16, [x20, #792] */
	0xd51be33f,			 /* msr cntv_ctl_el0, xzr */
	G_GICV2_IRQ_EOI_COUNT_ERET(768), /* EOI, count, eret */
};
#define PEND_POLL 12 /* word index of `poll` in pend_ap2 */

/*
 * Unallocated encodings inside the arm-timer's claimed range (0xdf00..0xdf1a): the
 * device answers them ("other numbers in the range read as zero and ignore writes"),
 * the engine does not model them, so the hook does the access and returns 0, the
 * engine raises UNDEF at the instruction and interrupt_hook completes it. x9 counts the
 * `add x9, x9, #1` after each access. DATA: +0x00 X0 after `mrs x0, S3_3_C14_C0_3`
 * (X0 was 0x1234), +0x08 X2 after reading back S3_3_C14_C1_1 (written 0x77; X2 was
 * 0x5678), +0x10 x9.
 */
/* at IMAGE + 0x40 */
static const uint32_t undef_main[] = {
	0xd2a80214,	 /* mov x20, #0x40100000 */
	0xd2800009,	 /* mov x9, #0x0 */
	0xd2824680,	 /* mov x0, #0x1234 */
	0xd28acf02,	 /* mov x2, #0x5678 */
	0xd53be060,	 /* fault_r: mrs x0, S3_3_C14_C0_3 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000280,	 /* str x0, [x20] */
	0xd2800ee1,	 /* mov x1, #0x77 */
	0xd51be121,	 /* fault_w: msr S3_3_C14_C1_1, x1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xd53be122,	 /* mrs x2, S3_3_C14_C1_1 */
	0x91000529,	 /* add x9, x9, #0x1 */
	0xf9000682,	 /* str x2, [x20, #8] */
	0xf9000a89,	 /* str x9, [x20, #16] */
	G_SYSTEM_OFF(0), /* PSCI SYSTEM_OFF */
};
#define UNDEF_MRS 4 /* word index of the MRS in undef_main */
#define UNDEF_MSR 8 /* ... of the MSR */

/* ---- the VM ---- */

/* The [base], [kernel] and [devices] head both machines share; then their emu_devices. */
#define CONFIG_HEAD(name)                                                                          \
	"[base]\n"                                                                                 \
	"id = 1\n"                                                                                 \
	"name = \"" name "\"\n"                                                                    \
	"vm_type = 1\n"                                                                            \
	"cpu_num = %u\n"                                                                           \
	"[kernel]\n"                                                                               \
	"kernel_path = \"t.img\"\n"                                                                \
	"kernel_load_addr = 0x4000_0000\n"                                                         \
	"entry_point = 0x4000_0000\n"                                                              \
	"image_location = \"fs\"\n"                                                                \
	"cmdline = \"\"\n"                                                                         \
	"memory_regions = [[0x4000_0000, 0x100_0000, 0x7, 0]]\n"                                   \
	"[devices]\n"                                                                              \
	"interrupt_mode = \"emulated\"\n"                                                          \
	"passthrough_devices = []\n"                                                               \
	"emu_devices = [\n"
#define CONFIG_TIMER_TAIL                                                                          \
	"  [\"timer\", 0xdf00, 0x1b, 0, \"arm-timer\", []],\n"                                     \
	"]\n"

#define CONFIG_GICV2                                                                               \
	"  [\"gicd\", 0x0800_0000, 0x1_0000, 0, \"gicd-v2\", [128, 2, 0x0801_0000, 0x1_0000]],\n"
/* configs/demo-arm64-gicv3.toml's GIC: GICD, two redistributor frames, the ICC set. */
#define CONFIG_GICV3                                                                               \
	"  [\"gicd\", 0x0800_0000, 0x1_0000, 0, \"gicd-v3\", [128]],\n"                            \
	"  [\"gicr\", 0x080a_0000, 0x4_0000, 0, \"gicr\", []],\n"                                  \
	"  [\"icc\", 0xc640, 0x28, 0, \"icc\", []],\n"

static const char config_fmt[] = CONFIG_HEAD("tcg-arm64") CONFIG_GICV2 CONFIG_TIMER_TAIL;
static const char config_gicv3_fmt[] =
	CONFIG_HEAD("tcg-arm64-gicv3") CONFIG_GICV3 CONFIG_TIMER_TAIL;

#define GICV3_CPUS 2 /* the redistributor range is two frames; vCPU 1 stays off */
#define GICR_BASE  0x080a0000u

struct piece {
	uint32_t at; /* offset in the Image */
	const uint32_t *words;
	size_t n;
};

#define PIECE(at, a)                                                                               \
	{                                                                                          \
		(at), (a), sizeof(a) / sizeof((a)[0])                                              \
	}

struct fixture {
	struct axvm vm;
	struct axvm_config cfg;
	uint8_t image[IMAGE_SIZE];
	bool created;
};

static struct fixture *fx;

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* An arm64 Image: header (code0 = b MAIN_AT, text_offset 0, 4K pages, anywhere) + code. */
static void build_image(const struct piece *pieces, size_t n)
{
	uint8_t *img = fx->image;

	memset(img, 0, IMAGE_SIZE);
	put_le32(img + 0x00, 0x14000000u | (MAIN_AT / 4)); /* b MAIN_AT */
	put_le64(img + 0x08, 0);			   /* text_offset */
	put_le64(img + 0x10, IMAGE_SIZE);		   /* image_size */
	put_le64(img + 0x18, 0xa);			   /* flags: 4K pages, anywhere */
	put_le32(img + 0x38, 0x644d5241u);		   /* "ARM\x64" */
	for (size_t i = 0; i < n; i++) {
		assert_true(pieces[i].at >= 0x40 && pieces[i].at + 4 * pieces[i].n <= IMAGE_SIZE);
		for (size_t w = 0; w < pieces[i].n; w++)
			put_le32(img + pieces[i].at + 4 * w, pieces[i].words[w]);
	}
}

/* The VM as axvm run builds it (vmm/main.c, axvm_create), the kernel from memory. */
static void vm_create_from(const char *fmt, unsigned cpus, const struct piece *pieces, size_t n)
{
	struct axvm *vm = &fx->vm;
	char text[2048], err[AXVM_ERR_MAX];
	int status;

	build_image(pieces, n);
	axvm_init(vm);
	fx->created = true;
	vm->timers = axvm_timers_create();
	assert_non_null(vm->timers);
	axvm_hooks_init(vm);
	snprintf(text, sizeof(text), fmt, cpus);
	if (axvm_config_parse("t.toml", text, strlen(text), &fx->cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	vm->cfg = &fx->cfg;
	vm->nr_vcpus = cpus;
	vm->arch = AXVM_ARCH_ARM64;
	vm->accel = &axvm_accel_tcg;
	if (axvm_build_devices(vm, err, sizeof(err)) != 0)
		fail_msg("devices: %s", err);
	assert_int_equal(guest_ram_map(&vm->ram, &fx->cfg), 0);
	if (vm->accel->vm_create(vm, err, sizeof(err), &status) != 0)
		fail_msg("vm_create: %s", err);
	if (axvm_arm64_load(vm, fx->image, IMAGE_SIZE, err, sizeof(err)) != 0)
		fail_msg("axvm_arm64_load: %s", err);
	assert_int_equal(vm->arm64_boot.pc, IMAGE);
	assert_false(vm->arm64_fdt.psci_smc); /* PSCI over HVC */
	vm->vcpus = calloc(cpus, sizeof(*vm->vcpus));
	assert_non_null(vm->vcpus);
	for (uint32_t i = 0; i < cpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		if (vm->accel->vcpu_create(&vm->vcpus[i], err, sizeof(err)) != 0)
			fail_msg("vcpu_create: %s", err);
	}
	if (vm->accel->vcpu_set_state_arm64(&vm->vcpus[0], &vm->arm64_boot, err, sizeof(err)) != 0)
		fail_msg("set_state: %s", err);
	for (uint32_t i = 1; i < cpus; i++)
		if (vm->accel->vcpu_set_waiting(&vm->vcpus[i], err, sizeof(err)) != 0)
			fail_msg("set_waiting: %s", err);
}

#define WATCHDOG_SECONDS 10

/* A guest that never stops is a failure, not a hang. */
static void *watchdog(void *arg)
{
	struct axvm *vm = arg;
	struct timespec until, ms = { 0, 1000000 };

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += WATCHDOG_SECONDS;
	while (!atomic_load(&vm->stop)) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec ||
		    (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
			axvm_request_stop(vm, 99, "test watchdog: the guest did not stop");
		nanosleep(&ms, NULL);
	}
	return NULL;
}

/* axvm_run() under the watchdog: the exit status. */
static int vm_run(void)
{
	pthread_t wd;
	int status;

	assert_int_equal(pthread_create(&wd, NULL, watchdog, &fx->vm), 0);
	status = axvm_run(&fx->vm);
	pthread_join(wd, NULL);
	return status;
}

static struct tcg_vcpu *tcg(uint32_t i)
{
	return fx->vm.vcpus[i].accel;
}

static uint64_t stat(_Atomic uint64_t *c)
{
	return atomic_load(c);
}

static uint32_t data32(uint32_t off)
{
	const uint8_t *p = guest_ram_at(&fx->vm.ram, DATA + off, 4);
	uint32_t v;

	assert_non_null(p);
	memcpy(&v, p, 4);
	return v;
}

static uint64_t data64(uint32_t off)
{
	const uint8_t *p = guest_ram_at(&fx->vm.ram, DATA + off, 8);
	uint64_t v;

	assert_non_null(p);
	memcpy(&v, p, 8);
	return v;
}

static void expect_reason(const char *want)
{
	if (!strstr(fx->vm.stop_reason, want))
		fail_msg("stop reason \"%s\" lacks \"%s\"", fx->vm.stop_reason, want);
}

#define SYSTEM_OFF_REASON(status) "vCPU 0: guest powered off (PSCI SYSTEM_OFF), status " #status

/* The VM from the config with the pieces loaded, run under the watchdog: its exit status
 * and stop reason as expected. */
static void run_guest(const char *fmt, unsigned cpus, const struct piece *pieces, size_t n,
		      int status, const char *reason)
{
	vm_create_from(fmt, cpus, pieces, n);
	assert_int_equal(vm_run(), status);
	expect_reason(reason);
}

/* run_guest() with the pieces listed in place: RUN_GUEST(fmt, cpus, status, reason, PIECE...) */
#define RUN_GUEST(fmt, cpus, status, reason, ...)                                                  \
	do {                                                                                       \
		const struct piece pieces_[] = { __VA_ARGS__ };                                    \
		run_guest(fmt, cpus, pieces_, sizeof(pieces_) / sizeof(pieces_[0]), status,        \
			  reason);                                                                 \
	} while (0)

/* An interrupted state as saved in SPSR_EL1 at DATA + off: EL1h, D, A, F masked, I clear
 * (NZCV aside). */
static void expect_irq_spsr(uint32_t off)
{
	assert_int_equal(data64(off) & ~(uint64_t)ARM64_PSTATE_NZCV,
			 ARM64_PSTATE_EL1h | ARM64_PSTATE_D | ARM64_PSTATE_A | ARM64_PSTATE_F);
}

/* The busy loop's x12 (DATA + 0x40), with x10 and x11 (+0x48, +0x50) both its sum
 * n(n+1)/2: no lost or replayed instruction. */
static uint64_t expect_loop_sums(void)
{
	uint64_t n = data64(0x40);

	assert_int_equal(data64(0x48), n * (n + 1) / 2);
	assert_int_equal(data64(0x50), n * (n + 1) / 2);
	return n;
}

static uint64_t host_mmio_read32(uint64_t gpa)
{
	uint64_t v = 0;

	assert_int_equal(ax_devices_handle_mmio_read(fx->vm.devices, 0, gpa, 4, &v), AX_OK);
	return v;
}

static uint64_t host_sysreg_read(uint32_t vcpu, ax_sysreg_t reg)
{
	uint64_t v = 0;

	assert_int_equal(ax_devices_handle_sysreg_read(fx->vm.devices, vcpu, reg, 8, &v), AX_OK);
	return v;
}

/* The CPU interface's acknowledge counters of a vCPU. */
static struct ax_irq_ack_stats ack_stats(uint32_t vcpu)
{
	struct ax_irq_ack_stats st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(ax_devices_irq_ack_stats(fx->vm.devices, vcpu, &st), AX_OK);
	return st;
}

static int setup(void **state)
{
	/* also links tcg_vm.o ahead of accel.c's weak "not built" stand-in */
	assert_non_null(strstr(tcg_engine_version(), "Unicorn 2."));
	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	*state = fx;
	return 0;
}

static void vm_destroy(void)
{
	if (fx->created)
		axvm_destroy(&fx->vm);
	fx->created = false;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy();
	free(fx);
	fx = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_psci_and_mpidr(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 2, 7, SYSTEM_OFF_REASON(7), PIECE(MAIN_AT, psci_main),
		  PIECE(AP_AT, psci_ap));
	/* vCPU 0: X0 = the DTB at entry, its own affinity */
	assert_int_equal(data64(0x30), fx->vm.arm64_boot.x[0]);
	assert_int_not_equal(data64(0x30), 0);
	assert_int_equal(data64(0x00), 0x80000000u);
	assert_int_equal(data64(0x08), 0x10000u);	       /* PSCI_VERSION 1.0 */
	assert_int_equal(data64(0x10), UINT64_MAX);	       /* unknown id: NOT_SUPPORTED */
	assert_int_equal(data64(0x18), 1);		       /* AFFINITY_INFO before: OFF */
	assert_int_equal(data64(0x20), 0);		       /* CPU_ON: SUCCESS */
	assert_int_equal(data64(0x28), 0);		       /* AFFINITY_INFO after: ON */
	assert_int_equal(data64(0x38), (uint64_t)(int64_t)-4); /* CPU_ON again: ALREADY_ON */
	/* vCPU 1: the context id in X0, its own MPIDR_EL1 (every engine is CPU 0 itself) */
	assert_int_equal(data32(0x100), 1);
	assert_int_equal(data64(0x108), 0x1122334455667788ull);
	assert_int_equal(data64(0x110), 0x80000001u);
	assert_int_equal(psci_cpu_state(&fx->vm.psci, 1), PSCI_CPU_ON);
	assert_int_equal(stat(&tcg(0)->stats.hypercalls), 7);
	assert_int_equal(stat(&tcg(1)->stats.hypercalls), 0);
	/* the MPIDR_EL1 reads went through the MRS hook */
	assert_int_equal(stat(&tcg(0)->stats.sysreg), 1);
	assert_int_equal(stat(&tcg(1)->stats.sysreg), 1);
}

static void test_sysreg_bus(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 1, 0, "status 0", PIECE(MAIN_AT, sysregs_main));
	assert_int_equal(data64(0x00), TIMER_HZ);	       /* CNTFRQ_EL0 */
	assert_int_equal(data64(0x08), 0xabcd12345678ull);     /* CNTV_CVAL_EL0 read back */
	assert_int_equal(data64(0x10), 0xcafe0000deadbeefull); /* TPIDR_EL1 in the engine */
	assert_int_equal(data64(0x18), 6 + 100 + 1);	       /* every add ran exactly once */
	assert_int_equal(data64(0x20), TIMER_HZ);
	assert_int_equal(data64(0x28), 0xabcd12345678ull);
	/* the write reached the model, not just the engine's own copy */
	assert_int_equal(host_sysreg_read(0, AX_SYSREG_ARM64(3, 3, 14, 3, 2)), 0xabcd12345678ull);
	/* CNTFRQ x 102 (one to XZR), CVAL write + 2 reads; not TPIDR_EL1 */
	assert_int_equal(stat(&tcg(0)->stats.sysreg), 102 + 3);
	assert_int_equal(stat(&tcg(0)->stats.hypercalls), 1);
}

static void test_irq_entry_into_busy_loop(void **state)
{
	const uint64_t loop = INSN_ADDR(MAIN_AT, IRQ_LOOP), done = INSN_ADDR(MAIN_AT, IRQ_DONE);
	uint64_t n;

	(void)state;
	RUN_GUEST(config_fmt, 1, 0, "status 0", PIECE(MAIN_AT, irq_main),
		  PIECE(VBAR_AT + 0x280, irq_irq));
	assert_true(data32(0x00) >= 200);
	assert_int_equal(data32(0x08), 0); /* every ELR_EL1 inside the loop */
	assert_int_equal(data32(0x0c), 0); /* every SPSR_EL1 with I clear */
	assert_int_equal(data32(0x10), 0); /* the handler always ran with I set */
	assert_int_equal(data32(0x14), 0); /* every acknowledge was INTID 27 */
	assert_true(data64(0x18) >= loop && data64(0x18) <= done);
	/* the interrupted state: EL1h, D, A, F still masked, I clear (NZCV aside) */
	expect_irq_spsr(0x20);
	assert_int_equal(data64(0x28), ARM64_PSTATE_DAIF); /* DAIF in the handler */
	assert_int_equal(data32(0x30), 27);
	/* no lost or replayed instruction across 200 entries and ERETs */
	n = expect_loop_sums();
	assert_true(n > 200);
	assert_int_equal(stat(&tcg(0)->stats.irqs), data32(0x00));
}

static void test_wfi_masked_wakes(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 1, 0, "status 0", PIECE(MAIN_AT, wfi_main),
		  PIECE(VBAR_AT + 0x280, wfi_irq));
	assert_int_equal(data32(0x40), 0); /* WFI returned without taking it */
	assert_int_equal(data64(0x48), 5); /* CNTV_CTL_EL0: ENABLE | ISTATUS */
	assert_int_equal(data32(0x00), 1);
	assert_int_equal(data32(0x30), 27);
	/* taken at the first instruction after the unmask */
	assert_int_equal(data64(0x18), INSN_ADDR(MAIN_AT, WFI_POLL));
	assert_int_equal(data64(0x50), 1);
	expect_irq_spsr(0x20);
	assert_int_equal(stat(&tcg(0)->stats.irqs), 1);
	assert_true(stat(&tcg(0)->stats.hlt_sleeps) > 0); /* slept, did not spin */
}

static void test_guest_exceptions_stop_vm(void **state)
{
	char want[128];

	(void)state;
	snprintf(want, sizeof(want),
		 "vCPU 0: TCG: guest exception undefined instruction (1) at pc 0x%x, instruction "
		 "0x00000000",
		 INSN_ADDR(MAIN_AT, EXC_UDF));
	RUN_GUEST(config_fmt, 1, AXVM_STATUS_VCPU, want, PIECE(MAIN_AT, exc_udf));
	expect_reason("does not deliver exceptions");
	assert_int_equal(data32(0x00), 1); /* ran up to the UDF, not past it */
	vm_destroy();

	snprintf(want, sizeof(want), "vCPU 0: TCG: guest exception SVC (2) at pc 0x%x",
		 INSN_ADDR(MAIN_AT, EXC_SVC));
	RUN_GUEST(config_fmt, 1, AXVM_STATUS_VCPU, want, PIECE(MAIN_AT, exc_svc));
	assert_int_equal(data32(0x00), 1);
}

static void test_interrupt_at_el1t_stops_vm(void **state)
{
	char want[128];

	(void)state;
	RUN_GUEST(config_fmt, 1, AXVM_STATUS_VCPU,
		  "only EL1h (kernel with SP_EL1) takes interrupts on the software CPU",
		  PIECE(MAIN_AT, el1t_main), PIECE(VBAR_AT + 0x080, el1t_irq_sp0));
	/* in the spin loop, at EL1t with D, A, F masked and I clear */
	snprintf(want, sizeof(want), "an interrupt at pc 0x%x in PSTATE 0x%x",
		 INSN_ADDR(MAIN_AT, EL1T_SPIN),
		 ARM64_PSTATE_EL1t | ARM64_PSTATE_D | ARM64_PSTATE_A | ARM64_PSTATE_F);
	expect_reason(want);
	assert_int_equal(data32(0x08), 0); /* the SP_EL0 vector was not entered */
	assert_int_equal(stat(&tcg(0)->stats.irqs), 0);
}

static void test_gicv3_sysregs(void **state)
{
	struct ax_irq_ack_stats st;

	(void)state;
	RUN_GUEST(config_gicv3_fmt, GICV3_CPUS, 0, SYSTEM_OFF_REASON(0),
		  PIECE(MAIN_AT, gicv3_sysregs_main));
	assert_int_equal(data64(0x00), 7);    /* ICC_SRE_EL1: SRE, DFB, DIB */
	assert_int_equal(data64(0x08), 0xf0); /* ICC_PMR_EL1 read back */
	assert_int_equal(data64(0x10), 1);    /* ICC_IGRPEN1_EL1, back to back with ... */
	assert_int_equal(data64(0x18), 0xf0); /* ... ICC_PMR_EL1 */
	assert_int_equal(data64(0x20), 7);    /* first in a branch target's block */
	assert_int_equal(data64(0x28), 100);  /* loop iterations */
	assert_int_equal(data64(0x30), 0xf0); /* PMR after 100 reads and writes */
	assert_int_equal(data64(0x38), 1);    /* IGRPEN1 before a branch */
	/* every add after an access ran exactly once: 9 + 1 + 2 x 100 + 1, no 100s */
	assert_int_equal(data64(0x40), 9 + 1 + 200 + 1);
	assert_int_equal(data64(0x48), 0x40200000u); /* MRS to XZR left SP alone */
	/* the writes reached the model: vCPU 0's CPU interface, not vCPU 1's */
	assert_int_equal(host_sysreg_read(0, AX_GICV3_ICC_PMR), 0xf0);
	assert_int_equal(host_sysreg_read(0, AX_SYSREG_ARM64(3, 0, 12, 12, 7)), 1);
	assert_int_equal(host_sysreg_read(1, AX_GICV3_ICC_PMR), 0);
	assert_int_equal(host_sysreg_read(1, AX_SYSREG_ARM64(3, 0, 12, 12, 7)), 0);
	/* each access went through the hook once: 10 + 2 x 100 + 1 */
	assert_int_equal(stat(&tcg(0)->stats.sysreg), 10 + 200 + 1);
	assert_int_equal(stat(&tcg(0)->stats.hypercalls), 1);
	assert_int_equal(stat(&tcg(0)->stats.irqs), 0);
	assert_int_equal(tcg(0)->sysreg_undef.pending, false);
	/* no IAR read, so nothing acknowledged */
	st = ack_stats(0);
	assert_int_equal(st.sgi + st.ppi + st.spi + st.spurious, 0);
}

static void test_gicv3_timer_and_sgi(void **state)
{
	struct ax_irq_ack_stats st;
	uint64_t n;

	(void)state;
	RUN_GUEST(config_gicv3_fmt, GICV3_CPUS, 0, SYSTEM_OFF_REASON(0),
		  PIECE(MAIN_AT, gicv3_irq_main), PIECE(VBAR_AT + 0x280, gicv3_irq_irq));
	/* the redistributor started asleep and woke */
	assert_int_equal(data32(0x60), 0x6); /* ProcessorSleep | ChildrenAsleep */
	assert_int_equal(data32(0x64), 0);
	/* GICD_CTLR: EnableGrp1 as written, ARE and DS read as one */
	assert_int_equal(data32(0x68), 0x52);
	/* exactly GICV3_IRQS timer interrupts and one SGI, each acknowledged as itself */
	assert_int_equal(data32(0x00), GICV3_IRQS);
	assert_int_equal(data32(0x04), 1);
	assert_int_equal(data32(0x08), 0); /* every timer ELR_EL1 inside the loop */
	assert_int_equal(data32(0x0c), 0); /* every SPSR_EL1 with I clear */
	assert_int_equal(data32(0x10), 0); /* every IAR was 27 or 5 */
	assert_int_equal(data32(0x30), 5); /* the last one: the SGI */
	expect_irq_spsr(0x20);
	/* the SGI was pending when unmasked: taken at the first instruction after */
	assert_int_equal(data64(0x38), INSN_ADDR(MAIN_AT, GICV3_POLL));
	assert_int_equal(data64(0x58), 1);
	assert_int_equal(data64(0x18), INSN_ADDR(MAIN_AT, GICV3_POLL)); /* the last entry's */
	/* no lost or replayed instruction across the entries and ERETs */
	n = expect_loop_sums();
	assert_true(n >= GICV3_IRQS);
	/* every acknowledge was ended: idle running priority; the timer off */
	assert_int_equal(data32(0x70), 0xff);
	assert_int_equal(data32(0x74), 0);
	/* the --stats counters of the CPU interface: exact */
	st = ack_stats(0);
	assert_int_equal(st.ppi, GICV3_IRQS);
	assert_int_equal(st.sgi, 1);
	assert_int_equal(st.spi, 0);
	assert_int_equal(st.spurious, 0);
	st = ack_stats(1);
	assert_int_equal(st.sgi + st.ppi + st.spi + st.spurious, 0);
	assert_int_equal(stat(&tcg(0)->stats.irqs), GICV3_IRQS + 1);
	/* 5 set-up MSRs, IAR + timer + EOIR per timer interrupt, SGI1R, IAR + EOIR,
	 * RPR and CNTV_CTL_EL0 */
	assert_int_equal(stat(&tcg(0)->stats.sysreg), 5 + 3 * GICV3_IRQS + 1 + 2 + 2);
	/* the SGI went to vCPU 0 only (target list bit 0): nothing pending anywhere,
	 * nothing active */
	assert_int_equal(host_mmio_read32(GICR_BASE + 0x10200), 0);
	assert_int_equal(host_mmio_read32(GICR_BASE + 0x10300), 0);
	assert_int_equal(host_mmio_read32(GICR_BASE + 0x20000 + 0x10200), 0);
	assert_int_equal(stat(&tcg(1)->stats.irqs), 0);
}

static void test_cpu_off_then_on(void **state)
{
	uint64_t sctlr_reset;

	(void)state;
	RUN_GUEST(config_fmt, 2, 5, SYSTEM_OFF_REASON(5), PIECE(MAIN_AT, off_main),
		  PIECE(AP_AT, off_ap1), PIECE(AP2_AT, off_ap2));
	sctlr_reset = tcg(1)->arm64_sctlr_reset;
	assert_int_equal(sctlr_reset & ARM64_SCTLR_M, 0);
	assert_int_equal(sctlr_reset & 0x4000u, 0); /* DZE clear at reset */
	/* vCPU 0: CPU_ON SUCCESS, AFFINITY_INFO OFF, CPU_ON again SUCCESS, then ON */
	assert_int_equal(data64(0x00), 0);
	assert_int_equal(data64(0x08), 1);
	assert_int_equal(data64(0x10), 0);
	assert_int_equal(data64(0x18), 0);
	/* vCPU 1, first start: context A, its affinity, SCTLR_EL1 at reset */
	assert_int_equal(data32(0x100), 1);
	assert_int_equal(data64(0x108), 0xa4a4a3a3a2a2a1a1ull);
	assert_int_equal(data64(0x110), 0x80000001u);
	assert_int_equal(data64(0x118), sctlr_reset);
	/* ... what it changed before CPU_OFF: DAIF clear, EL1t, DZE set */
	assert_int_equal(data64(0x130), 0);
	assert_int_equal(data64(0x138), 0);
	assert_int_equal(data64(0x140), sctlr_reset | 0x4000u);
	/* CPU_OFF did not return */
	assert_int_equal(data32(0x120), 0);
	assert_int_equal(data64(0x128), 0);
	/* vCPU 1, second start: at the new entry (the flag), context B, registers cleared,
	 * SCTLR_EL1 back at reset (MMU off), EL1h with DAIF masked */
	assert_int_equal(data32(0x200), 1);
	assert_int_equal(data64(0x208), 0xb4b4b3b3b2b2b1b1ull);
	assert_int_equal(data64(0x210), 0x80000001u);
	assert_int_equal(data64(0x218), sctlr_reset);
	assert_int_equal(data64(0x220), ARM64_PSTATE_DAIF);
	assert_int_equal(data64(0x228), 1u << 2); /* CurrentEL: EL1 */
	assert_int_equal(data64(0x230), 1);	  /* SPSel: SP_EL1 */
	assert_int_equal(data64(0x238), 0);	  /* X5 */
	assert_int_equal(data64(0x240), 0);	  /* X19 */
	assert_int_equal(psci_cpu_state(&fx->vm.psci, 1), PSCI_CPU_ON);
	/* CPU_ON, 1 + n AFFINITY_INFO, CPU_ON, AFFINITY_INFO, SYSTEM_OFF on vCPU 0 */
	assert_true(stat(&tcg(0)->stats.hypercalls) >= 5);
	assert_int_equal(stat(&tcg(1)->stats.hypercalls), 1); /* CPU_OFF */
	/* the MPIDR_EL1 reads, one per start; nothing else vCPU 1 read is claimed */
	assert_int_equal(stat(&tcg(1)->stats.sysreg), 2);
}

#define RACE_ROUNDS 50

static void test_cpu_on_right_after_off(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 2, 0, SYSTEM_OFF_REASON(0), PIECE(MAIN_AT, race_main),
		  PIECE(AP_AT, race_ap));
	assert_int_equal(data64(0x10), RACE_ROUNDS); /* vCPU 0 went through every round */
	assert_int_equal(data32(0x04), 0);	     /* every CPU_ON succeeded */
	assert_int_equal(data64(0x08), 0);
	assert_int_equal(data32(0x100), RACE_ROUNDS); /* vCPU 1 started in every round */
	assert_int_equal(data32(0x104), 0);	      /* each time with that round's context */
	assert_int_equal(data32(0x108), 0);	      /* CPU_OFF never returned */
	assert_int_equal(data64(0x110), 0);
	assert_int_equal(psci_cpu_state(&fx->vm.psci, 1), PSCI_CPU_OFF);
	assert_int_equal(stat(&tcg(1)->stats.hypercalls), RACE_ROUNDS);
}

static void test_irq_pending_across_cpu_off_on(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 2, 0, SYSTEM_OFF_REASON(0), PIECE(MAIN_AT, pend_main),
		  PIECE(AP_AT, pend_ap1), PIECE(AP2_AT, pend_ap2),
		  PIECE(VBAR_AT + 0x280, pend_irq));
	assert_int_equal(data64(0x00), 0); /* both CPU_ONs succeeded */
	assert_int_equal(data64(0x08), 0);
	/* first start: the timer fired at once (ENABLE | ISTATUS); CPU_OFF did not return */
	assert_int_equal(data32(0x100), 1);
	assert_int_equal(data64(0x108), 5);
	assert_int_equal(data32(0x110), 0);
	/* second start: still pending, masked at entry */
	assert_int_equal(data32(0x200), 1);
	assert_int_equal(data64(0x208), 5);
	assert_int_equal(data64(0x210), ARM64_PSTATE_DAIF);
	/* taken once, as INTID 27, at the first instruction after the unmask */
	assert_int_equal(data32(0x300), 1);
	assert_int_equal(data32(0x318), 27);
	assert_int_equal(data64(0x308), INSN_ADDR(AP2_AT, PEND_POLL));
	expect_irq_spsr(0x310);
	assert_true(data64(0x218) < 1000);
	assert_int_equal(data64(0x218), 1);
	assert_int_equal(stat(&tcg(1)->stats.irqs), 1);
	assert_int_equal(stat(&tcg(0)->stats.irqs), 0);
}

static void test_unallocated_sysreg_in_claimed_range(void **state)
{
	(void)state;
	RUN_GUEST(config_fmt, 1, 0, SYSTEM_OFF_REASON(0), PIECE(MAIN_AT, undef_main));
	assert_int_equal(data64(0x00), 0); /* MRS: the device's zero in X0 */
	assert_int_equal(data64(0x08), 0); /* the write was ignored, the read back is zero */
	assert_int_equal(data64(0x10), 3); /* every add after an access ran exactly once */
	assert_int_equal(host_sysreg_read(0, AX_SYSREG_ARM64(3, 3, 14, 1, 1)), 0);
	assert_int_equal(stat(&tcg(0)->stats.sysreg), 3);
	assert_int_equal(stat(&tcg(0)->stats.hypercalls), 1);
	assert_int_equal(tcg(0)->sysreg_undef.pending, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_psci_and_mpidr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysreg_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_entry_into_busy_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wfi_masked_wakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_exceptions_stop_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_at_el1t_stops_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gicv3_sysregs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gicv3_timer_and_sgi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_off_then_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_right_after_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_pending_across_cpu_off_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unallocated_sysreg_in_claimed_range, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
