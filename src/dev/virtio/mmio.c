/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, version 2 (virtio 1.2 §4.2.2).
 *
 * Register map (offsets from the device base; R read, W write):
 *
 *   0x000 R  MagicValue        0x74726976 ("virt")
 *   0x004 R  Version           2 (no legacy interface)
 *   0x008 R  DeviceID          2 block, 3 console
 *   0x00c R  VendorID          0x56445841 ("AXDV", libaxdevice's own)
 *   0x010 R  DeviceFeatures    32 bits of the offered features, chosen by:
 *   0x014 W  DeviceFeaturesSel 0 bits 0-31, 1 bits 32-63, others read 0
 *   0x020 W  DriverFeatures    32 bits the driver accepts, chosen by:
 *   0x024 W  DriverFeaturesSel
 *   0x030 W  QueueSel          the queue the Queue* registers address
 *   0x034 R  QueueNumMax       0 for a queue that does not exist
 *   0x038 W  QueueNum          power of two <= QueueNumMax (reset: QueueNumMax)
 *   0x044 RW QueueReady
 *   0x050 W  QueueNotify       queue index
 *   0x060 R  InterruptStatus   bit 0 used buffer, bit 1 config change
 *   0x064 W  InterruptACK      clears bits; the line drops when none is left
 *   0x070 RW Status            0 resets
 *   0x080 W  QueueDescLow      0x084 High: descriptor table address
 *   0x090 W  QueueDriverLow    0x094 High: available ring address
 *   0x0a0 W  QueueDeviceLow    0x0a4 High: used ring address
 *   0x0ac W  SHMSel            shared memory regions: there are none, so
 *   0x0b0 R  SHMLenLow/High    (0x0b4) and SHMBaseLow/High (0x0b8, 0x0bc)
 *                              read 0xffffffff
 *   0x0fc R  ConfigGeneration  changes whenever the config space does
 *   0x100 RW config space      1, 2, 4 or 8 bytes, naturally aligned
 *
 * Accesses below 0x100 must be 4 bytes wide and aligned (InvalidInput
 * otherwise). Offsets with no register in that direction (including the
 * legacy QueuePFN family) are BadAddress, as is config space past the
 * device's config length. Config fields are read-only (PermissionDenied).
 *
 * Status: writing 0 resets the device (after outstanding backend requests
 * complete). Otherwise a write may only add bits, in the order ACKNOWLEDGE
 * -> DRIVER -> FEATURES_OK -> DRIVER_OK (several at once if each one's
 * predecessor is present); FAILED may be added at any time. A write that
 * clears bits, skips a step, sets DEVICE_NEEDS_RESET itself, or adds
 * anything once FAILED or DEVICE_NEEDS_RESET is set changes nothing and
 * returns BadState. FEATURES_OK is kept only if the driver's
 * features are a subset of the device's and include VIRTIO_F_VERSION_1;
 * otherwise it reads back clear (the spec's refusal).
 *
 * Write windows (BadState and no effect outside them):
 *   DriverFeatures(Sel)              before FEATURES_OK
 *   QueueNum/Desc/Driver/Device,     after FEATURES_OK, before DRIVER_OK,
 *   QueueReady = 1                   while the selected queue is not ready
 *   QueueReady = 0                   before DRIVER_OK (a no-op on a queue
 *                                    that is not ready, at any time)
 *   selectors, InterruptACK,         any time
 *   QueueNotify, Status
 * Queue registers of a queue that does not exist are NotFound. After
 * DRIVER_OK only notifications, interrupt acknowledgement, selectors,
 * Status (FAILED or 0) and reads have any effect.
 *
 * Guest protocol errors put the device in DEVICE_NEEDS_RESET: Status gains
 * 0x40, InterruptStatus bit 1 is raised (if DRIVER_OK was set) and queues
 * are no longer processed until the driver writes 0 to Status. They are: a
 * QueueNum that is not a power of two in [1, QueueNumMax], a notification
 * of a queue that does not exist, rings outside guest RAM or misaligned at
 * DRIVER_OK, and any malformed chain (see virtqueue.h).
 *
 * The interrupt is level-triggered (claimed so in the descriptor): the line
 * irq_id goes high when InterruptStatus goes from 0 to non-zero and low when
 * InterruptACK or a reset clears it.
 */
#include "mmio.h"

#include "../../core/irq.h"
#include "../../core/util.h"

#define MMIO_MAGIC   0x74726976u
#define MMIO_VERSION 2u
#define MMIO_VENDOR  0x56445841u /* "AXDV" */
#define MMIO_CONFIG  0x100u

/* The bits a driver may write: all but DEVICE_NEEDS_RESET and the reserved 0x10, 0x20. */
#define STATUS_DRIVER_BITS 0x8fu

#define INT_USED_BUFFER 1u
#define INT_CONFIG	2u

#define PRIV_TAG 0x6f696d76u /* marks our priv for ax_virtio_mmio_device() */

struct ax_virtio_mmio {
	uint32_t tag;
	struct ax_virtio_dev *dev;
	const struct ax_host_hooks *hooks;
	struct ax_irq_lines *lines;
	uint32_t irq;

	uint32_t status;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;
	bool driver_features_beyond_64; /* accepted a bit we cannot offer */
	uint32_t queue_sel;
	/* InterruptStatus: changed only through ax_irq_line_update, which keeps the line equal to
	 * it, so InterruptACK needs no device lock */
	_Atomic uint32_t interrupt_status;
};

/* --- interrupts and the device's view of the transport ------------------ */

static void raise_interrupt(struct ax_virtio_mmio *m, uint32_t bit)
{
	ax_irq_line_update(m->lines, m->irq, &m->interrupt_status, bit, 0);
}

static void lower_interrupt(struct ax_virtio_mmio *m, uint32_t bits)
{
	ax_irq_line_update(m->lines, m->irq, &m->interrupt_status, 0, bits);
}

static void on_used(void *ctx, uint16_t index)
{
	(void)index;
	raise_interrupt(ctx, INT_USED_BUFFER);
}

static void on_config(void *ctx)
{
	raise_interrupt(ctx, INT_CONFIG);
}

static void on_needs_reset(void *ctx)
{
	struct ax_virtio_mmio *m = ctx;

	m->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if (m->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(m, INT_CONFIG);
}

static void mmio_reset_locked(struct ax_virtio_mmio *m)
{
	ax_virtio_dev_reset(m->dev);
	m->status = 0;
	m->device_features_sel = 0;
	m->driver_features_sel = 0;
	m->driver_features = 0;
	m->driver_features_beyond_64 = false;
	m->queue_sel = 0;
	lower_interrupt(m, ~0u);
}

/* --- registers ------------------------------------------------------------ */

static struct ax_vq *selected_queue(struct ax_virtio_mmio *m)
{
	if (m->queue_sel >= m->dev->nr_queues || !m->dev->queues[m->queue_sel].num_max)
		return NULL;
	return &m->dev->queues[m->queue_sel];
}

static uint32_t rd_magic(struct ax_virtio_mmio *m)
{
	(void)m;
	return MMIO_MAGIC;
}

static uint32_t rd_version(struct ax_virtio_mmio *m)
{
	(void)m;
	return MMIO_VERSION;
}

static uint32_t rd_device_id(struct ax_virtio_mmio *m)
{
	return m->dev->device_id;
}

static uint32_t rd_vendor_id(struct ax_virtio_mmio *m)
{
	(void)m;
	return MMIO_VENDOR;
}

static uint32_t rd_device_features(struct ax_virtio_mmio *m)
{
	if (m->device_features_sel > 1)
		return 0;
	return (uint32_t)(m->dev->device_features >> (32 * m->device_features_sel));
}

static uint32_t rd_queue_num_max(struct ax_virtio_mmio *m)
{
	struct ax_vq *q = selected_queue(m);

	return q ? q->num_max : 0;
}

static uint32_t rd_queue_ready(struct ax_virtio_mmio *m)
{
	struct ax_vq *q = selected_queue(m);

	return q ? q->ready : 0;
}

static uint32_t rd_interrupt_status(struct ax_virtio_mmio *m)
{
	return atomic_load_explicit(&m->interrupt_status, memory_order_acquire);
}

static uint32_t rd_status(struct ax_virtio_mmio *m)
{
	return m->status;
}

static uint32_t rd_no_shm(struct ax_virtio_mmio *m)
{
	(void)m;
	return 0xffffffffu;
}

static uint32_t rd_config_generation(struct ax_virtio_mmio *m)
{
	return m->dev->config_generation;
}

static enum ax_err wr_device_features_sel(struct ax_virtio_mmio *m, uint32_t val)
{
	m->device_features_sel = val;
	return AX_OK;
}

static enum ax_err wr_driver_features(struct ax_virtio_mmio *m, uint32_t val)
{
	if (m->status & VIRTIO_STATUS_FEATURES_OK)
		return AX_ERR_BAD_STATE;
	if (m->driver_features_sel > 1) {
		if (val)
			m->driver_features_beyond_64 = true;
		return AX_OK;
	}
	unsigned shift = 32 * m->driver_features_sel;

	m->driver_features &= ~((uint64_t)0xffffffffu << shift);
	m->driver_features |= (uint64_t)val << shift;
	return AX_OK;
}

static enum ax_err wr_driver_features_sel(struct ax_virtio_mmio *m, uint32_t val)
{
	if (m->status & VIRTIO_STATUS_FEATURES_OK)
		return AX_ERR_BAD_STATE;
	m->driver_features_sel = val;
	return AX_OK;
}

static enum ax_err wr_queue_sel(struct ax_virtio_mmio *m, uint32_t val)
{
	m->queue_sel = val;
	return AX_OK;
}

/* The selected queue, if its configuration may change now; else why not. */
static enum ax_err queue_for_setup(struct ax_virtio_mmio *m, struct ax_vq **out)
{
	struct ax_vq *q = selected_queue(m);

	if (!q)
		return AX_ERR_NOT_FOUND;
	if (!(m->status & VIRTIO_STATUS_FEATURES_OK) || (m->status & VIRTIO_STATUS_DRIVER_OK) ||
	    m->dev->broken || q->ready)
		return AX_ERR_BAD_STATE;
	*out = q;
	return AX_OK;
}

static enum ax_err wr_queue_num(struct ax_virtio_mmio *m, uint32_t val)
{
	struct ax_vq *q;
	enum ax_err err = queue_for_setup(m, &q);

	if (err)
		return err;
	if (!ax_vq_num_valid(q, val)) {
		ax_virtio_dev_fail(m->dev,
				   "QueueNum %u for queue %u is not a power of two in [1, %u]", val,
				   m->queue_sel, q->num_max);
		return AX_OK;
	}
	q->num = (uint16_t)val;
	return AX_OK;
}

static enum ax_err wr_queue_ready(struct ax_virtio_mmio *m, uint32_t val)
{
	struct ax_vq *q = selected_queue(m);
	enum ax_err err;

	if (q && !val) {
		/* Disabling: a no-op on an idle queue, refused once the device runs. */
		if (q->ready && (m->status & VIRTIO_STATUS_DRIVER_OK))
			return AX_ERR_BAD_STATE;
		q->ready = false;
		return AX_OK;
	}
	err = queue_for_setup(m, &q);
	if (err)
		return err;
	q->ready = val & 1;
	return AX_OK;
}

/* QueueDesc/Driver/Device Low and High: one 32-bit half of a ring address. */
static enum ax_err set_ring_half(struct ax_virtio_mmio *m, size_t field, bool high, uint32_t val)
{
	struct ax_vq *q;
	enum ax_err err = queue_for_setup(m, &q);
	uint64_t *addr;

	if (err)
		return err;
	addr = (uint64_t *)(void *)((uint8_t *)q + field);
	if (high)
		*addr = (*addr & 0xffffffffu) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~(uint64_t)0xffffffffu) | val;
	return AX_OK;
}

static enum ax_err wr_desc_low(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, desc_gpa), false, val);
}

static enum ax_err wr_desc_high(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, desc_gpa), true, val);
}

static enum ax_err wr_driver_low(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, avail_gpa), false, val);
}

static enum ax_err wr_driver_high(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, avail_gpa), true, val);
}

static enum ax_err wr_device_low(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, used_gpa), false, val);
}

static enum ax_err wr_device_high(struct ax_virtio_mmio *m, uint32_t val)
{
	return set_ring_half(m, offsetof(struct ax_vq, used_gpa), true, val);
}

static enum ax_err wr_queue_notify(struct ax_virtio_mmio *m, uint32_t val)
{
	if (!(m->status & VIRTIO_STATUS_DRIVER_OK) && val < m->dev->nr_queues)
		return AX_OK; /* too early: nothing is processed before DRIVER_OK */
	ax_virtio_dev_notify(m->dev, val);
	return AX_OK;
}

static enum ax_err wr_interrupt_ack(struct ax_virtio_mmio *m, uint32_t val)
{
	lower_interrupt(m, val);
	return AX_OK;
}

static enum ax_err wr_shm_sel(struct ax_virtio_mmio *m, uint32_t val)
{
	(void)m;
	(void)val;
	return AX_OK;
}

/* Bits that must already be set (in the new value) for each bit to be added. */
static const struct {
	uint32_t bit, needs;
} status_order[] = {
	{ VIRTIO_STATUS_DRIVER, VIRTIO_STATUS_ACKNOWLEDGE },
	{ VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_DRIVER },
	{ VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_FEATURES_OK },
};

static enum ax_err wr_status(struct ax_virtio_mmio *m, uint32_t val)
{
	uint32_t old = m->status, added = val & ~old;

	if (val == 0) {
		mmio_reset_locked(m);
		return AX_OK;
	}
	if ((old & ~val & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) ||
	    (added & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | ~STATUS_DRIVER_BITS)))
		goto refused;
	for (size_t i = 0; i < AX_ARRAY_SIZE(status_order); i++)
		if ((added & status_order[i].bit) &&
		    (val & status_order[i].needs) != status_order[i].needs)
			goto refused;
	if ((m->dev->broken || (old & VIRTIO_STATUS_FAILED)) && (added & ~VIRTIO_STATUS_FAILED))
		goto refused;

	m->status = val | (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		if (m->driver_features_beyond_64 ||
		    !ax_virtio_dev_accept_features(m->dev, m->driver_features)) {
			m->status &= ~(VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
			return AX_OK;
		}
	}
	if (added & VIRTIO_STATUS_FAILED)
		m->dev->running = false;
	else if (added & VIRTIO_STATUS_DRIVER_OK)
		ax_virtio_dev_activate(m->dev);
	return AX_OK;

refused:
	ax_log(m->hooks, AX_LOG_WARN, "virtio \"%s\": Status 0x%x -> 0x%x is out of order, ignored",
	       m->dev->name, old, val);
	return AX_ERR_BAD_STATE;
}

struct mmio_reg {
	const char *name;
	uint32_t (*read)(struct ax_virtio_mmio *m);
	enum ax_err (*write)(struct ax_virtio_mmio *m, uint32_t val);
	bool unlocked; /* touches only what is safe without the device lock */
};

static const struct mmio_reg regs[MMIO_CONFIG / 4] = {
	[0x000 / 4] = { "MagicValue", rd_magic, NULL },
	[0x004 / 4] = { "Version", rd_version, NULL },
	[0x008 / 4] = { "DeviceID", rd_device_id, NULL },
	[0x00c / 4] = { "VendorID", rd_vendor_id, NULL },
	[0x010 / 4] = { "DeviceFeatures", rd_device_features, NULL },
	[0x014 / 4] = { "DeviceFeaturesSel", NULL, wr_device_features_sel },
	[0x020 / 4] = { "DriverFeatures", NULL, wr_driver_features },
	[0x024 / 4] = { "DriverFeaturesSel", NULL, wr_driver_features_sel },
	[0x030 / 4] = { "QueueSel", NULL, wr_queue_sel },
	[0x034 / 4] = { "QueueNumMax", rd_queue_num_max, NULL },
	[0x038 / 4] = { "QueueNum", NULL, wr_queue_num },
	[0x044 / 4] = { "QueueReady", rd_queue_ready, wr_queue_ready },
	[0x050 / 4] = { "QueueNotify", NULL, wr_queue_notify },
	[0x060 / 4] = { "InterruptStatus", rd_interrupt_status, NULL },
	[0x064 / 4] = { "InterruptACK", NULL, wr_interrupt_ack, true },
	[0x070 / 4] = { "Status", rd_status, wr_status },
	[0x080 / 4] = { "QueueDescLow", NULL, wr_desc_low },
	[0x084 / 4] = { "QueueDescHigh", NULL, wr_desc_high },
	[0x090 / 4] = { "QueueDriverLow", NULL, wr_driver_low },
	[0x094 / 4] = { "QueueDriverHigh", NULL, wr_driver_high },
	[0x0a0 / 4] = { "QueueDeviceLow", NULL, wr_device_low },
	[0x0a4 / 4] = { "QueueDeviceHigh", NULL, wr_device_high },
	[0x0ac / 4] = { "SHMSel", NULL, wr_shm_sel },
	[0x0b0 / 4] = { "SHMLenLow", rd_no_shm, NULL },
	[0x0b4 / 4] = { "SHMLenHigh", rd_no_shm, NULL },
	[0x0b8 / 4] = { "SHMBaseLow", rd_no_shm, NULL },
	[0x0bc / 4] = { "SHMBaseHigh", rd_no_shm, NULL },
	[0x0fc / 4] = { "ConfigGeneration", rd_config_generation, NULL },
};

/* Config space offset of an access at or above MMIO_CONFIG; false beyond 4 GiB. */
static bool config_offset(const struct ax_access *acc, uint32_t *out)
{
	if (acc->offset - MMIO_CONFIG > UINT32_MAX)
		return false;
	*out = (uint32_t)(acc->offset - MMIO_CONFIG);
	return true;
}

/* The register at `offset`, or an error for a bad width, alignment or hole. */
static enum ax_err find_reg(const struct ax_access *acc, const struct mmio_reg **out)
{
	if (acc->width != AX_WIDTH_DWORD || (acc->offset & 3))
		return AX_ERR_INVALID_INPUT;
	*out = &regs[acc->offset / 4];
	return AX_OK;
}

static enum ax_err mmio_read(void *priv, const struct ax_access *acc, uint64_t *val)
{
	struct ax_virtio_mmio *m = priv;
	const struct mmio_reg *reg;
	uint32_t off;
	enum ax_err err;

	if (acc->offset >= MMIO_CONFIG) {
		if (!config_offset(acc, &off))
			return AX_ERR_BAD_ADDRESS;
		ax_spin_lock(&m->dev->lock, m->hooks);
		err = ax_virtio_dev_config_read(m->dev, off, acc->width, val);
		ax_spin_unlock(&m->dev->lock);
		return err;
	}
	err = find_reg(acc, &reg);
	if (err)
		return err;
	if (!reg->read)
		return AX_ERR_BAD_ADDRESS;
	ax_spin_lock(&m->dev->lock, m->hooks);
	*val = reg->read(m);
	ax_spin_unlock(&m->dev->lock);
	return AX_OK;
}

static enum ax_err mmio_write(void *priv, const struct ax_access *acc, uint64_t val)
{
	struct ax_virtio_mmio *m = priv;
	const struct mmio_reg *reg;
	uint32_t off;
	enum ax_err err;

	if (acc->offset >= MMIO_CONFIG) {
		if (!config_offset(acc, &off))
			return AX_ERR_BAD_ADDRESS;
		ax_spin_lock(&m->dev->lock, m->hooks);
		err = ax_virtio_dev_config_write(m->dev, off, acc->width, val);
		ax_spin_unlock(&m->dev->lock);
		return err;
	}
	err = find_reg(acc, &reg);
	if (err)
		return err;
	if (!reg->write)
		return AX_ERR_BAD_ADDRESS;
	if (reg->unlocked)
		return reg->write(m, (uint32_t)val);
	ax_spin_lock(&m->dev->lock, m->hooks);
	err = reg->write(m, (uint32_t)val);
	ax_spin_unlock(&m->dev->lock);
	return err;
}

static void mmio_reset(void *priv)
{
	struct ax_virtio_mmio *m = priv;

	ax_spin_lock(&m->dev->lock, m->hooks);
	mmio_reset_locked(m);
	ax_spin_unlock(&m->dev->lock);
}

static void mmio_destroy(void *priv)
{
	struct ax_virtio_mmio *m = priv;
	const struct ax_host_hooks *hooks = m->hooks;

	ax_virtio_dev_destroy(m->dev);
	ax_free(hooks, m);
}

static const struct ax_device_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.reset = mmio_reset,
	.destroy = mmio_destroy,
};

enum ax_err ax_virtio_mmio_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				  uint32_t emu_type, struct ax_virtio_dev *dev,
				  struct ax_device_desc *out, struct ax_diag *diag)
{
	struct ax_virtio_mmio *m;
	enum ax_err err;

	if (cfg->length < VIRTIO_MMIO_MIN_LENGTH) {
		dev->ops->destroy(dev);
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-mmio needs at least 0x%x bytes, got 0x%llx",
			       cfg->name, VIRTIO_MMIO_MIN_LENGTH, (unsigned long long)cfg->length);
	}
	err = ax_range_new(AX_BUS_MMIO, cfg->base_gpa, cfg->length, &out->ranges[0]);
	if (err) {
		dev->ops->destroy(dev);
		return ax_fail(diag, err,
			       "device \"%s\": range base 0x%llx length 0x%llx is not valid",
			       cfg->name, (unsigned long long)cfg->base_gpa,
			       (unsigned long long)cfg->length);
	}
	m = ax_zalloc(env->hooks, sizeof(*m));
	if (!m) {
		dev->ops->destroy(dev);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", cfg->name);
	}
	m->tag = PRIV_TAG;
	m->dev = dev;
	m->hooks = env->hooks;
	m->lines = env->irq_lines;
	m->irq = cfg->irq_id;
	ax_virtio_dev_attach(dev, &(const struct ax_virtio_transport){
					  .ctx = m,
					  .interrupt_used = on_used,
					  .interrupt_config = on_config,
					  .needs_reset = on_needs_reset,
				  });

	out->name = cfg->name;
	out->type = emu_type;
	out->bus = AX_BUS_MMIO;
	out->removable = ax_emu_type_removable((enum ax_emu_type)emu_type);
	out->nr_ranges = 1;
	out->nr_irqs = 1;
	out->irqs[0] = (struct ax_irq_claim){ cfg->irq_id, AX_IRQ_LEVEL };
	out->ops = &mmio_ops;
	out->priv = m;
	return AX_OK;
}

struct ax_virtio_dev *ax_virtio_mmio_device(void *priv)
{
	struct ax_virtio_mmio *m = priv;

	return m && m->tag == PRIV_TAG ? m->dev : NULL;
}
