/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation, diagnostics and a small formatter for freestanding code. */
#include "util.h"

void ax_spin_init(struct ax_spinlock *l)
{
	atomic_flag_clear(&l->flag);
}

/* The first exchange (inline in ax_spin_lock) found the lock taken: wait with relax. */
void ax_spin_lock_contended(struct ax_spinlock *l, const struct ax_host_hooks *hooks)
{
	do {
		if (hooks->relax)
			hooks->relax(hooks->ctx);
	} while (atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire));
}

void *ax_zalloc(const struct ax_host_hooks *hooks, size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	p = hooks->alloc(hooks->ctx, size, AX_CACHELINE);
	if (p)
		ax_memset(p, 0, size); /* do not trust every host to zero */
	return p;
}

void ax_free(const struct ax_host_hooks *hooks, void *ptr)
{
	if (ptr)
		hooks->free(hooks->ctx, ptr);
}

struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s, unsigned width, bool left)
{
	size_t n = ax_strnlen(s, 4096);

	while (!left && width > n) {
		put(o, ' ');
		width--;
	}
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	while (left && width > n) {
		put(o, ' ');
		width--;
	}
}

static void put_num(struct out *o, uint64_t v, bool negative, unsigned base, unsigned width,
		    bool zero_pad, bool alt)
{
	char tmp[24];
	unsigned n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	unsigned total = n + (negative ? 1u : 0u) + (alt ? 2u : 0u);

	if (!zero_pad)
		for (; width > total; width--)
			put(o, ' ');
	if (negative)
		put(o, '-');
	if (alt) {
		put(o, '0');
		put(o, 'x');
	}
	if (zero_pad)
		for (; width > total; width--)
			put(o, '0');
	while (n)
		put(o, tmp[--n]);
}

size_t ax_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		bool alt = false, zero = false, left = false;
		unsigned width = 0;
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */

		for (p++;; p++) {
			if (*p == '#')
				alt = true;
			else if (*p == '0')
				zero = true;
			else if (*p == '-')
				left = true;
			else
				break;
		}
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned)(*p++ - '0');
		if (*p == 'z') {
			lng = 3;
			p++;
		} else {
			while (*p == 'l' && lng < 2) {
				lng++;
				p++;
			}
		}
		switch (*p) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			put_str(&o, s ? s : "(null)", width, left);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng == 2   ? va_arg(ap, long long)
				    : lng == 1 ? va_arg(ap, long)
				    : lng == 3 ? (int64_t)va_arg(ap, size_t)
					       : va_arg(ap, int);
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

			put_num(&o, mag, v < 0, 10, width, zero, false);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng == 2	? va_arg(ap, unsigned long long)
				     : lng == 1 ? va_arg(ap, unsigned long)
				     : lng == 3 ? va_arg(ap, size_t)
						: va_arg(ap, unsigned int);

			put_num(&o, v, false, *p == 'x' ? 16 : 10, width, zero, alt && *p == 'x');
			break;
		}
		case 'p':
			put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, 0, false, true);
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			p--; /* lone '%' at the end */
			break;
		default:
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (cap)
		buf[o.len] = '\0';
	return o.len;
}

size_t ax_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = ax_vformat(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

enum ax_err ax_fail(struct ax_diag *diag, enum ax_err err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	diag->err = err;
	va_start(ap, fmt);
	ax_vformat(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

void ax_diag_prefix(struct ax_diag *diag, const char *fmt, ...)
{
	char msg[AX_DIAG_MAX];
	size_t n;
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	n = ax_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ax_strlcpy(msg + n, diag->msg, sizeof(msg) - n);
	ax_memcpy(diag->msg, msg, sizeof(msg));
}

void ax_log(const struct ax_host_hooks *hooks, enum ax_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!hooks || !hooks->log)
		return;
	va_start(ap, fmt);
	ax_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hooks->log(hooks->ctx, level, msg);
}

void ax_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = ax_strnlen(src, cap - 1);

	ax_memcpy(dst, src, n);
	dst[n] = '\0';
}

size_t ax_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}
