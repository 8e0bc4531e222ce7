/*
 * Campaign plans: an experiment file (YAML) turned into the list of runs a
 * campaign executes.
 *
 * The matrix is models x runtimes x batches minus exclusions; each of its
 * configurations is repeated `reps` times and the runs are put in a seeded
 * random order (Fisher-Yates over xoshiro256** seeded through splitmix64,
 * see docs/campaigns.md), so the same file and seed always give the same
 * order, on every machine.
 *
 * Ownership: gb_plan_load()/gb_plan_parse() return a plan the caller frees
 * with gb_plan_free(); every string and array inside belongs to the plan.
 * Errors name the file, line and column (1-based) and what was expected.
 *
 * Units: durations in nanoseconds (_ns). Thread-safety: a plan is read-only
 * after parsing and may be shared.
 */
#ifndef GREENBENCH_PLAN_H
#define GREENBENCH_PLAN_H

#include <stddef.h>
#include <stdint.h>

struct gb_plan_kv {
	char *key;
	char *value;
};

struct gb_plan_model {
	char *name;	/* label in reports: zoo name or file base name */
	char *zoo;	/* zoo model name, or NULL */
	char *file;	/* model path, or NULL (zoo models are exported on use) */
	/* A converter (greenbench/convert.h: "tf2onnx") turning the zoo
	 * model into the ONNX file the runs take, or NULL: greenbench's own
	 * export. Such a model pairs only with runtimes that take files; the
	 * store records it as the configuration's converted_from. */
	char *convert;
	char *weights;	/* the converter's --weights, or NULL (random weights) */
	struct gb_plan_kv *dims;	/* symbolic dims: "seq" -> "32" */
	size_t ndims;
	char *data;	/* labelled data for accuracy (run --data), or NULL */
	unsigned limit;	/* --limit N; 0: all */
	char **data_args;	/* more data flags for run (--vocab-file, --resize ...) */
	size_t ndata_args;
};

struct gb_plan_runtime {
	char *runtime;	/* "ort", "torch", "ort-python" */
	char *ep;	/* "cpu", "cuda", "tensorrt"; NULL when the runtime has none */
	char *label;	/* "ort/cuda", or the file's `label` */
	struct gb_plan_kv *options;	/* passed as --ep-option key=value */
	size_t noptions;
	char **args;	/* extra arguments passed to `run` as they are */
	size_t nargs;
};

struct gb_plan_config {
	size_t model;	/* index into models */
	size_t runtime;	/* index into runtimes */
	unsigned batch;
};

/* One planned run: configuration `config`, repetition `rep` (0-based). */
struct gb_plan_run {
	size_t config;
	unsigned rep;
};

enum gb_cooldown_kind {
	GB_COOLDOWN_NONE,
	GB_COOLDOWN_FIXED,
	GB_COOLDOWN_UNTIL_IDLE,
};

struct gb_plan {
	char *name;
	char *path;		/* the experiment file, as given */
	uint64_t seed;
	unsigned reps;		/* reps_auto: the first round (its `min`) */
	/* reps: auto: after the planned runs, a configuration whose energy
	 * per item has a 95% interval wider than +-reps_ci_pct of its mean
	 * gets one more run per round, up to reps_max in all. */
	int reps_auto;
	double reps_ci_pct;
	unsigned reps_max;
	char *warmup;		/* "10" (iterations) or "2s"; passed to --warmup */
	unsigned iterations;	/* 0: run's default */
	char *min_duration;	/* "10s"; NULL: run's default */
	uint64_t run_timeout_ns; /* a run still going after this is killed */
	enum gb_cooldown_kind cooldown;
	uint64_t cooldown_ns;	/* FIXED: the pause; UNTIL_IDLE: the timeout */
	double cooldown_margin_pct;
	uint64_t idle_duration_ns; /* 0: no idle baseline */
	unsigned idle_every;	/* re-measure every N runs; 0: only at start */

	struct gb_plan_model *models;
	size_t nmodels;
	struct gb_plan_runtime *runtimes;
	size_t nruntimes;
	unsigned *batches;
	size_t nbatches;

	struct gb_plan_config *configs;	/* the matrix after exclusions */
	size_t nconfigs;
	size_t nexcluded;
	struct gb_plan_run *runs;	/* nconfigs * reps, in execution order */
	size_t nruns;
};

/* Parse YAML text; `path` is only used in messages and stored. */
int gb_plan_parse(const char *text, size_t len, const char *path, struct gb_plan **out);
/* Read and parse a file. */
int gb_plan_load(const char *path, struct gb_plan **out);
void gb_plan_free(struct gb_plan *p);

/* Stable identifier of a configuration: "resnet50|ort/cuda|b64". */
void gb_plan_config_key(const struct gb_plan *p, size_t config, char *buf, size_t len);

/* The documented PRNG, exposed so tests can check it. */
struct gb_rng {
	uint64_t s[4];
};
void gb_rng_seed(struct gb_rng *r, uint64_t seed);
uint64_t gb_rng_next(struct gb_rng *r);
/* Uniform in [0, bound) without modulo bias (bound > 0). */
uint64_t gb_rng_below(struct gb_rng *r, uint64_t bound);

/* Read a whole file into a NUL-terminated malloc'd buffer. */
int gb_file_read_all(const char *path, char **text, size_t *len);

#endif
