/*
 * greenbench convert: turn a framework model into an ONNX file, through
 * the framework's own exporter running in its worker (the study's
 * "torch2onnx" path).
 *
 *   $ greenbench convert torch2onnx --model resnet50 -o resnet50.onnx
 *   wrote resnet50.onnx: 102.1 MB, opset 17, torch 1.13.0a0, weights random (seed 0), 4.2 s
 *   $ greenbench convert tf2onnx --model mobilenetv2 -o mobilenetv2-tf.onnx
 */
#include "cli/builtin.h"
#include "cli/parse_options.h"

#include "greenbench/convert.h"
#include "greenbench/error.h"
#include "greenbench/time.h"
#include "greenbench/worker.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct gb_usage usage = {
	.synopsis =
	"greenbench convert torch2onnx|tf2onnx|mx2onnx --model MODEL [--weights FILE]\n"
	"                          [--opset N] [--seq N] [--seed N] -o FILE.onnx\n",
	.description =
	"Export a framework's model to ONNX with the framework's own exporter, in its\n"
	"worker (see docs/worker-protocol.md): torch2onnx is torch.onnx.export in the\n"
	"torch worker, tf2onnx is tf2onnx in the tf worker, mx2onnx is\n"
	"mxnet.onnx.export_model in the mxnet worker. The batch dimension (and nothing\n"
	"else) is dynamic; inputs are named as the framework's runtime names them; the\n"
	"file is written whole or not at all.\n",
};

static const char *meta_get(struct gb_worker *w, const char *key)
{
	const struct gb_kv *kv;
	size_t n;

	if (gb_worker_metadata(w, &kv, &n))
		return "?";
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return "?";
}

static int convert_onnx(const struct gb_converter *cv, const char *model, const char *weights, const char *seq,
			int opset, uint64_t seed, const char *out)
{
	struct gb_kv kv[2];
	struct gb_runtime_options opt;
	struct gb_worker *w = NULL;
	struct stat st;
	uint64_t t0 = gb_now_ns();
	char took[32];
	int rc;

	gb_runtime_options_init(&opt);
	opt.model = model;
	opt.seed = seed;
	opt.ep_options = kv;
	if (weights)
		kv[opt.n_ep_options++] = (struct gb_kv){ "weights", weights };
	if (seq)
		kv[opt.n_ep_options++] = (struct gb_kv){ "seq", seq };
	rc = gb_worker_start_runtime(gb_runtime_find(cv->runtime), NULL, &w);
	if (!rc)
		rc = gb_worker_load(w, &opt);
	if (!rc)
		rc = gb_worker_convert(w, out, opset);
	if (rc) {
		error("cannot convert '%s' to ONNX: %s", model, gb_error_msg());
		gb_worker_free(w);
		return 1;
	}
	printf("wrote %s: ", out);
	if (!stat(out, &st))
		printf("%.1f MB, ", (double)st.st_size / 1e6);
	gb_duration_format(gb_now_ns() - t0, took, sizeof took);
	printf("opset %d, %s %s, weights %s, %s\n", opset, cv->runtime, meta_get(w, cv->version_key),
	       meta_get(w, "weights"), took);
	if (gb_worker_stop(w))
		warning("%s", gb_error_msg());
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	const char *model = NULL, *weights = NULL, *out = NULL;
	uint64_t seed = 0, seq = 0;
	int opset = 17, n;
	char seqbuf[32], names[128];
	const struct gb_converter *cv = NULL;
	const struct gb_option opts[] = {
		GB_OPT_STRING(0, "model", &model, "MODEL",
			      "resnet50, mobilenetv2, bert-base (not mx2onnx), or a model file of the framework "
			      "(TorchScript, .keras, SavedModel directory, PREFIX-symbol.json)"),
		GB_OPT_STRING(0, "weights", &weights, "FILE",
			      "weights (torch: .safetensors or a state dict; tf: .weights.h5, .h5, .keras; "
			      "mxnet: .params); default: random, from --seed"),
		GB_OPT_INT_RANGE(0, "opset", &opset, "N", "ONNX opset (default 17)", 7, 30),
		GB_OPT_UINT(0, "seq", &seq, "N", "BERT sequence length (default 128)", 1),
		GB_OPT_UINT(0, "seed", &seed, "N", "seed of the random weights (default 0)", 0),
		GB_OPT_STRING('o', "output", &out, "FILE", "the ONNX file to write"),
		GB_OPT_END(),
	};

	n = gb_parse_options(argc, argv, opts, &usage, 0);
	if (n < 0)
		return gb_cli_finish(gb_parse_exit(n));
	gb_converter_names(names, sizeof names);
	if (n < 1)
		n = gb_usage_error(&usage, opts, "no conversion given (%s)", names);
	else if (!(cv = gb_converter_find(argv[0])))
		n = gb_usage_error(&usage, opts, "unknown conversion '%s' (%s)", argv[0], names);
	else if (n > 1)
		n = gb_usage_error(&usage, opts, "unexpected argument '%s'", argv[1]);
	else if (!model)
		n = gb_usage_error(&usage, opts, "no --model given");
	else if (!out)
		n = gb_usage_error(&usage, opts, "no output file given (-o FILE.onnx)");
	if (n < 0)
		return gb_parse_exit(n);
	snprintf(seqbuf, sizeof seqbuf, "%llu", (unsigned long long)seq);
	return gb_cli_finish(convert_onnx(cv, model, weights, seq ? seqbuf : NULL, opset, seed, out));
}
