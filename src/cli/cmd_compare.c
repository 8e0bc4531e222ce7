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
};

struct compare_opts {
	uint64_t batch, batches, seed, vocab;
	struct gb_cli_dims dims;
	int json;
	struct gb_cli_data data;
	struct side side[2];
	struct gb_eval_side ev[2];	/* the sessions, beside their options */
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
static int find_side(struct side *s, struct gb_eval_side *ev)
{
	ev->rt = gb_runtime_find(s->opt.runtime);
	if (!ev->rt)
		return error("side %s: unknown runtime '%s' (see 'greenbench devices')", s->label, s->opt.runtime);
	if (gb_runtime_probe(ev->rt) < 0)
		return error("side %s: runtime '%s' is not available: %s", s->label, s->opt.runtime, gb_error_msg());
	return 0;
}

static int open_side(struct side *s, struct gb_eval_side *ev)
{
	const struct gb_tensor_info *outs;
	size_t nout;

	if (gb_runtime_open(ev->rt, &s->opt.ro, &ev->session) < 0) {
		ev->session = NULL;
		return error("side %s: %s", s->label, gb_error_msg());
	}
	if (ev->rt->describe(ev->session, &ev->in, &ev->nin, &outs, &nout) < 0)
		return error("side %s: %s", s->label, gb_error_msg());
	if (ev->nin > GB_EVAL_MAX_INPUTS)
		return error("side %s: the model has %zu inputs (at most %d)", s->label, ev->nin, GB_EVAL_MAX_INPUTS);
	return 0;
}

struct tally {
	struct gb_eval_tally t;
	int labelled;
};

/* A comparison's error, naming the side that failed (-1: neither). */
static int side_error(const struct compare_opts *o, int failed)
{
	if (failed < 0)
		return error("%s", gb_error_msg());
	return error("side %s: %s", o->side[failed].label, gb_error_msg());
}

static int compare_generated(struct compare_opts *o, struct tally *ty)
{
	struct gb_input_config ic;
	int failed = -1;

	gb_input_config_init(&ic);
	ic.batch = o->batch;
	ic.vocab = o->vocab;
	ic.dims = o->dims.dim;
	ic.ndims = o->dims.n;
	ic.seed = o->seed;
	if (gb_eval_compare_generated(o->ev, &ic, o->batches, &ty->t, &failed) < 0)
		return side_error(o, failed);
	return 0;
}

static int compare_data(struct compare_opts *o, struct gb_dataset *ds, struct tally *ty)
{
	struct gb_eval e;
	size_t got;
	int ret = 0, failed = -1;

	/* gb_eval pads for side a's fixed batch; side b must agree */
	if (gb_eval_init(&e, o->ev[0].rt, o->ev[0].session, ds, o->batch) < 0)
		return error("side a: %s", gb_error_msg());
	for (size_t i = 0; i < o->ev[1].nin; i++) {
		const struct gb_tensor_info *t = &o->ev[1].in[i];

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
		if (gb_eval_compare_batch(o->ev, e.data, e.ndata, got, e.labels, &ty->t, &failed) < 0) {
			ret = side_error(o, failed);
			break;
		}
	}
	gb_eval_release(&e);
	return ret;
}

/* ---- output ------------------------------------------------------------ */

static cJSON *side_json(const struct side *s, const struct gb_accuracy *acc, int labelled, int images)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "runtime", s->opt.runtime);
	cJSON_AddStringToObject(j, "model", s->opt.ro.model);
	cJSON_AddStringToObject(j, "ep", s->opt.ro.ep ? s->opt.ro.ep : "cpu");
	cJSON_AddStringToObject(j, "io", s->opt.ro.io == GB_IO_DEVICE ? "device" : "host");
	if (labelled && acc->n) {
		cJSON *a = cJSON_AddObjectToObject(j, "accuracy");

		cJSON_AddNumberToObject(a, "top1", (double)acc->top1 / (double)acc->n);
		if (images)
			cJSON_AddNumberToObject(a, "top5", (double)acc->top5 / (double)acc->n);
		cJSON_AddNumberToObject(a, "n", (double)acc->n);
		cJSON_AddNumberToObject(a, "correct_top1", (double)acc->top1);
	}
	return j;
}

static int print_json(const struct compare_opts *o, const struct gb_dataset *ds, const struct tally *ty)
{
	const struct gb_agreement *g = &ty->t.g;
	int images = ds && gb_dataset_kind(ds) == GB_DATASET_IMAGES;
	cJSON *j = cJSON_CreateObject(), *in;
	char *line;

	cJSON_AddItemToObject(j, "a", side_json(&o->side[0], &o->ev[0].acc, ty->labelled, images));
	cJSON_AddItemToObject(j, "b", side_json(&o->side[1], &o->ev[1].acc, ty->labelled, images));
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
	cJSON_AddNumberToObject(in, "batches", (double)ty->t.batches);
	cJSON_AddNumberToObject(j, "n", (double)g->n);
	cJSON_AddNumberToObject(j, "scores_per_item", (double)ty->t.ncls);
	cJSON_AddNumberToObject(j, "top1_agree", (double)g->top1_agree);
	cJSON_AddNumberToObject(j, "top1_agreement", g->n ? (double)g->top1_agree / (double)g->n : 0);
	cJSON_AddNumberToObject(j, "values", (double)g->values);
	cJSON_AddNumberToObject(j, "max_abs_diff", g->max_abs_diff);
	cJSON_AddNumberToObject(j, "mean_abs_diff", g->values ? g->sum_abs_diff / (double)g->values : 0);
	cJSON_AddNumberToObject(j, "nan_mismatch", (double)g->nan_mismatch);
	cJSON_AddNumberToObject(j, "flat_rows_b", (double)g->flat_rows);
	cJSON_AddNumberToObject(j, "max_abs_a", g->max_abs_first);
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
	const struct gb_agreement *g = &ty->t.g;

	for (int i = 0; i < 2; i++)
		printf("\n %s  %s/%s  %s", o->side[i].label, o->side[i].opt.runtime,
		       o->side[i].opt.ro.ep ? o->side[i].opt.ro.ep : "cpu", o->side[i].opt.ro.model);
	if (ds)
		printf("\n inputs  %s %s, %llu batches of %llu\n\n", gb_dataset_kind_name(gb_dataset_kind(ds)),
		       o->data.path, (unsigned long long)ty->t.batches, (unsigned long long)o->batch);
	else
		printf("\n inputs  generated, seed %llu, %llu batches of %llu\n\n", (unsigned long long)o->seed,
		       (unsigned long long)ty->t.batches, (unsigned long long)o->batch);
	printf("  %-16s %llu (%zu scores each)\n", "items", (unsigned long long)g->n, ty->t.ncls);
	printf("  %-16s %.2f%% (%llu/%llu)\n", "top-1 agreement", g->n ? 100.0 * g->top1_agree / g->n : 0,
	       (unsigned long long)g->top1_agree, (unsigned long long)g->n);
	printf("  %-16s %.4g\n", "max |diff|", g->max_abs_diff);
	printf("  %-16s %.4g  (%llu values)\n", "mean |diff|", g->values ? g->sum_abs_diff / g->values : 0,
	       (unsigned long long)g->values);
	if (g->nan_mismatch)
		printf("  %-16s %llu values NaN on one side only\n", "NaN", (unsigned long long)g->nan_mismatch);
	if (g->flat_rows)
		printf("  %-16s %llu of B's rows have every score equal where A's do not (A's largest |score| %.3g)\n",
		       "flat", (unsigned long long)g->flat_rows, g->max_abs_first);
	for (int i = 0; ty->labelled && i < 2; i++) {
		const struct gb_accuracy *a = &o->ev[i].acc;
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
	gb_agreement_init(&ty.t.g);
	gb_accuracy_init(&o.ev[0].acc);
	gb_accuracy_init(&o.ev[1].acc);
	if (find_side(&o.side[0], &o.ev[0]) < 0 || find_side(&o.side[1], &o.ev[1]) < 0)
		goto out;
	if (o.data.path && gb_cli_data_open(&o.data, &ds) < 0)
		goto out;
	/* The run's shapes, as run gives them (TensorRT names engines by them). */
	gb_input_config_init(&shapes);
	shapes.batch = o.batch;
	shapes.dims = o.dims.dim;
	shapes.ndims = o.dims.n;
	o.side[0].opt.ro.shapes = o.side[1].opt.ro.shapes = &shapes;
	if (open_side(&o.side[0], &o.ev[0]) < 0 || open_side(&o.side[1], &o.ev[1]) < 0)
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
		if (o.ev[i].session)
			o.ev[i].rt->close(o.ev[i].session);
	for (int i = 0; i < 2; i++)
		gb_eval_side_release(&o.ev[i]);
	gb_dataset_free(ds);
	return gb_cli_finish(status);
}
