/* SPDX-License-Identifier: Apache-2.0 */
/* A tiny AML byte emitter; see aml.h. Opcode values from the ACPI 6.x spec, chapter 20. */
#include "acpi/aml.h"

#include <string.h>

enum {
	AML_ZERO_OP = 0x00,
	AML_ONE_OP = 0x01,
	AML_NAME_OP = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e,
	AML_SCOPE_OP = 0x10,
	AML_BUFFER_OP = 0x11,
	AML_PACKAGE_OP = 0x12,
	AML_EXT_OP_PREFIX = 0x5b,
	AML_DEVICE_OP = 0x82, /* after ExtOpPrefix */
	AML_ROOT_CHAR = 0x5c,
	AML_ONES_OP = 0xff,
};

/* Largest value a 4-byte PkgLength holds (28 bits), the length bytes included. */
#define AML_PKG_MAX ((1u << 28) - 1)

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = buf ? cap : 0;
	a->len = 0;
	a->failed = false;
}

bool aml_failed(const struct aml *a)
{
	return a->failed;
}

static bool room(struct aml *a, size_t n)
{
	if (a->failed)
		return false;
	if (n > a->cap - a->len) {
		a->failed = true;
		return false;
	}
	return true;
}

void aml_byte(struct aml *a, uint8_t b)
{
	if (room(a, 1))
		a->buf[a->len++] = b;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (n && room(a, n)) {
		memcpy(a->buf + a->len, p, n);
		a->len += n;
	}
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

void aml_u16(struct aml *a, uint16_t v)
{
	le(a, v, 2);
}

void aml_u32(struct aml *a, uint32_t v)
{
	le(a, v, 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES_OP);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		aml_byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		aml_byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] > 0x7f) {
			a->failed = true;
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, n + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		a->failed = true;
		return;
	}
	/* Three letters, 5 bits each ('A' = 1), then four hex digits: 32 bits, big endian. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			a->failed = true;
			return;
		}
		v = (v << 5) | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);

		if (d < 0) {
			a->failed = true;
			return;
		}
		v = (v << 4) | (uint32_t)d;
	}
	/* The top bit stays 0; the DWord is stored with its bytes swapped. */
	aml_integer(a, __builtin_bswap32(v));
}

static bool name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void aml_name(struct aml *a, const char *name)
{
	char seg[4] = { '_', '_', '_', '_' };
	size_t n;

	if (name[0] == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		name++;
	}
	n = strlen(name);
	if (n < 1 || n > 4) {
		a->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!name_char(name[i], i == 0)) {
			a->failed = true;
			return;
		}
		seg[i] = name[i];
	}
	aml_bytes(a, seg, 4);
}

size_t aml_pkg_begin(const struct aml *a)
{
	return a->len;
}

/* Makes n bytes of room at pos, moving what follows. */
static bool insert(struct aml *a, size_t pos, const uint8_t *p, size_t n)
{
	if (pos > a->len || !room(a, n))
		return false;
	memmove(a->buf + pos + n, a->buf + pos, a->len - pos);
	memcpy(a->buf + pos, p, n);
	a->len += n;
	return true;
}

void aml_pkg_end(struct aml *a, size_t start)
{
	uint8_t enc[4];
	size_t body, total, n;

	if (a->failed || start > a->len) {
		a->failed = true;
		return;
	}
	body = a->len - start;
	/*
	 * PkgLength counts itself. One byte holds up to 63; longer forms put
	 * the count of following bytes in bits 7:6 of the lead byte, the low
	 * 4 bits of the length in its bits 3:0, and the rest 8 bits a byte.
	 */
	if (body + 1 <= 63) {
		enc[0] = (uint8_t)(body + 1);
		n = 1;
	} else {
		for (n = 2; n <= 4; n++) {
			if (body + n < (1u << (4 + 8 * (n - 1))))
				break;
		}
		total = body + n;
		if (n > 4 || total > AML_PKG_MAX) {
			a->failed = true;
			return;
		}
		enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	insert(a, start, enc, n);
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t token;

	aml_byte(a, AML_SCOPE_OP);
	token = aml_pkg_begin(a);
	aml_name(a, name);
	return token;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t token;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	token = aml_pkg_begin(a);
	aml_name(a, name);
	return token;
}

void aml_block_end(struct aml *a, size_t token)
{
	aml_pkg_end(a, token);
}

void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, name);
}

size_t aml_package_begin(struct aml *a, uint8_t nr_elements)
{
	size_t token;

	aml_byte(a, AML_PACKAGE_OP);
	token = aml_pkg_begin(a);
	aml_byte(a, nr_elements);
	return token;
}

size_t aml_buffer_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	return aml_pkg_begin(a);
}

void aml_buffer_end(struct aml *a, size_t token)
{
	uint8_t size[9];
	struct aml s;

	if (a->failed || token > a->len) {
		a->failed = true;
		return;
	}
	/* BufferSize goes in front of the bytes, then the PkgLength in front of both. */
	aml_init(&s, size, sizeof(size));
	aml_integer(&s, a->len - token);
	if (insert(a, token, size, s.len))
		aml_pkg_end(a, token);
}

/* Small resource descriptor header: type 0, item name in bits 6:3, length in bits 2:0. */
static void small_res(struct aml *a, uint8_t item, uint8_t len)
{
	aml_byte(a, (uint8_t)((item << 3) | len));
}

/* Large resource descriptor header: bit 7 set, item name in bits 6:0, 16-bit length. */
static void large_res(struct aml *a, uint8_t item, uint16_t len)
{
	aml_byte(a, (uint8_t)(0x80 | item));
	aml_u16(a, len);
}

void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	small_res(a, 0x08, 7);
	aml_byte(a, 0x01); /* decodes 16 address bits */
	aml_u16(a, min);
	aml_u16(a, max);
	aml_byte(a, align);
	aml_byte(a, len);
}

void aml_res_irq_noflags(struct aml *a, uint16_t mask)
{
	small_res(a, 0x04, 2);
	aml_u16(a, mask);
}

void aml_res_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len)
{
	large_res(a, 0x06, 9);
	aml_byte(a, writable ? 0x01 : 0x00);
	aml_u32(a, base);
	aml_u32(a, len);
}

void aml_res_interrupt(struct aml *a, bool edge, bool active_low, bool shared, uint32_t gsi)
{
	uint8_t flags = 0x01; /* consumer */

	if (edge)
		flags |= 0x02;
	if (active_low)
		flags |= 0x04;
	if (shared)
		flags |= 0x08;
	large_res(a, 0x09, 6);
	aml_byte(a, flags);
	aml_byte(a, 1); /* interrupt table length */
	aml_u32(a, gsi);
}

void aml_res_end(struct aml *a)
{
	small_res(a, 0x0f, 1);
	aml_byte(a, 0x00);
}
