/*
 * The torch worker end to end through the runtime table (gb_runtime_find
 * ("torch")), on CPU: ResNet-50 and MobileNetV2 at batch 1 and 2, a few
 * batches each. Skips, saying why, where python3 has no torch. BERT and
 * CUDA are checked on the device (bench/device/workers_check.sh).
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct gb_runtime_ops *rt;
static char skip_reason[1024];

static int setup(void **state)
{
	const char *src = getenv("GB_SRCDIR"), *py = getenv("GB_PYTHON");
	char dir[4096];

	snprintf(dir, sizeof dir, "%s/workers", src && *src ? src : ".");
	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	if (py && *py)
		setenv("GREENBENCH_PYTHON", py, 1);
	rt = gb_runtime_find("torch");
	if (!rt)
		snprintf(skip_reason, sizeof skip_reason, "no torch row in the runtime table");
	else if (gb_runtime_probe(rt))
		snprintf(skip_reason, sizeof skip_reason, "%s", gb_error_msg());
	return 0;
}

static void maybe_skip(void)
{
	if (skip_reason[0]) {
		print_message("skipped: torch: %s\n", skip_reason);
		skip();
	}
}

/* Deterministic pseudo-random image values in [-2, 2). */
static float *image(int batch, uint32_t seed)
{
	size_t n = (size_t)batch * 3 * 224 * 224;
	float *x = malloc(n * sizeof *x);

	assert_non_null(x);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		x[i] = (float)(seed >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
	}
	return x;
}

static void set_image(void *s, float *x, int batch)
{
	struct gb_tensor t = { 0 };

	snprintf(t.info.name, sizeof t.info.name, "input");
	t.info.dtype = GB_DTYPE_F32;
	t.info.rank = 4;
	t.info.dims[0] = batch;
	t.info.dims[1] = 3;
	t.info.dims[2] = t.info.dims[3] = 224;
	t.data = x;
	t.bytes = (size_t)batch * 3 * 224 * 224 * sizeof(float);
	assert_int_equal(rt->set_inputs(s, &t, 1), 0);
}

/* Open, check the description, run batch 1 and 2; returns the batch-1
 * logits (1000 floats, caller frees). */
static float *run_model(const char *model, uint64_t seed)
{
	struct gb_kv kv[] = { { "dtype", "fp32" } };
	struct gb_runtime_options opt;
	const struct gb_tensor_info *in, *out;
	const struct gb_tensor *o;
	struct gb_runtime_phase ph;
	size_t nin, nout, no;
	uint64_t lat[2] = { 0, 0 };
	float *x, *logits = malloc(1000 * sizeof *logits);
	void *s = NULL;

	assert_non_null(logits);
	gb_runtime_options_init(&opt);
	opt.model = model;
	opt.seed = seed;
	opt.intra_op_threads = 2;
	opt.ep_options = kv;
	opt.n_ep_options = 1;
	if (gb_runtime_open(rt, &opt, &s))
		fail_msg("open %s: %s", model, gb_error_msg());
	assert_int_equal(rt->last_phase(s, &ph), 0);
	assert_true(ph.t_end_ns > ph.t_start_ns && ph.cpu_valid && ph.cpu_user_ns > 0);
	assert_int_equal(rt->describe(s, &in, &nin, &out, &nout), 0);
	assert_int_equal(nin, 1);
	assert_string_equal(in[0].name, "input");
	assert_string_equal(in[0].dim_params[0], "batch");
	assert_int_equal(out[0].dims[1], 1000);

	for (int batch = 1; batch <= 2; batch++) {
		x = image(batch, 12345);
		set_image(s, x, batch);
		free(x);
		if (rt->run_batches(s, 2, lat))
			fail_msg("%s batch %d: %s", model, batch, gb_error_msg());
		assert_true(lat[0] > 0 && lat[1] > 0);
		assert_int_equal(rt->outputs(s, &o, &no), 0);
		assert_int_equal(no, 1);
		assert_int_equal(o[0].info.rank, 2);
		assert_int_equal(o[0].info.dims[0], batch);
		assert_int_equal(o[0].info.dims[1], 1000);
		const float *y = o[0].data;
		for (int i = 0; i < batch * 1000; i++)
			assert_true(isfinite(y[i]));
		if (batch == 1)
			memcpy(logits, y, 1000 * sizeof *logits);
		else /* the same image first in a batch of 2 gives the same logits */
			for (int i = 0; i < 1000; i++)
				assert_true(fabsf(y[i] - logits[i]) <= 1e-3f * (1 + fabsf(logits[i])));
	}

	const struct gb_kv *meta;
	size_t nmeta;
	int seen = 0;
	assert_int_equal(rt->metadata(s, &meta, &nmeta), 0);
	for (size_t i = 0; i < nmeta; i++) {
		if (!strcmp(meta[i].key, "device"))
			seen += !strcmp(meta[i].value, "cpu");
		if (!strcmp(meta[i].key, "dtype"))
			seen += !strcmp(meta[i].value, "fp32");
		if (!strcmp(meta[i].key, "worker_runs"))
			seen += !strcmp(meta[i].value, "2");
	}
	assert_int_equal(seen, 3);
	rt->close(s);
	return logits;
}

static void test_resnet50(void **state)
{
	maybe_skip();
	free(run_model("resnet50", 1));
}

/* Random weights are a function of the seed: same seed, same logits. */
static void test_mobilenetv2_seed(void **state)
{
	float *a, *b, *c;
	int differ = 0;

	maybe_skip();
	a = run_model("mobilenetv2", 7);
	b = run_model("mobilenetv2", 7);
	c = run_model("mobilenetv2", 8);
	assert_memory_equal(a, b, 1000 * sizeof *a);
	for (int i = 0; i < 1000; i++)
		differ += a[i] != c[i];
	assert_true(differ > 0);
	free(a);
	free(b);
	free(c);
}

/* One batch of image(1, 99) through s: 1000 logits (caller frees). */
static float *logits_of(void *s)
{
	const struct gb_tensor *o;
	size_t no;
	float *x = image(1, 99), *y = malloc(1000 * sizeof *y);

	assert_non_null(y);
	set_image(s, x, 1);
	free(x);
	if (rt->run_batches(s, 1, NULL) || rt->outputs(s, &o, &no))
		fail_msg("run: %s", gb_error_msg());
	memcpy(y, o[0].data, 1000 * sizeof *y);
	return y;
}

static void *open_with(struct gb_kv *kv, size_t n)
{
	struct gb_runtime_options opt;
	void *s = NULL;

	gb_runtime_options_init(&opt);
	opt.model = "mobilenetv2";
	opt.seed = 5;
	opt.intra_op_threads = 2;
	opt.ep_options = kv;
	opt.n_ep_options = n;
	if (gb_runtime_open(rt, &opt, &s))
		fail_msg("open: %s", gb_error_msg());
	return s;
}

static int reconfigure_io(void *s, struct gb_kv *kv, size_t n, enum gb_io_placement io)
{
	struct gb_runtime_options opt;

	gb_runtime_options_init(&opt);
	opt.io = io;
	opt.model = "mobilenetv2";
	opt.seed = 5;
	opt.intra_op_threads = 2;
	opt.ep_options = kv;
	opt.n_ep_options = n;
	return rt->reconfigure(s, &opt);
}

static int reconfigure(void *s, struct gb_kv *kv, size_t n)
{
	return reconfigure_io(s, kv, n, GB_IO_HOST);
}

/* The value of a metadata key of s (NULL: absent). */
static const char *meta_of(void *s, const char *key)
{
	const struct gb_kv *meta;
	size_t nmeta;

	assert_int_equal(rt->metadata(s, &meta, &nmeta), 0);
	for (size_t i = 0; i < nmeta; i++)
		if (!strcmp(meta[i].key, key))
			return meta[i].value;
	return NULL;
}

/* Equal within 1e-4 of the logits' scale (random weights give tiny ones:
 * bf16 moves them by about 1%). */
static int close_to(const float *a, const float *b)
{
	float scale = 0;

	for (int i = 0; i < 1000; i++)
		scale = fmaxf(scale, fabsf(a[i]));
	for (int i = 0; i < 1000; i++)
		if (!(fabsf(a[i] - b[i]) <= 1e-4f * scale))
			return 0;
	return 1;
}

/* configure: a loaded model given new run-time options (the advisor's
 * cheap screening) answers as a model loaded with them does, and back;
 * what defines the model or its compiled code is refused, and the worker
 * keeps its settings. */
static void test_configure(void **state)
{
	struct gb_kv fp32[] = { { "dtype", "fp32" } };
	struct gb_kv bf16[] = { { "dtype", "bf16" }, { "channels_last", "1" } };
	struct gb_kv compiled[] = { { "dtype", "fp32" }, { "compile", "default" } };
	struct gb_kv graphs[] = { { "dtype", "fp32" }, { "cuda_graphs", "1" } };
	struct gb_kv seq[] = { { "dtype", "bf16" }, { "seq", "64" } };
	float *a, *b, *fresh, *back, *resident, *kept;
	void *s, *t;
	const struct gb_kv *meta;
	size_t nmeta;
	int seen = 0;

	(void)state;
	maybe_skip();
	s = open_with(fp32, 1);
	a = logits_of(s);
	if (reconfigure(s, bf16, 2))
		fail_msg("configure: %s", gb_error_msg());
	assert_int_equal(rt->metadata(s, &meta, &nmeta), 0);
	for (size_t i = 0; i < nmeta; i++)
		seen += (!strcmp(meta[i].key, "dtype") && !strcmp(meta[i].value, "bf16")) ||
			(!strcmp(meta[i].key, "autocast") && !strcmp(meta[i].value, "cpu/bfloat16"));
	assert_int_equal(seen, 2);
	b = logits_of(s);
	assert_false(close_to(a, b));	/* bf16 does change the outputs */
	t = open_with(bf16, 2);
	fresh = logits_of(t);
	rt->close(t);
	assert_true(close_to(fresh, b));
	assert_int_equal(reconfigure(s, fp32, 1), 0);
	back = logits_of(s);
	assert_true(close_to(a, back));
	/* io: inputs placed once, on the model's device, give the same logits */
	assert_int_equal(reconfigure_io(s, fp32, 1, GB_IO_DEVICE), 0);
	assert_string_equal(meta_of(s, "io"), "device");
	resident = logits_of(s);
	assert_true(close_to(a, resident));
	assert_int_equal(reconfigure(s, fp32, 1), 0);
	assert_string_equal(meta_of(s, "io"), "host");

	/* values no worker takes say so (the advisor opens no new worker for them) */
	assert_int_equal(reconfigure(s, graphs, 2), -EINVAL);
	assert_non_null(strstr(gb_error_msg(), "cuda_graphs needs a cuda device"));
	assert_int_equal(reconfigure(s, compiled, 2), -EIO);
	assert_non_null(strstr(gb_error_msg(), "cannot change compile"));
	assert_int_equal(reconfigure(s, seq, 2), -EIO);
	assert_non_null(strstr(gb_error_msg(), "cannot change seq"));
	kept = logits_of(s);	/* still fp32, still usable */
	assert_true(close_to(a, kept));
	rt->close(s);
	free(a);
	free(b);
	free(fresh);
	free(back);
	free(resident);
	free(kept);
}

static void expect_open_error(const char *model, struct gb_kv *kv, size_t n, const char *want)
{
	struct gb_runtime_options opt;
	void *s = NULL;

	gb_runtime_options_init(&opt);
	opt.model = model;
	opt.ep_options = kv;
	opt.n_ep_options = n;
	assert_int_not_equal(gb_runtime_open(rt, &opt, &s), 0);
	assert_null(s);
	if (!strstr(gb_error_msg(), want))
		fail_msg("'%s' not in '%s'", want, gb_error_msg());
}

static void test_errors(void **state)
{
	struct gb_kv bad_opt[] = { { "colour", "blue" } };
	struct gb_kv bad_dtype[] = { { "dtype", "int4" } };

	maybe_skip();
	expect_open_error("vgg99", NULL, 0, "torch worker: unknown model 'vgg99'");
	expect_open_error("resnet50", bad_opt, 1, "unknown torch option 'colour'");
	expect_open_error("resnet50", bad_dtype, 1, "dtype int4: expected fp32, fp16 or bf16");
	expect_open_error("/nonexistent/m.pt", NULL, 0, "cannot open model '/nonexistent/m.pt'");
}

/* Run a Python script (written to name in the test's directory) with the
 * interpreter the worker uses. */
static void run_py(const char *name, const char *code)
{
	const char *py = getenv("GB_PYTHON") && *getenv("GB_PYTHON") ? getenv("GB_PYTHON") : "python3";
	char cmd[4096];
	FILE *f = fopen(name, "w");

	assert_non_null(f);
	fputs(code, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "%s %s 2>&1", py, name);
	assert_int_equal(gbt_run(cmd, NULL), 0);
}

/* Open a TorchScript file taking float32 [batch, 4], run x (2 x 4) twice
 * and check every output against want(x). */
static void check_ts(const char *model, struct gb_kv *kv, size_t nkv, float (*want)(float, int))
{
	const float x[8] = { 1, 2, 3, 4, 5, 6, 7, -8 };
	struct gb_runtime_options opt;
	const struct gb_tensor_info *in, *out;
	const struct gb_tensor *o;
	struct gb_tensor t = { 0 };
	size_t nin, nout, no;
	uint64_t lat[2];
	void *s = NULL;

	gb_runtime_options_init(&opt);
	opt.model = model;
	opt.ep_options = kv;
	opt.n_ep_options = nkv;
	if (gb_runtime_open(rt, &opt, &s))
		fail_msg("open %s: %s", model, gb_error_msg());
	assert_int_equal(rt->describe(s, &in, &nin, &out, &nout), 0);
	assert_int_equal(in[0].rank, 2);
	assert_int_equal(in[0].dims[1], 4);
	assert_int_equal(nout, 1);
	assert_int_equal(out[0].dims[0], -1);
	assert_int_equal(out[0].dims[1], 4);
	t.info = in[0];
	t.info.dims[0] = 2;
	t.data = (void *)x;
	t.bytes = sizeof x;
	assert_int_equal(rt->set_inputs(s, &t, 1), 0);
	assert_int_equal(rt->run_batches(s, 2, lat), 0);
	assert_int_equal(rt->outputs(s, &o, &no), 0);
	for (int i = 0; i < 8; i++)
		assert_true(((const float *)o[0].data)[i] == want(x[i], i % 4));
	rt->close(s);
}

static float times3_minus1(float x, int col)
{
	(void)col;
	return 3 * x - 1;
}

/* A TorchScript file: input shape from the option, outputs probed. */
static void test_torchscript(void **state)
{
	struct gb_kv kv[] = { { "input_shape", "4" } };

	maybe_skip();
	run_py("make_ts.py", "import torch\nclass M(torch.nn.Module):\n    def forward(self, x):\n"
			     "        return x * 3 - 1\ntorch.jit.script(M()).save('m.pt')\n");
	check_ts("./m.pt", kv, 1, times3_minus1);
}

/* y = 3x - 1 + w with w = zeros(4) in the model file, or the weights
 * file's w = [1, 2, 3, 4] when it loads. */
static const char make_w_model[] =
	"import torch\n"
	"class M(torch.nn.Module):\n"
	"    def __init__(self):\n"
	"        super().__init__()\n"
	"        self.w = torch.nn.Parameter(torch.zeros(4))\n"
	"    def forward(self, x):\n"
	"        return x * 3 - 1 + self.w\n"
	"torch.jit.script(M()).save('mw.pt')\n"
	"torch.save({'w': torch.tensor([1.0, 2.0, 3.0, 4.0])}, 'w.pth')\n";

static float with_weights(float x, int col)
{
	return 3 * x - 1 + (float)(col + 1);
}

/* A torch.save'd state_dict still loads with weights_only=True. */
static void test_user_weights(void **state)
{
	struct gb_kv kv[] = { { "input_shape", "4" }, { "weights", "./w.pth" } };

	maybe_skip();
	run_py("make_w.py", make_w_model);
	check_ts("./mw.pt", kv, 2, with_weights);
}

/* A weights file whose pickle names a callable (os.system) is refused,
 * naming the file, and the callable never runs; so is a pickle of
 * something that is not a mapping of tensors. */
static void test_weights_refused(void **state)
{
	struct gb_kv evil[] = { { "input_shape", "4" }, { "weights", "./evil.pth" } };
	struct gb_kv list[] = { { "input_shape", "4" }, { "weights", "./list.pth" } };

	maybe_skip();
	run_py("make_w.py", make_w_model);
	run_py("make_evil.py", "import os, torch\n"
			       "class Evil:\n"
			       "    def __reduce__(self):\n"
			       "        return (os.system, ('touch pwned',))\n"
			       "torch.save({'w': Evil()}, 'evil.pth')\n"
			       "torch.save({'w': [1, 2]}, 'list.pth')\n");
	expect_open_error("./mw.pt", evil, 2, "weights './evil.pth' refused: the file holds more than tensors");
	assert_int_not_equal(access("pwned", F_OK), 0);
	expect_open_error("./mw.pt", list, 2, "weights './list.pth' refused: not a state_dict");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resnet50),
		cmocka_unit_test(test_mobilenetv2_seed),
		cmocka_unit_test(test_configure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_torchscript),
		cmocka_unit_test(test_user_weights),
		cmocka_unit_test(test_weights_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
