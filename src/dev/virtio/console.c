/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console (EmuDeviceType VirtioConsole = 5; virtio device id 3,
 * virtio 1.2 §5.3): one port, no multiport.
 *
 * cfg_list: [] (80 x 25) or [cols, rows], each in [1, 65535].
 *
 * Queues: 0 receiveq (host -> guest), 1 transmitq (guest -> host), 64
 * entries at most, chains of at most 64 buffers. Features: VERSION_1,
 * RING_INDIRECT_DESC, RING_EVENT_IDX, CONSOLE_F_SIZE. Config space
 * (read-only): le16 cols, le16 rows, le32 max_nr_ports (1), le32 emerg_wr
 * (not offered: reads 0, not writable).
 *
 * Output goes to hooks->char_backend(ctx, name); with no backend it is
 * discarded. The backend's write is called with the device lock held, so
 * it must not block: returning fewer bytes pauses transmission, keeping the
 * rest of the chain, until the next transmitq notification or
 * ax_virtio_console_tx_resume(). Input is pushed by the host with
 * ax_virtio_console_push_input(); bytes that find no guest buffer stay with
 * the caller. Readable buffers on receiveq are a protocol error; writable
 * buffers on transmitq are ignored (nothing is written into them).
 */
#include <axdevice/virtio.h>

#include "../kinds.h"
#include "mmio.h"

#include "../../core/util.h"

#define VIRTIO_CONSOLE_F_SIZE 0

#define RECEIVEQ   0
#define TRANSMITQ  1
#define QUEUE_SIZE 64u
#define CHAIN_MAX  64u

#define CFG_COLS	 0
#define CFG_ROWS	 2
#define CFG_MAX_NR_PORTS 4
#define CFG_LEN		 12

struct ax_virtio_console {
	struct ax_virtio_dev dev; /* first: the transport hands us this pointer */
	const struct ax_char_backend *out;
	struct ax_vq_buf rx_bufs[CHAIN_MAX];
	/* The transmit chain in progress; kept across backpressure. */
	bool tx_pending;
	uint64_t tx_sent;
	struct ax_vq_chain tx_chain;
	struct ax_vq_buf tx_bufs[CHAIN_MAX];
};

static struct ax_virtio_console *to_console(struct ax_virtio_dev *dev)
{
	return (struct ax_virtio_console *)dev;
}

/* Sends what is left of the pending chain; false when the backend pushed back. */
static bool tx_send_rest(struct ax_virtio_console *c)
{
	uint64_t skip = c->tx_sent;

	for (uint16_t i = 0; i < c->tx_chain.nr_out; i++) {
		const struct ax_vq_buf *b = &c->tx_bufs[i];

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		while (skip < b->len) {
			size_t left = b->len - skip;
			size_t n = c->out ? c->out->write(c->out->ctx, b->addr + skip, left) : left;

			if (n > left)
				n = left; /* a backend claiming more than offered */
			c->tx_sent += n;
			skip += n;
			if (n == 0)
				return false;
		}
		skip = 0;
	}
	return true;
}

/* Drains transmitq into the backend. Locked. */
static void console_tx(struct ax_virtio_console *c)
{
	struct ax_vq *q = &c->dev.queues[TRANSMITQ];
	uint16_t used_before = q->used_idx;
	struct ax_vq_fault fault;

	if (!c->dev.running || !q->started)
		return;
	for (;;) {
		while (c->dev.running) {
			if (!c->tx_pending) {
				int got;

				c->tx_chain = (struct ax_vq_chain){ .bufs = c->tx_bufs,
								    .cap = CHAIN_MAX };
				got = ax_vq_pop(q, c->dev.hooks, &c->tx_chain, &fault);
				if (got < 0) {
					ax_virtio_dev_fail(&c->dev, "transmitq: %s", fault.msg);
					return;
				}
				if (got == 0)
					break;
				c->tx_pending = true;
				c->tx_sent = 0;
			}
			if (!tx_send_rest(c))
				goto out;
			ax_vq_push(q, c->tx_chain.head, 0);
			c->tx_pending = false;
		}
		if (!c->dev.running || !ax_vq_arm_notify(q))
			break;
	}
out:
	if (c->dev.running && q->used_idx != used_before)
		ax_virtio_dev_signal_used(&c->dev, q, TRANSMITQ);
}

static void console_queue_notify(struct ax_virtio_dev *dev, uint16_t index)
{
	if (index == TRANSMITQ)
		console_tx(to_console(dev));
	/* receiveq: new buffers wait for the host's next push_input */
}

static void console_reset(struct ax_virtio_dev *dev)
{
	to_console(dev)->tx_pending = false;
}

static void console_destroy(struct ax_virtio_dev *dev)
{
	ax_free(dev->hooks, dev);
}

static const struct ax_virtio_dev_ops console_ops = {
	.queue_notify = console_queue_notify,
	.reset = console_reset,
	.destroy = console_destroy,
};

enum ax_err ax_virtio_console_from_device(struct ax_devices *set, uint32_t id,
					  struct ax_virtio_console **out)
{
	struct ax_virtio_dev *dev;
	void *priv = NULL;
	enum ax_err err = ax_builtin_priv(set, id, AX_EMU_VIRTIO_CONSOLE, &priv);

	if (err != AX_OK)
		return err;
	dev = ax_virtio_mmio_device(priv);
	if (!dev || dev->device_id != VIRTIO_ID_CONSOLE)
		return AX_ERR_INVALID_INPUT; /* a host kind replaced the built-in model */
	*out = to_console(dev);
	return AX_OK;
}

size_t ax_virtio_console_push_input(struct ax_virtio_console *c, const uint8_t *buf, size_t len)
{
	struct ax_vq *q;
	uint16_t used_before;
	struct ax_vq_fault fault;
	size_t taken = 0;

	if (!c || !buf)
		return 0;
	q = &c->dev.queues[RECEIVEQ];
	ax_spin_lock(&c->dev.lock, c->dev.hooks);
	used_before = q->used_idx;
	while (c->dev.running && q->started && taken < len) {
		struct ax_vq_chain chain = { .bufs = c->rx_bufs, .cap = CHAIN_MAX };
		int got = ax_vq_pop(q, c->dev.hooks, &chain, &fault);

		if (got < 0)
			ax_virtio_dev_fail(&c->dev, "receiveq: %s", fault.msg);
		else if (got > 0 && chain.nr_out)
			ax_virtio_dev_fail(&c->dev, "receiveq: buffer %u is not device-writable",
					   chain.head);
		if (got <= 0 || chain.nr_out)
			break;
		uint64_t n = ax_vq_chain_write(&chain, 0, buf + taken, len - taken);

		ax_vq_push(q, chain.head, (uint32_t)n);
		taken += n;
	}
	if (c->dev.running && q->used_idx != used_before)
		ax_virtio_dev_signal_used(&c->dev, q, RECEIVEQ);
	ax_spin_unlock(&c->dev.lock);
	return taken;
}

enum ax_err ax_virtio_console_set_size(struct ax_virtio_console *c, uint16_t cols, uint16_t rows)
{
	if (!c)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&c->dev.lock, c->dev.hooks);
	ax_virtio_config_put(&c->dev, CFG_COLS, cols, 2);
	ax_virtio_config_put(&c->dev, CFG_ROWS, rows, 2);
	ax_virtio_dev_config_changed(&c->dev);
	ax_spin_unlock(&c->dev.lock);
	return AX_OK;
}

enum ax_err ax_virtio_console_tx_resume(struct ax_virtio_console *c)
{
	if (!c)
		return AX_ERR_INVALID_INPUT;
	ax_spin_lock(&c->dev.lock, c->dev.hooks);
	console_tx(c);
	ax_spin_unlock(&c->dev.lock);
	return AX_OK;
}

enum ax_err ax_virtio_console_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				     struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *hooks = env->hooks;
	uint64_t cols = 80, rows = 25;
	struct ax_virtio_console *c;

	if (cfg->cfg_len != 0 && cfg->cfg_len != 2)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-console cfg_list is [] or [cols, rows], got "
			       "%zu entries",
			       cfg->name, cfg->cfg_len);
	if (cfg->cfg_len == 2) {
		cols = cfg->cfg_list[0];
		rows = cfg->cfg_list[1];
		if (cols - 1 > 0xfffe || rows - 1 > 0xfffe)
			return ax_fail(diag, AX_ERR_INVALID_INPUT,
				       "device \"%s\": console size %llux%llu is not in [1, 65535]",
				       cfg->name, (unsigned long long)cols,
				       (unsigned long long)rows);
	}
	if (!hooks->guest_mem)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-console needs the guest_mem host hook",
			       cfg->name);
	c = ax_zalloc(hooks, sizeof(*c));
	if (!c)
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	ax_virtio_dev_init(&c->dev, hooks, cfg->name, VIRTIO_ID_CONSOLE,
			   VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) |
				   VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX) |
				   VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE),
			   &console_ops);
	c->dev.nr_queues = 2;
	c->dev.queues[RECEIVEQ].num_max = QUEUE_SIZE;
	c->dev.queues[TRANSMITQ].num_max = QUEUE_SIZE;
	c->dev.config_len = CFG_LEN;
	ax_virtio_config_put(&c->dev, CFG_COLS, cols, 2);
	ax_virtio_config_put(&c->dev, CFG_ROWS, rows, 2);
	ax_virtio_config_put(&c->dev, CFG_MAX_NR_PORTS, 1, 4);
	c->out = hooks->char_backend ? hooks->char_backend(hooks->ctx, cfg->name) : NULL;
	if (c->out && !c->out->write)
		c->out = NULL;
	return ax_virtio_mmio_create(env, cfg, AX_EMU_VIRTIO_CONSOLE, &c->dev, out, diag);
}
