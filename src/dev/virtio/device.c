/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transport-independent half of every virtio device: feature
 * negotiation, queue start-up, reset, config space and the protocol-error
 * path (DEVICE_NEEDS_RESET). See virtio_dev.h.
 */
#include "virtio_dev.h"

#include "../../core/util.h"

void ax_virtio_dev_init(struct ax_virtio_dev *dev, const struct ax_host_hooks *hooks,
			const char *name, uint32_t device_id, uint64_t device_features,
			const struct ax_virtio_dev_ops *ops)
{
	dev->ops = ops;
	dev->hooks = hooks;
	ax_strlcpy(dev->name, name, sizeof(dev->name));
	dev->device_id = device_id;
	dev->device_features = device_features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	atomic_init(&dev->inflight, 0);
	ax_spin_init(&dev->lock);
}

void ax_virtio_dev_attach(struct ax_virtio_dev *dev, const struct ax_virtio_transport *t)
{
	dev->transport = *t;
	for (uint16_t i = 0; i < dev->nr_queues; i++)
		ax_vq_reset(&dev->queues[i]);
}

void ax_virtio_dev_destroy(struct ax_virtio_dev *dev)
{
	ax_spin_lock(&dev->lock, dev->hooks);
	dev->running = false;
	ax_virtio_dev_drain(dev);
	ax_spin_unlock(&dev->lock);
	dev->ops->destroy(dev);
}

bool ax_virtio_dev_accept_features(struct ax_virtio_dev *dev, uint64_t features)
{
	if (features & ~dev->device_features) {
		ax_log(dev->hooks, AX_LOG_WARN,
		       "virtio \"%s\": driver accepted features 0x%llx it was not offered",
		       dev->name, (unsigned long long)(features & ~dev->device_features));
		return false;
	}
	if (!(features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		ax_log(dev->hooks, AX_LOG_WARN,
		       "virtio \"%s\": driver did not accept VIRTIO_F_VERSION_1 (legacy drivers "
		       "are not supported)",
		       dev->name);
		return false;
	}
	if (dev->ops->validate_features && !dev->ops->validate_features(dev, features))
		return false;
	dev->features = features;
	return true;
}

bool ax_virtio_dev_activate(struct ax_virtio_dev *dev)
{
	bool event_idx = dev->features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX);
	bool indirect = dev->features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC);

	for (uint16_t i = 0; i < dev->nr_queues; i++) {
		struct ax_vq *q = &dev->queues[i];
		struct ax_vq_fault fault;

		if (!q->ready)
			continue;
		if (!ax_vq_start(q, dev->hooks, event_idx, indirect, &fault)) {
			ax_virtio_dev_fail(dev, "queue %u: %s", i, fault.msg);
			return false;
		}
	}
	dev->running = true;
	if (dev->ops->activate)
		dev->ops->activate(dev);
	return true;
}

void ax_virtio_dev_lock(struct ax_virtio_dev *dev)
{
	ax_spin_lock(&dev->lock, dev->hooks);
}

void ax_virtio_dev_unlock(struct ax_virtio_dev *dev)
{
	ax_spin_unlock(&dev->lock);
}

uint32_t ax_virtio_dev_device_id(const struct ax_virtio_dev *dev)
{
	return dev->device_id;
}

uint64_t ax_virtio_dev_offered_features(const struct ax_virtio_dev *dev)
{
	return dev->device_features;
}

uint16_t ax_virtio_dev_nr_queues(const struct ax_virtio_dev *dev)
{
	return dev->nr_queues;
}

static const struct ax_vq *queue_at(const struct ax_virtio_dev *dev, uint32_t index)
{
	if (index >= dev->nr_queues || !dev->queues[index].num_max)
		return NULL;
	return &dev->queues[index];
}

uint16_t ax_virtio_dev_queue_max(const struct ax_virtio_dev *dev, uint32_t index)
{
	const struct ax_vq *q = queue_at(dev, index);

	return q ? q->num_max : 0;
}

bool ax_virtio_dev_queue_num_valid(const struct ax_virtio_dev *dev, uint32_t index, uint32_t num)
{
	const struct ax_vq *q = queue_at(dev, index);

	return q && ax_vq_num_valid(q, num);
}

bool ax_virtio_dev_running(const struct ax_virtio_dev *dev)
{
	return dev->running;
}

uint16_t ax_virtio_dev_queue_used_idx(const struct ax_virtio_dev *dev, uint32_t index)
{
	const struct ax_vq *q = queue_at(dev, index);

	return q ? q->used_idx : 0;
}

uint32_t ax_virtio_dev_config_generation(const struct ax_virtio_dev *dev)
{
	return dev->config_generation;
}

enum ax_err ax_virtio_dev_queue_set(struct ax_virtio_dev *dev, uint32_t index, uint32_t num,
				    uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
				    bool ready)
{
	struct ax_vq *q;

	if (!queue_at(dev, index) || !ax_vq_num_valid(&dev->queues[index], num))
		return AX_ERR_INVALID_INPUT;
	q = &dev->queues[index];
	if (q->started)
		return AX_ERR_RESOURCE_BUSY;
	q->num = (uint16_t)num;
	q->desc_gpa = desc_gpa;
	q->avail_gpa = avail_gpa;
	q->used_gpa = used_gpa;
	q->ready = ready;
	return AX_OK;
}

bool ax_virtio_dev_queue_start(struct ax_virtio_dev *dev, uint16_t index, uint16_t last_avail,
			       char *why, size_t why_len)
{
	bool event_idx = dev->features & VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX);
	bool indirect = dev->features & VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC);
	bool was_running = dev->running;
	struct ax_vq_fault fault;
	struct ax_vq *q;

	if (!queue_at(dev, index)) {
		ax_format(why, why_len, "queue %u does not exist", index);
		return false;
	}
	if (dev->broken) {
		ax_format(why, why_len, "the device needs a reset");
		return false;
	}
	q = &dev->queues[index];
	if (!ax_vq_start(q, dev->hooks, event_idx, indirect, &fault)) {
		ax_strlcpy(why, fault.msg, why_len);
		return false;
	}
	ax_vq_resume(q, last_avail);
	q->ready = true;
	dev->running = true;
	if (!was_running && dev->ops->activate)
		dev->ops->activate(dev);
	return true;
}

uint16_t ax_virtio_dev_queue_stop(struct ax_virtio_dev *dev, uint16_t index)
{
	struct ax_vq *q;
	bool any = false;

	if (index >= dev->nr_queues)
		return 0;
	q = &dev->queues[index];
	ax_virtio_dev_drain(dev);
	q->started = false;
	q->ready = false;
	for (uint16_t i = 0; i < dev->nr_queues; i++)
		any |= dev->queues[i].started;
	if (!any)
		dev->running = false;
	return q->last_avail;
}

void ax_virtio_dev_drain(struct ax_virtio_dev *dev)
{
	while (atomic_load_explicit(&dev->inflight, memory_order_acquire)) {
		ax_spin_unlock(&dev->lock);
		if (dev->hooks->relax)
			dev->hooks->relax(dev->hooks->ctx);
		ax_spin_lock(&dev->lock, dev->hooks);
	}
}

void ax_virtio_dev_reset(struct ax_virtio_dev *dev)
{
	/* Stop first so that completions arriving while we drain publish nothing. */
	dev->running = false;
	ax_virtio_dev_drain(dev);
	for (uint16_t i = 0; i < dev->nr_queues; i++)
		ax_vq_reset(&dev->queues[i]);
	dev->features = 0;
	dev->broken = false;
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

void ax_virtio_dev_notify(struct ax_virtio_dev *dev, uint32_t index)
{
	if (index >= dev->nr_queues) {
		ax_virtio_dev_fail(dev, "notify of queue %u, which does not exist", index);
		return;
	}
	if (!dev->running || !dev->queues[index].started)
		return; /* nothing to do yet: the driver may notify early */
	dev->ops->queue_notify(dev, (uint16_t)index);
}

static bool config_access_ok(const struct ax_virtio_dev *dev, uint32_t offset, uint32_t width)
{
	return (width == 1 || width == 2 || width == 4 || width == 8) &&
	       (offset & (width - 1)) == 0 && offset < dev->config_len &&
	       width <= dev->config_len - offset;
}

enum ax_err ax_virtio_dev_config_read(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				      uint64_t *val)
{
	uint64_t v = 0;

	if (!config_access_ok(dev, offset, width))
		return AX_ERR_BAD_ADDRESS;
	for (uint32_t i = 0; i < width; i++)
		v |= (uint64_t)dev->config[offset + i] << (8 * i);
	*val = v;
	return AX_OK;
}

enum ax_err ax_virtio_dev_config_write(struct ax_virtio_dev *dev, uint32_t offset, uint32_t width,
				       uint64_t val)
{
	if (!config_access_ok(dev, offset, width))
		return AX_ERR_BAD_ADDRESS;
	if (!dev->ops->config_write)
		return AX_ERR_PERMISSION_DENIED;
	return dev->ops->config_write(dev, offset, width, val);
}

void ax_virtio_config_put(struct ax_virtio_dev *dev, uint32_t offset, uint64_t val, uint32_t width)
{
	for (uint32_t i = 0; i < width && offset + i < VIRTIO_CONFIG_MAX; i++)
		dev->config[offset + i] = (uint8_t)(val >> (8 * i));
}

void ax_virtio_dev_config_changed(struct ax_virtio_dev *dev)
{
	dev->config_generation++;
	if (dev->running)
		dev->transport.interrupt_config(dev->transport.ctx);
}

void ax_virtio_dev_fail(struct ax_virtio_dev *dev, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	va_start(ap, fmt);
	ax_vformat(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	ax_log(dev->hooks, AX_LOG_ERROR,
	       "virtio \"%s\": guest protocol error: %s; device needs reset", dev->name, reason);
	if (dev->broken)
		return;
	dev->broken = true;
	dev->running = false;
	dev->transport.needs_reset(dev->transport.ctx);
}

void ax_virtio_dev_signal_used(struct ax_virtio_dev *dev, struct ax_vq *q, uint16_t index)
{
	if (ax_vq_should_interrupt(q))
		dev->transport.interrupt_used(dev->transport.ctx, index);
}
