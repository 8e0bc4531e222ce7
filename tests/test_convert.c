/*
 * `greenbench convert`: usage errors as table rows, then torch2onnx of
 * MobileNetV2 end to end, checked by onnx's own checker (skips, saying
 * why, where python3 has no torch); then every model the converter writes
 * through the C backend (issue 10).
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *gb;
static const char *python = "python3";

static int setup(void **state)
{
	const char *src = getenv("GB_SRCDIR");
	char dir[4096];

	gb = gbt_build_path("../greenbench");
	snprintf(dir, sizeof dir, "%s/workers", src && *src ? src : ".");
	setenv("GREENBENCH_WORKERS_DIR", dir, 1);
	if (getenv("GB_PYTHON") && *getenv("GB_PYTHON")) {
		python = getenv("GB_PYTHON");
		setenv("GREENBENCH_PYTHON", python, 1);
	}
	return 0;
}

static int teardown(void **state)
{
	free(gb);
	return 0;
}

static const struct gbt_row rows[] = {
	{ "convert", 129, "error: no conversion given (torch2onnx, tf2onnx, mx2onnx)" },
	{ "convert onnx2tf --model resnet50 -o x.onnx", 129, "unknown conversion 'onnx2tf'" },
	{ "convert torch2onnx -o x.onnx", 129, "no --model given" },
	{ "convert torch2onnx --model resnet50", 129, "no output file given" },
	{ "convert torch2onnx --model resnet50 --opset 3 -o x.onnx", 129, "invalid --opset '3'" },
	{ "convert torch2onnx --model resnet50 --frobnicate -o x.onnx", 129, "unknown option '--frobnicate'" },
	{ "convert --help", 0, "usage: greenbench convert torch2onnx" },
};

static void test_usage(void **state)
{
	gbt_rows_check(rows, sizeof rows / sizeof rows[0], "", gb);
}

static void test_torch2onnx(void **state)
{
	const struct gb_runtime_ops *rt = gb_runtime_find("torch");
	char cmd[8192], *out = NULL;

	if (gb_runtime_probe(rt)) {
		print_message("skipped: torch: %s\n", gb_error_msg());
		skip();
	}
	snprintf(cmd, sizeof cmd, "'%s' convert torch2onnx --model mobilenetv2 --seed 3 -o m.onnx 2>&1", gb);
	if (gbt_run(cmd, &out))
		fail_msg("convert failed:\n%s", out);
	assert_non_null(strstr(out, "wrote m.onnx: "));
	assert_non_null(strstr(out, "opset 17"));
	free(out);
	/* Valid ONNX, opset 17, the names the torch runtime uses, batch dynamic. */
	snprintf(cmd, sizeof cmd,
		 "%s -c 'import onnx; m = onnx.load(\"m.onnx\"); onnx.checker.check_model(m); "
		 "i = m.graph.input[0]; "
		 "print(i.name, i.type.tensor_type.shape.dim[0].dim_param, m.graph.output[0].name, "
		 "[o.version for o in m.opset_import if o.domain in (\"\", \"ai.onnx\")][0])' 2>&1",
		 python);
	assert_int_equal(gbt_run(cmd, &out), 0);
	assert_string_equal(out, "input batch output 17\n");
	free(out);
}

/* `greenbench run --json` of model on ORT's CPU EP at batch 2, writing
 * ORT's optimised graph to opt; the record, parsed (caller deletes it). */
static cJSON *run_cpu(const char *model, const char *extra, const char *opt)
{
	char args[8192], *out = NULL;
	cJSON *j;
	int rc;

	snprintf(args, sizeof args,
		 "run --model '%s' --ep cpu --batch 2 --threads 1 --no-meter --warmup 0 --iterations 1 "
		 "--min-duration 0 --json --ep-option session.optimized_model_filepath='%s' %s",
		 model, opt, extra);
	rc = gbt_run_gb("", gb, args, &out);
	j = cJSON_Parse(out);
	if (rc || !j || strcmp(gbt_json_str(j, "status"), "ok"))
		fail_msg("%s %s: exit %d\n%s", model, extra, rc, out);
	free(out);
	return j;
}

/* A model a converter writes must not crash the C backend. CI has no GPU,
 * so what it checks is the CUDA-relevant property: ORT 1.29's CUDA plugin
 * EP dies with SIGSEGV on a Slice whose bound is computed at run time from
 * a Shape (torch.onnx writes that for BERT's position_ids[:, :seq];
 * docs/runtimes.md, "Free dimensions"). With the free dims fixed to the
 * run's shape (static_dims, the default), ORT's constant folding must leave
 * no Shape node in the optimised graph the EP receives; and the model must
 * run on the CPU both ways. slice_bound.onnx, the pattern alone, shows the
 * check can fail: with static_dims=0 its Shape stays. */
static void test_converted_models_run(void **st)
{
	static const struct {
		const char *model, *convert_args, *run_args;
	} models[] = {
		{ "slice_bound", NULL, "--dim seq=8" },
		{ "resnet50", "", "" },
		{ "mobilenetv2", "", "" },
		{ "bert-base", "--seq 16", "" },
	};
	const struct gb_runtime_ops *rt = gb_runtime_find("torch");
	int have_torch = gb_runtime_probe(rt) == 0, ran = 0;
	char cmd[8192], path[4096], *out = NULL, *slice = gbt_build_path("models/slice_bound.onnx");

	if (!gbt_have_runtime("ort")) {
		free(slice);
		skip();
	}
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
		cJSON *j;

		if (models[i].convert_args) {
			if (!have_torch) {
				print_message("skipped %s: torch: %s\n", models[i].model, gb_error_msg());
				continue;
			}
			snprintf(path, sizeof path, "%s.onnx", models[i].model);
			snprintf(cmd, sizeof cmd, "'%s' convert torch2onnx --model %s %s --seed 3 -o %s 2>&1", gb,
				 models[i].model, models[i].convert_args, path);
			if (gbt_run(cmd, &out)) {
				/* bert-base needs transformers, which CI may lack */
				if (!strstr(out, "needs the Python module"))
					fail_msg("convert %s failed:\n%s", models[i].model, out);
				print_message("skipped %s: %s", models[i].model, out);
				free(out);
				continue;
			}
			free(out);
		} else {
			snprintf(path, sizeof path, "%s", slice);
		}
		j = run_cpu(path, models[i].run_args, "opt.onnx");
		if (!strstr(gbt_json_str(j, "environment.runtime.free_dims"), "batch=2"))
			fail_msg("%s: free_dims '%s'", models[i].model,
				 gbt_json_str(j, "environment.runtime.free_dims"));
		cJSON_Delete(j);
		print_message("%s: %ld Shape nodes as written, %ld after ORT's optimisation at fixed dims\n",
			      models[i].model, gbt_onnx_count_op(path, "Shape"), gbt_onnx_count_op("opt.onnx", "Shape"));
		assert_int_equal(gbt_onnx_count_op("opt.onnx", "Shape"), 0);
		snprintf(cmd, sizeof cmd, "%s --ep-option static_dims=0", models[i].run_args);
		j = run_cpu(path, cmd, "opt0.onnx");
		assert_null(cJSON_GetObjectItem(gbt_json_get(j, "environment.runtime"), "free_dims"));
		assert_string_equal(gbt_json_str(j, "environment.runtime.static_dims"), "0");
		cJSON_Delete(j);
		/* the control: left symbolic, the pattern stays */
		if (!models[i].convert_args)
			assert_int_equal(gbt_onnx_count_op("opt0.onnx", "Shape"), 1);
		ran++;
	}
	assert_true(ran >= 1);
	free(slice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_torch2onnx),
		cmocka_unit_test(test_converted_models_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
