/*
 * Decoding + preprocessing of ImageNet-sized JPEGs (500x375 and 375x500,
 * quality 90, photo-like content generated here), one thread, through
 * gb_image_load() + gb_image_normalize() as a dataset does without cache.
 * Prints images/s (median of 5 runs) for exact decoding and for the two
 * DCT-scaling modes, and the cache-read rate, with ratios to exact.
 *
 *   build/bench/bench_preprocess [N_IMAGES]
 */
#include "bench_util.h"
#include "greenbench/image.h"
#include "greenbench/dataset.h"
#include "greenbench/error.h"
#include "greenbench/time.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>

#define RUNS 5

/* Smooth shapes plus fine texture and noise: entropy like a photograph. */
static void photo(uint8_t *px, unsigned w, unsigned h, unsigned seed)
{
	unsigned r = seed * 2654435761u + 1;

	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			for (unsigned c = 0; c < 3; c++) {
				double v = 128 + 60 * sin(x * 0.013 * (c + 1) + seed) * cos(y * 0.021 + c) +
					   25 * sin((x + y) * 0.2 + seed * 0.7) +
					   (((x / 40 + y / 30 + seed) % 4) == 0 ? 40 : 0);
				r = r * 1103515245u + 12345u;
				v += (double)((r >> 16) % 21) - 10;
				px[((size_t)y * w + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
}

static int write_jpeg(const char *path, unsigned w, unsigned h, unsigned seed)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	uint8_t *px = malloc((size_t)w * h * 3);
	FILE *f = fopen(path, "wb");

	if (!px || !f) {
		free(px);
		if (f)
			fclose(f);
		return -1;
	}
	photo(px, w, h, seed);
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
	return 0;
}

/* Rates are per CPU-second of this thread (bench_thread_cpu_ns), so other
 * load on the machine does not count against it ("per core"); wall time is
 * shown beside. */
static double wall_rate;

/* Median images/s of gb_image_load + normalize over all files. */
static double rate(char **files, int n, enum gb_dct_scaling dct)
{
	struct gb_image_prep p;
	uint8_t *px = malloc(224 * 224 * 3);
	float *out = malloc(224 * 224 * 3 * sizeof *out);
	double r[RUNS], w[RUNS];

	gb_image_prep_init(&p);
	p.dct = dct;
	for (int k = 0; k < RUNS; k++) {
		uint64_t t0 = bench_thread_cpu_ns(), w0 = gb_now_ns();

		for (int i = 0; i < n; i++) {
			if (gb_image_load(files[i], &p, px)) {
				fprintf(stderr, "error: %s\n", gb_error_msg());
				exit(1);
			}
			gb_image_normalize(px, 224, 224, &p, out);
		}
		r[k] = n / ((bench_thread_cpu_ns() - t0) / 1e9);
		w[k] = n / ((gb_now_ns() - w0) / 1e9);
	}
	free(px);
	free(out);
	qsort(r, RUNS, sizeof r[0], bench_cmp_d);
	qsort(w, RUNS, sizeof w[0], bench_cmp_d);
	wall_rate = w[RUNS / 2];
	return r[RUNS / 2];
}

/* Batches from a prepared cache: what repeated runs pay. */
static double cache_rate(const char *dir, int n)
{
	struct gb_dataset_options o;
	struct gb_dataset *ds = NULL;
	struct gb_tensor t[1];
	char cache[4200];
	double r[RUNS], w[RUNS];
	size_t got;

	gb_dataset_options_init(&o);
	snprintf(cache, sizeof cache, "%s/cache", dir);
	o.cache_dir = cache;
	if (gb_dataset_open(dir, &o, &ds) || gb_dataset_prepare(ds) || gb_dataset_batch_alloc(ds, 32, t)) {
		fprintf(stderr, "error: %s\n", gb_error_msg());
		exit(1);
	}
	for (int k = 0; k < RUNS; k++) {
		uint64_t t0 = bench_thread_cpu_ns(), w0 = gb_now_ns();

		gb_dataset_rewind(ds);
		do {
			if (gb_dataset_next(ds, 32, t, NULL, &got))
				exit(1);
		} while (got);
		r[k] = n / ((bench_thread_cpu_ns() - t0) / 1e9);
		w[k] = n / ((gb_now_ns() - w0) / 1e9);
	}
	gb_dataset_batch_free(ds, t);
	gb_dataset_free(ds);
	qsort(r, RUNS, sizeof r[0], bench_cmp_d);
	qsort(w, RUNS, sizeof w[0], bench_cmp_d);
	wall_rate = w[RUNS / 2];
	return r[RUNS / 2];
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	char tmpl[] = "/tmp/gb-bench-preprocess-XXXXXX", *dir = mkdtemp(tmpl), cmd[4200], lab[4200];
	char **files = calloc((size_t)n, sizeof *files);
	FILE *labels;

	if (!dir || !files || n <= 0)
		return 1;
	snprintf(lab, sizeof lab, "%s/labels.txt", dir);
	labels = fopen(lab, "w");
	for (int i = 0; i < n; i++) {
		files[i] = malloc(4200);
		snprintf(files[i], 4200, "%s/img%04d.jpg", dir, i);
		if (write_jpeg(files[i], i % 2 ? 375 : 500, i % 2 ? 500 : 375, (unsigned)i))
			return 1;
		fprintf(labels, "img%04d.jpg %d\n", i, i % 10);
	}
	fclose(labels);

	printf("bench_preprocess: %d JPEGs 500x375/375x500 q90, Resize(256) CenterCrop(224) Normalize, 1 thread\n", n);
	printf("  images per CPU-second of the thread (median of %d runs); wall-clock rate in brackets\n", RUNS);

	rate(files, n, GB_DCT_OFF);	/* warm-up: page cache, allocator, clocks */
	double exact = rate(files, n, GB_DCT_OFF);
	printf("  exact (torchvision-equal)   %8.1f images/s [%7.1f]  1.00x\n", exact, wall_rate);
	double half = rate(files, n, GB_DCT_HALF);
	printf("  dct scaling <= 1/2 only     %8.1f images/s [%7.1f]  %.2fx  (full size here: 1/2 < 256)\n", half,
	       wall_rate, half / exact);
	double any = rate(files, n, GB_DCT_ANY);
	printf("  dct scaling any M/8         %8.1f images/s [%7.1f]  %.2fx  (pixels differ from torchvision)\n",
	       any, wall_rate, any / exact);
	double cached = cache_rate(dir, n);
	printf("  from the cache (normalize)  %8.1f images/s [%7.1f]  %.2fx\n", cached, wall_rate, cached / exact);
	if (getenv("GB_BENCH_KEEP")) return 0;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return 0;
}
