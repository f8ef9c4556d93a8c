/* SPDX-License-Identifier: Apache-2.0 */
#include "format.h"

#include <stdbool.h>
#include <stdint.h>

#include "div64.h"
#include "string.h"

struct output {
	char *buf;
	size_t size;
	size_t len; /* characters produced, even those that did not fit */
};

static void emit(struct output *out, char c)
{
	if (out->len + 1 < out->size)
		out->buf[out->len] = c;
	out->len++;
}

struct field {
	unsigned width;
	bool zero_pad;
	bool left_align;
};

static void emit_padded(struct output *out, const struct field *f, const char *text, size_t len,
			bool negative)
{
	size_t total = len + (negative ? 1 : 0);
	size_t pad = f->width > total ? f->width - total : 0;

	if (!f->left_align && !f->zero_pad) {
		for (; pad; pad--)
			emit(out, ' ');
	}
	if (negative)
		emit(out, '-');
	if (!f->left_align) {
		for (; pad; pad--)
			emit(out, '0');
	}
	for (size_t i = 0; i < len; i++)
		emit(out, text[i]);
	for (; pad; pad--)
		emit(out, ' ');
}

static void emit_number(struct output *out, const struct field *f, uint64_t value, unsigned base,
			bool upper, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char text[24];
	size_t n = 0;

	do {
		uint32_t digit;

		value = div64_u32(value, base, &digit);
		text[sizeof(text) - 1 - n++] = digits[digit];
	} while (value);
	emit_padded(out, f, text + sizeof(text) - n, n, negative);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct output out = { .buf = buf, .size = size, .len = 0 };

	for (const char *p = fmt; *p; p++) {
		struct field f = { 0 };
		unsigned longs = 0;
		bool size_t_arg = false;

		if (*p != '%') {
			emit(&out, *p);
			continue;
		}
		p++;
		for (;; p++) {
			if (*p == '0')
				f.zero_pad = true;
			else if (*p == '-')
				f.left_align = true;
			else
				break;
		}
		for (; *p >= '0' && *p <= '9'; p++)
			f.width = f.width * 10 + (unsigned)(*p - '0');
		for (; *p == 'l'; p++)
			longs++;
		if (*p == 'z') {
			size_t_arg = true;
			p++;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v;

			if (longs >= 2)
				v = va_arg(ap, long long);
			else if (longs == 1)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, int);
			emit_number(&out, &f, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10,
				    false, v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v;

			if (longs >= 2)
				v = va_arg(ap, unsigned long long);
			else if (longs == 1)
				v = va_arg(ap, unsigned long);
			else if (size_t_arg)
				v = va_arg(ap, size_t);
			else
				v = va_arg(ap, unsigned int);
			emit_number(&out, &f, v, *p == 'u' ? 10 : 16, *p == 'X', false);
			break;
		}
		case 'p':
			emit(&out, '0');
			emit(&out, 'x');
			emit_number(&out, &f, (uintptr_t)va_arg(ap, void *), 16, false, false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			emit_padded(&out, &f, &c, 1, false);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			emit_padded(&out, &f, s, strlen(s), false);
			break;
		}
		case '%':
			emit(&out, '%');
			break;
		case '\0':
			p--; /* a trailing '%': stop at the terminator */
			break;
		default:
			emit(&out, '%');
			emit(&out, *p);
			break;
		}
	}
	if (size)
		buf[out.len < size ? out.len : size - 1] = '\0';
	return (int)out.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
