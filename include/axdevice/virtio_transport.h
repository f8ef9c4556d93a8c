/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport side of libaxdevice's virtio devices (virtio 1.2 §2, §3):
 * for a host that carries a device model over its own transport rather
 * than the library's virtio-mmio — axvm's vhost-user back end, or a
 * bare-metal hypervisor's virtio-pci. The device is opaque; a transport
 * needs only this header.
 *
 * Life cycle:
 *   1. build a device without a transport (ax_virtio_blk_new);
 *   2. bind it: ax_virtio_dev_attach(dev, &transport) — the device reaches
 *      the driver only through the transport's three callbacks;
 *   3. drive it with the calls below: either a status byte
 *      (accept_features, activate at DRIVER_OK, reset at status 0) or
 *      per-queue start and stop (transports without a status byte);
 *   4. ax_virtio_dev_destroy.
 *
 * Locking: each device has one lock, shared with its model and its backend
 * completions. Every call here except attach, destroy, lock, unlock and
 * the constant getters (device_id, offered_features, nr_queues,
 * queue_max, queue_num_valid) must be made with it held
 * (ax_virtio_dev_lock). The transport callbacks run with it held, possibly
 * on a backend's thread: they must not call back into the device. Guest
 * memory (the rings, the buffers) is reached through the device's host
 * hooks (hooks->guest_mem), as everywhere in the library.
 */
#ifndef AXDEVICE_VIRTIO_TRANSPORT_H
#define AXDEVICE_VIRTIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "error.h"
#include "host.h"

/*
 * Queues of any device here (index < this): virtio-net's 3, or a multiqueue
 * virtio-blk's request queues. Each costs every virtio device one struct
 * ax_vq (under 100 bytes) whether it uses it or not.
 */
#define AX_VIRTIO_QUEUES_MAX	     16u
#define AX_VIRTIO_BLK_QUEUE_SIZE_MAX 1024u /* ax_virtio_blk_new's largest queue */
/* Request queues of one virtio-blk (VIRTIO_BLK_F_MQ beyond 1). */
#define AX_VIRTIO_BLK_QUEUES_MAX AX_VIRTIO_QUEUES_MAX

struct ax_virtio_dev;

/* How the device reaches the driver; filled by the transport. Called with the lock held. */
struct ax_virtio_transport {
	void *ctx;
	/* Used buffers were added to queue `index` and the driver wants to know. */
	void (*interrupt_used)(void *ctx, uint16_t index);
	/* The config space changed. */
	void (*interrupt_config)(void *ctx);
	/* A guest protocol error: show DEVICE_NEEDS_RESET (or the transport's equivalent). */
	void (*needs_reset)(void *ctx);
};

/*
 * A virtio-blk device named `name` over `be` with one request queue of at
 * most `queue_size` entries (a power of two in [2, AX_VIRTIO_BLK_QUEUE_SIZE_MAX]).
 * Features and config space follow from the backend. `hooks` and `be` must
 * outlive the device. InvalidInput (with diag) for a bad size or name.
 */
enum ax_err ax_virtio_blk_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_block_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag);

/*
 * The same with `num_queues` request queues (1 to AX_VIRTIO_BLK_QUEUES_MAX;
 * virtio 1.2 §5.2: VIRTIO_BLK_F_MQ is offered when it is above 1, and
 * config num_queues says it). Each queue has its own used ring, interrupt
 * (interrupt_used with its index) and request slots: queue_size of them,
 * about 2 KiB each, allocated with the device. ax_virtio_blk_new is this
 * with 1. InvalidInput for a count out of range.
 */
enum ax_err ax_virtio_blk_new_mq(const struct ax_host_hooks *hooks, const char *name,
				 const struct ax_block_backend *be, uint32_t queue_size,
				 uint32_t num_queues, struct ax_virtio_dev **out,
				 struct ax_diag *diag);

/*
 * A virtio-net device named `name` over `be` (which must outlive it), with
 * receiveq and transmitq of at most `queue_size` entries (a power of two in
 * [2, AX_VIRTIO_NET_QUEUE_SIZE_MAX]) and a 64-entry controlq. NotFound
 * without a backend, InvalidInput for a bad size or backend. Its host-side
 * handle (RX, link, stats: <axdevice/virtio.h>) is ax_virtio_net_of(dev).
 */
#define AX_VIRTIO_NET_QUEUE_SIZE_MAX 1024u
struct ax_net_backend;
struct ax_virtio_net;
enum ax_err ax_virtio_net_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_net_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag);
/* The virtio-net `dev` is (built by ax_virtio_net_new), or NULL if it is not one. */
struct ax_virtio_net *ax_virtio_net_of(struct ax_virtio_dev *dev);

/* Binds the device to its transport, once, before any other call; queues at power-on. */
void ax_virtio_dev_attach(struct ax_virtio_dev *dev, const struct ax_virtio_transport *t);
/* Stops the device, waits for backend requests, frees it. Call without the lock. */
void ax_virtio_dev_destroy(struct ax_virtio_dev *dev);

void ax_virtio_dev_lock(struct ax_virtio_dev *dev);
void ax_virtio_dev_unlock(struct ax_virtio_dev *dev);

/* Constants of the device (no lock needed). */
uint32_t ax_virtio_dev_device_id(const struct ax_virtio_dev *dev);	  /* virtio 1.2 §5 */
uint64_t ax_virtio_dev_offered_features(const struct ax_virtio_dev *dev); /* incl. VERSION_1 */
uint16_t ax_virtio_dev_nr_queues(const struct ax_virtio_dev *dev);
/* Largest size of queue `index`; 0 when the queue does not exist. */
uint16_t ax_virtio_dev_queue_max(const struct ax_virtio_dev *dev, uint32_t index);
/* True when `num` is a valid size for queue `index`: a power of two in [1, queue_max]. */
bool ax_virtio_dev_queue_num_valid(const struct ax_virtio_dev *dev, uint32_t index, uint32_t num);

/* True while the device processes queues (started, no protocol error since). */
bool ax_virtio_dev_running(const struct ax_virtio_dev *dev);

/* Features: true (and accepted) when `features` is a subset of the offer with VERSION_1. */
bool ax_virtio_dev_accept_features(struct ax_virtio_dev *dev, uint64_t features);

/*
 * Status-byte transports. activate (DRIVER_OK): starts every queue marked
 * ready; false, with the device in NEEDS_RESET, on a bad ring. reset
 * (status 0): waits for backend requests, then everything to power-on.
 */
bool ax_virtio_dev_activate(struct ax_virtio_dev *dev);
void ax_virtio_dev_reset(struct ax_virtio_dev *dev);

/*
 * A stopped queue's size and ring addresses (guest-physical). InvalidInput
 * for a queue that does not exist or a bad size; Busy while it runs. With
 * `ready`, activate starts it.
 */
enum ax_err ax_virtio_dev_queue_set(struct ax_virtio_dev *dev, uint32_t index, uint32_t num,
				    uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
				    bool ready);

/*
 * Per-queue start and stop, for transports without a status byte
 * (vhost-user: a ring starts when it has its kick fd, stops at
 * GET_VRING_BASE). Features must be accepted and the queue set first.
 * queue_start maps the rings, resumes at `last_avail` (the used index is
 * read back from the used ring) and marks the device running; false with a
 * reason in `why` for a bad ring, a queue that does not exist or a device
 * that needs a reset (nothing changes). queue_stop waits for the backend
 * requests in flight (their completions are still published), stops the
 * queue and returns the next avail index the device would have taken; the
 * device stops running with its last queue.
 */
bool ax_virtio_dev_queue_start(struct ax_virtio_dev *dev, uint16_t index, uint16_t last_avail,
			       char *why, size_t why_len);
uint16_t ax_virtio_dev_queue_stop(struct ax_virtio_dev *dev, uint16_t index);
/* The next used-ring entry the device fills (after queue_start: read back from the ring). */
uint16_t ax_virtio_dev_queue_used_idx(const struct ax_virtio_dev *dev, uint32_t index);

/* The driver notified queue `index`. An unknown queue is a protocol error. */
void ax_virtio_dev_notify(struct ax_virtio_dev *dev, uint32_t index);

/* Config space: 1, 2, 4 or 8 bytes, naturally aligned, inside the device's config. */
enum ax_err ax_virtio_dev_config_read(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				      uint64_t *val);
enum ax_err ax_virtio_dev_config_write(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				       uint64_t val);
uint32_t ax_virtio_dev_config_generation(const struct ax_virtio_dev *dev);

/*
 * Waits, with the lock released meanwhile, until no backend request is in
 * flight (e.g. before the transport remaps guest memory the buffers point
 * into).
 */
void ax_virtio_dev_drain(struct ax_virtio_dev *dev);

#endif
