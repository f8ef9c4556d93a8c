/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device set's control path: building devices from a config, adding
 * and removing them, lookups and counters. Serialised by one spinlock; every
 * change publishes a fresh index for the bus it touches, waits for accesses
 * in flight to drain, and only then frees what the old index reached.
 */
#include <axdevice/emu_type.h>

#include "drain.h"
#include "set.h"

static void set_lock(struct ax_devices *set)
{
	ax_spin_lock(&set->lock, set->hooks);
}

static void set_unlock(struct ax_devices *set)
{
	ax_spin_unlock(&set->lock);
}

static size_t dev_size(const struct ax_devices *set)
{
	return sizeof(struct ax_dev) + (size_t)set->max_vcpus * sizeof(struct ax_dev_counters);
}

static struct ax_dev *dev_by_id(struct ax_devices *set, uint32_t id, uint32_t *pos)
{
	for (uint32_t i = 0; i < set->nr_devs; i++) {
		if (set->devs[i]->id == id) {
			if (pos)
				*pos = i;
			return set->devs[i];
		}
	}
	return NULL;
}

static struct ax_dev *dev_by_name(struct ax_devices *set, const char *name)
{
	for (uint32_t i = 0; i < set->nr_devs; i++)
		if (ax_streq(set->devs[i]->name, name))
			return set->devs[i];
	return NULL;
}

/* The device first (it may still drive its lines), then its lines (dropping its levels). */
static void dev_destroy(struct ax_devices *set, struct ax_dev *dev)
{
	if (dev->ops->destroy)
		dev->ops->destroy(dev->priv);
	ax_irq_lines_destroy(dev->irq_lines);
	ax_free(set->hooks, dev);
}

/*
 * Builds and publishes a new index for `bus` from the device list, then
 * frees the old one once no vCPU can be inside it. NoMemory leaves the old
 * index in place.
 */
static enum ax_err republish(struct ax_devices *set, enum ax_bus bus)
{
	uint32_t n = 0, k = 0;

	for (uint32_t i = 0; i < set->nr_devs; i++)
		if (set->devs[i]->bus == bus)
			n += set->devs[i]->nr_ranges;

	struct ax_index_entry *tmp = ax_zalloc(set->hooks, (size_t)n * sizeof(*tmp));
	const struct ax_index *fresh = &ax_index_empty;

	if (!tmp)
		return AX_ERR_NO_MEMORY;
	for (uint32_t i = 0; i < set->nr_devs; i++) {
		struct ax_dev *dev = set->devs[i];

		if (dev->bus != bus)
			continue;
		for (uint32_t r = 0; r < dev->nr_ranges; r++) {
			tmp[k].base = dev->ranges[r].base;
			tmp[k].span = dev->ranges[r].last - dev->ranges[r].base;
			tmp[k].read = dev->ops->read;
			tmp[k].write = dev->ops->write;
			tmp[k].priv = dev->priv;
			tmp[k].last = dev->ranges[r].last;
			tmp[k].dev = dev;
			tmp[k].range = r;
			k++;
		}
	}
	if (n) {
		fresh = ax_index_build(set->hooks, bus, tmp, n);
		if (!fresh) {
			ax_free(set->hooks, tmp);
			return AX_ERR_NO_MEMORY;
		}
	}
	ax_free(set->hooks, tmp);

	const struct ax_index *old =
		atomic_exchange_explicit(&set->index[bus], fresh, memory_order_seq_cst);

	ax_drain_wait(set);
	ax_index_free(set->hooks, old);
	return AX_OK;
}

static bool name_ok(const char *name)
{
	size_t n;

	if (!name || !name[0])
		return false;
	n = ax_strnlen(name, AX_NAME_MAX);
	if (n >= AX_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static enum ax_err check_desc(struct ax_devices *set, const struct ax_device_desc *d,
			      struct ax_diag *diag)
{
	if (!name_ok(d->name))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device name \"%s\" is not 1..%d characters of A-Z a-z 0-9 _ - .",
			       d->name ? d->name : "", AX_NAME_MAX - 1);
	if ((unsigned)d->bus >= AX_BUS_COUNT)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "device \"%s\": bus %u does not exist",
			       d->name, (unsigned)d->bus);
	if (!d->ops || !d->ops->read || !d->ops->write)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": ops must provide read and write", d->name);
	if (d->nr_ranges == 0 || d->nr_ranges > AX_DEVICE_MAX_RANGES)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": %u ranges, expected 1..%d", d->name, d->nr_ranges,
			       AX_DEVICE_MAX_RANGES);
	if (d->nr_irqs > AX_DEVICE_MAX_IRQS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": %u irq lines, at most %d", d->name, d->nr_irqs,
			       AX_DEVICE_MAX_IRQS);
	if (dev_by_name(set, d->name))
		return ax_fail(diag, AX_ERR_ALREADY_EXISTS, "device \"%s\": name already in use",
			       d->name);

	for (uint32_t r = 0; r < d->nr_ranges; r++) {
		const struct ax_range *a = &d->ranges[r];

		if (a->base > a->last || a->last > ax_bus_limit(d->bus))
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": %s range [0x%llx, 0x%llx] is empty or "
				       "beyond the bus",
				       d->name, ax_bus_name(d->bus), (unsigned long long)a->base,
				       (unsigned long long)a->last);
		for (uint32_t q = 0; q < r; q++)
			if (ax_range_overlaps(a, &d->ranges[q]))
				return ax_fail(diag, AX_ERR_ADDR_IN_USE,
					       "device \"%s\": its ranges %u and %u overlap",
					       d->name, q, r);
		for (uint32_t i = 0; i < set->nr_devs; i++) {
			const struct ax_dev *o = set->devs[i];

			if (o->bus != d->bus)
				continue;
			for (uint32_t q = 0; q < o->nr_ranges; q++)
				if (ax_range_overlaps(a, &o->ranges[q]))
					return ax_fail(
						diag, AX_ERR_ADDR_IN_USE,
						"device \"%s\": %s range [0x%llx, 0x%llx] overlaps "
						"device \"%s\" range [0x%llx, 0x%llx]",
						d->name, ax_bus_name(d->bus),
						(unsigned long long)a->base,
						(unsigned long long)a->last, o->name,
						(unsigned long long)o->ranges[q].base,
						(unsigned long long)o->ranges[q].last);
		}
	}
	return AX_OK;
}

/* Appends a device to the list; the caller republishes its bus. */
static enum ax_err insert(struct ax_devices *set, const struct ax_device_desc *d,
			  struct ax_dev **out, struct ax_diag *diag)
{
	enum ax_err err = check_desc(set, d, diag);

	if (err)
		return err;
	if (set->nr_devs == set->cap_devs) {
		uint32_t cap = set->cap_devs ? 2 * set->cap_devs : 16;
		struct ax_dev **devs = ax_zalloc(set->hooks, cap * sizeof(*devs));

		if (!devs)
			return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory",
				       d->name);
		if (set->nr_devs)
			ax_memcpy(devs, set->devs, set->nr_devs * sizeof(*devs));
		ax_free(set->hooks, set->devs);
		set->devs = devs;
		set->cap_devs = cap;
	}

	struct ax_dev *dev = ax_zalloc(set->hooks, dev_size(set));

	if (!dev)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", d->name);
	dev->id = set->next_id++;
	dev->type = d->type;
	dev->bus = d->bus;
	dev->removable = d->removable;
	dev->nr_ranges = d->nr_ranges;
	ax_memcpy(dev->ranges, d->ranges, sizeof(dev->ranges));
	dev->ops = d->ops;
	dev->priv = d->priv;
	ax_strlcpy(dev->name, d->name, sizeof(dev->name));
	set->devs[set->nr_devs++] = dev;
	*out = dev;
	return AX_OK;
}

/*
 * Binds the descriptor's claims to dev->irq_lines (made here when the
 * device has none yet). Config errors name both devices.
 */
static enum ax_err bind_claims(struct ax_devices *set, struct ax_dev *dev,
			       const struct ax_device_desc *d, struct ax_diag *diag)
{
	if (!dev->irq_lines) {
		dev->irq_lines = ax_irq_lines_create(set->irq_fabric, dev->name);
		if (!dev->irq_lines)
			return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory",
				       dev->name);
	}
	return ax_irq_lines_bind(dev->irq_lines, d->irqs, d->nr_irqs, diag);
}

/* Takes the device at `pos` out of the list (keeping the order) without destroying it. */
static void unlink_dev(struct ax_devices *set, uint32_t pos)
{
	for (uint32_t i = pos + 1; i < set->nr_devs; i++)
		set->devs[i - 1] = set->devs[i];
	set->nr_devs--;
}

enum ax_err ax_devices_add(struct ax_devices *set, const struct ax_device_desc *desc,
			   uint32_t *id_out, struct ax_diag *diag)
{
	struct ax_dev *dev = NULL;
	enum ax_err err;

	if (!set || !desc)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "add: missing set or descriptor");
	set_lock(set);
	err = insert(set, desc, &dev, diag);
	/*
	 * A host-built device drives its lines itself (it has no ax_irq_lines
	 * handle), but its claims are bound all the same: they take part in the
	 * conflict checks and are released when the device goes.
	 */
	if (!err)
		err = bind_claims(set, dev, desc, diag);
	if (!err) {
		err = republish(set, dev->bus);
		if (err)
			ax_fail(diag, err, "device \"%s\": out of memory for the index",
				desc->name);
	}
	if (err && dev) {
		unlink_dev(set, set->nr_devs - 1);
		ax_irq_lines_destroy(dev->irq_lines);
		ax_free(set->hooks, dev); /* priv stays the caller's */
	} else if (!err && id_out) {
		*id_out = dev->id;
	}
	set_unlock(set);
	return err;
}

static const struct ax_device_kind *find_kind(const struct ax_devices *set, uint32_t type)
{
	for (size_t i = 0; i < set->nr_kinds; i++)
		if (set->kinds[i].type == type)
			return &set->kinds[i];
	return ax_builtin_kind(type);
}

/*
 * Builds the device for one config entry and inserts it (not yet
 * published). Messages start with `device "name": `.
 */
static enum ax_err build_entry(struct ax_devices *set, const struct ax_emu_config *cfg,
			       struct ax_dev **out, struct ax_diag *diag)
{
	const struct ax_device_kind *kind;
	struct ax_device_desc desc = { 0 };
	struct ax_kind_env env = { set->hooks, set->max_vcpus, NULL, set->irq_fabric };
	struct ax_irq_lines *lines;
	enum ax_err err = ax_emu_config_check(cfg, diag);

	if (err)
		return err;
	kind = find_kind(set, cfg->emu_type);
	if (!kind || !kind->create) {
		const char *tname = ax_emu_type_name((enum ax_emu_type)cfg->emu_type);

		return ax_fail(diag, AX_ERR_UNSUPPORTED,
			       "device \"%s\": no device model for emu_type %u (%s)", cfg->name,
			       cfg->emu_type, tname ? tname : "host kind");
	}
	if (dev_by_name(set, cfg->name))
		return ax_fail(diag, AX_ERR_ALREADY_EXISTS, "device \"%s\": name already in use",
			       cfg->name);
	/* the lines exist before the constructor, which keeps the handle */
	lines = ax_irq_lines_create(set->irq_fabric, cfg->name);
	if (!lines)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	env.irq_lines = lines;
	err = kind->create(&env, cfg, &desc, diag);
	if (err) {
		ax_irq_lines_destroy(lines);
		return err;
	}
	err = insert(set, &desc, out, diag);
	if (err) {
		if (desc.ops && desc.ops->destroy)
			desc.ops->destroy(desc.priv);
		ax_irq_lines_destroy(lines);
		return err;
	}
	(*out)->irq_lines = lines;
	err = bind_claims(set, *out, &desc, diag);
	if (err) {
		unlink_dev(set, set->nr_devs - 1);
		dev_destroy(set, *out); /* the device, then its lines */
	}
	return err;
}

enum ax_err ax_devices_add_from_config(struct ax_devices *set, const struct ax_emu_config *cfg,
				       uint32_t *id_out, struct ax_diag *diag)
{
	struct ax_dev *dev = NULL;
	enum ax_err err;

	if (!set)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "add: missing set");
	set_lock(set);
	err = build_entry(set, cfg, &dev, diag);
	if (!err) {
		err = republish(set, dev->bus);
		if (err) {
			unlink_dev(set, set->nr_devs - 1);
			dev_destroy(set, dev);
			ax_fail(diag, err, "device \"%s\": out of memory for the index", cfg->name);
		} else if (id_out) {
			*id_out = dev->id;
		}
	}
	set_unlock(set);
	return err;
}

enum ax_err ax_devices_create(const struct ax_devices_params *params,
			      const struct ax_vm_device_config *cfg, struct ax_devices **out,
			      struct ax_diag *diag)
{
	const struct ax_host_hooks *hooks = params ? params->hooks : NULL;
	struct ax_devices *set;
	enum ax_err err = AX_OK;

	if (!out || !hooks || !hooks->alloc || !hooks->free)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "create: missing output or host alloc/free hooks");
	*out = NULL;
	if (params->max_vcpus == 0 || params->max_vcpus > AX_MAX_VCPUS)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "create: max_vcpus %u not in 1..%d",
			       params->max_vcpus, AX_MAX_VCPUS);
	if (params->nr_kinds && !params->kinds)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "create: %zu kinds but no array",
			       params->nr_kinds);
	if (cfg) {
		err = ax_vm_device_config_validate(cfg, diag);
		if (err)
			return err;
	}

	set = ax_zalloc(hooks, sizeof(*set) + (size_t)params->max_vcpus * sizeof(set->vcpus[0]));
	if (!set)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "create: out of memory");
	set->hooks = hooks;
	set->max_vcpus = params->max_vcpus;
	set->reader_fence = hooks->sync_cores == NULL;
	set->fast_vcpus = set->reader_fence ? 0 : set->max_vcpus;
	set->kinds = params->kinds;
	set->nr_kinds = params->nr_kinds;
	set->next_id = 1;
	set->irq_fabric = ax_irq_fabric_create(hooks);
	if (!set->irq_fabric) {
		ax_free(hooks, set);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "create: out of memory");
	}
	atomic_init(&set->epoch, 1);
	ax_spin_init(&set->lock);
	for (unsigned b = 0; b < AX_BUS_COUNT; b++)
		atomic_init(&set->index[b], &ax_index_empty);

	for (size_t i = 0; cfg && i < cfg->nr_emu_configs && !err; i++) {
		struct ax_dev *dev;

		err = build_entry(set, &cfg->emu_configs[i], &dev, diag);
		if (err)
			ax_diag_prefix(diag, "emu_devices[%zu]: ", i);
	}
	for (unsigned b = 0; b < AX_BUS_COUNT && !err; b++) {
		err = republish(set, (enum ax_bus)b);
		if (err)
			ax_fail(diag, err, "create: out of memory for the %s index",
				ax_bus_name((enum ax_bus)b));
	}
	if (err) {
		ax_devices_destroy(set);
		return err;
	}
	*out = set;
	return AX_OK;
}

void ax_devices_destroy(struct ax_devices *set)
{
	if (!set)
		return;
	for (uint32_t i = 0; i < set->nr_devs; i++)
		dev_destroy(set, set->devs[i]);
	for (unsigned b = 0; b < AX_BUS_COUNT; b++)
		ax_index_free(set->hooks, atomic_load(&set->index[b]));
	ax_irq_fabric_destroy(set->irq_fabric);
	ax_free(set->hooks, set->devs);
	ax_free(set->hooks, set);
}

enum ax_err ax_devices_remove(struct ax_devices *set, uint32_t id, struct ax_diag *diag)
{
	struct ax_dev *dev = NULL;
	uint32_t pos;
	enum ax_err err;

	if (!set)
		return ax_fail(diag, AX_ERR_INVALID_INPUT, "remove: missing set");
	set_lock(set);
	dev = dev_by_id(set, id, &pos);
	if (!dev) {
		set_unlock(set);
		return ax_fail(diag, AX_ERR_NOT_FOUND, "remove: no device with id %u", id);
	}
	if (!dev->removable) {
		set_unlock(set);
		return ax_fail(diag, AX_ERR_PERMISSION_DENIED,
			       "remove: device \"%s\" is not removable", dev->name);
	}
	unlink_dev(set, pos);
	err = republish(set, dev->bus); /* returns after accesses inside dev drained */
	if (err) {
		/* put it back where it was; the old index still routes to it */
		for (uint32_t i = set->nr_devs; i > pos; i--)
			set->devs[i] = set->devs[i - 1];
		set->devs[pos] = dev;
		set->nr_devs++;
		set_unlock(set);
		return ax_fail(diag, err, "remove: device \"%s\": out of memory for the index",
			       dev->name);
	}
	dev_destroy(set, dev);
	set_unlock(set);
	return AX_OK;
}

static void fill_info(const struct ax_dev *dev, struct ax_device_info *out)
{
	out->id = dev->id;
	ax_strlcpy(out->name, dev->name, sizeof(out->name));
	out->type = dev->type;
	out->bus = dev->bus;
	out->removable = dev->removable;
	out->nr_ranges = dev->nr_ranges;
	ax_memcpy(out->ranges, dev->ranges, sizeof(out->ranges));
}

enum ax_err ax_devices_find(struct ax_devices *set, enum ax_bus bus, uint64_t addr,
			    struct ax_device_info *out)
{
	const struct ax_index_entry *e;

	if (!set || !out || (unsigned)bus >= AX_BUS_COUNT)
		return AX_ERR_INVALID_INPUT;
	set_lock(set);
	e = ax_index_lookup(atomic_load_explicit(&set->index[bus], memory_order_acquire), addr);
	if (e)
		fill_info(e->dev, out);
	set_unlock(set);
	return e ? AX_OK : AX_ERR_NOT_FOUND;
}

enum ax_err ax_devices_find_by_id(struct ax_devices *set, uint32_t id, struct ax_device_info *out)
{
	struct ax_dev *dev = NULL;

	if (!set || !out)
		return AX_ERR_INVALID_INPUT;
	set_lock(set);
	dev = dev_by_id(set, id, NULL);
	if (dev)
		fill_info(dev, out);
	set_unlock(set);
	return dev ? AX_OK : AX_ERR_NOT_FOUND;
}

enum ax_err ax_devices_find_by_name(struct ax_devices *set, const char *name,
				    struct ax_device_info *out)
{
	struct ax_dev *dev = NULL;

	if (!set || !out || !name)
		return AX_ERR_INVALID_INPUT;
	set_lock(set);
	dev = dev_by_name(set, name);
	if (dev)
		fill_info(dev, out);
	set_unlock(set);
	return dev ? AX_OK : AX_ERR_NOT_FOUND;
}

enum ax_err ax_devices_priv(struct ax_devices *set, uint32_t id, void **priv_out)
{
	struct ax_dev *dev = NULL;

	if (!set || !priv_out)
		return AX_ERR_INVALID_INPUT;
	set_lock(set);
	dev = dev_by_id(set, id, NULL);
	*priv_out = dev ? dev->priv : NULL;
	set_unlock(set);
	return dev ? AX_OK : AX_ERR_NOT_FOUND;
}

enum ax_err ax_devices_foreach(struct ax_devices *set, enum ax_bus bus, ax_device_visit_fn fn,
			       void *arg)
{
	uint32_t *ids, n = 0;
	enum ax_err err = AX_OK;

	if (!set || !fn || (unsigned)bus > AX_BUS_COUNT)
		return AX_ERR_INVALID_INPUT;
	/* snapshot the ids in address order, then call fn with no lock held */
	set_lock(set);
	ids = ax_zalloc(set->hooks, (size_t)set->nr_devs * sizeof(*ids));
	for (unsigned b = 0; ids && b < AX_BUS_COUNT; b++) {
		if (bus != AX_BUS_COUNT && b != (unsigned)bus)
			continue;
		/* the index is sorted by base and stable while we hold the lock */
		const struct ax_index *ix =
			atomic_load_explicit(&set->index[b], memory_order_acquire);

		for (uint32_t i = 0; i < ix->nr_entries; i++)
			if (ix->entries[i].range == 0)
				ids[n++] = ix->entries[i].dev->id;
	}
	set_unlock(set);
	if (!ids)
		return AX_ERR_NO_MEMORY;
	for (uint32_t i = 0; i < n && !err; i++) {
		struct ax_device_info info;

		if (ax_devices_find_by_id(set, ids[i], &info) == AX_OK) /* not removed meanwhile */
			err = fn(&info, arg);
	}
	ax_free(set->hooks, ids);
	return err;
}

size_t ax_devices_count(struct ax_devices *set)
{
	size_t n;

	if (!set)
		return 0;
	set_lock(set);
	n = set->nr_devs;
	set_unlock(set);
	return n;
}

enum ax_err ax_devices_stats(struct ax_devices *set, uint32_t id, struct ax_device_stats *out)
{
	struct ax_dev *dev = NULL;

	if (!set || !out)
		return AX_ERR_INVALID_INPUT;
	ax_memset(out, 0, sizeof(*out));
	set_lock(set);
	dev = dev_by_id(set, id, NULL);
	for (uint32_t v = 0; dev && v < set->max_vcpus; v++) {
		out->reads += atomic_load_explicit(&dev->counters[v].reads, memory_order_relaxed);
		out->writes += atomic_load_explicit(&dev->counters[v].writes, memory_order_relaxed);
		out->errors += atomic_load_explicit(&dev->counters[v].errors, memory_order_relaxed);
	}
	set_unlock(set);
	return dev ? AX_OK : AX_ERR_NOT_FOUND;
}

enum ax_err ax_devices_unmapped_stats(struct ax_devices *set, enum ax_bus bus,
				      struct ax_device_stats *out)
{
	if (!set || !out || (unsigned)bus >= AX_BUS_COUNT)
		return AX_ERR_INVALID_INPUT;
	ax_memset(out, 0, sizeof(*out));
	for (uint32_t v = 0; v < set->max_vcpus; v++) {
		out->reads += atomic_load_explicit(&set->vcpus[v].unmapped_reads[bus],
						   memory_order_relaxed);
		out->writes += atomic_load_explicit(&set->vcpus[v].unmapped_writes[bus],
						    memory_order_relaxed);
	}
	return AX_OK;
}

enum ax_err ax_devices_reset(struct ax_devices *set)
{
	if (!set)
		return AX_ERR_INVALID_INPUT;
	set_lock(set);
	for (uint32_t i = 0; i < set->nr_devs; i++)
		if (set->devs[i]->ops->reset)
			set->devs[i]->ops->reset(set->devs[i]->priv);
	set_unlock(set);
	return AX_OK;
}
