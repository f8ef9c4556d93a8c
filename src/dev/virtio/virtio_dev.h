/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport-independent virtio device (virtio 1.2 §2, §3).
 *
 * A device model (blk, console) embeds a struct ax_virtio_dev: its id, the
 * features it offers, its config space, its virtqueues and a small ops
 * table. A transport (virtio-mmio in mmio.c; vhost-user in axvm's
 * vmm/vhost_user/vhost_user.c) owns the status byte (or per-ring start/stop)
 * and the register or message protocol; it drives the device through the
 * ax_virtio_dev_* functions of the public <axdevice/virtio_transport.h>
 * (declared there, not here) and gets interrupts back through struct
 * ax_virtio_transport. This header adds what the models need. Neither side knows how the other is
 * reached by the guest, so the same model serves any transport.
 *
 * Locking: one spinlock per device guards the transport, the device and its
 * queues. Transports take it around every guest access (virtio-mmio's
 * InterruptACK excepted: it only clears InterruptStatus bits, and
 * ax_irq_line_update fences both sides so that an acknowledge racing a
 * completion's raise loses neither the bit nor the used entry); the models take it
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
#include <axdevice/virtio_transport.h>

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
#define VIRTIO_MAX_QUEUES AX_VIRTIO_QUEUES_MAX

/* Test-and-set spinlock: the critical sections are short and never sleep. */
struct ax_virtio_dev;

struct ax_virtio_dev_ops {
	/* The driver notified queue `index` (ready, device running). */
	void (*queue_notify)(struct ax_virtio_dev *dev, uint16_t index);
	/* Optional: the driver's features are a subset of the offer with VERSION_1; false
	 * (after logging why) refuses FEATURES_OK, e.g. for a broken feature dependency. */
	bool (*validate_features)(struct ax_virtio_dev *dev, uint64_t features);
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

/* The model changed its config space: bump the generation, tell the driver. */
void ax_virtio_dev_config_changed(struct ax_virtio_dev *dev);

/* Reports a guest protocol error: logs it, stops the device, raises NEEDS_RESET. */
void ax_virtio_dev_fail(struct ax_virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Interrupts the driver for queue `q` unless it suppressed the notification. */
void ax_virtio_dev_signal_used(struct ax_virtio_dev *dev, struct ax_vq *q, uint16_t index);

/* Little-endian stores into the config space. */
void ax_virtio_config_put(struct ax_virtio_dev *dev, uint32_t offset, uint64_t val, uint32_t width);

#endif
