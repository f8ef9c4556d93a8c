/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport-independent virtio device (virtio 1.2 §2, §3).
 *
 * A device model (blk, console) embeds a struct ax_virtio_dev: its id, the
 * features it offers, its config space, its virtqueues and a small ops
 * table. A transport (virtio-mmio in mmio.c; vhost-user in axvm's
 * vmm/vhost_user.c) owns the status byte (or per-ring start/stop) and the
 * register or message protocol; it drives the device through the
 * ax_virtio_dev_* functions below and gets interrupts back through struct
 * ax_virtio_transport. Neither side knows how the other is reached by the
 * guest, so the same model serves any transport.
 *
 * Locking: one spinlock per device guards the transport, the device and its
 * queues. Transports take it around every guest access; the models take it
 * in host-side entry points (block completions, console input). Every
 * ax_virtio_dev_* function and every op below runs with it held. The one
 * exception is ax_virtio_dev_drain (reset, destroy): it releases the lock
 * while it waits for backend completions, which need it; `running` is
 * false by then, so guest accesses in that window start nothing. Backend
 * callbacks (submit, char write) run with the lock held and must not
 * re-enter the device.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_VIRTIO_DEV_H
#define AXDEVICE_SRC_DEV_VIRTIO_VIRTIO_DEV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <axdevice/device.h>
#include <axdevice/host.h>

#include "../../core/util.h"
#include "virtqueue.h"

/* Device-independent feature bits (§6). */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX	    29
#define VIRTIO_F_VERSION_1	    32
#define VIRTIO_BIT(n)		    (UINT64_C(1) << (n))

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	 0x01u
#define VIRTIO_STATUS_DRIVER		 0x02u
#define VIRTIO_STATUS_DRIVER_OK		 0x04u
#define VIRTIO_STATUS_FEATURES_OK	 0x08u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED		 0x80u

/* Device ids (§5). */
#define VIRTIO_ID_BLOCK	  2
#define VIRTIO_ID_CONSOLE 3

#define VIRTIO_CONFIG_MAX 64 /* bytes of device config space we can hold */
#define VIRTIO_MAX_QUEUES 2

/* Test-and-set spinlock: the critical sections are short and never sleep. */
struct ax_virtio_dev;

struct ax_virtio_dev_ops {
	/* The driver notified queue `index` (ready, device running). */
	void (*queue_notify)(struct ax_virtio_dev *dev, uint16_t index);
	/* Optional: a config-space write; default: every field is read-only. */
	enum ax_err (*config_write)(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				    uint64_t val);
	/* Optional: the driver set DRIVER_OK; queues are started. */
	void (*activate)(struct ax_virtio_dev *dev);
	/* Optional: return model state to power-on (backend requests have drained). */
	void (*reset)(struct ax_virtio_dev *dev);
	/* Releases the model (backend requests have drained; the lock is not held). */
	void (*destroy)(struct ax_virtio_dev *dev);
};

/* How the device reaches the guest; filled by the transport. */
struct ax_virtio_transport {
	void *ctx;
	/* Used buffers were added to queue `index` and the driver wants to know. */
	void (*interrupt_used)(void *ctx, uint16_t index);
	/* The config space changed, or the device needs a reset. */
	void (*interrupt_config)(void *ctx);
	/* A guest protocol error: show DEVICE_NEEDS_RESET. */
	void (*needs_reset)(void *ctx);
};

struct ax_virtio_dev {
	const struct ax_virtio_dev_ops *ops;
	const struct ax_host_hooks *hooks;
	char name[AX_NAME_MAX];
	uint32_t device_id;
	uint64_t device_features; /* offered */
	uint64_t features;	  /* accepted by the driver (valid once negotiated) */

	uint8_t config[VIRTIO_CONFIG_MAX]; /* little-endian, as the guest sees it */
	uint32_t config_len;
	uint32_t config_generation;

	uint16_t nr_queues;
	struct ax_vq queues[VIRTIO_MAX_QUEUES];

	bool running; /* DRIVER_OK seen, queues started, no protocol error since */
	bool broken;  /* a protocol error: nothing is processed until reset */

	atomic_uint inflight; /* backend requests not yet completed */
	struct ax_spinlock lock;
	struct ax_virtio_transport transport;
};

/* Fills the common part; the model then sets config and queue limits. */
void ax_virtio_dev_init(struct ax_virtio_dev *dev, const struct ax_host_hooks *hooks,
			const char *name, uint32_t device_id, uint64_t device_features,
			const struct ax_virtio_dev_ops *ops);

/*
 * Binds the device to its transport: `t` receives its interrupts. Queues go
 * to their power-on state. Called once, by the transport's constructor,
 * before any other ax_virtio_dev_* call (no lock needed yet).
 */
void ax_virtio_dev_attach(struct ax_virtio_dev *dev, const struct ax_virtio_transport *t);

/*
 * Stops the device, waits for backend requests and releases the model.
 * Takes the lock itself (the one entry point that must be called unlocked).
 */
void ax_virtio_dev_destroy(struct ax_virtio_dev *dev);

/* Features: true when `features` may be accepted (subset, includes VERSION_1). */
bool ax_virtio_dev_accept_features(struct ax_virtio_dev *dev, uint64_t features);

/* DRIVER_OK: starts every ready queue; false (and the device broken) on a bad ring. */
bool ax_virtio_dev_activate(struct ax_virtio_dev *dev);

/*
 * Per-queue start and stop, for transports without a status byte
 * (vhost-user: a ring starts when it has its kick fd, stops at
 * GET_VRING_BASE). The transport sets q->num and the three ring addresses
 * (guest-physical) first; dev->features must be accepted. queue_start maps
 * the rings, resumes at `last_avail` (the used index is read back from the
 * used ring) and marks the device running; false with a reason for a bad
 * ring, a queue that does not exist or a broken device (nothing changes).
 * queue_stop waits for the backend requests in flight (their completions
 * are still published), stops the queue and returns the next avail index
 * the device would have taken; the device stops running with its last
 * queue. Neither changes dev->broken: a broken device needs
 * ax_virtio_dev_reset.
 */
bool ax_virtio_dev_queue_start(struct ax_virtio_dev *dev, uint16_t index, uint16_t last_avail,
			       struct ax_vq_fault *fault);
uint16_t ax_virtio_dev_queue_stop(struct ax_virtio_dev *dev, uint16_t index);

/* Status 0: waits for backend requests, then returns everything to power-on state. */
void ax_virtio_dev_reset(struct ax_virtio_dev *dev);

/* The driver notified queue `index`. Unknown queues are a protocol error. */
void ax_virtio_dev_notify(struct ax_virtio_dev *dev, uint32_t index);

/* Config space access (1, 2, 4 or 8 bytes, naturally aligned, inside config_len). */
enum ax_err ax_virtio_dev_config_read(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				      uint64_t *val);
enum ax_err ax_virtio_dev_config_write(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				       uint64_t val);

/* The model changed its config space: bump the generation, tell the driver. */
void ax_virtio_dev_config_changed(struct ax_virtio_dev *dev);

/* Reports a guest protocol error: logs it, stops the device, raises NEEDS_RESET. */
void ax_virtio_dev_fail(struct ax_virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Interrupts the driver for queue `q` unless it suppressed the notification. */
void ax_virtio_dev_signal_used(struct ax_virtio_dev *dev, struct ax_vq *q, uint16_t index);

/* Spins with the lock released until every backend request has completed. */
void ax_virtio_dev_drain(struct ax_virtio_dev *dev);

/* Little-endian stores into the config space. */
void ax_virtio_config_put(struct ax_virtio_dev *dev, uint32_t offset, uint64_t val, uint32_t width);

#endif
