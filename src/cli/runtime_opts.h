/*
 * Runtime options shared by the commands that open a model (run, each side
 * of compare): --model, --runtime, --ep, --ep-option, --io, --threads,
 * --opt-level, as rows of an option array (parse_options.h), so both
 * commands parse, explain and reject them the same way.
 */
#ifndef GB_CLI_RUNTIME_OPTS_H
#define GB_CLI_RUNTIME_OPTS_H

#include "cli/parse_options.h"
#include "greenbench/inputs.h"
#include "greenbench/runtime.h"

#define GB_CLI_EP_OPTIONS_MAX 16

struct gb_cli_runtime {
	const char *runtime;		/* "ort" by default */
	struct gb_runtime_options ro;	/* ep_options point into kv below */
	struct gb_kv kv[GB_CLI_EP_OPTIONS_MAX];
	char keys[GB_CLI_EP_OPTIONS_MAX][64];
};

void gb_cli_runtime_init(struct gb_cli_runtime *r);

/* The rows of r's options, for an option array. */
#define GB_CLI_RUNTIME_OPTIONS(r)                                                                    \
	GB_OPT_STRING('m', "model", &(r)->ro.model, "FILE",                                         \
		      "ONNX model (worker runtimes: also a model name, e.g. resnet50)"),             \
	GB_OPT_STRING(0, "runtime", &(r)->runtime, "NAME",                                          \
		      "runtime (default ort; see 'greenbench devices')"),                            \
	GB_OPT_STRING(0, "ep", &(r)->ro.ep, "EP[:N]",                                               \
		      "execution provider: cpu (default), cuda, tensorrt; :N picks device N"),       \
	GB_OPT_CALLBACK(0, "ep-option", (r), "K=V",                                                 \
			"provider option, repeatable: static_dims=0|1 (fix symbolic dims to the "    \
			"run's shape, default 1), provider_lib=PATH, device_id=N, "                  \
			"cudnn_conv_algo_search=EXHAUSTIVE|HEURISTIC|DEFAULT, enable_cuda_graph=0|1, " \
			"session.* (ORT session config entries), ...",                               \
			gb_cli_ep_option),                                                           \
	GB_OPT_CHOICE(0, "io", &(r)->ro.io, "host|device",                                          \
		      "inputs copied from host every run (default), or bound once in device "        \
		      "memory (IO binding)",                                                         \
		      gb_cli_io_choices),                                                            \
	GB_OPT_CALLBACK(0, "threads", &(r)->ro, "N[,M]",                                            \
			"intra-op (and inter-op) threads; 0: default", gb_cli_threads_option),        \
	GB_OPT_CHOICE(0, "opt-level", &(r)->ro.graph_opt_level, "L",                                \
		      "graph optimization: none, basic, extended, layout, all (default), or 0, 1, "   \
		      "2, 3, 99",                                                                    \
		      gb_cli_opt_level_choices)

/* Values of symbolic dims, from --dim NAME=N (repeatable). */
struct gb_cli_dims {
	struct gb_dim dim[GB_MAX_DIMS];
	size_t n;
};

/* The --dim callback; value: a struct gb_cli_dims. */
int gb_cli_dim_option(const struct gb_option *opt, const char *arg);

/* The callbacks and word lists of those rows (value: as in the rows). */
int gb_cli_ep_option(const struct gb_option *opt, const char *arg);
int gb_cli_threads_option(const struct gb_option *opt, const char *arg);
extern const struct gb_option_choice gb_cli_io_choices[];
extern const struct gb_option_choice gb_cli_opt_level_choices[];

#endif
