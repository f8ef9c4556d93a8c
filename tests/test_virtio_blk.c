/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk over virtio-mmio, driven end to end by the independent test
 * driver (tests/support/virtio_driver.c) through the device set, against a
 * RAM disk. Includes hostile-guest cases: each must leave the process
 * alive, the device in DEVICE_NEEDS_RESET (protocol errors) and the other
 * device of the set working. Multiqueue (cfg_list [queue_size, num_queues]):
 * VIRTIO_BLK_F_MQ and config num_queues, requests and interrupt suppression
 * per queue, a bad chain on queue 2 resetting the device, a queue beyond the
 * count refused; and over a transport of the test's own (the public
 * <axdevice/virtio_transport.h>), which queue each used-buffer interrupt
 * names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <axdevice/axdevice.h>
#include <axdevice/virtio.h>
#include <axdevice/virtio_transport.h>

#include "backends.h"
#include "host_posix.h"
#include "virtio_driver.h"

#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  0x100000ull
#define BLK_BASE  0x10000000ull
#define CON_BASE  0x10001000ull
#define BLK_IRQ	  5
#define CON_IRQ	  6
#define DISK_SIZE (1u << 20)
#define QSIZE	  16
#define MQ	  4 /* request queues of the multiqueue fixture */

struct fixture {
	struct test_host host;
	struct ram_disk disk;
	struct capture_chr chr;
	struct ax_devices *set;
	uint8_t *ram;
	struct vdrv blk, con;
	struct ax_diag diag;
};

static enum ax_err make_set(struct fixture *fx, const uint64_t *blk_cfg, size_t blk_cfg_len)
{
	const struct ax_emu_config emu[] = {
		{ "vda", BLK_BASE, 0x1000, BLK_IRQ, AX_EMU_VIRTIO_BLK, blk_cfg, blk_cfg_len },
		{ "hvc0", CON_BASE, 0x1000, CON_IRQ, AX_EMU_VIRTIO_CONSOLE, NULL, 0 },
	};
	const struct ax_vm_device_config cfg = { emu, 2 };
	const struct ax_devices_params params = { .hooks = &fx->host.hooks, .max_vcpus = 2 };
	enum ax_err err = ax_devices_create(&params, &cfg, &fx->set, &fx->diag);

	if (err == AX_OK) {
		vdrv_attach(&fx->blk, fx->set, BLK_BASE, fx->ram, RAM_GPA, RAM_SIZE);
		vdrv_attach(&fx->con, fx->set, CON_BASE, fx->ram, RAM_GPA, RAM_SIZE);
	}
	return err;
}

static struct fixture *new_fixture(bool read_only)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	test_host_init(&fx->host, false);
	fx->ram = test_host_add_ram(&fx->host, RAM_GPA, RAM_SIZE);
	ram_disk_init(&fx->disk, DISK_SIZE, read_only);
	capture_chr_init(&fx->chr);
	backends_clear();
	backends_bind_block("vda", &fx->disk);
	backends_bind_char("hvc0", &fx->chr);
	backends_install(&fx->host);
	return fx;
}

static int setup(void **state)
{
	struct fixture *fx = new_fixture(false);

	if (make_set(fx, NULL, 0) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

static int setup_ro(void **state)
{
	struct fixture *fx = new_fixture(true);

	if (make_set(fx, NULL, 0) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

/* A backend that completes inside submit without promising it (completes_in_submit false):
 * every request goes through the hand-off with a completing thread, decided early. */
static int setup_unpromised(void **state)
{
	struct fixture *fx = new_fixture(false);

	fx->disk.be.completes_in_submit = false;
	if (make_set(fx, NULL, 0) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

static int setup_mq(void **state)
{
	struct fixture *fx = new_fixture(false);
	const uint64_t cfg[] = { QSIZE, MQ };

	if (make_set(fx, cfg, 2) != AX_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->set)
		ax_devices_destroy(fx->set);
	ram_disk_fini(&fx->disk);
	test_host_fini(&fx->host);
	test_free(fx);
	return 0;
}

#define ALL_FEATURES                                                                               \
	(VD_F(VD_F_INDIRECT_DESC) | VD_F(VD_BLK_F_FLUSH) | VD_F(VD_BLK_F_DISCARD) |                \
	 VD_F(VD_BLK_F_WRITE_ZEROES) | VD_F(VD_BLK_F_BLK_SIZE) | VD_F(VD_BLK_F_SEG_MAX))

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

/* The device is stopped with NEEDS_RESET, a config interrupt, and the console still works. */
static void assert_needs_reset(struct fixture *fx)
{
	uint8_t buf[512];

	assert_true(vdrv_read(&fx->blk, VD_STATUS) & VD_S_NEEDS_RESET);
	assert_true(vdrv_read(&fx->blk, VD_INTERRUPT_STATUS) & 2);
	assert_true(fx->host.irq_level[BLK_IRQ]);
	assert_true(strstr(fx->host.last_log, "vda") != NULL);
	/* Nothing is processed any more. */
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), -1);
	/* The other device is unaffected. */
	assert_int_equal(vdrv_init(&fx->con, 0, 2, 8), 0);
	/* A reset brings the device back. */
	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	assert_false(vdrv_read(&fx->blk, VD_STATUS) & VD_S_NEEDS_RESET);
	assert_false(fx->host.irq_level[BLK_IRQ]);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
}

static void test_identity_and_config(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint64_t f;

	assert_int_equal(vdrv_read(d, VD_MAGIC), 0x74726976);
	assert_int_equal(vdrv_read(d, VD_VERSION), 2);
	assert_int_equal(vdrv_read(d, VD_DEVICE_ID), 2);
	assert_int_equal(vdrv_read(d, VD_VENDOR_ID), AX_VIRTIO_MMIO_VENDOR_ID);
	vdrv_write(d, VD_DEVICE_FEAT_SEL, 0);
	f = vdrv_read(d, VD_DEVICE_FEATURES);
	vdrv_write(d, VD_DEVICE_FEAT_SEL, 1);
	f |= (uint64_t)vdrv_read(d, VD_DEVICE_FEATURES) << 32;
	assert_int_equal(f, ALL_FEATURES | VD_F(VD_F_VERSION_1) | VD_F(VD_F_EVENT_IDX));
	assert_int_equal(vdrv_config(d, 0, 8), DISK_SIZE / 512); /* capacity */
	assert_int_equal(vdrv_config(d, 0, 4), DISK_SIZE / 512); /* low half */
	assert_int_equal(vdrv_config(d, 4, 4), 0);		 /* high half */
	assert_int_equal(vdrv_config(d, 12, 4), 126);		 /* seg_max */
	assert_int_equal(vdrv_config(d, 20, 4), 512);		 /* blk_size */
	assert_int_equal(vdrv_config(d, 36, 4), 1u << 22);	 /* max_discard_sectors */
	assert_int_equal(vdrv_config(d, 40, 4), 1);		 /* max_discard_seg */
	assert_int_equal(vdrv_config(d, 44, 4), 1);		 /* discard_sector_alignment */
	assert_int_equal(vdrv_config(d, 48, 4), 1u << 22);	 /* max_write_zeroes_sectors */
	assert_int_equal(vdrv_config(d, 52, 4), 1);		 /* max_write_zeroes_seg */
	assert_int_equal(vdrv_config(d, 56, 1), 1);		 /* write_zeroes_may_unmap */
	assert_int_equal(vdrv_config(d, 20, 2), 512);		 /* narrow reads */
	assert_int_equal(vdrv_config(d, 21, 1), 2);
	vdrv_config(d, 60, 4); /* past struct end */
	assert_int_equal(d->last_err, AX_ERR_BAD_ADDRESS);
	vdrv_config(d, 2, 4); /* misaligned */
	assert_int_equal(d->last_err, AX_ERR_BAD_ADDRESS);
	assert_int_equal(ax_devices_handle_mmio_write(fx->set, 0, BLK_BASE + VD_CONFIG, 4, 1),
			 AX_ERR_PERMISSION_DENIED);
	assert_int_equal(vdrv_config(d, 0, 8), DISK_SIZE / 512);
	vdrv_write(d, VD_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), 128);
	vdrv_write(d, VD_QUEUE_SEL, 1);
	assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), 0);
}

static void roundtrip(struct fixture *fx, unsigned flags)
{
	uint8_t out[4096], in[4096];
	unsigned raises = fx->host.irq_raises[BLK_IRQ];

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	fill(out, sizeof(out), flags);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_OUT, 8, out, sizeof(out), flags), VD_BLK_S_OK);
	assert_memory_equal(fx->disk.data + 8 * 512, out, sizeof(out));
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], raises + 1);
	assert_int_equal(vdrv_read(&fx->blk, VD_INTERRUPT_STATUS), 1);
	vdrv_write(&fx->blk, VD_INTERRUPT_ACK, 1);
	assert_false(fx->host.irq_level[BLK_IRQ]);
	assert_int_equal(vdrv_read(&fx->blk, VD_INTERRUPT_STATUS), 0);

	memset(in, 0, sizeof(in));
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 8, in, sizeof(in), flags), VD_BLK_S_OK);
	assert_memory_equal(in, out, sizeof(in));
	assert_true(fx->host.irq_level[BLK_IRQ]);
}

static void test_write_read(void **state)
{
	roundtrip(*state, 0);
}

static void test_write_read_split(void **state)
{
	roundtrip(*state, VDRV_SPLIT);
}

static void test_write_read_indirect(void **state)
{
	roundtrip(*state, VDRV_SPLIT | VDRV_INDIRECT);
}

static void test_used_length(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[1024];
	struct vdrv_blk_req r = { VD_BLK_T_IN, 0, buf, sizeof(buf), 0, 0 };
	uint32_t id, len;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_blk_start(&fx->blk, &r);
	assert_true(vdrv_used(&fx->blk, 0, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, sizeof(buf) + 1); /* data + status byte */
	r.type = VD_BLK_T_OUT;
	vdrv_blk_start(&fx->blk, &r);
	assert_true(vdrv_used(&fx->blk, 0, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, 1);
}

static void test_flush_and_get_id(void **state)
{
	struct fixture *fx = *state;
	char id[20];
	char want[20] = "vda";

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_FLUSH, 0, NULL, 0, 0), VD_BLK_S_OK);
	assert_int_equal(fx->disk.count[AX_BLOCK_FLUSH], 1);
	memset(id, 0x55, sizeof(id));
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_GET_ID, 0, id, sizeof(id), 0), VD_BLK_S_OK);
	assert_memory_equal(id, want, sizeof(id)); /* NUL padded */
}

static int range_request(struct fixture *fx, uint32_t type, uint64_t sector, uint32_t n,
			 uint32_t flags)
{
	uint8_t seg[16];

	memcpy(seg, &sector, 8);
	memcpy(seg + 8, &n, 4);
	memcpy(seg + 12, &flags, 4);
	return vdrv_blk(&fx->blk, type, 0, seg, sizeof(seg), 0);
}

static void test_discard_and_write_zeroes(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	memset(fx->disk.data, 0xaa, DISK_SIZE);
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, 2, 4, 0), VD_BLK_S_OK);
	assert_int_equal(fx->disk.count[AX_BLOCK_DISCARD], 1);
	assert_int_equal(fx->disk.data[2 * 512 - 1], 0xaa);
	assert_int_equal(fx->disk.data[2 * 512], 0);
	assert_int_equal(fx->disk.data[6 * 512 - 1], 0);
	assert_int_equal(fx->disk.data[6 * 512], 0xaa);

	assert_int_equal(range_request(fx, VD_BLK_T_WRITE_ZEROES, 10, 1, 1), VD_BLK_S_OK);
	assert_int_equal(fx->disk.count[AX_BLOCK_WRITE_ZEROES], 1);
	assert_true(fx->disk.last_unmap);
	assert_int_equal(fx->disk.data[10 * 512], 0);
	assert_int_equal(fx->disk.data[11 * 512], 0xaa);

	/* discard has no unmap flag; unknown flags; beyond capacity */
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, 0, 1, 1), VD_BLK_S_UNSUPP);
	assert_int_equal(range_request(fx, VD_BLK_T_WRITE_ZEROES, 0, 1, 2), VD_BLK_S_UNSUPP);
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, DISK_SIZE / 512 - 1, 2, 0),
			 VD_BLK_S_IOERR);
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, UINT64_MAX / 2, 1, 0), VD_BLK_S_IOERR);
	assert_int_equal(fx->disk.count[AX_BLOCK_DISCARD], 1);
	/* an empty range is done without bothering the backend */
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, 3, 0, 0), VD_BLK_S_OK);
	assert_int_equal(range_request(fx, VD_BLK_T_WRITE_ZEROES, 3, 0, 1), VD_BLK_S_OK);
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, DISK_SIZE / 512 + 1, 0, 0),
			 VD_BLK_S_IOERR);
	assert_int_equal(fx->disk.count[AX_BLOCK_DISCARD], 1);
	assert_int_equal(fx->disk.count[AX_BLOCK_WRITE_ZEROES], 1);
}

static void test_features_not_negotiated(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->blk, 0, 1, QSIZE), 0);
	assert_int_equal(range_request(fx, VD_BLK_T_DISCARD, 0, 1, 0), VD_BLK_S_UNSUPP);
	assert_int_equal(range_request(fx, VD_BLK_T_WRITE_ZEROES, 0, 1, 0), VD_BLK_S_UNSUPP);
	assert_int_equal(fx->disk.count[AX_BLOCK_DISCARD], 0);
}

static void test_bad_requests(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[1024] = { 0 };

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	/* past the end, straddling the end, a sector number that would overflow */
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, DISK_SIZE / 512, buf, 512, 0),
			 VD_BLK_S_IOERR);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_OUT, DISK_SIZE / 512 - 1, buf, 1024, 0),
			 VD_BLK_S_IOERR);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, UINT64_MAX / 256, buf, 512, 0),
			 VD_BLK_S_IOERR);
	/* not a whole number of sectors */
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 100, 0), VD_BLK_S_IOERR);
	/* unknown type */
	assert_int_equal(vdrv_blk(&fx->blk, 99, 0, buf, 512, 0), VD_BLK_S_UNSUPP);
	assert_int_equal(fx->disk.count[AX_BLOCK_READ] + fx->disk.count[AX_BLOCK_WRITE], 0);
	/* the last sector itself is fine */
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, DISK_SIZE / 512 - 1, buf, 512, 0),
			 VD_BLK_S_OK);
}

static void test_backend_error(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	fx->disk.fail_with = AX_ERR_IO;
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_IOERR);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_FLUSH, 0, NULL, 0, 0), VD_BLK_S_IOERR);
	fx->disk.fail_with = AX_OK;
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
}

/* A backend that promised to complete inside submit but did not: IOERR, logged, no slot lost. */
static void test_broken_completion_promise(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	ram_disk_set_deferred(&fx->disk, true);
	fx->disk.be.completes_in_submit = true; /* the broken promise */
	for (unsigned i = 0; i < QSIZE + 1; i++)
		assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_IOERR);
	assert_non_null(strstr(fx->host.last_log, "without completing"));
	/* the backend's stale requests are never completed; a kept promise works again */
	fx->disk.nr_pending = 0;
	ram_disk_set_deferred(&fx->disk, false);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
	assert_false(vdrv_read(&fx->blk, VD_STATUS) & VD_S_NEEDS_RESET);
}

static void test_read_only(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[512];
	uint64_t f;

	vdrv_write(&fx->blk, VD_DEVICE_FEAT_SEL, 0);
	f = vdrv_read(&fx->blk, VD_DEVICE_FEATURES);
	assert_true(f & VD_F(VD_BLK_F_RO));
	assert_false(f & (VD_F(VD_BLK_F_DISCARD) | VD_F(VD_BLK_F_WRITE_ZEROES)));
	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES | VD_F(VD_BLK_F_RO), 1, QSIZE), 0);
	fx->disk.data[0] = 0x5a;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_OUT, 0, buf, 512, 0), VD_BLK_S_IOERR);
	assert_int_equal(fx->disk.data[0], 0x5a);
	assert_int_equal(fx->disk.count[AX_BLOCK_WRITE], 0);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
	assert_int_equal(buf[0], 0x5a);
	/* still running: not a protocol error */
	assert_false(vdrv_read(&fx->blk, VD_STATUS) & VD_S_NEEDS_RESET);
}

static void test_no_backend(void **state)
{
	struct fixture *fx = *state;

	ax_devices_destroy(fx->set);
	fx->set = NULL;
	backends_clear();
	assert_int_not_equal(make_set(fx, NULL, 0), AX_OK);
	assert_non_null(strstr(fx->diag.msg, "vda"));
	assert_non_null(strstr(fx->diag.msg, "backend"));
}

static void test_cfg_list(void **state)
{
	struct fixture *fx = *state;
	const uint64_t q8[] = { 8 }, q3[] = { 3 }, three[] = { 8, 2, 1 }, none[] = { 8, 0 };
	const uint64_t many[] = { 8, 17 }, huge[] = { 8, UINT64_MAX }, two[] = { 8, 2 };

	ax_devices_destroy(fx->set);
	fx->set = NULL;
	assert_int_equal(make_set(fx, q3, 1), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(fx->diag.msg, "queue_size"));
	assert_int_equal(make_set(fx, three, 3), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(fx->diag.msg, "num_queues]"));
	assert_int_equal(make_set(fx, none, 2), AX_ERR_INVALID_INPUT);
	assert_non_null(strstr(fx->diag.msg, "num_queues 0"));
	assert_non_null(strstr(fx->diag.msg, "vda"));
	assert_int_equal(make_set(fx, many, 2), AX_ERR_INVALID_INPUT);
	assert_int_equal(make_set(fx, huge, 2), AX_ERR_INVALID_INPUT);
	assert_int_equal(make_set(fx, two, 2), AX_OK);
	vdrv_write(&fx->blk, VD_QUEUE_SEL, 1);
	assert_int_equal(vdrv_read(&fx->blk, VD_QUEUE_NUM_MAX), 8);
	ax_devices_destroy(fx->set);
	fx->set = NULL;
	assert_int_equal(make_set(fx, q8, 1), AX_OK);
	vdrv_write(&fx->blk, VD_QUEUE_SEL, 0);
	assert_int_equal(vdrv_read(&fx->blk, VD_QUEUE_NUM_MAX), 8);
}

static void test_event_idx(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(d, ALL_FEATURES | VD_F(VD_F_EVENT_IDX), 1, QSIZE), 0);
	assert_true(d->features & VD_F(VD_F_EVENT_IDX));
	/* first completion always interrupts */
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 1);
	vdrv_write(d, VD_INTERRUPT_ACK, 1);
	/* the device told us where to notify next: the avail index it will look at */
	assert_int_equal(vdrv_avail_event(d, 0), 1);
	/* driver only wants an interrupt after used index 3 (i.e. when it reaches 4) */
	vdrv_set_used_event(d, 0, 3);
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK); /* used 2 */
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK); /* used 3 */
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 1);
	assert_false(fx->host.irq_level[BLK_IRQ]);
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK); /* used 4 */
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 2);
	assert_int_equal(vdrv_avail_event(d, 0), 4);
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_avail_flags(d, 0, 1); /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 0);
	vdrv_set_avail_flags(d, 0, 0);
	assert_int_equal(vdrv_blk(d, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 1);
}

/* --- asynchronous backend ------------------------------------------------- */

static void *complete_later(void *arg)
{
	struct ram_disk *disk = arg;

	usleep(20000);
	while (ram_disk_complete_pending(disk) == 0)
		usleep(1000);
	return NULL;
}

static void test_async_completion(void **state)
{
	struct fixture *fx = *state;
	uint8_t bufs[3][1024] = { { 0 } };
	struct vdrv_blk_req r[3];
	uint32_t id, len;
	pthread_t t;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	fill(fx->disk.data, DISK_SIZE, 3);
	ram_disk_set_deferred(&fx->disk, true);
	for (unsigned i = 0; i < 3; i++) {
		r[i] = (struct vdrv_blk_req){ VD_BLK_T_IN, 2 * i, bufs[i], 1024, 0, i };
		vdrv_blk_start(&fx->blk, &r[i]);
	}
	assert_false(vdrv_used(&fx->blk, 0, &id, &len));
	assert_int_equal(vdrv_blk_result(&fx->blk, &r[0]), 0xff);
	assert_false(fx->host.irq_level[BLK_IRQ]);
	/* completed from another thread */
	assert_int_equal(pthread_create(&t, NULL, complete_later, &fx->disk), 0);
	pthread_join(t, NULL);
	for (unsigned i = 0; i < 3; i++) {
		assert_true(vdrv_used(&fx->blk, 0, &id, &len));
		assert_int_equal(vdrv_blk_result(&fx->blk, &r[i]), VD_BLK_S_OK);
		assert_memory_equal(bufs[i], fx->disk.data + 2 * i * 512, 1024);
	}
	assert_true(fx->host.irq_level[BLK_IRQ]);
}

static void test_reset_waits_for_backend(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[512];
	struct vdrv_blk_req r = { VD_BLK_T_IN, 0, buf, 512, 0, 0 };
	pthread_t t;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	ram_disk_set_deferred(&fx->disk, true);
	vdrv_blk_start(&fx->blk, &r);
	assert_int_equal(pthread_create(&t, NULL, complete_later, &fx->disk), 0);
	/* returns only once the backend has completed the request */
	assert_int_equal(vdrv_write(&fx->blk, VD_STATUS, 0), AX_OK);
	assert_int_equal(fx->disk.nr_pending, 0);
	pthread_join(t, NULL);
	/* ...which the reset device did not publish */
	assert_int_equal(vdrv_used_idx(&fx->blk, 0), 0);
	assert_int_equal(vdrv_read(&fx->blk, VD_STATUS), 0);
	ram_disk_set_deferred(&fx->disk, false);
	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, buf, 512, 0), VD_BLK_S_OK);
}

struct completer {
	struct ram_disk *disk;
	atomic_bool stop;
};

static void *complete_until_stopped(void *arg)
{
	struct completer *c = arg;

	while (!atomic_load(&c->stop))
		if (ram_disk_complete_pending(c->disk) == 0)
			sched_yield();
	return NULL;
}

/* Waits for the next used element; false after about a second. */
static bool wait_used(struct vdrv *d)
{
	uint32_t id, len;

	for (unsigned i = 0; i < 1000000; i++) {
		if (vdrv_used(d, 0, &id, &len))
			return true;
		sched_yield();
	}
	return false;
}

/*
 * An interrupt-driven driver never misses a completion: it looks at the used
 * ring only after it saw InterruptStatus set and acknowledged it, two requests
 * in flight, so the acknowledge of the first races the completion (and raise) of
 * the second on the other thread. If the raise found the bit still set and
 * skipped while the acknowledge cleared it and read the ring before the entry was
 * visible, the second entry would sit published with InterruptStatus 0 for ever:
 * a lost interrupt (ax_irq_line_update's fences exist for this).
 */
static void test_ack_racing_completion_loses_nothing(void **state)
{
	struct fixture *fx = *state;
	struct completer c = { .disk = &fx->disk };
	enum { ROUNDS = 100000, PER_ROUND = 2 };
	static uint8_t bufs[PER_ROUND][512];
	struct vdrv_blk_req r[PER_ROUND];
	unsigned lost = 0;
	pthread_t t;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	ram_disk_set_deferred(&fx->disk, true);
	atomic_init(&c.stop, false);
	assert_int_equal(pthread_create(&t, NULL, complete_until_stopped, &c), 0);
	for (unsigned round = 0; round < ROUNDS && !lost; round++) {
		unsigned done = 0;
		uint16_t before = vdrv_used_idx(&fx->blk, 0);
		struct timespec since = { 0, 0 };

		for (unsigned k = 0; k < PER_ROUND; k++) {
			r[k] = (struct vdrv_blk_req){ VD_BLK_T_IN, k, bufs[k], 512, 0, k };
			vdrv_blk_start(&fx->blk, &r[k]);
		}
		for (unsigned spin = 0; done < PER_ROUND && !lost; spin++) {
			uint32_t st = vdrv_read(&fx->blk, VD_INTERRUPT_STATUS), id, len;
			struct timespec now;

			if (st) {
				vdrv_write(&fx->blk, VD_INTERRUPT_ACK, st);
				while (vdrv_used(&fx->blk, 0, &id, &len))
					done++;
				since.tv_sec = 0;
				continue;
			}
			/* nothing signalled: fine while nothing new is published, else give the
			 * completing thread (which raises right after it publishes) 2 s */
			if ((uint16_t)(vdrv_used_idx(&fx->blk, 0) - before) > done) {
				clock_gettime(CLOCK_MONOTONIC, &now);
				if (!since.tv_sec)
					since = now;
				else if (now.tv_sec - since.tv_sec > 2)
					lost = round + 1;
			}
			if (spin % 64 == 63) /* spin mostly: the race is nanoseconds wide */
				sched_yield();
		}
	}
	atomic_store(&c.stop, true);
	pthread_join(t, NULL);
	if (lost)
		fail_msg("round %u: a completion published with InterruptStatus 0 for 2 s",
			 lost - 1);
	/* every entry consumed; a last raise may have come after the driver had read its entry
	 * (harmless), and then line and status still agree */
	uint32_t id, len, st = vdrv_read(&fx->blk, VD_INTERRUPT_STATUS);

	assert_false(vdrv_used(&fx->blk, 0, &id, &len));
	assert_int_equal(fx->host.irq_level[BLK_IRQ], st != 0);
}

/*
 * The vCPU (this thread) posts, notifies and acknowledges interrupts while
 * another thread completes requests, then resets the device with requests
 * in flight: the reset returns once that thread has completed them.
 */
static void test_concurrent_notify_and_completion(void **state)
{
	struct fixture *fx = *state;
	struct completer c = { .disk = &fx->disk };
	enum { INFLIGHT = 8, ROUNDS = 2000 };
	static uint8_t bufs[INFLIGHT][1024];
	struct vdrv_blk_req r[INFLIGHT];
	pthread_t t;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	fill(fx->disk.data + 512 * 512, 64 * 512, 9); /* what reads see */
	ram_disk_set_deferred(&fx->disk, true);
	atomic_init(&c.stop, false);
	assert_int_equal(pthread_create(&t, NULL, complete_until_stopped, &c), 0);
	for (unsigned i = 0; i < ROUNDS + INFLIGHT; i++) {
		unsigned slot = i % INFLIGHT;

		if (i >= INFLIGHT) { /* completions come in order: this slot's request is next */
			assert_true(wait_used(&fx->blk));
			assert_int_equal(vdrv_blk_result(&fx->blk, &r[slot]), VD_BLK_S_OK);
			if (r[slot].type == VD_BLK_T_IN)
				assert_memory_equal(bufs[slot],
						    fx->disk.data + r[slot].sector * 512, 1024);
			vdrv_write(&fx->blk, VD_INTERRUPT_ACK,
				   vdrv_read(&fx->blk, VD_INTERRUPT_STATUS));
		}
		if (i >= ROUNDS)
			continue;
		fill(bufs[slot], sizeof(bufs[slot]), i);
		r[slot] = (struct vdrv_blk_req){ i % 2 ? VD_BLK_T_IN : VD_BLK_T_OUT,
						 i % 2 ? 512 + i % 62 : 16 * slot,
						 bufs[slot],
						 sizeof(bufs[slot]),
						 VDRV_INDIRECT,
						 slot };
		vdrv_blk_start(&fx->blk, &r[slot]);
	}
	/* the acknowledges took no device lock, racing the completions' raises: the line still
	 * follows InterruptStatus (read first: its device lock waits out the last completion) */
	uint32_t status = vdrv_read(&fx->blk, VD_INTERRUPT_STATUS);

	assert_int_equal(fx->host.irq_level[BLK_IRQ], status != 0);
	/* reset with requests in flight, completed meanwhile by the other thread */
	for (unsigned slot = 0; slot < 4; slot++) {
		r[slot] = (struct vdrv_blk_req){ VD_BLK_T_IN, slot, bufs[slot], 512, 0, slot };
		vdrv_blk_start(&fx->blk, &r[slot]);
	}
	uint16_t used = vdrv_used_idx(&fx->blk, 0);

	assert_int_equal(vdrv_write(&fx->blk, VD_STATUS, 0), AX_OK);
	assert_int_equal(vdrv_read(&fx->blk, VD_STATUS), 0);
	assert_true(vdrv_used_idx(&fx->blk, 0) - used <= 4);
	atomic_store(&c.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(fx->disk.nr_pending, 0);
	ram_disk_set_deferred(&fx->disk, false);
	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	assert_int_equal(vdrv_blk(&fx->blk, VD_BLK_T_IN, 0, bufs[0], 512, 0), VD_BLK_S_OK);
}

/* Queue of 2 with indirect chains: a guest can post 4 requests while 2 are in flight. */
static void test_slots_exhausted(void **state)
{
	struct fixture *fx = *state;
	const uint64_t q2[] = { 2 };
	uint8_t bufs[4][512] = { { 0 } };
	struct vdrv_blk_req r[4];
	uint32_t id, len;
	unsigned used = 0;

	ax_devices_destroy(fx->set);
	assert_int_equal(make_set(fx, q2, 1), AX_OK);
	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, 2), 0);
	ram_disk_set_deferred(&fx->disk, true);
	for (unsigned i = 0; i < 4; i++) {
		r[i] = (struct vdrv_blk_req){ VD_BLK_T_IN, i, bufs[i], 512, VDRV_INDIRECT, i };
		vdrv_blk_start(&fx->blk, &r[i]);
		if (i == 1) {
			assert_int_equal(fx->disk.nr_pending, 2);
			assert_int_equal(ram_disk_complete_pending(&fx->disk), 2);
			while (vdrv_used(&fx->blk, 0, &id, &len))
				used++;
		}
	}
	/* r2 and r3: 2 slots */
	assert_int_equal(ram_disk_complete_pending(&fx->disk), 2);
	while (vdrv_used(&fx->blk, 0, &id, &len))
		used++;
	assert_int_equal(used, 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vdrv_blk_result(&fx->blk, &r[i]), VD_BLK_S_OK);
}

/* --- hostile guests ------------------------------------------------------- */

static uint64_t scratch(unsigned off)
{
	return RAM_GPA + 0x80000 + off;
}

static void test_hostile_descriptor_loop(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_desc(d, 0, 0, scratch(0), 16, VD_DESC_NEXT, 1);
	vdrv_set_desc(d, 0, 1, scratch(16), 16, VD_DESC_NEXT, 0);
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "loops") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_nested_indirect(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint8_t *table = vdrv_ptr(d, scratch(0));
	uint64_t inner = scratch(0x100);
	uint32_t len = 16;
	uint16_t flags = VD_DESC_INDIRECT;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	memcpy(table, &inner, 8);
	memcpy(table + 8, &len, 4);
	memcpy(table + 12, &flags, 2);
	vdrv_set_desc(d, 0, 0, scratch(0), 16, VD_DESC_INDIRECT, 0);
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "indirect table inside") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_out_of_ram(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_desc(d, 0, 0, RAM_GPA + RAM_SIZE - 8, 16, 0, 0); /* straddles the end */
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "not in guest RAM") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_address_wrap(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_desc(d, 0, 0, UINT64_MAX - 0xfff, 0x2000, 0, 0);
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "wraps") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_chain_too_long(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	/* The running total passes 4 GiB: refused before the length is even translated. */
	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_desc(d, 0, 0, RAM_GPA, 0x80000, VD_DESC_NEXT, 1);
	vdrv_set_desc(d, 0, 1, RAM_GPA, 0xffffffffu, VD_DESC_NEXT, 2);
	vdrv_set_desc(d, 0, 2, RAM_GPA, 1, VD_DESC_WRITE, 0);
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "4 GiB") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_writable_before_readable(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_set_desc(d, 0, 0, scratch(0), 512, VD_DESC_WRITE | VD_DESC_NEXT, 1);
	vdrv_set_desc(d, 0, 1, scratch(512), 16, 0, 0);
	vdrv_post_head(d, 0, 0);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "readable buffer after") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_avail_too_far(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint16_t idx = QSIZE + 1;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	memcpy(vdrv_ptr(d, d->q[0].avail + 2), &idx, 2);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "ahead") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_head_out_of_range(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_post_head(d, 0, QSIZE);
	vdrv_kick(d, 0);
	assert_needs_reset(fx);
}

static void test_hostile_notify_missing_queue(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES, 1, QSIZE), 0);
	assert_int_equal(vdrv_write(&fx->blk, VD_QUEUE_NOTIFY, 7), AX_OK);
	assert_true(strstr(fx->host.last_log, "queue 7") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_queue_size_not_power_of_two(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	vdrv_write(d, VD_STATUS, 0);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER);
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 1);
	vdrv_write(d, VD_DRIVER_FEATURES, 1); /* VERSION_1 */
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);
	vdrv_write(d, VD_QUEUE_SEL, 0);
	assert_int_equal(vdrv_write(d, VD_QUEUE_NUM, 3), AX_OK);
	assert_true(vdrv_read(d, VD_STATUS) & VD_S_NEEDS_RESET);
	/* before DRIVER_OK: no config interrupt */
	assert_int_equal(vdrv_read(d, VD_INTERRUPT_STATUS), 0);
	/* the device refuses to go further */
	assert_int_equal(
		vdrv_write(d, VD_STATUS,
			   VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK | VD_S_DRIVER_OK),
		AX_ERR_BAD_STATE);
	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
}

static void test_hostile_short_request(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	const struct vdrv_seg only_status = { scratch(0), 1, true };

	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	vdrv_post(d, 0, &only_status, 1, false);
	vdrv_kick(d, 0);
	assert_true(strstr(fx->host.last_log, "header") != NULL);
	assert_needs_reset(fx);
}

static void test_hostile_rings_outside_ram(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;

	vdrv_write(d, VD_STATUS, 0);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER);
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 1);
	vdrv_write(d, VD_DRIVER_FEATURES, 1);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);
	vdrv_write(d, VD_QUEUE_SEL, 0);
	vdrv_write(d, VD_QUEUE_DESC_LOW, 0x1000); /* no RAM there */
	vdrv_write(d, VD_QUEUE_READY, 1);
	vdrv_write(d, VD_STATUS, 0xf);
	assert_int_equal(vdrv_read(d, VD_STATUS), 0xf | VD_S_NEEDS_RESET);
	assert_true(strstr(fx->host.last_log, "descriptor table") != NULL);
	assert_int_equal(vdrv_read(d, VD_INTERRUPT_STATUS), 2);
	assert_true(fx->host.irq_level[BLK_IRQ]);
	assert_int_equal(vdrv_init(d, ALL_FEATURES, 1, QSIZE), 0);
	assert_false(fx->host.irq_level[BLK_IRQ]);
}

/* --- multiqueue ------------------------------------------------------------ */

static void test_mq_features_and_config(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint64_t f;

	vdrv_write(d, VD_DEVICE_FEAT_SEL, 0);
	f = vdrv_read(d, VD_DEVICE_FEATURES);
	assert_true(f & VD_F(VD_BLK_F_MQ));
	assert_int_equal(vdrv_config(d, VD_BLK_CFG_NUM_QUEUES, 2), MQ);
	assert_int_equal(vdrv_config(d, 0, 8), DISK_SIZE / 512);
	for (unsigned q = 0; q < MQ; q++) {
		vdrv_write(d, VD_QUEUE_SEL, q);
		assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), QSIZE);
	}
	vdrv_write(d, VD_QUEUE_SEL, MQ);
	assert_int_equal(vdrv_read(d, VD_QUEUE_NUM_MAX), 0);
	assert_int_equal(vdrv_init(d, ALL_FEATURES | VD_F(VD_BLK_F_MQ), MQ, QSIZE), 0);
	assert_true(d->features & VD_F(VD_BLK_F_MQ));
	/* a queue beyond the count cannot be set up */
	assert_int_not_equal(vdrv_setup_queue(d, MQ, QSIZE), 0);
}

/* A request on queue q completes there and nowhere else. */
static int mq_request(struct fixture *fx, unsigned q, uint32_t type, uint64_t sector, void *buf,
		      uint32_t len)
{
	struct vdrv_blk_req r = { type, sector, buf, len, 0, q, q };
	uint16_t before[MQ];
	uint32_t id, used_len;

	for (unsigned i = 0; i < MQ; i++)
		before[i] = vdrv_used_idx(&fx->blk, i);
	vdrv_blk_start(&fx->blk, &r);
	for (unsigned i = 0; i < MQ; i++)
		if (i != q && vdrv_used_idx(&fx->blk, i) != before[i])
			return -2;
	if (!vdrv_used(&fx->blk, q, &id, &used_len))
		return -1;
	return vdrv_blk_result(&fx->blk, &r);
}

static void test_mq_requests(void **state)
{
	struct fixture *fx = *state;
	uint8_t out[2048], in[2048];

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES | VD_F(VD_BLK_F_MQ), MQ, QSIZE), 0);
	for (unsigned q = 0; q < MQ; q++) {
		unsigned raises = fx->host.irq_raises[BLK_IRQ];

		fill(out, sizeof(out), q);
		assert_int_equal(mq_request(fx, q, VD_BLK_T_OUT, 16 * q, out, sizeof(out)),
				 VD_BLK_S_OK);
		assert_memory_equal(fx->disk.data + 16 * q * 512, out, sizeof(out));
		/* read back on the next queue */
		memset(in, 0, sizeof(in));
		assert_int_equal(mq_request(fx, (q + 1) % MQ, VD_BLK_T_IN, 16 * q, in, sizeof(in)),
				 VD_BLK_S_OK);
		assert_memory_equal(in, out, sizeof(in));
		assert_int_equal(fx->host.irq_raises[BLK_IRQ], raises + 1);
		vdrv_write(&fx->blk, VD_INTERRUPT_ACK, 1);
		assert_false(fx->host.irq_level[BLK_IRQ]);
	}
	assert_int_equal(mq_request(fx, 3, VD_BLK_T_FLUSH, 0, NULL, 0), VD_BLK_S_OK);
	assert_int_equal(fx->disk.count[AX_BLOCK_FLUSH], 1);
}

/* EVENT_IDX per queue: queue 1's driver wants no interrupt yet, queue 0's does. */
static void test_mq_interrupt_per_queue(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(&fx->blk,
				   ALL_FEATURES | VD_F(VD_BLK_F_MQ) | VD_F(VD_F_EVENT_IDX), MQ,
				   QSIZE),
			 0);
	/* each queue's first completion interrupts */
	for (unsigned q = 0; q < 2; q++) {
		assert_int_equal(mq_request(fx, q, VD_BLK_T_IN, 0, buf, 512), VD_BLK_S_OK);
		assert_int_equal(fx->host.irq_raises[BLK_IRQ], q + 1);
		vdrv_write(&fx->blk, VD_INTERRUPT_ACK, 1);
	}
	/* queue 1: not before used index 6; queue 0: at the next one (used_event 1) */
	vdrv_set_used_event(&fx->blk, 1, 5);
	vdrv_set_used_event(&fx->blk, 0, 1);
	assert_int_equal(mq_request(fx, 1, VD_BLK_T_IN, 0, buf, 512), VD_BLK_S_OK);
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 2);
	assert_false(fx->host.irq_level[BLK_IRQ]);
	assert_int_equal(mq_request(fx, 0, VD_BLK_T_IN, 0, buf, 512), VD_BLK_S_OK);
	assert_int_equal(fx->host.irq_raises[BLK_IRQ], 3);
	/* each queue's avail_event: its own next avail index */
	assert_int_equal(vdrv_avail_event(&fx->blk, 0), 2);
	assert_int_equal(vdrv_avail_event(&fx->blk, 1), 2);
	assert_int_equal(vdrv_avail_event(&fx->blk, 2), 0);
}

static void test_mq_hostile_chain_on_queue_2(void **state)
{
	struct fixture *fx = *state;
	struct vdrv *d = &fx->blk;
	uint8_t buf[512];

	assert_int_equal(vdrv_init(d, ALL_FEATURES | VD_F(VD_BLK_F_MQ), MQ, QSIZE), 0);
	assert_int_equal(mq_request(fx, 0, VD_BLK_T_IN, 0, buf, 512), VD_BLK_S_OK);
	vdrv_post_head(d, 2, QSIZE + 1);
	vdrv_kick(d, 2);
	assert_true(strstr(fx->host.last_log, "requestq 2") != NULL);
	/* every queue stops, not just queue 2 */
	assert_int_equal(mq_request(fx, 1, VD_BLK_T_IN, 0, buf, 512), -1);
	assert_needs_reset(fx);
	assert_int_equal(vdrv_init(d, ALL_FEATURES | VD_F(VD_BLK_F_MQ), MQ, QSIZE), 0);
	assert_int_equal(mq_request(fx, 2, VD_BLK_T_IN, 0, buf, 512), VD_BLK_S_OK);
}

static void test_mq_notify_beyond_count(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_init(&fx->blk, ALL_FEATURES | VD_F(VD_BLK_F_MQ), MQ, QSIZE), 0);
	assert_int_equal(vdrv_write(&fx->blk, VD_QUEUE_NOTIFY, MQ), AX_OK);
	assert_true(strstr(fx->host.last_log, "queue 4") != NULL);
	assert_needs_reset(fx);
}

/* Over a transport of our own: each completion names its queue. */
struct rec_transport {
	unsigned used[AX_VIRTIO_QUEUES_MAX];
	unsigned needs_reset;
};

static void rec_used(void *ctx, uint16_t index)
{
	struct rec_transport *t = ctx;

	assert_true(index < AX_VIRTIO_QUEUES_MAX);
	t->used[index]++;
}

static void rec_config(void *ctx)
{
	(void)ctx;
}

static void rec_needs_reset(void *ctx)
{
	((struct rec_transport *)ctx)->needs_reset++;
}

static void test_mq_transport_interrupts(void **state)
{
	struct fixture *fx = *state;
	struct rec_transport rec = { { 0 }, 0 };
	const struct ax_virtio_transport t = { &rec, rec_used, rec_config, rec_needs_reset };
	struct vdrv *d = &fx->blk;
	struct ax_virtio_dev *dev;
	uint8_t buf[512] = { 0 };

	assert_int_equal(ax_virtio_blk_new_mq(&fx->host.hooks, "mq", &fx->disk.be, QSIZE, 0, &dev,
					      &fx->diag),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_blk_new_mq(&fx->host.hooks, "mq", &fx->disk.be, QSIZE,
					      AX_VIRTIO_BLK_QUEUES_MAX + 1, &dev, &fx->diag),
			 AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_virtio_blk_new_mq(&fx->host.hooks, "mq", &fx->disk.be, QSIZE, MQ, &dev,
					      &fx->diag),
			 AX_OK);
	assert_int_equal(ax_virtio_dev_nr_queues(dev), MQ);
	assert_true(ax_virtio_dev_offered_features(dev) & VD_F(VD_BLK_F_MQ));
	assert_int_equal(ax_virtio_dev_queue_max(dev, MQ), 0);
	ax_virtio_dev_attach(dev, &t);
	ax_virtio_dev_lock(dev);
	assert_true(ax_virtio_dev_accept_features(dev, VD_F(VD_F_VERSION_1) | VD_F(VD_BLK_F_MQ)));
	for (unsigned q = 0; q < MQ; q++) {
		assert_int_equal(vdrv_layout_queue(d, q, QSIZE), 0);
		assert_int_equal(ax_virtio_dev_queue_set(dev, q, QSIZE, d->q[q].desc, d->q[q].avail,
							 d->q[q].used, true),
				 AX_OK);
	}
	assert_int_equal(ax_virtio_dev_queue_set(dev, MQ, QSIZE, 0, 0, 0, true),
			 AX_ERR_INVALID_INPUT);
	assert_true(ax_virtio_dev_activate(dev));
	ax_virtio_dev_unlock(dev);
	for (unsigned q = 0; q < MQ; q++) {
		struct vdrv_blk_req r = { VD_BLK_T_IN, q, buf, 512, 0, q, q };

		vdrv_blk_post(d, &r);
		ax_virtio_dev_lock(dev);
		ax_virtio_dev_notify(dev, q);
		ax_virtio_dev_unlock(dev);
		assert_int_equal(vdrv_blk_result(d, &r), VD_BLK_S_OK);
		for (unsigned i = 0; i < AX_VIRTIO_QUEUES_MAX; i++)
			assert_int_equal(rec.used[i], i <= q ? 1 : 0);
	}
	/* a queue beyond the count: a protocol error, reported once */
	ax_virtio_dev_lock(dev);
	ax_virtio_dev_notify(dev, MQ);
	assert_false(ax_virtio_dev_running(dev));
	ax_virtio_dev_unlock(dev);
	assert_int_equal(rec.needs_reset, 1);
	ax_virtio_dev_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_identity_and_config),
		T(test_write_read),
		T(test_write_read_split),
		T(test_write_read_indirect),
		T(test_used_length),
		T(test_flush_and_get_id),
		T(test_discard_and_write_zeroes),
		T(test_features_not_negotiated),
		T(test_bad_requests),
		T(test_backend_error),
		cmocka_unit_test_setup_teardown(test_read_only, setup_ro, teardown),
		T(test_no_backend),
		T(test_cfg_list),
		T(test_event_idx),
		T(test_no_interrupt_flag),
		T(test_async_completion),
		T(test_reset_waits_for_backend),
		T(test_concurrent_notify_and_completion),
		T(test_ack_racing_completion_loses_nothing),
		T(test_slots_exhausted),
		T(test_hostile_descriptor_loop),
		T(test_hostile_nested_indirect),
		T(test_hostile_out_of_ram),
		T(test_hostile_address_wrap),
		T(test_hostile_chain_too_long),
		T(test_hostile_writable_before_readable),
		T(test_hostile_avail_too_far),
		T(test_hostile_head_out_of_range),
		T(test_hostile_notify_missing_queue),
		T(test_hostile_queue_size_not_power_of_two),
		T(test_hostile_short_request),
		T(test_hostile_rings_outside_ram),
		T(test_mq_transport_interrupts),
		T(test_broken_completion_promise),
#undef T
#define U(fn) cmocka_unit_test_setup_teardown(fn, setup_unpromised, teardown)
		U(test_write_read),
		U(test_write_read_indirect),
		U(test_used_length),
		U(test_flush_and_get_id),
		U(test_discard_and_write_zeroes),
		U(test_backend_error),
#undef U
#define M(fn) cmocka_unit_test_setup_teardown(fn, setup_mq, teardown)
		M(test_mq_features_and_config),
		M(test_mq_requests),
		M(test_mq_interrupt_per_queue),
		M(test_mq_hostile_chain_on_queue_2),
		M(test_mq_notify_beyond_count),
#undef M
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
