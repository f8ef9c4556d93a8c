/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk (EmuDeviceType VirtioBlk = 3; virtio device id 2, virtio 1.2
 * §5.2) over a host block backend.
 *
 * cfg_list: [], [queue_size] or [queue_size, num_queues]: the largest
 * queue the driver may use, a power of two in [2, 1024] (default 128), and
 * the number of request queues, 1 to 16 (default 1: over virtio-mmio every
 * queue shares the device's one interrupt line, so more queues only pay
 * off where the driver submits from several vCPUs at once). The backend is
 * hooks->block_backend(ctx, name); without one the device is not created.
 *
 * Request queues: num_queues, each with its own used ring, interrupt
 * (interrupt_used(index)) and pool of request slots; more than one offers
 * MQ, and config num_queues says how many. A protocol error on any queue
 * stops the whole device (NEEDS_RESET). Features: VERSION_1, RING_INDIRECT_DESC,
 * RING_EVENT_IDX, BLK_SIZE (512), SEG_MAX (126), FLUSH, MQ (above), and by the
 * backend's capabilities RO, DISCARD and WRITE_ZEROES (one segment per
 * request, at most 2^22 sectors, an empty one completes at once without
 * the backend; write_zeroes_may_unmap when the backend can discard). Config space: 60 bytes of
 * struct virtio_blk_config (capacity through write_zeroes_may_unmap, num_queues
 * included); every field is read-only.
 *
 * Requests: a 16-byte header (type, reserved, sector) in the readable
 * bytes, data, and a status byte as the last writable byte; framing is
 * free (§2.6.4). A chain too short to hold the header or the status byte,
 * or with more than SEG_MAX + 2 buffers, is a protocol error. Otherwise
 * the status byte says: OK; IOERR for a range beyond capacity, a length
 * not a multiple of 512, a write to a read-only backend or a backend
 * error; UNSUPP for an unknown type, DISCARD or WRITE_ZEROES not
 * negotiated, more than one segment or unknown segment flags.
 *
 * Each request becomes one ax_block_request in a slot of its queue's fixed
 * pool (one slot per queue entry), so nothing is allocated per request. The backend
 * may complete inside submit or later on any thread: a per-request atomic
 * state decides who publishes the result, the submitter (completion came
 * early, lock already held) or the completer (takes the device lock); a
 * backend that promises to complete inside submit (completes_in_submit)
 * skips that hand-off and the submitter always publishes. If
 * every slot of a queue is busy that queue is left alone until a completion
 * frees one.
 */
#include "blk.h"

#include "../kinds.h"
#include "mmio.h"

#include "../../core/util.h"

#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_MQ		  12
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define BLK_S_DONE	    0xff /* ours: OK, and nothing for the backend to do */

#define WRITE_ZEROES_FLAG_UNMAP 1u

/* struct virtio_blk_config offsets */
#define CFG_CAPACITY		     0
#define CFG_SEG_MAX		     12
#define CFG_BLK_SIZE		     20
#define CFG_NUM_QUEUES		     34 /* le16 */
#define CFG_MAX_DISCARD_SECTORS	     36
#define CFG_MAX_DISCARD_SEG	     40
#define CFG_DISCARD_SECTOR_ALIGNMENT 44
#define CFG_MAX_WRITE_ZEROES_SECTORS 48
#define CFG_MAX_WRITE_ZEROES_SEG     52
#define CFG_WRITE_ZEROES_MAY_UNMAP   56
#define CFG_LEN			     60

#define SECTOR		   512u
#define HEADER_LEN	   16u
#define RANGE_LEN	   16u /* struct virtio_blk_discard_write_zeroes */
#define ID_LEN		   20u
#define SEG_MAX		   126u
#define CHAIN_MAX	   (SEG_MAX + 2)
#define MAX_RANGE_SECTORS  (UINT32_C(1) << 22)
#define QUEUE_SIZE_DEFAULT 128u
#define QUEUE_SIZE_LIMIT   AX_VIRTIO_BLK_QUEUE_SIZE_MAX

enum req_state {
	REQ_SUBMITTING, /* inside backend->submit */
	REQ_SUBMITTED,	/* submit returned; the completion publishes */
	REQ_DONE_EARLY, /* completed inside submit; the submitter publishes */
};

struct ax_virtio_blk;
struct blk_queue;

struct blk_req {
	struct ax_block_request br;
	struct ax_virtio_blk *blk;
	atomic_int state;
	enum ax_err result;
	uint16_t head;
	struct blk_queue *bq; /* the request queue it came from */
	uint8_t *status;      /* the status byte, in guest memory */
	uint32_t written;     /* used length on success: data bytes + status */
	struct blk_req *next_free;
	struct ax_iovec iov[CHAIN_MAX];
};

/* One request queue and its slots. */
struct blk_queue {
	struct ax_vq *vq; /* dev.queues[index] */
	struct blk_req *free_reqs;
	uint16_t index;
	bool starved; /* the queue waits for a free slot */
};

struct ax_virtio_blk {
	struct ax_virtio_dev dev; /* first: the transport hands us this pointer */
	const struct ax_block_backend *backend;
	uint64_t capacity; /* bytes, a multiple of 512 */
	char id[ID_LEN];
	struct blk_req *reqs; /* queue q's slots: [q * queue_size, (q + 1) * queue_size) */
	struct blk_queue rq[AX_VIRTIO_BLK_QUEUES_MAX];
	struct ax_vq_buf bufs[CHAIN_MAX]; /* chain being parsed (any queue, locked) */
};

static struct ax_virtio_blk *to_blk(struct ax_virtio_dev *dev)
{
	return (struct ax_virtio_blk *)dev;
}

/* Returns a request's chain with its status, frees the slot. Locked. */
static void blk_finish(struct ax_virtio_blk *b, struct blk_req *r, uint8_t status)
{
	struct blk_queue *bq = r->bq;
	struct ax_vq *q = bq->vq;

	if (b->dev.running) {
		*r->status = status;
		ax_vq_push(q, r->head, status == VIRTIO_BLK_S_OK ? r->written : 1);
	}
	r->next_free = bq->free_reqs;
	bq->free_reqs = r;
}

static uint8_t status_of(enum ax_err err)
{
	return err == AX_OK ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static void blk_process(struct ax_virtio_blk *b, struct blk_queue *bq);

/* inflight changes only under the device lock (drain reads it there too): no RMW needed. */
static void inflight_add(struct ax_virtio_blk *b, int delta)
{
	unsigned n = atomic_load_explicit(&b->dev.inflight, memory_order_relaxed);

	atomic_store_explicit(&b->dev.inflight, n + (unsigned)delta, memory_order_release);
}

/*
 * Backend completion: publish now unless the submitter is still inside submit.
 * REQ_SUBMITTED is final until the slot is reused, so seeing it takes no
 * read-modify-write; only the race with a submit still running needs the CAS.
 */
static void blk_complete(struct ax_block_request *br, enum ax_err err)
{
	struct blk_req *r = (struct blk_req *)br;
	struct ax_virtio_blk *b = r->blk;
	int expected = REQ_SUBMITTING;

	r->result = err;
	if (atomic_load_explicit(&r->state, memory_order_acquire) != REQ_SUBMITTED &&
	    atomic_compare_exchange_strong_explicit(&r->state, &expected, REQ_DONE_EARLY,
						    memory_order_acq_rel, memory_order_acquire))
		return;
	ax_spin_lock(&b->dev.lock, b->dev.hooks);
	blk_finish(b, r, status_of(err));
	inflight_add(b, -1);
	if (b->dev.running) {
		ax_virtio_dev_signal_used(&b->dev, r->bq->vq, r->bq->index);
		if (r->bq->starved)
			blk_process(b, r->bq);
	}
	ax_spin_unlock(&b->dev.lock);
}

/* The completion of a backend that completes inside submit: the submitter publishes. */
static void blk_complete_in_submit(struct ax_block_request *br, enum ax_err err)
{
	struct blk_req *r = (struct blk_req *)br;

	r->result = err;
	atomic_store_explicit(&r->state, REQ_DONE_EARLY, memory_order_relaxed);
}

/* Locked. The backend promised to complete inside submit: no hand-off, nothing in flight. */
static void blk_submit_sync(struct ax_virtio_blk *b, struct blk_req *r)
{
	enum ax_err err;

	r->br.complete = blk_complete_in_submit;
	atomic_store_explicit(&r->state, REQ_SUBMITTING, memory_order_relaxed);
	err = b->backend->submit(b->backend->ctx, &r->br);
	if (err == AX_OK &&
	    atomic_load_explicit(&r->state, memory_order_relaxed) != REQ_DONE_EARLY) {
		/* a broken promise: the slot is reused, a late completion must not come */
		ax_log(b->dev.hooks, AX_LOG_ERROR,
		       "virtio \"%s\": block backend returned from submit without completing "
		       "the request though it completes inside submit",
		       b->dev.name);
		err = AX_ERR_IO;
	} else if (err == AX_OK) {
		err = r->result;
	}
	blk_finish(b, r, status_of(err));
}

/* Locked. REQ_DONE_EARLY is final as well: a completion inside submit needs no CAS here. */
static void blk_submit(struct ax_virtio_blk *b, struct blk_req *r)
{
	int expected = REQ_SUBMITTING;
	enum ax_err err;

	if (b->backend->completes_in_submit) {
		blk_submit_sync(b, r);
		return;
	}
	r->br.complete = blk_complete;
	/* Relaxed: submit hands the request to the backend, which publishes it to its threads. */
	atomic_store_explicit(&r->state, REQ_SUBMITTING, memory_order_relaxed);
	inflight_add(b, 1);
	err = b->backend->submit(b->backend->ctx, &r->br);
	if (err == AX_OK &&
	    atomic_load_explicit(&r->state, memory_order_acquire) != REQ_DONE_EARLY &&
	    atomic_compare_exchange_strong_explicit(&r->state, &expected, REQ_SUBMITTED,
						    memory_order_acq_rel, memory_order_acquire))
		return; /* blk_complete publishes it later */
	if (err == AX_OK)
		err = r->result;
	blk_finish(b, r, status_of(err));
	inflight_add(b, -1);
}

/* Collects `len` bytes of bufs[first, first + count) after `skip` into r->iov. */
static void gather(struct blk_req *r, const struct ax_vq_buf *bufs, uint16_t count, uint64_t skip,
		   uint64_t len)
{
	uint32_t n = 0;

	for (uint16_t i = 0; i < count && len; i++) {
		if (skip >= bufs[i].len) {
			skip -= bufs[i].len;
			continue;
		}
		uint64_t take = bufs[i].len - skip < len ? bufs[i].len - skip : len;

		r->iov[n].base = bufs[i].addr + skip;
		r->iov[n].len = (size_t)take;
		n++;
		len -= take;
		skip = 0;
	}
	r->br.iov = r->iov;
	r->br.iovcnt = n;
}

static bool range_ok(const struct ax_virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return sector <= b->capacity / SECTOR && bytes <= b->capacity - sector * SECTOR;
}

/* DISCARD / WRITE_ZEROES: one {sector, num_sectors, flags} segment after the header. */
static uint8_t blk_prepare_range(struct ax_virtio_blk *b, const struct ax_vq_chain *c,
				 uint32_t type, struct blk_req *r)
{
	bool discard = type == VIRTIO_BLK_T_DISCARD;
	uint64_t feature = discard ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES;
	uint64_t data = c->out_bytes - HEADER_LEN;
	uint8_t seg[RANGE_LEN];
	uint64_t sector;
	uint32_t sectors, flags;

	if (!(b->dev.features & VIRTIO_BIT(feature)))
		return VIRTIO_BLK_S_UNSUPP;
	if (data == 0 || data % RANGE_LEN)
		return VIRTIO_BLK_S_IOERR;
	if (data > RANGE_LEN)
		return VIRTIO_BLK_S_UNSUPP; /* max_*_seg is 1 */
	ax_vq_chain_read(c, HEADER_LEN, seg, RANGE_LEN);
	sector = ax_vq_get_le(seg, 8);
	sectors = (uint32_t)ax_vq_get_le(seg + 8, 4);
	flags = (uint32_t)ax_vq_get_le(seg + 12, 4);
	if (flags & ~WRITE_ZEROES_FLAG_UNMAP || (discard && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (b->backend->read_only || sectors > MAX_RANGE_SECTORS ||
	    !range_ok(b, sector, (uint64_t)sectors * SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (sectors == 0)
		return BLK_S_DONE;
	r->br.op = discard ? AX_BLOCK_DISCARD : AX_BLOCK_WRITE_ZEROES;
	r->br.offset = sector * SECTOR;
	r->br.length = (uint64_t)sectors * SECTOR;
	r->br.unmap = flags & WRITE_ZEROES_FLAG_UNMAP;
	return VIRTIO_BLK_S_OK;
}

/* Fills r->br for the chain; any status but OK finishes it at once (DONE as OK). */
static uint8_t blk_prepare(struct ax_virtio_blk *b, const struct ax_vq_chain *c, uint32_t type,
			   uint64_t sector, struct blk_req *r)
{
	uint64_t in_data = c->in_bytes - 1;

	r->br.offset = sector * SECTOR;
	r->br.iovcnt = 0;
	r->br.unmap = false;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (in_data % SECTOR || !range_ok(b, sector, in_data))
			return VIRTIO_BLK_S_IOERR;
		r->br.op = AX_BLOCK_READ;
		r->br.length = in_data;
		r->written = (uint32_t)in_data + 1;
		gather(r, c->bufs + c->nr_out, c->nr_in, 0, in_data);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		r->br.op = AX_BLOCK_WRITE;
		r->br.length = c->out_bytes - HEADER_LEN;
		if (b->backend->read_only || r->br.length % SECTOR ||
		    !range_ok(b, sector, r->br.length))
			return VIRTIO_BLK_S_IOERR;
		gather(r, c->bufs, c->nr_out, HEADER_LEN, r->br.length);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		r->br.op = AX_BLOCK_FLUSH;
		r->br.offset = 0;
		r->br.length = 0;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_prepare_range(b, c, type, r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/* The last writable byte of the chain, where the status goes. */
static uint8_t *status_byte(const struct ax_vq_chain *c)
{
	for (uint16_t i = c->nr_out + c->nr_in; i > c->nr_out; i--)
		if (c->bufs[i - 1].len)
			return c->bufs[i - 1].addr + c->bufs[i - 1].len - 1;
	return NULL;
}

/* Handles one popped chain; false on a protocol error (the device is stopped). */
static bool blk_handle(struct ax_virtio_blk *b, struct blk_queue *bq, const struct ax_vq_chain *c)
{
	struct blk_req *r = bq->free_reqs;
	uint8_t header[HEADER_LEN];
	uint32_t type;
	uint64_t sector;
	uint8_t status;
	bool have_header = c->nr_out && c->bufs[0].len >= HEADER_LEN;

	if (have_header)
		ax_memcpy(header, c->bufs[0].addr, HEADER_LEN); /* the usual framing: one copy */
	else
		have_header = ax_vq_chain_read(c, 0, header, HEADER_LEN);
	if (!have_header || c->in_bytes == 0) {
		ax_virtio_dev_fail(&b->dev, "request %u has no room for its header or status byte",
				   c->head);
		return false;
	}
	bq->free_reqs = r->next_free;
	r->head = c->head;
	r->status = status_byte(c);
	r->written = 1;
	type = (uint32_t)ax_vq_get_le(header, 4);
	sector = ax_vq_get_le(header + 8, 8);
	if (type == VIRTIO_BLK_T_GET_ID) {
		uint64_t room = c->in_bytes - 1, n = room < ID_LEN ? room : ID_LEN;

		r->written = (uint32_t)ax_vq_chain_write(c, 0, b->id, n) + 1;
		blk_finish(b, r, VIRTIO_BLK_S_OK);
		return true;
	}
	status = blk_prepare(b, c, type, sector, r);
	if (status == VIRTIO_BLK_S_OK)
		blk_submit(b, r);
	else
		blk_finish(b, r, status == BLK_S_DONE ? VIRTIO_BLK_S_OK : status);
	return true;
}

/* Takes every available request, then signals the driver once. Locked. */
static void blk_process(struct ax_virtio_blk *b, struct blk_queue *bq)
{
	struct ax_vq *q = bq->vq;
	uint16_t used_before = q->used_idx;
	struct ax_vq_chain c = { .bufs = b->bufs, .cap = CHAIN_MAX }; /* ax_vq_pop fills the rest */
	struct ax_vq_fault fault;

	bq->starved = false;
	for (;;) {
		while (b->dev.running) {
			int got;

			if (!bq->free_reqs) {
				bq->starved = true;
				goto out;
			}
			got = ax_vq_pop(q, b->dev.hooks, &c, &fault);
			if (got < 0) {
				ax_virtio_dev_fail(&b->dev, "requestq %u: %s", bq->index,
						   fault.msg);
				return;
			}
			if (got == 0 || !blk_handle(b, bq, &c))
				break;
		}
		if (!b->dev.running || !ax_vq_arm_notify(q))
			break;
	}
out:
	if (b->dev.running && q->used_idx != used_before)
		ax_virtio_dev_signal_used(&b->dev, q, bq->index);
}

static void blk_queue_notify(struct ax_virtio_dev *dev, uint16_t index)
{
	struct ax_virtio_blk *b = to_blk(dev);

	blk_process(b, &b->rq[index]);
}

static void blk_reset(struct ax_virtio_dev *dev)
{
	struct ax_virtio_blk *b = to_blk(dev);

	for (uint16_t i = 0; i < dev->nr_queues; i++)
		b->rq[i].starved = false;
}

static void blk_destroy(struct ax_virtio_dev *dev)
{
	struct ax_virtio_blk *b = to_blk(dev);
	const struct ax_host_hooks *hooks = dev->hooks;

	ax_free(hooks, b->reqs);
	ax_free(hooks, b);
}

static const struct ax_virtio_dev_ops blk_ops = {
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

static enum ax_err blk_cfg(const struct ax_emu_config *cfg, uint32_t *queue_size,
			   uint32_t *num_queues, struct ax_diag *diag)
{
	uint64_t size = QUEUE_SIZE_DEFAULT, queues = 1;

	if (cfg->cfg_len > 2)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-blk cfg_list is [], [queue_size] or "
			       "[queue_size, num_queues], got %zu entries",
			       cfg->name, cfg->cfg_len);
	if (cfg->cfg_len >= 1)
		size = cfg->cfg_list[0];
	if (cfg->cfg_len == 2)
		queues = cfg->cfg_list[1];
	if (size < 2 || size > QUEUE_SIZE_LIMIT || (size & (size - 1)))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": queue_size %llu is not a power of two in [2, %u]",
			       cfg->name, (unsigned long long)size, QUEUE_SIZE_LIMIT);
	if (queues < 1 || queues > AX_VIRTIO_BLK_QUEUES_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": num_queues %llu is not in [1, %u]", cfg->name,
			       (unsigned long long)queues, AX_VIRTIO_BLK_QUEUES_MAX);
	*queue_size = (uint32_t)size;
	*num_queues = (uint32_t)queues;
	return AX_OK;
}

static void blk_fill_config(struct ax_virtio_blk *b)
{
	struct ax_virtio_dev *d = &b->dev;
	bool unmap = b->backend->can_discard;

	d->config_len = CFG_LEN;
	ax_virtio_config_put(d, CFG_CAPACITY, b->capacity / SECTOR, 8);
	ax_virtio_config_put(d, CFG_SEG_MAX, SEG_MAX, 4);
	ax_virtio_config_put(d, CFG_BLK_SIZE, SECTOR, 4);
	ax_virtio_config_put(d, CFG_NUM_QUEUES, d->nr_queues, 2);
	if (d->device_features & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD)) {
		ax_virtio_config_put(d, CFG_MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS, 4);
		ax_virtio_config_put(d, CFG_MAX_DISCARD_SEG, 1, 4);
		ax_virtio_config_put(d, CFG_DISCARD_SECTOR_ALIGNMENT, 1, 4);
	}
	if (d->device_features & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES)) {
		ax_virtio_config_put(d, CFG_MAX_WRITE_ZEROES_SECTORS, MAX_RANGE_SECTORS, 4);
		ax_virtio_config_put(d, CFG_MAX_WRITE_ZEROES_SEG, 1, 4);
		ax_virtio_config_put(d, CFG_WRITE_ZEROES_MAY_UNMAP, unmap, 1);
	}
}

static uint64_t blk_features(const struct ax_block_backend *be, uint32_t num_queues)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_RING_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_RING_EVENT_IDX) |
		     VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

	if (num_queues > 1)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_MQ);

	if (be->read_only)
		return f | VIRTIO_BIT(VIRTIO_BLK_F_RO);
	if (be->can_discard)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD);
	if (be->can_write_zeroes)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	return f;
}

enum ax_err ax_virtio_blk_new(const struct ax_host_hooks *hooks, const char *name,
			      const struct ax_block_backend *be, uint32_t queue_size,
			      struct ax_virtio_dev **out, struct ax_diag *diag)
{
	return ax_virtio_blk_new_mq(hooks, name, be, queue_size, 1, out, diag);
}

enum ax_err ax_virtio_blk_new_mq(const struct ax_host_hooks *hooks, const char *name,
				 const struct ax_block_backend *be, uint32_t queue_size,
				 uint32_t num_queues, struct ax_virtio_dev **out,
				 struct ax_diag *diag)
{
	struct ax_virtio_blk *b;
	uint32_t slots;

	if (queue_size < 2 || queue_size > QUEUE_SIZE_LIMIT || (queue_size & (queue_size - 1)))
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": queue_size %u is not a power of two in [2, %u]",
			       name, queue_size, QUEUE_SIZE_LIMIT);
	if (num_queues < 1 || num_queues > AX_VIRTIO_BLK_QUEUES_MAX)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": num_queues %u is not in [1, %u]", name, num_queues,
			       AX_VIRTIO_BLK_QUEUES_MAX);
	if (!hooks->guest_mem)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": virtio-blk needs the guest_mem host hook", name);
	if (!be)
		return ax_fail(diag, AX_ERR_NOT_FOUND,
			       "device \"%s\": no block backend is bound to this name", name);
	if (!be->submit || be->capacity % SECTOR)
		return ax_fail(diag, AX_ERR_INVALID_INPUT,
			       "device \"%s\": block backend has no submit or a capacity of %llu "
			       "bytes, not a multiple of 512",
			       name, (unsigned long long)be->capacity);
	slots = queue_size * num_queues;
	b = ax_zalloc(hooks, sizeof(*b));
	if (b)
		b->reqs = ax_zalloc(hooks, sizeof(*b->reqs) * slots);
	if (!b || !b->reqs) {
		ax_free(hooks, b);
		return ax_fail(diag, AX_ERR_NO_MEMORY, "device \"%s\": out of memory", name);
	}
	ax_virtio_dev_init(&b->dev, hooks, name, VIRTIO_ID_BLOCK, blk_features(be, num_queues),
			   &blk_ops);
	b->dev.nr_queues = (uint16_t)num_queues;
	b->backend = be;
	b->capacity = be->capacity;
	ax_memcpy(b->id, b->dev.name, ax_strnlen(b->dev.name, ID_LEN));
	for (uint32_t i = 0; i < slots; i++) {
		b->reqs[i].blk = b;
		b->reqs[i].bq = &b->rq[i / queue_size];
		b->reqs[i].br.opaque = &b->reqs[i];
		b->reqs[i].next_free = (i + 1) % queue_size ? &b->reqs[i + 1] : NULL;
	}
	for (uint32_t q = 0; q < num_queues; q++) {
		b->dev.queues[q].num_max = (uint16_t)queue_size;
		b->rq[q].vq = &b->dev.queues[q];
		b->rq[q].index = (uint16_t)q;
		b->rq[q].free_reqs = &b->reqs[q * queue_size];
	}
	blk_fill_config(b);
	*out = &b->dev;
	return AX_OK;
}

enum ax_err ax_virtio_blk_create(const struct ax_kind_env *env, const struct ax_emu_config *cfg,
				 struct ax_device_desc *out, struct ax_diag *diag)
{
	const struct ax_host_hooks *hooks = env->hooks;
	struct ax_virtio_dev *dev;
	uint32_t queue_size = 0, num_queues = 1;
	enum ax_err err;

	err = blk_cfg(cfg, &queue_size, &num_queues, diag);
	if (err)
		return err;
	err = ax_virtio_blk_new_mq(
		hooks, cfg->name,
		hooks->block_backend ? hooks->block_backend(hooks->ctx, cfg->name) : NULL,
		queue_size, num_queues, &dev, diag);
	if (err)
		return err;
	return ax_virtio_mmio_create(env, cfg, AX_EMU_VIRTIO_BLK, dev, out, diag);
}
