/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86 local APIC, xAPIC mode (emu type "lapic" = 0x40), after Intel SDM
 * vol. 3 chapter 10 ("Advanced Programmable Interrupt Controller").
 *
 * Config: ["lapic", 0xfee0_0000, 0x1000, 0, "lapic", [timer_hz]]. One device
 * banks every vCPU of the set (max_vcpus): each access works on the bank of
 * the accessing vCPU (struct ax_access.vcpu). timer_hz is the APIC timer's
 * input clock (the bus clock, before the divide configuration), default
 * AX_LAPIC_DEFAULT_HZ, in AX_LAPIC_MIN_HZ..AX_LAPIC_MAX_HZ. The range must be
 * at least AX_LAPIC_SIZE bytes.
 *
 * Guest-visible choices:
 *  - Registers are 32 bits wide at 16-byte aligned offsets. Any other width
 *    or offset fails with InvalidInput (the set counts it as an error, the
 *    model in ax_lapic_stats.bad_accesses); a 32-bit access to a reserved
 *    offset reads 0, ignores the write and sets ESR bit 7 (illegal register
 *    address), as the Pentium 4 / Xeon APIC does. Writes to read-only
 *    registers are ignored. EOI (write-only) reads 0.
 *  - ID (0x20) resets to the vCPU index in bits 31:24 and is writable
 *    (physical destinations match the current ID). vCPU 255 would have the
 *    broadcast ID 0xff and is reachable only by broadcast.
 *  - Version (0x30) = AX_LAPIC_VERSION: version 0x14, max LVT entry 6 (LVT
 *    CMCI exists), no EOI-broadcast suppression (SVR bit 12 reads 0).
 *  - Reset (power-on and INIT, SDM 10.4.7.1): IRR/ISR/TMR, TPR, LDR, ICR,
 *    ESR, timer counts and divide 0, DFR all ones, SVR 0xff (software
 *    disabled), every LVT masked (0x10000) except LINT0 of vCPU 0, which is
 *    0x700 (ExtINT, unmasked): the virtual-wire mode firmware leaves on a PC
 *    (there is no firmware here), so the 8259 reaches the BSP until the OS
 *    reprograms LINT0. INIT keeps the APIC ID.
 *  - Software disabled (SVR bit 8 clear): every LVT is masked and stays
 *    masked while disabled; fixed and lowest-priority messages are refused;
 *    interrupts already in IRR/ISR stay and are still delivered; INIT and
 *    startup are accepted; the APIC may still send IPIs.
 *  - Priorities: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0; a
 *    vector is deliverable when its class (vector[7:4]) > PPR[7:4]. APR is
 *    computed (SDM 10.8.3.1). Vectors 0-15 are illegal: never accepted (ESR
 *    bit 6 on the receiver, bit 5 on an IPI sender that tries).
 *  - EOI clears the highest ISR bit; when that vector's TMR bit is set
 *    (accepted level-triggered, from an I/O APIC) every I/O APIC of the set
 *    gets the EOI. TMR bits stay until the vector is accepted again.
 *  - ESR: write-to-update (the write loads the errors gathered since the
 *    previous write, then clears them). A new error with LVT Error unmasked
 *    raises the LVT Error vector.
 *  - ICR: fixed, lowest priority, INIT, INIT level de-assert (ignored),
 *    startup; shorthands self, all, all-but-self; physical and logical
 *    destinations (DFR flat 0xf: mask match on LDR[31:24]; cluster 0x0:
 *    cluster LDR[31:28] equal or 15 = every cluster, and a common bit in
 *    LDR[27:24]); physical 0xff is broadcast. The delivery-status bit always
 *    reads idle. IPIs are edge-triggered (TMR clear).
 *  - Lowest priority (ICR or I/O APIC): among the matching software-enabled
 *    APICs, a focus processor (the vector already in its IRR or ISR, focus
 *    checking enabled: SVR bit 9 clear) wins; otherwise the one with the
 *    lowest PPR; ties go to the lowest vCPU index. Arbitration IDs are not
 *    modelled.
 *  - Not supported (dropped, counted in unsupported_msgs, logged once): NMI
 *    and SMI (the host hooks cannot inject them), ExtINT messages from an
 *    I/O APIC, reserved delivery modes. LINT1 and the thermal, performance
 *    and CMCI LVTs are registers only: nothing drives them.
 *  - INIT (not de-assert) resets the target's APIC (ID kept) and puts it in
 *    wait-for-SIPI; the next startup IPI calls the host's vcpu_startup hook
 *    with its vector and leaves that state, so the second SIPI of the usual
 *    INIT-SIPI-SIPI sequence is ignored. A startup without INIT is ignored.
 *    The host is not told about INIT itself (no hook).
 *  - LINT0 in ExtINT mode, unmasked, on vCPU 0: the 8259's INTR makes an
 *    interrupt pending, ahead of the APIC's own IRR; ack takes the vector
 *    from the 8259's acknowledge cycle. No other LINT0 mode reaches the 8259.
 *  - Timer: one-shot and periodic; the TSC-deadline mode is not offered
 *    (LVT timer bit 18 reads 0). The current count is computed from the
 *    host's now_ns at read time. Divide configuration takes effect at the
 *    next initial-count write. Writing initial count 0 stops the timer.
 *    Expiry sets the LVT timer vector in IRR unless the LVT is masked; the
 *    count keeps running (and reloading, periodic) while masked. Periodic
 *    expiries follow start + k * period (no drift); when the host ran late by
 *    more than a period the missed expiries are dropped: one interrupt, then
 *    the next period boundary after now. A periodic period shorter than
 *    AX_LAPIC_MIN_PERIOD_NS fires every AX_LAPIC_MIN_PERIOD_NS (the count
 *    still follows the programmed period). Without now_ns the current count
 *    reads 0 and the timer never fires; without the timer hooks it counts
 *    but never fires (both logged once).
 *
 * Host side (struct ax_devices): ax_devices_irq_pending() is true when the
 * vCPU has an ExtINT from the 8259 (as above) or an IRR vector whose class
 * is above PPR; ax_devices_irq_ack() then moves that vector from IRR to ISR
 * (or runs the 8259's INTA) and returns it. Ack returns NotFound, never the
 * spurious vector, when nothing is deliverable: the choice and the IRR->ISR
 * move are one step under the vCPU's lock, so the SDM 10.9 race (TPR raised
 * between INTR and INTA) cannot happen; a host that calls ack without
 * pending, or after another thread cleared the IRR (INIT, reset), gets
 * NotFound and delivers nothing. The SVR spurious vector is stored and read
 * back only. The irq_notify hook is called (possibly with the vCPU's lock
 * held) whenever a vCPU may have gained a deliverable interrupt.
 *
 * Locking: one spinlock per vCPU bank, never two at once; messages to other
 * vCPUs (IPIs, I/O APIC) lock each target in turn. The timer callback takes
 * its bank's lock and checks its own deadline.
 */
#ifndef AXDEVICE_LAPIC_H
#define AXDEVICE_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

#define AX_LAPIC_SIZE	       0x1000u	     /* register frame */
#define AX_LAPIC_VERSION       0x00060014u   /* version 0x14, max LVT entry 6 */
#define AX_LAPIC_DEFAULT_HZ    1000000000ull /* timer input clock: 1 GHz */
#define AX_LAPIC_MIN_HZ	       1000ull
#define AX_LAPIC_MAX_HZ	       (1ull << 34) /* keeps the tick <-> ns arithmetic in 64 bits */
#define AX_LAPIC_MIN_PERIOD_NS 100000ull    /* shortest periodic firing interval */

struct ax_lapic;

/*
 * The local APIC behind device `id` of `set`. InvalidInput when that device
 * is not a local APIC built by this library; NotFound for a bad id.
 */
enum ax_err ax_lapic_from_device(struct ax_devices *set, uint32_t id, struct ax_lapic **out);

/* One vCPU's APIC state, taken atomically under its lock. */
struct ax_lapic_state {
	uint32_t irr[8], isr[8], tmr[8]; /* bit v%32 of word v/32 is vector v */
	uint32_t id, tpr, ppr, ldr, dfr, svr;
	uint32_t esr;	      /* as the guest would read it */
	uint32_t esr_pending; /* gathered since the last ESR write */
	uint32_t lvt_timer, lvt_lint0, lvt_lint1, lvt_error;
	uint32_t timer_initial;
	uint64_t timer_deadline_ns; /* next expiry the model waits for; 0: none */
	bool wait_for_sipi;
};

/* InvalidInput for vcpu >= max_vcpus. */
enum ax_err ax_lapic_snapshot(struct ax_lapic *lapic, uint32_t vcpu, struct ax_lapic_state *out);

struct ax_lapic_stats {
	uint64_t bad_accesses;	    /* refused widths / offsets */
	uint64_t reserved_accesses; /* 32-bit accesses to reserved offsets */
	uint64_t unsupported_msgs;  /* NMI, SMI, ExtINT messages, reserved modes */
	uint64_t timer_fires;	    /* expiries handled (masked ones included) */
};

void ax_lapic_get_stats(struct ax_lapic *lapic, struct ax_lapic_stats *out);

#endif
