/*
 * Datasets: layouts and labels, batches equal to one-file preprocessing,
 * bad data (named, or skipped and counted), and the image cache (miss,
 * hit, invalidation by mtime, a damaged cache file, default location).
 * Images are written here with libjpeg/libpng.
 */
#include "lib/gbtest.h"
#include "greenbench/dataset.h"
#include "greenbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

static char *root;

static void pattern(uint8_t *px, unsigned w, unsigned h, unsigned seed)
{
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			for (unsigned c = 0; c < 3; c++)
				px[(y * w + x) * 3 + c] = (uint8_t)((x * (seed + 1) + y * (c + 2) * 3 + seed * 50) ^ (x / 7 * 31));
}

static void write_jpeg(const char *rel, unsigned w, unsigned h, unsigned seed)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	char path[4096];
	uint8_t *px = malloc((size_t)w * h * 3);
	FILE *f;

	gbt_write(root, rel, "%s", "");	/* creates the folders */
	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "wb");
	assert_non_null(f);
	pattern(px, w, h, seed);
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		JSAMPROW row = px + (size_t)c.next_scanline * w * 3;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	fclose(f);
	free(px);
}

static void write_png(const char *rel, unsigned w, unsigned h, unsigned seed)
{
	png_image im;
	char path[4096];
	uint8_t *px = malloc((size_t)w * h * 3);

	gbt_write(root, rel, "%s", "");
	snprintf(path, sizeof path, "%s/%s", root, rel);
	pattern(px, w, h, seed);
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	im.width = w;
	im.height = h;
	im.format = PNG_FORMAT_RGB;
	assert_true(png_image_write_to_file(&im, path, 0, px, 0, NULL));
	free(px);
}

static int setup(void **state)
{
	(void)state;
	root = gbt_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gbt_rm_rf(root);
	free(root);
	return 0;
}

static void opts(struct gb_dataset_options *o, const char *cache)
{
	static char dir[4096];

	gb_dataset_options_init(o);
	o->image.resize = 40;
	o->image.crop_w = o->image.crop_h = 32;
	snprintf(dir, sizeof dir, "%s/%s", root, cache ? cache : "cache");
	o->cache_dir = dir;
	o->cache = cache != NULL;
}

static struct gb_dataset *open_ok(const char *rel, const struct gb_dataset_options *o)
{
	struct gb_dataset *ds = NULL;
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (gb_dataset_open(path, o, &ds))
		fail_msg("%s", gb_error_msg());
	return ds;
}

static int open_err(const char *rel, const struct gb_dataset_options *o)
{
	struct gb_dataset *ds = NULL;
	char path[4096];
	int ret;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	ret = gb_dataset_open(path, o, &ds);
	assert_null(ds);
	assert_true(ret < 0);
	return ret;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Every row of every batch equals gb_image_load + normalize of its file. */
static size_t check_batches(struct gb_dataset *ds, const struct gb_dataset_options *o, size_t batch,
			    int64_t *all_labels)
{
	struct gb_tensor t[1];
	int64_t labels[8];
	size_t got, total = 0, plane = (size_t)3 * o->image.crop_w * o->image.crop_h;
	uint8_t *px = malloc(plane);
	float *want = malloc(plane * sizeof *want);

	assert_int_equal(gb_dataset_input_count(ds), 1);
	assert_string_equal(gb_dataset_input_info(ds, 0)->name, "input");
	assert_int_equal(gb_dataset_batch_alloc(ds, batch, t), 0);
	assert_int_equal(t[0].info.dims[0], batch);
	assert_int_equal(t[0].info.dims[1], 3);
	gb_dataset_rewind(ds);
	for (;;) {
		if (gb_dataset_next(ds, batch, t, labels, &got))
			fail_msg("%s", gb_error_msg());
		if (!got)
			break;
		assert_int_equal(t[0].info.dims[0], got);
		assert_int_equal(t[0].bytes, got * plane * sizeof(float));
		for (size_t k = 0; k < got; k++)
			all_labels[total + k] = labels[k];
		total += got;
	}
	/* Row contents: walk the items again, one at a time. */
	gb_dataset_rewind(ds);
	for (size_t i = 0; i < gb_dataset_size(ds); i++) {
		if (gb_image_load(gb_dataset_item_name(ds, i), &o->image, px))
			continue;	/* a bad item: not in the batches */
		assert_int_equal(gb_dataset_next(ds, 1, t, labels, &got), 0);
		assert_int_equal(got, 1);
		assert_int_equal(labels[0], gb_dataset_item_label(ds, i));
		gb_image_normalize(px, o->image.crop_w, o->image.crop_h, &o->image, want);
		assert_memory_equal(t[0].data, want, plane * sizeof *want);
	}
	gb_dataset_batch_free(ds, t);
	free(px);
	free(want);
	return total;
}

static void test_class_folders(void **state)
{
	struct gb_dataset_options o;
	struct gb_dataset *ds;
	int64_t labels[16];

	(void)state;
	write_jpeg("cls/cat/a.jpg", 60, 45, 1);
	write_png("cls/cat/b.png", 45, 60, 2);
	write_jpeg("cls/dog/c.JPEG", 50, 50, 3);
	write_jpeg("cls/emu/d.jpg", 70, 40, 4);
	write_jpeg("cls/emu/e.jpg", 30, 20, 5);
	gbt_write(root, "cls/emu/notes.txt", "not an image\n");
	opts(&o, NULL);
	ds = open_ok("cls", &o);
	assert_int_equal(gb_dataset_kind(ds), GB_DATASET_IMAGES);
	assert_int_equal(gb_dataset_size(ds), 5);
	assert_int_equal(gb_dataset_num_classes(ds), 3);
	assert_string_equal(gb_dataset_class_name(ds, 2), "emu");
	/* One class at a time: cat, dog, emu, cat, emu. */
	static const char *const order[] = { "a.jpg", "c.JPEG", "d.jpg", "b.png", "e.jpg" };
	static const int64_t lab[] = { 0, 1, 2, 0, 2 };
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(base(gb_dataset_item_name(ds, i)), order[i]);
		assert_int_equal(gb_dataset_item_label(ds, i), lab[i]);
	}
	assert_int_equal(check_batches(ds, &o, 2, labels), 5);
	assert_memory_equal(labels, lab, sizeof lab);
	gb_dataset_free(ds);

	o.limit = 3;
	ds = open_ok("cls", &o);
	assert_int_equal(gb_dataset_size(ds), 3);
	assert_int_equal(check_batches(ds, &o, 4, labels), 3);
	gb_dataset_free(ds);
}

static void test_flat_with_labels(void **state)
{
	struct gb_dataset_options o;
	struct gb_dataset *ds;
	int64_t labels[8];
	char path[4096];

	(void)state;
	write_jpeg("flat/x.jpg", 40, 40, 6);
	write_png("flat/y y.png", 41, 39, 7);
	gbt_write(root, "flat/labels.txt", "# file label\nx.jpg 5\ny y.png 7\n");
	opts(&o, NULL);
	ds = open_ok("flat", &o);
	assert_int_equal(gb_dataset_size(ds), 2);
	assert_int_equal(gb_dataset_num_classes(ds), 8);
	assert_null(gb_dataset_class_name(ds, 5));
	assert_int_equal(check_batches(ds, &o, 3, labels), 2);
	assert_int_equal(labels[0], 5);
	assert_int_equal(labels[1], 7);
	gb_dataset_free(ds);

	/* An image the label file does not list. */
	write_jpeg("flat/z.jpg", 40, 40, 8);
	assert_int_equal(open_err("flat", &o), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "missing label for"));
	assert_non_null(strstr(gb_error_msg(), "z.jpg"));
	o.skip_bad = 1;
	ds = open_ok("flat", &o);
	struct gb_dataset_stats st;
	gb_dataset_stats(ds, &st);
	assert_int_equal(st.items, 2);
	assert_int_equal(st.skipped, 1);
	assert_non_null(strstr(gb_dataset_skipped_reason(ds, 0), "z.jpg"));
	gb_dataset_free(ds);

	/* The label file itself as PATH lists exactly what it names. */
	o.skip_bad = 0;
	ds = open_ok("flat/labels.txt", &o);
	assert_int_equal(gb_dataset_size(ds), 2);
	gb_dataset_free(ds);

	/* A line without a label. */
	gbt_write(root, "flat/bad.txt", "x.jpg 5\ny y.png\n");
	snprintf(path, sizeof path, "flat/bad.txt");
	assert_int_equal(open_err(path, &o), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "bad.txt:2"));

	/* No labels at all. */
	write_jpeg("nolabels/a.jpg", 20, 20, 9);
	assert_int_equal(open_err("nolabels", &o), -ENOENT);
	if (!strstr(gb_error_msg(), "labels.txt"))
		fail_msg("%s", gb_error_msg());
}

static void test_bad_images(void **state)
{
	struct gb_dataset_options o;
	struct gb_dataset *ds;
	struct gb_dataset_stats st;
	struct gb_tensor t[1];
	int64_t labels[8];
	size_t got;

	(void)state;
	write_jpeg("bad/a/one.jpg", 40, 30, 10);
	write_jpeg("bad/b/two.jpg", 40, 30, 11);
	gbt_write(root, "bad/b/broken.jpg", "\xff\xd8\xff garbage");
	for (int cache = 0; cache < 2; cache++) {
		opts(&o, cache ? "cache-bad" : NULL);
		ds = open_ok("bad", &o);
		assert_int_equal(gb_dataset_size(ds), 3);
		assert_int_equal(gb_dataset_batch_alloc(ds, 4, t), 0);
		assert_int_equal(gb_dataset_next(ds, 4, t, labels, &got), -EBADMSG);
		assert_non_null(strstr(gb_error_msg(), "broken.jpg"));
		gb_dataset_batch_free(ds, t);
		gb_dataset_free(ds);

		o.skip_bad = 1;
		for (int round = 0; round < 2; round++) {	/* second: a cache hit */
			ds = open_ok("bad", &o);
			assert_int_equal(check_batches(ds, &o, 4, labels), 2);
			gb_dataset_stats(ds, &st);
			assert_int_equal(st.skipped, 1);
			assert_non_null(strstr(gb_dataset_skipped_reason(ds, 0), "broken.jpg"));
			assert_int_equal(st.cache_hit, cache && round == 1);
			gb_dataset_free(ds);
		}
	}
	/* An empty class folder. */
	write_jpeg("emptycls/a/x.jpg", 20, 20, 12);
	{
		char p[4096];

		snprintf(p, sizeof p, "%s/emptycls/b", root);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	opts(&o, NULL);
	assert_int_equal(open_err("emptycls", &o), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "empty folder"));
	assert_non_null(strstr(gb_error_msg(), "emptycls/b"));
	o.skip_bad = 1;
	ds = open_ok("emptycls", &o);
	assert_int_equal(gb_dataset_num_classes(ds), 2);	/* b keeps its index */
	gb_dataset_free(ds);
	/* An empty folder. */
	{
		char p[4096];

		snprintf(p, sizeof p, "%s/nothing", root);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	o.skip_bad = 0;
	assert_int_equal(open_err("nothing", &o), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "empty folder"));
	assert_int_equal(open_err("does-not-exist", &o), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "does-not-exist"));
}

static void prepare_stats(const char *rel, const struct gb_dataset_options *o,
			  struct gb_dataset_stats *st)
{
	struct gb_dataset *ds = open_ok(rel, o);

	if (gb_dataset_prepare(ds))
		fail_msg("%s", gb_error_msg());
	gb_dataset_stats(ds, st);
	gb_dataset_free(ds);
}

static void test_cache(void **state)
{
	struct gb_dataset_options o;
	struct gb_dataset_stats a, b, c, d;
	struct gb_dataset *ds;
	int64_t labels[8];
	char path[4096];
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	(void)state;
	write_jpeg("cached/p/1.jpg", 64, 48, 13);
	write_jpeg("cached/p/2.jpg", 48, 64, 14);
	write_png("cached/q/3.png", 50, 50, 15);
	opts(&o, "cache-c");
	o.threads = 2;
	prepare_stats("cached", &o, &a);
	assert_true(a.cache_used);
	assert_false(a.cache_hit);
	assert_int_equal(a.decoded, 3);
	assert_int_equal(access(a.cache_path, R_OK), 0);
	assert_non_null(strstr(a.cache_path, "/cache-c/images-"));

	/* Same files, same preprocessing: nothing decoded, same tensors. */
	o.threads = 1;
	prepare_stats("cached", &o, &b);
	assert_true(b.cache_hit);
	assert_int_equal(b.decoded, 0);
	assert_string_equal(a.cache_path, b.cache_path);
	ds = open_ok("cached", &o);
	assert_int_equal(check_batches(ds, &o, 2, labels), 3);
	gb_dataset_free(ds);

	/* mean/std are applied on read: not part of the key. */
	o.image.mean[0] = 0.5f;
	prepare_stats("cached", &o, &b);
	assert_true(b.cache_hit);
	/* Other preprocessing: a miss. */
	o.image.interp = GB_INTERP_BICUBIC;
	prepare_stats("cached", &o, &c);
	assert_false(c.cache_hit);
	assert_string_not_equal(c.cache_path, a.cache_path);
	o.image.interp = GB_INTERP_BILINEAR;

	/* A file's mtime changes: a miss, a new cache. */
	snprintf(path, sizeof path, "%s/cached/p/2.jpg", root);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	prepare_stats("cached", &o, &d);
	assert_false(d.cache_hit);
	assert_int_equal(d.decoded, 3);
	assert_string_not_equal(d.cache_path, a.cache_path);
	prepare_stats("cached", &o, &d);
	assert_true(d.cache_hit);

	/* A damaged cache file is rebuilt, not trusted. */
	assert_int_equal(truncate(d.cache_path, 100), 0);
	prepare_stats("cached", &o, &d);
	assert_false(d.cache_hit);
	assert_int_equal(d.decoded, 3);
	ds = open_ok("cached", &o);
	assert_int_equal(check_batches(ds, &o, 3, labels), 3);
	gb_dataset_free(ds);

	/* Default location: $XDG_CACHE_HOME/greenbench/images (tests/run.sh
	 * sets GREENBENCH_CACHE_DIR, which would win). */
	char *given = getenv("GREENBENCH_CACHE_DIR") ? strdup(getenv("GREENBENCH_CACHE_DIR")) : NULL;

	unsetenv("GREENBENCH_CACHE_DIR");
	snprintf(path, sizeof path, "%s/xdg", root);
	setenv("XDG_CACHE_HOME", path, 1);
	o.cache_dir = NULL;
	prepare_stats("cached", &o, &d);
	assert_true(strncmp(d.cache_path, path, strlen(path)) == 0);
	assert_non_null(strstr(d.cache_path, "/xdg/greenbench/images/images-"));
	unsetenv("XDG_CACHE_HOME");
	if (given)
		setenv("GREENBENCH_CACHE_DIR", given, 1);
	free(given);
}

static void write_vocab(void)
{
	gbt_write(root, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\ngood\nbad\nmovie\n##s\n!\n.\n");
}

/* The input_ids row of each item, as text "id id id ..." up to [SEP]. */
static void text_rows(struct gb_dataset *ds, char rows[][64], int64_t *labels, size_t *n)
{
	struct gb_tensor t[3];
	size_t got, seq = (size_t)gb_dataset_input_info(ds, 0)->dims[1];

	assert_int_equal(gb_dataset_input_count(ds), 3);
	assert_string_equal(gb_dataset_input_info(ds, 2)->name, "token_type_ids");
	assert_int_equal(gb_dataset_batch_alloc(ds, 8, t), 0);
	gb_dataset_rewind(ds);
	if (gb_dataset_next(ds, 8, t, labels, &got))
		fail_msg("%s", gb_error_msg());
	for (size_t k = 0; k < got; k++) {
		const int64_t *ids = (int64_t *)t[0].data + k * seq;
		const int64_t *mask = (int64_t *)t[1].data + k * seq;
		size_t len = 0;

		rows[k][0] = '\0';
		for (size_t j = 0; j < seq && mask[j]; j++)
			len += (size_t)snprintf(rows[k] + len, 64 - len, "%s%lld", j ? " " : "", (long long)ids[j]);
	}
	*n = got;
	gb_dataset_batch_free(ds, t);
}

static void test_text(void **state)
{
	struct gb_dataset_options o;
	struct gb_dataset *ds;
	char rows[8][64], vocab[4096];
	int64_t labels[8];
	size_t n;

	(void)state;
	write_vocab();
	snprintf(vocab, sizeof vocab, "%s/vocab.txt", root);
	gbt_write(root, "aclImdb/test/pos/1_9.txt", "Good movies!");
	gbt_write(root, "aclImdb/test/pos/2_8.txt", "good");
	gbt_write(root, "aclImdb/test/neg/3_1.txt", "Bad. Bad movie");
	gbt_write(root, "aclImdb/test/unsup/x.txt", "ignored");
	gb_dataset_options_init(&o);
	o.seq = 6;
	assert_int_equal(open_err("aclImdb", &o), -EINVAL);	/* no vocabulary */
	assert_non_null(strstr(gb_error_msg(), "vocab"));
	o.vocab = vocab;
	ds = open_ok("aclImdb", &o);
	assert_int_equal(gb_dataset_kind(ds), GB_DATASET_TEXT);
	assert_int_equal(gb_dataset_size(ds), 3);
	assert_int_equal(gb_dataset_num_classes(ds), 2);
	text_rows(ds, rows, labels, &n);
	assert_int_equal(n, 3);
	/* neg and pos alternate: neg/3_1, pos/1_9, pos/2_8; truncated to 6. */
	assert_int_equal(labels[0], 0);
	assert_string_equal(rows[0], "2 5 9 5 6 3");
	assert_int_equal(labels[1], 1);
	assert_string_equal(rows[1], "2 4 6 7 8 3");
	assert_string_equal(rows[2], "2 4 3");
	gb_dataset_free(ds);

	/* Non-UTF-8 text: named, or skipped. */
	gbt_write(root, "aclImdb/test/neg/4_2.txt", "bad \xff\xfe");
	ds = open_ok("aclImdb", &o);
	{
		struct gb_tensor t[3];
		size_t got;

		assert_int_equal(gb_dataset_batch_alloc(ds, 8, t), 0);
		assert_int_equal(gb_dataset_next(ds, 8, t, labels, &got), -EILSEQ);
		assert_non_null(strstr(gb_error_msg(), "4_2.txt"));
		assert_non_null(strstr(gb_error_msg(), "invalid UTF-8 at byte 4"));
		gb_dataset_batch_free(ds, t);
	}
	gb_dataset_free(ds);
	o.skip_bad = 1;
	ds = open_ok("aclImdb/test", &o);
	text_rows(ds, rows, labels, &n);
	assert_int_equal(n, 3);
	{
		struct gb_dataset_stats st;

		gb_dataset_stats(ds, &st);
		assert_int_equal(st.skipped, 1);
		assert_false(st.cache_used);
	}
	gb_dataset_free(ds);
	o.skip_bad = 0;

	/* TSV with a header, labels as numbers or words. */
	gbt_write(root, "reviews.tsv", "text\tlabel\nGood movie\t1\nbad\tnegative\n");
	ds = open_ok("reviews.tsv", &o);
	text_rows(ds, rows, labels, &n);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0], "2 4 6 3");
	assert_int_equal(labels[0], 1);
	assert_int_equal(labels[1], 0);
	assert_string_equal(gb_dataset_item_name(ds, 1) + strlen(gb_dataset_item_name(ds, 1)) - 13,
			    "reviews.tsv:3");
	gb_dataset_free(ds);
	gbt_write(root, "nolabel.tsv", "good\t1\nno label here\n");
	assert_int_equal(open_err("nolabel.tsv", &o), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "nolabel.tsv:2"));

	/* JSONL. */
	gbt_write(root, "reviews.jsonl", "{\"text\": \"Movies!\", \"label\": \"pos\"}\n"
					 "{\"text\": \"bad\", \"label\": 0}\n");
	ds = open_ok("reviews.jsonl", &o);
	text_rows(ds, rows, labels, &n);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0], "2 6 7 8 3");
	assert_int_equal(labels[0], 1);
	gb_dataset_free(ds);
	gbt_write(root, "nolabel.jsonl", "{\"text\": \"bad\"}\n");
	assert_int_equal(open_err("nolabel.jsonl", &o), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "nolabel.jsonl:1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_folders),
		cmocka_unit_test(test_flat_with_labels),
		cmocka_unit_test(test_bad_images),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
