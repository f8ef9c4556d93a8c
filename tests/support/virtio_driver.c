/* SPDX-License-Identifier: Apache-2.0 */
/* The tests' independent virtio-mmio driver; see virtio_driver.h. */
#include "virtio_driver.h"

#include <stdlib.h>
#include <string.h>

#define RING_STRIDE   0x10000u
#define AVAIL_OFF     0x4000u
#define USED_OFF      0x8000u
#define INDIRECT_BASE 0x20000u
#define INDIRECT_SIZE 0x20000u
#define SLOT_BASE     0x40000u
#define SLOT_SIZE     0x3000u
#define SLOT_DATA     0x1000u
#define SLOT_STATUS   0x100u

void vdrv_attach(struct vdrv *d, struct ax_devices *set, uint64_t base, uint8_t *ram,
		 uint64_t ram_gpa, uint64_t ram_size)
{
	memset(d, 0, sizeof(*d));
	d->set = set;
	d->base = base;
	d->ram = ram;
	d->ram_gpa = ram_gpa;
	d->ram_size = ram_size;
}

/* vdrv_ptr, inlined into the driver's own ring and buffer accesses. */
static inline void *ram_at(struct vdrv *d, uint64_t gpa)
{
	if (gpa < d->ram_gpa || gpa - d->ram_gpa >= d->ram_size)
		abort();
	return d->ram + (gpa - d->ram_gpa);
}

void *vdrv_ptr(struct vdrv *d, uint64_t gpa)
{
	return ram_at(d, gpa);
}

/* i modulo the queue size: a mask for the power-of-two sizes of split rings (§2.7), which
 * avoids a division per ring index; a remainder for any other size a test may set. */
static uint16_t ring_slot(const struct vdrv_queue *q, uint32_t i)
{
	if ((q->size & (q->size - 1)) == 0)
		return (uint16_t)(i & (q->size - 1u));
	return (uint16_t)(i % q->size);
}

static void put16(struct vdrv *d, uint64_t gpa, uint16_t v)
{
	__atomic_store_n((uint16_t *)ram_at(d, gpa), v, __ATOMIC_RELEASE);
}

static uint16_t get16(struct vdrv *d, uint64_t gpa)
{
	return __atomic_load_n((uint16_t *)ram_at(d, gpa), __ATOMIC_ACQUIRE);
}

uint32_t vdrv_read(struct vdrv *d, uint32_t off)
{
	uint64_t v = 0;

	d->last_err = ax_devices_handle_mmio_read(d->set, 0, d->base + off, 4, &v);
	return (uint32_t)v;
}

enum ax_err vdrv_write(struct vdrv *d, uint32_t off, uint32_t val)
{
	d->last_err = ax_devices_handle_mmio_write(d->set, 0, d->base + off, 4, val);
	return d->last_err;
}

uint64_t vdrv_config(struct vdrv *d, uint32_t off, unsigned width)
{
	uint64_t v = 0;

	d->last_err = ax_devices_handle_mmio_read(d->set, 0, d->base + VD_CONFIG + off, width, &v);
	return v;
}

int vdrv_layout_queue(struct vdrv *d, unsigned qi, uint16_t qsize)
{
	struct vdrv_queue *q;
	uint64_t rings = qi < 2 ? d->ram_gpa + qi * RING_STRIDE
				: d->ram_gpa + d->ram_size - (qi - 1) * RING_STRIDE;

	if (qi >= VDRV_MAX_QUEUES)
		return -1;
	q = &d->q[qi];
	memset(ram_at(d, rings), 0, RING_STRIDE);
	memset(q, 0, sizeof(*q));
	q->size = qsize;
	q->desc = rings;
	q->avail = rings + AVAIL_OFF;
	q->used = rings + USED_OFF;
	return 0;
}

int vdrv_setup_queue(struct vdrv *d, unsigned qi, uint16_t qsize)
{
	struct vdrv_queue *q;

	if (qi >= VDRV_MAX_QUEUES)
		return -1;
	q = &d->q[qi];
	vdrv_write(d, VD_QUEUE_SEL, qi);
	if (vdrv_read(d, VD_QUEUE_READY) != 0 || vdrv_read(d, VD_QUEUE_NUM_MAX) < qsize ||
	    vdrv_layout_queue(d, qi, qsize))
		return -1;
	if (vdrv_write(d, VD_QUEUE_NUM, qsize) ||
	    vdrv_write(d, VD_QUEUE_DESC_LOW, (uint32_t)q->desc) ||
	    vdrv_write(d, VD_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32)) ||
	    vdrv_write(d, VD_QUEUE_DRIVER_LOW, (uint32_t)q->avail) ||
	    vdrv_write(d, VD_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32)) ||
	    vdrv_write(d, VD_QUEUE_DEVICE_LOW, (uint32_t)q->used) ||
	    vdrv_write(d, VD_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32)) ||
	    vdrv_write(d, VD_QUEUE_READY, 1))
		return -1;
	return vdrv_read(d, VD_QUEUE_READY) == 1 ? 0 : -1;
}

int vdrv_init(struct vdrv *d, uint64_t wanted, unsigned nr_queues, uint16_t qsize)
{
	uint16_t sizes[VDRV_MAX_QUEUES];

	if (nr_queues > VDRV_MAX_QUEUES)
		return -1;
	for (unsigned i = 0; i < nr_queues; i++)
		sizes[i] = qsize;
	return vdrv_init_sizes(d, wanted, nr_queues, sizes);
}

int vdrv_init_sizes(struct vdrv *d, uint64_t wanted, unsigned nr_queues, const uint16_t *qsizes)
{
	uint64_t offered;
	uint32_t status;

	vdrv_write(d, VD_STATUS, 0);
	if (vdrv_read(d, VD_MAGIC) != 0x74726976u || vdrv_read(d, VD_VERSION) != 2)
		return -1;
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE);
	vdrv_write(d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER);
	vdrv_write(d, VD_DEVICE_FEAT_SEL, 0);
	offered = vdrv_read(d, VD_DEVICE_FEATURES);
	vdrv_write(d, VD_DEVICE_FEAT_SEL, 1);
	offered |= (uint64_t)vdrv_read(d, VD_DEVICE_FEATURES) << 32;
	d->features = (wanted | VD_F(VD_F_VERSION_1)) & offered;
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 0);
	vdrv_write(d, VD_DRIVER_FEATURES, (uint32_t)d->features);
	vdrv_write(d, VD_DRIVER_FEAT_SEL, 1);
	vdrv_write(d, VD_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	status = VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK;
	vdrv_write(d, VD_STATUS, status);
	if (!(vdrv_read(d, VD_STATUS) & VD_S_FEATURES_OK))
		return -1;
	for (unsigned i = 0; i < nr_queues; i++)
		if (vdrv_setup_queue(d, i, qsizes[i]))
			return -1;
	vdrv_write(d, VD_STATUS, status | VD_S_DRIVER_OK);
	return vdrv_read(d, VD_STATUS) == (status | VD_S_DRIVER_OK) ? 0 : -1;
}

static void write_desc(struct vdrv *d, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	uint8_t *p = ram_at(d, table + 16u * i);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

void vdrv_set_desc(struct vdrv *d, unsigned qi, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	write_desc(d, d->q[qi].desc, i, addr, len, flags, next);
}

void vdrv_post_head(struct vdrv *d, unsigned qi, uint16_t head)
{
	struct vdrv_queue *q = &d->q[qi];

	put16(d, q->avail + 4 + 2u * ring_slot(q, q->avail_idx), head);
	q->avail_idx++;
	put16(d, q->avail + 2, q->avail_idx);
}

uint16_t vdrv_post(struct vdrv *d, unsigned qi, const struct vdrv_seg *segs, unsigned n,
		   bool indirect)
{
	struct vdrv_queue *q = &d->q[qi];
	uint16_t head = q->next_desc;

	if (indirect) {
		uint64_t table = d->ram_gpa + INDIRECT_BASE + d->next_indirect;

		d->next_indirect =
			(d->next_indirect + 16u * n + 15) % (INDIRECT_SIZE - 0x1000) & ~15u;
		for (unsigned i = 0; i < n; i++)
			write_desc(d, table, (uint16_t)i, segs[i].gpa, segs[i].len,
				   (uint16_t)((segs[i].write ? VD_DESC_WRITE : 0) |
					      (i + 1 < n ? VD_DESC_NEXT : 0)),
				   (uint16_t)(i + 1));
		write_desc(d, q->desc, head, table, 16u * n, VD_DESC_INDIRECT, 0);
		q->next_desc = ring_slot(q, head + 1u);
	} else {
		for (unsigned i = 0; i < n; i++) {
			uint16_t idx = ring_slot(q, head + i);
			uint16_t next = ring_slot(q, head + i + 1u);

			write_desc(d, q->desc, idx, segs[i].gpa, segs[i].len,
				   (uint16_t)((segs[i].write ? VD_DESC_WRITE : 0) |
					      (i + 1 < n ? VD_DESC_NEXT : 0)),
				   next);
		}
		q->next_desc = ring_slot(q, head + n);
	}
	vdrv_post_head(d, qi, head);
	return head;
}

void vdrv_kick(struct vdrv *d, unsigned qi)
{
	vdrv_write(d, VD_QUEUE_NOTIFY, qi);
}

bool vdrv_used(struct vdrv *d, unsigned qi, uint32_t *id, uint32_t *len)
{
	struct vdrv_queue *q = &d->q[qi];
	uint8_t *elem;

	if (get16(d, q->used + 2) == q->used_seen)
		return false;
	elem = ram_at(d, q->used + 4 + 8u * ring_slot(q, q->used_seen));
	memcpy(id, elem, 4);
	memcpy(len, elem + 4, 4);
	q->used_seen++;
	return true;
}

void vdrv_set_used_event(struct vdrv *d, unsigned qi, uint16_t idx)
{
	put16(d, d->q[qi].avail + 4 + 2u * d->q[qi].size, idx);
}

uint16_t vdrv_avail_event(struct vdrv *d, unsigned qi)
{
	return get16(d, d->q[qi].used + 4 + 8u * d->q[qi].size);
}

void vdrv_set_avail_flags(struct vdrv *d, unsigned qi, uint16_t flags)
{
	put16(d, d->q[qi].avail, flags);
}

uint16_t vdrv_used_idx(struct vdrv *d, unsigned qi)
{
	return get16(d, d->q[qi].used + 2);
}

static uint64_t slot_gpa(struct vdrv *d, unsigned slot)
{
	return d->ram_gpa + SLOT_BASE + (uint64_t)slot * SLOT_SIZE;
}

static bool data_is_written(uint32_t type)
{
	return type == VD_BLK_T_IN || type == VD_BLK_T_GET_ID;
}

/* inline: vdrv_blk_start is in bench_icount's measured loop */
static inline __attribute__((always_inline)) void blk_post(struct vdrv *d,
							   const struct vdrv_blk_req *r)
{
	uint64_t base = slot_gpa(d, r->slot), data = base + SLOT_DATA;
	uint8_t *hdr = ram_at(d, base);
	struct vdrv_seg segs[24];
	unsigned n = 0;
	bool written = data_is_written(r->type);

	if (r->len > 8192)
		abort();
	memset(hdr, 0, 16);
	memcpy(hdr, &r->type, 4);
	memcpy(hdr + 8, &r->sector, 8);
	*(uint8_t *)ram_at(d, base + SLOT_STATUS) = 0xff;
	if (r->len && !written)
		memcpy(ram_at(d, data), r->data, r->len);
	if (r->flags & VDRV_SPLIT) {
		segs[n++] = (struct vdrv_seg){ base, 4, false };
		segs[n++] = (struct vdrv_seg){ base + 4, 12, false };
		for (uint32_t off = 0; off < r->len; off += 512)
			segs[n++] = (struct vdrv_seg){ data + off,
						       r->len - off < 512 ? r->len - off : 512,
						       written };
	} else {
		segs[n++] = (struct vdrv_seg){ base, 16, false };
		if (r->len)
			segs[n++] = (struct vdrv_seg){ data, r->len, written };
	}
	segs[n++] = (struct vdrv_seg){ base + SLOT_STATUS, 1, true };
	vdrv_post(d, r->queue, segs, n, r->flags & VDRV_INDIRECT);
}

void vdrv_blk_post(struct vdrv *d, const struct vdrv_blk_req *r)
{
	blk_post(d, r);
}

void vdrv_blk_start(struct vdrv *d, const struct vdrv_blk_req *r)
{
	blk_post(d, r);
	vdrv_kick(d, r->queue);
}

int vdrv_blk_result(struct vdrv *d, const struct vdrv_blk_req *r)
{
	uint64_t base = slot_gpa(d, r->slot);
	uint8_t status = *(uint8_t *)ram_at(d, base + SLOT_STATUS);

	if (status == VD_BLK_S_OK && data_is_written(r->type) && r->len)
		memcpy(r->data, ram_at(d, base + SLOT_DATA), r->len);
	return status;
}

int vdrv_blk(struct vdrv *d, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     unsigned flags)
{
	struct vdrv_blk_req r = { type, sector, data, len, flags, 0 };
	uint32_t id, used_len;

	vdrv_blk_start(d, &r);
	if (!vdrv_used(d, 0, &id, &used_len))
		return -1;
	return vdrv_blk_result(d, &r);
}

/* --- virtio-net --------------------------------------------------------------------------- */

static void le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void vdrv_net_hdr_pack(const struct vdrv_net_hdr *h, uint8_t out[VD_NET_HDR_LEN])
{
	out[0] = h->flags;
	out[1] = h->gso_type;
	le16_put(out + 2, h->hdr_len);
	le16_put(out + 4, h->gso_size);
	le16_put(out + 6, h->csum_start);
	le16_put(out + 8, h->csum_offset);
	le16_put(out + 10, h->num_buffers);
}

void vdrv_net_hdr_unpack(const uint8_t in[VD_NET_HDR_LEN], struct vdrv_net_hdr *h)
{
	h->flags = in[0];
	h->gso_type = in[1];
	h->hdr_len = le16_get(in + 2);
	h->gso_size = le16_get(in + 4);
	h->csum_start = le16_get(in + 6);
	h->csum_offset = le16_get(in + 8);
	h->num_buffers = le16_get(in + 10);
}

/* A chain over [gpa, gpa + len): whole, or (VDRV_SPLIT) 12 bytes then 512-byte pieces. */
static unsigned net_segs(struct vdrv_seg *segs, unsigned max, uint64_t gpa, uint32_t len,
			 unsigned flags, bool write)
{
	unsigned n = 0;
	uint32_t off = 0;

	if (!(flags & VDRV_SPLIT)) {
		segs[n++] = (struct vdrv_seg){ gpa, len, write };
		return n;
	}
	if (len >= VD_NET_HDR_LEN) {
		segs[n++] = (struct vdrv_seg){ gpa, VD_NET_HDR_LEN, write };
		off = VD_NET_HDR_LEN;
	}
	while (off < len) {
		uint32_t k = len - off < 512 ? len - off : 512;

		if (n == max)
			abort();
		segs[n++] = (struct vdrv_seg){ gpa + off, k, write };
		off += k;
	}
	return n;
}

uint16_t vdrv_net_tx(struct vdrv *d, uint64_t gpa, const uint8_t hdr[VD_NET_HDR_LEN],
		     const void *frame, uint32_t len, unsigned flags)
{
	struct vdrv_seg segs[160];
	unsigned n;
	uint16_t head;

	memcpy(ram_at(d, gpa), hdr, VD_NET_HDR_LEN);
	if (len)
		memcpy(ram_at(d, gpa + VD_NET_HDR_LEN), frame, len);
	n = net_segs(segs, 160, gpa, VD_NET_HDR_LEN + len, flags, false);
	head = vdrv_post(d, 1, segs, n, flags & VDRV_INDIRECT);
	vdrv_kick(d, 1);
	return head;
}

uint16_t vdrv_net_rx_post(struct vdrv *d, uint64_t gpa, uint32_t len, unsigned flags)
{
	struct vdrv_seg segs[160];
	unsigned n = net_segs(segs, 160, gpa, len, flags, true);

	memset(ram_at(d, gpa), 0xee, len);
	return vdrv_post(d, 0, segs, n, flags & VDRV_INDIRECT);
}

int vdrv_net_ctrl(struct vdrv *d, uint64_t gpa, uint8_t cls, uint8_t cmd, const void *data,
		  uint32_t len)
{
	uint8_t *p = ram_at(d, gpa);
	struct vdrv_seg segs[3];
	unsigned n = 0;
	uint32_t id, used_len;

	p[0] = cls;
	p[1] = cmd;
	segs[n++] = (struct vdrv_seg){ gpa, 2, false };
	if (len) {
		memcpy(ram_at(d, gpa + 2), data, len);
		segs[n++] = (struct vdrv_seg){ gpa + 2, len, false };
	}
	*(uint8_t *)ram_at(d, gpa + 2 + len) = 0xff;
	segs[n++] = (struct vdrv_seg){ gpa + 2 + len, 1, true };
	vdrv_post(d, 2, segs, n, false);
	vdrv_kick(d, 2);
	if (!vdrv_used(d, 2, &id, &used_len))
		return -1;
	return *(uint8_t *)ram_at(d, gpa + 2 + len);
}

size_t vdrv_net_mac_table(uint8_t *out, const uint8_t (*uc)[6], uint32_t nuc,
			  const uint8_t (*mc)[6], uint32_t nmc)
{
	size_t off = 0;

	for (int t = 0; t < 2; t++) {
		uint32_t cnt = t ? nmc : nuc;
		const uint8_t(*macs)[6] = t ? mc : uc;

		out[off++] = (uint8_t)cnt;
		out[off++] = (uint8_t)(cnt >> 8);
		out[off++] = (uint8_t)(cnt >> 16);
		out[off++] = (uint8_t)(cnt >> 24);
		if (cnt)
			memcpy(out + off, macs, 6u * cnt);
		off += 6u * cnt;
	}
	return off;
}
