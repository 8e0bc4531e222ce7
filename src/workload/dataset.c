/*
 * Datasets: open (layouts in dataset_list.c), preparation into the image
 * cache (image_cache.c), and batches of input tensors plus labels.
 */
#include "workload/dataset_int.h"
#include "greenbench/error.h"
#include "greenbench/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void gb_dataset_options_init(struct gb_dataset_options *o)
{
	memset(o, 0, sizeof *o);
	gb_image_prep_init(&o->image);
	o->cache = 1;
	gb_tokenizer_options_init(&o->tok);
	o->seq = 128;
}

const char *gb_dataset_kind_name(enum gb_dataset_kind k)
{
	return k == GB_DATASET_IMAGES ? "images" : k == GB_DATASET_TEXT ? "text" : "auto";
}

int gb_ds_add_item(struct gb_dataset *ds, const char *path, char *text, size_t text_len,
		   const char *name, int64_t label)
{
	struct gb_ds_item *it;

	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? ds->cap * 2 : 256;
		struct gb_ds_item *nv = realloc(ds->items, cap * sizeof *nv);

		if (!nv)
			return gb_error_set(-ENOMEM, "out of memory");
		ds->items = nv;
		ds->cap = cap;
	}
	it = &ds->items[ds->n];
	memset(it, 0, sizeof *it);
	it->name = strdup(name);
	it->path = path ? strdup(path) : NULL;
	if (!it->name || (path && !it->path)) {
		free(it->name);
		free(it->path);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	it->text = text;	/* owned from here on */
	it->text_len = text_len;
	it->label = label;
	ds->n++;
	return 0;
}

int gb_ds_skip(struct gb_dataset *ds)
{
	char *r = strdup(gb_error_msg());
	char **nv = r ? realloc(ds->skipped, (ds->nskipped + 1) * sizeof *nv) : NULL;

	if (!nv) {
		free(r);
		return gb_error_set(-ENOMEM, "out of memory");
	}
	ds->skipped = nv;
	ds->skipped[ds->nskipped++] = r;
	return 0;
}

static int mark_bad(struct gb_dataset *ds, size_t i)
{
	ds->items[i].bad = 1;
	return gb_ds_skip(ds);
}

static void set_info(struct gb_tensor_info *t, const char *name, enum gb_dtype dt, int rank,
		     const int64_t *dims)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->dtype = dt;
	t->rank = rank;
	memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
	snprintf(t->dim_params[0], sizeof t->dim_params[0], "batch");
}

int gb_dataset_open(const char *path, const struct gb_dataset_options *o,
		    struct gb_dataset **out)
{
	struct gb_dataset *ds = calloc(1, sizeof *ds);
	int ret;

	*out = NULL;
	if (!ds)
		return gb_error_set(-ENOMEM, "out of memory");
	if (o)
		ds->o = *o;
	else
		gb_dataset_options_init(&ds->o);
	ds->cache.fd = -1;
	ds->kind = ds->o.kind;
	ret = gb_ds_list(ds, path);
	if (ret)
		goto out;
	if (ds->o.limit && ds->o.limit < ds->n) {
		for (size_t i = ds->o.limit; i < ds->n; i++) {
			free(ds->items[i].path);
			free(ds->items[i].text);
			free(ds->items[i].name);
		}
		ds->n = ds->o.limit;
	}
	if (!ds->n) {
		ret = gb_error_set(-ENOENT, "no usable items in dataset '%s'", path);
		goto out;
	}
	if (ds->kind == GB_DATASET_IMAGES) {
		const struct gb_image_prep *p = &ds->o.image;
		int64_t dims[4] = { -1, 3, p->crop_h, p->crop_w };

		if (!p->crop_w || !p->crop_h) {
			ret = gb_error_set(-EINVAL, "image datasets need a crop size");
			goto out;
		}
		set_info(&ds->info[0], "input", GB_DTYPE_F32, 4, dims);
		ds->ninputs = 1;
	} else {
		int64_t dims[2] = { -1, (int64_t)ds->o.seq };

		if (!ds->o.vocab) {
			ret = gb_error_set(-EINVAL, "text dataset '%s' needs a vocabulary (vocab.txt)", path);
			goto out;
		}
		if (ds->o.seq < 2) {
			ret = gb_error_set(-EINVAL, "sequence length %zu is too short", ds->o.seq);
			goto out;
		}
		ret = gb_tokenizer_open(ds->o.vocab, &ds->o.tok, &ds->tok);
		if (ret)
			goto out;
		set_info(&ds->info[0], "input_ids", GB_DTYPE_I64, 2, dims);
		set_info(&ds->info[1], "attention_mask", GB_DTYPE_I64, 2, dims);
		set_info(&ds->info[2], "token_type_ids", GB_DTYPE_I64, 2, dims);
		ds->ninputs = 3;
	}
	*out = ds;
out:
	if (ret)
		gb_dataset_free(ds);
	return ret;
}

void gb_dataset_free(struct gb_dataset *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		free(ds->items[i].path);
		free(ds->items[i].text);
		free(ds->items[i].name);
	}
	free(ds->items);
	for (size_t i = 0; i < ds->nclasses; i++)
		free(ds->classes[i]);
	free(ds->classes);
	for (size_t i = 0; i < ds->nskipped; i++)
		free(ds->skipped[i]);
	free(ds->skipped);
	gb_img_cache_close(&ds->cache);
	gb_tokenizer_free(ds->tok);
	free(ds);
}

enum gb_dataset_kind gb_dataset_kind(const struct gb_dataset *ds)
{
	return ds->kind;
}

size_t gb_dataset_size(const struct gb_dataset *ds)
{
	return ds->n;
}

size_t gb_dataset_num_classes(const struct gb_dataset *ds)
{
	int64_t most = -1;

	if (ds->classes)
		return ds->nclasses;
	if (ds->kind == GB_DATASET_TEXT && !ds->classes)
		most = 1;	/* sentiment: at least neg/pos */
	for (size_t i = 0; i < ds->n; i++)
		if (ds->items[i].label > most)
			most = ds->items[i].label;
	return (size_t)(most + 1);
}

const char *gb_dataset_class_name(const struct gb_dataset *ds, size_t label)
{
	return ds->classes && label < ds->nclasses ? ds->classes[label] : NULL;
}

const char *gb_dataset_item_name(const struct gb_dataset *ds, size_t i)
{
	return i < ds->n ? ds->items[i].name : NULL;
}

int64_t gb_dataset_item_label(const struct gb_dataset *ds, size_t i)
{
	return i < ds->n ? ds->items[i].label : -1;
}

size_t gb_dataset_input_count(const struct gb_dataset *ds)
{
	return ds->ninputs;
}

const struct gb_tensor_info *gb_dataset_input_info(const struct gb_dataset *ds, size_t i)
{
	return i < ds->ninputs ? &ds->info[i] : NULL;
}

/* Bytes of one item's row of input i. */
static size_t row_bytes(const struct gb_dataset *ds, size_t i)
{
	const struct gb_tensor_info *t = &ds->info[i];
	size_t b = gb_dtype_size(t->dtype);

	for (int d = 1; d < t->rank; d++)
		b *= (size_t)t->dims[d];
	return b;
}

int gb_dataset_batch_alloc(const struct gb_dataset *ds, size_t batch, struct gb_tensor *t)
{
	for (size_t i = 0; i < ds->ninputs; i++) {
		t[i].info = ds->info[i];
		t[i].info.dims[0] = (int64_t)batch;
		t[i].bytes = batch * row_bytes(ds, i);
		t[i].data = malloc(t[i].bytes ? t[i].bytes : 1);
		if (!t[i].data) {
			for (size_t j = 0; j < i; j++) {
				free(t[j].data);
				t[j].data = NULL;
			}
			return gb_error_set(-ENOMEM, "out of memory for a batch of %zu", batch);
		}
	}
	return 0;
}

void gb_dataset_batch_free(const struct gb_dataset *ds, struct gb_tensor *t)
{
	for (size_t i = 0; i < ds->ninputs; i++) {
		free(t[i].data);
		t[i].data = NULL;
	}
}

/* ---- Preparation: decode every image into the cache ------------------ */

struct prep_job {
	struct gb_dataset *ds;
	unsigned t, nthreads;
	atomic_int *stop;
	size_t err_index;	/* first failing item of this thread, or SIZE_MAX */
	int err;
	char msg[1024];
	size_t decoded;
};

static void *prep_worker(void *arg)
{
	struct prep_job *j = arg;
	struct gb_dataset *ds = j->ds;
	struct gb_img_cache *c = &ds->cache;

	j->err_index = SIZE_MAX;
	for (size_t i = j->t; i < ds->n && !atomic_load(j->stop); i += j->nthreads) {
		int ret = gb_image_load(ds->items[i].path, &ds->o.image, c->data + i * c->item_bytes);

		j->decoded++;
		if (!ret) {
			c->status[i] = GB_CACHE_OK;
			continue;
		}
		c->status[i] = GB_CACHE_BAD;
		if (ds->o.skip_bad)
			continue;
		j->err = ret;
		j->err_index = i;
		snprintf(j->msg, sizeof j->msg, "%s", gb_error_msg());
		atomic_store(j->stop, 1);
	}
	return NULL;
}

static int fill_cache(struct gb_dataset *ds)
{
	unsigned nt = ds->o.threads ? ds->o.threads : 1;
	struct prep_job *jobs = calloc(nt, sizeof *jobs);
	pthread_t *tids = calloc(nt, sizeof *tids);
	atomic_int stop = 0;
	size_t first = SIZE_MAX;
	unsigned started = 0;
	int ret = 0;

	if (!jobs || !tids) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	if (nt > ds->n)
		nt = (unsigned)ds->n;
	for (unsigned t = 0; t < nt; t++) {
		jobs[t] = (struct prep_job){ .ds = ds, .t = t, .nthreads = nt, .stop = &stop };
		if (nt == 1) {
			prep_worker(&jobs[t]);
			started = 1;
			break;
		}
		if (gb_thread_start(&tids[t], prep_worker, &jobs[t])) {
			atomic_store(&stop, 1);
			ret = gb_error_set(-EAGAIN, "cannot start decoding thread %u", t);
			break;
		}
		started++;
	}
	for (unsigned t = 0; t < started; t++) {
		if (nt > 1)
			pthread_join(tids[t], NULL);
		ds->decoded += jobs[t].decoded;
		if (jobs[t].err && jobs[t].err_index < first) {
			first = jobs[t].err_index;
			ret = gb_error_set(jobs[t].err, "%s", jobs[t].msg);
		}
	}
out:
	free(jobs);
	free(tids);
	return ret;
}

/* Items the cache holds as bad: decode again for the message, then skip
 * them (skip_bad) or fail like the first time. */
static int cached_bad_items(struct gb_dataset *ds)
{
	uint8_t *px = NULL;
	int ret = 0;

	for (size_t i = 0; i < ds->n && !ret; i++) {
		if (ds->cache.status[i] != GB_CACHE_BAD)
			continue;
		if (!px && !(px = malloc(ds->cache.item_bytes))) {
			ret = gb_error_set(-ENOMEM, "out of memory");
			break;
		}
		ret = gb_image_load(ds->items[i].path, &ds->o.image, px);
		if (!ret)
			ret = gb_error_set(-EBADMSG, "image '%s' changed since it was cached", ds->items[i].name);
		if (ds->o.skip_bad)
			ret = mark_bad(ds, i);
	}
	free(px);
	return ret;
}

int gb_dataset_prepare(struct gb_dataset *ds)
{
	char dir[4096];
	int ret;

	if (ds->prepared || ds->kind != GB_DATASET_IMAGES || !ds->o.cache) {
		ds->prepared = 1;
		return 0;
	}
	ret = gb_img_cache_dir(ds->o.cache_dir, dir, sizeof dir);
	if (!ret)
		ret = gb_img_cache_open(&ds->cache, dir, gb_img_cache_key(ds), ds->n,
					(size_t)ds->o.image.crop_w * ds->o.image.crop_h * 3);
	if (!ret && !ds->cache.hit) {
		ret = fill_cache(ds);
		if (!ret)
			ret = gb_img_cache_commit(&ds->cache);
	}
	if (!ret)
		ret = cached_bad_items(ds);
	if (ret) {
		gb_img_cache_close(&ds->cache);
		return ret;
	}
	ds->cache_used = 1;
	ds->prepared = 1;
	return 0;
}

/* ---- Batches ------------------------------------------------------- */

static int read_text(const char *path, char **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	int ret = 0;

	*buf = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		ret = gb_error_set(-errno, "cannot open text '%s': %s", path, strerror(errno));
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		ret = gb_error_set(-ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = gb_error_set(n ? -errno : -EIO, "cannot read text '%s': %s", path,
					   n ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

/* Fill row k of the batch from item i. */
static int fill_row(struct gb_dataset *ds, size_t i, struct gb_tensor *in, size_t k)
{
	struct gb_ds_item *it = &ds->items[i];
	int ret = 0;

	if (ds->kind == GB_DATASET_IMAGES) {
		const struct gb_image_prep *p = &ds->o.image;
		float *dst = (float *)in[0].data + k * 3 * p->crop_w * p->crop_h;
		uint8_t *px = NULL;

		if (ds->cache_used) {
			gb_image_normalize(ds->cache.data + i * ds->cache.item_bytes, p->crop_w, p->crop_h, p, dst);
			return 0;
		}
		px = malloc((size_t)p->crop_w * p->crop_h * 3);
		if (!px)
			return gb_error_set(-ENOMEM, "out of memory");
		ret = gb_image_load(it->path, p, px);
		ds->decoded++;
		if (!ret)
			gb_image_normalize(px, p->crop_w, p->crop_h, p, dst);
		free(px);
		return ret;
	}

	size_t seq = ds->o.seq, len = it->text_len;
	char *buf = it->text;

	if (!buf) {
		ret = read_text(it->path, &buf, &len);
		if (ret)
			return ret;
	}
	ret = gb_tokenizer_encode(ds->tok, buf, len, seq, (int64_t *)in[0].data + k * seq,
				  (int64_t *)in[1].data + k * seq, (int64_t *)in[2].data + k * seq, NULL);
	if (ret == -EILSEQ)
		gb_error_wrap(ret, "cannot read text '%s'", it->name);
	if (buf != it->text)
		free(buf);
	return ret;
}

int gb_dataset_next(struct gb_dataset *ds, size_t batch, struct gb_tensor *inputs,
		    int64_t *labels, size_t *got)
{
	size_t k = 0;
	int ret;

	*got = 0;
	ret = gb_dataset_prepare(ds);
	if (ret)
		return ret;
	while (k < batch && ds->pos < ds->n) {
		size_t i = ds->pos;

		if (ds->items[i].bad) {
			ds->pos++;
			continue;
		}
		ret = fill_row(ds, i, inputs, k);
		if (ret && !ds->o.skip_bad)
			return ret;	/* pos stays: the caller sees the same error again */
		ds->pos++;
		if (ret) {
			ret = mark_bad(ds, i);
			if (ret)
				return ret;
			continue;
		}
		if (labels)
			labels[k] = ds->items[i].label;
		k++;
	}
	for (size_t j = 0; j < ds->ninputs; j++) {
		inputs[j].info.dims[0] = (int64_t)k;
		inputs[j].bytes = k * row_bytes(ds, j);
	}
	*got = k;
	return 0;
}

void gb_dataset_rewind(struct gb_dataset *ds)
{
	ds->pos = 0;
}

void gb_dataset_stats(const struct gb_dataset *ds, struct gb_dataset_stats *s)
{
	memset(s, 0, sizeof *s);
	s->items = ds->n;
	s->skipped = ds->nskipped;
	s->decoded = ds->decoded;
	s->cache_used = ds->cache_used;
	s->cache_hit = ds->cache_used && ds->cache.hit;
	if (ds->cache_used)
		snprintf(s->cache_path, sizeof s->cache_path, "%s", ds->cache.path);
}

const char *gb_dataset_skipped_reason(const struct gb_dataset *ds, size_t i)
{
	return i < ds->nskipped ? ds->skipped[i] : NULL;
}
