/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Proof that src/ is freestanding: this program is built with -ffreestanding
 * -nostdinc and linked -nostdlib -static together with every file of src/.
 * It has no libc: its own _start, raw system calls for output and exit, the
 * memory functions a compiler may call, and a bump allocator behind the host
 * hooks — what a bare-metal hypervisor would supply. It builds a device set
 * from a config, dispatches accesses and checks the answers.
 * x86-64 Linux only (the system calls); the compile step itself is portable.
 */
#include <stddef.h>
#include <stdint.h>

#include <axdevice/axdevice.h>

/* --- what a C compiler may call even in freestanding code --------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

void *memcpy(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	else
		for (size_t i = n; i-- > 0;)
			d[i] = s[i];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	volatile unsigned char *d = dst; /* volatile: keep gcc from calling memset here */

	for (size_t i = 0; i < n; i++)
		d[i] = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* --- raw Linux system calls ------------------------------------------------ */
static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static void say(const char *s)
{
	sys3(1 /* write */, 2, (long)s, (long)strlen(s));
}

/* --- host hooks: a bump allocator over a static arena --------------------- */
static unsigned char arena[4 << 20] __attribute__((aligned(64)));
static size_t arena_used;

static void *bump_alloc(void *ctx, size_t size, size_t align)
{
	size_t at = (arena_used + align - 1) & ~(align - 1);

	(void)ctx;
	if (at > sizeof(arena) || size > sizeof(arena) - at)
		return NULL;
	arena_used = at + size;
	return memset(arena + at, 0, size);
}

static void bump_free(void *ctx, void *ptr)
{
	(void)ctx;
	(void)ptr; /* a bump allocator never gives back */
}

static void log_line(void *ctx, enum ax_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	say(msg);
	say("\n");
}

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		failures++;
		say("freestanding: FAIL ");
		say(what);
		say("\n");
	}
}

static int demo(void)
{
	static const struct ax_host_hooks hooks = {
		.alloc = bump_alloc,
		.free = bump_free,
		.log = log_line,
	};
	static const struct ax_emu_config entries[] = {
		{ .name = "meta0",
		  .base_gpa = 0x8000000,
		  .length = 0x1000,
		  .emu_type = AX_EMU_META },
		{ .name = "meta1",
		  .base_gpa = 0x9000000,
		  .length = 0x1000,
		  .emu_type = AX_EMU_META },
	};
	const struct ax_vm_device_config cfg = { entries, 2 };
	const struct ax_devices_params params = { .hooks = &hooks, .max_vcpus = 2 };
	struct ax_devices *set;
	struct ax_device_stats st;
	struct ax_diag diag;
	uint64_t v = 1;

	check(ax_devices_create(&params, &cfg, &set, &diag) == AX_OK, "create");
	if (failures)
		return 1;
	check(ax_devices_handle_mmio_read(set, 1, 0x9000010, 4, &v) == AX_OK && v == 0, "read");
	check(ax_devices_handle_mmio_write(set, 0, 0x8000ffc, 4, 5) == AX_OK, "write");
	check(ax_devices_handle_mmio_read(set, 0, 0x7fffffc, 4, &v) == AX_ERR_NOT_FOUND,
	      "unmapped");
	check(ax_devices_handle_mmio_read(set, 0, 0x8000ffe, 4, &v) == AX_ERR_BAD_ADDRESS,
	      "straddle");
	check(ax_devices_stats(set, 1, &st) == AX_OK && st.writes == 1 && st.errors == 1,
	      "counters");
	check(ax_strerror(AX_ERR_NOT_FOUND)[0] != '\0', "strerror");
	ax_devices_destroy(set);
	return failures;
}

/* _start below calls this and passes its result to exit_group */
int fs_main(void);
int fs_main(void)
{
	return demo();
}

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call fs_main\n"
	"	mov %eax, %edi\n"
	"	mov $231, %eax\n"
	"	syscall\n"
	"	hlt\n");
