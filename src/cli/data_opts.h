/*
 * Dataset options shared by the commands that read data (run, compare):
 * --data PATH and how to read and prepare it. One group of option rows
 * (parse_options.h), one way to open and prepare, so both commands agree.
 */
#ifndef GB_CLI_DATA_OPTS_H
#define GB_CLI_DATA_OPTS_H

#include "cli/parse_options.h"
#include "greenbench/dataset.h"

struct gb_cli_data {
	const char *path;		/* NULL: no --data */
	struct gb_dataset_options o;
	int given;			/* options of the group given, --data included */
};

void gb_cli_data_init(struct gb_cli_data *d);

/* An image preparation row: named as gb_image_prep_set()'s key. */
#define GB_CLI__PREP(d, key, a, h) GB_OPT_CALLBACK(0, key, &(d)->o.image, a, h, gb_cli_image_prep_option)

/* The group of d's options, heading included, for an option array. */
#define GB_CLI_DATA_OPTIONS(d)                                                                      \
	GB_OPT_GROUP_COUNT("data (accuracy; see docs/data.md):", &(d)->given),                      \
	GB_OPT_STRING(0, "data", &(d)->path, "PATH",                                                \
		      "images (class folders, or a folder + labels.txt) or text (aclImdb, .tsv, "    \
		      ".jsonl) with labels"),                                                         \
	GB_OPT_UINT(0, "limit", &(d)->o.limit, "N", "the first N items only (balanced across classes)", \
		    1),                                                                               \
	GB_OPT_BOOL(0, "skip-bad", &(d)->o.skip_bad,                                                \
		    "leave out unreadable items (counted) instead of failing"),                       \
	GB_OPT_CHOICE(0, "data-kind", &(d)->o.kind, "K", "images or text (default: from the layout)",   \
		      gb_cli_data_kinds),                                                             \
	GB_OPT_STRING(0, "labels-file", &(d)->o.labels, "FILE", "'file label' lines of a flat image folder"), \
	GB_OPT_STRING(0, "vocab-file", &(d)->o.vocab, "FILE", "BERT vocab.txt for text (required for text)"), \
	GB_OPT_UINT(0, "seq", &(d)->o.seq, "N", "text: tokens per item (default 128)", 2),           \
	GB_CLI__PREP(d, "resize", "N", "images: shorter side (default 256; 0: none)"),              \
	GB_CLI__PREP(d, "crop", "N|WxH", "images: center crop (default 224)"),                      \
	GB_CLI__PREP(d, "interp", "NAME", "bilinear (default), bicubic, box, hamming, lanczos"),    \
	GB_CLI__PREP(d, "mean", "R,G,B", "normalisation (default ImageNet's)"),                     \
	GB_CLI__PREP(d, "std", "R,G,B", "normalisation (default ImageNet's)"),                      \
	GB_CLI__PREP(d, "dct", "off|half|any", "JPEG DCT-domain downscaling (default off: exact)"), \
	GB_OPT_STRING(0, "cache-dir", &(d)->o.cache_dir, "DIR",                                     \
		      "preprocessed image cache (default ~/.cache/greenbench)"),                     \
	GB_OPT_NEGBOOL(0, "no-cache", &(d)->o.cache, "decode images while reading batches"),        \
	GB_OPT_UINT_RANGE(0, "data-threads", &(d)->o.threads, "N",                                  \
			  "decoding threads while preparing (default 1)", 1, 1024)

/* The callback and word list of those rows. */
int gb_cli_image_prep_option(const struct gb_option *opt, const char *arg);
extern const struct gb_option_choice gb_cli_data_kinds[];

/* Data options given without --data: a usage error (129), else 0. */
int gb_cli_data_check(const struct gb_cli_data *d, const struct gb_usage *usage,
		      const struct gb_option *opts);

/* Open and prepare (decode into the cache) the dataset; prints the error
 * and returns -1 on failure. */
int gb_cli_data_open(const struct gb_cli_data *d, struct gb_dataset **ds);

#endif
