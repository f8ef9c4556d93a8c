/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The access path: from a trapped (bus, address, width) to the device's
 * callback. No lock, no allocation, no locked instruction when the host
 * provides sync_cores: a lookup in the published index, two checks, the call,
 * and per-vCPU counters.
 */
#include "drain.h"
#include "set.h"

static inline void bump(_Atomic uint64_t *counter)
{
	/* single writer per vCPU: a plain increment, not a locked one */
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static inline uint64_t width_mask(unsigned width)
{
	return ~UINT64_C(0) >> (64 - 8 * width);
}

/* The range owning addr, with `acc` filled in for it; NULL when unmapped. */
static inline const struct ax_index_entry *route(struct ax_devices *set, enum ax_bus bus,
						 uint64_t addr, unsigned width,
						 struct ax_access *acc)
{
	const struct ax_index *ix = atomic_load_explicit(&set->index[bus], memory_order_acquire);
	const struct ax_index_entry *e = ax_index_lookup(ix, addr);

	if (e) {
		acc->bus = bus;
		acc->width = (enum ax_width)width;
		acc->range = e->range;
		acc->addr = addr;
		acc->offset = addr - e->base;
	}
	return e;
}

/* A sysreg access names one register; MMIO and port accesses cover `width` addresses. */
static inline bool fits(const struct ax_index_entry *e, uint64_t offset, enum ax_bus bus,
			unsigned width)
{
	uint64_t extent = bus == AX_BUS_SYSREG ? 1 : width;

	return e->span - offset >= extent - 1;
}

static inline bool args_ok(const struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
			   unsigned width)
{
	return set && (unsigned)bus < AX_BUS_COUNT && vcpu < set->max_vcpus &&
	       ax_width_valid(width);
}

enum ax_err ax_devices_handle_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				   uint64_t addr, unsigned width, uint64_t *val)
{
	if (ax_unlikely(!val))
		return AX_ERR_INVALID_INPUT;
	*val = 0;
	if (ax_unlikely(!args_ok(set, bus, vcpu, width)))
		return AX_ERR_INVALID_INPUT;

	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	uint64_t seq = ax_drain_enter(slot, set->reader_fence);
	struct ax_access acc = { .vcpu = vcpu };
	const struct ax_index_entry *e = route(set, bus, addr, width, &acc);
	enum ax_err err;

	if (ax_unlikely(!e)) {
		bump(&slot->unmapped_reads[bus]);
		err = AX_ERR_NOT_FOUND;
	} else {
		struct ax_dev_counters *c = &e->dev->counters[vcpu];
		uint64_t v = 0;

		bump(&c->reads);
		err = fits(e, acc.offset, bus, width) ? e->read(e->priv, &acc, &v)
						      : AX_ERR_BAD_ADDRESS;
		if (ax_likely(err == AX_OK))
			*val = v & width_mask(width);
		else
			bump(&c->errors);
	}
	ax_drain_exit(slot, seq);
	return err;
}

enum ax_err ax_devices_handle_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				    uint64_t addr, unsigned width, uint64_t val)
{
	if (ax_unlikely(!args_ok(set, bus, vcpu, width)))
		return AX_ERR_INVALID_INPUT;

	struct ax_vcpu_slot *slot = &set->vcpus[vcpu];
	uint64_t seq = ax_drain_enter(slot, set->reader_fence);
	struct ax_access acc = { .vcpu = vcpu };
	const struct ax_index_entry *e = route(set, bus, addr, width, &acc);
	enum ax_err err;

	if (ax_unlikely(!e)) {
		bump(&slot->unmapped_writes[bus]);
		err = AX_ERR_NOT_FOUND;
	} else {
		struct ax_dev_counters *c = &e->dev->counters[vcpu];

		bump(&c->writes);
		err = fits(e, acc.offset, bus, width)
			      ? e->write(e->priv, &acc, val & width_mask(width))
			      : AX_ERR_BAD_ADDRESS;
		if (ax_unlikely(err != AX_OK))
			bump(&c->errors);
	}
	ax_drain_exit(slot, seq);
	return err;
}
