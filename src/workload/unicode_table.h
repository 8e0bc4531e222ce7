/*
 * Unicode character data for the BERT tokenizer, generated from Python's
 * unicodedata by scripts/gen_unicode_table.py into unicode_table.c (the
 * generated file is committed; the build needs no Python).
 *
 * gb_uni_runs: classes as runs, sorted by start; a code point has the flags
 * of the last run starting at or before it. Maps are sorted by cp; n
 * output code points (0..3) in to[].
 */
#ifndef GB_WORKLOAD_UNICODE_TABLE_H
#define GB_WORKLOAD_UNICODE_TABLE_H

#include <stddef.h>
#include <stdint.h>

enum {
	GB_UNI_CONTROL = 1 << 0,	/* category C*, not \t \n \r: removed */
	GB_UNI_WS = 1 << 1,		/* Zs, space, \t, \n, \r: becomes a space */
	GB_UNI_SPLIT = 1 << 2,		/* str.isspace(): separates tokens */
	GB_UNI_PUNCT = 1 << 3,		/* P* or ASCII symbol: its own token */
	GB_UNI_DROP = 1 << 4,		/* NFD minus Mn is empty: removed by accent stripping */
	GB_UNI_CASED = 1 << 5,		/* cased and not case-ignorable (final sigma) */
	GB_UNI_CASE_IGNORABLE = 1 << 6,	/* case-ignorable (final sigma) */
};

struct gb_uni_run {
	uint32_t start;
	uint8_t flags;
};

struct gb_uni_map {
	uint32_t cp;
	uint8_t n;
	uint32_t to[3];
};

extern const char gb_uni_version[];
extern const struct gb_uni_run gb_uni_runs[];
extern const size_t gb_uni_runs_len;
extern const struct gb_uni_map gb_uni_lower[];	/* str.lower() */
extern const size_t gb_uni_lower_len;
extern const struct gb_uni_map gb_uni_strip[];	/* NFD minus Mn (not Hangul) */
extern const size_t gb_uni_strip_len;

/* Flags of a code point (binary search; ASCII from a small table). */
uint8_t gb_uni_flags(uint32_t cp);
/* The map entry of cp, or NULL when cp maps to itself. */
const struct gb_uni_map *gb_uni_map_find(const struct gb_uni_map *map, size_t len, uint32_t cp);
/* CJK ideograph blocks, as BERT's _is_chinese_char(). */
int gb_uni_is_cjk(uint32_t cp);
/* Decode one UTF-8 sequence at s[0..len) as Python's strict decoder:
 * returns its length and sets *cp, or 0 if invalid. */
size_t gb_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);
/* Encode cp; returns bytes written (1..4) into out[4]. */
size_t gb_utf8_encode(uint32_t cp, char *out);

#endif
