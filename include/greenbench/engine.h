/*
 * The campaign engine: runs a campaign's planned runs into its store. One
 * call does what `greenbench campaign run` does (idle baselines on their
 * schedule, cooldowns, each run as a child `greenbench run --json`, zoo
 * models exported once, every run stored in one transaction as it ends),
 * and tells the caller what happens through typed callbacks, so the CLI,
 * a cluster task running a share of the order, an advisor and the tests
 * all drive the same loop. The engine prints nothing.
 *
 *   struct gb_engine_opts o = { .file = "study.yaml", .db = "r.db", .stop = &flag };
 *   struct gb_engine_summary s;
 *   int rc = gb_campaign_engine_run(&o, &callbacks, ctx, &s);
 *
 * The campaign is either opened by the caller (plan, store, campaign id)
 * or opened here from an experiment file and a database (new, or the
 * newest campaign of that file with `resume`). `first`/`last` and
 * `select` pick a subset of the planned order (a Slurm array task runs its
 * share); runs that already have a row are always skipped, so a call is
 * also a resume.
 *
 * Stopping: when *stop becomes non-zero (a signal handler, or a callback)
 * the run in flight is killed (SIGKILL to its process group) and recorded
 * nothing of, no further run starts, and the call returns 0 with
 * summary.stopped set. Setting *stop from a callback is the way to stop
 * after some event.
 *
 * Where runs go: the store, or a sink (a Slurm task writes its records
 * to a file of its own, never SQLite on a shared filesystem: see
 * greenbench/shard.h). With a sink the caller gives the plan and the
 * planned runs (with their done flags) instead of a store.
 *
 * Ownership: opts, its strings, a caller's plan and store are borrowed for
 * the call; what the engine opens it closes. Event structs and every
 * pointer in them are valid only during the callback. Callbacks may be
 * NULL (ignored).
 *
 * Errors: 0, or negative errno with gb_error_msg() set, when the campaign
 * cannot be opened ("cannot open 'x.yaml': ...", "x.yaml:4:1: ...", "no
 * campaign of ... to resume", "cannot run 'CMD': ..."), or a run cannot
 * be stored; runs that fail are not errors, they are stored as failed.
 * Units: nanoseconds (_ns), watts, degrees C, millijoules per item.
 * Thread-safety: one call per store handle at a time; callbacks run on
 * the calling thread (with opts.gpus the children are waited for on
 * threads of the engine's, which never call back or write the store).
 */
#ifndef GREENBENCH_ENGINE_H
#define GREENBENCH_ENGINE_H

#include "greenbench/campaign.h"
#include "greenbench/plan.h"
#include "greenbench/store.h"
#include "greenbench/verdict.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct gb_meter_config;
struct gb_domain_info;

/* Where finished runs and idle baselines go instead of the store. Each
 * returns 0 or negative errno with gb_error_msg() set; a run that cannot
 * be written ends the call, as a store write would. */
struct gb_engine_sink {
	int (*run)(void *sink_ctx, const struct gb_store_run_in *in);
	int (*idle)(void *sink_ctx, int64_t before_seq, double duration_s, const char *domain,
		    double power_w, double temp_c);
	void *ctx;
};

struct gb_engine_opts {
	/* A campaign the caller opened ... */
	struct gb_plan *plan;
	struct gb_store *store;
	int64_t campaign;
	/* ... or, when plan is NULL, one opened here. */
	const char *file;		/* experiment file */
	const char *db;			/* database, created if missing */
	int resume;			/* the newest campaign of this file's text, else a new one */

	const char *run_cmd;		/* NULL: gb_paths_run_cmd() */
	const char *zoo_dir;		/* where zoo models are exported; NULL: the cache's zoo/ */
	const struct gb_meter_config *meter; /* for idle baselines and cooldowns; NULL: defaults */
	volatile sig_atomic_t *stop;	/* may be NULL */

	/* The share of the planned order to run: seq in [first, last) (last
	 * 0: to the end) for which select(ctx, planned) (NULL: all) is true. */
	int64_t first, last;
	int (*select)(void *ctx, const struct gb_store_planned *planned);

	/* Preflight (before the first run, after opening): every runtime of
	 * the plan is asked of `RUN_CMD devices --json` and every model the
	 * runs need as a file is made then, before the first idle baseline
	 * and run (zoo models exported, convert: models converted, once each,
	 * into the cache; model_start/model_end events), so no export or
	 * conversion lands between measured runs. A plan with something
	 * that cannot run is refused (-ENOEXEC, the reasons in the message)
	 * unless keep_going: then its runs are stored as failed with the
	 * reason, without starting a child. */
	int keep_going;
	/* Move the campaign's failed runs to its history (the store's
	 * attempt table) first, so this call runs them again. */
	int retry_failed;
	/* With a sink (plan given, store NULL): the planned runs, as
	 * gb_store_planned_load() would give them; done ones are skipped. */
	const struct gb_engine_sink *sink;
	const struct gb_store_planned *planned;
	size_t nplanned;

	/* Several GPUs of one host ("0,1,2,3", NVML indices or UUIDs): one
	 * run per GPU at a time, each child pinned to its GPU and measuring
	 * only it, CPU energy estimated per process (more than one GPU).
	 * Cooldowns are per GPU (a GPU's own power and temperature against its
	 * own idle baseline, or a fixed pause after its own run); idle
	 * baselines are measured with every GPU idle (the engine waits for the
	 * runs in flight first). The meter should watch the same GPUs, in
	 * this order (meter->gpus). NULL: one run at a time, unpinned. */
	const char *gpus;
};

/* Counters as of an event. */
struct gb_engine_progress {
	int64_t campaign;
	size_t total;		/* planned runs of the campaign */
	size_t done_before;	/* runs with a row when the call began */
	size_t todo;		/* selected runs without a row when the call began */
	size_t done_now, ok, failed;	/* recorded by this call */
	size_t suspect, invalid;	/* of the ok ones, by verdict */
	uint64_t elapsed_ns;	/* since the call began running (after opening) */
};

struct gb_engine_start {
	const struct gb_plan *plan;
	int resumed;		/* opts.resume found the campaign */
	struct gb_engine_progress progress;
};

struct gb_engine_idle_start {
	int64_t before_seq;	/* measured before this run */
	uint64_t duration_ns;
	unsigned attempt;	/* 1, then 2.. when the machine was busy */
};

/* One domain's idle baseline, as stored in the idle table. */
struct gb_engine_idle_domain {
	int64_t before_seq;
	size_t domain;
	const struct gb_domain_info *info;	/* name, kind, method */
	double power_w;		/* NAN: not measured */
	double temp_c;		/* NAN: none */
	double foreign_cpu_cores; /* others' CPU time during the baseline; NAN: unknown */
	double drift_pct;	/* change since the previous baseline; NAN: first or unknown */
};

struct gb_engine_cooldown {
	enum gb_cooldown_kind kind;	/* FIXED or UNTIL_IDLE */
	uint64_t waited_ns;
	size_t ngpus;		/* UNTIL_IDLE: GPU domains watched (0: nothing to wait for) */
	int timed_out;		/* UNTIL_IDLE: not back within margin_pct before the timeout */
	double margin_pct;
	const char *gpu;	/* opts.gpus: the GPU that cooled down; else NULL */
};

/* A model the runs need as a file and that is not in the cache yet, made
 * in the preflight: a zoo model exported or a model converted. Models
 * given as files, taken by name (torch, tf ...) or already cached have no
 * events. */
struct gb_engine_model {
	const struct gb_plan *plan;
	size_t model;		/* plan->models[model] */
	const char *converter;	/* "tf2onnx"; NULL: a zoo export */
	size_t index, count;	/* 1-based, of the models this preflight makes */
	const char *path;	/* the cache file it goes to */
	/* model_end only: */
	const char *error;	/* NULL: made; else why not (its runs fail with it) */
	uint64_t elapsed_ns;
};

struct gb_engine_run {
	const struct gb_plan *plan;
	const struct gb_store_planned *planned;	/* seq, config, rep (0-based) */
	const struct gb_plan_config *config;	/* plan->configs[planned->config] */
	struct gb_engine_progress progress;
	const char *gpu;	/* opts.gpus: the GPU it runs on; else NULL */
};

struct gb_engine_result {
	int ok;
	const char *reason;	/* failed: one line, as stored */
	/* How the child ended (typed: exit code, signal, timeout); NULL when
	 * no child ran because the model could not be had. */
	const struct gb_run_outcome *outcome;
	double energy_per_item_mj;	/* ok: NAN when the record has none */
	const char *energy_methods;	/* ok: "counter+estimated"; else "" */
	/* ok: the stored verdict (the run's own checks and the engine's) */
	const struct gb_verdict *verdict;
};

enum gb_engine_warning_kind {
	GB_ENGINE_WARN_NO_METER,	/* no meter: no idle baseline or idle cooldown */
	GB_ENGINE_WARN_SAMPLER,		/* the meter's sampler did not start */
	GB_ENGINE_WARN_IDLE,		/* an idle baseline could not be measured */
	GB_ENGINE_WARN_STORE,		/* a row that does not stop the campaign was not written */
	/* The idle baseline stayed busy (others' CPU time past the
	 * idle_busy limit) after every attempt; runs that subtract it are
	 * marked. detail says how busy. */
	GB_ENGINE_WARN_IDLE_BUSY,
	/* Something of the plan cannot run (keep_going: its runs fail), or
	 * the run command could not be asked (preflight skipped). */
	GB_ENGINE_WARN_PREFLIGHT,
};

struct gb_engine_warning {
	enum gb_engine_warning_kind kind;
	const char *detail;	/* the underlying error message */
};

struct gb_engine_callbacks {
	void (*campaign_start)(void *ctx, const struct gb_engine_start *ev);
	void (*idle_start)(void *ctx, const struct gb_engine_idle_start *ev);
	void (*idle_domain)(void *ctx, const struct gb_engine_idle_domain *ev);
	void (*cooldown_end)(void *ctx, const struct gb_engine_cooldown *ev);
	/* Before the first run (for a new campaign before campaign_start:
	 * the campaign is created once its preflight passed). */
	void (*model_start)(void *ctx, const struct gb_engine_model *ev);
	void (*model_end)(void *ctx, const struct gb_engine_model *ev);
	void (*run_start)(void *ctx, const struct gb_engine_run *ev);
	/* About once a second while a run's child runs. */
	void (*run_tick)(void *ctx, const struct gb_engine_run *ev);
	/* After the run is stored (not called for a run killed by *stop). */
	void (*run_end)(void *ctx, const struct gb_engine_run *ev, const struct gb_engine_result *res);
	void (*warning)(void *ctx, const struct gb_engine_warning *ev);
};

struct gb_engine_summary {
	struct gb_engine_progress progress;	/* as at the end */
	int stopped;	/* *stop ended the call early */
	int finished;	/* every planned run has a row: the campaign is marked finished */
	size_t retried;	/* failed runs moved to the history by retry_failed */
};

/* Run the campaign (see above). summary is filled also on error, as far
 * as the call got. */
int gb_campaign_engine_run(const struct gb_engine_opts *opts, const struct gb_engine_callbacks *cb,
			   void *ctx, struct gb_engine_summary *summary);

#endif
