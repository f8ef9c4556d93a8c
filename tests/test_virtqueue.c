/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue unit tests: chain walking, indirect tables, the rules in
 * virtqueue.h, used-ring updates and event-index suppression both ways.
 * Rings are laid out by hand in fake guest RAM from the spec's layouts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "dev/virtio/virtqueue.h"
#include "host_posix.h"

#define RAM   0x10000000ull
#define DESC  (RAM + 0x0000)
#define AVAIL (RAM + 0x1000)
#define USED  (RAM + 0x2000)
#define TABLE (RAM + 0x3000) /* indirect tables */
#define DATA  (RAM + 0x8000)
#define NUM   8

struct fixture {
	struct test_host host;
	uint8_t *ram;
	struct ax_vq q;
	struct ax_vq_buf bufs[16];
	struct ax_vq_chain chain;
	struct ax_vq_fault fault;
	uint16_t avail_idx;
};

static uint8_t *at(struct fixture *fx, uint64_t gpa)
{
	return fx->ram + (gpa - RAM);
}

static void desc_at(struct fixture *fx, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint8_t *p = at(fx, table + 16u * i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void publish(struct fixture *fx, uint16_t head)
{
	memcpy(at(fx, AVAIL + 4 + 2u * (fx->avail_idx % NUM)), &head, 2);
	fx->avail_idx++;
	memcpy(at(fx, AVAIL + 2), &fx->avail_idx, 2);
}

static uint16_t get16(struct fixture *fx, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, at(fx, gpa), 2);
	return v;
}

static void put16(struct fixture *fx, uint64_t gpa, uint16_t v)
{
	memcpy(at(fx, gpa), &v, 2);
}

static int start(struct fixture *fx, bool event_idx, bool indirect)
{
	fx->q.num_max = NUM;
	ax_vq_reset(&fx->q);
	fx->q.desc_gpa = DESC;
	fx->q.avail_gpa = AVAIL;
	fx->q.used_gpa = USED;
	fx->q.ready = true;
	return ax_vq_start(&fx->q, &fx->host.hooks, event_idx, indirect, &fx->fault);
}

static int pop(struct fixture *fx)
{
	fx->chain = (struct ax_vq_chain){ .bufs = fx->bufs, .cap = 16 };
	return ax_vq_pop(&fx->q, &fx->host.hooks, &fx->chain, &fx->fault);
}

static int setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	test_host_init(&fx->host, false);
	fx->ram = test_host_add_ram(&fx->host, RAM, 0x10000);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	test_host_fini(&fx->host);
	test_free(fx);
	return 0;
}

static void test_start_checks_rings(void **state)
{
	struct fixture *fx = *state;

	fx->q.num_max = NUM;
	ax_vq_reset(&fx->q);
	assert_int_equal(fx->q.num, NUM);
	assert_false(ax_vq_num_valid(&fx->q, 0));
	assert_false(ax_vq_num_valid(&fx->q, 3));
	assert_false(ax_vq_num_valid(&fx->q, 16));
	assert_true(ax_vq_num_valid(&fx->q, 1));
	assert_true(ax_vq_num_valid(&fx->q, 8));
	assert_true(start(fx, false, false));
	fx->q.desc_gpa = DESC + 8; /* descriptor table needs 16-byte alignment */
	assert_false(ax_vq_start(&fx->q, &fx->host.hooks, false, false, &fx->fault));
	assert_non_null(strstr(fx->fault.msg, "aligned"));
	fx->q.desc_gpa = DESC;
	fx->q.used_gpa = USED + 2; /* used ring needs 4 */
	assert_false(ax_vq_start(&fx->q, &fx->host.hooks, false, false, &fx->fault));
	fx->q.used_gpa = RAM + 0x10000 - 8; /* runs out of RAM */
	assert_false(ax_vq_start(&fx->q, &fx->host.hooks, false, false, &fx->fault));
	assert_non_null(strstr(fx->fault.msg, "used ring"));
	fx->q.used_gpa = UINT64_MAX - 3;
	assert_false(ax_vq_start(&fx->q, &fx->host.hooks, false, false, &fx->fault));
	fx->q.used_gpa = USED;
	fx->q.num = 6;
	assert_false(ax_vq_start(&fx->q, &fx->host.hooks, false, false, &fx->fault));
	assert_non_null(strstr(fx->fault.msg, "power of two"));
}

static void test_simple_chain(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, false));
	assert_int_equal(pop(fx), 0);
	desc_at(fx, DESC, 5, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	desc_at(fx, DESC, 2, DATA + 16, 0, VIRTQ_DESC_F_NEXT, 7); /* empty buffers are fine */
	desc_at(fx, DESC, 7, DATA + 100, 300, VIRTQ_DESC_F_NEXT, 0);
	desc_at(fx, DESC, 0, DATA + 512, 1, VIRTQ_DESC_F_WRITE, 0);
	publish(fx, 5);
	assert_int_equal(pop(fx), 1);
	assert_int_equal(fx->chain.head, 5);
	assert_int_equal(fx->chain.nr_out, 3);
	assert_int_equal(fx->chain.nr_in, 1);
	assert_int_equal(fx->chain.out_bytes, 316);
	assert_int_equal(fx->chain.in_bytes, 1);
	assert_ptr_equal(fx->bufs[0].addr, at(fx, DATA));
	assert_null(fx->bufs[1].addr);
	assert_ptr_equal(fx->bufs[2].addr, at(fx, DATA + 100));
	assert_ptr_equal(fx->bufs[3].addr, at(fx, DATA + 512));
	assert_int_equal(fx->q.last_avail, 1);
	assert_int_equal(pop(fx), 0);
}

static void test_chain_copy_helpers(void **state)
{
	struct fixture *fx = *state;
	uint8_t out[12], in[6] = "abcdef";

	assert_true(start(fx, false, false));
	memcpy(at(fx, DATA), "0123", 4);
	memcpy(at(fx, DATA + 64), "456789AB", 8);
	desc_at(fx, DESC, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, DESC, 1, DATA + 64, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(fx, DESC, 2, DATA + 128, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	desc_at(fx, DESC, 3, DATA + 256, 3, VIRTQ_DESC_F_WRITE, 0);
	publish(fx, 0);
	assert_int_equal(pop(fx), 1);
	assert_true(ax_vq_chain_read(&fx->chain, 2, out, 10));
	assert_memory_equal(out, "23456789AB", 10);
	assert_false(ax_vq_chain_read(&fx->chain, 3, out, 10)); /* short */
	assert_int_equal(ax_vq_chain_write(&fx->chain, 1, in, 6), 4);
	assert_memory_equal(at(fx, DATA + 129), "a", 1);
	assert_memory_equal(at(fx, DATA + 256), "bcd", 3);
}

static void test_indirect(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, true));
	desc_at(fx, TABLE, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	desc_at(fx, TABLE, 2, DATA + 16, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, TABLE, 1, DATA + 528, 1, VIRTQ_DESC_F_WRITE, 0);
	/* a direct descriptor may precede the indirect one */
	desc_at(fx, DESC, 3, DATA + 1024, 8, VIRTQ_DESC_F_NEXT, 4);
	desc_at(fx, DESC, 4, TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	publish(fx, 3);
	assert_int_equal(pop(fx), 1);
	assert_int_equal(fx->chain.head, 3);
	assert_int_equal(fx->chain.nr_out, 2);
	assert_int_equal(fx->chain.nr_in, 2);
	assert_int_equal(fx->chain.out_bytes, 24);
	assert_int_equal(fx->chain.in_bytes, 513);
	assert_ptr_equal(fx->bufs[1].addr, at(fx, DATA));
}

/* Publishes `head`, expects ax_vq_pop to refuse with a message containing `why`. */
static void expect_fault(struct fixture *fx, uint16_t head, const char *why)
{
	fx->q.last_avail = fx->avail_idx; /* a fault leaves the previous entry in place */
	publish(fx, head);
	assert_int_equal(pop(fx), -1);
	assert_non_null(strstr(fx->fault.msg, why));
}

static void test_indirect_rules(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, false));
	desc_at(fx, TABLE, 0, DATA, 16, 0, 0);
	desc_at(fx, DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 0, "not negotiated");

	assert_true(start(fx, false, true));
	fx->avail_idx = 0;
	desc_at(fx, DESC, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_fault(fx, 0, "NEXT");
	desc_at(fx, DESC, 1, TABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 1, "length 24");
	desc_at(fx, DESC, 2, TABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 2, "length 0");
	desc_at(fx, DESC, 3, TABLE, 16 * (VQ_MAX_INDIRECT + 1), VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 3, "length");
	desc_at(fx, DESC, 4, RAM + 0xfff0, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 4, "not in guest RAM");
	/* nested */
	desc_at(fx, TABLE, 0, TABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc_at(fx, DESC, 5, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 5, "inside an indirect");
	/* next beyond the table's own size */
	desc_at(fx, TABLE, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	desc_at(fx, TABLE, 1, DATA, 16, 0, 0);
	desc_at(fx, TABLE, 2, DATA, 16, 0, 0); /* exists in RAM but not in the table */
	desc_at(fx, DESC, 6, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 6, "outside its table of 2");
	/* loop inside the table */
	desc_at(fx, TABLE, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, TABLE, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	desc_at(fx, DESC, 7, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 7, "loops");
}

static void test_direct_rules(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, false));
	/* loop */
	desc_at(fx, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, DESC, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	expect_fault(fx, 0, "loops");
	/* self loop */
	desc_at(fx, DESC, 2, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	expect_fault(fx, 2, "loops");
	/* next out of the queue */
	desc_at(fx, DESC, 3, DATA, 16, VIRTQ_DESC_F_NEXT, NUM);
	expect_fault(fx, 3, "outside its table");
	/* head out of the queue */
	expect_fault(fx, NUM + 1, "head");
	/* wrap, out of RAM, writable then readable */
	desc_at(fx, DESC, 4, UINT64_MAX - 15, 32, 0, 0);
	expect_fault(fx, 4, "wraps");
	desc_at(fx, DESC, 4, RAM + 0x10000, 1, VIRTQ_DESC_F_WRITE, 0);
	expect_fault(fx, 4, "not in guest RAM");
	desc_at(fx, DESC, 5, DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	desc_at(fx, DESC, 6, DATA, 16, 0, 0);
	expect_fault(fx, 5, "readable buffer after");
}

static void test_chain_limits(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, true));
	/* more buffers than the caller's array (16) */
	for (uint16_t i = 0; i < 20; i++)
		desc_at(fx, TABLE, i, DATA, 1, i < 19 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	desc_at(fx, DESC, 0, TABLE, 20 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 0, "more than 16 buffers");
	/* more than 4 GiB in total */
	desc_at(fx, TABLE, 0, DATA, 0x10, VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, TABLE, 1, DATA, 0xffffffffu, 0, 0);
	desc_at(fx, DESC, 1, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 1, "4 GiB");
	/* exactly 4 GiB cannot be reported in the used ring's le32 len either */
	desc_at(fx, TABLE, 0, DATA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, TABLE, 1, DATA, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	desc_at(fx, DESC, 2, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_fault(fx, 2, "4 GiB");
}

static void test_avail_too_far_ahead(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, false));
	put16(fx, AVAIL + 2, NUM + 1);
	assert_int_equal(pop(fx), -1);
	assert_non_null(strstr(fx->fault.msg, "ahead"));
	/* exactly a full ring is fine */
	for (uint16_t i = 0; i < NUM; i++) {
		desc_at(fx, DESC, i, DATA, 1, 0, 0);
		put16(fx, AVAIL + 4 + 2u * i, i);
	}
	put16(fx, AVAIL + 2, NUM);
	for (int i = 0; i < NUM; i++)
		assert_int_equal(pop(fx), 1);
	assert_int_equal(pop(fx), 0);
	/* indices wrap at 2^16 */
	fx->q.last_avail = 0xfffe;
	put16(fx, AVAIL + 2, 1);
	assert_int_equal(pop(fx), 1);
	assert_int_equal(pop(fx), 1);
	assert_int_equal(pop(fx), 1);
	assert_int_equal(pop(fx), 0);
}

/*
 * Buffers translate through the queue's RAM window (virtqueue.h, "Translation"):
 * the hook's own answers, across separate regions, and never past the region
 * a window came from.
 */
static void test_ram_window(void **state)
{
	struct fixture *fx = *state;
	/* adjacent in guest-physical space, separate in host memory */
	uint8_t *next = test_host_add_ram(&fx->host, RAM + 0x10000, 0x10000);

	assert_true(start(fx, false, false));
	desc_at(fx, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc_at(fx, DESC, 1, RAM + 0x10100, 32, VIRTQ_DESC_F_NEXT, 2);
	desc_at(fx, DESC, 2, DATA + 64, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	desc_at(fx, DESC, 3, RAM + 0x1fff8, 8, VIRTQ_DESC_F_WRITE, 0);
	publish(fx, 0);
	assert_int_equal(pop(fx), 1);
	assert_ptr_equal(fx->bufs[0].addr, at(fx, DATA));
	assert_ptr_equal(fx->bufs[1].addr, next + 0x100);
	assert_ptr_equal(fx->bufs[2].addr, at(fx, DATA + 64));
	assert_ptr_equal(fx->bufs[3].addr, next + 0xfff8);
	/* one byte into the next region: both are RAM, but no one region holds it */
	desc_at(fx, DESC, 4, RAM + 0xfff0, 0x11, 0, 0);
	expect_fault(fx, 4, "not in guest RAM");
	desc_at(fx, DESC, 4, RAM + 0x1fff8, 9, VIRTQ_DESC_F_WRITE, 0);
	expect_fault(fx, 4, "not in guest RAM");
	desc_at(fx, DESC, 4, RAM + 0x20000, 1, 0, 0);
	expect_fault(fx, 4, "not in guest RAM");
	desc_at(fx, DESC, 4, RAM - 1, 1, 0, 0);
	expect_fault(fx, 4, "not in guest RAM");
	/* and still the right memory afterwards, in either region */
	desc_at(fx, DESC, 5, RAM + 0x1fff0, 16, VIRTQ_DESC_F_NEXT, 6);
	desc_at(fx, DESC, 6, RAM, 1, 0, 0);
	fx->q.last_avail = fx->avail_idx;
	publish(fx, 5);
	assert_int_equal(pop(fx), 1);
	assert_ptr_equal(fx->bufs[0].addr, next + 0xfff0);
	assert_ptr_equal(fx->bufs[1].addr, at(fx, RAM));
}

static void test_used_ring(void **state)
{
	struct fixture *fx = *state;
	uint32_t id, len;

	assert_true(start(fx, false, false));
	ax_vq_push(&fx->q, 5, 300);
	ax_vq_push(&fx->q, 2, 0);
	assert_int_equal(get16(fx, USED + 2), 2);
	memcpy(&id, at(fx, USED + 4), 4);
	memcpy(&len, at(fx, USED + 8), 4);
	assert_int_equal(id, 5);
	assert_int_equal(len, 300);
	memcpy(&id, at(fx, USED + 12), 4);
	assert_int_equal(id, 2);
	for (int i = 0; i < NUM; i++)
		ax_vq_push(&fx->q, 1, 1);
	assert_int_equal(get16(fx, USED + 2), NUM + 2);
	memcpy(&id, at(fx, USED + 4 + 8 * 2), 4); /* slot 2 reused after wrap... */
	assert_int_equal(id, 1);
}

static void test_no_interrupt_flag(void **state)
{
	struct fixture *fx = *state;

	assert_true(start(fx, false, false));
	ax_vq_push(&fx->q, 0, 0);
	assert_true(ax_vq_should_interrupt(&fx->q));
	put16(fx, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	ax_vq_push(&fx->q, 0, 0);
	assert_false(ax_vq_should_interrupt(&fx->q));
	/* without event idx, avail_event is not written */
	put16(fx, AVAIL + 2, 0);
	assert_false(ax_vq_arm_notify(&fx->q));
	assert_int_equal(get16(fx, USED + 4 + 8 * NUM), 0);
}

static void test_event_idx_used_event(void **state)
{
	struct fixture *fx = *state;
	const uint64_t used_event = AVAIL + 4 + 2 * NUM;

	assert_true(start(fx, true, false));
	put16(fx, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT); /* ignored with event idx */
	ax_vq_push(&fx->q, 0, 0);
	assert_true(ax_vq_should_interrupt(&fx->q)); /* the first one always */
	put16(fx, used_event, 2);		     /* interrupt when used idx passes 2 */
	ax_vq_push(&fx->q, 0, 0);		     /* used idx 2 */
	assert_false(ax_vq_should_interrupt(&fx->q));
	ax_vq_push(&fx->q, 0, 0); /* 3: crossed used_event */
	assert_true(ax_vq_should_interrupt(&fx->q));
	ax_vq_push(&fx->q, 0, 0); /* 4 */
	assert_false(ax_vq_should_interrupt(&fx->q));
	/* a batch that jumps over used_event still interrupts once */
	put16(fx, used_event, 5);
	ax_vq_push(&fx->q, 0, 0);
	ax_vq_push(&fx->q, 0, 0);
	ax_vq_push(&fx->q, 0, 0); /* 7 */
	assert_true(ax_vq_should_interrupt(&fx->q));
	/* wrap-around of the 16-bit index */
	fx->q.used_idx = 0xfffe;
	fx->q.signalled_used = 0xfffe;
	put16(fx, used_event, 0xffff);
	ax_vq_push(&fx->q, 0, 0); /* 0xffff */
	assert_false(ax_vq_should_interrupt(&fx->q));
	ax_vq_push(&fx->q, 0, 0); /* 0 */
	assert_true(ax_vq_should_interrupt(&fx->q));
}

static void test_event_idx_avail_event(void **state)
{
	struct fixture *fx = *state;
	const uint64_t avail_event = USED + 4 + 8 * NUM;

	assert_true(start(fx, true, false));
	desc_at(fx, DESC, 0, DATA, 1, 0, 0);
	publish(fx, 0);
	publish(fx, 0);
	assert_int_equal(pop(fx), 1);
	/* one entry still waiting: arming reports it */
	assert_true(ax_vq_arm_notify(&fx->q));
	assert_int_equal(get16(fx, avail_event), 1);
	assert_int_equal(pop(fx), 1);
	assert_false(ax_vq_arm_notify(&fx->q));
	/* the driver must notify when it publishes entry 2 */
	assert_int_equal(get16(fx, avail_event), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_start_checks_rings),
		T(test_simple_chain),
		T(test_chain_copy_helpers),
		T(test_indirect),
		T(test_indirect_rules),
		T(test_direct_rules),
		T(test_chain_limits),
		T(test_avail_too_far_ahead),
		T(test_ram_window),
		T(test_used_ring),
		T(test_no_interrupt_flag),
		T(test_event_idx_used_event),
		T(test_event_idx_avail_event),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
