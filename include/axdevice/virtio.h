/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host-side API of the virtio device models (virtio-blk, virtio-console,
 * virtio-net),
 * served to the guest over virtio-mmio version 2.
 *
 * Get a console with ax_virtio_console_from_device(); the pointer is valid
 * while the device stays in the set. The functions may be called from any
 * thread, concurrently with guest accesses (a per-device spinlock
 * serialises them). A NULL console is refused (0 or InvalidInput).
 *
 * virtio-blk needs no calls here: the block backend completes requests
 * through ax_block_request.complete (include/axdevice/backend.h), inside
 * submit or later from any thread.
 */
#ifndef AXDEVICE_VIRTIO_H
#define AXDEVICE_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "devices.h"
#include "error.h"

/* VendorID register of every libaxdevice virtio-mmio device: "AXDV" in little-endian. */
#define AX_VIRTIO_MMIO_VENDOR_ID 0x56445841u

struct ax_virtio_console;

/*
 * The virtio-console behind device `id`: NotFound if there is no such
 * device, InvalidInput if it is not a virtio-console.
 */
enum ax_err ax_virtio_console_from_device(struct ax_devices *set, uint32_t id,
					  struct ax_virtio_console **out);

/*
 * Console input: copies bytes into the buffers the guest posted on
 * receiveq and interrupts it. Returns how many bytes were taken (a prefix
 * of buf); the rest stay with the caller, who retries later, e.g. on its
 * next input event. 0 when the driver is not ready or posted no buffer.
 */
size_t ax_virtio_console_push_input(struct ax_virtio_console *con, const uint8_t *buf, size_t len);

/* Console size (VIRTIO_CONSOLE_F_SIZE): updates cols/rows and sends a config-change interrupt. */
enum ax_err ax_virtio_console_set_size(struct ax_virtio_console *con, uint16_t cols, uint16_t rows);

/*
 * Console output after backpressure: when the char backend took fewer bytes
 * than offered, transmission pauses (nothing is dropped) until the guest
 * notifies transmitq again or the host calls this once the backend can
 * take more.
 */
enum ax_err ax_virtio_console_tx_resume(struct ax_virtio_console *con);

/*
 * virtio-net (virtio 1.2 §5.1; emu type 4), over its net backend
 * (backend.h). Features offered: VERSION_1, MAC, STATUS, MTU (when the
 * backend gives one), MRG_RXBUF, CSUM / GUEST_CSUM, HOST_TSO4/6 /
 * GUEST_TSO4/6 / HOST_ECN / GUEST_ECN as the backend's offloads allow,
 * CTRL_VQ with CTRL_RX, CTRL_RX_EXTRA and CTRL_MAC_ADDR (RX mode:
 * promiscuous, all-multi; with CTRL_RX_EXTRA all-uni, no-multi, no-uni,
 * no-broadcast; the MAC table), EVENT_IDX,
 * INDIRECT_DESC. Queues: receiveq 0, transmitq 1, controlq 2. A guest that
 * breaks the protocol (a bad chain, a buffer shorter than the header, a TX
 * frame over AX_NET_MAX_FRAME + header, a malformed control command) puts
 * this device in DEVICE_NEEDS_RESET and nothing else; no call here ever
 * waits for the guest.
 */
struct ax_virtio_net;

/* The virtio-net behind device `id`: NotFound, or InvalidInput if it is not one. */
enum ax_err ax_virtio_net_from_device(struct ax_devices *set, uint32_t id,
				      struct ax_virtio_net **out);

/*
 * Receive without an extra copy: rx_begin reserves the guest's receive
 * buffers for one frame (header included) and hands them over as iovecs
 * into guest memory; the host writes the frame there (readv from a tap)
 * and calls rx_commit with its length, or rx_cancel. With MRG_RXBUF the
 * reservation spans as many descriptor chains as AX_NET_MAX_FRAME + header
 * needs (or all there are); commit uses what the length needs, fills
 * num_buffers and gives the rest back. One reservation at a time per
 * device. rx_begin: WouldBlock when the guest posted no buffer (the
 * backend's rx_ready follows when it does), BadState when the driver is
 * not running or the link is down, ResourceBusy when a reservation is open.
 * rx_commit: InvalidInput for a length below the header or above the
 * capacity (nothing delivered, buffers given back); a frame the RX mode or
 * MAC table filters out is not delivered and counted (OK). A reset while
 * a reservation is open waits for its commit or cancel.
 */
#define AX_NET_RX_MAX_IOV 64
struct ax_net_rx {
	struct ax_iovec iov[AX_NET_RX_MAX_IOV];
	uint32_t iovcnt;
	size_t capacity; /* bytes the iovecs hold, the header included */
};
enum ax_err ax_virtio_net_rx_begin(struct ax_virtio_net *net, struct ax_net_rx *rx);
enum ax_err ax_virtio_net_rx_commit(struct ax_virtio_net *net, size_t len);
void ax_virtio_net_rx_cancel(struct ax_virtio_net *net);

/* Receive by copy (header + frame in one buffer): rx_begin, a copy, rx_commit. */
enum ax_err ax_virtio_net_receive(struct ax_virtio_net *net, const void *frame, size_t len);

/* The link as the host sees it (VIRTIO_NET_F_STATUS): a change sends a config interrupt. */
enum ax_err ax_virtio_net_set_link(struct ax_virtio_net *net, bool up);

/* Transmission after the backend's WouldBlock: go on with the frames the guest queued. */
enum ax_err ax_virtio_net_tx_resume(struct ax_virtio_net *net);

struct ax_virtio_net_stats {
	uint64_t tx_frames, tx_bytes, tx_dropped; /* dropped: the backend refused */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_filtered;	/* by the RX mode / MAC table */
	uint64_t rx_no_buffers; /* rx_begin found no guest buffer */
};
enum ax_err ax_virtio_net_get_stats(struct ax_virtio_net *net, struct ax_virtio_net_stats *out);

#endif
