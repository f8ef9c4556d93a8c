/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A flattened device tree reader (Devicetree Specification v0.4, chapter 5):
 * header checks and a walk of the structure block that hands every
 * property, with its node's path, to a visitor. Big-endian throughout.
 */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include <stdbool.h>
#include <stdint.h>

#define FDT_MAGIC	      0xd00dfeedu
#define FDT_LAST_COMP_VERSION 16u

/* Header fields (byte offsets). */
#define FDT_HDR_MAGIC		  0x00
#define FDT_HDR_TOTALSIZE	  0x04
#define FDT_HDR_OFF_DT_STRUCT	  0x08
#define FDT_HDR_OFF_DT_STRINGS	  0x0c
#define FDT_HDR_OFF_MEM_RSVMAP	  0x10
#define FDT_HDR_VERSION		  0x14
#define FDT_HDR_LAST_COMP_VERSION 0x18
#define FDT_HDR_SIZE_DT_STRINGS	  0x20
#define FDT_HDR_SIZE_DT_STRUCT	  0x24

/* Structure block tokens. */
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u

#define FDT_MAX_DEPTH 8u
#define FDT_PATH_MAX  128u

struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	uint32_t off_struct, size_struct;
	uint32_t off_strings, size_strings;
};

/* depth: 1 for the root's children. value is not aligned: read it bytewise. */
typedef void (*fdt_visitor)(void *ctx, unsigned depth, const char *path, const char *prop,
			    const uint8_t *value, uint32_t len);

uint32_t fdt_be32(const uint8_t *p);

/* Checks the header (magic, version, block bounds); false with why. */
bool fdt_open(struct fdt *f, uintptr_t addr, char *why, unsigned why_len);

/* Walks the structure block; false with why on a malformed one. */
bool fdt_walk(const struct fdt *f, fdt_visitor visit, void *ctx, char *why, unsigned why_len);

/* Does the string list (value, len) contain `s`? */
bool fdt_stringlist_contains(const uint8_t *value, uint32_t len, const char *s);

#endif
