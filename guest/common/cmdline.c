/* SPDX-License-Identifier: Apache-2.0 */
#include "cmdline.h"

#include "string.h"

bool cmdline_option(const char *cmdline, const char *key, const char **value, size_t *len)
{
	size_t key_len = strlen(key);
	const char *p = cmdline;

	while (*p) {
		const char *word;
		size_t word_len = 0;

		while (*p == ' ')
			p++;
		word = p;
		while (p[word_len] && p[word_len] != ' ')
			word_len++;
		if (word_len > key_len && word[key_len] == '=' && memcmp(word, key, key_len) == 0) {
			*value = word + key_len + 1;
			*len = word_len - key_len - 1;
			return true;
		}
		p += word_len;
	}
	return false;
}

const char *cmdline_word(const char *cmdline, const char *key, const char *fallback, char *buf,
			 size_t size)
{
	const char *value;
	size_t len;

	if (!cmdline_option(cmdline, key, &value, &len))
		return fallback;
	if (len >= size)
		len = size - 1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return buf;
}
