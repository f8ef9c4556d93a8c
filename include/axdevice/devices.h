/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-VM device set (the seeds' AxVmDevices): builds devices from a
 * config, adds and removes them at run time, and routes every trapped
 * access to the device that owns its address.
 *
 * Concurrency contract:
 *  - handle_* may run on many threads at once, one thread per vCPU id
 *    (0 .. max_vcpus-1); they take no lock and allocate nothing.
 *  - Everything else (add, remove, find, foreach, stats, reset) may run on
 *    any thread concurrently with handle_*; these calls serialise among
 *    themselves. They must not be called from inside a device callback.
 *  - A removed device is destroyed only after every access already inside
 *    it has returned.
 */
#ifndef AXDEVICE_DEVICES_H
#define AXDEVICE_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "device.h"
#include "error.h"
#include "host.h"
#include "kind.h"
#include "range.h"

struct ax_devices;

#define AX_MAX_VCPUS 256

struct ax_devices_params {
	const struct ax_host_hooks *hooks; /* required; must outlive the set */
	uint32_t max_vcpus;		   /* 1..AX_MAX_VCPUS */
	/* Host kinds, consulted before the built-ins; the array must outlive the set. */
	const struct ax_device_kind *kinds;
	size_t nr_kinds;
};

/* A snapshot of one device, safe to keep after the device is gone. */
struct ax_device_info {
	uint32_t id;
	char name[AX_NAME_MAX];
	uint32_t type;
	enum ax_bus bus;
	bool removable;
	uint32_t nr_ranges;
	struct ax_range ranges[AX_DEVICE_MAX_RANGES];
};

struct ax_device_stats {
	uint64_t reads;
	uint64_t writes;
	uint64_t errors; /* accesses that returned an error, either direction */
};

/*
 * Creates a set and builds one device per config entry (in order, ids from
 * 1). `cfg` may be NULL for an empty set. On any failure nothing is left
 * allocated and `diag` names the entry.
 */
enum ax_err ax_devices_create(const struct ax_devices_params *params,
			      const struct ax_vm_device_config *cfg, struct ax_devices **out,
			      struct ax_diag *diag);

/* Destroys every device and the set. No access may be in flight. */
void ax_devices_destroy(struct ax_devices *set);

/*
 * Adds a device. Errors: InvalidInput (bad descriptor), AlreadyExists (name
 * taken), AddrInUse (a range overlaps another device, or an irq claim
 * conflicts with another device's; diag names both), NoMemory. On success
 * the set owns desc->priv; on failure the caller does. The descriptor's irq
 * claims are bound (checked against every other claim and controller, and
 * released with the device), but a device added this way has no
 * ax_irq_lines handle: it drives its lines through the host's own means, so
 * it cannot reach a controller model of the set. Give it a kind (kind.h) to
 * get a handle.
 */
enum ax_err ax_devices_add(struct ax_devices *set, const struct ax_device_desc *desc,
			   uint32_t *id_out, struct ax_diag *diag);

/* Builds a device from one config entry through the kind registry and adds it. */
enum ax_err ax_devices_add_from_config(struct ax_devices *set, const struct ax_emu_config *cfg,
				       uint32_t *id_out, struct ax_diag *diag);

/*
 * Removes a device: it stops receiving accesses at once and is destroyed
 * after in-flight accesses drain. NotFound for an unknown id,
 * PermissionDenied for a device that is not removable.
 */
enum ax_err ax_devices_remove(struct ax_devices *set, uint32_t id, struct ax_diag *diag);

/* The device owning `addr` on `bus`; NotFound when unmapped. */
enum ax_err ax_devices_find(struct ax_devices *set, enum ax_bus bus, uint64_t addr,
			    struct ax_device_info *out);
enum ax_err ax_devices_find_by_id(struct ax_devices *set, uint32_t id, struct ax_device_info *out);
enum ax_err ax_devices_find_by_name(struct ax_devices *set, const char *name,
				    struct ax_device_info *out);

/* The device model state behind an id, for host-side APIs (e.g. UART input). */
enum ax_err ax_devices_priv(struct ax_devices *set, uint32_t id, void **priv_out);

/*
 * Calls fn for every device on `bus` (AX_BUS_COUNT: every bus) in address
 * order of its first range; stops early and returns fn's error if it fails.
 * fn runs with no lock held and may call any function of the set; a device
 * removed before its turn is skipped.
 */
typedef enum ax_err (*ax_device_visit_fn)(const struct ax_device_info *info, void *arg);
enum ax_err ax_devices_foreach(struct ax_devices *set, enum ax_bus bus, ax_device_visit_fn fn,
			       void *arg);

/* Number of devices in the set. */
size_t ax_devices_count(struct ax_devices *set);

/* Counters summed over all vCPUs. */
enum ax_err ax_devices_stats(struct ax_devices *set, uint32_t id, struct ax_device_stats *out);

/* Accesses on `bus` that hit no device (reads, writes; errors stays 0). */
enum ax_err ax_devices_unmapped_stats(struct ax_devices *set, enum ax_bus bus,
				      struct ax_device_stats *out);

/* Calls every device's reset op. */
enum ax_err ax_devices_reset(struct ax_devices *set);

/*
 * Dispatch. `width` is the access size in bytes. Errors: InvalidInput (bad
 * width, bus or vcpu id), NotFound (no device at addr), BadAddress
 * ([addr, addr + width) leaves the device's range), or the device's own
 * error. On the sysreg bus an access covers one register: `width` is only
 * the value size. Read values are zero-extended from `width`; on error *val
 * is 0.
 */
enum ax_err ax_devices_handle_read(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				   uint64_t addr, unsigned width, uint64_t *val);
enum ax_err ax_devices_handle_write(struct ax_devices *set, enum ax_bus bus, uint32_t vcpu,
				    uint64_t addr, unsigned width, uint64_t val);

/* The same, one entry point per bus and direction. */
enum ax_err ax_devices_handle_mmio_read(struct ax_devices *set, uint32_t vcpu, ax_gpa_t addr,
					unsigned width, uint64_t *val);
enum ax_err ax_devices_handle_mmio_write(struct ax_devices *set, uint32_t vcpu, ax_gpa_t addr,
					 unsigned width, uint64_t val);
enum ax_err ax_devices_handle_port_read(struct ax_devices *set, uint32_t vcpu, ax_port_t port,
					unsigned width, uint64_t *val);
enum ax_err ax_devices_handle_port_write(struct ax_devices *set, uint32_t vcpu, ax_port_t port,
					 unsigned width, uint64_t val);
enum ax_err ax_devices_handle_sysreg_read(struct ax_devices *set, uint32_t vcpu, ax_sysreg_t reg,
					  unsigned width, uint64_t *val);
enum ax_err ax_devices_handle_sysreg_write(struct ax_devices *set, uint32_t vcpu, ax_sysreg_t reg,
					   unsigned width, uint64_t val);

#endif
