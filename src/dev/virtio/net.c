/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (EmuDeviceType VirtioNet = 4; virtio device id 1, virtio 1.2
 * §5.1) over a host net backend (<axdevice/backend.h>), with the host API
 * of <axdevice/virtio.h>.
 *
 * cfg_list: [] or [queue_size]: the largest receiveq / transmitq the driver
 * may use, a power of two in [2, 1024] (default 256); controlq has 64
 * entries. The backend is hooks->net_backend(ctx, name); without one the
 * device is not created.
 *
 * Features: VERSION_1, RING_INDIRECT_DESC, RING_EVENT_IDX, MAC, STATUS,
 * MTU (backend mtu != 0), MRG_RXBUF, CTRL_VQ, CTRL_RX, CTRL_RX_EXTRA (the
 * spec puts ALLUNI, NOMULTI, NOUNI and NOBCAST behind it), CTRL_MAC_ADDR;
 * CSUM, HOST_TSO4/6, HOST_ECN from the backend's host_offloads and
 * GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN from its guest_offloads, each only
 * with what it depends on. FEATURES_OK is refused when the driver breaks a
 * dependency of §5.1.3.1 (GUEST_TSO4/6 need GUEST_CSUM, GUEST_ECN needs
 * GUEST_TSO4 or 6, HOST_TSO4/6 need CSUM, HOST_ECN needs HOST_TSO4 or 6,
 * CTRL_RX and CTRL_MAC_ADDR need CTRL_VQ). At DRIVER_OK the backend's
 * set_offloads gets the guest offloads accepted.
 *
 * Config space (12 bytes, read-only): mac[6], le16 status (LINK_UP), le16
 * max_virtqueue_pairs (1), le16 mtu.
 *
 * transmitq: each chain is the 12-byte header and the frame, device-readable
 * only, at most 64 buffers; it goes to backend->transmit as iovecs into
 * guest memory. A chain with a writable buffer, shorter than the header or
 * longer than the header + AX_NET_MAX_FRAME is a protocol error. Used
 * length 0. WouldBlock keeps the chain and stops until the next notify or
 * ax_virtio_net_tx_resume(); other backend errors and frames sent while the
 * link is down are dropped (tx_dropped).
 *
 * receiveq: chains of writable buffers only, each at least the header long,
 * at most 64 buffers (else a protocol error). One reservation at a time
 * (rx_begin .. rx_commit / rx_cancel), counted in the core's inflight so
 * reset and destroy wait for it. Unused chains are given back by rewinding
 * the ring's next avail index: the reservation is always its last takes.
 * num_buffers is written at commit (1 without MRG_RXBUF). A frame that does
 * not fit the buffers the guest posted is counted in rx_no_buffers, like a
 * missing buffer.
 *
 * RX filter (checked at commit on the destination MAC): power-on and reset
 * state is promiscuous (a driver without CTRL_RX gets everything; Linux
 * turns it off when it opens the device with CTRL_RX). Otherwise broadcast
 * passes unless NOBCAST; multicast is refused by NOMULTI, passed by
 * ALLMULTI or the multicast table; unicast is refused by NOUNI, passed by
 * ALLUNI, the device MAC or the unicast table. Tables hold 64 entries each.
 *
 * controlq: class, command, data in readable buffers, the ack in the last
 * writable byte. No writable byte, or fewer than two readable bytes, is a
 * protocol error; an unknown class or command, a command whose feature was
 * not negotiated, data of the wrong size or a table over 64 entries gets
 * VIRTIO_NET_ERR and changes nothing.
 */
#include "net.h"

#include "../kinds.h"
#include "mmio.h"

#include "../../core/util.h"

#define VIRTIO_ID_NET 1

#define VIRTIO_NET_F_CSUM	   0
#define VIRTIO_NET_F_GUEST_CSUM	   1
#define VIRTIO_NET_F_MTU	   3
#define VIRTIO_NET_F_MAC	   5
#define VIRTIO_NET_F_GUEST_TSO4	   7
#define VIRTIO_NET_F_GUEST_TSO6	   8
#define VIRTIO_NET_F_GUEST_ECN	   9
#define VIRTIO_NET_F_HOST_TSO4	   11
#define VIRTIO_NET_F_HOST_TSO6	   12
#define VIRTIO_NET_F_HOST_ECN	   13
#define VIRTIO_NET_F_MRG_RXBUF	   15
#define VIRTIO_NET_F_STATUS	   16
#define VIRTIO_NET_F_CTRL_VQ	   17
#define VIRTIO_NET_F_CTRL_RX	   18
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_S_LINK_UP	   1u

#define VIRTIO_NET_CTRL_RX	      0
#define VIRTIO_NET_CTRL_RX_PROMISC    0
#define VIRTIO_NET_CTRL_RX_ALLMULTI   1
#define VIRTIO_NET_CTRL_RX_ALLUNI     2
#define VIRTIO_NET_CTRL_RX_NOMULTI    3
#define VIRTIO_NET_CTRL_RX_NOUNI      4
#define VIRTIO_NET_CTRL_RX_NOBCAST    5
#define VIRTIO_NET_CTRL_MAC	      1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET  1
#define VIRTIO_NET_OK		      0
#define VIRTIO_NET_ERR		      1

#define CFG_MAC	      0
#define CFG_STATUS    6
#define CFG_MAX_PAIRS 8
#define CFG_MTU	      10
#define CFG_LEN	      12

#define RXQ   0
#define TXQ   1
#define CTRLQ 2

#define HDR		   AX_NET_HDR_LEN
#define HDR_NUM_BUFFERS	   10u
#define CHAIN_MAX	   64u /* buffers in one RX or TX chain */
#define CTRL_CHAIN_MAX	   16u
#define CTRL_QUEUE_SIZE	   64u
#define QUEUE_SIZE_DEFAULT 256u
#define MAC_TABLE_MAX	   64u
#define CTRL_DATA_MAX	   (4u + 6u * MAC_TABLE_MAX + 4u + 6u * MAC_TABLE_MAX)
#define ETH_ALEN	   6u

struct mac_table {
	uint32_t n;
	uint8_t mac[MAC_TABLE_MAX][ETH_ALEN];
};

struct ax_virtio_net {
	struct ax_virtio_dev dev; /* first: the transport hands us this pointer */
	const struct ax_net_backend *be;
	uint8_t mac[ETH_ALEN]; /* the filter's own address (ADDR_SET changes it) */
	bool link_up;

	/* RX mode (reset: promiscuous, nothing else) and MAC tables */
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	struct mac_table uc, mc;

	/* The transmit chain the backend pushed back, kept for the retry. */
	bool tx_pending;
	struct ax_vq_chain tx_chain;
	struct ax_vq_buf tx_bufs[CHAIN_MAX];
	struct ax_iovec tx_iov[CHAIN_MAX];
	uint32_t tx_iovcnt;

	/* The open RX reservation: chains in order, their iovecs. */
	bool rx_open;
	bool rx_wanted; /* rx_begin said WouldBlock: rx_ready at the next buffers */
	uint16_t rx_n;
	uint16_t rx_heads[AX_NET_RX_MAX_IOV];
	uint64_t rx_bytes[AX_NET_RX_MAX_IOV];
	uint64_t rx_capacity;
	uint32_t rx_iovcnt;
	struct ax_iovec rx_iov[AX_NET_RX_MAX_IOV];
	struct ax_vq_buf rx_scratch[CHAIN_MAX];

	struct ax_vq_buf ctrl_bufs[CTRL_CHAIN_MAX];
	uint8_t ctrl_data[CTRL_DATA_MAX];

	struct ax_virtio_net_stats stats;
};

static const struct ax_virtio_dev_ops net_ops;

static struct ax_virtio_net *to_net(struct ax_virtio_dev *dev)
{
	return (struct ax_virtio_net *)dev;
}

static bool has(const struct ax_virtio_net *n, unsigned bit)
{
	return n->dev.features & VIRTIO_BIT(bit);
}

/* --- iovec helpers ---------------------------------------------------------------------- */

static void iov_write(const struct ax_iovec *iov, uint32_t cnt, uint64_t off, const void *src,
		      uint64_t len)
{
	const uint8_t *s = src;

	for (uint32_t i = 0; i < cnt && len; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		uint64_t k = iov[i].len - off < len ? iov[i].len - off : len;

		ax_memcpy((uint8_t *)iov[i].base + off, s, k);
		s += k;
		len -= k;
		off = 0;
	}
}

static void iov_read(const struct ax_iovec *iov, uint32_t cnt, uint64_t off, void *dst,
		     uint64_t len)
{
	uint8_t *d = dst;

	for (uint32_t i = 0; i < cnt && len; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		uint64_t k = iov[i].len - off < len ? iov[i].len - off : len;

		ax_memcpy(d, (const uint8_t *)iov[i].base + off, k);
		d += k;
		len -= k;
		off = 0;
	}
}

/* --- transmit ---------------------------------------------------------------------------- */

/* Checks a popped TX chain and builds its iovecs; false after failing the device. */
static bool tx_prepare(struct ax_virtio_net *n)
{
	const struct ax_vq_chain *c = &n->tx_chain;
	uint32_t k = 0;

	if (c->nr_in) {
		ax_virtio_dev_fail(&n->dev, "transmitq: chain %u has a device-writable buffer",
				   c->head);
		return false;
	}
	if (c->out_bytes < HDR) {
		ax_virtio_dev_fail(&n->dev,
				   "transmitq: chain %u holds %llu bytes, less than the %u-byte "
				   "header",
				   c->head, (unsigned long long)c->out_bytes, HDR);
		return false;
	}
	if (c->out_bytes > (uint64_t)HDR + AX_NET_MAX_FRAME) {
		ax_virtio_dev_fail(&n->dev, "transmitq: chain %u holds a %llu-byte frame, over %u",
				   c->head, (unsigned long long)(c->out_bytes - HDR),
				   AX_NET_MAX_FRAME);
		return false;
	}
	for (uint16_t i = 0; i < c->nr_out; i++) {
		if (!n->tx_bufs[i].len)
			continue;
		n->tx_iov[k].base = n->tx_bufs[i].addr;
		n->tx_iov[k].len = n->tx_bufs[i].len;
		k++;
	}
	n->tx_iovcnt = k;
	return true;
}

/* Sends the pending chain; false when the backend pushed back (kept pending). */
static bool tx_send(struct ax_virtio_net *n)
{
	uint64_t frame = n->tx_chain.out_bytes - HDR;
	enum ax_err err;

	if (!n->link_up) {
		n->stats.tx_dropped++;
		return true;
	}
	err = n->be->transmit(n->be->ctx, n->tx_iov, n->tx_iovcnt);
	if (err == AX_ERR_WOULD_BLOCK)
		return false;
	if (err == AX_OK) {
		n->stats.tx_frames++;
		n->stats.tx_bytes += frame;
	} else {
		n->stats.tx_dropped++;
	}
	return true;
}

/* Drains transmitq into the backend. Locked. */
static void net_tx(struct ax_virtio_net *n)
{
	struct ax_vq *q = &n->dev.queues[TXQ];
	uint16_t used_before = q->used_idx;
	struct ax_vq_fault fault;

	if (!n->dev.running || !q->started)
		return;
	for (;;) {
		while (n->dev.running) {
			if (!n->tx_pending) {
				int got;

				n->tx_chain = (struct ax_vq_chain){ .bufs = n->tx_bufs,
								    .cap = CHAIN_MAX };
				got = ax_vq_pop(q, n->dev.hooks, &n->tx_chain, &fault);
				if (got < 0) {
					ax_virtio_dev_fail(&n->dev, "transmitq: %s", fault.msg);
					return;
				}
				if (got == 0)
					break;
				if (!tx_prepare(n))
					return;
				n->tx_pending = true;
			}
			if (!tx_send(n))
				goto out;
			ax_vq_push(q, n->tx_chain.head, 0);
			n->tx_pending = false;
		}
		if (!n->dev.running || !ax_vq_arm_notify(q))
			break;
	}
out:
	if (n->dev.running && q->used_idx != used_before)
		ax_virtio_dev_signal_used(&n->dev, q, TXQ);
}

/* --- control queue ----------------------------------------------------------------------- */

static uint8_t ctrl_rx(struct ax_virtio_net *n, uint8_t cmd, const uint8_t *data, uint64_t len)
{
	bool on;

	if (!has(n, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return VIRTIO_NET_ERR;
	if (cmd > VIRTIO_NET_CTRL_RX_ALLMULTI && !has(n, VIRTIO_NET_F_CTRL_RX_EXTRA))
		return VIRTIO_NET_ERR;
	on = data[0] != 0;
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
		n->promisc = on;
		break;
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		n->allmulti = on;
		break;
	case VIRTIO_NET_CTRL_RX_ALLUNI:
		n->alluni = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOMULTI:
		n->nomulti = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOUNI:
		n->nouni = on;
		break;
	case VIRTIO_NET_CTRL_RX_NOBCAST:
		n->nobcast = on;
		break;
	default:
		return VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_OK;
}

/* One struct virtio_net_ctrl_mac at data[*off]; false when malformed or too big. */
static bool parse_mac_table(const uint8_t *data, uint64_t len, uint64_t *off, uint32_t *count)
{
	uint64_t entries;

	if (len - *off < 4)
		return false;
	entries = ax_vq_get_le(data + *off, 4);
	*off += 4;
	if (entries > MAC_TABLE_MAX || len - *off < entries * ETH_ALEN)
		return false;
	*count = (uint32_t)entries;
	*off += entries * ETH_ALEN;
	return true;
}

static uint8_t ctrl_mac(struct ax_virtio_net *n, uint8_t cmd, const uint8_t *data, uint64_t len)
{
	uint64_t off = 0, uc_off, mc_off;
	uint32_t uc_n, mc_n;

	switch (cmd) {
	case VIRTIO_NET_CTRL_MAC_TABLE_SET:
		if (!has(n, VIRTIO_NET_F_CTRL_RX))
			return VIRTIO_NET_ERR;
		uc_off = off + 4;
		if (!parse_mac_table(data, len, &off, &uc_n))
			return VIRTIO_NET_ERR;
		mc_off = off + 4;
		if (!parse_mac_table(data, len, &off, &mc_n) || off != len)
			return VIRTIO_NET_ERR;
		n->uc.n = uc_n;
		ax_memcpy(n->uc.mac, data + uc_off, (size_t)uc_n * ETH_ALEN);
		n->mc.n = mc_n;
		ax_memcpy(n->mc.mac, data + mc_off, (size_t)mc_n * ETH_ALEN);
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC_ADDR_SET:
		if (!has(n, VIRTIO_NET_F_CTRL_MAC_ADDR) || len != ETH_ALEN)
			return VIRTIO_NET_ERR;
		ax_memcpy(n->mac, data, ETH_ALEN);
		if (has(n, VIRTIO_NET_F_MAC)) {
			/* §5.1.6.5.2: reflected in the config space's mac */
			ax_memcpy(n->dev.config + CFG_MAC, data, ETH_ALEN);
			n->dev.config_generation++;
		}
		return VIRTIO_NET_OK;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* The last writable byte of the chain, where the ack goes. */
static uint8_t *ack_byte(const struct ax_vq_chain *c)
{
	for (uint16_t i = c->nr_out + c->nr_in; i > c->nr_out; i--)
		if (c->bufs[i - 1].len)
			return c->bufs[i - 1].addr + c->bufs[i - 1].len - 1;
	return NULL;
}

/* Handles one control command; false on a protocol error (the device is stopped). */
static bool ctrl_handle(struct ax_virtio_net *n, const struct ax_vq_chain *c)
{
	uint8_t hdr[2], ack = VIRTIO_NET_ERR;
	uint64_t len;

	if (c->in_bytes == 0) {
		ax_virtio_dev_fail(&n->dev, "controlq: command %u has no writable ack byte",
				   c->head);
		return false;
	}
	if (!ax_vq_chain_read(c, 0, hdr, 2)) {
		ax_virtio_dev_fail(&n->dev,
				   "controlq: command %u is shorter than its class and command",
				   c->head);
		return false;
	}
	len = c->out_bytes - 2;
	if (len <= CTRL_DATA_MAX) {
		ax_vq_chain_read(c, 2, n->ctrl_data, len);
		if (hdr[0] == VIRTIO_NET_CTRL_RX)
			ack = ctrl_rx(n, hdr[1], n->ctrl_data, len);
		else if (hdr[0] == VIRTIO_NET_CTRL_MAC)
			ack = ctrl_mac(n, hdr[1], n->ctrl_data, len);
	}
	*ack_byte(c) = ack;
	ax_vq_push(&n->dev.queues[CTRLQ], c->head, (uint32_t)c->in_bytes);
	return true;
}

static void net_ctrl(struct ax_virtio_net *n)
{
	struct ax_vq *q = &n->dev.queues[CTRLQ];
	uint16_t used_before = q->used_idx;
	struct ax_vq_fault fault;

	if (!n->dev.running || !q->started || !has(n, VIRTIO_NET_F_CTRL_VQ))
		return;
	for (;;) {
		while (n->dev.running) {
			struct ax_vq_chain c = { .bufs = n->ctrl_bufs, .cap = CTRL_CHAIN_MAX };
			int got = ax_vq_pop(q, n->dev.hooks, &c, &fault);

			if (got < 0) {
				ax_virtio_dev_fail(&n->dev, "controlq: %s", fault.msg);
				return;
			}
			if (got == 0 || !ctrl_handle(n, &c))
				break;
		}
		if (!n->dev.running || !ax_vq_arm_notify(q))
			break;
	}
	if (n->dev.running && q->used_idx != used_before)
		ax_virtio_dev_signal_used(&n->dev, q, CTRLQ);
}

/* --- receive ----------------------------------------------------------------------------- */

static uint16_t avail_idx(const struct ax_vq *q)
{
	uint16_t v =
		__atomic_load_n((const uint16_t *)(const void *)(q->avail + 2), __ATOMIC_ACQUIRE);

	return (uint16_t)ax_vq_get_le((const uint8_t *)&v, 2);
}

/*
 * Asks the driver to notify on its next receive buffer, whatever it already
 * posted (those are too few): avail_event = avail idx. True if more arrived
 * meanwhile.
 */
static bool rx_arm_more(struct ax_vq *q)
{
	uint16_t idx = avail_idx(q);

	if (q->event_idx) {
		uint8_t le[2] = { (uint8_t)idx, (uint8_t)(idx >> 8) };
		uint16_t v;

		ax_memcpy(&v, le, 2);
		__atomic_store_n((uint16_t *)(void *)(q->used + 4 + 8u * q->num), v,
				 __ATOMIC_RELEASE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_idx(q) != idx;
}

/* Gives the reservation's chains from `first` on back to the ring. Locked. */
static void rx_give_back(struct ax_virtio_net *n, uint16_t first)
{
	if (n->dev.running)
		n->dev.queues[RXQ].last_avail -= (uint16_t)(n->rx_n - first);
	n->rx_n = first;
}

/* Takes receive buffers for one frame. Locked. */
static enum ax_err rx_reserve(struct ax_virtio_net *n)
{
	struct ax_vq *q = &n->dev.queues[RXQ];
	uint64_t limit = (uint64_t)HDR + AX_NET_MAX_FRAME;
	bool mrg = has(n, VIRTIO_NET_F_MRG_RXBUF);
	struct ax_vq_fault fault;

	if (!n->dev.running || !q->started || !n->link_up)
		return AX_ERR_BAD_STATE;
	if (n->rx_open)
		return AX_ERR_RESOURCE_BUSY;
	n->rx_n = 0;
	n->rx_iovcnt = 0;
	n->rx_capacity = 0;
	while (n->rx_capacity < limit && n->rx_n < AX_NET_RX_MAX_IOV) {
		struct ax_vq_chain c = { .bufs = n->rx_scratch, .cap = CHAIN_MAX };
		uint32_t k = 0;
		int got = ax_vq_pop(q, n->dev.hooks, &c, &fault);

		if (got < 0) {
			ax_virtio_dev_fail(&n->dev, "receiveq: %s", fault.msg);
			return AX_ERR_BAD_STATE;
		}
		if (got == 0) {
			if (n->rx_n)
				break;
			if (ax_vq_arm_notify(q))
				continue;
			n->rx_wanted = true;
			n->stats.rx_no_buffers++;
			return AX_ERR_WOULD_BLOCK;
		}
		if (c.nr_out) {
			ax_virtio_dev_fail(
				&n->dev, "receiveq: chain %u has a device-readable buffer", c.head);
			return AX_ERR_BAD_STATE;
		}
		if (c.in_bytes < HDR) {
			ax_virtio_dev_fail(&n->dev,
					   "receiveq: chain %u holds %llu bytes, less than the "
					   "%u-byte header",
					   c.head, (unsigned long long)c.in_bytes, HDR);
			return AX_ERR_BAD_STATE;
		}
		for (uint16_t i = 0; i < c.nr_in; i++)
			k += c.bufs[i].len != 0;
		if (n->rx_iovcnt + k > AX_NET_RX_MAX_IOV) {
			q->last_avail--; /* no room for it: next time */
			break;
		}
		for (uint16_t i = 0; i < c.nr_in; i++) {
			if (!c.bufs[i].len)
				continue;
			n->rx_iov[n->rx_iovcnt].base = c.bufs[i].addr;
			n->rx_iov[n->rx_iovcnt].len = c.bufs[i].len;
			n->rx_iovcnt++;
		}
		n->rx_heads[n->rx_n] = c.head;
		n->rx_bytes[n->rx_n] = c.in_bytes;
		n->rx_n++;
		n->rx_capacity += c.in_bytes;
		if (!mrg)
			break;
	}
	n->rx_open = true;
	return AX_OK;
}

static bool mac_in(const struct mac_table *t, const uint8_t *mac)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (ax_memcmp(t->mac[i], mac, ETH_ALEN) == 0)
			return true;
	return false;
}

/* The RX filter on the reserved frame of `len` bytes (header included). Locked. */
static bool rx_accept(struct ax_virtio_net *n, uint64_t len)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t dst[ETH_ALEN];

	if (n->promisc)
		return true;
	if (len < HDR + ETH_ALEN)
		return false;
	iov_read(n->rx_iov, n->rx_iovcnt, HDR, dst, ETH_ALEN);
	if (ax_memcmp(dst, bcast, ETH_ALEN) == 0)
		return !n->nobcast;
	if (dst[0] & 1) {
		if (n->nomulti)
			return false;
		return n->allmulti || mac_in(&n->mc, dst);
	}
	if (n->nouni)
		return false;
	return n->alluni || ax_memcmp(dst, n->mac, ETH_ALEN) == 0 || mac_in(&n->uc, dst);
}

/* Publishes the reserved frame: its chains, num_buffers, the rest given back. Locked. */
static void rx_deliver(struct ax_virtio_net *n, uint64_t len)
{
	struct ax_vq *q = &n->dev.queues[RXQ];
	uint64_t left = len;
	uint16_t used = 0;
	uint8_t nb[2];

	while (left) {
		uint64_t k = n->rx_bytes[used] < left ? n->rx_bytes[used] : left;

		used++;
		left -= k;
	}
	nb[0] = (uint8_t)used;
	nb[1] = (uint8_t)(used >> 8);
	iov_write(n->rx_iov, n->rx_iovcnt, HDR_NUM_BUFFERS, nb, 2);
	left = len;
	for (uint16_t i = 0; i < used; i++) {
		uint64_t k = n->rx_bytes[i] < left ? n->rx_bytes[i] : left;

		ax_vq_push(q, n->rx_heads[i], (uint32_t)k);
		left -= k;
	}
	rx_give_back(n, used);
	n->stats.rx_frames++;
	n->stats.rx_bytes += len - HDR;
	ax_virtio_dev_signal_used(&n->dev, q, RXQ);
}

/* Ends the open reservation. Locked. */
static void rx_close(struct ax_virtio_net *n)
{
	n->rx_open = false;
	atomic_fetch_sub_explicit(&n->dev.inflight, 1, memory_order_release);
}

/* --- device ops -------------------------------------------------------------------------- */

static void net_queue_notify(struct ax_virtio_dev *dev, uint16_t index)
{
	struct ax_virtio_net *n = to_net(dev);

	switch (index) {
	case RXQ:
		if (n->rx_wanted && avail_idx(&dev->queues[RXQ]) != dev->queues[RXQ].last_avail) {
			n->rx_wanted = false;
			if (n->be->rx_ready)
				n->be->rx_ready(n->be->ctx);
		}
		break;
	case TXQ:
		net_tx(n);
		break;
	default:
		net_ctrl(n);
		break;
	}
}

static bool net_validate_features(struct ax_virtio_dev *dev, uint64_t f)
{
	static const struct {
		uint8_t bit, needs, or_needs;
		const char *what;
	} deps[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		  "GUEST_TSO4 without GUEST_CSUM" },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		  "GUEST_TSO6 without GUEST_CSUM" },
		{ VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		  "GUEST_ECN without GUEST_TSO4 or GUEST_TSO6" },
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_CSUM,
		  "HOST_TSO4 without CSUM" },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_CSUM,
		  "HOST_TSO6 without CSUM" },
		{ VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
		  "HOST_ECN without HOST_TSO4 or HOST_TSO6" },
		{ VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_VQ,
		  "CTRL_RX without CTRL_VQ" },
		{ VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_VQ,
		  "CTRL_MAC_ADDR without CTRL_VQ" },
	};

	for (size_t i = 0; i < AX_ARRAY_SIZE(deps); i++) {
		if (!(f & VIRTIO_BIT(deps[i].bit)))
			continue;
		if (f & (VIRTIO_BIT(deps[i].needs) | VIRTIO_BIT(deps[i].or_needs)))
			continue;
		ax_log(dev->hooks, AX_LOG_WARN,
		       "virtio \"%s\": driver accepted %s (virtio 1.2 5.1.3.1); FEATURES_OK "
		       "refused",
		       dev->name, deps[i].what);
		return false;
	}
	return true;
}

static void net_activate(struct ax_virtio_dev *dev)
{
	struct ax_virtio_net *n = to_net(dev);
	uint32_t off = 0;

	if (!n->be->set_offloads)
		return;
	if (has(n, VIRTIO_NET_F_GUEST_CSUM))
		off |= AX_NET_OFFLOAD_CSUM;
	if (has(n, VIRTIO_NET_F_GUEST_TSO4))
		off |= AX_NET_OFFLOAD_TSO4;
	if (has(n, VIRTIO_NET_F_GUEST_TSO6))
		off |= AX_NET_OFFLOAD_TSO6;
	if (has(n, VIRTIO_NET_F_GUEST_ECN))
		off |= AX_NET_OFFLOAD_TSO_ECN;
	n->be->set_offloads(n->be->ctx, off);
}

static void net_reset(struct ax_virtio_dev *dev)
{
	struct ax_virtio_net *n = to_net(dev);

	n->tx_pending = false;
	n->rx_wanted = false;
	n->rx_open = false;
	n->promisc = true;
	n->allmulti = n->alluni = n->nomulti = n->nouni = n->nobcast = false;
	n->uc.n = n->mc.n = 0;
	ax_memcpy(n->mac, n->be->mac, ETH_ALEN);
	ax_memcpy(dev->config + CFG_MAC, n->be->mac, ETH_ALEN);
}

static void net_destroy(struct ax_virtio_dev *dev)
{
	ax_free(dev->hooks, dev);
}

static const struct ax_virtio_dev_ops net_ops = {
	.queue_notify = net_queue_notify,
	.validate_features = net_validate_features,
	.activate = net_activate,
	.reset = net_reset,
	.destroy = net_destroy,
};

/* --- construction ------------------------------------------------------------------------ */

static uint64_t net_features(const struct ax_net_backend *be)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX) |
		     VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) |
		     VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |
		     VIRTIO_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR);
	uint32_t h = be->host_offloads, g = be->guest_offloads;

	if (be->mtu)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	if (h & AX_NET_OFFLOAD_CSUM) {
		f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
		if (h & AX_NET_OFFLOAD_TSO4)
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
		if (h & AX_NET_OFFLOAD_TSO6)
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
		if ((h & AX_NET_OFFLOAD_TSO_ECN) &&
		    (h & (AX_NET_OFFLOAD_TSO4 | AX_NET_OFFLOAD_TSO6)))
			f |= VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN);
	}
	if (g & AX_NET_OFFLOAD_CSUM) {
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
		if (g & AX_NET_OFFLOAD_TSO4)
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4);
		if (g & AX_NET_OFFLOAD_TSO6)
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
		if ((g & AX_NET_OFFLOAD_TSO_ECN) &&
		    (g & (AX_NET_OFFLOAD_TSO4 | AX_NET_OFFLOAD_TSO6)))
			f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
	}
	return f;
}

enum ax_err ax_virtio_net_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_net_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag)
{
	struct ax_virtio_net *n;

	if (queue_size < 2 || queue_size > AX_VIRTIO_NET_QUEUE_SIZE_MAX ||
	    (queue_size & (queue_size - 1)))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": queue_size %u is not a power of two in [2, %u]",
			       name, queue_size, AX_VIRTIO_NET_QUEUE_SIZE_MAX);
	if (!hooks->guest_mem)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-net needs the guest_mem host hook", name);
	if (!be)
		return ax_fail(diag, AX_ERR_NOT_FOUND,
			       "device \"%s\": no net backend is bound to this name", name);
	if (!be->transmit || (be->mtu && be->mtu < AX_NET_MIN_MTU))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": net backend has no transmit or an mtu of %u, below "
			       "%u",
			       name, be->mtu, AX_NET_MIN_MTU);
	n = ax_zalloc(hooks, sizeof(*n));
	if (!n)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", name);
	ax_virtio_dev_init(&n->dev, hooks, name, VIRTIO_ID_NET, net_features(be), &net_ops);
	n->dev.nr_queues = 3;
	n->dev.queues[RXQ].num_max = (uint16_t)queue_size;
	n->dev.queues[TXQ].num_max = (uint16_t)queue_size;
	n->dev.queues[CTRLQ].num_max = CTRL_QUEUE_SIZE;
	n->be = be;
	n->link_up = true;
	n->dev.config_len = CFG_LEN;
	ax_virtio_config_put(&n->dev, CFG_STATUS, VIRTIO_NET_S_LINK_UP, 2);
	ax_virtio_config_put(&n->dev, CFG_MAX_PAIRS, 1, 2);
	ax_virtio_config_put(&n->dev, CFG_MTU, be->mtu, 2);
	net_reset(&n->dev);
	*out = &n->dev;
	return AX_OK;
}

struct ax_virtio_net *ax_virtio_net_of(struct ax_virtio_dev *dev)
{
	if (!dev || dev->ops != &net_ops)
		return NULL;
	return to_net(dev);
}

enum ax_err ax_virtio_net_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				 struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *hooks = env->hooks;
	uint64_t size = QUEUE_SIZE_DEFAULT;
	struct ax_virtio_dev *dev;
	enum ax_err err;

	if (cfg->cfg_len > 1)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-net cfg_list is [] or [queue_size], got %zu "
			       "entries",
			       cfg->name, cfg->cfg_len);
	if (cfg->cfg_len == 1)
		size = cfg->cfg_list[0];
	if (size < 2 || size > AX_VIRTIO_NET_QUEUE_SIZE_MAX || (size & (size - 1)))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": queue_size %llu is not a power of two in [2, %u]",
			       cfg->name, (unsigned long long)size, AX_VIRTIO_NET_QUEUE_SIZE_MAX);
	err = ax_virtio_net_new(hooks, cfg->name,
				hooks->net_backend ? hooks->net_backend(hooks->ctx, cfg->name)
						   : NULL,
				(uint32_t)size, &dev, diag);
	if (err)
		return err;
	return ax_virtio_mmio_create(env, cfg, AX_EMU_VIRTIO_NET, dev, out, diag);
}

/* --- host API ---------------------------------------------------------------------------- */

enum ax_err ax_virtio_net_from_device(struct ax_devices *set, uint32_t id,
				      struct ax_virtio_net **out)
{
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_VIRTIO_NET, &priv);
	struct ax_virtio_net *n;

	if (err != AX_OK)
		return err;
	n = ax_virtio_net_of(ax_virtio_mmio_device(priv));
	if (!n)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = n;
	return AX_OK;
}

enum ax_err ax_virtio_net_rx_begin(struct ax_virtio_net *n, struct ax_net_rx *rx)
{
	enum ax_err err;

	if (!n || !rx)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	err = rx_reserve(n);
	if (err == AX_OK) {
		atomic_fetch_add_explicit(&n->dev.inflight, 1, memory_order_relaxed);
		ax_memcpy(rx->iov, n->rx_iov, sizeof(rx->iov[0]) * n->rx_iovcnt);
		rx->iovcnt = n->rx_iovcnt;
		rx->capacity =
			n->rx_capacity > (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)n->rx_capacity;
	}
	ax_spin_unlock(&n->dev.lock);
	return err;
}

enum ax_err ax_virtio_net_rx_commit(struct ax_virtio_net *n, size_t len)
{
	enum ax_err err = AX_OK;

	if (!n)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	if (!n->rx_open) {
		ax_spin_unlock(&n->dev.lock);
		return AX_ERR_BAD_STATE;
	}
	if (!n->dev.running || !n->dev.queues[RXQ].started) {
		err = AX_ERR_BAD_STATE; /* reset or stopped meanwhile: nothing delivered */
	} else if (len < HDR || len > n->rx_capacity) {
		rx_give_back(n, 0);
		err = AX_ERR_INVALID_INPUT;
	} else if (!rx_accept(n, len)) {
		rx_give_back(n, 0);
		n->stats.rx_filtered++;
	} else {
		rx_deliver(n, len);
	}
	rx_close(n);
	ax_spin_unlock(&n->dev.lock);
	return err;
}

void ax_virtio_net_rx_cancel(struct ax_virtio_net *n)
{
	if (!n)
		return;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	if (n->rx_open) {
		rx_give_back(n, 0);
		rx_close(n);
	}
	ax_spin_unlock(&n->dev.lock);
}

enum ax_err ax_virtio_net_receive(struct ax_virtio_net *n, const void *frame, size_t len)
{
	struct ax_net_rx rx;
	enum ax_err err;

	if (!n || (!frame && len))
		return AX_ERR_INVALID_INPUT;
	if (len < HDR || len > (size_t)HDR + AX_NET_MAX_FRAME)
		return AX_ERR_INVALID_INPUT;
	err = ax_virtio_net_rx_begin(n, &rx);
	if (err != AX_OK)
		return err;
	if (len > rx.capacity) {
		/* Too few buffers: with MRG_RXBUF wait for more, else this frame never fits. */
		bool wait = false;

		ax_spin_lock(&n->dev.lock, n->dev.hooks);
		if (n->rx_open) {
			rx_give_back(n, 0);
			rx_close(n);
			n->stats.rx_no_buffers++;
			wait = has(n, VIRTIO_NET_F_MRG_RXBUF) && n->dev.running;
			if (wait && rx_arm_more(&n->dev.queues[RXQ]))
				wait = false; /* more arrived: the caller may retry now */
			n->rx_wanted |= wait;
		}
		ax_spin_unlock(&n->dev.lock);
		return has(n, VIRTIO_NET_F_MRG_RXBUF) ? AX_ERR_WOULD_BLOCK : AX_ERR_INVALID_INPUT;
	}
	iov_write(rx.iov, rx.iovcnt, 0, frame, len);
	return ax_virtio_net_rx_commit(n, len);
}

enum ax_err ax_virtio_net_set_link(struct ax_virtio_net *n, bool up)
{
	if (!n)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	if (n->link_up != up) {
		n->link_up = up;
		ax_virtio_config_put(&n->dev, CFG_STATUS, up ? VIRTIO_NET_S_LINK_UP : 0, 2);
		ax_virtio_dev_config_changed(&n->dev);
	}
	ax_spin_unlock(&n->dev.lock);
	return AX_OK;
}

enum ax_err ax_virtio_net_tx_resume(struct ax_virtio_net *n)
{
	if (!n)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	net_tx(n);
	ax_spin_unlock(&n->dev.lock);
	return AX_OK;
}

enum ax_err ax_virtio_net_get_stats(struct ax_virtio_net *n, struct ax_virtio_net_stats *out)
{
	if (!n || !out)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&n->dev.lock, n->dev.hooks);
	*out = n->stats;
	ax_spin_unlock(&n->dev.lock);
	return AX_OK;
}
