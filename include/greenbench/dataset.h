/*
 * Labelled datasets for accuracy runs: images for classifiers, texts for
 * sentiment models, read into batches of ready input tensors.
 *
 * Layouts (gb_dataset_open() detects which):
 *   images, class folders   PATH/<class>/<file>.{jpg,jpeg,png}; classes sorted by
 *                           name (byte order) -> label 0, 1, ... (ImageFolder)
 *   images, flat + labels   PATH/<file> plus a label file of "file label" lines
 *                           (opts.labels, else PATH/labels.txt); or PATH is the
 *                           label file itself (files relative to its folder)
 *   text, IMDB              PATH/test/{pos,neg}/NAME.txt or PATH/{pos,neg}/NAME.txt;
 *                           pos -> 1, neg -> 0
 *   text, TSV               PATH.tsv: "text<TAB>label" lines (a "text<TAB>label"
 *                           header line is skipped)
 *   text, JSONL             PATH.jsonl: {"text": "...", "label": 1} per line
 *   Labels are integers >= 0; text labels may also be pos/positive (1) and
 *   neg/negative (0).
 *
 * Order: files sorted by name; where there are several classes (class
 * folders, pos/neg) items are interleaved one class at a time, so a
 * --limit prefix is balanced. opts.limit keeps the first N items.
 *
 * Images are preprocessed by gb_image_load() (greenbench/image.h) into one
 * float32 NCHW tensor "input". With the cache on, preprocessed pixels are
 * kept in a memory-mapped file keyed by the file list (paths, sizes,
 * mtimes) and the preprocessing parameters, so a repeated run decodes
 * nothing; it holds uint8 crops (a quarter of float32) and mean/std are
 * applied when batches are filled, so they are not part of the key.
 * Texts become three int64 [N, seq] tensors "input_ids", "attention_mask",
 * "token_type_ids" (greenbench/tokenizer.h). Texts are not cached:
 * tokenizing is faster than reading them.
 *
 * Preparation (decoding every image into the cache) happens in
 * gb_dataset_prepare(), outside any measured phase; gb_dataset_next() only
 * copies and normalises.
 *
 * Bad data (unreadable or corrupt image, non-UTF-8 text, missing label,
 * empty folder) fails with a message naming the file; with skip_bad the
 * item is left out of every batch and counted in stats.skipped.
 *
 * Ownership: the dataset owns everything its accessors return. Tensor
 * buffers passed to gb_dataset_next() are the caller's
 * (gb_dataset_batch_alloc() makes matching ones). Thread-safety: one
 * dataset per thread; preparation may use opts.threads internally.
 */
#ifndef GREENBENCH_DATASET_H
#define GREENBENCH_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "greenbench/image.h"
#include "greenbench/tensor.h"
#include "greenbench/tokenizer.h"

enum gb_dataset_kind {
	GB_DATASET_AUTO = 0,
	GB_DATASET_IMAGES,
	GB_DATASET_TEXT,
};

struct gb_dataset_options {
	enum gb_dataset_kind kind;	/* AUTO: text for IMDB/TSV/JSONL, else images */
	size_t limit;			/* first N items; 0: all */
	int skip_bad;			/* leave bad items out (counted) instead of failing */
	/* images */
	const char *labels;		/* label file of a flat folder; NULL: PATH/labels.txt */
	struct gb_image_prep image;	/* ImageNet evaluation transform by default */
	int cache;			/* 1 (default): memory-mapped preprocessed cache */
	const char *cache_dir;		/* NULL: the cache's images/ folder (greenbench/paths.h) */
	unsigned threads;		/* decoding threads for preparation; 0: 1 */
	/* text */
	const char *vocab;		/* vocab.txt; required for text */
	struct gb_tokenizer_options tok;
	size_t seq;			/* sequence length; default 128 */
};

void gb_dataset_options_init(struct gb_dataset_options *o);

struct gb_dataset;

int gb_dataset_open(const char *path, const struct gb_dataset_options *o,
		    struct gb_dataset **out);
void gb_dataset_free(struct gb_dataset *ds);

enum gb_dataset_kind gb_dataset_kind(const struct gb_dataset *ds);
const char *gb_dataset_kind_name(enum gb_dataset_kind k);	/* "images", "text" */
size_t gb_dataset_size(const struct gb_dataset *ds);		/* items listed, after limit */
size_t gb_dataset_num_classes(const struct gb_dataset *ds);	/* class folders, or max label + 1 */
const char *gb_dataset_class_name(const struct gb_dataset *ds, size_t label); /* or NULL */
const char *gb_dataset_item_name(const struct gb_dataset *ds, size_t i); /* path, or "file:line" */
int64_t gb_dataset_item_label(const struct gb_dataset *ds, size_t i);

/* The per-batch inputs, batch dimension -1: images 1, text 3. */
size_t gb_dataset_input_count(const struct gb_dataset *ds);
const struct gb_tensor_info *gb_dataset_input_info(const struct gb_dataset *ds, size_t i);

/* Allocate gb_dataset_input_count() tensors for batch rows (dims[0] =
 * batch); free with gb_dataset_batch_free(). */
int gb_dataset_batch_alloc(const struct gb_dataset *ds, size_t batch, struct gb_tensor *t);
void gb_dataset_batch_free(const struct gb_dataset *ds, struct gb_tensor *t);

/* Decode everything into the cache (or find it there). Optional: the
 * first gb_dataset_next() calls it. No-op for text or with cache off. */
int gb_dataset_prepare(struct gb_dataset *ds);

/* Fill up to batch items (batch <= the tensors' capacity) from the
 * current position, skipping bad items when skip_bad; *got is the number
 * filled (0 at the end) and the tensors' dims[0] / bytes are set to it.
 * labels (may be NULL) receives *got labels. */
int gb_dataset_next(struct gb_dataset *ds, size_t batch, struct gb_tensor *inputs,
		    int64_t *labels, size_t *got);
void gb_dataset_rewind(struct gb_dataset *ds);

struct gb_dataset_stats {
	size_t items;		/* listed, after limit */
	size_t skipped;		/* bad items left out (skip_bad) */
	size_t decoded;		/* images decoded by this dataset */
	int cache_used;		/* a cache file backs the images */
	int cache_hit;		/* ... and it already existed */
	char cache_path[4096];
};

void gb_dataset_stats(const struct gb_dataset *ds, struct gb_dataset_stats *s);
/* Why skipped item number i (0 .. stats.skipped-1) was left out. */
const char *gb_dataset_skipped_reason(const struct gb_dataset *ds, size_t i);

#endif
