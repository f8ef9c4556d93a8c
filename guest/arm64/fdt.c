/* SPDX-License-Identifier: Apache-2.0 */
#include "fdt.h"

#include "format.h"
#include "platform.h"
#include "string.h"

/* Sanity bound: booting.rst limits the blob to 2 MiB. */
#define FDT_MAX_SIZE (2u << 20)

uint32_t fdt_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

bool fdt_open(struct fdt *f, uintptr_t addr, char *why, unsigned why_len)
{
	const uint8_t *b = (const uint8_t *)addr;
	uint32_t magic, version, last_comp;

	if (addr < PLATFORM_RAM_BASE || addr >= PLATFORM_RAM_BASE + PLATFORM_RAM_SIZE ||
	    (addr & 7)) {
		snprintf(why, why_len, "X0 0x%llx is not an 8-byte aligned RAM address",
			 (unsigned long long)addr);
		return false;
	}
	magic = fdt_be32(b + FDT_HDR_MAGIC);
	if (magic != FDT_MAGIC) {
		snprintf(why, why_len, "magic 0x%x, expected 0x%x", magic, FDT_MAGIC);
		return false;
	}
	f->blob = b;
	f->totalsize = fdt_be32(b + FDT_HDR_TOTALSIZE);
	f->off_struct = fdt_be32(b + FDT_HDR_OFF_DT_STRUCT);
	f->size_struct = fdt_be32(b + FDT_HDR_SIZE_DT_STRUCT);
	f->off_strings = fdt_be32(b + FDT_HDR_OFF_DT_STRINGS);
	f->size_strings = fdt_be32(b + FDT_HDR_SIZE_DT_STRINGS);
	version = fdt_be32(b + FDT_HDR_VERSION);
	last_comp = fdt_be32(b + FDT_HDR_LAST_COMP_VERSION);
	if (version < FDT_LAST_COMP_VERSION || last_comp > FDT_LAST_COMP_VERSION) {
		snprintf(why, why_len, "version %u, last compatible %u", version, last_comp);
		return false;
	}
	if (f->totalsize > FDT_MAX_SIZE || f->off_struct > f->totalsize ||
	    f->size_struct > f->totalsize - f->off_struct || f->off_strings > f->totalsize ||
	    f->size_strings > f->totalsize - f->off_strings || (f->off_struct & 3)) {
		snprintf(why, why_len, "blocks outside totalsize %u (struct %u+%u, strings %u+%u)",
			 f->totalsize, f->off_struct, f->size_struct, f->off_strings,
			 f->size_strings);
		return false;
	}
	return true;
}

static uint32_t align4(uint32_t x)
{
	return (x + 3) & ~3u;
}

/* Length of the NUL-terminated string at s, within max bytes; max if unterminated. */
static uint32_t bounded_strlen(const uint8_t *s, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

bool fdt_walk(const struct fdt *f, fdt_visitor visit, void *ctx, char *why, unsigned why_len)
{
	const uint8_t *s = f->blob + f->off_struct;
	uint32_t end = f->size_struct, pos = 0;
	char path[FDT_PATH_MAX];
	uint32_t path_len[FDT_MAX_DEPTH + 1];
	unsigned depth = 0;

	path[0] = '\0';
	path_len[0] = 0;
	while (pos + 4 <= end) {
		uint32_t token = fdt_be32(s + pos);

		pos += 4;
		switch (token) {
		case FDT_BEGIN_NODE: {
			uint32_t n = bounded_strlen(s + pos, end - pos);
			uint32_t at = path_len[depth];

			if (n == end - pos || depth == FDT_MAX_DEPTH) {
				snprintf(why, why_len, "node at 0x%x: unterminated or too deep",
					 pos);
				return false;
			}
			depth++;
			/* The root's name is empty; every other node adds "/name". */
			if (depth > 1 || n > 0) {
				if (at + 1 + n + 1 > FDT_PATH_MAX) {
					snprintf(why, why_len, "path too long at 0x%x", pos);
					return false;
				}
				path[at++] = '/';
				memcpy(path + at, s + pos, n);
				at += n;
			}
			path[at] = '\0';
			path_len[depth] = at;
			pos = align4(pos + n + 1);
			break;
		}
		case FDT_END_NODE:
			if (depth == 0) {
				snprintf(why, why_len, "FDT_END_NODE without a node at 0x%x", pos);
				return false;
			}
			depth--;
			path[path_len[depth]] = '\0';
			break;
		case FDT_PROP: {
			uint32_t len, nameoff;

			if (pos + 8 > end) {
				snprintf(why, why_len, "truncated FDT_PROP at 0x%x", pos);
				return false;
			}
			len = fdt_be32(s + pos);
			nameoff = fdt_be32(s + pos + 4);
			pos += 8;
			if (len > end - pos || nameoff >= f->size_strings || depth == 0) {
				snprintf(why, why_len, "bad FDT_PROP at 0x%x (len %u, nameoff %u)",
					 pos, len, nameoff);
				return false;
			}
			visit(ctx, depth - 1, path[0] ? path : "/",
			      (const char *)f->blob + f->off_strings + nameoff, s + pos, len);
			pos = align4(pos + len);
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			if (depth != 0) {
				snprintf(why, why_len, "FDT_END inside a node");
				return false;
			}
			return true;
		default:
			snprintf(why, why_len, "unknown token 0x%x at 0x%x", token, pos - 4);
			return false;
		}
	}
	snprintf(why, why_len, "no FDT_END in the structure block");
	return false;
}

bool fdt_stringlist_contains(const uint8_t *value, uint32_t len, const char *s)
{
	uint32_t want = (uint32_t)strlen(s);
	uint32_t pos = 0;

	while (pos < len) {
		uint32_t n = bounded_strlen(value + pos, len - pos);

		if (n == want && memcmp(value + pos, s, n) == 0)
			return true;
		pos += n + 1;
	}
	return false;
}
