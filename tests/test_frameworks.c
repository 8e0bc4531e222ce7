/*
 * The study's other frameworks for real, on the CPU: the tf, keras (on
 * JAX) and mxnet runtimes through `greenbench run` (ResNet-50 and
 * MobileNetV2 at batch 1 and 2, BERT-base at seq 16), user weights and a
 * bad weights file, and tf2onnx / mx2onnx: onnx.checker, the C ORT backend
 * and `greenbench compare` against the framework.
 *
 * A runtime whose environment `make deps` did not make is skipped with the
 * probe's reason, unless GREENBENCH_REQUIRED_RUNTIMES names it (CI does):
 * then it fails. Small on purpose (2 cores): one measured batch each.
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"
#include "greenbench/worker.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fw {
	const char *runtime;
	const char *opts;	/* extra --ep-option arguments */
	const char *converter;	/* NULL: none */
	const char *weights_ext;
	/* Python writing the model's weights to sys.argv[1]. */
	const char *save_weights;
};

static const struct fw fws[] = {
	{ "tf", "--ep-option mode=graph", "tf2onnx", ".weights.h5",
	  "import os, sys\nos.environ['KERAS_BACKEND'] = 'tensorflow'\n"
	  "import keras\nm = keras.applications.MobileNetV2(weights=None, classifier_activation=None,\n"
	  "    input_tensor=keras.Input((224, 224, 3), name='input'))\nm.save_weights(sys.argv[1])\n" },
	/* Saved by Keras on TensorFlow, loaded by Keras on JAX: the file is
	 * the backend's business of neither. */
	{ "keras", "--ep-option backend=jax", NULL, ".weights.h5",
	  "import os, sys\nos.environ['KERAS_BACKEND'] = 'tensorflow'\n"
	  "import keras\nm = keras.applications.MobileNetV2(weights=None, classifier_activation=None,\n"
	  "    input_tensor=keras.Input((224, 224, 3), name='input'))\nm.save_weights(sys.argv[1])\n" },
	{ "mxnet", "", "mx2onnx", ".params",
	  "import sys\nimport mxnet as mx\nfrom mxnet.gluon.model_zoo import vision\n"
	  "n = vision.get_model('mobilenetv2_1.0', pretrained=False)\nn.initialize()\n"
	  "n(mx.nd.zeros((1, 3, 224, 224)))\nn.save_parameters(sys.argv[1])\n" },
};

static char *gb;
static char *tmp;

static int setup(void **state)
{
	const char *src = getenv("GB_SRCDIR");
	char dir[4096];

	(void)state;
	snprintf(dir, sizeof dir, "%s/workers", src && *src ? src : ".");
	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	/* The workers' own environments, not a test-wide interpreter. */
	unsetenv("GREENBENCH_PYTHON");
	gb = gbt_greenbench();
	tmp = gbt_mkdtemp();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gbt_rm_rf(tmp);
	free(tmp);
	free(gb);
	return 0;
}

static int required(const char *runtime)
{
	const char *req = getenv("GREENBENCH_REQUIRED_RUNTIMES");
	size_t n = strlen(runtime);

	for (const char *p = req ? req : ""; (p = strstr(p, runtime)); p += n)
		if ((p == req || p[-1] == ',' || p[-1] == ' ') && (!p[n] || p[n] == ',' || p[n] == ' '))
			return 1;
	return 0;
}

/* 1 when the runtime can start; else skip, or fail when it is required. */
static int have(const struct fw *f)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(f->runtime);

	assert_non_null(rt);
	gb_error_clear();
	if (!gb_runtime_probe(rt))
		return 1;
	if (required(f->runtime))
		fail_msg("%s is in GREENBENCH_REQUIRED_RUNTIMES but cannot start: %s", f->runtime, gb_error_msg());
	print_message("skipped: %s: %s\n", f->runtime, gb_error_msg());
	return 0;
}

static cJSON *run_json(const char *args)
{
	char *out = NULL;
	int rc = gbt_run_gb("", gb, args, &out);
	cJSON *j;

	if (rc)
		fail_msg("greenbench %s: exit %d: %s", args, rc, out ? out : "");
	/* The record is the last line that is a JSON object. */
	char *line = out[0] == '{' ? out : NULL;
	for (char *p = strstr(out, "\n{"); p; p = strstr(p + 1, "\n{"))
		line = p + 1;
	j = line ? cJSON_Parse(line) : NULL;
	if (!j)
		fail_msg("greenbench %s: no JSON record in: %s", args, out);
	free(out);
	return j;
}

/* One run of model at batch; returns the record. */
static cJSON *run_model(const struct fw *f, const char *model, int batch, const char *extra)
{
	char args[1024];

	snprintf(args, sizeof args,
		 "run --runtime %s --model %s %s %s -b %d --warmup 0 -n 1 --min-duration 0 --no-meter --json",
		 f->runtime, model, f->opts, extra, batch);
	return run_json(args);
}

static const char *meta(cJSON *rec, const char *key)
{
	char path[128];

	snprintf(path, sizeof path, "environment.runtime.%s", key);
	return gbt_json_str(rec, path);
}

static void check_models(const struct fw *f)
{
	static const char *const models[] = { "resnet50", "mobilenetv2" };

	if (!have(f))
		skip();
	for (size_t m = 0; m < 2; m++) {
		for (int batch = 1; batch <= 2; batch++) {
			/* Keras on JAX compiles every initializer: ~14 s a ResNet-50
			 * load on 2 cores; batch 2 alone covers it. */
			if (!strcmp(f->runtime, "keras") && m == 0 && batch == 1)
				continue;
			cJSON *r = run_model(f, models[m], batch, "");

			assert_string_equal(gbt_json_str(r, "status"), "ok");
			assert_int_equal((int)gbt_json_num(r, "config.batch"), batch);
			assert_string_equal(meta(r, "worker"), f->runtime);
			assert_string_equal(meta(r, "model_source"), models[m]);
			assert_string_equal(meta(r, "device"), !strcmp(f->runtime, "mxnet") ? "cpu(0)" : "cpu");
			if (!strcmp(f->runtime, "keras"))
				assert_string_equal(meta(r, "keras_backend"), "jax"); /* what really ran it */
			if (!strcmp(f->runtime, "tf"))
				assert_string_equal(meta(r, "mode"), "graph");
			cJSON_Delete(r);
		}
	}
}

static void check_bert(const struct fw *f)
{
	cJSON *r;

	if (!have(f))
		skip();
	r = run_model(f, "bert-base", 1, "--dim seq=16");
	assert_string_equal(gbt_json_str(r, "status"), "ok");
	assert_int_equal((int)gbt_json_num(r, "config.dims.seq"), 16);
	assert_string_equal(meta(r, "seq"), "dynamic");
	cJSON_Delete(r);
}

/* Weights written by the framework itself load; a file that is not one
 * fails naming it. */
static void check_weights(const struct fw *f)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(f->runtime);
	struct gb_runtime_info info;
	char cmd[8192], extra[4096], *out = NULL;
	cJSON *r;
	int rc;

	if (!have(f))
		skip();
	assert_int_equal(rt->info(rt, &info), 0);
	assert_true(info.interpreter[0] != '\0');
	gbt_write(tmp, "save.py", "%s", f->save_weights);
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' save.py good%s 2>&1", tmp, info.interpreter, f->weights_ext);
	if (gbt_run(cmd, &out))
		fail_msg("%s: %s", cmd, out);
	free(out);
	snprintf(extra, sizeof extra, "--ep-option weights=%s/good%s", tmp, f->weights_ext);
	r = run_model(f, "mobilenetv2", 1, extra);
	assert_string_equal(gbt_json_str(r, "status"), "ok");
	assert_non_null(strstr(meta(r, "weights"), "good"));
	cJSON_Delete(r);

	gbt_write(tmp, "bad.weights.h5", "these are not weights\n");
	gbt_write(tmp, "bad.params", "these are not weights\n");
	snprintf(cmd, sizeof cmd,
		 "run --runtime %s --model mobilenetv2 %s --ep-option weights=%s/bad%s -n 1 --warmup 0 --no-meter",
		 f->runtime, f->opts, tmp, f->weights_ext);
	rc = gbt_run_gb("", gb, cmd, &out);
	assert_int_not_equal(rc, 0);
	snprintf(extra, sizeof extra, "cannot load weights '%s/bad%s'", tmp, f->weights_ext);
	if (!strstr(out, extra))
		fail_msg("'%s' not in: %s", extra, out);
	free(out);
}

/* Convert, check with onnx.checker, run in the C backend, compare. */
static void check_convert(const struct fw *f)
{
	const struct gb_runtime_ops *rt = gb_runtime_find(f->runtime);
	struct gb_runtime_info info;
	char args[4096], *out = NULL;
	cJSON *j;

	if (!have(f))
		skip();
	if (!gbt_have_runtime("ort"))
		skip();
	/* The converter's own onnx checks it: Debian's is too old for the
	 * IR version the converters write. */
	assert_int_equal(rt->info(rt, &info), 0);
	snprintf(args, sizeof args, "convert %s --model mobilenetv2 -o %s/m-%s.onnx", f->converter, tmp,
		 f->converter);
	if (gbt_run_gb("", gb, args, &out))
		fail_msg("greenbench %s: %s", args, out);
	assert_non_null(strstr(out, "wrote "));
	free(out);
	snprintf(args, sizeof args,
		 "'%s' -c \"import onnx; m = onnx.load('%s/m-%s.onnx'); onnx.checker.check_model(m, full_check=True); "
		 "print([d.dim_param for d in m.graph.input[0].type.tensor_type.shape.dim][0], len(m.graph.input))\" 2>&1",
		 info.interpreter, tmp, f->converter);
	if (gbt_run(args, &out))
		fail_msg("onnx.checker: %s", out);
	assert_non_null(strstr(out, "batch 1")); /* dynamic batch, one input */
	free(out);
	snprintf(args, sizeof args,
		 "compare -b 2 --batches 1 --json -- --runtime %s --model mobilenetv2 %s -- --model %s/m-%s.onnx",
		 f->runtime, f->opts, tmp, f->converter);
	j = run_json(args);
	assert_int_equal((int)gbt_json_num(j, "n"), 2);
	assert_int_equal((int)gbt_json_num(j, "scores_per_item"), 1000);
	assert_true(gbt_json_num(j, "top1_agreement") >= 0.99);
	double diff = gbt_json_num(j, "max_abs_diff");
	assert_true(isfinite(diff) && diff < 1e-3);
	print_message("%s: top-1 agreement %.2f, max |diff| %.3g\n", f->converter,
		      gbt_json_num(j, "top1_agreement"), diff);
	cJSON_Delete(j);
}

/* A campaign whose models are converted (tf2onnx, mx2onnx) next to the
 * frameworks' own: every row is recorded, each conversion is cached once. */
static void test_campaign_convert(void **s)
{
	char venv[4096], cmd[8192], *out = NULL;
	int rc;

	(void)s;
	if (!have(&fws[0]) || !have(&fws[2]))
		skip();
	if (!gbt_have_runtime("ort"))
		skip();
	/* The cache moves to the test's directory; the environments stay. */
	assert_int_equal(gb_worker_venv_dir(venv, sizeof venv), 0);
	gbt_write(tmp, "conv.yaml",
		  "name: conv\nseed: 1\nreps: 1\nwarmup: 0\niterations: 1\nmin_duration: 0s\ncooldown: 0s\n"
		  "models:\n  - mobilenetv2\n  - {zoo: mobilenetv2, convert: tf2onnx}\n"
		  "  - {zoo: mobilenetv2, convert: mx2onnx}\n"
		  "runtimes: [ort/cpu, tf/cpu, mxnet/cpu]\nbatches: [1]\n");
	/* 4 is a verdict on the machine's load (a run made invalid by others'
	 * CPU time on a shared 2-core CI machine), not on the conversions. */
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && GREENBENCH_VENV_DIR='%s' GREENBENCH_CACHE_DIR='%s/cache' '%s' campaign run conv.yaml "
		 "--db c.db 2>&1; rc=$?; '%s' report --db c.db --format csv 2>&1 && ls cache/zoo && exit $rc",
		 tmp, venv, tmp, gb, gb);
	rc = gbt_run(cmd, &out);
	if (rc != 0 && rc != 4)
		fail_msg("%s: exit %d: %s", cmd, rc, out);
	/* 3 models x ort + the plain model on tf and mxnet; the converted
	 * ones pair with ort alone. */
	if (!strstr(out, "5 runs recorded now (5 ok, 0 failed)"))
		fail_msg("not every row: %s", out);
	assert_non_null(strstr(out, "mobilenetv2-tf2onnx"));
	assert_non_null(strstr(out, "mobilenetv2-mx2onnx"));
	assert_non_null(strstr(out, "mobilenetv2-tf2onnx-"));	/* the cached file, keyed */
	free(out);
}

#define FW_TESTS(i, name)                                                                  \
	static void test_##name##_models(void **s) { (void)s; check_models(&fws[i]); }     \
	static void test_##name##_bert(void **s) { (void)s; check_bert(&fws[i]); }         \
	static void test_##name##_weights(void **s) { (void)s; check_weights(&fws[i]); }

FW_TESTS(0, tf)
FW_TESTS(1, keras)
FW_TESTS(2, mxnet)

static void test_tf2onnx(void **s) { (void)s; check_convert(&fws[0]); }
static void test_mx2onnx(void **s) { (void)s; check_convert(&fws[2]); }

/* A name that is only the start of another is not required. */
static void test_required_list(void **s)
{
	(void)s;
	setenv("GREENBENCH_REQUIRED_RUNTIMES", "tf2,keras mxnet", 1);
	assert_false(required("tf"));
	assert_true(required("keras"));
	assert_true(required("mxnet"));
	unsetenv("GREENBENCH_REQUIRED_RUNTIMES");
	assert_false(required("keras"));
}

int main(void)
{
	const char *saved = getenv("GREENBENCH_REQUIRED_RUNTIMES");
	char *keep = saved ? strdup(saved) : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_list),
	};
	const struct CMUnitTest fw_tests[] = {
		cmocka_unit_test(test_tf_models),    cmocka_unit_test(test_tf_bert),
		cmocka_unit_test(test_tf_weights),   cmocka_unit_test(test_tf2onnx),
		cmocka_unit_test(test_keras_models), cmocka_unit_test(test_keras_bert),
		cmocka_unit_test(test_keras_weights),
		cmocka_unit_test(test_mxnet_models), cmocka_unit_test(test_mxnet_bert),
		cmocka_unit_test(test_mxnet_weights), cmocka_unit_test(test_mx2onnx),
		cmocka_unit_test(test_campaign_convert),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	if (keep)
		setenv("GREENBENCH_REQUIRED_RUNTIMES", keep, 1);
	free(keep);
	return rc | cmocka_run_group_tests(fw_tests, setup, teardown);
}
