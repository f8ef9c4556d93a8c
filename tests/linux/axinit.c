/*
 * tests/linux/axinit.c: a second /init of the Linux test guest, selected with
 * rdinit=/axinit (tests/linux/axvm.sh does; INIT=/axinit tests/linux/run.sh).
 *
 * It does what tests/linux/init.sh does and prints the same "AXTEST key=value"
 * lines to /dev/console, but without busybox: Debian's busybox-static is
 * linked with glibc, whose string and memory functions are SSE2/SSSE3/SSE4.2
 * code, and a KVM that emulates every guest instruction with its instruction
 * emulator (kvm_pvm running a non-PVM guest) has no SIMD instructions. This is
 * a freestanding static program: its own _start, raw system calls, no libc,
 * general-purpose registers only (tools/build-linux-guest.sh builds it with
 * -mgeneral-regs-only and fails when `objdump -d` shows an %xmm, %ymm, %zmm
 * or MMX operand), MD5 (RFC 1321) in integer code.
 *
 * As PID 1: mounts proc, sysfs, devtmpfs; loads the modules of
 * /lib/modules/order (finit_module); waits for /dev/vda; runs the test named
 * by axtest= on the kernel command line (rw, ro, reboot, bench; see init.sh);
 * writes to /dev/hvc0 where there is one; prints "AXTEST done"; powers off.
 * Not as PID 1 (on the build host), it only offers:
 *   axinit --selftest        the RFC 1321 test suite; status 0 when all pass
 *   axinit --md5 <FILE       md5 of stdin, printed as md5sum's hex digest
 *   axinit --pattern WORD    the 1 MiB "WORD\n"... pattern the rw test writes
 */

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long size_t;

#define MIB (1UL << 20)

/* --- system calls (x86-64 Linux) ----------------------------------------- */

enum {
	NR_read = 0,
	NR_write = 1,
	NR_open = 2,
	NR_close = 3,
	NR_stat = 4,
	NR_ioctl = 16,
	NR_pread64 = 17,
	NR_pwrite64 = 18,
	NR_access = 21,
	NR_dup2 = 33,
	NR_nanosleep = 35,
	NR_getpid = 39,
	NR_fsync = 74,
	NR_sync = 162,
	NR_mount = 165,
	NR_reboot = 169,
	NR_getdents64 = 217,
	NR_clock_gettime = 228,
	NR_exit_group = 231,
	NR_finit_module = 313,
};

#define O_RDONLY	     0
#define O_WRONLY	     1
#define O_RDWR		     2
#define O_CREAT		     0100
#define O_NOCTTY	     0400
#define O_TRUNC		     01000
#define O_DIRECT	     040000
#define O_DIRECTORY	     0200000
#define O_CLOEXEC	     02000000
#define W_OK		     2
#define EINTR		     4
#define S_IFMT		     0170000
#define S_IFBLK		     0060000
#define S_IFCHR		     0020000
#define BLKGETSIZE64	     0x80081272UL /* _IOR(0x12, 114, size_t) */
#define BLKDISCARD	     0x1277UL	  /* _IO(0x12, 119) */
#define REBOOT_MAGIC1	     0xfee1deadUL
#define REBOOT_MAGIC2	     672274793UL /* 0x28121969 */
#define REBOOT_CMD_RESTART   0x01234567UL
#define REBOOT_CMD_POWER_OFF 0x4321fedcUL
#define CLOCK_MONOTONIC	     1

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define SYS(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

struct kstat { /* struct stat of x86-64 */
	u64 st_dev, st_ino, st_nlink;
	u32 st_mode, st_uid, st_gid, pad0;
	u64 st_rdev;
	long st_size, st_blksize, st_blocks;
	u64 times[6];
	long unused[3];
};
struct timespec {
	long sec, nsec;
};

static long x_read(int fd, void *p, size_t n)
{
	return SYS(NR_read, fd, p, n);
}
static long x_write(int fd, const void *p, size_t n)
{
	return SYS(NR_write, fd, p, n);
}
static int x_open(const char *path, int flags, int mode)
{
	return (int)SYS(NR_open, path, flags, mode);
}
static int x_close(int fd)
{
	return (int)SYS(NR_close, fd, 0, 0);
}
static long x_pread(int fd, void *p, size_t n, u64 off)
{
	return sys6(NR_pread64, fd, (long)p, (long)n, (long)off, 0, 0);
}
static long x_pwrite(int fd, const void *p, size_t n, u64 off)
{
	return sys6(NR_pwrite64, fd, (long)p, (long)n, (long)off, 0, 0);
}
static long x_ioctl(int fd, unsigned long req, void *arg)
{
	return SYS(NR_ioctl, fd, req, arg);
}
static int x_fsync(int fd)
{
	return (int)SYS(NR_fsync, fd, 0, 0);
}
static void x_sync(void)
{
	SYS(NR_sync, 0, 0, 0);
}
static __attribute__((noreturn)) void x_exit(int st)
{
	for (;;)
		SYS(NR_exit_group, st, 0, 0);
}

static int mode_of(const char *path)
{
	struct kstat st;
	if (SYS(NR_stat, path, &st, 0) < 0)
		return 0;
	return (int)(st.st_mode & S_IFMT);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (SYS(NR_nanosleep, &ts, &ts, 0) == -EINTR)
		;
}

static u64 now_ns(void)
{
	struct timespec ts = { 0, 0 };
	SYS(NR_clock_gettime, CLOCK_MONOTONIC, &ts, 0);
	return (u64)ts.sec * 1000000000UL + (u64)ts.nsec;
}

/* --- the few libc functions gcc may call -------------------------------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
void *memmove(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	if (p < q)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}
int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

static size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
/* a + b + c into dst (cap bytes), truncated */
static char *cat3(char *dst, size_t cap, const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	size_t n = 0;
	int i;
	for (i = 0; i < 3; i++)
		for (const char *q = parts[i]; *q && n < cap - 1; q++)
			dst[n++] = *q;
	dst[n] = 0;
	return dst;
}
static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* --- I/O helpers ---------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t n)
{
	const u8 *p = buf;
	while (n) {
		long r = x_write(fd, p, n);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* n bytes at off; 0 when all of them were transferred */
static int pwrite_all(int fd, const u8 *p, size_t n, u64 off)
{
	while (n) {
		long r = x_pwrite(fd, p, n, off);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (u64)r;
	}
	return 0;
}

/* up to n bytes at off, fewer at the end of the device; <0 on an error */
static long pread_full(int fd, u8 *p, size_t n, u64 off)
{
	size_t got = 0;
	while (got < n) {
		long r = x_pread(fd, p + got, n - got, off + got);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

/* Reads a small file into buf as $(cat FILE) would: trailing newlines
 * removed, "" when it cannot be read. */
static char *read_value(const char *path, char *buf, size_t cap)
{
	long n = 0, r;
	int fd = x_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		while (n < (long)cap - 1 && (r = x_read(fd, buf + n, cap - 1 - (size_t)n)) != 0) {
			if (r == -EINTR)
				continue;
			if (r < 0)
				break;
			n += r;
		}
		x_close(fd);
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return buf;
}

/* echo TEXT >PATH; 0 on success */
static int write_file(const char *path, const char *text, int extra_flags)
{
	int fd = x_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | extra_flags, 0666);
	int st;
	if (fd < 0)
		return -1;
	st = write_all(fd, text, str_len(text));
	x_close(fd);
	return st;
}

/* --- output: one write() per line ----------------------------------------- */

static char line[1024];
static size_t line_len;

static void out_s(const char *s)
{
	while (*s && line_len < sizeof line - 1)
		line[line_len++] = *s++;
}
static void out_u(u64 v)
{
	char d[24];
	int i = 0;
	do
		d[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i)
		if (line_len < sizeof line - 1)
			line[line_len++] = d[--i];
		else
			--i;
}
static void out_end(void)
{
	line[line_len++] = '\n';
	write_all(1, line, line_len);
	line_len = 0;
}
static void say(const char *key, const char *val)
{
	out_s("AXTEST ");
	out_s(key);
	out_s("=");
	out_s(val);
	out_end();
}
static void say_u(const char *key, u64 val)
{
	out_s("AXTEST ");
	out_s(key);
	out_s("=");
	out_u(val);
	out_end();
}

/* --- MD5 (RFC 1321) ------------------------------------------------------- */

struct md5 {
	u32 a, b, c, d;
	u64 len;
	u8 buf[64];
	u32 n;
};

static void md5_init(struct md5 *m)
{
	m->a = 0x67452301;
	m->b = 0xefcdab89;
	m->c = 0x98badcfe;
	m->d = 0x10325476;
	m->len = 0;
	m->n = 0;
}

#define ROL(x, s)  (((x) << (s)) | ((x) >> (32 - (s))))
#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))
#define STEP(f, a, b, c, d, x, t, s)                                                               \
	do {                                                                                       \
		(a) += f((b), (c), (d)) + (x) + (t);                                               \
		(a) = ROL((a), (s)) + (b);                                                         \
	} while (0)

static void md5_block(struct md5 *m, const u8 *p)
{
	u32 x[16], a = m->a, b = m->b, c = m->c, d = m->d;
	int i;
	for (i = 0; i < 16; i++)
		x[i] = (u32)p[4 * i] | (u32)p[4 * i + 1] << 8 | (u32)p[4 * i + 2] << 16 |
		       (u32)p[4 * i + 3] << 24;

	STEP(F, a, b, c, d, x[0], 0xd76aa478, 7);
	STEP(F, d, a, b, c, x[1], 0xe8c7b756, 12);
	STEP(F, c, d, a, b, x[2], 0x242070db, 17);
	STEP(F, b, c, d, a, x[3], 0xc1bdceee, 22);
	STEP(F, a, b, c, d, x[4], 0xf57c0faf, 7);
	STEP(F, d, a, b, c, x[5], 0x4787c62a, 12);
	STEP(F, c, d, a, b, x[6], 0xa8304613, 17);
	STEP(F, b, c, d, a, x[7], 0xfd469501, 22);
	STEP(F, a, b, c, d, x[8], 0x698098d8, 7);
	STEP(F, d, a, b, c, x[9], 0x8b44f7af, 12);
	STEP(F, c, d, a, b, x[10], 0xffff5bb1, 17);
	STEP(F, b, c, d, a, x[11], 0x895cd7be, 22);
	STEP(F, a, b, c, d, x[12], 0x6b901122, 7);
	STEP(F, d, a, b, c, x[13], 0xfd987193, 12);
	STEP(F, c, d, a, b, x[14], 0xa679438e, 17);
	STEP(F, b, c, d, a, x[15], 0x49b40821, 22);

	STEP(G, a, b, c, d, x[1], 0xf61e2562, 5);
	STEP(G, d, a, b, c, x[6], 0xc040b340, 9);
	STEP(G, c, d, a, b, x[11], 0x265e5a51, 14);
	STEP(G, b, c, d, a, x[0], 0xe9b6c7aa, 20);
	STEP(G, a, b, c, d, x[5], 0xd62f105d, 5);
	STEP(G, d, a, b, c, x[10], 0x02441453, 9);
	STEP(G, c, d, a, b, x[15], 0xd8a1e681, 14);
	STEP(G, b, c, d, a, x[4], 0xe7d3fbc8, 20);
	STEP(G, a, b, c, d, x[9], 0x21e1cde6, 5);
	STEP(G, d, a, b, c, x[14], 0xc33707d6, 9);
	STEP(G, c, d, a, b, x[3], 0xf4d50d87, 14);
	STEP(G, b, c, d, a, x[8], 0x455a14ed, 20);
	STEP(G, a, b, c, d, x[13], 0xa9e3e905, 5);
	STEP(G, d, a, b, c, x[2], 0xfcefa3f8, 9);
	STEP(G, c, d, a, b, x[7], 0x676f02d9, 14);
	STEP(G, b, c, d, a, x[12], 0x8d2a4c8a, 20);

	STEP(H, a, b, c, d, x[5], 0xfffa3942, 4);
	STEP(H, d, a, b, c, x[8], 0x8771f681, 11);
	STEP(H, c, d, a, b, x[11], 0x6d9d6122, 16);
	STEP(H, b, c, d, a, x[14], 0xfde5380c, 23);
	STEP(H, a, b, c, d, x[1], 0xa4beea44, 4);
	STEP(H, d, a, b, c, x[4], 0x4bdecfa9, 11);
	STEP(H, c, d, a, b, x[7], 0xf6bb4b60, 16);
	STEP(H, b, c, d, a, x[10], 0xbebfbc70, 23);
	STEP(H, a, b, c, d, x[13], 0x289b7ec6, 4);
	STEP(H, d, a, b, c, x[0], 0xeaa127fa, 11);
	STEP(H, c, d, a, b, x[3], 0xd4ef3085, 16);
	STEP(H, b, c, d, a, x[6], 0x04881d05, 23);
	STEP(H, a, b, c, d, x[9], 0xd9d4d039, 4);
	STEP(H, d, a, b, c, x[12], 0xe6db99e5, 11);
	STEP(H, c, d, a, b, x[15], 0x1fa27cf8, 16);
	STEP(H, b, c, d, a, x[2], 0xc4ac5665, 23);

	STEP(I, a, b, c, d, x[0], 0xf4292244, 6);
	STEP(I, d, a, b, c, x[7], 0x432aff97, 10);
	STEP(I, c, d, a, b, x[14], 0xab9423a7, 15);
	STEP(I, b, c, d, a, x[5], 0xfc93a039, 21);
	STEP(I, a, b, c, d, x[12], 0x655b59c3, 6);
	STEP(I, d, a, b, c, x[3], 0x8f0ccc92, 10);
	STEP(I, c, d, a, b, x[10], 0xffeff47d, 15);
	STEP(I, b, c, d, a, x[1], 0x85845dd1, 21);
	STEP(I, a, b, c, d, x[8], 0x6fa87e4f, 6);
	STEP(I, d, a, b, c, x[15], 0xfe2ce6e0, 10);
	STEP(I, c, d, a, b, x[6], 0xa3014314, 15);
	STEP(I, b, c, d, a, x[13], 0x4e0811a1, 21);
	STEP(I, a, b, c, d, x[4], 0xf7537e82, 6);
	STEP(I, d, a, b, c, x[11], 0xbd3af235, 10);
	STEP(I, c, d, a, b, x[2], 0x2ad7d2bb, 15);
	STEP(I, b, c, d, a, x[9], 0xeb86d391, 21);

	m->a += a;
	m->b += b;
	m->c += c;
	m->d += d;
}

static void md5_update(struct md5 *m, const u8 *p, size_t n)
{
	m->len += n;
	if (m->n) {
		while (n && m->n < 64) {
			m->buf[m->n++] = *p++;
			n--;
		}
		if (m->n < 64)
			return;
		md5_block(m, m->buf);
		m->n = 0;
	}
	for (; n >= 64; n -= 64, p += 64)
		md5_block(m, p);
	while (n--)
		m->buf[m->n++] = *p++;
}

/* the digest as 32 lowercase hex digits */
static void md5_final(struct md5 *m, char hex[33])
{
	static const char digits[] = "0123456789abcdef";
	u64 bits = m->len * 8;
	u32 w[4];
	int i;
	m->buf[m->n++] = 0x80;
	if (m->n > 56) {
		while (m->n < 64)
			m->buf[m->n++] = 0;
		md5_block(m, m->buf);
		m->n = 0;
	}
	while (m->n < 56)
		m->buf[m->n++] = 0;
	for (i = 0; i < 8; i++)
		m->buf[56 + i] = (u8)(bits >> (8 * i));
	md5_block(m, m->buf);
	w[0] = m->a, w[1] = m->b, w[2] = m->c, w[3] = m->d;
	for (i = 0; i < 16; i++) {
		u8 byte = (u8)(w[i / 4] >> (8 * (i % 4)));
		hex[2 * i] = digits[byte >> 4];
		hex[2 * i + 1] = digits[byte & 15];
	}
	hex[32] = 0;
}

static void md5_of(const u8 *p, size_t n, char hex[33])
{
	struct md5 m;
	md5_init(&m);
	md5_update(&m, p, n);
	md5_final(&m, hex);
}

/* --- the guest's tests ---------------------------------------------------- */

/* 1 MiB, aligned for O_DIRECT: patterns, read-back, md5 input, bench blocks */
static u8 big[MIB] __attribute__((aligned(4096)));
static char val[4096];
static char cmdline[4096];

#define VDA "/dev/vda"

/* busybox's poweroff -f / reboot -f: sync(), then reboot(); returns only
 * when reboot() failed */
static void power(unsigned long cmd)
{
	x_sync();
	sys6(NR_reboot, (long)REBOOT_MAGIC1, (long)REBOOT_MAGIC2, (long)cmd, 0, 0, 0);
}

/* power off; should that return, wait, then exit (the kernel panics) */
static __attribute__((noreturn)) void power_off(void)
{
	power(REBOOT_CMD_POWER_OFF);
	sleep_ms(10000);
	x_exit(1);
}

/* init.sh's fail(): an error line, "AXTEST done", power off */
static __attribute__((noreturn)) void fail(const char *what, const char *arg)
{
	out_s("AXTEST error=");
	out_s(what);
	out_s(arg);
	out_end();
	out_s("AXTEST done");
	out_end();
	power_off();
}

static void say_uptime(const char *key)
{
	char up[64];
	size_t i = 0;
	read_value("/proc/uptime", up, sizeof up);
	while (up[i] && up[i] != ' ')
		i++;
	up[i] = 0; /* `read -r up _`: the first field */
	say(key, up);
}

/* $(tr ' ' _ <FILE) */
static char *read_underscored(const char *path)
{
	char *p = read_value(path, val, sizeof val);
	for (; *p; p++)
		if (*p == ' ')
			*p = '_';
	return val;
}

static u64 parse_u(const char *s)
{
	u64 v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	return v;
}

/* 1 MiB of "WORD\n" repeated, as `yes WORD | head -c 1048576` */
static void fill_pattern(u8 *p, const char *word)
{
	size_t wl = str_len(word), i, k = 0;
	for (i = 0; i < MIB; i++) {
		p[i] = k < wl ? (u8)word[k] : '\n';
		k = k == wl ? 0 : k + 1;
	}
}

/* "AXTEST md5=..." of the whole disk, read through the page cache as
 * `md5sum </dev/vda`; empty on a read error */
static void disk_md5(void)
{
	struct md5 m;
	char hex[33];
	long r;
	int fd = x_open(VDA, O_RDONLY | O_CLOEXEC, 0);
	hex[0] = 0;
	if (fd >= 0) {
		md5_init(&m);
		for (;;) {
			r = x_read(fd, big, MIB);
			if (r == -EINTR)
				continue;
			if (r <= 0)
				break;
			md5_update(&m, big, (size_t)r);
		}
		if (r == 0)
			md5_final(&m, hex);
		x_close(fd);
	}
	say("md5", hex);
}

/* md5 of 1 MiB of the disk at MiB offset mib, read with O_DIRECT (of what
 * could be read, as `dd ... | md5sum`) */
static void md5_mib(const char *key, u64 mib)
{
	char hex[33];
	long n = -1;
	int fd = x_open(VDA, O_RDONLY | O_DIRECT | O_CLOEXEC, 0);
	if (fd >= 0) {
		n = pread_full(fd, big, MIB, mib * MIB);
		x_close(fd);
	}
	md5_of(big, n > 0 ? (size_t)n : 0, hex);
	say(key, hex);
}

/* write len bytes of big at off (O_DIRECT with direct), then fsync when
 * do_fsync; 0 when everything succeeded */
static int disk_write(u64 off, size_t len, size_t chunk, int direct, int do_fsync)
{
	int fd = x_open(VDA, O_WRONLY | O_CLOEXEC | (direct ? O_DIRECT : 0), 0);
	int st = 0;
	size_t done;
	if (fd < 0)
		return -1;
	for (done = 0; done < len && st == 0; done += chunk)
		st = pwrite_all(fd, big + done, chunk, off + done);
	if (st == 0 && do_fsync && x_fsync(fd) != 0)
		st = -1;
	if (x_close(fd) != 0)
		st = -1;
	return st;
}

static void test_rw(void)
{
	u64 range[2] = { 4 * MIB, 4 * MIB };
	int fd, st;

	disk_md5();
	/* A device that offers VIRTIO_BLK_F_CONFIG_WCE may start in
	 * write-through mode (qemu-storage-daemon does): then Linux sends no
	 * FLUSH. Ask for write-back through virtio_blk's cache_type. */
	if (str_eq(read_underscored("/sys/block/vda/queue/write_cache"), "write_through") &&
	    SYS(NR_access, "/sys/block/vda/cache_type", W_OK, 0) == 0) {
		write_file("/sys/block/vda/cache_type", "write back\n", 0);
		say("write_cache_set", read_underscored("/sys/block/vda/queue/write_cache"));
	}
	fill_pattern(big, "AXDIRECT");
	say("write_direct", disk_write(1 * MIB, MIB, MIB, 1, 0) == 0 ? "ok" : "failed");
	/* buffered: the page cache, then fsync = writeback + a FLUSH request
	 * (64 KiB writes, as init.sh's dd bs=64k) */
	fill_pattern(big, "AXBUFFER");
	say("write_buffered", disk_write(2 * MIB, MIB, 64 * 1024, 0, 1) == 0 ? "ok" : "failed");
	md5_mib("readback_direct", 1);
	md5_mib("readback_buffered", 2);
	st = -1;
	fd = x_open(VDA, O_WRONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		st = (int)x_ioctl(fd, BLKDISCARD, range);
		x_close(fd);
	}
	say("discard", st == 0 ? "ok" : "failed");
	x_sync();
}

static void test_ro(void)
{
	disk_md5();
	memset(big, 0, 4096);
	say("ro_write", disk_write(0, 4096, 4096, 1, 0) == 0 ? "accepted" : "refused");
	/* the same through the page cache: must fail at open, write or fsync */
	say("ro_write_buffered", disk_write(0, 4096, 4096, 0, 1) == 0 ? "accepted" : "refused");
	write_file("/proc/sys/vm/drop_caches", "3\n", 0);
	disk_md5();
}

/* marker at 3 MiB (4 KiB block 768): a 4 KiB block, the text then zeros */
static int write_marker(const char *text)
{
	memset(big, 0, 4096);
	memcpy(big, text, str_len(text));
	return disk_write(768 * 4096, 4096, 4096, 1, 0);
}

static void test_reboot(void)
{
	long n = -1;
	int fd = x_open(VDA, O_RDONLY | O_DIRECT | O_CLOEXEC, 0);
	if (fd >= 0) {
		n = pread_full(fd, big, 4096, 768 * 4096);
		x_close(fd);
	}
	if (n >= 9 && memcmp(big, "AXREBOOT1", 9) == 0) {
		say("reboot", "second");
		if (write_marker("AXREBOOT2") != 0)
			say("error", "marker2");
	} else {
		say("reboot", "first");
		if (write_marker("AXREBOOT1") != 0)
			fail("marker1", "");
		x_sync();
		power(REBOOT_CMD_RESTART);
		sleep_ms(10000);
		fail("reboot_returned", "");
	}
}

/* bench: O_DIRECT sequential I/O over `count` blocks of `bs` bytes from 0;
 * reads stop early at the end of the device (as dd does) */
static int bench_seq(int write, size_t bs, u64 count)
{
	int fd = x_open(VDA, (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC, 0);
	int st = 0;
	u64 i;
	long r;
	if (fd < 0)
		return -1;
	memset(big, 0, bs);
	for (i = 0; i < count && st == 0; i++) {
		if (write) {
			st = pwrite_all(fd, big, bs, i * bs);
		} else {
			r = pread_full(fd, big, bs, i * bs);
			if (r < 0)
				st = -1;
			else if ((size_t)r < bs)
				break;
		}
	}
	x_close(fd);
	return st;
}

static u64 rng_state;
static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ax_rand 4 KiB O_DIRECT reads at random 4 KiB blocks (init.sh runs one dd
 * each, which opens the device each time; so does this) */
static int rand_reads(u64 n)
{
	u64 blocks = 0, i;
	int fd = x_open(VDA, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	x_ioctl(fd, BLKGETSIZE64, &blocks);
	x_close(fd);
	blocks /= 4096;
	if (!blocks)
		return -1;
	rng_state = now_ns() | 1;
	for (i = 0; i < n; i++) {
		u64 b = (rng() & ((1UL << 30) - 1)) % blocks;
		long r;
		fd = x_open(VDA, O_RDONLY | O_DIRECT | O_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		r = pread_full(fd, big, 4096, b * 4096);
		x_close(fd);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* init.sh's timed(): elapsed ns as "AXTEST NAME_ns=N", after
 * "AXTEST error=NAME" when it failed */
static void timed_end(const char *name, u64 t0, int st)
{
	u64 t1 = now_ns();
	if (st != 0)
		say("error", name);
	out_s("AXTEST ");
	out_s(name);
	out_s("_ns=");
	out_u(t1 - t0);
	out_end();
}

static void test_bench(u64 ax_mb, u64 ax_rand, u64 ax_seq4k)
{
	u64 t0;
	say_u("bench_mb", ax_mb);
	/* the host samples the backend's CPU time at each *_begin/_end line */
	say("phase", "seq_begin");
	sleep_ms(500);
	t0 = now_ns();
	timed_end("seqwrite", t0, bench_seq(1, MIB, ax_mb));
	t0 = now_ns();
	timed_end("seqread", t0, bench_seq(0, MIB, ax_mb));
	say("phase", "seq_end");
	sleep_ms(500);
	say_u("seq4k_count", ax_seq4k);
	t0 = now_ns();
	timed_end("seq4k", t0, bench_seq(0, 4096, ax_seq4k));
	say_u("rand_count", ax_rand);
	t0 = now_ns();
	timed_end("rand4k", t0, rand_reads(ax_rand));
}

/* the virtio console: is there a virtio device of ID 3
 * (grep -qsx 0x0003 /sys/bus/virtio/devices/{name}/device)? */
static int hvc_device(void)
{
	static u8 dents[4096] __attribute__((aligned(8)));
	static char path[512];
	int fd = x_open("/sys/bus/virtio/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	int found = 0;
	long n, off;
	if (fd < 0)
		return 0;
	while (!found && (n = SYS(NR_getdents64, fd, dents, sizeof dents)) > 0) {
		for (off = 0; off < n && !found; off += *(u16 *)(dents + off + 16)) {
			const char *name = (const char *)dents + off + 19; /* d_name */
			if (name[0] == '.')
				continue;
			cat3(path, sizeof path, "/sys/bus/virtio/devices/", name, "/device");
			found = str_eq(read_value(path, val, sizeof val), "0x0003");
		}
	}
	x_close(fd);
	return found;
}

static void hvc0(void)
{
	int i, fd;
	if (hvc_device())
		for (i = 0; mode_of("/dev/hvc0") != S_IFCHR && i < 100; i++)
			sleep_ms(100);
	if (mode_of("/dev/hvc0") == S_IFCHR) {
		fd = x_open("/dev/hvc0", O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
		if (fd >= 0 && write_all(fd, "AXHVC0 hello from /dev/hvc0\n", 28) == 0 &&
		    x_close(fd) == 0)
			say("hvc0", "written");
		else
			say("hvc0", "write_failed");
	} else if (hvc_device()) {
		say("hvc0", "no_node");
	} else {
		say("hvc0", "absent");
	}
}

static void load_modules(void)
{
	static char order[4096];
	static char path[512];
	char *p, *end;
	read_value("/lib/modules/order", order, sizeof order);
	if (!order[0])
		fail("no_module_order", "");
	for (p = order; *p; p = end) {
		int fd;
		long st;
		for (end = p; *end && *end != '\n'; end++)
			;
		if (*end)
			*end++ = 0;
		if (!*p)
			continue;
		fd = x_open(cat3(path, sizeof path, "/lib/modules/", p, ".ko"),
			    O_RDONLY | O_CLOEXEC, 0);
		st = fd < 0 ? fd : sys6(NR_finit_module, fd, (long)"", 0, 0, 0, 0);
		if (fd >= 0)
			x_close(fd);
		if (st != 0)
			fail("insmod_", p);
	}
}

static void init_main(void)
{
	u64 ax_mb = 256, ax_rand = 1000, ax_seq4k = 8192, size = 0;
	const char *axtest = "";
	char up[64];
	char *p, *w;
	int fd, i;

	SYS(NR_mount, "proc", "/proc", "proc");
	read_value("/proc/uptime", up, sizeof up);
	SYS(NR_mount, "sysfs", "/sys", "sysfs");
	SYS(NR_mount, "devtmpfs", "/dev", "devtmpfs");
	fd = x_open("/dev/console", O_RDWR | O_NOCTTY, 0);
	if (fd >= 0) {
		for (i = 0; i < 3; i++)
			if (fd != i)
				SYS(NR_dup2, fd, i, 0);
		if (fd > 2)
			x_close(fd);
	}
	for (i = 0; up[i] && up[i] != ' '; i++)
		;
	up[i] = 0;
	say("boot_uptime", up);

	/* kernel command line: axtest=NAME and ax_*=N (the last one wins) */
	read_value("/proc/cmdline", cmdline, sizeof cmdline);
	for (p = cmdline; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			*p++ = 0;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
		if (starts(w, "axtest="))
			axtest = w + 7;
		else if (starts(w, "ax_mb="))
			ax_mb = parse_u(w + 6);
		else if (starts(w, "ax_rand="))
			ax_rand = parse_u(w + 8);
		else if (starts(w, "ax_seq4k="))
			ax_seq4k = parse_u(w + 9);
	}

	load_modules();

	for (i = 0; mode_of(VDA) != S_IFBLK; i++) {
		if (i + 1 > 100)
			fail("no_vda", "");
		sleep_ms(100);
	}
	say_uptime("vda_uptime");
	val[0] = 0;
	fd = x_open(VDA, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		if (x_ioctl(fd, BLKGETSIZE64, &size) == 0) {
			say_u("size_bytes", size);
		} else {
			say("size_bytes", "");
		}
		x_close(fd);
	} else {
		say("size_bytes", "");
	}
	say("ro", read_value("/sys/block/vda/ro", val, sizeof val));
	say("write_cache", read_underscored("/sys/block/vda/queue/write_cache"));
	say("discard_max_bytes",
	    read_value("/sys/block/vda/queue/discard_max_bytes", val, sizeof val));

	if (str_eq(axtest, "rw")) {
		test_rw();
	} else if (str_eq(axtest, "ro")) {
		test_ro();
	} else if (str_eq(axtest, "reboot")) {
		test_reboot();
	} else if (str_eq(axtest, "bench")) {
		test_bench(ax_mb, ax_rand, ax_seq4k);
	} else {
		out_s("AXTEST error=unknown_test_");
		out_s(axtest);
		out_end();
	}

	hvc0();
	say_uptime("end_uptime");
	out_s("AXTEST done");
	out_end();
	power_off();
}

/* --- host modes ------------------------------------------------------------ */

static int selftest(void)
{
	/* RFC 1321, A.5 */
	static const char *const vec[][2] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	char hex[33];
	size_t i, k;
	int bad = 0;
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		struct md5 m;
		size_t n = str_len(vec[i][0]);
		md5_of((const u8 *)vec[i][0], n, hex);
		/* and fed one byte at a time */
		md5_init(&m);
		for (k = 0; k < n; k++)
			md5_update(&m, (const u8 *)vec[i][0] + k, 1);
		md5_final(&m, val);
		out_s(str_eq(hex, vec[i][1]) && str_eq(val, vec[i][1]) ? "ok   " : "FAIL ");
		out_s(hex);
		out_s(" \"");
		out_s(vec[i][0]);
		out_s("\"");
		out_end();
		bad |= !str_eq(hex, vec[i][1]) || !str_eq(val, vec[i][1]);
	}
	return bad;
}

static int md5_stdin(void)
{
	struct md5 m;
	char hex[33];
	long r;
	md5_init(&m);
	for (;;) {
		r = x_read(0, big, MIB);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		md5_update(&m, big, (size_t)r);
	}
	md5_final(&m, hex);
	out_s(hex);
	out_s("  -");
	out_end();
	return 0;
}

int axmain(long *sp) __attribute__((used));
int axmain(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);

	if (SYS(NR_getpid, 0, 0, 0) == 1) {
		init_main(); /* does not return */
		return 1;
	}
	/* never mount, load modules or power off a host: not PID 1, only these */
	if (argc == 2 && str_eq(argv[1], "--selftest"))
		return selftest();
	if (argc == 2 && str_eq(argv[1], "--md5"))
		return md5_stdin();
	if (argc == 3 && str_eq(argv[1], "--pattern")) {
		fill_pattern(big, argv[2]);
		return write_all(1, big, MIB) != 0;
	}
	out_s("usage: axinit --selftest | --md5 <FILE | --pattern WORD (as PID 1: the test guest's "
	      "/init)");
	line[line_len++] = '\n';
	write_all(2, line, line_len);
	line_len = 0;
	return 2;
}

/* the process entry: argc at (%rsp); the call leaves the ABI's alignment */
__asm__(".text\n"
	".global _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call axmain\n"
	"	mov %eax, %edi\n"
	"	mov $231, %eax\n" /* exit_group */
	"	syscall\n"
	"	hlt\n");
