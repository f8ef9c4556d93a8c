/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict TOML subset parser (see toml.h for what is accepted and why).
 *
 * Recursive descent over a byte cursor that always knows its line and
 * column. Every function that can fail returns false (or NULL) after
 * recording the first error; nothing is attached to the tree until it is
 * complete, so on failure each function frees only what it built itself.
 */
#include "config/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_OF_INPUT (-1)
#define SHOW_MAX     48 /* characters of a key or word quoted in a message */

struct parser {
	const unsigned char *s;
	size_t len;
	size_t i;	     /* cursor */
	struct toml_pos pos; /* of s[i] */
	size_t nodes;
	bool failed;
	struct toml_error *err;
	char shown[32]; /* describe()'s output */
};

/* Growable buffer for a decoded string. */
struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

/* --- errors ----------------------------------------------------------------- */

static bool vfail(struct parser *p, struct toml_pos pos, const char *fmt, va_list ap)
{
	if (!p->failed) { /* the first error is the one that explains the rest */
		p->failed = true;
		p->err->pos = pos;
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	}
	return false;
}

static bool fail_at(struct parser *p, struct toml_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool fail_at(struct parser *p, struct toml_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, pos, fmt, ap);
	va_end(ap);
	return false;
}

/* Fails at the cursor. */
static bool fail_here(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail_here(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, p->pos, fmt, ap);
	va_end(ap);
	return false;
}

/* --- the cursor --------------------------------------------------------------- */

static int peek(const struct parser *p)
{
	return p->i < p->len ? p->s[p->i] : END_OF_INPUT;
}

static int peek_at(const struct parser *p, size_t ahead)
{
	return ahead < p->len - p->i ? p->s[p->i + ahead] : END_OF_INPUT;
}

static bool is_continuation(const struct parser *p, size_t at)
{
	return at < p->len && (p->s[at] & 0xc0) == 0x80;
}

/* Steps over one byte. Columns count characters: the bytes of one UTF-8 sequence share one. */
static void advance(struct parser *p)
{
	unsigned char c = p->s[p->i++];

	if (c == '\n') {
		p->pos.line++;
		p->pos.col = 1;
	} else if (c < 0x80 || !is_continuation(p, p->i)) {
		p->pos.col++;
	}
}

static bool at_newline(const struct parser *p)
{
	int c = peek(p);

	return c == '\n' || (c == '\r' && peek_at(p, 1) == '\n');
}

static void skip_newline(struct parser *p)
{
	if (peek(p) == '\r')
		advance(p);
	advance(p);
}

/* What the cursor is on, for "found X" in messages. */
static const char *describe(struct parser *p)
{
	int c = peek(p);

	if (c == END_OF_INPUT)
		return "end of file";
	if (at_newline(p))
		return "end of line";
	if (c >= 0x20 && c < 0x7f)
		snprintf(p->shown, sizeof(p->shown), "'%c'", c);
	else
		snprintf(p->shown, sizeof(p->shown), "byte 0x%02x", (unsigned)c);
	return p->shown;
}

static struct toml_pos pos_plus(struct toml_pos pos, size_t cols)
{
	pos.col += (unsigned)cols;
	return pos;
}

/* --- tree ------------------------------------------------------------------- */

static struct toml_node *new_node(struct parser *p, enum toml_type type, struct toml_pos pos)
{
	struct toml_node *n;

	if (p->nodes >= TOML_MAX_NODES) {
		fail_at(p, pos, "too many values (a file may hold at most %d)", TOML_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		fail_at(p, pos, "out of memory");
		return NULL;
	}
	p->nodes++;
	n->type = type;
	n->pos = pos;
	return n;
}

static void append(struct toml_node *list, struct toml_node *n)
{
	if (list->list.last)
		list->list.last->next = n;
	else
		list->list.first = n;
	list->list.last = n;
	list->list.count++;
}

void toml_free(struct toml_node *n)
{
	if (!n)
		return;
	if (n->type == TOML_TABLE || n->type == TOML_ARRAY) {
		struct toml_node *c = n->list.first;

		while (c) {
			struct toml_node *next = c->next;

			toml_free(c); /* recursion is bounded by TOML_MAX_DEPTH */
			c = next;
		}
	} else if (n->type == TOML_STRING) {
		free(n->str);
	}
	free(n->key);
	free(n);
}

const struct toml_node *toml_get(const struct toml_node *table, const char *key)
{
	if (!table || table->type != TOML_TABLE)
		return NULL;
	for (const struct toml_node *c = table->list.first; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE:
		return "a table";
	case TOML_ARRAY:
		return "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_BOOLEAN:
		return "a boolean";
	}
	return "an unknown value";
}

/* --- text: UTF-8, comments, whitespace ----------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 (overlong, surrogate, past U+10FFFF, cut). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp, min;

	if (s[0] < 0xc0 || s[0] > 0xf4) /* ASCII, a stray continuation byte, or past U+10FFFF */
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (n > avail)
		return 0;
	min = n == 4 ? 0x10000 : n == 3 ? 0x800 : 0x80;
	cp = s[0] & (0x7fu >> n); /* the lead byte's payload bits */
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static size_t utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static bool sb_put(struct parser *p, struct strbuf *sb, const void *bytes, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 32;
		char *data;

		while (cap < sb->len + n + 1)
			cap *= 2;
		data = realloc(sb->data, cap);
		if (!data)
			fail_here(p, "out of memory");
		sb->data = data;
		sb->cap = cap;
	}
	if (n)
		memcpy(sb->data + sb->len, bytes, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
	return true;
}

/*
 * Takes one character of comment or string text (not a newline, not the end):
 * TOML forbids control characters other than tab there, and the text must be
 * UTF-8. Appends it to `sb` when there is one.
 */
static bool take_text_char(struct parser *p, struct strbuf *sb, const char *where)
{
	unsigned char c = p->s[p->i];
	size_t n = 1;

	if (c >= 0x80) {
		n = utf8_len(p->s + p->i, p->len - p->i);
		if (!n)
			return fail_here(p, "invalid UTF-8 (byte 0x%02x) in %s", c, where);
	} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
		return fail_here(p, "control character 0x%02x is not allowed in %s", c, where);
	}
	if (sb && !sb_put(p, sb, p->s + p->i, n))
		return false;
	while (n--)
		advance(p);
	return true;
}

static void skip_ws(struct parser *p)
{
	while (peek(p) == ' ' || peek(p) == '\t')
		advance(p);
}

/* A comment runs to the end of the line; the newline itself is left. */
static bool skip_comment(struct parser *p)
{
	if (peek(p) != '#')
		return true;
	advance(p);
	while (peek(p) != END_OF_INPUT && !at_newline(p))
		if (!take_text_char(p, NULL, "a comment"))
			return false;
	return true;
}

/* Whitespace, comments and newlines: what may separate array elements. */
static bool skip_blank(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		if (peek(p) == '#') {
			if (!skip_comment(p))
				return false;
		} else if (at_newline(p)) {
			skip_newline(p);
		} else {
			return true;
		}
	}
}

/* After a key/value pair or a table header only a comment may follow on the line. */
static bool end_of_line(struct parser *p, const char *after)
{
	skip_ws(p);
	if (!skip_comment(p))
		return false;
	if (peek(p) == END_OF_INPUT)
		return true;
	if (!at_newline(p))
		return fail_here(p, "expected end of line after %s, found %s", after, describe(p));
	skip_newline(p);
	return true;
}

/* --- strings ------------------------------------------------------------------ */

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX or \UXXXXXXXX (cursor on the letter), stored as UTF-8. */
static bool parse_unicode_escape(struct parser *p, struct strbuf *sb, struct toml_pos at)
{
	int letter = peek(p);
	unsigned digits = letter == 'u' ? 4 : 8;
	uint32_t cp = 0;
	unsigned char utf8[4];

	advance(p);
	for (unsigned k = 0; k < digits; k++) {
		int d = hex_value(peek(p));

		if (d < 0)
			return fail_here(p, "expected %u hex digits after '\\%c', found %s", digits,
					 letter, describe(p));
		cp = cp << 4 | (uint32_t)d;
		advance(p);
	}
	if (cp == 0)
		return fail_at(p, at, "the NUL character (\\%c0000) is not allowed in strings",
			       letter);
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail_at(p, at, "escape '\\%c' does not name a Unicode scalar value (U+%X)",
			       letter, (unsigned)cp);
	return sb_put(p, sb, utf8, utf8_encode(cp, utf8));
}

/* One escape sequence of a basic string (cursor on the backslash). */
static bool parse_escape(struct parser *p, struct strbuf *sb)
{
	static const char simple[][2] = { { 'b', '\b' }, { 't', '\t' }, { 'n', '\n' },
					  { 'f', '\f' }, { 'r', '\r' }, { '"', '"' },
					  { '\\', '\\' } };
	struct toml_pos at = p->pos;
	int c;

	advance(p);
	c = peek(p);
	if (c == 'u' || c == 'U')
		return parse_unicode_escape(p, sb, at);
	for (size_t k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
		if (c == simple[k][0]) {
			advance(p);
			return sb_put(p, sb, &simple[k][1], 1);
		}
	}
	if (c >= 0x21 && c < 0x7f)
		return fail_at(p, at,
			       "invalid escape '\\%c' (expected one of \\b \\t \\n \\f \\r "
			       "\\\" \\\\ \\uXXXX \\UXXXXXXXX)",
			       c);
	return fail_at(p, at, "invalid escape: '\\' followed by %s", describe(p));
}

/* A basic "..." or literal '...' string (cursor on the quote); *out is malloc'd. */
static bool parse_string(struct parser *p, char **out)
{
	int quote = peek(p);
	struct toml_pos open = p->pos;
	struct strbuf sb = { 0 };
	bool ok;

	if (peek_at(p, 1) == quote && peek_at(p, 2) == quote)
		return fail_here(p, "multi-line strings (%c%c%c) are not supported", quote, quote,
				 quote);
	advance(p);
	ok = sb_put(p, &sb, "", 0); /* so that "" yields an empty string, not NULL */
	while (ok && peek(p) != quote) {
		if (peek(p) == END_OF_INPUT || at_newline(p))
			ok = fail_here(
				p, "unterminated string (opened at %u:%u): expected %c before %s",
				open.line, open.col, quote, describe(p));
		else if (peek(p) == '\\' && quote == '"')
			ok = parse_escape(p, &sb);
		else
			ok = take_text_char(p, &sb, "a string");
	}
	if (!ok) {
		free(sb.data);
		return false;
	}
	advance(p); /* closing quote */
	*out = sb.data;
	return true;
}

/* --- keys and scalars ------------------------------------------------------------ */

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_bare_key_char(int c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

/*
 * Characters that can make up an unquoted value: integers, booleans, and the
 * floats and dates we reject, so that each is seen whole and named properly.
 */
static bool is_word_char(int c)
{
	return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static char *copy_bytes(struct parser *p, const unsigned char *s, size_t n)
{
	char *copy = malloc(n + 1);

	if (!copy) {
		fail_here(p, "out of memory");
		return NULL;
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

static bool parse_key(struct parser *p, char **key, struct toml_pos *pos)
{
	size_t start = p->i;

	*pos = p->pos;
	if (peek(p) == '"' || peek(p) == '\'')
		return parse_string(p, key);
	while (is_bare_key_char(peek(p)))
		advance(p);
	if (p->i == start)
		return fail_here(p, "expected a key, found %s", describe(p));
	*key = copy_bytes(p, p->s + start, p->i - start);
	return *key != NULL;
}

static bool word_is(const char *w, size_t n, const char *literal)
{
	return strlen(literal) == n && memcmp(w, literal, n) == 0;
}

static int digit_value(int c, unsigned radix)
{
	int d = hex_value(c);

	return d >= 0 && (unsigned)d < radix ? d : -1;
}

static const char *radix_name(unsigned radix)
{
	return radix == 16  ? "hexadecimal"
	       : radix == 8 ? "octal"
	       : radix == 2 ? "binary"
			    : "decimal";
}

/* Decimal words that are really floats or dates: named, not reported as a bad digit. */
static bool reject_float_or_date(struct parser *p, const char *w, size_t n, struct toml_pos pos)
{
	for (size_t k = 1; k < n; k++)
		if (w[k] == ':' || (w[k] == '-' && digit_value(w[k - 1], 10) >= 0))
			return fail_at(p, pos, "dates and times are not supported");
	for (size_t k = 0; k < n; k++)
		if (w[k] == '.' || w[k] == 'e' || w[k] == 'E')
			return fail_at(p, pos, "floats are not supported (found '%.*s')",
				       (int)(n < SHOW_MAX ? n : SHOW_MAX), w);
	return true;
}

/* The digits w[k..n) with '_' allowed only between two digits. */
static bool parse_digits(struct parser *p, const char *w, size_t n, size_t k, unsigned radix,
			 struct toml_pos pos, uint64_t *out)
{
	size_t first = k;
	uint64_t v = 0;

	if (k == n)
		return fail_at(p, pos, "expected digits after '%.*s'", (int)k, w);
	if (radix == 10 && w[k] == '0' && k + 1 < n &&
	    (digit_value(w[k + 1], 10) >= 0 || w[k + 1] == '_'))
		return fail_at(p, pos_plus(pos, k),
			       "leading zeros are not allowed in decimal integers");
	for (; k < n; k++) {
		int d = digit_value(w[k], radix);

		if (w[k] == '_') {
			if (k == first || k + 1 == n || digit_value(w[k + 1], radix) < 0)
				return fail_at(p, pos_plus(pos, k), "'_' must be between digits");
			continue;
		}
		if (d < 0)
			return fail_at(p, pos_plus(pos, k), "invalid character '%c' in %s integer",
				       w[k], radix_name(radix));
		if (v > (UINT64_MAX - (unsigned)d) / radix)
			return fail_at(p, pos, "integer '%.*s' does not fit in 64 bits",
				       (int)(n < SHOW_MAX ? n : SHOW_MAX), w);
		v = v * radix + (unsigned)d;
	}
	*out = v;
	return true;
}

static struct toml_node *parse_integer(struct parser *p, const char *w, size_t n,
				       struct toml_pos pos)
{
	size_t k = 0;
	bool negative = false;
	unsigned radix = 10;
	uint64_t magnitude = 0;
	struct toml_node *node;

	if (w[0] == '+' || w[0] == '-') {
		negative = w[0] == '-';
		k = 1;
	}
	if (word_is(w + k, n - k, "inf") || word_is(w + k, n - k, "nan")) {
		fail_at(p, pos, "floats are not supported (found '%.*s')", (int)n, w);
		return NULL;
	}
	if (n - k >= 2 && w[k] == '0' && (w[k + 1] == 'x' || w[k + 1] == 'o' || w[k + 1] == 'b')) {
		if (k) {
			fail_at(p, pos, "a sign is only allowed on decimal integers");
			return NULL;
		}
		radix = w[k + 1] == 'x' ? 16 : w[k + 1] == 'o' ? 8 : 2;
		k += 2;
	} else if (!reject_float_or_date(p, w, n, pos)) {
		return NULL;
	}
	if (!parse_digits(p, w, n, k, radix, pos, &magnitude))
		return NULL;
	if (negative && magnitude > (uint64_t)INT64_MAX + 1) {
		fail_at(p, pos, "integer '%.*s' does not fit in 64 bits",
			(int)(n < SHOW_MAX ? n : SHOW_MAX), w);
		return NULL;
	}
	node = new_node(p, TOML_INTEGER, pos);
	if (node) {
		node->integer.magnitude = magnitude;
		node->integer.negative = negative && magnitude != 0;
	}
	return node;
}

/* An unquoted value: boolean or integer (floats, dates and anything else are errors). */
static struct toml_node *parse_word(struct parser *p)
{
	struct toml_pos pos = p->pos;
	const char *w = (const char *)p->s + p->i;
	size_t n = 0;
	struct toml_node *node;

	while (is_word_char(peek(p))) {
		advance(p);
		n++;
	}
	if (n == 0) {
		fail_here(p, "expected a value (string, integer, boolean or array), found %s",
			  describe(p));
		return NULL;
	}
	if (word_is(w, n, "true") || word_is(w, n, "false")) {
		node = new_node(p, TOML_BOOLEAN, pos);
		if (node)
			node->boolean = w[0] == 't';
		return node;
	}
	if ((w[0] >= '0' && w[0] <= '9') || w[0] == '+' || w[0] == '-')
		return parse_integer(p, w, n, pos);
	if (word_is(w, n, "inf") || word_is(w, n, "nan")) {
		fail_at(p, pos, "floats are not supported (found '%.*s')", (int)n, w);
		return NULL;
	}
	fail_at(p, pos, "expected a value (string, integer, boolean or array), found '%.*s'",
		(int)(n < SHOW_MAX ? n : SHOW_MAX), w);
	return NULL;
}

/* --- values and arrays ------------------------------------------------------------ */

static struct toml_node *parse_value(struct parser *p, unsigned depth);

static struct toml_node *parse_string_value(struct parser *p)
{
	struct toml_pos pos = p->pos;
	char *s;
	struct toml_node *node;

	if (!parse_string(p, &s))
		return NULL;
	node = new_node(p, TOML_STRING, pos);
	if (!node) {
		free(s);
		return NULL;
	}
	node->str = s;
	return node;
}

/* Reports a bad separator; at the end of the file, says where the array began. */
static void fail_array_separator(struct parser *p, struct toml_pos open)
{
	if (peek(p) == END_OF_INPUT)
		fail_here(p,
			  "expected ']' or ',' after array element, found end of file (array "
			  "opened at %u:%u)",
			  open.line, open.col);
	else
		fail_here(p, "expected ']' or ',' after array element, found %s", describe(p));
}

static struct toml_node *parse_array(struct parser *p, unsigned depth)
{
	struct toml_pos open = p->pos;
	struct toml_node *array;

	if (depth >= TOML_MAX_DEPTH) {
		fail_here(p, "arrays nested deeper than %d levels", TOML_MAX_DEPTH);
		return NULL;
	}
	array = new_node(p, TOML_ARRAY, open);
	if (!array)
		return NULL;
	advance(p);
	for (;;) {
		struct toml_node *elem;

		if (!skip_blank(p))
			break;
		if (peek(p) == ']') { /* empty array, or a trailing comma */
			advance(p);
			return array;
		}
		if (peek(p) == END_OF_INPUT) {
			fail_here(p,
				  "expected a value or ']', found end of file (array opened at "
				  "%u:%u)",
				  open.line, open.col);
			break;
		}
		elem = parse_value(p, depth + 1);
		if (!elem)
			break;
		append(array, elem);
		if (!skip_blank(p))
			break;
		if (peek(p) == ']') {
			advance(p);
			return array;
		}
		if (peek(p) != ',') {
			fail_array_separator(p, open);
			break;
		}
		advance(p);
	}
	toml_free(array);
	return NULL;
}

/* `depth` counts the arrays around the value. */
static struct toml_node *parse_value(struct parser *p, unsigned depth)
{
	switch (peek(p)) {
	case '"':
	case '\'':
		return parse_string_value(p);
	case '[':
		return parse_array(p, depth);
	case '{':
		fail_here(p, "inline tables ({...}) are not supported");
		return NULL;
	default:
		return parse_word(p);
	}
}

/* --- document structure ------------------------------------------------------------ */

/* `[name]` (cursor on '['): a new table in the root, which becomes current. */
static bool parse_header(struct parser *p, struct toml_node *root, struct toml_node **current)
{
	struct toml_pos open = p->pos, name_pos;
	const struct toml_node *old;
	struct toml_node *table;
	char *name;

	advance(p);
	if (peek(p) == '[')
		return fail_at(p, open, "arrays of tables ([[...]]) are not supported");
	skip_ws(p);
	if (!parse_key(p, &name, &name_pos))
		return false;
	skip_ws(p);
	if (peek(p) != ']') {
		if (peek(p) == '.')
			fail_here(p, "dotted table names ([a.b]) are not supported");
		else
			fail_here(p, "expected ']' after table name, found %s", describe(p));
		free(name);
		return false;
	}
	advance(p);
	old = toml_get(root, name);
	if (old) {
		if (old->type == TOML_TABLE)
			fail_at(p, name_pos, "table [%.*s] is defined twice (first at %u:%u)",
				SHOW_MAX, name, old->key_pos.line, old->key_pos.col);
		else
			fail_at(p, name_pos, "table [%.*s] redefines the key set at %u:%u",
				SHOW_MAX, name, old->key_pos.line, old->key_pos.col);
		free(name);
		return false;
	}
	table = new_node(p, TOML_TABLE, open);
	if (!table) {
		free(name);
		return false;
	}
	table->key = name;
	table->key_pos = name_pos;
	append(root, table);
	*current = table;
	return end_of_line(p, "table header");
}

/* `key = value` (cursor on the key), added to `table`. */
static bool parse_keyval(struct parser *p, struct toml_node *table)
{
	struct toml_pos key_pos;
	const struct toml_node *old;
	struct toml_node *value;
	char *key;

	if (!parse_key(p, &key, &key_pos))
		return false;
	skip_ws(p);
	if (peek(p) != '=') {
		if (peek(p) == '.')
			fail_here(p, "dotted keys (a.b = ...) are not supported");
		else
			fail_here(p, "expected '=' after key '%.*s', found %s", SHOW_MAX, key,
				  describe(p));
		free(key);
		return false;
	}
	old = toml_get(table, key);
	if (old) {
		fail_at(p, key_pos, "duplicate key '%.*s' (first set at %u:%u)", SHOW_MAX, key,
			old->key_pos.line, old->key_pos.col);
		free(key);
		return false;
	}
	advance(p);
	skip_ws(p);
	value = parse_value(p, 0);
	if (!value) {
		free(key);
		return false;
	}
	value->key = key;
	value->key_pos = key_pos;
	append(table, value);
	return end_of_line(p, "value");
}

struct toml_node *toml_parse(const char *text, size_t len, struct toml_error *err)
{
	struct parser p = {
		.s = (const unsigned char *)text, .len = text ? len : 0, .pos = { 1, 1 }, .err = err
	};
	struct toml_node *root, *table;
	bool ok = true;

	memset(err, 0, sizeof(*err));
	root = new_node(&p, TOML_TABLE, p.pos);
	if (!root)
		return NULL;
	table = root;
	while (ok) {
		skip_ws(&p);
		if (peek(&p) == END_OF_INPUT)
			break;
		if (at_newline(&p))
			skip_newline(&p);
		else if (peek(&p) == '#')
			ok = skip_comment(&p);
		else if (peek(&p) == '[')
			ok = parse_header(&p, root, &table);
		else
			ok = parse_keyval(&p, table);
	}
	if (!ok) {
		toml_free(root);
		return NULL;
	}
	return root;
}
