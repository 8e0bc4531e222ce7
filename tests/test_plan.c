/*
 * Experiment files: a good file's matrix, bad files with their exact
 * file:line:column, and the seeded order (reproducible, checked against an
 * independent Python implementation of the documented PRNG).
 */
#include "lib/gbtest.h"
#include "greenbench/error.h"
#include "greenbench/plan.h"
#include "greenbench/campaign.h"
#include "greenbench/runtime.h"
#include "greenbench/zoo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char good[] =
	"name: study\n"
	"seed: 1234\n"
	"reps: 3\n"
	"warmup: 2s\n"
	"iterations: 50\n"
	"min_duration: 500ms\n"
	"cooldown: {until: idle, margin_pct: 5, timeout: 30s}\n"
	"idle_baseline: {duration: 2s, every: 10}\n"
	"models:\n"
	"  - zoo: bert-base\n"
	"    dims: {seq: 32}\n"
	"  - file: models/tiny.onnx\n"
	"    data: val\n"
	"    limit: 100\n"
	"    data_args: [--resize, '32', --crop, '32']\n"
	"  - mobilenetv2\n"
	"runtimes:\n"
	"  - ort/cpu\n"
	"  - runtime: ort\n"
	"    ep: cuda\n"
	"    options: {cudnn_conv_algo_search: EXHAUSTIVE}\n"
	"  - runtime: torch\n"
	"    options: {device: cuda, dtype: float16}\n"
	"    label: torch-fp16\n"
	"    args: [--io, device]\n"
	"batches: [1, 64]\n"
	"exclude:\n"
	"  - {model: bert-base, runtime: torch-fp16, batch: 64}\n"
	"  - {ep: cuda, batch: 1}\n";

static struct gb_plan *parse(const char *text, const char *path)
{
	struct gb_plan *p = NULL;
	int ret = gb_plan_parse(text, strlen(text), path, &p);

	if (ret)
		fail_msg("parse failed: %s", gb_error_msg());
	return p;
}

static void test_good_file(void **st)
{
	struct gb_plan *p = parse(good, "dir/study.yaml");
	char key[256];

	(void)st;
	assert_string_equal(p->name, "study");
	assert_true(p->seed == 1234);
	assert_int_equal(p->reps, 3);
	assert_string_equal(p->warmup, "2s");
	assert_int_equal(p->iterations, 50);
	assert_string_equal(p->min_duration, "500ms");
	assert_int_equal(p->cooldown, GB_COOLDOWN_UNTIL_IDLE);
	assert_true(p->cooldown_ns == 30000000000ULL);
	assert_true(p->cooldown_margin_pct == 5);
	assert_true(p->idle_duration_ns == 2000000000ULL);
	assert_int_equal(p->idle_every, 10);
	assert_int_equal(p->nmodels, 3);
	assert_string_equal(p->models[0].zoo, "bert-base");
	assert_int_equal(p->models[0].ndims, 1);
	assert_string_equal(p->models[0].dims[0].key, "seq");
	assert_string_equal(p->models[0].dims[0].value, "32");
	/* A relative model file is relative to the experiment file. */
	assert_string_equal(p->models[1].file, "dir/models/tiny.onnx");
	assert_string_equal(p->models[1].name, "tiny.onnx");
	assert_null(p->models[1].zoo);
	/* convert takes zoo models (test_examples, the bad files); files carry none. */
	assert_null(p->models[1].convert);
	assert_null(p->models[0].convert);
	/* Accuracy data: relative to the file too, with its limit and flags. */
	assert_string_equal(p->models[1].data, "dir/val");
	assert_int_equal(p->models[1].limit, 100);
	assert_int_equal(p->models[1].ndata_args, 4);
	assert_string_equal(p->models[1].data_args[3], "32");
	assert_null(p->models[0].data);
	assert_int_equal(p->nruntimes, 3);
	assert_string_equal(p->runtimes[0].label, "ort/cpu");
	assert_string_equal(p->runtimes[1].options[0].key, "cudnn_conv_algo_search");
	assert_string_equal(p->runtimes[2].label, "torch-fp16");
	assert_null(p->runtimes[2].ep);
	assert_int_equal(p->runtimes[2].nargs, 2);
	assert_int_equal(p->nbatches, 2);
	/* 3 x 3 x 2 = 18; minus bert-base/torch-fp16/b64 and the 3 cuda/b1. */
	assert_int_equal(p->nexcluded, 4);
	assert_int_equal(p->nconfigs, 14);
	assert_int_equal(p->nruns, 42);
	for (size_t i = 0; i < p->nconfigs; i++) {
		gb_plan_config_key(p, i, key, sizeof key);
		assert_null(strstr(key, "ort/cuda|b1"));
		assert_null(strstr(key, "bert-base|torch-fp16|b64"));
	}
	gb_plan_free(p);
}

/* A model's data reaches `run` as --data/--limit and its data_args. */
static void test_run_argv_data(void **st)
{
	struct gb_plan *p = parse(good, "dir/study.yaml");
	char **argv = NULL, joined[4096] = "";
	size_t cfg = 0, off = 0;

	(void)st;
	while (cfg < p->nconfigs && p->configs[cfg].model != 1)
		cfg++;
	assert_true(cfg < p->nconfigs);
	assert_int_equal(gb_campaign_run_argv(p, cfg, "greenbench", "m.onnx", &argv), 0);
	for (char **a = argv; *a; a++)
		off += (size_t)snprintf(joined + off, sizeof joined - off, " %s", *a);
	assert_non_null(strstr(joined, " --data dir/val --limit 100 --resize 32 --crop 32"));
	assert_non_null(strstr(joined, " --series --json"));
	gb_campaign_argv_free(argv);
	gb_plan_free(p);
}

/* Sweep axes: lists of option values expand into one runtime entry per
 * combination (the last option fastest), labelled by the swept values;
 * a declared axis with a flag of its own reaches `run` as that flag. */
static void test_sweep_axes(void **st)
{
	static const char text[] =
		"models: [resnet50]\n"
		"runtimes:\n"
		"  - {runtime: ort, ep: cpu, options: {threads: [1, 2], opt_level: [1, 99], session.x: y}}\n"
		"  - {runtime: torch, options: {channels_last: [0, 1]}, label: tl}\n"
		"batches: [1, 8]\n"
		"exclude: [{runtime: 'ort/cpu threads=2 opt_level=1', batch: 8}]\n";
	static const char *const labels[] = {
		"ort/cpu threads=1 opt_level=1", "ort/cpu threads=1 opt_level=99",
		"ort/cpu threads=2 opt_level=1", "ort/cpu threads=2 opt_level=99",
		"tl channels_last=0", "tl channels_last=1",
	};
	struct gb_plan *p = parse(text, "s.yaml");
	char **argv = NULL, joined[4096] = "";
	size_t off = 0;

	(void)st;
	assert_int_equal(p->nruntimes, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(p->runtimes[i].label, labels[i]);
	assert_int_equal(p->runtimes[2].noptions, 3);
	assert_string_equal(p->runtimes[2].options[0].value, "2");
	assert_string_equal(p->runtimes[2].options[1].value, "1");
	assert_string_equal(p->runtimes[2].options[2].key, "session.x");
	assert_int_equal(p->nconfigs, 6 * 2 - 1);
	assert_int_equal(p->configs[0].runtime, 0);
	assert_int_equal(gb_campaign_run_argv(p, 0, "gb", "m.onnx", &argv), 0);
	for (char **a = argv; *a; a++)
		off += (size_t)snprintf(joined + off, sizeof joined - off, " %s", *a);
	assert_non_null(strstr(joined, " --threads 1 --opt-level 1 --ep-option session.x=y "));
	gb_campaign_argv_free(argv);
	gb_plan_free(p);
}

static void test_defaults(void **st)
{
	struct gb_plan *p = parse("models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\n", "x/quick.yaml");

	(void)st;
	assert_string_equal(p->name, "quick");
	assert_int_equal(p->reps, 1);
	assert_int_equal(p->cooldown, GB_COOLDOWN_NONE);
	assert_null(p->warmup);
	assert_int_equal(p->nruns, 1);
	gb_plan_free(p);
}

static const struct bad {
	const char *text;
	const char *msg;
} bad[] = {
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nrepz: 3\n",
	  "bad.yaml:4:1: unknown key 'repz' in the campaign (expected one of: name, seed, reps," },
	{ "models: [resnet5]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:10: unknown zoo model 'resnet5' (expected one of: resnet50, mobilenetv2, bert-base)" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1, x]\n",
	  "bad.yaml:3:14: invalid value 'x': expected a batch size (1 to 1048576)" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nreps: -1\n",
	  "bad.yaml:4:7: invalid value '-1': expected a number of repetitions" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\ncooldown: {until: busy}\n",
	  "bad.yaml:4:19: invalid value 'busy' for until: expected idle" },
	{ "models: [resnet50]\nruntimes: [ort/gpu]\nbatches: [1]\n",
	  "bad.yaml:2:12: unknown execution provider 'gpu' for ort (expected one of: cpu, cuda, tensorrt)" },
	{ "models: [resnet50]\nruntimes: [{runtime: tvm}]\nbatches: [1]\n",
	  "bad.yaml:2:22: unknown runtime 'tvm' (expected one of: ort, torch, ort-python, tf, keras, mxnet)" },
	{ "models: [resnet50]\nruntimes: [ort]\nbatches: [1]\n",
	  "bad.yaml:2:12: runtime 'ort' needs an ep (one of: cpu, cuda, tensorrt)" },
	{ "models: [resnet50]\nruntimes: [torch/tensorrt]\nbatches: [1]\n",
	  "bad.yaml:2:12: unknown execution provider 'tensorrt' for torch (expected one of: cpu, cuda)" },
	{ "models: [resnet50]\nruntimes: [{runtime: ort-python, ep: gpu}]\nbatches: [1]\n",
	  "bad.yaml:2:38: unknown execution provider 'gpu' for ort-python (expected one of: cpu, cuda, tensorrt)" },
	{ "models: [resnet50]\nruntimes: [ort/cuda:x]\nbatches: [1]\n",
	  "bad.yaml:2:12: unknown execution provider 'cuda:x' for ort" },
	{ "models: resnet50\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:9: expected a list of models, found a scalar" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nexclude: [{model: vgg}]\n",
	  "bad.yaml:4:19: exclusion names model 'vgg', which is not in models" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nmin_duration: 10parsecs\n",
	  "bad.yaml:4:15: invalid duration '10parsecs'" },
	{ "runtimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:1: missing 'models'" },
	{ "models:\n  - zoo: bert-base\n    dims: {seq: abc}\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:3:17: invalid value 'abc': expected a positive integer" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nreps: 2\nreps: 3\n",
	  "bad.yaml:5:1: duplicate key 'reps' in the campaign" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nwarmup: lots\n",
	  "bad.yaml:4:9: invalid warmup 'lots'" },
	{ "models: [{zoo: resnet50, file: x.onnx}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:32: a model takes either zoo or file, not both" },
	{ "models: [resnet50]\nruntimes: [ort/cpu]\nbatches: [1]\nexclude: [{batch: 1}]\n",
	  "bad.yaml:4:10: the exclusions remove every configuration" },
	{ "models: [resnet50\nruntimes: [ort/cpu]\n",
	  "bad.yaml:2:9: did not find expected ',' or ']'" },
	{ "models: [resnet50]\nruntimes: [ort/cpu, ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:2:21: runtime label 'ort/cpu' is used twice" },
	{ "", "bad.yaml:1:1: empty experiment file" },
	{ "models: [{zoo: resnet50, convert: keras2onnx}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:35: unknown converter 'keras2onnx' (expected one of: torch2onnx, tf2onnx, mx2onnx)" },
	{ "models: [{file: m.onnx, convert: tf2onnx}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:34: convert takes a zoo model, not a file" },
	{ "models: [{zoo: resnet50, weights: w.h5}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:35: weights are the converter's: they need convert" },
	{ "models: [{zoo: resnet50, convert: tf2onnx}]\nruntimes: [tf/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:1: the exclusions remove every configuration" },
	{ "models: [resnet50]\nruntimes: [{runtime: ort, ep: cpu, options: {threads: []}}]\nbatches: [1]\n",
	  "bad.yaml:2:55: expected a list of option values, found an empty list" },
	{ "models: [resnet50]\nruntimes: [{runtime: ort, ep: cpu, options: {threads: [1, [2]]}}]\nbatches: [1]\n",
	  "bad.yaml:2:59: expected an option value, found a list" },
	{ "models: [resnet50]\nruntimes: [{runtime: ort, ep: cuda, options: {dtype: [fp16]}}]\nbatches: [1]\n",
	  "bad.yaml:2:47: option 'dtype' of ort needs a model converted to it" },
	{ "models: [resnet50]\nruntimes:\n  - {runtime: ort, ep: cpu, options: {threads: [1, 2]}}\n"
	  "  - {runtime: ort, ep: cpu, options: {threads: 2}, label: 'ort/cpu threads=2'}\nbatches: [1]\n",
	  "bad.yaml:4:5: runtime label 'ort/cpu threads=2' is used twice" },
	{ "models: [{zoo: resnet50, limit: 10}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:33: limit needs data" },
	{ "models: [{zoo: resnet50, data: v, limit: x}]\nruntimes: [ort/cpu]\nbatches: [1]\n",
	  "bad.yaml:1:42: invalid value 'x'" },
};

static void test_bad_files(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct gb_plan *p = NULL;
		int ret = gb_plan_parse(bad[i].text, strlen(bad[i].text), "bad.yaml", &p);

		if (ret != -EINVAL || p || strncmp(gb_error_msg(), bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: ret %d, message '%s', want '%s'", i, ret, gb_error_msg(), bad[i].msg);
	}
}

static int parses(const char *text)
{
	struct gb_plan *p = NULL;
	int ret = gb_plan_parse(text, strlen(text), "t.yaml", &p);

	gb_plan_free(p);
	return ret == 0;
}

/* Plans are validated through the tables: every row's EP list accepts
 * exactly its names (with an optional device), an unknown one is refused
 * with that list, and the zoo's models are exactly the zoo table's. */
static void test_validated_by_tables(void **st)
{
	char text[512], want[512], list[256];
	struct gb_plan *p = NULL;

	(void)st;
	for (size_t i = 0; i < gb_runtime_table_len; i++) {
		const struct gb_runtime_ops *rt = gb_runtime_table[i];

		snprintf(text, sizeof text, "models: [resnet50]\nruntimes: [%s]\nbatches: [1]\n", rt->name);
		assert_int_equal(parses(text), !rt->ep_required);
		if (!rt->eps)
			continue;
		for (size_t e = 0; rt->eps[e]; e++) {
			snprintf(text, sizeof text, "models: [resnet50]\nruntimes: [%s/%s, %s/%s:1]\nbatches: [1]\n",
				 rt->name, rt->eps[e], rt->name, rt->eps[e]);
			if (!parses(text))
				fail_msg("%s/%s refused: %s", rt->name, rt->eps[e], gb_error_msg());
			assert_true(gb_runtime_accepts_ep(rt, rt->eps[e]));
		}
		snprintf(text, sizeof text, "models: [resnet50]\nruntimes: [%s/%sx]\nbatches: [1]\n", rt->name,
			 rt->eps[0]);
		assert_int_equal(gb_plan_parse(text, strlen(text), "t.yaml", &p), -EINVAL);
		gb_runtime_join(rt->eps, list, sizeof list);
		snprintf(want, sizeof want, "t.yaml:2:12: unknown execution provider '%sx' for %s (expected one of: %s)",
			 rt->eps[0], rt->name, list);
		assert_string_equal(gb_error_msg(), want);
		assert_false(gb_runtime_accepts_ep(rt, ""));
		snprintf(text, sizeof text, "%s:", rt->eps[0]);
		assert_false(gb_runtime_accepts_ep(rt, text));
		snprintf(text, sizeof text, "%s:1x", rt->eps[0]);
		assert_false(gb_runtime_accepts_ep(rt, text));
	}
	assert_true(gb_zoo_count() > 0);
	for (size_t i = 0; i < gb_zoo_count(); i++) {
		snprintf(text, sizeof text, "models: [%s]\nruntimes: [ort/cpu]\nbatches: [1]\n", gb_zoo_at(i)->name);
		assert_true(parses(text));
	}
	assert_false(parses("models: [{zoo: vgg}]\nruntimes: [ort/cpu]\nbatches: [1]\n"));
	assert_non_null(strstr(gb_error_msg(), "unknown zoo model 'vgg' (expected one of: resnet50, mobilenetv2, bert-base)"));
	gb_runtime_names(list, sizeof list);
	assert_string_equal(list, "ort, torch, ort-python, tf, keras, mxnet");
}

static void test_load_missing_file(void **st)
{
	struct gb_plan *p = NULL;

	(void)st;
	assert_int_equal(gb_plan_load("/nonexistent/x.yaml", &p), -ENOENT);
	assert_string_equal(gb_error_msg(), "cannot open '/nonexistent/x.yaml': No such file or directory");
}

static char *order_of(const struct gb_plan *p)
{
	size_t cap = p->nruns * 8 + 1, off = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; i < p->nruns; i++)
		off += (size_t)snprintf(s + off, cap - off, "%s%zu", i ? " " : "", p->runs[i].config);
	return s;
}

static void test_order_reproducible(void **st)
{
	struct gb_plan *a = parse(good, "a.yaml"), *b = parse(good, "b.yaml");
	char *text = strdup(good), *oa, *ob, *oc;
	struct gb_plan *c;
	unsigned *seen;

	(void)st;
	memcpy(strstr(text, "seed: 1234"), "seed: 4321", 10);
	c = parse(text, "c.yaml");
	oa = order_of(a);
	ob = order_of(b);
	oc = order_of(c);
	assert_string_equal(oa, ob);
	assert_string_not_equal(oa, oc);
	/* Every configuration exactly reps times, reps numbered in run order. */
	seen = calloc(a->nconfigs, sizeof *seen);
	for (size_t i = 0; i < a->nruns; i++) {
		assert_int_equal(a->runs[i].rep, seen[a->runs[i].config]);
		seen[a->runs[i].config]++;
	}
	for (size_t i = 0; i < a->nconfigs; i++)
		assert_int_equal(seen[i], 3);
	free(seen);
	free(oa);
	free(ob);
	free(oc);
	free(text);
	gb_plan_free(a);
	gb_plan_free(b);
	gb_plan_free(c);
}

/* The order equals an independent implementation of the documented PRNG. */
static void test_order_matches_reference(void **st)
{
	struct gb_plan *p = parse(good, "a.yaml");
	char cmd[8192], *out = NULL, *mine = order_of(p);
	struct gb_rng r;
	char raw[512];
	size_t off = 0;

	(void)st;
	if (gbt_run("command -v python3 >/dev/null", NULL) != 0)
		skip();
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/helpers/plan_order_ref.py' 1234 %zu 3",
		 getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".", p->nconfigs);
	assert_int_equal(gbt_run(cmd, &out), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_equal(out, mine);
	free(out);
	gb_rng_seed(&r, 42);
	for (int i = 0; i < 4; i++)
		off += (size_t)snprintf(raw + off, sizeof raw - off, "%s%llu", i ? " " : "",
					(unsigned long long)gb_rng_next(&r));
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/helpers/plan_order_ref.py' --raw 42 4",
		 getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".");
	assert_int_equal(gbt_run(cmd, &out), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_equal(out, raw);
	free(out);
	free(mine);
	gb_plan_free(p);
}

static void test_rng_below_range(void **st)
{
	struct gb_rng r;
	unsigned counts[3] = { 0 };

	(void)st;
	gb_rng_seed(&r, 7);
	for (int i = 0; i < 3000; i++) {
		uint64_t v = gb_rng_below(&r, 3);
		assert_true(v < 3);
		counts[v]++;
	}
	for (int i = 0; i < 3; i++)
		assert_true(counts[i] > 850 && counts[i] < 1150);
}

/* The shipped experiment files parse and keep the study's design. */
static void test_examples(void **st)
{
	const char *src = getenv("GB_SRCDIR") ? getenv("GB_SRCDIR") : ".";
	struct gb_plan *p = NULL;
	char path[4096];

	(void)st;
	snprintf(path, sizeof path, "%s/examples/study.yaml", src);
	if (gb_plan_load(path, &p))
		fail_msg("%s", gb_error_msg());
	assert_int_equal(p->nmodels, 11);
	assert_int_equal(p->nruntimes, 4);
	assert_int_equal(p->nbatches, 2);
	assert_int_equal(p->batches[0], 1);
	assert_int_equal(p->batches[1], 64);
	assert_int_equal(p->cooldown, GB_COOLDOWN_UNTIL_IDLE);
	/* Table 1: 3 models x 4 runtimes + 8 converted models on ort alone,
	 * at 2 batches; the 8 x 3 framework pairs of converted models dropped. */
	assert_int_equal(p->nconfigs, (3 * 4 + 8) * 2);
	assert_int_equal(p->nexcluded, 8 * 3 * 2);
	assert_string_equal(p->models[6].name, "resnet50-tf2onnx");
	assert_string_equal(p->models[6].convert, "tf2onnx");
	gb_plan_free(p);
	snprintf(path, sizeof path, "%s/examples/quick.yaml", src);
	if (gb_plan_load(path, &p))
		fail_msg("%s", gb_error_msg());
	assert_int_equal(p->nmodels, 6);
	assert_string_equal(p->models[2].dims[0].value, "32");
	/* ort: 6 models; torch: 2; tf: 2; mxnet: 2 at 2 batches; keras: 1 at batch 1. */
	assert_int_equal(p->nruns, (6 + 2 + 2 + 2) * 2 + 1);
	gb_plan_free(p);
	snprintf(path, sizeof path, "%s/examples/device-keras.yaml", src);
	if (gb_plan_load(path, &p))
		fail_msg("%s", gb_error_msg());
	assert_int_equal(p->nconfigs, 2 * 4 * 2);
	gb_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_run_argv_data),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sweep_axes),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_validated_by_tables),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_order_reproducible),
		cmocka_unit_test(test_order_matches_reference),
		cmocka_unit_test(test_rng_below_range),
		cmocka_unit_test(test_examples),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
