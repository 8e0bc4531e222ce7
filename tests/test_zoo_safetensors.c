/*
 * The safetensors reader on images built here: good files (F32, F16, BF16,
 * metadata), wrong shapes and dtypes, missing tensors, truncated and
 * corrupt headers, seeded random garbage; and the file path (mmap).
 * Also the half/bfloat16 conversions the zoo uses on loaded weights.
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/safetensors.h"
#include "model/half.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 8-byte length + header + data, in a malloc'd buffer. */
static unsigned char *image(const char *header, const void *data, size_t data_len, size_t *len)
{
	size_t h = strlen(header);
	unsigned char *buf = malloc(8 + h + data_len + 1);

	assert_non_null(buf);
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(buf + 8, header, h);
	if (data_len)
		memcpy(buf + 8 + h, data, data_len);
	*len = 8 + h + data_len;
	return buf;
}

/* Parse must fail with a message containing want (and the label). */
static void bad(const char *header, size_t data_len, const char *want)
{
	unsigned char zeros[256] = { 0 }, *buf;
	struct gb_safetensors *st = NULL;
	size_t len;
	int ret;

	buf = image(header, zeros, data_len, &len);
	ret = gb_safetensors_parse(buf, len, "x.safetensors", &st);
	if (ret >= 0 || !strstr(gb_error_msg(), want) || !strstr(gb_error_msg(), "'x.safetensors'"))
		fail_msg("header %s: ret %d, message '%s', want '%s'", header, ret, gb_error_msg(), want);
	assert_null(st);
	free(buf);
}

static void test_good(void **s)
{
	const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
			  "\"b.h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]},"
			  "\"a.w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
			  "\"c.bf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[28,30]},"
			  "\"d.s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[30,38]}}";
	unsigned char data[38];
	float w[6] = { 1, -2, 3.5f, 0, 1e-3f, 7 };
	uint16_t h[2] = { 0x3c00, 0xc000 }, bf = 0x4049;	/* 1, -2, 3.140625 */
	int64_t sc = -5;
	struct gb_safetensors *st = NULL;
	const struct gb_st_tensor *t;
	const int64_t dw[2] = { 2, 3 }, dh[1] = { 2 }, db[1] = { 1 };
	unsigned char *buf;
	size_t len;

	(void)s;
	memcpy(data, w, 24);
	memcpy(data + 24, h, 4);
	memcpy(data + 28, &bf, 2);
	memcpy(data + 30, &sc, 8);
	buf = image(hdr, data, sizeof data, &len);
	assert_int_equal(gb_safetensors_parse(buf, len, "good", &st), 0);
	assert_int_equal(gb_safetensors_count(st), 4);
	/* sorted by name, metadata left out */
	assert_string_equal(gb_safetensors_at(st, 0)->name, "a.w");
	assert_string_equal(gb_safetensors_at(st, 3)->name, "d.s");
	assert_null(gb_safetensors_at(st, 4));
	assert_null(gb_safetensors_find(st, "__metadata__"));

	assert_int_equal(gb_safetensors_get_float(st, "a.w", 2, dw, &t), 0);
	assert_int_equal(t->dtype, GB_DTYPE_F32);
	assert_int_equal(t->bytes, 24);
	assert_memory_equal(t->data, w, 24);
	assert_int_equal(gb_safetensors_get_float(st, "b.h", 1, dh, &t), 0);
	assert_int_equal(t->dtype, GB_DTYPE_F16);
	assert_true(gb_half_to_float(((const uint16_t *)t->data)[1]) == -2.0f);
	assert_int_equal(gb_safetensors_get_float(st, "c.bf", 1, db, &t), 0);
	assert_true(gb_bf16_to_float(*(const uint16_t *)t->data) == 3.140625f);
	t = gb_safetensors_find(st, "d.s");
	assert_non_null(t);
	assert_int_equal(t->rank, 0);
	assert_int_equal(t->dtype, GB_DTYPE_I64);

	/* errors name the tensor and the file */
	assert_int_equal(gb_safetensors_get_float(st, "nope.weight", 1, dh, &t), -ENOENT);
	assert_string_equal(gb_error_msg(), "weights 'good': missing tensor 'nope.weight'");
	assert_int_equal(gb_safetensors_get_float(st, "a.w", 2, (const int64_t[2]){ 3, 2 }, &t), -EINVAL);
	assert_string_equal(gb_error_msg(), "weights 'good': tensor 'a.w' has shape [2,3], expected [3,2]");
	assert_int_equal(gb_safetensors_get_float(st, "a.w", 1, (const int64_t[1]){ 6 }, &t), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "expected [6]"));
	assert_int_equal(gb_safetensors_get_float(st, "d.s", 0, NULL, &t), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "tensor 'd.s' is int64, expected a float type"));
	gb_safetensors_free(st);
	free(buf);
}

static void test_corrupt_headers(void **s)
{
	(void)s;
	bad("[1,2]", 0, "header is not a JSON object");
	bad("{}x", 0, "header is not a JSON object");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],", 0, "header is not a JSON object");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'a': entry lacks dtype, shape or data_offsets");
	bad("{\"a\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "tensor 'a': unsupported dtype 'F8'");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "tensor 'a': bad shape");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "tensor 'a': bad shape");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "bad shape");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
	    "shape too large");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "tensor 'a': bad data_offsets");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "tensor 'a': bad data_offsets");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8,
	    "tensor 'a': 4 data bytes for 2 elements of float32");
	bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	    "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a' appears twice");
}

static void test_truncated(void **s)
{
	const char *hdr = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
	struct gb_safetensors *st = NULL;
	unsigned char zeros[16] = { 0 }, *buf;
	size_t len;

	(void)s;
	buf = image(hdr, zeros, sizeof zeros, &len);
	assert_int_equal(gb_safetensors_parse(buf, len, "t", &st), 0);
	gb_safetensors_free(st);
	st = NULL;
	/* every shorter prefix fails, without reading past the end (ASan) */
	for (size_t cut = 1; cut <= len; cut++) {
		unsigned char *p = malloc(len - cut + 1);

		memcpy(p, buf, len - cut);
		assert_true(gb_safetensors_parse(p, len - cut, "t", &st) < 0);
		assert_null(st);
		if (len - cut >= 8 + strlen(hdr))
			assert_non_null(strstr(gb_error_msg(), "tensor 'w': data ends at byte 16"));
		free(p);
	}
	free(buf);
}

static void test_random_garbage(void **s)
{
	struct gb_safetensors *st = NULL;
	unsigned char buf[512];
	uint64_t x = 12345;
	int accepted = 0;

	(void)s;
	/* Garbage behind a plausible length and a '{', and fully random. */
	for (int round = 0; round < 2000; round++) {
		size_t len = 8 + (size_t)(round % 500);

		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (unsigned char)x;
		}
		if (round & 1) {
			uint64_t h = (uint64_t)(round % (int)(len - 8) + 1);
			for (int i = 0; i < 8; i++)
				buf[i] = (unsigned char)(h >> (8 * i));
			buf[8] = '{';
		}
		if (gb_safetensors_parse(buf, len, "g", &st) == 0) {
			accepted++;
			gb_safetensors_free(st);
			st = NULL;
		} else {
			assert_non_null(strstr(gb_error_msg(), "weights 'g'"));
		}
	}
	assert_int_equal(accepted, 0);
}

static void test_open_file(void **s)
{
	const char *hdr = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
	float v[2] = { 0.5f, -0.25f };
	struct gb_safetensors *st = NULL;
	const struct gb_st_tensor *t;
	char *dir = gbt_mkdtemp(), path[4200];
	unsigned char *buf;
	size_t len;
	FILE *f;

	(void)s;
	buf = image(hdr, v, sizeof v, &len);
	snprintf(path, sizeof path, "%s/w.safetensors", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	assert_int_equal(gb_safetensors_open(path, &st), 0);
	assert_int_equal(gb_safetensors_get_float(st, "w", 1, (const int64_t[1]){ 2 }, &t), 0);
	assert_memory_equal(t->data, v, sizeof v);
	gb_safetensors_free(st);

	assert_int_equal(gb_safetensors_open(dir, &st), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "not a safetensors file"));
	snprintf(path, sizeof path, "%s/absent.safetensors", dir);
	assert_int_equal(gb_safetensors_open(path, &st), -ENOENT);
	assert_non_null(strstr(gb_error_msg(), "No such file or directory"));
	gbt_rm_rf(dir);
	free(dir);
	free(buf);
}

/* Every half survives half -> float -> half; floats round to the nearest
 * half (ties to even), overflow to inf, underflow through subnormals. */
static void test_half(void **s)
{
	uint64_t x = 99;

	(void)s;
	for (uint32_t h = 0; h < 0x10000; h++) {
		float f = gb_half_to_float((uint16_t)h);
		if (isnan(f))
			assert_true(isnan(gb_half_to_float(gb_half_from_float(f))));
		else
			assert_int_equal(gb_half_from_float(f), h);
	}
	assert_true(gb_half_to_float(0x0001) == ldexpf(1, -24));
	assert_true(gb_half_to_float(0x7bff) == 65504.0f);
	assert_int_equal(gb_half_from_float(65520.0f), 0x7c00);	/* halfway to 2^16: rounds to inf */
	assert_int_equal(gb_half_from_float(65519.0f), 0x7bff);
	assert_int_equal(gb_half_from_float(ldexpf(1, -25)), 0);	/* tie to even (0) */
	assert_int_equal(gb_half_from_float(ldexpf(3, -25)), 2);	/* tie to even (2) */
	assert_int_equal(gb_half_from_float(1.0f + ldexpf(1, -11)), 0x3c00);
	assert_int_equal(gb_half_from_float(1.0f + ldexpf(3, -11)), 0x3c02);
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		float f = ldexpf((float)(x % 2000000) / 1000000.0f - 1.0f, (int)((x >> 32) % 40) - 25);
		uint16_t h = gb_half_from_float(f);
		double err = fabs((double)gb_half_to_float(h) - f);
		/* no neighbour is nearer */
		assert_true(err <= fabs((double)gb_half_to_float((uint16_t)(h + 1)) - f));
		if (h & 0x7fff)
			assert_true(err <= fabs((double)gb_half_to_float((uint16_t)(h - 1)) - f));
	}
	assert_true(gb_bf16_to_float(0xbf80) == -1.0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_corrupt_headers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
