/* The input generator: shapes from metadata, values by dtype and name. */
#include "lib/gbtest.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/inputs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static struct gb_tensor_info info(const char *name, enum gb_dtype t, int rank, const int64_t *dims,
				  const char *const *params)
{
	struct gb_tensor_info ti;

	memset(&ti, 0, sizeof ti);
	snprintf(ti.name, sizeof ti.name, "%s", name);
	ti.dtype = t;
	ti.rank = rank;
	for (int d = 0; d < rank; d++) {
		ti.dims[d] = dims[d];
		snprintf(ti.dim_params[d], sizeof ti.dim_params[d], "%s", params[d] ? params[d] : "");
	}
	return ti;
}

static const int64_t bs_seq[] = { -1, -1 };
static const char *const bs_seq_p[] = { "batch", "seq" };

static void test_dim_parse(void **st)
{
	struct gb_dim d;

	(void)st;
	assert_int_equal(gb_dim_parse("seq=128", &d), 0);
	assert_string_equal(d.name, "seq");
	assert_int_equal(d.value, 128);
	assert_int_equal(gb_dim_parse("seq", &d), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "invalid --dim 'seq'"));
	assert_int_equal(gb_dim_parse("=4", &d), -EINVAL);
	assert_int_equal(gb_dim_parse("seq=0", &d), -EINVAL);
	assert_int_equal(gb_dim_parse("seq=12x", &d), -EINVAL);
	assert_int_equal(gb_dim_parse("seq=-3", &d), -EINVAL);
}

static void test_resolve(void **st)
{
	static const int64_t img[] = { -1, 3, 224, 224 };
	static const char *const img_p[] = { "N", NULL, NULL, NULL };
	struct gb_tensor_info in[2], out[2];
	struct gb_input_config cfg;
	struct gb_dim dim = { "seq", 7 };
	uint64_t batch = 0;

	(void)st;
	gb_input_config_init(&cfg);
	in[0] = info("pixel_values", GB_DTYPE_F32, 4, img, img_p);
	cfg.batch = 8;
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), 0);
	assert_int_equal(batch, 8);
	assert_int_equal(out[0].dims[0], 8);
	assert_int_equal(out[0].dims[3], 224);

	/* seq unset: the error names the dim and the fix */
	in[0] = info("input_ids", GB_DTYPE_I64, 2, bs_seq, bs_seq_p);
	in[1] = info("attention_mask", GB_DTYPE_I64, 2, bs_seq, bs_seq_p);
	assert_int_equal(gb_inputs_resolve(in, 2, &cfg, out, &batch), -EINVAL);
	assert_string_equal(gb_error_msg(), "input 'input_ids' has symbolic dim 'seq': set --dim seq=N");
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_NONE);
	/* Only out-of-memory errors get the advice. */
	assert_int_equal(gb_bench_explain_oom(-EINVAL, 2), -EINVAL);
	assert_null(strstr(gb_error_msg(), "lower --batch"));
	gb_error_set(-ENOMEM, "out of memory for 9 latencies"); /* -ENOMEM, but not the batch's */
	assert_int_equal(gb_bench_explain_oom(-ENOMEM, 2), -ENOMEM);
	assert_string_equal(gb_error_msg(), "out of memory for 9 latencies");
	cfg.dims = &dim;
	cfg.ndims = 1;
	assert_int_equal(gb_inputs_resolve(in, 2, &cfg, out, &batch), 0);
	assert_int_equal(out[1].dims[0], 8);
	assert_int_equal(out[1].dims[1], 7);

	/* --batch given: default 1 otherwise */
	cfg.batch = 0;
	assert_int_equal(gb_inputs_resolve(in, 2, &cfg, out, &batch), 0);
	assert_int_equal(batch, 1);

	/* --dim also overrides a batch-named dim */
	snprintf(dim.name, sizeof dim.name, "batch");
	dim.value = 5;
	in[0] = info("x", GB_DTYPE_F32, 4, img, (const char *const[]){ "batch", NULL, NULL, NULL });
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), 0);
	assert_int_equal(batch, 5);
}

static void test_fixed_and_errors(void **st)
{
	static const int64_t fixed[] = { 2, 3 };
	static const char *const none[] = { NULL, NULL, NULL };
	static const int64_t unnamed[] = { 1, -1 };
	static const int64_t huge[] = { -1, 1 << 30 };
	struct gb_tensor_info in[1], out[1];
	struct gb_input_config cfg;
	uint64_t batch = 0;

	(void)st;
	gb_input_config_init(&cfg);
	in[0] = info("img", GB_DTYPE_F32, 2, fixed, none);
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), 0);
	assert_int_equal(batch, 2);
	cfg.batch = 2;
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), 0);
	cfg.batch = 4;
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "fixed batch of 2: --batch 4 cannot apply"));

	cfg.batch = 0;
	in[0] = info("x", GB_DTYPE_F32, 2, unnamed, none);
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "unnamed symbolic dim (axis 1)"));

	in[0] = info("s", GB_DTYPE_UNKNOWN, 0, fixed, none);
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), -ENOTSUP);

	/* 2^30 x 2^30 floats: refused before any allocation */
	in[0] = info("x", GB_DTYPE_F32, 2, huge, none);
	cfg.batch = 1 << 30;
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), -ENOMEM);
	/* Typed, not worded: the advice is bench's to add, once. */
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_OOM);
	assert_null(strstr(gb_error_msg(), "lower --batch"));
	cfg.batch = 4;
	cfg.max_bytes = 1000;
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), -ENOMEM);
	assert_int_equal(gb_error_kind(), GB_ERROR_KIND_OOM);
	assert_int_equal(gb_bench_explain_oom(-ENOMEM, 4), -ENOMEM);
	assert_string_equal(gb_error_msg(), "batch 4 does not fit in memory (lower --batch): the inputs need "
					    "16.0 GiB, more than the 0.0 GiB of memory here");

	/* scalar input: one item */
	cfg.max_bytes = 0;
	cfg.batch = 0;
	in[0] = info("t", GB_DTYPE_F32, 0, fixed, none);
	assert_int_equal(gb_inputs_resolve(in, 1, &cfg, out, &batch), 0);
	assert_int_equal(batch, 1);
}

static void test_values(void **st)
{
	static const char *const names[] = { "input_ids", "attention_mask", "token_type_ids",
					     "position_ids", "pixel_values" };
	static const enum gb_dtype types[] = { GB_DTYPE_I64, GB_DTYPE_I64, GB_DTYPE_I32,
					       GB_DTYPE_I64, GB_DTYPE_F32 };
	struct gb_tensor_info in[5];
	struct gb_input_config cfg;
	struct gb_dim dim = { "seq", 64 };
	struct gb_tensor *t = NULL;
	uint64_t batch, hi = 0, lo = UINT64_MAX;
	double sum = 0;

	(void)st;
	for (int i = 0; i < 5; i++)
		in[i] = info(names[i], types[i], 2, bs_seq, bs_seq_p);
	gb_input_config_init(&cfg);
	cfg.batch = 4;
	cfg.dims = &dim;
	cfg.ndims = 1;
	cfg.vocab = 50;
	cfg.seed = 42;
	assert_int_equal(gb_inputs_new(in, 5, &cfg, &t, &batch), 0);
	assert_int_equal(t[0].bytes, 4 * 64 * 8);
	assert_int_equal(t[2].bytes, 4 * 64 * 4);
	for (int i = 0; i < 4 * 64; i++) {
		int64_t id = ((int64_t *)t[0].data)[i];
		float f = ((float *)t[4].data)[i];

		assert_true(id >= 0 && id < 50);
		hi = (uint64_t)id > hi ? (uint64_t)id : hi;
		lo = (uint64_t)id < lo ? (uint64_t)id : lo;
		assert_int_equal(((int64_t *)t[1].data)[i], 1);
		assert_int_equal(((int32_t *)t[2].data)[i], 0);
		assert_int_equal(((int64_t *)t[3].data)[i], i % 64);
		assert_true(f >= 0 && f < 1);
		sum += f;
	}
	/* 256 draws cover most of a 50-word vocabulary and average near 0.5 */
	assert_true(hi >= 45 && lo <= 4);
	assert_true(fabs(sum / 256 - 0.5) < 0.1);

	/* same seed, same values; another seed, other values */
	{
		struct gb_tensor *t2 = NULL;

		assert_int_equal(gb_inputs_new(in, 5, &cfg, &t2, &batch), 0);
		assert_memory_equal(t[0].data, t2[0].data, t[0].bytes);
		assert_memory_equal(t[4].data, t2[4].data, t[4].bytes);
		gb_inputs_free(t2, 5);
		cfg.seed = 43;
		assert_int_equal(gb_inputs_new(in, 5, &cfg, &t2, &batch), 0);
		assert_memory_not_equal(t[0].data, t2[0].data, t[0].bytes);
		gb_inputs_free(t2, 5);
	}
	gb_inputs_free(t, 5);
}

static void test_half_and_bool(void **st)
{
	static const int64_t dims[] = { -1, 32 };
	static const char *const p[] = { "batch", NULL };
	struct gb_tensor_info in[3];
	struct gb_input_config cfg;
	struct gb_tensor *t = NULL;
	uint64_t batch;
	int ones = 0;

	(void)st;
	/* exact conversions, and round-to-nearest-even */
	assert_int_equal(gb_f32_to_f16(1.0f), 0x3c00);
	assert_int_equal(gb_f32_to_f16(0.5f), 0x3800);
	assert_int_equal(gb_f32_to_f16(-2.0f), 0xc000);
	assert_int_equal(gb_f32_to_f16(65504.0f), 0x7bff);
	assert_int_equal(gb_f32_to_f16(1e6f), 0x7c00);
	assert_int_equal(gb_f32_to_f16(5.960464477539063e-08f), 0x0001); /* smallest subnormal */
	assert_int_equal(gb_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);	  /* tie: even */
	assert_int_equal(gb_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);	  /* tie: even, up */
	assert_int_equal(gb_f32_to_bf16(1.0f), 0x3f80);
	assert_int_equal(gb_f32_to_bf16(-0.5f), 0xbf00);

	in[0] = info("h", GB_DTYPE_F16, 2, dims, p);
	in[1] = info("keep", GB_DTYPE_BOOL, 2, dims, p);
	in[2] = info("pad_mask", GB_DTYPE_BOOL, 2, dims, p);
	gb_input_config_init(&cfg);
	cfg.batch = 2;
	assert_int_equal(gb_inputs_new(in, 3, &cfg, &t, &batch), 0);
	for (int i = 0; i < 64; i++) {
		uint16_t h = ((uint16_t *)t[0].data)[i];
		uint8_t b = ((uint8_t *)t[1].data)[i];

		assert_true(h < 0x3c00); /* [0, 1) */
		assert_true(b == 0 || b == 1);
		ones += b;
		assert_int_equal(((uint8_t *)t[2].data)[i], 1);
	}
	assert_true(ones > 10 && ones < 54);
	gb_inputs_free(t, 3);
}

/* The free dims are the values the generated inputs get, name by name:
 * what a runtime fixes before loading is what it is then fed. */
static void test_free_dims(void **st)
{
	static const int64_t img[] = { -1, 3, -1, 8 }, unnamed[] = { -1 };
	static const char *const img_p[] = { "N", NULL, "h", NULL }, *const none[] = { NULL };
	struct gb_tensor_info in[4], out[4];
	struct gb_input_config cfg;
	struct gb_dim given[2] = { { "seq", 5 }, { "h", 9 } }, fd[8];
	uint64_t batch;
	size_t n;

	(void)st;
	gb_input_config_init(&cfg);
	in[0] = info("input_ids", GB_DTYPE_I64, 2, bs_seq, bs_seq_p);
	in[1] = info("attention_mask", GB_DTYPE_I64, 2, bs_seq, bs_seq_p);
	in[2] = info("img", GB_DTYPE_F32, 4, img, img_p);
	in[3] = info("u", GB_DTYPE_F32, 1, unnamed, none);
	cfg.batch = 3;
	cfg.dims = given;
	cfg.ndims = 2;
	assert_int_equal(gb_inputs_free_dims(in, 4, &cfg, 0, fd, 8, &n), 0);
	/* once per name, fixed dims and the unnamed one left out */
	assert_int_equal(n, 4);
	assert_string_equal(fd[0].name, "batch");
	assert_int_equal(fd[0].value, 3);
	assert_string_equal(fd[1].name, "seq");
	assert_int_equal(fd[1].value, 5);
	assert_string_equal(fd[2].name, "N");
	assert_int_equal(fd[2].value, 3);
	assert_string_equal(fd[3].name, "h");
	assert_int_equal(fd[3].value, 9);
	assert_int_equal(gb_inputs_resolve(in, 4, &cfg, out, &batch), 0);
	assert_int_equal(out[3].dims[0], 3);
	for (size_t i = 0; i < 4; i++)
		for (int d = 0; d < in[i].rank; d++)
			for (size_t k = 0; k < n; k++)
				if (!strcmp(in[i].dim_params[d], fd[k].name))
					assert_int_equal(out[i].dims[d], fd[k].value);
	/* no --dim seq: an error as the inputs give it, or left out */
	cfg.ndims = 0;
	assert_int_equal(gb_inputs_free_dims(in, 2, &cfg, 0, fd, 8, &n), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "set --dim seq=N"));
	assert_int_equal(gb_inputs_free_dims(in, 2, &cfg, GB_FREE_DIMS_KNOWN, fd, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(fd[0].name, "batch");
	/* no batch given: symbolic batches get 1, as the inputs do */
	cfg.batch = 0;
	assert_int_equal(gb_inputs_free_dims(in, 2, &cfg, GB_FREE_DIMS_KNOWN, fd, 8, &n), 0);
	assert_int_equal(fd[0].value, 1);
	cfg.dims = given;
	cfg.ndims = 2;
	assert_int_equal(gb_inputs_free_dims(in, 3, &cfg, 0, fd, 2, &n), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dim_parse),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_free_dims),
		cmocka_unit_test(test_fixed_and_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_half_and_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
