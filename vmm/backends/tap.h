/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Linux tap as a virtio-net backend (struct ax_net_backend): the tap is
 * opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and TUNSETVNETHDRSZ 12, so
 * every frame crosses with the 12-byte virtio-net header the device model
 * speaks, and checksum / segmentation offloads pass through untouched.
 *
 * Life cycle:
 *   1. axvm_tap_open (before the device: its constructor asks the host's
 *      net_backend hook for axvm_tap_backend());
 *   2. axvm_tap_start, once the device exists: the "bind" step. It starts
 *      the tap's I/O thread, which delivers received frames to a struct
 *      axvm_net_port (axvm_tap_bind makes one of the model's host API,
 *      ax_virtio_net_rx_begin/commit/cancel and tx_resume; tests pass a
 *      fake). axvm calls it from axvm_backends_bind() after the device set
 *      is built; vhost-user-net after the model is attached to its server;
 *   3. axvm_tap_stop before the device is destroyed (joins the thread);
 *   4. axvm_tap_close.
 *
 * Transmit (the model's, on a vCPU or vhost-user thread, under the device
 * lock): one writev of the frame's iovecs into guest memory. EAGAIN gives
 * AX_ERR_WOULD_BLOCK and arms EPOLLOUT: the I/O thread calls the port's
 * tx_resume when the tap takes frames again. Any other error drops the
 * frame (counted). Nothing ever waits.
 *
 * Receive (the I/O thread): while the tap is readable, rx_begin reserves
 * the guest's buffers, readv fills them in place (no copy), rx_commit
 * delivers. When the guest has no buffer (WouldBlock) the thread stops
 * reading; the frames wait in the kernel's tap queue (dropped by the kernel
 * when it is full, as on a real link) until the model's rx_ready. While the
 * driver is not running or the link is down (BadState), frames are read
 * and dropped (counted), as a NIC without a driver does.
 */
#ifndef AXVM_BACKENDS_TAP_H
#define AXVM_BACKENDS_TAP_H

#include <stddef.h>
#include <stdint.h>

#include <axdevice/backend.h>
#include <axdevice/virtio.h>

struct axvm_tap;

/* Where the I/O thread delivers frames and resumes transmission; ctx is the port's. */
struct axvm_net_port {
	void *ctx;
	enum ax_err (*rx_begin)(void *ctx, struct ax_net_rx *rx);
	enum ax_err (*rx_commit)(void *ctx, size_t len);
	void (*rx_cancel)(void *ctx);
	enum ax_err (*tx_resume)(void *ctx);
};

/* Frames (without the 12-byte header) and bytes, both ways; read any time. */
struct axvm_tap_stats {
	uint64_t tx_frames, tx_bytes;
	uint64_t tx_dropped; /* the tap refused a frame (not EAGAIN) */
	uint64_t tx_blocked; /* EAGAIN: WouldBlock returned to the model */
	uint64_t tx_resumed; /* EPOLLOUT seen, tx_resume called */
	uint64_t rx_frames, rx_bytes;
	uint64_t rx_dropped; /* read while the driver was not running, or a read error */
	uint64_t rx_paused;  /* the guest had no buffer: reading stopped until rx_ready */
};

/*
 * Parses "NAME[,mac=XX:XX:XX:XX:XX:XX]" (the part after "tap:") and opens
 * the tap NAME (an existing one is attached, else it is created; creating
 * needs CAP_NET_ADMIN). Without mac=, the MAC is 52:54:00 followed by three
 * bytes hashed from `device` (stable across runs). MTU: the interface's
 * (SIOCGIFMTU), else 1500. Returns NULL with `err` set (prefixed with
 * `device`).
 */
struct axvm_tap *axvm_tap_open(const char *args, const char *device, char *err, size_t err_len);

/*
 * A backend on an fd that is not a tap (tests, or a tap opened elsewhere
 * and already configured): a datagram fd that reads and writes one frame,
 * header first, per call. No ioctl is made and no offload is offered;
 * `mac` NULL means the default of `device`. The tap takes the fd (closed
 * by axvm_tap_close, even on failure). NULL with `err` set.
 */
struct axvm_tap *axvm_tap_open_fd(int fd, const char *device, const uint8_t *mac, uint16_t mtu,
				  char *err, size_t err_len);

const struct ax_net_backend *axvm_tap_backend(struct axvm_tap *tap);
const char *axvm_tap_ifname(const struct axvm_tap *tap); /* "" for axvm_tap_open_fd */

/* Starts the I/O thread towards `port` (copied). -1 with errno; -1/EBUSY if it runs. */
int axvm_tap_start(struct axvm_tap *tap, const struct axvm_net_port *port);
/* The port of the model's host API for `net` (ax_virtio_net_*), then axvm_tap_start. */
int axvm_tap_bind(struct axvm_tap *tap, struct ax_virtio_net *net);
/* Stops and joins the I/O thread; nothing calls the port afterwards. Idempotent. */
void axvm_tap_stop(struct axvm_tap *tap);
void axvm_tap_close(struct axvm_tap *tap);

void axvm_tap_get_stats(const struct axvm_tap *tap, struct axvm_tap_stats *out);
/* "tx_frames=N tx_bytes=N ... rx_paused=N" */
int axvm_tap_format_stats(const struct axvm_tap *tap, char *buf, size_t len);

/* The MAC text "52:54:00:12:34:56" into 6 bytes; -1 if malformed or multicast. */
int axvm_parse_mac(const char *s, size_t len, uint8_t mac[6]);
/* The default MAC of `device`: 52:54:00 and three bytes of FNV-1a of the name. */
void axvm_default_mac(const char *device, uint8_t mac[6]);

#endif
