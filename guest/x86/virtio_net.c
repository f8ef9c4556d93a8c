/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_net.h"

#include "cpu.h"
#include "deadline.h"
#include "format.h"
#include "string.h"

static struct virtqueue_memory rx_queue_memory;
static struct virtqueue_memory tx_queue_memory;
static uint8_t rx_buffers[VIRTIO_NET_RX_BUFFERS][VIRTIO_NET_RX_BUF_SIZE]
	__attribute__((aligned(64)));
static uint8_t tx_buffer[VIRTIO_NET_TX_BUF_SIZE] __attribute__((aligned(64)));

/* A 16-bit config field must be read with one 16-bit access (§4.2.2.2). */
static uint16_t config_read16(const struct virtio_net *net, uint32_t offset)
{
	uint16_t value;
	uintptr_t addr = net->mmio.base + VIRTIO_MMIO_CONFIG + offset;

	__asm__ volatile("movw (%1), %0" : "=r"(value) : "r"(addr) : "memory");
	return value;
}

static void rx_post(struct virtio_net *net, uint16_t buffer)
{
	volatile struct virtq_desc *d = &net->rxq.desc[buffer];

	d->addr = (uintptr_t)rx_buffers[buffer];
	d->len = VIRTIO_NET_RX_BUF_SIZE;
	d->flags = VIRTQ_DESC_F_WRITE;
	d->next = 0;
	virtqueue_publish(&net->rxq, buffer);
}

static bool read_config(struct virtio_net *net)
{
	for (unsigned attempt = 0; attempt < 16; attempt++) {
		uint32_t before = virtio_mmio_read(&net->mmio, VIRTIO_MMIO_CONFIG_GENERATION);

		for (uint32_t i = 0; i < ETH_ALEN; i++)
			net->mac[i] = mmio_read8(net->mmio.base + VIRTIO_MMIO_CONFIG +
						 VIRTIO_NET_CONFIG_MAC + i);
		net->config_status = 0;
		if (net->mmio.driver_features & (1ull << VIRTIO_NET_F_STATUS))
			net->config_status = config_read16(net, VIRTIO_NET_CONFIG_STATUS);
		if (virtio_mmio_read(&net->mmio, VIRTIO_MMIO_CONFIG_GENERATION) == before)
			return true;
	}
	snprintf(net->mmio.error, sizeof(net->mmio.error), "ConfigGeneration never stable");
	return false;
}

bool virtio_net_init(struct virtio_net *net, uintptr_t base)
{
	const uint64_t required = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC);
	const uint64_t wanted =
		required | (1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_NET_F_MRG_RXBUF);

	net->mmio.base = base;
	net->irq_count = 0;
	net->irq_status_seen = 0;
	net->irq_saw_rx = false;
	if (!virtio_mmio_negotiate(&net->mmio, wanted, required))
		return false;
	/* §5.1.5: the driver should read the MAC (config) before DRIVER_OK; it may read it any time
	 */
	if (!read_config(net))
		return false;
	if (!virtio_mmio_setup_queue(&net->mmio, VIRTIO_NET_RX_QUEUE, &net->rxq, &rx_queue_memory))
		return false;
	if (!virtio_mmio_setup_queue(&net->mmio, VIRTIO_NET_TX_QUEUE, &net->txq, &tx_queue_memory))
		return false;
	if (net->rxq.size < VIRTIO_NET_RX_BUFFERS) {
		snprintf(net->mmio.error, sizeof(net->mmio.error),
			 "receiveq holds %u entries, fewer than %u buffers", net->rxq.size,
			 VIRTIO_NET_RX_BUFFERS);
		return false;
	}
	/* §5.1.5: fill the receive queue (before DRIVER_OK: the device may deliver at once). */
	for (uint16_t i = 0; i < VIRTIO_NET_RX_BUFFERS; i++)
		rx_post(net, i);
	if (!virtio_mmio_driver_ok(&net->mmio))
		return false;
	virtio_mmio_notify(&net->mmio, VIRTIO_NET_RX_QUEUE);
	return true;
}

bool virtio_net_send(struct virtio_net *net, const void *frame, uint32_t len)
{
	struct virtq_buffer buf;
	struct virtq_used_elem e;
	uint64_t deadline;

	if (len > ETH_FRAME_MAX) {
		snprintf(net->mmio.error, sizeof(net->mmio.error), "frame of %u bytes too long",
			 len);
		return false;
	}
	/* No offloads: flags 0, gso_type NONE, num_buffers 0 on transmit (§5.1.6.2). */
	memset(tx_buffer, 0, VIRTIO_NET_HDR_LEN);
	memcpy(tx_buffer + VIRTIO_NET_HDR_LEN, frame, len);
	buf = (struct virtq_buffer){ tx_buffer, VIRTIO_NET_HDR_LEN + len, false };
	virtqueue_add_chain(&net->txq, &buf, 1);
	virtio_mmio_notify(&net->mmio, VIRTIO_NET_TX_QUEUE);

	deadline = deadline_ms(VIRTIO_NET_TX_TIMEOUT_MS);
	while (!virtqueue_pop_used(&net->txq, &e)) {
		if (deadline_expired(deadline)) {
			snprintf(net->mmio.error, sizeof(net->mmio.error),
				 "transmit not used within %u ms, Status 0x%x",
				 VIRTIO_NET_TX_TIMEOUT_MS,
				 virtio_mmio_read(&net->mmio, VIRTIO_MMIO_STATUS));
			return false;
		}
		cpu_relax();
	}
	if (e.id != 0) {
		snprintf(net->mmio.error, sizeof(net->mmio.error), "transmit used id %u, not 0",
			 e.id);
		return false;
	}
	return true;
}

bool virtio_net_rx_take(struct virtio_net *net, struct virtio_net_rx *out)
{
	struct virtq_used_elem e;
	const uint8_t *buf;

	if (!virtqueue_pop_used(&net->rxq, &e))
		return false;
	out->buffer = (uint16_t)e.id;
	out->num_buffers = 0;
	out->frame = NULL;
	out->len = 0;
	if (e.id >= VIRTIO_NET_RX_BUFFERS)
		return true; /* the caller sees frame == NULL */
	buf = rx_buffers[e.id];
	out->num_buffers = (uint16_t)(buf[10] | buf[11] << 8);
	if (e.len >= VIRTIO_NET_HDR_LEN && e.len <= VIRTIO_NET_RX_BUF_SIZE) {
		out->frame = buf + VIRTIO_NET_HDR_LEN;
		out->len = e.len - VIRTIO_NET_HDR_LEN;
	}
	return true;
}

void virtio_net_rx_release(struct virtio_net *net, uint16_t buffer)
{
	if (buffer >= VIRTIO_NET_RX_BUFFERS)
		return;
	rx_post(net, buffer);
	virtio_mmio_notify(&net->mmio, VIRTIO_NET_RX_QUEUE);
}

uint32_t virtio_net_rx_posted(const struct virtio_net *net)
{
	return (uint16_t)(net->rxq.avail_idx - net->rxq.used->idx);
}

void virtio_net_handle_interrupt(struct virtio_net *net)
{
	uint32_t pending = virtio_mmio_ack_interrupts(&net->mmio);

	net->irq_count++;
	net->irq_status_seen |= pending;
	if (virtqueue_has_used(&net->rxq))
		net->irq_saw_rx = true;
}
