/*
 * Runtime options shared by the commands that open a model (run, each side
 * of compare): --model, --runtime, --ep, --ep-option, --io, --threads,
 * --opt-level, parsed one way with one set of messages.
 */
#ifndef GB_CLI_RUNTIME_OPTS_H
#define GB_CLI_RUNTIME_OPTS_H

#include "greenbench/runtime.h"

#include <getopt.h>
#include <stdint.h>

enum {
	GB_OPT_RUNTIME = 900,
	GB_OPT_EP,
	GB_OPT_EP_OPTION,
	GB_OPT_IO,
	GB_OPT_THREADS,
	GB_OPT_OPT_LEVEL,
	GB_OPT_RUNTIME_END,
};

/* Rows for a getopt_long table; --model is 'm'. */
#define GB_CLI_RUNTIME_LONGOPTS                                            \
	{ "model", required_argument, NULL, 'm' },                         \
	{ "runtime", required_argument, NULL, GB_OPT_RUNTIME },            \
	{ "ep", required_argument, NULL, GB_OPT_EP },                      \
	{ "ep-option", required_argument, NULL, GB_OPT_EP_OPTION },        \
	{ "io", required_argument, NULL, GB_OPT_IO },                      \
	{ "threads", required_argument, NULL, GB_OPT_THREADS },            \
	{ "opt-level", required_argument, NULL, GB_OPT_OPT_LEVEL }

#define GB_CLI_EP_OPTIONS_MAX 16

struct gb_cli_runtime {
	const char *runtime;		/* "ort" by default */
	struct gb_runtime_options ro;	/* ep_options point into kv below */
	struct gb_kv kv[GB_CLI_EP_OPTIONS_MAX];
	char keys[GB_CLI_EP_OPTIONS_MAX][64];
};

void gb_cli_runtime_init(struct gb_cli_runtime *r);

/* Apply option c ('m' or a GB_OPT_RUNTIME.. id): 0, or a usage error (129). */
int gb_cli_runtime_option(struct gb_cli_runtime *r, int c, const char *arg, const char *usage);

/* A decimal integer >= min, else a usage error (129) naming opt. */
int gb_cli_parse_u64(const char *usage, const char *opt, const char *text, uint64_t min,
		     uint64_t *out);

#endif
