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

#include "greenbench/convert.h"
#include "greenbench/error.h"
#include "greenbench/time.h"
#include "greenbench/worker.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: greenbench convert torch2onnx|tf2onnx|mx2onnx --model MODEL [--weights FILE]\n"
	"                          [--opset N] [--seq N] [--seed N] -o FILE.onnx\n"
	"\n"
	"Export a framework's model to ONNX with the framework's own exporter, in its\n"
	"worker (see docs/worker-protocol.md): torch2onnx is torch.onnx.export in the\n"
	"torch worker, tf2onnx is tf2onnx in the tf worker, mx2onnx is\n"
	"mxnet.onnx.export_model in the mxnet worker. The batch dimension (and nothing\n"
	"else) is dynamic; inputs are named as the framework's runtime names them; the\n"
	"file is written whole or not at all.\n"
	"\n"
	"    --model MODEL     resnet50, mobilenetv2, bert-base (not mx2onnx), or a model\n"
	"                      file of the framework (TorchScript, .keras, SavedModel\n"
	"                      directory, PREFIX-symbol.json)\n"
	"    --weights FILE    weights (torch: .safetensors or a state dict; tf: .weights.h5,\n"
	"                      .h5, .keras; mxnet: .params); default: random, from --seed\n"
	"    --opset N         ONNX opset (default 17)\n"
	"    --seq N           BERT sequence length (default 128)\n"
	"    --seed N          seed of the random weights (default 0)\n"
	"    -o, --output FILE the ONNX file to write\n";

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
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' }, { "weights", required_argument, NULL, 'w' },
		{ "opset", required_argument, NULL, 'p' }, { "seq", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },  { "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	const char *model = NULL, *weights = NULL, *seq = NULL, *out = NULL;
	unsigned long long seed = 0;
	long opset = 17;
	const struct gb_converter *cv;
	char names[128];
	char *end;
	int c;

	if (gb_cli_wants_help(argc, argv))
		return gb_cli_usage(usage);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			model = optarg;
			break;
		case 'w':
			weights = optarg;
			break;
		case 's':
			if (strtol(optarg, &end, 10) <= 0 || *end)
				return gb_cli_usage_error(usage, "invalid --seq '%s'", optarg);
			seq = optarg;
			break;
		case 'p':
			opset = strtol(optarg, &end, 10);
			if (*end || opset < 7 || opset > 30)
				return gb_cli_usage_error(usage, "invalid --opset '%s'", optarg);
			break;
		case 'S':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-')
				return gb_cli_usage_error(usage, "invalid --seed '%s'", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return gb_cli_usage_error(usage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	gb_converter_names(names, sizeof names);
	if (optind >= argc)
		return gb_cli_usage_error(usage, "no conversion given (%s)", names);
	if (!(cv = gb_converter_find(argv[optind])))
		return gb_cli_usage_error(usage, "unknown conversion '%s' (%s)", argv[optind], names);
	if (optind + 1 < argc)
		return gb_cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 1]);
	if (!model)
		return gb_cli_usage_error(usage, "no --model given");
	if (!out)
		return gb_cli_usage_error(usage, "no output file given (-o FILE.onnx)");
	return gb_cli_finish(convert_onnx(cv, model, weights, seq, (int)opset, seed, out));
}
