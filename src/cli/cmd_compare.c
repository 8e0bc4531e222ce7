/*
 * greenbench compare: two configurations on the same inputs, and how far
 * their outputs agree (the check that conversion keeps accuracy).
 *
 *   $ greenbench compare --batch 8 -- --model resnet50.onnx -- --runtime torch --model resnet50
 *
 *    a  ort/cpu  resnet50.onnx
 *    b  torch/cpu  resnet50
 *    inputs  generated, seed 42, 4 batches of 8
 *
 *     items            32
 *     top-1 agreement  100.00% (32/32)
 *     max |diff|       3.815e-05
 *     mean |diff|      2.114e-06  (32000 values)
 *
 * With --data the inputs are the dataset's items, and each side's accuracy
 * is shown too. --json prints one JSON object instead.
 */
#include "cli/builtin.h"
#include "cli/data_opts.h"
#include "cli/runtime_opts.h"
#include "greenbench/accuracy.h"
#include "greenbench/bench.h"
#include "greenbench/error.h"
#include "greenbench/evaluate.h"
#include "greenbench/inputs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct gb_usage usage = {
	.synopsis = "greenbench compare [options] -- A-OPTIONS -- B-OPTIONS\n",
	.description =
	"Run two configurations on the same inputs and report top-1 agreement and the\n"
	"max/mean |difference| of their outputs (the first float32 output of each,\n"
	"read as [batch, scores]). Inputs are generated from --seed like 'run', or are\n"
	"the items of --data; with labelled data each side's accuracy is shown too.\n",
	.epilogue =
	"Examples:\n"
	"    greenbench compare -- --model m.onnx -- --model m_fp16.onnx\n"
	"    greenbench compare --batch 8 -- --model resnet50.onnx --ep cuda \\\n"
	"        -- --runtime torch --model resnet50 --ep cuda\n"
	"    greenbench compare --data val/ --limit 500 --batch 32 \\\n"
	"        -- --model a.onnx -- --model b.onnx\n",
};

struct side {
	const char *label;
	struct gb_cli_runtime opt;
	const struct gb_runtime_ops *rt;
	void *session;
	const struct gb_tensor_info *in;
	size_t nin;
	struct gb_tensor bound[GB_EVAL_MAX_INPUTS];
	struct gb_accuracy acc;
};

struct compare_opts {
	uint64_t batch, batches, seed, vocab;
	struct gb_cli_dims dims;
	int json;
	struct gb_cli_data data;
	struct side side[2];
};

/* The index of the next "--" from i, or argc. */
static int next_sep(int argc, char **argv, int i)
{
	while (i < argc && strcmp(argv[i], "--"))
		i++;
	return i;
}

/* One side's options, argv[0] being the "--" before them. */
static int parse_side(int argc, char **argv, struct side *s)
{
	const struct gb_option opts[] = {
		GB_CLI_RUNTIME_OPTIONS(&s->opt),
		GB_OPT_END(),
	};
	char prefix[16];
	struct gb_usage u = usage;
	int ret;

	snprintf(prefix, sizeof prefix, "side %s: ", s->label);
	u.error_prefix = prefix;
	gb_cli_runtime_init(&s->opt);
	ret = gb_parse_options(argc, argv, opts, &u, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return ret;
	if (!s->opt.ro.model)
		return gb_usage_error(&u, opts, "no model given: use --model FILE");
	return 0;
}

/* 0, or GB_PARSE_HELP / GB_PARSE_ERROR (printed). */
static int parse_opts(int argc, char **argv, struct compare_opts *o)
{
	struct gb_cli_runtime listed; /* the side rows' help only: never set */
	const struct gb_option opts[] = {
		GB_OPT_GROUP("Options before the first '--' are common to both sides:"),
		GB_OPT_UINT('b', "batch", &o->batch, "N", "items per batch (default 1)", 1),
		GB_OPT_UINT(0, "batches", &o->batches, "N", "generated batches (default 4; seeds N, N+1, ...)", 1),
		GB_OPT_UINT(0, "seed", &o->seed, "N", "seed of the generated inputs (default 42)", 0),
		GB_OPT_UINT(0, "vocab", &o->vocab, "N", "generated token ids in [0, N) (default 30522)", 1),
		GB_OPT_CALLBACK(0, "dim", &o->dims, "NAME=N", "value of a symbolic dim, both sides, repeatable",
				gb_cli_dim_option),
		GB_OPT_BOOL(0, "json", &o->json, "print one JSON object"),
		GB_CLI_DATA_OPTIONS(&o->data),
		GB_OPT_GROUP_LIST_ONLY("Each side's options (between the '--'s):"),
		GB_CLI_RUNTIME_OPTIONS(&listed),
		GB_OPT_END(),
	};
	int a = next_sep(argc, argv, 1), b, ret;

	o->batch = 1;
	o->batches = 4;
	o->seed = 42;
	o->side[0].label = "a";
	o->side[1].label = "b";
	gb_cli_data_init(&o->data);
	ret = gb_parse_options(a, argv, opts, &usage, GB_PARSE_NO_ARGS);
	if (ret < 0)
		return ret;
	ret = gb_cli_data_check(&o->data, &usage, opts);
	if (ret)
		return ret;
	if (a >= argc)
		return gb_usage_error(&usage, opts, "give both sides: compare [options] -- A-OPTIONS -- B-OPTIONS");
	b = next_sep(argc, argv, a + 1);
	if (b >= argc)
		return gb_usage_error(&usage, opts, "side b is missing: add '-- B-OPTIONS'");
	if (next_sep(argc, argv, b + 1) < argc)
		return gb_usage_error(&usage, opts, "too many '--': two sides only");
	/* the "--" before each side stands in for argv[0] */
	ret = parse_side(b - a, argv + a, &o->side[0]);
	if (!ret)
		ret = parse_side(argc - b, argv + b, &o->side[1]);
	return ret;
}

/* ---- running ----------------------------------------------------------- */

/* Both runtimes are looked up before either model is opened. */
static int find_side(struct side *s)
{
	s->rt = gb_runtime_find(s->opt.runtime);
	if (!s->rt)
		return error("side %s: unknown runtime '%s' (see 'greenbench devices')", s->label, s->opt.runtime);
	if (gb_runtime_probe(s->rt) < 0)
		return error("side %s: runtime '%s' is not available: %s", s->label, s->opt.runtime, gb_error_msg());
	return 0;
}

static int open_side(struct side *s)
{
	const struct gb_tensor_info *outs;
	size_t nout;

	if (gb_runtime_open(s->rt, &s->opt.ro, &s->session) < 0) {
		s->session = NULL;
		return error("side %s: %s", s->label, gb_error_msg());
	}
	if (s->rt->describe(s->session, &s->in, &s->nin, &outs, &nout) < 0)
		return error("side %s: %s", s->label, gb_error_msg());
	if (s->nin > GB_EVAL_MAX_INPUTS)
		return error("side %s: the model has %zu inputs (at most %d)", s->label, s->nin, GB_EVAL_MAX_INPUTS);
	return 0;
}

struct tally {
	struct gb_agreement g;
	uint64_t batches, items;
	size_t ncls;
	int labelled;
};

/* One batch (rows scored) on both sides; labels may be NULL. */
static int compare_batch(struct compare_opts *o, const struct gb_tensor *t, size_t nt, size_t rows,
			 const int64_t *labels, struct tally *ty)
{
	const float *sc[2];
	size_t ncls[2];

	for (int i = 0; i < 2; i++) {
		struct side *s = &o->side[i];

		if (gb_eval_map_inputs(s->in, s->nin, t, nt, s->bound) < 0 ||
		    gb_eval_scores(s->rt, s->session, s->bound, s->nin, rows, &sc[i], &ncls[i]) < 0 ||
		    (labels && gb_accuracy_add(&s->acc, sc[i], rows, ncls[i], labels) < 0))
			return error("side %s: %s", s->label, gb_error_msg());
	}
	if (ncls[0] != ncls[1])
		return error("the outputs differ in size: a gives %zu scores per item, b %zu", ncls[0], ncls[1]);
	gb_agreement_add(&ty->g, sc[0], sc[1], rows, ncls[0]);
	ty->ncls = ncls[0];
	ty->batches++;
	ty->items += rows;
	return 0;
}

static int compare_generated(struct compare_opts *o, struct tally *ty)
{
	struct gb_input_config ic;
	struct gb_tensor *t = NULL;
	uint64_t batch = 0;
	int ret = 0;

	/* shaped and named after side a's inputs; side b takes them by name
	 * or position */
	gb_input_config_init(&ic);
	ic.batch = o->batch;
	ic.vocab = o->vocab;
	ic.dims = o->dims.dim;
	ic.ndims = o->dims.n;
	for (uint64_t i = 0; !ret && i < o->batches; i++) {
		ic.seed = o->seed + i;
		if (gb_bench_explain_oom(gb_inputs_new(o->side[0].in, o->side[0].nin, &ic, &t, &batch), o->batch) < 0)
			return error("side a: %s", gb_error_msg());
		ret = compare_batch(o, t, o->side[0].nin, batch, NULL, ty);
		gb_inputs_free(t, o->side[0].nin);
	}
	return ret;
}

static int compare_data(struct compare_opts *o, struct gb_dataset *ds, struct tally *ty)
{
	struct gb_eval e;
	size_t got;
	int ret;

	/* gb_eval pads for side a's fixed batch; side b must agree */
	if (gb_eval_init(&e, o->side[0].rt, o->side[0].session, ds, o->batch) < 0)
		return error("side a: %s", gb_error_msg());
	for (size_t i = 0; i < o->side[1].nin; i++) {
		const struct gb_tensor_info *t = &o->side[1].in[i];

		if (t->rank >= 1 && t->dims[0] >= 0 && (uint64_t)t->dims[0] != o->batch) {
			gb_eval_release(&e);
			return error("side b: input '%s' has a fixed batch of %lld: use --batch %lld", t->name,
				     (long long)t->dims[0], (long long)t->dims[0]);
		}
		e.fixed_batch |= t->rank >= 1 && t->dims[0] >= 0;
	}
	ty->labelled = 1;
	for (;;) {
		ret = gb_eval_next(&e, &got);
		if (ret < 0) {
			/* only side a's input names can be missing here */
			ret = error("%s", gb_error_msg());
			break;
		}
		if (!got)
			break;
		ret = compare_batch(o, e.data, e.ndata, got, e.labels, ty);
		if (ret)
			break;
	}
	gb_eval_release(&e);
	return ret;
}

/* ---- output ------------------------------------------------------------ */

static cJSON *side_json(const struct side *s, int labelled, int images)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "runtime", s->opt.runtime);
	cJSON_AddStringToObject(j, "model", s->opt.ro.model);
	cJSON_AddStringToObject(j, "ep", s->opt.ro.ep ? s->opt.ro.ep : "cpu");
	cJSON_AddStringToObject(j, "io", s->opt.ro.io == GB_IO_DEVICE ? "device" : "host");
	if (labelled && s->acc.n) {
		cJSON *a = cJSON_AddObjectToObject(j, "accuracy");

		cJSON_AddNumberToObject(a, "top1", (double)s->acc.top1 / (double)s->acc.n);
		if (images)
			cJSON_AddNumberToObject(a, "top5", (double)s->acc.top5 / (double)s->acc.n);
		cJSON_AddNumberToObject(a, "n", (double)s->acc.n);
		cJSON_AddNumberToObject(a, "correct_top1", (double)s->acc.top1);
	}
	return j;
}

static int print_json(const struct compare_opts *o, const struct gb_dataset *ds, const struct tally *ty)
{
	const struct gb_agreement *g = &ty->g;
	int images = ds && gb_dataset_kind(ds) == GB_DATASET_IMAGES;
	cJSON *j = cJSON_CreateObject(), *in;
	char *line;

	cJSON_AddItemToObject(j, "a", side_json(&o->side[0], ty->labelled, images));
	cJSON_AddItemToObject(j, "b", side_json(&o->side[1], ty->labelled, images));
	in = cJSON_AddObjectToObject(j, "inputs");
	if (ds) {
		struct gb_dataset_stats st;

		gb_dataset_stats(ds, &st);
		cJSON_AddStringToObject(in, "kind", gb_dataset_kind_name(gb_dataset_kind(ds)));
		cJSON_AddStringToObject(in, "data", o->data.path);
		cJSON_AddNumberToObject(in, "skipped", (double)st.skipped);
	} else {
		cJSON_AddStringToObject(in, "kind", "generated");
		cJSON_AddNumberToObject(in, "seed", (double)o->seed);
	}
	cJSON_AddNumberToObject(in, "batch", (double)o->batch);
	cJSON_AddNumberToObject(in, "batches", (double)ty->batches);
	cJSON_AddNumberToObject(j, "n", (double)g->n);
	cJSON_AddNumberToObject(j, "scores_per_item", (double)ty->ncls);
	cJSON_AddNumberToObject(j, "top1_agree", (double)g->top1_agree);
	cJSON_AddNumberToObject(j, "top1_agreement", g->n ? (double)g->top1_agree / (double)g->n : 0);
	cJSON_AddNumberToObject(j, "values", (double)g->values);
	cJSON_AddNumberToObject(j, "max_abs_diff", g->max_abs_diff);
	cJSON_AddNumberToObject(j, "mean_abs_diff", g->values ? g->sum_abs_diff / (double)g->values : 0);
	cJSON_AddNumberToObject(j, "nan_mismatch", (double)g->nan_mismatch);
	line = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (!line)
		return error("out of memory");
	puts(line);
	free(line);
	return 0;
}

static void print_human(const struct compare_opts *o, const struct gb_dataset *ds, const struct tally *ty)
{
	const struct gb_agreement *g = &ty->g;

	for (int i = 0; i < 2; i++)
		printf("\n %s  %s/%s  %s", o->side[i].label, o->side[i].opt.runtime,
		       o->side[i].opt.ro.ep ? o->side[i].opt.ro.ep : "cpu", o->side[i].opt.ro.model);
	if (ds)
		printf("\n inputs  %s %s, %llu batches of %llu\n\n", gb_dataset_kind_name(gb_dataset_kind(ds)),
		       o->data.path, (unsigned long long)ty->batches, (unsigned long long)o->batch);
	else
		printf("\n inputs  generated, seed %llu, %llu batches of %llu\n\n", (unsigned long long)o->seed,
		       (unsigned long long)ty->batches, (unsigned long long)o->batch);
	printf("  %-16s %llu (%zu scores each)\n", "items", (unsigned long long)g->n, ty->ncls);
	printf("  %-16s %.2f%% (%llu/%llu)\n", "top-1 agreement", g->n ? 100.0 * g->top1_agree / g->n : 0,
	       (unsigned long long)g->top1_agree, (unsigned long long)g->n);
	printf("  %-16s %.4g\n", "max |diff|", g->max_abs_diff);
	printf("  %-16s %.4g  (%llu values)\n", "mean |diff|", g->values ? g->sum_abs_diff / g->values : 0,
	       (unsigned long long)g->values);
	if (g->nan_mismatch)
		printf("  %-16s %llu values NaN on one side only\n", "NaN", (unsigned long long)g->nan_mismatch);
	for (int i = 0; ty->labelled && i < 2; i++) {
		const struct gb_accuracy *a = &o->side[i].acc;
		char k[32];

		snprintf(k, sizeof k, "accuracy %s", o->side[i].label);
		if (a->n)
			printf("  %-16s top-1 %.2f%% (%llu/%llu)\n", k, 100.0 * a->top1 / a->n,
			       (unsigned long long)a->top1, (unsigned long long)a->n);
	}
}

int cmd_compare(int argc, char **argv)
{
	struct compare_opts o;
	struct gb_dataset *ds = NULL;
	struct tally ty;
	struct gb_input_config shapes;
	int ret, status = 1;

	memset(&o, 0, sizeof o);
	memset(&ty, 0, sizeof ty);
	ret = parse_opts(argc, argv, &o);
	if (ret)
		return gb_cli_finish(gb_parse_exit(ret));
	gb_agreement_init(&ty.g);
	gb_accuracy_init(&o.side[0].acc);
	gb_accuracy_init(&o.side[1].acc);
	if (find_side(&o.side[0]) < 0 || find_side(&o.side[1]) < 0)
		goto out;
	if (o.data.path && gb_cli_data_open(&o.data, &ds) < 0)
		goto out;
	/* The run's shapes, as run gives them (TensorRT names engines by them). */
	gb_input_config_init(&shapes);
	shapes.batch = o.batch;
	shapes.dims = o.dims.dim;
	shapes.ndims = o.dims.n;
	o.side[0].opt.ro.shapes = o.side[1].opt.ro.shapes = &shapes;
	if (open_side(&o.side[0]) < 0 || open_side(&o.side[1]) < 0)
		goto out;
	ret = ds ? compare_data(&o, ds, &ty) : compare_generated(&o, &ty);
	if (ret)
		goto out;
	status = 0;
	if (o.json)
		status = print_json(&o, ds, &ty) < 0;
	else
		print_human(&o, ds, &ty);
out:
	for (int i = 0; i < 2; i++)
		if (o.side[i].session)
			o.side[i].rt->close(o.side[i].session);
	gb_dataset_free(ds);
	return gb_cli_finish(status);
}
