/*
 * Dataset options shared by the commands that read data (run, compare):
 * --data PATH and how to read and prepare it. One table of flags, one
 * help block, one way to open and prepare, so both commands agree.
 */
#ifndef GB_CLI_DATA_OPTS_H
#define GB_CLI_DATA_OPTS_H

#include "greenbench/dataset.h"

#include <getopt.h>

enum {
	GB_OPT_DATA = 1000,
	GB_OPT_LIMIT,
	GB_OPT_SKIP_BAD,
	GB_OPT_DATA_KIND,
	GB_OPT_VOCAB_FILE,
	GB_OPT_LABELS_FILE,
	GB_OPT_SEQ,
	GB_OPT_RESIZE,
	GB_OPT_CROP,
	GB_OPT_INTERP,
	GB_OPT_MEAN,
	GB_OPT_STD,
	GB_OPT_DCT,
	GB_OPT_CACHE_DIR,
	GB_OPT_NO_CACHE,
	GB_OPT_DATA_THREADS,
	GB_OPT_DATA_END,
};

/* Rows for a getopt_long table. */
#define GB_CLI_DATA_LONGOPTS                                                   \
	{ "data", required_argument, NULL, GB_OPT_DATA },                      \
	{ "limit", required_argument, NULL, GB_OPT_LIMIT },                    \
	{ "skip-bad", no_argument, NULL, GB_OPT_SKIP_BAD },                    \
	{ "data-kind", required_argument, NULL, GB_OPT_DATA_KIND },            \
	{ "vocab-file", required_argument, NULL, GB_OPT_VOCAB_FILE },          \
	{ "labels-file", required_argument, NULL, GB_OPT_LABELS_FILE },        \
	{ "seq", required_argument, NULL, GB_OPT_SEQ },                        \
	{ "resize", required_argument, NULL, GB_OPT_RESIZE },                  \
	{ "crop", required_argument, NULL, GB_OPT_CROP },                      \
	{ "interp", required_argument, NULL, GB_OPT_INTERP },                  \
	{ "mean", required_argument, NULL, GB_OPT_MEAN },                      \
	{ "std", required_argument, NULL, GB_OPT_STD },                        \
	{ "dct", required_argument, NULL, GB_OPT_DCT },                        \
	{ "cache-dir", required_argument, NULL, GB_OPT_CACHE_DIR },            \
	{ "no-cache", no_argument, NULL, GB_OPT_NO_CACHE },                    \
	{ "data-threads", required_argument, NULL, GB_OPT_DATA_THREADS }

#define GB_CLI_DATA_HELP                                                                  \
	"data (accuracy; see docs/data.md):\n"                                            \
	"        --data PATH          images (class folders, or a folder + labels.txt) or\n" \
	"                             text (aclImdb, .tsv, .jsonl) with labels\n"         \
	"        --limit N            the first N items only (balanced across classes)\n" \
	"        --skip-bad           leave out unreadable items (counted) instead of\n"  \
	"                             failing\n"                                          \
	"        --data-kind K        images or text (default: from the layout)\n"        \
	"        --labels-file FILE   'file label' lines of a flat image folder\n"        \
	"        --vocab-file FILE    BERT vocab.txt for text (required for text)\n"      \
	"        --seq N              text: tokens per item (default 128)\n"              \
	"        --resize N           images: shorter side (default 256; 0: none)\n"      \
	"        --crop N|WxH         images: center crop (default 224)\n"                \
	"        --interp NAME        bilinear (default), bicubic, box, hamming, lanczos\n" \
	"        --mean R,G,B         normalisation (default ImageNet's)\n"               \
	"        --std R,G,B          normalisation (default ImageNet's)\n"               \
	"        --dct off|half|any   JPEG DCT-domain downscaling (default off: exact)\n" \
	"        --cache-dir DIR      preprocessed image cache (default ~/.cache/greenbench)\n" \
	"        --no-cache           decode images while reading batches\n"             \
	"        --data-threads N     decoding threads while preparing (default 1)\n"

struct gb_cli_data {
	const char *path;		/* NULL: no --data */
	struct gb_dataset_options o;
	int seq_given;
	int other_given;		/* a data flag other than --data */
};

void gb_cli_data_init(struct gb_cli_data *d);

/* Apply option c (a GB_OPT_* id) with its argument: 0, or a usage error
 * (129, printed with usage). */
int gb_cli_data_option(struct gb_cli_data *d, int c, const char *arg, const char *usage);

/* Data options given without --data: a usage error (129), else 0. */
int gb_cli_data_check(const struct gb_cli_data *d, const char *usage);

/* Open and prepare (decode into the cache) the dataset; prints the error
 * and returns -1 on failure. */
int gb_cli_data_open(const struct gb_cli_data *d, struct gb_dataset **ds);

#endif
