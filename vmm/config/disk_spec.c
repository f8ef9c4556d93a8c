/* SPDX-License-Identifier: Apache-2.0 */
#include "config/disk_spec.h"

#include <stdio.h>
#include <string.h>

#define OPTIONS_HELP "ro, aio=uring|sync, direct=on|off"

/* Whether `word` (len bytes) is meant as an option rather than the tail of a path. */
static bool looks_like_option(const char *word, size_t len)
{
	if (len == 2 && memcmp(word, "ro", 2) == 0)
		return true;
	return memchr(word, '=', len) && !memchr(word, '/', len);
}

static bool is(const char *word, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(word, s, len) == 0;
}

/* Applies one option; `seen` catches one given twice. -1 with `why` if it is bad. */
static int apply(const char *word, size_t len, struct axvm_disk_spec *out, unsigned *seen,
		 char *why, size_t cap)
{
	const char *eq = memchr(word, '=', len);
	size_t key_len = eq ? (size_t)(eq - word) : len;
	const char *val = eq ? eq + 1 : "";
	size_t val_len = eq ? len - key_len - 1 : 0;
	unsigned bit;

	if (is(word, key_len, "ro") && !eq) {
		bit = 1;
		out->read_only = true;
	} else if (is(word, key_len, "aio")) {
		bit = 2;
		if (is(val, val_len, "uring"))
			out->aio = AXVM_AIO_URING;
		else if (is(val, val_len, "sync"))
			out->aio = AXVM_AIO_SYNC;
		else
			goto bad_value;
	} else if (is(word, key_len, "direct")) {
		bit = 4;
		if (is(val, val_len, "on"))
			out->direct = true;
		else if (is(val, val_len, "off"))
			out->direct = false;
		else
			goto bad_value;
	} else {
		snprintf(why, cap, "unknown option \"%.*s\" (options: " OPTIONS_HELP ")",
			 (int)(len > 40 ? 40 : len), word);
		return -1;
	}
	if (*seen & bit) {
		snprintf(why, cap, "option \"%.*s\" given twice", (int)key_len, word);
		return -1;
	}
	*seen |= bit;
	return 0;
bad_value:
	snprintf(why, cap, "bad value \"%.*s\" for %.*s (options: " OPTIONS_HELP ")",
		 (int)(val_len > 40 ? 40 : val_len), val, (int)key_len, word);
	return -1;
}

int axvm_disk_spec_parse(const char *spec, struct axvm_disk_spec *out, char *why, size_t cap)
{
	size_t path_len = strlen(spec);
	unsigned seen = 0;

	*out = (struct axvm_disk_spec){ .aio = AXVM_AIO_AUTO };
	for (;;) {
		const char *comma = NULL;

		for (size_t i = path_len; i-- > 0;)
			if (spec[i] == ',') {
				comma = spec + i;
				break;
			}
		if (!comma)
			break;
		const char *word = comma + 1;
		size_t len = path_len - (size_t)(word - spec);

		if (!looks_like_option(word, len))
			break;
		if (apply(word, len, out, &seen, why, cap) != 0)
			return -1;
		path_len = (size_t)(comma - spec);
	}
	if (path_len == 0) {
		snprintf(why, cap, "\"file:\" needs a path");
		return -1;
	}
	if (path_len >= sizeof(out->path)) {
		snprintf(why, cap, "the path is longer than %zu characters", sizeof(out->path) - 1);
		return -1;
	}
	memcpy(out->path, spec, path_len);
	out->path[path_len] = '\0';
	return 0;
}
