/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-mmio transport, register by register (virtio 1.2 §4.2.2), through
 * the device set, on a virtio-console (two queues). Offsets and bits come
 * from the spec via the independent test driver's header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <axdevice/axdevice.h>
#include <axdevice/virtio.h>

#include "backends.h"
#include "host_posix.h"
#include "virtio_driver.h"

#define RAM_GPA	 0x40000000ull
#define RAM_SIZE 0x100000ull
#define BASE	 0x10000000ull
#define IRQ	 9

struct fixture {
	struct test_host host;
	struct capture_chr chr;
	struct ax_devices *set;
	uint8_t *ram;
	struct vdrv drv;
	struct ax_virtio_console *con;
	struct ax_diag diag;
};

static enum ax_err create(struct fixture *fx, uint64_t length)
{
	const struct ax_emu_config emu = {
		"hvc0", BASE, length, IRQ, AX_EMU_VIRTIO_CONSOLE, NULL, 0
	};
	const struct ax_vm_device_config cfg = { &emu, 1 };
	const struct ax_devices_params params = { .hooks = &fx->host.hooks, .max_vcpus = 2 };

	return ax_devices_create(&params, &cfg, &fx->set, &fx->diag);
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));
	struct ax_device_info info;

	test_host_init(&fx->host, false);
	fx->ram = test_host_add_ram(&fx->host, RAM_GPA, RAM_SIZE);
	capture_chr_init(&fx->chr);
	backends_clear();
	backends_bind_char("hvc0", &fx->chr);
	backends_install(&fx->host);
	if (create(fx, 0x200) != AX_OK ||
	    ax_devices_find_by_name(fx->set, "hvc0", &info) != AX_OK ||
	    ax_virtio_console_from_device(fx->set, info.id, &fx->con) != AX_OK)
		return -1;
	vdrv_attach(&fx->drv, fx->set, BASE, fx->ram, RAM_GPA, RAM_SIZE);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->set)
		ax_devices_destroy(fx->set);
	test_host_fini(&fx->host);
	test_free(fx);
	return 0;
}

static enum ax_err rd(struct fixture *fx, uint64_t off, unsigned width, uint64_t *val)
{
	return ax_devices_handle_mmio_read(fx->set, 0, BASE + off, width, val);
}

static enum ax_err wr(struct fixture *fx, uint64_t off, unsigned width, uint64_t val)
{
	return ax_devices_handle_mmio_write(fx->set, 0, BASE + off, width, val);
}

static uint32_t reg(struct fixture *fx, uint32_t off)
{
	uint64_t v = 0xdead;

	assert_int_equal(rd(fx, off, 4, &v), AX_OK);
	return (uint32_t)v;
}

/* Brings the device to FEATURES_OK with just VERSION_1. */
static void to_features_ok(struct fixture *fx)
{
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE | VD_S_DRIVER), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK),
			 AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);
}

static void test_reset_values(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(reg(fx, VD_MAGIC), 0x74726976);
	assert_int_equal(reg(fx, VD_VERSION), 2);
	assert_int_equal(reg(fx, VD_DEVICE_ID), 3);
	assert_int_equal(reg(fx, VD_VENDOR_ID), 0x56445841);
	assert_int_equal(reg(fx, VD_DEVICE_FEATURES),
			 VD_F(VD_F_INDIRECT_DESC) | VD_F(VD_F_EVENT_IDX) | VD_F(VD_CONSOLE_F_SIZE));
	assert_int_equal(wr(fx, VD_DEVICE_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(reg(fx, VD_DEVICE_FEATURES), 1); /* VERSION_1 */
	assert_int_equal(wr(fx, VD_DEVICE_FEAT_SEL, 4, 2), AX_OK);
	assert_int_equal(reg(fx, VD_DEVICE_FEATURES), 0);
	for (uint32_t q = 0; q < 3; q++) {
		assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, q), AX_OK);
		assert_int_equal(reg(fx, VD_QUEUE_NUM_MAX), q < 2 ? 64 : 0);
		assert_int_equal(reg(fx, VD_QUEUE_READY), 0);
	}
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 0);
	assert_int_equal(reg(fx, VD_STATUS), 0);
	assert_int_equal(reg(fx, VD_CONFIG_GENERATION), 0);
	for (uint32_t off = 0xb0; off <= 0xbc; off += 4)
		assert_int_equal(reg(fx, off), 0xffffffffu); /* no shared memory regions */
	assert_int_equal(wr(fx, 0xac, 4, 0), AX_OK);	     /* SHMSel */
}

static void test_register_widths(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t readable[] = {
		VD_MAGIC,  VD_VERSION,		VD_DEVICE_ID, VD_QUEUE_READY, VD_INTERRUPT_STATUS,
		VD_STATUS, VD_CONFIG_GENERATION
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
		for (unsigned w = 1; w <= 8; w *= 2)
			if (w != 4) {
				assert_int_equal(rd(fx, readable[i], w, &v), AX_ERR_INVALID_INPUT);
				assert_int_equal(wr(fx, readable[i], w, 0), AX_ERR_INVALID_INPUT);
			}
	/* misaligned 4-byte accesses */
	assert_int_equal(rd(fx, VD_MAGIC + 2, 4, &v), AX_ERR_INVALID_INPUT);
	assert_int_equal(wr(fx, VD_STATUS + 1, 4, 1), AX_ERR_INVALID_INPUT);
	assert_int_equal(reg(fx, VD_STATUS), 0);
	/* a 1-byte Status write does not count */
	assert_int_equal(wr(fx, VD_STATUS, 1, VD_S_ACKNOWLEDGE), AX_ERR_INVALID_INPUT);
	assert_int_equal(reg(fx, VD_STATUS), 0);
}

static void test_register_directions_and_holes(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t write_only[] = { VD_DEVICE_FEAT_SEL,   VD_DRIVER_FEATURES,
					       VD_DRIVER_FEAT_SEL,   VD_QUEUE_SEL,
					       VD_QUEUE_NUM,	     VD_QUEUE_NOTIFY,
					       VD_INTERRUPT_ACK,     VD_QUEUE_DESC_LOW,
					       VD_QUEUE_DESC_HIGH,   VD_QUEUE_DRIVER_LOW,
					       VD_QUEUE_DRIVER_HIGH, VD_QUEUE_DEVICE_LOW,
					       VD_QUEUE_DEVICE_HIGH, 0xac };
	static const uint32_t read_only[] = { VD_MAGIC,
					      VD_VERSION,
					      VD_DEVICE_ID,
					      VD_VENDOR_ID,
					      VD_DEVICE_FEATURES,
					      VD_QUEUE_NUM_MAX,
					      VD_INTERRUPT_STATUS,
					      VD_CONFIG_GENERATION,
					      0xb0 };
	/* legacy GuestPageSize, QueueAlign, QueuePFN, QueueReset and plain gaps */
	static const uint32_t holes[] = { 0x018, 0x028, 0x03c, 0x040, 0x04c, 0x054,
					  0x068, 0x07c, 0x0a8, 0x0c0, 0x0f8 };
	uint64_t v;

	for (size_t i = 0; i < sizeof(write_only) / sizeof(write_only[0]); i++)
		assert_int_equal(rd(fx, write_only[i], 4, &v), AX_ERR_BAD_ADDRESS);
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++)
		assert_int_equal(wr(fx, read_only[i], 4, 0), AX_ERR_BAD_ADDRESS);
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		assert_int_equal(rd(fx, holes[i], 4, &v), AX_ERR_BAD_ADDRESS);
		assert_int_equal(wr(fx, holes[i], 4, 0), AX_ERR_BAD_ADDRESS);
	}
	assert_int_equal(reg(fx, VD_MAGIC), 0x74726976);
}

static void test_status_order(void **state)
{
	struct fixture *fx = *state;
	const uint32_t A = VD_S_ACKNOWLEDGE, D = VD_S_DRIVER, F = VD_S_FEATURES_OK,
		       OK = VD_S_DRIVER_OK;

	assert_int_equal(wr(fx, VD_STATUS, 4, D), AX_ERR_BAD_STATE); /* DRIVER before ACK */
	assert_int_equal(reg(fx, VD_STATUS), 0);
	assert_int_equal(wr(fx, VD_STATUS, 4, A), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, A | F), AX_ERR_BAD_STATE);    /* skips DRIVER */
	assert_int_equal(wr(fx, VD_STATUS, 4, A | 0x10), AX_ERR_BAD_STATE); /* reserved bit */
	assert_int_equal(wr(fx, VD_STATUS, 4, A | VD_S_NEEDS_RESET), AX_ERR_BAD_STATE);
	assert_int_equal(wr(fx, VD_STATUS, 4, A | D), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, A), AX_ERR_BAD_STATE);	      /* clears DRIVER */
	assert_int_equal(wr(fx, VD_STATUS, 4, A | D | OK), AX_ERR_BAD_STATE); /* no FEATURES_OK */
	assert_int_equal(reg(fx, VD_STATUS), A | D);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	/* several steps at once are fine when each one's predecessor is there */
	assert_int_equal(wr(fx, VD_STATUS, 4, A | D | F | OK), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), A | D | F | OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, A | D | F | OK | VD_S_FAILED), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), A | D | F | OK | VD_S_FAILED);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
	/* FAILED is accepted at any point */
	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_FAILED), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), VD_S_FAILED);
}

static void test_features_ok_refused(void **state)
{
	struct fixture *fx = *state;
	const uint32_t AD = VD_S_ACKNOWLEDGE | VD_S_DRIVER;

	/* no VERSION_1 */
	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, VD_F(VD_CONSOLE_F_SIZE)), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FEATURES_OK), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), AD);
	/* a feature the device does not offer (VIRTIO_CONSOLE_F_MULTIPORT, bit 1) */
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 2), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FEATURES_OK), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), AD);
	/* a bit beyond 64 */
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 0), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 2), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FEATURES_OK), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), AD);
	/* a subset with VERSION_1 (after a reset clears the stray bit) */
	to_features_ok(fx);
	/* features are frozen now */
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 0), AX_ERR_BAD_STATE);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 0), AX_ERR_BAD_STATE);
	/* device-side selector still works */
	assert_int_equal(wr(fx, VD_DEVICE_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(reg(fx, VD_DEVICE_FEATURES), 1);
}

static void set_rings(struct fixture *fx, uint64_t base, enum ax_err want)
{
	assert_int_equal(wr(fx, VD_QUEUE_DESC_LOW, 4, (uint32_t)base), want);
	assert_int_equal(wr(fx, VD_QUEUE_DESC_HIGH, 4, base >> 32), want);
	assert_int_equal(wr(fx, VD_QUEUE_DRIVER_LOW, 4, (uint32_t)(base + 0x4000)), want);
	assert_int_equal(wr(fx, VD_QUEUE_DRIVER_HIGH, 4, base >> 32), want);
	assert_int_equal(wr(fx, VD_QUEUE_DEVICE_LOW, 4, (uint32_t)(base + 0x8000)), want);
	assert_int_equal(wr(fx, VD_QUEUE_DEVICE_HIGH, 4, base >> 32), want);
}

static void test_queue_setup_window(void **state)
{
	struct fixture *fx = *state;

	/* before FEATURES_OK */
	assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, 0), AX_OK);
	assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 8), AX_ERR_BAD_STATE);
	set_rings(fx, RAM_GPA, AX_ERR_BAD_STATE);
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 1), AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_QUEUE_READY), 0);
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 0), AX_OK); /* harmless no-op */

	to_features_ok(fx);
	/* a queue that does not exist */
	assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, 2), AX_OK);
	assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 8), AX_ERR_NOT_FOUND);
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 1), AX_ERR_NOT_FOUND);
	assert_int_equal(reg(fx, VD_QUEUE_READY), 0);

	for (uint32_t q = 0; q < 2; q++) {
		assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, q), AX_OK);
		assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 8), AX_OK);
		set_rings(fx, RAM_GPA + q * 0x10000, AX_OK);
		assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 1), AX_OK);
		assert_int_equal(reg(fx, VD_QUEUE_READY), 1);
		/* ready: frozen */
		assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 4), AX_ERR_BAD_STATE);
		set_rings(fx, RAM_GPA + 0x80000, AX_ERR_BAD_STATE);
	}
	/* disable and re-enable queue 1 before DRIVER_OK */
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_QUEUE_READY), 0);
	assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 16), AX_OK);
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0xf), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0xf);
	/* after DRIVER_OK nothing about the queues changes */
	assert_int_equal(wr(fx, VD_QUEUE_READY, 4, 0), AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_QUEUE_READY), 1);
	assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_QUEUE_READY), 1);
	assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 8), AX_ERR_BAD_STATE);
	set_rings(fx, RAM_GPA, AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_STATUS), 0xf);
}

static void test_queue_num_invalid(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t bad[] = { 0, 3, 65, 128, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		to_features_ok(fx);
		assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, 1), AX_OK);
		assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, bad[i]), AX_OK);
		assert_true(reg(fx, VD_STATUS) & VD_S_NEEDS_RESET);
		assert_non_null(strstr(fx->host.last_log, "hvc0"));
		assert_non_null(strstr(fx->host.last_log, "QueueNum"));
		/* nothing else is accepted until reset */
		assert_int_equal(wr(fx, VD_QUEUE_NUM, 4, 8), AX_ERR_BAD_STATE);
	}
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
}

static void test_notify_rules(void **state)
{
	struct fixture *fx = *state;

	/* before DRIVER_OK a notification of a real queue is ignored */
	assert_int_equal(wr(fx, VD_QUEUE_NOTIFY, 4, 1), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
	/* a queue that does not exist is a protocol error even then */
	assert_int_equal(wr(fx, VD_QUEUE_NOTIFY, 4, 2), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), VD_S_NEEDS_RESET);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 0); /* DRIVER_OK was not set */
	assert_false(fx->host.irq_level[IRQ]);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
}

static void test_interrupts(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->drv, VD_F(VD_CONSOLE_F_SIZE), 2, 8), 0);
	assert_false(fx->host.irq_level[IRQ]);
	/* config change: bit 1, generation moves */
	assert_int_equal(ax_virtio_console_set_size(fx->con, 100, 40), AX_OK);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 2);
	assert_true(fx->host.irq_level[IRQ]);
	assert_int_equal(fx->host.irq_raises[IRQ], 1);
	assert_int_equal(reg(fx, VD_CONFIG_GENERATION), 1);
	/* a used buffer: bit 0; the line stays high (one raise) */
	const struct vdrv_seg seg = { RAM_GPA + 0x80000, 1, false };

	vdrv_post(&fx->drv, 1, &seg, 1, false);
	vdrv_kick(&fx->drv, 1);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 3);
	assert_int_equal(fx->host.irq_raises[IRQ], 1);
	/* acknowledging one bit keeps the line up, both drops it */
	assert_int_equal(wr(fx, VD_INTERRUPT_ACK, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 3);
	assert_int_equal(wr(fx, VD_INTERRUPT_ACK, 4, 1), AX_OK);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 2);
	assert_true(fx->host.irq_level[IRQ]);
	assert_int_equal(wr(fx, VD_INTERRUPT_ACK, 4, 2), AX_OK);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 0);
	assert_false(fx->host.irq_level[IRQ]);
	/* reset lowers a pending interrupt too */
	assert_int_equal(ax_virtio_console_set_size(fx->con, 80, 25), AX_OK);
	assert_true(fx->host.irq_level[IRQ]);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_false(fx->host.irq_level[IRQ]);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 0);
	/* no config interrupt while the driver is not running */
	assert_int_equal(ax_virtio_console_set_size(fx->con, 81, 25), AX_OK);
	assert_false(fx->host.irq_level[IRQ]);
	assert_int_equal(reg(fx, VD_CONFIG_GENERATION), 3);
}

static void test_reset(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->drv, VD_F(VD_F_EVENT_IDX), 2, 8), 0);
	assert_int_equal(ax_virtio_console_set_size(fx->con, 1, 1), AX_OK);
	assert_int_equal(ax_devices_reset(fx->set), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
	assert_int_equal(reg(fx, VD_INTERRUPT_STATUS), 0);
	assert_false(fx->host.irq_level[IRQ]);
	for (uint32_t q = 0; q < 2; q++) {
		assert_int_equal(wr(fx, VD_QUEUE_SEL, 4, q), AX_OK);
		assert_int_equal(reg(fx, VD_QUEUE_READY), 0);
	}
	/* features were forgotten: writable again; a fresh init works */
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 0), AX_OK);
	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
}

static void test_config_space(void **state)
{
	struct fixture *fx = *state;
	uint64_t v;

	assert_int_equal(rd(fx, VD_CONFIG + 0, 2, &v), AX_OK);
	assert_int_equal(v, 80); /* cols */
	assert_int_equal(rd(fx, VD_CONFIG + 2, 2, &v), AX_OK);
	assert_int_equal(v, 25); /* rows */
	assert_int_equal(rd(fx, VD_CONFIG + 4, 4, &v), AX_OK);
	assert_int_equal(v, 1); /* max_nr_ports */
	assert_int_equal(rd(fx, VD_CONFIG + 8, 4, &v), AX_OK);
	assert_int_equal(v, 0); /* emerg_wr */
	assert_int_equal(rd(fx, VD_CONFIG + 0, 8, &v), AX_OK);
	assert_int_equal(v, 80 | 25u << 16 | UINT64_C(1) << 32);
	assert_int_equal(rd(fx, VD_CONFIG + 1, 1, &v), AX_OK);
	assert_int_equal(v, 0);
	assert_int_equal(rd(fx, VD_CONFIG + 0, 4, &v), AX_OK);
	assert_int_equal(v, 80 | 25u << 16);
	/* misaligned, past the end */
	assert_int_equal(rd(fx, VD_CONFIG + 1, 2, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(rd(fx, VD_CONFIG + 8, 8, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(rd(fx, VD_CONFIG + 12, 1, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(rd(fx, 0x1fc, 4, &v), AX_ERR_BAD_ADDRESS);
	/* read-only */
	assert_int_equal(wr(fx, VD_CONFIG + 0, 2, 10), AX_ERR_PERMISSION_DENIED);
	assert_int_equal(wr(fx, VD_CONFIG + 8, 4, 'x'), AX_ERR_PERMISSION_DENIED);
	assert_int_equal(rd(fx, VD_CONFIG + 0, 2, &v), AX_OK);
	assert_int_equal(v, 80);
}

/* A window larger than 4 GiB: config offsets must not wrap onto the config space. */
static void test_config_offset_beyond_4g(void **state)
{
	struct fixture *fx = *state;
	uint64_t v = 0;

	ax_devices_destroy(fx->set);
	fx->set = NULL;
	assert_int_equal(create(fx, 0x100001000ull), AX_OK);
	assert_int_equal(rd(fx, VD_CONFIG, 2, &v), AX_OK);
	assert_int_equal(v, 80);
	assert_int_equal(rd(fx, 0x100000000ull + VD_CONFIG, 2, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(rd(fx, 0x100000000ull + VD_MAGIC, 4, &v), AX_ERR_BAD_ADDRESS);
	assert_int_equal(wr(fx, 0x100000000ull + VD_CONFIG, 2, 1), AX_ERR_BAD_ADDRESS);
}

/* Once the driver has given up (FAILED), the device does not start. */
static void test_no_driver_ok_after_failed(void **state)
{
	struct fixture *fx = *state;
	const uint32_t AD = VD_S_ACKNOWLEDGE | VD_S_DRIVER;

	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED | VD_S_FEATURES_OK | VD_S_DRIVER_OK),
			 AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_FAILED);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
}

/*
 * After FAILED, each later step is refused on its own (not only DRIVER_OK):
 * FEATURES_OK alone, DRIVER alone; writing the same value again or with FAILED
 * is a no-op, and only 0 brings the device back.
 */
static void test_nothing_but_failed_after_failed(void **state)
{
	struct fixture *fx = *state;
	const uint32_t A = VD_S_ACKNOWLEDGE, AD = VD_S_ACKNOWLEDGE | VD_S_DRIVER;

	assert_int_equal(wr(fx, VD_STATUS, 4, A), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK); /* VERSION_1: acceptable */
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED | VD_S_FEATURES_OK),
			 AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_FAILED);
	/* FEATURES_OK was not taken: the features are still writable */
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED), AX_OK); /* same value */
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_ERR_BAD_STATE);	 /* clears FAILED */
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_FAILED);

	/* FAILED first, then DRIVER alone */
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, A | VD_S_FAILED), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED), AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_STATUS), A | VD_S_FAILED);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
}

/* DEVICE_NEEDS_RESET: the same, except that FAILED may still be added. */
static void test_nothing_but_failed_after_needs_reset(void **state)
{
	struct fixture *fx = *state;
	const uint32_t AD = VD_S_ACKNOWLEDGE | VD_S_DRIVER;

	assert_int_equal(wr(fx, VD_STATUS, 4, VD_S_ACKNOWLEDGE), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEAT_SEL, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_DRIVER_FEATURES, 4, 1), AX_OK);
	assert_int_equal(wr(fx, VD_QUEUE_NOTIFY, 4, 2), AX_OK); /* no queue 2: protocol error */
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_NEEDS_RESET);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FEATURES_OK), AX_ERR_BAD_STATE);
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_NEEDS_RESET);
	/* the driver may write back what it read, or leave NEEDS_RESET out: no change */
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_NEEDS_RESET), AX_OK);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_NEEDS_RESET);
	assert_int_equal(wr(fx, VD_STATUS, 4, AD | VD_S_FAILED), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), AD | VD_S_FAILED | VD_S_NEEDS_RESET);
	assert_int_equal(wr(fx, VD_STATUS, 4, 0), AX_OK);
	assert_int_equal(reg(fx, VD_STATUS), 0);
}

static void test_range_too_small(void **state)
{
	struct fixture *fx = *state;

	ax_devices_destroy(fx->set);
	fx->set = NULL;
	assert_int_equal(create(fx, 0x1ff), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(fx->diag.msg, "hvc0"));
	assert_non_null(strstr(fx->diag.msg, "0x200"));
}

static void test_console_from_device(void **state)
{
	struct fixture *fx = *state;
	const struct ax_emu_config uart = { "uart", BASE + 0x1000, 8, 4, AX_EMU_CONSOLE, NULL, 0 };
	struct ax_virtio_console *con = NULL;
	struct ax_device_info info;
	uint32_t uart_id;

	assert_int_equal(ax_devices_find_by_name(fx->set, "hvc0", &info), AX_OK);
	assert_int_equal(ax_virtio_console_from_device(fx->set, info.id, &con), AX_OK);
	assert_ptr_equal(con, fx->con);
	assert_int_equal(ax_devices_add_from_config(fx->set, &uart, &uart_id, &fx->diag), AX_OK);
	con = NULL;
	assert_int_equal(ax_virtio_console_from_device(fx->set, uart_id, &con),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_console_from_device(fx->set, uart_id + 100, &con),
			 AX_ERR_NOT_FOUND);
	assert_null(con);
	/* a NULL console is refused */
	assert_int_equal(ax_virtio_console_push_input(NULL, (const uint8_t *)"a", 1), 0);
	assert_int_equal(ax_virtio_console_set_size(NULL, 1, 1), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_console_tx_resume(NULL), AX_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_reset_values),
		T(test_register_widths),
		T(test_register_directions_and_holes),
		T(test_status_order),
		T(test_features_ok_refused),
		T(test_queue_setup_window),
		T(test_queue_num_invalid),
		T(test_notify_rules),
		T(test_interrupts),
		T(test_reset),
		T(test_config_space),
		T(test_config_offset_beyond_4g),
		T(test_no_driver_ok_after_failed),
		T(test_nothing_but_failed_after_failed),
		T(test_nothing_but_failed_after_needs_reset),
		T(test_range_too_small),
		T(test_console_from_device),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
