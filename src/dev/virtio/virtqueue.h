/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue, device side (virtio 1.2 §2.7), with indirect descriptors
 * and event-index interrupt suppression.
 *
 * The rings live in guest memory and the guest may rewrite them at any time,
 * so every index is loaded once, every descriptor is copied before it is
 * checked, and every buffer address goes through hooks->guest_mem. A chain
 * that breaks a rule below is a protocol error: ax_vq_pop fails with a reason
 * and the caller stops the device (DEVICE_NEEDS_RESET).
 *
 * Rules enforced on each chain:
 *  - the head and every `next` index lie inside the table they index;
 *  - the walk visits at most queue-size descriptors in the ring table and at
 *    most the table size in an indirect table, so a loop ends in an error;
 *  - an indirect table is allowed only if negotiated, only once per chain
 *    (never inside another), without NEXT on its own descriptor, with a
 *    length that is a non-zero multiple of 16 and at most VQ_MAX_INDIRECT
 *    entries, and must lie in guest RAM;
 *  - every buffer lies wholly in guest RAM (writable ones in writable RAM),
 *    addr + len does not wrap, the chain totals at most VQ_MAX_CHAIN_BYTES
 *    (below 4 GiB);
 *  - device-writable buffers come after all device-readable ones;
 *  - the chain has no more buffers than the caller can take;
 *  - avail->idx never runs more than queue-size entries past the last
 *    entry the device took.
 *
 * Translation: each queue keeps one window of guest RAM, an aligned block of
 * 64 KiB to 2 MiB that hooks->guest_mem mapped as writable RAM, so that most
 * buffers translate without a hook call. A buffer wholly inside the window is
 * writable RAM by the hook's own answer; anything else goes to the hook as
 * before. The window lives exactly as long as the ring mappings (from
 * ax_vq_start to the next start or reset), under the same assumption: the
 * host does not move guest RAM under a running queue.
 */
#ifndef AXDEVICE_SRC_DEV_VIRTIO_VIRTQUEUE_H
#define AXDEVICE_SRC_DEV_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/host.h>

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY	   1u

#define VQ_MAX_SIZE	   32768u     /* the split ring's limit */
#define VQ_MAX_INDIRECT	   1024u      /* entries in one indirect table (our bound) */
#define VQ_MAX_CHAIN_BYTES UINT32_MAX /* what the used ring's le32 len can report */

/* One buffer of a chain, already translated to host memory. */
struct ax_vq_buf {
	uint8_t *addr; /* NULL when len is 0 */
	uint32_t len;
};

/* A popped chain: readable buffers first (bufs[0 .. nr_out)), then writable ones. */
struct ax_vq_chain {
	uint16_t head;
	uint16_t nr_out, nr_in;
	uint64_t out_bytes, in_bytes;
	struct ax_vq_buf *bufs; /* caller's array */
	uint16_t cap;		/* its length */
};

/* Guest RAM [gpa, gpa + len) is host memory at `host` (len 0: no window). */
struct ax_vq_window {
	uint64_t gpa, len;
	uint8_t *host;
};

/* Why ax_vq_pop or ax_vq_start failed, for the device's log line. */
struct ax_vq_fault {
	char msg[128];
};

struct ax_vq {
	/* Set by the transport while the queue is not ready. */
	uint16_t num_max; /* 0: the queue does not exist */
	uint16_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by ax_vq_start. */
	bool started;
	bool event_idx;
	bool indirect;
	uint8_t *desc;	/* struct virtq_desc[num] */
	uint8_t *avail; /* flags, idx, ring[num], used_event */
	uint8_t *used;	/* flags, idx, ring[num] of {id, len}, avail_event */

	uint16_t last_avail;	 /* next avail entry the device takes */
	uint16_t used_idx;	 /* next used entry the device fills */
	uint16_t signalled_used; /* used_idx when the driver was last interrupted */
	bool signalled_valid;
	bool fenced; /* a full fence ran since the last used->idx store */

	struct ax_vq_window win; /* see "Translation" above */
	uint8_t win_shift;	 /* log2 of the next window to ask for; below the minimum: none */
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ax_vq_le16(x) __builtin_bswap16(x)
#define ax_vq_le32(x) __builtin_bswap32(x)
#define ax_vq_le64(x) __builtin_bswap64(x)
#else
#define ax_vq_le16(x) (x)
#define ax_vq_le32(x) (x)
#define ax_vq_le64(x) (x)
#endif

/* A little-endian field of 1 to 8 bytes (guest structures are little-endian); one load for
 * the natural widths. */
static inline uint64_t ax_vq_get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	switch (bytes) {
	case 2: {
		uint16_t x;

		__builtin_memcpy(&x, p, 2);
		return ax_vq_le16(x);
	}
	case 4: {
		uint32_t x;

		__builtin_memcpy(&x, p, 4);
		return ax_vq_le32(x);
	}
	case 8: {
		uint64_t x;

		__builtin_memcpy(&x, p, 8);
		return ax_vq_le64(x);
	}
	default:
		for (unsigned i = bytes; i-- > 0;)
			v = v << 8 | p[i];
		return v;
	}
}

/* Power-on state: not ready, addresses 0, num = num_max. */
void ax_vq_reset(struct ax_vq *q);

/* True when num is a power of two in [1, num_max]. */
bool ax_vq_num_valid(const struct ax_vq *q, uint32_t num);

/* Maps the three rings (checks size, alignment, guest RAM); false with a reason. */
bool ax_vq_start(struct ax_vq *q, const struct ax_host_hooks *hooks, bool event_idx, bool indirect,
		 struct ax_vq_fault *fault);

/*
 * After ax_vq_start: continue a ring another device instance (or an earlier
 * session) served. The next avail entry to take is `last_avail`; the used
 * index is read back from the used ring, where the device last published it.
 */
void ax_vq_resume(struct ax_vq *q, uint16_t last_avail);

/* avail->idx as the driver last published it (acquire: its ring entries are visible). */
static inline uint16_t ax_vq_avail_idx(const struct ax_vq *q)
{
	uint16_t v =
		__atomic_load_n((const uint16_t *)(const void *)(q->avail + 2), __ATOMIC_ACQUIRE);

	return ax_vq_le16(v);
}

/* ax_vq_pop once avail->idx has moved. */
int ax_vq_pop_chain(struct ax_vq *q, const struct ax_host_hooks *hooks, struct ax_vq_chain *chain,
		    struct ax_vq_fault *fault);

/* Takes the next available chain: 1 popped, 0 none, -1 protocol error (fault set). The empty
 * case, every batch's last call, is inline. */
static inline int ax_vq_pop(struct ax_vq *q, const struct ax_host_hooks *hooks,
			    struct ax_vq_chain *chain, struct ax_vq_fault *fault)
{
	if (ax_vq_avail_idx(q) == q->last_avail)
		return 0;
	return ax_vq_pop_chain(q, hooks, chain, fault);
}

/* Hands a chain back: `written` bytes were stored into its writable buffers. */
void ax_vq_push(struct ax_vq *q, uint16_t head, uint32_t written);

/* After one or more ax_vq_push: does the driver want an interrupt now? */
bool ax_vq_should_interrupt(struct ax_vq *q);

/*
 * Before going idle: asks the driver to notify on the next avail entry
 * (avail_event) and returns true if entries arrived meanwhile.
 */
bool ax_vq_arm_notify(struct ax_vq *q);

/* Copies `len` bytes at `offset` of the chain's readable buffers; false if short. */
bool ax_vq_chain_read(const struct ax_vq_chain *chain, uint64_t offset, void *dst, uint64_t len);

/* Copies into the chain's writable buffers at `offset`; returns bytes written. */
uint64_t ax_vq_chain_write(const struct ax_vq_chain *chain, uint64_t offset, const void *src,
			   uint64_t len);

#endif
