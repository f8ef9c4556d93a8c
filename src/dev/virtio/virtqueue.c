/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, device side. See virtqueue.h for the rules every chain
 * must follow. Layouts (virtio 1.2 §2.7):
 *
 *   descriptor table  16 bytes each: le64 addr, le32 len, le16 flags, le16 next
 *   available ring    le16 flags, le16 idx, le16 ring[num], le16 used_event
 *   used ring         le16 flags, le16 idx, {le32 id, le32 len} ring[num],
 *                     le16 avail_event
 *
 * Indices shared with the guest are read with acquire and published with
 * release atomics; event-index checks sit behind a full fence so that a
 * notification is never lost between the two sides' checks.
 */
#include "virtqueue.h"

#include <stdatomic.h>

#include "../../core/util.h"

#define DESC_SIZE 16u

#define le16 ax_vq_le16
#define le32 ax_vq_le32

/* Window sizes for buffer translation (see virtqueue.h). */
#define WINDOW_MAX_SHIFT 21 /* 2 MiB */
#define WINDOW_MIN_SHIFT 16 /* 64 KiB */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static uint16_t load16(const uint8_t *p)
{
	return le16(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE));
}

static void store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, le16(v), __ATOMIC_RELEASE);
}

/* One copy of the descriptor: the guest may change the table while we look. */
static inline struct desc load_desc(const uint8_t *table, uint32_t i)
{
	uint8_t raw[DESC_SIZE];

	ax_memcpy(raw, table + (size_t)i * DESC_SIZE, DESC_SIZE);
	return (struct desc){
		.addr = ax_vq_get_le(raw, 8),
		.len = (uint32_t)ax_vq_get_le(raw + 8, 4),
		.flags = (uint16_t)ax_vq_get_le(raw + 12, 2),
		.next = (uint16_t)ax_vq_get_le(raw + 14, 2),
	};
}

static int fault_at(struct ax_vq_fault *fault, const char *fmt, ...) AX_PRINTF(2, 3);

static int fault_at(struct ax_vq_fault *fault, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ax_vformat(fault->msg, sizeof(fault->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void ax_vq_reset(struct ax_vq *q)
{
	uint16_t num_max = q->num_max;

	ax_memset(q, 0, sizeof(*q));
	q->num_max = num_max;
	q->num = num_max;
}

bool ax_vq_num_valid(const struct ax_vq *q, uint32_t num)
{
	return num != 0 && num <= q->num_max && (num & (num - 1)) == 0;
}

/* Maps [gpa, gpa + len) for a ring; checks guest alignment and the host pointer's. */
static uint8_t *map_ring(const struct ax_host_hooks *hooks, uint64_t gpa, uint64_t len,
			 uint64_t align, bool write, const char *what, struct ax_vq_fault *fault)
{
	uint8_t *p;

	if (gpa & (align - 1)) {
		fault_at(fault, "%s at 0x%llx is not %llu-byte aligned", what,
			 (unsigned long long)gpa, (unsigned long long)align);
		return NULL;
	}
	if (gpa + len < gpa) {
		fault_at(fault, "%s at 0x%llx wraps the address space", what,
			 (unsigned long long)gpa);
		return NULL;
	}
	p = hooks->guest_mem ? hooks->guest_mem(hooks->ctx, gpa, len, write) : NULL;
	if (!p) {
		fault_at(fault, "%s [0x%llx, +0x%llx) is not in guest RAM", what,
			 (unsigned long long)gpa, (unsigned long long)len);
		return NULL;
	}
	if ((uintptr_t)p & (align - 1)) {
		fault_at(fault, "%s at 0x%llx maps to a misaligned host address", what,
			 (unsigned long long)gpa);
		return NULL;
	}
	return p;
}

bool ax_vq_start(struct ax_vq *q, const struct ax_host_hooks *hooks, bool event_idx, bool indirect,
		 struct ax_vq_fault *fault)
{
	uint64_t num = q->num;

	if (!ax_vq_num_valid(q, q->num)) {
		fault_at(fault, "queue size %u is not a power of two in [1, %u]", q->num,
			 q->num_max);
		return false;
	}
	q->desc =
		map_ring(hooks, q->desc_gpa, DESC_SIZE * num, 16, false, "descriptor table", fault);
	q->avail = q->desc ? map_ring(hooks, q->avail_gpa, 6 + 2 * num, 2, false, "available ring",
				      fault)
			   : NULL;
	q->used = q->avail ? map_ring(hooks, q->used_gpa, 6 + 8 * num, 4, true, "used ring", fault)
			   : NULL;
	if (!q->used) {
		q->desc = q->avail = NULL;
		return false;
	}
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_valid = false;
	q->fenced = false;
	q->win = (struct ax_vq_window){ 0, 0, NULL };
	q->win_shift = WINDOW_MAX_SHIFT;
	q->started = true;
	return true;
}

void ax_vq_resume(struct ax_vq *q, uint16_t last_avail)
{
	q->last_avail = last_avail;
	q->used_idx = load16(q->used + 2);
	q->signalled_valid = false;
}

/*
 * A window miss: asks the hook for the aligned block around the buffer as
 * writable RAM (smaller blocks after a refusal, none below the minimum),
 * else for the buffer alone. len > 0 and gpa + len does not wrap.
 */
static uint8_t *translate_slow(struct ax_vq *q, const struct ax_host_hooks *hooks, uint64_t gpa,
			       uint64_t len, bool write)
{
	while (q->win_shift >= WINDOW_MIN_SHIFT) {
		uint64_t size = UINT64_C(1) << q->win_shift, base = gpa & ~(size - 1);
		uint8_t *w;

		if (gpa - base + len > size)
			break; /* straddles the block: this one goes to the hook alone */
		w = hooks->guest_mem(hooks->ctx, base, size, true);
		if (w) {
			q->win = (struct ax_vq_window){ base, size, w };
			return w + (gpa - base);
		}
		q->win_shift--;
	}
	return hooks->guest_mem(hooks->ctx, gpa, len, write);
}

/*
 * Host memory backing [gpa, gpa + len) (len > 0, no wrap), or NULL: see
 * "Translation". `win` is the caller's copy of q->win, kept in registers
 * (stores into the chain could alias q), refreshed when the window moves.
 */
static inline uint8_t *translate(struct ax_vq *q, struct ax_vq_window *win,
				 const struct ax_host_hooks *hooks, uint64_t gpa, uint64_t len,
				 bool write)
{
	uint64_t off = gpa - win->gpa; /* huge when gpa lies below the window */
	uint8_t *p;

	if (ax_likely(off < win->len && len <= win->len - off))
		return win->host + off;
	p = translate_slow(q, hooks, gpa, len, write);
	*win = q->win;
	return p;
}

/* An indirect descriptor (at most one per chain, negotiated): its table, or NULL (fault set). */
static const uint8_t *indirect_table(struct ax_vq *q, struct ax_vq_window *win,
				     const struct ax_host_hooks *hooks, const struct desc *d,
				     bool in_indirect, struct ax_vq_fault *fault)
{
	const uint8_t *table;

	if (!q->indirect)
		fault_at(fault, "indirect descriptor not negotiated");
	else if (in_indirect)
		fault_at(fault, "indirect table inside an indirect table");
	else if (d->flags & VIRTQ_DESC_F_NEXT)
		fault_at(fault, "indirect descriptor has NEXT set");
	else if (d->len == 0 || d->len % DESC_SIZE || d->len / DESC_SIZE > VQ_MAX_INDIRECT)
		fault_at(fault, "indirect table length %u is invalid", d->len);
	else if (d->addr + d->len - 1 < d->addr)
		fault_at(fault, "indirect table wraps the address space");
	else if (!(table = translate(q, win, hooks, d->addr, d->len, false)))
		fault_at(fault, "indirect table [0x%llx, +0x%x) is not in guest RAM",
			 (unsigned long long)d->addr, d->len);
	else
		return table;
	return NULL;
}

/*
 * The walk keeps its counts in locals (the chain's buffer array could alias
 * the chain itself, so the compiler would reload them from memory after
 * every store) and writes the chain header back once at the end.
 */
int ax_vq_pop_chain(struct ax_vq *q, const struct ax_host_hooks *hooks, struct ax_vq_chain *c,
		    struct ax_vq_fault *fault)
{
	uint16_t avail_idx = ax_vq_avail_idx(q);
	uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
	const uint8_t *table = q->desc;
	uint32_t table_len = q->num;
	uint32_t budget = table_len; /* descriptors the walk may still visit */
	struct ax_vq_buf *bufs = c->bufs;
	struct ax_vq_window win = q->win;
	uint32_t cap = c->cap, n = 0, nr_out = 0;
	uint64_t out_bytes = 0, total = 0;
	uint32_t i, head;
	bool in_indirect = false;

	if (pending == 0)
		return 0;
	if (ax_unlikely(pending > q->num))
		return fault_at(fault, "avail idx %u is %u entries ahead of %u (queue size %u)",
				avail_idx, pending, q->last_avail, q->num);
	head = i = load16(q->avail + 4 + 2u * (q->last_avail & (q->num - 1)));
	c->head = (uint16_t)head;
	c->nr_out = c->nr_in = 0;
	c->out_bytes = c->in_bytes = 0;
	if (ax_unlikely(i >= q->num))
		return fault_at(fault, "head %u is outside the queue (size %u)", i, q->num);

	for (;;) {
		struct desc d;
		bool writable;

		if (ax_unlikely(budget-- == 0))
			return fault_at(fault, "chain %u loops or exceeds its table", head);
		d = load_desc(table, i);
		if (ax_unlikely(d.flags & VIRTQ_DESC_F_INDIRECT)) {
			table = indirect_table(q, &win, hooks, &d, in_indirect, fault);
			if (!table)
				return -1;
			table_len = budget = d.len / DESC_SIZE;
			in_indirect = true;
			i = 0;
			continue;
		}
		/* One data buffer: check it and append it. */
		writable = d.flags & VIRTQ_DESC_F_WRITE;
		if (ax_unlikely(d.len && d.addr + d.len - 1 < d.addr))
			return fault_at(fault, "buffer 0x%llx+0x%x wraps the address space",
					(unsigned long long)d.addr, d.len);
		if (ax_unlikely(!writable && n != nr_out))
			return fault_at(fault, "readable buffer after a writable one in chain %u",
					head);
		if (ax_unlikely(n >= cap))
			return fault_at(fault, "chain %u has more than %u buffers", head, cap);
		if (ax_unlikely(total + d.len > VQ_MAX_CHAIN_BYTES))
			return fault_at(fault, "chain %u reaches 4 GiB", head);
		bufs[n].len = d.len;
		bufs[n].addr = NULL;
		if (d.len) {
			bufs[n].addr = translate(q, &win, hooks, d.addr, d.len, writable);
			if (ax_unlikely(!bufs[n].addr))
				return fault_at(fault, "buffer [0x%llx, +0x%x) is not in guest RAM",
						(unsigned long long)d.addr, d.len);
		}
		n++;
		total += d.len;
		if (!writable) {
			nr_out++;
			out_bytes += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (ax_unlikely(i >= table_len))
			return fault_at(fault, "next %u is outside its table of %u", i, table_len);
	}
	c->nr_out = (uint16_t)nr_out;
	c->nr_in = (uint16_t)(n - nr_out);
	c->out_bytes = out_bytes;
	c->in_bytes = total - out_bytes;
	q->last_avail++;
	return 1;
}

void ax_vq_push(struct ax_vq *q, uint16_t head, uint32_t written)
{
	uint8_t *elem = q->used + 4 + 8u * (q->used_idx & (q->num - 1));
	uint32_t id = le32((uint32_t)head), len = le32(written);

	ax_memcpy(elem, &id, 4);
	ax_memcpy(elem + 4, &len, 4);
	q->used_idx++;
	store16(q->used + 2, q->used_idx); /* release: the element is visible first */
	q->fenced = false;
}

/* Whether the driver's fields in the available ring ask for an interrupt now. */
static bool driver_wants_interrupt(const struct ax_vq *q, uint16_t old, uint16_t now, bool valid)
{
	uint16_t used_event;

	if (!q->event_idx)
		return !(load16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	/* §2.7.10: interrupt if used_event lies in (old, now]. */
	used_event = load16(q->avail + 4 + 2u * q->num);
	return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
}

bool ax_vq_should_interrupt(struct ax_vq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool valid = q->signalled_valid;

	q->signalled_used = now;
	q->signalled_valid = true;
	/*
	 * A "yes" needs no fence: an extra interrupt is harmless. A "no" may be
	 * stale, read before our used->idx store is visible to a driver that
	 * meanwhile re-enabled interrupts and found no new entry, so it counts
	 * only once read after a full fence (ax_vq_arm_notify's, if no push
	 * came after it).
	 */
	if (driver_wants_interrupt(q, old, now, valid))
		return true;
	if (!q->fenced) {
		atomic_thread_fence(memory_order_seq_cst);
		q->fenced = true;
	}
	return driver_wants_interrupt(q, old, now, valid);
}

bool ax_vq_arm_notify(struct ax_vq *q)
{
	/* Without event index we never suppress notifications (no USED_F_NO_NOTIFY): the
	 * driver notifies after every entry it adds, so there is no race to close here. */
	if (!q->event_idx)
		return load16(q->avail + 2) != q->last_avail;
	store16(q->used + 4 + 8u * q->num, q->last_avail);
	atomic_thread_fence(memory_order_seq_cst);
	q->fenced = true;
	return load16(q->avail + 2) != q->last_avail;
}

bool ax_vq_chain_read(const struct ax_vq_chain *c, uint64_t offset, void *dst, uint64_t len)
{
	uint8_t *out = dst;

	for (uint16_t i = 0; i < c->nr_out && len; i++) {
		const struct ax_vq_buf *b = &c->bufs[i];

		if (offset >= b->len) {
			offset -= b->len;
			continue;
		}
		uint64_t n = b->len - offset < len ? b->len - offset : len;

		ax_memcpy(out, b->addr + offset, n);
		out += n;
		len -= n;
		offset = 0;
	}
	return len == 0;
}

uint64_t ax_vq_chain_write(const struct ax_vq_chain *c, uint64_t offset, const void *src,
			   uint64_t len)
{
	const uint8_t *in = src;
	uint64_t done = 0;

	for (uint16_t i = c->nr_out; i < c->nr_out + c->nr_in && len; i++) {
		const struct ax_vq_buf *b = &c->bufs[i];

		if (offset >= b->len) {
			offset -= b->len;
			continue;
		}
		uint64_t n = b->len - offset < len ? b->len - offset : len;

		ax_memcpy(b->addr + offset, in + done, n);
		done += n;
		len -= n;
		offset = 0;
	}
	return done;
}
