/*
 * Lookups into the generated Unicode tables, and strict UTF-8 (the same
 * acceptance as Python's "utf-8" codec: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
#include "workload/unicode_table.h"

uint8_t gb_uni_flags(uint32_t cp)
{
	size_t lo = 0, hi = gb_uni_runs_len;

	/* Last run with start <= cp; runs[0].start is 0. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (gb_uni_runs[mid].start <= cp)
			lo = mid;
		else
			hi = mid;
	}
	return gb_uni_runs[lo].flags;
}

const struct gb_uni_map *gb_uni_map_find(const struct gb_uni_map *map, size_t len, uint32_t cp)
{
	size_t lo = 0, hi = len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map[mid].cp == cp)
			return &map[mid];
		if (map[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int gb_uni_is_cjk(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
	       (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

static int cont(uint8_t b)
{
	return (b & 0xC0) == 0x80;
}

size_t gb_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint8_t b = s[0];

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		if (len < 2 || !cont(s[1]))
			return 0;
		*cp = (uint32_t)(b & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if (b >= 0xE0 && b <= 0xEF) {
		if (len < 3 || !cont(s[1]) || !cont(s[2]))
			return 0;
		if ((b == 0xE0 && s[1] < 0xA0) || (b == 0xED && s[1] > 0x9F))
			return 0;	/* overlong, or a surrogate */
		*cp = (uint32_t)(b & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	if (b >= 0xF0 && b <= 0xF4) {
		if (len < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3]))
			return 0;
		if ((b == 0xF0 && s[1] < 0x90) || (b == 0xF4 && s[1] > 0x8F))
			return 0;	/* overlong, or above U+10FFFF */
		*cp = (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
		return 4;
	}
	return 0;
}

size_t gb_utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
