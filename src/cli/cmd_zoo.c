/*
 * greenbench zoo: the built-in models, written as ONNX by greenbench.
 *
 *   $ greenbench zoo info resnet50
 *   model        resnet50 (torchvision.models.resnet50)
 *   parameters   25,557,032 (+ 53,120 BatchNorm running statistics)
 *   MACs         4.09 G per sample at 3x224x224 (4,089,184,256)
 *   input        input float32 [batch,3,224,224]
 *   output       logits float32 [batch,1000]
 *   graph        ONNX opset 17, 176 nodes, 267 initializers
 *
 *   $ greenbench zoo export resnet50 -o resnet50.onnx
 *   wrote resnet50.onnx: resnet50, float32, 25,557,032 parameters, random weights (seed 0), 97.7 MiB
 */
#include "cli/builtin.h"
#include "cli/parse_options.h"
#include "greenbench/error.h"
#include "greenbench/zoo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct gb_usage usage = {
	.synopsis =
	"greenbench zoo list\n"
	"   or: greenbench zoo info NAME [--seq N] [--labels N] [--batch N] [--dtype fp32|fp16]\n"
	"   or: greenbench zoo export NAME -o FILE.onnx [--weights FILE.safetensors]\n"
	"                             [--dtype fp32|fp16] [--batch N] [--seq N] [--labels N] [--seed N]\n",
	.description =
	"Write the study's models as ONNX (opset 17): resnet50 and mobilenetv2 (torchvision,\n"
	"input [batch,3,224,224]) and bert-base (Hugging Face BertForSequenceClassification,\n"
	"inputs input_ids, attention_mask, token_type_ids of [batch,seq]).\n",
};

static void thousands(char *buf, size_t len, uint64_t v)
{
	char digits[32];
	size_t n = (size_t)snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), o = 0;

	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void print_tensor(const char *what, const struct gb_tensor_info *t)
{
	printf("%-12s %s %s [", what, t->name, gb_dtype_name(t->dtype));
	for (int i = 0; i < t->rank; i++) {
		if (t->dims[i] < 0)
			printf("%s%s", i ? "," : "", t->dim_params[i]);
		else
			printf("%s%lld", i ? "," : "", (long long)t->dims[i]);
	}
	printf("]\n");
}

static const struct gb_option_choice dtypes[] = {
	{ "fp32", GB_DTYPE_F32 }, { "float32", GB_DTYPE_F32 },
	{ "fp16", GB_DTYPE_F16 }, { "float16", GB_DTYPE_F16 },
	{ NULL, 0 },
};

struct zoo_args {
	const char *name, *output;
	struct gb_zoo_options o;
};

#define ZOO_NOPTS 15

/* The options of `zoo info` (export = 0) or `zoo export`, setting a. Both
 * list the export rows, so every zoo command has the same help. */
static void zoo_options(struct zoo_args *a, int export, struct gb_option opts[ZOO_NOPTS])
{
	const struct gb_option rows[] = {
		GB_OPT_CHOICE(0, "dtype", &a->o.dtype, "T", "fp32 (default) or fp16 (weights, inputs and outputs)",
			      dtypes),
		GB_OPT_INT_RANGE(0, "batch", &a->o.batch, "N", "fix the batch size (default: symbolic 'batch')", 1,
				 INT64_MAX),
		GB_OPT_INT_RANGE(0, "seq", &a->o.seq, "N",
				 "bert-base: fix the sequence length (default: symbolic 'seq'; MACs are given at 128)",
				 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "labels", &a->o.labels, "N", "classes of the head (default 1000, bert-base 2)", 1,
				 INT64_MAX),
		/* test-only geometry (docs/zoo.md) */
		GB_OPT_GROUP_HIDDEN(),
		GB_OPT_INT_RANGE(0, "layers", &a->o.layers, "N", NULL, 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "hidden", &a->o.hidden, "N", NULL, 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "heads", &a->o.heads, "N", NULL, 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "intermediate", &a->o.intermediate, "N", NULL, 1, INT64_MAX),
		GB_OPT_INT_RANGE(0, "vocab", &a->o.vocab, "N", NULL, 1, INT64_MAX),
		export ? (struct gb_option)GB_OPT_GROUP("export only:")
		       : (struct gb_option)GB_OPT_GROUP_LIST_ONLY("export only:"),
		GB_OPT_STRING('o', "output", &a->output, "FILE", "where to write the model (written whole or not at all)"),
		GB_OPT_STRING(0, "weights", &a->o.weights, "FILE",
			      "take weights from a safetensors file with the reference model's state_dict names; "
			      "default: deterministic random weights"),
		GB_OPT_UINT(0, "seed", &a->o.seed, "N", "seed of the random weights (default 0)", 0),
		GB_OPT_END(),
	};

	_Static_assert(sizeof rows / sizeof rows[0] == ZOO_NOPTS, "ZOO_NOPTS counts the rows");
	memcpy(opts, rows, sizeof rows);
}

/* `info|export NAME [options]` (argv[0] the subcommand). Returns 0,
 * GB_PARSE_HELP / GB_PARSE_ERROR (printed), or 1 for an unknown model. */
static int parse_args(int argc, char **argv, struct zoo_args *a, int export)
{
	struct gb_option opts[ZOO_NOPTS];
	int n;

	zoo_options(a, export, opts);
	gb_zoo_options_init(&a->o);
	n = gb_parse_options(argc, argv, opts, &usage, 0);
	if (n < 0)
		return n;
	if (n > 1)
		return gb_usage_error(&usage, opts, "unexpected argument '%s'", argv[1]);
	if (!n)
		return gb_usage_error(&usage, opts, "which model? (see 'greenbench zoo list')");
	a->name = argv[0];
	if (export && !a->output)
		return gb_usage_error(&usage, opts, "export needs -o FILE.onnx");
	if (!gb_zoo_find(a->name)) {
		error("no model '%s' in the zoo (see 'greenbench zoo list')", a->name);
		return 1;
	}
	return 0;
}

static int zoo_list(void)
{
	for (size_t i = 0; i < gb_zoo_count(); i++) {
		const struct gb_zoo_model *m = gb_zoo_at(i);
		printf("%-12s %s (%s)\n", m->name, m->summary, m->reference);
	}
	return gb_cli_finish(0);
}

static int zoo_info(int argc, char **argv)
{
	struct gb_zoo_summary s;
	struct zoo_args a = { 0 };
	char p[32], b[32], m[32];
	int ret = parse_args(argc - 1, argv + 1, &a, 0);

	if (ret)
		return ret < 0 ? gb_cli_finish(gb_parse_exit(ret)) : ret;
	if (gb_zoo_info(a.name, &a.o, &s) < 0) {
		error("%s", gb_error_msg());
		return 1;
	}
	thousands(p, sizeof p, s.params);
	thousands(b, sizeof b, s.buffers);
	thousands(m, sizeof m, s.macs);
	printf("%-12s %s (%s)\n", "model", a.name, gb_zoo_find(a.name)->reference);
	if (s.buffers)
		printf("%-12s %s (+ %s BatchNorm running statistics)\n", "parameters", p, b);
	else
		printf("%-12s %s\n", "parameters", p);
	printf("%-12s %.2f G per sample at %s (%s)\n", "MACs", (double)s.macs / 1e9, s.macs_at, m);
	for (size_t i = 0; i < s.ninputs; i++)
		print_tensor("input", &s.inputs[i]);
	for (size_t i = 0; i < s.noutputs; i++)
		print_tensor("output", &s.outputs[i]);
	printf("%-12s ONNX opset 17, %zu nodes, %zu initializers\n", "graph", s.nodes, s.initializers);
	return gb_cli_finish(0);
}

static int zoo_export(int argc, char **argv)
{
	struct gb_zoo_summary s;
	struct zoo_args a = { 0 };
	struct stat sb;
	char p[32], how[96];
	int ret = parse_args(argc - 1, argv + 1, &a, 1);

	if (ret)
		return ret < 0 ? gb_cli_finish(gb_parse_exit(ret)) : ret;
	if (gb_zoo_export(a.name, &a.o, a.output, &s) < 0) {
		error("%s", gb_error_msg());
		return 1;
	}
	thousands(p, sizeof p, s.params);
	if (a.o.weights)
		snprintf(how, sizeof how, "weights from '%s' (%zu tensors, %zu unused)", a.o.weights,
			 s.weights_used, s.weights_unused);
	else
		snprintf(how, sizeof how, "random weights (seed %llu)", (unsigned long long)a.o.seed);
	printf("wrote %s: %s, %s, %s parameters, %s, %.1f MiB\n", a.output, a.name, gb_dtype_name(a.o.dtype), p, how,
	       stat(a.output, &sb) ? 0.0 : (double)sb.st_size / (1 << 20));
	return gb_cli_finish(0);
}

static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cmd_zoo(int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : NULL;
	struct gb_option opts[ZOO_NOPTS];
	struct zoo_args unused = { 0 };
	char *help[] = { argv[0], "--help", NULL };
	int ret;

	if (sub && !strcmp(sub, "info"))
		return zoo_info(argc, argv);
	if (sub && !strcmp(sub, "export"))
		return zoo_export(argc, argv);
	if (sub && !strcmp(sub, "list") && argc == 2)
		return zoo_list();
	if (sub && (is_help(sub) || (!strcmp(sub, "list") && is_help(argv[2]))))
		return gb_cli_finish(gb_parse_exit(parse_args(2, help, &unused, 1)));
	zoo_options(&unused, 1, opts);
	if (!sub)
		ret = gb_usage_error(&usage, opts, "zoo needs a subcommand: list, info or export");
	else if (!strcmp(sub, "list"))
		ret = gb_usage_error(&usage, opts, "unexpected argument '%s'", argv[2]);
	else
		ret = gb_usage_error(&usage, opts, "unknown zoo subcommand '%s'", sub);
	return gb_parse_exit(ret);
}
