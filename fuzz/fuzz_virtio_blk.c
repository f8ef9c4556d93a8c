/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: virtio-mmio + split virtqueue + virtio-blk over a RAM disk
 * (synchronous or deferred completion, read-write or read-only), driven by
 * the tests' independent driver (tests/support/virtio_driver.c) in a fake
 * guest RAM, mixed with hostile operations: raw descriptors (loops, chains
 * through indirect tables, indirect tables inside indirect tables, zero and
 * huge lengths, addresses at and past the end of RAM, wrapping addresses),
 * raw avail heads and indices, register writes of any value and width in
 * any order, notifications, InterruptACK, Status writes. The first byte's
 * bit 4 keeps the synchronous disk from promising completion inside submit
 * (completes_in_submit), so the device's completion hand-off runs; its bit
 * 3 builds a multiqueue device (cfg_list [16, 2], VIRTIO_BLK_F_MQ): the
 * driver sets up both request queues, requests alternate between them by
 * slot, raw avail entries go to either, and every check runs per queue.
 *
 * Invariants: no crash or leak (ASan/UBSan); InterruptStatus != 0 exactly
 * when the irq line is high; the used index never runs more than a queue
 * ahead. While only well-formed requests were posted since the last
 * initialisation (no hostile operation), the device must not be in
 * DEVICE_NEEDS_RESET, must complete every request it was notified of (after
 * the deferred backend runs), with the right status for reads and writes,
 * and data read must equal the RAM disk's bytes. At every step, Status reads
 * what the status state machine (virtio_status_model.h) says, before and
 * after any register write, whatever else happened: DEVICE_NEEDS_RESET only
 * after a hostile operation, and every Status, DriverFeatures(Sel) write
 * returns what the model predicts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <axdevice/axdevice.h>

#include "backends.h"
#include "fuzz_input.h"
#include "host_posix.h"
#include "virtio_driver.h"
#include "virtio_status_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_GPA	  0x40000000ull
#define RAM_SIZE  0x50000ull
#define BLK_BASE  0x10000000ull
#define BLK_IRQ	  5
#define DISK_SIZE 0x10000u
#define NR_SLOTS  4
#define MAX_Q	  2	  /* request queues of the multiqueue device */
#define SLOT_DATA 0x1000u /* the driver's slot layout (virtio_driver.h) */

struct req {
	bool busy;
	struct vdrv_blk_req r;
	uint16_t head;
	unsigned ndesc;
	uint8_t buf[8192];
};

struct state {
	struct test_host host;
	struct ram_disk disk;
	struct ax_devices *set;
	uint8_t *ram;
	struct vdrv d;
	bool ready;   /* vdrv_init succeeded */
	bool tainted; /* a hostile operation since the last initialisation */
	uint16_t qsize;
	unsigned nq; /* request queues of the device */
	struct req reqs[NR_SLOTS];
	struct vstatus vs; /* the device status the spec allows */
};

static struct state st;

static uint32_t reg_read(uint32_t off)
{
	uint64_t v = 0;

	ax_devices_handle_mmio_read(st.set, 0, BLK_BASE + off, 4, &v);
	return (uint32_t)v;
}

static unsigned inflight_descs(unsigned q)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NR_SLOTS; i++)
		if (st.reqs[i].busy && st.reqs[i].r.queue == q)
			n += st.reqs[i].ndesc;
	return n;
}

static void forget_requests(void)
{
	for (unsigned i = 0; i < NR_SLOTS; i++)
		st.reqs[i].busy = false;
}

/* Runs deferred completions (a real backend would from its own thread). */
static void complete_pending(void)
{
	/* a completion frees a slot, and a starved queue then submits more */
	for (unsigned i = 0; st.disk.deferred && i < 100000; i++)
		if (!ram_disk_complete_pending(&st.disk))
			break;
	if (st.disk.deferred)
		FUZZ_CHECK(st.disk.nr_pending == 0);
}

/* Collects queue q's used elements into done[]; the count. */
static unsigned reap_queue(unsigned q, struct req **done, unsigned nr_done, bool *wrote)
{
	uint32_t id, len;

	if (!st.d.q[q].size)
		return nr_done;
	FUZZ_CHECK((uint16_t)(vdrv_used_idx(&st.d, q) - st.d.q[q].used_seen) <= st.qsize ||
		   st.tainted);
	while (nr_done < NR_SLOTS && vdrv_used(&st.d, q, &id, &len)) {
		struct req *rq = NULL;

		for (unsigned i = 0; i < NR_SLOTS; i++)
			if (st.reqs[i].busy && st.reqs[i].r.queue == q && st.reqs[i].head == id)
				rq = &st.reqs[i];
		if (!rq) {
			FUZZ_CHECK(st.tainted);
			continue;
		}
		done[nr_done++] = rq;
		rq->busy = false;
		if (rq->r.type == VD_BLK_T_OUT || rq->r.type == VD_BLK_T_DISCARD ||
		    rq->r.type == VD_BLK_T_WRITE_ZEROES)
			*wrote = true;
	}
	return nr_done;
}

/* Collects used elements and checks the requests they finish. */
static void reap(void)
{
	bool wrote = false;
	struct req *done[NR_SLOTS];
	unsigned nr_done = 0;

	if (!st.ready)
		return;
	for (unsigned q = 0; q < st.nq; q++)
		nr_done = reap_queue(q, done, nr_done, &wrote);
	for (unsigned i = 0; i < nr_done; i++) {
		struct req *rq = done[i];
		int status = vdrv_blk_result(&st.d, &rq->r);
		uint64_t off = rq->r.sector * 512;
		bool in_range = rq->r.sector <= DISK_SIZE / 512 && off + rq->r.len <= DISK_SIZE;
		bool aligned = rq->r.len % 512 == 0;

		if (st.tainted)
			continue;
		if (getenv("FUZZ_DEBUG"))
			fprintf(stderr,
				"req type %u sector %llu len %u flags %u status %d feat %llx\n",
				rq->r.type, (unsigned long long)rq->r.sector, rq->r.len,
				rq->r.flags, status, (unsigned long long)st.d.features);
		switch (rq->r.type) {
		case VD_BLK_T_IN:
			FUZZ_CHECK(status ==
				   ((in_range && aligned) ? VD_BLK_S_OK : VD_BLK_S_IOERR));
			if (status == VD_BLK_S_OK && !wrote && rq->r.len)
				FUZZ_CHECK(memcmp(rq->buf, st.disk.data + off, rq->r.len) == 0);
			break;
		case VD_BLK_T_OUT:
			FUZZ_CHECK(status == ((in_range && aligned && !st.disk.be.read_only)
						      ? VD_BLK_S_OK
						      : VD_BLK_S_IOERR));
			break;
		default:
			FUZZ_CHECK(status == VD_BLK_S_OK || status == VD_BLK_S_IOERR ||
				   status == VD_BLK_S_UNSUPP);
			break;
		}
	}
}

static void check(void)
{
	uint32_t status = reg_read(VD_STATUS), isr = reg_read(VD_INTERRUPT_STATUS);

	FUZZ_CHECK(st.host.irq_level[BLK_IRQ] == (isr != 0));
	FUZZ_CHECK((isr & ~3u) == 0);
	vstatus_check(&st.vs, status, st.tainted);
	reap();
	if (st.ready && !st.tainted) {
		FUZZ_CHECK(!(status & VD_S_NEEDS_RESET));
		FUZZ_CHECK(status ==
			   (VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK | VD_S_DRIVER_OK));
		if (!st.disk.deferred)
			for (unsigned i = 0; i < NR_SLOTS; i++)
				FUZZ_CHECK(!st.reqs[i].busy);
	}
}

static uint32_t gen_len(struct fin *in)
{
	static const uint32_t lens[8] = { 0, 1, 16, 512, 0x1000, 0xffffffffu, 0x80000000u, 17 };
	uint8_t sel = fin_u8(in);

	return (sel & 8) ? fin_u32(in) : lens[sel & 7];
}

static void do_init(struct fin *in)
{
	static const uint16_t sizes[4] = { 2, 4, 8, 16 };
	uint64_t wanted = VD_F(VD_F_INDIRECT_DESC) | VD_F(VD_F_EVENT_IDX) | VD_F(VD_BLK_F_FLUSH) |
			  VD_F(VD_BLK_F_DISCARD) | VD_F(VD_BLK_F_WRITE_ZEROES) |
			  VD_F(VD_BLK_F_SEG_MAX) | VD_F(VD_BLK_F_BLK_SIZE);
	uint8_t b = fin_u8(in);

	complete_pending(); /* reset waits for the backend */
	forget_requests();
	if (st.nq > 1)
		wanted |= VD_F(VD_BLK_F_MQ);
	if (b & 0x80)
		wanted &= fin_u64(in);
	st.qsize = sizes[b & 3];
	st.ready = vdrv_init(&st.d, wanted, st.nq, st.qsize) == 0;
	st.tainted = false;
	FUZZ_CHECK(st.ready);
	vstatus_driver_ready(&st.vs, st.d.features);
}

static void do_request(struct fin *in)
{
	static const uint32_t types[8] = { VD_BLK_T_IN,	     VD_BLK_T_OUT,	   VD_BLK_T_IN,
					   VD_BLK_T_OUT,     VD_BLK_T_FLUSH,	   VD_BLK_T_GET_ID,
					   VD_BLK_T_DISCARD, VD_BLK_T_WRITE_ZEROES };
	uint8_t b = fin_u8(in);
	struct req *rq = NULL;
	unsigned ndesc, q;

	if (!st.ready || !st.d.q[0].size)
		return;
	for (unsigned i = 0; i < NR_SLOTS; i++)
		if (!st.reqs[i].busy)
			rq = &st.reqs[i];
	if (!rq)
		return;
	memset(&rq->r, 0, sizeof(rq->r));
	rq->r.type = (b & 0x80) ? fin_u32(in) : types[b & 7];
	rq->r.sector = (b & 0x40) ? fin_edge64(in, UINT64_MAX) : fin_u8(in) % (DISK_SIZE / 512 + 4);
	rq->r.len = (b & 0x20) ? fin_u16(in) % 8193 : 512u * (fin_u8(in) % 17);
	if (rq->r.type == VD_BLK_T_GET_ID && rq->r.len == 0)
		rq->r.len = 20;
	rq->r.flags = (b >> 3) & 3;
	rq->r.slot = (unsigned)(rq - st.reqs);
	rq->r.queue = q = rq->r.slot % st.nq;
	rq->r.data = rq->buf;
	for (uint32_t i = 0; i < rq->r.len; i += 64)
		rq->buf[i] = fin_u8(in);
	if (rq->r.flags & VDRV_INDIRECT) {
		ndesc = 1;
		if (!(st.d.features & VD_F(VD_F_INDIRECT_DESC)))
			st.tainted = true; /* indirect without the feature: a protocol error */
	} else {
		ndesc = 2 + (rq->r.len != 0);
		if (rq->r.flags & VDRV_SPLIT)
			ndesc = 3 + (rq->r.len + 511) / 512;
	}
	if (ndesc + inflight_descs(q) > st.qsize)
		st.tainted = true; /* the chain overwrites itself or one in flight */
	/* the driver allocates descriptors round-robin: never reuse a busy one */
	for (unsigned i = 0; i < NR_SLOTS; i++) {
		const struct req *o = &st.reqs[i];

		for (unsigned k = 0; o->busy && o->r.queue == q && k < o->ndesc && !st.tainted; k++)
			for (unsigned j = 0; j < ndesc; j++)
				if ((o->head + k) % st.qsize ==
				    (st.d.q[q].next_desc + j) % st.qsize)
					return;
	}
	rq->head = st.d.q[q].next_desc;
	rq->ndesc = ndesc;
	rq->busy = true;
	vdrv_blk_start(&st.d, &rq->r);
}

static void do_raw_desc(struct fin *in)
{
	uint8_t b = fin_u8(in);
	uint64_t addr = fin_guest_addr(in, RAM_GPA, RAM_SIZE);
	uint32_t len = gen_len(in);
	uint16_t flags = fin_u8(in) & 7, next = fin_u16(in);

	if (b & 1) {
		/* an entry of an indirect table in RAM (possibly pointing at another) */
		uint64_t at = 0x20000 + (uint64_t)(fin_u8(in)) * 16;
		uint8_t *p = st.ram + at;

		memcpy(p, &addr, 8);
		memcpy(p + 8, &len, 4);
		memcpy(p + 12, &flags, 2);
		memcpy(p + 14, &next, 2);
	} else if (st.d.q[0].size) {
		if (b & 2)
			next %= st.d.q[0].size; /* mostly in range: loops */
		vdrv_set_desc(&st.d, 0, (uint16_t)(fin_u8(in) % st.d.q[0].size), addr, len, flags,
			      next);
	}
	st.tainted = true;
}

static void do_raw_avail(struct fin *in)
{
	uint8_t b = fin_u8(in);
	unsigned qi = (b & 8) && st.nq > 1 ? 1 : 0;
	struct vdrv_queue *q = &st.d.q[qi];

	if (!q->size)
		return;
	if (b & 1) {
		vdrv_post_head(&st.d, qi, fin_u16(in) % (q->size + 2));
	} else {
		/* a raw avail index: far ahead, behind, anything */
		uint16_t idx = (b & 2) ? fin_u16(in) : (uint16_t)(q->avail_idx + fin_u8(in) % 4);
		uint8_t *p = st.ram + (q->avail - RAM_GPA) + 2;

		memcpy(p, &idx, 2);
	}
	st.tainted = true;
	if (b & 4)
		vdrv_kick(&st.d, qi);
}

static void do_reg_write(struct fin *in)
{
	static const uint16_t regs[] = { 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038,
					 0x044, 0x050, 0x060, 0x064, 0x070, 0x080, 0x084,
					 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0fc, 0x100,
					 0x108, 0x114, 0x13c, 0x000, 0x040, 0x0b0, 0x1000 };
	uint8_t b = fin_u8(in);
	uint32_t off = (b & 0x80) ? fin_u16(in) % 0x1004
				  : regs[fin_u8(in) % (sizeof(regs) / sizeof(regs[0]))];
	unsigned width = (b & 0x40) ? fin_width(in) : 4;
	uint64_t val = (b & 0x20) ? fin_u64(in) : fin_u8(in);
	enum ax_err err, want = AX_OK;
	bool modelled;

	if (off == VD_STATUS || off == VD_QUEUE_READY || (off & ~3u) == VD_STATUS ||
	    (off & ~3u) == VD_QUEUE_READY)
		complete_pending(); /* a reset or queue stop waits for the backend */
	vstatus_check(&st.vs, reg_read(VD_STATUS), st.tainted);
	modelled = vstatus_write(&st.vs, off, width, val, &want);
	err = ax_devices_handle_mmio_write(st.set, 0, BLK_BASE + off, width, val);
	if (modelled)
		FUZZ_CHECK(err == want);
	if (off == VD_INTERRUPT_ACK && width == 4)
		return; /* harmless */
	if (off == VD_QUEUE_NOTIFY && width == 4 && val == 0)
		return;
	st.tainted = true;
	if (off == VD_STATUS) {
		forget_requests(); /* a reset forgets them; the used ring is ours again */
		if ((val & 0xff) == 0)
			st.ready = false;
	}
}

static void do_reg_read(struct fin *in)
{
	uint16_t off = fin_u16(in) % 0x1004;
	unsigned width = fin_width(in);
	uint64_t v = 0xdead;
	enum ax_err err = ax_devices_handle_mmio_read(st.set, 0, BLK_BASE + off, width, &v);

	if (err != AX_OK)
		FUZZ_CHECK(v == 0);
	else if (width < 8)
		FUZZ_CHECK(v >> (8 * width) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t cfgb = fin_u8(&in);
	uint64_t qcfg[2] = { 16, MAX_Q };
	struct ax_emu_config emu = { "vda", BLK_BASE,	     0x1000, BLK_IRQ, AX_EMU_VIRTIO_BLK,
				     qcfg,  cfgb & 8 ? 2 : 1 };
	struct ax_vm_device_config vm = { &emu, 1 };
	struct ax_devices_params params = { .hooks = &st.host.hooks, .max_vcpus = 1 };
	unsigned steps = 0;

	memset(&st, 0, sizeof(st));
	st.nq = cfgb & 8 ? MAX_Q : 1;
	test_host_init(&st.host, false);
	st.ram = test_host_add_ram(&st.host, RAM_GPA, RAM_SIZE);
	ram_disk_init(&st.disk, DISK_SIZE, cfgb & 1);
	ram_disk_set_deferred(&st.disk, cfgb & 2);
	if (cfgb & 16) /* completes inside submit without saying so: the hand-off decides */
		st.disk.be.completes_in_submit = false;
	for (unsigned i = 0; i < DISK_SIZE; i += 97)
		st.disk.data[i] = (uint8_t)(i * 7 + 1);
	backends_clear();
	backends_bind_block("vda", &st.disk);
	backends_install(&st.host);
	FUZZ_CHECK(ax_devices_create(&params, &vm, &st.set, NULL) == AX_OK);
	vdrv_attach(&st.d, st.set, BLK_BASE, st.ram, RAM_GPA, RAM_SIZE);
	vstatus_init(&st.vs, vstatus_read_offered(st.set, BLK_BASE));
	if (cfgb & 4)
		do_init(&in);

	while (fin_left(&in) && steps++ < 256) {
		switch (fin_u8(&in) % 12) {
		case 0:
			do_init(&in);
			break;
		case 1:
		case 2:
		case 3:
			do_request(&in);
			break;
		case 4:
			do_raw_desc(&in);
			break;
		case 5:
			do_raw_avail(&in);
			break;
		case 6:
			do_reg_write(&in);
			break;
		case 7:
			do_reg_read(&in);
			break;
		case 8:
			vdrv_kick(&st.d, 0);
			break;
		case 9:
			complete_pending();
			break;
		case 10:
			vdrv_write(&st.d, VD_INTERRUPT_ACK, reg_read(VD_INTERRUPT_STATUS));
			FUZZ_CHECK(reg_read(VD_INTERRUPT_STATUS) == 0);
			break;
		default:
			if (st.d.q[0].size)
				vdrv_set_used_event(&st.d, 0, fin_u16(&in));
			break;
		}
		check();
		if (st.disk.deferred && st.ready && !st.tainted && (steps & 3) == 0) {
			complete_pending();
			check();
			for (unsigned i = 0; i < NR_SLOTS; i++)
				FUZZ_CHECK(!st.reqs[i].busy);
		}
	}
	complete_pending();
	ax_devices_destroy(st.set);
	backends_clear();
	ram_disk_fini(&st.disk);
	test_host_fini(&st.host);
	return 0;
}
