/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict parser for the subset of TOML 1.0 that axvmconfig files use.
 *
 * Supported: comments; bare and quoted keys; `key = value`; `[table]`
 * headers (one level: the document is a table of tables and values); basic
 * strings with the TOML escapes (\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX,
 * the last two encoded as UTF-8) and literal strings; decimal, hex (0x),
 * octal (0o) and binary (0b) integers with '_' between digits; booleans;
 * arrays (nested, multi-line, mixed types, trailing comma, comments).
 *
 * Deliberately rejected, each with its own message: floats, dates and
 * times, inline tables, arrays of tables, dotted keys and table names,
 * multi-line strings, and the NUL character (strings are C strings).
 * Integers are kept as a 64-bit magnitude plus a sign, so unsigned values
 * up to 0xffff_ffff_ffff_ffff are accepted (TOML proper stops at 2^63-1).
 * Raw non-ASCII text is allowed in strings and comments when it is valid
 * UTF-8. Columns count characters, not bytes.
 *
 * Duplicate keys and tables are errors. Every error names the line and
 * column (1-based) of the offending character. Depth and node count are
 * capped so that a hostile file can exhaust neither the stack nor memory.
 */
#ifndef AXVM_TOML_H
#define AXVM_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_DEPTH 32    /* array nesting; also bounds the parser's recursion */
#define TOML_MAX_NODES 16384 /* values, arrays and tables in one document */
#define TOML_ERR_MAX   256

enum toml_type {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_BOOLEAN,
};

struct toml_pos {
	unsigned line;
	unsigned col;
};

struct toml_node {
	enum toml_type type;
	struct toml_pos pos;	 /* first character of the value; '[' of a table header */
	char *key;		 /* member of a table: its key; NULL for array elements */
	struct toml_pos key_pos; /* first character of the key */
	struct toml_node *next;	 /* next member of the same table or array */
	union {
		struct {
			struct toml_node *first, *last;
			size_t count;
		} list;	   /* TOML_TABLE, TOML_ARRAY: members in file order */
		char *str; /* TOML_STRING: decoded, NUL-terminated */
		struct {
			uint64_t magnitude;
			bool negative; /* never set for zero */
		} integer;	       /* TOML_INTEGER */
		bool boolean;	       /* TOML_BOOLEAN */
	};
};

struct toml_error {
	struct toml_pos pos;
	char msg[TOML_ERR_MAX];
};

/*
 * Parses `len` bytes (no NUL terminator needed; NUL bytes are errors).
 * Returns the root table, or NULL with `err` filled in.
 */
struct toml_node *toml_parse(const char *text, size_t len, struct toml_error *err);

/* Frees a tree returned by toml_parse (NULL is fine). */
void toml_free(struct toml_node *root);

/* The member of `table` called `key`, or NULL. */
const struct toml_node *toml_get(const struct toml_node *table, const char *key);

/* "a string", "an integer", ...: for "expected X, found Y" messages. */
const char *toml_type_name(enum toml_type type);

#endif
