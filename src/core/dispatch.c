/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The access path: from a trapped (bus, address, width) to the device's
 * callback. No lock, no allocation, and no locked instruction when the host
 * provides sync_cores: an epoch announcement, a lookup in the published
 * index, one range check, the call, per-vCPU counters. Refusals (bad
 * arguments, unmapped, straddling), device errors and lookups the inline
 * part of the index does not answer are out of line to keep the hot path
 * short, and the core is specialised per bus. A set whose readers fence
 * themselves (no sync_cores) has its own inline copy of the path.
 */
#include "drain.h"
#include "set.h"

#define AX_HOT	    static inline __attribute__((always_inline))
#define AX_COLD	    __attribute__((noinline, cold))
#define AX_NOINLINE __attribute__((noinline))

AX_HOT void bump(_Atomic uint64_t *counter)
{
	/* single writer per vCPU: a plain increment, not a locked one */
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Value mask per access width; 0 marks a width that is not 1, 2, 4 or 8. */
static const uint64_t width_masks[9] = {
	[1] = 0xff, [2] = 0xffff, [4] = 0xffffffff, [8] = ~UINT64_C(0)
};

/*
 * Whether the fast path takes the access: good arguments, and a set whose
 * readers do not fence themselves (fast_vcpus is 0 then, so one compare
 * covers the vCPU bound and the mode). Widths 1, 2, 4, 8: bits of 0x116.
 */
AX_HOT bool fast_ok(const struct ax_devices *set, uint32_t vcpu, unsigned width, bool has_val)
{
	return set && has_val && vcpu < set->fast_vcpus && width <= 8 && ((0x116u >> width) & 1u);
}

/* The mask for `width`, or 0 when the arguments are unusable. */
AX_HOT uint64_t args_mask(const struct ax_devices *set, uint32_t vcpu, unsigned width, bool has_val)
{
	if (!set || !has_val || vcpu >= set->max_vcpus || width > 8)
		return 0;
	return width_masks[width];
}

/*
 * Whether [addr, addr + extent) stays in e's range, given addr in it. A
 * sysreg access names one register; MMIO and port accesses cover `width`
 * addresses.
 */
AX_HOT bool fits(const struct ax_index_entry *e, uint64_t addr, enum ax_bus bus, unsigned width)
{
	uint64_t extent = bus == AX_BUS_SYSREG ? 1 : width;

	return e->last - addr >= extent - 1;
}

/* An access the set will not hand to a device: count it, leave, and say why. */
AX_COLD static enum ax_err refuse(struct ax_vcpu_slot *slot, const struct ax_index_entry *e,
				  enum ax_bus bus, uint32_t vcpu, bool write)
{
	enum ax_err err = AX_ERR_NOT_FOUND;

	if (!e) {
		bump(write ? &slot->unmapped_writes[bus] : &slot->unmapped_reads[bus]);
	} else {
		struct ax_dev_counters *c = &e->dev->counters[vcpu];

		bump(write ? &c->writes : &c->reads);
		bump(&c->errors);
		err = AX_ERR_BAD_ADDRESS; /* [addr, addr + width) leaves the device's range */
	}
	ax_drain_exit(slot);
	return err;
}

/* The device refused: count it and leave. */
AX_COLD static enum ax_err failed(struct ax_vcpu_slot *slot, struct ax_dev_counters *c,
				  enum ax_err err)
{
	bump(&c->errors);
	ax_drain_exit(slot);
	return err;
}

AX_COLD static enum ax_err failed_read(struct ax_vcpu_slot *slot, struct ax_dev_counters *c,
				       enum ax_err err, uint64_t *val)
{
	*val = 0;
	return failed(slot, c, err);
}

AX_COLD static enum ax_err bad_read_args(uint64_t *val)
{
	if (val)
		*val = 0;
	return AX_ERR_INVALID_INPUT;
}

/* Hands an access that fits e to its device, then leaves. */
AX_HOT enum ax_err read_entry(struct ax_vcpu_slot *slot, const struct ax_index_entry *e,
			      enum ax_bus bus, uint32_t vcpu, uint64_t addr, uint64_t off,
			      unsigned width, uint64_t mask, uint64_t *val)
{
	const struct ax_access acc = { vcpu, bus, (enum ax_width)width, e->range, addr, off };
	struct ax_dev_counters *c = &e->dev->counters[vcpu];

	*val = 0; /* what a device that stores nothing reads as */
	bump(&c->reads);
	enum ax_err err = e->read(e->priv, &acc, val);

	if (ax_unlikely(err != AX_OK))
		return failed_read(slot, c, err, val);
	*val &= mask;
	ax_drain_exit(slot);
	return AX_OK;
}

AX_HOT enum ax_err write_entry(struct ax_vcpu_slot *slot, const struct ax_index_entry *e,
			       enum ax_bus bus, uint32_t vcpu, uint64_t addr, uint64_t off,
			       unsigned width, uint64_t val)
{
	const struct ax_access acc = { vcpu, bus, (enum ax_width)width, e->range, addr, off };
	struct ax_dev_counters *c = &e->dev->counters[vcpu];

	bump(&c->writes);
	enum ax_err err = e->write(e->priv, &acc, val);

	if (ax_unlikely(err != AX_OK))
		return failed(slot, c, err);
	ax_drain_exit(slot);
	return AX_OK;
}

/*
 * Past the inline lookup (announced already): the full lookup, then the
 * access or its refusal. Loading the index again is safe: any index loaded
 * after the announcement outlives this access (drain.h).
 */
AX_NOINLINE static enum ax_err read_miss(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
					 uint64_t addr, unsigned width, uint64_t *val)
{
	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	const struct ax_index_entry *e = ax_index_lookup(ax_drain_index(set, bus), addr);

	if (!e || !fits(e, addr, bus, width)) {
		*val = 0;
		return refuse(slot, e, bus, vcpu, false);
	}
	return read_entry(slot, e, bus, vcpu, addr, addr - e->base, width, width_masks[width], val);
}

AX_NOINLINE static enum ax_err write_miss(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
					  uint64_t addr, unsigned width, uint64_t val)
{
	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	const struct ax_index_entry *e = ax_index_lookup(ax_drain_index(set, bus), addr);

	if (!e || !fits(e, addr, bus, width))
		return refuse(slot, e, bus, vcpu, true);
	return write_entry(slot, e, bus, vcpu, addr, addr - e->base, width, val);
}

/*
 * Arguments checked: announce (`fenced`: the reader pays for the barrier), then the
 * entry that holds all of [addr, addr + width), or NULL for the out-of-line miss path.
 */
AX_HOT const struct ax_index_entry *announce_and_find(struct ax_devices *set,
						      struct ax_vcpu_slot *slot, enum ax_bus bus,
						      uint64_t addr, unsigned width, bool fenced,
						      uint64_t *off)
{
	if (fenced)
		ax_drain_enter_fenced(set, slot);
	else
		ax_drain_enter_relaxed(set, slot);

	const struct ax_index_entry *e = ax_index_lookup_fast(ax_drain_index(set, bus), addr, off);

	return ax_likely(e && fits(e, addr, bus, width)) ? e : NULL;
}

AX_HOT enum ax_err do_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu, uint64_t addr,
			   unsigned width, uint64_t mask, uint64_t *val, bool fenced)
{
	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	uint64_t off;
	const struct ax_index_entry *e =
		announce_and_find(set, slot, bus, addr, width, fenced, &off);

	if (ax_unlikely(!e))
		return read_miss(set, bus, vcpu, addr, width, val);
	return read_entry(slot, e, bus, vcpu, addr, off, width, mask, val);
}

AX_HOT enum ax_err do_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu, uint64_t addr,
			    unsigned width, uint64_t val, bool fenced)
{
	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	uint64_t off;
	const struct ax_index_entry *e =
		announce_and_find(set, slot, bus, addr, width, fenced, &off);

	if (ax_unlikely(!e))
		return write_miss(set, bus, vcpu, addr, width, val);
	return write_entry(slot, e, bus, vcpu, addr, off, width, val);
}

/*
 * Bad arguments, or a set whose readers fence themselves (arguments that
 * pass here failed fast_ok only through fast_vcpus = 0): its own inline copy.
 */
AX_HOT enum ax_err read_slow(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu, uint64_t addr,
			     unsigned width, uint64_t *val)
{
	uint64_t mask = args_mask(set, vcpu, width, val != NULL);

	if (ax_unlikely(!mask))
		return bad_read_args(val);
	return do_read(set, bus, vcpu, addr, width, mask, val, true);
}

AX_HOT enum ax_err write_slow(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu, uint64_t addr,
			      unsigned width, uint64_t val)
{
	uint64_t mask = args_mask(set, vcpu, width, true);

	if (ax_unlikely(!mask))
		return AX_ERR_INVALID_INPUT;
	return do_write(set, bus, vcpu, addr, width, val & mask, true);
}

AX_HOT enum ax_err dispatch_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				 uint64_t addr, unsigned width, uint64_t *val)
{
	if (ax_unlikely(!fast_ok(set, vcpu, width, val != NULL)))
		return read_slow(set, bus, vcpu, addr, width, val);
	return do_read(set, bus, vcpu, addr, width, width_masks[width], val, false);
}

AX_HOT enum ax_err dispatch_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				  uint64_t addr, unsigned width, uint64_t val)
{
	if (ax_unlikely(!fast_ok(set, vcpu, width, true)))
		return write_slow(set, bus, vcpu, addr, width, val);
	return do_write(set, bus, vcpu, addr, width, val & width_masks[width], false);
}

enum ax_err ax_devices_handle_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				   uint64_t addr, unsigned width, uint64_t *val)
{
	switch (bus) {
	case AX_BUS_MMIO:
		return dispatch_read(set, AX_BUS_MMIO, vcpu, addr, width, val);
	case AX_BUS_PORT:
		return dispatch_read(set, AX_BUS_PORT, vcpu, addr, width, val);
	case AX_BUS_SYSREG:
		return dispatch_read(set, AX_BUS_SYSREG, vcpu, addr, width, val);
	default:
		return bad_read_args(val);
	}
}

enum ax_err ax_devices_handle_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				    uint64_t addr, unsigned width, uint64_t val)
{
	switch (bus) {
	case AX_BUS_MMIO:
		return dispatch_write(set, AX_BUS_MMIO, vcpu, addr, width, val);
	case AX_BUS_PORT:
		return dispatch_write(set, AX_BUS_PORT, vcpu, addr, width, val);
	case AX_BUS_SYSREG:
		return dispatch_write(set, AX_BUS_SYSREG, vcpu, addr, width, val);
	default:
		return AX_ERR_INVALID_INPUT;
	}
}

/* One entry point per bus and direction, so a host's trap handler calls straight in. */
enum ax_err ax_devices_handle_mmio_read(struct ax_devices *set, uint32_t vcpu, ax_gpa_t addr,
					unsigned width, uint64_t *val)
{
	return dispatch_read(set, AX_BUS_MMIO, vcpu, addr, width, val);
}

enum ax_err ax_devices_handle_mmio_write(struct ax_devices *set, uint32_t vcpu, ax_gpa_t addr,
					 unsigned width, uint64_t val)
{
	return dispatch_write(set, AX_BUS_MMIO, vcpu, addr, width, val);
}

enum ax_err ax_devices_handle_port_read(struct ax_devices *set, uint32_t vcpu, ax_port_t port,
					unsigned width, uint64_t *val)
{
	return dispatch_read(set, AX_BUS_PORT, vcpu, port, width, val);
}

enum ax_err ax_devices_handle_port_write(struct ax_devices *set, uint32_t vcpu, ax_port_t port,
					 unsigned width, uint64_t val)
{
	return dispatch_write(set, AX_BUS_PORT, vcpu, port, width, val);
}

enum ax_err ax_devices_handle_sysreg_read(struct ax_devices *set, uint32_t vcpu, ax_sysreg_t reg,
					  unsigned width, uint64_t *val)
{
	return dispatch_read(set, AX_BUS_SYSREG, vcpu, reg, width, val);
}

enum ax_err ax_devices_handle_sysreg_write(struct ax_devices *set, uint32_t vcpu, ax_sysreg_t reg,
					   unsigned width, uint64_t val)
{
	return dispatch_write(set, AX_BUS_SYSREG, vcpu, reg, width, val);
}
