/*
 * The ort runtime on CPU with the tiny models of tests/gen_models.py and
 * models from Debian's libonnx-testdata: shapes as described, outputs
 * computed right for host and device I/O, and every failure a clear error.
 * Skipped (with the reason) when ONNX Runtime cannot be loaded.
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/inputs.h"
#include "greenbench/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TESTDATA "/usr/share/libonnx-testdata/data/pytorch-converted"

static const struct gb_runtime_ops *ort;

static int setup(void **st)
{
	(void)st;
	ort = gb_runtime_find("ort");
	assert_non_null(ort);
	return 0;
}

static int need_ort(void)
{
	if (gb_runtime_probe(ort) == 0)
		return 1;
	fprintf(stderr, "skipped: %s\n", gb_error_msg());
	return 0;
}

static char *model(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof rel, "models/%s", name);
	return gbt_build_path(rel);
}

static void *open_model(const char *path, const char *ep, enum gb_io_placement io)
{
	struct gb_runtime_options opt;
	void *s = NULL;

	gb_runtime_options_init(&opt);
	opt.model = path;
	opt.ep = ep;
	opt.io = io;
	opt.intra_op_threads = 1;
	if (gb_runtime_open(ort, &opt, &s) != 0)
		fail_msg("open %s: %s", path, gb_error_msg());
	return s;
}

static void test_describe_mlp(void **st)
{
	const struct gb_tensor_info *in, *out;
	size_t nin, nout;
	char *path = model("mlp.onnx");
	void *s;

	(void)st;
	if (!need_ort()) {
		free(path);
		skip();
	}
	s = open_model(path, "cpu", GB_IO_HOST);
	assert_int_equal(ort->describe(s, &in, &nin, &out, &nout), 0);
	assert_int_equal(nin, 1);
	assert_int_equal(nout, 1);
	assert_string_equal(in[0].name, "x");
	assert_int_equal(in[0].dtype, GB_DTYPE_F32);
	assert_int_equal(in[0].rank, 2);
	assert_int_equal(in[0].dims[0], -1);
	assert_string_equal(in[0].dim_params[0], "batch");
	assert_int_equal(in[0].dims[1], 16);
	assert_string_equal(out[0].name, "y");
	assert_int_equal(out[0].dims[1], 8);
	ort->close(s);
	free(path);
}

/* y = Relu(x W) with W[i][j] = (i - j) / 16, checked against C. */
static void check_mlp(enum gb_io_placement io)
{
	const struct gb_tensor_info *in;
	const struct gb_tensor *out;
	struct gb_input_config cfg;
	struct gb_tensor *t = NULL;
	uint64_t batch = 0, lat[3] = { 0 };
	size_t nin, nout;
	char *path = model("mlp.onnx");
	void *s = open_model(path, "cpu", io);

	gb_input_config_init(&cfg);
	cfg.batch = 3;
	cfg.seed = 7;
	assert_int_equal(ort->describe(s, &in, &nin, NULL, NULL), 0);
	assert_int_equal(gb_inputs_new(in, nin, &cfg, &t, &batch), 0);
	assert_int_equal(batch, 3);
	assert_int_equal(ort->set_inputs(s, t, nin), 0);
	assert_int_equal(ort->run_batches(s, 3, lat), 0);
	for (int i = 0; i < 3; i++)
		assert_true(lat[i] > 0);
	assert_int_equal(ort->outputs(s, &out, &nout), 0);
	assert_int_equal(nout, 1);
	assert_int_equal(out[0].info.dtype, GB_DTYPE_F32);
	assert_int_equal(out[0].info.rank, 2);
	assert_int_equal(out[0].info.dims[0], 3);
	assert_int_equal(out[0].info.dims[1], 8);
	assert_int_equal(out[0].bytes, 3 * 8 * sizeof(float));
	for (int b = 0; b < 3; b++) {
		for (int j = 0; j < 8; j++) {
			const float *x = (const float *)t[0].data + b * 16;
			double want = 0;

			for (int i = 0; i < 16; i++)
				want += x[i] * (i - j) / 16.0;
			want = want > 0 ? want : 0;
			assert_float_equal(((const float *)out[0].data)[b * 8 + j], want, 1e-4);
		}
	}
	gb_inputs_free(t, nin);
	ort->close(s);
	free(path);
}

static void test_mlp_host_io(void **st)
{
	(void)st;
	if (!need_ort())
		skip();
	check_mlp(GB_IO_HOST);
}

static void test_mlp_device_io(void **st)
{
	(void)st;
	if (!need_ort())
		skip();
	check_mlp(GB_IO_DEVICE);
}

static int run_tokens(uint64_t vocab, const struct gb_tensor **out, void **sp, struct gb_tensor **tp)
{
	const struct gb_tensor_info *in;
	struct gb_dim dim;
	struct gb_input_config cfg;
	uint64_t batch;
	size_t nin, nout;
	char *path = model("tokens.onnx");
	int ret;

	*sp = open_model(path, "cpu", GB_IO_HOST);
	free(path);
	gb_input_config_init(&cfg);
	assert_int_equal(gb_dim_parse("seq=5", &dim), 0);
	cfg.batch = 2;
	cfg.dims = &dim;
	cfg.ndims = 1;
	cfg.vocab = vocab;
	assert_int_equal(ort->describe(*sp, &in, &nin, NULL, NULL), 0);
	assert_int_equal(nin, 3);
	assert_int_equal(gb_inputs_new(in, nin, &cfg, tp, &batch), 0);
	assert_int_equal(ort->set_inputs(*sp, *tp, nin), 0);
	ret = ort->run_batches(*sp, 1, NULL);
	if (ret == 0)
		assert_int_equal(ort->outputs(*sp, out, &nout), 0);
	return ret;
}

/* Token ids inside a 100-word vocabulary pass the Gather; the mask sums to
 * batch x seq and token types to 0. */
static void test_tokens(void **st)
{
	const struct gb_tensor *out = NULL;
	struct gb_tensor *t = NULL;
	void *s = NULL;

	(void)st;
	if (!need_ort())
		skip();
	assert_int_equal(run_tokens(100, &out, &s, &t), 0);
	assert_string_equal(out[1].info.name, "mask_sum");
	assert_int_equal(*(const int64_t *)out[1].data, 2 * 5);
	assert_int_equal(*(const int64_t *)out[2].data, 0);
	gb_inputs_free(t, 3);
	ort->close(s);

	/* With BERT's vocabulary the ids overflow the model's 100 rows: a
	 * clear inference error, not a crash. */
	assert_int_not_equal(run_tokens(30522, &out, &s, &t), 0);
	assert_non_null(strstr(gb_error_msg(), "inference failed"));
	gb_inputs_free(t, 3);
	ort->close(s);
}

static void test_dtypes(void **st)
{
	const struct gb_tensor_info *in;
	const struct gb_tensor *out;
	struct gb_input_config cfg;
	struct gb_tensor *t = NULL;
	uint64_t batch;
	size_t nin, nout;
	char *path = model("dtypes.onnx");
	void *s;

	(void)st;
	if (!need_ort()) {
		free(path);
		skip();
	}
	s = open_model(path, "cpu", GB_IO_DEVICE);
	assert_int_equal(ort->describe(s, &in, &nin, NULL, NULL), 0);
	assert_int_equal(in[0].dtype, GB_DTYPE_F16);
	assert_int_equal(in[1].dtype, GB_DTYPE_BOOL);
	assert_int_equal(in[2].dtype, GB_DTYPE_I32);
	gb_input_config_init(&cfg);
	cfg.batch = 4;
	assert_int_equal(gb_inputs_new(in, nin, &cfg, &t, &batch), 0);
	assert_int_equal(ort->set_inputs(s, t, nin), 0);
	assert_int_equal(ort->run_batches(s, 2, NULL), 0);
	assert_int_equal(ort->outputs(s, &out, &nout), 0);
	/* Where(b, h, i): i is zeros, h in [0, 1). */
	for (int k = 0; k < 16; k++) {
		float y = ((const float *)out[0].data)[k];
		if (((const uint8_t *)t[1].data)[k])
			assert_true(y >= 0 && y < 1);
		else
			assert_float_equal(y, 0, 0);
	}
	gb_inputs_free(t, nin);
	ort->close(s);
	free(path);
}

/* Real models from libonnx-testdata: fixed shapes run as they are. */
static void test_testdata_models(void **st)
{
	static const char *const models[] = { TESTDATA "/test_Conv2d/model.onnx",
					      TESTDATA "/test_Embedding/model.onnx" };

	(void)st;
	if (!need_ort())
		skip();
	for (size_t m = 0; m < 2; m++) {
		const struct gb_tensor_info *in;
		const struct gb_tensor *out;
		struct gb_input_config cfg;
		struct gb_tensor *t = NULL;
		uint64_t batch;
		size_t nin, nout;
		void *s;

		if (access(models[m], R_OK)) {
			fprintf(stderr, "skipped %s: not installed\n", models[m]);
			continue;
		}
		s = open_model(models[m], "cpu", GB_IO_HOST);
		gb_input_config_init(&cfg);
		assert_int_equal(ort->describe(s, &in, &nin, NULL, NULL), 0);
		if (gb_inputs_new(in, nin, &cfg, &t, &batch))
			fail_msg("%s: %s", models[m], gb_error_msg());
		assert_int_equal(batch, m == 0 ? 2 : 1);
		assert_int_equal(ort->set_inputs(s, t, nin), 0);
		if (ort->run_batches(s, 2, NULL))
			fail_msg("%s: %s", models[m], gb_error_msg());
		assert_int_equal(ort->outputs(s, &out, &nout), 0);
		assert_true(out[0].bytes > 0);
		gb_inputs_free(t, nin);
		ort->close(s);
	}
}

static const char *meta_value(void *s, const char *key)
{
	const struct gb_kv *kv;
	size_t n;

	assert_int_equal(ort->metadata(s, &kv, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

/* slice_bound.onnx is the pattern that crashes ORT 1.29's CUDA EP (issue
 * 10): a Slice whose end is Shape(ids) -> Gather -> Unsqueeze, computed at
 * run time. With the run's shape given, the ort runtime fixes batch and seq
 * before loading (static_dims, the default), so ORT's constant folding
 * leaves no Shape node in its optimised graph (the CUDA EP never sees the
 * pattern); with static_dims=0 the Shape stays. Both compute y = ids + pos
 * right on the CPU. */
static void test_free_dims_slice_bound(void **st)
{
	struct gb_dim seq = { "seq", 8 };
	const char *const flags[] = { "1", "0" };
	char *path = model("slice_bound.onnx");

	(void)st;
	if (!need_ort()) {
		free(path);
		skip();
	}
	for (int f = 0; f < 2; f++) {
		struct gb_kv kv[2] = { { "static_dims", flags[f] },
				       { "session.optimized_model_filepath", "opt.onnx" } };
		struct gb_runtime_options opt;
		struct gb_input_config cfg;
		const struct gb_tensor_info *in;
		const struct gb_tensor *out;
		struct gb_tensor *t = NULL;
		uint64_t batch;
		size_t nin, nout;
		void *s = NULL;

		gb_input_config_init(&cfg);
		cfg.batch = 2;
		cfg.dims = &seq;
		cfg.ndims = 1;
		gb_runtime_options_init(&opt);
		opt.model = path;
		opt.intra_op_threads = 1;
		opt.ep_options = kv;
		opt.n_ep_options = 2;
		opt.shapes = &cfg;
		unlink("opt.onnx");
		if (gb_runtime_open(ort, &opt, &s))
			fail_msg("static_dims=%s: %s", flags[f], gb_error_msg());
		assert_string_equal(meta_value(s, "static_dims"), flags[f]);
		assert_int_equal(ort->describe(s, &in, &nin, NULL, NULL), 0);
		assert_int_equal(nin, 1);
		if (f == 0) {
			assert_string_equal(meta_value(s, "free_dims"), "batch=2,seq=8");
			/* ORT describes the fixed dims */
			assert_int_equal(in[0].dims[0], 2);
			assert_int_equal(in[0].dims[1], 8);
			assert_int_equal(gbt_onnx_count_op("opt.onnx", "Shape"), 0);
		} else {
			assert_null(meta_value(s, "free_dims"));
			assert_int_equal(in[0].dims[0], -1);
			assert_int_equal(in[0].dims[1], -1);
			assert_int_equal(gbt_onnx_count_op("opt.onnx", "Shape"), 1);
		}
		assert_int_equal(gb_inputs_new(in, nin, &cfg, &t, &batch), 0);
		assert_int_equal(ort->set_inputs(s, t, nin), 0);
		if (ort->run_batches(s, 1, NULL))
			fail_msg("static_dims=%s: %s", flags[f], gb_error_msg());
		assert_int_equal(ort->outputs(s, &out, &nout), 0);
		assert_int_equal(out[0].info.dims[0], 2);
		assert_int_equal(out[0].info.dims[1], 8);
		for (int i = 0; i < 16; i++)
			assert_int_equal(((const int64_t *)out[0].data)[i],
					 ((const int64_t *)t[0].data)[i] + i % 8);
		gb_inputs_free(t, nin);
		ort->close(s);
	}
	free(path);
}

/* IR 3 lists initializers among the inputs: only x is fixed. A dim the
 * shape does not value (no --dim seq) stays symbolic rather than failing
 * the open: a dataset may fill it. */
static void test_free_dims_partial(void **st)
{
	struct gb_runtime_options opt;
	struct gb_input_config cfg;
	char *ir3 = model("ir3.onnx"), *tokens = model("tokens.onnx");
	void *s = NULL;

	(void)st;
	if (!need_ort()) {
		free(ir3);
		free(tokens);
		skip();
	}
	gb_input_config_init(&cfg);
	cfg.batch = 4;
	gb_runtime_options_init(&opt);
	opt.intra_op_threads = 1;
	opt.shapes = &cfg;
	opt.model = ir3;
	if (gb_runtime_open(ort, &opt, &s))
		fail_msg("%s: %s", ir3, gb_error_msg());
	assert_string_equal(meta_value(s, "free_dims"), "batch=4");
	ort->close(s);
	opt.model = tokens;
	if (gb_runtime_open(ort, &opt, &s))
		fail_msg("%s: %s", tokens, gb_error_msg());
	assert_string_equal(meta_value(s, "free_dims"), "batch=4");
	ort->close(s);
	free(ir3);
	free(tokens);
}

static void expect_open_error(const char *path, const char *ep, const struct gb_kv *kv, size_t nkv,
			      const char *pattern)
{
	struct gb_runtime_options opt;
	void *s = NULL;

	gb_runtime_options_init(&opt);
	opt.model = path;
	opt.ep = ep;
	opt.ep_options = kv;
	opt.n_ep_options = nkv;
	assert_int_not_equal(gb_runtime_open(ort, &opt, &s), 0);
	assert_null(s);
	if (!strstr(gb_error_msg(), pattern))
		fail_msg("error '%s' lacks '%s'", gb_error_msg(), pattern);
	assert_null(strchr(gb_error_msg(), '\n'));
}

static void test_open_errors(void **st)
{
	const struct gb_kv nolib = { "provider_lib", "/nonexistent/libonnxruntime_providers_cuda.so" };
	const struct gb_kv algo = { "cudnn_conv_algo_search", "FASTEST" };
	const struct gb_kv cpu_opt = { "enable_cuda_graph", "1" };
	const struct gb_kv dims2 = { "static_dims", "2" };
	char *dir, bad[4200], *mlp;

	(void)st;
	if (!need_ort())
		skip();
	dir = gbt_mkdtemp();
	mlp = model("mlp.onnx");
	gbt_write(dir, "bad.onnx", "this is not a protobuf\n");
	snprintf(bad, sizeof bad, "%s/bad.onnx", dir);
	expect_open_error("/nonexistent/m.onnx", "cpu", NULL, 0,
			  "cannot open model '/nonexistent/m.onnx': No such file or directory");
	expect_open_error(bad, "cpu", NULL, 0, "cannot load model '");
	expect_open_error(mlp, "metal", NULL, 0, "unknown execution provider 'metal'");
	expect_open_error(mlp, "cuda:x", NULL, 0, "invalid device in ep 'cuda:x'");
	expect_open_error(mlp, "cuda", &nolib, 1,
			  "cannot open provider library '/nonexistent/libonnxruntime_providers_cuda.so'");
	expect_open_error(mlp, "cuda", &algo, 1, "invalid value 'FASTEST' for ep option 'cudnn_conv_algo_search'");
	expect_open_error(mlp, "cpu", &cpu_opt, 1, "ep 'cpu' has no option 'enable_cuda_graph'");
	expect_open_error(mlp, "cpu", &dims2, 1, "invalid value '2' for ep option 'static_dims' (0 or 1)");
	expect_open_error(mlp, "cuda", &dims2, 1, "invalid value '2' for ep option 'static_dims' (0 or 1)");
	gbt_rm_rf(dir);
	free(dir);
	free(mlp);
}

/* No GPU here: the CUDA provider library is absent from the CPU tree, and
 * TensorRT's libnvinfer is absent; the errors name what is missing. */
static void test_gpu_eps_missing(void **st)
{
	char *mlp = model("mlp.onnx");

	(void)st;
	if (!need_ort()) {
		free(mlp);
		skip();
	}
	expect_open_error(mlp, "cuda", NULL, 0, "libonnxruntime_providers_cuda.so");
	expect_open_error(mlp, "tensorrt", NULL, 0, "libnvinfer");
	free(mlp);
}

static void test_set_inputs_checks(void **st)
{
	const struct gb_tensor_info *in;
	struct gb_tensor t;
	float buf[4 * 16];
	char *path = model("mlp.onnx");
	void *s;
	size_t nin;

	(void)st;
	if (!need_ort()) {
		free(path);
		skip();
	}
	s = open_model(path, "cpu", GB_IO_HOST);
	assert_int_equal(ort->describe(s, &in, &nin, NULL, NULL), 0);
	assert_int_not_equal(ort->run_batches(s, 1, NULL), 0);
	assert_non_null(strstr(gb_error_msg(), "no inputs set"));
	memset(&t, 0, sizeof t);
	memset(buf, 0, sizeof buf);
	t.info = in[0];
	t.info.dims[0] = 4;
	t.info.dims[1] = 15;
	t.data = buf;
	t.bytes = 4 * 15 * sizeof(float);
	assert_int_equal(ort->set_inputs(s, &t, 1), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "dim 1 is 15, the model wants 16"));
	t.info.dtype = GB_DTYPE_I64;
	assert_int_equal(ort->set_inputs(s, &t, 1), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "is int64, the model wants float32"));
	snprintf(t.info.name, sizeof t.info.name, "other");
	assert_int_equal(ort->set_inputs(s, &t, 1), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "no data for input 'x'"));
	ort->close(s);
	free(path);
}

static void test_metadata(void **st)
{
	const struct gb_kv *kv;
	size_t n;
	char *path = model("mlp.onnx");
	void *s;
	int have_version = 0, have_io = 0;

	(void)st;
	if (!need_ort()) {
		free(path);
		skip();
	}
	s = open_model(path, "cpu", GB_IO_DEVICE);
	assert_int_equal(ort->metadata(s, &kv, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, "ort_version"))
			have_version = kv[i].value[0] >= '1';
		if (!strcmp(kv[i].key, "io"))
			have_io = !strcmp(kv[i].value, "device");
	}
	assert_true(have_version);
	assert_true(have_io);
	ort->close(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe_mlp),
		cmocka_unit_test(test_mlp_host_io),
		cmocka_unit_test(test_mlp_device_io),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_dtypes),
		cmocka_unit_test(test_testdata_models),
		cmocka_unit_test(test_free_dims_slice_bound),
		cmocka_unit_test(test_free_dims_partial),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_gpu_eps_missing),
		cmocka_unit_test(test_set_inputs_checks),
		cmocka_unit_test(test_metadata),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
