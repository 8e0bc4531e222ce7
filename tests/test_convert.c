/*
 * `greenbench convert`: usage errors as table rows, then torch2onnx of
 * MobileNetV2 end to end, checked by onnx's own checker (skips, saying
 * why, where python3 has no torch).
 */
#include "lib/gbtest.h"

#include "greenbench/error.h"
#include "greenbench/runtime.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_torch2onnx),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
