/*
 * The ort-python worker through the runtime table. Debian has no
 * onnxruntime for Python, so the worker imports a stand-in
 * (tests/fakes/pymods/onnxruntime: reads the model with onnx, evaluates
 * Add/Mul with numpy) found through PYTHONPATH: this checks the worker's
 * own code (model description, options, feeds, outputs, provider errors),
 * not ONNX Runtime. The real one runs on the device
 * (bench/device/workers_check.sh).
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gb_runtime_ops *rt;
static char skip_reason[512];

/* y = x * 2 + b, x: float32 [batch, 4], b: initializer [1, 2, 3, 4]. */
static const char make_model[] =
	"import onnx, numpy as np\n"
	"from onnx import helper as h, TensorProto as T, numpy_helper as nh\n"
	"x = h.make_tensor_value_info('x', T.FLOAT, ['batch', 4])\n"
	"y = h.make_tensor_value_info('y', T.FLOAT, ['batch', 4])\n"
	"two = nh.from_array(np.array([2], np.float32), 'two')\n"
	"b = nh.from_array(np.array([1, 2, 3, 4], np.float32), 'b')\n"
	"g = h.make_graph([h.make_node('Mul', ['x', 'two'], ['t']), h.make_node('Add', ['t', 'b'], ['y'])],\n"
	"                 'g', [x], [y], [two, b])\n"
	"onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 17)]), 'tiny.onnx')\n";

static int setup(void **state)
{
	const char *src = getenv("GB_SRCDIR"), *py = getenv("GB_PYTHON");
	char path[4096], cmd[8192];
	FILE *f;

	snprintf(path, sizeof path, "%s/workers", src && *src ? src : ".");
	setenv("GREENBENCH_WORKERS_DIR", path, 1);
	snprintf(path, sizeof path, "%s/tests/fakes/pymods", src && *src ? src : ".");
	setenv("PYTHONPATH", path, 1);
	if (py && *py)
		setenv("GREENBENCH_PYTHON", py, 1);
	f = fopen("make_model.py", "w");
	assert_non_null(f);
	fputs(make_model, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "%s make_model.py 2>&1", py && *py ? py : "python3");
	if (gbt_run(cmd, NULL))
		snprintf(skip_reason, sizeof skip_reason, "python3 cannot write ONNX (no onnx module?)");
	rt = gb_runtime_find("ort-python");
	if (!skip_reason[0] && gb_runtime_probe(rt))
		snprintf(skip_reason, sizeof skip_reason, "%s", gb_error_msg());
	return 0;
}

static void test_session(void **state)
{
	struct gb_kv kv[] = { { "timeout", "30s" } }; /* harness option: not sent on */
	const float x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct gb_runtime_options opt;
	const struct gb_tensor_info *in, *out;
	const struct gb_tensor *o;
	struct gb_tensor t = { 0 };
	uint64_t lat[3];
	size_t nin, nout, no;
	void *s = NULL;

	if (skip_reason[0]) {
		print_message("skipped: ort-python: %s\n", skip_reason);
		skip();
	}
	gb_runtime_options_init(&opt);
	opt.model = "tiny.onnx";
	opt.graph_opt_level = 99;
	opt.intra_op_threads = 1;
	opt.ep_options = kv;
	opt.n_ep_options = 1;
	if (gb_runtime_open(rt, &opt, &s))
		fail_msg("open: %s", gb_error_msg());
	assert_int_equal(rt->describe(s, &in, &nin, &out, &nout), 0);
	assert_int_equal(nin, 1); /* initializers are not inputs */
	assert_string_equal(in[0].name, "x");
	assert_int_equal(in[0].dtype, GB_DTYPE_F32);
	assert_int_equal(in[0].dims[0], -1);
	assert_string_equal(in[0].dim_params[0], "batch");
	assert_int_equal(in[0].dims[1], 4);
	assert_string_equal(out[0].name, "y");

	t.info = in[0];
	t.info.dims[0] = 2;
	t.data = (void *)x;
	t.bytes = sizeof x;
	assert_int_equal(rt->set_inputs(s, &t, 1), 0);
	assert_int_equal(rt->run_batches(s, 3, lat), 0);
	assert_int_equal(rt->outputs(s, &o, &no), 0);
	assert_int_equal(no, 1);
	assert_int_equal(o[0].info.dims[0], 2);
	for (int i = 0; i < 8; i++)
		assert_true(((const float *)o[0].data)[i] == 2 * x[i] + (float)(i % 4 + 1));

	const struct gb_kv *meta;
	size_t nmeta;
	int seen = 0;
	assert_int_equal(rt->metadata(s, &meta, &nmeta), 0);
	for (size_t i = 0; i < nmeta; i++) {
		seen += !strcmp(meta[i].key, "providers") && !strcmp(meta[i].value, "CPUExecutionProvider");
		seen += !strcmp(meta[i].key, "onnxruntime_version") && !strcmp(meta[i].value, "0.0-fake");
		assert_null(strstr(meta[i].key, "timeout"));
	}
	assert_int_equal(seen, 2);
	rt->close(s);
}

static void test_errors(void **state)
{
	struct gb_runtime_options opt;
	void *s = NULL;

	if (skip_reason[0])
		skip();
	gb_runtime_options_init(&opt);
	opt.model = "tiny.onnx";
	opt.ep = "cuda:0";
	assert_int_equal(gb_runtime_open(rt, &opt, &s), -EIO);
	assert_string_equal(gb_error_msg(), "ort-python worker: this onnxruntime (0.0-fake) has no "
					    "CUDAExecutionProvider (it has CPUExecutionProvider)");
	opt.ep = "cpu";
	opt.model = "missing.onnx";
	assert_int_equal(gb_runtime_open(rt, &opt, &s), -EIO);
	assert_string_equal(gb_error_msg(),
			    "ort-python worker: cannot open model 'missing.onnx': No such file or directory");
	assert_null(s);
}

/* The worker's PROVIDERS mapping names exactly the row's EPs, which come
 * from the C side's provider list (the source of truth). Needs only
 * python3, not onnxruntime: the module is imported, not run. */
static void test_providers_match_row(void **state)
{
	const char *src = getenv("GB_SRCDIR"), *py = getenv("GB_PYTHON");
	char cmd[8192], want[256], *out = NULL;

	snprintf(cmd, sizeof cmd,
		 "%s -c \"import sys; sys.path.insert(0, '%s/workers'); import ort_worker; "
		 "print(', '.join(ort_worker.PROVIDERS))\"",
		 py && *py ? py : "python3", src && *src ? src : ".");
	assert_int_equal(gbt_run(cmd, &out), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_non_null(rt->eps);
	gb_runtime_join(rt->eps, want, sizeof want);
	assert_string_equal(out, want);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_providers_match_row),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
