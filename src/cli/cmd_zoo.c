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
#include "greenbench/error.h"
#include "greenbench/zoo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char zoo_usage[] =
	"usage: greenbench zoo list\n"
	"   or: greenbench zoo info NAME [--seq N] [--labels N] [--batch N] [--dtype fp32|fp16]\n"
	"   or: greenbench zoo export NAME -o FILE.onnx [--weights FILE.safetensors]\n"
	"                             [--dtype fp32|fp16] [--batch N] [--seq N] [--labels N] [--seed N]\n"
	"\n"
	"Write the study's models as ONNX (opset 17): resnet50 and mobilenetv2 (torchvision,\n"
	"input [batch,3,224,224]) and bert-base (Hugging Face BertForSequenceClassification,\n"
	"inputs input_ids, attention_mask, token_type_ids of [batch,seq]).\n"
	"\n"
	"    -o, --output FILE   where to write the model (written whole or not at all)\n"
	"    --weights FILE      take weights from a safetensors file with the reference model's\n"
	"                        state_dict names; default: deterministic random weights\n"
	"    --seed N            seed of the random weights (default 0)\n"
	"    --dtype T           fp32 (default) or fp16 (weights, inputs and outputs)\n"
	"    --batch N           fix the batch size (default: symbolic 'batch')\n"
	"    --seq N             bert-base: fix the sequence length (default: symbolic 'seq';\n"
	"                        MACs are given at 128)\n"
	"    --labels N          classes of the head (default 1000, bert-base 2)\n";

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

static int parse_count(const char *opt, const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v <= 0)
		return gb_cli_usage_error(zoo_usage, "option '%s' wants a positive integer, not '%s'", opt, text);
	*out = v;
	return 0;
}

struct zoo_args {
	const char *name, *output;
	struct gb_zoo_options o;
};

/* Options shared by info and export; returns 0 or an exit status. */
static int parse_args(int argc, char **argv, struct zoo_args *a, int export)
{
	static const struct {
		const char *name;
		size_t off;
	} counts[] = {
		{ "--batch", offsetof(struct gb_zoo_options, batch) },
		{ "--seq", offsetof(struct gb_zoo_options, seq) },
		{ "--labels", offsetof(struct gb_zoo_options, labels) },
		/* Test-only geometry (docs/zoo.md); not in the usage text. */
		{ "--layers", offsetof(struct gb_zoo_options, layers) },
		{ "--hidden", offsetof(struct gb_zoo_options, hidden) },
		{ "--heads", offsetof(struct gb_zoo_options, heads) },
		{ "--intermediate", offsetof(struct gb_zoo_options, intermediate) },
		{ "--vocab", offsetof(struct gb_zoo_options, vocab) },
	};

	gb_zoo_options_init(&a->o);
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		char key[32];
		const char *eq = strchr(arg, '=');
		int matched = 0, ret;

		if (arg[0] != '-') {
			if (a->name)
				return gb_cli_usage_error(zoo_usage, "unexpected argument '%s'", arg);
			a->name = arg;
			continue;
		}
		if (eq && !strncmp(arg, "--", 2)) {
			snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
			val = eq + 1;
		} else {
			snprintf(key, sizeof key, "%s", arg);
			if (i + 1 < argc)
				val = argv[i + 1], i++;
		}
		if (!val)
			return gb_cli_usage_error(zoo_usage, "option '%s' needs a value", key);
		for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
			if (!strcmp(key, counts[k].name)) {
				ret = parse_count(key, val, (int64_t *)((char *)&a->o + counts[k].off));
				if (ret)
					return ret;
				matched = 1;
			}
		}
		if (matched)
			continue;
		if (!strcmp(key, "--dtype")) {
			if (!strcmp(val, "fp32") || !strcmp(val, "float32"))
				a->o.dtype = GB_DTYPE_F32;
			else if (!strcmp(val, "fp16") || !strcmp(val, "float16"))
				a->o.dtype = GB_DTYPE_F16;
			else
				return gb_cli_usage_error(zoo_usage, "unknown dtype '%s' (fp32 or fp16)", val);
		} else if (export && (!strcmp(key, "-o") || !strcmp(key, "--output"))) {
			a->output = val;
		} else if (export && !strcmp(key, "--weights")) {
			a->o.weights = val;
		} else if (export && !strcmp(key, "--seed")) {
			char *end;
			errno = 0;
			a->o.seed = strtoull(val, &end, 10);
			if (errno || end == val || *end || val[0] == '-')
				return gb_cli_usage_error(zoo_usage, "option '--seed' wants an integer, not '%s'", val);
		} else {
			return gb_cli_usage_error(zoo_usage, "unknown option '%s'", key);
		}
	}
	if (!a->name)
		return gb_cli_usage_error(zoo_usage, "which model? (see 'greenbench zoo list')");
	if (export && !a->output)
		return gb_cli_usage_error(zoo_usage, "export needs -o FILE.onnx");
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
	int ret = parse_args(argc, argv, &a, 0);

	if (ret)
		return ret;
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
	int ret = parse_args(argc, argv, &a, 1);

	if (ret)
		return ret;
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

int cmd_zoo(int argc, char **argv)
{
	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(zoo_usage);
	if (argc < 2)
		return gb_cli_usage_error(zoo_usage, "zoo needs a subcommand: list, info or export");
	if (!strcmp(argv[1], "list")) {
		if (argc > 2)
			return gb_cli_usage_error(zoo_usage, "unexpected argument '%s'", argv[2]);
		return zoo_list();
	}
	if (!strcmp(argv[1], "info"))
		return zoo_info(argc, argv);
	if (!strcmp(argv[1], "export"))
		return zoo_export(argc, argv);
	return gb_cli_usage_error(zoo_usage, "unknown zoo subcommand '%s'", argv[1]);
}
