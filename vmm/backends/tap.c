/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tap backend (see tap.h). One I/O thread per tap, on an epoll set of:
 *   - the tap fd, EPOLLIN while receiving is not paused;
 *   - a dup of the tap fd, EPOLLOUT | EPOLLONESHOT, armed by transmit on
 *     EAGAIN (a second fd, so that the two watches never race on one mask);
 *   - an eventfd written by the model's rx_ready (guest buffers appeared);
 *   - an eventfd written by axvm_tap_stop.
 */
#include "backends/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

/* ax_iovec is struct iovec's twin: the frames go to writev/readv without a copy. */
_Static_assert(sizeof(struct ax_iovec) == sizeof(struct iovec) &&
		       offsetof(struct ax_iovec, base) == offsetof(struct iovec, iov_base) &&
		       offsetof(struct ax_iovec, len) == offsetof(struct iovec, iov_len),
	       "struct ax_iovec and struct iovec differ");

#define RX_BURST     256 /* frames per wakeup before epoll is asked again */
#define DEFAULT_MTU  1500
#define SCRATCH_SIZE (AX_NET_HDR_LEN + AX_NET_MAX_FRAME)

enum ev_kind { EV_RX = 1, EV_TX, EV_RX_READY, EV_STOP };

struct axvm_tap {
	char device[64];
	char ifname[IFNAMSIZ];
	bool is_tap;
	int fd;	   /* the tap: reads and writes */
	int tx_fd; /* dup of fd: the EPOLLOUT watch */
	int epoll_fd, rx_ready_fd, stop_fd;
	struct ax_net_backend be;

	pthread_t thread;
	bool running;
	struct axvm_net_port port;
	bool rx_paused;		/* I/O thread only */
	atomic_bool tx_blocked; /* EPOLLOUT armed (set by transmit, cleared by the thread) */
	uint8_t *scratch;	/* frames dropped while the driver is not running */
	struct ax_net_rx rx;	/* the open reservation (I/O thread only) */

	_Atomic uint64_t tx_frames, tx_bytes, tx_dropped, tx_blocked_count, tx_resumed;
	_Atomic uint64_t rx_frames, rx_bytes, rx_dropped, rx_paused_count;
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void signal_eventfd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		axvm_debug("tap: eventfd write: %s", strerror(errno));
}

static void drain_eventfd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		axvm_debug("tap: eventfd read: %s", strerror(errno));
}

/* --- MAC ---------------------------------------------------------------------- */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int axvm_parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return -1;
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex(s[i * 3]), lo = hex(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return -1; /* a multicast address cannot be a NIC's */
	return 0;
}

void axvm_default_mac(const char *device, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = device; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	mac[0] = 0x52; /* locally administered, unicast: QEMU's 52:54:00 prefix */
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* --- the backend ------------------------------------------------------------ */

static enum ax_err tap_transmit(void *ctx, const struct ax_iovec *iov, uint32_t iovcnt)
{
	struct axvm_tap *t = ctx;
	ssize_t n;

	if (iovcnt == 0 || iovcnt > IOV_MAX) {
		count(&t->tx_dropped, 1);
		return AX_ERR_INVALID_INPUT;
	}
	do
		n = writev(t->fd, (const struct iovec *)iov, (int)iovcnt);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		count(&t->tx_blocked_count, 1);
		if (!atomic_exchange(&t->tx_blocked, true)) {
			struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT,
						  .data.u64 = EV_TX };

			/* re-arms the one-shot watch; the thread resumes transmission */
			if (epoll_ctl(t->epoll_fd, EPOLL_CTL_MOD, t->tx_fd, &ev) != 0)
				axvm_warn("%s: tap: cannot watch for EPOLLOUT: %s", t->device,
					  strerror(errno));
		}
		return AX_ERR_WOULD_BLOCK;
	}
	if (n < 0) {
		uint64_t dropped =
			atomic_fetch_add_explicit(&t->tx_dropped, 1, memory_order_relaxed);

		if (dropped == 0) /* the first one says why; --stats counts the rest */
			axvm_warn("%s: tap %s: frame dropped: %s", t->device, t->ifname,
				  strerror(errno));
		return AX_ERR_IO;
	}
	count(&t->tx_frames, 1);
	if ((size_t)n > AX_NET_HDR_LEN)
		count(&t->tx_bytes, (uint64_t)n - AX_NET_HDR_LEN);
	return AX_OK;
}

static unsigned tun_offloads(uint32_t ax)
{
	unsigned f = 0;

	if (!(ax & AX_NET_OFFLOAD_CSUM))
		return 0; /* the kernel refuses TSO without checksum offload */
	f |= TUN_F_CSUM;
	if (ax & AX_NET_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (ax & AX_NET_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if ((ax & AX_NET_OFFLOAD_TSO_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6)))
		f |= TUN_F_TSO_ECN;
	return f;
}

static void tap_set_offloads(void *ctx, uint32_t guest_offloads)
{
	struct axvm_tap *t = ctx;
	unsigned f = tun_offloads(guest_offloads);

	if (!t->is_tap)
		return;
	if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)f) != 0)
		axvm_warn("%s: tap %s: TUNSETOFFLOAD 0x%x: %s", t->device, t->ifname, f,
			  strerror(errno));
	else
		axvm_debug("%s: tap %s: offloads 0x%x", t->device, t->ifname, f);
}

static void tap_rx_ready(void *ctx)
{
	signal_eventfd(((struct axvm_tap *)ctx)->rx_ready_fd);
}

/* --- opening ------------------------------------------------------------------ */

static struct axvm_tap *tap_alloc(const char *device, char *err, size_t err_len)
{
	struct axvm_tap *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, err_len, "%s: out of memory", device);
		return NULL;
	}
	snprintf(t->device, sizeof(t->device), "%s", device);
	t->fd = t->tx_fd = t->epoll_fd = t->rx_ready_fd = t->stop_fd = -1;
	t->be = (struct ax_net_backend){
		.ctx = t,
		.mtu = DEFAULT_MTU,
		.transmit = tap_transmit,
		.set_offloads = tap_set_offloads,
		.rx_ready = tap_rx_ready,
	};
	axvm_default_mac(device, t->be.mac);
	return t;
}

/* Everything but the tap itself: the dup, the eventfds, the epoll set. */
static int tap_setup(struct axvm_tap *t, char *err, size_t err_len)
{
	struct epoll_event rx = { .events = EPOLLIN, .data.u64 = EV_RX };
	struct epoll_event tx = { .events = 0, .data.u64 = EV_TX };
	struct epoll_event ready = { .events = EPOLLIN, .data.u64 = EV_RX_READY };
	struct epoll_event stop = { .events = EPOLLIN, .data.u64 = EV_STOP };
	int fl = fcntl(t->fd, F_GETFL);

	if (fl < 0 || fcntl(t->fd, F_SETFL, fl | O_NONBLOCK) != 0)
		goto fail;
	t->tx_fd = fcntl(t->fd, F_DUPFD_CLOEXEC, 0);
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	t->rx_ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->scratch = malloc(SCRATCH_SIZE);
	if (t->tx_fd < 0 || t->epoll_fd < 0 || t->rx_ready_fd < 0 || t->stop_fd < 0 ||
	    !t->scratch || epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->fd, &rx) != 0 ||
	    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->tx_fd, &tx) != 0 ||
	    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->rx_ready_fd, &ready) != 0 ||
	    epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->stop_fd, &stop) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, err_len, "%s: tap %s: %s", t->device, t->ifname, strerror(errno));
	return -1;
}

static int tap_ifmtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int mtu = -1;

	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(s);
	return mtu;
}

struct axvm_tap *axvm_tap_open(const char *args, const char *device, char *err, size_t err_len)
{
	const char *comma = strchr(args, ',');
	size_t name_len = comma ? (size_t)(comma - args) : strlen(args);
	struct axvm_tap *t;
	struct ifreq ifr = { 0 };
	int hdr = AX_NET_HDR_LEN, mtu;

	if (name_len == 0 || name_len >= IFNAMSIZ) {
		snprintf(err, err_len,
			 "%s: tap: an interface name of 1 to %d characters, not \"%.*s\"", device,
			 IFNAMSIZ - 1, (int)name_len, args);
		return NULL;
	}
	t = tap_alloc(device, err, err_len);
	if (!t)
		return NULL;
	memcpy(t->ifname, args, name_len);
	while (comma) {
		const char *opt = comma + 1;
		size_t len;

		comma = strchr(opt, ',');
		len = comma ? (size_t)(comma - opt) : strlen(opt);
		if (len > 4 && strncmp(opt, "mac=", 4) == 0 &&
		    axvm_parse_mac(opt + 4, len - 4, t->be.mac) == 0)
			continue;
		snprintf(err, err_len,
			 "%s: tap %s: unknown or bad option \"%.*s\" (expected "
			 "mac=XX:XX:XX:XX:XX:XX, a unicast address)",
			 device, t->ifname, (int)len, opt);
		axvm_tap_close(t);
		return NULL;
	}

	t->is_tap = true;
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		snprintf(err, err_len, "%s: tap %s: cannot open /dev/net/tun: %s", device,
			 t->ifname, strerror(errno));
		axvm_tap_close(t);
		return NULL;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, t->ifname, name_len);
	if (ioctl(t->fd, TUNSETIFF, &ifr) != 0) {
		snprintf(err, err_len,
			 "%s: tap %s: TUNSETIFF: %s (creating a tap needs CAP_NET_ADMIN; an "
			 "existing one must be a tap without multiqueue, free, and yours)",
			 device, t->ifname, strerror(errno));
		axvm_tap_close(t);
		return NULL;
	}
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifr.ifr_name);
	/* the header of VIRTIO_F_VERSION_1 (num_buffers included); no offload to the guest until
	 * it accepts some (set_offloads) */
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) != 0 || ioctl(t->fd, TUNSETOFFLOAD, 0ul) != 0) {
		snprintf(err, err_len, "%s: tap %s: TUNSETVNETHDRSZ / TUNSETOFFLOAD: %s", device,
			 t->ifname, strerror(errno));
		axvm_tap_close(t);
		return NULL;
	}
	mtu = tap_ifmtu(t->ifname);
	if (mtu >= (int)AX_NET_MIN_MTU && mtu <= (int)AX_NET_MAX_MTU)
		t->be.mtu = (uint16_t)mtu;
	t->be.host_offloads = t->be.guest_offloads = AX_NET_OFFLOAD_CSUM | AX_NET_OFFLOAD_TSO4 |
						     AX_NET_OFFLOAD_TSO6 | AX_NET_OFFLOAD_TSO_ECN;
	if (tap_setup(t, err, err_len) != 0) {
		axvm_tap_close(t);
		return NULL;
	}
	return t;
}

struct axvm_tap *axvm_tap_open_fd(int fd, const char *device, const uint8_t *mac, uint16_t mtu,
				  char *err, size_t err_len)
{
	struct axvm_tap *t = tap_alloc(device, err, err_len);

	if (!t) {
		close(fd);
		return NULL;
	}
	t->fd = fd;
	if (mac)
		memcpy(t->be.mac, mac, 6);
	t->be.mtu = mtu;
	if (tap_setup(t, err, err_len) != 0) {
		axvm_tap_close(t);
		return NULL;
	}
	return t;
}

const struct ax_net_backend *axvm_tap_backend(struct axvm_tap *tap)
{
	return &tap->be;
}

const char *axvm_tap_ifname(const struct axvm_tap *tap)
{
	return tap->ifname;
}

/* --- the I/O thread ---------------------------------------------------------- */

static void watch_rx(struct axvm_tap *t, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.u64 = EV_RX };

	if (epoll_ctl(t->epoll_fd, EPOLL_CTL_MOD, t->fd, &ev) != 0)
		axvm_warn("%s: tap: epoll: %s", t->device, strerror(errno));
}

/* Reads one frame into the scratch buffer and drops it; false when there was none. */
static bool drop_one(struct axvm_tap *t)
{
	ssize_t n = read(t->fd, t->scratch, SCRATCH_SIZE);

	if (n < 0)
		return errno == EINTR;
	count(&t->rx_dropped, 1);
	return true;
}

/*
 * Moves frames from the tap to the guest until the tap is empty, the guest
 * has no buffer (reading pauses) or the burst is done. Returns the epoll
 * timeout to use next: -1, or a short one when the model was busy.
 */
static int receive(struct axvm_tap *t)
{
	struct ax_net_rx *rx = &t->rx;

	for (unsigned i = 0; i < RX_BURST; i++) {
		enum ax_err err = t->port.rx_begin(t->port.ctx, rx);
		ssize_t n;

		if (err == AX_ERR_WOULD_BLOCK) {
			/* the frames wait in the kernel's queue: rx_ready restarts reading */
			t->rx_paused = true;
			count(&t->rx_paused_count, 1);
			watch_rx(t, false);
			return -1;
		}
		if (err == AX_ERR_RESOURCE_BUSY)
			return 1; /* another reservation is open: try again shortly */
		if (err != AX_OK) {
			/* no driver, or the link is down: the frame goes nowhere */
			if (!drop_one(t))
				return -1;
			continue;
		}
		do
			n = readv(t->fd, (const struct iovec *)rx->iov, (int)rx->iovcnt);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			int e = errno;

			t->port.rx_cancel(t->port.ctx);
			if (e == EAGAIN || e == EWOULDBLOCK)
				return -1;
			/* e.g. EINVAL: the frame was larger than the buffers; the kernel dropped it
			 */
			count(&t->rx_dropped, 1);
			axvm_debug("%s: tap %s: read: %s", t->device, t->ifname, strerror(e));
			continue;
		}
		if (t->port.rx_commit(t->port.ctx, (size_t)n) != AX_OK) {
			count(&t->rx_dropped, 1);
			continue;
		}
		count(&t->rx_frames, 1);
		if ((size_t)n > AX_NET_HDR_LEN)
			count(&t->rx_bytes, (uint64_t)n - AX_NET_HDR_LEN);
	}
	return 0; /* more may wait: epoll says so at once */
}

static void *io_thread(void *arg)
{
	struct axvm_tap *t = arg;
	int timeout = -1;

	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(t->epoll_fd, evs, 4, timeout);
		bool rx = timeout >= 0 && n == 0; /* a busy model: retry */

		if (n < 0 && errno != EINTR) {
			axvm_warn("%s: tap: epoll_wait: %s", t->device, strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case EV_STOP:
				return NULL;
			case EV_TX:
				/* one-shot: disarmed; cleared before the resume, which may block
				 * (and re-arm) again */
				atomic_store(&t->tx_blocked, false);
				count(&t->tx_resumed, 1);
				t->port.tx_resume(t->port.ctx);
				break;
			case EV_RX_READY:
				drain_eventfd(t->rx_ready_fd);
				if (t->rx_paused) {
					t->rx_paused = false;
					watch_rx(t, true);
				}
				rx = true;
				break;
			case EV_RX:
				rx = true;
				break;
			default:
				break;
			}
		}
		timeout = -1;
		if (rx && !t->rx_paused)
			timeout = receive(t);
	}
	return NULL;
}

int axvm_tap_start(struct axvm_tap *tap, const struct axvm_net_port *port)
{
	int rc;

	if (tap->running) {
		errno = EBUSY;
		return -1;
	}
	tap->port = *port;
	tap->rx_paused = false;
	watch_rx(tap, true);
	drain_eventfd(tap->stop_fd);
	rc = pthread_create(&tap->thread, NULL, io_thread, tap);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	tap->running = true;
	return 0;
}

/* The model's host API as a port: ctx is the struct ax_virtio_net. */
static enum ax_err net_rx_begin(void *ctx, struct ax_net_rx *rx)
{
	return ax_virtio_net_rx_begin(ctx, rx);
}

static enum ax_err net_rx_commit(void *ctx, size_t len)
{
	return ax_virtio_net_rx_commit(ctx, len);
}

static void net_rx_cancel(void *ctx)
{
	ax_virtio_net_rx_cancel(ctx);
}

static enum ax_err net_tx_resume(void *ctx)
{
	return ax_virtio_net_tx_resume(ctx);
}

int axvm_tap_bind(struct axvm_tap *tap, struct ax_virtio_net *net)
{
	const struct axvm_net_port port = {
		.ctx = net,
		.rx_begin = net_rx_begin,
		.rx_commit = net_rx_commit,
		.rx_cancel = net_rx_cancel,
		.tx_resume = net_tx_resume,
	};

	return axvm_tap_start(tap, &port);
}

void axvm_tap_stop(struct axvm_tap *tap)
{
	if (!tap || !tap->running)
		return;
	signal_eventfd(tap->stop_fd);
	pthread_join(tap->thread, NULL);
	tap->running = false;
}

void axvm_tap_close(struct axvm_tap *tap)
{
	if (!tap)
		return;
	axvm_tap_stop(tap);
	close_fd(&tap->fd);
	close_fd(&tap->tx_fd);
	close_fd(&tap->epoll_fd);
	close_fd(&tap->rx_ready_fd);
	close_fd(&tap->stop_fd);
	free(tap->scratch);
	free(tap);
}

/* --- counters ---------------------------------------------------------------- */

void axvm_tap_get_stats(const struct axvm_tap *t, struct axvm_tap_stats *out)
{
	*out = (struct axvm_tap_stats){
		.tx_frames = atomic_load(&t->tx_frames),
		.tx_bytes = atomic_load(&t->tx_bytes),
		.tx_dropped = atomic_load(&t->tx_dropped),
		.tx_blocked = atomic_load(&t->tx_blocked_count),
		.tx_resumed = atomic_load(&t->tx_resumed),
		.rx_frames = atomic_load(&t->rx_frames),
		.rx_bytes = atomic_load(&t->rx_bytes),
		.rx_dropped = atomic_load(&t->rx_dropped),
		.rx_paused = atomic_load(&t->rx_paused_count),
	};
}

int axvm_tap_format_stats(const struct axvm_tap *tap, char *buf, size_t len)
{
	struct axvm_tap_stats s;

	axvm_tap_get_stats(tap, &s);
	return snprintf(buf, len,
			"tx_frames=%llu tx_bytes=%llu tx_dropped=%llu tx_blocked=%llu "
			"tx_resumed=%llu rx_frames=%llu rx_bytes=%llu rx_dropped=%llu "
			"rx_paused=%llu",
			(unsigned long long)s.tx_frames, (unsigned long long)s.tx_bytes,
			(unsigned long long)s.tx_dropped, (unsigned long long)s.tx_blocked,
			(unsigned long long)s.tx_resumed, (unsigned long long)s.rx_frames,
			(unsigned long long)s.rx_bytes, (unsigned long long)s.rx_dropped,
			(unsigned long long)s.rx_paused);
}
