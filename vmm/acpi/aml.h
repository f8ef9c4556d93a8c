/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny AML byte emitter (ACPI 6.x, chapter 20 "ACPI Machine Language
 * Specification" and 6.4 "Resource Data Types"): just what axvm's DSDT needs.
 *
 * Writes into a caller's buffer. Every call checks the remaining room; the
 * first failure (no room, or a bad argument) makes the emitter sticky-failed,
 * later calls do nothing, and aml_failed() tells. Integers are encoded the
 * shortest way (ZeroOp, OneOp, OnesOp, Byte/Word/DWord/QWordConst), as iasl
 * does, so that the output can be compared byte for byte with iasl's.
 */
#ifndef AXVM_AML_H
#define AXVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool failed;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
bool aml_failed(const struct aml *a);

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_u16(struct aml *a, uint16_t v); /* little endian, raw (not an AML integer) */
void aml_u32(struct aml *a, uint32_t v);

/* An AML Integer (ComputationalData) in its shortest encoding. */
void aml_integer(struct aml *a, uint64_t v);
/* A String: StringPrefix, the ASCII bytes (0x01..0x7f), NUL. */
void aml_string(struct aml *a, const char *s);
/* EisaId("PNP0501"): three capitals and four hex digits, as a compressed DWord integer. */
void aml_eisaid(struct aml *a, const char *id);

/*
 * A NameString: an optional leading '\' (RootChar) and one NameSeg of 1..4
 * characters ('A'-'Z', '_', and '0'-'9' after the first), padded with '_'.
 */
void aml_name(struct aml *a, const char *name);

/*
 * Packages with a PkgLength: aml_pkg_begin() returns where the contents
 * start; aml_pkg_end() inserts the PkgLength (1..4 bytes, shortest) in front
 * of them once their length is known.
 */
size_t aml_pkg_begin(const struct aml *a);
void aml_pkg_end(struct aml *a, size_t start);

/* Scope(name) { ... } and Device(name) { ... }: begin returns the token for end. */
size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
void aml_block_end(struct aml *a, size_t token);

/* Name(name, <object follows>): NameOp and the name; the caller emits the object. */
void aml_name_decl(struct aml *a, const char *name);

/*
 * Package(n){ ... }: PackageOp, PkgLength, NumElements = n; the caller emits
 * the n elements, then aml_block_end(token).
 */
size_t aml_package_begin(struct aml *a, uint8_t nr_elements);

/* Buffer(){ bytes }: BufferOp, PkgLength, BufferSize, bytes; begin returns the token for end. */
size_t aml_buffer_begin(struct aml *a);
void aml_buffer_end(struct aml *a, size_t token);

/* Resource descriptors for a ResourceTemplate (a Buffer ending with aml_res_end()). */
void aml_res_io16(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_irq_noflags(struct aml *a, uint16_t mask);
void aml_res_memory32_fixed(struct aml *a, bool writable, uint32_t base, uint32_t len);
/* Extended Interrupt descriptor, consumer, one interrupt, no resource source. */
void aml_res_interrupt(struct aml *a, bool edge, bool active_low, bool shared, uint32_t gsi);
/* End Tag, checksum 0 ("the checksum is treated as correct"), as iasl emits it. */
void aml_res_end(struct aml *a);

#endif
