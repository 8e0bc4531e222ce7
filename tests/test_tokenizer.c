/*
 * BERT tokenizer against tests/helpers/wordpiece_ref.py, an independent
 * Python implementation (str.lower(), unicodedata.normalize()) on a corpus
 * with accents, punctuation, CJK, Hangul, emoji, control characters,
 * final sigma and very long words, plus 400 seeded random strings; and the
 * error cases.
 */
#include "lib/gbtest.h"
#include "greenbench/tokenizer.h"
#include "greenbench/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ 16

static char *dir;

static int setup(void **state)
{
	const char *py = getenv("GB_PYTHON");
	char cmd[8192];

	(void)state;
	dir = gbt_mkdtemp();
	snprintf(cmd, sizeof cmd, "%s '%s/tests/helpers/wordpiece_ref.py' '%s' %d",
		 py && *py ? py : "/usr/bin/python3", getenv("GB_SRCDIR"), dir, SEQ);
	assert_int_equal(gbt_run(cmd, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gbt_rm_rf(dir);
	free(dir);
	return 0;
}

static struct gb_tokenizer *open_vocab(void)
{
	struct gb_tokenizer *t = NULL;
	char path[4096];

	snprintf(path, sizeof path, "%s/vocab.txt", dir);
	if (gb_tokenizer_open(path, NULL, &t))
		fail_msg("%s", gb_error_msg());
	return t;
}

/* Parse "1 2 3" into v; returns the count. */
static size_t parse_ids(char *s, long *v, size_t max)
{
	size_t n = 0;
	char *end;

	for (;;) {
		long x = strtol(s, &end, 10);

		if (end == s)
			return n;
		assert_true(n < max);
		v[n++] = x;
		s = end;
	}
}

static void test_matches_reference(void **state)
{
	struct gb_tokenizer *t = open_vocab();
	char path[4096], *text = NULL, *exp = NULL;
	size_t tcap = 0, ecap = 0, lines = 0, total = 0;
	FILE *fc, *fe;

	(void)state;
	snprintf(path, sizeof path, "%s/corpus.txt", dir);
	fc = fopen(path, "r");
	snprintf(path, sizeof path, "%s/expected.txt", dir);
	fe = fopen(path, "r");
	assert_non_null(fc);
	assert_non_null(fe);
	for (;;) {
		ssize_t tl = getline(&text, &tcap, fc), el = getline(&exp, &ecap, fe);
		long want[4096], want_enc[SEQ];
		int32_t got[4096];
		int64_t enc[SEQ], mask[SEQ], type[SEQ];
		size_t nwant, nenc, ngot, ntok;
		char *bar;

		if (tl < 0 || el < 0) {
			assert_true(tl < 0 && el < 0);
			break;
		}
		text[--tl] = '\0';
		bar = strchr(exp, '|');
		assert_non_null(bar);
		*bar = '\0';
		nwant = parse_ids(exp, want, 4096);
		nenc = parse_ids(bar + 1, want_enc, SEQ);
		assert_int_equal(nenc, SEQ);
		if (gb_tokenizer_tokenize(t, text, (size_t)tl, got, 4096, &ngot))
			fail_msg("line %zu: %s", lines + 1, gb_error_msg());
		if (ngot != nwant)
			fail_msg("line %zu: %zu ids, reference %zu: '%s'", lines + 1, ngot, nwant, text);
		for (size_t i = 0; i < ngot; i++)
			if (got[i] != want[i])
				fail_msg("line %zu, id %zu: %d, reference %ld ('%s' vs '%s')", lines + 1, i,
					 got[i], want[i], gb_tokenizer_token(t, got[i]),
					 gb_tokenizer_token(t, (int32_t)want[i]));
		assert_int_equal(gb_tokenizer_encode(t, text, (size_t)tl, SEQ, enc, mask, type, &ntok), 0);
		assert_int_equal(ntok, nwant + 2 > SEQ ? SEQ : nwant + 2);
		for (size_t i = 0; i < SEQ; i++) {
			assert_int_equal(enc[i], want_enc[i]);
			assert_int_equal(mask[i], i < ntok);
			assert_int_equal(type[i], 0);
		}
		total += ngot;
		lines++;
	}
	printf("%zu lines, %zu word pieces equal to the reference (Unicode %s)\n", lines, total,
	       gb_tokenizer_unicode_version());
	assert_true(lines > 400);
	assert_true(total > 1000);
	free(text);
	free(exp);
	fclose(fc);
	fclose(fe);
	gb_tokenizer_free(t);
}

static void test_specific_pieces(void **state)
{
	struct gb_tokenizer *t = open_vocab();
	int32_t ids[16], id;
	size_t n;
	const char *s = "Unaffable!";

	(void)state;
	assert_int_equal(gb_tokenizer_tokenize(t, s, strlen(s), ids, 16, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(gb_tokenizer_token(t, ids[0]), "un");
	assert_string_equal(gb_tokenizer_token(t, ids[1]), "##aff");
	assert_string_equal(gb_tokenizer_token(t, ids[2]), "##able");
	assert_string_equal(gb_tokenizer_token(t, ids[3]), "!");
	/* "##e" appears twice in vocab.txt: the last line wins, as in Python. */
	assert_int_equal(gb_tokenizer_token_id(t, "##e", &id), 0);
	assert_int_equal((size_t)id, gb_tokenizer_vocab_size(t) - 1);
	assert_int_equal(gb_tokenizer_token_id(t, "no-such-token", &id), -ENOENT);
	/* Writing stops at max. */
	assert_int_equal(gb_tokenizer_tokenize(t, s, strlen(s), ids, 2, &n), 0);
	assert_int_equal(n, 2);
	gb_tokenizer_free(t);
}

static void test_bad_utf8(void **state)
{
	static const char *const bad[] = {
		"ok \xff", "ok \xc3", "\xc0\xaf overlong", "\xed\xa0\x80 surrogate",
		"\xf4\x90\x80\x80 too big", "\xe2\x82 cut",
	};
	struct gb_tokenizer *t = open_vocab();
	int32_t ids[4];
	int64_t enc[SEQ];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(gb_tokenizer_tokenize(t, bad[i], strlen(bad[i]), ids, 4, &n), -EILSEQ);
		assert_non_null(strstr(gb_error_msg(), "invalid UTF-8 at byte"));
	}
	/* Invalid bytes after the truncation point are still an error. */
	assert_int_equal(gb_tokenizer_tokenize(t, "a b c d e f \xff", 13, ids, 2, &n), -EILSEQ);
	assert_string_equal(gb_error_msg(), "invalid UTF-8 at byte 12");
	assert_int_equal(gb_tokenizer_encode(t, "x", 1, 1, enc, NULL, NULL, NULL), -EINVAL);
	gb_tokenizer_free(t);
}

static void test_bad_vocab(void **state)
{
	struct gb_tokenizer *t = NULL;
	struct gb_tokenizer_options o;
	char path[4096];

	(void)state;
	snprintf(path, sizeof path, "%s/missing.txt", dir);
	assert_int_equal(gb_tokenizer_open(path, NULL, &t), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "missing.txt"));
	gbt_write(dir, "nocls.txt", "[PAD]\n[UNK]\n[SEP]\nhello\n");
	snprintf(path, sizeof path, "%s/nocls.txt", dir);
	assert_int_equal(gb_tokenizer_open(path, NULL, &t), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "[CLS]"));
	gb_tokenizer_options_init(&o);
	o.max_chars_per_word = 500;
	gbt_write(dir, "ok.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]");
	snprintf(path, sizeof path, "%s/ok.txt", dir);
	assert_int_equal(gb_tokenizer_open(path, &o, &t), -EINVAL);
	assert_int_equal(gb_tokenizer_open(path, NULL, &t), 0);
	assert_int_equal(gb_tokenizer_vocab_size(t), 4);	/* no trailing newline */
	gb_tokenizer_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_reference),
		cmocka_unit_test(test_specific_pieces),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_bad_vocab),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
