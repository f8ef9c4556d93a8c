/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small virtio driver for the tests: virtio-mmio version 2, split rings,
 * virtio-blk requests. It is a client written from the virtio 1.2 spec
 * alone: it includes none of the library's virtio headers or sources, so a
 * wrong offset, bit or layout in the device cannot be mirrored here. It
 * reaches the device only through the device set's MMIO dispatcher and a
 * fake guest RAM.
 *
 * Guest RAM layout (offsets from ram_gpa): queue i's rings at i * 0x10000
 * for queues 0 and 1 (descriptors +0, driver area +0x4000, device area
 * +0x8000), the last 0x10000 bytes of RAM for queue 2 (virtio-net's
 * controlq) and the 0x10000 bytes below queue i - 1's for queue i > 2 (a
 * multiqueue virtio-blk), indirect tables from 0x20000, per-slot request buffers from
 * 0x40000 (0x3000 each: header, status byte, data at +0x1000, up to 8 KiB).
 * The virtio-net helpers take the guest addresses of their buffers.
 */
#ifndef TESTS_SUPPORT_VIRTIO_DRIVER_H
#define TESTS_SUPPORT_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/devices.h>

/* virtio-mmio registers (§4.2.2) */
#define VD_MAGIC	     0x000
#define VD_VERSION	     0x004
#define VD_DEVICE_ID	     0x008
#define VD_VENDOR_ID	     0x00c
#define VD_DEVICE_FEATURES   0x010
#define VD_DEVICE_FEAT_SEL   0x014
#define VD_DRIVER_FEATURES   0x020
#define VD_DRIVER_FEAT_SEL   0x024
#define VD_QUEUE_SEL	     0x030
#define VD_QUEUE_NUM_MAX     0x034
#define VD_QUEUE_NUM	     0x038
#define VD_QUEUE_READY	     0x044
#define VD_QUEUE_NOTIFY	     0x050
#define VD_INTERRUPT_STATUS  0x060
#define VD_INTERRUPT_ACK     0x064
#define VD_STATUS	     0x070
#define VD_QUEUE_DESC_LOW    0x080
#define VD_QUEUE_DESC_HIGH   0x084
#define VD_QUEUE_DRIVER_LOW  0x090
#define VD_QUEUE_DRIVER_HIGH 0x094
#define VD_QUEUE_DEVICE_LOW  0x0a0
#define VD_QUEUE_DEVICE_HIGH 0x0a4
#define VD_CONFIG_GENERATION 0x0fc
#define VD_CONFIG	     0x100

/* Device status (§2.1) */
#define VD_S_ACKNOWLEDGE 1u
#define VD_S_DRIVER	 2u
#define VD_S_DRIVER_OK	 4u
#define VD_S_FEATURES_OK 8u
#define VD_S_NEEDS_RESET 64u
#define VD_S_FAILED	 128u

/* Feature bits (§6, §5.2.3, §5.3.3) */
#define VD_F(n)		      (UINT64_C(1) << (n))
#define VD_F_INDIRECT_DESC    28
#define VD_F_EVENT_IDX	      29
#define VD_F_VERSION_1	      32
#define VD_BLK_F_SEG_MAX      2
#define VD_BLK_F_RO	      5
#define VD_BLK_F_BLK_SIZE     6
#define VD_BLK_F_FLUSH	      9
#define VD_BLK_F_MQ	      12
#define VD_BLK_F_DISCARD      13
#define VD_BLK_F_WRITE_ZEROES 14
#define VD_CONSOLE_F_SIZE     0

/* virtio-net feature bits (§5.1.3) */
#define VD_NET_F_CSUM		     0
#define VD_NET_F_GUEST_CSUM	     1
#define VD_NET_F_CTRL_GUEST_OFFLOADS 2
#define VD_NET_F_MTU		     3
#define VD_NET_F_MAC		     5
#define VD_NET_F_GUEST_TSO4	     7
#define VD_NET_F_GUEST_TSO6	     8
#define VD_NET_F_GUEST_ECN	     9
#define VD_NET_F_HOST_TSO4	     11
#define VD_NET_F_HOST_TSO6	     12
#define VD_NET_F_HOST_ECN	     13
#define VD_NET_F_MRG_RXBUF	     15
#define VD_NET_F_STATUS		     16
#define VD_NET_F_CTRL_VQ	     17
#define VD_NET_F_CTRL_RX	     18
#define VD_NET_F_CTRL_VLAN	     19
#define VD_NET_F_CTRL_RX_EXTRA	     20
#define VD_NET_F_CTRL_MAC_ADDR	     23
#define VD_NET_S_LINK_UP	     1u

/* struct virtio_blk_config (§5.2.4): le16 num_queues, with VD_BLK_F_MQ */
#define VD_BLK_CFG_NUM_QUEUES 34

/* virtio-blk requests (§5.2.6) */
#define VD_BLK_T_IN	      0
#define VD_BLK_T_OUT	      1
#define VD_BLK_T_FLUSH	      4
#define VD_BLK_T_GET_ID	      8
#define VD_BLK_T_DISCARD      11
#define VD_BLK_T_WRITE_ZEROES 13
#define VD_BLK_S_OK	      0
#define VD_BLK_S_IOERR	      1
#define VD_BLK_S_UNSUPP	      2

/* Descriptor flags (§2.7.5) */
#define VD_DESC_NEXT	 1u
#define VD_DESC_WRITE	 2u
#define VD_DESC_INDIRECT 4u

#define VDRV_MAX_QUEUES 8 /* queues this driver can set up */

struct vdrv_queue {
	uint16_t size;
	uint64_t desc, avail, used; /* guest-physical */
	uint16_t avail_idx;	    /* next avail index to publish */
	uint16_t used_seen;	    /* used entries consumed */
	uint16_t next_desc;	    /* round-robin descriptor allocator */
};

struct vdrv {
	struct ax_devices *set;
	uint64_t base;
	uint8_t *ram;
	uint64_t ram_gpa, ram_size;
	uint64_t features; /* negotiated */
	struct vdrv_queue q[VDRV_MAX_QUEUES];
	uint64_t next_indirect;
	enum ax_err last_err; /* of the last register access */
};

void vdrv_attach(struct vdrv *d, struct ax_devices *set, uint64_t base, uint8_t *ram,
		 uint64_t ram_gpa, uint64_t ram_size);

uint32_t vdrv_read(struct vdrv *d, uint32_t off);
enum ax_err vdrv_write(struct vdrv *d, uint32_t off, uint32_t val);
uint64_t vdrv_config(struct vdrv *d, uint32_t off, unsigned width);

/* Host pointer of a guest address in the fake RAM (aborts when outside). */
void *vdrv_ptr(struct vdrv *d, uint64_t gpa);

/*
 * Device initialisation (§3.1.1): reset, ACKNOWLEDGE, DRIVER, features
 * (wanted & offered, plus VERSION_1), FEATURES_OK and its read-back,
 * queues 0..nr_queues-1 of `qsize` entries, DRIVER_OK. 0 or -1.
 */
int vdrv_init(struct vdrv *d, uint64_t wanted, unsigned nr_queues, uint16_t qsize);
/* The same with a size per queue (qsizes[0 .. nr_queues), nr_queues <= VDRV_MAX_QUEUES). */
int vdrv_init_sizes(struct vdrv *d, uint64_t wanted, unsigned nr_queues, const uint16_t *qsizes);

/*
 * Places queue `qi`'s rings (size `qsize`, standard layout, zeroed) without
 * telling the device: for a device reached over another transport, which
 * the caller programs with d->q[qi].desc/avail/used. 0, or -1 for qi out of range.
 */
int vdrv_layout_queue(struct vdrv *d, unsigned qi, uint16_t qsize);
/* Sets up queue `qi` (size `qsize`, rings at the standard layout); 0 or -1. */
int vdrv_setup_queue(struct vdrv *d, unsigned qi, uint16_t qsize);

struct vdrv_seg {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

/* Publishes a chain (through one indirect table if asked); returns its head. */
uint16_t vdrv_post(struct vdrv *d, unsigned qi, const struct vdrv_seg *segs, unsigned n,
		   bool indirect);
/* Publishes a raw head index without touching descriptors (for hostile tests). */
void vdrv_post_head(struct vdrv *d, unsigned qi, uint16_t head);
/* Writes descriptor `i` of queue qi's table directly. */
void vdrv_set_desc(struct vdrv *d, unsigned qi, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
void vdrv_kick(struct vdrv *d, unsigned qi);
/* Consumes one used element; false when none is there. */
bool vdrv_used(struct vdrv *d, unsigned qi, uint32_t *id, uint32_t *len);
/* Event index: the used index after which the driver wants an interrupt. */
void vdrv_set_used_event(struct vdrv *d, unsigned qi, uint16_t idx);
uint16_t vdrv_avail_event(struct vdrv *d, unsigned qi);
void vdrv_set_avail_flags(struct vdrv *d, unsigned qi, uint16_t flags);
uint16_t vdrv_used_idx(struct vdrv *d, unsigned qi);

/* virtio-blk */
#define VDRV_INDIRECT 1u /* the chain goes in an indirect table */
#define VDRV_SPLIT    2u /* header in two pieces, data in 512-byte pieces */

struct vdrv_blk_req {
	uint32_t type;
	uint64_t sector;
	void *data;   /* IN/GET_ID: filled from the device; others: sent */
	uint32_t len; /* data bytes, at most 8 KiB */
	unsigned flags;
	unsigned slot;	/* buffer slot, for several requests in flight */
	unsigned queue; /* request queue (0 unless the device has VD_BLK_F_MQ) */
};

/* Posts and kicks a request on its queue. */
void vdrv_blk_start(struct vdrv *d, const struct vdrv_blk_req *r);
/* Posts it without the kick (the caller notifies the device its own way). */
void vdrv_blk_post(struct vdrv *d, const struct vdrv_blk_req *r);
/* The request's status byte (0xff while unfinished); copies IN data back. */
int vdrv_blk_result(struct vdrv *d, const struct vdrv_blk_req *r);
/* start, take the used element, result: the status, or -1 if not completed. */
int vdrv_blk(struct vdrv *d, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     unsigned flags);

/*
 * virtio-net (§5.1): receiveq 0, transmitq 1, controlq 2. Every frame
 * crosses with struct virtio_net_hdr (§5.1.6, VERSION_1: 12 bytes, all
 * fields little-endian) in front.
 */
#define VD_NET_HDR_LEN		  12u
#define VD_NET_HDR_F_NEEDS_CSUM	  1u
#define VD_NET_HDR_GSO_NONE	  0u
#define VD_NET_HDR_GSO_TCPV4	  1u
#define VD_NET_HDR_GSO_TCPV6	  4u
#define VD_NET_CTRL_RX		  0
#define VD_NET_CTRL_RX_PROMISC	  0
#define VD_NET_CTRL_RX_ALLMULTI	  1
#define VD_NET_CTRL_RX_ALLUNI	  2
#define VD_NET_CTRL_RX_NOMULTI	  3
#define VD_NET_CTRL_RX_NOUNI	  4
#define VD_NET_CTRL_RX_NOBCAST	  5
#define VD_NET_CTRL_MAC		  1
#define VD_NET_CTRL_MAC_TABLE_SET 0
#define VD_NET_CTRL_MAC_ADDR_SET  1
#define VD_NET_OK		  0
#define VD_NET_ERR		  1

struct vdrv_net_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

void vdrv_net_hdr_pack(const struct vdrv_net_hdr *h, uint8_t out[VD_NET_HDR_LEN]);
void vdrv_net_hdr_unpack(const uint8_t in[VD_NET_HDR_LEN], struct vdrv_net_hdr *h);

/*
 * Transmits one frame: header + frame copied to `gpa`, posted on transmitq
 * as one buffer, or (VDRV_SPLIT) the header alone then the frame in
 * 512-byte pieces, optionally through an indirect table, and kicked.
 * Returns the head.
 */
uint16_t vdrv_net_tx(struct vdrv *d, uint64_t gpa, const uint8_t hdr[VD_NET_HDR_LEN],
		     const void *frame, uint32_t len, unsigned flags);

/*
 * Posts one receive buffer of `len` device-writable bytes at `gpa` on
 * receiveq (VDRV_SPLIT: the first 12 bytes apart, then 512-byte pieces;
 * VDRV_INDIRECT), without a kick. Returns the head.
 */
uint16_t vdrv_net_rx_post(struct vdrv *d, uint64_t gpa, uint32_t len, unsigned flags);

/*
 * A control command (§5.1.6.5): class and command, then `len` bytes of
 * data, readable, and the ack byte writable, at `gpa`; posted on controlq,
 * kicked. Returns the ack (VD_NET_OK / VD_NET_ERR), -1 when the device did
 * not use the buffer.
 */
int vdrv_net_ctrl(struct vdrv *d, uint64_t gpa, uint8_t cls, uint8_t cmd, const void *data,
		  uint32_t len);

/* Builds VIRTIO_NET_CTRL_MAC_TABLE_SET's data (two struct virtio_net_ctrl_mac); its length. */
size_t vdrv_net_mac_table(uint8_t *out, const uint8_t (*uc)[6], uint32_t nuc,
			  const uint8_t (*mc)[6], uint32_t nmc);

#endif
