/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_mmio.h"

#include "cpu.h"
#include "deadline.h"
#include "format.h"

#define VIRTIO_RESET_TIMEOUT_MS	    1000u
#define VIRTIO_CONFIG_READ_ATTEMPTS 16u

/* The high half of a ring's address: 0 on a 32-bit guest (widened before the shift). */
static uint32_t high32(const volatile void *p)
{
	return (uint32_t)((uint64_t)(uintptr_t)p >> 32);
}

uint32_t virtio_mmio_read(const struct virtio_mmio_device *dev, uint32_t reg)
{
	return mmio_read32(dev->base + reg);
}

void virtio_mmio_write(const struct virtio_mmio_device *dev, uint32_t reg, uint32_t value)
{
	mmio_write32(dev->base + reg, value);
}

bool virtio_mmio_probe(uintptr_t base, uint32_t device_id)
{
	return mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC &&
	       mmio_read32(base + VIRTIO_MMIO_VERSION) == VIRTIO_MMIO_VERSION_MODERN &&
	       mmio_read32(base + VIRTIO_MMIO_DEVICE_ID) == device_id;
}

uintptr_t virtio_mmio_find(uint32_t device_id, uintptr_t first, unsigned slots, uintptr_t stride)
{
	for (unsigned i = 0; i < slots; i++) {
		uintptr_t base = first + i * stride;

		if (virtio_mmio_probe(base, device_id))
			return base;
	}
	return 0;
}

static uint32_t status(const struct virtio_mmio_device *dev)
{
	return virtio_mmio_read(dev, VIRTIO_MMIO_STATUS);
}

static void add_status(const struct virtio_mmio_device *dev, uint32_t bits)
{
	virtio_mmio_write(dev, VIRTIO_MMIO_STATUS, status(dev) | bits);
}

static bool fail(struct virtio_mmio_device *dev, const char *what, uint32_t value)
{
	snprintf(dev->error, sizeof(dev->error), "%s (0x%x)", what, value);
	add_status(dev, VIRTIO_STATUS_FAILED);
	return false;
}

bool virtio_mmio_reset(struct virtio_mmio_device *dev)
{
	uint64_t deadline = deadline_ms(VIRTIO_RESET_TIMEOUT_MS);
	uint32_t s;

	virtio_mmio_write(dev, VIRTIO_MMIO_STATUS, 0);
	while ((s = status(dev)) != 0) {
		if (deadline_expired(deadline)) {
			snprintf(dev->error, sizeof(dev->error), "Status still 0x%x after reset",
				 s);
			return false;
		}
		cpu_relax();
	}
	return true;
}

static uint64_t read_device_features(const struct virtio_mmio_device *dev)
{
	uint64_t features;

	virtio_mmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	features = virtio_mmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	virtio_mmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	features |= (uint64_t)virtio_mmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	return features;
}

static void write_driver_features(const struct virtio_mmio_device *dev, uint64_t features)
{
	virtio_mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	virtio_mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	virtio_mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	virtio_mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

bool virtio_mmio_negotiate(struct virtio_mmio_device *dev, uint64_t wanted, uint64_t required)
{
	uint32_t s;

	dev->error[0] = '\0';
	dev->device_id = virtio_mmio_read(dev, VIRTIO_MMIO_DEVICE_ID);
	if (!virtio_mmio_reset(dev))
		return false;
	add_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(dev, VIRTIO_STATUS_DRIVER);

	dev->device_features = read_device_features(dev);
	if ((dev->device_features & required) != required) {
		snprintf(dev->error, sizeof(dev->error),
			 "device lacks required features 0x%llx (offers 0x%llx)",
			 (unsigned long long)(required & ~dev->device_features),
			 (unsigned long long)dev->device_features);
		add_status(dev, VIRTIO_STATUS_FAILED);
		return false;
	}
	dev->driver_features = dev->device_features & wanted;
	write_driver_features(dev, dev->driver_features);

	add_status(dev, VIRTIO_STATUS_FEATURES_OK);
	s = status(dev);
	if (!(s & VIRTIO_STATUS_FEATURES_OK))
		return fail(dev, "device cleared FEATURES_OK, Status", s);
	return true;
}

bool virtio_mmio_setup_queue(struct virtio_mmio_device *dev, uint32_t index, struct virtqueue *vq,
			     struct virtqueue_memory *mem)
{
	uint32_t max, size;

	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	if (virtio_mmio_read(dev, VIRTIO_MMIO_QUEUE_READY) != 0)
		return fail(dev, "queue already ready before setup, QueueReady",
			    virtio_mmio_read(dev, VIRTIO_MMIO_QUEUE_READY));
	max = virtio_mmio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return fail(dev, "queue not available, QueueNumMax", max);
	/* Split queue sizes are powers of two (§2.7): take the largest that fits both. */
	size = VIRTQ_MAX_SIZE;
	while (size > max)
		size >>= 1;

	virtqueue_init(vq, mem, (uint16_t)size);
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_NUM, size);
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)vq->desc);
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, high32(vq->desc));
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)vq->avail);
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, high32(vq->avail));
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)vq->used);
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, high32(vq->used));
	memory_barrier();
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	if (virtio_mmio_read(dev, VIRTIO_MMIO_QUEUE_READY) != 1)
		return fail(dev, "QueueReady did not read back 1",
			    virtio_mmio_read(dev, VIRTIO_MMIO_QUEUE_READY));
	return true;
}

bool virtio_mmio_driver_ok(struct virtio_mmio_device *dev)
{
	uint32_t s;

	add_status(dev, VIRTIO_STATUS_DRIVER_OK);
	s = status(dev);
	if ((s & VIRTIO_STATUS_DEVICE_NEEDS_RESET) || !(s & VIRTIO_STATUS_DRIVER_OK))
		return fail(dev, "device not live after DRIVER_OK, Status", s);
	return true;
}

void virtio_mmio_notify(const struct virtio_mmio_device *dev, uint32_t queue)
{
	memory_barrier();
	virtio_mmio_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

uint32_t virtio_mmio_ack_interrupts(const struct virtio_mmio_device *dev)
{
	uint32_t pending = virtio_mmio_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (pending)
		virtio_mmio_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, pending);
	return pending;
}

uint32_t virtio_mmio_config_read32(const struct virtio_mmio_device *dev, uint32_t offset)
{
	return virtio_mmio_read(dev, VIRTIO_MMIO_CONFIG + offset);
}

bool virtio_mmio_config_read64(struct virtio_mmio_device *dev, uint32_t offset, uint64_t *out)
{
	for (unsigned attempt = 0; attempt < VIRTIO_CONFIG_READ_ATTEMPTS; attempt++) {
		uint32_t before = virtio_mmio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		uint32_t low = virtio_mmio_config_read32(dev, offset);
		uint32_t high = virtio_mmio_config_read32(dev, offset + 4);

		if (virtio_mmio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION) == before) {
			*out = ((uint64_t)high << 32) | low;
			return true;
		}
	}
	snprintf(dev->error, sizeof(dev->error), "ConfigGeneration never stable over %u reads",
		 VIRTIO_CONFIG_READ_ATTEMPTS);
	return false;
}
