/*
 * Image preprocessing against torchvision: tests/helpers/image_ref.py
 * writes JPEG/PNG images and torchvision's eval-transform tensors; the C
 * path must agree within 1e-2 per element (it is designed to agree to
 * float rounding). Also: DCT scaling's measured deviation, decoding
 * errors, and the pure size/crop helpers.
 */
#include "lib/gbtest.h"
#include "greenbench/image.h"
#include "greenbench/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *refdir;

static const char *python(void)
{
	const char *p = getenv("GB_PYTHON");

	return p && *p ? p : "/usr/bin/python3";
}

static int have_torchvision(void)
{
	char cmd[512];
	int ok;

	snprintf(cmd, sizeof cmd, "%s -c 'import torchvision, PIL' 2>/dev/null", python());
	ok = gbt_run(cmd, NULL) == 0;
	if (!ok)
		printf("skip: %s has no torchvision/PIL (Debian python3-torchvision python3-pil; "
		       "or set GB_PYTHON)\n", python());
	return ok;
}

static int setup(void **state)
{
	char cmd[8192];

	(void)state;
	refdir = gbt_mkdtemp();
	if (!have_torchvision())
		return 0;
	snprintf(cmd, sizeof cmd, "%s '%s/tests/helpers/image_ref.py' '%s'", python(),
		 getenv("GB_SRCDIR"), refdir);
	assert_int_equal(gbt_run(cmd, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gbt_rm_rf(refdir);
	free(refdir);
	return 0;
}

static float *read_f32(const char *path, size_t n)
{
	FILE *f = fopen(path, "rb");
	float *v = malloc(n * sizeof *v);

	assert_non_null(f);
	assert_non_null(v);
	assert_int_equal(fread(v, sizeof *v, n, f), n);
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
	return v;
}

/* Run every manifest row through the C path with the given DCT mode;
 * return the largest |difference| seen, and count rows. */
static double compare_all(enum gb_dct_scaling dct, int *rows, FILE *log)
{
	char path[4096], line[512], img[256], interp[32], ref[64];
	unsigned resize, crop;
	double worst = 0;
	FILE *man;

	snprintf(path, sizeof path, "%s/manifest.txt", refdir);
	man = fopen(path, "r");
	assert_non_null(man);
	*rows = 0;
	while (fgets(line, sizeof line, man)) {
		struct gb_image_prep p;
		size_t n;
		uint8_t *hwc;
		float *got, *want;
		double d = 0;

		assert_int_equal(sscanf(line, "%255s %u %u %31s %63s", img, &resize, &crop, interp, ref), 5);
		gb_image_prep_init(&p);
		p.resize = resize;
		p.crop_w = p.crop_h = crop;
		p.dct = dct;
		assert_int_equal(gb_interp_parse(interp, &p.interp), 0);
		n = (size_t)3 * crop * crop;
		hwc = malloc(n);
		got = malloc(n * sizeof *got);
		snprintf(path, sizeof path, "%s/%s", refdir, img);
		if (gb_image_load(path, &p, hwc))
			fail_msg("%s", gb_error_msg());
		gb_image_normalize(hwc, crop, crop, &p, got);
		snprintf(path, sizeof path, "%s/%s", refdir, ref);
		want = read_f32(path, n);
		for (size_t i = 0; i < n; i++)
			if (fabs((double)got[i] - want[i]) > d)
				d = fabs((double)got[i] - want[i]);
		if (log)
			fprintf(log, "  %-28s %3u/%3u %-8s max|diff| %.6f\n", img, resize, crop, interp, d);
		if (d > worst)
			worst = d;
		(*rows)++;
		free(hwc);
		free(got);
		free(want);
	}
	fclose(man);
	return worst;
}

static void test_equals_torchvision(void **state)
{
	int rows;
	double worst;

	(void)state;
	if (!have_torchvision())
		skip();
	worst = compare_all(GB_DCT_OFF, &rows, stdout);
	assert_true(rows >= 20);
	printf("exact decode: worst max|diff| %.3g over %d cases\n", worst, rows);
	assert_true(worst < 1e-2);
	/* Designed to be exact: pixels equal Pillow's, floats torch's. */
	assert_true(worst < 1e-6);
}

/* DCT scaling is a speed option that changes pixels; record by how much
 * (docs/data.md quotes these lines) and check it stays an approximation. */
static void test_dct_scaling_measured(void **state)
{
	int rows;
	double half, any;

	(void)state;
	if (!have_torchvision())
		skip();
	half = compare_all(GB_DCT_HALF, &rows, NULL);
	any = compare_all(GB_DCT_ANY, &rows, NULL);
	printf("dct scaling: worst max|diff| half %.3f, any %.3f (tolerance 0.01)\n", half, any);
	assert_true(any < 3.0);
}

static void test_dims_and_crop(void **state)
{
	uint32_t w, h;
	struct gb_image im = { 5, 3, 1, NULL };
	uint8_t px[15], out[7 * 7 * 3];

	(void)state;
	gb_image_resize_dims(500, 375, 256, &w, &h);
	assert_int_equal(w, 341);	/* int(256 * 500 / 375) = int(341.33) */
	assert_int_equal(h, 256);
	gb_image_resize_dims(375, 500, 256, &w, &h);
	assert_int_equal(w, 256);
	assert_int_equal(h, 341);
	gb_image_resize_dims(10, 10, 0, &w, &h);
	assert_int_equal(w, 10);
	/* No resize, crop larger than the image: torchvision pads with 0,
	 * left/top = (crop - size) // 2. */
	for (int i = 0; i < 15; i++)
		px[i] = (uint8_t)(10 + i);
	im.px = px;
	assert_int_equal(gb_image_resize_crop(&im, 5, 3, GB_INTERP_BILINEAR, 7, 7, out), 0);
	/* rows 2..4, columns 1..5 hold the image, gray replicated to RGB */
	assert_int_equal(out[(2 * 7 + 1) * 3], 10);
	assert_int_equal(out[(2 * 7 + 1) * 3 + 2], 10);
	assert_int_equal(out[(4 * 7 + 5) * 3 + 1], 24);
	assert_int_equal(out[(1 * 7 + 1) * 3], 0);
	assert_int_equal(out[(2 * 7 + 0) * 3], 0);
	assert_int_equal(out[(2 * 7 + 6) * 3], 0);
	/* Center crop offset uses banker's rounding: (5 - 2) / 2 = 1.5 -> 2. */
	assert_int_equal(gb_image_resize_crop(&im, 5, 3, GB_INTERP_BILINEAR, 2, 3, out), 0);
	assert_int_equal(out[0], 12);
}

static void test_bad_images(void **state)
{
	char *dir = gbt_mkdtemp(), path[4096];
	struct gb_image im;
	struct gb_image_prep p;
	uint8_t out[224 * 224 * 3];
	FILE *f;

	(void)state;
	gb_image_prep_init(&p);
	snprintf(path, sizeof path, "%s/missing.jpg", dir);
	assert_int_equal(gb_image_decode(path, GB_DCT_OFF, 0, &im), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "missing.jpg"));

	gbt_write(dir, "text.jpg", "hello, not a picture");
	snprintf(path, sizeof path, "%s/text.jpg", dir);
	assert_int_equal(gb_image_load(path, &p, out), -EBADMSG);
	assert_non_null(strstr(gb_error_msg(), "text.jpg"));
	assert_non_null(strstr(gb_error_msg(), "not a JPEG or PNG"));

	/* A JPEG header followed by garbage. */
	snprintf(path, sizeof path, "%s/corrupt.jpg", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("\xff\xd8\xff\xe0\x00\x10JFIF\x00garbagegarbage", 1, 25, f);
	fclose(f);
	assert_int_equal(gb_image_decode(path, GB_DCT_OFF, 0, &im), -EBADMSG);
	assert_non_null(strstr(gb_error_msg(), "corrupt.jpg"));

	/* A PNG signature with a broken chunk. */
	snprintf(path, sizeof path, "%s/corrupt.png", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDRxxxxxxxxxxxxx", 1, 29, f);
	fclose(f);
	assert_int_equal(gb_image_decode(path, GB_DCT_OFF, 0, &im), -EBADMSG);
	assert_non_null(strstr(gb_error_msg(), "corrupt.png"));
	gbt_rm_rf(dir);
	free(dir);
}

/* Truncating a real JPEG must fail (Pillow refuses it), not pad with gray. */
static void test_truncated_jpeg(void **state)
{
	char src[4096], dst[4096];
	FILE *f;
	uint8_t *buf;
	long n;
	struct gb_image im;

	(void)state;
	if (!have_torchvision())
		skip();
	snprintf(src, sizeof src, "%s/img00_500x375_RGB.jpg", refdir);
	f = fopen(src, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(gb_image_decode_mem("whole.jpg", buf, (size_t)n, GB_DCT_OFF, 0, &im), 0);
	assert_int_equal(im.w, 500);
	assert_int_equal(im.h, 375);
	assert_int_equal(im.channels, 3);
	gb_image_release(&im);
	/* DCT scaling picks the smallest M/8 with short side >= 256: 6/8. */
	assert_int_equal(gb_image_decode_mem("whole.jpg", buf, (size_t)n, GB_DCT_ANY, 256, &im), 0);
	assert_int_equal(im.h, 282);
	gb_image_release(&im);
	assert_int_equal(gb_image_decode_mem("whole.jpg", buf, (size_t)n, GB_DCT_HALF, 256, &im), 0);
	assert_int_equal(im.h, 375);	/* 1/2 would give 188 < 256 */
	gb_image_release(&im);
	/* Only the EOI marker missing: Pillow says "image file is truncated". */
	assert_int_equal(buf[n - 2], 0xff);
	assert_int_equal(buf[n - 1], 0xd9);
	assert_int_equal(gb_image_decode_mem("noeoi.jpg", buf, (size_t)n - 2, GB_DCT_OFF, 0, &im), -EBADMSG);
	snprintf(dst, sizeof dst, "%s/cut.jpg", refdir);
	assert_int_equal(gb_image_decode_mem(dst, buf, (size_t)n / 2, GB_DCT_OFF, 0, &im), -EBADMSG);
	assert_non_null(strstr(gb_error_msg(), "cut.jpg"));
	assert_non_null(strstr(gb_error_msg(), "truncated"));
	free(buf);
}

static void test_prep_set(void **state)
{
	struct gb_image_prep p;

	(void)state;
	gb_image_prep_init(&p);
	assert_int_equal(gb_image_prep_set(&p, "resize", "232"), 0);
	assert_int_equal(p.resize, 232);
	assert_int_equal(gb_image_prep_set(&p, "crop", "200x100"), 0);
	assert_int_equal(p.crop_w, 200);
	assert_int_equal(p.crop_h, 100);
	assert_int_equal(gb_image_prep_set(&p, "crop", "299"), 0);
	assert_int_equal(p.crop_h, 299);
	assert_int_equal(gb_image_prep_set(&p, "interp", "bicubic"), 0);
	assert_int_equal(p.interp, GB_INTERP_BICUBIC);
	assert_int_equal(gb_image_prep_set(&p, "mean", "0.5,0.25,0"), 0);
	assert_true(p.mean[0] == 0.5f && p.mean[1] == 0.25f && p.mean[2] == 0.0f);
	assert_int_equal(gb_image_prep_set(&p, "dct", "half"), 0);
	assert_int_equal(p.dct, GB_DCT_HALF);
	/* Rejected values leave the options as they were. */
	assert_int_equal(gb_image_prep_set(&p, "std", "0.2,0,0.2"), -EINVAL);
	assert_string_equal(gb_error_msg(), "invalid std '0.2,0,0.2': expected three positive numbers, comma-separated");
	assert_true(p.std[1] == 0.224f);
	assert_int_equal(gb_image_prep_set(&p, "mean", "1,2"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "mean", "1,2,3,4"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "crop", "0"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "crop", "20x"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "resize", "-1"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "resize", "99999"), -EINVAL);
	assert_int_equal(gb_image_prep_set(&p, "interp", "nearest"), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "'nearest'"));
	assert_int_equal(gb_image_prep_set(&p, "gamma", "2"), -EINVAL);
	assert_string_equal(gb_error_msg(), "unknown image preprocessing option 'gamma'");
	assert_int_equal(p.crop_w, 299);
	assert_int_equal(p.resize, 232);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equals_torchvision),
		cmocka_unit_test(test_dct_scaling_measured),
		cmocka_unit_test(test_dims_and_crop),
		cmocka_unit_test(test_prep_set),
		cmocka_unit_test(test_bad_images),
		cmocka_unit_test(test_truncated_jpeg),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
