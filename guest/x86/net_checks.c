/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ethernet II, ARP (RFC 826), IPv4 (RFC 791) and ICMP echo (RFC 792) built
 * and parsed here, checksums (RFC 1071) computed by the guest.
 */
#include "net_checks.h"

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "console.h"
#include "cpu.h"
#include "halt_wait.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "platform.h"
#include "string.h"
#include "tap.h"
#include "virtio_net.h"

/* A vector of its own, next to the ones interrupts.h names. */
#define VECTOR_NET 0x43

#define REPLY_TIMEOUT_MS 5000u
#define HALT_SLICE_MS	 20u

#define ETH_HDR_LEN   14u
#define ETH_MIN_FRAME 60u /* without the FCS */
#define ETHERTYPE_IP  0x0800u
#define ETHERTYPE_ARP 0x0806u

#define ARP_LEN	      28u
#define ARP_HTYPE_ETH 1u
#define ARP_REQUEST   1u
#define ARP_REPLY     2u

#define IP_HDR_LEN	  20u
#define IP_PROTO_ICMP	  1u
#define ICMP_HDR_LEN	  8u
#define ICMP_ECHO_REPLY	  0u
#define ICMP_ECHO_REQUEST 8u
#define ICMP_ID		  0xa5deu
#define ICMP_SEQ	  1u
#define ICMP_PAYLOAD_LEN  56u

static const uint8_t guest_ip[4] = { 10, 0, 3, 15 };
static const uint8_t host_ip[4] = { 10, 0, 3, 1 };
static const uint8_t broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct virtio_net net;
static uint8_t frame[ETH_FRAME_MAX];
static uint8_t payload[ICMP_PAYLOAD_LEN];
static uint8_t host_mac[ETH_ALEN];
static volatile bool rx_interrupt;
static uint32_t frames_ignored;
static uint32_t arp_requests_answered;

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* RFC 1071: the one's complement of the one's complement sum of 16-bit big-endian words. */
static uint32_t inet_checksum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static uint32_t eth_header(uint8_t *f, const uint8_t *dst, uint32_t type)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + 6, net.mac, ETH_ALEN);
	put16(f + 12, type);
	return ETH_HDR_LEN;
}

static uint32_t build_arp(uint32_t oper, const uint8_t *eth_dst, const uint8_t *tha,
			  const uint8_t *tpa)
{
	uint8_t *a = frame + eth_header(frame, eth_dst, ETHERTYPE_ARP);

	memset(frame + ETH_HDR_LEN, 0, ETH_MIN_FRAME - ETH_HDR_LEN); /* padding */
	put16(a, ARP_HTYPE_ETH);
	put16(a + 2, ETHERTYPE_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, oper);
	memcpy(a + 8, net.mac, ETH_ALEN);
	memcpy(a + 14, guest_ip, 4);
	memcpy(a + 18, tha, ETH_ALEN);
	memcpy(a + 24, tpa, 4);
	return ETH_MIN_FRAME;
}

static uint32_t build_echo_request(void)
{
	uint8_t *ip = frame + eth_header(frame, host_mac, ETHERTYPE_IP);
	uint8_t *icmp = ip + IP_HDR_LEN;
	uint32_t total = IP_HDR_LEN + ICMP_HDR_LEN + ICMP_PAYLOAD_LEN;

	ip[0] = 0x45; /* version 4, 5 words */
	ip[1] = 0;
	put16(ip + 2, total);
	put16(ip + 4, 0x4158);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IP_PROTO_ICMP;
	put16(ip + 10, 0);
	memcpy(ip + 12, guest_ip, 4);
	memcpy(ip + 16, host_ip, 4);
	put16(ip + 10, inet_checksum(ip, IP_HDR_LEN));

	icmp[0] = ICMP_ECHO_REQUEST;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, ICMP_ID);
	put16(icmp + 6, ICMP_SEQ);
	memcpy(icmp + ICMP_HDR_LEN, payload, ICMP_PAYLOAD_LEN);
	put16(icmp + 2, inet_checksum(icmp, ICMP_HDR_LEN + ICMP_PAYLOAD_LEN));
	return ETH_HDR_LEN + total;
}

static bool addressed_to_us(const uint8_t *f)
{
	return memcmp(f, net.mac, ETH_ALEN) == 0;
}

/* An ARP request from the host for our address: answered, so it can reach us. */
static void maybe_answer_arp(const uint8_t *f, uint32_t len)
{
	const uint8_t *a = f + ETH_HDR_LEN;
	uint8_t sha[ETH_ALEN], spa[4];

	if (len < ETH_HDR_LEN + ARP_LEN || get16(f + 12) != ETHERTYPE_ARP ||
	    get16(a + 6) != ARP_REQUEST || memcmp(a + 24, guest_ip, 4) != 0)
		return;
	memcpy(sha, a + 8, ETH_ALEN);
	memcpy(spa, a + 14, 4);
	if (virtio_net_send(&net, frame, build_arp(ARP_REPLY, sha, sha, spa)))
		arp_requests_answered++;
}

/* True for the frame a wait is for. */
typedef bool (*frame_filter)(const uint8_t *f, uint32_t len);

static bool is_arp_reply(const uint8_t *f, uint32_t len)
{
	const uint8_t *a = f + ETH_HDR_LEN;

	return len >= ETH_HDR_LEN + ARP_LEN && addressed_to_us(f) &&
	       get16(f + 12) == ETHERTYPE_ARP && get16(a) == ARP_HTYPE_ETH &&
	       get16(a + 2) == ETHERTYPE_IP && a[4] == ETH_ALEN && a[5] == 4 &&
	       get16(a + 6) == ARP_REPLY && memcmp(a + 14, host_ip, 4) == 0 &&
	       memcmp(a + 24, guest_ip, 4) == 0;
}

static bool is_echo_reply(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + ETH_HDR_LEN;

	return len >= ETH_HDR_LEN + IP_HDR_LEN + ICMP_HDR_LEN && addressed_to_us(f) &&
	       get16(f + 12) == ETHERTYPE_IP && (ip[0] >> 4) == 4 && ip[9] == IP_PROTO_ICMP &&
	       memcmp(ip + 12, host_ip, 4) == 0 && memcmp(ip + 16, guest_ip, 4) == 0 &&
	       ip[(ip[0] & 0xf) * 4] == ICMP_ECHO_REPLY;
}

struct received {
	bool found;
	bool by_interrupt; /* an interrupt had seen a receive completion before it was taken */
	uint16_t num_buffers;
	uint32_t len;
	uint8_t data[ETH_FRAME_MAX];
};

static struct received got;

/*
 * Waits (halting between interrupts) for a frame `wanted` accepts, copying it
 * to `got`; every other frame is answered if it is an ARP request for us, or
 * ignored, and its buffer re-posted.
 */
static void wait_for_frame(frame_filter wanted)
{
	uint64_t deadline = clock_deadline_ms(REPLY_TIMEOUT_MS);
	struct virtio_net_rx rx;

	got.found = false;
	while (!clock_expired(deadline)) {
		/* returns at once when the level-triggered line is already up */
		bool irq = halt_until(&rx_interrupt, HALT_SLICE_MS);

		rx_interrupt = false;
		while (virtio_net_rx_take(&net, &rx)) {
			if (rx.frame && wanted(rx.frame, rx.len)) {
				got.found = true;
				got.by_interrupt = irq;
				got.num_buffers = rx.num_buffers;
				got.len = rx.len;
				memcpy(got.data, rx.frame, rx.len);
				virtio_net_rx_release(&net, rx.buffer);
				return;
			}
			frames_ignored++;
			if (rx.frame) {
				tap_note("ignored a frame of %u bytes, ethertype 0x%04x", rx.len,
					 rx.len >= ETH_HDR_LEN ? get16(rx.frame + 12) : 0);
				maybe_answer_arp(rx.frame, rx.len);
			}
			virtio_net_rx_release(&net, rx.buffer);
		}
	}
}

static void on_net_interrupt(struct interrupt_frame *f)
{
	(void)f;
	virtio_net_handle_interrupt(&net);
	if (virtqueue_has_used(&net.rxq))
		rx_interrupt = true;
	lapic_eoi();
}

static void fill_payload(void)
{
	static const char text[] = "axdevice virtio-net echo ";

	for (uint32_t i = 0; i < ICMP_PAYLOAD_LEN; i++)
		payload[i] = i < sizeof(text) - 1 ? (uint8_t)text[i] : (uint8_t)(i * 29 + 7);
}

static bool arp_checks(void)
{
	bool sent =
		check(virtio_net_send(&net, frame,
				      build_arp(ARP_REQUEST, broadcast,
						(const uint8_t[ETH_ALEN]){ 0 }, host_ip)),
		      "ARP request for 10.0.3.1 sent (transmitq used it)", "%s", net.mmio.error);

	if (!sent)
		return false;
	wait_for_frame(is_arp_reply);
	if (!check(got.found, "ARP reply from 10.0.3.1 received",
		   "none within %u ms; %u other frames, %u interrupts (InterruptStatus 0x%x), "
		   "%u receive buffers posted",
		   REPLY_TIMEOUT_MS, frames_ignored, net.irq_count, net.irq_status_seen,
		   virtio_net_rx_posted(&net)))
		return false;
	memcpy(host_mac, got.data + ETH_HDR_LEN + 8, ETH_ALEN);
	tap_note("host 10.0.3.1 is at %02x:%02x:%02x:%02x:%02x:%02x%s", host_mac[0], host_mac[1],
		 host_mac[2], host_mac[3], host_mac[4], host_mac[5],
		 got.by_interrupt ? " (completion seen by interrupt)" : "");
	check(memcmp(got.data + 6, host_mac, ETH_ALEN) == 0 &&
		      memcmp(got.data + ETH_HDR_LEN + 18, net.mac, ETH_ALEN) == 0,
	      "ARP reply: Ethernet source is the sender, target is our MAC", NULL);
	check(got.num_buffers == 1, "ARP reply: num_buffers 1", "num_buffers %u", got.num_buffers);
	return true;
}

static void echo_checks(void)
{
	const uint8_t *ip, *icmp;
	uint32_t ihl, total;
	int bad = -1;

	fill_payload();
	if (!check(virtio_net_send(&net, frame, build_echo_request()),
		   "ICMP echo request to 10.0.3.1 sent", "%s", net.mmio.error))
		return;
	wait_for_frame(is_echo_reply);
	if (!check(got.found, "ICMP echo reply from 10.0.3.1 received",
		   "none within %u ms; %u other frames, %u interrupts", REPLY_TIMEOUT_MS,
		   frames_ignored, net.irq_count))
		return;
	ip = got.data + ETH_HDR_LEN;
	ihl = (ip[0] & 0xfu) * 4;
	total = get16(ip + 2);
	check(ihl >= IP_HDR_LEN && inet_checksum(ip, ihl) == 0, "echo reply: IPv4 header checksum",
	      "IHL %u, checksum field 0x%04x", ihl, get16(ip + 10));
	if (!check(total == ihl + ICMP_HDR_LEN + ICMP_PAYLOAD_LEN && ETH_HDR_LEN + total <= got.len,
		   "echo reply: IPv4 total length covers the 64-byte ICMP message",
		   "total length %u, frame %u bytes", total, got.len))
		return;
	icmp = ip + ihl;
	check(inet_checksum(icmp, total - ihl) == 0, "echo reply: ICMP checksum", "field 0x%04x",
	      get16(icmp + 2));
	check(icmp[1] == 0 && get16(icmp + 4) == ICMP_ID && get16(icmp + 6) == ICMP_SEQ,
	      "echo reply: code 0, our identifier and sequence number", "code %u id 0x%x seq %u",
	      icmp[1], get16(icmp + 4), get16(icmp + 6));
	for (uint32_t i = 0; i < ICMP_PAYLOAD_LEN; i++) {
		if (icmp[ICMP_HDR_LEN + i] != payload[i]) {
			bad = (int)i;
			break;
		}
	}
	check(bad < 0, "echo reply: the 56-byte payload comes back byte-exact",
	      "first difference at byte %d: 0x%02x, sent 0x%02x", bad,
	      bad < 0 ? 0 : icmp[ICMP_HDR_LEN + bad], bad < 0 ? 0 : payload[bad]);
	check(memcmp(got.data + 6, host_mac, ETH_ALEN) == 0,
	      "echo reply: Ethernet source is the host's MAC from ARP", NULL);
}

static bool device_checks(void)
{
	uintptr_t base = virtio_mmio_find(VIRTIO_ID_NET, PLATFORM_NET_BASE, 1, 0);
	const uint64_t negotiated = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC);

	if (!check(base != 0, "virtio-mmio v2 network device at net0's slot (DeviceID 1)",
		   "MagicValue 0x%x Version 0x%x DeviceID 0x%x",
		   mmio_read32(PLATFORM_NET_BASE + VIRTIO_MMIO_MAGIC_VALUE),
		   mmio_read32(PLATFORM_NET_BASE + VIRTIO_MMIO_VERSION),
		   mmio_read32(PLATFORM_NET_BASE + VIRTIO_MMIO_DEVICE_ID)))
		return false;
	if (!check(virtio_net_init(&net, base),
		   "initialised per virtio 1.2 3.1.1 and 5.1.5 (receiveq filled, DRIVER_OK)", "%s",
		   net.mmio.error))
		return false;
	tap_note("device features 0x%llx, driver features 0x%llx, queue sizes %u/%u",
		 (unsigned long long)net.mmio.device_features,
		 (unsigned long long)net.mmio.driver_features, net.rxq.size, net.txq.size);
	check((net.mmio.driver_features & negotiated) == negotiated,
	      "negotiated VIRTIO_F_VERSION_1 and VIRTIO_NET_F_MAC", "device offers 0x%llx",
	      (unsigned long long)net.mmio.device_features);
	tap_note("MAC %02x:%02x:%02x:%02x:%02x:%02x", net.mac[0], net.mac[1], net.mac[2],
		 net.mac[3], net.mac[4], net.mac[5]);
	check(!(net.mac[0] & 1) && memcmp(net.mac, (const uint8_t[ETH_ALEN]){ 0 }, ETH_ALEN) != 0,
	      "config MAC is a non-zero unicast address", NULL);
	if (net.mmio.driver_features & (1ull << VIRTIO_NET_F_STATUS))
		check(net.config_status & VIRTIO_NET_S_LINK_UP, "config status: link up",
		      "status 0x%x", net.config_status);
	return true;
}

int net_checks_run(void)
{
	unsigned entries = ioapic_redirection_entries();
	unsigned failed;

	tap_section("virtio-net net0");
	if (device_checks()) {
		if (check(entries > PLATFORM_NET_IRQ, "I/O APIC present with an entry for GSI 7",
			  "%u redirection entries", entries)) {
			interrupt_set_handler(VECTOR_NET, on_net_interrupt);
			virtio_mmio_ack_interrupts(&net.mmio);
			ioapic_route(PLATFORM_NET_IRQ, VECTOR_NET, IOAPIC_LEVEL, IOAPIC_ACTIVE_HIGH,
				     lapic_id());
		}
		if (arp_checks())
			echo_checks();
		ioapic_mask(PLATFORM_NET_IRQ);
		check(net.irq_saw_rx && (net.irq_status_seen & VIRTIO_MMIO_INT_USED_BUFFER),
		      "a receive completion was signalled through the I/O APIC",
		      "%u interrupts, InterruptStatus seen 0x%x", net.irq_count,
		      net.irq_status_seen);
		if (frames_ignored || arp_requests_answered)
			tap_note("%u other frames ignored, %u ARP requests answered",
				 frames_ignored, arp_requests_answered);
	}

	failed = tap_checks_failed();
	console_printf("1..%u\n", tap_checks_run());
	if (failed == 0) {
		console_printf("PASS: net, %u checks\n", tap_checks_run());
		return 0;
	}
	console_printf("FAIL: net, %u of %u checks failed\n", failed, tap_checks_run());
	return 1;
}
