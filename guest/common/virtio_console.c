/* SPDX-License-Identifier: Apache-2.0 */
#include "virtio_console.h"

#include "cpu.h"
#include "deadline.h"
#include "format.h"
#include "string.h"

#define VIRTIO_CONSOLE_TX_MAX	  256u
#define VIRTIO_CONSOLE_TIMEOUT_MS 2000u

static struct virtqueue_memory receiveq_memory;
static struct virtqueue_memory transmitq_memory;
static char transmit_buffer[VIRTIO_CONSOLE_TX_MAX];

bool virtio_console_init(struct virtio_console *con, uintptr_t base)
{
	const uint64_t required = 1ull << VIRTIO_F_VERSION_1;

	con->mmio.base = base;
	return virtio_mmio_negotiate(&con->mmio, required, required) &&
	       virtio_mmio_setup_queue(&con->mmio, VIRTIO_CONSOLE_RECEIVEQ, &con->receiveq,
				       &receiveq_memory) &&
	       virtio_mmio_setup_queue(&con->mmio, VIRTIO_CONSOLE_TRANSMITQ, &con->transmitq,
				       &transmitq_memory) &&
	       virtio_mmio_driver_ok(&con->mmio);
}

bool virtio_console_write(struct virtio_console *con, const char *text, uint32_t len)
{
	struct virtq_buffer buf = { transmit_buffer, len, false };
	struct virtq_used_elem used;
	uint64_t deadline = deadline_ms(VIRTIO_CONSOLE_TIMEOUT_MS);

	if (len > VIRTIO_CONSOLE_TX_MAX)
		len = buf.len = VIRTIO_CONSOLE_TX_MAX;
	memcpy(transmit_buffer, text, len);
	virtqueue_add_chain(&con->transmitq, &buf, 1);
	virtio_mmio_notify(&con->mmio, VIRTIO_CONSOLE_TRANSMITQ);
	while (!virtqueue_pop_used(&con->transmitq, &used)) {
		if (deadline_expired(deadline)) {
			snprintf(con->mmio.error, sizeof(con->mmio.error),
				 "transmit buffer not returned within %u ms, Status 0x%x",
				 VIRTIO_CONSOLE_TIMEOUT_MS,
				 virtio_mmio_read(&con->mmio, VIRTIO_MMIO_STATUS));
			return false;
		}
		cpu_relax();
	}
	virtio_mmio_ack_interrupts(&con->mmio);
	return true;
}
