/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The access path: from a trapped (bus, address, width) to the device's
 * callback. No lock, no allocation, and no locked instruction when the host
 * provides sync_cores: an epoch announcement, a lookup in the published
 * index, one range check, the call, per-vCPU counters. Refusals (bad
 * arguments, unmapped, straddling) are out of line to keep the hot path
 * short, and the core is specialised per bus.
 */
#include "drain.h"
#include "set.h"

#define AX_HOT	static inline __attribute__((always_inline))
#define AX_COLD __attribute__((noinline, cold))

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

/* The mask for `width`, or 0 when the arguments are unusable. */
AX_HOT uint64_t args_mask(const struct ax_devices *set, uint32_t vcpu, unsigned width)
{
	if (ax_unlikely(!set || vcpu >= set->max_vcpus || width > 8))
		return 0;
	return width_masks[width];
}

/* A sysreg access names one register; MMIO and port accesses cover `width` addresses. */
AX_HOT bool fits(const struct ax_index_entry *e, uint64_t addr, enum ax_bus bus, unsigned width)
{
	uint64_t extent = bus == AX_BUS_SYSREG ? 1 : width;

	return e->span - (addr - e->base) >= extent - 1;
}

/* An access the set will not hand to a device: count it and say why. */
AX_COLD static enum ax_err refuse(struct ax_vcpu_slot *slot, const struct ax_index_entry *e,
				  enum ax_bus bus, uint32_t vcpu, bool write)
{
	if (!e) {
		bump(write ? &slot->unmapped_writes[bus] : &slot->unmapped_reads[bus]);
		return AX_ERR_NOT_FOUND;
	}
	struct ax_dev_counters *c = &e->counters[vcpu];

	bump(write ? &c->writes : &c->reads);
	bump(&c->errors);
	return AX_ERR_BAD_ADDRESS; /* [addr, addr + width) leaves the device's range */
}

AX_COLD static enum ax_err bad_read_args(uint64_t *val)
{
	if (val)
		*val = 0;
	return AX_ERR_INVALID_INPUT;
}

AX_HOT enum ax_err dispatch_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				 uint64_t addr, unsigned width, uint64_t *val)
{
	uint64_t mask = args_mask(set, vcpu, width);

	if (ax_unlikely(!mask || !val))
		return bad_read_args(val);

	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];

	ax_drain_enter(set, slot);
	const struct ax_index_entry *e = ax_index_lookup(ax_drain_index(set, bus), addr);
	enum ax_err err;

	if (ax_likely(e && fits(e, addr, bus, width))) {
		struct ax_access acc = { vcpu,	   bus,	 (enum ax_width)width,
					 e->range, addr, addr - e->base };
		struct ax_dev_counters *c = &e->counters[vcpu];
		uint64_t v = 0;

		bump(&c->reads);
		err = e->read(e->priv, &acc, &v);
		if (ax_likely(err == AX_OK)) {
			*val = v & mask;
		} else {
			bump(&c->errors);
			*val = 0;
		}
	} else {
		err = refuse(slot, e, bus, vcpu, false);
		*val = 0;
	}
	ax_drain_exit(slot);
	return err;
}

AX_HOT enum ax_err dispatch_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				  uint64_t addr, unsigned width, uint64_t val)
{
	uint64_t mask = args_mask(set, vcpu, width);

	if (ax_unlikely(!mask))
		return AX_ERR_INVALID_INPUT;

	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];

	ax_drain_enter(set, slot);
	const struct ax_index_entry *e = ax_index_lookup(ax_drain_index(set, bus), addr);
	enum ax_err err;

	if (ax_likely(e && fits(e, addr, bus, width))) {
		struct ax_access acc = { vcpu,	   bus,	 (enum ax_width)width,
					 e->range, addr, addr - e->base };
		struct ax_dev_counters *c = &e->counters[vcpu];

		bump(&c->writes);
		err = e->write(e->priv, &acc, val & mask);
		if (ax_unlikely(err != AX_OK))
			bump(&c->errors);
	} else {
		err = refuse(slot, e, bus, vcpu, true);
	}
	ax_drain_exit(slot);
	return err;
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
