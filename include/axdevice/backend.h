/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backends: where device models send bytes and blocks. The host binds them
 * to devices by config name (see struct ax_host_hooks).
 */
#ifndef AXDEVICE_BACKEND_H
#define AXDEVICE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Character stream (console output). Input is pushed by the host into the device model. */
struct ax_char_backend {
	void *ctx;
	/* Guest output; returns how many bytes were taken (fewer means backpressure). */
	size_t (*write)(void *ctx, const uint8_t *buf, size_t len);
};

enum ax_block_op {
	AX_BLOCK_READ = 0,
	AX_BLOCK_WRITE,
	AX_BLOCK_FLUSH,
	AX_BLOCK_DISCARD,
	AX_BLOCK_WRITE_ZEROES,
};

struct ax_iovec {
	void *base;
	size_t len;
};

/*
 * One block request. The device fills it and submits it; the backend calls
 * complete() exactly once, either before submit returns (synchronous
 * backends) or later from any thread (asynchronous ones such as io_uring).
 * The request and its buffers stay valid until complete() is called.
 * Inside submit() the device holds its lock: complete() may be called
 * there for that request only, never for another one (that would
 * deadlock); complete other requests from outside submit().
 */
struct ax_block_request {
	enum ax_block_op op;
	uint64_t offset; /* bytes; a multiple of 512 */
	uint64_t length; /* bytes; for READ/WRITE the sum of the iovecs */
	const struct ax_iovec *iov;
	uint32_t iovcnt;
	bool unmap; /* WRITE_ZEROES: the backend may deallocate */
	void (*complete)(struct ax_block_request *req, enum ax_err err);
	void *opaque; /* the device's */
};

struct ax_block_backend {
	void *ctx;
	uint64_t capacity; /* bytes; a multiple of 512 */
	bool read_only;
	bool can_discard;
	bool can_write_zeroes;
	/*
	 * Optional promise: every submit that returns OK has called complete() before it
	 * returned (a memory or other synchronous backend). The device then publishes the
	 * result itself after submit and skips the hand-off with a completing thread (an atomic
	 * read-modify-write per request). Read at each submit, so a backend may change it while
	 * none of its requests is in flight. False (the default): complete() may come at any
	 * time, from any thread.
	 */
	bool completes_in_submit;
	/* Returns OK once the request is accepted (completion follows), else an error and no
	 * completion. */
	enum ax_err (*submit)(void *ctx, struct ax_block_request *req);
};

/*
 * Network (virtio-net). Every frame crosses with the 12-byte virtio-net
 * header in front (virtio 1.2 §5.1.6 with VIRTIO_F_VERSION_1: flags,
 * gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers; all
 * little-endian), which is exactly what a Linux tap with IFF_VNET_HDR and
 * TUNSETVNETHDRSZ 12 reads and writes: checksum and segmentation offloads
 * pass through as the header says, and nothing here computes a checksum or
 * segments a frame.
 */
#define AX_NET_HDR_LEN	 12u
#define AX_NET_MAX_FRAME 65550u /* 64 KiB GSO frame + Ethernet header + VLAN tag */
#define AX_NET_MIN_MTU	 68u
#define AX_NET_MAX_MTU	 65535u

/* Offloads, both directions (the TUN_F_* meaning of TUNSETOFFLOAD for the guest side). */
#define AX_NET_OFFLOAD_CSUM    (1u << 0) /* partial checksums (csum_start/offset) */
#define AX_NET_OFFLOAD_TSO4    (1u << 1)
#define AX_NET_OFFLOAD_TSO6    (1u << 2)
#define AX_NET_OFFLOAD_TSO_ECN (1u << 3)

struct ax_net_backend {
	void *ctx;
	uint8_t mac[6]; /* the device's address (VIRTIO_NET_F_MAC) */
	uint16_t mtu;	/* 0: no VIRTIO_NET_F_MTU offered; else 68..65535 */
	/* What the backend takes from the guest (HOST_* / CSUM features offered) and what it
	 * may hand to the guest (GUEST_* features offered): AX_NET_OFFLOAD_* bits. */
	uint32_t host_offloads;
	uint32_t guest_offloads;
	/*
	 * One TX frame, header first, as iovecs into guest memory; called with the device's
	 * lock held, synchronously: the frame is gone (sent or copied) when it returns OK.
	 * WouldBlock: the backend is full; the device keeps the frame, stops transmitting and
	 * starts again at ax_virtio_net_tx_resume() (or the guest's next notify). Any other
	 * error: the frame is dropped and counted. Must not call back into the device.
	 */
	enum ax_err (*transmit)(void *ctx, const struct ax_iovec *iov, uint32_t iovcnt);
	/* Optional: the guest accepted these offloads (AX_NET_OFFLOAD_*, guest side) at
	 * DRIVER_OK or a control-queue change; the backend makes its host side match
	 * (TUNSETOFFLOAD). Called with the device's lock held. */
	void (*set_offloads)(void *ctx, uint32_t guest_offloads);
	/* Optional: receive buffers appeared after ax_virtio_net_rx_begin() said WouldBlock:
	 * try again (wake the I/O thread). Called with the device's lock held; must not call
	 * back into the device. */
	void (*rx_ready)(void *ctx);
};

#endif
