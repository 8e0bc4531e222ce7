/*
 * Evaluation end to end: `run --data` (the accuracy phase and the record's
 * "accuracy" object) and `compare`.
 *
 * The honest test: tests/helpers/train_tiny.py trains a small CNN with
 * PyTorch on generated shapes, writes a JPEG+PNG ImageFolder test set,
 * exports ONNX and counts PyTorch's own correct predictions on those files;
 * greenbench's C path (decoding, preprocessing, batching, ORT) must count
 * exactly the same. No tolerance: preprocessing is bit-equal to
 * torchvision's (docs/data.md) and the 3 logits of a 16-feature linear layer
 * computed by ORT and PyTorch differ by ~1e-6, far below the margins of
 * this model's decisions; a difference would be a bug to look at.
 *
 * Text: tests/helpers/eval_models.py makes a hand-built sentiment model and
 * a TSV set whose expected count it computes from the raw text.
 * Skipped with the reason when ONNX Runtime or PyTorch is missing.
 */
#include "lib/gbtest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAST "--min-duration 0 -n 2 --warmup 1"
#define PREP "--resize 32 --crop 32 --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25"

static char *gb, *models, *tmp;
static char env[8192];
static int have_torch_data = -1;	/* train_tiny.py ran */
static long img_n, img_correct, txt_n, txt_correct;

static int run_gb(const char *args, char **out)
{
	return gbt_run_gb(env, gb, args, out);
}

static void read_expected(const char *name, long *n, long *correct)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmp, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", n, correct), 2);
	fclose(f);
}

/* Train and export once (about 10 s); later tests reuse the files. */
static int need_torch_data(void)
{
	const char *py = getenv("GB_PYTHON"), *src = getenv("GB_SRCDIR");
	char cmd[8192], *out = NULL;

	if (have_torch_data >= 0)
		return have_torch_data;
	snprintf(cmd, sizeof cmd, "'%s' -c 'import torch, torchvision' 2>&1", py ? py : "python3");
	if (gbt_run(cmd, &out) != 0) {
		fprintf(stderr, "skipped: no PyTorch/torchvision for the end-to-end test: %s\n", out);
		free(out);
		return have_torch_data = 0;
	}
	free(out);
	snprintf(cmd, sizeof cmd, "'%s' '%s/tests/helpers/train_tiny.py' '%s' 2>&1", py ? py : "python3",
		 src ? src : ".", tmp);
	if (gbt_run(cmd, &out) != 0)
		fail_msg("train_tiny.py failed:\n%s", out);
	free(out);
	read_expected("expected.txt", &img_n, &img_correct);
	/* the test means something only if some items are missed */
	assert_true(img_correct > img_n / 2 && img_correct < img_n);
	return have_torch_data = 1;
}

static cJSON *json_of(const char *args, int want_rc)
{
	char *out = NULL;
	cJSON *j;
	int rc = run_gb(args, &out);

	if (rc != want_rc)
		fail_msg("greenbench %s: exit %d, want %d\n%s", args, rc, want_rc, out);
	j = cJSON_Parse(out);
	if (!j)
		fail_msg("greenbench %s: not JSON:\n%s", args, out);
	free(out);
	return j;
}

static const struct gbt_row rows[] = {
	{ "run --model $M/mlp.onnx --limit 3", 129, "error: data options need --data PATH" },
	{ "run --model $M/mlp.onnx --data x --limit 0", 129, "invalid --limit '0'" },
	{ "run --model $M/mlp.onnx --data x --data-kind audio", 129, "invalid --data-kind 'audio'" },
	{ "run --model $M/mlp.onnx --data x --crop abc", 129, "crop" },
	{ "run --model $M/mlp.onnx --data x --seq 1", 129, "invalid --seq '1'" },
	{ "run --model $M/mlp.onnx --data /nonexistent/val " FAST, 1, "/nonexistent/val" },
	{ "run --model $M/mlp.onnx --data $T/reviews.tsv " FAST, 1, "vocab" },
	{ "run --model $T/sentiment.onnx --data $T/reviews.tsv --vocab-file $T/vocab.txt --seq 12 "
	  "--vocab 18 --batch 4 " FAST, 0, "accuracy       69.23% (9/13)" },
	{ "run --model $T/mlp3.onnx --data $T/reviews.tsv --vocab-file $T/vocab.txt --vocab 18 "
	  FAST, 1, "no data for the model's input 'x'" },
	{ "compare", 129, "give both sides: compare [options] -- A-OPTIONS -- B-OPTIONS" },
	{ "compare -- --model a.onnx", 129, "side b is missing" },
	{ "compare -- --model a -- --model b -- x", 129, "too many '--'" },
	{ "compare -- --bogus -- --model b", 129, "side a: unknown option '--bogus'" },
	{ "compare -- --model a.onnx -- --ep cpu", 129, "side b: no model given" },
	{ "compare --batches 0 -- --model a -- --model b", 129, "invalid --batches '0'" },
	{ "compare -- --model a --threads x -- --model b", 129, "invalid --threads 'x'" },
	{ "compare -- --model a -- --model b --opt-level max", 129, "invalid --opt-level 'max'" },
	{ "compare --threads 1 -- --model a -- --model b", 129, "error: unknown option '--threads'" },
	{ "compare -- --model a -- --model b --runtime tvm", 1, "error: side b: unknown runtime 'tvm'" },
	{ "compare -- --model $T/mlp3.onnx -- --model $T/mlp3.onnx --threads 1 --opt-level basic", 0,
	  "top-1 agreement  100.00% (4/4)" },
	{ "compare --limit 2 -- --model a -- --model b", 129, "data options need --data PATH" },
	{ "compare --help", 0, "usage: greenbench compare [options] -- A-OPTIONS -- B-OPTIONS" },
	{ "help compare", 0, "Each side's options" },
	{ "compare -- --model /nonexistent.onnx -- --model $M/mlp.onnx", 1,
	  "error: side a: cannot open model '/nonexistent.onnx'" },
	{ "compare -- --model $M/mlp.onnx -- --model $M/tokens.onnx", 1,
	  "error: side b: no data for the model's input 'input_ids'" },
	{ "compare -- --model $T/mlp3.onnx -- --model $M/mlp.onnx", 1,
	  "the outputs differ in size: a gives 3 scores per item, b 8" },
	{ "compare --batch 5 -- --model $T/mlp3.onnx -- --model $T/mlp3.onnx", 0,
	  "top-1 agreement  100.00% (20/20)" },
};

static void test_rows(void **st)
{
	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	gbt_rows_check(rows, sizeof rows / sizeof rows[0], env, gb);
}

/* PyTorch's count of correct predictions, through greenbench's C path. */
static void test_images_match_pytorch(void **st)
{
	static const char *const phase[] = { "load", "first", "warmup", "measured", "accuracy" };
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort") || !need_torch_data())
		skip();
	/* batch 7: 120 items leave a short last batch of 1 */
	j = json_of("run --json --model $T/tiny.onnx --data $T/val " PREP " --batch 7 " FAST, 0);
	assert_string_equal(gbt_json_str(j, "status"), "ok");
	assert_int_equal(gbt_json_num(j, "accuracy.n"), img_n);
	assert_int_equal(gbt_json_num(j, "accuracy.correct_top1"), img_correct);
	assert_float_equal(gbt_json_num(j, "accuracy.top1"), (double)img_correct / img_n, 1e-12);
	assert_int_equal(gbt_json_num(j, "accuracy.correct_top5"), img_n); /* 3 classes */
	assert_string_equal(gbt_json_str(j, "accuracy.kind"), "images");
	assert_non_null(strstr(gbt_json_str(j, "accuracy.data"), "/val"));
	assert_int_equal(gbt_json_num(j, "accuracy.classes"), 3);
	assert_int_equal(gbt_json_num(j, "accuracy.skipped"), 0);
	/* the accuracy phase comes after the measured one, with its own energy */
	assert_int_equal(cJSON_GetArraySize(gbt_json_get(j, "phases")), 5);
	for (int p = 0; p < 5; p++) {
		char k[64];

		snprintf(k, sizeof k, "phases.%d.name", p);
		assert_string_equal(gbt_json_str(j, k), phase[p]);
	}
	assert_true(gbt_json_num(j, "phases.4.t_start_ns") >= gbt_json_num(j, "phases.3.t_end_ns"));
	assert_int_equal(gbt_json_num(j, "phases.4.items"), img_n);
	assert_int_equal(gbt_json_num(j, "phases.4.iterations"), (img_n + 6) / 7);
	gbt_check_cpu_estimate(j, 4);
	/* the measured phase ran the generated batches, not the data */
	assert_int_equal(gbt_json_num(j, "phases.3.items"), 7 * gbt_json_num(j, "phases.3.iterations"));
	cJSON_Delete(j);

	/* same count in one batch, and through device-bound inputs (cache hit) */
	j = json_of("run --json --model $T/tiny.onnx --data $T/val " PREP " --batch 120 --io device " FAST, 0);
	assert_int_equal(gbt_json_num(j, "accuracy.correct_top1"), img_correct);
	assert_int_equal(gbt_json_num(j, "phases.4.iterations"), 1);
	cJSON_Delete(j);

	/* --limit: a balanced prefix */
	j = json_of("run --json --model $T/tiny.onnx --data $T/val " PREP " --limit 9 --batch 4 " FAST, 0);
	assert_int_equal(gbt_json_num(j, "accuracy.n"), 9);
	assert_int_equal(gbt_json_num(j, "accuracy.limit"), 9);
	cJSON_Delete(j);
}

static void test_images_bad_and_human(void **st)
{
	char *out = NULL;
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort") || !need_torch_data())
		skip();
	gbt_write(tmp, "val/red/zzz.jpg", "not an image\n");
	assert_int_equal(run_gb("run --model $T/tiny.onnx --data $T/val " PREP " " FAST, &out), 1);
	assert_non_null(strstr(out, "zzz.jpg"));
	free(out);
	j = json_of("run --json --model $T/tiny.onnx --data $T/val " PREP " --skip-bad --batch 16 " FAST, 0);
	assert_int_equal(gbt_json_num(j, "accuracy.n"), img_n);
	assert_int_equal(gbt_json_num(j, "accuracy.correct_top1"), img_correct);
	assert_int_equal(gbt_json_num(j, "accuracy.skipped"), 1);
	assert_non_null(strstr(gbt_json_str(j, "accuracy.skipped_reasons.0"), "zzz.jpg"));
	cJSON_Delete(j);
	assert_int_equal(run_gb("run --model $T/tiny.onnx --data $T/val " PREP " --skip-bad " FAST, &out), 0);
	assert_non_null(strstr(out, "accuracy       top-1 "));
	assert_non_null(strstr(out, "1 skipped"));
	free(out);
	{
		char path[4200];

		snprintf(path, sizeof path, "%s/val/red/zzz.jpg", tmp);
		assert_int_equal(unlink(path), 0);
	}
}

/* Fixed batch of 2 (fixed.onnx): 5 items are 3 runs, the last padded. */
static void test_fixed_batch_padding(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort") || !need_torch_data())
		skip();
	j = json_of("run --json --model $M/fixed.onnx --data $T/val --resize 4 --crop 4 --limit 5 " FAST, 0);
	assert_int_equal(gbt_json_num(j, "accuracy.n"), 5);
	assert_int_equal(gbt_json_num(j, "phases.4.iterations"), 3);
	assert_int_equal(gbt_json_num(j, "accuracy.classes"), 48);
	cJSON_Delete(j);
}

static void test_text(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	j = json_of("run --json --model $T/sentiment.onnx --data $T/reviews.tsv --vocab-file $T/vocab.txt "
		    "--seq 12 --vocab 18 --batch 5 " FAST, 0);
	assert_int_equal(gbt_json_num(j, "accuracy.n"), txt_n);
	assert_int_equal(gbt_json_num(j, "accuracy.correct_top1"), txt_correct);
	assert_string_equal(gbt_json_str(j, "accuracy.kind"), "text");
	assert_null(cJSON_GetObjectItem(gbt_json_get(j, "accuracy"), "top5"));
	assert_non_null(cJSON_GetObjectItem(gbt_json_get(j, "unavailable"), "accuracy.top5"));
	/* --seq also set the generated inputs' seq dim */
	assert_int_equal(gbt_json_num(j, "config.dims.seq"), 12);
	cJSON_Delete(j);
}

static void test_compare(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort"))
		skip();
	j = json_of("compare --json --batch 16 --seed 5 -- --model $T/mlp3.onnx -- --model $T/mlp3.onnx --io device", 0);
	assert_int_equal(gbt_json_num(j, "n"), 64);
	assert_int_equal(gbt_json_num(j, "top1_agree"), 64);
	assert_float_equal(gbt_json_num(j, "top1_agreement"), 1.0, 0);
	assert_float_equal(gbt_json_num(j, "max_abs_diff"), 0.0, 0);
	assert_int_equal(gbt_json_num(j, "values"), 64 * 3);
	assert_string_equal(gbt_json_str(j, "inputs.kind"), "generated");
	assert_string_equal(gbt_json_str(j, "b.io"), "device");
	cJSON_Delete(j);
	j = json_of("compare --json --batch 16 --seed 5 -- --model $T/mlp3.onnx -- --model $T/mlp3_perturbed.onnx", 0);
	assert_int_equal(gbt_json_num(j, "n"), 64);
	assert_true(gbt_json_num(j, "top1_agreement") < 1.0);
	assert_true(gbt_json_num(j, "top1_agreement") > 0.5);
	assert_true(gbt_json_num(j, "max_abs_diff") > 0);
	assert_true(gbt_json_num(j, "mean_abs_diff") > 0 && gbt_json_num(j, "mean_abs_diff") <= gbt_json_num(j, "max_abs_diff"));
	cJSON_Delete(j);
	/* labelled text: both sides' accuracy, equal to run's */
	j = json_of("compare --json --batch 4 --data $T/reviews.tsv --vocab-file $T/vocab.txt --seq 12 "
		    "-- --model $T/sentiment.onnx -- --model $T/sentiment.onnx", 0);
	assert_int_equal(gbt_json_num(j, "a.accuracy.correct_top1"), txt_correct);
	assert_int_equal(gbt_json_num(j, "b.accuracy.correct_top1"), txt_correct);
	assert_int_equal(gbt_json_num(j, "n"), txt_n);
	assert_float_equal(gbt_json_num(j, "top1_agreement"), 1.0, 0);
	cJSON_Delete(j);
}

static void test_compare_images(void **st)
{
	cJSON *j;

	(void)st;
	if (!gbt_have_runtime("ort") || !need_torch_data())
		skip();
	j = json_of("compare --json --batch 8 --data $T/val " PREP " -- --model $T/tiny.onnx -- --model $T/tiny.onnx", 0);
	assert_int_equal(gbt_json_num(j, "n"), img_n);
	assert_int_equal(gbt_json_num(j, "a.accuracy.correct_top1"), img_correct);
	assert_float_equal(gbt_json_num(j, "max_abs_diff"), 0.0, 0);
	assert_string_equal(gbt_json_str(j, "inputs.kind"), "images");
	cJSON_Delete(j);
}

static int setup(void **st)
{
	const char *py = getenv("GB_PYTHON"), *src = getenv("GB_SRCDIR");
	char cmd[8192], *out = NULL;

	(void)st;
	gb = gbt_greenbench();
	models = gbt_build_path("models");
	tmp = gbt_mkdtemp();
	snprintf(cmd, sizeof cmd, "'%s' '%s/tests/helpers/eval_models.py' '%s' 2>&1", py ? py : "python3",
		 src ? src : ".", tmp);
	if (gbt_run(cmd, &out) != 0) {
		fprintf(stderr, "eval_models.py failed:\n%s", out);
		free(out);
		return -1;
	}
	free(out);
	read_expected("expected_text.txt", &txt_n, &txt_correct);
	snprintf(env, sizeof env,
		 "export GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1 XDG_CACHE_HOME='%s/cache' "
		 "LSAN_OPTIONS=print_suppressions=0 M='%s' T='%s';", tmp, models, tmp);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	gbt_rm_rf(tmp);
	free(tmp);
	free(models);
	free(gb);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_images_match_pytorch),
		cmocka_unit_test(test_images_bad_and_human),
		cmocka_unit_test(test_fixed_batch_padding),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_compare_images),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
