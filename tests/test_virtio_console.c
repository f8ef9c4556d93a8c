/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-console: output through the char backend (with backpressure),
 * input pushed by the host, configuration from cfg_list. Driven by the
 * independent test driver through the device set.
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
#define IRQ	 7
#define RX	 0
#define TX	 1
#define BUF(n)	 (RAM_GPA + 0x80000 + (n)*0x100)

struct fixture {
	struct test_host host;
	struct capture_chr chr;
	struct ax_devices *set;
	uint8_t *ram;
	struct vdrv drv;
	struct ax_virtio_console *con;
	struct ax_diag diag;
};

static enum ax_err create(struct fixture *fx, const uint64_t *cfg_list, size_t n)
{
	const struct ax_emu_config emu = { "hvc0",   BASE, 0x1000, IRQ, AX_EMU_VIRTIO_CONSOLE,
					   cfg_list, n };
	const struct ax_vm_device_config cfg = { &emu, 1 };
	const struct ax_devices_params params = { .hooks = &fx->host.hooks, .max_vcpus = 1 };
	struct ax_device_info info;
	enum ax_err err = ax_devices_create(&params, &cfg, &fx->set, &fx->diag);

	if (err)
		return err;
	vdrv_attach(&fx->drv, fx->set, BASE, fx->ram, RAM_GPA, RAM_SIZE);
	if (ax_devices_find_by_name(fx->set, "hvc0", &info) != AX_OK ||
	    ax_virtio_console_from_device(fx->set, info.id, &fx->con) != AX_OK)
		return AX_ERR_NOT_FOUND;
	return AX_OK;
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	test_host_init(&fx->host, false);
	fx->ram = test_host_add_ram(&fx->host, RAM_GPA, RAM_SIZE);
	capture_chr_init(&fx->chr);
	backends_clear();
	backends_bind_char("hvc0", &fx->chr);
	backends_install(&fx->host);
	if (create(fx, NULL, 0) != AX_OK)
		return -1;
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

static void send(struct fixture *fx, const char *a, const char *b)
{
	struct vdrv_seg segs[2] = { { BUF(0), (uint32_t)strlen(a), false },
				    { BUF(1), (uint32_t)strlen(b), false } };

	memcpy(vdrv_ptr(&fx->drv, BUF(0)), a, strlen(a));
	memcpy(vdrv_ptr(&fx->drv, BUF(1)), b, strlen(b));
	vdrv_post(&fx->drv, TX, segs, 2, false);
	vdrv_kick(&fx->drv, TX);
}

static void test_transmit(void **state)
{
	struct fixture *fx = *state;
	uint32_t id, len;

	assert_int_equal(vdrv_init(&fx->drv, VD_F(VD_F_INDIRECT_DESC), 2, 8), 0);
	send(fx, "hello ", "world");
	assert_int_equal(fx->chr.len, 11);
	assert_memory_equal(fx->chr.buf, "hello world", 11);
	assert_true(vdrv_used(&fx->drv, TX, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_true(fx->host.irq_level[IRQ]);
	assert_int_equal(vdrv_read(&fx->drv, VD_INTERRUPT_STATUS), 1);
}

static void test_transmit_backpressure(void **state)
{
	struct fixture *fx = *state;
	uint32_t id, len;

	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
	fx->chr.budget = 3;
	send(fx, "hello ", "world");
	assert_int_equal(fx->chr.len, 3);
	assert_false(vdrv_used(&fx->drv, TX, &id, &len)); /* the chain is kept */
	assert_false(fx->host.irq_level[IRQ]);
	assert_int_equal(ax_virtio_console_tx_resume(fx->con), AX_OK); /* still full */
	assert_int_equal(fx->chr.len, 3);
	fx->chr.budget = 5;
	assert_int_equal(ax_virtio_console_tx_resume(fx->con), AX_OK);
	assert_int_equal(fx->chr.len, 8);
	fx->chr.budget = SIZE_MAX;
	send(fx, "!", "?"); /* a new notification resumes as well, in order */
	assert_int_equal(fx->chr.len, 13);
	assert_memory_equal(fx->chr.buf, "hello world!?", 13);
	assert_true(vdrv_used(&fx->drv, TX, &id, &len));
	assert_true(vdrv_used(&fx->drv, TX, &id, &len));
	assert_true(fx->host.irq_level[IRQ]);
}

static void test_transmit_without_backend(void **state)
{
	struct fixture *fx = *state;
	uint32_t id, len;

	ax_devices_destroy(fx->set);
	backends_clear();
	assert_int_equal(create(fx, NULL, 0), AX_OK);
	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
	send(fx, "lost", "");
	assert_true(vdrv_used(&fx->drv, TX, &id, &len)); /* discarded, but completed */
}

static void post_rx(struct fixture *fx, unsigned n, uint32_t len)
{
	const struct vdrv_seg seg = { BUF(8 + n), len, true };

	vdrv_post(&fx->drv, RX, &seg, 1, false);
}

static void test_receive(void **state)
{
	struct fixture *fx = *state;
	uint32_t id, len;

	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"x", 1), 0);
	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"x", 1), 0);
	post_rx(fx, 0, 4);
	post_rx(fx, 1, 4);
	vdrv_kick(&fx->drv, RX); /* nothing to send yet: no used entry, no interrupt */
	assert_false(fx->host.irq_level[IRQ]);
	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"abcdefghij", 10),
			 8);
	assert_true(fx->host.irq_level[IRQ]);
	assert_true(vdrv_used(&fx->drv, RX, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 4);
	assert_true(vdrv_used(&fx->drv, RX, &id, &len));
	assert_int_equal(id, 1);
	assert_int_equal(len, 4);
	assert_memory_equal(vdrv_ptr(&fx->drv, BUF(8)), "abcd", 4);
	assert_memory_equal(vdrv_ptr(&fx->drv, BUF(9)), "efgh", 4);
	/* the rest stays with the caller until the guest posts more */
	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"ij", 2), 0);
	post_rx(fx, 2, 64);
	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"ij", 2), 2);
	assert_true(vdrv_used(&fx->drv, RX, &id, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(vdrv_ptr(&fx->drv, BUF(10)), "ij", 2);
}

static void test_receive_readable_buffer_is_an_error(void **state)
{
	struct fixture *fx = *state;
	const struct vdrv_seg seg = { BUF(0), 4, false };

	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
	vdrv_post(&fx->drv, RX, &seg, 1, false);
	assert_int_equal(ax_virtio_console_push_input(fx->con, (const uint8_t *)"abc", 3), 0);
	assert_true(vdrv_read(&fx->drv, VD_STATUS) & VD_S_NEEDS_RESET);
	assert_int_equal(vdrv_read(&fx->drv, VD_INTERRUPT_STATUS), 2);
	assert_non_null(strstr(fx->host.last_log, "hvc0"));
	/* output stops too */
	send(fx, "a", "b");
	assert_int_equal(fx->chr.len, 0);
	/* until a reset */
	assert_int_equal(vdrv_init(&fx->drv, 0, 2, 8), 0);
	send(fx, "a", "b");
	assert_int_equal(fx->chr.len, 2);
}

static void test_cfg_list(void **state)
{
	struct fixture *fx = *state;
	const uint64_t size[] = { 132, 50 }, zero[] = { 0, 50 }, big[] = { 80, 65536 },
		       one[] = { 80 };

	ax_devices_destroy(fx->set);
	fx->set = NULL;
	assert_int_equal(create(fx, zero, 2), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(fx->diag.msg, "hvc0"));
	assert_int_equal(create(fx, big, 2), AX_ERR_INVALID_INPUT);
	assert_int_equal(create(fx, one, 1), AX_ERR_INVALID_INPUT);
	assert_int_equal(create(fx, size, 2), AX_OK);
	assert_int_equal(vdrv_config(&fx->drv, 0, 2), 132);
	assert_int_equal(vdrv_config(&fx->drv, 2, 2), 50);
	assert_int_equal(ax_virtio_console_set_size(fx->con, 200, 60), AX_OK);
	assert_int_equal(vdrv_config(&fx->drv, 0, 4), 200 | 60u << 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_transmit),
		T(test_transmit_backpressure),
		T(test_transmit_without_backend),
		T(test_receive),
		T(test_receive_readable_buffer_is_an_error),
		T(test_cfg_list),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
