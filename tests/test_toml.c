/* SPDX-License-Identifier: Apache-2.0 */
/* axvm's TOML subset parser: every syntax feature, every error with its exact position. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"

/* --- helpers ------------------------------------------------------------------- */

static struct toml_node *parse_len(const char *text, size_t len)
{
	struct toml_error err;
	struct toml_node *root = toml_parse(text, len, &err);

	if (!root)
		fail_msg("unexpected error at %u:%u: %s", err.pos.line, err.pos.col, err.msg);
	assert_int_equal(root->type, TOML_TABLE);
	return root;
}

static struct toml_node *parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void expect_error_len(const char *text, size_t len, unsigned line, unsigned col,
			     const char *msg)
{
	struct toml_error err;
	struct toml_node *root = toml_parse(text, len, &err);

	if (root) {
		toml_free(root);
		fail_msg("\"%s\" parsed, expected %u:%u: %s", text, line, col, msg);
	}
	if (err.pos.line != line || err.pos.col != col || strcmp(err.msg, msg) != 0)
		fail_msg("\"%s\":\n  got      %u:%u: %s\n  expected %u:%u: %s", text, err.pos.line,
			 err.pos.col, err.msg, line, col, msg);
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *msg)
{
	expect_error_len(text, strlen(text), line, col, msg);
}

static const struct toml_node *get(const struct toml_node *table, const char *key,
				   enum toml_type type)
{
	const struct toml_node *v = toml_get(table, key);

	if (!v)
		fail_msg("no key '%s'", key);
	assert_int_equal(v->type, type);
	return v;
}

static void assert_uint(const struct toml_node *v, uint64_t value)
{
	assert_int_equal(v->type, TOML_INTEGER);
	assert_false(v->integer.negative);
	assert_true(v->integer.magnitude == value);
}

static void assert_pos(struct toml_pos pos, unsigned line, unsigned col)
{
	if (pos.line != line || pos.col != col)
		fail_msg("position %u:%u, expected %u:%u", pos.line, pos.col, line, col);
}

/* The value of `v = <text>` as the only key of a document. */
static const struct toml_node *value_of(struct toml_node **root, const char *text)
{
	char doc[512];

	snprintf(doc, sizeof(doc), "v = %s\n", text);
	*root = parse(doc);
	return toml_get(*root, "v");
}

static uint64_t int_value(const char *text, bool *negative)
{
	struct toml_node *root;
	const struct toml_node *v = value_of(&root, text);
	uint64_t magnitude;

	assert_int_equal(v->type, TOML_INTEGER);
	magnitude = v->integer.magnitude;
	*negative = v->integer.negative;
	toml_free(root);
	return magnitude;
}

static void expect_uint(const char *text, uint64_t value)
{
	bool negative;

	assert_true(int_value(text, &negative) == value);
	assert_false(negative);
}

static void expect_negative(const char *text, uint64_t magnitude)
{
	bool negative;

	assert_true(int_value(text, &negative) == magnitude);
	assert_true(negative);
}

/* The decoded string of `v = <text>`, compared with `expected`. */
static void expect_str(const char *text, const char *expected)
{
	struct toml_node *root;
	const struct toml_node *v = value_of(&root, text);

	assert_int_equal(v->type, TOML_STRING);
	assert_string_equal(v->str, expected);
	toml_free(root);
}

/* An error in the value of `v = <text>` (the value starts at column 5). */
static void expect_value_error(const char *text, unsigned col, const char *msg)
{
	char doc[512];

	snprintf(doc, sizeof(doc), "v = %s\n", text);
	expect_error(doc, 1, col, msg);
}

/* --- documents, comments, keys, tables ---------------------------------------------- */

static void test_empty_and_comment_only(void **state)
{
	struct toml_node *root;

	(void)state;
	root = parse("");
	assert_int_equal(root->list.count, 0);
	toml_free(root);
	root = parse_len(NULL, 0);
	toml_free(root);
	root = parse("# only a comment");
	assert_int_equal(root->list.count, 0);
	toml_free(root);
	root = parse("\n\n  \t\n# c1\r\n   # c2 with \xc3\xa9 and \ttab\n");
	assert_int_equal(root->list.count, 0);
	toml_free(root);
	toml_free(NULL);
}

static void test_keys(void **state)
{
	struct toml_node *root;
	const struct toml_node *v;

	(void)state;
	root = parse("bare_key-1 = 1\n1234 = 2\n\"quoted key\" = 3\n'lit\\key' = 4\n\"\" = 5\n"
		     "\"a\\u00e9\" = 6\n  indented\t=\t7   # trailing comment\n");
	assert_int_equal(root->list.count, 7);
	assert_uint(get(root, "bare_key-1", TOML_INTEGER), 1);
	assert_uint(get(root, "1234", TOML_INTEGER), 2);
	assert_uint(get(root, "quoted key", TOML_INTEGER), 3);
	assert_uint(get(root, "lit\\key", TOML_INTEGER), 4);
	assert_uint(get(root, "", TOML_INTEGER), 5);
	assert_uint(get(root, "a\xc3\xa9", TOML_INTEGER), 6);
	v = get(root, "indented", TOML_INTEGER);
	assert_pos(v->key_pos, 7, 3);
	assert_pos(v->pos, 7, 14); /* a tab is one column */
	assert_null(toml_get(root, "missing"));
	assert_null(toml_get(v, "indented")); /* not a table */
	toml_free(root);
}

static void test_tables(void **state)
{
	struct toml_node *root;
	const struct toml_node *t, *v;

	(void)state;
	root = parse("top = true\n[base]\nid = 1\n\n  [ \"kernel\" ]  # c\npath = 'x'\n[empty]\n");
	assert_int_equal(root->list.count, 4);
	assert_true(get(root, "top", TOML_BOOLEAN)->boolean);
	t = get(root, "base", TOML_TABLE);
	assert_pos(t->pos, 2, 1);
	assert_pos(t->key_pos, 2, 2);
	assert_uint(get(t, "id", TOML_INTEGER), 1);
	t = get(root, "kernel", TOML_TABLE);
	assert_pos(t->pos, 5, 3);
	assert_pos(t->key_pos, 5, 5);
	v = get(t, "path", TOML_STRING);
	assert_string_equal(v->str, "x");
	assert_null(toml_get(t, "id"));
	assert_int_equal(get(root, "empty", TOML_TABLE)->list.count, 0);
	/* members keep file order */
	assert_string_equal(root->list.first->key, "top");
	assert_string_equal(root->list.last->key, "empty");
	toml_free(root);
}

static void test_line_endings(void **state)
{
	struct toml_node *root;

	(void)state;
	root = parse("a = 1\r\nb = [\r\n 2,\r\n]\r\n[t]\r\nc = 'x'");
	assert_uint(get(root, "a", TOML_INTEGER), 1);
	assert_pos(get(root, "b", TOML_ARRAY)->list.first->pos, 3, 2);
	assert_string_equal(get(get(root, "t", TOML_TABLE), "c", TOML_STRING)->str, "x");
	toml_free(root);
	/* no newline at the end, after a value, a header and a comment */
	toml_free(parse("a = 1"));
	toml_free(parse("[t]"));
	toml_free(parse("a = 1 # c"));
	toml_free(parse("a = [1, [2]]"));
}

/* --- strings ------------------------------------------------------------------------- */

static void test_basic_strings(void **state)
{
	(void)state;
	expect_str("\"\"", "");
	expect_str("\"plain text\"", "plain text");
	expect_str("\"tab\there\"", "tab\there");
	expect_str("\"\\b\\t\\n\\f\\r\\\"\\\\\"", "\b\t\n\f\r\"\\");
	expect_str("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
	expect_str("\"\\U0001F600\\U0010ffff\"", "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	expect_str("\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		   "raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_str("\"# not a comment\"", "# not a comment");
	expect_str("\"it's\"", "it's");
}

static void test_literal_strings(void **state)
{
	(void)state;
	expect_str("''", "");
	expect_str("'C:\\path\\n'", "C:\\path\\n");
	expect_str("'say \"hi\"'", "say \"hi\"");
	expect_str("'tab\tand \xc3\xa9'", "tab\tand \xc3\xa9");
}

static void test_string_errors(void **state)
{
	(void)state;
	expect_value_error("\"abc", 9,
			   "unterminated string (opened at 1:5): expected \" before end of line");
	expect_error("v = \"abc", 1, 9,
		     "unterminated string (opened at 1:5): expected \" before end of file");
	expect_error("v = 'abc\nw = 1", 1, 9,
		     "unterminated string (opened at 1:5): expected ' before end of line");
	expect_value_error("\"a\\qb\"", 7,
			   "invalid escape '\\q' (expected one of \\b \\t \\n \\f \\r \\\" \\\\ "
			   "\\uXXXX \\UXXXXXXXX)");
	expect_value_error("\"a\\ b\"", 7, "invalid escape: '\\' followed by ' '");
	expect_value_error("\"a\\", 7, "invalid escape: '\\' followed by end of line");
	expect_error("v = \"a\\", 1, 7, "invalid escape: '\\' followed by end of file");
	expect_value_error("\"\\u12g4\"", 10, "expected 4 hex digits after '\\u', found 'g'");
	expect_value_error("\"\\U1234\"", 12, "expected 8 hex digits after '\\U', found '\"'");
	expect_value_error("\"\\u0000\"", 6,
			   "the NUL character (\\u0000) is not allowed in strings");
	expect_value_error("\"\\U00000000\"", 6,
			   "the NUL character (\\U0000) is not allowed in strings");
	expect_value_error("\"\\ud800\"", 6,
			   "escape '\\u' does not name a Unicode scalar value (U+D800)");
	expect_value_error("\"\\U00110000\"", 6,
			   "escape '\\U' does not name a Unicode scalar value (U+110000)");
	expect_value_error("\"\"\"multi\"\"\"", 5, "multi-line strings (\"\"\") are not supported");
	expect_value_error("'''multi'''", 5, "multi-line strings (''') are not supported");
	expect_value_error("\"a\x01\"", 7, "control character 0x01 is not allowed in a string");
	expect_value_error("'a\x7f'", 7, "control character 0x7f is not allowed in a string");
	expect_value_error("\"a\rb\"", 7, "control character 0x0d is not allowed in a string");
	expect_value_error("\"a\xc3\"", 7, "invalid UTF-8 (byte 0xc3) in a string");
	expect_value_error("\"a\xc0\xaf\"", 7, "invalid UTF-8 (byte 0xc0) in a string");
	expect_value_error("\"a\xed\xa0\x80\"", 7, "invalid UTF-8 (byte 0xed) in a string");
	expect_value_error("\"a\xf4\x90\x80\x80\"", 7, "invalid UTF-8 (byte 0xf4) in a string");
	expect_value_error("\"a\x80\"", 7, "invalid UTF-8 (byte 0x80) in a string");
	expect_value_error("\"a\xe0\x80\x80\"", 7, "invalid UTF-8 (byte 0xe0) in a string");
	expect_value_error("\"a\xf8\x88\x80\x80\"", 7, "invalid UTF-8 (byte 0xf8) in a string");
	expect_value_error("\"a\xf5\x80\x80\x80\"", 7, "invalid UTF-8 (byte 0xf5) in a string");
	/* a UTF-8 sequence cut by the end of the input */
	expect_error("v = 'a\xe2\x82", 1, 7, "invalid UTF-8 (byte 0xe2) in a string");
	/* a NUL byte in the middle of a string */
	expect_error_len("v = 'a\0b'\n", 10, 1, 7,
			 "control character 0x00 is not allowed in a string");
}

/* --- integers, booleans, unsupported scalars -------------------------------------------- */

static void test_integers(void **state)
{
	(void)state;
	expect_uint("0", 0);
	expect_uint("+0", 0);
	expect_uint("-0", 0); /* zero is never negative */
	expect_uint("42", 42);
	expect_uint("+17", 17);
	expect_uint("1_000_000", 1000000);
	expect_uint("0x0800_0000", 0x08000000);
	expect_uint("0xDEADbeef", 0xdeadbeef);
	expect_uint("0x00ff", 0xff);
	expect_uint("0o755", 0755);
	expect_uint("0b1010_0101", 0xa5);
	expect_uint("18446744073709551615", UINT64_MAX);
	expect_uint("0xffff_ffff_ffff_ffff", UINT64_MAX);
	expect_uint("0o1777777777777777777777", UINT64_MAX);
	expect_negative("-1", 1);
	expect_negative("-9_223_372_036_854_775_808", (uint64_t)INT64_MAX + 1);
}

static void test_booleans(void **state)
{
	struct toml_node *root = parse("t = true\nf = false\n");

	(void)state;
	assert_true(get(root, "t", TOML_BOOLEAN)->boolean);
	assert_false(get(root, "f", TOML_BOOLEAN)->boolean);
	toml_free(root);
}

static void test_integer_errors(void **state)
{
	(void)state;
	expect_value_error("007", 5, "leading zeros are not allowed in decimal integers");
	expect_value_error("-0_1", 6, "leading zeros are not allowed in decimal integers");
	expect_value_error("_1", 5,
			   "expected a value (string, integer, boolean or array), found '_1'");
	expect_value_error("1_", 6, "'_' must be between digits");
	expect_value_error("1__2", 6, "'_' must be between digits");
	expect_value_error("0x_10", 7, "'_' must be between digits");
	expect_value_error("0x10_", 9, "'_' must be between digits");
	expect_value_error("-0x10", 5, "a sign is only allowed on decimal integers");
	expect_value_error("+0b1", 5, "a sign is only allowed on decimal integers");
	expect_value_error("0x", 5, "expected digits after '0x'");
	expect_value_error("+", 5, "expected digits after '+'");
	expect_value_error("0xg1", 7, "invalid character 'g' in hexadecimal integer");
	expect_value_error("0o78", 8, "invalid character '8' in octal integer");
	expect_value_error("0b102", 9, "invalid character '2' in binary integer");
	expect_value_error("12a", 7, "invalid character 'a' in decimal integer");
	expect_value_error("0X10", 6, "invalid character 'X' in decimal integer");
	expect_value_error("+-1", 6, "invalid character '-' in decimal integer");
	expect_value_error("18446744073709551616", 5,
			   "integer '18446744073709551616' does not fit in 64 bits");
	expect_value_error("0x1_0000_0000_0000_0000", 5,
			   "integer '0x1_0000_0000_0000_0000' does not fit in 64 bits");
	expect_value_error("-9223372036854775809", 5,
			   "integer '-9223372036854775809' does not fit in 64 bits");
	expect_value_error("99999999999999999999999999999999999999999999999999999999999", 5,
			   "integer '999999999999999999999999999999999999999999999999' does not "
			   "fit in 64 bits");
}

static void test_unsupported_scalars(void **state)
{
	(void)state;
	expect_value_error("1.5", 5, "floats are not supported (found '1.5')");
	expect_value_error("-2e10", 5, "floats are not supported (found '-2e10')");
	expect_value_error("6.626e-34", 5, "floats are not supported (found '6.626e-34')");
	expect_value_error("inf", 5, "floats are not supported (found 'inf')");
	expect_value_error("-nan", 5, "floats are not supported (found '-nan')");
	expect_value_error("+inf", 5, "floats are not supported (found '+inf')");
	expect_value_error("1979-05-27", 5, "dates and times are not supported");
	expect_value_error("1979-05-27T07:32:00Z", 5, "dates and times are not supported");
	expect_value_error("07:32:00", 5, "dates and times are not supported");
	expect_value_error("{ a = 1 }", 5, "inline tables ({...}) are not supported");
	expect_value_error("yes", 5,
			   "expected a value (string, integer, boolean or array), found 'yes'");
	expect_value_error("trueish", 5,
			   "expected a value (string, integer, boolean or array), found 'trueish'");
	expect_value_error("True", 5,
			   "expected a value (string, integer, boolean or array), found 'True'");
	expect_value_error("@", 5,
			   "expected a value (string, integer, boolean or array), found '@'");
	expect_value_error("", 5,
			   "expected a value (string, integer, boolean or array), found end of "
			   "line");
	expect_error("v =", 1, 4,
		     "expected a value (string, integer, boolean or array), found end of file");
	expect_error("v = # comment", 1, 5,
		     "expected a value (string, integer, boolean or array), found '#'");
}

/* --- arrays --------------------------------------------------------------------------- */

static void test_arrays(void **state)
{
	struct toml_node *root;
	const struct toml_node *a, *e;

	(void)state;
	root = parse("empty = []\nblank = [ \n # only a comment\n ]\n"
		     "mixed = [1, 'two', true, [3, [4]], \"five\",]\n"
		     "multi = [\n  # first\n  [\"uart\", 0x3f8], # trailing\n\n  [\"blk\", 2]\n  "
		     ",\n]\n");
	assert_int_equal(get(root, "empty", TOML_ARRAY)->list.count, 0);
	assert_int_equal(get(root, "blank", TOML_ARRAY)->list.count, 0);
	a = get(root, "mixed", TOML_ARRAY);
	assert_int_equal(a->list.count, 5);
	assert_pos(a->pos, 5, 9);
	e = a->list.first;
	assert_uint(e, 1);
	assert_null(e->key);
	e = e->next;
	assert_string_equal(e->str, "two");
	assert_pos(e->pos, 5, 13);
	e = e->next;
	assert_true(e->boolean);
	e = e->next;
	assert_int_equal(e->type, TOML_ARRAY);
	assert_int_equal(e->list.count, 2);
	assert_int_equal(e->list.last->type, TOML_ARRAY);
	assert_uint(e->list.last->list.first, 4);
	assert_string_equal(a->list.last->str, "five");
	a = get(root, "multi", TOML_ARRAY);
	assert_int_equal(a->list.count, 2);
	assert_pos(a->list.first->pos, 8, 3);
	assert_pos(a->list.first->list.last->pos, 8, 12);
	assert_pos(a->list.last->pos, 10, 3);
	toml_free(root);
}

static void test_array_errors(void **state)
{
	(void)state;
	expect_value_error("[1 2]", 8, "expected ']' or ',' after array element, found '2'");
	expect_value_error("[1;]", 7, "expected ']' or ',' after array element, found ';'");
	expect_value_error("[,]", 6,
			   "expected a value (string, integer, boolean or array), found ','");
	expect_value_error("[1,,2]", 8,
			   "expected a value (string, integer, boolean or array), found ','");
	expect_error("v = [1, 2", 1, 10,
		     "expected ']' or ',' after array element, found end of file (array opened "
		     "at 1:5)");
	expect_error("v = [\n  1,\n", 3, 1,
		     "expected a value or ']', found end of file (array opened at 1:5)");
	expect_error("v = [[1], [2]\nw = 1\n", 2, 1,
		     "expected ']' or ',' after array element, found 'w'");
	expect_value_error("[1, # c\x01]", 12,
			   "control character 0x01 is not allowed in a comment");
	expect_value_error("[1] 2", 9, "expected end of line after value, found '2'");
}

static void test_nesting_limit(void **state)
{
	char doc[2 * TOML_MAX_DEPTH + 16];
	struct toml_node *root;
	const struct toml_node *v;
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(doc, "v = ");
	for (int k = 0; k < TOML_MAX_DEPTH; k++)
		doc[n++] = '[';
	for (int k = 0; k < TOML_MAX_DEPTH; k++)
		doc[n++] = ']';
	doc[n] = '\0';
	root = parse(doc);
	v = toml_get(root, "v");
	for (int k = 1; k < TOML_MAX_DEPTH; k++)
		v = v->list.first;
	assert_int_equal(v->type, TOML_ARRAY);
	assert_int_equal(v->list.count, 0);
	toml_free(root);

	n = (size_t)sprintf(doc, "v = ");
	for (int k = 0; k <= TOML_MAX_DEPTH; k++)
		doc[n++] = '[';
	doc[n] = '\0';
	expect_error(doc, 1, 5 + TOML_MAX_DEPTH, "arrays nested deeper than 32 levels");
}

static void test_node_limit(void **state)
{
	/* the root and the array take two nodes; the next-to-last element is one too many */
	size_t elems = TOML_MAX_NODES - 1, len = 0;
	char *doc = malloc(8 + 2 * elems);
	char msg[64];

	(void)state;
	assert_non_null(doc);
	len += (size_t)sprintf(doc, "v=[");
	for (size_t k = 0; k < elems; k++)
		len += (size_t)sprintf(doc + len, "0,");
	doc[len++] = ']';
	snprintf(msg, sizeof(msg), "too many values (a file may hold at most %d)", TOML_MAX_NODES);
	expect_error_len(doc, len, 1, (unsigned)(4 + 2 * (TOML_MAX_NODES - 2)), msg);
	/* one element fewer fits exactly */
	len = 3 + 2 * (elems - 1);
	doc[len - 1] = ']';
	toml_free(parse_len(doc, len));
	free(doc);
}

/* --- structure errors ----------------------------------------------------------------- */

static void test_key_errors(void **state)
{
	(void)state;
	expect_error("= 1", 1, 1, "expected a key, found '='");
	expect_error("a 1", 1, 3, "expected '=' after key 'a', found '1'");
	expect_error("a\n= 1", 1, 2, "expected '=' after key 'a', found end of line");
	expect_error("a", 1, 2, "expected '=' after key 'a', found end of file");
	expect_error("a.b = 1", 1, 2, "dotted keys (a.b = ...) are not supported");
	expect_error("a = 1\nb = 2\na = 3", 3, 1, "duplicate key 'a' (first set at 1:1)");
	expect_error("\"a\" = 1\n'a' = 2", 2, 1, "duplicate key 'a' (first set at 1:1)");
	expect_error("[t]\nx = 1\n  x = 2", 3, 3, "duplicate key 'x' (first set at 2:1)");
	expect_error("a = 1 b = 2", 1, 7, "expected end of line after value, found 'b'");
	expect_error("\"unterminated = 1", 1, 18,
		     "unterminated string (opened at 1:1): expected \" before end of file");
	expect_error("\xef\xbb\xbf"
		     "a = 1",
		     1, 1, "expected a key, found byte 0xef");
}

static void test_table_errors(void **state)
{
	(void)state;
	expect_error("[a]\n[b]\n[a]", 3, 2, "table [a] is defined twice (first at 1:2)");
	expect_error("a = 1\n[a]", 2, 2, "table [a] redefines the key set at 1:1");
	expect_error("[a.b]", 1, 3, "dotted table names ([a.b]) are not supported");
	expect_error("[[a]]", 1, 1, "arrays of tables ([[...]]) are not supported");
	expect_error("[a", 1, 3, "expected ']' after table name, found end of file");
	expect_error("[a b]", 1, 4, "expected ']' after table name, found 'b'");
	expect_error("[]", 1, 2, "expected a key, found ']'");
	expect_error("[a] x", 1, 5, "expected end of line after table header, found 'x'");
	expect_error("['a\nb']", 1, 4,
		     "unterminated string (opened at 1:2): expected ' before end of line");
}

static void test_comment_errors(void **state)
{
	(void)state;
	expect_error("# ok\n# bad \x02 byte", 2, 7,
		     "control character 0x02 is not allowed in a comment");
	expect_error("a = 1 # lone \r cr", 1, 14,
		     "control character 0x0d is not allowed in a comment");
	expect_error("# \xff", 1, 3, "invalid UTF-8 (byte 0xff) in a comment");
	expect_error_len("# nul \0 here", 12, 1, 7,
			 "control character 0x00 is not allowed in a comment");
}

static void test_columns_count_characters(void **state)
{
	(void)state;
	/* 'é' and '€' are one column each although they take 2 and 3 bytes */
	expect_error("v = '\xc3\xa9\xe2\x82\xac' x", 1, 10,
		     "expected end of line after value, found 'x'");
	expect_error("# \xf0\x9f\x98\x80\n\tv = 1 2", 2, 8,
		     "expected end of line after value, found '2'");
}

static void test_nul_and_garbage_bytes(void **state)
{
	static const char nul_after_value[] = "a = 1\0b = 2\n";
	static const char nul_key[] = "\0";

	(void)state;
	expect_error_len(nul_after_value, sizeof(nul_after_value) - 1, 1, 6,
			 "expected end of line after value, found byte 0x00");
	expect_error_len(nul_key, 1, 1, 1, "expected a key, found byte 0x00");
	expect_error("a = 1\n\x80", 2, 1, "expected a key, found byte 0x80");
	expect_error("a = \x01", 1, 5,
		     "expected a value (string, integer, boolean or array), found byte 0x01");
}

/*
 * Every prefix of a document that uses every feature, and pseudo-random
 * mutations of it: the parser must either succeed or report a position
 * inside the input, and never read past it (ASan checks the heap copies).
 */
static const char full_doc[] =
	"# axvm config\n[base]\nid = 0x0_1\nname = \"a\\u00e9\\n\"\ncpu_num = +2\n"
	"[\"kernel\"]\npath = 'lit\\'\nregions = [[0x0, 0x1000_0000, 0b111, 0o0],\n"
	"  # comment \xe2\x82\xac\n  [1, 2, 3, 4],]\n[devices]\nflag = false\n"
	"emu = [ [\"uart\", 1_016, 8, 4, \"console\", []], ]\r\n";

static void check_robust(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct toml_error err;
	struct toml_node *root;

	assert_non_null(copy);
	memcpy(copy, text, len);
	root = toml_parse(copy, len, &err);
	if (root) {
		toml_free(root);
	} else {
		unsigned lines = 1;

		for (size_t k = 0; k < len; k++)
			lines += copy[k] == '\n';
		assert_true(err.pos.line >= 1 && err.pos.line <= lines);
		assert_true(err.pos.col >= 1 && err.pos.col <= len + 1);
		assert_true(err.msg[0] != '\0');
	}
	free(copy);
}

static void test_truncations(void **state)
{
	(void)state;
	toml_free(parse_len(full_doc, sizeof(full_doc) - 1));
	for (size_t len = 0; len < sizeof(full_doc); len++)
		check_robust(full_doc, len);
}

static void test_mutations(void **state)
{
	static const char bytes[] = "[]\"'\\#=,.\n\r\t 0x_-+ue\x80\xff\x00";
	char doc[sizeof(full_doc)];
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		memcpy(doc, full_doc, sizeof(doc));
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % (sizeof(doc) - 1);

			seed = seed * 1103515245u + 12345u;
			doc[at] = bytes[(seed >> 8) % (sizeof(bytes) - 1)];
		}
		check_robust(doc, sizeof(doc) - 1);
	}
	for (int round = 0; round < 2000; round++) {
		char noise[64];

		for (size_t k = 0; k < sizeof(noise); k++) {
			seed = seed * 1103515245u + 12345u;
			noise[k] = (char)(seed >> 16);
		}
		check_robust(noise, sizeof(noise));
	}
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(toml_type_name(TOML_TABLE), "a table");
	assert_string_equal(toml_type_name(TOML_ARRAY), "an array");
	assert_string_equal(toml_type_name(TOML_STRING), "a string");
	assert_string_equal(toml_type_name(TOML_INTEGER), "an integer");
	assert_string_equal(toml_type_name(TOML_BOOLEAN), "a boolean");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_comment_only),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_basic_strings),
		cmocka_unit_test(test_literal_strings),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_integer_errors),
		cmocka_unit_test(test_unsupported_scalars),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_array_errors),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_comment_errors),
		cmocka_unit_test(test_columns_count_characters),
		cmocka_unit_test(test_nul_and_garbage_bytes),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
