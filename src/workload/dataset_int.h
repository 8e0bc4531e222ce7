/*
 * Internals shared by the dataset files: dataset.c (open, batches),
 * dataset_list.c (layouts), image_cache.c (memory-mapped cache).
 */
#ifndef GB_WORKLOAD_DATASET_INT_H
#define GB_WORKLOAD_DATASET_INT_H

#include "greenbench/dataset.h"

#include <stddef.h>
#include <stdint.h>

struct gb_ds_item {
	char *path;		/* image or IMDB file; NULL for TSV/JSONL lines */
	char *text;		/* TSV/JSONL text (owned) */
	size_t text_len;
	char *name;		/* for messages: the path, or "file:line" (owned) */
	int64_t label;
	int bad;		/* left out (skip_bad) */
};

/* The memory-mapped image cache: header, one status byte per item, then
 * item_bytes of uint8 HWC pixels per item. */
struct gb_img_cache {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint8_t *status;	/* CACHE_OK / CACHE_BAD / 0 (not yet written) */
	uint8_t *data;
	size_t n, item_bytes;
	int hit;
	char path[4096];
	char tmp[4112];		/* being built: renamed to path when complete */
};

enum { GB_CACHE_OK = 1, GB_CACHE_BAD = 2 };

struct gb_dataset {
	struct gb_dataset_options o;
	enum gb_dataset_kind kind;
	struct gb_ds_item *items;
	size_t n, cap;
	char **classes;		/* class folder names, or NULL */
	size_t nclasses;
	struct gb_tensor_info info[3];
	size_t ninputs;
	struct gb_tokenizer *tok;
	size_t pos;
	int prepared;
	int cache_used;
	struct gb_img_cache cache;
	size_t decoded;
	char **skipped;		/* reasons, in the order found */
	size_t nskipped;
};

/* dataset_list.c: fill ds->items (and classes) from path for ds->kind;
 * resolves AUTO. */
int gb_ds_list(struct gb_dataset *ds, const char *path);
int gb_ds_add_item(struct gb_dataset *ds, const char *path, char *text, size_t text_len,
		   const char *name, int64_t label);
/* dataset.c: record the current error message as one skipped item. */
int gb_ds_skip(struct gb_dataset *ds);

/* image_cache.c */
uint64_t gb_img_cache_key(const struct gb_dataset *ds);
int gb_img_cache_dir(const char *configured, char *buf, size_t len);
/* Map an existing complete cache (hit = 1) or create a new one to fill. */
int gb_img_cache_open(struct gb_img_cache *c, const char *dir, uint64_t key, size_t n,
		      size_t item_bytes);
/* Mark complete and move into place. */
int gb_img_cache_commit(struct gb_img_cache *c);
void gb_img_cache_close(struct gb_img_cache *c);

#endif
