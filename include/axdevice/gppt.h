/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GPPT, the partial passthrough interrupt controller (EmuDeviceType GPPT = 2):
 * a GICv3 distributor page (ARM IHI 0069, GICD_* layout, affinity routing
 * on) through which a guest programs only the SPIs assigned to it; the
 * fields of those SPIs are forwarded to the host's own (physical) GIC.
 *
 * Config: cfg_list = [first, count, first, count, ...]: one to eight pairs,
 * each a run of assigned SPIs first .. first + count - 1, with 32 <= first,
 * count >= 1 and first + count - 1 <= 1019. Runs may not overlap. The range
 * must be at least AX_GPPT_SIZE (64 KiB, the GICD frame); space past it
 * reads as zero and ignores writes. Example: ["gppt", 0x0800_0000, 0x10000,
 * 0, "gppt", [33, 1, 48, 4]] gives the guest SPIs 33 and 48..51.
 *
 * Filtered registers (forwarded field by field, for assigned SPIs only):
 * IGROUPR, ISENABLER/ICENABLER, ISPENDR/ICPENDR, ISACTIVER/ICACTIVER,
 * IPRIORITYR, ICFGR, IGRPMODR, IROUTER. A field of an unassigned INTID (every
 * SGI/PPI 0..31 included: with affinity routing they live in the
 * redistributors) reads as zero and a write to it is ignored and counted.
 *  - Set/clear registers: a written 1 bit is forwarded as a write of 1 to
 *    the register the guest wrote (ISENABLER sets, ICENABLER clears, ...); a
 *    written 0 forwards nothing. A read of either register of a pair is
 *    forwarded as a read of the set register (ISENABLER, ISPENDR, ISACTIVER).
 *  - ICFGR: the 2-bit field masked to bit 1 (edge); bit 0 is RES0.
 *  - IROUTER: 64-bit field, written masked to Aff3 [39:32], IRM [31],
 *    Aff2/Aff1/Aff0 [23:0]. The value is the guest's: a host whose vCPUs
 *    are not the physical CPUs of the same affinity translates in its hook.
 *    A 32-bit write to one half reads the host's field, replaces that half
 *    and writes the 64-bit field back.
 *
 * Guest-only (virtual, never forwarded) registers:
 *  - GICD_CTLR: one Security state (DS, bit 6, RAO/WI), affinity routing
 *    (ARE, bit 4, RAO/WI), EnableGrp0/EnableGrp1 (bits 0, 1) stored and read
 *    back but gating nothing (the physical distributor is the host's), RWP
 *    reads 0. Reset value 0x50.
 *  - GICD_TYPER: ITLinesNumber covers the highest assigned INTID; IDbits = 9
 *    (INTIDs 0..1023); no LPIs, no MBIs, no extended SPIs.
 *  - GICD_IIDR = AX_GPPT_IIDR (implementer ARM 0x43B, ProductID 0x47 'G').
 *  - GICD_PIDR2 = 0x3b: ArchRev 3 (GICv3) in [7:4], JEDEC ARM designer.
 * Everything else (TYPER2, STATUSR, SETSPI/CLRSPI, NSACR, ITARGETSR, the SGI
 * registers, the extended SPI range, other ID registers) is reserved here:
 * RAZ/WI.
 *
 * Widths (IHI 0069 §12.1): IPRIORITYR accepts 8- and 32-bit accesses,
 * IROUTER 64-bit and 32-bit (either half), everything else 32-bit; always
 * naturally aligned. Any other access fails with InvalidInput and is counted
 * as refused; nothing reaches the host GIC.
 *
 * Host side: ax_gppt_from_device() finds the model in a set, and
 * ax_gppt_set_host_gic() connects it to the host's GIC (until then, assigned
 * fields read as zero and writes to them are dropped and counted as
 * unforwarded). Each guest access holds the device's spinlock while it calls
 * the hooks, so one access is applied as a unit against other accesses to
 * this device; the hooks must not call back into this device and must
 * themselves be safe against the host's own use of its GIC.
 *
 * Reset: CTLR goes back to 0x50 and, for every assigned SPI, the host GIC is
 * told ICENABLER, ICPENDR and ICACTIVER (so a reset guest receives nothing it
 * did not enable again). Group, priority, configuration and routing stay as
 * they are on the host GIC. Counters are never reset.
 */
#ifndef AXDEVICE_GPPT_H
#define AXDEVICE_GPPT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices.h"
#include "error.h"

#define AX_GPPT_SIZE	   0x10000u /* GICv3 distributor frame */
#define AX_GPPT_MIN_SPI	   32u
#define AX_GPPT_MAX_SPI	   1019u /* 1020..1023 are special INTIDs */
#define AX_GPPT_MAX_PAIRS  8u	 /* [first, count] pairs in a cfg_list of 16 */
#define AX_GPPT_IIDR	   0x4700043bu
#define AX_GPPT_CTLR_RESET 0x50u

/*
 * The host's GIC, one field at a time. `reg` is the GICD offset of the
 * register block (IHI 0069): 0x0080 IGROUPR, 0x0100 ISENABLER, 0x0180
 * ICENABLER, 0x0200 ISPENDR, 0x0280 ICPENDR, 0x0300 ISACTIVER, 0x0380
 * ICACTIVER, 0x0400 IPRIORITYR, 0x0c00 ICFGR, 0x0d00 IGRPMODR, 0x6000
 * IROUTER. The field is that of `intid`, right-aligned: 1 bit for the bitmap
 * registers, 2 bits for ICFGR, 8 bits for IPRIORITYR, 64 bits for IROUTER.
 * read is only asked for IGROUPR, ISENABLER, ISPENDR, ISACTIVER, IPRIORITYR,
 * ICFGR, IGRPMODR and IROUTER; write to a clear or set register always
 * carries 1. intid is always an assigned SPI.
 */
struct ax_gppt_host_gic {
	uint64_t (*read)(void *ctx, uint32_t reg, uint32_t intid);
	void (*write)(void *ctx, uint32_t reg, uint32_t intid, uint64_t value);
};

struct ax_gppt_stats {
	uint64_t forwarded_reads;  /* fields read from the host GIC */
	uint64_t forwarded_writes; /* fields written to the host GIC */
	/* Fields of unassigned INTIDs in guest writes (set/clear registers: 1 bits only). */
	uint64_t blocked_fields;
	uint64_t blocked_writes; /* guest writes with at least one blocked field */
	uint64_t refused;	 /* accesses refused: width or alignment */
	uint64_t unforwarded;	 /* assigned fields written while no host GIC was set */
};

struct ax_gppt;

/*
 * The GPPT behind device `id` of `set`. InvalidInput when that device is not
 * a GPPT built by this library; NotFound for a bad id.
 */
enum ax_err ax_gppt_from_device(struct ax_devices *set, uint32_t id, struct ax_gppt **out);

/*
 * Connects the host GIC (`gic` is kept by pointer and must outlive the
 * device or the next call; NULL disconnects). Waits for an access in flight.
 */
void ax_gppt_set_host_gic(struct ax_gppt *gppt, const struct ax_gppt_host_gic *gic, void *ctx);

/* A snapshot of the counters. */
void ax_gppt_get_stats(struct ax_gppt *gppt, struct ax_gppt_stats *out);

/* Whether `intid` is assigned to the guest. */
bool ax_gppt_assigned(const struct ax_gppt *gppt, uint32_t intid);

#endif
