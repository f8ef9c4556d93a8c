/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net driver (virtio 1.2 §5.1) over the virtio-mmio transport: one
 * receiveq (queue 0) with fixed buffers posted once and re-posted after each
 * frame, one transmitq (queue 1) with a single frame in flight. Constants from
 * the spec, not from the library.
 */
#ifndef GUEST_VIRTIO_NET_H
#define GUEST_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"

#define VIRTIO_ID_NET 1u

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MAC       5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS    16

/* Config space (§5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs, le16 mtu. */
#define VIRTIO_NET_CONFIG_MAC	 0u
#define VIRTIO_NET_CONFIG_STATUS 6u
#define VIRTIO_NET_S_LINK_UP	 1u

#define VIRTIO_NET_RX_QUEUE 0u
#define VIRTIO_NET_TX_QUEUE 1u

/* struct virtio_net_hdr with VIRTIO_F_VERSION_1 (§5.1.6): num_buffers always present. */
#define VIRTIO_NET_HDR_LEN 12u

#define ETH_ALEN      6u
#define ETH_FRAME_MAX 1514u

/* Receive buffers: header + a full frame without offloads (§5.1.6.3.1 asks for 1526 bytes). */
#define VIRTIO_NET_RX_BUFFERS	 8u
#define VIRTIO_NET_RX_BUF_SIZE	 2048u
#define VIRTIO_NET_TX_BUF_SIZE	 (VIRTIO_NET_HDR_LEN + ETH_FRAME_MAX)
#define VIRTIO_NET_TX_TIMEOUT_MS 2000u

struct virtio_net {
	struct virtio_mmio_device mmio;
	struct virtqueue rxq;
	struct virtqueue txq;
	uint8_t mac[ETH_ALEN];
	uint16_t config_status; /* valid when VIRTIO_NET_F_STATUS was negotiated */
	/* Set by virtio_net_handle_interrupt(). */
	volatile uint32_t irq_count;
	volatile uint32_t irq_status_seen;
	volatile bool irq_saw_rx; /* an interrupt found an unconsumed receive completion */
};

/* A received frame (pointing into the receive buffer, valid until virtio_net_rx_release). */
struct virtio_net_rx {
	uint16_t buffer; /* descriptor / buffer index */
	uint16_t num_buffers;
	const uint8_t *frame;
	uint32_t len; /* frame length, without the virtio-net header */
};

/*
 * §3.1.1 and §5.1.5: negotiates VERSION_1 + MAC (+ STATUS, MRG_RXBUF when
 * offered), sets up both queues, posts every receive buffer, DRIVER_OK, reads
 * the MAC (and status). False with mmio.error set on failure.
 */
bool virtio_net_init(struct virtio_net *net, uintptr_t base);

/* Sends one frame (header prepended, no offloads) and waits, polled, for its used entry. */
bool virtio_net_send(struct virtio_net *net, const void *frame, uint32_t len);

/* Takes one received frame if the device has used a receive buffer. */
bool virtio_net_rx_take(struct virtio_net *net, struct virtio_net_rx *out);

/* Gives a receive buffer back to the device and notifies it. */
void virtio_net_rx_release(struct virtio_net *net, uint16_t buffer);

/* Receive buffers the device holds now (posted and not used). */
uint32_t virtio_net_rx_posted(const struct virtio_net *net);

/* Interrupt handler body: acknowledges InterruptStatus, records what it saw. */
void virtio_net_handle_interrupt(struct virtio_net *net);

#endif
