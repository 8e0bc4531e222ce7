/*
 * BERT tokenizer (Hugging Face BertTokenizer's Python algorithm, in C):
 *
 *   basic:     drop NUL, U+FFFD and control characters; whitespace -> space;
 *              spaces around CJK ideographs; split on whitespace; per word
 *              (uncased models) str.lower() and accent stripping (NFD,
 *              drop Mn); split punctuation into single-character tokens
 *   wordpiece: greedy longest match against vocab.txt, continuations
 *              prefixed "##"; a word longer than max_chars_per_word
 *              characters, or one that cannot be covered, is [UNK]
 *   encode:    [CLS] tokens [SEP], truncated to seq, padded with [PAD];
 *              attention_mask 1 on real tokens; token_type_ids 0
 *
 * Unicode data (classes, lower-case and decomposition tables) come from
 * Python's unicodedata at development time (scripts/gen_unicode_table.py);
 * gb_tokenizer_unicode_version() names the version.
 *
 * Not covered: special tokens written inside the text are ordinary text;
 * cased models (lowercase = 0) skip Python's NFC step.
 *
 * Ownership: gb_tokenizer_open() returns a tokenizer the caller frees with
 * gb_tokenizer_free(); strings it returns belong to it. Text is UTF-8;
 * invalid UTF-8 is -EILSEQ with the byte offset in the message.
 * Thread-safety: a tokenizer is read-only after open; tokenize/encode may
 * run concurrently on one tokenizer.
 */
#ifndef GREENBENCH_TOKENIZER_H
#define GREENBENCH_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

struct gb_tokenizer;

struct gb_tokenizer_options {
	int lowercase;			/* 1 (uncased BERT): lower-case and strip accents */
	size_t max_chars_per_word;	/* 100; at most 128 */
};

void gb_tokenizer_options_init(struct gb_tokenizer_options *o);

/* Read vocab.txt (one token per line, id = line number, a repeated token
 * keeps its last id); needs [UNK], [CLS], [SEP] and [PAD]. */
int gb_tokenizer_open(const char *vocab_path, const struct gb_tokenizer_options *o,
		      struct gb_tokenizer **out);
void gb_tokenizer_free(struct gb_tokenizer *t);

size_t gb_tokenizer_vocab_size(const struct gb_tokenizer *t);
/* Id of a vocabulary entry; -ENOENT if absent. */
int gb_tokenizer_token_id(const struct gb_tokenizer *t, const char *token, int32_t *id);
/* The entry of id, or NULL. */
const char *gb_tokenizer_token(const struct gb_tokenizer *t, int32_t id);

/* Word-piece ids of text (no special tokens). Writes at most max ids and
 * stops once max are written; *n is the number written. The whole text is
 * validated as UTF-8 either way. */
int gb_tokenizer_tokenize(const struct gb_tokenizer *t, const char *text, size_t len,
			  int32_t *ids, size_t max, size_t *n);

/* One sequence of seq ids (seq >= 2), as BertTokenizer(text,
 * truncation=True, padding="max_length", max_length=seq). Any of the
 * output arrays may be NULL. *ntokens (may be NULL): real tokens incl.
 * [CLS]/[SEP]. */
int gb_tokenizer_encode(const struct gb_tokenizer *t, const char *text, size_t len, size_t seq,
			int64_t *input_ids, int64_t *attention_mask, int64_t *token_type_ids,
			size_t *ntokens);

const char *gb_tokenizer_unicode_version(void);

#endif
